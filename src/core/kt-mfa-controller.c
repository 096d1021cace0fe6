/* kt-mfa-controller.c
 *
 * Copyright 2026 Keyturn developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "keyturn-flow"

#include "kt-mfa-controller.h"

#include <glib/gi18n-lib.h>
#include <string.h>

/* Refresh this long before the access token expires. */
#define KT_REFRESH_MARGIN_SECONDS 60

/* Dynamic's own sign-in form offers to send the code again after this long; a server that wants
 * a longer wait says so with a rate-limit answer, which then decides. */
#define KT_RESEND_INTERVAL_SECONDS 30

struct _KtMfaController
{
  GObject parent_instance;

  /* Owned */
  KtApiClient *api;
  KtSessionStore *store;
  KtWebauthnClient *authenticator;
  GCancellable *operation;      /* the running operation's, NULL when idle */
  GCancellable *lifetime;       /* background work: keyring writes, token refresh */
  GCancellable *refreshing;     /* the background refresh on its way, NULL when none */
  KtUser *user;
  GListStore *passkeys;
  char **recovery_codes;
  char *email;
  char *verification_uuid;
  char *mfa_token;
  char *not_remembered_reason;
  GError *error;
  gint64 code_sent_at;
  gint64 resend_available_at;
  gint64 expires_at;
  guint refresh_source;
  KtStoredSession *keyring_next;   /* the state the keyring should reach next; NULL: empty */
  char *keyring_next_label;
  gulong unauthorized_handler;
  gulong pin_handler;
  gulong state_handler;
  gulong retries_handler;

  KtMfaStep step;
  guint busy : 1;
  guint remembered : 1;
  guint keyring_busy : 1;       /* a write is on its way */
  guint keyring_pending : 1;    /* keyring_next waits for it */
  guint unchecked_session : 1;  /* the keyring's session waits for the server to be reachable */
  guint saving : 1;             /* keyring_busy or keyring_pending, as last notified */
};

G_DEFINE_FINAL_TYPE (KtMfaController, kt_mfa_controller, G_TYPE_OBJECT)

G_DEFINE_QUARK (kt-mfa-controller-error-quark, kt_mfa_controller_error)

enum {
  PROP_0,
  PROP_STEP,
  PROP_BUSY,
  PROP_USER,
  PROP_EMAIL,
  PROP_PASSKEYS,
  PROP_RECOVERY_CODES,
  PROP_ERROR,
  PROP_ERROR_MESSAGE,
  PROP_REMEMBERED,
  PROP_NOT_REMEMBERED_REASON,
  PROP_HAS_MFA_TOKEN,
  PROP_CODE_SENT_AT,
  PROP_RESEND_AVAILABLE_AT,
  PROP_UNCHECKED_SESSION,
  PROP_SAVING,
  PROP_AUTHENTICATOR_STATE,
  PROP_PIN_RETRIES,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

enum {
  PIN_REQUESTED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static void     schedule_refresh (KtMfaController *self);
static gboolean on_refresh_due   (gpointer         user_data);

/* Properties, set only through these so each change notifies once */

static void
set_step (KtMfaController *self,
          KtMfaStep        step)
{
  if (self->step == step)
    return;
  g_debug ("step: %s", g_enum_get_value (g_type_class_peek (KT_TYPE_MFA_STEP), step)->value_nick);
  self->step = step;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STEP]);
}

static void
set_unchecked_session (KtMfaController *self,
                       gboolean         unchecked)
{
  if (self->unchecked_session == !!unchecked)
    return;
  self->unchecked_session = !!unchecked;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_UNCHECKED_SESSION]);
}

static void
set_code_sent_at (KtMfaController *self,
                  gint64           sent_at)
{
  self->code_sent_at = sent_at;
  self->resend_available_at = sent_at != 0 ? sent_at + KT_RESEND_INTERVAL_SECONDS : 0;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CODE_SENT_AT]);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_RESEND_AVAILABLE_AT]);
}

static void
set_busy (KtMfaController *self,
          gboolean         busy)
{
  if (self->busy == !!busy)
    return;
  self->busy = !!busy;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_BUSY]);
}

static void
set_user (KtMfaController *self,
          KtUser          *user)
{
  if (g_set_object (&self->user, user))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_USER]);
}

static void
set_email (KtMfaController *self,
           const char      *email)
{
  if (g_strcmp0 (self->email, email) == 0)
    return;
  g_free (self->email);
  self->email = g_strdup (email);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_EMAIL]);
}

static void
set_error (KtMfaController *self,
           const GError    *error)
{
  if (self->error == NULL && error == NULL)
    return;
  g_clear_error (&self->error);
  if (error != NULL)
    self->error = g_error_copy (error);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ERROR]);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ERROR_MESSAGE]);
}

static void
set_recovery_codes (KtMfaController *self,
                    char           **codes)
{
  if (self->recovery_codes == NULL && codes == NULL)
    return;
  g_strfreev (self->recovery_codes);
  self->recovery_codes = g_strdupv (codes);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_RECOVERY_CODES]);
}

static void
set_remembered (KtMfaController *self,
                gboolean         remembered,
                const char      *reason)
{
  if (self->remembered != !!remembered)
    {
      self->remembered = !!remembered;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_REMEMBERED]);
    }
  if (g_strcmp0 (self->not_remembered_reason, reason) != 0)
    {
      g_free (self->not_remembered_reason);
      self->not_remembered_reason = g_strdup (reason);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_NOT_REMEMBERED_REASON]);
    }
}

static void
set_mfa_token (KtMfaController *self,
               const char      *token)
{
  gboolean had = self->mfa_token != NULL;

  kt_secret_free (self->mfa_token);
  self->mfa_token = g_strdup (token);
  kt_api_client_set_mfa_token (self->api, token);
  if (had != (token != NULL))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_HAS_MFA_TOKEN]);
}

/* Replaces the passkeys in place, so that rows bound to unchanged passkeys stay. */
static void
set_passkeys (KtMfaController *self,
              GListModel      *passkeys)
{
  guint n_old = g_list_model_get_n_items (G_LIST_MODEL (self->passkeys));
  guint n_new = passkeys != NULL ? g_list_model_get_n_items (passkeys) : 0;
  g_autoptr(GPtrArray) merged = g_ptr_array_new_with_free_func (g_object_unref);

  for (guint i = 0; i < n_new; i++)
    {
      g_autoptr(KtPasskey) fresh = g_list_model_get_item (passkeys, i);
      KtPasskey *kept = NULL;

      for (guint j = 0; j < n_old && kept == NULL; j++)
        {
          g_autoptr(KtPasskey) old = g_list_model_get_item (G_LIST_MODEL (self->passkeys), j);

          if (g_strcmp0 (kt_passkey_get_id (old), kt_passkey_get_id (fresh)) == 0)
            kept = g_steal_pointer (&old);
        }

      if (kept != NULL)
        {
          kt_passkey_update_from (kept, fresh);
          g_ptr_array_add (merged, kept);
        }
      else
        g_ptr_array_add (merged, g_steal_pointer (&fresh));
    }

  g_list_store_splice (self->passkeys, 0, n_old, merged->pdata, merged->len);
}

/* Sessions: keyring writes run one at a time, so that a slow save can never land after a
 * newer save or after a sign-out's clear. Only the newest wanted state waits its turn. */

static void write_keyring (KtMfaController *self);

static void
update_saving (KtMfaController *self)
{
  gboolean saving = self->keyring_busy || self->keyring_pending;

  if (self->saving == saving)
    return;
  self->saving = saving;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SAVING]);
}

static void
want_keyring (KtMfaController *self,
              KtStoredSession *session,
              const char      *label)
{
  g_clear_pointer (&self->keyring_next, kt_stored_session_free);
  g_clear_pointer (&self->keyring_next_label, g_free);
  self->keyring_next = session;
  self->keyring_next_label = g_strdup (label);
  self->keyring_pending = TRUE;
  if (!self->keyring_busy)
    write_keyring (self);
  update_saving (self);
}

