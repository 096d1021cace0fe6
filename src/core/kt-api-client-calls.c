/* kt-api-client-calls.c: each Dynamic SDK API call Keyturn makes, as an _async/_finish pair
 *
 * A call here says only what it sends and what it expects back; kt-api-client.c sends it.
 *
 * Copyright 2026 Keyturn developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "keyturn-api"

#include "kt-api-client-private.h"

#include <glib/gi18n-lib.h>

static JsonNode *
build_object (const char *first_member,
              ...)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  const char *member;
  va_list args;

  json_builder_begin_object (builder);
  va_start (args, first_member);
  for (member = first_member; member != NULL; member = va_arg (args, const char *))
    {
      json_builder_set_member_name (builder, member);
      json_builder_add_string_value (builder, va_arg (args, const char *));
    }
  va_end (args);
  json_builder_end_object (builder);

  return json_builder_get_root (builder);
}

/* The calls */

void
kt_api_client_check_step_up_async (KtApiClient         *self,
                                   const char          *scope,
                                   GCancellable        *cancellable,
                                   GAsyncReadyCallback  callback,
                                   gpointer             user_data)
{
  static const KtApiCallSpec spec = { "POST", "/stepUp/check", CALL_IDEMPOTENT | CALL_AUTHENTICATED,
                                      NULL, KT_API_PARSER_OBJECT };
  g_autoptr(JsonNode) body = build_object ("scope", scope, NULL);

  kt_api_client_start_call (self, &spec, body, kt_api_client_check_step_up_async,
                            cancellable, callback, user_data);
}

gboolean
kt_api_client_check_step_up_finish (KtApiClient   *self,
                                    GAsyncResult  *result,
                                    gboolean      *is_required,
                                    GError       **error)
{
  g_autoptr(JsonObject) answer = kt_api_client_finish_call (self, result, kt_api_client_check_step_up_async,
                                              error);
  JsonNode *node;

  if (answer == NULL)
    return FALSE;
  node = json_object_get_member (answer, "isRequired");
  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) ||
      json_node_get_value_type (node) != G_TYPE_BOOLEAN)
    {
      g_set_error_literal (error, KT_API_ERROR, KT_API_ERROR_MALFORMED,
                           _("The server’s answer is not what Keyturn expected: isRequired "
                             "should be a boolean."));
      return FALSE;
    }
  *is_required = json_node_get_boolean (node);
  return TRUE;
}

void
kt_api_client_get_settings_async (KtApiClient         *self,
                                  GCancellable        *cancellable,
                                  GAsyncReadyCallback  callback,
                                  gpointer             user_data)
{
  static const KtApiCallSpec spec = { "GET", "/settings", CALL_IDEMPOTENT, NULL,
                                      KT_API_PARSER_OBJECT };

  kt_api_client_start_call (self, &spec, NULL, kt_api_client_get_settings_async,
                            cancellable, callback, user_data);
}

JsonObject *
kt_api_client_get_settings_finish (KtApiClient   *self,
                                   GAsyncResult  *result,
                                   GError       **error)
{
  return kt_api_client_finish_call (self, result, kt_api_client_get_settings_async, error);
}

void
kt_api_client_create_email_verification_async (KtApiClient         *self,
                                               const char          *email,
                                               GCancellable        *cancellable,
                                               GAsyncReadyCallback  callback,
                                               gpointer             user_data)
{
  static const KtApiCallSpec spec = { "POST", "/emailVerifications/create", CALL_PLAIN, NULL,
                                      KT_API_PARSER_VERIFICATION_UUID };
  g_autoptr(JsonNode) body = build_object ("email", email, NULL);

  kt_api_client_start_call (self, &spec, body, kt_api_client_create_email_verification_async,
                            cancellable, callback, user_data);
}

char *
kt_api_client_create_email_verification_finish (KtApiClient   *self,
                                                GAsyncResult  *result,
                                                GError       **error)
{
  return kt_api_client_finish_call (self, result, kt_api_client_create_email_verification_async, error);
}

