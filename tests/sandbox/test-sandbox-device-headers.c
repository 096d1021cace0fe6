/* test-sandbox-device-headers.c: the sandbox's reading of the device headers, its nonces and the
 * requireDeviceSignature setting, without a server
 *
 * The vector was made with another ECDSA implementation (Python's cryptography), so that a
 * mistake shared by Keyturn's signer and the sandbox's verifier cannot pass here.
 *
 * Copyright 2026 Keyturn developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <string.h>

#include "ks-config.h"
#include "ks-device-signature.h"

#define VECTOR_KEY   "02471c3e758c4904285bba7e53118ed0f524adeb0757d25bd2f8e7b0d76dfa714c"
#define VECTOR_NONCE "3f2a9c0d5e6b47a8b1c2d3e4f5a6b7c8"
#define VECTOR_SIG   "73dc8f96f54d0213adcda391ad58526718a3b67447b9fbde12ab26d89cd111e8" \
                     "242aaa03359fd99dba8cc2b74d961ac3e168e6d7d7e5b3b10a71f2f9f39f4669"

static void
test_vector (void)
{
  EVP_PKEY *key = ks_device_public_key_parse (VECTOR_KEY);
  g_autofree char *other_parity = g_strdup (VECTOR_KEY);
  guint8 raw[64];

  g_assert_nonnull (key);
  g_assert_true (ks_device_signature_parse (VECTOR_SIG, raw));
  g_assert_true (ks_device_signature_verify (key, raw, VECTOR_NONCE));
  g_assert_false (ks_device_signature_verify (key, raw, VECTOR_NONCE "0"));
  raw[63] ^= 1;
  g_assert_false (ks_device_signature_verify (key, raw, VECTOR_NONCE));
  EVP_PKEY_free (key);

  /* The same x with the other y is another key, which the signature does not fit. */
  other_parity[1] = '3';
  key = ks_device_public_key_parse (other_parity);
  g_assert_nonnull (key);
  g_assert_true (ks_device_signature_parse (VECTOR_SIG, raw));
  g_assert_false (ks_device_signature_verify (key, raw, VECTOR_NONCE));
  EVP_PKEY_free (key);
}

static void
test_parse_refuses (void)
{
  const char *keys[] = {
    NULL, "", "02", VECTOR_KEY "00", "0" VECTOR_KEY, " " VECTOR_KEY,
    /* The prefix of an uncompressed point, and of none. */
    "04471c3e758c4904285bba7e53118ed0f524adeb0757d25bd2f8e7b0d76dfa714c",
    "00471c3e758c4904285bba7e53118ed0f524adeb0757d25bd2f8e7b0d76dfa714c",
    "02471c3e758c4904285bba7e53118ed0f524adeb0757d25bd2f8e7b0d76dfa71 c",
  };
  const char *signatures[] = { NULL, "", "00", VECTOR_SIG "00", "0" VECTOR_SIG, VECTOR_SIG "g" };
  guint8 raw[64];

  for (guint i = 0; i < G_N_ELEMENTS (keys); i++)
    g_assert_null (ks_device_public_key_parse (keys[i]));
  for (guint i = 0; i < G_N_ELEMENTS (signatures); i++)
    g_assert_false (ks_device_signature_parse (signatures[i], raw));
}

static void
test_nonces (void)
{
  static const guint8 key[64] = { [0] = 1, [40] = 2 };
  static const guint8 other_key[64] = { [0] = 1, [40] = 3 };
  g_autoptr(KsSecret) secret = ks_secret_new_for_data (key, sizeof key);
  g_autoptr(KsSecret) other_secret = ks_secret_new_for_data (other_key, sizeof other_key);
  gint64 now = 1000000, expires_at = 0;
  g_autofree char *a = ks_device_nonce_issue (secret, "env-1", now + 5000);
  g_autofree char *b = ks_device_nonce_issue (secret, "env-1", now + 5000);
  g_autofree char *upper = g_ascii_strup (a, -1);
  g_autofree char *flipped = g_strdup (a);

  g_assert_cmpstr (a, !=, b);
  g_assert_cmpuint (strlen (a), ==, 80);
  g_assert_true (ks_device_nonce_check (secret, "env-1", a, now, &expires_at));
  g_assert_cmpint (expires_at, ==, now + 5000);
  /* Another environment's, another sandbox's, expired, altered, or spelled otherwise: unknown. */
  g_assert_false (ks_device_nonce_check (secret, "env-2", a, now, &expires_at));
  g_assert_false (ks_device_nonce_check (other_secret, "env-1", a, now, &expires_at));
  g_assert_false (ks_device_nonce_check (secret, "env-1", a, now + 5000, &expires_at));
  flipped[0] = flipped[0] == '0' ? '1' : '0';
  g_assert_false (ks_device_nonce_check (secret, "env-1", flipped, now, &expires_at));
  g_assert_false (ks_device_nonce_check (secret, "env-1", upper, now, &expires_at));
  g_assert_false (ks_device_nonce_check (secret, "env-1", "made-up", now, &expires_at));
  g_assert_false (ks_device_nonce_check (secret, "env-1", NULL, now, &expires_at));
}

static void
test_config (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(KsConfig) config = ks_config_load_from_data (
    "{\"environments\": [{\"id\": \"2f0c5c0e-7b0a-4c55-9a51-3f7ad0e3c001\","
    " \"requireDeviceSignature\": true}, {\"id\": \"2f0c5c0e-7b0a-4c55-9a51-3f7ad0e3c002\"}]}",
    -1, &error);
  g_autoptr(KsConfig) demo = ks_config_new_demo (NULL);
  KsConfig *wrong;

  g_assert_no_error (error);
  g_assert_true (((KsEnvironment *) g_ptr_array_index (config->environments, 0))
                 ->require_device_signature);
  g_assert_false (((KsEnvironment *) g_ptr_array_index (config->environments, 1))
                  ->require_device_signature);
  g_assert_false (ks_config_get_default (demo)->require_device_signature);

  wrong = ks_config_load_from_data (
    "{\"environments\": [{\"id\": \"2f0c5c0e-7b0a-4c55-9a51-3f7ad0e3c001\","
    " \"requireDeviceSignature\": \"yes\"}]}", -1, &error);
  g_assert_null (wrong);
  g_assert_error (error, KS_CONFIG_ERROR, KS_CONFIG_ERROR_INVALID);
  g_assert_nonnull (strstr (error->message, "requireDeviceSignature"));
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/sandbox/device-headers/vector", test_vector);
  g_test_add_func ("/sandbox/device-headers/parse-refuses", test_parse_refuses);
  g_test_add_func ("/sandbox/device-headers/nonces", test_nonces);
  g_test_add_func ("/sandbox/device-headers/config", test_config);

  return g_test_run ();
}
