/* test-webauthn-options.c: the server's creation and request options, read strictly
 *
 * Copyright 2026 Keyturn developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "kt-creation-options.h"
#include "kt-request-options.h"
#include "kt-webauthn-error.h"

static void
test_creation_full (void)
{
  const char *json =
    "{\"challenge\":\"AAECAwQFBgcICQoLDA0ODw\","
    "\"rp\":{\"id\":\"example.com\",\"name\":\"Example\"},"
    "\"user\":{\"id\":\"dXNlci0x\",\"name\":\"ann@example.com\",\"displayName\":\"Ann\"},"
    "\"pubKeyCredParams\":[{\"type\":\"public-key\",\"alg\":-7},{\"type\":\"other\",\"alg\":-8},"
    "{\"type\":\"public-key\",\"alg\":-257}],"
    "\"timeout\":60000,"
    "\"excludeCredentials\":[{\"id\":\"AQID\",\"type\":\"public-key\",\"transports\":[\"usb\"]},"
    "{\"id\":\"BAU\",\"type\":\"future-type\"}],"
    "\"authenticatorSelection\":{\"authenticatorAttachment\":\"cross-platform\","
    "\"residentKey\":\"preferred\",\"requireResidentKey\":true,\"userVerification\":\"required\"},"
    "\"attestation\":\"direct\",\"extensions\":{\"credProps\":true},\"hints\":[\"security-key\"]}";
  g_autoptr(GError) error = NULL;
  g_autoptr(KtCreationOptions) options = kt_creation_options_new_from_data (json, -1, &error);
  g_autoptr(KtCreationOptions) copy = NULL;

  g_assert_no_error (error);
  g_assert_nonnull (options);
  g_assert_cmpuint (g_bytes_get_size (options->challenge), ==, 16);
  g_assert_cmpstr (options->rp_id, ==, "example.com");
  g_assert_cmpstr (options->rp_name, ==, "Example");
  g_assert_cmpmem (g_bytes_get_data (options->user_id, NULL), g_bytes_get_size (options->user_id),
                   "user-1", 6);
  g_assert_cmpstr (options->user_name, ==, "ann@example.com");
  g_assert_cmpstr (options->user_display_name, ==, "Ann");
  g_assert_cmpuint (options->algorithms->len, ==, 2);
  g_assert_cmpint (g_array_index (options->algorithms, gint64, 0), ==, -7);
  g_assert_cmpint (g_array_index (options->algorithms, gint64, 1), ==, -257);
  g_assert_cmpuint (options->timeout_ms, ==, 60000);
  g_assert_cmpuint (options->exclude_credentials->len, ==, 1);
  g_assert_cmpuint (g_bytes_get_size (g_ptr_array_index (options->exclude_credentials, 0)), ==, 3);
  /* residentKey wins over requireResidentKey */
  g_assert_cmpint (options->resident_key, ==, KT_REQUIREMENT_PREFERRED);
  g_assert_cmpint (options->user_verification, ==, KT_REQUIREMENT_REQUIRED);
  g_assert_cmpstr (options->authenticator_attachment, ==, "cross-platform");
  g_assert_cmpstr (options->attestation, ==, "direct");

  copy = kt_creation_options_copy (options);
  g_assert_true (g_bytes_equal (copy->user_id, options->user_id));
  g_assert_cmpuint (copy->exclude_credentials->len, ==, 1);
}

static void
test_creation_defaults (void)
{
  const char *json =
    "{\"challenge\":\"AAEC\",\"rp\":{\"name\":\"Example\"},"
    "\"user\":{\"id\":\"AQ\",\"name\":\"n\",\"displayName\":\"\"},"
    "\"pubKeyCredParams\":[],\"authenticatorSelection\":{\"requireResidentKey\":true,"
    "\"userVerification\":\"someday\"},\"timeout\":null}";
  g_autoptr(GError) error = NULL;
  g_autoptr(KtCreationOptions) options = kt_creation_options_new_from_data (json, -1, &error);

  g_assert_no_error (error);
  g_assert_null (options->rp_id);
  g_assert_cmpuint (options->timeout_ms, ==, 0);
  g_assert_cmpuint (options->exclude_credentials->len, ==, 0);
  /* Empty pubKeyCredParams: ES256 and RS256, as the spec says. */
  g_assert_cmpuint (options->algorithms->len, ==, 2);
  g_assert_cmpint (g_array_index (options->algorithms, gint64, 0), ==, -7);
  g_assert_cmpint (options->resident_key, ==, KT_REQUIREMENT_REQUIRED);
  /* An unknown value is ignored: the default stays. */
  g_assert_cmpint (options->user_verification, ==, KT_REQUIREMENT_PREFERRED);
  g_assert_cmpstr (options->attestation, ==, "none");
}