void
kt_api_client_retry_email_verification_async (KtApiClient         *self,
                                              const char          *email,
                                              const char          *verification_uuid,
                                              GCancellable        *cancellable,
                                              GAsyncReadyCallback  callback,
                                              gpointer             user_data)
{
  static const KtApiCallSpec spec = { "POST", "/emailVerifications/retry", CALL_PLAIN, NULL,
                                      KT_API_PARSER_VERIFICATION_UUID };
  g_autoptr(JsonNode) body = build_object ("email", email,
                                           "verificationUUID", verification_uuid, NULL);

  kt_api_client_start_call (self, &spec, body, kt_api_client_retry_email_verification_async,
                            cancellable, callback, user_data);
}

char *
kt_api_client_retry_email_verification_finish (KtApiClient   *self,
                                               GAsyncResult  *result,
                                               GError       **error)
{
  return kt_api_client_finish_call (self, result, kt_api_client_retry_email_verification_async, error);
}

void
kt_api_client_sign_in_with_email_code_async (KtApiClient         *self,
                                             const char          *verification_uuid,
                                             const char          *code,
                                             GCancellable        *cancellable,
                                             GAsyncReadyCallback  callback,
                                             gpointer             user_data)
{
  static const KtApiCallSpec spec = { "POST", "/emailVerifications/signin", CALL_PLAIN, NULL,
                                      KT_API_PARSER_VERIFY_RESPONSE };
  g_autoptr(JsonNode) body = build_object ("verificationUUID", verification_uuid,
                                           "verificationToken", code, NULL);

  kt_api_client_start_call (self, &spec, body, kt_api_client_sign_in_with_email_code_async,
                            cancellable, callback, user_data);
}

KtVerifyResponse *
kt_api_client_sign_in_with_email_code_finish (KtApiClient   *self,
                                              GAsyncResult  *result,
                                              GError       **error)
{
  g_autoptr(KtVerifyResponse) response =
    kt_api_client_finish_call (self, result, kt_api_client_sign_in_with_email_code_async, error);

  /* An environment that keeps sessions in cookies answers without minifiedJwt: there is no
   * token to carry, and every later call would fail without saying why. */
  if (response != NULL && kt_verify_response_get_access_token (response) == NULL)
    {
      g_set_error_literal (error, KT_API_ERROR, KT_API_ERROR_CONFIGURATION,
                           _("This environment keeps its sessions in browser cookies, which "
                             "Keyturn cannot use. Its owner must choose token-based sessions "
                             "(in Dynamic’s dashboard, Security › Authentication storage: not "
                             "cookie) for Keyturn to sign in."));
      return NULL;
    }
  return g_steal_pointer (&response);
}

void
kt_api_client_get_user_async (KtApiClient         *self,
                              GCancellable        *cancellable,
                              GAsyncReadyCallback  callback,
                              gpointer             user_data)
{
  static const KtApiCallSpec spec = { "GET", "/users", CALL_IDEMPOTENT | CALL_AUTHENTICATED, NULL,
                                      KT_API_PARSER_USER };

  kt_api_client_start_call (self, &spec, NULL, kt_api_client_get_user_async,
                            cancellable, callback, user_data);
}

KtUser *
kt_api_client_get_user_finish (KtApiClient   *self,
                               GAsyncResult  *result,
                               GError       **error)
{
  return kt_api_client_finish_call (self, result, kt_api_client_get_user_async, error);
}

void
kt_api_client_refresh_async (KtApiClient         *self,
                             GCancellable        *cancellable,
                             GAsyncReadyCallback  callback,
                             gpointer             user_data)
{
  static const KtApiCallSpec spec = { "POST", "/refresh", CALL_AUTHENTICATED, NULL,
                                      KT_API_PARSER_VERIFY_RESPONSE };

  kt_api_client_start_call (self, &spec, NULL, kt_api_client_refresh_async,
                            cancellable, callback, user_data);
}