static void
on_keyring_written (KtMfaController *self,
                    gboolean         saving,
                    GError          *error)
{
  self->keyring_busy = FALSE;
  update_saving (self);

  if (error != NULL && g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;

  /* A newer state is wanted already: what this write did is about to change. */
  if (self->keyring_pending)
    {
      write_keyring (self);
      update_saving (self);
      return;
    }

  if (!saving)
    {
      if (error != NULL)
        g_message ("Could not remove the session from the keyring: %s", error->message);
      return;
    }

  if (error == NULL)
    set_remembered (self, TRUE, NULL);
  else
    {
      g_autofree char *reason =
        g_strdup_printf (_("Your sign-in will not be remembered after Keyturn closes. %s"),
                         error->message);

      g_message ("Session not kept in the keyring: %s", error->message);
      set_remembered (self, FALSE, reason);
    }
}

static void
on_session_saved (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(KtMfaController) self = user_data;
  g_autoptr(GError) error = NULL;

  kt_session_store_save_finish (KT_SESSION_STORE (source), result, &error);
  on_keyring_written (self, TRUE, error);
}

static void
on_session_cleared (GObject      *source,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  g_autoptr(KtMfaController) self = user_data;
  g_autoptr(GError) error = NULL;

  kt_session_store_clear_finish (KT_SESSION_STORE (source), result, &error);
  on_keyring_written (self, FALSE, error);
}

static void
write_keyring (KtMfaController *self)
{
  g_autoptr(KtStoredSession) session = g_steal_pointer (&self->keyring_next);
  g_autofree char *label = g_steal_pointer (&self->keyring_next_label);

  self->keyring_pending = FALSE;
  self->keyring_busy = TRUE;
  if (session != NULL)
    kt_session_store_save_async (self->store, session, label, self->lifetime, on_session_saved,
                                 g_object_ref (self));
  else
    kt_session_store_clear_async (self->store, self->lifetime, on_session_cleared,
                                  g_object_ref (self));
}

/* Takes the tokens of a successful step, keeps them in the keyring, and plans the refresh. */
static void
apply_response (KtMfaController  *self,
                KtVerifyResponse *response)
{
  const char *access_token = kt_verify_response_get_access_token (response);
  KtUser *user = kt_verify_response_get_user (response);

  if (kt_verify_response_get_mfa_token (response) != NULL)
    set_mfa_token (self, kt_verify_response_get_mfa_token (response));

  if (access_token == NULL)
    return;

  kt_api_client_set_access_token (self->api, access_token);
  self->expires_at = kt_verify_response_get_expires_at (response);
  schedule_refresh (self);

  want_keyring (self,
                kt_stored_session_new (kt_user_get_id (user), access_token,
                                       kt_verify_response_get_id_token (response),
                                       self->expires_at),
                kt_user_get_email (user) != NULL ? kt_user_get_email (user) : self->email);
}

/* Forgets everything about the session, here and in the keyring. */
static void
drop_session (KtMfaController *self)
{
  g_clear_handle_id (&self->refresh_source, g_source_remove);
  /* A refresh answered after this would bring the dropped session back. */
  if (self->refreshing != NULL)
    g_cancellable_cancel (self->refreshing);
  g_clear_object (&self->refreshing);
  kt_api_client_set_access_token (self->api, NULL);
  set_mfa_token (self, NULL);
  self->expires_at = 0;
  g_clear_pointer (&self->verification_uuid, g_free);
  set_user (self, NULL);
  set_recovery_codes (self, NULL);
  set_passkeys (self, NULL);
  set_code_sent_at (self, 0);
  set_unchecked_session (self, FALSE);
  want_keyring (self, NULL, NULL);
  set_remembered (self, FALSE, NULL);
  set_step (self, KT_MFA_STEP_SIGNED_OUT);
}

static void
on_unauthorized (KtApiClient     *api,
                 KtMfaController *self)
{
  g_debug ("The server ended the session");
  drop_session (self);
}

static void
on_refreshed (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(KtMfaController) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(KtVerifyResponse) response =
    kt_api_client_refresh_finish (KT_API_CLIENT (source), result, &error);
  gint64 remaining;

  /* Cancelled: the session it was for is gone (signed out), or the controller is. */
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  g_clear_object (&self->refreshing);

  if (response != NULL)
    {
      apply_response (self, response);
      set_user (self, kt_verify_response_get_user (response));
    }
  else if (!g_error_matches (error, KT_API_ERROR, KT_API_ERROR_UNAUTHORIZED))
    {
      /* Try again shortly, while the token is still good. */
      g_message ("Could not refresh the session: %s", error->message);
      remaining = self->expires_at - g_get_real_time () / G_USEC_PER_SEC;
      g_clear_handle_id (&self->refresh_source, g_source_remove);
      self->refresh_source = g_timeout_add_seconds ((guint) CLAMP (remaining / 2, 1, 30),
                                                    on_refresh_due, self);
    }
}

static gboolean
on_refresh_due (gpointer user_data)
{
  KtMfaController *self = user_data;

  self->refresh_source = 0;
  if (self->refreshing != NULL)
    g_cancellable_cancel (self->refreshing);
  g_clear_object (&self->refreshing);
  self->refreshing = g_cancellable_new ();
  kt_api_client_refresh_async (self->api, self->refreshing, on_refreshed, g_object_ref (self));
  return G_SOURCE_REMOVE;
}

static void
schedule_refresh (KtMfaController *self)
{
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  gint64 remaining, delay;

  g_clear_handle_id (&self->refresh_source, g_source_remove);
  if (self->expires_at <= 0)
    return;

  /* The margin before expiry, or half the lifetime left when that is shorter, so that a
   * short-lived token is renewed while it still works; at once when it is nearly gone. */
  remaining = self->expires_at - now;
  delay = remaining - MIN (KT_REFRESH_MARGIN_SECONDS, (remaining + 1) / 2);
  delay = CLAMP (delay, 0, G_MAXUINT / 1000);
  self->refresh_source = g_timeout_add ((guint) delay * 1000, on_refresh_due, self);
}

/* Operations */

static void
on_caller_cancelled (GCancellable *cancellable,
                     gpointer      user_data)
{
  g_cancellable_cancel (G_CANCELLABLE (user_data));
}

/* Starts an operation: NULL (the task already answered) when another one runs. */
static GTask *
begin_operation (KtMfaController     *self,
                 gpointer             source_tag,
                 GCancellable        *cancellable,
                 GAsyncReadyCallback  callback,
                 gpointer             user_data)
{
  g_autoptr(GCancellable) operation = g_cancellable_new ();
  GTask *task;

  task = g_task_new (self, operation, callback, user_data);
  g_task_set_source_tag (task, source_tag);

  if (self->busy)
    {
      g_task_return_new_error (task, KT_MFA_CONTROLLER_ERROR,
                               KT_MFA_CONTROLLER_ERROR_BUSY,
                               _("Keyturn is still busy with the last step."));
      g_object_unref (task);
      return NULL;
    }

  if (cancellable != NULL)
    {
      gulong id = g_cancellable_connect (cancellable, G_CALLBACK (on_caller_cancelled),
                                         g_object_ref (operation), g_object_unref);
      /* Disconnect when the task goes, so the caller's cancellable does not keep ours alive. */
      g_object_set_data_full (G_OBJECT (task), "kt-caller-cancellable",
                              g_object_ref (cancellable), g_object_unref);
      g_object_set_data (G_OBJECT (task), "kt-caller-handler", GSIZE_TO_POINTER (id));
    }

  g_set_object (&self->operation, operation);
  set_error (self, NULL);
  set_busy (self, TRUE);
  return task;
}

/* Ends an operation: takes @task and @error. */
static void
end_operation (KtMfaController *self,
               GTask           *task,
               GError          *error)
{
  GCancellable *caller = g_object_get_data (G_OBJECT (task), "kt-caller-cancellable");

  if (caller != NULL)
    g_cancellable_disconnect (caller,
                              GPOINTER_TO_SIZE (g_object_get_data (G_OBJECT (task),
                                                                   "kt-caller-handler")));
  g_clear_object (&self->operation);
  set_busy (self, FALSE);

  if (error == NULL)
    g_task_return_boolean (task, TRUE);
  else
    {
      /* A cancel the person asked for is not an error to show them. */
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED) &&
          !g_error_matches (error, KT_WEBAUTHN_ERROR, KT_WEBAUTHN_ERROR_CANCELLED))
        set_error (self, error);
      g_task_return_error (task, error);
    }
  g_object_unref (task);
}