static void
test_creation_malformed (void)
{
  static const char *cases[] = {
    "",
    "[]",
    "not json",
    "{}",
    /* challenge */
    "{\"rp\":{\"name\":\"x\"},\"user\":{\"id\":\"AQ\",\"name\":\"n\",\"displayName\":\"d\"},"
    "\"pubKeyCredParams\":[]}",
    "{\"challenge\":\"AA==\",\"rp\":{\"name\":\"x\"},\"user\":{\"id\":\"AQ\",\"name\":\"n\","
    "\"displayName\":\"d\"},\"pubKeyCredParams\":[]}",
    "{\"challenge\":\"\",\"rp\":{\"name\":\"x\"},\"user\":{\"id\":\"AQ\",\"name\":\"n\","
    "\"displayName\":\"d\"},\"pubKeyCredParams\":[]}",
    "{\"challenge\":7,\"rp\":{\"name\":\"x\"},\"user\":{\"id\":\"AQ\",\"name\":\"n\","
    "\"displayName\":\"d\"},\"pubKeyCredParams\":[]}",
    /* rp */
    "{\"challenge\":\"AAEC\",\"rp\":\"example.com\",\"user\":{\"id\":\"AQ\",\"name\":\"n\","
    "\"displayName\":\"d\"},\"pubKeyCredParams\":[]}",
    "{\"challenge\":\"AAEC\",\"rp\":{\"id\":5,\"name\":\"x\"},"
    "\"user\":{\"id\":\"AQ\",\"name\":\"n\",\"displayName\":\"d\"},\"pubKeyCredParams\":[]}",
    "{\"challenge\":\"AAEC\",\"rp\":{\"id\":\"a.com\"},\"user\":{\"id\":\"AQ\",\"name\":\"n\","
    "\"displayName\":\"d\"},\"pubKeyCredParams\":[]}",
    /* user */
    "{\"challenge\":\"AAEC\",\"rp\":{\"name\":\"x\"},\"pubKeyCredParams\":[]}",
    "{\"challenge\":\"AAEC\",\"rp\":{\"name\":\"x\"},\"user\":{\"id\":\"A+Q\",\"name\":\"n\","
    "\"displayName\":\"d\"},\"pubKeyCredParams\":[]}",
    "{\"challenge\":\"AAEC\",\"rp\":{\"name\":\"x\"},"
    "\"user\":{\"id\":\"AQ\",\"displayName\":\"d\"},\"pubKeyCredParams\":[]}",
    "{\"challenge\":\"AAEC\",\"rp\":{\"name\":\"x\"},\"user\":{\"id\":\"AQ\",\"name\":\"n\"},"
    "\"pubKeyCredParams\":[]}",
    /* pubKeyCredParams */
    "{\"challenge\":\"AAEC\",\"rp\":{\"name\":\"x\"},\"user\":{\"id\":\"AQ\",\"name\":\"n\","
    "\"displayName\":\"d\"}}",
    "{\"challenge\":\"AAEC\",\"rp\":{\"name\":\"x\"},\"user\":{\"id\":\"AQ\",\"name\":\"n\","
    "\"displayName\":\"d\"},\"pubKeyCredParams\":[{\"type\":\"public-key\",\"alg\":\"ES256\"}]}",
    "{\"challenge\":\"AAEC\",\"rp\":{\"name\":\"x\"},\"user\":{\"id\":\"AQ\",\"name\":\"n\","
    "\"displayName\":\"d\"},\"pubKeyCredParams\":[{\"alg\":-7}]}",
    "{\"challenge\":\"AAEC\",\"rp\":{\"name\":\"x\"},\"user\":{\"id\":\"AQ\",\"name\":\"n\","
    "\"displayName\":\"d\"},\"pubKeyCredParams\":[-7]}",
    /* timeout, excludeCredentials, authenticatorSelection */
    "{\"challenge\":\"AAEC\",\"rp\":{\"name\":\"x\"},\"user\":{\"id\":\"AQ\",\"name\":\"n\","
    "\"displayName\":\"d\"},\"pubKeyCredParams\":[],\"timeout\":\"60000\"}",
    "{\"challenge\":\"AAEC\",\"rp\":{\"name\":\"x\"},\"user\":{\"id\":\"AQ\",\"name\":\"n\","
    "\"displayName\":\"d\"},\"pubKeyCredParams\":[],\"timeout\":-1}",
    "{\"challenge\":\"AAEC\",\"rp\":{\"name\":\"x\"},\"user\":{\"id\":\"AQ\",\"name\":\"n\","
    "\"displayName\":\"d\"},\"pubKeyCredParams\":[],"
    "\"excludeCredentials\":[{\"type\":\"public-key\"}]}",
    "{\"challenge\":\"AAEC\",\"rp\":{\"name\":\"x\"},\"user\":{\"id\":\"AQ\",\"name\":\"n\","
    "\"displayName\":\"d\"},\"pubKeyCredParams\":[],\"excludeCredentials\":[{\"id\":\"%%\"}]}",
    "{\"challenge\":\"AAEC\",\"rp\":{\"name\":\"x\"},\"user\":{\"id\":\"AQ\",\"name\":\"n\","
    "\"displayName\":\"d\"},\"pubKeyCredParams\":[],\"excludeCredentials\":{}}",
    "{\"challenge\":\"AAEC\",\"rp\":{\"name\":\"x\"},\"user\":{\"id\":\"AQ\",\"name\":\"n\","
    "\"displayName\":\"d\"},\"pubKeyCredParams\":[],\"authenticatorSelection\":[]}",
    "{\"challenge\":\"AAEC\",\"rp\":{\"name\":\"x\"},\"user\":{\"id\":\"AQ\",\"name\":\"n\","
    "\"displayName\":\"d\"},\"pubKeyCredParams\":[],"
    "\"authenticatorSelection\":{\"requireResidentKey\":\"yes\"}}",
    "{\"challenge\":\"AAEC\",\"rp\":{\"name\":\"x\"},\"user\":{\"id\":\"AQ\",\"name\":\"n\","
    "\"displayName\":\"d\"},\"pubKeyCredParams\":[],"
    "\"authenticatorSelection\":{\"userVerification\":1}}",
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(KtCreationOptions) options = kt_creation_options_new_from_data (cases[i], -1,
                                                                                &error);

      if (options != NULL)
        g_error ("case %" G_GSIZE_FORMAT " was accepted: %s", i, cases[i]);
      g_assert_error (error, KT_WEBAUTHN_ERROR, KT_WEBAUTHN_ERROR_INVALID_OPTIONS);
      g_assert_nonnull (strstr (error->message, "("));
    }
}

