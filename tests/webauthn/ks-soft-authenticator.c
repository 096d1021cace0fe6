/* ks-soft-authenticator.c: a stand-in WebAuthn client and authenticator for the sandbox's tests
 *
 * Copyright 2026 Keyturn developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "ks-soft-authenticator.h"

#include <cbor.h>
#include <gio/gio.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <string.h>

#include "kt-base64url.h"
#include "kt-cose.h"

G_DEFINE_QUARK (ks-soft-authenticator-error-quark, ks_soft_authenticator_error)

G_DEFINE_AUTOPTR_CLEANUP_FUNC (EVP_MD_CTX, EVP_MD_CTX_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (X509, X509_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (ASN1_OCTET_STRING, ASN1_OCTET_STRING_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (ASN1_OBJECT, ASN1_OBJECT_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (X509_EXTENSION, X509_EXTENSION_free)

static void
soft_cbor_unref (cbor_item_t *item)
{
  cbor_decref (&item);
}

typedef cbor_item_t SoftCbor;
G_DEFINE_AUTOPTR_CLEANUP_FUNC (SoftCbor, soft_cbor_unref)

#define FLAG_UP 0x01
#define FLAG_UV 0x04
#define FLAG_BE 0x08
#define FLAG_BS 0x10
#define FLAG_AT 0x40
#define FLAG_ED 0x80

typedef struct {
  char     *rp_id;
  GBytes   *id;
  GBytes   *user_handle;
  EVP_PKEY *key;
  gint64    algorithm;
  GBytes   *cose_key;
  guint32   counter;
} SoftCredential;

struct _KsSoftAuthenticator
{
  GObject    parent_instance;

  guint8     aaguid[16];
  GPtrArray *credentials;   /* SoftCredential */
  EVP_PKEY  *root_key;      /* signs the x5c leaves; made on first use */
  X509      *root_cert;
};

G_DEFINE_FINAL_TYPE (KsSoftAuthenticator, ks_soft_authenticator, G_TYPE_OBJECT)

static const KsSoftTweaks no_tweaks = { 0 };

static void
soft_credential_free (SoftCredential *cred)
{
  g_free (cred->rp_id);
  g_bytes_unref (cred->id);
  g_bytes_unref (cred->user_handle);
  EVP_PKEY_free (cred->key);
  g_bytes_unref (cred->cose_key);
  g_free (cred);
}

static void
ks_soft_authenticator_finalize (GObject *object)
{
  KsSoftAuthenticator *self = KS_SOFT_AUTHENTICATOR (object);

  g_ptr_array_unref (self->credentials);
  EVP_PKEY_free (self->root_key);
  X509_free (self->root_cert);

  G_OBJECT_CLASS (ks_soft_authenticator_parent_class)->finalize (object);
}

static void
ks_soft_authenticator_class_init (KsSoftAuthenticatorClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = ks_soft_authenticator_finalize;
}

static void
ks_soft_authenticator_init (KsSoftAuthenticator *self)
{
  self->credentials = g_ptr_array_new_with_free_func ((GDestroyNotify) soft_credential_free);
  RAND_bytes (self->aaguid, sizeof self->aaguid);
}

KsSoftAuthenticator *
ks_soft_authenticator_new (void)
{
  return g_object_new (KS_TYPE_SOFT_AUTHENTICATOR, NULL);
}

const guint8 *
ks_soft_authenticator_get_aaguid (KsSoftAuthenticator *self)
{
  g_return_val_if_fail (KS_IS_SOFT_AUTHENTICATOR (self), NULL);
  return self->aaguid;
}

guint
ks_soft_authenticator_get_n_credentials (KsSoftAuthenticator *self)
{
  g_return_val_if_fail (KS_IS_SOFT_AUTHENTICATOR (self), 0);
  return self->credentials->len;
}

static SoftCredential *
find_credential (KsSoftAuthenticator *self,
                 GBytes              *id)
{
  for (guint i = 0; i < self->credentials->len; i++)
    {
      SoftCredential *cred = g_ptr_array_index (self->credentials, i);

      if (g_bytes_equal (cred->id, id))
        return cred;
    }
  return NULL;
}

GBytes *
ks_soft_authenticator_get_public_key (KsSoftAuthenticator *self,
                                      GBytes              *credential_id)
{
  SoftCredential *cred;

  g_return_val_if_fail (KS_IS_SOFT_AUTHENTICATOR (self), NULL);

  cred = find_credential (self, credential_id);
  return cred != NULL ? g_bytes_ref (cred->cose_key) : NULL;
}

static gboolean
crypto_failed (GError    **error,
               const char *what)
{
  g_set_error (error, KS_SOFT_AUTHENTICATOR_ERROR, KS_SOFT_AUTHENTICATOR_ERROR_CRYPTO,
               "The soft authenticator could not %s", what);
  return FALSE;
}

