/* ks-tokens.c: an environment's RS256 signing key and its JWTs
 *
 * Copyright 2026 Keyturn developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "ks-tokens.h"

#include <gio/gio.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <string.h>

#include "kt-base64url.h"
#include "kt-json-span.h"

G_DEFINE_QUARK (ks-token-error-quark, ks_token_error)

struct _KsSigner {
  EVP_PKEY   *pkey;
  /* Initialised once and copied per token: a fresh init costs more than the copy. */
  EVP_MD_CTX *sign_template;
  EVP_MD_CTX *verify_template;
  char       *kid;
  char       *n;
  char       *e;
  char       *header_b64;
  /* Tokens already verified, by their text: a signed token never changes, so the RSA check
   * and the parsing are done once; expiry is still checked on every use. */
  GHashTable *verified;
};

#define VERIFIED_CACHE_MAX 4096

static char *
bignum_param_b64 (EVP_PKEY   *pkey,
                  const char *name)
{
  BIGNUM *bn = NULL;
  g_autofree guint8 *bin = NULL;
  int len;
  char *out;

  if (EVP_PKEY_get_bn_param (pkey, name, &bn) != 1)
    return NULL;
  len = BN_num_bytes (bn);
  bin = g_malloc (MAX (len, 1));
  BN_bn2bin (bn, bin);
  BN_free (bn);
  out = kt_base64url_encode (bin, len);
  return out;
}

static EVP_PKEY *
generate_key (const char  *path,
              GError     **error)
{
  EVP_PKEY *pkey = EVP_RSA_gen (2048);
  BIO *bio;
  char *pem = NULL;
  long len;
  gboolean ok;

  if (pkey == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "could not make an RSA key");
      return NULL;
    }

  bio = BIO_new (BIO_s_mem ());
  PEM_write_bio_PrivateKey (bio, pkey, NULL, NULL, 0, NULL, NULL);
  len = BIO_get_mem_data (bio, &pem);
  ok = g_file_set_contents_full (path, pem, len,
                                 G_FILE_SET_CONTENTS_CONSISTENT | G_FILE_SET_CONTENTS_DURABLE,
                                 0600, error);
  BIO_free (bio);
  if (!ok)
    {
      EVP_PKEY_free (pkey);
      return NULL;
    }
  return pkey;
}

static EVP_PKEY *
load_key (const char  *path,
          GError     **error)
{
  g_autofree char *pem = NULL;
  gsize len = 0;
  g_autoptr(GError) local_error = NULL;
  EVP_PKEY *pkey;
  BIO *bio;

  if (!g_file_get_contents (path, &pem, &len, &local_error))
    {
      if (g_error_matches (local_error, G_FILE_ERROR, G_FILE_ERROR_NOENT))
        return generate_key (path, error);
      g_propagate_error (error, g_steal_pointer (&local_error));
      return NULL;
    }

  bio = BIO_new_mem_buf (pem, len);
  pkey = PEM_read_bio_PrivateKey (bio, NULL, NULL, NULL);
  BIO_free (bio);
  if (pkey == NULL || !EVP_PKEY_is_a (pkey, "RSA") || EVP_PKEY_get_bits (pkey) < 2048)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                   "%s is not an RSA private key of 2048 bits or more", path);
      EVP_PKEY_free (pkey);
      return NULL;
    }
  return pkey;
}

KsSigner *
ks_signer_load_or_create (const char  *path,
                          GError     **error)
{
  g_autoptr(KsSigner) self = g_new0 (KsSigner, 1);
  g_autofree char *thumb_input = NULL;
  g_autofree char *header = NULL;
  guint8 digest[32];

  self->pkey = load_key (path, error);
  if (self->pkey == NULL)
    return NULL;

  self->n = bignum_param_b64 (self->pkey, OSSL_PKEY_PARAM_RSA_N);
  self->e = bignum_param_b64 (self->pkey, OSSL_PKEY_PARAM_RSA_E);
  if (self->n == NULL || self->e == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "%s: unreadable RSA key", path);
      return NULL;
    }

  /* RFC 7638: the required members, in lexicographic order, no white space. */
  thumb_input = g_strdup_printf ("{\"e\":\"%s\",\"kty\":\"RSA\",\"n\":\"%s\"}", self->e, self->n);
  EVP_Digest (thumb_input, strlen (thumb_input), digest, NULL, EVP_sha256 (), NULL);
  self->kid = kt_base64url_encode (digest, sizeof digest);

  header = g_strdup_printf ("{\"alg\":\"RS256\",\"typ\":\"JWT\",\"kid\":\"%s\"}", self->kid);
  self->header_b64 = kt_base64url_encode ((const guint8 *) header, strlen (header));

  self->verified = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                          (GDestroyNotify) json_object_unref);
  self->sign_template = EVP_MD_CTX_new ();
  self->verify_template = EVP_MD_CTX_new ();
  if (EVP_DigestSignInit (self->sign_template, NULL, EVP_sha256 (), NULL, self->pkey) != 1
      || EVP_DigestVerifyInit (self->verify_template, NULL, EVP_sha256 (), NULL, self->pkey) != 1)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "%s: cannot sign with this key", path);
      return NULL;
    }

  return g_steal_pointer (&self);
}

