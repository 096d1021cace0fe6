/* kv-pin.c
 *
 * Copyright 2026 Keyturn developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "kv-pin.h"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/hmac.h>
#include <openssl/kdf.h>
#include <openssl/rand.h>
#include <openssl/sha.h>
#include <string.h>

static gboolean
hkdf_sha256 (const guint8 *ikm,
             gsize         ikm_len,
             const char   *info,
             guint8        out[32])
{
  guint8 salt[32] = { 0 };
  EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_id (EVP_PKEY_HKDF, NULL);
  size_t out_len = 32;
  gboolean ok;

  ok = ctx != NULL &&
       EVP_PKEY_derive_init (ctx) > 0 &&
       EVP_PKEY_CTX_set_hkdf_md (ctx, EVP_sha256 ()) > 0 &&
       EVP_PKEY_CTX_set1_hkdf_salt (ctx, salt, sizeof salt) > 0 &&
       EVP_PKEY_CTX_set1_hkdf_key (ctx, ikm, (int) ikm_len) > 0 &&
       EVP_PKEY_CTX_add1_hkdf_info (ctx, (const guint8 *) info, (int) strlen (info)) > 0 &&
       EVP_PKEY_derive (ctx, out, &out_len) > 0 && out_len == 32;
  EVP_PKEY_CTX_free (ctx);
  return ok;
}

gboolean
kv_pin_derive (guint        protocol,
               EVP_PKEY    *own,
               EVP_PKEY    *peer,
               KvPinSecret *secret)
{
  EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new (own, NULL);
  guint8 z[32];
  size_t z_len = sizeof z;
  gboolean ok;

  memset (secret, 0, sizeof *secret);
  ok = ctx != NULL &&
       EVP_PKEY_derive_init (ctx) > 0 &&
       EVP_PKEY_derive_set_peer (ctx, peer) > 0 &&
       EVP_PKEY_derive (ctx, z, &z_len) > 0 && z_len == sizeof z;
  EVP_PKEY_CTX_free (ctx);
  if (!ok)
    return FALSE;

  secret->protocol = protocol;
  if (protocol == 1)
    {
      SHA256 (z, sizeof z, secret->bytes);
      secret->len = 32;
    }
  else
    {
      ok = hkdf_sha256 (z, sizeof z, "CTAP2 HMAC key", secret->bytes) &&
           hkdf_sha256 (z, sizeof z, "CTAP2 AES key", secret->bytes + 32);
      secret->len = 64;
    }
  OPENSSL_cleanse (z, sizeof z);
  return ok;
}

const guint8 *
kv_pin_hmac_key (const KvPinSecret *secret,
                 gsize             *len)
{
  *len = 32;
  return secret->bytes;
}

static const guint8 *
aes_key (const KvPinSecret *secret)
{
  return secret->protocol == 1 ? secret->bytes : secret->bytes + 32;
}

static GBytes *
aes_cbc (gboolean      encrypt,
         const guint8 *key,
         const guint8 *iv,
         const guint8 *in,
         gsize         len,
         gsize         prefix_len)
{
  EVP_CIPHER_CTX *ctx;
  guint8 *out;
  int n = 0, m = 0;

  if (len == 0 || len % 16 != 0 || len > G_MAXINT - 32)
    return NULL;
  ctx = EVP_CIPHER_CTX_new ();
  out = g_malloc (prefix_len + len + 16);
  if (prefix_len)
    memcpy (out, iv, prefix_len);
  if (ctx == NULL ||
      EVP_CipherInit_ex (ctx, EVP_aes_256_cbc (), NULL, key, iv, encrypt) != 1 ||
      EVP_CIPHER_CTX_set_padding (ctx, 0) != 1 ||
      EVP_CipherUpdate (ctx, out + prefix_len, &n, in, (int) len) != 1 ||
      EVP_CipherFinal_ex (ctx, out + prefix_len + n, &m) != 1)
    {
      EVP_CIPHER_CTX_free (ctx);
      g_free (out);
      return NULL;
    }
  EVP_CIPHER_CTX_free (ctx);
  return g_bytes_new_take (out, prefix_len + (gsize) n + (gsize) m);
}

GBytes *
kv_pin_encrypt (const KvPinSecret *secret,
                const guint8      *data,
                gsize              len)
{
  guint8 iv[16] = { 0 };

  if (secret->protocol == 1)
    return aes_cbc (TRUE, aes_key (secret), iv, data, len, 0);
  if (RAND_bytes (iv, sizeof iv) != 1)
    return NULL;
  return aes_cbc (TRUE, aes_key (secret), iv, data, len, sizeof iv);
}

GBytes *
kv_pin_decrypt (const KvPinSecret *secret,
                const guint8      *data,
                gsize              len)
{
  static const guint8 zero_iv[16];

  if (secret->protocol == 1)
    return aes_cbc (FALSE, aes_key (secret), zero_iv, data, len, 0);
  /* v2: the IV comes first. */
  return len < 16 ? NULL : aes_cbc (FALSE, aes_key (secret), data, data + 16, len - 16, 0);
}

gboolean
kv_pin_verify (guint         protocol,
               const guint8 *key,
               gsize         key_len,
               const guint8 *msg,
               gsize         msg_len,
               const guint8 *tag,
               gsize         tag_len)
{
  guint8 mac[32];
  unsigned int mac_len = sizeof mac;
  gsize want = protocol == 1 ? 16 : 32;

  if (tag_len != want)
    return FALSE;
  if (HMAC (EVP_sha256 (), key, (int) key_len, msg, msg_len, mac, &mac_len) == NULL)
    return FALSE;
  return CRYPTO_memcmp (mac, tag, want) == 0;
}