static void
sha256 (const void *data,
        gsize       len,
        guint8      out[32])
{
  gsize out_len = 32;
  g_autoptr(GChecksum) sum = g_checksum_new (G_CHECKSUM_SHA256);

  g_checksum_update (sum, data, len);
  g_checksum_get_digest (sum, out, &out_len);
}

/* ES256 answers DER (as WebAuthn wants), RS256 PKCS#1 v1.5; both over SHA-256. */
static GBytes *
sign_sha256 (EVP_PKEY     *key,
             const guint8 *data,
             gsize         len,
             GError      **error)
{
  g_autoptr(EVP_MD_CTX) ctx = EVP_MD_CTX_new ();
  size_t sig_len = 0;
  guint8 *sig;

  if (ctx == NULL || EVP_DigestSignInit (ctx, NULL, EVP_sha256 (), NULL, key) != 1 ||
      EVP_DigestSign (ctx, NULL, &sig_len, data, len) != 1)
    {
      crypto_failed (error, "sign");
      return NULL;
    }
  sig = g_malloc (sig_len);
  if (EVP_DigestSign (ctx, sig, &sig_len, data, len) != 1)
    {
      g_free (sig);
      crypto_failed (error, "sign");
      return NULL;
    }
  return g_bytes_new_take (sig, sig_len);
}

static GBytes *
serialize_cbor (cbor_item_t *item)
{
  guchar *buf = NULL;
  size_t buf_size = 0, len;
  GBytes *out;

  len = cbor_serialize_alloc (item, &buf, &buf_size);
  g_assert (len > 0);
  out = g_bytes_new (buf, len);
  free (buf);
  return out;
}

static void
map_add (cbor_item_t *map,
         cbor_item_t *key,
         cbor_item_t *value)
{
  gboolean ok = cbor_map_add (map, (struct cbor_pair) { cbor_move (key), cbor_move (value) });

  g_assert (ok);
}

/* libcbor encodes at the width it is asked for; CTAP2 canonical CBOR wants the shortest. */
static cbor_item_t *
build_int (gint64 value)
{
  guint64 v = value >= 0 ? (guint64) value : (guint64) (-1 - value);
  cbor_item_t *item;

  if (v <= G_MAXUINT8)
    item = value >= 0 ? cbor_build_uint8 (v) : cbor_build_negint8 (v);
  else if (v <= G_MAXUINT16)
    item = value >= 0 ? cbor_build_uint16 (v) : cbor_build_negint16 (v);
  else if (v <= G_MAXUINT32)
    item = value >= 0 ? cbor_build_uint32 (v) : cbor_build_negint32 (v);
  else
    item = value >= 0 ? cbor_build_uint64 (v) : cbor_build_negint64 (v);
  return item;
}

static cbor_item_t *
build_bytes (GBytes *bytes)
{
  gsize len;
  const guint8 *data = g_bytes_get_data (bytes, &len);

  return cbor_build_bytestring (data, len);
}

static GBytes *
encode_rs256_key (EVP_PKEY *key)
{
  BIGNUM *n = NULL, *e = NULL;
  g_autoptr(SoftCbor) map = cbor_new_definite_map (4);
  g_autofree guint8 *nbuf = NULL, *ebuf = NULL;
  int nlen, elen;

  EVP_PKEY_get_bn_param (key, OSSL_PKEY_PARAM_RSA_N, &n);
  EVP_PKEY_get_bn_param (key, OSSL_PKEY_PARAM_RSA_E, &e);
  g_assert (n != NULL && e != NULL);
  nlen = BN_num_bytes (n);
  elen = BN_num_bytes (e);
  nbuf = g_malloc (nlen);
  ebuf = g_malloc (elen);
  BN_bn2bin (n, nbuf);
  BN_bn2bin (e, ebuf);
  BN_free (n);
  BN_free (e);

  map_add (map, cbor_build_uint8 (1), cbor_build_uint8 (3));
  map_add (map, cbor_build_uint8 (3), build_int (-257));
  map_add (map, build_int (-1), cbor_build_bytestring (nbuf, nlen));
  map_add (map, build_int (-2), cbor_build_bytestring (ebuf, elen));
  return serialize_cbor (map);
}

/* Escapes as the spec's CCDToString does: quote, backslash and control characters. */
static void
append_json_string (GString    *out,
                    const char *s)
{
  g_string_append_c (out, '"');
  for (; *s != '\0'; s++)
    {
      guchar c = (guchar) *s;

      if (c == '"' || c == '\\')
        g_string_append_printf (out, "\\%c", c);
      else if (c < 0x20)
        g_string_append_printf (out, "\\u%04x", c);
      else
        g_string_append_c (out, (char) c);
    }
  g_string_append_c (out, '"');
}

