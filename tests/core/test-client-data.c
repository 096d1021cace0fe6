/* test-client-data.c: clientDataJSON is the spec's serialization, byte for byte
 *
 * Copyright 2026 Keyturn developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <json-glib/json-glib.h>

#include "kt-client-data.h"
#include "kt-webauthn-error.h"

static char *
ccd (const char *value)
{
  GString *out = g_string_new (NULL);

  kt_client_data_append_string (out, value);
  return g_string_free (out, FALSE);
}

/* CCDToString (WebAuthn L3 §5.8.1.1): only ", \ and code points below U+0020 are escaped;
 * controls as \u and four lower-case hex digits; everything else, DEL and non-ASCII
 * included, is copied as UTF-8. */
static void
test_ccd_to_string (void)
{
  static const struct {
    const char *in;
    const char *out;
  } vectors[] = {
    { "", "\"\"" },
    { "https://example.com", "\"https://example.com\"" },
    { "a\"b", "\"a\\\"b\"" },
    { "a\\b", "\"a\\\\b\"" },
    { "\\\"", "\"\\\\\\\"\"" },
    { "/", "\"/\"" },                               /* no escape for solidus */
    { "\x01", "\"\\u0001\"" },
    { "\n\r\t", "\"\\u000a\\u000d\\u0009\"" },      /* no \n short forms */
    { "\x1f", "\"\\u001f\"" },
    { "\x1b[", "\"\\u001b[\"" },
    { " !#[]~", "\" !#[]~\"" },
    { "\x7f", "\"\x7f\"" },                         /* DEL is not a C0 control */
    { "caf\xc3\xa9", "\"caf\xc3\xa9\"" },           /* é stays UTF-8 */
    { "\xe2\x80\xa8", "\"\xe2\x80\xa8\"" },         /* U+2028 too */
    { "\xf0\x9f\x94\x91", "\"\xf0\x9f\x94\x91\"" }, /* and astral U+1F511 */
    { "\xc2\x80", "\"\xc2\x80\"" },                 /* C1 controls are not escaped */
  };

  for (gsize i = 0; i < G_N_ELEMENTS (vectors); i++)
    {
      g_autofree char *got = ccd (vectors[i].in);

      g_assert_cmpstr (got, ==, vectors[i].out);
    }
}

static GBytes *
challenge_bytes (void)
{
  static const guint8 challenge[] = {
    0xfb, 0xff, 0x00, 0x01, 0x3e, 0x3f, 0x80, 0x7f, 0x10, 0x20, 0x30, 0x40, 0x50, 0x60, 0x70, 0x81,
  };

  return g_bytes_new_static (challenge, sizeof challenge);
}

static void
test_serialize_create (void)
{
  g_autoptr(GBytes) challenge = challenge_bytes ();
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) data = NULL;
  /* base64url of the challenge, unpadded: '-' and '_' where base64 has '+' and '/' */
  const char *expected =
    "{\"type\":\"webauthn.create\",\"challenge\":\"-_8AAT4_gH8QIDBAUGBwgQ\","
    "\"origin\":\"https://example.com\",\"crossOrigin\":false}";

  data = kt_client_data_serialize (KT_CLIENT_DATA_TYPE_CREATE, challenge, "https://example.com",
                                   &error);
  g_assert_no_error (error);
  g_assert_cmpmem (g_bytes_get_data (data, NULL), g_bytes_get_size (data),
                   expected, strlen (expected));
}

static void
test_serialize_get_escaped_origin (void)
{
  g_autoptr(GBytes) challenge = challenge_bytes ();
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) data = NULL;
  g_autoptr(JsonParser) parser = json_parser_new ();
  const char *origin = "http://localhost:8080/\"\\\x02\xc3\xa9";
  const char *expected =
    "{\"type\":\"webauthn.get\",\"challenge\":\"-_8AAT4_gH8QIDBAUGBwgQ\","
    "\"origin\":\"http://localhost:8080/\\\"\\\\\\u0002\xc3\xa9\",\"crossOrigin\":false}";
  JsonObject *object;

  data = kt_client_data_serialize (KT_CLIENT_DATA_TYPE_GET, challenge, origin, &error);
  g_assert_no_error (error);
  g_assert_cmpmem (g_bytes_get_data (data, NULL), g_bytes_get_size (data),
                   expected, strlen (expected));

  /* Any JSON parser reads the same values back. */
  g_assert_true (json_parser_load_from_data (parser, g_bytes_get_data (data, NULL),
                                             (gssize) g_bytes_get_size (data), &error));
  g_assert_no_error (error);
  object = json_node_get_object (json_parser_get_root (parser));
  g_assert_cmpstr (json_object_get_string_member (object, "type"), ==, "webauthn.get");
  g_assert_cmpstr (json_object_get_string_member (object, "origin"), ==, origin);
  g_assert_false (json_object_get_boolean_member (object, "crossOrigin"));
  g_assert_cmpuint (json_object_get_size (object), ==, 4);
}

static void
test_serialize_refuses_invalid_utf8 (void)
{
  g_autoptr(GBytes) challenge = challenge_bytes ();
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) data = NULL;

  data = kt_client_data_serialize (KT_CLIENT_DATA_TYPE_GET, challenge, "https://\xff.example",
                                   &error);
  g_assert_null (data);
  g_assert_error (error, KT_WEBAUTHN_ERROR, KT_WEBAUTHN_ERROR_INSECURE_ORIGIN);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/client-data/ccd-to-string", test_ccd_to_string);
  g_test_add_func ("/client-data/serialize/create", test_serialize_create);
  g_test_add_func ("/client-data/serialize/get-escaped-origin", test_serialize_get_escaped_origin);
  g_test_add_func ("/client-data/serialize/invalid-utf8", test_serialize_refuses_invalid_utf8);

  return g_test_run ();
}
