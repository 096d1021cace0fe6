/* kt-prompter.c: what the sign-in service needs from the person at the computer
 *
 * Copyright 2026 Keyturn developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "kt-prompter.h"

G_DEFINE_INTERFACE (KtPrompter, kt_prompter, G_TYPE_OBJECT)

static void
kt_prompter_default_init (KtPrompterInterface *iface)
{
}

void
kt_prompter_ask_consent (KtPrompter          *self,
                         KtCaller            *caller,
                         GCancellable        *cancellable,
                         GAsyncReadyCallback  callback,
                         gpointer             user_data)
{
  g_return_if_fail (KT_IS_PROMPTER (self));
  g_return_if_fail (KT_IS_CALLER (caller));

  KT_PROMPTER_GET_IFACE (self)->ask_consent (self, caller, cancellable, callback, user_data);
}

KtConsent
kt_prompter_ask_consent_finish (KtPrompter    *self,
                                GAsyncResult  *result,
                                GError       **error)
{
  g_return_val_if_fail (KT_IS_PROMPTER (self), KT_CONSENT_DENY);

  return KT_PROMPTER_GET_IFACE (self)->ask_consent_finish (self, result, error);
}

void
kt_prompter_sign_in (KtPrompter          *self,
                     KtCaller            *caller,
                     GCancellable        *cancellable,
                     GAsyncReadyCallback  callback,
                     gpointer             user_data)
{
  g_return_if_fail (KT_IS_PROMPTER (self));
  g_return_if_fail (KT_IS_CALLER (caller));

  KT_PROMPTER_GET_IFACE (self)->sign_in (self, caller, cancellable, callback, user_data);
}

gboolean
kt_prompter_sign_in_finish (KtPrompter    *self,
                            GAsyncResult  *result,
                            GError       **error)
{
  g_return_val_if_fail (KT_IS_PROMPTER (self), FALSE);

  return KT_PROMPTER_GET_IFACE (self)->sign_in_finish (self, result, error);
}

void
kt_prompter_step_up (KtPrompter          *self,
                     KtCaller            *caller,
                     const char          *scope,
                     const char          *reason,
                     GCancellable        *cancellable,
                     GAsyncReadyCallback  callback,
                     gpointer             user_data)
{
  g_return_if_fail (KT_IS_PROMPTER (self));
  g_return_if_fail (KT_IS_CALLER (caller));
  g_return_if_fail (scope != NULL && reason != NULL);

  KT_PROMPTER_GET_IFACE (self)->step_up (self, caller, scope, reason, cancellable, callback,
                                         user_data);
}

char *
kt_prompter_step_up_finish (KtPrompter    *self,
                            GAsyncResult  *result,
                            gint64        *expires_at,
                            GError       **error)
{
  g_return_val_if_fail (KT_IS_PROMPTER (self), NULL);

  return KT_PROMPTER_GET_IFACE (self)->step_up_finish (self, result, expires_at, error);
}
