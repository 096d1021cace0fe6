/* test-sandbox-device.c: GET /nonces and the device-signed headers against a running
 * keyturn-sandbox, in an environment that requires them and in one that does not
 *
 * The signatures are made by Keyturn's own KtDeviceKey, so a pass also says that the client's
 * encodings (compressed SEC1 hex key, raw r || s hex signature) are the ones the sandbox reads.
 *
 * Copyright 2026 Keyturn developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <string.h>

#include "ks-test-server.h"
#include "kt-device-key.h"

#define REQUIRED_ENV "2f0c5c0e-7b0a-4c55-9a51-3f7ad0e3c001"
#define OPTIONAL_ENV "2f0c5c0e-7b0a-4c55-9a51-3f7ad0e3c002"

typedef struct {
  const char *nonce;
  const char *public_key;
  const char *signature;
} DeviceHeaders;

static KsTestServer *
start_two_environments (void)
{
  /* The first environment is the default one, whose id the test server reports. */
  return ks_test_server_start (
    "{\"environments\": ["
    "  {\"id\": \"" REQUIRED_ENV "\", \"displayName\": \"Signed\", \"requireDeviceSignature\": true,"
    "   \"mfa\": {\"required\": false}},"
    "  {\"id\": \"" OPTIONAL_ENV "\", \"displayName\": \"Unsigned\","
    "   \"mfa\": {\"required\": false}}"
    "]}");
}

static char *
url_for (KsTestServer *server,
         const char   *environment_id,
         const char   *path)
{
  return g_strconcat (server->base_url, "/sdk/", environment_id, path, NULL);
}

static guint
request (KsTestServer        *server,
         const char          *environment_id,
         const char          *method,
         const char          *path,
         const char          *token,
         const char          *body,
         const DeviceHeaders *device,
         JsonObject         **out_reply)
{
  g_autofree char *url = url_for (server, environment_id, path);
  g_autoptr(SoupMessage) msg = soup_message_new (method, url);
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) reply = NULL;
  SoupMessageHeaders *headers = soup_message_get_request_headers (msg);
  gsize len = 0;
  const char *data;

  if (token != NULL)
    {
      g_autofree char *value = g_strconcat ("Bearer ", token, NULL);
      soup_message_headers_replace (headers, "Authorization", value);
    }
  if (device != NULL && device->nonce != NULL)
    soup_message_headers_replace (headers, "x-dynamic-device-nonce", device->nonce);
  if (device != NULL && device->public_key != NULL)
    soup_message_headers_replace (headers, "x-dynamic-device-publickey", device->public_key);
  if (device != NULL && device->signature != NULL)
    soup_message_headers_replace (headers, "x-dynamic-device-signed-nonce", device->signature);
  if (body != NULL)
    {
      g_autoptr(GBytes) bytes = g_bytes_new (body, strlen (body));
      soup_message_set_request_body_from_bytes (msg, "application/json", bytes);
    }

  reply = soup_session_send_and_read (server->session, msg, NULL, &error);
  g_assert_no_error (error);
  if (out_reply != NULL)
    {
      data = g_bytes_get_data (reply, &len);
      *out_reply = len > 0 ? ks_test_parse_object (data) : NULL;
    }
  return soup_message_get_status (msg);
}

static char **
get_nonces (KsTestServer *server,
            const char   *environment_id,
            guint         count)
{
  g_autofree char *path = g_strdup_printf ("/nonces?count=%u", count);
  g_autoptr(JsonObject) reply = NULL;
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();
  JsonArray *nonces;

  g_assert_cmpuint (request (server, environment_id, "GET", path, NULL, NULL, NULL, &reply), ==,
                    200);
  /* NoncesResponse: exactly one member, nonces, a list of strings. */
  g_assert_cmpuint (json_object_get_size (reply), ==, 1);
  nonces = json_object_get_array_member (reply, "nonces");
  g_assert_cmpuint (json_array_get_length (nonces), ==, count);
  for (guint i = 0; i < count; i++)
    g_strv_builder_add (builder, json_array_get_string_element (nonces, i));
  return g_strv_builder_end (builder);
}

static char *
get_nonce (KsTestServer *server,
           const char   *environment_id)
{
  g_auto(GStrv) nonces = get_nonces (server, environment_id, 1);

  return g_strdup (nonces[0]);
}

