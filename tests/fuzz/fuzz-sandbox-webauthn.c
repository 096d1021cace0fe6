/* fuzz-sandbox-webauthn.c: the sandbox's relying-party checks on the bodies that
 * POST /users/passkeys/register and POST /users/mfa/auth/passkey carry: clientDataJSON,
 * attestationObject (CBOR, attestation statements, certificates), authenticatorData and the
 * assertion signature.
 *
 * Input: a JSON object {"rpId", "origin", "requireUserVerification", "registration",
 * "assertion"}, each member optional. The registration is checked as the sandbox checks a new
 * passkey; the assertion then against the credential it registered, or against a fixed ES256 key
 * when there is none, so that a seed made of a real ceremony pair reaches the signature check.
 *
 * Copyright 2026 Keyturn developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <json-glib/json-glib.h>

#include "fuzz.h"
#include "kt-base64url.h"
#include "ks-webauthn.h"

/* A P-256 COSE_Key (kty 2, alg -7, crv 1) whose private half nobody holds. */
static const char fallback_key_b64[] =
  "pQECAyYgASFYILPdV57PGAWnoetfc9jA91bsdFCHZVb0hLIWu5oFSmpGIlggN2HolHkQ2g8lI5FbMXKEpqUMmKdZkJQg"
  "OSA78XIQ6mg";

int
LLVMFuzzerInitialize (int    *argc,
                      char ***argv)
{
  return 0;
}

static const char *
member_string (JsonObject *object,
               const char *name,
               const char *fallback)
{
  JsonNode *node = json_object_get_member (object, name);

  if (node != NULL && JSON_NODE_HOLDS_VALUE (node)
      && json_node_get_value_type (node) == G_TYPE_STRING)
    return json_node_get_string (node);
  return fallback;
}

static JsonObject *
member_object (JsonObject *object,
               const char *name)
{
  JsonNode *node = json_object_get_member (object, name);

  return node != NULL && JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
}

static void
check_assertion (const KsRelyingParty *rp,
                 JsonObject           *assertion,
                 KsNewCredential      *registered)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) fallback_key = NULL;
  g_autoptr(GBytes) credential_id = NULL;
  g_autoptr(KsWebauthnKey) prepared = NULL;
  g_autofree char *challenge = NULL;
  KsStoredCredential stored = { 0 };
  KsAssertionResult result = { 0 };

  challenge = ks_webauthn_peek_challenge (assertion, &error);
  if (challenge == NULL)
    return;
  credential_id = ks_webauthn_peek_credential_id (assertion, &error);
  if (credential_id == NULL)
    return;

  if (registered != NULL)
    {
      stored.credential_id = registered->credential_id;
      stored.public_key = registered->public_key;
      stored.algorithm = registered->algorithm;
      stored.sign_count = registered->sign_count;
      stored.backup_eligible = registered->backup_eligible;
    }
  else
    {
      fallback_key = kt_base64url_decode (fallback_key_b64, NULL);
      g_assert_nonnull (fallback_key);
      stored.credential_id = credential_id;
      stored.public_key = fallback_key;
      stored.algorithm = -7;
    }

  /* Checked once unprepared and once with the key decoded ahead, as the server may do either. */
  (void) ks_webauthn_verify_assertion (rp, challenge, assertion, &stored, &result, NULL);
  prepared = ks_webauthn_key_new (stored.public_key, stored.algorithm, NULL);
  if (prepared != NULL)
    {
      stored.prepared = prepared;
      (void) ks_webauthn_verify_assertion (rp, challenge, assertion, &stored, &result, NULL);
    }
}

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(KsNewCredential) registered = NULL;
  JsonObject *root, *registration, *assertion;
  JsonNode *node;
  KsRelyingParty rp = { 0 };

  /* As the server reads a body: json-glib, and an object or nothing. */
  if (!json_parser_load_from_data (parser, (const char *) data, (gssize) size, NULL))
    return 0;
  node = json_parser_get_root (parser);
  if (node == NULL || !JSON_NODE_HOLDS_OBJECT (node))
    return 0;
  root = json_node_get_object (node);

  rp.rp_id = member_string (root, "rpId", "localhost");
  rp.origin = member_string (root, "origin", "http://localhost:8765");
  node = json_object_get_member (root, "requireUserVerification");
  rp.require_user_verification = node != NULL && JSON_NODE_HOLDS_VALUE (node)
                                 && json_node_get_value_type (node) == G_TYPE_BOOLEAN
                                 && json_node_get_boolean (node);

  registration = member_object (root, "registration");
  if (registration != NULL)
    {
      g_autoptr(GError) error = NULL;
      g_autofree char *challenge = ks_webauthn_peek_challenge (registration, &error);

      if (challenge != NULL
          && !ks_webauthn_verify_registration (&rp, challenge, registration, &registered, &error))
        g_assert_error (error, KS_WEBAUTHN_ERROR, error->code);
    }

  assertion = member_object (root, "assertion");
  if (assertion != NULL)
    check_assertion (&rp, assertion, registered);
  return 0;
}
