/* test-origin.c: the rules Keyturn keeps as a browser would, checked before any key is touched
 *
 * Copyright 2026 Keyturn developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "kt-webauthn-client.h"

static void
test_origin_schemes (void)
{
  static const struct {
    const char *text;
    const char *serialized;   /* NULL: refused */
  } cases[] = {
    { "https://example.com", "https://example.com" },
    { "https://Example.COM/", "https://example.com" },
    { "https://example.com:443", "https://example.com" },
    { "https://example.com:8443", "https://example.com:8443" },
    { "http://localhost:8080", "http://localhost:8080" },
    { "http://localhost", "http://localhost" },
    { "http://sandbox.localhost:9000", "http://sandbox.localhost:9000" },
    { "http://127.0.0.1:8080", "http://127.0.0.1:8080" },
    { "http://[::1]:8080", "http://[::1]:8080" },
    { "http://example.com", NULL },                 /* http off the machine */
    { "http://localhost.example.com", NULL },
    { "http://10.0.0.1", NULL },
    { "ftp://example.com", NULL },
    { "file:///etc/passwd", NULL },
    { "https://example.com/path", NULL },           /* an origin has no path */
    { "https://example.com/?q=1", NULL },
    { "https://example.com/#top", NULL },
    { "https://user@example.com", NULL },
    { "example.com", NULL },
    { "", NULL },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(KtOrigin) origin = kt_origin_new (cases[i].text, &error);

      if (cases[i].serialized == NULL)
        {
          g_assert_null (origin);
          g_assert_error (error, KT_WEBAUTHN_ERROR, KT_WEBAUTHN_ERROR_INSECURE_ORIGIN);
          g_assert_nonnull (error->message);
        }
      else
        {
          g_assert_no_error (error);
          g_assert_cmpstr (kt_origin_to_string (origin), ==, cases[i].serialized);
        }
    }
}

static void
assert_rp_id (const char *origin_text,
              const char *rp_id,
              gboolean    allowed)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(KtOrigin) origin = kt_origin_new (origin_text, &error);

  g_assert_no_error (error);
  if (allowed)
    {
      g_assert_true (kt_origin_check_rp_id (origin, rp_id, &error));
      g_assert_no_error (error);
    }
  else
    {
      g_assert_false (kt_origin_check_rp_id (origin, rp_id, &error));
      g_assert_error (error, KT_WEBAUTHN_ERROR, KT_WEBAUTHN_ERROR_RP_ID_MISMATCH);
    }
}

static void
test_rp_id (void)
{
  assert_rp_id ("https://example.com", "example.com", TRUE);
  assert_rp_id ("https://login.example.com", "example.com", TRUE);
  assert_rp_id ("https://a.b.example.com", "b.example.com", TRUE);
  assert_rp_id ("https://a.b.example.com", "example.com", TRUE);
  assert_rp_id ("https://app.example.co.uk", "example.co.uk", TRUE);
  assert_rp_id ("http://localhost:8080", "localhost", TRUE);

  /* Suffix attacks and public suffixes. */
  assert_rp_id ("https://example.com", "com", FALSE);
  assert_rp_id ("https://example.com", "evil-example.com", FALSE);
  assert_rp_id ("https://example.com", "le.com", FALSE);
  assert_rp_id ("https://example.com", "ample.com", FALSE);
  assert_rp_id ("https://example.com", "login.example.com", FALSE);  /* a subdomain is not ours */
  assert_rp_id ("https://example.com", "example.org", FALSE);
  assert_rp_id ("https://example.com", "", FALSE);
  assert_rp_id ("https://example.com", "example.com.", FALSE);
  assert_rp_id ("https://example.com", ".example.com", FALSE);
  assert_rp_id ("https://example.com", "EXAMPLE.com", FALSE);
  assert_rp_id ("https://app.example.co.uk", "co.uk", FALSE);
  assert_rp_id ("https://app.example.co.uk", "uk", FALSE);
  assert_rp_id ("https://someone.github.io", "github.io", FALSE);     /* private-section suffix */
  assert_rp_id ("https://a.localhost", "localhost", FALSE);
  assert_rp_id ("http://127.0.0.1:8080", "127.0.0.1", FALSE);         /* not a valid domain */
  assert_rp_id ("http://127.0.0.1:8080", "0.0.1", FALSE);
}

static const char creation_json[] =
  "{\"challenge\":\"AAECAwQFBgcICQoLDA0ODw\","
  "\"rp\":{\"id\":\"example.com\",\"name\":\"Example\"},"
  "\"user\":{\"id\":\"dXNlcg\",\"name\":\"user@example.com\",\"displayName\":\"User\"},"
  "\"pubKeyCredParams\":[{\"type\":\"public-key\",\"alg\":-7}],"
  "\"timeout\":60000,\"attestation\":\"none\"}";

static KtWebauthnClient *
new_client (const char *origin_text)
{
  g_autoptr(KtOrigin) origin = kt_origin_new (origin_text, NULL);

  g_assert_nonnull (origin);
  return g_object_new (KT_TYPE_WEBAUTHN_CLIENT, "origin", origin, "scan-hid", FALSE, NULL);
}

