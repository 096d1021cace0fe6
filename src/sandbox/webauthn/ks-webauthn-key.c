/* ks-webauthn-key.c: credential public keys read from their COSE_Key (ES256 on P-256 through
 * kt-cose, RS256), and the signatures verified with them
 *
 * Copyright 2026 Keyturn developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "ks-webauthn-private.h"

#include <openssl/core_names.h>
#include <openssl/param_build.h>
#include <openssl/rsa.h>
#include <string.h>

#include "kt-cbor.h"
#include "kt-cose.h"

G_DEFINE_AUTOPTR_CLEANUP_FUNC (EVP_PKEY_CTX, EVP_PKEY_CTX_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (OSSL_PARAM_BLD, OSSL_PARAM_BLD_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (BIGNUM, BN_free)

struct _KsWebauthnKey
{
  EVP_PKEY     *pkey;
  gint64        algorithm;
  /* A verification context set up once: creating one costs provider look-ups and locks on every
   * assertion. Whoever holds the lock uses it; a thread that finds it taken makes its own. */
  GMutex        lock;
  EVP_PKEY_CTX *verify_ctx;
};

static void
webauthn_key_clear (KsWebauthnKey *key)
{
  EVP_PKEY_CTX_free (key->verify_ctx);
  g_mutex_clear (&key->lock);
  EVP_PKEY_free (key->pkey);
}

/* kt-cose reads the point and checks that it lies on the curve; the messages are the sandbox's. */
static EVP_PKEY *
es256_key_from_cose (cbor_item_t *map,
                     GError     **error)
{
  guint8 point[KT_P256_POINT_LEN];
  EVP_PKEY *pkey;

  if (!kt_cose_read_p256_point (map, point))
    {
      ks_webauthn_fail (error, KS_WEBAUTHN_ERROR_MALFORMED,
                        "The ES256 credential public key's crv, x or y is missing, repeated or "
                        "wrong.");
      return NULL;
    }
  pkey = kt_p256_key_from_point (point, sizeof point, NULL);
  if (pkey == NULL)
    ks_webauthn_fail (error, KS_WEBAUTHN_ERROR_MALFORMED,
                      "The credential public key is not a point on P-256.");
  return pkey;
}

static EVP_PKEY *
rsa_key_from_cose (cbor_item_t *map,
                   GError     **error)
{
  cbor_item_t *n_item, *e_item;
  g_autoptr(BIGNUM) n = NULL, e = NULL;
  g_autoptr(OSSL_PARAM_BLD) bld = NULL;
  g_autoptr(EVP_PKEY_CTX) ctx = NULL;
  OSSL_PARAM *params = NULL;
  EVP_PKEY *pkey = NULL;

  if (!kt_cose_map_find (map, -1, &n_item) || !kt_cose_map_find (map, -2, &e_item) ||
      (n_item != NULL && !ks_webauthn_cbor_is_bytes (n_item)) ||
      (e_item != NULL && !ks_webauthn_cbor_is_bytes (e_item)))
    {
      ks_webauthn_fail (error, KS_WEBAUTHN_ERROR_MALFORMED,
                        "The RSA COSE key's n or e is repeated or not bytes.");
      return NULL;
    }
  if (n_item == NULL || e_item == NULL)
    {
      ks_webauthn_fail (error, KS_WEBAUTHN_ERROR_MALFORMED, "The RSA COSE key lacks n or e.");
      return NULL;
    }

  n = BN_bin2bn (cbor_bytestring_handle (n_item), cbor_bytestring_length (n_item), NULL);
  e = BN_bin2bn (cbor_bytestring_handle (e_item), cbor_bytestring_length (e_item), NULL);
  if (n == NULL || e == NULL || BN_num_bits (n) < 2048 || BN_num_bits (n) > 8192 ||
      !BN_is_odd (e) || BN_num_bits (e) > 64 || BN_is_one (e))
    {
      ks_webauthn_fail (error, KS_WEBAUTHN_ERROR_MALFORMED,
                        "The RSA COSE key is not a usable key (2048 to 8192 bits, odd exponent).");
      return NULL;
    }

  bld = OSSL_PARAM_BLD_new ();
  ctx = EVP_PKEY_CTX_new_from_name (NULL, "RSA", NULL);
  if (bld == NULL || ctx == NULL ||
      !OSSL_PARAM_BLD_push_BN (bld, OSSL_PKEY_PARAM_RSA_N, n) ||
      !OSSL_PARAM_BLD_push_BN (bld, OSSL_PKEY_PARAM_RSA_E, e) ||
      (params = OSSL_PARAM_BLD_to_param (bld)) == NULL ||
      EVP_PKEY_fromdata_init (ctx) <= 0 ||
      EVP_PKEY_fromdata (ctx, &pkey, EVP_PKEY_PUBLIC_KEY, params) <= 0)
    ks_webauthn_fail (error, KS_WEBAUTHN_ERROR_MALFORMED, "The RSA COSE key cannot be loaded.");
  OSSL_PARAM_free (params);
  return pkey;
}

