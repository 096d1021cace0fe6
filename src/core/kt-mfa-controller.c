/* kt-mfa-controller.c: the controller object, its operations, the decision of the next step and
 * the step changes that need no server (see kt-mfa-controller-private.h for the other files)
 *
 * Copyright 2026 Keyturn developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "keyturn-flow"

#include "kt-mfa-controller-private.h"

#include <glib/gi18n-lib.h>

/* Dynamic's own sign-in form offers to send the code again after this long; a server that wants
 * a longer wait says so with a rate-limit answer, which then decides. */
#define KT_RESEND_INTERVAL_SECONDS 30

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
  SESSION_REFRESHED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

/* Properties, set only through these so each change notifies once */

void
kt_mfa_controller_set_step (KtMfaController *self,
                            KtMfaStep        step)
{
  if (self->step == step)
    return;
  g_debug ("step: %s", g_enum_get_value (g_type_class_peek (KT_TYPE_MFA_STEP), step)->value_nick);
  self->step = step;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STEP]);
}

void
kt_mfa_controller_set_unchecked_session (KtMfaController *self,
                                         gboolean         unchecked)
{
  if (self->unchecked_session == !!unchecked)
    return;
  self->unchecked_session = !!unchecked;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_UNCHECKED_SESSION]);
}

void
kt_mfa_controller_set_code_sent_at (KtMfaController *self,
                                    gint64           sent_at)
{
  self->code_sent_at = sent_at;
  self->resend_available_at = sent_at != 0 ? sent_at + KT_RESEND_INTERVAL_SECONDS : 0;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CODE_SENT_AT]);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_RESEND_AVAILABLE_AT]);
}

void
kt_mfa_controller_set_resend_available_at (KtMfaController *self,
                                           gint64           available_at)
{
  self->resend_available_at = available_at;
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

void
kt_mfa_controller_set_user (KtMfaController *self,
                            KtUser          *user)
{
  if (g_set_object (&self->user, user))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_USER]);
}

void
kt_mfa_controller_set_email (KtMfaController *self,
                             const char      *email)
{
  if (g_strcmp0 (self->email, email) == 0)
    return;
  g_free (self->email);
  self->email = g_strdup (email);
  kt_session_keeper_set_label (self->keeper, email);
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

void
kt_mfa_controller_set_recovery_codes (KtMfaController  *self,
                                      char            **codes)
{
  if (self->recovery_codes == NULL && codes == NULL)
    return;
  g_strfreev (self->recovery_codes);
  self->recovery_codes = g_strdupv (codes);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_RECOVERY_CODES]);
}