static char *
build_client_data (const char         *type,
                   const char         *challenge,
                   const char         *origin,
                   const KsSoftTweaks *tweaks)
{
  GString *out = g_string_new ("{\"type\":");
  g_autofree char *padded = NULL;

  if (tweaks->challenge != NULL)
    challenge = tweaks->challenge;
  if (tweaks->challenge_padded)
    {
      gsize pad = (4 - strlen (challenge) % 4) % 4;
      g_autofree char *equals = g_strnfill (pad != 0 ? pad : 1, '=');

      challenge = padded = g_strconcat (challenge, equals, NULL);
    }

  append_json_string (out, tweaks->client_data_type != NULL ? tweaks->client_data_type : type);
  g_string_append (out, ",\"challenge\":");
  append_json_string (out, challenge);
  g_string_append (out, ",\"origin\":");
  append_json_string (out, tweaks->origin != NULL ? tweaks->origin : origin);
  g_string_append (out, tweaks->cross_origin ? ",\"crossOrigin\":true" : ",\"crossOrigin\":false");
  if (tweaks->token_binding_present)
    g_string_append (out, ",\"tokenBinding\":{\"status\":\"present\",\"id\":\"AAAA\"}");
  g_string_append_c (out, '}');
  return g_string_free (out, FALSE);
}

static const char *
get_string (JsonObject *object,
            const char *member)
{
  JsonNode *node = object != NULL ? json_object_get_member (object, member) : NULL;

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) ||
      json_node_get_value_type (node) != G_TYPE_STRING)
    return NULL;
  return json_node_get_string (node);
}

static JsonObject *
get_object (JsonObject *object,
            const char *member)
{
  JsonNode *node = object != NULL ? json_object_get_member (object, member) : NULL;

  return node != NULL && JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
}

static JsonArray *
get_array (JsonObject *object,
           const char *member)
{
  JsonNode *node = object != NULL ? json_object_get_member (object, member) : NULL;

  return node != NULL && JSON_NODE_HOLDS_ARRAY (node) ? json_node_get_array (node) : NULL;
}

static gpointer
options_error (GError    **error,
               const char *what)
{
  g_set_error (error, KS_SOFT_AUTHENTICATOR_ERROR, KS_SOFT_AUTHENTICATOR_ERROR_OPTIONS,
               "The options cannot be used: %s", what);
  return NULL;
}

/* The credential ids of a list of descriptors; entries that do not decode are skipped, as a
 * browser would skip them. */
static GPtrArray *
descriptor_ids (JsonArray *list)
{
  GPtrArray *ids = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);

  for (guint i = 0; list != NULL && i < json_array_get_length (list); i++)
    {
      JsonNode *node = json_array_get_element (list, i);
      const char *id = JSON_NODE_HOLDS_OBJECT (node) ? get_string (json_node_get_object (node),
                                                                   "id") : NULL;
      GBytes *bytes = id != NULL ? kt_base64url_decode (id, NULL) : NULL;

      if (bytes != NULL)
        g_ptr_array_add (ids, bytes);
    }
  return ids;
}

static guint8
flags_for (guint8              base,
           const KsSoftTweaks *tweaks)
{
  guint8 flags = base | FLAG_UP;

  if (tweaks->clear_up)
    flags &= ~FLAG_UP;
  if (tweaks->set_uv)
    flags |= FLAG_UV;
  if (tweaks->set_be)
    flags |= FLAG_BE;
  if (tweaks->set_bs)
    flags |= FLAG_BS;
  if (tweaks->set_at)
    flags |= FLAG_AT;
  if (tweaks->set_ed_without_extensions || tweaks->add_extensions)
    flags |= FLAG_ED;
  return flags;
}

static void
append_auth_data_head (GByteArray         *out,
                       const char         *rp_id,
                       guint8              flags,
                       guint32             counter,
                       const KsSoftTweaks *tweaks)
{
  guint8 hash[32];
  guint8 be[4] = { counter >> 24, counter >> 16, counter >> 8, counter };

  sha256 (rp_id, strlen (rp_id), hash);
  if (tweaks->wrong_rp_id_hash)
    hash[0] ^= 0xff;
  g_byte_array_append (out, hash, sizeof hash);
  g_byte_array_append (out, &flags, 1);
  g_byte_array_append (out, be, sizeof be);
}

static char *
b64 (GBytes *bytes)
{
  return kt_base64url_encode_bytes (bytes);
}

static void
set_ids (JsonObject         *out,
         GBytes             *id,
         const KsSoftTweaks *tweaks)
{
  g_autofree char *raw = b64 (id);

  if (tweaks->id_differs)
    {
      gsize len = g_bytes_get_size (id);
      g_autofree guint8 *other = g_malloc0 (MAX (len, 1));
      g_autofree char *other_text = NULL;

      /* An empty id becomes one byte, so the two still differ. */
      if (len > 0)
        memcpy (other, g_bytes_get_data (id, NULL), len);
      other[0] ^= 0x01;
      other_text = kt_base64url_encode (other, MAX (len, 1));
      json_object_set_string_member (out, "id", other_text);
    }
  else
    {
      json_object_set_string_member (out, "id", raw);
    }
  json_object_set_string_member (out, "rawId", raw);
  json_object_set_string_member (out, "type",
                                 tweaks->credential_type != NULL ? tweaks->credential_type
                                                                 : "public-key");
}

