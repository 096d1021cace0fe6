/* test-cose.c: ES256 COSE keys written and read back, and the malformed ones refused
 *
 * Copyright 2026 Keyturn developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <gio/gio.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <string.h>

#include "kt-cose.h"

static void
test_round_trip (void)
{
  g_autoptr(EVP_PKEY) key = EVP_EC_gen ("P-256");
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) cose = kt_cose_encode_es256_key (key, &error);
  g_autoptr(EVP_PKEY) back = NULL;
  guint8 a[KT_P256_POINT_LEN], b[KT_P256_POINT_LEN];
  gsize consumed = 0;

  g_assert_no_error (error);
  /* kty 2, alg -7, crv 1: the 77-byte key every CTAP2 authenticator sends. */
  g_assert_cmpuint (g_bytes_get_size (cose), ==, 77);
  back = kt_cose_decode_es256_key (g_bytes_get_data (cose, NULL), g_bytes_get_size (cose),
                                   &consumed, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (consumed, ==, 77);
  g_assert_true (kt_p256_public_point (key, a, NULL));
  g_assert_true (kt_p256_public_point (back, b, NULL));
  g_assert_cmpmem (a, sizeof a, b, sizeof b);
}

static void
test_refuses (void)
{
  g_autoptr(EVP_PKEY) key = EVP_EC_gen ("P-256");
  g_autoptr(GBytes) cose = kt_cose_encode_es256_key (key, NULL);
  gsize len = g_bytes_get_size (cose);
  g_autofree guint8 *data = g_memdup2 (g_bytes_get_data (cose, NULL), len);
  g_autoptr(GError) error = NULL;
  g_autoptr(EVP_PKEY) off_curve = NULL;
  EVP_PKEY *back;

  /* Truncated CBOR. */
  back = kt_cose_decode_es256_key (data, len - 1, NULL, &error);
  g_assert_null (back);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
  g_clear_error (&error);

  /* The last byte of y changed: the point leaves the curve. */
  data[len - 1] ^= 0x01;
  off_curve = kt_cose_decode_es256_key (data, len, NULL, &error);
  g_assert_null (off_curve);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
  g_clear_error (&error);
  data[len - 1] ^= 0x01;

  /* alg -7 (0x26) turned into -8 (0x27, EdDSA): not an ES256 key. */
  {
    guint8 *alg = memchr (data, 0x26, len);
    g_assert_nonnull (alg);
    *alg = 0x27;
    back = kt_cose_decode_es256_key (data, len, NULL, &error);
    g_assert_null (back);
    g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
  }
}

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/cose/round-trip", test_round_trip);
  g_test_add_func ("/cose/refuses", test_refuses);
  return g_test_run ();
}
