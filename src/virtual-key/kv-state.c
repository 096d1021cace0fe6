/* kv-state.c
 *
 * Copyright 2026 Keyturn developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "kv-state.h"

#include <errno.h>
#include <fcntl.h>
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/rand.h>
#include <openssl/sha.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <string.h>
#include <unistd.h>

#include "kt-cose.h"

/* The file is a GKeyFile followed by a "[checksum]" group holding the SHA-256 of every byte
 * before it. A torn write or a flipped byte breaks the checksum, so a damaged file is refused
 * instead of being read as a key with fewer credentials or no PIN. */
#define KV_STATE_FORMAT   1
#define CHECKSUM_MARKER   "[checksum]\nsha256="
#define MAX_CREDENTIALS   10000
/* Counter values reserved per save: an assertion writes the file once in this many, and a
 * restart resumes above the reservation (signature counters must grow, not count by one). */
#define COUNTER_RESERVE   64

G_DEFINE_AUTOPTR_CLEANUP_FUNC (X509, X509_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (X509_NAME, X509_NAME_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (X509_EXTENSION, X509_EXTENSION_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (ASN1_OCTET_STRING, ASN1_OCTET_STRING_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (EVP_PKEY_CTX, EVP_PKEY_CTX_free)

void
kv_credential_free (KvCredential *cred)
{
  if (cred == NULL)
    return;
  g_clear_pointer (&cred->id, g_bytes_unref);
  g_clear_pointer (&cred->user_id, g_bytes_unref);
  g_free (cred->rp_id);
  g_free (cred->user_name);
  g_free (cred->user_display_name);
  EVP_PKEY_free (cred->key);
  if (cred->key_text != NULL)
    explicit_bzero (cred->key_text, strlen (cred->key_text));
  g_free (cred->key_text);
  g_free (cred);
}

static void
kv_counter_free (KvCounter *counter)
{
  g_bytes_unref (counter->id);
  g_free (counter);
}

void
kv_state_free (KvState *state)
{
  if (state == NULL)
    return;
  g_free (state->path);
  EVP_PKEY_free (state->attestation_key);
  g_clear_pointer (&state->attestation_cert, g_bytes_unref);
  g_clear_pointer (&state->attestation_root, g_bytes_unref);
  g_clear_pointer (&state->credentials, g_ptr_array_unref);
  g_clear_pointer (&state->counters, g_ptr_array_unref);
  explicit_bzero (state->pin_hash, sizeof state->pin_hash);
  explicit_bzero (state->wrapping_key, sizeof state->wrapping_key);
  g_free (state);
}

void
kv_state_reset (KvState *state)
{
  g_ptr_array_set_size (state->credentials, 0);
  g_ptr_array_set_size (state->counters, 0);
  if (RAND_bytes (state->wrapping_key, sizeof state->wrapping_key) != 1)
    g_error ("no randomness for a new wrapping key");
  state->pin_set = FALSE;
  explicit_bzero (state->pin_hash, sizeof state->pin_hash);
  state->pin_retries = KV_PIN_MAX_RETRIES;
}

KvCredential *
kv_state_find (KvState      *state,
               const char   *rp_id,
               const guint8 *id,
               gsize         id_len)
{
  for (guint i = 0; i < state->credentials->len; i++)
    {
      KvCredential *cred = g_ptr_array_index (state->credentials, i);
      gsize len;
      const guint8 *data = g_bytes_get_data (cred->id, &len);

      if (len == id_len && memcmp (data, id, len) == 0 && g_strcmp0 (cred->rp_id, rp_id) == 0)
        return cred;
    }
  return NULL;
}

guint
kv_state_count_resident (KvState *state)
{
  guint n = 0;

  for (guint i = 0; i < state->credentials->len; i++)
    if (((KvCredential *) g_ptr_array_index (state->credentials, i))->resident)
      n++;
  return n;
}

/* Wrapped credentials: version 1 || 12-byte nonce || AES-256-GCM (the private key's DER, without
 * its public key) || 16-byte tag, with SHA-256 (rp_id) as associated data, so an id only opens
 * for the relying party it was made for. 1 + 12 + 51 + 16 = 80 bytes, under the 128 announced. */
#define WRAP_VERSION 1
#define WRAP_NONCE   12
#define WRAP_TAG     16
#define WRAP_MAX_DER 96

static gboolean
wrap_cipher (gboolean      encrypt,
             const guint8  key[KV_WRAPPING_KEY_LEN],
             const char   *rp_id,
             const guint8 *nonce,
             const guint8 *in,
             gsize         len,
             guint8       *out,
             guint8        tag[WRAP_TAG])
{
  EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new ();
  guint8 aad[32];
  int n = 0, m = 0;
  gboolean ok;

  SHA256 ((const guint8 *) rp_id, strlen (rp_id), aad);
  ok = ctx != NULL &&
       EVP_CipherInit_ex (ctx, EVP_aes_256_gcm (), NULL, NULL, NULL, encrypt) == 1 &&
       EVP_CIPHER_CTX_ctrl (ctx, EVP_CTRL_GCM_SET_IVLEN, WRAP_NONCE, NULL) == 1 &&
       EVP_CipherInit_ex (ctx, NULL, NULL, key, nonce, encrypt) == 1 &&
       EVP_CipherUpdate (ctx, NULL, &n, aad, sizeof aad) == 1 &&
       EVP_CipherUpdate (ctx, out, &n, in, (int) len) == 1 &&
       (encrypt || EVP_CIPHER_CTX_ctrl (ctx, EVP_CTRL_GCM_SET_TAG, WRAP_TAG, tag) == 1) &&
       EVP_CipherFinal_ex (ctx, out + n, &m) == 1 &&
       (!encrypt || EVP_CIPHER_CTX_ctrl (ctx, EVP_CTRL_GCM_GET_TAG, WRAP_TAG, tag) == 1);
  EVP_CIPHER_CTX_free (ctx);
  return ok;
}

/* RFC 5915 ECPrivateKey for P-256 without its public key, as i2d_PrivateKey() writes it: the
 * 32-byte scalar between a fixed head and tail. Built and read by hand because OpenSSL 3's
 * encoder and decoder take 50 and 100 µs a key, most of a ceremony's time on the key. */
static const guint8 p256_der_head[] = { 0x30, 0x31, 0x02, 0x01, 0x01, 0x04, 0x20 };
static const guint8 p256_der_tail[] = {
  0xa0, 0x0a, 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07,
};
#define P256_SCALAR_LEN 32
#define P256_DER_LEN (sizeof p256_der_head + P256_SCALAR_LEN + sizeof p256_der_tail)

/* The DER of @key without its public key, into @der (WRAP_MAX_DER bytes); its length or -1. */
static int
private_key_der (EVP_PKEY *key,
                 guint8    der[WRAP_MAX_DER])
{
  g_autoptr(EVP_PKEY) copy = NULL;
  guint8 *encoded = NULL;
  BIGNUM *scalar = NULL;
  int len;

  if (kt_p256_key_is (key) && EVP_PKEY_get_bn_param (key, OSSL_PKEY_PARAM_PRIV_KEY, &scalar) == 1)
    {
      guint8 *p = der;

      memcpy (p, p256_der_head, sizeof p256_der_head);
      p += sizeof p256_der_head;
      len = BN_bn2binpad (scalar, p, P256_SCALAR_LEN);
      BN_clear_free (scalar);
      if (len != P256_SCALAR_LEN)
        return -1;
      memcpy (p + P256_SCALAR_LEN, p256_der_tail, sizeof p256_der_tail);
      return (int) P256_DER_LEN;
    }

  /* Any other curve: OpenSSL's encoder. */
  copy = EVP_PKEY_dup (key);
  if (copy == NULL || !EVP_PKEY_set_int_param (copy, "include-public", 0))
    return -1;
  len = i2d_PrivateKey (copy, &encoded);
  if (len > 0 && len <= WRAP_MAX_DER)
    memcpy (der, encoded, (gsize) len);
  if (encoded != NULL)
    OPENSSL_clear_free (encoded, (gsize) MAX (len, 0));
  return len > 0 && len <= WRAP_MAX_DER ? len : -1;
}

/* A P-256 key from its scalar, with the public point derived again. */
static EVP_PKEY *
p256_key_from_scalar (const guint8 scalar[P256_SCALAR_LEN])
{
  const EC_GROUP *group = kt_p256_group ();
  g_autoptr(EVP_PKEY_CTX) ctx = NULL;
  BIGNUM *d = BN_bin2bn (scalar, P256_SCALAR_LEN, NULL);
  EC_POINT *point = group != NULL ? EC_POINT_new (group) : NULL;
  guint8 pub[1 + 2 * P256_SCALAR_LEN], d_native[P256_SCALAR_LEN];
  EVP_PKEY *key = NULL;

  if (d != NULL && point != NULL && !BN_is_zero (d)
      && EC_POINT_mul (group, point, d, NULL, NULL, NULL) == 1
      && EC_POINT_point2oct (group, point, POINT_CONVERSION_UNCOMPRESSED, pub, sizeof pub, NULL)
         == sizeof pub
      && BN_bn2nativepad (d, d_native, sizeof d_native) == sizeof d_native
      && (ctx = EVP_PKEY_CTX_new_from_name (NULL, "EC", NULL)) != NULL
      && EVP_PKEY_fromdata_init (ctx) == 1)
    {
      OSSL_PARAM params[] = {
        OSSL_PARAM_utf8_string (OSSL_PKEY_PARAM_GROUP_NAME, (char *) "prime256v1", 0),
        OSSL_PARAM_BN (OSSL_PKEY_PARAM_PRIV_KEY, d_native, sizeof d_native),
        OSSL_PARAM_octet_string (OSSL_PKEY_PARAM_PUB_KEY, pub, sizeof pub),
        OSSL_PARAM_END
      };

      if (EVP_PKEY_fromdata (ctx, &key, EVP_PKEY_KEYPAIR, params) != 1)
        key = NULL;
    }

  explicit_bzero (d_native, sizeof d_native);
  EC_POINT_free (point);
  BN_clear_free (d);
  return key;
}

GBytes *
kv_state_wrap_credential (KvState    *state,
                          const char *rp_id,
                          EVP_PKEY   *key)
{
  guint8 der[WRAP_MAX_DER];
  guint8 id[1 + WRAP_NONCE + WRAP_MAX_DER + WRAP_TAG];
  int len;
  gboolean ok;

  /* The public key can be derived again; leaving it out keeps the id short. */
  len = private_key_der (key, der);
  if (len <= 0)
    return NULL;
  id[0] = WRAP_VERSION;
  ok = RAND_bytes (id + 1, WRAP_NONCE) == 1 &&
       wrap_cipher (TRUE, state->wrapping_key, rp_id, id + 1, der, (gsize) len,
                    id + 1 + WRAP_NONCE, id + 1 + WRAP_NONCE + len);
  explicit_bzero (der, sizeof der);
  return ok ? g_bytes_new (id, 1 + WRAP_NONCE + (gsize) len + WRAP_TAG) : NULL;
}

KvCredential *
kv_state_unwrap_credential (KvState      *state,
                            const char   *rp_id,
                            const guint8 *id,
                            gsize         id_len)
{
  guint8 der[WRAP_MAX_DER], tag[WRAP_TAG];
  gsize der_len;
  const guint8 *p = der;
  EVP_PKEY *key;
  KvCredential *cred;

  if (id_len <= 1 + WRAP_NONCE + WRAP_TAG || id_len > 1 + WRAP_NONCE + WRAP_MAX_DER + WRAP_TAG ||
      id[0] != WRAP_VERSION)
    return NULL;
  der_len = id_len - 1 - WRAP_NONCE - WRAP_TAG;
  memcpy (tag, id + id_len - WRAP_TAG, WRAP_TAG);
  if (!wrap_cipher (FALSE, state->wrapping_key, rp_id, id + 1, id + 1 + WRAP_NONCE, der_len, der,
                    tag))
    {
      explicit_bzero (der, sizeof der);
      return NULL;
    }
  if (der_len == P256_DER_LEN
      && memcmp (der, p256_der_head, sizeof p256_der_head) == 0
      && memcmp (der + sizeof p256_der_head + P256_SCALAR_LEN, p256_der_tail,
                 sizeof p256_der_tail) == 0)
    key = p256_key_from_scalar (der + sizeof p256_der_head);
  else
    key = d2i_PrivateKey (EVP_PKEY_EC, NULL, &p, (long) der_len);
  explicit_bzero (der, sizeof der);
  if (key == NULL)
    return NULL;

  cred = g_new0 (KvCredential, 1);
  cred->id = g_bytes_new (id, id_len);
  cred->rp_id = g_strdup (rp_id);
  cred->key = key;
  cred->wrapped = TRUE;
  return cred;
}

static KvCounter *
find_counter (KvState *state,
              GBytes  *id)
{
  KvCounter *counter;

  for (guint i = 0; i < state->counters->len; i++)
    if (g_bytes_equal (((KvCounter *) g_ptr_array_index (state->counters, i))->id, id))
      return g_ptr_array_index (state->counters, i);
  counter = g_new0 (KvCounter, 1);
  counter->id = g_bytes_ref (id);
  g_ptr_array_add (state->counters, counter);
  return counter;
}

gboolean
kv_state_next_counter (KvState       *state,
                       KvCredential  *cred,
                       guint32       *count,
                       GError       **error)
{
  guint32 next, old_ceiling;
  guint32 *sign_count = &cred->sign_count, *ceiling = &cred->counter_ceiling;

  if (cred->wrapped)
    {
      KvCounter *counter = find_counter (state, cred->id);

      sign_count = &counter->sign_count;
      ceiling = &counter->counter_ceiling;
    }
  old_ceiling = *ceiling;
  if (*sign_count == G_MAXUINT32)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_NO_SPACE, "Signature counter exhausted");
      return FALSE;
    }
  next = *sign_count + 1;
  if (next > *ceiling)
    {
      *ceiling = next > G_MAXUINT32 - COUNTER_RESERVE ? G_MAXUINT32 : next + COUNTER_RESERVE - 1;
      if (!kv_state_save (state, error))
        {
          *ceiling = old_ceiling;
          return FALSE;
        }
    }
  *sign_count = next;
  *count = next;
  return TRUE;
}

/* Attestation */

static gboolean
add_name_entries (X509_NAME  *name,
                  const char *cn)
{
  return X509_NAME_add_entry_by_txt (name, "C", MBSTRING_ASC, (const guint8 *) "US", -1, -1, 0) &&
         X509_NAME_add_entry_by_txt (name, "O", MBSTRING_ASC, (const guint8 *) "Keyturn", -1,
                                     -1, 0) &&
         X509_NAME_add_entry_by_txt (name, "OU", MBSTRING_ASC,
                                     (const guint8 *) "Authenticator Attestation", -1, -1, 0) &&
         X509_NAME_add_entry_by_txt (name, "CN", MBSTRING_ASC, (const guint8 *) cn, -1, -1, 0);
}

static gboolean
add_extension (X509       *cert,
               X509       *issuer,
               int         nid,
               const char *value)
{
  X509V3_CTX ctx;
  X509_EXTENSION *ext;
  gboolean ok;

  X509V3_set_ctx (&ctx, issuer, cert, NULL, NULL, 0);
  ext = X509V3_EXT_conf_nid (NULL, &ctx, nid, value);
  if (ext == NULL)
    return FALSE;
  ok = X509_add_ext (cert, ext, -1);
  X509_EXTENSION_free (ext);
  return ok;
}

static X509 *
new_cert (EVP_PKEY   *subject_key,
          const char *cn,
          long        days)
{
  g_autoptr(X509) cert = X509_new ();
  guint8 serial[16];
  BIGNUM *bn;
  ASN1_INTEGER *sn;

  if (cert == NULL || !X509_set_version (cert, 2) || RAND_bytes (serial, sizeof serial) != 1)
    return NULL;
  serial[0] &= 0x7f;
  bn = BN_bin2bn (serial, sizeof serial, NULL);
  sn = X509_get_serialNumber (cert);
  if (bn == NULL || BN_to_ASN1_INTEGER (bn, sn) == NULL)
    {
      BN_free (bn);
      return NULL;
    }
  BN_free (bn);

  if (X509_gmtime_adj (X509_getm_notBefore (cert), -86400) == NULL ||
      X509_gmtime_adj (X509_getm_notAfter (cert), days * 86400) == NULL ||
      !add_name_entries (X509_get_subject_name (cert), cn) ||
      !X509_set_pubkey (cert, subject_key))
    return NULL;
  return g_steal_pointer (&cert);
}

static GBytes *
cert_der (X509 *cert)
{
  guint8 *der = NULL;
  int len = i2d_X509 (cert, &der);

  if (len <= 0)
    return NULL;
  GBytes *bytes = g_bytes_new (der, (gsize) len);
  OPENSSL_free (der);
  return bytes;
}

gboolean
kv_attestation_generate (const guint8   aaguid[KV_AAGUID_LEN],
                         EVP_PKEY     **batch_key,
                         GBytes       **batch_cert,
                         GBytes       **root_cert,
                         GError       **error)
{
  g_autoptr(EVP_PKEY) root_key = EVP_EC_gen ("P-256");
  g_autoptr(EVP_PKEY) key = EVP_EC_gen ("P-256");
  g_autoptr(X509) root = NULL;
  g_autoptr(X509) batch = NULL;
  g_autoptr(ASN1_OCTET_STRING) inner = ASN1_OCTET_STRING_new ();
  g_autoptr(ASN1_OCTET_STRING) value = ASN1_OCTET_STRING_new ();
  g_autoptr(X509_EXTENSION) aaguid_ext = NULL;
  ASN1_OBJECT *oid;
  guint8 *inner_der = NULL;
  int inner_len;

  if (root_key == NULL || key == NULL || inner == NULL || value == NULL)
    goto fail;

  root = new_cert (root_key, "Keyturn Virtual Key Attestation Root", 20 * 365);
  if (root == NULL ||
      !X509_set_issuer_name (root, X509_get_subject_name (root)) ||
      !add_extension (root, root, NID_basic_constraints, "critical,CA:TRUE") ||
      !add_extension (root, root, NID_key_usage, "critical,keyCertSign,cRLSign") ||
      !add_extension (root, root, NID_subject_key_identifier, "hash") ||
      X509_sign (root, root_key, EVP_sha256 ()) <= 0)
    goto fail;

  /* WebAuthn §8.2.1: subject C/O/OU="Authenticator Attestation"/CN, CA:FALSE, and the AAGUID
   * in extension id-fido-gen-ce-aaguid as an OCTET STRING inside the extension's OCTET STRING. */
  batch = new_cert (key, "Keyturn Virtual Key Batch 1", 20 * 365);
  if (batch == NULL ||
      !X509_set_issuer_name (batch, X509_get_subject_name (root)) ||
      !add_extension (batch, root, NID_basic_constraints, "critical,CA:FALSE") ||
      !add_extension (batch, root, NID_authority_key_identifier, "keyid:always"))
    goto fail;

  if (!ASN1_OCTET_STRING_set (inner, aaguid, KV_AAGUID_LEN) ||
      (inner_len = i2d_ASN1_OCTET_STRING (inner, &inner_der)) <= 0)
    goto fail;
  oid = OBJ_txt2obj ("1.3.6.1.4.1.45724.1.1.4", 1);
  if (oid == NULL || !ASN1_OCTET_STRING_set (value, inner_der, inner_len))
    {
      ASN1_OBJECT_free (oid);
      OPENSSL_free (inner_der);
      goto fail;
    }
  OPENSSL_free (inner_der);
  aaguid_ext = X509_EXTENSION_create_by_OBJ (NULL, oid, 0, value);
  ASN1_OBJECT_free (oid);
  if (aaguid_ext == NULL || !X509_add_ext (batch, aaguid_ext, -1) ||
      X509_sign (batch, root_key, EVP_sha256 ()) <= 0)
    goto fail;

  *batch_cert = cert_der (batch);
  *root_cert = cert_der (root);
  if (*batch_cert == NULL || *root_cert == NULL)
    {
      g_clear_pointer (batch_cert, g_bytes_unref);
      g_clear_pointer (root_cert, g_bytes_unref);
      goto fail;
    }
  *batch_key = g_steal_pointer (&key);
  return TRUE;

fail:
  g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_FAILED,
                       "Could not generate the attestation certificate");
  return FALSE;
}

/* Saving */

static char *
key_to_base64 (EVP_PKEY *key)
{
  guint8 *der = NULL;
  int len = i2d_PrivateKey (key, &der);
  char *text;

  if (len <= 0)
    return NULL;
  text = g_base64_encode (der, (gsize) len);
  OPENSSL_clear_free (der, (gsize) len);
  return text;
}

static char *
bytes_to_base64 (GBytes *bytes)
{
  gsize len;
  const guint8 *data = g_bytes_get_data (bytes, &len);

  return g_base64_encode (data, len);
}

static char *
serialize (KvState *state)
{
  g_autoptr(GKeyFile) kf = g_key_file_new ();
  g_autofree char *aaguid = NULL;
  g_autofree char *att_key = key_to_base64 (state->attestation_key);
  g_autofree char *att_cert = bytes_to_base64 (state->attestation_cert);
  g_autofree char *att_root = bytes_to_base64 (state->attestation_root);
  g_autofree char *body = NULL;
  g_autofree char *digest = NULL;

  if (att_key == NULL)
    return NULL;
  aaguid = g_malloc (KV_AAGUID_LEN * 2 + 1);
  for (guint i = 0; i < KV_AAGUID_LEN; i++)
    g_snprintf (aaguid + i * 2, 3, "%02x", state->aaguid[i]);

  g_key_file_set_integer (kf, "key", "format", KV_STATE_FORMAT);
  g_key_file_set_string (kf, "key", "aaguid", aaguid);
  g_key_file_set_string (kf, "key", "attestation-key", att_key);
  g_key_file_set_string (kf, "key", "attestation-cert", att_cert);
  g_key_file_set_string (kf, "key", "attestation-root", att_root);
  if (state->pin_set)
    {
      g_autofree char *hash = g_base64_encode (state->pin_hash, sizeof state->pin_hash);
      g_key_file_set_string (kf, "key", "pin-hash", hash);
    }
  g_key_file_set_integer (kf, "key", "pin-retries", (int) state->pin_retries);
  g_key_file_set_uint64 (kf, "key", "next-serial", state->next_serial);
  {
    g_autofree char *wrapping = g_base64_encode (state->wrapping_key, KV_WRAPPING_KEY_LEN);
    g_key_file_set_string (kf, "key", "wrapping-key", wrapping);
    explicit_bzero (wrapping, strlen (wrapping));
  }

  for (guint i = 0; i < state->counters->len; i++)
    {
      KvCounter *counter = g_ptr_array_index (state->counters, i);
      g_autofree char *group = g_strdup_printf ("counter %u", i);
      g_autofree char *id = bytes_to_base64 (counter->id);

      g_key_file_set_string (kf, group, "id", id);
      g_key_file_set_uint64 (kf, group, "sign-count",
                             MAX (counter->sign_count, counter->counter_ceiling));
    }

  for (guint i = 0; i < state->credentials->len; i++)
    {
      KvCredential *cred = g_ptr_array_index (state->credentials, i);
      g_autofree char *group = g_strdup_printf ("credential %" G_GUINT64_FORMAT, cred->serial);
      g_autofree char *id = bytes_to_base64 (cred->id);
      g_autofree char *user_id = bytes_to_base64 (cred->user_id);

      if (cred->key_text == NULL && (cred->key_text = key_to_base64 (cred->key)) == NULL)
        return NULL;
      g_key_file_set_string (kf, group, "id", id);
      g_key_file_set_string (kf, group, "rp-id", cred->rp_id);
      g_key_file_set_string (kf, group, "user-id", user_id);
      if (cred->user_name != NULL)
        g_key_file_set_string (kf, group, "user-name", cred->user_name);
      if (cred->user_display_name != NULL)
        g_key_file_set_string (kf, group, "user-display-name", cred->user_display_name);
      g_key_file_set_string (kf, group, "private-key", cred->key_text);
      g_key_file_set_uint64 (kf, group, "sign-count",
                             MAX (cred->sign_count, cred->counter_ceiling));
      g_key_file_set_boolean (kf, group, "resident", cred->resident);
      g_key_file_set_uint64 (kf, group, "serial", cred->serial);
    }

  body = g_key_file_to_data (kf, NULL, NULL);
  if (!g_str_has_suffix (body, "\n"))
    {
      char *tmp = g_strconcat (body, "\n", NULL);
      g_free (body);
      body = tmp;
    }
  digest = g_compute_checksum_for_string (G_CHECKSUM_SHA256, body, -1);
  return g_strconcat (body, "\n" CHECKSUM_MARKER, digest, "\n", NULL);
}

static gboolean
write_all (int           fd,
           const char   *data,
           gsize         len)
{
  while (len > 0)
    {
      ssize_t n = write (fd, data, len);

      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        return FALSE;
      data += n;
      len -= (gsize) n;
    }
  return TRUE;
}

gboolean
kv_state_save (KvState  *state,
               GError  **error)
{
  g_autofree char *data = serialize (state);
  g_autofree char *dir = g_path_get_dirname (state->path);
  g_autofree char *tmp = g_strconcat (state->path, ".tmp-XXXXXX", NULL);
  int fd, dir_fd, saved_errno;

  if (data == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "Could not encode the state of %s",
                   state->path);
      return FALSE;
    }

  /* Write a temporary file, flush it, rename it over the old one and flush the directory, so a
   * crash leaves either the old file or the new one, never half of one. */
  fd = g_mkstemp_full (tmp, O_WRONLY | O_CLOEXEC, 0600);
  if (fd < 0)
    goto fail;
  if (!write_all (fd, data, strlen (data)) || fsync (fd) != 0)
    {
      saved_errno = errno;
      close (fd);
      g_unlink (tmp);
      errno = saved_errno;
      goto fail;
    }
  if (close (fd) != 0 || g_rename (tmp, state->path) != 0)
    {
      saved_errno = errno;
      g_unlink (tmp);
      errno = saved_errno;
      goto fail;
    }
  dir_fd = open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir_fd >= 0)
    {
      fsync (dir_fd);
      close (dir_fd);
    }
  return TRUE;