/* A certificate for attestation. The leaf follows WebAuthn §8.2.1 unless a tweak says not to. */
static X509 *
make_certificate (EVP_PKEY           *subject_key,
                  EVP_PKEY           *issuer_key,
                  X509               *issuer_cert,
                  gboolean            is_ca,
                  const char         *ou,
                  const guint8       *aaguid,
                  gboolean            version_1,
                  gboolean            no_basic_constraints)
{
  g_autoptr(X509) cert = X509_new ();
  X509_NAME *name = X509_get_subject_name (cert);
  X509V3_CTX ctx;
  guint64 serial = 0;

  RAND_bytes ((guint8 *) &serial, sizeof serial);
  X509_set_version (cert, version_1 ? X509_VERSION_1 : X509_VERSION_3);
  ASN1_INTEGER_set_uint64 (X509_get_serialNumber (cert), serial >> 1);
  X509_gmtime_adj (X509_getm_notBefore (cert), -3600);
  X509_gmtime_adj (X509_getm_notAfter (cert), 3600L * 24 * 365);
  X509_set_pubkey (cert, subject_key);
  X509_NAME_add_entry_by_txt (name, "C", MBSTRING_ASC, (const guchar *) "SE", -1, -1, 0);
  X509_NAME_add_entry_by_txt (name, "O", MBSTRING_ASC, (const guchar *) "Keyturn Test Vendor", -1,
                              -1, 0);
  X509_NAME_add_entry_by_txt (name, "OU", MBSTRING_ASC, (const guchar *) ou, -1, -1, 0);
  X509_NAME_add_entry_by_txt (name, "CN", MBSTRING_ASC,
                              (const guchar *) (issuer_cert == NULL ? "Keyturn Test Root"
                                                                    : "Keyturn Test Key"),
                              -1, -1, 0);
  X509_set_issuer_name (cert, issuer_cert != NULL ? X509_get_subject_name (issuer_cert) : name);

  if (!version_1)
    {
      X509_EXTENSION *ext;

      X509V3_set_ctx (&ctx, issuer_cert != NULL ? issuer_cert : cert, cert, NULL, NULL, 0);
      if (!no_basic_constraints)
        {
          ext = X509V3_EXT_nconf_nid (NULL, &ctx, NID_basic_constraints,
                                      is_ca ? "critical,CA:TRUE" : "critical,CA:FALSE");
          X509_add_ext (cert, ext, -1);
          X509_EXTENSION_free (ext);
        }

      if (aaguid != NULL)
        {
          g_autoptr(ASN1_OCTET_STRING) inner = ASN1_OCTET_STRING_new ();
          g_autoptr(ASN1_OCTET_STRING) outer = ASN1_OCTET_STRING_new ();
          g_autoptr(ASN1_OBJECT) oid = OBJ_txt2obj ("1.3.6.1.4.1.45724.1.1.4", 1);
          g_autoptr(X509_EXTENSION) aaguid_ext = NULL;
          guint8 *der = NULL;
          int der_len;

          ASN1_OCTET_STRING_set (inner, aaguid, 16);
          der_len = i2d_ASN1_OCTET_STRING (inner, &der);
          ASN1_OCTET_STRING_set (outer, der, der_len);
          OPENSSL_free (der);
          aaguid_ext = X509_EXTENSION_create_by_OBJ (NULL, oid, 0, outer);
          X509_add_ext (cert, aaguid_ext, -1);
        }
    }

  if (X509_sign (cert, issuer_key, EVP_sha256 ()) == 0)
    return NULL;
  return g_steal_pointer (&cert);
}

static GBytes *
cert_der (X509 *cert)
{
  guint8 *der = NULL;
  int len = i2d_X509 (cert, &der);
  GBytes *out;

  g_assert (len > 0);
  out = g_bytes_new (der, len);
  OPENSSL_free (der);
  return out;
}

static gboolean
ensure_root (KsSoftAuthenticator *self,
             GError             **error)
{
  if (self->root_cert != NULL)
    return TRUE;
  self->root_key = EVP_EC_gen ("P-256");
  if (self->root_key == NULL)
    return crypto_failed (error, "make a root key");
  self->root_cert = make_certificate (self->root_key, self->root_key, NULL, TRUE,
                                      "Keyturn Test Roots", NULL, FALSE, FALSE);
  if (self->root_cert == NULL)
    return crypto_failed (error, "make a root certificate");
  return TRUE;
}