gboolean
kt_mfa_controller_operation_finish (KtMfaController  *self,
                                    GAsyncResult     *result,
                                    GError          **error)
{
  g_return_val_if_fail (KT_IS_MFA_CONTROLLER (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

/* Deciding the step: Dynamic's rule, with the data each step needs fetched before it shows. */

static void
on_codes_for_step (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  GTask *task = user_data;
  KtMfaController *self = g_task_get_source_object (task);
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) codes = kt_api_client_get_recovery_codes_finish (KT_API_CLIENT (source), result,
                                                                 &error);

  if (codes == NULL)
    {
      /* The step is right even when the codes could not be fetched; the page offers a retry. */
      set_step (self, KT_MFA_STEP_RECOVERY_CODES);
      end_operation (self, task, g_steal_pointer (&error));
      return;
    }

  set_recovery_codes (self, codes);
  set_step (self, KT_MFA_STEP_RECOVERY_CODES);
  end_operation (self, task, NULL);
}

static void
on_passkeys_for_step (GObject      *source,
                      GAsyncResult *result,
                      gpointer      user_data)
{
  GTask *task = user_data;
  KtMfaController *self = g_task_get_source_object (task);
  g_autoptr(GError) error = NULL;
  g_autoptr(GListModel) passkeys = kt_api_client_list_passkeys_finish (KT_API_CLIENT (source),
                                                                      result, &error);

  if (passkeys == NULL)
    {
      end_operation (self, task, g_steal_pointer (&error));
      return;
    }

  set_passkeys (self, passkeys);
  set_step (self, kt_mfa_step_for_user (self->user, g_list_model_get_n_items (passkeys) > 0));
  end_operation (self, task, NULL);
}

/* Moves to the step @user is at, then ends the operation behind @task. */
static void
advance (KtMfaController *self,
         GTask           *task,
         KtUser          *user)
{
  KtMfaStep step;

  set_user (self, user);

  if (kt_mfa_step_needs_passkeys (user))
    {
      kt_api_client_list_passkeys_async (self->api, g_task_get_cancellable (task),
                                         on_passkeys_for_step, task);
      return;
    }

  step = kt_mfa_step_for_user (user, FALSE);
  if (step == KT_MFA_STEP_RECOVERY_CODES)
    kt_api_client_get_recovery_codes_async (self->api, g_task_get_cancellable (task),
                                            on_codes_for_step, task);
  else
    kt_api_client_list_passkeys_async (self->api, g_task_get_cancellable (task),
                                       on_passkeys_for_step, task);
}

/* restore */

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
          kt_api_client_set_access_token (self->api, NULL);
          set_step (self, KT_MFA_STEP_SIGNED_OUT);
          set_unchecked_session (self, TRUE);
        }
      end_operation (self, task, g_steal_pointer (&error));
      return;
    }

  set_unchecked_session (self, FALSE);
  set_email (self, kt_user_get_email (user));
  schedule_refresh (self);
  advance (self, task, user);
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
    kt_session_store_load_finish (KT_SESSION_STORE (source), result, &error);
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;

  if (session == NULL)
    {
      /* The store removed the unreadable item: later sign-ins are kept as usual. */
      if (g_error_matches (error, KT_SESSION_STORE_ERROR, KT_SESSION_STORE_ERROR_CORRUPT))
        {
          g_message ("%s", error->message);
          g_clear_error (&error);
        }
      else if (error != NULL && !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        {
          g_autofree char *reason =
            g_strdup_printf (_("Your sign-in will not be remembered after Keyturn closes. %s"),
                             error->message);
          set_remembered (self, FALSE, reason);
          g_clear_error (&error);
        }
      set_step (self, KT_MFA_STEP_SIGNED_OUT);
      end_operation (self, task, g_steal_pointer (&error));
      return;
    }

  if (session->expires_at > 0 && session->expires_at <= now)
    {
      drop_session (self);
      end_operation (self, task,
                     g_error_new_literal (KT_API_ERROR, KT_API_ERROR_UNAUTHORIZED,
                                          _("Your session has expired. Sign in again.")));
      return;
    }

  set_remembered (self, TRUE, NULL);
  kt_api_client_set_access_token (self->api, session->access_token);
  self->expires_at = session->expires_at;
  kt_api_client_get_user_async (self->api, g_task_get_cancellable (task), on_restored_user, task);
}

void
kt_mfa_controller_restore_async (KtMfaController     *self,
                                 GCancellable        *cancellable,
                                 GAsyncReadyCallback  callback,
                                 gpointer             user_data)
{
  GTask *task;

  g_return_if_fail (KT_IS_MFA_CONTROLLER (self));

  task = begin_operation (self, kt_mfa_controller_restore_async, cancellable, callback, user_data);
  if (task == NULL)
    return;

  set_step (self, KT_MFA_STEP_STARTING);
  kt_session_store_load_async (self->store, g_task_get_cancellable (task), on_session_loaded, task);
}

/* send_code / resend_code */

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
          self->resend_available_at = g_get_real_time () / G_USEC_PER_SEC + wait;
          g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_RESEND_AVAILABLE_AT]);
        }
      end_operation (self, task, g_steal_pointer (&error));
      return;
    }

  g_free (self->verification_uuid);
  self->verification_uuid = uuid;
  set_code_sent_at (self, g_get_real_time () / G_USEC_PER_SEC);
  set_unchecked_session (self, FALSE);
  set_step (self, KT_MFA_STEP_CODE_SENT);
  end_operation (self, task, NULL);
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

  task = begin_operation (self, kt_mfa_controller_send_code_async, cancellable, callback,
                          user_data);
  if (task == NULL)
    return;

  if (!email_looks_valid (trimmed))
    {
      end_operation (self, task,
                     g_error_new_literal (KT_MFA_CONTROLLER_ERROR,
                                          KT_MFA_CONTROLLER_ERROR_INVALID_INPUT,
                                          _("Enter an email address such as name@example.com.")));
      return;
    }

  set_email (self, trimmed);
  kt_api_client_create_email_verification_async (self->api, trimmed, g_task_get_cancellable (task),
                                                 on_code_sent, task);
}

void
kt_mfa_controller_resend_code_async (KtMfaController     *self,
                                     GCancellable        *cancellable,
                                     GAsyncReadyCallback  callback,
                                     gpointer             user_data)
{
  GTask *task;

  g_return_if_fail (KT_IS_MFA_CONTROLLER (self));

  task = begin_operation (self, kt_mfa_controller_resend_code_async, cancellable, callback,
                          user_data);
  if (task == NULL)
    return;

  if (self->email == NULL || self->verification_uuid == NULL)
    {
      end_operation (self, task,
                     g_error_new_literal (KT_MFA_CONTROLLER_ERROR,
                                          KT_MFA_CONTROLLER_ERROR_WRONG_STEP,
                                          _("No code has been sent yet.")));
      return;
    }

  kt_api_client_retry_email_verification_async (self->api, self->email, self->verification_uuid,
                                                g_task_get_cancellable (task), on_code_sent, task);
}

