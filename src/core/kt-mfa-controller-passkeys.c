/* kt-mfa-controller-passkeys.c: the controller's security-key work: registering a passkey,
 * proving the second factor with one, the step-up some actions need, and the key's first PIN
 *
 * Copyright 2026 Keyturn developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "keyturn-flow"

#include "kt-mfa-controller-private.h"

#include <glib/gi18n-lib.h>
#include <string.h>

/* Security-key ceremonies: options from the server, the key through the WebAuthn client, the
 * answer back to the server. */

typedef struct {
  char *alias;
  const char *elevated_scope; /* credential:link when a signed-in user adds a key */
  char *credential_id;
  KtUser *user;
  GListModel *passkeys;       /* the list fetched to find the new passkey, kept for the step */
  KtPasskey *named;           /* the new passkey in it */
} CeremonyData;

static void
ceremony_data_free (CeremonyData *data)
{
  g_free (data->alias);
  g_free (data->credential_id);
  g_clear_object (&data->user);
  g_clear_object (&data->passkeys);
  g_clear_object (&data->named);
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
  kt_session_keeper_clear_mfa_token (self->keeper);
  /* The key is registered either way; a name that did not stick is not worth stopping for. */
  if (renamed == NULL)
    g_message ("Could not name the new passkey: %s", error->message);
  else if (g_strcmp0 (kt_passkey_get_id (renamed), kt_passkey_get_id (data->named)) == 0)
    kt_passkey_update_from (data->named, renamed);
  /* The list fetched to find the passkey serves the next step: no second request. */
  kt_mfa_controller_advance (self, task, data->user, data->passkeys);
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

  data->passkeys = kt_api_client_list_passkeys_finish (KT_API_CLIENT (source), result, &error);
  for (guint i = 0; data->passkeys != NULL && i < g_list_model_get_n_items (data->passkeys); i++)
    {
      g_autoptr(KtPasskey) passkey = g_list_model_get_item (data->passkeys, i);

      if (g_strcmp0 (kt_passkey_get_credential_id (passkey), data->credential_id) == 0)
        {
          data->named = g_steal_pointer (&passkey);
          kt_api_client_rename_passkey_async (self->api, kt_passkey_get_id (data->named),
                                              data->alias, g_task_get_cancellable (task),
                                              on_new_passkey_named, task);
          return;
        }
    }

  g_message ("The new passkey is not in the list; it keeps the server's name");
  kt_mfa_controller_advance (self, task, data->user, data->passkeys);
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

  if (kt_mfa_controller_end_on_failure (self, task, response != NULL, &error))
    return;

  kt_session_keeper_apply (self->keeper, response);
  data->user = g_object_ref (kt_verify_response_get_user (response));

  if (data->alias != NULL)
    kt_api_client_list_passkeys_async (self->api, g_task_get_cancellable (task),
                                       on_passkeys_after_registration, task);
  else
    kt_mfa_controller_advance (self, task, data->user, NULL);
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

  if (kt_mfa_controller_end_on_failure (self, task, registration != NULL, &error))
    return;

  data->credential_id = g_strdup (json_object_get_string_member_with_default (registration,
                                                                              "id", ""));
  /* A name is given to the new passkey by renaming it, which a legacy server may guard with a
   * fresh second factor: the registration, which is one, earns the token that pays for it. */
  kt_api_client_register_passkey_async (self->api, registration,
                                        data->alias != NULL && !self->scoped_step_up,
                                        data->elevated_scope, g_task_get_cancellable (task),
                                        on_passkey_registered, task);
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
  if (kt_mfa_controller_end_on_failure (self, task, options != NULL, &error))
    return;

  kt_webauthn_client_register_async (self->authenticator, options, g_task_get_cancellable (task),
                                     on_key_registered, task);
}

static void
start_registration (KtMfaController *self,
                    GTask           *task)
{
  kt_api_client_get_passkey_registration_options_async (self->api, g_task_get_cancellable (task),
                                                        on_registration_options, task);
}