static gint64
choose_algorithm (JsonObject         *options,
                  const KsSoftTweaks *tweaks)
{
  JsonArray *params = get_array (options, "pubKeyCredParams");

  if (tweaks->algorithm != 0)
    return tweaks->algorithm;
  for (guint i = 0; params != NULL && i < json_array_get_length (params); i++)
    {
      JsonNode *node = json_array_get_element (params, i);
      JsonObject *param = JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
      JsonNode *alg = param != NULL ? json_object_get_member (param, "alg") : NULL;
      gint64 value;

      if (alg == NULL || !JSON_NODE_HOLDS_VALUE (alg))
        continue;
      value = json_node_get_int (alg);
      if (value == KT_COSE_ALG_ES256 || value == KT_COSE_ALG_RS256)
        return value;
    }
  return 0;
}

static cbor_item_t *
build_statement (KsSoftAuthenticator *self,
                 SoftCredential      *cred,
                 const guint8        *auth_data,
                 gsize                auth_data_len,
                 const guint8         client_hash[32],
                 const KsSoftTweaks  *tweaks,
                 const char         **fmt,
                 GError             **error)
{
  g_autoptr(GByteArray) signed_data = g_byte_array_new ();
  g_autoptr(SoftCbor) stmt = NULL;
  g_autoptr(GBytes) sig = NULL;

  g_byte_array_append (signed_data, auth_data, auth_data_len);
  g_byte_array_append (signed_data, client_hash, 32);

  switch (tweaks->attestation)
    {
    case KS_SOFT_ATTESTATION_NONE:
      *fmt = "none";
      if (tweaks->none_with_statement)
        {
          stmt = cbor_new_definite_map (1);
          map_add (stmt, cbor_build_string ("alg"), build_int (cred->algorithm));
        }
      else
        {
          stmt = cbor_new_definite_map (0);
        }
      break;

    case KS_SOFT_ATTESTATION_PACKED_SELF:
      *fmt = "packed";
      if ((sig = sign_sha256 (cred->key, signed_data->data, signed_data->len, error)) == NULL)
        return NULL;
      stmt = cbor_new_definite_map (2);
      map_add (stmt, cbor_build_string ("alg"),
               build_int (tweaks->statement_algorithm != 0 ? tweaks->statement_algorithm
                                                           : cred->algorithm));
      map_add (stmt, cbor_build_string ("sig"), build_bytes (sig));
      break;

    case KS_SOFT_ATTESTATION_PACKED_X5C:
      {
        g_autoptr(EVP_PKEY) leaf_key = EVP_EC_gen ("P-256");
        g_autoptr(X509) leaf = NULL;
        g_autoptr(GBytes) leaf_der = NULL, root_der = NULL;
        guint8 aaguid[16];
        cbor_item_t *chain;

        *fmt = "packed";
        if (!ensure_root (self, error))
          return NULL;
        memcpy (aaguid, self->aaguid, 16);
        if (tweaks->x5c_wrong_aaguid)
          aaguid[15] ^= 0xff;
        leaf = make_certificate (leaf_key, self->root_key, self->root_cert, tweaks->x5c_is_ca,
                                 tweaks->x5c_wrong_ou ? "Authenticator"
                                                      : "Authenticator Attestation",
                                 aaguid, tweaks->x5c_version_1, tweaks->x5c_no_basic_constraints);
        if (leaf == NULL)
          {
            crypto_failed (error, "make an attestation certificate");
            return NULL;
          }
        if ((sig = sign_sha256 (leaf_key, signed_data->data, signed_data->len, error)) == NULL)
          return NULL;
        leaf_der = cert_der (leaf);
        root_der = cert_der (self->root_cert);
        chain = cbor_new_definite_array (2);
        cbor_array_push (chain, cbor_move (build_bytes (leaf_der)));
        cbor_array_push (chain, cbor_move (build_bytes (root_der)));
        stmt = cbor_new_definite_map (3);
        map_add (stmt, cbor_build_string ("alg"),
                 build_int (tweaks->statement_algorithm != 0 ? tweaks->statement_algorithm
                                                             : KT_COSE_ALG_ES256));
        map_add (stmt, cbor_build_string ("sig"), build_bytes (sig));
        map_add (stmt, cbor_build_string ("x5c"), chain);
      }
      break;

    case KS_SOFT_ATTESTATION_FIDO_U2F:
      {
        g_autoptr(EVP_PKEY) att_key = EVP_EC_gen ("P-256");
        g_autoptr(X509) cert = NULL;
        g_autoptr(GBytes) der = NULL;
        g_autoptr(GByteArray) base = g_byte_array_new ();
        guint8 zero = 0, point[KT_P256_POINT_LEN];
        gsize id_len;
        const guint8 *id = g_bytes_get_data (cred->id, &id_len);
        cbor_item_t *chain;

        *fmt = "fido-u2f";
        /* An RSA credential has no point; zeros let a test show that U2F refuses it. */
        if (!kt_p256_public_point (cred->key, point, NULL))
          memset (point, 0, sizeof point);
        cert = make_certificate (att_key, att_key, NULL, FALSE, "Authenticator Attestation", NULL,
                                 FALSE, FALSE);
        if (cert == NULL)
          {
            crypto_failed (error, "make a U2F certificate");
            return NULL;
          }
        /* U2F signs 0x00 || rpIdHash || clientDataHash || credential id || public point. */
        g_byte_array_append (base, &zero, 1);
        g_byte_array_append (base, auth_data, 32);
        g_byte_array_append (base, client_hash, 32);
        g_byte_array_append (base, id, id_len);
        g_byte_array_append (base, point, sizeof point);
        if ((sig = sign_sha256 (att_key, base->data, base->len, error)) == NULL)
          return NULL;
        der = cert_der (cert);
        chain = cbor_new_definite_array (1);
        cbor_array_push (chain, cbor_move (build_bytes (der)));
        stmt = cbor_new_definite_map (2);
        map_add (stmt, cbor_build_string ("sig"), build_bytes (sig));
        map_add (stmt, cbor_build_string ("x5c"), chain);
      }
      break;

    default:
      g_assert_not_reached ();
    }

  if (tweaks->corrupt_signature && sig != NULL)
    {
      /* Flip a bit inside the statement's "sig" value, which is the last byte string added. */
      for (gsize i = 0; i < cbor_map_size (stmt); i++)
        {
          struct cbor_pair *pair = &cbor_map_handle (stmt)[i];

          if (cbor_isa_bytestring (pair->value) && cbor_string_length (pair->key) == 3 &&
              memcmp (cbor_string_handle (pair->key), "sig", 3) == 0)
            cbor_bytestring_handle (pair->value)[cbor_bytestring_length (pair->value) - 1] ^= 0x01;
        }
    }

  return g_steal_pointer (&stmt);
}