/* verify_code and use_recovery_code: both answer a VerifyResponse that moves the flow on */

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

  if (response == NULL)
    {
      end_operation (self, task, g_steal_pointer (&error));
      return;
    }

  if (tag == kt_mfa_controller_verify_code_async)
    g_clear_pointer (&self->verification_uuid, g_free);
  if (tag == kt_mfa_controller_acknowledge_recovery_codes_async)
    set_recovery_codes (self, NULL);

  apply_response (self, response);
  advance (self, task, kt_verify_response_get_user (response));
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

  task = begin_operation (self, kt_mfa_controller_verify_code_async, cancellable, callback,
                          user_data);
  if (task == NULL)
    return;

  if (self->verification_uuid == NULL)
    {
      end_operation (self, task,
                     g_error_new_literal (KT_MFA_CONTROLLER_ERROR,
                                          KT_MFA_CONTROLLER_ERROR_WRONG_STEP,
                                          _("No code has been sent yet.")));
      return;
    }
  if (digits == NULL || strlen (digits) != 6)
    {
      end_operation (self, task,
                     g_error_new_literal (KT_MFA_CONTROLLER_ERROR,
                                          KT_MFA_CONTROLLER_ERROR_INVALID_INPUT,
                                          _("The code has six digits.")));
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
  g_autofree char *trimmed = g_strstrip (g_strdup (code != NULL ? code : ""));
  GTask *task;

  g_return_if_fail (KT_IS_MFA_CONTROLLER (self));

  task = begin_operation (self, kt_mfa_controller_use_recovery_code_async, cancellable, callback,
                          user_data);
  if (task == NULL)
    return;

  if (*trimmed == '\0')
    {
      end_operation (self, task,
                     g_error_new_literal (KT_MFA_CONTROLLER_ERROR,
                                          KT_MFA_CONTROLLER_ERROR_INVALID_INPUT,
                                          _("Enter one of your recovery codes.")));
      return;
    }

  kt_api_client_authenticate_recovery_code_async (self->api, trimmed, TRUE,
                                                  g_task_get_cancellable (task), on_verified, task);
}

void
kt_mfa_controller_acknowledge_recovery_codes_async (KtMfaController     *self,
                                                    GCancellable        *cancellable,
                                                    GAsyncReadyCallback  callback,
                                                    gpointer             user_data)
{
  GTask *task;

  g_return_if_fail (KT_IS_MFA_CONTROLLER (self));

  task = begin_operation (self, kt_mfa_controller_acknowledge_recovery_codes_async, cancellable,
                          callback, user_data);
  if (task == NULL)
    return;

  kt_api_client_acknowledge_recovery_codes_async (self->api, g_task_get_cancellable (task),
                                                  on_verified, task);
}

/* Security-key ceremonies: options from the server, the key through the WebAuthn client, the
 * answer back to the server. */

typedef struct {
  char *alias;
  char *credential_id;
  KtUser *user;
  gboolean step_up;           /* a ceremony only to earn an MFA token, then retry a deletion */
} CeremonyData;

static void
ceremony_data_free (CeremonyData *data)
{
  g_free (data->alias);
  g_free (data->credential_id);
  g_clear_object (&data->user);
  g_free (data);
}

static void
on_new_passkey_named (GObject      *source,
                      GAsyncResult *result,
                      gpointer      user_data)
{
  GTask *task = user_data;
  KtMfaController *self = g_task_get_source_object (task);
  CeremonyData *data = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  g_autoptr(KtPasskey) renamed = kt_api_client_rename_passkey_finish (KT_API_CLIENT (source),
                                                                     result, &error);

  /* The token asked for at registration was for this call alone. */
  set_mfa_token (self, NULL);
  /* The key is registered either way; a name that did not stick is not worth stopping for. */
  if (renamed == NULL)
    g_message ("Could not name the new passkey: %s", error->message);
  advance (self, task, data->user);
}

static void
on_passkeys_after_registration (GObject      *source,
                                GAsyncResult *result,
                                gpointer      user_data)
{
  GTask *task = user_data;
  KtMfaController *self = g_task_get_source_object (task);
  CeremonyData *data = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  g_autoptr(GListModel) passkeys = kt_api_client_list_passkeys_finish (KT_API_CLIENT (source),
                                                                      result, &error);

  for (guint i = 0; passkeys != NULL && i < g_list_model_get_n_items (passkeys); i++)
    {
      g_autoptr(KtPasskey) passkey = g_list_model_get_item (passkeys, i);

      if (g_strcmp0 (kt_passkey_get_credential_id (passkey), data->credential_id) == 0)
        {
          kt_api_client_rename_passkey_async (self->api, kt_passkey_get_id (passkey), data->alias,
                                              g_task_get_cancellable (task),
                                              on_new_passkey_named, task);
          return;
        }
    }

  g_message ("The new passkey is not in the list; it keeps the server's name");
  advance (self, task, data->user);
}

static void
on_passkey_registered (GObject      *source,
                       GAsyncResult *result,
                       gpointer      user_data)
{
  GTask *task = user_data;
  KtMfaController *self = g_task_get_source_object (task);
  CeremonyData *data = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  g_autoptr(KtVerifyResponse) response =
    kt_api_client_register_passkey_finish (KT_API_CLIENT (source), result, &error);

  if (response == NULL)
    {
      end_operation (self, task, g_steal_pointer (&error));
      return;
    }

  apply_response (self, response);
  data->user = g_object_ref (kt_verify_response_get_user (response));

  if (data->alias != NULL)
    kt_api_client_list_passkeys_async (self->api, g_task_get_cancellable (task),
                                       on_passkeys_after_registration, task);
  else
    advance (self, task, data->user);
}

static void
on_key_registered (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  GTask *task = user_data;
  KtMfaController *self = g_task_get_source_object (task);
  CeremonyData *data = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) registration =
    kt_webauthn_client_register_finish (KT_WEBAUTHN_CLIENT (source), result, &error);

  if (registration == NULL)
    {
      end_operation (self, task, g_steal_pointer (&error));
      return;
    }

  data->credential_id = g_strdup (json_object_get_string_member_with_default (registration,
                                                                              "id", ""));
  /* A name is given to the new passkey by renaming it, which a server may guard with a fresh
   * second factor: the registration, which is one, earns the token that pays for it. */
  kt_api_client_register_passkey_async (self->api, registration, data->alias != NULL,
                                        g_task_get_cancellable (task), on_passkey_registered,
                                        task);
}

static void
on_registration_options (GObject      *source,
                         GAsyncResult *result,
                         gpointer      user_data)
{
  GTask *task = user_data;
  KtMfaController *self = g_task_get_source_object (task);
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) json = NULL;
  g_autoptr(KtCreationOptions) options = NULL;

  json = kt_api_client_get_passkey_registration_options_finish (KT_API_CLIENT (source), result,
                                                                &error);
  if (json != NULL)
    options = kt_creation_options_new_from_json (json, &error);
  if (options == NULL)
    {
      end_operation (self, task, g_steal_pointer (&error));
      return;
    }

  kt_webauthn_client_register_async (self->authenticator, options, g_task_get_cancellable (task),
                                     on_key_registered, task);
}

