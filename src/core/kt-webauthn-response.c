/* kt-webauthn-response.c
 *
 * Copyright 2026 Keyturn developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "kt-webauthn-response.h"

#include <cbor.h>
#include <stdlib.h>

#include "kt-base64url.h"

GBytes *
kt_webauthn_response_encode_attestation_object (const char *format,
                                                GBytes     *attestation_statement,
                                                GBytes     *authenticator_data)
{
  struct cbor_load_result loaded;
  cbor_item_t *statement;
  cbor_item_t *map;
  unsigned char *buffer = NULL;
  size_t buffer_size = 0;
  size_t length;
  gsize statement_len, data_len;
  const guint8 *statement_data = g_bytes_get_data (attestation_statement, &statement_len);
  const guint8 *data = g_bytes_get_data (authenticator_data, &data_len);

  statement = cbor_load (statement_data, statement_len, &loaded);
  if (statement == NULL || loaded.error.code != CBOR_ERR_NONE || loaded.read != statement_len
      || !cbor_isa_map (statement))
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
