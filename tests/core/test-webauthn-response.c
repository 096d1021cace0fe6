/* test-webauthn-response.c: what Keyturn checks of a key's answer, and the JSON it sends on
 *
 * Copyright 2026 Keyturn developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <cbor.h>
#include <openssl/sha.h>
#include <string.h>

#include "kt-base64url.h"
#include "kt-webauthn-error.h"
#include "kt-webauthn-response.h"

#define FLAG_UP 0x01
#define FLAG_UV 0x04
#define FLAG_AT 0x40

/* rpIdHash, flags, signCount and, when @attested, a made-up attested credential part. */
static GBytes *
auth_data (const char *rp_id,
           guint8      flags,
           gboolean    attested)
{
  GByteArray *data = g_byte_array_new ();
  guint8 hash[SHA256_DIGEST_LENGTH];
  static const guint8 count[4] = { 0, 0, 0, 7 };
  static const guint8 credential[16 + 2 + 4 + 3] = {
    [17] = 4, [18] = 1, [19] = 2, [20] = 3, [21] = 4, [22] = 0xa1, [23] = 0x01, [24] = 0x02,
  };

  SHA256 ((const guint8 *) rp_id, strlen (rp_id), hash);
  g_byte_array_append (data, hash, sizeof hash);
  g_byte_array_append (data, &flags, 1);
  g_byte_array_append (data, count, sizeof count);
  if (attested)
    g_byte_array_append (data, credential, sizeof credential);
  return g_byte_array_free_to_bytes (data);
}

static void
assert_check (GBytes   *data,
              gboolean  attested,
              gboolean  require_uv,
              gboolean  accepted)
{
  g_autoptr(GError) error = NULL;
  gboolean ok = kt_webauthn_response_check_authenticator_data (data, "example.com", attested,
                                                               require_uv, &error);

  if (accepted)
    {
      g_assert_no_error (error);
      g_assert_true (ok);
    }
  else
    {
      g_assert_false (ok);
      g_assert_error (error, KT_WEBAUTHN_ERROR, KT_WEBAUTHN_ERROR_BAD_RESPONSE);
    }
}

static void
test_check_authenticator_data (void)
{
  g_autoptr(GBytes) assertion = auth_data ("example.com", FLAG_UP, FALSE);
  g_autoptr(GBytes) verified = auth_data ("example.com", FLAG_UP | FLAG_UV, FALSE);
  g_autoptr(GBytes) registration = auth_data ("example.com", FLAG_UP | FLAG_AT, TRUE);
  g_autoptr(GBytes) other_rp = auth_data ("evil-example.com", FLAG_UP, FALSE);
  g_autoptr(GBytes) suffix_rp = auth_data ("com", FLAG_UP | FLAG_AT, TRUE);
  g_autoptr(GBytes) no_presence = auth_data ("example.com", 0, FALSE);
  g_autoptr(GBytes) attested_assertion = auth_data ("example.com", FLAG_UP | FLAG_AT, TRUE);
  g_autoptr(GBytes) bare_registration = auth_data ("example.com", FLAG_UP, FALSE);
  g_autoptr(GBytes) flag_without_data = auth_data ("example.com", FLAG_UP | FLAG_AT, FALSE);
  g_autoptr(GBytes) truncated = g_bytes_new_from_bytes (assertion, 0, 36);

  assert_check (assertion, FALSE, FALSE, TRUE);
  assert_check (verified, FALSE, TRUE, TRUE);
  assert_check (registration, TRUE, FALSE, TRUE);

  assert_check (other_rp, FALSE, FALSE, FALSE);             /* rpIdHash of another RP */
  assert_check (suffix_rp, TRUE, FALSE, FALSE);
  assert_check (no_presence, FALSE, FALSE, FALSE);          /* UP not set */
  assert_check (assertion, FALSE, TRUE, FALSE);             /* UV required, not done */
  assert_check (attested_assertion, FALSE, FALSE, FALSE);   /* AT on an assertion */
  assert_check (bare_registration, TRUE, FALSE, FALSE);     /* no AT on registration */
  assert_check (flag_without_data, TRUE, FALSE, FALSE);     /* AT set, nothing attested */
  assert_check (truncated, FALSE, FALSE, FALSE);
  assert_check (NULL, FALSE, FALSE, FALSE);
}

