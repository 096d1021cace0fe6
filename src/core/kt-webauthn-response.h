/* kt-webauthn-response.h: RegistrationResponseJSON and AuthenticationResponseJSON, in the
 * shape API.md's PasskeyRegisterRequest and PasskeyAuthRequest take
 *
 * Copyright 2026 Keyturn developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/* What Keyturn checks of the key's authenticator data before the server sees it: rpIdHash is
 * SHA-256 (@rp_id), the user was present, attested credential data is there exactly when
 * @attested (registration), and the user was verified when @require_uv. Otherwise
 * KT_WEBAUTHN_ERROR_BAD_RESPONSE. */
gboolean    kt_webauthn_response_check_authenticator_data (GBytes      *authenticator_data,
                                                           const char  *rp_id,
                                                           gboolean     attested,
                                                           gboolean     require_uv,
                                                           GError     **error);

/* The CBOR attestation object {fmt, attStmt, authData}; @attestation_statement is the CBOR
 * map the key sent. NULL when that map is not CBOR. */
GBytes     *kt_webauthn_response_encode_attestation_object (const char  *format,
                                                            GBytes      *attestation_statement,
                                                            GBytes      *authenticator_data);

/* @public_key is the credential's SubjectPublicKeyInfo (DER), NULL to leave it out. */
JsonObject *kt_webauthn_response_new_registration   (GBytes      *credential_id,
                                                     GBytes      *client_data_json,
                                                     GBytes      *attestation_object,
                                                     GBytes      *authenticator_data,
                                                     GBytes      *public_key,
                                                     gint64       public_key_algorithm);

/* @user_handle may be NULL (the key named no user). */
JsonObject *kt_webauthn_response_new_authentication (GBytes      *credential_id,
                                                     GBytes      *client_data_json,
                                                     GBytes      *authenticator_data,
                                                     GBytes      *signature,
                                                     GBytes      *user_handle);

G_END_DECLS