JsonObject *
ks_soft_authenticator_register (KsSoftAuthenticator *self,
                                JsonObject          *creation_options,
                                const char          *origin,
                                const KsSoftTweaks  *tweaks,
                                GError             **error)
{
  const char *challenge = get_string (creation_options, "challenge");
  const char *rp_id = get_string (get_object (creation_options, "rp"), "id");
  const char *user_id = get_string (get_object (creation_options, "user"), "id");
  g_autoptr(GPtrArray) excluded = NULL;
  g_autoptr(GBytes) user_handle = NULL;
  g_autoptr(GByteArray) auth_data = g_byte_array_new ();
  g_autoptr(SoftCbor) attestation = NULL, stmt = NULL;
  g_autoptr(GBytes) attestation_bytes = NULL, auth_data_bytes = NULL;
  g_autofree char *client_data = NULL, *client_data_b64 = NULL, *att_b64 = NULL, *ad_b64 = NULL;
  g_autofree guint8 *id_buf = NULL;
  SoftCredential *cred;
  gsize id_len;
  guint8 client_hash[32], flags;
  const char *fmt = NULL;
  JsonObject *out, *response;
  JsonArray *transports;

  g_return_val_if_fail (KS_IS_SOFT_AUTHENTICATOR (self), NULL);
  g_return_val_if_fail (origin != NULL, NULL);

  if (tweaks == NULL)
    tweaks = &no_tweaks;

  if (challenge == NULL || rp_id == NULL || user_id == NULL)
    return options_error (error, "challenge, rp.id or user.id is missing");
  if ((user_handle = kt_base64url_decode (user_id, NULL)) == NULL)
    return options_error (error, "user.id is not base64url");

  excluded = descriptor_ids (get_array (creation_options, "excludeCredentials"));
  for (guint i = 0; i < excluded->len; i++)
    {
      SoftCredential *known = find_credential (self, g_ptr_array_index (excluded, i));

      if (known != NULL && g_str_equal (known->rp_id, rp_id))
        {
          g_set_error (error, KS_SOFT_AUTHENTICATOR_ERROR, KS_SOFT_AUTHENTICATOR_ERROR_EXCLUDED,
                       "This authenticator already holds a credential the options exclude");
          return NULL;
        }
    }

  cred = g_new0 (SoftCredential, 1);
  cred->rp_id = g_strdup (rp_id);
  cred->user_handle = g_steal_pointer (&user_handle);
  cred->algorithm = choose_algorithm (creation_options, tweaks);
  if (cred->algorithm == KT_COSE_ALG_RS256)
    {
      cred->key = EVP_RSA_gen (2048);
      if (cred->key != NULL)
        cred->cose_key = encode_rs256_key (cred->key);
    }
  else if (cred->algorithm == KT_COSE_ALG_ES256)
    {
      cred->key = EVP_EC_gen ("P-256");
      if (cred->key != NULL)
        cred->cose_key = kt_cose_encode_es256_key (cred->key, NULL);
    }
  else
    {
      soft_credential_free (cred);
      return options_error (error, "pubKeyCredParams offers no algorithm this authenticator has");
    }
  if (cred->cose_key == NULL)
    {
      soft_credential_free (cred);
      crypto_failed (error, "make a credential key");
      return NULL;
    }

  id_len = tweaks->empty_credential_id ? 0
         : tweaks->credential_id_length != 0 ? tweaks->credential_id_length : 32;
  id_buf = g_malloc (MAX (id_len, 1));
  RAND_bytes (id_buf, MAX (id_len, 1));
  cred->id = g_bytes_new (id_buf, id_len);
  cred->counter = tweaks->set_counter ? tweaks->counter : 0;

  /* authenticatorData: rpIdHash, flags, counter, then the attested credential data. */
  flags = flags_for (tweaks->omit_attested_data ? 0 : FLAG_AT, tweaks);
  append_auth_data_head (auth_data, rp_id, flags, cred->counter, tweaks);
  if (!tweaks->omit_attested_data)
    {
      guint8 len_be[2] = { (id_len >> 8) & 0xff, id_len & 0xff };
      static const guint8 zeros[16] = { 0 };
      gboolean no_aaguid = tweaks->zero_aaguid ||
                           tweaks->attestation == KS_SOFT_ATTESTATION_FIDO_U2F;
      gsize cose_len;
      const guint8 *cose = g_bytes_get_data (cred->cose_key, &cose_len);

      g_byte_array_append (auth_data, no_aaguid ? zeros : self->aaguid, 16);
      g_byte_array_append (auth_data, len_be, 2);
      g_byte_array_append (auth_data, id_buf, id_len);
      g_byte_array_append (auth_data, cose, cose_len);
    }
  if (tweaks->add_extensions)
    g_byte_array_append (auth_data, (const guint8 *) "\xa1\x6b" "credProtect" "\x01", 14);
  if (tweaks->trailing_auth_data_bytes)
    g_byte_array_append (auth_data, (const guint8 *) "\xa0", 1);

  client_data = build_client_data ("webauthn.create", challenge, origin, tweaks);
  if (tweaks->client_data_json != NULL)
    {
      g_free (client_data);
      client_data = g_strdup (tweaks->client_data_json);
    }
  sha256 (client_data, strlen (client_data), client_hash);

  stmt = build_statement (self, cred, auth_data->data, auth_data->len, client_hash, tweaks, &fmt,
                          error);
  if (stmt == NULL)
    {
      soft_credential_free (cred);
      return NULL;
    }

  attestation = cbor_new_definite_map (tweaks->extra_attestation_key ? 4 : 3);
  map_add (attestation, cbor_build_string ("fmt"),
           cbor_build_string (tweaks->format_name != NULL ? tweaks->format_name : fmt));
  map_add (attestation, cbor_build_string ("attStmt"), cbor_incref (stmt));
  map_add (attestation, cbor_build_string ("authData"),
           cbor_build_bytestring (auth_data->data, auth_data->len));
  if (tweaks->extra_attestation_key)
    map_add (attestation, cbor_build_string ("extra"), cbor_build_uint8 (1));
  attestation_bytes = serialize_cbor (attestation);
  if (tweaks->trailing_attestation_bytes)
    {
      g_autoptr(GByteArray) longer = g_bytes_unref_to_array (g_steal_pointer (&attestation_bytes));

      g_byte_array_append (longer, (const guint8 *) "\x00", 1);
      attestation_bytes = g_byte_array_free_to_bytes (g_steal_pointer (&longer));
    }

  auth_data_bytes = g_bytes_new (auth_data->data, auth_data->len);
  client_data_b64 = kt_base64url_encode ((const guint8 *) client_data, strlen (client_data));
  att_b64 = b64 (attestation_bytes);
  ad_b64 = b64 (auth_data_bytes);

  out = json_object_new ();
  set_ids (out, cred->id, tweaks);
  response = json_object_new ();
  json_object_set_string_member (response, "clientDataJSON", client_data_b64);
  json_object_set_string_member (response, "clientDataJson", client_data_b64);
  json_object_set_string_member (response, "attestationObject", att_b64);
  json_object_set_string_member (response, "authenticatorData", ad_b64);
  json_object_set_int_member (response, "publicKeyAlgorithm", cred->algorithm);
  {
    guint8 *spki = NULL;
    int spki_len = i2d_PUBKEY (cred->key, &spki);

    if (spki_len > 0)
      {
        g_autofree char *spki_b64 = kt_base64url_encode (spki, spki_len);
        json_object_set_string_member (response, "publicKey", spki_b64);
      }
    OPENSSL_free (spki);
  }
  transports = json_array_new ();
  json_array_add_string_element (transports, "usb");
  json_object_set_array_member (response, "transports", transports);
  json_object_set_object_member (out, "response", response);
  json_object_set_object_member (out, "clientExtensionResults", json_object_new ());
  json_object_set_string_member (out, "authenticatorAttachment", "cross-platform");

  g_ptr_array_add (self->credentials, cred);
  return out;
}