static EVP_PKEY_CTX *
new_verify_ctx (EVP_PKEY *pkey,
                gint64    alg)
{
  EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_pkey (NULL, pkey, NULL);

  if (ctx == NULL || EVP_PKEY_verify_init (ctx) <= 0 ||
      EVP_PKEY_CTX_set_signature_md (ctx, EVP_sha256 ()) <= 0 ||
      (alg == KT_COSE_ALG_RS256 && EVP_PKEY_CTX_set_rsa_padding (ctx, RSA_PKCS1_PADDING) <= 0))
    {
      EVP_PKEY_CTX_free (ctx);
      return NULL;
    }
  return ctx;
}

/* OpenSSL 3's SHA256 () looks the algorithm up in the provider tables on every call; fetch it
 * once for the life of the process instead. */
void
ks_webauthn_sha256 (const void *data,
                    gsize       len,
                    guint8      out[SHA256_DIGEST_LENGTH])
{
  static EVP_MD *md = NULL;

  if (g_once_init_enter (&md))
    g_once_init_leave (&md, EVP_MD_fetch (NULL, "SHA2-256", NULL));
  if (EVP_Digest (data, len, out, NULL, md, NULL) != 1)
    g_error ("SHA-256 failed");
}

KsWebauthnKey *
ks_webauthn_key_decode (const guint8 *data,
                        gsize         len,
                        gsize        *consumed,
                        gint64       *alg_out,
                        GError      **error)
{
  g_autoptr(cbor_item_t) map = NULL;
  gint64 kty = 0, alg = 0;
  gboolean have_kty = FALSE, have_alg = FALSE;
  KsWebauthnKey *key;
  EVP_PKEY *pkey = NULL;

  if ((map = ks_webauthn_cbor_load (data, len, consumed, "credential public key", error)) == NULL)
    return NULL;
  if (!cbor_isa_map (map) || !cbor_map_is_definite (map))
    {
      ks_webauthn_fail (error, KS_WEBAUTHN_ERROR_MALFORMED,
                        "The credential public key is not a CBOR map.");
      return NULL;
    }

  if (!kt_cose_map_int (map, 1, &kty, &have_kty) || !kt_cose_map_int (map, 3, &alg, &have_alg))
    {
      ks_webauthn_fail (error, KS_WEBAUTHN_ERROR_MALFORMED,
                        "The credential public key's kty or alg is repeated or not an integer.");
      return NULL;
    }
  if (!have_kty || !have_alg)
    {
      ks_webauthn_fail (error, KS_WEBAUTHN_ERROR_MALFORMED,
                        "The credential public key has no kty or no alg.");
      return NULL;
    }
  *alg_out = alg;

  if (alg == KT_COSE_ALG_ES256 && kty == KT_COSE_KTY_EC2)
    {
      if ((pkey = es256_key_from_cose (map, error)) == NULL)
        return NULL;
    }
  else if (alg == KT_COSE_ALG_RS256 && kty == 3)
    {
      if ((pkey = rsa_key_from_cose (map, error)) == NULL)
        return NULL;
    }
  else
    {
      ks_webauthn_fail (error, KS_WEBAUTHN_ERROR_ALGORITHM,
                        "The credential public key (kty %" G_GINT64_FORMAT ", alg "
                        "%" G_GINT64_FORMAT ") is not of a kind the sandbox verifies "
                        "(ES256 on P-256, RS256).", kty, alg);
      return NULL;
    }

  key = g_atomic_rc_box_new0 (KsWebauthnKey);
  g_mutex_init (&key->lock);
  key->pkey = pkey;
  key->algorithm = alg;
  return key;
}