void
kt_mfa_controller_register_passkey_async (KtMfaController     *self,
                                          const char          *alias,
                                          GCancellable        *cancellable,
                                          GAsyncReadyCallback  callback,
                                          gpointer             user_data)
{
  g_autofree char *trimmed = g_strstrip (g_strdup (alias != NULL ? alias : ""));
  CeremonyData *data;
  GTask *task;

  g_return_if_fail (KT_IS_MFA_CONTROLLER (self));

  task = begin_operation (self, kt_mfa_controller_register_passkey_async, cancellable, callback,
                          user_data);
  if (task == NULL)
    return;

  if (g_utf8_strlen (trimmed, -1) > 64)
    {
      end_operation (self, task,
                     g_error_new_literal (KT_MFA_CONTROLLER_ERROR,
                                          KT_MFA_CONTROLLER_ERROR_INVALID_INPUT,
                                          _("A passkey's name needs 1 to 64 characters.")));
      return;
    }

  data = g_new0 (CeremonyData, 1);
  data->alias = *trimmed != '\0' ? g_steal_pointer (&trimmed) : NULL;
  g_task_set_task_data (task, data, (GDestroyNotify) ceremony_data_free);
  kt_api_client_get_passkey_registration_options_async (self->api, g_task_get_cancellable (task),
                                                        on_registration_options, task);
}

static void     delete_passkey_now       (KtMfaController *self,
                                          GTask           *task);
static void     on_codes_fetched         (GObject         *source,
                                          GAsyncResult    *result,
                                          gpointer         user_data);
static void     rename_passkey_now       (KtMfaController *self,
                                          GTask           *task);
static gboolean step_up_once             (KtMfaController *self,
                                          GTask           *task,
                                          const GError    *error);

static void
on_passkey_authenticated (GObject      *source,
                          GAsyncResult *result,
                          gpointer      user_data)
{
  GTask *task = user_data;
  KtMfaController *self = g_task_get_source_object (task);
  g_autoptr(GError) error = NULL;
  g_autoptr(KtVerifyResponse) response =
    kt_api_client_authenticate_passkey_finish (KT_API_CLIENT (source), result, &error);

  if (response == NULL)
    {
      end_operation (self, task, g_steal_pointer (&error));
      return;
    }

  apply_response (self, response);
  if (g_task_get_source_tag (task) == kt_mfa_controller_delete_passkey_async)
    delete_passkey_now (self, task);
  else if (g_task_get_source_tag (task) == kt_mfa_controller_rename_passkey_async)
    rename_passkey_now (self, task);
  else if (g_task_get_source_tag (task) == kt_mfa_controller_new_recovery_codes_async)
    kt_api_client_create_recovery_codes_async (self->api, g_task_get_cancellable (task),
                                               on_codes_fetched, task);
  else
    advance (self, task, kt_verify_response_get_user (response));
}

static void
on_key_authenticated (GObject      *source,
                      GAsyncResult *result,
                      gpointer      user_data)
{
  GTask *task = user_data;
  KtMfaController *self = g_task_get_source_object (task);
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) assertion =
    kt_webauthn_client_authenticate_finish (KT_WEBAUTHN_CLIENT (source), result, &error);

  if (assertion == NULL)
    {
      end_operation (self, task, g_steal_pointer (&error));
      return;
    }

  kt_api_client_authenticate_passkey_async (self->api, assertion, TRUE,
                                            g_task_get_cancellable (task),
                                            on_passkey_authenticated, task);
}

static void
on_authentication_options (GObject      *source,
                           GAsyncResult *result,
                           gpointer      user_data)
{
  GTask *task = user_data;
  KtMfaController *self = g_task_get_source_object (task);
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) json = NULL;
  g_autoptr(KtRequestOptions) options = NULL;

  json = kt_api_client_get_passkey_authentication_options_finish (KT_API_CLIENT (source), result,
                                                                  &error);
  if (json != NULL)
    options = kt_request_options_new_from_json (json, &error);
  if (options == NULL)
    {
      end_operation (self, task, g_steal_pointer (&error));
      return;
    }

  kt_webauthn_client_authenticate_async (self->authenticator, options,
                                         g_task_get_cancellable (task),
                                         on_key_authenticated, task);
}

/* Runs the authentication ceremony for the operation behind @task. */
static void
authenticate_with_key (KtMfaController *self,
                       GTask           *task)
{
  kt_api_client_get_passkey_authentication_options_async (self->api,
                                                          g_task_get_cancellable (task),
                                                          on_authentication_options, task);
}

void
kt_mfa_controller_authenticate_passkey_async (KtMfaController     *self,
                                              GCancellable        *cancellable,
                                              GAsyncReadyCallback  callback,
                                              gpointer             user_data)
{
  GTask *task;

  g_return_if_fail (KT_IS_MFA_CONTROLLER (self));

  task = begin_operation (self, kt_mfa_controller_authenticate_passkey_async, cancellable,
                          callback, user_data);
  if (task != NULL)
    authenticate_with_key (self, task);
}

/* Recovery codes */

static void
on_codes_fetched (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  GTask *task = user_data;
  KtMfaController *self = g_task_get_source_object (task);
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) codes = NULL;

  if (g_task_get_source_tag (task) == kt_mfa_controller_new_recovery_codes_async)
    codes = kt_api_client_create_recovery_codes_finish (KT_API_CLIENT (source), result, &error);
  else
    codes = kt_api_client_get_recovery_codes_finish (KT_API_CLIENT (source), result, &error);

  if (codes == NULL &&
      g_task_get_source_tag (task) == kt_mfa_controller_new_recovery_codes_async &&
      step_up_once (self, task, error))
    return;

  if (codes == NULL)
    {
      end_operation (self, task, g_steal_pointer (&error));
      return;
    }

  if (g_task_get_source_tag (task) == kt_mfa_controller_new_recovery_codes_async)
    set_mfa_token (self, NULL);
  set_recovery_codes (self, codes);
  end_operation (self, task, NULL);
}

void
kt_mfa_controller_fetch_recovery_codes_async (KtMfaController     *self,
                                              GCancellable        *cancellable,
                                              GAsyncReadyCallback  callback,
                                              gpointer             user_data)
{
  GTask *task;

  g_return_if_fail (KT_IS_MFA_CONTROLLER (self));

  task = begin_operation (self, kt_mfa_controller_fetch_recovery_codes_async, cancellable,
                          callback, user_data);
  if (task != NULL)
    kt_api_client_get_recovery_codes_async (self->api, g_task_get_cancellable (task),
                                            on_codes_fetched, task);
}

void
kt_mfa_controller_new_recovery_codes_async (KtMfaController     *self,
                                            GCancellable        *cancellable,
                                            GAsyncReadyCallback  callback,
                                            gpointer             user_data)
{
  GTask *task;

  g_return_if_fail (KT_IS_MFA_CONTROLLER (self));

  task = begin_operation (self, kt_mfa_controller_new_recovery_codes_async, cancellable,
                          callback, user_data);
  if (task != NULL)
    kt_api_client_create_recovery_codes_async (self->api, g_task_get_cancellable (task),
                                               on_codes_fetched, task);
}

/* Passkeys */

static void
on_passkeys_refreshed (GObject      *source,
                       GAsyncResult *result,
                       gpointer      user_data)
{
  GTask *task = user_data;
  KtMfaController *self = g_task_get_source_object (task);
  g_autoptr(GError) error = NULL;
  g_autoptr(GListModel) passkeys = kt_api_client_list_passkeys_finish (KT_API_CLIENT (source),
                                                                      result, &error);

  if (passkeys != NULL)
    set_passkeys (self, passkeys);
  end_operation (self, task, g_steal_pointer (&error));
}

void
kt_mfa_controller_refresh_passkeys_async (KtMfaController     *self,
                                          GCancellable        *cancellable,
                                          GAsyncReadyCallback  callback,
                                          gpointer             user_data)
{
  GTask *task;

  g_return_if_fail (KT_IS_MFA_CONTROLLER (self));

  task = begin_operation (self, kt_mfa_controller_refresh_passkeys_async, cancellable, callback,
                          user_data);
  if (task != NULL)
    kt_api_client_list_passkeys_async (self->api, g_task_get_cancellable (task),
                                       on_passkeys_refreshed, task);
}