fail:
  saved_errno = errno;
  g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved_errno),
               "Could not save the state to %s: %s", state->path, g_strerror (saved_errno));
  return FALSE;
}

/* Loading */

static gboolean
damaged (GError     **error,
         const char  *path,
         const char  *what)
{
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
               "The state file %s is damaged (%s); refusing to start. Move it away to start "
               "with a new, empty key", path, what);
  return FALSE;
}

static GBytes *
read_base64 (GKeyFile   *kf,
             const char *group,
             const char *name)
{
  g_autofree char *text = g_key_file_get_string (kf, group, name, NULL);
  guint8 *data;
  gsize len;

  if (text == NULL)
    return NULL;
  /* g_base64_decode accepts anything; insist on the canonical form it would write back. */
  for (const char *p = text; *p; p++)
    if (!g_ascii_isalnum (*p) && *p != '+' && *p != '/' && *p != '=')
      return NULL;
  data = g_base64_decode (text, &len);
  if (data == NULL || len == 0)
    {
      g_free (data);
      return NULL;
    }
  return g_bytes_new_take (data, len);
}

static EVP_PKEY *
read_p256_key (GKeyFile   *kf,
               const char *group,
               const char *name)
{
  g_autoptr(GBytes) der = read_base64 (kf, group, name);
  const guint8 *p;
  gsize len;
  EVP_PKEY *key;

  if (der == NULL)
    return NULL;
  p = g_bytes_get_data (der, &len);
  key = d2i_PrivateKey (EVP_PKEY_EC, NULL, &p, (long) len);
  if (key == NULL)
    return NULL;
  if (!kt_p256_key_is (key))
    {
      EVP_PKEY_free (key);
      return NULL;
    }
  return key;
}