KtVerifyResponse *
kt_api_client_refresh_finish (KtApiClient   *self,
                              GAsyncResult  *result,
                              GError       **error)
{
  return kt_api_client_finish_call (self, result, kt_api_client_refresh_async, error);
}

void
kt_api_client_revoke_async (KtApiClient         *self,
                            GCancellable        *cancellable,
                            GAsyncReadyCallback  callback,
                            gpointer             user_data)
{
  static const KtApiCallSpec spec = { "POST", "/revoke", CALL_AUTHENTICATED, NULL,
                                      KT_API_PARSER_NOTHING };

  kt_api_client_start_call (self, &spec, NULL, kt_api_client_revoke_async,
                            cancellable, callback, user_data);
}

gboolean
kt_api_client_revoke_finish (KtApiClient   *self,
                             GAsyncResult  *result,
                             GError       **error)
{
  return kt_api_client_finish_call (self, result, kt_api_client_revoke_async, error) != NULL;
}

void
kt_api_client_check_session_async (KtApiClient         *self,
                                   GCancellable        *cancellable,
                                   GAsyncReadyCallback  callback,
                                   gpointer             user_data)
{
  static const KtApiCallSpec spec = { "GET", "/session", CALL_IDEMPOTENT | CALL_AUTHENTICATED, NULL,
                                      KT_API_PARSER_NOTHING };

  kt_api_client_start_call (self, &spec, NULL, kt_api_client_check_session_async,
                            cancellable, callback, user_data);
}

gboolean
kt_api_client_check_session_finish (KtApiClient   *self,
                                    GAsyncResult  *result,
                                    GError       **error)
{
  return kt_api_client_finish_call (self, result, kt_api_client_check_session_async, error) != NULL;
}

void
kt_api_client_list_passkeys_async (KtApiClient         *self,
                                   GCancellable        *cancellable,
                                   GAsyncReadyCallback  callback,
                                   gpointer             user_data)
{
  static const KtApiCallSpec spec = { "GET", "/users/passkeys",
                                      CALL_IDEMPOTENT | CALL_AUTHENTICATED, NULL,
                                      KT_API_PARSER_PASSKEYS };

  kt_api_client_start_call (self, &spec, NULL, kt_api_client_list_passkeys_async,
                            cancellable, callback, user_data);
}

GListModel *
kt_api_client_list_passkeys_finish (KtApiClient   *self,
                                    GAsyncResult  *result,
                                    GError       **error)
{
  return kt_api_client_finish_call (self, result, kt_api_client_list_passkeys_async, error);
}

void
kt_api_client_get_passkey_registration_options_async (KtApiClient         *self,
                                                      GCancellable        *cancellable,
                                                      GAsyncReadyCallback  callback,
                                                      gpointer             user_data)
{
  static const KtApiCallSpec spec = { "GET", "/users/passkeys/register",
                                      CALL_IDEMPOTENT | CALL_AUTHENTICATED, NULL,
                                      KT_API_PARSER_OBJECT };

  kt_api_client_start_call (self, &spec, NULL, kt_api_client_get_passkey_registration_options_async,
                            cancellable, callback, user_data);
}

JsonObject *
kt_api_client_get_passkey_registration_options_finish (KtApiClient   *self,
                                                       GAsyncResult  *result,
                                                       GError       **error)
{
  return kt_api_client_finish_call (self, result, kt_api_client_get_passkey_registration_options_async, error);
}

/* A copy of @request asking for what the step proves: createMfaToken {singleUse: true} (the
 * legacy token) when @create_mfa_token, requestedScopes [@requested_scope] (an elevated access
 * token) when one is named. */
static JsonNode *
with_step_up_request (JsonObject *request,
                      gboolean    create_mfa_token,
                      const char *requested_scope)
{
  g_autoptr(JsonNode) original = json_node_init_object (json_node_alloc (), request);
  g_autoptr(JsonNode) copy = json_node_copy (original);

  if (create_mfa_token)
    {
      JsonObject *create = json_object_new ();

      json_object_set_boolean_member (create, "singleUse", TRUE);
      json_object_set_object_member (json_node_get_object (copy), "createMfaToken", create);
    }
  if (requested_scope != NULL)
    {
      JsonArray *scopes = json_array_new ();

      json_array_add_string_element (scopes, requested_scope);
      json_object_set_array_member (json_node_get_object (copy), "requestedScopes", scopes);
    }
  return g_steal_pointer (&copy);
}