static void
test_request_options (void)
{
  const char *json =
    "{\"challenge\":\"AAECAwQFBgcICQoLDA0ODw\",\"timeout\":30000.0,\"rpId\":\"example.com\","
    "\"userVerification\":\"discouraged\",\"allowCredentials\":[{\"id\":\"AQID\","
    "\"transports\":[\"usb\",\"nfc\"]},{\"id\":\"BAUG\",\"type\":\"public-key\"}],"
    "\"extensions\":{}}";
  g_autoptr(GError) error = NULL;
  g_autoptr(KtRequestOptions) options = kt_request_options_new_from_data (json, -1, &error);
  g_autoptr(KtRequestOptions) copy = NULL;

  g_assert_no_error (error);
  g_assert_cmpstr (options->rp_id, ==, "example.com");
  g_assert_cmpuint (options->timeout_ms, ==, 30000);
  g_assert_cmpint (options->user_verification, ==, KT_REQUIREMENT_DISCOURAGED);
  g_assert_cmpuint (options->allow_credentials->len, ==, 2);

  copy = kt_request_options_copy (options);
  g_assert_cmpuint (copy->allow_credentials->len, ==, 2);
  g_assert_true (g_bytes_equal (g_ptr_array_index (copy->allow_credentials, 1),
                                g_ptr_array_index (options->allow_credentials, 1)));
}

static void
test_request_malformed (void)
{
  static const char *cases[] = {
    "{}",
    "{\"challenge\":\"\"}",
    "{\"challenge\":\"AA=\"}",
    "{\"challenge\":\"AAEC\",\"rpId\":[]}",
    "{\"challenge\":\"AAEC\",\"timeout\":true}",
    "{\"challenge\":\"AAEC\",\"userVerification\":false}",
    "{\"challenge\":\"AAEC\",\"allowCredentials\":\"AQID\"}",
    "{\"challenge\":\"AAEC\",\"allowCredentials\":[\"AQID\"]}",
    "{\"challenge\":\"AAEC\",\"allowCredentials\":[{\"id\":\"A Q\"}]}",
    "{\"challenge\":\"AAEC\",\"allowCredentials\":[{\"id\":\"AQ\",\"type\":4}]}",
    "{\"challenge\":\"AAEC\"",
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(KtRequestOptions) options = kt_request_options_new_from_data (cases[i], -1, &error);

      if (options != NULL)
        g_error ("case %" G_GSIZE_FORMAT " was accepted: %s", i, cases[i]);
      g_assert_error (error, KT_WEBAUTHN_ERROR, KT_WEBAUTHN_ERROR_INVALID_OPTIONS);
    }
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/webauthn-options/creation/full", test_creation_full);
  g_test_add_func ("/webauthn-options/creation/defaults", test_creation_defaults);
  g_test_add_func ("/webauthn-options/creation/malformed", test_creation_malformed);
  g_test_add_func ("/webauthn-options/request/full", test_request_options);
  g_test_add_func ("/webauthn-options/request/malformed", test_request_malformed);

  return g_test_run ();
}