/* Starts an email verification for a new address; answers the body of its sign-in. */
static char *
email_signin_body (KsTestServer *server,
                   const char   *environment_id)
{
  g_autofree char *email = ks_test_unique_email ("device");
  g_autofree char *create = g_strdup_printf ("{\"email\":\"%s\"}", email);
  g_autofree char *code = NULL;
  g_autoptr(JsonObject) reply = NULL;

  g_assert_cmpuint (request (server, environment_id, "POST", "/emailVerifications/create", NULL,
                             create, NULL, &reply), ==, 200);
  code = ks_test_server_read_code (server, email);
  return g_strdup_printf ("{\"verificationUUID\":\"%s\",\"verificationToken\":\"%s\"}",
                          json_object_get_string_member (reply, "verificationUUID"), code);
}

static void
assert_refused (guint       status,
                JsonObject *reply,
                guint       expected_status,
                const char *expected_code)
{
  g_assert_cmpuint (status, ==, expected_status);
  g_assert_cmpstr (ks_test_error_code (reply), ==, expected_code);
}

static void
test_nonces (void)
{
  g_autoptr(KsTestServer) server = start_two_environments ();
  g_auto(GStrv) five = get_nonces (server, REQUIRED_ENV, 5);
  g_autoptr(GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);
  const char *bad_counts[] = { "0", "6", "-1", "x", "5x", "" };

  for (guint i = 0; five[i] != NULL; i++)
    {
      g_assert_cmpuint (strlen (five[i]), >=, 16);
      g_assert_true (g_hash_table_add (seen, five[i]));
    }

  /* Without a count, one. */
  {
    g_autoptr(JsonObject) reply = NULL;

    g_assert_cmpuint (request (server, REQUIRED_ENV, "GET", "/nonces", NULL, NULL, NULL, &reply),
                      ==, 200);
    g_assert_cmpuint (json_array_get_length (json_object_get_array_member (reply, "nonces")), ==,
                      1);
  }

  for (guint i = 0; i < G_N_ELEMENTS (bad_counts); i++)
    {
      g_autofree char *path = g_strdup_printf ("/nonces?count=%s", bad_counts[i]);
      g_autoptr(JsonObject) reply = NULL;
      guint status = request (server, REQUIRED_ENV, "GET", path, NULL, NULL, NULL, &reply);

      assert_refused (status, reply, 400, "invalid_count");
    }
}

static void
test_required (void)
{
  g_autoptr(KsTestServer) server = start_two_environments ();
  g_autoptr(KtDeviceKey) key = kt_device_key_generate (NULL);
  g_autoptr(JsonObject) reply = NULL;
  g_autofree char *body = email_signin_body (server, REQUIRED_ENV);
  g_autofree char *nonce = get_nonce (server, REQUIRED_ENV);
  g_autofree char *signature = kt_device_key_sign (key, nonce, NULL);
  g_autofree char *token = NULL;
  DeviceHeaders device = { nonce, kt_device_key_get_public_key (key), signature };
  DeviceHeaders partial = { nonce, kt_device_key_get_public_key (key), NULL };
  guint status;

  /* Required but absent, or only in part: refused before the code is tried. */
  status = request (server, REQUIRED_ENV, "POST", "/emailVerifications/signin", NULL, body, NULL,
                    &reply);
  assert_refused (status, reply, 401, "device_signature_missing");
  g_clear_pointer (&reply, json_object_unref);
  status = request (server, REQUIRED_ENV, "POST", "/emailVerifications/signin", NULL, body,
                    &partial, &reply);
  assert_refused (status, reply, 401, "device_signature_missing");
  g_clear_pointer (&reply, json_object_unref);

  /* A valid signature signs in. */
  g_assert_cmpuint (request (server, REQUIRED_ENV, "POST", "/emailVerifications/signin", NULL,
                             body, &device, &reply), ==, 200);
  token = g_strdup (json_object_get_string_member (reply, "minifiedJwt"));
  g_clear_pointer (&reply, json_object_unref);

  /* Endpoints outside deviceNonceSignatureEndpoints do not ask for it. */
  g_assert_cmpuint (request (server, REQUIRED_ENV, "GET", "/users", token, NULL, NULL, NULL), ==,
                    200);

  /* Refresh: absent is refused, the same nonce again is refused, a fresh one is taken. */
  status = request (server, REQUIRED_ENV, "POST", "/refresh", token, NULL, NULL, &reply);
  assert_refused (status, reply, 401, "device_signature_missing");
  g_clear_pointer (&reply, json_object_unref);
  status = request (server, REQUIRED_ENV, "POST", "/refresh", token, NULL, &device, &reply);
  assert_refused (status, reply, 403, "device_nonce_used");
  g_clear_pointer (&reply, json_object_unref);
  {
    g_autofree char *fresh = get_nonce (server, REQUIRED_ENV);
    g_autofree char *fresh_signature = kt_device_key_sign (key, fresh, NULL);
    DeviceHeaders again = { fresh, kt_device_key_get_public_key (key), fresh_signature };

    g_assert_cmpuint (request (server, REQUIRED_ENV, "POST", "/refresh", token, NULL, &again,
                               &reply), ==, 200);
    g_assert_true (json_object_has_member (reply, "minifiedJwt"));
  }
}