static gboolean
read_uint (GKeyFile   *kf,
           const char *group,
           const char *name,
           guint64     max,
           guint64    *out)
{
  g_autofree char *text = g_key_file_get_string (kf, group, name, NULL);

  return text != NULL && g_ascii_string_to_unsigned (text, 10, 0, max, out, NULL);
}

static KvCredential *
read_credential (GKeyFile    *kf,
                 const char  *group,
                 const char **what)
{
  g_autoptr(GError) local_error = NULL;
  KvCredential *cred = g_new0 (KvCredential, 1);
  guint64 count = 0, serial = 0;

  cred->id = read_base64 (kf, group, "id");
  cred->rp_id = g_key_file_get_string (kf, group, "rp-id", NULL);
  cred->user_id = read_base64 (kf, group, "user-id");
  cred->user_name = g_key_file_get_string (kf, group, "user-name", NULL);
  cred->user_display_name = g_key_file_get_string (kf, group, "user-display-name", NULL);
  cred->key = read_p256_key (kf, group, "private-key");
  cred->resident = g_key_file_get_boolean (kf, group, "resident", &local_error);

  if (cred->id == NULL || g_bytes_get_size (cred->id) != KV_CREDENTIAL_ID_LEN)
    *what = "a credential id";
  else if (cred->rp_id == NULL || *cred->rp_id == '\0')
    *what = "a credential's relying party";
  else if (cred->user_id == NULL || g_bytes_get_size (cred->user_id) > 64)
    *what = "a credential's user id";
  else if (cred->key == NULL)
    *what = "a credential's private key";
  else if (local_error != NULL)
    *what = "a credential's resident flag";
  else if (!read_uint (kf, group, "sign-count", G_MAXUINT32, &count) ||
           !read_uint (kf, group, "serial", G_MAXUINT64, &serial))
    *what = "a credential's counter";
  else
    {
      cred->sign_count = cred->counter_ceiling = (guint32) count;
      cred->serial = serial;
      return cred;
    }

  kv_credential_free (cred);
  return NULL;
}