void
ks_signer_free (KsSigner *self)
{
  if (self == NULL)
    return;
  g_clear_pointer (&self->verified, g_hash_table_unref);
  g_clear_pointer (&self->sign_template, EVP_MD_CTX_free);
  g_clear_pointer (&self->verify_template, EVP_MD_CTX_free);
  g_clear_pointer (&self->pkey, EVP_PKEY_free);
  g_free (self->kid);
  g_free (self->n);
  g_free (self->e);
  g_free (self->header_b64);
  g_free (self);
}

const char *
ks_signer_get_kid (KsSigner *self)
{
  return self->kid;
}

JsonObject *
ks_signer_get_jwk (KsSigner *self)
{
  JsonObject *jwk = json_object_new ();

  json_object_set_string_member (jwk, "kty", "RSA");
  json_object_set_string_member (jwk, "kid", self->kid);
  json_object_set_string_member (jwk, "use", "sig");
  json_object_set_string_member (jwk, "alg", "RS256");
  json_object_set_string_member (jwk, "n", self->n);
  json_object_set_string_member (jwk, "e", self->e);
  return jwk;
}

char *
ks_signer_sign_payload (KsSigner   *self,
                        const char *payload,
                        gsize       len)
{
  g_autofree char *payload_b64 = kt_base64url_encode ((const guint8 *) payload, len);
  gsize header_len = strlen (self->header_b64);
  gsize payload_b64_len = strlen (payload_b64);
  g_autofree char *signature_b64 = NULL;
  guint8 signature[1024];
  size_t sig_len = sizeof signature;
  EVP_MD_CTX *ctx = EVP_MD_CTX_new ();
  GString *jwt = g_string_sized_new (header_len + payload_b64_len + 2 + 4 * sizeof signature / 3);
  gboolean ok;

  g_string_append_len (jwt, self->header_b64, header_len);
  g_string_append_c (jwt, '.');
  g_string_append_len (jwt, payload_b64, payload_b64_len);

  ok = EVP_MD_CTX_copy_ex (ctx, self->sign_template) == 1
       && EVP_DigestSign (ctx, signature, &sig_len, (const guint8 *) jwt->str, jwt->len) == 1;
  EVP_MD_CTX_free (ctx);
  if (!ok)
    g_error ("RS256 signing failed with a key that loaded and initialised");

  signature_b64 = kt_base64url_encode (signature, sig_len);
  g_string_append_c (jwt, '.');
  g_string_append (jwt, signature_b64);
  return g_string_free (jwt, FALSE);
}

char *
ks_signer_sign (KsSigner   *self,
                JsonObject *claims)
{
  g_autoptr(JsonNode) node = json_node_init_object (json_node_alloc (), claims);
  g_autofree char *payload = json_to_string (node, FALSE);

  return ks_signer_sign_payload (self, payload, strlen (payload));
}

static JsonObject *
parse_object (GBytes *bytes)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  gsize len = 0;
  const char *data = g_bytes_get_data (bytes, &len);
  JsonNode *root;

  if (!kt_json_is_one_object (data, (gssize) len)
      || !json_parser_load_from_data (parser, data, len, NULL))
    return NULL;
  root = json_parser_get_root (parser);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    return NULL;
  return json_object_ref (json_node_get_object (root));
}

/* A part of a token decoded, when it is written in base64url's one canonical spelling: one
 * token, one spelling, so stray bits in a last character are not ignored. */
