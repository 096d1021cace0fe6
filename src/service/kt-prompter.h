/* kt-prompter.h: what the sign-in service needs from the person at the computer
 *
 * The service decides when to ask; a prompter asks. The app's prompter shows windows; nothing
 * in the service knows how. Every prompt ends when its cancellable is cancelled (the caller
 * withdrew, or left the bus), and then finishes with G_IO_ERROR_CANCELLED.
 *
 * Copyright 2026 Keyturn developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

#include "kt-caller.h"

G_BEGIN_DECLS

/**
 * KtConsent:
 * @KT_CONSENT_DENY: the person said no, or closed the prompt
 * @KT_CONSENT_ALLOW_ONCE: this call only
 * @KT_CONSENT_ALWAYS_ALLOW: this call and every later one, until revoked
 */
typedef enum {
  KT_CONSENT_DENY,
  KT_CONSENT_ALLOW_ONCE,
  KT_CONSENT_ALWAYS_ALLOW,
} KtConsent;

#define KT_TYPE_PROMPTER (kt_prompter_get_type ())

G_DECLARE_INTERFACE (KtPrompter, kt_prompter, KT, PROMPTER, GObject)

struct _KtPrompterInterface
{
  GTypeInterface parent_iface;

  /* May @caller use the sign-in? */
  void      (*ask_consent)        (KtPrompter          *self,
                                   KtCaller            *caller,
                                   GCancellable        *cancellable,
                                   GAsyncReadyCallback  callback,
                                   gpointer             user_data);
  KtConsent (*ask_consent_finish) (KtPrompter          *self,
                                   GAsyncResult        *result,
                                   GError             **error);

  /* Shows the sign-in for @caller; TRUE once someone is signed in, FALSE with
   * G_IO_ERROR_CANCELLED when the person closed it first. */
  void      (*sign_in)            (KtPrompter          *self,
                                   KtCaller            *caller,
                                   GCancellable        *cancellable,
                                   GAsyncReadyCallback  callback,
                                   gpointer             user_data);
  gboolean  (*sign_in_finish)     (KtPrompter          *self,
                                   GAsyncResult        *result,
                                   GError             **error);

  /* Asks the person to confirm @scope for @caller, who gave @reason, with their key or a recovery
   * code (kt_mfa_controller_request_elevated_token_async()); the token, and its expiry in
   * @expires_at, or G_IO_ERROR_CANCELLED when the person declined. */
  void      (*step_up)            (KtPrompter          *self,
                                   KtCaller            *caller,
                                   const char          *scope,
                                   const char          *reason,
                                   GCancellable        *cancellable,
                                   GAsyncReadyCallback  callback,
                                   gpointer             user_data);
  char     *(*step_up_finish)     (KtPrompter          *self,
                                   GAsyncResult        *result,
                                   gint64              *expires_at,
                                   GError             **error);
};

void      kt_prompter_ask_consent        (KtPrompter          *self,
                                          KtCaller            *caller,
                                          GCancellable        *cancellable,
                                          GAsyncReadyCallback  callback,
                                          gpointer             user_data);
KtConsent kt_prompter_ask_consent_finish (KtPrompter          *self,
                                          GAsyncResult        *result,
                                          GError             **error);
void      kt_prompter_sign_in            (KtPrompter          *self,
                                          KtCaller            *caller,
                                          GCancellable        *cancellable,
                                          GAsyncReadyCallback  callback,
                                          gpointer             user_data);
gboolean  kt_prompter_sign_in_finish     (KtPrompter          *self,
                                          GAsyncResult        *result,
                                          GError             **error);
void      kt_prompter_step_up            (KtPrompter          *self,
                                          KtCaller            *caller,
                                          const char          *scope,
                                          const char          *reason,
                                          GCancellable        *cancellable,
                                          GAsyncReadyCallback  callback,
                                          gpointer             user_data);
char     *kt_prompter_step_up_finish     (KtPrompter          *self,
                                          GAsyncResult        *result,
                                          gint64              *expires_at,
                                          GError             **error);

G_END_DECLS
