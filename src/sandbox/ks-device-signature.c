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

#define NONCE_BYTES         16
#define COMPRESSED_LEN      33

typedef struct {
  gint64   expires;
  gboolean used;
} NonceEntry;

struct _KsNonces {
  guint       capacity;
  GHashTable *entries;                /* "environment/nonce" -> NonceEntry */
  GQueue      order;                  /* the same keys, oldest first (borrowed from entries) */
};

KsNonces *
ks_nonces_new (guint capacity)
{
  KsNonces *self = g_new0 (KsNonces, 1);

  self->capacity = MAX (capacity, 1);
  self->entries = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  g_queue_init (&self->order);
  return self;
}

void
ks_nonces_free (KsNonces *self)
{
  if (self == NULL)
    return;
  g_queue_clear (&self->order);
  g_hash_table_unref (self->entries);
  g_free (self);
}

static char *
entry_key (const char *environment_id,
           const char *nonce)
{
  return g_strconcat (environment_id, "/", nonce, NULL);
}

char *
ks_nonces_issue (KsNonces   *self,
                 const char *environment_id,
                 gint64      now)
{
  guint8 bytes[NONCE_BYTES];
  char nonce[NONCE_BYTES * 2 + 1];
  NonceEntry *entry;
  char *key;

  if (RAND_bytes (bytes, sizeof bytes) != 1)
    g_error ("OpenSSL has no randomness to give");
  for (guint i = 0; i < NONCE_BYTES; i++)
    g_snprintf (nonce + 2 * i, 3, "%02x", bytes[i]);

  /* The oldest nonces make room: with the queue in issue order they are also the first to expire. */
  while (g_queue_get_length (&self->order) >= self->capacity)
    g_hash_table_remove (self->entries, g_queue_pop_head (&self->order));

  key = entry_key (environment_id, nonce);
  entry = g_new0 (NonceEntry, 1);
  entry->expires = now + KS_NONCE_LIFETIME_US;
  g_hash_table_insert (self->entries, key, entry);
  g_queue_push_tail (&self->order, key);
  return g_strdup (nonce);
}

KsNonceState
ks_nonces_spend (KsNonces   *self,
                 const char *environment_id,
                 const char *nonce,
                 gint64      now)
{
  g_autofree char *key = entry_key (environment_id, nonce);
  NonceEntry *entry = g_hash_table_lookup (self->entries, key);

  if (entry == NULL || entry->expires <= now)
    return KS_NONCE_UNKNOWN;
  if (entry->used)
    return KS_NONCE_ALREADY_USED;
  entry->used = TRUE;
  return KS_NONCE_SPENT_NOW;
}

/* Exactly 2 * @len lowercase or uppercase hex digits, nothing else. */
static gboolean
hex_decode (const char *hex,
            guint8     *out,
            gsize       len)
{
  if (hex == NULL || strlen (hex) != len * 2)
    return FALSE;
  for (gsize i = 0; i < len; i++)
    {
      int hi = g_ascii_xdigit_value (hex[2 * i]);
      int lo = g_ascii_xdigit_value (hex[2 * i + 1]);

      if (hi < 0 || lo < 0)
        return FALSE;
      out[i] = (guint8) (hi << 4 | lo);
    }
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
  if (!hex_decode (hex, point, sizeof point) || (point[0] != 0x02 && point[0] != 0x03))
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
  return hex_decode (hex, raw, 64);
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