static void
test_attestation_object (void)
{
  static const guint8 statement_cbor[] = { 0xa1, 0x63, 'a', 'l', 'g', 0x26 };   /* {"alg": -7} */
  g_autoptr(GBytes) statement = g_bytes_new_static (statement_cbor, sizeof statement_cbor);
  g_autoptr(GBytes) data = auth_data ("example.com", FLAG_UP | FLAG_AT, TRUE);
  g_autoptr(GBytes) object = kt_webauthn_response_encode_attestation_object ("packed", statement,
                                                                            data);
  g_autoptr(GBytes) not_a_map = g_bytes_new_static ("\x01", 1);
  g_autoptr(GBytes) refused = NULL;
  struct cbor_load_result loaded;
  cbor_item_t *item;
  struct cbor_pair *pairs;

  g_assert_nonnull (object);
  item = cbor_load (g_bytes_get_data (object, NULL), g_bytes_get_size (object), &loaded);
  g_assert_nonnull (item);
  g_assert_cmpuint (loaded.read, ==, g_bytes_get_size (object));
  g_assert_true (cbor_isa_map (item));
  g_assert_cmpuint (cbor_map_size (item), ==, 3);
  pairs = cbor_map_handle (item);

  /* CTAP2 canonical order: fmt, attStmt, authData. */
  g_assert_cmpmem (cbor_string_handle (pairs[0].key), cbor_string_length (pairs[0].key), "fmt", 3);
  g_assert_cmpmem (cbor_string_handle (pairs[0].value), cbor_string_length (pairs[0].value),
                   "packed", 6);
  g_assert_cmpmem (cbor_string_handle (pairs[1].key), cbor_string_length (pairs[1].key),
                   "attStmt", 7);
  g_assert_true (cbor_isa_map (pairs[1].value));
  g_assert_cmpmem (cbor_string_handle (pairs[2].key), cbor_string_length (pairs[2].key),
                   "authData", 8);
  g_assert_cmpmem (cbor_bytestring_handle (pairs[2].value), cbor_bytestring_length (pairs[2].value),
                   g_bytes_get_data (data, NULL), g_bytes_get_size (data));
  cbor_decref (&item);

  refused = kt_webauthn_response_encode_attestation_object ("packed", not_a_map, data);
  g_assert_null (refused);
}

static void
assert_base64url_member (JsonObject *object,
                         const char *member,
                         GBytes     *expected)
{
  const char *text = json_object_get_string_member (object, member);
  g_autoptr(GBytes) decoded = NULL;

  g_assert_nonnull (text);
  g_assert_null (strchr (text, '='));
  decoded = kt_base64url_decode (text, NULL);
  g_assert_nonnull (decoded);
  g_assert_true (g_bytes_equal (decoded, expected));
}

static void
test_response_json (void)
{
  g_autoptr(GBytes) id = g_bytes_new_static ("\xfb\xff\x01", 3);
  g_autoptr(GBytes) client_data = g_bytes_new_static ("{\"type\":\"webauthn.get\"}", 23);
  g_autoptr(GBytes) data = auth_data ("example.com", FLAG_UP, FALSE);
  g_autoptr(GBytes) signature = g_bytes_new_static ("\x30\x02\x01\x01", 4);
  g_autoptr(GBytes) user = g_bytes_new_static ("user", 4);
  g_autoptr(GBytes) spki = g_bytes_new_static ("\x30\x00", 2);
  g_autoptr(JsonObject) assertion = NULL;
  g_autoptr(JsonObject) anonymous = NULL;
  g_autoptr(JsonObject) registration = NULL;
  JsonObject *response;
  JsonArray *transports;

  assertion = kt_webauthn_response_new_authentication (id, client_data, data, signature, user);
  g_assert_cmpstr (json_object_get_string_member (assertion, "id"), ==, "-_8B");
  g_assert_cmpstr (json_object_get_string_member (assertion, "rawId"), ==, "-_8B");
  g_assert_cmpstr (json_object_get_string_member (assertion, "type"), ==, "public-key");
  g_assert_cmpstr (json_object_get_string_member (assertion, "authenticatorAttachment"), ==,
                   "cross-platform");
  g_assert_cmpuint (json_object_get_size (json_object_get_object_member (assertion,
                                                                         "clientExtensionResults")),
                    ==, 0);
  response = json_object_get_object_member (assertion, "response");
  assert_base64url_member (response, "clientDataJSON", client_data);
  assert_base64url_member (response, "clientDataJson", client_data);
  assert_base64url_member (response, "authenticatorData", data);
  assert_base64url_member (response, "signature", signature);
  assert_base64url_member (response, "userHandle", user);
  g_assert_cmpuint (json_object_get_size (response), ==, 5);

  anonymous = kt_webauthn_response_new_authentication (id, client_data, data, signature, NULL);
  g_assert_false (json_object_has_member (json_object_get_object_member (anonymous, "response"),
                                          "userHandle"));

  registration = kt_webauthn_response_new_registration (id, client_data, data, data, spki, -7);
  response = json_object_get_object_member (registration, "response");
  assert_base64url_member (response, "clientDataJSON", client_data);
  assert_base64url_member (response, "clientDataJson", client_data);
  assert_base64url_member (response, "attestationObject", data);
  assert_base64url_member (response, "authenticatorData", data);
  assert_base64url_member (response, "publicKey", spki);
  g_assert_cmpint (json_object_get_int_member (response, "publicKeyAlgorithm"), ==, -7);
  transports = json_object_get_array_member (response, "transports");
  g_assert_cmpuint (json_array_get_length (transports), ==, 1);
  g_assert_cmpstr (json_array_get_string_element (transports, 0), ==, "usb");
  g_assert_cmpstr (json_object_get_string_member (registration, "authenticatorAttachment"), ==,
                   "cross-platform");
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/webauthn-response/check-authenticator-data", test_check_authenticator_data);
  g_test_add_func ("/webauthn-response/attestation-object", test_attestation_object);
  g_test_add_func ("/webauthn-response/json", test_response_json);

  return g_test_run ();
}
