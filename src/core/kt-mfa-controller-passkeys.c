/* kt-mfa-controller-passkeys.c: the controller's security-key work: registering a passkey,
 * proving the second factor with one, and the key's first PIN
 *
 * Copyright 2026 Keyturn developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "keyturn-flow"

#include "kt-mfa-controller-private.h"

#include <glib/gi18n-lib.h>

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

void
kt_mfa_controller_start_registration (KtMfaController *self,
                                      GTask           *task)
{
  kt_api_client_get_passkey_registration_options_async (self->api, g_task_get_cancellable (task),
                                                        on_registration_options, task);
}

gboolean
kt_mfa_controller_refuse_bad_name (KtMfaController *self,
                                   GTask           *task,
                                   const char      *name,
                                   gboolean         required)
{
  if (g_utf8_strlen (name, -1) <= 64 && (!required || *name != '\0'))
    return FALSE;

  kt_mfa_controller_refuse (self, task, KT_MFA_CONTROLLER_ERROR_INVALID_INPUT,
                            _("A passkey's name needs 1 to 64 characters."));
  return TRUE;
}

GTask *
kt_mfa_controller_begin_registration (KtMfaController     *self,
                                      gpointer             source_tag,
                                      const char          *alias,
                                      gboolean             name_required,
                                      const char          *elevated_scope,
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

  if (kt_mfa_controller_refuse_bad_name (self, task, trimmed, name_required))
    return NULL;

  data = g_new0 (CeremonyData, 1);
  data->alias = *trimmed != '\0' ? g_steal_pointer (&trimmed) : NULL;
  data->elevated_scope = elevated_scope;
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

  task = kt_mfa_controller_begin_registration (self, kt_mfa_controller_register_passkey_async,
                                               alias, FALSE, NULL, cancellable, callback,
                                               user_data);
  if (task != NULL)
    kt_mfa_controller_start_registration (self, task);
}

gboolean
kt_mfa_controller_keep_proof (KtMfaController  *self,
                              GTask            *task,
                              KtVerifyResponse *response)
{
  /* A token earned for another application is handed to it, not kept: only the session's own
   * token is taken, and the answer goes back to the operation on its task. */
  if (g_object_get_data (G_OBJECT (task), "kt-step-up-hand-out") != NULL)
    {
      kt_session_keeper_apply_session (self->keeper, response);
      g_object_set_data_full (G_OBJECT (task), "kt-step-up-response", g_object_ref (response),
                              g_object_unref);
      return TRUE;
    }
  kt_session_keeper_apply (self->keeper, response);
  return FALSE;
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

  kt_mfa_controller_keep_proof (self, task, response);
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

void
kt_mfa_controller_authenticate_with_key (KtMfaController *self,
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
  g_return_if_fail (KT_IS_MFA_CONTROLLER (self));

  kt_mfa_controller_start (self, kt_mfa_controller_authenticate_passkey_async,
                           kt_mfa_controller_authenticate_with_key, cancellable, callback,
                           user_data);
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
