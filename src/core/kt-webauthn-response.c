/* kt-webauthn-response.c
 *
 * Copyright 2026 Keyturn developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "kt-webauthn-response.h"

#include <cbor.h>
#include <glib/gi18n-lib.h>
#include <openssl/crypto.h>
#include <openssl/sha.h>
#include <stdlib.h>
#include <string.h>

#include "kt-base64url.h"
#include "kt-cbor.h"
#include "kt-webauthn-error.h"

#define KT_AUTH_DATA_FLAG_UP 0x01
#define KT_AUTH_DATA_FLAG_UV 0x04
#define KT_AUTH_DATA_FLAG_AT 0x40
#define KT_AUTH_DATA_MIN_LEN 37     /* rpIdHash, flags, signCount */

static gboolean
bad_response (GError **error)
{
  g_set_error_literal (error, KT_WEBAUTHN_ERROR, KT_WEBAUTHN_ERROR_BAD_RESPONSE,
                       _("The security key gave an answer Keyturn cannot accept."));
  return FALSE;
}

gboolean
kt_webauthn_response_check_authenticator_data (GBytes      *authenticator_data,
                                               const char  *rp_id,
                                               gboolean     attested,
                                               gboolean     require_uv,
                                               GError     **error)
{
  guint8 expected[SHA256_DIGEST_LENGTH];
  const guint8 *data;
  gsize len;
  guint8 flags;

  g_return_val_if_fail (rp_id != NULL, FALSE);

  if (authenticator_data == NULL)
    return bad_response (error);
  data = g_bytes_get_data (authenticator_data, &len);
  if (data == NULL || len < KT_AUTH_DATA_MIN_LEN)
    return bad_response (error);

  /* The key must have signed for the relying party Keyturn asked for, nothing else. */
  SHA256 ((const guint8 *) rp_id, strlen (rp_id), expected);
  if (CRYPTO_memcmp (expected, data, sizeof expected) != 0)
    return bad_response (error);

  flags = data[32];
  if ((flags & KT_AUTH_DATA_FLAG_UP) == 0)
    return bad_response (error);
  /* Attested credential data belongs to registration, and only there. */
  if (((flags & KT_AUTH_DATA_FLAG_AT) != 0) != attested)
    return bad_response (error);
  if (attested && len <= KT_AUTH_DATA_MIN_LEN + 16 + 2)
    return bad_response (error);
  if (require_uv && (flags & KT_AUTH_DATA_FLAG_UV) == 0)
    return bad_response (error);

  return TRUE;
}

GBytes *
kt_webauthn_response_encode_attestation_object (const char *format,
                                                GBytes     *attestation_statement,
                                                GBytes     *authenticator_data)
{
  gsize consumed = 0;
  cbor_item_t *statement;
  cbor_item_t *map;
  unsigned char *buffer = NULL;
  size_t buffer_size = 0;
  size_t length;
  gsize statement_len, data_len;
  const guint8 *statement_data = g_bytes_get_data (attestation_statement, &statement_len);
  const guint8 *data = g_bytes_get_data (authenticator_data, &data_len);

  statement = kt_cbor_load (statement_data, statement_len, &consumed, NULL);
  if (statement == NULL || consumed != statement_len || !cbor_isa_map (statement))
    {
      if (statement != NULL)
        cbor_decref (&statement);
      return NULL;
    }

  /* CTAP2 canonical order: shorter keys first ("fmt", "attStmt", "authData"). */
  map = cbor_new_definite_map (3);
  if (map == NULL
      || !cbor_map_add (map, (struct cbor_pair) {
                               .key = cbor_move (cbor_build_string ("fmt")),
                               .value = cbor_move (cbor_build_string (format)) })
      || !cbor_map_add (map, (struct cbor_pair) {
                               .key = cbor_move (cbor_build_string ("attStmt")),
                               .value = cbor_move (statement) })
      || !cbor_map_add (map, (struct cbor_pair) {
                               .key = cbor_move (cbor_build_string ("authData")),
                               .value = cbor_move (cbor_build_bytestring (data, data_len)) }))
    {
      if (map != NULL)
        cbor_decref (&map);
      return NULL;
    }

  length = cbor_serialize_alloc (map, &buffer, &buffer_size);
  cbor_decref (&map);
  if (length == 0)
    {
      free (buffer);
      return NULL;
    }

  {
    GBytes *bytes = g_bytes_new (buffer, length);
    free (buffer);
    return bytes;
  }
}

static void
set_base64url (JsonObject *object,
               const char *member,
               GBytes     *bytes)
{
  g_autofree char *text = kt_base64url_encode_bytes (bytes);

  json_object_set_string_member (object, member, text);
}

static JsonObject *
new_credential (GBytes     *credential_id,
                JsonObject *response)
{
  JsonObject *credential = json_object_new ();
  g_autofree char *id = kt_base64url_encode_bytes (credential_id);

  json_object_set_string_member (credential, "id", id);
  json_object_set_string_member (credential, "rawId", id);
  json_object_set_string_member (credential, "type", "public-key");
  json_object_set_object_member (credential, "response", response);
  json_object_set_object_member (credential, "clientExtensionResults", json_object_new ());
  /* A security key on USB is always a roaming authenticator. */
  json_object_set_string_member (credential, "authenticatorAttachment", "cross-platform");
  return credential;
}

JsonObject *
kt_webauthn_response_new_registration (GBytes *credential_id,
                                       GBytes *client_data_json,
                                       GBytes *attestation_object,
                                       GBytes *authenticator_data,
                                       GBytes *public_key,
                                       gint64  public_key_algorithm)
{
  JsonObject *response = json_object_new ();
  JsonArray *transports = json_array_new ();

  g_return_val_if_fail (credential_id != NULL, NULL);
  g_return_val_if_fail (client_data_json != NULL, NULL);
  g_return_val_if_fail (attestation_object != NULL, NULL);
  g_return_val_if_fail (authenticator_data != NULL, NULL);

  set_base64url (response, "clientDataJSON", client_data_json);
  set_base64url (response, "attestationObject", attestation_object);
  json_array_add_string_element (transports, "usb");
  json_object_set_array_member (response, "transports", transports);
  if (public_key != NULL)
    set_base64url (response, "publicKey", public_key);
  json_object_set_int_member (response, "publicKeyAlgorithm", public_key_algorithm);
  set_base64url (response, "authenticatorData", authenticator_data);
  /* Dynamic's own client sends this copy too (API.md); its server may read either. */
  set_base64url (response, "clientDataJson", client_data_json);

  return new_credential (credential_id, response);
}

JsonObject *
kt_webauthn_response_new_authentication (GBytes *credential_id,
                                         GBytes *client_data_json,
                                         GBytes *authenticator_data,
                                         GBytes *signature,
                                         GBytes *user_handle)
{
  JsonObject *response = json_object_new ();

  g_return_val_if_fail (credential_id != NULL, NULL);
  g_return_val_if_fail (client_data_json != NULL, NULL);
  g_return_val_if_fail (authenticator_data != NULL, NULL);
  g_return_val_if_fail (signature != NULL, NULL);

  set_base64url (response, "clientDataJSON", client_data_json);
  set_base64url (response, "authenticatorData", authenticator_data);
  set_base64url (response, "signature", signature);
  if (user_handle != NULL && g_bytes_get_size (user_handle) > 0)
    set_base64url (response, "userHandle", user_handle);
  set_base64url (response, "clientDataJson", client_data_json);

  return new_credential (credential_id, response);
}
