/* ks-webauthn.c: the relying-party checks of WebAuthn Level 3 §7.1 (registration) and §7.2
 * (assertion): the credential's JSON, clientDataJSON and the authenticator data; the credential
 * key and the attestation formats have their own files
 *
 * Copyright 2026 Keyturn developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "ks-webauthn.h"

#include <string.h>

#include "kt-base64url.h"
#include "kt-cbor.h"
#include "kt-cose.h"
#include "kt-json-span.h"
#include "ks-attestation-private.h"
#include "ks-json-strings.h"
#include "ks-webauthn-private.h"

#define AUTH_DATA_MIN_LEN 37          /* rpIdHash 32, flags 1, signCount 4 */

static const gint64 default_algorithms[] = { KT_COSE_ALG_ES256, KT_COSE_ALG_RS256 };

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
    return ks_webauthn_fail (error, KS_WEBAUTHN_ERROR_MALFORMED,
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
    ks_webauthn_fail (error, KS_WEBAUTHN_ERROR_MALFORMED,
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
    return ks_webauthn_fail (error, KS_WEBAUTHN_ERROR_MALFORMED,
                             "The credential is not a JSON object.");
  if (!require_string (credential, "id", "credential", &env->id, error) ||
      !require_string (credential, "rawId", "credential", &env->raw_id, error) ||
      !require_string (credential, "type", "credential", &type, error))
    return FALSE;

  response = json_object_get_member (credential, "response");
  if (response == NULL || !JSON_NODE_HOLDS_OBJECT (response))
    return ks_webauthn_fail (error, KS_WEBAUTHN_ERROR_MALFORMED,
                             "The credential has no \"response\" object.");
  env->response = json_node_get_object (response);
  if (!require_string (env->response, "clientDataJSON", "response", &client_data, error))
    return FALSE;

  if (strcmp (type, "public-key") != 0)
    return ks_webauthn_fail (error, KS_WEBAUTHN_ERROR_WRONG_TYPE,
                             "The credential's type is \"%s\", not \"public-key\".",
                             shown = quoted (type));

  if ((env->raw_id_bytes = decode_member (env->raw_id, "credential's rawId", error)) == NULL)
    return FALSE;
  /* id is rawId in base64url; anything else means a client that mangled one of them. */
  if (strcmp (env->id, env->raw_id) != 0)
    return ks_webauthn_fail (error, KS_WEBAUTHN_ERROR_ID_MISMATCH,
                             "The credential's id and rawId differ.");
  id_len = g_bytes_get_size (env->raw_id_bytes);
  if (id_len == 0 || id_len > CREDENTIAL_ID_MAX_LEN)
    return ks_webauthn_fail (error, KS_WEBAUTHN_ERROR_CREDENTIAL_ID,
                             "The credential id is %" G_GSIZE_FORMAT " bytes long; it must be "
                             "1 to %d.", id_len, CREDENTIAL_ID_MAX_LEN);

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
    return ks_webauthn_fail (error, KS_WEBAUTHN_ERROR_MALFORMED,
                             "clientDataJSON is empty or holds a NUL byte.");
  if (!kt_json_is_one_object (data, (gssize) len))
    return ks_webauthn_fail (error, KS_WEBAUTHN_ERROR_MALFORMED,
                             "clientDataJSON is not one JSON object.");
  parser = json_parser_new_immutable ();
  if (!json_parser_load_from_data (parser, data, len, &local))
    return ks_webauthn_fail (error, KS_WEBAUTHN_ERROR_MALFORMED,
                             "clientDataJSON is not valid JSON: %s", local->message);
  root = json_parser_get_root (parser);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    return ks_webauthn_fail (error, KS_WEBAUTHN_ERROR_MALFORMED,
                             "clientDataJSON is not a JSON object.");
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
    return ks_webauthn_fail (error, KS_WEBAUTHN_ERROR_MALFORMED,
                             "clientDataJSON's crossOrigin is not a boolean.");
  token_binding = json_object_get_member (object, "tokenBinding");
  if (token_binding != NULL && !JSON_NODE_HOLDS_NULL (token_binding))
    {
      if (!JSON_NODE_HOLDS_OBJECT (token_binding) ||
          (token_status = string_member (json_node_get_object (token_binding), "status")) == NULL)
        return ks_webauthn_fail (error, KS_WEBAUTHN_ERROR_MALFORMED,
                                 "clientDataJSON's tokenBinding is not an object with a string "
                                 "status.");
      if (strcmp (token_status, "present") != 0 && strcmp (token_status, "supported") != 0 &&
          strcmp (token_status, "not-supported") != 0)
        return ks_webauthn_fail (error, KS_WEBAUTHN_ERROR_MALFORMED,
                                 "clientDataJSON's tokenBinding status \"%s\" is unknown.",
                                 shown = quoted (token_status));
    }

  if (strcmp (type, expected_type) != 0)
    return ks_webauthn_fail (error, KS_WEBAUTHN_ERROR_WRONG_TYPE,
                             "clientDataJSON's type is \"%s\", not \"%s\".", shown = quoted (type),
                             expected_type);

  challenge_bytes = kt_base64url_decode (challenge, &local);
  if (challenge_bytes == NULL)
    return ks_webauthn_fail (error, KS_WEBAUTHN_ERROR_CHALLENGE,
                             "clientDataJSON's challenge is not canonical unpadded base64url: %s",
                             local->message);
  if (strcmp (challenge, expected_challenge) != 0)
    return ks_webauthn_fail (error, KS_WEBAUTHN_ERROR_CHALLENGE,
                             "clientDataJSON's challenge is not the one this ceremony issued.");

  if (strcmp (origin, rp->origin) != 0)
    return ks_webauthn_fail (error, KS_WEBAUTHN_ERROR_ORIGIN,
                             "clientDataJSON's origin is \"%s\", not the environment's \"%s\".",
                             shown = quoted (origin), rp->origin);
  if (cross_origin != NULL && !JSON_NODE_HOLDS_NULL (cross_origin) &&
      json_node_get_boolean (cross_origin))
    return ks_webauthn_fail (error, KS_WEBAUTHN_ERROR_ORIGIN,
                             "clientDataJSON says the ceremony ran in a cross-origin frame; the "
                             "environment does not allow that.");
  if (token_status != NULL && strcmp (token_status, "present") == 0)
    return ks_webauthn_fail (error, KS_WEBAUTHN_ERROR_TOKEN_BINDING,
                             "clientDataJSON says token binding is present; the sandbox does not "
                             "support it.");

  return TRUE;
}

/* Authenticator data (§6.1) */

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
  g_autoptr(cbor_item_t) map = ks_webauthn_cbor_load (data, len, consumed,
                                                      "authenticator extensions", error);

  if (map == NULL)
    return FALSE;
  if (!cbor_isa_map (map) || !cbor_map_is_definite (map))
    return ks_webauthn_fail (error, KS_WEBAUTHN_ERROR_MALFORMED,
                             "The authenticator extensions are not a CBOR map.");
  for (gsize i = 0; i < cbor_map_size (map); i++)
    if (!cbor_isa_string (cbor_map_handle (map)[i].key) ||
        !cbor_string_is_definite (cbor_map_handle (map)[i].key))
      return ks_webauthn_fail (error, KS_WEBAUTHN_ERROR_MALFORMED,
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
    return ks_webauthn_fail (error, KS_WEBAUTHN_ERROR_MALFORMED,
                             "The authenticator data is %" G_GSIZE_FORMAT " bytes; at least 37 "
                             "are needed.", len);
  ad->data = data;
  ad->len = len;
  ad->rp_id_hash = data;
  ad->flags = data[32];
  ad->sign_count = (guint32) data[33] << 24 | (guint32) data[34] << 16 |
                   (guint32) data[35] << 8 | data[36];

  if (registration && !(ad->flags & FLAG_AT))
    return ks_webauthn_fail (error, KS_WEBAUTHN_ERROR_MALFORMED,
                             "The authenticator data of a registration has no attested credential "
                             "data (AT).");
  if (!registration && (ad->flags & FLAG_AT))
    return ks_webauthn_fail (error, KS_WEBAUTHN_ERROR_MALFORMED,
                             "The authenticator data of an assertion claims attested credential "
                             "data (AT).");

  if (ad->flags & FLAG_AT)
    {
      if (len - offset < 18)
        return ks_webauthn_fail (error, KS_WEBAUTHN_ERROR_MALFORMED,
                                 "The attested credential data is truncated.");
      ad->aaguid = data + offset;
      ad->credential_id_len = (gsize) data[offset + 16] << 8 | data[offset + 17];
      offset += 18;
      if (ad->credential_id_len == 0 || ad->credential_id_len > CREDENTIAL_ID_MAX_LEN)
        return ks_webauthn_fail (error, KS_WEBAUTHN_ERROR_CREDENTIAL_ID,
                                 "The credential id is %" G_GSIZE_FORMAT " bytes long; it "
                                 "must be 1 to %d.", ad->credential_id_len,
                                 CREDENTIAL_ID_MAX_LEN);
      if (len - offset < ad->credential_id_len)
        return ks_webauthn_fail (error, KS_WEBAUTHN_ERROR_MALFORMED,
                                 "The attested credential id is truncated.");
      ad->credential_id = data + offset;
      offset += ad->credential_id_len;

      ad->public_key = data + offset;
      ad->key = ks_webauthn_key_decode (data + offset, len - offset, &consumed, &ad->algorithm,
                                        error);
      if (ad->key == NULL)
        return FALSE;
      ad->public_key_len = consumed;
      offset += consumed;
    }

  if (ad->flags & FLAG_ED)
    {
      if (offset == len)
        return ks_webauthn_fail (error, KS_WEBAUTHN_ERROR_MALFORMED,
                                 "The authenticator data sets ED but holds no extensions.");
      if (!parse_extensions (data + offset, len - offset, &consumed, error))
        return FALSE;
      offset += consumed;
    }

  if (offset != len)
    return ks_webauthn_fail (error, KS_WEBAUTHN_ERROR_MALFORMED,
                             "The authenticator data has trailing bytes after its end "
                             "(%" G_GSIZE_FORMAT ").", len - offset);
  return TRUE;
}

/* The flag checks both ceremonies share (§7.1 steps 14-16, §7.2 steps 15-18). */
static gboolean
check_auth_data (const AuthData       *ad,
                 const KsRelyingParty *rp,
                 GError              **error)
{
  guint8 expected[SHA256_DIGEST_LENGTH];

  ks_webauthn_sha256 (rp->rp_id, strlen (rp->rp_id), expected);
  if (memcmp (ad->rp_id_hash, expected, sizeof expected) != 0)
    return ks_webauthn_fail (error, KS_WEBAUTHN_ERROR_RP_ID_HASH,
                             "The authenticator data's rpIdHash is not SHA-256 of the rp id "
                             "\"%s\".", rp->rp_id);
  if (!(ad->flags & FLAG_UP))
    return ks_webauthn_fail (error, KS_WEBAUTHN_ERROR_USER_PRESENCE,
                             "The authenticator did not report user presence (UP).");
  if (rp->require_user_verification && !(ad->flags & FLAG_UV))
    return ks_webauthn_fail (error, KS_WEBAUTHN_ERROR_USER_VERIFICATION,
                             "The environment requires user verification and the authenticator "
                             "did not report it (UV).");
  if ((ad->flags & FLAG_BS) && !(ad->flags & FLAG_BE))
    return ks_webauthn_fail (error, KS_WEBAUTHN_ERROR_BACKUP_FLAGS,
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
      ks_webauthn_fail (error, KS_WEBAUTHN_ERROR_MALFORMED,
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
      ks_webauthn_fail (error, KS_WEBAUTHN_ERROR_MALFORMED,
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
      ks_webauthn_fail (error, KS_WEBAUTHN_ERROR_MALFORMED, "The credential has no rawId string.");
      return NULL;
    }
  return decode_member (raw_id, "credential's rawId", error);
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

  *out = NULL;
  if (node == NULL || JSON_NODE_HOLDS_NULL (node))
    return TRUE;
  if (!JSON_NODE_HOLDS_ARRAY (node))
    return ks_webauthn_fail (error, KS_WEBAUTHN_ERROR_MALFORMED,
                             "response.transports is not an array.");
  *out = ks_json_dup_strings (node);
  if (*out == NULL)
    return ks_webauthn_fail (error, KS_WEBAUTHN_ERROR_MALFORMED,
                             "response.transports holds a non-string.");
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
  g_autoptr(cbor_item_t) object = NULL;
  g_autoptr(KsNewCredential) result = NULL;
  g_auto(GStrv) transports = NULL;
  cbor_item_t *fmt = NULL, *stmt = NULL, *auth_data = NULL;
  const char *attestation_text;
  Attestation statement = { 0 };
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
  ks_webauthn_sha256 (g_bytes_get_data (env.client_data, NULL), g_bytes_get_size (env.client_data),
                      client_hash);

  /* Step 12: the attestation object is a map of exactly fmt, attStmt and authData. */
  if ((attestation = decode_member (attestation_text, "attestationObject", error)) == NULL)
    return FALSE;
  att = g_bytes_get_data (attestation, &att_len);
  object = ks_webauthn_cbor_load (att, att_len, &consumed, "attestation object", error);
  if (object == NULL)
    return FALSE;
  if (consumed != att_len)
    return ks_webauthn_fail (error, KS_WEBAUTHN_ERROR_MALFORMED,
                             "The attestation object has trailing bytes after its end "
                             "(%" G_GSIZE_FORMAT ").",
                             att_len - consumed);
  if (!cbor_isa_map (object) || !cbor_map_is_definite (object) || cbor_map_size (object) != 3)
    return ks_webauthn_fail (error, KS_WEBAUTHN_ERROR_MALFORMED,
                             "The attestation object is not a map of exactly fmt, attStmt and "
                             "authData.");
  for (gsize i = 0; i < 3; i++)
    {
      struct cbor_pair *pair = &cbor_map_handle (object)[i];
      cbor_item_t **slot = ks_webauthn_cbor_text_is (pair->key, "fmt") ? &fmt
                         : ks_webauthn_cbor_text_is (pair->key, "attStmt") ? &stmt
                         : ks_webauthn_cbor_text_is (pair->key, "authData") ? &auth_data : NULL;

      if (slot == NULL || *slot != NULL)
        return ks_webauthn_fail (error, KS_WEBAUTHN_ERROR_MALFORMED,
                                 "The attestation object is not a map of exactly fmt, attStmt and "
                                 "authData.");
      *slot = pair->value;
    }
  if (!cbor_isa_string (fmt) || !cbor_string_is_definite (fmt) ||
      !cbor_isa_map (stmt) || !cbor_map_is_definite (stmt) ||
      !ks_webauthn_cbor_is_bytes (auth_data))
    return ks_webauthn_fail (error, KS_WEBAUTHN_ERROR_MALFORMED,
                             "The attestation object's fmt is not text, attStmt not a map or "
                             "authData not bytes.");
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
          return ks_webauthn_fail (error, KS_WEBAUTHN_ERROR_ALGORITHM,
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
    return ks_webauthn_fail (error, KS_WEBAUTHN_ERROR_ID_MISMATCH,
                             "The credential's rawId is not the credential id in the "
                             "authenticator data.");
  if (!algorithm_offered (rp, ad.algorithm))
    return ks_webauthn_fail (error, KS_WEBAUTHN_ERROR_ALGORITHM,
                             "The credential key's alg %" G_GINT64_FORMAT " is not among the "
                             "pubKeyCredParams the environment offered.", ad.algorithm);

  /* Steps 20-21: the attestation statement */
  statement.stmt = stmt;
  statement.ad = &ad;
  statement.client_hash = client_hash;
  if (!ks_attestation_verify (fmt_name, &statement, error))
    return FALSE;

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
  result->attestation_type = g_strdup (statement.type);
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
  guint8 client_hash[SHA256_DIGEST_LENGTH], digest[SHA256_DIGEST_LENGTH];
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
    return ks_webauthn_fail (error, KS_WEBAUTHN_ERROR_UNKNOWN_CREDENTIAL,
                             "The assertion names a different credential than the stored one.");
  user_handle_node = json_object_get_member (env.response, "userHandle");
  if (user_handle_node != NULL && !JSON_NODE_HOLDS_NULL (user_handle_node))
    {
      const char *text = string_member (env.response, "userHandle");

      if (text == NULL)
        return ks_webauthn_fail (error, KS_WEBAUTHN_ERROR_MALFORMED,
                                 "response.userHandle is not a string.");
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
    return ks_webauthn_fail (error, KS_WEBAUTHN_ERROR_BACKUP_FLAGS,
                             "The credential's backup eligibility (BE) changed since it was "
                             "registered.");

  /* Steps 19-21: the signature over authenticatorData || SHA-256 (clientDataJSON) */
  if (stored->prepared == NULL &&
      (key = ks_webauthn_key_new (stored->public_key, stored->algorithm, error)) == NULL)
    return FALSE;
  ks_webauthn_sha256 (g_bytes_get_data (env.client_data, NULL), g_bytes_get_size (env.client_data),
                      client_hash);
  ks_webauthn_signed_digest (ad_bytes, ad_len, client_hash, digest);
  {
    KsWebauthnKey *k = stored->prepared != NULL ? stored->prepared : key;

    if (!ks_webauthn_key_verify_digest (k, digest, g_bytes_get_data (signature, NULL),
                                        g_bytes_get_size (signature)))
      return ks_webauthn_fail (error, KS_WEBAUTHN_ERROR_SIGNATURE,
                               "The assertion signature does not verify with the credential's "
                               "public key.");
  }

  /* Step 22: a counter that does not grow means a cloned authenticator, unless both are 0. */
  if ((ad.sign_count != 0 || stored->sign_count != 0) && ad.sign_count <= stored->sign_count)
    return ks_webauthn_fail (error, KS_WEBAUTHN_ERROR_COUNTER,
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