/* Begins a registration, or answers the task and returns NULL when @alias cannot be a name. */
static GTask *
begin_registration (KtMfaController     *self,
                    gpointer             source_tag,
                    const char          *alias,
                    gboolean             name_required,
                    GCancellable        *cancellable,
                    GAsyncReadyCallback  callback,
                    gpointer             user_data)
{
  g_autofree char *trimmed = g_strstrip (g_strdup (alias != NULL ? alias : ""));
  CeremonyData *data;
  GTask *task;

  task = kt_mfa_controller_begin_operation (self, source_tag, cancellable, callback, user_data);
  if (task == NULL)
    return NULL;

  if (g_utf8_strlen (trimmed, -1) > 64 || (name_required && *trimmed == '\0'))
    {
      kt_mfa_controller_refuse (self, task, KT_MFA_CONTROLLER_ERROR_INVALID_INPUT,
                                _("A passkey's name needs 1 to 64 characters."));
      return NULL;
    }

  data = g_new0 (CeremonyData, 1);
  data->alias = *trimmed != '\0' ? g_steal_pointer (&trimmed) : NULL;
  g_task_set_task_data (task, data, (GDestroyNotify) ceremony_data_free);
  return task;
}

void
kt_mfa_controller_register_passkey_async (KtMfaController     *self,
                                          const char          *alias,
                                          GCancellable        *cancellable,
                                          GAsyncReadyCallback  callback,
                                          gpointer             user_data)
{
  GTask *task;

  g_return_if_fail (KT_IS_MFA_CONTROLLER (self));

  task = begin_registration (self, kt_mfa_controller_register_passkey_async, alias, FALSE,
                             cancellable, callback, user_data);
  if (task != NULL)
    start_registration (self, task);
}

void
kt_mfa_controller_add_passkey_async (KtMfaController     *self,
                                     const char          *alias,
                                     GCancellable        *cancellable,
                                     GAsyncReadyCallback  callback,
                                     gpointer             user_data)
{
  CeremonyData *data;
  GTask *task;

  g_return_if_fail (KT_IS_MFA_CONTROLLER (self));

  task = begin_registration (self, kt_mfa_controller_add_passkey_async, alias, TRUE,
                             cancellable, callback, user_data);
  if (task == NULL)
    return;

  if (self->step != KT_MFA_STEP_SIGNED_IN)
    {
      kt_mfa_controller_refuse (self, task, KT_MFA_CONTROLLER_ERROR_WRONG_STEP,
                                _("Sign in before adding another security key."));
      return;
    }

  data = g_task_get_task_data (task);
  data->elevated_scope = KT_SCOPE_CREDENTIAL_LINK;
  kt_mfa_controller_step_up (self, task, KT_SCOPE_CREDENTIAL_LINK, start_registration);
}

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
  KtMfaControllerNext next = (KtMfaControllerNext) g_object_get_data (G_OBJECT (task),
                                                                      "kt-step-up-next");

  if (kt_mfa_controller_end_on_failure (self, task, response != NULL, &error))
    return;

  kt_session_keeper_apply (self->keeper, response);
  /* A step-up goes back to the action that asked for it; signing in moves the flow on. */
  if (next != NULL)
    next (self, task);
  else
    kt_mfa_controller_advance (self, task, kt_verify_response_get_user (response), NULL);
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
  const char *scope = g_object_get_data (G_OBJECT (task), "kt-step-up-scope");

  if (kt_mfa_controller_end_on_failure (self, task, assertion != NULL, &error))
    return;

  /* A scoped step-up asks for an elevated token; signing in and the legacy step-up for the
   * single-use MFA token, as the seed's authenticatePasskeyMFA does. */
  kt_api_client_authenticate_passkey_async (self->api, assertion, scope == NULL, scope,
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
  if (kt_mfa_controller_end_on_failure (self, task, options != NULL, &error))
    return;

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

  task = kt_mfa_controller_begin_operation (self, kt_mfa_controller_authenticate_passkey_async,
                                            cancellable, callback, user_data);
  if (task != NULL)
    authenticate_with_key (self, task);
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

gboolean
kt_mfa_controller_step_up_once (KtMfaController     *self,
                                GTask               *task,
                                const GError        *error,
                                KtMfaControllerNext  next)
{
  if (!error_asks_for_step_up (error) ||
      g_object_get_data (G_OBJECT (task), "kt-step-up-next") != NULL)
    return FALSE;

  g_object_set_data (G_OBJECT (task), "kt-step-up-next", (gpointer) next);
  kt_session_keeper_clear_mfa_token (self->keeper);
  authenticate_with_key (self, task);
  return TRUE;
}

/* Step-up with elevated access tokens (API version 2026_04_01) */

/* Dynamic's ProjectSettings.sdk.minApiVersion: "2026_04_01" and later enforce step-up with
 * scoped tokens; "2026_01_01", or no version at all, is the legacy MFA token. */
static gboolean
settings_enforce_scoped_step_up (JsonObject *settings)
{
  JsonObject *sdk = NULL;
  const char *version = NULL;

  if (json_object_has_member (settings, "sdk") &&
      JSON_NODE_HOLDS_OBJECT (json_object_get_member (settings, "sdk")))
    sdk = json_object_get_object_member (settings, "sdk");
  if (sdk != NULL && json_object_has_member (sdk, "minApiVersion") &&
      JSON_NODE_HOLDS_VALUE (json_object_get_member (sdk, "minApiVersion")) &&
      json_node_get_value_type (json_object_get_member (sdk, "minApiVersion")) == G_TYPE_STRING)
    version = json_object_get_string_member (sdk, "minApiVersion");

  /* The versions are dates written YYYY_MM_DD, so they sort as strings. */
  return version != NULL && strlen (version) == 10 && strcmp (version, "2026_04_01") >= 0;
}

static void
on_settings_for_version (GObject      *source,
                         GAsyncResult *result,
                         gpointer      user_data)
{
  GTask *task = user_data;
  KtMfaController *self = g_task_get_source_object (task);
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) settings = kt_api_client_get_settings_finish (KT_API_CLIENT (source),
                                                                      result, &error);
  KtMfaControllerNext next = (KtMfaControllerNext) g_object_get_data (G_OBJECT (task),
                                                                      "kt-version-next");

  if (kt_mfa_controller_end_on_failure (self, task, settings != NULL, &error))
    return;

  self->api_version_known = TRUE;
  self->scoped_step_up = settings_enforce_scoped_step_up (settings);
  g_debug ("The environment uses %s", self->scoped_step_up ? "elevated access tokens"
                                                           : "the legacy MFA token");
  next (self, task);
}

