/* ks-secret.c: the sandbox's data key
 *
 * Copyright 2026 Keyturn developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "ks-secret.h"

#include <gio/gio.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <string.h>

#include "kt-base64url.h"

#define AES_KEY_LEN  32
#define MAC_KEY_LEN  32
#define NONCE_LEN    12
#define TAG_LEN      16

struct _KsSecret {
  guint8       aes_key[AES_KEY_LEN];
  guint8       mac_key[MAC_KEY_LEN];
  /* HMAC-SHA256 keyed once: each MAC only restarts it, where HMAC() fetches the algorithms and
   * sets the key every time. Used from one thread, as the server is. */
  EVP_MAC_CTX *mac;
};

static EVP_MAC_CTX *
new_mac (const guint8 *key)
{
  EVP_MAC *hmac = EVP_MAC_fetch (NULL, "HMAC", NULL);
  EVP_MAC_CTX *ctx = hmac != NULL ? EVP_MAC_CTX_new (hmac) : NULL;
  OSSL_PARAM params[] = {
    OSSL_PARAM_construct_utf8_string (OSSL_MAC_PARAM_DIGEST, (char *) "SHA256", 0),
    OSSL_PARAM_construct_end (),
  };

  EVP_MAC_free (hmac);
  if (ctx == NULL || EVP_MAC_init (ctx, key, MAC_KEY_LEN, params) != 1)
    g_error ("OpenSSL has no HMAC-SHA256");
  return ctx;
}

KsSecret *
ks_secret_new_for_data (const guint8 *key,
                        gsize         len)
{
  KsSecret *self;

  g_return_val_if_fail (len == AES_KEY_LEN + MAC_KEY_LEN, NULL);

  self = g_new0 (KsSecret, 1);
  memcpy (self->aes_key, key, AES_KEY_LEN);
  memcpy (self->mac_key, key + AES_KEY_LEN, MAC_KEY_LEN);
  self->mac = new_mac (self->mac_key);
  return self;
}

KsSecret *
ks_secret_load_or_create (const char  *path,
                          GError     **error)
{
  g_autofree char *data = NULL;
  gsize len = 0;
  g_autoptr(GError) local_error = NULL;
  guint8 key[AES_KEY_LEN + MAC_KEY_LEN];
  KsSecret *self;

  if (g_file_get_contents (path, &data, &len, &local_error))
    {
      if (len != sizeof key)
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                       "%s is not a sandbox data key (%zu bytes, expected %zu)", path, len,
                       sizeof key);
          return NULL;
        }
      self = ks_secret_new_for_data ((const guint8 *) data, len);
      OPENSSL_cleanse (data, len);
      return self;
    }
  if (!g_error_matches (local_error, G_FILE_ERROR, G_FILE_ERROR_NOENT))
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return NULL;
    }

  if (RAND_bytes (key, sizeof key) != 1)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "no random bytes for the data key");
      return NULL;
    }
  if (!g_file_set_contents_full (path, (const char *) key, sizeof key,
                                 G_FILE_SET_CONTENTS_CONSISTENT | G_FILE_SET_CONTENTS_DURABLE,
                                 0600, error))
    return NULL;

  self = ks_secret_new_for_data (key, sizeof key);
  OPENSSL_cleanse (key, sizeof key);
  return self;
}

void
ks_secret_free (KsSecret *self)
{
  if (self == NULL)
    return;
  EVP_MAC_CTX_free (self->mac);
  OPENSSL_cleanse (self, sizeof *self);
  g_free (self);
}

GBytes *
ks_secret_seal (KsSecret   *self,
                const char *plaintext,
                const char *context)
{
  gsize len = strlen (plaintext);
  guint8 *out = g_malloc (NONCE_LEN + len + TAG_LEN);
  EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new ();
  int n = 0, m = 0;
  gboolean ok;

  ok = RAND_bytes (out, NONCE_LEN) == 1
       && EVP_EncryptInit_ex (ctx, EVP_aes_256_gcm (), NULL, self->aes_key, out) == 1
       && EVP_EncryptUpdate (ctx, NULL, &n, (const guint8 *) context, strlen (context)) == 1
       && EVP_EncryptUpdate (ctx, out + NONCE_LEN, &n, (const guint8 *) plaintext, len) == 1
       && EVP_EncryptFinal_ex (ctx, out + NONCE_LEN + n, &m) == 1
       && EVP_CIPHER_CTX_ctrl (ctx, EVP_CTRL_GCM_GET_TAG, TAG_LEN, out + NONCE_LEN + len) == 1;
  EVP_CIPHER_CTX_free (ctx);

  /* Sealing cannot fail with a valid key short of the library being broken. */
  g_assert (ok);
  return g_bytes_new_take (out, NONCE_LEN + len + TAG_LEN);
}

char *
ks_secret_open (KsSecret   *self,
                GBytes     *sealed,
                const char *context)
{
  gsize len = 0;
  const guint8 *in = g_bytes_get_data (sealed, &len);
  g_autofree char *out = NULL;
  EVP_CIPHER_CTX *ctx;
  int n = 0, m = 0;
  gboolean ok;

  if (len < NONCE_LEN + TAG_LEN)
    return NULL;
  len -= NONCE_LEN + TAG_LEN;
  out = g_malloc0 (len + 1);

  ctx = EVP_CIPHER_CTX_new ();
  ok = EVP_DecryptInit_ex (ctx, EVP_aes_256_gcm (), NULL, self->aes_key, in) == 1
       && EVP_DecryptUpdate (ctx, NULL, &n, (const guint8 *) context, strlen (context)) == 1
       && EVP_DecryptUpdate (ctx, (guint8 *) out, &n, in + NONCE_LEN, len) == 1
       && EVP_CIPHER_CTX_ctrl (ctx, EVP_CTRL_GCM_SET_TAG, TAG_LEN,
                               (void *) (in + NONCE_LEN + len)) == 1
       && EVP_DecryptFinal_ex (ctx, (guint8 *) out + n, &m) == 1;
  EVP_CIPHER_CTX_free (ctx);

  if (!ok || memchr (out, '\0', len) != NULL)
    return NULL;
  return g_steal_pointer (&out);
}

GBytes *
ks_secret_mac (KsSecret   *self,
               const char *context,
               const char *message)
{
  guint8 mac[EVP_MAX_MD_SIZE];
  size_t len = 0;

  /* HMAC over "context\nmessage", fed in three parts. */
  if (EVP_MAC_init (self->mac, NULL, 0, NULL) != 1
      || EVP_MAC_update (self->mac, (const guint8 *) context, strlen (context)) != 1
      || EVP_MAC_update (self->mac, (const guint8 *) "\n", 1) != 1
      || EVP_MAC_update (self->mac, (const guint8 *) message, strlen (message)) != 1
      || EVP_MAC_final (self->mac, mac, &len, sizeof mac) != 1)
    g_error ("HMAC-SHA256 failed with a key that was set");
  return g_bytes_new (mac, len);
}

gboolean
ks_secret_mac_equal (GBytes *a,
                     GBytes *b)
{
  gsize la = 0, lb = 0;
  const guint8 *da = g_bytes_get_data (a, &la);
  const guint8 *db = g_bytes_get_data (b, &lb);

  return la == lb && la > 0 && CRYPTO_memcmp (da, db, la) == 0;
}

char *
ks_random_token (gsize n_bytes)
{
  g_autofree guint8 *buf = g_malloc (n_bytes);

  if (RAND_bytes (buf, n_bytes) != 1)
    g_error ("The system has no random bytes to give");
  return kt_base64url_encode (buf, n_bytes);
}