void
kt_mfa_controller_set_passkeys (KtMfaController *self,
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

void
kt_mfa_controller_drop_session (KtMfaController *self)
{
  kt_session_keeper_drop (self->keeper);
  g_clear_pointer (&self->verification_uuid, g_free);
  kt_mfa_controller_set_user (self, NULL);
  kt_mfa_controller_set_recovery_codes (self, NULL);
  kt_mfa_controller_set_passkeys (self, NULL);
  kt_mfa_controller_set_code_sent_at (self, 0);
  kt_mfa_controller_set_unchecked_session (self, FALSE);
  kt_mfa_controller_set_step (self, KT_MFA_STEP_SIGNED_OUT);
}

static void
on_unauthorized (KtApiClient     *api,
                 KtMfaController *self)
{
  g_debug ("The server ended the session");
  kt_mfa_controller_drop_session (self);
}

static void
on_keeper_refreshed (KtSessionKeeper *keeper,
                     KtUser          *user,
                     KtMfaController *self)
{
  kt_mfa_controller_set_user (self, user);
  g_signal_emit (self, signals[SESSION_REFRESHED], 0);
}

/* The keeper's state is the controller's to show: these properties are passed on by name. */
static void
on_keeper_notify (KtSessionKeeper *keeper,
                  GParamSpec      *pspec,
                  KtMfaController *self)
{
  g_object_notify (G_OBJECT (self), pspec->name);
}

/* The keeper's keyring writes and refreshes keep the controller alive until they end, as they
 * did when they were its own: a caller that drops the controller lets them finish. */
static void
on_keeper_working (KtSessionKeeper *keeper,
                   GParamSpec      *pspec,
                   KtMfaController *self)
{
  if (kt_session_keeper_get_working (keeper))
    g_object_ref (self);
  else
    g_object_unref (self);
}

/* Operations */

static void
on_caller_cancelled (GCancellable *cancellable,
                     gpointer      user_data)
{
  g_cancellable_cancel (G_CANCELLABLE (user_data));
}

GTask *
kt_mfa_controller_begin_operation (KtMfaController     *self,
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
      g_task_return_new_error (task, KT_MFA_CONTROLLER_ERROR, KT_MFA_CONTROLLER_ERROR_BUSY,
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

void
kt_mfa_controller_start (KtMfaController     *self,
                         gpointer             source_tag,
                         KtMfaControllerNext  first_step,
                         GCancellable        *cancellable,
                         GAsyncReadyCallback  callback,
                         gpointer             user_data)
{
  GTask *task = kt_mfa_controller_begin_operation (self, source_tag, cancellable, callback,
                                                   user_data);

  if (task != NULL)
    first_step (self, task);
}

void
kt_mfa_controller_end_operation (KtMfaController *self,
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

  /* The key's own word for a ceremony the caller cancelled is GIO's, as the header promises;
   * a PIN the person declined stays the key's. */
  if (g_error_matches (error, KT_WEBAUTHN_ERROR, KT_WEBAUTHN_ERROR_CANCELLED) &&
      g_cancellable_is_cancelled (g_task_get_cancellable (task)))
    {
      GError *cancelled = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CANCELLED, error->message);

      g_error_free (error);
      error = cancelled;
    }

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
kt_mfa_controller_end_on_failure (KtMfaController  *self,
                                  GTask            *task,
                                  gboolean          succeeded,
                                  GError          **error)
{
  if (succeeded)
    return FALSE;
  kt_mfa_controller_end_operation (self, task, g_steal_pointer (error));
  return TRUE;
}

void
kt_mfa_controller_refuse (KtMfaController      *self,
                          GTask                *task,
                          KtMfaControllerError  code,
                          const char           *message)
{
  kt_mfa_controller_end_operation (self, task,
                                   g_error_new_literal (KT_MFA_CONTROLLER_ERROR, code, message));
}

gboolean
kt_mfa_controller_refuse_missing_code (KtMfaController *self,
                                       GTask           *task,
                                       const char      *code)
{
  if (*code != '\0')
    return FALSE;

  kt_mfa_controller_refuse (self, task, KT_MFA_CONTROLLER_ERROR_INVALID_INPUT,
                            _("Enter one of your recovery codes."));
  return TRUE;
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

  if (codes != NULL)
    kt_mfa_controller_set_recovery_codes (self, codes);
  /* The step is right even when the codes could not be fetched; the page offers a retry. */
  kt_mfa_controller_set_step (self, KT_MFA_STEP_RECOVERY_CODES);
  kt_mfa_controller_end_operation (self, task, g_steal_pointer (&error));
}

static void
show_step_with_passkeys (KtMfaController *self,
                         GTask           *task,
                         GListModel      *passkeys)
{
  kt_mfa_controller_set_passkeys (self, passkeys);
  kt_mfa_controller_set_step (self, kt_mfa_step_for_user (self->user, g_list_model_get_n_items (passkeys) > 0));
  kt_mfa_controller_end_operation (self, task, NULL);
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

  if (kt_mfa_controller_end_on_failure (self, task, passkeys != NULL, &error))
    return;

  show_step_with_passkeys (self, task, passkeys);
}

void
kt_mfa_controller_advance (KtMfaController *self,
                           GTask           *task,
                           KtUser          *user,
                           GListModel      *passkeys)
{
  kt_mfa_controller_set_user (self, user);

  /* The recovery codes come first, unless the user's step hangs on their passkeys. */
  if (!kt_mfa_step_needs_passkeys (user) &&
      kt_mfa_step_for_user (user, FALSE) == KT_MFA_STEP_RECOVERY_CODES)
    kt_api_client_get_recovery_codes_async (self->api, g_task_get_cancellable (task),
                                            on_codes_for_step, task);
  else if (passkeys != NULL)
    show_step_with_passkeys (self, task, passkeys);
  else
    kt_api_client_list_passkeys_async (self->api, g_task_get_cancellable (task),
                                       on_passkeys_for_step, task);
}

/* Step changes that need no server */

void
kt_mfa_controller_choose_recovery_code (KtMfaController *self)
{
  g_return_if_fail (KT_IS_MFA_CONTROLLER (self));

  if (self->step == KT_MFA_STEP_AUTHENTICATE_PASSKEY && !self->busy)
    {
      set_error (self, NULL);
      kt_mfa_controller_set_step (self, KT_MFA_STEP_USE_RECOVERY_CODE);
    }
}

void
kt_mfa_controller_choose_passkey (KtMfaController *self)
{
  g_return_if_fail (KT_IS_MFA_CONTROLLER (self));

  if (self->step == KT_MFA_STEP_USE_RECOVERY_CODE && !self->busy)
    {
      set_error (self, NULL);
      kt_mfa_controller_set_step (self, KT_MFA_STEP_AUTHENTICATE_PASSKEY);
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
  kt_mfa_controller_set_step (self, KT_MFA_STEP_SIGNED_OUT);
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
  g_return_val_if_fail (KT_IS_MFA_CONTROLLER (self), NULL);
  return kt_session_keeper_take_mfa_token (self->keeper);
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
  return kt_session_keeper_get_remembered (self->keeper);
}

const char *
kt_mfa_controller_get_not_remembered_reason (KtMfaController *self)
{
  g_return_val_if_fail (KT_IS_MFA_CONTROLLER (self), NULL);
  return kt_session_keeper_get_not_remembered_reason (self->keeper);
}

gboolean
kt_mfa_controller_get_has_mfa_token (KtMfaController *self)
{
  g_return_val_if_fail (KT_IS_MFA_CONTROLLER (self), FALSE);
  return kt_session_keeper_get_has_mfa_token (self->keeper);
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
  return kt_session_keeper_get_saving (self->keeper);
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

/* GObject */

static void
kt_mfa_controller_dispose (GObject *object)
{
  KtMfaController *self = (KtMfaController *) object;

  /* The refresh timer, and any work the keeper still has on its way, end with the controller. */
  if (self->keeper != NULL)
    {
      g_signal_handlers_disconnect_by_data (self->keeper, self);
      kt_session_keeper_stop (self->keeper);
    }
  if (self->operation != NULL)
    g_cancellable_cancel (self->operation);
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

  g_clear_object (&self->keeper);
  g_clear_object (&self->api);
  g_clear_object (&self->authenticator);
  g_clear_object (&self->operation);
  g_clear_object (&self->user);
  g_clear_object (&self->passkeys);
  g_strfreev (self->recovery_codes);
  g_free (self->email);
  g_free (self->verification_uuid);
  g_clear_error (&self->error);

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
      g_value_set_boolean (value, kt_session_keeper_get_remembered (self->keeper));
      break;
    case PROP_NOT_REMEMBERED_REASON:
      g_value_set_string (value, kt_session_keeper_get_not_remembered_reason (self->keeper));
      break;
    case PROP_HAS_MFA_TOKEN:
      g_value_set_boolean (value, kt_session_keeper_get_has_mfa_token (self->keeper));
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
      g_value_set_boolean (value, kt_session_keeper_get_saving (self->keeper));
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

  /**
   * KtMfaController::session-refreshed:
   *
   * The background refresh renewed the session's tokens: kt_mfa_controller_dup_access_token()
   * now gives the new access token. Nothing here carries it.
   */
  signals[SESSION_REFRESHED] = g_signal_new ("session-refreshed", G_TYPE_FROM_CLASS (klass),
                                             G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                                             G_TYPE_NONE, 0);
}

static void
kt_mfa_controller_init (KtMfaController *self)
{
  self->step = KT_MFA_STEP_STARTING;
  self->passkeys = g_list_store_new (KT_TYPE_PASSKEY);
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
  static const char * const forwarded[] = {
    "notify::remembered", "notify::not-remembered-reason", "notify::saving",
    "notify::has-mfa-token",
  };
  KtMfaController *self;

  g_return_val_if_fail (KT_IS_API_CLIENT (api), NULL);
  g_return_val_if_fail (KT_IS_SESSION_STORE (store), NULL);
  g_return_val_if_fail (KT_IS_WEBAUTHN_CLIENT (authenticator), NULL);

  self = g_object_new (KT_TYPE_MFA_CONTROLLER, NULL);
  self->api = g_object_ref (api);
  self->authenticator = g_object_ref (authenticator);
  self->keeper = kt_session_keeper_new (api, store);
  g_signal_connect (self->keeper, "refreshed", G_CALLBACK (on_keeper_refreshed), self);
  g_signal_connect (self->keeper, "notify::working", G_CALLBACK (on_keeper_working), self);
  for (guint i = 0; i < G_N_ELEMENTS (forwarded); i++)
    g_signal_connect (self->keeper, forwarded[i], G_CALLBACK (on_keeper_notify), self);
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