/* Calls @next once the environment's API version is known: its settings are read once. */
static void
with_api_version (KtMfaController     *self,
                  GTask               *task,
                  KtMfaControllerNext  next)
{
  if (self->api_version_known)
    {
      next (self, task);
      return;
    }
  g_object_set_data (G_OBJECT (task), "kt-version-next", (gpointer) next);
  kt_api_client_get_settings_async (self->api, g_task_get_cancellable (task),
                                    on_settings_for_version, task);
}

static void
on_step_up_checked (GObject      *source,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  GTask *task = user_data;
  KtMfaController *self = g_task_get_source_object (task);
  g_autoptr(GError) error = NULL;
  KtMfaControllerNext next = (KtMfaControllerNext) g_object_get_data (G_OBJECT (task),
                                                                      "kt-step-up-next");
  gboolean required = TRUE;

  if (!kt_api_client_check_step_up_finish (KT_API_CLIENT (source), result, &required, &error))
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED) ||
          g_error_matches (error, KT_API_ERROR, KT_API_ERROR_UNAUTHORIZED))
        {
          kt_mfa_controller_end_operation (self, task, g_steal_pointer (&error));
          return;
        }
      /* As Dynamic's client does: a check that failed counts as "required". */
      g_debug ("The step-up check failed (%s); asking for the key", error->message);
      required = TRUE;
    }

  if (!required)
    {
      g_object_set_data (G_OBJECT (task), "kt-step-up-next", NULL);
      g_object_set_data (G_OBJECT (task), "kt-step-up-scope", NULL);
      next (self, task);
      return;
    }
  authenticate_with_key (self, task);
}

static void
step_up_with_version (KtMfaController *self,
                      GTask           *task)
{
  KtMfaControllerNext next = (KtMfaControllerNext) g_object_get_data (G_OBJECT (task),
                                                                      "kt-step-up-next");
  const char *scope = g_object_get_data (G_OBJECT (task), "kt-step-up-scope");

  /* A token held for the scope spares both the check and the key, until it expires. */
  if (!self->scoped_step_up || kt_api_client_has_elevated_token (self->api, scope))
    {
      g_object_set_data (G_OBJECT (task), "kt-step-up-next", NULL);
      g_object_set_data (G_OBJECT (task), "kt-step-up-scope", NULL);
      next (self, task);
      return;
    }

  kt_api_client_check_step_up_async (self->api, scope, g_task_get_cancellable (task),
                                     on_step_up_checked, task);
}