void
kt_api_client_register_passkey_async (KtApiClient         *self,
                                      JsonObject          *registration,
                                      gboolean             create_mfa_token,
                                      const char          *elevated_scope,
                                      GCancellable        *cancellable,
                                      GAsyncReadyCallback  callback,
                                      gpointer             user_data)
{
  KtApiCallSpec spec = { "POST", "/users/passkeys/register", CALL_AUTHENTICATED, elevated_scope,
                         KT_API_PARSER_VERIFY_RESPONSE };
  g_autoptr(JsonNode) body = with_step_up_request (registration, create_mfa_token, NULL);

  kt_api_client_start_call (self, &spec, body, kt_api_client_register_passkey_async,
                            cancellable, callback, user_data);
}

KtVerifyResponse *
kt_api_client_register_passkey_finish (KtApiClient   *self,
                                       GAsyncResult  *result,
                                       GError       **error)
{
  return kt_api_client_finish_call (self, result, kt_api_client_register_passkey_async, error);
}

void
kt_api_client_get_passkey_authentication_options_async (KtApiClient         *self,
                                                        GCancellable        *cancellable,
                                                        GAsyncReadyCallback  callback,
                                                        gpointer             user_data)
{
  static const KtApiCallSpec spec = { "GET", "/users/passkeys/authenticate",
                                      CALL_IDEMPOTENT | CALL_AUTHENTICATED, NULL,
                                      KT_API_PARSER_OBJECT };

  kt_api_client_start_call (self, &spec, NULL,
                            kt_api_client_get_passkey_authentication_options_async,
                            cancellable, callback, user_data);
}

JsonObject *
kt_api_client_get_passkey_authentication_options_finish (KtApiClient   *self,
                                                         GAsyncResult  *result,
                                                         GError       **error)
{
  return kt_api_client_finish_call (self, result, kt_api_client_get_passkey_authentication_options_async, error);
}

void
kt_api_client_authenticate_passkey_async (KtApiClient         *self,
                                          JsonObject          *assertion,
                                          gboolean             create_mfa_token,
                                          const char          *requested_scope,
                                          GCancellable        *cancellable,
                                          GAsyncReadyCallback  callback,
                                          gpointer             user_data)
{
  static const KtApiCallSpec spec = { "POST", "/users/mfa/auth/passkey", CALL_AUTHENTICATED, NULL,
                                      KT_API_PARSER_VERIFY_RESPONSE };
  g_autoptr(JsonNode) body = with_step_up_request (assertion, create_mfa_token,
                                                   requested_scope);

  kt_api_client_start_call (self, &spec, body, kt_api_client_authenticate_passkey_async,
                            cancellable, callback, user_data);
}

KtVerifyResponse *
kt_api_client_authenticate_passkey_finish (KtApiClient   *self,
                                           GAsyncResult  *result,
                                           GError       **error)
{
  return kt_api_client_finish_call (self, result, kt_api_client_authenticate_passkey_async, error);
}

void
kt_api_client_rename_passkey_async (KtApiClient         *self,
                                    const char          *passkey_id,
                                    const char          *alias,
                                    GCancellable        *cancellable,
                                    GAsyncReadyCallback  callback,
                                    gpointer             user_data)
{
  static const KtApiCallSpec spec = { "PUT", "/users/passkeys", CALL_AUTHENTICATED | CALL_STEP_UP,
                                      NULL, KT_API_PARSER_PASSKEY };
  g_autoptr(JsonNode) body = build_object ("id", passkey_id, "alias", alias, NULL);

  kt_api_client_start_call (self, &spec, body, kt_api_client_rename_passkey_async,
                            cancellable, callback, user_data);
}