static KvState *
parse (const char  *path,
       const char  *contents,
       gsize        len,
       gboolean    *upgraded,
       GError     **error)
{
  g_autoptr(KvState) state = g_new0 (KvState, 1);
  g_autoptr(GKeyFile) kf = g_key_file_new ();
  g_autoptr(GBytes) pin_hash = NULL;
  g_auto(GStrv) groups = NULL;
  g_autofree char *aaguid = NULL;
  g_autofree char *body = NULL;
  g_autofree char *digest = NULL;
  const char *marker;
  guint64 format = 0, retries = 0;
  const char *what = NULL;

  state->path = g_strdup (path);
  state->credentials = g_ptr_array_new_with_free_func ((GDestroyNotify) kv_credential_free);
  state->counters = g_ptr_array_new_with_free_func ((GDestroyNotify) kv_counter_free);

  if (len == 0 || memchr (contents, '\0', len) != NULL)
    return damaged (error, path, len == 0 ? "it is empty" : "it holds a NUL byte"), NULL;

  marker = g_strrstr (contents, "\n" CHECKSUM_MARKER);
  if (marker == NULL)
    return damaged (error, path, "no checksum: truncated?"), NULL;
  body = g_strndup (contents, (gsize) (marker - contents));
  digest = g_compute_checksum_for_string (G_CHECKSUM_SHA256, body, -1);
  marker += strlen ("\n" CHECKSUM_MARKER);
  if (strlen (marker) != strlen (digest) + 1 || strncmp (marker, digest, strlen (digest)) != 0 ||
      marker[strlen (digest)] != '\n')
    return damaged (error, path, "the checksum does not match"), NULL;

  if (!g_key_file_load_from_data (kf, body, (gsize) -1, G_KEY_FILE_NONE, NULL))
    return damaged (error, path, "not a key file"), NULL;
  if (!read_uint (kf, "key", "format", G_MAXUINT32, &format) || format != KV_STATE_FORMAT)
    return damaged (error, path, "unknown format version"), NULL;

  aaguid = g_key_file_get_string (kf, "key", "aaguid", NULL);
  if (aaguid == NULL || strlen (aaguid) != KV_AAGUID_LEN * 2)
    return damaged (error, path, "the AAGUID"), NULL;
  for (guint i = 0; i < KV_AAGUID_LEN; i++)
    {
      int hi = g_ascii_xdigit_value (aaguid[2 * i]), lo = g_ascii_xdigit_value (aaguid[2 * i + 1]);

      if (hi < 0 || lo < 0)
        return damaged (error, path, "the AAGUID"), NULL;
      state->aaguid[i] = (guint8) (hi << 4 | lo);
    }

  state->attestation_key = read_p256_key (kf, "key", "attestation-key");
  state->attestation_cert = read_base64 (kf, "key", "attestation-cert");
  state->attestation_root = read_base64 (kf, "key", "attestation-root");
  if (state->attestation_key == NULL || state->attestation_cert == NULL ||
      state->attestation_root == NULL)
    return damaged (error, path, "the attestation key or certificate"), NULL;

  if (g_key_file_has_key (kf, "key", "pin-hash", NULL))
    {
      pin_hash = read_base64 (kf, "key", "pin-hash");
      if (pin_hash == NULL || g_bytes_get_size (pin_hash) != KV_PIN_HASH_LEN)
        return damaged (error, path, "the PIN hash"), NULL;
      memcpy (state->pin_hash, g_bytes_get_data (pin_hash, NULL), KV_PIN_HASH_LEN);
      state->pin_set = TRUE;
    }
  if (!read_uint (kf, "key", "pin-retries", KV_PIN_MAX_RETRIES, &retries))
    return damaged (error, path, "the PIN retries"), NULL;
  state->pin_retries = (guint) retries;
  if (!read_uint (kf, "key", "next-serial", G_MAXUINT64, &state->next_serial))
    return damaged (error, path, "the credential serial"), NULL;
  if (g_key_file_has_key (kf, "key", "wrapping-key", NULL))
    {
      g_autoptr(GBytes) wrapping = read_base64 (kf, "key", "wrapping-key");

      if (wrapping == NULL || g_bytes_get_size (wrapping) != KV_WRAPPING_KEY_LEN)
        return damaged (error, path, "the wrapping key"), NULL;
      memcpy (state->wrapping_key, g_bytes_get_data (wrapping, NULL), KV_WRAPPING_KEY_LEN);
    }
  else
    {
      /* Written before non-discoverable credentials were wrapped: it only lacks the key. */
      if (RAND_bytes (state->wrapping_key, KV_WRAPPING_KEY_LEN) != 1)
        return damaged (error, path, "no randomness for a wrapping key"), NULL;
      *upgraded = TRUE;
    }

  groups = g_key_file_get_groups (kf, NULL);
  for (guint i = 0; groups[i] != NULL; i++)
    {
      KvCredential *cred;

      if (g_str_equal (groups[i], "key"))
        continue;
      if (g_str_has_prefix (groups[i], "counter ") && state->counters->len < MAX_CREDENTIALS)
        {
          KvCounter *counter = g_new0 (KvCounter, 1);
          guint64 count = 0;

          counter->id = read_base64 (kf, groups[i], "id");
          g_ptr_array_add (state->counters, counter);
          if (counter->id == NULL || !read_uint (kf, groups[i], "sign-count", G_MAXUINT32, &count))
            return damaged (error, path, "a signature counter"), NULL;
          counter->sign_count = counter->counter_ceiling = (guint32) count;
          continue;
        }
      if (!g_str_has_prefix (groups[i], "credential ") ||
          state->credentials->len >= MAX_CREDENTIALS)
        return damaged (error, path, "an unknown group"), NULL;
      cred = read_credential (kf, groups[i], &what);
      if (cred == NULL)
        return damaged (error, path, what), NULL;
      if (kv_state_find (state, cred->rp_id, g_bytes_get_data (cred->id, NULL),
                         g_bytes_get_size (cred->id)) != NULL)
        {
          kv_credential_free (cred);
          return damaged (error, path, "a credential appears twice"), NULL;
        }
      g_ptr_array_add (state->credentials, cred);
    }

  return g_steal_pointer (&state);
}

