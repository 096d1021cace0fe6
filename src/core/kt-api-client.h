/* kt-api-client.h: the Dynamic SDK API calls Keyturn makes, async, typed
 *
 * One SoupSession per client. Every call is an _async/_finish pair; errors are KT_API_ERROR
 * (or G_IO_ERROR_CANCELLED). The client holds the access token and, after a step-up, the
 * legacy single-use MFA token or the elevated access tokens (KtElevatedTokens) each action's
 * scope needs; it never writes any of them anywhere. Every request carries Dynamic's client
 * headers (x-dyn-version, x-dyn-api-version, x-dyn-request-id, x-dynamic-platform,
 * x-dyn-session-id) with Keyturn's own values.
 *
 * Copyright 2026 Keyturn developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

#include "kt-api-error.h"
#include "kt-device-signer.h"
#include "kt-elevated-tokens.h"
#include "kt-mfa-device.h"
#include "kt-passkey.h"
#include "kt-user.h"
#include "kt-verify-response.h"

G_BEGIN_DECLS

#define KT_TYPE_API_CLIENT (kt_api_client_get_type ())

G_DECLARE_FINAL_TYPE (KtApiClient, kt_api_client, KT, API_CLIENT, GObject)

KtApiClient *kt_api_client_new                 (const char    *base_url,
                                                const char    *environment_id,
                                                GError       **error);
const char  *kt_api_client_get_base_url        (KtApiClient   *self);
const char  *kt_api_client_get_environment_id  (KtApiClient   *self);
void         kt_api_client_set_access_token    (KtApiClient   *self,
                                                const char    *token);
gboolean     kt_api_client_has_access_token    (KtApiClient   *self);
char        *kt_api_client_dup_access_token    (KtApiClient   *self);
void         kt_api_client_set_mfa_token       (KtApiClient   *self,
                                                const char    *token);
gboolean     kt_api_client_has_mfa_token       (KtApiClient   *self);
/* Keeps the elevatedAccessToken a step-up answered with (FALSE when it is unusable); the calls
 * that need its scope send it. Setting the access token to NULL drops them all. */
gboolean     kt_api_client_add_elevated_token  (KtApiClient   *self,
                                                const char    *token);
gboolean     kt_api_client_has_elevated_token  (KtApiClient   *self,
                                                const char    *scope);
guint        kt_api_client_count_elevated_tokens (KtApiClient *self);
void         kt_api_client_set_timeout         (KtApiClient   *self,
                                                guint          seconds);

/* With a signer, every request names the session key and sign-in and refresh carry a signed
 * nonce, as Dynamic's client does in token mode; without one, neither. */
void         kt_api_client_set_device_signer   (KtApiClient    *self,
                                                KtDeviceSigner *signer);
KtDeviceSigner *kt_api_client_get_device_signer (KtApiClient   *self);

/* Whether @base_url may carry tokens: https, or http to this machine only, with no user name,
 * password, query or fragment in it. */
gboolean     kt_api_base_url_is_acceptable     (const char    *base_url,
                                                GError       **error);

/* GET /settings: the ProjectSettings object. */
void        kt_api_client_get_settings_async (KtApiClient        *self,
                                              GCancellable       *cancellable,
                                              GAsyncReadyCallback callback,
                                              gpointer            user_data);
JsonObject *kt_api_client_get_settings_finish (KtApiClient        *self,
                                               GAsyncResult       *result,
                                               GError            **error);

/* POST /stepUp/check {scope}: whether the action behind @scope needs an elevated token. */
void        kt_api_client_check_step_up_async  (KtApiClient        *self,
                                                const char         *scope,
                                                GCancellable       *cancellable,
                                                GAsyncReadyCallback callback,
                                                gpointer            user_data);
gboolean    kt_api_client_check_step_up_finish (KtApiClient        *self,
                                                GAsyncResult       *result,
                                                gboolean           *is_required,
                                                GError            **error);

/* POST /emailVerifications/create: the verificationUUID. */
void        kt_api_client_create_email_verification_async (KtApiClient        *self,
                                                           const char         *email,
                                                           GCancellable       *cancellable,
                                                           GAsyncReadyCallback callback,
                                                           gpointer            user_data);
char       *kt_api_client_create_email_verification_finish (KtApiClient        *self,
                                                            GAsyncResult       *result,
                                                            GError            **error);

/* POST /emailVerifications/retry: the verificationUUID. */
void        kt_api_client_retry_email_verification_async (KtApiClient        *self,
                                                          const char         *email,
                                                          const char         *verification_uuid,
                                                          GCancellable       *cancellable,
                                                          GAsyncReadyCallback callback,
                                                          gpointer            user_data);