static void
test_refused_headers (void)
{
  g_autoptr(KsTestServer) server = start_two_environments ();
  g_autoptr(KtDeviceKey) key = kt_device_key_generate (NULL);
  g_autoptr(KtDeviceKey) other = kt_device_key_generate (NULL);
  g_autofree char *body = email_signin_body (server, REQUIRED_ENV);
  g_autofree char *nonce = get_nonce (server, REQUIRED_ENV);
  g_autofree char *signature = kt_device_key_sign (key, nonce, NULL);
  g_autofree char *other_signature = kt_device_key_sign (other, nonce, NULL);
  g_autofree char *made_up_signature = kt_device_key_sign (key, "00112233445566778899aabbccddeeff",
                                                           NULL);
  g_autofree char *foreign = get_nonce (server, OPTIONAL_ENV);
  g_autofree char *foreign_signature = kt_device_key_sign (key, foreign, NULL);
  g_autofree char *flipped = g_strdup (signature);
  g_autofree char *uppercase_key = g_ascii_strup (kt_device_key_get_public_key (key), -1);
  const char *public_key = kt_device_key_get_public_key (key);
  /* x = 1 has no point on P-256: y² = 1 - 3 + b is not a square mod p. */
  const char *off_curve = "020000000000000000000000000000000000000000000000000000000000000001";
  const char *bad_keys[] = {
    "", "02", "zz", off_curve, "04deadbeef",
    "05" "6b17d1f2e12c4247f8bce6e563a440f277037d812deb33a0f4a13945d898c296",
    /* The generator, uncompressed: a valid point, but not the encoding Dynamic sends. */
    "04" "6b17d1f2e12c4247f8bce6e563a440f277037d812deb33a0f4a13945d898c296"
    "4fe342e2fe1a7f9b8ee7eb4a7c0f9e162bce33576b315ececbb6406837bf51f5",
  };
  const struct {
    DeviceHeaders headers;
    const char   *code;
  } refused[] = {
    { { nonce, public_key, other_signature }, "device_signature_invalid" },
    { { nonce, public_key, flipped }, "device_signature_invalid" },
    { { nonce, public_key, "abcd" }, "device_signature_invalid" },
    { { nonce, kt_device_key_get_public_key (other), signature }, "device_signature_invalid" },
    { { "00112233445566778899aabbccddeeff", public_key, made_up_signature },
      "device_nonce_unknown" },
    { { foreign, public_key, foreign_signature }, "device_nonce_unknown" },
  };
  DeviceHeaders device = { nonce, public_key, signature };
  g_autoptr(JsonObject) reply = NULL;
  g_autofree char *token = NULL;
  guint status;

  flipped[10] = flipped[10] == '0' ? '1' : '0';

  for (guint i = 0; i < G_N_ELEMENTS (refused); i++)
    {
      status = request (server, REQUIRED_ENV, "POST", "/emailVerifications/signin", NULL, body,
                        &refused[i].headers, &reply);
      assert_refused (status, reply, 403, refused[i].code);
      g_clear_pointer (&reply, json_object_unref);
    }
  for (guint i = 0; i < G_N_ELEMENTS (bad_keys); i++)
    {
      DeviceHeaders bad = { nonce, bad_keys[i], signature };

      status = request (server, REQUIRED_ENV, "POST", "/emailVerifications/signin", NULL, body,
                        &bad, &reply);
      assert_refused (status, reply, 403, "device_public_key_invalid");
      g_clear_pointer (&reply, json_object_unref);
    }

  /* None of those used the nonce up; a key in capitals is still hex. */
  device.public_key = uppercase_key;
  g_assert_cmpuint (request (server, REQUIRED_ENV, "POST", "/emailVerifications/signin", NULL,
                             body, &device, &reply), ==, 200);
  token = g_strdup (json_object_get_string_member (reply, "minifiedJwt"));
  g_clear_pointer (&reply, json_object_unref);
  /* Used once, it is gone for the other signed endpoints too. */
  status = request (server, REQUIRED_ENV, "POST", "/refresh", token, NULL, &device, &reply);
  assert_refused (status, reply, 403, "device_nonce_used");
  g_clear_pointer (&reply, json_object_unref);
  /* Endpoints that take no signature leave the headers alone, as Dynamic's client sends none. */
  g_assert_cmpuint (request (server, REQUIRED_ENV, "GET", "/settings", NULL, NULL, &device, NULL),
                    ==, 200);
}