EVP_PKEY *
ks_webauthn_key_get_pkey (KsWebauthnKey *key)
{
  return key->pkey;
}

/* Without a copy when the data is small: authenticator data usually is. */
void
ks_webauthn_signed_digest (const guint8 *data,
                           gsize         len,
                           const guint8  client_hash[SHA256_DIGEST_LENGTH],
                           guint8        digest[SHA256_DIGEST_LENGTH])
{
  guint8 stack[256];
  g_autofree guint8 *heap = NULL;
  guint8 *buf = stack;
  gsize total = len + SHA256_DIGEST_LENGTH;

  if (total > sizeof stack)
    buf = heap = g_malloc (total);
  memcpy (buf, data, len);
  memcpy (buf + len, client_hash, SHA256_DIGEST_LENGTH);
  ks_webauthn_sha256 (buf, total, digest);
}

gboolean
ks_webauthn_verify_digest (EVP_PKEY     *pkey,
                           gint64        alg,
                           const guint8  digest[SHA256_DIGEST_LENGTH],
                           const guint8 *sig,
                           gsize         sig_len)
{
  g_autoptr(EVP_PKEY_CTX) ctx = NULL;

  if (sig_len == 0)
    return FALSE;
  if ((ctx = new_verify_ctx (pkey, alg)) == NULL)
    return FALSE;
  return EVP_PKEY_verify (ctx, sig, sig_len, digest, SHA256_DIGEST_LENGTH) == 1;
}

gboolean
ks_webauthn_key_verify_digest (KsWebauthnKey *key,
                               const guint8   digest[SHA256_DIGEST_LENGTH],
                               const guint8  *sig,
                               gsize          sig_len)
{
  gboolean ok;

  if (sig_len == 0)
    return FALSE;
  if (!g_mutex_trylock (&key->lock))
    return ks_webauthn_verify_digest (key->pkey, key->algorithm, digest, sig, sig_len);

  if (key->verify_ctx == NULL)
    key->verify_ctx = new_verify_ctx (key->pkey, key->algorithm);
  if (key->verify_ctx == NULL)
    {
      g_mutex_unlock (&key->lock);
      return FALSE;
    }
  ok = EVP_PKEY_verify (key->verify_ctx, sig, sig_len, digest, SHA256_DIGEST_LENGTH) == 1;
  g_mutex_unlock (&key->lock);
  return ok;
}

KsWebauthnKey *
ks_webauthn_key_new (GBytes  *public_key,
                     gint64   algorithm,
                     GError **error)
{
  gsize len, consumed = 0;
  const guint8 *data;
  gint64 alg = 0;
  KsWebauthnKey *key;

  g_return_val_if_fail (public_key != NULL, NULL);

  data = g_bytes_get_data (public_key, &len);
  key = ks_webauthn_key_decode (data, len, &consumed, &alg, error);
  if (key == NULL)
    return NULL;
  if (consumed != len)
    {
      ks_webauthn_key_unref (key);
      ks_webauthn_fail (error, KS_WEBAUTHN_ERROR_MALFORMED,
                        "The stored public key has bytes after its end.");
      return NULL;
    }
  if (alg != algorithm)
    {
      ks_webauthn_key_unref (key);
      ks_webauthn_fail (error, KS_WEBAUTHN_ERROR_ALGORITHM,
                        "The stored public key is for alg %" G_GINT64_FORMAT ", not "
                        "%" G_GINT64_FORMAT ".", alg, algorithm);
      return NULL;
    }
  return key;
}

KsWebauthnKey *
ks_webauthn_key_ref (KsWebauthnKey *key)
{
  return g_atomic_rc_box_acquire (key);
}

void
ks_webauthn_key_unref (KsWebauthnKey *key)
{
  g_atomic_rc_box_release_full (key, (GDestroyNotify) webauthn_key_clear);
}