static void
on_passkey_renamed (GObject      *source,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  GTask *task = user_data;
  KtMfaController *self = g_task_get_source_object (task);
  KtPasskey *passkey = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  g_autoptr(KtPasskey) renamed = kt_api_client_rename_passkey_finish (KT_API_CLIENT (source),
                                                                     result, &error);

  if (renamed == NULL)
    {
      if (step_up_once (self, task, error))
        return;
      end_operation (self, task, g_steal_pointer (&error));
      return;
    }

  /* The token, if one was held, was spent by this call. */
  set_mfa_token (self, NULL);
  if (g_strcmp0 (kt_passkey_get_id (renamed), kt_passkey_get_id (passkey)) == 0)
    kt_passkey_update_from (passkey, renamed);
  end_operation (self, task, NULL);
}

static void
rename_passkey_now (KtMfaController *self,
                    GTask           *task)
{
  KtPasskey *passkey = g_task_get_task_data (task);

  kt_api_client_rename_passkey_async (self->api, kt_passkey_get_id (passkey),
                                      g_object_get_data (G_OBJECT (task), "kt-alias"),
                                      g_task_get_cancellable (task), on_passkey_renamed, task);
}

void
kt_mfa_controller_rename_passkey_async (KtMfaController     *self,
                                        KtPasskey           *passkey,
                                        const char          *alias,
                                        GCancellable        *cancellable,
                                        GAsyncReadyCallback  callback,
                                        gpointer             user_data)
{
  g_autofree char *trimmed = g_strstrip (g_strdup (alias != NULL ? alias : ""));
  GTask *task;

  g_return_if_fail (KT_IS_MFA_CONTROLLER (self));
  g_return_if_fail (KT_IS_PASSKEY (passkey));

  task = begin_operation (self, kt_mfa_controller_rename_passkey_async, cancellable, callback,
                          user_data);
  if (task == NULL)
    return;

  if (*trimmed == '\0' || g_utf8_strlen (trimmed, -1) > 64)
    {
      end_operation (self, task,
                     g_error_new_literal (KT_MFA_CONTROLLER_ERROR,
                                          KT_MFA_CONTROLLER_ERROR_INVALID_INPUT,
                                          _("A passkey's name needs 1 to 64 characters.")));
      return;
    }

  g_task_set_task_data (task, g_object_ref (passkey), g_object_unref);
  g_object_set_data_full (G_OBJECT (task), "kt-alias", g_steal_pointer (&trimmed), g_free);
  rename_passkey_now (self, task);
}

/* The server asks for a fresh second factor before some actions (Dynamic's step-up). */
static gboolean
error_asks_for_step_up (const GError *error)
{
  const char *code = kt_api_error_get_server_code (error);

  return error != NULL && error->domain == KT_API_ERROR &&
         error->code == KT_API_ERROR_FORBIDDEN && code != NULL &&
         g_str_has_prefix (code, "mfa_token_");
}

/* Once per operation: touch the key for an MFA token, then the operation asks again. */
static gboolean
step_up_once (KtMfaController *self,
              GTask           *task,
              const GError    *error)
{
  if (!error_asks_for_step_up (error) ||
      g_object_get_data (G_OBJECT (task), "kt-stepped-up") != NULL)
    return FALSE;

  g_object_set_data (G_OBJECT (task), "kt-stepped-up", GINT_TO_POINTER (TRUE));
  set_mfa_token (self, NULL);
  authenticate_with_key (self, task);
  return TRUE;
}

static void
on_passkey_deleted (GObject      *source,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  GTask *task = user_data;
  KtMfaController *self = g_task_get_source_object (task);
  KtPasskey *passkey = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  guint position;

  if (!kt_api_client_delete_passkey_finish (KT_API_CLIENT (source), result, &error))
    {
      if (step_up_once (self, task, error))
        return;
      end_operation (self, task, g_steal_pointer (&error));
      return;
    }

  /* The token, if one was held, was spent by this call. */
  set_mfa_token (self, NULL);
  if (g_list_store_find (self->passkeys, passkey, &position))
    g_list_store_remove (self->passkeys, position);
  end_operation (self, task, NULL);
}

static void
delete_passkey_now (KtMfaController *self,
                    GTask           *task)
{
  KtPasskey *passkey = g_task_get_task_data (task);

  kt_api_client_delete_passkey_async (self->api, kt_passkey_get_id (passkey),
                                      g_task_get_cancellable (task), on_passkey_deleted, task);
}

void
kt_mfa_controller_delete_passkey_async (KtMfaController     *self,
                                        KtPasskey           *passkey,
                                        GCancellable        *cancellable,
                                        GAsyncReadyCallback  callback,
                                        gpointer             user_data)
{
  GTask *task;

  g_return_if_fail (KT_IS_MFA_CONTROLLER (self));
  g_return_if_fail (KT_IS_PASSKEY (passkey));

  task = begin_operation (self, kt_mfa_controller_delete_passkey_async, cancellable, callback,
                          user_data);
  if (task == NULL)
    return;

  g_task_set_task_data (task, g_object_ref (passkey), g_object_unref);
  delete_passkey_now (self, task);
}

/* Session upkeep */

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
      apply_response (self, response);
      set_user (self, kt_verify_response_get_user (response));
    }
  end_operation (self, task, g_steal_pointer (&error));
}

void
kt_mfa_controller_refresh_session_async (KtMfaController     *self,
                                         GCancellable        *cancellable,
                                         GAsyncReadyCallback  callback,
                                         gpointer             user_data)
{
  GTask *task;

  g_return_if_fail (KT_IS_MFA_CONTROLLER (self));

  task = begin_operation (self, kt_mfa_controller_refresh_session_async, cancellable, callback,
                          user_data);
  if (task != NULL)
    kt_api_client_refresh_async (self->api, g_task_get_cancellable (task), on_session_refreshed,
                                 task);
}

static void
on_revoked (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  GTask *task = user_data;
  KtMfaController *self = g_task_get_source_object (task);
  g_autoptr(GError) error = NULL;

  /* Signing out always succeeds here: the session is dropped even when the server could not be
   * told, and the reason is logged. */
  if (!kt_api_client_revoke_finish (KT_API_CLIENT (source), result, &error) &&
      !g_error_matches (error, KT_API_ERROR, KT_API_ERROR_UNAUTHORIZED))
    g_message ("Could not revoke the session on the server: %s", error->message);

  drop_session (self);
  end_operation (self, task, NULL);
}

void
kt_mfa_controller_sign_out_async (KtMfaController     *self,
                                  GCancellable        *cancellable,
                                  GAsyncReadyCallback  callback,
                                  gpointer             user_data)
{
  GTask *task;

  g_return_if_fail (KT_IS_MFA_CONTROLLER (self));

  task = begin_operation (self, kt_mfa_controller_sign_out_async, cancellable, callback,
                          user_data);
  if (task == NULL)
    return;

  if (!kt_api_client_has_access_token (self->api))
    {
      drop_session (self);
      end_operation (self, task, NULL);
      return;
    }

  kt_api_client_revoke_async (self->api, g_task_get_cancellable (task), on_revoked, task);
}

/* Step changes that need no server */

void
kt_mfa_controller_choose_recovery_code (KtMfaController *self)
{
  g_return_if_fail (KT_IS_MFA_CONTROLLER (self));

  if (self->step == KT_MFA_STEP_AUTHENTICATE_PASSKEY && !self->busy)
    {
      set_error (self, NULL);
      set_step (self, KT_MFA_STEP_USE_RECOVERY_CODE);
    }
}

void
kt_mfa_controller_choose_passkey (KtMfaController *self)
{
  g_return_if_fail (KT_IS_MFA_CONTROLLER (self));

  if (self->step == KT_MFA_STEP_USE_RECOVERY_CODE && !self->busy)
    {
      set_error (self, NULL);
      set_step (self, KT_MFA_STEP_AUTHENTICATE_PASSKEY);
    }
}