char       *kt_api_client_retry_email_verification_finish (KtApiClient        *self,
                                                           GAsyncResult       *result,
                                                           GError            **error);

/* POST /emailVerifications/signin; an answer without an access token (an environment using
 * cookie-based sessions) is KT_API_ERROR_CONFIGURATION, saying what its owner must change. */
void        kt_api_client_sign_in_with_email_code_async (KtApiClient        *self,
                                                         const char         *verification_uuid,
                                                         const char         *code,
                                                         GCancellable       *cancellable,
                                                         GAsyncReadyCallback callback,
                                                         gpointer            user_data);
KtVerifyResponse *kt_api_client_sign_in_with_email_code_finish (KtApiClient        *self,
                                                                GAsyncResult       *result,
                                                                GError            **error);

/* GET /users */
void        kt_api_client_get_user_async (KtApiClient        *self,
                                          GCancellable       *cancellable,
                                          GAsyncReadyCallback callback,
                                          gpointer            user_data);
KtUser     *kt_api_client_get_user_finish (KtApiClient        *self,
                                           GAsyncResult       *result,
                                           GError            **error);

/* POST /refresh */
void        kt_api_client_refresh_async (KtApiClient        *self,
                                         GCancellable       *cancellable,
                                         GAsyncReadyCallback callback,
                                         gpointer            user_data);
KtVerifyResponse *kt_api_client_refresh_finish (KtApiClient        *self,
                                                GAsyncResult       *result,
                                                GError            **error);

/* POST /revoke */
void        kt_api_client_revoke_async (KtApiClient        *self,
                                        GCancellable       *cancellable,
                                        GAsyncReadyCallback callback,
                                        gpointer            user_data);
gboolean    kt_api_client_revoke_finish (KtApiClient        *self,
                                         GAsyncResult       *result,
                                         GError            **error);

/* GET /session: TRUE while the session lives. */
void        kt_api_client_check_session_async (KtApiClient        *self,
                                               GCancellable       *cancellable,
                                               GAsyncReadyCallback callback,
                                               gpointer            user_data);
gboolean    kt_api_client_check_session_finish (KtApiClient        *self,
                                                GAsyncResult       *result,
                                                GError            **error);

/* GET /users/passkeys: a GListModel of KtPasskey. */
void        kt_api_client_list_passkeys_async (KtApiClient        *self,
                                               GCancellable       *cancellable,
                                               GAsyncReadyCallback callback,
                                               gpointer            user_data);
GListModel *kt_api_client_list_passkeys_finish (KtApiClient        *self,
                                                GAsyncResult       *result,
                                                GError            **error);

/* GET /users/passkeys/register: the creation options, WebAuthn JSON. */
void        kt_api_client_get_passkey_registration_options_async (KtApiClient        *self,
                                                                  GCancellable       *cancellable,
                                                                  GAsyncReadyCallback callback,
                                                                  gpointer            user_data);
JsonObject *kt_api_client_get_passkey_registration_options_finish (KtApiClient        *self,
                                                                   GAsyncResult       *result,
                                                                   GError            **error);

/* POST /users/passkeys/register, asking for a single-use MFA token when @create_mfa_token; a
 * signed-in user adding a key passes KT_SCOPE_CREDENTIAL_LINK as @elevated_scope, and the
 * elevated token held for it is sent. */
void        kt_api_client_register_passkey_async (KtApiClient        *self,
                                                  JsonObject         *registration,
                                                  gboolean            create_mfa_token,
                                                  const char         *elevated_scope,
                                                  GCancellable       *cancellable,
                                                  GAsyncReadyCallback callback,
                                                  gpointer            user_data);
KtVerifyResponse *kt_api_client_register_passkey_finish (KtApiClient        *self,
                                                         GAsyncResult       *result,
                                                         GError            **error);

/* GET /users/passkeys/authenticate: the request options, WebAuthn JSON. */
void        kt_api_client_get_passkey_authentication_options_async (KtApiClient        *self,
                                                                    GCancellable       *cancellable,
                                                                    GAsyncReadyCallback callback,
                                                                    gpointer            user_data);
JsonObject *kt_api_client_get_passkey_authentication_options_finish (KtApiClient        *self,
                                                                     GAsyncResult       *result,
                                                                     GError            **error);

/* POST /users/mfa/auth/passkey, asking for a single-use MFA token when @create_mfa_token and
 * for an elevated access token for @requested_scope when not NULL. */
void        kt_api_client_authenticate_passkey_async (KtApiClient        *self,
                                                      JsonObject         *assertion,
                                                      gboolean            create_mfa_token,
                                                      const char         *requested_scope,
                                                      GCancellable       *cancellable,
                                                      GAsyncReadyCallback callback,
                                                      gpointer            user_data);
