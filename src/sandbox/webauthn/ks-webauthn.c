/* ks-webauthn.c: the relying-party checks of WebAuthn Level 3 §7.1 (registration) and §7.2
 * (assertion), with the attestation formats none, packed (self and x5c) and fido-u2f
 *
 * Copyright 2026 Keyturn developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "ks-webauthn.h"

#include <cbor.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/rsa.h>
#include <openssl/sha.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <string.h>

#include "kt-base64url.h"
#include "kt-json-span.h"
#include "kt-cbor.h"
#include "kt-cose.h"

G_DEFINE_QUARK (ks-webauthn-error-quark, ks_webauthn_error)

G_DEFINE_AUTOPTR_CLEANUP_FUNC (EVP_PKEY_CTX, EVP_PKEY_CTX_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (OSSL_PARAM_BLD, OSSL_PARAM_BLD_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (BIGNUM, BN_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (X509, X509_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (ASN1_OCTET_STRING, ASN1_OCTET_STRING_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (ASN1_OBJECT, ASN1_OBJECT_free)

typedef cbor_item_t KsCbor;

static void
ks_cbor_unref (KsCbor *item)
{
  cbor_decref (&item);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (KsCbor, ks_cbor_unref)

#define FLAG_UP 0x01
#define FLAG_UV 0x04
#define FLAG_BE 0x08
#define FLAG_BS 0x10
#define FLAG_AT 0x40
#define FLAG_ED 0x80

#define AUTH_DATA_MIN_LEN 37          /* rpIdHash 32, flags 1, signCount 4 */
#define CREDENTIAL_ID_MAX_LEN 1023    /* §5.8.3: the largest id a relying party must accept */

static const gint64 default_algorithms[] = { KT_COSE_ALG_ES256, KT_COSE_ALG_RS256 };

/* Errors */

static gboolean G_GNUC_PRINTF (3, 4)
fail (GError         **error,
      KsWebauthnError  code,
      const char      *format,
      ...)
{
  va_list args;

  if (error == NULL)
    return FALSE;
  va_start (args, format);
  *error = g_error_new_valist (KS_WEBAUTHN_ERROR, code, format, args);
  va_end (args);
  return FALSE;
}

/* What a client sent, fit to quote in a log line: control characters and quotes escaped. */
static char *
quoted (const char *text)
{
  return g_strescape (text, NULL);
}

/* JSON members */

static const char *
string_member (JsonObject *object,
               const char *name)
{
  JsonNode *node = json_object_get_member (object, name);

  if (node == NULL || JSON_NODE_TYPE (node) != JSON_NODE_VALUE ||
      json_node_get_value_type (node) != G_TYPE_STRING)
    return NULL;
  return json_node_get_string (node);
}

static gboolean
require_string (JsonObject  *object,
                const char  *name,
                const char  *where,
                const char **out,
                GError     **error)
{
  *out = string_member (object, name);
  if (*out == NULL)
    return fail (error, KS_WEBAUTHN_ERROR_MALFORMED,
                 "The %s has no string member \"%s\".", where, name);
  return TRUE;
}

static GBytes *
decode_member (const char  *text,
               const char  *what,
               GError     **error)
{
  g_autoptr(GError) local = NULL;
  GBytes *bytes = kt_base64url_decode (text, &local);

  if (bytes == NULL)
    fail (error, KS_WEBAUTHN_ERROR_MALFORMED,
          "The %s is not unpadded base64url: %s", what, local->message);
  return bytes;
}

/* The fields of PublicKeyCredential that both ceremonies share. */
typedef struct {
  const char *id;
  const char *raw_id;
  JsonObject *response;
  GBytes     *raw_id_bytes;
  GBytes     *client_data;
} Envelope;

static void
envelope_clear (Envelope *env)
{
  g_clear_pointer (&env->raw_id_bytes, g_bytes_unref);
  g_clear_pointer (&env->client_data, g_bytes_unref);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Envelope, envelope_clear)

static gboolean
read_envelope (JsonObject *credential,
               Envelope   *env,
               GError    **error)
{
  JsonNode *response;
  const char *type, *client_data;
  g_autofree char *shown = NULL;
  gsize id_len;

  if (credential == NULL)
    return fail (error, KS_WEBAUTHN_ERROR_MALFORMED, "The credential is not a JSON object.");
  if (!require_string (credential, "id", "credential", &env->id, error) ||
      !require_string (credential, "rawId", "credential", &env->raw_id, error) ||
      !require_string (credential, "type", "credential", &type, error))
    return FALSE;

  response = json_object_get_member (credential, "response");
  if (response == NULL || !JSON_NODE_HOLDS_OBJECT (response))
    return fail (error, KS_WEBAUTHN_ERROR_MALFORMED, "The credential has no \"response\" object.");
  env->response = json_node_get_object (response);
  if (!require_string (env->response, "clientDataJSON", "response", &client_data, error))
    return FALSE;

  if (strcmp (type, "public-key") != 0)
    return fail (error, KS_WEBAUTHN_ERROR_WRONG_TYPE,
                 "The credential's type is \"%s\", not \"public-key\".", shown = quoted (type));

  if ((env->raw_id_bytes = decode_member (env->raw_id, "credential's rawId", error)) == NULL)
    return FALSE;
  /* id is rawId in base64url; anything else means a client that mangled one of them. */
  if (strcmp (env->id, env->raw_id) != 0)
    return fail (error, KS_WEBAUTHN_ERROR_ID_MISMATCH, "The credential's id and rawId differ.");
  id_len = g_bytes_get_size (env->raw_id_bytes);
  if (id_len == 0 || id_len > CREDENTIAL_ID_MAX_LEN)
    return fail (error, KS_WEBAUTHN_ERROR_CREDENTIAL_ID,
                 "The credential id is %" G_GSIZE_FORMAT " bytes long; it must be 1 to %d.",
                 id_len, CREDENTIAL_ID_MAX_LEN);

  if ((env->client_data = decode_member (client_data, "clientDataJSON", error)) == NULL)
    return FALSE;
  return TRUE;
}

/* clientDataJSON (§5.8.1) */

/* The exact bytes a conforming client produces for this ceremony (§5.8.1.2, with crossOrigin
 * false); equal bytes need no JSON parse. Written by hand as a fast path only: anything else
 * goes through json-glib and the field-by-field checks. */
static gboolean
client_data_is_canonical (GBytes     *client_data,
                          const char *type,
                          const char *challenge,
                          const char *origin)
{
  gsize len, type_len = strlen (type), challenge_len = strlen (challenge);
  gsize origin_len = strlen (origin);
  const char *p = g_bytes_get_data (client_data, &len);
  static const char tail_cross[] = "\",\"crossOrigin\":false}";

#define EXPECT(text, n) G_STMT_START { \
    if (len < (n) || memcmp (p, (text), (n)) != 0) \
      return FALSE; \
    p += (n); len -= (n); \
  } G_STMT_END

  EXPECT ("{\"type\":\"", 9);
  EXPECT (type, type_len);
  EXPECT ("\",\"challenge\":\"", 15);
  EXPECT (challenge, challenge_len);
  EXPECT ("\",\"origin\":\"", 12);
  EXPECT (origin, origin_len);
#undef EXPECT

  /* The origin and challenge are compared raw, so they must hold nothing JSON would escape. */
  for (gsize i = 0; i < origin_len; i++)
    if (origin[i] == '"' || origin[i] == '\\' || (guchar) origin[i] < 0x20)
      return FALSE;
  for (gsize i = 0; i < challenge_len; i++)
    if (!g_ascii_isalnum (challenge[i]) && challenge[i] != '-' && challenge[i] != '_')
      return FALSE;
  return len == sizeof tail_cross - 1 && memcmp (p, tail_cross, len) == 0;
}