void
kt_mfa_controller_start_over (KtMfaController *self)
{
  g_return_if_fail (KT_IS_MFA_CONTROLLER (self));

  if (self->step != KT_MFA_STEP_CODE_SENT)
    return;
  kt_mfa_controller_cancel (self);
  g_clear_pointer (&self->verification_uuid, g_free);
  set_error (self, NULL);
  set_step (self, KT_MFA_STEP_SIGNED_OUT);
}

void
kt_mfa_controller_cancel (KtMfaController *self)
{
  g_return_if_fail (KT_IS_MFA_CONTROLLER (self));

  if (self->operation != NULL)
    g_cancellable_cancel (self->operation);
}

char *
kt_mfa_controller_take_mfa_token (KtMfaController *self)
{
  char *token;

  g_return_val_if_fail (KT_IS_MFA_CONTROLLER (self), NULL);

  token = g_strdup (self->mfa_token);
  set_mfa_token (self, NULL);
  return token;
}

/* Getters */

KtMfaStep
kt_mfa_controller_get_step (KtMfaController *self)
{
  g_return_val_if_fail (KT_IS_MFA_CONTROLLER (self), KT_MFA_STEP_SIGNED_OUT);
  return self->step;
}

gboolean
kt_mfa_controller_get_busy (KtMfaController *self)
{
  g_return_val_if_fail (KT_IS_MFA_CONTROLLER (self), FALSE);
  return self->busy;
}

KtUser *
kt_mfa_controller_get_user (KtMfaController *self)
{
  g_return_val_if_fail (KT_IS_MFA_CONTROLLER (self), NULL);
  return self->user;
}

const char *
kt_mfa_controller_get_email (KtMfaController *self)
{
  g_return_val_if_fail (KT_IS_MFA_CONTROLLER (self), NULL);
  return self->email;
}

GListModel *
kt_mfa_controller_get_passkeys (KtMfaController *self)
{
  g_return_val_if_fail (KT_IS_MFA_CONTROLLER (self), NULL);
  return G_LIST_MODEL (self->passkeys);
}

const char * const *
kt_mfa_controller_get_recovery_codes (KtMfaController *self)
{
  g_return_val_if_fail (KT_IS_MFA_CONTROLLER (self), NULL);
  return (const char * const *) self->recovery_codes;
}

const GError *
kt_mfa_controller_get_error (KtMfaController *self)
{
  g_return_val_if_fail (KT_IS_MFA_CONTROLLER (self), NULL);
  return self->error;
}

void
kt_mfa_controller_clear_error (KtMfaController *self)
{
  g_return_if_fail (KT_IS_MFA_CONTROLLER (self));
  set_error (self, NULL);
}

gboolean
kt_mfa_controller_get_remembered (KtMfaController *self)
{
  g_return_val_if_fail (KT_IS_MFA_CONTROLLER (self), FALSE);
  return self->remembered;
}

const char *
kt_mfa_controller_get_not_remembered_reason (KtMfaController *self)
{
  g_return_val_if_fail (KT_IS_MFA_CONTROLLER (self), NULL);
  return self->not_remembered_reason;
}

gboolean
kt_mfa_controller_get_has_mfa_token (KtMfaController *self)
{
  g_return_val_if_fail (KT_IS_MFA_CONTROLLER (self), FALSE);
  return self->mfa_token != NULL;
}

gint64
kt_mfa_controller_get_code_sent_at (KtMfaController *self)
{
  g_return_val_if_fail (KT_IS_MFA_CONTROLLER (self), 0);
  return self->code_sent_at;
}

gint64
kt_mfa_controller_get_resend_available_at (KtMfaController *self)
{
  g_return_val_if_fail (KT_IS_MFA_CONTROLLER (self), 0);
  return self->resend_available_at;
}

gboolean
kt_mfa_controller_get_saving (KtMfaController *self)
{
  g_return_val_if_fail (KT_IS_MFA_CONTROLLER (self), FALSE);
  return self->saving;
}

gboolean
kt_mfa_controller_get_unchecked_session (KtMfaController *self)
{
  g_return_val_if_fail (KT_IS_MFA_CONTROLLER (self), FALSE);
  return self->unchecked_session;
}

KtWebauthnState
kt_mfa_controller_get_authenticator_state (KtMfaController *self)
{
  g_return_val_if_fail (KT_IS_MFA_CONTROLLER (self), KT_WEBAUTHN_STATE_IDLE);
  return kt_webauthn_client_get_state (self->authenticator);
}

int
kt_mfa_controller_get_pin_retries (KtMfaController *self)
{
  g_return_val_if_fail (KT_IS_MFA_CONTROLLER (self), -1);
  return kt_webauthn_client_get_pin_retries (self->authenticator);
}

void
kt_mfa_controller_answer_pin (KtMfaController *self,
                              const char      *pin)
{
  g_return_if_fail (KT_IS_MFA_CONTROLLER (self));
  kt_webauthn_client_answer_pin (self->authenticator, pin);
}

void
kt_mfa_controller_decline_pin (KtMfaController *self)
{
  g_return_if_fail (KT_IS_MFA_CONTROLLER (self));
  kt_webauthn_client_decline_pin (self->authenticator);
}

static void
on_pin_set (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  GTask *task = user_data;
  KtMfaController *self = g_task_get_source_object (task);
  GError *error = NULL;

  kt_webauthn_client_set_pin_finish (KT_WEBAUTHN_CLIENT (source), result, &error);
  end_operation (self, task, error);
}

void
kt_mfa_controller_set_pin_async (KtMfaController     *self,
                                 const char          *pin,
                                 GCancellable        *cancellable,
                                 GAsyncReadyCallback  callback,
                                 gpointer             user_data)
{
  GTask *task;

  g_return_if_fail (KT_IS_MFA_CONTROLLER (self));
  g_return_if_fail (pin != NULL);

  task = begin_operation (self, kt_mfa_controller_set_pin_async, cancellable, callback,
                          user_data);
  if (task == NULL)
    return;

  kt_webauthn_client_set_pin_async (self->authenticator, pin, g_task_get_cancellable (task),
                                    on_pin_set, task);
}

/* GObject */

static void
kt_mfa_controller_dispose (GObject *object)
{
  KtMfaController *self = (KtMfaController *) object;

  g_cancellable_cancel (self->lifetime);
  if (self->refreshing != NULL)
    g_cancellable_cancel (self->refreshing);
  if (self->operation != NULL)
    g_cancellable_cancel (self->operation);
  g_clear_handle_id (&self->refresh_source, g_source_remove);
  g_clear_signal_handler (&self->unauthorized_handler, self->api);
  g_clear_signal_handler (&self->pin_handler, self->authenticator);
  g_clear_signal_handler (&self->state_handler, self->authenticator);
  g_clear_signal_handler (&self->retries_handler, self->authenticator);

  G_OBJECT_CLASS (kt_mfa_controller_parent_class)->dispose (object);
}

static void
kt_mfa_controller_finalize (GObject *object)
{
  KtMfaController *self = (KtMfaController *) object;

  g_clear_object (&self->api);
  g_clear_object (&self->store);
  g_clear_object (&self->authenticator);
  g_clear_object (&self->operation);
  g_clear_object (&self->lifetime);
  g_clear_object (&self->refreshing);
  g_clear_object (&self->user);
  g_clear_object (&self->passkeys);
  g_strfreev (self->recovery_codes);
  g_free (self->email);
  g_free (self->verification_uuid);
  kt_secret_free (self->mfa_token);
  g_free (self->not_remembered_reason);
  g_clear_error (&self->error);
  kt_stored_session_free (self->keyring_next);
  g_free (self->keyring_next_label);

  G_OBJECT_CLASS (kt_mfa_controller_parent_class)->finalize (object);
}