void
kt_mfa_controller_step_up (KtMfaController     *self,
                           GTask               *task,
                           const char          *scope,
                           KtMfaControllerNext  next)
{
  g_object_set_data (G_OBJECT (task), "kt-step-up-next", (gpointer) next);
  g_object_set_data (G_OBJECT (task), "kt-step-up-scope", (gpointer) scope);
  with_api_version (self, task, step_up_with_version);
}

static void
end_stepped_up (KtMfaController *self,
                GTask           *task)
{
  kt_mfa_controller_end_operation (self, task, NULL);
}

void
kt_mfa_controller_step_up_async (KtMfaController     *self,
                                 const char          *scope,
                                 GCancellable        *cancellable,
                                 GAsyncReadyCallback  callback,
                                 gpointer             user_data)
{
  GTask *task;

  g_return_if_fail (KT_IS_MFA_CONTROLLER (self));
  g_return_if_fail (scope != NULL);

  task = kt_mfa_controller_begin_operation (self, kt_mfa_controller_step_up_async, cancellable,
                                            callback, user_data);
  if (task == NULL)
    return;
  g_object_set_data_full (G_OBJECT (task), "kt-scope-copy", g_strdup (scope), g_free);
  kt_mfa_controller_step_up (self, task, g_object_get_data (G_OBJECT (task), "kt-scope-copy"),
                             end_stepped_up);
}

/* A recovery code in place of the key: earns the token for @scope and ends, and the action
 * asked again then finds it held. */
static void
on_recovery_code_stepped_up (GObject      *source,
                             GAsyncResult *result,
                             gpointer      user_data)
{
  GTask *task = user_data;
  KtMfaController *self = g_task_get_source_object (task);
  g_autoptr(GError) error = NULL;
  g_autoptr(KtVerifyResponse) response =
    kt_api_client_authenticate_recovery_code_finish (KT_API_CLIENT (source), result, &error);

  if (kt_mfa_controller_end_on_failure (self, task, response != NULL, &error))
    return;

  kt_session_keeper_apply (self->keeper, response);
  kt_mfa_controller_end_operation (self, task, NULL);
}

static void
step_up_with_recovery_code_now (KtMfaController *self,
                                GTask           *task)
{
  const char *scope = g_object_get_data (G_OBJECT (task), "kt-recovery-scope");

  kt_api_client_authenticate_recovery_code_async (self->api, g_task_get_task_data (task),
                                                  !self->scoped_step_up,
                                                  self->scoped_step_up ? scope : NULL,
                                                  g_task_get_cancellable (task),
                                                  on_recovery_code_stepped_up, task);
}

void
kt_mfa_controller_step_up_with_recovery_code_async (KtMfaController     *self,
                                                    const char          *scope,
                                                    const char          *code,
                                                    GCancellable        *cancellable,
                                                    GAsyncReadyCallback  callback,
                                                    gpointer             user_data)
{
  g_autofree char *trimmed = g_strstrip (g_strdup (code != NULL ? code : ""));
  GTask *task;

  g_return_if_fail (KT_IS_MFA_CONTROLLER (self));
  g_return_if_fail (scope != NULL);

  task = kt_mfa_controller_begin_operation (self,
                                            kt_mfa_controller_step_up_with_recovery_code_async,
                                            cancellable, callback, user_data);
  if (task == NULL)
    return;

  if (*trimmed == '\0')
    {
      kt_mfa_controller_refuse (self, task, KT_MFA_CONTROLLER_ERROR_INVALID_INPUT,
                                _("Enter one of your recovery codes."));
      return;
    }

  g_task_set_task_data (task, g_steal_pointer (&trimmed), (GDestroyNotify) kt_secret_free);
  g_object_set_data_full (G_OBJECT (task), "kt-recovery-scope", g_strdup (scope), g_free);
  /* The version decides what the code is asked to earn. */
  with_api_version (self, task, step_up_with_recovery_code_now);
}

/* The key's PIN */

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
  kt_mfa_controller_end_operation (self, task, error);
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

  task = kt_mfa_controller_begin_operation (self, kt_mfa_controller_set_pin_async, cancellable,
                                            callback, user_data);
  if (task == NULL)
    return;

  kt_webauthn_client_set_pin_async (self->authenticator, pin, g_task_get_cancellable (task),
                                    on_pin_set, task);
}