static gboolean
check_client_data (GBytes               *client_data,
                   const char           *expected_type,
                   const char           *expected_challenge,
                   const KsRelyingParty *rp,
                   GError              **error)
{
  g_autoptr(JsonParser) parser = NULL;
  g_autoptr(GError) local = NULL;
  g_autoptr(GBytes) challenge_bytes = NULL;
  gsize len;
  const char *data = g_bytes_get_data (client_data, &len);
  JsonObject *object;
  JsonNode *root, *cross_origin, *token_binding;
  const char *type, *challenge, *origin, *token_status = NULL;
  g_autofree char *shown = NULL;

  if (client_data_is_canonical (client_data, expected_type, expected_challenge, rp->origin))
    return TRUE;

  if (len == 0 || memchr (data, '\0', len) != NULL)
    return fail (error, KS_WEBAUTHN_ERROR_MALFORMED,
                 "clientDataJSON is empty or holds a NUL byte.");
  if (!kt_json_is_one_object (data, (gssize) len))
    return fail (error, KS_WEBAUTHN_ERROR_MALFORMED, "clientDataJSON is not one JSON object.");
  parser = json_parser_new_immutable ();
  if (!json_parser_load_from_data (parser, data, len, &local))
    return fail (error, KS_WEBAUTHN_ERROR_MALFORMED, "clientDataJSON is not valid JSON: %s",
                 local->message);
  root = json_parser_get_root (parser);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    return fail (error, KS_WEBAUTHN_ERROR_MALFORMED, "clientDataJSON is not a JSON object.");
  object = json_node_get_object (root);

  if (!require_string (object, "type", "clientDataJSON", &type, error) ||
      !require_string (object, "challenge", "clientDataJSON", &challenge, error) ||
      !require_string (object, "origin", "clientDataJSON", &origin, error))
    return FALSE;

  /* Shape first, so that malformed input is reported as such whatever else is wrong. */
  cross_origin = json_object_get_member (object, "crossOrigin");
  if (cross_origin != NULL && !JSON_NODE_HOLDS_NULL (cross_origin) &&
      (JSON_NODE_TYPE (cross_origin) != JSON_NODE_VALUE ||
       json_node_get_value_type (cross_origin) != G_TYPE_BOOLEAN))
    return fail (error, KS_WEBAUTHN_ERROR_MALFORMED,
                 "clientDataJSON's crossOrigin is not a boolean.");
  token_binding = json_object_get_member (object, "tokenBinding");
  if (token_binding != NULL && !JSON_NODE_HOLDS_NULL (token_binding))
    {
      if (!JSON_NODE_HOLDS_OBJECT (token_binding) ||
          (token_status = string_member (json_node_get_object (token_binding), "status")) == NULL)
        return fail (error, KS_WEBAUTHN_ERROR_MALFORMED,
                     "clientDataJSON's tokenBinding is not an object with a string status.");
      if (strcmp (token_status, "present") != 0 && strcmp (token_status, "supported") != 0 &&
          strcmp (token_status, "not-supported") != 0)
        return fail (error, KS_WEBAUTHN_ERROR_MALFORMED,
                     "clientDataJSON's tokenBinding status \"%s\" is unknown.",
                     shown = quoted (token_status));
    }

  if (strcmp (type, expected_type) != 0)
    return fail (error, KS_WEBAUTHN_ERROR_WRONG_TYPE,
                 "clientDataJSON's type is \"%s\", not \"%s\".", shown = quoted (type),
                 expected_type);

  challenge_bytes = kt_base64url_decode (challenge, &local);
  if (challenge_bytes == NULL)
    return fail (error, KS_WEBAUTHN_ERROR_CHALLENGE,
                 "clientDataJSON's challenge is not canonical unpadded base64url: %s",
                 local->message);
  if (strcmp (challenge, expected_challenge) != 0)
    return fail (error, KS_WEBAUTHN_ERROR_CHALLENGE,
                 "clientDataJSON's challenge is not the one this ceremony issued.");

  if (strcmp (origin, rp->origin) != 0)
    return fail (error, KS_WEBAUTHN_ERROR_ORIGIN,
                 "clientDataJSON's origin is \"%s\", not the environment's \"%s\".",
                 shown = quoted (origin), rp->origin);
  if (cross_origin != NULL && !JSON_NODE_HOLDS_NULL (cross_origin) &&
      json_node_get_boolean (cross_origin))
    return fail (error, KS_WEBAUTHN_ERROR_ORIGIN,
                 "clientDataJSON says the ceremony ran in a cross-origin frame; the environment "
                 "does not allow that.");
  if (token_status != NULL && strcmp (token_status, "present") == 0)
    return fail (error, KS_WEBAUTHN_ERROR_TOKEN_BINDING,
                 "clientDataJSON says token binding is present; the sandbox does not support it.");

  return TRUE;
}

/* OpenSSL 3's SHA256 () looks the algorithm up in the provider tables on every call; fetch it
 * once for the life of the process instead. */
static void
sha256 (const void *data,
        gsize       len,
        guint8      out[SHA256_DIGEST_LENGTH])
{
  static EVP_MD *md = NULL;

  if (g_once_init_enter (&md))
    g_once_init_leave (&md, EVP_MD_fetch (NULL, "SHA2-256", NULL));
  if (EVP_Digest (data, len, out, NULL, md, NULL) != 1)
    g_error ("SHA-256 failed");
}

/* CBOR */

static gboolean
cbor_text_is (cbor_item_t *item,
              const char  *text)
{
  gsize len = strlen (text);

  return cbor_isa_string (item) && cbor_string_is_definite (item) &&
         cbor_string_length (item) == len && memcmp (cbor_string_handle (item), text, len) == 0;
}

static gboolean
cbor_read_int (cbor_item_t *item,
               gint64      *value)
{
  guint64 v;

  if (!cbor_isa_uint (item) && !cbor_isa_negint (item))
    return FALSE;
  v = cbor_get_int (item);
  if (v > G_MAXINT64)
    return FALSE;
  *value = cbor_isa_uint (item) ? (gint64) v : -1 - (gint64) v;
  return TRUE;
}

static gboolean
cbor_is_definite_bytes (cbor_item_t *item)
{
  return cbor_isa_bytestring (item) && cbor_bytestring_is_definite (item);
}

/* One CBOR item at the start of data; *consumed says where it ends. */
static cbor_item_t *
load_cbor (const guint8 *data,
           gsize         len,
           gsize        *consumed,
           const char   *what,
           GError      **error)
{
  cbor_item_t *item;

  if (len == 0)
    {
      fail (error, KS_WEBAUTHN_ERROR_MALFORMED, "The %s is missing.", what);
      return NULL;
    }
  /* kt_cbor_load() refuses counts the bytes cannot hold before libcbor allocates for them. */
  item = kt_cbor_load (data, len, consumed, NULL);
  if (item == NULL)
    {
      fail (error, KS_WEBAUTHN_ERROR_MALFORMED,
            "The %s is not well-formed CBOR, or declares more elements than its bytes hold.",
            what);
      return NULL;
    }
  return item;
}

/* Keys */

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

