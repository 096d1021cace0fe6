/* ks-device-signature.c
 *
 * Copyright 2026 Keyturn developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "ks-device-signature.h"

#include <openssl/core_names.h>
#include <openssl/ecdsa.h>
#include <openssl/param_build.h>
#include <openssl/rand.h>
#include <string.h>

#include "kt-hex.h"

#define NONCE_RANDOM_LEN    16
#define NONCE_MAC_LEN       16
#define NONCE_LEN           (NONCE_RANDOM_LEN + 8 + NONCE_MAC_LEN)
#define COMPRESSED_LEN      33

static GBytes *
nonce_mac (KsSecret     *secret,
           const char   *environment_id,
           const guint8 *body)
{
  g_autofree char *context = g_strdup_printf ("device nonce %s", environment_id);
  g_autofree char *message = kt_hex_encode (body, NONCE_RANDOM_LEN + 8);

  return ks_secret_mac (secret, context, message);
}

char *
ks_device_nonce_issue (KsSecret   *secret,
                       const char *environment_id,
                       gint64      expires_at_ms)
{
  guint8 nonce[NONCE_LEN];
  g_autoptr(GBytes) mac = NULL;

  if (RAND_bytes (nonce, NONCE_RANDOM_LEN) != 1)
    g_error ("The system has no random bytes to give");
  for (guint i = 0; i < 8; i++)
    nonce[NONCE_RANDOM_LEN + i] = (guint64) expires_at_ms >> (56 - 8 * i);
  mac = nonce_mac (secret, environment_id, nonce);
  memcpy (nonce + NONCE_RANDOM_LEN + 8, g_bytes_get_data (mac, NULL), NONCE_MAC_LEN);
  return kt_hex_encode (nonce, sizeof nonce);
}

gboolean
ks_device_nonce_check (KsSecret   *secret,
                       const char *environment_id,
                       const char *nonce,
                       gint64      now_ms,
                       gint64     *expires_at_ms)
{
  guint8 bytes[NONCE_LEN];
  g_autoptr(GBytes) full_mac = NULL;
  g_autoptr(GBytes) mac = NULL;
  g_autoptr(GBytes) sent = NULL;
  guint64 expires_at = 0;
  g_autofree char *canonical = NULL;

  /* Only the exact text issued: lowercase hex, so that one nonce has one spelling to spend. */
  if (!kt_hex_decode (nonce, bytes, sizeof bytes) ||
      !g_str_equal (nonce, canonical = kt_hex_encode (bytes, sizeof bytes)))
    return FALSE;
  full_mac = nonce_mac (secret, environment_id, bytes);
  mac = g_bytes_new_from_bytes (full_mac, 0, NONCE_MAC_LEN);
  sent = g_bytes_new (bytes + NONCE_RANDOM_LEN + 8, NONCE_MAC_LEN);
  if (!ks_secret_mac_equal (mac, sent))
    return FALSE;
  for (guint i = 0; i < 8; i++)
    expires_at = expires_at << 8 | bytes[NONCE_RANDOM_LEN + i];
  if ((gint64) expires_at <= now_ms)
    return FALSE;
  *expires_at_ms = (gint64) expires_at;
  return TRUE;
}

EVP_PKEY *
ks_device_public_key_parse (const char *hex)
{
  guint8 point[COMPRESSED_LEN];
  OSSL_PARAM_BLD *bld = NULL;
  OSSL_PARAM *params = NULL;
  EVP_PKEY_CTX *ctx = NULL;
  EVP_PKEY_CTX *check = NULL;
  EVP_PKEY *pkey = NULL;

  /* Compressed SEC1 only, as Dynamic's client sends it: 0x02 or 0x03, then x. */
  if (!kt_hex_decode (hex, point, sizeof point) || (point[0] != 0x02 && point[0] != 0x03))
    return NULL;

  if ((bld = OSSL_PARAM_BLD_new ()) == NULL ||
      !OSSL_PARAM_BLD_push_utf8_string (bld, OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1", 0) ||
      !OSSL_PARAM_BLD_push_octet_string (bld, OSSL_PKEY_PARAM_PUB_KEY, point, sizeof point) ||
      (params = OSSL_PARAM_BLD_to_param (bld)) == NULL ||
      (ctx = EVP_PKEY_CTX_new_from_name (NULL, "EC", NULL)) == NULL ||
      EVP_PKEY_fromdata_init (ctx) <= 0 ||
      EVP_PKEY_fromdata (ctx, &pkey, EVP_PKEY_PUBLIC_KEY, params) <= 0)
    g_clear_pointer (&pkey, EVP_PKEY_free);

  /* An x with no point on the curve must not pass as a key. */
  if (pkey != NULL &&
      ((check = EVP_PKEY_CTX_new_from_pkey (NULL, pkey, NULL)) == NULL ||
       EVP_PKEY_public_check_quick (check) != 1))
    g_clear_pointer (&pkey, EVP_PKEY_free);

  EVP_PKEY_CTX_free (check);
  EVP_PKEY_CTX_free (ctx);
  OSSL_PARAM_free (params);
  OSSL_PARAM_BLD_free (bld);
  return pkey;
}

gboolean
ks_device_signature_parse (const char *hex,
                           guint8      raw[64])
{
  return kt_hex_decode (hex, raw, 64);
}

gboolean
ks_device_signature_verify (EVP_PKEY     *key,
                            const guint8  raw[64],
                            const char   *nonce)
{
  ECDSA_SIG *sig = ECDSA_SIG_new ();
  BIGNUM *r = BN_bin2bn (raw, 32, NULL);
  BIGNUM *s = BN_bin2bn (raw + 32, 32, NULL);
  EVP_MD_CTX *md = NULL;
  unsigned char *der = NULL;
  int der_len = -1;
  gboolean ok = FALSE;

  if (sig == NULL || r == NULL || s == NULL || ECDSA_SIG_set0 (sig, r, s) != 1)
    {
      BN_free (r);
      BN_free (s);
      ECDSA_SIG_free (sig);
      return FALSE;
    }
  der_len = i2d_ECDSA_SIG (sig, &der);
  ECDSA_SIG_free (sig);

  if (der_len > 0 &&
      (md = EVP_MD_CTX_new ()) != NULL &&
      EVP_DigestVerifyInit (md, NULL, EVP_sha256 (), NULL, key) == 1)
    ok = EVP_DigestVerify (md, der, der_len, (const guint8 *) nonce, strlen (nonce)) == 1;

  EVP_MD_CTX_free (md);
  OPENSSL_free (der);
  return ok;
}