KtPasskey *
kt_api_client_rename_passkey_finish (KtApiClient   *self,
                                     GAsyncResult  *result,
                                     GError       **error)
{
  return kt_api_client_finish_call (self, result, kt_api_client_rename_passkey_async, error);
}

void
kt_api_client_delete_passkey_async (KtApiClient         *self,
                                    const char          *passkey_id,
                                    GCancellable        *cancellable,
                                    GAsyncReadyCallback  callback,
                                    gpointer             user_data)
{
  static const KtApiCallSpec spec = { "DELETE", "/users/passkeys",
                                      CALL_AUTHENTICATED | CALL_STEP_UP, KT_SCOPE_CREDENTIAL_UNLINK,
                                      KT_API_PARSER_NOTHING };
  g_autoptr(JsonNode) body = build_object ("passkeyId", passkey_id, NULL);

  kt_api_client_start_call (self, &spec, body, kt_api_client_delete_passkey_async,
                            cancellable, callback, user_data);
}

gboolean
kt_api_client_delete_passkey_finish (KtApiClient   *self,
                                     GAsyncResult  *result,
                                     GError       **error)
{
  return kt_api_client_finish_call (self, result, kt_api_client_delete_passkey_async, error) != NULL;
}

void
kt_api_client_get_recovery_codes_async (KtApiClient         *self,
                                        GCancellable        *cancellable,
                                        GAsyncReadyCallback  callback,
                                        gpointer             user_data)
{
  static const KtApiCallSpec spec = { "GET", "/users/mfa/recovery",
                                      CALL_IDEMPOTENT | CALL_AUTHENTICATED, NULL,
                                      KT_API_PARSER_RECOVERY_CODES };

  /* Not idempotent on the server's side (the first call creates the codes), but a repeat
   * returns the same codes, so sending it again after a network error is safe. */
  kt_api_client_start_call (self, &spec, NULL, kt_api_client_get_recovery_codes_async,
                            cancellable, callback, user_data);
}

char **
kt_api_client_get_recovery_codes_finish (KtApiClient   *self,
                                         GAsyncResult  *result,
                                         GError       **error)
{
  return kt_api_client_finish_call (self, result, kt_api_client_get_recovery_codes_async, error);
}

void
kt_api_client_create_recovery_codes_async (KtApiClient         *self,
                                           GCancellable        *cancellable,
                                           GAsyncReadyCallback  callback,
                                           gpointer             user_data)
{
  static const KtApiCallSpec spec = { "POST", "/users/mfa/recovery",
                                      CALL_AUTHENTICATED | CALL_STEP_UP, NULL,
                                      KT_API_PARSER_RECOVERY_CODES };

  kt_api_client_start_call (self, &spec, NULL, kt_api_client_create_recovery_codes_async,
                            cancellable, callback, user_data);
}

char **
kt_api_client_create_recovery_codes_finish (KtApiClient   *self,
                                            GAsyncResult  *result,
                                            GError       **error)
{
  return kt_api_client_finish_call (self, result, kt_api_client_create_recovery_codes_async, error);
}

void
kt_api_client_authenticate_recovery_code_async (KtApiClient         *self,
                                                const char          *code,
                                                gboolean             create_mfa_token,
                                                const char          *requested_scope,
                                                GCancellable        *cancellable,
                                                GAsyncReadyCallback  callback,
                                                gpointer             user_data)
{
  static const KtApiCallSpec spec = { "POST", "/users/mfa/auth/recovery", CALL_AUTHENTICATED, NULL,
                                      KT_API_PARSER_VERIFY_RESPONSE };
  g_autoptr(JsonNode) plain = build_object ("code", code, NULL);
  g_autoptr(JsonNode) body = with_step_up_request (json_node_get_object (plain),
                                                   create_mfa_token, requested_scope);

  kt_api_client_start_call (self, &spec, body, kt_api_client_authenticate_recovery_code_async,
                            cancellable, callback, user_data);
}