static void
test_optional (void)
{
  g_autoptr(KsTestServer) server = start_two_environments ();
  g_autoptr(KtDeviceKey) key = kt_device_key_generate (NULL);
  g_autofree char *body = email_signin_body (server, OPTIONAL_ENV);
  g_autofree char *second = email_signin_body (server, OPTIONAL_ENV);
  g_autofree char *third = email_signin_body (server, OPTIONAL_ENV);
  g_autofree char *nonce = get_nonce (server, OPTIONAL_ENV);
  g_autofree char *signature = kt_device_key_sign (key, nonce, NULL);
  g_autofree char *wrong = kt_device_key_sign (key, "not the nonce", NULL);
  DeviceHeaders device = { nonce, kt_device_key_get_public_key (key), signature };
  DeviceHeaders forged = { nonce, kt_device_key_get_public_key (key), wrong };
  g_autoptr(JsonObject) reply = NULL;
  guint status;

  /* Absent and not required: accepted, as before. */
  g_assert_cmpuint (request (server, OPTIONAL_ENV, "POST", "/emailVerifications/signin", NULL,
                             body, NULL, NULL), ==, 200);
  /* Present: checked all the same. */
  status = request (server, OPTIONAL_ENV, "POST", "/emailVerifications/signin", NULL, second,
                    &forged, &reply);
  assert_refused (status, reply, 403, "device_signature_invalid");
  g_assert_cmpuint (request (server, OPTIONAL_ENV, "POST", "/emailVerifications/signin", NULL,
                             second, &device, NULL), ==, 200);
  g_clear_pointer (&reply, json_object_unref);
  status = request (server, OPTIONAL_ENV, "POST", "/emailVerifications/signin", NULL, third,
                    &device, &reply);
  assert_refused (status, reply, 403, "device_nonce_used");
}

/* Nonces carry their own MAC and expiry, and spent ones are stored: a restart changes neither. */
static void
test_restart (void)
{
  g_autoptr(KsTestServer) server = start_two_environments ();
  g_autoptr(KtDeviceKey) key = kt_device_key_generate (NULL);
  g_auto(GStrv) nonces = get_nonces (server, REQUIRED_ENV, 2);
  g_autofree char *first = kt_device_key_sign (key, nonces[0], NULL);
  g_autofree char *second = kt_device_key_sign (key, nonces[1], NULL);
  g_autofree char *body = email_signin_body (server, REQUIRED_ENV);
  g_autofree char *again = NULL;
  DeviceHeaders spent = { nonces[0], kt_device_key_get_public_key (key), first };
  DeviceHeaders kept = { nonces[1], kt_device_key_get_public_key (key), second };
  g_autoptr(JsonObject) reply = NULL;
  guint status;

  g_assert_cmpuint (request (server, REQUIRED_ENV, "POST", "/emailVerifications/signin", NULL,
                             body, &spent, NULL), ==, 200);
  ks_test_server_restart (server, TRUE);

  again = email_signin_body (server, REQUIRED_ENV);
  status = request (server, REQUIRED_ENV, "POST", "/emailVerifications/signin", NULL, again,
                    &spent, &reply);
  assert_refused (status, reply, 403, "device_nonce_used");
  g_assert_cmpuint (request (server, REQUIRED_ENV, "POST", "/emailVerifications/signin", NULL,
                             again, &kept, NULL), ==, 200);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/sandbox/device/nonces", test_nonces);
  g_test_add_func ("/sandbox/device/required", test_required);
  g_test_add_func ("/sandbox/device/refused-headers", test_refused_headers);
  g_test_add_func ("/sandbox/device/optional", test_optional);
  g_test_add_func ("/sandbox/device/restart", test_restart);

  return g_test_run ();
}