static void
test_user_id_length (void)
{
  g_autoptr(KtWebauthnClient) client = new_client ("https://example.com");
  g_autoptr(KtCreationOptions) options = kt_creation_options_new_from_data (creation_json, -1,
                                                                            NULL);
  guint8 id[65] = { 0 };
  static const gsize lengths[] = { 0, 1, 64, 65 };

  g_assert_nonnull (options);
  for (gsize i = 0; i < G_N_ELEMENTS (lengths); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autofree char *rp_id = NULL;
      gboolean ok;

      g_bytes_unref (options->user_id);
      options->user_id = g_bytes_new (id, lengths[i]);
      ok = kt_webauthn_client_check_creation_options (client, options, &rp_id, &error);
      if (lengths[i] >= 1 && lengths[i] <= 64)
        {
          g_assert_no_error (error);
          g_assert_true (ok);
          g_assert_cmpstr (rp_id, ==, "example.com");
        }
      else
        {
          g_assert_false (ok);
          g_assert_error (error, KT_WEBAUTHN_ERROR, KT_WEBAUTHN_ERROR_INVALID_USER_ID);
        }
    }
}

static void
test_client_checks (void)
{
  g_autoptr(KtWebauthnClient) client = new_client ("https://example.com");
  g_autoptr(KtWebauthnClient) http = new_client ("http://localhost:8080");
  g_autoptr(KtCreationOptions) options = kt_creation_options_new_from_data (creation_json, -1,
                                                                            NULL);
  g_autoptr(GError) error = NULL;
  g_autofree char *rp_id = NULL;

  g_assert_nonnull (options);

  /* rp.id from the server must fit the configured origin. */
  g_free (options->rp_id);
  options->rp_id = g_strdup ("com");
  g_assert_false (kt_webauthn_client_check_creation_options (client, options, NULL, &error));
  g_assert_error (error, KT_WEBAUTHN_ERROR, KT_WEBAUTHN_ERROR_RP_ID_MISMATCH);
  g_clear_error (&error);

  g_free (options->rp_id);
  options->rp_id = g_strdup ("evil-example.com");
  g_assert_false (kt_webauthn_client_check_creation_options (client, options, NULL, &error));
  g_assert_error (error, KT_WEBAUTHN_ERROR, KT_WEBAUTHN_ERROR_RP_ID_MISMATCH);
  g_clear_error (&error);

  g_assert_false (kt_webauthn_client_check_creation_options (http, options, NULL, &error));
  g_assert_error (error, KT_WEBAUTHN_ERROR, KT_WEBAUTHN_ERROR_RP_ID_MISMATCH);
  g_clear_error (&error);

  /* No rp.id: the origin's host. */
  g_clear_pointer (&options->rp_id, g_free);
  g_assert_true (kt_webauthn_client_check_creation_options (http, options, &rp_id, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (rp_id, ==, "localhost");

  /* Only ES256 keys are made; a server that takes none of them is refused. */
  g_array_set_size (options->algorithms, 0);
  g_array_append_val (options->algorithms, (gint64) { -257 });
  g_assert_false (kt_webauthn_client_check_creation_options (http, options, NULL, &error));
  g_assert_error (error, KT_WEBAUTHN_ERROR, KT_WEBAUTHN_ERROR_UNSUPPORTED_ALGORITHM);
}

static void
test_request_checks (void)
{
  g_autoptr(KtWebauthnClient) client = new_client ("https://login.example.com");
  g_autoptr(GError) error = NULL;
  g_autoptr(KtRequestOptions) options = NULL;
  g_autoptr(KtRequestOptions) empty = NULL;
  g_autofree char *rp_id = NULL;

  options = kt_request_options_new_from_data ("{\"challenge\":\"AAEC\",\"rpId\":\"example.com\","
                                              "\"allowCredentials\":[{\"id\":\"AQI\"}]}", -1,
                                              &error);
  g_assert_no_error (error);
  g_assert_true (kt_webauthn_client_check_request_options (client, options, &rp_id, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (rp_id, ==, "example.com");

  g_free (options->rp_id);
  options->rp_id = g_strdup ("com");
  g_assert_false (kt_webauthn_client_check_request_options (client, options, NULL, &error));
  g_assert_error (error, KT_WEBAUTHN_ERROR, KT_WEBAUTHN_ERROR_RP_ID_MISMATCH);
  g_clear_error (&error);

  /* As Dynamic's client: nothing to sign in with, nothing to ask a key. */
  empty = kt_request_options_new_from_data ("{\"challenge\":\"AAEC\"}", -1, &error);
  g_assert_no_error (error);
  g_assert_false (kt_webauthn_client_check_request_options (client, empty, NULL, &error));
  g_assert_error (error, KT_WEBAUTHN_ERROR, KT_WEBAUTHN_ERROR_INVALID_OPTIONS);
}

static void
test_timeout_clamp (void)
{
  g_assert_cmpuint (kt_webauthn_clamp_timeout (0), ==, 300000);
  g_assert_cmpuint (kt_webauthn_clamp_timeout (1), ==, 10000);
  g_assert_cmpuint (kt_webauthn_clamp_timeout (9999), ==, 10000);
  g_assert_cmpuint (kt_webauthn_clamp_timeout (10000), ==, 10000);
  g_assert_cmpuint (kt_webauthn_clamp_timeout (60000), ==, 60000);
  g_assert_cmpuint (kt_webauthn_clamp_timeout (600000), ==, 600000);
  g_assert_cmpuint (kt_webauthn_clamp_timeout (600001), ==, 600000);
  g_assert_cmpuint (kt_webauthn_clamp_timeout (G_MAXUINT), ==, 600000);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/origin/schemes", test_origin_schemes);
  g_test_add_func ("/origin/rp-id", test_rp_id);
  g_test_add_func ("/origin/user-id-length", test_user_id_length);
  g_test_add_func ("/origin/creation-checks", test_client_checks);
  g_test_add_func ("/origin/request-checks", test_request_checks);
  g_test_add_func ("/origin/timeout-clamp", test_timeout_clamp);

  return g_test_run ();
}
