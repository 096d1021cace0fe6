/* kt-mfa-controller-session.c: the signed-in session kept fresh, and handed to others: a refresh
 * asked for now, and the access token another application may have
 *
 * Copyright 2026 Keyturn developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "keyturn-flow"

#include "kt-mfa-controller-private.h"

static void
on_session_refreshed (GObject      *source,
                      GAsyncResult *result,
                      gpointer      user_data)
{
  GTask *task = user_data;
  KtMfaController *self = g_task_get_source_object (task);
  g_autoptr(GError) error = NULL;
  g_autoptr(KtVerifyResponse) response = kt_api_client_refresh_finish (KT_API_CLIENT (source),
                                                                      result, &error);

  if (response != NULL)
    {
      kt_session_keeper_apply (self->keeper, response);
      kt_mfa_controller_set_user (self, kt_verify_response_get_user (response));
    }
  kt_mfa_controller_end_operation (self, task, g_steal_pointer (&error));
}

static void
refresh_session_now (KtMfaController *self,
                     GTask           *task)
{
  kt_api_client_refresh_async (self->api, g_task_get_cancellable (task), on_session_refreshed,
                               task);
}

void
kt_mfa_controller_refresh_session_async (KtMfaController     *self,
                                         GCancellable        *cancellable,
                                         GAsyncReadyCallback  callback,
                                         gpointer             user_data)
{
  g_return_if_fail (KT_IS_MFA_CONTROLLER (self));

  kt_mfa_controller_start (self, kt_mfa_controller_refresh_session_async, refresh_session_now,
                           cancellable, callback, user_data);
}

char *
kt_mfa_controller_dup_access_token (KtMfaController *self,
                                    gint64          *expires_at)
{
  gboolean signed_in;

  if (expires_at != NULL)
    *expires_at = 0;
  g_return_val_if_fail (KT_IS_MFA_CONTROLLER (self), NULL);

  /* Between steps the client may hold a token that does not make a session yet (signed in
   * without the second factor): only a finished sign-in is handed out. */
  signed_in = self->step == KT_MFA_STEP_SIGNED_IN && kt_api_client_has_access_token (self->api);
  if (!signed_in)
    return NULL;
  if (expires_at != NULL)
    *expires_at = kt_session_keeper_get_expires_at (self->keeper);
  return kt_api_client_dup_access_token (self->api);
}
