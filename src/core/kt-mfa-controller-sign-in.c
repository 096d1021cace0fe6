/* kt-mfa-controller-sign-in.c: the steps that sign a person in: the session kept in the keyring
 * restored, the email code sent, sent again and checked, a recovery code in place of the key,
 * and new recovery codes acknowledged; each answer moves the flow on through
 * kt_mfa_controller_advance ()
 *
 * Copyright 2026 Keyturn developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "keyturn-flow"

#include "kt-mfa-controller-private.h"
#include "kt-secret.h"

#include <glib/gi18n-lib.h>
#include <string.h>

/* Restoring the kept session */

static void
on_restored_user (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  GTask *task = user_data;
  KtMfaController *self = g_task_get_source_object (task);
  g_autoptr(GError) error = NULL;
  g_autoptr(KtUser) user = kt_api_client_get_user_finish (KT_API_CLIENT (source), result, &error);

  if (user == NULL)
    {
      if (g_error_matches (error, KT_API_ERROR, KT_API_ERROR_UNAUTHORIZED))
        {
          g_clear_error (&error);
          g_set_error_literal (&error, KT_API_ERROR, KT_API_ERROR_UNAUTHORIZED,
                               _("Your session has ended. Sign in again."));
        }
      else
        {
          /* Keep the stored session: the server may only be out of reach for now, and
           * restoring again once it is back signs the user in without a new code. */
          kt_session_keeper_set_aside (self->keeper);
          kt_mfa_controller_set_step (self, KT_MFA_STEP_SIGNED_OUT);
          kt_mfa_controller_set_unchecked_session (self, TRUE);
        }
      kt_mfa_controller_end_operation (self, task, g_steal_pointer (&error));
      return;
    }

  kt_mfa_controller_set_unchecked_session (self, FALSE);
  kt_mfa_controller_set_email (self, kt_user_get_email (user));
  kt_session_keeper_schedule_refresh (self->keeper);
  kt_mfa_controller_advance (self, task, user, NULL);
}

static void
on_session_loaded (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  GTask *task = user_data;
  KtMfaController *self = g_task_get_source_object (task);
  g_autoptr(GError) error = NULL;
  g_autoptr(KtStoredSession) session =
    kt_session_keeper_load_finish (KT_SESSION_KEEPER (source), result, &error);
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;

  /* Nothing kept, or a keyring that could not be read (the keeper says why): a fresh sign-in. */
  if (session == NULL)
    {
      kt_mfa_controller_set_step (self, KT_MFA_STEP_SIGNED_OUT);
      kt_mfa_controller_end_operation (self, task, g_steal_pointer (&error));
      return;
    }

  if (session->expires_at > 0 && session->expires_at <= now)
    {
      kt_mfa_controller_drop_session (self);
      g_set_error_literal (&error, KT_API_ERROR, KT_API_ERROR_UNAUTHORIZED,
                           _("Your session has expired. Sign in again."));
      kt_mfa_controller_end_operation (self, task, g_steal_pointer (&error));
      return;
    }

  kt_session_keeper_resume (self->keeper, session);
  kt_api_client_get_user_async (self->api, g_task_get_cancellable (task), on_restored_user, task);
}

static void
restore_now (KtMfaController *self,
             GTask           *task)
{
  kt_mfa_controller_set_step (self, KT_MFA_STEP_STARTING);
  kt_session_keeper_load_async (self->keeper, g_task_get_cancellable (task), on_session_loaded,
                                task);
}

void
kt_mfa_controller_restore_async (KtMfaController     *self,
                                 GCancellable        *cancellable,
                                 GAsyncReadyCallback  callback,
                                 gpointer             user_data)
{
  g_return_if_fail (KT_IS_MFA_CONTROLLER (self));

  kt_mfa_controller_start (self, kt_mfa_controller_restore_async, restore_now, cancellable,
                           callback, user_data);
}

/* The email code sent, and sent again */

static gboolean
email_looks_valid (const char *email)
{
  const char *at;

  if (email == NULL || strchr (email, ' ') != NULL || strlen (email) > 254)
    return FALSE;
  at = strchr (email, '@');
  return at != NULL && at != email && at[1] != '\0' && strchr (at + 1, '@') == NULL;
}