KtVerifyResponse *
kt_api_client_authenticate_recovery_code_finish (KtApiClient   *self,
                                                 GAsyncResult  *result,
                                                 GError       **error)
{
  return kt_api_client_finish_call (self, result, kt_api_client_authenticate_recovery_code_async, error);
}

void
kt_api_client_acknowledge_recovery_codes_async (KtApiClient         *self,
                                                GCancellable        *cancellable,
                                                GAsyncReadyCallback  callback,
                                                gpointer             user_data)
{
  static const KtApiCallSpec spec = { "PUT", "/users", CALL_AUTHENTICATED, NULL,
                                      KT_API_PARSER_VERIFY_RESPONSE };
  g_autoptr(JsonNode) body = build_object ("mfaBackupCodeAcknowledgement", "complete", NULL);

  kt_api_client_start_call (self, &spec, body, kt_api_client_acknowledge_recovery_codes_async,
                            cancellable, callback, user_data);
}

KtVerifyResponse *
kt_api_client_acknowledge_recovery_codes_finish (KtApiClient   *self,
                                                 GAsyncResult  *result,
                                                 GError       **error)
{
  return kt_api_client_finish_call (self, result, kt_api_client_acknowledge_recovery_codes_async, error);
}

void
kt_api_client_get_mfa_methods_async (KtApiClient         *self,
                                     GCancellable        *cancellable,
                                     GAsyncReadyCallback  callback,
                                     gpointer             user_data)
{
  static const KtApiCallSpec spec = { "GET", "/users/mfa/methods",
                                      CALL_IDEMPOTENT | CALL_AUTHENTICATED, NULL,
                                      KT_API_PARSER_MFA_METHODS };

  kt_api_client_start_call (self, &spec, NULL, kt_api_client_get_mfa_methods_async,
                            cancellable, callback, user_data);
}

KtMfaMethods *
kt_api_client_get_mfa_methods_finish (KtApiClient   *self,
                                      GAsyncResult  *result,
                                      GError       **error)
{
  return kt_api_client_finish_call (self, result, kt_api_client_get_mfa_methods_async, error);
}

void
kt_api_client_list_mfa_devices_async (KtApiClient         *self,
                                      GCancellable        *cancellable,
                                      GAsyncReadyCallback  callback,
                                      gpointer             user_data)
{
  static const KtApiCallSpec spec = { "GET", "/users/mfa", CALL_IDEMPOTENT | CALL_AUTHENTICATED,
                                      NULL, KT_API_PARSER_MFA_DEVICES };

  kt_api_client_start_call (self, &spec, NULL, kt_api_client_list_mfa_devices_async,
                            cancellable, callback, user_data);
}

GListModel *
kt_api_client_list_mfa_devices_finish (KtApiClient   *self,
                                       GAsyncResult  *result,
                                       GError       **error)
{
  return kt_api_client_finish_call (self, result, kt_api_client_list_mfa_devices_async, error);
}

void
kt_api_client_delete_mfa_device_async (KtApiClient         *self,
                                       const char          *device_id,
                                       GCancellable        *cancellable,
                                       GAsyncReadyCallback  callback,
                                       gpointer             user_data)
{
  g_autofree char *escaped = g_uri_escape_string (device_id, NULL, FALSE);
  g_autofree char *path = g_strconcat ("/users/mfa/", escaped, NULL);
  KtApiCallSpec spec = { "DELETE", path, CALL_AUTHENTICATED | CALL_STEP_UP,
                         KT_SCOPE_CREDENTIAL_UNLINK, KT_API_PARSER_NOTHING };

  kt_api_client_start_call (self, &spec, NULL, kt_api_client_delete_mfa_device_async,
                            cancellable, callback, user_data);
}

gboolean
kt_api_client_delete_mfa_device_finish (KtApiClient   *self,
                                        GAsyncResult  *result,
                                        GError       **error)
{
  return kt_api_client_finish_call (self, result, kt_api_client_delete_mfa_device_async, error) != NULL;
}