KvState *
kv_state_load (const char  *path,
               gboolean    *created,
               GError     **error)
{
  g_autoptr(GError) local_error = NULL;
  g_autofree char *contents = NULL;
  g_autoptr(KvState) state = NULL;
  gsize len = 0;

  *created = FALSE;
  if (g_file_get_contents (path, &contents, &len, &local_error))
    {
      gboolean upgraded = FALSE;

      state = parse (path, contents, len, &upgraded, error);
      if (state != NULL && upgraded && !kv_state_save (state, error))
        return NULL;
      return g_steal_pointer (&state);
    }

  if (!g_error_matches (local_error, G_FILE_ERROR, G_FILE_ERROR_NOENT))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "Could not read the state file: %s",
                   local_error->message);
      return NULL;
    }

  /* First start: a new key with a new identity. */
  state = g_new0 (KvState, 1);
  state->path = g_strdup (path);
  state->credentials = g_ptr_array_new_with_free_func ((GDestroyNotify) kv_credential_free);
  state->counters = g_ptr_array_new_with_free_func ((GDestroyNotify) kv_counter_free);
  state->pin_retries = KV_PIN_MAX_RETRIES;
  if (RAND_bytes (state->aaguid, KV_AAGUID_LEN) != 1 ||
      RAND_bytes (state->wrapping_key, KV_WRAPPING_KEY_LEN) != 1)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_FAILED, "No randomness for the AAGUID");
      return NULL;
    }
  /* A version 4 UUID, as AAGUIDs are. */
  state->aaguid[6] = (state->aaguid[6] & 0x0f) | 0x40;
  state->aaguid[8] = (state->aaguid[8] & 0x3f) | 0x80;
  if (!kv_attestation_generate (state->aaguid, &state->attestation_key, &state->attestation_cert,
                                &state->attestation_root, error) ||
      !kv_state_save (state, error))
    return NULL;

  *created = TRUE;
  return g_steal_pointer (&state);
}