static void
on_code_sent (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  GTask *task = user_data;
  KtMfaController *self = g_task_get_source_object (task);
  g_autoptr(GError) error = NULL;
  char *uuid;

  if (g_task_get_source_tag (task) == kt_mfa_controller_resend_code_async)
    uuid = kt_api_client_retry_email_verification_finish (KT_API_CLIENT (source), result, &error);
  else
    uuid = kt_api_client_create_email_verification_finish (KT_API_CLIENT (source), result, &error);

  if (uuid == NULL)
    {
      guint wait = kt_api_error_get_retry_after (error);

      /* The server's own wait decides when the next try can succeed. */
      if (wait > 0)
        {
          kt_mfa_controller_set_resend_available_at (self,
                                                     g_get_real_time () / G_USEC_PER_SEC + wait);
        }
      kt_mfa_controller_end_operation (self, task, g_steal_pointer (&error));
      return;
    }

  g_free (self->verification_uuid);
  self->verification_uuid = uuid;
  kt_mfa_controller_set_code_sent_at (self, g_get_real_time () / G_USEC_PER_SEC);
  kt_mfa_controller_set_unchecked_session (self, FALSE);
  kt_mfa_controller_set_step (self, KT_MFA_STEP_CODE_SENT);
  kt_mfa_controller_end_operation (self, task, NULL);
}

void
kt_mfa_controller_send_code_async (KtMfaController     *self,
                                   const char          *email,
                                   GCancellable        *cancellable,
                                   GAsyncReadyCallback  callback,
                                   gpointer             user_data)
{
  g_autofree char *trimmed = g_strstrip (g_strdup (email != NULL ? email : ""));
  GTask *task;

  g_return_if_fail (KT_IS_MFA_CONTROLLER (self));

  task = kt_mfa_controller_begin_operation (self, kt_mfa_controller_send_code_async, cancellable,
                                            callback, user_data);
  if (task == NULL)
    return;

  if (!email_looks_valid (trimmed))
    {
      kt_mfa_controller_refuse (self, task, KT_MFA_CONTROLLER_ERROR_INVALID_INPUT,
                                _("Enter an email address such as name@example.com."));
      return;
    }

  kt_mfa_controller_set_email (self, trimmed);
  kt_api_client_create_email_verification_async (self->api, trimmed, g_task_get_cancellable (task),
                                                 on_code_sent, task);
}

static void
resend_code_now (KtMfaController *self,
                 GTask           *task)
{
  if (self->email == NULL || self->verification_uuid == NULL)
    {
      kt_mfa_controller_refuse (self, task, KT_MFA_CONTROLLER_ERROR_WRONG_STEP,
                                _("No code has been sent yet."));
      return;
    }

  kt_api_client_retry_email_verification_async (self->api, self->email, self->verification_uuid,
                                                g_task_get_cancellable (task), on_code_sent, task);
}

void
kt_mfa_controller_resend_code_async (KtMfaController     *self,
                                     GCancellable        *cancellable,
                                     GAsyncReadyCallback  callback,
                                     gpointer             user_data)
{
  g_return_if_fail (KT_IS_MFA_CONTROLLER (self));

  kt_mfa_controller_start (self, kt_mfa_controller_resend_code_async, resend_code_now,
                           cancellable, callback, user_data);
}

/* The email code checked, a recovery code used in place of the key, new recovery codes
 * acknowledged: each answer is a VerifyResponse that moves the flow on */