static void
kt_mfa_controller_get_property (GObject    *object,
                                guint       prop_id,
                                GValue     *value,
                                GParamSpec *pspec)
{
  KtMfaController *self = KT_MFA_CONTROLLER (object);

  switch (prop_id)
    {
    case PROP_STEP:
      g_value_set_enum (value, self->step);
      break;
    case PROP_BUSY:
      g_value_set_boolean (value, self->busy);
      break;
    case PROP_USER:
      g_value_set_object (value, self->user);
      break;
    case PROP_EMAIL:
      g_value_set_string (value, self->email);
      break;
    case PROP_PASSKEYS:
      g_value_set_object (value, self->passkeys);
      break;
    case PROP_RECOVERY_CODES:
      g_value_set_boxed (value, self->recovery_codes);
      break;
    case PROP_ERROR:
      g_value_set_boxed (value, self->error);
      break;
    case PROP_ERROR_MESSAGE:
      g_value_set_string (value, self->error != NULL ? self->error->message : NULL);
      break;
    case PROP_REMEMBERED:
      g_value_set_boolean (value, self->remembered);
      break;
    case PROP_NOT_REMEMBERED_REASON:
      g_value_set_string (value, self->not_remembered_reason);
      break;
    case PROP_HAS_MFA_TOKEN:
      g_value_set_boolean (value, self->mfa_token != NULL);
      break;
    case PROP_CODE_SENT_AT:
      g_value_set_int64 (value, self->code_sent_at);
      break;
    case PROP_RESEND_AVAILABLE_AT:
      g_value_set_int64 (value, self->resend_available_at);
      break;
    case PROP_UNCHECKED_SESSION:
      g_value_set_boolean (value, self->unchecked_session);
      break;
    case PROP_SAVING:
      g_value_set_boolean (value, self->saving);
      break;
    case PROP_AUTHENTICATOR_STATE:
      g_value_set_enum (value, kt_webauthn_client_get_state (self->authenticator));
      break;
    case PROP_PIN_RETRIES:
      g_value_set_int (value, kt_webauthn_client_get_pin_retries (self->authenticator));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
kt_mfa_controller_class_init (KtMfaControllerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  const GParamFlags flags = G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS;

  object_class->dispose = kt_mfa_controller_dispose;
  object_class->finalize = kt_mfa_controller_finalize;
  object_class->get_property = kt_mfa_controller_get_property;

  properties[PROP_STEP] =
    g_param_spec_enum ("step", NULL, NULL, KT_TYPE_MFA_STEP, KT_MFA_STEP_STARTING, flags);
  properties[PROP_BUSY] = g_param_spec_boolean ("busy", NULL, NULL, FALSE, flags);
  properties[PROP_USER] = g_param_spec_object ("user", NULL, NULL, KT_TYPE_USER, flags);
  properties[PROP_EMAIL] = g_param_spec_string ("email", NULL, NULL, NULL, flags);
  properties[PROP_PASSKEYS] =
    g_param_spec_object ("passkeys", NULL, NULL, G_TYPE_LIST_MODEL, flags);
  properties[PROP_RECOVERY_CODES] =
    g_param_spec_boxed ("recovery-codes", NULL, NULL, G_TYPE_STRV, flags);
  properties[PROP_ERROR] = g_param_spec_boxed ("error", NULL, NULL, G_TYPE_ERROR, flags);
  properties[PROP_ERROR_MESSAGE] =
    g_param_spec_string ("error-message", NULL, NULL, NULL, flags);
  properties[PROP_REMEMBERED] = g_param_spec_boolean ("remembered", NULL, NULL, FALSE, flags);
  properties[PROP_NOT_REMEMBERED_REASON] =
    g_param_spec_string ("not-remembered-reason", NULL, NULL, NULL, flags);
  properties[PROP_HAS_MFA_TOKEN] =
    g_param_spec_boolean ("has-mfa-token", NULL, NULL, FALSE, flags);
  properties[PROP_CODE_SENT_AT] =
    g_param_spec_int64 ("code-sent-at", NULL, NULL, 0, G_MAXINT64, 0, flags);
  /**
   * KtMfaController:resend-available-at:
   *
   * When (wall-clock seconds) the code can be sent again: the usual interval after the last
   * code, or later when the server has asked for a longer wait. 0 before any code.
   */
  properties[PROP_RESEND_AVAILABLE_AT] =
    g_param_spec_int64 ("resend-available-at", NULL, NULL, 0, G_MAXINT64, 0, flags);
  /**
   * KtMfaController:unchecked-session:
   *
   * A session kept in the keyring could not be checked because the server was out of reach;
   * kt_mfa_controller_restore_async() tries again. Signing in afresh replaces it.
   */
  properties[PROP_UNCHECKED_SESSION] =
    g_param_spec_boolean ("unchecked-session", NULL, NULL, FALSE, flags);
  /**
   * KtMfaController:saving:
   *
   * The keyring is being brought up to date with the session. Dropping the controller now
   * would cancel that: an application about to quit waits for this to become %FALSE.
   */
  properties[PROP_SAVING] = g_param_spec_boolean ("saving", NULL, NULL, FALSE, flags);

  properties[PROP_AUTHENTICATOR_STATE] =
    g_param_spec_enum ("authenticator-state", NULL, NULL, KT_TYPE_WEBAUTHN_STATE,
                       KT_WEBAUTHN_STATE_IDLE, flags);
  properties[PROP_PIN_RETRIES] =
    g_param_spec_int ("pin-retries", NULL, NULL, -1, G_MAXINT, -1, flags);

  g_object_class_install_properties (object_class, N_PROPS, properties);

  /**
   * KtMfaController::pin-requested:
   * @retries: PIN attempts left, or -1 when the key did not say
   *
   * The security key needs its PIN: answer with kt_mfa_controller_answer_pin() or
   * kt_mfa_controller_decline_pin().
   */
  signals[PIN_REQUESTED] = g_signal_new ("pin-requested", G_TYPE_FROM_CLASS (klass),
                                         G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                                         G_TYPE_NONE, 1, G_TYPE_INT);
}

static void
kt_mfa_controller_init (KtMfaController *self)
{
  self->step = KT_MFA_STEP_STARTING;
  self->passkeys = g_list_store_new (KT_TYPE_PASSKEY);
  self->lifetime = g_cancellable_new ();
}

static void
on_pin_requested (KtWebauthnClient *authenticator,
                  int               retries,
                  KtMfaController  *self)
{
  g_signal_emit (self, signals[PIN_REQUESTED], 0, retries);
}

static void
on_authenticator_notify (KtWebauthnClient *authenticator,
                         GParamSpec       *pspec,
                         KtMfaController  *self)
{
  if (g_strcmp0 (pspec->name, "state") == 0)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_AUTHENTICATOR_STATE]);
  else
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PIN_RETRIES]);
}

KtMfaController *
kt_mfa_controller_new (KtApiClient      *api,
                       KtSessionStore   *store,
                       KtWebauthnClient *authenticator)
{
  KtMfaController *self;

  g_return_val_if_fail (KT_IS_API_CLIENT (api), NULL);
  g_return_val_if_fail (KT_IS_SESSION_STORE (store), NULL);
  g_return_val_if_fail (KT_IS_WEBAUTHN_CLIENT (authenticator), NULL);

  self = g_object_new (KT_TYPE_MFA_CONTROLLER, NULL);
  self->api = g_object_ref (api);
  self->store = g_object_ref (store);
  self->authenticator = g_object_ref (authenticator);
  self->unauthorized_handler = g_signal_connect (api, "unauthorized",
                                                 G_CALLBACK (on_unauthorized), self);
  self->pin_handler = g_signal_connect (authenticator, "pin-requested",
                                        G_CALLBACK (on_pin_requested), self);
  self->state_handler = g_signal_connect (authenticator, "notify::state",
                                          G_CALLBACK (on_authenticator_notify), self);
  self->retries_handler = g_signal_connect (authenticator, "notify::pin-retries",
                                            G_CALLBACK (on_authenticator_notify), self);
  return self;
}