/* The rp id a browser would use when the options name none: the origin's host. */
static char *
host_of_origin (const char *origin)
{
  const char *start = strstr (origin, "://");
  const char *end;

  if (start == NULL)
    return NULL;
  start += 3;
  end = start + strcspn (start, ":/");
  return g_strndup (start, end - start);
}

JsonObject *
ks_soft_authenticator_authenticate (KsSoftAuthenticator *self,
                                    JsonObject          *request_options,
                                    const char          *origin,
                                    const KsSoftTweaks  *tweaks,
                                    GError             **error)
{
  const char *challenge = get_string (request_options, "challenge");
  g_autofree char *rp_id = g_strdup (get_string (request_options, "rpId"));
  g_autoptr(GPtrArray) allowed = NULL;
  g_autoptr(GByteArray) auth_data = g_byte_array_new ();
  g_autoptr(GByteArray) signed_data = NULL;
  g_autoptr(GBytes) sig = NULL, auth_data_bytes = NULL;
  g_autofree char *client_data = NULL, *client_data_b64 = NULL, *ad_b64 = NULL;
  g_autofree char *sig_b64 = NULL, *user_b64 = NULL;
  SoftCredential *cred = NULL;
  guint8 client_hash[32];
  JsonObject *out, *response;

  g_return_val_if_fail (KS_IS_SOFT_AUTHENTICATOR (self), NULL);
  g_return_val_if_fail (origin != NULL, NULL);

  if (tweaks == NULL)
    tweaks = &no_tweaks;

  if (challenge == NULL)
    return options_error (error, "challenge is missing");
  if (rp_id == NULL && (rp_id = host_of_origin (origin)) == NULL)
    return options_error (error, "no rpId and the origin has no host");

  if (tweaks->credential_id != NULL)
    {
      cred = find_credential (self, tweaks->credential_id);
    }
  else
    {
      allowed = descriptor_ids (get_array (request_options, "allowCredentials"));
      for (guint i = 0; i < self->credentials->len && cred == NULL; i++)
        {
          SoftCredential *candidate = g_ptr_array_index (self->credentials, i);

          if (!g_str_equal (candidate->rp_id, rp_id))
            continue;
          if (allowed->len == 0)
            cred = candidate;
          for (guint j = 0; j < allowed->len && cred == NULL; j++)
            if (g_bytes_equal (candidate->id, g_ptr_array_index (allowed, j)))
              cred = candidate;
        }
    }
  if (cred == NULL)
    {
      g_set_error (error, KS_SOFT_AUTHENTICATOR_ERROR, KS_SOFT_AUTHENTICATOR_ERROR_NO_CREDENTIAL,
                   "This authenticator holds no credential the options allow for %s", rp_id);
      return NULL;
    }

  cred->counter = tweaks->set_counter ? tweaks->counter : cred->counter + 1;
  append_auth_data_head (auth_data, rp_id, flags_for (0, tweaks), cred->counter, tweaks);
  if (tweaks->add_extensions)
    g_byte_array_append (auth_data, (const guint8 *) "\xa1\x6b" "credProtect" "\x01", 14);
  if (tweaks->trailing_auth_data_bytes)
    g_byte_array_append (auth_data, (const guint8 *) "\xa0", 1);

  client_data = build_client_data ("webauthn.get", challenge, origin, tweaks);
  if (tweaks->client_data_json != NULL)
    {
      g_free (client_data);
      client_data = g_strdup (tweaks->client_data_json);
    }
  sha256 (client_data, strlen (client_data), client_hash);

  signed_data = g_byte_array_sized_new (auth_data->len + 32);
  g_byte_array_append (signed_data, auth_data->data, auth_data->len);
  g_byte_array_append (signed_data, client_hash, 32);
  if ((sig = sign_sha256 (cred->key, signed_data->data, signed_data->len, error)) == NULL)
    return NULL;
  if (tweaks->corrupt_signature)
    {
      g_autoptr(GByteArray) bad = g_bytes_unref_to_array (g_steal_pointer (&sig));

      bad->data[bad->len - 1] ^= 0x01;
      sig = g_byte_array_free_to_bytes (g_steal_pointer (&bad));
    }

  auth_data_bytes = g_bytes_new (auth_data->data, auth_data->len);
  client_data_b64 = kt_base64url_encode ((const guint8 *) client_data, strlen (client_data));
  ad_b64 = b64 (auth_data_bytes);
  sig_b64 = b64 (sig);
  user_b64 = b64 (cred->user_handle);

  out = json_object_new ();
  set_ids (out, cred->id, tweaks);
  response = json_object_new ();
  json_object_set_string_member (response, "clientDataJSON", client_data_b64);
  json_object_set_string_member (response, "clientDataJson", client_data_b64);
  json_object_set_string_member (response, "authenticatorData", ad_b64);
  json_object_set_string_member (response, "signature", sig_b64);
  json_object_set_string_member (response, "userHandle", user_b64);
  json_object_set_object_member (out, "response", response);
  json_object_set_object_member (out, "clientExtensionResults", json_object_new ());
  json_object_set_string_member (out, "authenticatorAttachment", "cross-platform");
  return out;
}