static gboolean
p256_key_is (EVP_PKEY *pkey)
{
  char group[32] = { 0 };

  return EVP_PKEY_is_a (pkey, "EC") &&
         EVP_PKEY_get_utf8_string_param (pkey, OSSL_PKEY_PARAM_GROUP_NAME,
                                         group, sizeof group, NULL) &&
         (strcmp (group, "prime256v1") == 0 || strcmp (group, "P-256") == 0);
}

/* kt_cose_decode_es256_key runs OpenSSL's full public-key check, a scalar multiplication as dear
 * as a verification; on P-256 (cofactor 1) the quick check, point on the curve, is enough. */
static EVP_PKEY *
es256_key_from_cose (cbor_item_t *map,
                     GError     **error)
{
  struct cbor_pair *pairs = cbor_map_handle (map);
  gsize n_pairs = cbor_map_size (map);
  cbor_item_t *x = NULL, *y = NULL;
  gint64 crv = 0;
  gboolean have_crv = FALSE;
  guint8 point[KT_P256_POINT_LEN];
  g_autoptr(OSSL_PARAM_BLD) bld = NULL;
  g_autoptr(EVP_PKEY_CTX) ctx = NULL, check = NULL;
  OSSL_PARAM *params = NULL;
  EVP_PKEY *pkey = NULL;

  for (gsize i = 0; i < n_pairs; i++)
    {
      gint64 label;

      if (!cbor_read_int (pairs[i].key, &label) || label > -1 || label < -3)
        continue;
      if (label == -1)
        {
          if (have_crv || !cbor_read_int (pairs[i].value, &crv))
            goto bad;
          have_crv = TRUE;
        }
      else
        {
          cbor_item_t **slot = label == -2 ? &x : &y;

          if (*slot != NULL || !cbor_is_definite_bytes (pairs[i].value) ||
              cbor_bytestring_length (pairs[i].value) != 32)
            goto bad;
          *slot = pairs[i].value;
        }
    }
  if (!have_crv || crv != KT_COSE_CRV_P256 || x == NULL || y == NULL)
    goto bad;

  point[0] = 0x04;
  memcpy (point + 1, cbor_bytestring_handle (x), 32);
  memcpy (point + 33, cbor_bytestring_handle (y), 32);

  bld = OSSL_PARAM_BLD_new ();
  ctx = EVP_PKEY_CTX_new_from_name (NULL, "EC", NULL);
  if (bld == NULL || ctx == NULL ||
      !OSSL_PARAM_BLD_push_utf8_string (bld, OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1", 0) ||
      !OSSL_PARAM_BLD_push_octet_string (bld, OSSL_PKEY_PARAM_PUB_KEY, point, sizeof point) ||
      (params = OSSL_PARAM_BLD_to_param (bld)) == NULL ||
      EVP_PKEY_fromdata_init (ctx) <= 0 ||
      EVP_PKEY_fromdata (ctx, &pkey, EVP_PKEY_PUBLIC_KEY, params) <= 0 ||
      (check = EVP_PKEY_CTX_new_from_pkey (NULL, pkey, NULL)) == NULL ||
      EVP_PKEY_public_check_quick (check) != 1)
    {
      OSSL_PARAM_free (params);
      EVP_PKEY_free (pkey);
      fail (error, KS_WEBAUTHN_ERROR_MALFORMED,
            "The credential public key is not a point on P-256.");
      return NULL;
    }
  OSSL_PARAM_free (params);
  return pkey;

bad:
  fail (error, KS_WEBAUTHN_ERROR_MALFORMED,
        "The ES256 credential public key's crv, x or y is missing, repeated or wrong.");
  return NULL;
}

static EVP_PKEY *
rsa_key_from_cose (cbor_item_t *map,
                   GError     **error)
{
  struct cbor_pair *pairs = cbor_map_handle (map);
  gsize n_pairs = cbor_map_size (map);
  cbor_item_t *n_item = NULL, *e_item = NULL;
  g_autoptr(BIGNUM) n = NULL, e = NULL;
  g_autoptr(OSSL_PARAM_BLD) bld = NULL;
  g_autoptr(EVP_PKEY_CTX) ctx = NULL;
  OSSL_PARAM *params = NULL;
  EVP_PKEY *pkey = NULL;

  for (gsize i = 0; i < n_pairs; i++)
    {
      gint64 label;

      if (!cbor_read_int (pairs[i].key, &label))
        continue;
      if (label == -1 || label == -2)
        {
          cbor_item_t **slot = label == -1 ? &n_item : &e_item;

          if (*slot != NULL || !cbor_is_definite_bytes (pairs[i].value))
            {
              fail (error, KS_WEBAUTHN_ERROR_MALFORMED,
                    "The RSA COSE key's n or e is repeated or not bytes.");
              return NULL;
            }
          *slot = pairs[i].value;
        }
    }
  if (n_item == NULL || e_item == NULL)
    {
      fail (error, KS_WEBAUTHN_ERROR_MALFORMED, "The RSA COSE key lacks n or e.");
      return NULL;
    }

  n = BN_bin2bn (cbor_bytestring_handle (n_item), cbor_bytestring_length (n_item), NULL);
  e = BN_bin2bn (cbor_bytestring_handle (e_item), cbor_bytestring_length (e_item), NULL);
  if (n == NULL || e == NULL || BN_num_bits (n) < 2048 || BN_num_bits (n) > 8192 ||
      !BN_is_odd (e) || BN_num_bits (e) > 64 || BN_is_one (e))
    {
      fail (error, KS_WEBAUTHN_ERROR_MALFORMED,
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
    fail (error, KS_WEBAUTHN_ERROR_MALFORMED, "The RSA COSE key cannot be loaded.");
  OSSL_PARAM_free (params);
  return pkey;
}

/* Reads the COSE_Key at the start of data (it may be followed by extensions): its alg, and the
 * key itself when the algorithm is one the sandbox verifies. */
static KsWebauthnKey *
decode_cose_key (const guint8 *data,
                 gsize         len,
                 gsize        *consumed,
                 gint64       *alg_out,
                 GError      **error)
{
  g_autoptr(KsCbor) map = NULL;
  struct cbor_pair *pairs;
  gint64 kty = 0, alg = 0;
  gboolean have_kty = FALSE, have_alg = FALSE;
  KsWebauthnKey *key;
  EVP_PKEY *pkey = NULL;

  if ((map = load_cbor (data, len, consumed, "credential public key", error)) == NULL)
    return NULL;
  if (!cbor_isa_map (map) || !cbor_map_is_definite (map))
    {
      fail (error, KS_WEBAUTHN_ERROR_MALFORMED, "The credential public key is not a CBOR map.");
      return NULL;
    }

  pairs = cbor_map_handle (map);
  for (gsize i = 0; i < cbor_map_size (map); i++)
    {
      gint64 label;

      if (!cbor_read_int (pairs[i].key, &label) || (label != 1 && label != 3))
        continue;
      if ((label == 1 && have_kty) || (label == 3 && have_alg) ||
          !cbor_read_int (pairs[i].value, label == 1 ? &kty : &alg))
        {
          fail (error, KS_WEBAUTHN_ERROR_MALFORMED,
                "The credential public key's kty or alg is repeated or not an integer.");
          return NULL;
        }
      *(label == 1 ? &have_kty : &have_alg) = TRUE;
    }
  if (!have_kty || !have_alg)
    {
      fail (error, KS_WEBAUTHN_ERROR_MALFORMED, "The credential public key has no kty or no alg.");
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
      fail (error, KS_WEBAUTHN_ERROR_ALGORITHM,
            "The credential public key (kty %" G_GINT64_FORMAT ", alg %" G_GINT64_FORMAT ") is not "
            "of a kind the sandbox verifies (ES256 on P-256, RS256).", kty, alg);
      return NULL;
    }

  key = g_atomic_rc_box_new0 (KsWebauthnKey);
  g_mutex_init (&key->lock);
  key->pkey = pkey;
  key->algorithm = alg;
  return key;
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
  key = decode_cose_key (data, len, &consumed, &alg, error);
  if (key == NULL)
    return NULL;
  if (consumed != len)
    {
      ks_webauthn_key_unref (key);
      fail (error, KS_WEBAUTHN_ERROR_MALFORMED, "The stored public key has bytes after its end.");
      return NULL;
    }
  if (alg != algorithm)
    {
      ks_webauthn_key_unref (key);
      fail (error, KS_WEBAUTHN_ERROR_ALGORITHM,
            "The stored public key is for alg %" G_GINT64_FORMAT ", not %" G_GINT64_FORMAT ".",
            alg, algorithm);
      return NULL;
    }
  return key;
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

/* SHA-256 (part1 || part2), without a copy when the parts are small. */
static void
digest_parts (const guint8 *part1,
              gsize         len1,
              const guint8 *part2,
              gsize         len2,
              guint8        digest[SHA256_DIGEST_LENGTH])
{
  guint8 stack[256];
  g_autofree guint8 *heap = NULL;
  guint8 *buf = stack;

  if (len1 + len2 > sizeof stack)
    buf = heap = g_malloc (len1 + len2);
  memcpy (buf, part1, len1);
  if (len2 > 0)
    memcpy (buf + len1, part2, len2);
  sha256 (buf, len1 + len2, digest);
}

/* Verifies sig over SHA-256 (part1 || part2): ECDSA (DER) for ES256, PKCS#1 v1.5 for RS256. */
static gboolean
verify_signature (EVP_PKEY     *pkey,
                  gint64        alg,
                  const guint8 *part1,
                  gsize         len1,
                  const guint8 *part2,
                  gsize         len2,
                  const guint8 *sig,
                  gsize         sig_len)
{
  guint8 digest[SHA256_DIGEST_LENGTH];
  g_autoptr(EVP_PKEY_CTX) ctx = NULL;

  if (sig_len == 0)
    return FALSE;
  digest_parts (part1, len1, part2, len2, digest);
  if ((ctx = new_verify_ctx (pkey, alg)) == NULL)
    return FALSE;
  return EVP_PKEY_verify (ctx, sig, sig_len, digest, sizeof digest) == 1;
}

static gboolean
verify_with_key (KsWebauthnKey *key,
                 const guint8  *part1,
                 gsize          len1,
                 const guint8  *part2,
                 gsize          len2,
                 const guint8  *sig,
                 gsize          sig_len)
{
  guint8 digest[SHA256_DIGEST_LENGTH];
  gboolean ok;

  if (sig_len == 0)
    return FALSE;
  if (!g_mutex_trylock (&key->lock))
    return verify_signature (key->pkey, key->algorithm, part1, len1, part2, len2, sig, sig_len);

  if (key->verify_ctx == NULL)
    key->verify_ctx = new_verify_ctx (key->pkey, key->algorithm);
  if (key->verify_ctx == NULL)
    {
      g_mutex_unlock (&key->lock);
      return FALSE;
    }
  digest_parts (part1, len1, part2, len2, digest);
  ok = EVP_PKEY_verify (key->verify_ctx, sig, sig_len, digest, sizeof digest) == 1;
  g_mutex_unlock (&key->lock);
  return ok;
}

/* Authenticator data (§6.1) */

typedef struct {
  const guint8 *rp_id_hash;
  guint8        flags;
  guint32       sign_count;
  const guint8 *aaguid;
  const guint8 *credential_id;
  gsize         credential_id_len;
  const guint8 *public_key;
  gsize         public_key_len;
  KsWebauthnKey *key;                 /* owned */
  gint64        algorithm;
} AuthData;

static void
auth_data_clear (AuthData *ad)
{
  g_clear_pointer (&ad->key, ks_webauthn_key_unref);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (AuthData, auth_data_clear)

static gboolean
parse_extensions (const guint8 *data,
                  gsize         len,
                  gsize        *consumed,
                  GError      **error)
{
  g_autoptr(KsCbor) map = load_cbor (data, len, consumed, "authenticator extensions", error);

  if (map == NULL)
    return FALSE;
  if (!cbor_isa_map (map) || !cbor_map_is_definite (map))
    return fail (error, KS_WEBAUTHN_ERROR_MALFORMED,
                 "The authenticator extensions are not a CBOR map.");
  for (gsize i = 0; i < cbor_map_size (map); i++)
    if (!cbor_isa_string (cbor_map_handle (map)[i].key) ||
        !cbor_string_is_definite (cbor_map_handle (map)[i].key))
      return fail (error, KS_WEBAUTHN_ERROR_MALFORMED,
                   "An authenticator extension identifier is not a text string.");
  return TRUE;
}

/* Splits the authenticator data and checks its structure: AT present exactly when registering,
 * ED exactly when extensions follow, nothing after them. */
static gboolean
parse_auth_data (const guint8 *data,
                 gsize         len,
                 gboolean      registration,
                 AuthData     *ad,
                 GError      **error)
{
  gsize offset = AUTH_DATA_MIN_LEN, consumed;

  if (len < AUTH_DATA_MIN_LEN)
    return fail (error, KS_WEBAUTHN_ERROR_MALFORMED,
                 "The authenticator data is %" G_GSIZE_FORMAT " bytes; at least 37 are needed.",
                 len);
  ad->rp_id_hash = data;
  ad->flags = data[32];
  ad->sign_count = (guint32) data[33] << 24 | (guint32) data[34] << 16 |
                   (guint32) data[35] << 8 | data[36];

  if (registration && !(ad->flags & FLAG_AT))
    return fail (error, KS_WEBAUTHN_ERROR_MALFORMED,
                 "The authenticator data of a registration has no attested credential data (AT).");
  if (!registration && (ad->flags & FLAG_AT))
    return fail (error, KS_WEBAUTHN_ERROR_MALFORMED,
                 "The authenticator data of an assertion claims attested credential data (AT).");

  if (ad->flags & FLAG_AT)
    {
      if (len - offset < 18)
        return fail (error, KS_WEBAUTHN_ERROR_MALFORMED,
                     "The attested credential data is truncated.");
      ad->aaguid = data + offset;
      ad->credential_id_len = (gsize) data[offset + 16] << 8 | data[offset + 17];
      offset += 18;
      if (ad->credential_id_len == 0 || ad->credential_id_len > CREDENTIAL_ID_MAX_LEN)
        return fail (error, KS_WEBAUTHN_ERROR_CREDENTIAL_ID,
                     "The credential id is %" G_GSIZE_FORMAT " bytes long; it must be 1 to %d.",
                     ad->credential_id_len, CREDENTIAL_ID_MAX_LEN);
      if (len - offset < ad->credential_id_len)
        return fail (error, KS_WEBAUTHN_ERROR_MALFORMED,
                     "The attested credential id is truncated.");
      ad->credential_id = data + offset;
      offset += ad->credential_id_len;

      ad->public_key = data + offset;
      ad->key = decode_cose_key (data + offset, len - offset, &consumed, &ad->algorithm, error);
      if (ad->key == NULL)
        return FALSE;
      ad->public_key_len = consumed;
      offset += consumed;
    }

  if (ad->flags & FLAG_ED)
    {
      if (offset == len)
        return fail (error, KS_WEBAUTHN_ERROR_MALFORMED,
                     "The authenticator data sets ED but holds no extensions.");
      if (!parse_extensions (data + offset, len - offset, &consumed, error))
        return FALSE;
      offset += consumed;
    }

  if (offset != len)
    return fail (error, KS_WEBAUTHN_ERROR_MALFORMED,
                 "The authenticator data has trailing bytes after its end (%" G_GSIZE_FORMAT ").",
                 len - offset);
  return TRUE;
}

/* The flag checks both ceremonies share (§7.1 steps 14-16, §7.2 steps 15-18). */
static gboolean
check_auth_data (const AuthData       *ad,
                 const KsRelyingParty *rp,
                 GError              **error)
{
  guint8 expected[SHA256_DIGEST_LENGTH];

  sha256 (rp->rp_id, strlen (rp->rp_id), expected);
  if (memcmp (ad->rp_id_hash, expected, sizeof expected) != 0)
    return fail (error, KS_WEBAUTHN_ERROR_RP_ID_HASH,
                 "The authenticator data's rpIdHash is not SHA-256 of the rp id \"%s\".",
                 rp->rp_id);
  if (!(ad->flags & FLAG_UP))
    return fail (error, KS_WEBAUTHN_ERROR_USER_PRESENCE,
                 "The authenticator did not report user presence (UP).");
  if (rp->require_user_verification && !(ad->flags & FLAG_UV))
    return fail (error, KS_WEBAUTHN_ERROR_USER_VERIFICATION,
                 "The environment requires user verification and the authenticator did not report "
                 "it (UV).");
  if ((ad->flags & FLAG_BS) && !(ad->flags & FLAG_BE))
    return fail (error, KS_WEBAUTHN_ERROR_BACKUP_FLAGS,
                 "The authenticator reports a backed-up credential (BS) that is not "
                 "backup-eligible (BE).");
  return TRUE;
}

static gboolean
algorithm_offered (const KsRelyingParty *rp,
                   gint64                alg)
{
  const gint64 *algs = rp->n_algorithms > 0 ? rp->algorithms : default_algorithms;
  gsize n = rp->n_algorithms > 0 ? rp->n_algorithms : G_N_ELEMENTS (default_algorithms);

  for (gsize i = 0; i < n; i++)
    if (algs[i] == alg)
      return TRUE;
  return FALSE;
}

/* Peeking */

char *
ks_webauthn_peek_challenge (JsonObject *credential,
                            GError    **error)
{
  g_autoptr(GBytes) bytes = NULL;
  g_autoptr(JsonParser) parser = NULL;
  g_autoptr(GError) local = NULL;
  JsonNode *response, *root;
  const char *text, *challenge;
  const char *data;
  gsize len;

  if (credential == NULL ||
      (response = json_object_get_member (credential, "response")) == NULL ||
      !JSON_NODE_HOLDS_OBJECT (response) ||
      (text = string_member (json_node_get_object (response), "clientDataJSON")) == NULL)
    {
      fail (error, KS_WEBAUTHN_ERROR_MALFORMED,
            "The credential has no response.clientDataJSON string.");
      return NULL;
    }
  if ((bytes = decode_member (text, "clientDataJSON", error)) == NULL)
    return NULL;
  data = g_bytes_get_data (bytes, &len);
  parser = json_parser_new_immutable ();
  if (len == 0 || memchr (data, '\0', len) != NULL || !kt_json_is_one_object (data, (gssize) len) ||
      !json_parser_load_from_data (parser, data, len, &local) ||
      (root = json_parser_get_root (parser)) == NULL || !JSON_NODE_HOLDS_OBJECT (root) ||
      (challenge = string_member (json_node_get_object (root), "challenge")) == NULL)
    {
      fail (error, KS_WEBAUTHN_ERROR_MALFORMED,
            "clientDataJSON is not a JSON object with a challenge.");
      return NULL;
    }
  return g_strdup (challenge);
}

GBytes *
ks_webauthn_peek_credential_id (JsonObject *credential,
                                GError    **error)
{
  const char *raw_id = credential != NULL ? string_member (credential, "rawId") : NULL;

  if (raw_id == NULL)
    {
      fail (error, KS_WEBAUTHN_ERROR_MALFORMED, "The credential has no rawId string.");
      return NULL;
    }
  return decode_member (raw_id, "credential's rawId", error);
}

/* Attestation statements (§8) */

typedef struct {
  cbor_item_t  *alg;
  cbor_item_t  *sig;
  cbor_item_t  *x5c;
} Statement;

/* Reads an attStmt whose keys must all be among the format's; anything else is refused rather
 * than ignored, so that an unknown field cannot change the meaning of a known one. */
static gboolean
read_statement (cbor_item_t *stmt,
                const char  *fmt,
                gboolean     allow_alg,
                Statement   *out,
                GError     **error)
{
  struct cbor_pair *pairs = cbor_map_handle (stmt);

  for (gsize i = 0; i < cbor_map_size (stmt); i++)
    {
      cbor_item_t **slot;

      if (allow_alg && cbor_text_is (pairs[i].key, "alg"))
        slot = &out->alg;
      else if (cbor_text_is (pairs[i].key, "sig"))
        slot = &out->sig;
      else if (cbor_text_is (pairs[i].key, "x5c"))
        slot = &out->x5c;
      else
        return fail (error, KS_WEBAUTHN_ERROR_ATTESTATION,
                     "The %s attestation statement has a field the format does not define.", fmt);
      if (*slot != NULL)
        return fail (error, KS_WEBAUTHN_ERROR_ATTESTATION,
                     "The %s attestation statement repeats a field.", fmt);
      *slot = pairs[i].value;
    }

  if (out->sig == NULL || !cbor_is_definite_bytes (out->sig) ||
      cbor_bytestring_length (out->sig) == 0)
    return fail (error, KS_WEBAUTHN_ERROR_ATTESTATION,
                 "The %s attestation statement has no signature (sig).", fmt);
  if (out->x5c != NULL &&
      (!cbor_isa_array (out->x5c) || !cbor_array_is_definite (out->x5c) ||
       cbor_array_size (out->x5c) == 0))
    return fail (error, KS_WEBAUTHN_ERROR_ATTESTATION,
                 "The %s attestation statement's x5c is not a non-empty array.", fmt);
  return TRUE;
}

/* Every certificate of x5c, parsed; the first is the attestation certificate. Chain trust is
 * not checked: the sandbox has no metadata service or vendor roots to check it against. */
static X509 *
parse_x5c (cbor_item_t *x5c,
           const char  *fmt,
           GError     **error)
{
  g_autoptr(X509) leaf = NULL;

  for (gsize i = 0; i < cbor_array_size (x5c); i++)
    {
      cbor_item_t *item = cbor_array_handle (x5c)[i];
      const guint8 *p;
      gsize len;
      X509 *cert;

      if (!cbor_is_definite_bytes (item))
        {
          fail (error, KS_WEBAUTHN_ERROR_ATTESTATION,
                "An x5c entry of the %s statement is not bytes.", fmt);
          return NULL;
        }
      p = cbor_bytestring_handle (item);
      len = cbor_bytestring_length (item);
      cert = len <= G_MAXLONG ? d2i_X509 (NULL, &p, (long) len) : NULL;
      if (cert == NULL || p != cbor_bytestring_handle (item) + len)
        {
          X509_free (cert);
          fail (error, KS_WEBAUTHN_ERROR_ATTESTATION,
                "An x5c entry of the %s statement is not one DER certificate.", fmt);
          return NULL;
        }
      if (i == 0)
        leaf = cert;
      else
        X509_free (cert);
    }
  return g_steal_pointer (&leaf);
}

static gboolean
name_entry (X509_NAME  *name,
            int         nid,
            char      **out)
{
  int index = X509_NAME_get_index_by_NID (name, nid, -1);
  guchar *utf8 = NULL;
  int len;

  if (index < 0)
    return FALSE;
  len = ASN1_STRING_to_UTF8 (&utf8, X509_NAME_ENTRY_get_data (X509_NAME_get_entry (name, index)));
  if (len <= 0)
    return FALSE;
  *out = g_strndup ((const char *) utf8, len);
  OPENSSL_free (utf8);
  return TRUE;
}

/* §8.2.1: what a packed attestation certificate must be. */
static gboolean
check_packed_certificate (X509         *cert,
                          const guint8 *aaguid,
                          GError      **error)
{
  X509_NAME *subject = X509_get_subject_name (cert);
  g_autofree char *c = NULL, *o = NULL, *ou = NULL, *cn = NULL, *shown = NULL;
  g_autoptr(ASN1_OBJECT) oid = OBJ_txt2obj ("1.3.6.1.4.1.45724.1.1.4", 1);
  int index;

  if (X509_get_version (cert) != X509_VERSION_3)
    return fail (error, KS_WEBAUTHN_ERROR_ATTESTATION,
                 "The attestation certificate is not X.509 version 3.");
  if (!name_entry (subject, NID_countryName, &c) || strlen (c) != 2 ||
      !name_entry (subject, NID_organizationName, &o) || *o == '\0' ||
      !name_entry (subject, NID_organizationalUnitName, &ou) ||
      !name_entry (subject, NID_commonName, &cn) || *cn == '\0')
    return fail (error, KS_WEBAUTHN_ERROR_ATTESTATION,
                 "The attestation certificate's subject lacks C, O, OU or CN.");
  if (strcmp (ou, "Authenticator Attestation") != 0)
    return fail (error, KS_WEBAUTHN_ERROR_ATTESTATION,
                 "The attestation certificate's OU is \"%s\", not \"Authenticator Attestation\".",
                 shown = quoted (ou));
  if (!(X509_get_extension_flags (cert) & EXFLAG_BCONS))
    return fail (error, KS_WEBAUTHN_ERROR_ATTESTATION,
                 "The attestation certificate has no basic constraints extension.");
  if (X509_check_ca (cert) != 0)
    return fail (error, KS_WEBAUTHN_ERROR_ATTESTATION,
                 "The attestation certificate is a CA certificate.");
  if (X509_cmp_current_time (X509_get0_notBefore (cert)) >= 0 ||
      X509_cmp_current_time (X509_get0_notAfter (cert)) <= 0)
    return fail (error, KS_WEBAUTHN_ERROR_ATTESTATION,
                 "The attestation certificate is not valid now.");

  index = oid != NULL ? X509_get_ext_by_OBJ (cert, oid, -1) : -1;
  if (index >= 0)
    {
      X509_EXTENSION *ext = X509_get_ext (cert, index);
      ASN1_OCTET_STRING *outer = X509_EXTENSION_get_data (ext);
      const guint8 *p = ASN1_STRING_get0_data (outer);
      int len = ASN1_STRING_length (outer);
      g_autoptr(ASN1_OCTET_STRING) inner = d2i_ASN1_OCTET_STRING (NULL, &p, len);

      if (X509_EXTENSION_get_critical (ext))
        return fail (error, KS_WEBAUTHN_ERROR_ATTESTATION,
                     "The attestation certificate marks its AAGUID extension critical.");
      if (inner == NULL || p != ASN1_STRING_get0_data (outer) + len ||
          ASN1_STRING_length (inner) != 16)
        return fail (error, KS_WEBAUTHN_ERROR_ATTESTATION,
                     "The attestation certificate's AAGUID extension is not a 16-byte "
                     "OCTET STRING.");
      if (memcmp (ASN1_STRING_get0_data (inner), aaguid, 16) != 0)
        return fail (error, KS_WEBAUTHN_ERROR_ATTESTATION,
                     "The attestation certificate's AAGUID is not the authenticator data's.");
    }
  return TRUE;
}

static gboolean
verify_packed (cbor_item_t  *stmt,
               const AuthData *ad,
               const guint8 *auth_data,
               gsize         auth_data_len,
               const guint8  client_hash[SHA256_DIGEST_LENGTH],
               const char  **attestation_type,
               GError      **error)
{
  Statement st = { 0 };
  gint64 alg;

  if (!read_statement (stmt, "packed", TRUE, &st, error))
    return FALSE;
  if (st.alg == NULL || !cbor_read_int (st.alg, &alg))
    return fail (error, KS_WEBAUTHN_ERROR_ATTESTATION,
                 "The packed attestation statement has no integer alg.");

  if (st.x5c != NULL)
    {
      g_autoptr(X509) leaf = parse_x5c (st.x5c, "packed", error);
      EVP_PKEY *pkey;

      if (leaf == NULL)
        return FALSE;
      pkey = X509_get0_pubkey (leaf);
      if (pkey == NULL ||
          !((alg == KT_COSE_ALG_ES256 && p256_key_is (pkey)) ||
            (alg == KT_COSE_ALG_RS256 && EVP_PKEY_is_a (pkey, "RSA"))))
        return fail (error, KS_WEBAUTHN_ERROR_ATTESTATION,
                     "The packed statement's alg %" G_GINT64_FORMAT " does not match the "
                     "attestation certificate's key.", alg);
      if (!verify_signature (pkey, alg, auth_data, auth_data_len, client_hash, SHA256_DIGEST_LENGTH,
                             cbor_bytestring_handle (st.sig), cbor_bytestring_length (st.sig)))
        return fail (error, KS_WEBAUTHN_ERROR_ATTESTATION,
                     "The packed attestation signature does not verify with the attestation "
                     "certificate.");
      if (!check_packed_certificate (leaf, ad->aaguid, error))
        return FALSE;
      *attestation_type = "basic";
      return TRUE;
    }

  if (alg != ad->algorithm)
    return fail (error, KS_WEBAUTHN_ERROR_ATTESTATION,
                 "The packed self-attestation's alg %" G_GINT64_FORMAT " is not the "
                 "credential key's %" G_GINT64_FORMAT ".", alg, ad->algorithm);
  if (!verify_signature (ad->key->pkey, alg, auth_data, auth_data_len,
                         client_hash, SHA256_DIGEST_LENGTH,
                         cbor_bytestring_handle (st.sig), cbor_bytestring_length (st.sig)))
    return fail (error, KS_WEBAUTHN_ERROR_ATTESTATION,
                 "The packed self-attestation signature does not verify with the credential key.");
  *attestation_type = "self";
  return TRUE;
}

/* §8.6 */
static gboolean
verify_fido_u2f (cbor_item_t  *stmt,
                 const AuthData *ad,
                 const guint8  client_hash[SHA256_DIGEST_LENGTH],
                 const char  **attestation_type,
                 GError      **error)
{
  static const guint8 zero_aaguid[16] = { 0 };
  Statement st = { 0 };
  g_autoptr(X509) cert = NULL;
  g_autoptr(GError) local = NULL;
  guint8 base[1 + 32 + 32 + CREDENTIAL_ID_MAX_LEN + KT_P256_POINT_LEN];
  gsize n = 0;
  EVP_PKEY *pkey;

  if (!read_statement (stmt, "fido-u2f", FALSE, &st, error))
    return FALSE;
  if (st.x5c == NULL || cbor_array_size (st.x5c) != 1)
    return fail (error, KS_WEBAUTHN_ERROR_ATTESTATION,
                 "The fido-u2f attestation statement must hold exactly one certificate.");
  if ((cert = parse_x5c (st.x5c, "fido-u2f", error)) == NULL)
    return FALSE;
  pkey = X509_get0_pubkey (cert);
  if (pkey == NULL || !p256_key_is (pkey))
    return fail (error, KS_WEBAUTHN_ERROR_ATTESTATION,
                 "The fido-u2f attestation certificate's key is not on P-256.");
  if (ad->algorithm != KT_COSE_ALG_ES256)
    return fail (error, KS_WEBAUTHN_ERROR_ATTESTATION,
                 "A fido-u2f credential must be an ES256 key on P-256.");
  /* U2F has no AAGUID; a client converting its answer writes zeros. */
  if (memcmp (ad->aaguid, zero_aaguid, 16) != 0)
    return fail (error, KS_WEBAUTHN_ERROR_ATTESTATION,
                 "A fido-u2f credential's AAGUID is not zero.");

  base[n++] = 0x00;
  memcpy (base + n, ad->rp_id_hash, 32);
  n += 32;
  memcpy (base + n, client_hash, 32);
  n += 32;
  memcpy (base + n, ad->credential_id, ad->credential_id_len);
  n += ad->credential_id_len;
  if (!kt_p256_public_point (ad->key->pkey, base + n, &local))
    return fail (error, KS_WEBAUTHN_ERROR_ATTESTATION, "The credential key cannot be read: %s",
                 local->message);
  n += KT_P256_POINT_LEN;

  if (!verify_signature (pkey, KT_COSE_ALG_ES256, base, n, NULL, 0,
                         cbor_bytestring_handle (st.sig), cbor_bytestring_length (st.sig)))
    return fail (error, KS_WEBAUTHN_ERROR_ATTESTATION,
                 "The fido-u2f attestation signature does not verify with its certificate.");
  *attestation_type = "basic";
  return TRUE;
}

/* Registration (§7.1) */

void
ks_new_credential_free (KsNewCredential *credential)
{
  if (credential == NULL)
    return;
  g_clear_pointer (&credential->credential_id, g_bytes_unref);
  g_clear_pointer (&credential->public_key, g_bytes_unref);
  g_free (credential->attestation_format);
  g_free (credential->attestation_type);
  g_strfreev (credential->transports);
  g_free (credential);
}

static gboolean
read_transports (JsonObject *response,
                 char     ***out,
                 GError    **error)
{
  JsonNode *node = json_object_get_member (response, "transports");
  g_autoptr(GStrvBuilder) builder = NULL;
  JsonArray *array;

  *out = NULL;
  if (node == NULL || JSON_NODE_HOLDS_NULL (node))
    return TRUE;
  if (!JSON_NODE_HOLDS_ARRAY (node))
    return fail (error, KS_WEBAUTHN_ERROR_MALFORMED, "response.transports is not an array.");
  array = json_node_get_array (node);
  builder = g_strv_builder_new ();
  for (guint i = 0; i < json_array_get_length (array); i++)
    {
      JsonNode *item = json_array_get_element (array, i);

      if (JSON_NODE_TYPE (item) != JSON_NODE_VALUE ||
          json_node_get_value_type (item) != G_TYPE_STRING)
        return fail (error, KS_WEBAUTHN_ERROR_MALFORMED, "response.transports holds a non-string.");
      g_strv_builder_add (builder, json_node_get_string (item));
    }
  *out = g_strv_builder_end (builder);
  return TRUE;
}

gboolean
ks_webauthn_verify_registration (const KsRelyingParty *rp,
                                 const char           *challenge,
                                 JsonObject           *credential,
                                 KsNewCredential     **out,
                                 GError              **error)
{
  g_auto(Envelope) env = { 0 };
  g_auto(AuthData) ad = { 0 };
  g_autoptr(GBytes) attestation = NULL;
  g_autoptr(KsCbor) object = NULL;
  g_autoptr(KsNewCredential) result = NULL;
  g_auto(GStrv) transports = NULL;
  cbor_item_t *fmt = NULL, *stmt = NULL, *auth_data = NULL;
  const char *attestation_text, *attestation_type = NULL;
  const guint8 *att, *ad_bytes;
  gsize att_len, ad_len, consumed;
  guint8 client_hash[SHA256_DIGEST_LENGTH];
  g_autofree char *fmt_name = NULL;

  g_return_val_if_fail (rp != NULL && rp->rp_id != NULL && rp->origin != NULL, FALSE);
  g_return_val_if_fail (challenge != NULL, FALSE);
  g_return_val_if_fail (out != NULL && *out == NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (!read_envelope (credential, &env, error) ||
      !require_string (env.response, "attestationObject", "response", &attestation_text, error) ||
      !read_transports (env.response, &transports, error))
    return FALSE;

  /* §7.1 steps 5-12: the client data */
  if (!check_client_data (env.client_data, "webauthn.create", challenge, rp, error))
    return FALSE;
  sha256 (g_bytes_get_data (env.client_data, NULL), g_bytes_get_size (env.client_data),
          client_hash);

  /* Step 12: the attestation object is a map of exactly fmt, attStmt and authData. */
  if ((attestation = decode_member (attestation_text, "attestationObject", error)) == NULL)
    return FALSE;
  att = g_bytes_get_data (attestation, &att_len);
  if ((object = load_cbor (att, att_len, &consumed, "attestation object", error)) == NULL)
    return FALSE;
  if (consumed != att_len)
    return fail (error, KS_WEBAUTHN_ERROR_MALFORMED,
                 "The attestation object has trailing bytes after its end (%" G_GSIZE_FORMAT ").",
                 att_len - consumed);
  if (!cbor_isa_map (object) || !cbor_map_is_definite (object) || cbor_map_size (object) != 3)
    return fail (error, KS_WEBAUTHN_ERROR_MALFORMED,
                 "The attestation object is not a map of exactly fmt, attStmt and authData.");
  for (gsize i = 0; i < 3; i++)
    {
      struct cbor_pair *pair = &cbor_map_handle (object)[i];
      cbor_item_t **slot = cbor_text_is (pair->key, "fmt") ? &fmt
                         : cbor_text_is (pair->key, "attStmt") ? &stmt
                         : cbor_text_is (pair->key, "authData") ? &auth_data : NULL;

      if (slot == NULL || *slot != NULL)
        return fail (error, KS_WEBAUTHN_ERROR_MALFORMED,
                     "The attestation object is not a map of exactly fmt, attStmt and authData.");
      *slot = pair->value;
    }
  if (!cbor_isa_string (fmt) || !cbor_string_is_definite (fmt) ||
      !cbor_isa_map (stmt) || !cbor_map_is_definite (stmt) || !cbor_is_definite_bytes (auth_data))
    return fail (error, KS_WEBAUTHN_ERROR_MALFORMED,
                 "The attestation object's fmt is not text, attStmt not a map or authData "
                 "not bytes.");
  fmt_name = g_strndup ((const char *) cbor_string_handle (fmt), cbor_string_length (fmt));

  /* Steps 13-19: the authenticator data */
  ad_bytes = cbor_bytestring_handle (auth_data);
  ad_len = cbor_bytestring_length (auth_data);
  if (!parse_auth_data (ad_bytes, ad_len, TRUE, &ad, error))
    {
      /* A key of an algorithm the sandbox cannot verify: say first whether it was even offered. */
      if (error != NULL && *error != NULL && (*error)->code == KS_WEBAUTHN_ERROR_ALGORITHM &&
          ad.algorithm != 0 && !algorithm_offered (rp, ad.algorithm))
        {
          g_clear_error (error);
          return fail (error, KS_WEBAUTHN_ERROR_ALGORITHM,
                       "The credential key's alg %" G_GINT64_FORMAT " is not among the "
                       "pubKeyCredParams the environment offered.", ad.algorithm);
        }
      return FALSE;
    }
  if (!check_auth_data (&ad, rp, error))
    return FALSE;
  if (ad.credential_id_len != g_bytes_get_size (env.raw_id_bytes) ||
      memcmp (ad.credential_id, g_bytes_get_data (env.raw_id_bytes, NULL),
              ad.credential_id_len) != 0)
    return fail (error, KS_WEBAUTHN_ERROR_ID_MISMATCH,
                 "The credential's rawId is not the credential id in the authenticator data.");
  if (!algorithm_offered (rp, ad.algorithm))
    return fail (error, KS_WEBAUTHN_ERROR_ALGORITHM,
                 "The credential key's alg %" G_GINT64_FORMAT " is not among the pubKeyCredParams "
                 "the environment offered.", ad.algorithm);

  /* Steps 20-21: the attestation statement */
  if (strcmp (fmt_name, "none") == 0)
    {
      if (cbor_map_size (stmt) != 0)
        return fail (error, KS_WEBAUTHN_ERROR_ATTESTATION,
                     "The attestation format is \"none\" but its statement is not empty.");
      attestation_type = "none";
    }
  else if (strcmp (fmt_name, "packed") == 0)
    {
      if (!verify_packed (stmt, &ad, ad_bytes, ad_len, client_hash, &attestation_type, error))
        return FALSE;
    }
  else if (strcmp (fmt_name, "fido-u2f") == 0)
    {
      if (!verify_fido_u2f (stmt, &ad, client_hash, &attestation_type, error))
        return FALSE;
    }
  else
    {
      g_autofree char *shown = quoted (fmt_name);

      return fail (error, KS_WEBAUTHN_ERROR_ATTESTATION,
                   "The attestation format \"%s\" is not one the sandbox verifies "
                   "(none, packed, fido-u2f).", shown);
    }

  result = g_new0 (KsNewCredential, 1);
  result->credential_id = g_bytes_new (ad.credential_id, ad.credential_id_len);
  result->public_key = g_bytes_new (ad.public_key, ad.public_key_len);
  result->algorithm = ad.algorithm;
  result->sign_count = ad.sign_count;
  memcpy (result->aaguid, ad.aaguid, 16);
  result->user_verified = (ad.flags & FLAG_UV) != 0;
  result->backup_eligible = (ad.flags & FLAG_BE) != 0;
  result->backup_state = (ad.flags & FLAG_BS) != 0;
  result->attestation_format = g_steal_pointer (&fmt_name);
  result->attestation_type = g_strdup (attestation_type);
  result->transports = g_steal_pointer (&transports);
  *out = g_steal_pointer (&result);
  return TRUE;
}

/* Assertion (§7.2) */

gboolean
ks_webauthn_verify_assertion (const KsRelyingParty     *rp,
                              const char               *challenge,
                              JsonObject               *credential,
                              const KsStoredCredential *stored,
                              KsAssertionResult        *out,
                              GError                  **error)
{
  g_auto(Envelope) env = { 0 };
  g_auto(AuthData) ad = { 0 };
  g_autoptr(GBytes) auth_data = NULL, signature = NULL, user_handle = NULL;
  g_autoptr(KsWebauthnKey) key = NULL;
  const char *auth_data_text, *signature_text;
  JsonNode *user_handle_node;
  guint8 client_hash[SHA256_DIGEST_LENGTH];
  const guint8 *ad_bytes;
  gsize ad_len;

  g_return_val_if_fail (rp != NULL && rp->rp_id != NULL && rp->origin != NULL, FALSE);
  g_return_val_if_fail (challenge != NULL, FALSE);
  g_return_val_if_fail (stored != NULL && stored->credential_id != NULL, FALSE);
  g_return_val_if_fail (stored->prepared != NULL || stored->public_key != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (!read_envelope (credential, &env, error) ||
      !require_string (env.response, "authenticatorData", "response", &auth_data_text, error) ||
      !require_string (env.response, "signature", "response", &signature_text, error))
    return FALSE;

  /* §7.2 steps 5-6: the credential is the one the caller looked up; userHandle, when sent, must
   * at least decode (whose it is, is the caller's question). */
  if (!g_bytes_equal (env.raw_id_bytes, stored->credential_id))
    return fail (error, KS_WEBAUTHN_ERROR_UNKNOWN_CREDENTIAL,
                 "The assertion names a different credential than the stored one.");
  user_handle_node = json_object_get_member (env.response, "userHandle");
  if (user_handle_node != NULL && !JSON_NODE_HOLDS_NULL (user_handle_node))
    {
      const char *text = string_member (env.response, "userHandle");

      if (text == NULL)
        return fail (error, KS_WEBAUTHN_ERROR_MALFORMED, "response.userHandle is not a string.");
      if ((user_handle = decode_member (text, "userHandle", error)) == NULL)
        return FALSE;
    }

  /* Steps 10-14: the client data */
  if (!check_client_data (env.client_data, "webauthn.get", challenge, rp, error))
    return FALSE;

  /* Steps 15-18: the authenticator data */
  if ((auth_data = decode_member (auth_data_text, "authenticatorData", error)) == NULL ||
      (signature = decode_member (signature_text, "signature", error)) == NULL)
    return FALSE;
  ad_bytes = g_bytes_get_data (auth_data, &ad_len);
  if (!parse_auth_data (ad_bytes, ad_len, FALSE, &ad, error) ||
      !check_auth_data (&ad, rp, error))
    return FALSE;
  if (((ad.flags & FLAG_BE) != 0) != (stored->backup_eligible != FALSE))
    return fail (error, KS_WEBAUTHN_ERROR_BACKUP_FLAGS,
                 "The credential's backup eligibility (BE) changed since it was registered.");

  /* Steps 19-21: the signature over authenticatorData || SHA-256 (clientDataJSON) */
  if (stored->prepared == NULL &&
      (key = ks_webauthn_key_new (stored->public_key, stored->algorithm, error)) == NULL)
    return FALSE;
  sha256 (g_bytes_get_data (env.client_data, NULL), g_bytes_get_size (env.client_data),
          client_hash);
  {
    KsWebauthnKey *k = stored->prepared != NULL ? stored->prepared : key;

    if (!verify_with_key (k, ad_bytes, ad_len, client_hash, sizeof client_hash,
                          g_bytes_get_data (signature, NULL), g_bytes_get_size (signature)))
      return fail (error, KS_WEBAUTHN_ERROR_SIGNATURE,
                   "The assertion signature does not verify with the credential's public key.");
  }

  /* Step 22: a counter that does not grow means a cloned authenticator, unless both are 0. */
  if ((ad.sign_count != 0 || stored->sign_count != 0) && ad.sign_count <= stored->sign_count)
    return fail (error, KS_WEBAUTHN_ERROR_COUNTER,
                 "The signature counter went from %u to %u; it must increase.",
                 stored->sign_count, ad.sign_count);

  if (out != NULL)
    {
      out->sign_count = ad.sign_count;
      out->user_verified = (ad.flags & FLAG_UV) != 0;
      out->backup_state = (ad.flags & FLAG_BS) != 0;
    }
  return TRUE;
}