static GBytes *
decode_part (const char *text)
{
  g_autoptr(GBytes) decoded = kt_base64url_decode (text, NULL);
  g_autofree char *again = NULL;

  if (decoded == NULL)
    return NULL;
  again = kt_base64url_encode_bytes (decoded);
  if (!g_str_equal (again, text))
    return NULL;
  return g_steal_pointer (&decoded);
}

/* An absent time claim is fine; one that is not a whole number, or lies in the future beyond
 * the leeway, is not. */
static gboolean
time_claim_reached (JsonObject *claims,
                    const char *name,
                    gint64      now)
{
  JsonNode *node = json_object_get_member (claims, name);

  if (node == NULL)
    return TRUE;
  if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_INT64)
    return FALSE;
  return json_node_get_int (node) <= now + KS_TOKEN_CLOCK_LEEWAY;
}

/* Whether @signature is this signer's RS256 signature over the first @len bytes of @jwt. */
static gboolean
signature_is_ours (KsSigner   *self,
                   const char *jwt,
                   gsize       len,
                   GBytes     *signature)
{
  gsize sig_len = 0;
  const guint8 *sig = g_bytes_get_data (signature, &sig_len);
  EVP_MD_CTX *ctx = EVP_MD_CTX_new ();
  gboolean ok;

  ok = EVP_MD_CTX_copy_ex (ctx, self->verify_template) == 1
       && EVP_DigestVerify (ctx, sig, sig_len, (const guint8 *) jwt, len) == 1;
  EVP_MD_CTX_free (ctx);
  return ok;
}

/* The claims of @jwt when it is a well-formed token that this signer signed and that has an
 * expiry, else NULL. Its times are checked by the caller, on every use. */
static JsonObject *
read_signed_claims (KsSigner   *self,
                    const char *jwt)
{
  g_auto(GStrv) parts = g_strsplit (jwt, ".", 4);
  g_autoptr(GBytes) header_bytes = NULL;
  g_autoptr(GBytes) payload_bytes = NULL;
  g_autoptr(GBytes) signature = NULL;
  g_autoptr(JsonObject) header = NULL;
  JsonObject *claims;

  if (g_strv_length (parts) != 3)
    return NULL;
  header_bytes = decode_part (parts[0]);
  payload_bytes = decode_part (parts[1]);
  signature = decode_part (parts[2]);
  if (header_bytes == NULL || payload_bytes == NULL || signature == NULL)
    return NULL;

  header = parse_object (header_bytes);
  if (header == NULL
      || g_strcmp0 (json_object_get_string_member_with_default (header, "alg", ""), "RS256") != 0
      || g_strcmp0 (json_object_get_string_member_with_default (header, "kid", ""),
                    self->kid) != 0)
    return NULL;

  /* The signature covers the two parts exactly as sent. */
  if (!signature_is_ours (self, jwt, strlen (parts[0]) + 1 + strlen (parts[1]), signature))
    return NULL;

  claims = parse_object (payload_bytes);
  if (claims != NULL && !json_object_has_member (claims, "exp"))
    g_clear_pointer (&claims, json_object_unref);
  return claims;
}

JsonObject *
ks_signer_verify (KsSigner    *self,
                  const char  *jwt,
                  gint64       now,
                  GError     **error)
{
  g_autoptr(JsonObject) claims = NULL;

  if (jwt == NULL || strlen (jwt) > 8192)
    goto invalid;

  claims = g_hash_table_lookup (self->verified, jwt);
  if (claims != NULL)
    json_object_ref (claims);
  else
    {
      claims = read_signed_claims (self, jwt);
      if (claims == NULL)
        goto invalid;
      /* Bounded: when full, start over rather than track ages. */
      if (g_hash_table_size (self->verified) >= VERIFIED_CACHE_MAX)
        g_hash_table_remove_all (self->verified);
      g_hash_table_insert (self->verified, g_strdup (jwt), json_object_ref (claims));
    }

  if (!time_claim_reached (claims, "iat", now) || !time_claim_reached (claims, "nbf", now))
    goto invalid;
  if (json_object_get_int_member_with_default (claims, "exp", 0) <= now)
    {
      g_set_error (error, KS_TOKEN_ERROR, KS_TOKEN_ERROR_EXPIRED, "The token has expired");
      return NULL;
    }
  return g_steal_pointer (&claims);

invalid:
  g_set_error (error, KS_TOKEN_ERROR, KS_TOKEN_ERROR_INVALID, "The token is not valid");
  return NULL;
}