KtVerifyResponse *kt_api_client_authenticate_passkey_finish (KtApiClient        *self,
                                                             GAsyncResult       *result,
                                                             GError            **error);

/* PUT /users/passkeys (sends the MFA token when one is held) */
void        kt_api_client_rename_passkey_async (KtApiClient        *self,
                                                const char         *passkey_id,
                                                const char         *alias,
                                                GCancellable       *cancellable,
                                                GAsyncReadyCallback callback,
                                                gpointer            user_data);
KtPasskey  *kt_api_client_rename_passkey_finish (KtApiClient        *self,
                                                 GAsyncResult       *result,
                                                 GError            **error);

/* DELETE /users/passkeys (sends the MFA token when one is held, and the credential:unlink
 * elevated token) */
void        kt_api_client_delete_passkey_async (KtApiClient        *self,
                                                const char         *passkey_id,
                                                GCancellable       *cancellable,
                                                GAsyncReadyCallback callback,
                                                gpointer            user_data);
gboolean    kt_api_client_delete_passkey_finish (KtApiClient        *self,
                                                 GAsyncResult       *result,
                                                 GError            **error);

/* GET /users/mfa/recovery: the codes, created on first call. */
void        kt_api_client_get_recovery_codes_async (KtApiClient        *self,
                                                    GCancellable       *cancellable,
                                                    GAsyncReadyCallback callback,
                                                    gpointer            user_data);
char *     *kt_api_client_get_recovery_codes_finish (KtApiClient        *self,
                                                     GAsyncResult       *result,
                                                     GError            **error);

/* POST /users/mfa/recovery: a fresh set; the old codes die (sends the MFA token when held). */
void        kt_api_client_create_recovery_codes_async (KtApiClient        *self,
                                                       GCancellable       *cancellable,
                                                       GAsyncReadyCallback callback,
                                                       gpointer            user_data);
char *     *kt_api_client_create_recovery_codes_finish (KtApiClient        *self,
                                                        GAsyncResult       *result,
                                                        GError            **error);

/* POST /users/mfa/auth/recovery: spends @code (tokens asked for as for passkeys). */
void        kt_api_client_authenticate_recovery_code_async (KtApiClient        *self,
                                                            const char         *code,
                                                            gboolean            create_mfa_token,
                                                            const char         *requested_scope,
                                                            GCancellable       *cancellable,
                                                            GAsyncReadyCallback callback,
                                                            gpointer            user_data);
KtVerifyResponse *kt_api_client_authenticate_recovery_code_finish (KtApiClient        *self,
                                                                   GAsyncResult       *result,
                                                                   GError            **error);

/* PUT /users {mfaBackupCodeAcknowledgement: "complete"} */
void        kt_api_client_acknowledge_recovery_codes_async (KtApiClient        *self,
                                                            GCancellable       *cancellable,
                                                            GAsyncReadyCallback callback,
                                                            gpointer            user_data);
KtVerifyResponse *kt_api_client_acknowledge_recovery_codes_finish (KtApiClient        *self,
                                                                   GAsyncResult       *result,
                                                                   GError            **error);

/* GET /users/mfa/methods: every second factor and passkey the user has. */
void          kt_api_client_get_mfa_methods_async   (KtApiClient        *self,
                                                     GCancellable       *cancellable,
                                                     GAsyncReadyCallback callback,
                                                     gpointer            user_data);
KtMfaMethods *kt_api_client_get_mfa_methods_finish  (KtApiClient        *self,
                                                     GAsyncResult       *result,
                                                     GError            **error);

/* GET /users/mfa: a GListModel of KtMfaDevice. */
void          kt_api_client_list_mfa_devices_async  (KtApiClient        *self,
                                                     GCancellable       *cancellable,
                                                     GAsyncReadyCallback callback,
                                                     gpointer            user_data);
GListModel   *kt_api_client_list_mfa_devices_finish (KtApiClient        *self,
                                                     GAsyncResult       *result,
                                                     GError            **error);

/* DELETE /users/mfa/{mfaDeviceId} (sends the MFA token when one is held, and the
 * credential:unlink elevated token) */
void        kt_api_client_delete_mfa_device_async (KtApiClient        *self,
                                                   const char         *device_id,
                                                   GCancellable       *cancellable,
                                                   GAsyncReadyCallback callback,
                                                   gpointer            user_data);
gboolean    kt_api_client_delete_mfa_device_finish (KtApiClient        *self,
                                                    GAsyncResult       *result,
                                                    GError            **error);

G_END_DECLS