static void
on_verified (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  GTask *task = user_data;
  KtMfaController *self = g_task_get_source_object (task);
  gpointer tag = g_task_get_source_tag (task);
  g_autoptr(GError) error = NULL;
  g_autoptr(KtVerifyResponse) response = NULL;

  if (tag == kt_mfa_controller_verify_code_async)
    response = kt_api_client_sign_in_with_email_code_finish (KT_API_CLIENT (source), result,
                                                            &error);
  else if (tag == kt_mfa_controller_use_recovery_code_async)
    response = kt_api_client_authenticate_recovery_code_finish (KT_API_CLIENT (source), result,
                                                                &error);
  else
    response = kt_api_client_acknowledge_recovery_codes_finish (KT_API_CLIENT (source), result,
                                                                &error);

  if (kt_mfa_controller_end_on_failure (self, task, response != NULL, &error))
    return;

  if (tag == kt_mfa_controller_verify_code_async)
    g_clear_pointer (&self->verification_uuid, g_free);
  if (tag == kt_mfa_controller_acknowledge_recovery_codes_async)
    kt_mfa_controller_set_recovery_codes (self, NULL);

  kt_session_keeper_apply (self->keeper, response);
  kt_mfa_controller_advance (self, task, kt_verify_response_get_user (response), NULL);
}

/* Keeps the digits of what a person typed or pasted ("123 456", "123-456"). */
static char *
normalize_code (const char *code)
{
  GString *digits = g_string_new (NULL);

  for (const char *p = code != NULL ? code : ""; *p != '\0'; p++)
    {
      if (g_ascii_isdigit (*p))
        g_string_append_c (digits, *p);
      else if (*p != ' ' && *p != '-')
        {
          g_string_free (digits, TRUE);
          return NULL;
        }
    }
  return g_string_free (digits, FALSE);
}

void
kt_mfa_controller_verify_code_async (KtMfaController     *self,
                                     const char          *code,
                                     GCancellable        *cancellable,
                                     GAsyncReadyCallback  callback,
                                     gpointer             user_data)
{
  g_autofree char *digits = normalize_code (code);
  GTask *task;

  g_return_if_fail (KT_IS_MFA_CONTROLLER (self));

  task = kt_mfa_controller_begin_operation (self, kt_mfa_controller_verify_code_async, cancellable,
                                            callback, user_data);
  if (task == NULL)
    return;

  if (self->verification_uuid == NULL)
    {
      kt_mfa_controller_refuse (self, task, KT_MFA_CONTROLLER_ERROR_WRONG_STEP,
                                _("No code has been sent yet."));
      return;
    }
  if (digits == NULL || strlen (digits) != 6)
    {
      kt_mfa_controller_refuse (self, task, KT_MFA_CONTROLLER_ERROR_INVALID_INPUT,
                                _("The code has six digits."));
      return;
    }

  kt_api_client_sign_in_with_email_code_async (self->api, self->verification_uuid, digits,
                                               g_task_get_cancellable (task), on_verified, task);
}

void
kt_mfa_controller_use_recovery_code_async (KtMfaController     *self,
                                           const char          *code,
                                           GCancellable        *cancellable,
                                           GAsyncReadyCallback  callback,
                                           gpointer             user_data)
{
  g_autoptr(KtSecret) trimmed = g_strstrip (g_strdup (code != NULL ? code : ""));
  GTask *task;

  g_return_if_fail (KT_IS_MFA_CONTROLLER (self));

  task = kt_mfa_controller_begin_operation (self, kt_mfa_controller_use_recovery_code_async,
                                            cancellable, callback, user_data);
  if (task == NULL)
    return;

  if (kt_mfa_controller_refuse_missing_code (self, task, trimmed))
    return;

  kt_api_client_authenticate_recovery_code_async (self->api, trimmed, TRUE, NULL,
                                                  g_task_get_cancellable (task), on_verified, task);
}

static void
acknowledge_recovery_codes_now (KtMfaController *self,
                                GTask           *task)
{
  kt_api_client_acknowledge_recovery_codes_async (self->api, g_task_get_cancellable (task),
                                                  on_verified, task);
}

void
kt_mfa_controller_acknowledge_recovery_codes_async (KtMfaController     *self,
                                                    GCancellable        *cancellable,
                                                    GAsyncReadyCallback  callback,
                                                    gpointer             user_data)
{
  g_return_if_fail (KT_IS_MFA_CONTROLLER (self));

  kt_mfa_controller_start (self, kt_mfa_controller_acknowledge_recovery_codes_async,
                           acknowledge_recovery_codes_now, cancellable, callback, user_data);
}

