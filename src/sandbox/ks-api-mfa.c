/* ks-api-mfa.c: passkeys (options, registration, assertion, list, rename, delete), MFA devices,
 * recovery codes and single-use MFA tokens
 *
 * Copyright 2026 Keyturn developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "ks-server-private.h"

#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <string.h>

#include "ks-log.h"
#include "ks-recovery.h"
#include "ks-webauthn.h"
#include "kt-base64url.h"
#include "kt-cose.h"

static const gint64 offered_algorithms[] = { KT_COSE_ALG_ES256, KT_COSE_ALG_RS256 };

#define MAX_ALIAS_LENGTH  64

/* PasskeyStorage.icon is required: one plain key icon for every authenticator. */
#define PASSKEY_ICON "data:image/svg+xml;base64," \
  "PHN2ZyB4bWxucz0iaHR0cDovL3d3dy53My5vcmcvMjAwMC9zdmciIHZpZXdCb3g9IjAgMCAxNiAxNiI+PGNpcmNsZSBj" \
  "eD0iNSIgY3k9IjgiIHI9IjMiIGZpbGw9Im5vbmUiIHN0cm9rZT0iIzMzMyIvPjxwYXRoIGQ9Ik04IDhoN00xMyA4djIi" \
  "IHN0cm9rZT0iIzMzMyIvPjwvc3ZnPg=="

/* Names for the authenticators the sandbox knows by AAGUID; others are "Security key". */
static const struct {
  const char *aaguid;
  const char *name;
} known_authenticators[] = {
  { "00000000000000000000000000000000", "Security key" },
  { "ee882879721c491397753dfcce97072a", "YubiKey 5 Series" },
  { "cb69481e8ff7403993ec0a2729a154a8", "YubiKey 5 Series" },
  { "2fc0579f811347eab116bb5a8db9202a", "YubiKey 5 NFC" },
  { "ea9b8d664d011d213ce4b6b48cb575d4", "Google Password Manager" },
  { "adce000235bcc60a648b0b25f1f05503", "Chrome on Mac" },
  { "08987058cadc4b81b6e130de50dcbe96", "Windows Hello" },
};

static const char *
authenticator_name (const guint8 aaguid[16])
{
  char hex[33];

  for (guint i = 0; i < 16; i++)
    g_snprintf (hex + 2 * i, 3, "%02x", aaguid[i]);
  for (guint i = 0; i < G_N_ELEMENTS (known_authenticators); i++)
    if (g_str_equal (hex, known_authenticators[i].aaguid))
      return known_authenticators[i].name;
  return "Security key";
}

static void
reply_webauthn_error (KsRequest *req,
                      GError    *error)
{
  static const char * const codes[] = {
    [KS_WEBAUTHN_ERROR_MALFORMED] = "invalid_passkey_response",
    [KS_WEBAUTHN_ERROR_WRONG_TYPE] = "invalid_type",
    [KS_WEBAUTHN_ERROR_ID_MISMATCH] = "credential_id_mismatch",
    [KS_WEBAUTHN_ERROR_CHALLENGE] = "invalid_challenge",
    [KS_WEBAUTHN_ERROR_ORIGIN] = "invalid_origin",
    [KS_WEBAUTHN_ERROR_RP_ID_HASH] = "invalid_rp_id",
    [KS_WEBAUTHN_ERROR_USER_PRESENCE] = "user_presence_required",
    [KS_WEBAUTHN_ERROR_USER_VERIFICATION] = "user_verification_required",
    [KS_WEBAUTHN_ERROR_BACKUP_FLAGS] = "invalid_backup_flags",
    [KS_WEBAUTHN_ERROR_ALGORITHM] = "unsupported_algorithm",
    [KS_WEBAUTHN_ERROR_CREDENTIAL_ID] = "invalid_credential_id",
    [KS_WEBAUTHN_ERROR_ATTESTATION] = "invalid_attestation",
    [KS_WEBAUTHN_ERROR_SIGNATURE] = "invalid_signature",
    [KS_WEBAUTHN_ERROR_COUNTER] = "sign_count_not_increased",
    [KS_WEBAUTHN_ERROR_TOKEN_BINDING] = "token_binding_unsupported",
    [KS_WEBAUTHN_ERROR_UNKNOWN_CREDENTIAL] = "passkey_not_found",
  };
  const char *code = "invalid_passkey_response";

  if (error->domain == KS_WEBAUTHN_ERROR && error->code >= 0
      && (gsize) error->code < G_N_ELEMENTS (codes) && codes[error->code] != NULL)
    code = codes[error->code];
  ks_log ("req=%s passkey refused: %s (%s)", req->request_id, code, error->message);
  ks_request_reply_error (req, SOUP_STATUS_BAD_REQUEST, code, error->message);
}

static JsonObject *
passkey_json (KsPasskey *passkey)
{
  JsonObject *object = json_object_new ();
  JsonObject *storage = json_object_new ();
  g_autofree char *credential_id = kt_base64url_encode_bytes (passkey->credential_id);
  g_autofree char *created = ks_iso8601 (passkey->created_at);
  g_autofree char *updated = ks_iso8601 (passkey->updated_at);

  json_object_set_string_member (object, "id", passkey->id);
  json_object_set_string_member (object, "credentialId", credential_id);
  /* UserPasskey.alias is a non-nullable string: absent when there is none. */
  if (passkey->alias != NULL)
    json_object_set_string_member (object, "alias", passkey->alias);
  if (passkey->origin != NULL)
    json_object_set_string_member (object, "origin", passkey->origin);
  if (passkey->user_agent != NULL)
    json_object_set_string_member (object, "userAgent", passkey->user_agent);
  json_object_set_string_member (object, "createdAt", created);
  json_object_set_string_member (object, "updatedAt", updated);
  json_object_set_string_member (storage, "name", authenticator_name (passkey->aaguid));
  json_object_set_string_member (storage, "icon", PASSKEY_ICON);
  json_object_set_object_member (object, "storage", storage);
  return object;
}

static JsonObject *
device_json (KsPasskey *passkey,
             gboolean   is_default)
{
  JsonObject *object = json_object_new ();
  g_autofree char *created = ks_iso8601 (passkey->created_at);

  json_object_set_string_member (object, "id", passkey->id);
  json_object_set_string_member (object, "type", "passkey");
  json_object_set_boolean_member (object, "verified", TRUE);
  json_object_set_string_member (object, "createdAt", created);
  json_object_set_string_member (object, "verifiedAt", created);
  json_object_set_boolean_member (object, "default", is_default);
  if (passkey->alias != NULL)
    json_object_set_string_member (object, "alias", passkey->alias);
  return object;
}

static JsonArray *
passkeys_json (GPtrArray *passkeys)
{
  JsonArray *array = json_array_new ();

  for (guint i = 0; i < passkeys->len; i++)
    json_array_add_object_element (array, passkey_json (g_ptr_array_index (passkeys, i)));
  return array;
}

static JsonArray *
devices_json (GPtrArray *passkeys)
{
  JsonArray *devices = json_array_new ();

  for (guint i = 0; i < passkeys->len; i++)
    json_array_add_object_element (devices, device_json (g_ptr_array_index (passkeys, i), i == 0));
  return devices;
}

typedef GPtrArray *(*ListFunc) (KsStore     *store,
                                const char  *user_id,
                                GError     **error);

/* The user's rows as @list reads them: passkeys, only what WebAuthn options name of them
 * (ks_store_list_credentials), or recovery codes. NULL, having answered 500, on error. */
static GPtrArray *
list_for_user (KsRequest *req,
               ListFunc   list)
{
  g_autoptr(GError) error = NULL;
  GPtrArray *rows = list (req->server->store, req->user->id, &error);

  if (rows == NULL)
    ks_request_reply_internal (req, error);
  return rows;
}

/* The user's own passkey by its id; answers 404 otherwise. */
static KsPasskey *
find_own_passkey (KsRequest  *req,
                  const char *id)
{
  g_autoptr(GError) error = NULL;
  KsPasskey *passkey = ks_store_get_passkey (req->server->store, id, &error);

  if (error != NULL)
    {
      ks_request_reply_internal (req, error);
      return NULL;
    }
  if (passkey == NULL || g_strcmp0 (passkey->user_id, req->user->id) != 0)
    {
      ks_request_reply_error (req, SOUP_STATUS_NOT_FOUND, "passkey_not_found",
                              "This account has no passkey with that id");
      g_clear_pointer (&passkey, ks_passkey_free);
    }
  return passkey;
}

static void
write_credential_descriptors (GString   *out,
                              GPtrArray *passkeys)
{
  ks_json_begin_array (out);
  for (guint i = 0; i < passkeys->len; i++)
    {
      KsPasskey *passkey = g_ptr_array_index (passkeys, i);
      g_autofree char *id = kt_base64url_encode_bytes (passkey->credential_id);

      ks_json_element (out);
      ks_json_begin_object (out);
      ks_json_member_string (out, "id", id);
      ks_json_member_string (out, "type", "public-key");
      if (passkey->transports != NULL)
        {
          ks_json_member (out, "transports");
          ks_json_begin_array (out);
          for (guint j = 0; passkey->transports[j] != NULL; j++)
            {
              ks_json_element (out);
              ks_json_string (out, passkey->transports[j]);
            }
          ks_json_end_array (out);
        }
      ks_json_end_object (out);
    }
  ks_json_end_array (out);
}

/* A challenge is 16 random bytes, its expiry (unix ms, big-endian) and a MAC that binds both to
 * this session and this kind of ceremony. Issuing one writes nothing; only an answer is
 * recorded, so that it cannot be answered twice. */
#define CHALLENGE_RANDOM_LEN  16
#define CHALLENGE_MAC_LEN     16
#define CHALLENGE_LEN         (CHALLENGE_RANDOM_LEN + 8 + CHALLENGE_MAC_LEN)

static GBytes *
challenge_mac (KsRequest    *req,
               const char   *kind,
               const guint8 *body)
{
  g_autofree char *context = g_strdup_printf ("webauthn challenge %s %s", kind, req->session->id);
  g_autofree char *message = kt_base64url_encode (body, CHALLENGE_RANDOM_LEN + 8);

  return ks_secret_mac (req->server->secret, context, message);
}

static char *
issue_challenge (KsRequest  *req,
                 const char *kind)
{
  guint8 challenge[CHALLENGE_LEN];
  guint64 expires_at = ks_now_ms () + req->env->challenge_lifetime * 1000;
  g_autoptr(GBytes) mac = NULL;

  if (RAND_bytes (challenge, CHALLENGE_RANDOM_LEN) != 1)
    g_error ("The system has no random bytes to give");
  for (guint i = 0; i < 8; i++)
    challenge[CHALLENGE_RANDOM_LEN + i] = expires_at >> (56 - 8 * i);
  mac = challenge_mac (req, kind, challenge);
  memcpy (challenge + CHALLENGE_RANDOM_LEN + 8, g_bytes_get_data (mac, NULL), CHALLENGE_MAC_LEN);
  return kt_base64url_encode (challenge, sizeof challenge);
}

/* Checks the challenge a response answers and spends it; the spend is kept whatever follows. */
static char *
spend_challenge (KsRequest  *req,
                 const char *kind)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *challenge = ks_webauthn_peek_challenge (req->body, &error);
  g_autoptr(GBytes) decoded = NULL;
  g_autoptr(GBytes) mac = NULL;
  g_autofree char *canonical = NULL;
  const guint8 *bytes;
  guint64 expires_at = 0;
  KsChallenge record = { 0 };

  if (challenge == NULL)
    {
      reply_webauthn_error (req, error);
      return NULL;
    }

  /* Only the exact text we issued: no padding, no other spelling of the same bytes. */
  decoded = kt_base64url_decode (challenge, NULL);
  if (decoded != NULL)
    canonical = kt_base64url_encode_bytes (decoded);
  if (decoded == NULL || g_bytes_get_size (decoded) != CHALLENGE_LEN
      || g_strcmp0 (canonical, challenge) != 0)
    goto not_ours;
  bytes = g_bytes_get_data (decoded, NULL);
  mac = challenge_mac (req, kind, bytes);
  if (CRYPTO_memcmp (g_bytes_get_data (mac, NULL), bytes + CHALLENGE_RANDOM_LEN + 8,
                     CHALLENGE_MAC_LEN) != 0)
    goto not_ours;

  for (guint i = 0; i < 8; i++)
    expires_at = expires_at << 8 | bytes[CHALLENGE_RANDOM_LEN + i];
  if ((gint64) expires_at <= ks_now_ms ())
    {
      ks_request_reply_error (req, SOUP_STATUS_BAD_REQUEST, "challenge_expired",
                              "This challenge has expired: ask for new options");
      return NULL;
    }

  record.session_id = req->session->id;
  record.kind = (char *) kind;
  record.expires_at = expires_at;
  if (!ks_request_spend_once (req, challenge, &record, SOUP_STATUS_BAD_REQUEST, "challenge_used",
                              "This challenge was already answered: ask for new options"))
    return NULL;
  req->keep_changes = TRUE;
  return g_steal_pointer (&challenge);

not_ours:
  ks_request_reply_error (req, SOUP_STATUS_BAD_REQUEST, "invalid_challenge",
                          "This response answers no challenge this session was given");
  return NULL;
}

/* createMfaToken and requestedScopes are checked before anything is spent, so a malformed one
 * costs no challenge. */
static gboolean
check_mfa_token_request (KsRequest *req)
{
  g_auto(GStrv) scopes = NULL;
  JsonObject *ask;
  JsonNode *single_use;

  if (!ks_step_up_read_scopes (req, &scopes)
      || !ks_request_get_object (req, req->body, "createMfaToken", FALSE, &ask))
    return FALSE;
  single_use = ask != NULL ? json_object_get_member (ask, "singleUse") : NULL;
  if (single_use != NULL && (!JSON_NODE_HOLDS_VALUE (single_use)
                             || json_node_get_value_type (single_use) != G_TYPE_BOOLEAN))
    {
      ks_request_reply_error (req, SOUP_STATUS_BAD_REQUEST, "invalid_field",
                              "\"createMfaToken.singleUse\" must be true or false");
      return FALSE;
    }
  return TRUE;
}

/* createMfaToken: {singleUse} -> a token for x-mfa-auth-token; NULL, no error, when not asked. */
static gboolean
mint_mfa_token (KsRequest  *req,
                char      **out)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) hash = NULL;
  g_autofree char *token = NULL;
  JsonObject *ask;
  JsonNode *single_use;
  KsMfaToken record = { 0 };

  *out = NULL;
  if (!ks_request_get_object (req, req->body, "createMfaToken", FALSE, &ask))
    return FALSE;
  if (ask == NULL)
    return TRUE;
  single_use = json_object_get_member (ask, "singleUse");

  token = ks_random_token (32);
  hash = ks_token_hash (token);
  record.session_id = req->session->id;
  record.expires_at = ks_now_ms () + req->env->mfa_token_lifetime * 1000;
  record.single_use = single_use == NULL || json_node_get_boolean (single_use);
  if (!ks_store_insert_mfa_token (req->server->store, hash, &record, &error))
    {
      ks_request_reply_internal (req, error);
      return FALSE;
    }
  *out = g_steal_pointer (&token);
  return TRUE;
}

/* The session has its second factor: upgrade it and answer with a full token. */
static void
complete_mfa (KsRequest  *req,
              const char *credential_id)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *mfa_token = NULL;
  g_auto(GStrv) scopes = NULL;

  if (!ks_step_up_read_scopes (req, &scopes) || !mint_mfa_token (req, &mfa_token))
    return;
  /* A step-up on a session that is already complete changes nothing worth a write. */
  if ((!req->session->mfa_done
       || (credential_id != NULL
           && g_strcmp0 (credential_id, req->session->last_credential_id) != 0))
      && !ks_store_complete_session_mfa (req->server->store, req->session->id, credential_id,
                                         &error))
    {
      ks_request_reply_internal (req, error);
      return;
    }
  req->session->mfa_done = TRUE;
  if (credential_id != NULL)
    {
      g_free (req->session->last_credential_id);
      req->session->last_credential_id = g_strdup (credential_id);
    }
  if (scopes != NULL)
    {
      req->elevated_token = ks_step_up_mint (req, (const char * const *) scopes, &error);
      if (req->elevated_token == NULL)
        {
          ks_request_reply_internal (req, error);
          return;
        }
    }

  ks_request_reply_verify_response (req, req->session, req->user, FALSE, mfa_token, NULL);
}

/* sdk-api-core's generated PasskeyRegistrationCredentialV2ToJSON sends the client data only as
 * response.clientDataJson; Dynamic's client sends both spellings. Either is taken, the same
 * text twice too, and the checks below read response.clientDataJSON. */
static gboolean
accept_client_data_json (KsRequest *req)
{
  JsonObject *response;
  const char *upper, *lower;

  if (!ks_request_get_object (req, req->body, "response", FALSE, &response) || response == NULL)
    return !req->replied;
  if (!ks_request_get_string (req, response, "clientDataJSON", FALSE, &upper)
      || !ks_request_get_string (req, response, "clientDataJson", FALSE, &lower))
    return FALSE;
  if (upper != NULL && lower != NULL && !g_str_equal (upper, lower))
    {
      ks_request_reply_error (req, SOUP_STATUS_BAD_REQUEST, "invalid_passkey_response",
                              "response.clientDataJSON and response.clientDataJson differ");
      return FALSE;
    }
  if (upper == NULL && lower != NULL)
    json_object_set_string_member (response, "clientDataJSON", lower);
  return TRUE;
}

static void
relying_party (KsRequest      *req,
               KsRelyingParty *rp)
{
  rp->rp_id = req->env->rp_id;
  rp->origin = req->env->origin;
  rp->require_user_verification = req->env->require_user_verification;
  rp->algorithms = offered_algorithms;
  rp->n_algorithms = G_N_ELEMENTS (offered_algorithms);
}

void
ks_api_list_passkeys (KsRequest *req)
{
  g_autoptr(GPtrArray) passkeys = list_for_user (req, ks_store_list_passkeys);
  g_autoptr(JsonObject) reply = json_object_new ();

  if (passkeys == NULL)
    return;
  json_object_set_array_member (reply, "passkeys", passkeys_json (passkeys));
  json_object_set_int_member (reply, "count", passkeys->len);
  ks_request_reply_json (req, SOUP_STATUS_OK, reply);
}

/* A half-session may enrol the first passkey, never a second: that would skip the second factor. */
static gboolean
may_register (KsRequest *req,
              GPtrArray *passkeys)
{
  if (!req->full_scope && passkeys->len > 0)
    {
      ks_request_reply_error (req, SOUP_STATUS_FORBIDDEN, "additional_auth_required",
                              "This account already has a passkey: authenticate with it before "
                              "adding another");
      return FALSE;
    }
  return TRUE;
}

void
ks_api_register_options (KsRequest *req)
{
  KsEnvironment *env = req->env;
  g_autoptr(GPtrArray) passkeys = list_for_user (req, ks_store_list_credentials);
  g_autofree char *challenge = NULL;
  g_autofree char *user_handle = NULL;
  GString *options;

  if (passkeys == NULL || !may_register (req, passkeys))
    return;
  challenge = issue_challenge (req, "register");
  if (challenge == NULL)
    return;

  options = g_string_sized_new (1024);
  ks_json_begin_object (options);
  ks_json_member_string (options, "challenge", challenge);

  ks_json_member (options, "rp");
  ks_json_begin_object (options);
  ks_json_member_string (options, "id", env->rp_id);
  ks_json_member_string (options, "name", env->rp_name);
  ks_json_end_object (options);

  /* The user handle is the user's id: stable, and no personal data. */
  user_handle = kt_base64url_encode ((const guint8 *) req->user->id, strlen (req->user->id));
  ks_json_member (options, "user");
  ks_json_begin_object (options);
  ks_json_member_string (options, "id", user_handle);
  ks_json_member_string (options, "name", req->user->email);
  ks_json_member_string (options, "displayName", req->user->email);
  ks_json_end_object (options);

  ks_json_member (options, "pubKeyCredParams");
  ks_json_begin_array (options);
  for (guint i = 0; i < G_N_ELEMENTS (offered_algorithms); i++)
    {
      ks_json_element (options);
      ks_json_begin_object (options);
      ks_json_member_int (options, "alg", offered_algorithms[i]);
      ks_json_member_string (options, "type", "public-key");
      ks_json_end_object (options);
    }
  ks_json_end_array (options);
  ks_json_member_int (options, "timeout", env->challenge_lifetime * 1000);
  ks_json_member (options, "excludeCredentials");
  write_credential_descriptors (options, passkeys);

  ks_json_member (options, "authenticatorSelection");
  ks_json_begin_object (options);
  ks_json_member_string (options, "residentKey", "discouraged");
  ks_json_member_boolean (options, "requireResidentKey", FALSE);
  ks_json_member_string (options, "userVerification",
                         env->require_user_verification ? "required" : "preferred");
  ks_json_end_object (options);
  ks_json_member_string (options, "attestation", env->attestation);
  ks_json_end_object (options);

  ks_request_reply_text (req, SOUP_STATUS_OK, options);
}

void
ks_api_register_passkey (KsRequest *req)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) passkeys = list_for_user (req, ks_store_list_passkeys);
  g_autoptr(KsNewCredential) credential = NULL;
  g_autoptr(KsPasskey) existing = NULL;
  g_autoptr(KsPasskey) passkey = NULL;
  g_autofree char *challenge = NULL;
  const char *user_agent;
  KsRelyingParty rp;
  gint64 now = ks_now_ms ();

  if (passkeys == NULL || !may_register (req, passkeys) || !check_mfa_token_request (req)
      || !accept_client_data_json (req))
    return;
  /* A signed-in user adding a key links a credential; the MFA enrolment of a half-session
   * does not. */
  if (req->full_scope && passkeys->len > 0
      && !ks_request_require_step_up (req, KS_ACTION_LINK_PASSKEY))
    return;
  challenge = spend_challenge (req, "register");
  if (challenge == NULL)
    return;

  relying_party (req, &rp);
  if (!ks_webauthn_verify_registration (&rp, challenge, req->body, &credential, &error))
    {
      reply_webauthn_error (req, error);
      return;
    }

  existing = ks_store_get_passkey_by_credential (req->server->store, req->env->id,
                                                 credential->credential_id, &error);
  if (error != NULL)
    {
      ks_request_reply_internal (req, error);
      return;
    }
  if (existing != NULL)
    {
      ks_request_reply_error (req, SOUP_STATUS_BAD_REQUEST, "passkey_already_registered",
                              "This security key is already registered");
      return;
    }

  user_agent = ks_request_get_header (req, "User-Agent");

  passkey = g_new0 (KsPasskey, 1);
  passkey->id = g_uuid_string_random ();
  passkey->environment_id = g_strdup (req->env->id);
  passkey->user_id = g_strdup (req->user->id);
  passkey->credential_id = g_bytes_ref (credential->credential_id);
  passkey->public_key = g_bytes_ref (credential->public_key);
  passkey->algorithm = credential->algorithm;
  passkey->sign_count = credential->sign_count;
  memcpy (passkey->aaguid, credential->aaguid, sizeof passkey->aaguid);
  passkey->backup_eligible = credential->backup_eligible;
  passkey->backup_state = credential->backup_state;
  passkey->origin = g_strdup (req->env->origin);
  if (user_agent != NULL)
    passkey->user_agent = g_utf8_make_valid (user_agent, MIN (strlen (user_agent), 256));
  passkey->transports = g_strdupv (credential->transports);
  passkey->attestation_format = g_strdup (credential->attestation_format);
  passkey->created_at = now;
  passkey->updated_at = now;
  if (!ks_store_insert_passkey (req->server->store, passkey, &error))
    {
      ks_request_reply_internal (req, error);
      return;
    }

  /* The first enrolment owes an acknowledgement of the recovery codes. */
  if (passkeys->len == 0 && g_strcmp0 (req->user->mfa_acknowledgement, "complete") != 0)
    {
      if (!ks_store_set_acknowledgement (req->server->store, req->user->id, "pending", &error))
        {
          ks_request_reply_internal (req, error);
          return;
        }
      g_free (req->user->mfa_acknowledgement);
      req->user->mfa_acknowledgement = g_strdup ("pending");
    }

  ks_log ("req=%s %s registered a passkey (%s attestation)", req->request_id, req->user->email,
          credential->attestation_format);
  complete_mfa (req, passkey->id);
}

void
ks_api_auth_options (KsRequest *req)
{
  g_autoptr(GPtrArray) passkeys = list_for_user (req, ks_store_list_credentials);
  g_autofree char *challenge = NULL;
  GString *options;

  if (passkeys == NULL)
    return;
  if (passkeys->len == 0)
    {
      ks_request_reply_error (req, SOUP_STATUS_BAD_REQUEST, "no_passkey_registered",
                              "This account has no passkey yet: register one");
      return;
    }
  challenge = issue_challenge (req, "authenticate");
  if (challenge == NULL)
    return;

  options = g_string_sized_new (256 + 128 * passkeys->len);
  ks_json_begin_object (options);
  ks_json_member_string (options, "challenge", challenge);
  ks_json_member_int (options, "timeout", req->env->challenge_lifetime * 1000);
  ks_json_member_string (options, "rpId", req->env->rp_id);
  ks_json_member_string (options, "userVerification",
                         req->env->require_user_verification ? "required" : "preferred");
  ks_json_member (options, "allowCredentials");
  write_credential_descriptors (options, passkeys);
  ks_json_end_object (options);
  ks_request_reply_text (req, SOUP_STATUS_OK, options);
}

void
ks_api_mfa_auth_passkey (KsRequest *req)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) credential_id = NULL;
  g_autoptr(KsPasskey) passkey = NULL;
  g_autoptr(KsWebauthnKey) key = NULL;
  g_autofree char *challenge = NULL;
  KsStoredCredential stored = { 0 };
  KsAssertionResult result = { 0 };
  KsRelyingParty rp;
  JsonObject *response;
  const char *user_handle = NULL;

  if (!check_mfa_token_request (req) || !accept_client_data_json (req))
    return;
  challenge = spend_challenge (req, "authenticate");
  if (challenge == NULL)
    return;

  credential_id = ks_webauthn_peek_credential_id (req->body, &error);
  if (credential_id == NULL)
    {
      reply_webauthn_error (req, error);
      return;
    }
  passkey = ks_store_get_passkey_by_credential (req->server->store, req->env->id, credential_id,
                                                &error);
  if (error != NULL)
    {
      ks_request_reply_internal (req, error);
      return;
    }
  if (passkey == NULL || g_strcmp0 (passkey->user_id, req->user->id) != 0)
    {
      ks_request_reply_error (req, SOUP_STATUS_BAD_REQUEST, "passkey_not_found",
                              "This passkey is not registered to this account");
      return;
    }

  /* A user handle, when the key sends one, must be this user's. */
  if (ks_request_get_object (req, req->body, "response", FALSE, &response) && response != NULL
      && json_object_has_member (response, "userHandle")
      && !JSON_NODE_HOLDS_NULL (json_object_get_member (response, "userHandle")))
    {
      g_autofree char *expected = kt_base64url_encode ((const guint8 *) req->user->id,
                                                       strlen (req->user->id));

      if (!ks_request_get_string (req, response, "userHandle", FALSE, &user_handle))
        return;
      if (g_strcmp0 (user_handle, expected) != 0)
        {
          ks_request_reply_error (req, SOUP_STATUS_BAD_REQUEST, "passkey_not_found",
                                  "This passkey belongs to another user");
          return;
        }
    }
  else if (req->replied)
    return;

  key = g_hash_table_lookup (req->server->prepared_keys, passkey->id);
  if (key != NULL)
    ks_webauthn_key_ref (key);
  else
    {
      key = ks_webauthn_key_new (passkey->public_key, passkey->algorithm, &error);
      if (key == NULL)
        {
          reply_webauthn_error (req, error);
          return;
        }
      g_hash_table_insert (req->server->prepared_keys, g_strdup (passkey->id),
                           ks_webauthn_key_ref (key));
    }

  stored.credential_id = passkey->credential_id;
  stored.public_key = passkey->public_key;
  stored.algorithm = passkey->algorithm;
  stored.sign_count = passkey->sign_count;
  stored.backup_eligible = passkey->backup_eligible;
  stored.prepared = key;
  relying_party (req, &rp);
  if (!ks_webauthn_verify_assertion (&rp, challenge, req->body, &stored, &result, &error))
    {
      reply_webauthn_error (req, error);
      return;
    }

  if (!ks_store_update_passkey_use (req->server->store, passkey->id, result.sign_count,
                                    result.backup_state, &error))
    {
      ks_request_reply_internal (req, error);
      return;
    }

  complete_mfa (req, passkey->id);
}

void
ks_api_rename_passkey (KsRequest *req)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(KsPasskey) passkey = NULL;
  g_autoptr(JsonObject) reply = NULL;
  const char *id, *alias;

  if (!ks_request_get_string (req, req->body, "id", TRUE, &id)
      || !ks_request_get_string (req, req->body, "alias", TRUE, &alias))
    return;
  if (g_utf8_strlen (alias, -1) > MAX_ALIAS_LENGTH || !g_utf8_validate (alias, -1, NULL))
    {
      ks_request_reply_error (req, SOUP_STATUS_BAD_REQUEST, "invalid_field",
                              "\"alias\" is limited to 64 characters");
      return;
    }
  for (const char *p = alias; *p != '\0'; p++)
    if ((guchar) *p < ' ' || *p == 0x7f)
      {
        ks_request_reply_error (req, SOUP_STATUS_BAD_REQUEST, "invalid_field",
                                "\"alias\" cannot hold control characters");
        return;
      }

  passkey = find_own_passkey (req, id);
  if (passkey == NULL || !ks_request_require_step_up (req, KS_ACTION_RENAME_PASSKEY))
    return;
  if (!ks_store_rename_passkey (req->server->store, passkey->id, *alias != '\0' ? alias : NULL,
                                &error))
    {
      ks_request_reply_internal (req, error);
      return;
    }

  g_clear_pointer (&passkey, ks_passkey_free);
  passkey = ks_store_get_passkey (req->server->store, id, &error);
  if (passkey == NULL)
    {
      ks_request_reply_internal (req, error);
      return;
    }
  reply = passkey_json (passkey);
  ks_request_reply_json (req, SOUP_STATUS_OK, reply);
}

static void
delete_passkey (KsRequest  *req,
                const char *id)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(KsPasskey) passkey = find_own_passkey (req, id);

  if (passkey == NULL || !ks_request_require_step_up (req, KS_ACTION_DELETE_PASSKEY))
    return;
  if (!ks_store_delete_passkey (req->server->store, passkey->id, &error))
    {
      ks_request_reply_internal (req, error);
      return;
    }
  g_hash_table_remove (req->server->prepared_keys, passkey->id);
  ks_log ("req=%s %s removed a passkey", req->request_id, req->user->email);
  ks_request_reply_empty (req);
}

void
ks_api_delete_passkey (KsRequest *req)
{
  const char *id;

  if (!ks_request_get_string (req, req->body, "passkeyId", TRUE, &id))
    return;
  delete_passkey (req, id);
}

void
ks_api_delete_device (KsRequest *req)
{
  delete_passkey (req, req->path_arg);
}

void
ks_api_mfa_methods (KsRequest *req)
{
  g_autoptr(GPtrArray) passkeys = list_for_user (req, ks_store_list_passkeys);
  g_autoptr(JsonObject) reply = json_object_new ();

  if (passkeys == NULL)
    return;
  json_object_set_array_member (reply, "devices", devices_json (passkeys));
  json_object_set_array_member (reply, "passkeys", passkeys_json (passkeys));
  json_object_set_boolean_member (reply, "userHasVerifiedMfaMethods", passkeys->len > 0);
  ks_request_reply_json (req, SOUP_STATUS_OK, reply);
}

void
ks_api_mfa_devices (KsRequest *req)
{
  g_autoptr(GPtrArray) passkeys = list_for_user (req, ks_store_list_passkeys);
  g_autoptr(JsonObject) reply = json_object_new ();

  if (passkeys == NULL)
    return;
  json_object_set_array_member (reply, "devices", devices_json (passkeys));
  json_object_set_int_member (reply, "count", passkeys->len);
  ks_request_reply_json (req, SOUP_STATUS_OK, reply);
}

/* Recovery codes */

static gboolean
create_recovery_codes (KsRequest *req)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) sealed = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);

  for (gint i = 0; i < KS_RECOVERY_CODE_COUNT; i++)
    {
      g_autofree char *code = ks_recovery_code_generate ();
      g_autofree char *context = ks_recovery_code_context (req->user->id, i);

      g_ptr_array_add (sealed, ks_secret_seal (req->server->secret, code, context));
    }
  if (!ks_store_replace_recovery_codes (req->server->store, req->user->id, sealed, &error))
    {
      ks_request_reply_internal (req, error);
      return FALSE;
    }
  return TRUE;
}

static void
reply_recovery_codes (KsRequest *req)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) codes = list_for_user (req, ks_store_list_recovery_codes);
  g_autoptr(JsonObject) reply = NULL;
  JsonArray *array;

  if (codes == NULL)
    return;
  reply = json_object_new ();
  array = json_array_new ();
  for (guint i = 0; i < codes->len; i++)
    {
      KsRecoveryCode *code = g_ptr_array_index (codes, i);
      g_autofree char *context = ks_recovery_code_context (req->user->id, code->position);
      g_autofree char *plain = NULL;

      if (code->used)
        continue;
      plain = ks_secret_open (req->server->secret, code->sealed, context);
      if (plain == NULL)
        {
          json_array_unref (array);
          g_set_error (&error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                       "a recovery code does not open with this sandbox's data key");
          ks_request_reply_internal (req, error);
          return;
        }
      json_array_add_string_element (array, plain);
    }
  json_object_set_int_member (reply, "count", json_array_get_length (array));
  json_object_set_array_member (reply, "recoveryCodes", array);
  ks_request_reply_json (req, SOUP_STATUS_OK, reply);
}

void
ks_api_recovery_codes (KsRequest *req)
{
  /* Made on the first call, then the same ones until replaced: Dynamic does the same. */
  g_autoptr(GPtrArray) codes = list_for_user (req, ks_store_list_recovery_codes);

  if (codes == NULL)
    return;
  if (codes->len == 0 && !create_recovery_codes (req))
    return;
  reply_recovery_codes (req);
}

void
ks_api_renew_codes (KsRequest *req)
{
  if (!ks_request_require_step_up (req, KS_ACTION_NEW_RECOVERY_CODES)
      || !create_recovery_codes (req))
    return;
  ks_log ("req=%s %s made new recovery codes; the old ones no longer work", req->request_id,
          req->user->email);
  reply_recovery_codes (req);
}

void
ks_api_auth_recovery (KsRequest *req)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) codes = NULL;
  KsUser *user = req->user;
  const char *typed;
  gint64 now = ks_now_ms ();
  gint position;

  if (!ks_request_get_string (req, req->body, "code", TRUE, &typed)
      || !check_mfa_token_request (req))
    return;

  /* Guessing is bounded: a few wrong codes per window, counted in the store so restarts keep it. */
  if (user->recovery_window_start + KS_RECOVERY_WINDOW_MS <= now)
    {
      user->recovery_failures = 0;
      user->recovery_window_start = now;
    }
  if (user->recovery_failures >= KS_RECOVERY_ATTEMPTS)
    {
      gint64 wait = (user->recovery_window_start + KS_RECOVERY_WINDOW_MS - now + 999) / 1000;

      ks_request_reply_rate_limited (req, wait,
                                     "Too many wrong recovery codes: wait, then try again");
      return;
    }

  codes = list_for_user (req, ks_store_list_recovery_codes);
  if (codes == NULL)
    return;
  position = ks_recovery_code_find (req->server->secret, user->id, codes, typed);

  if (position < 0)
    {
      g_autoptr(JsonObject) payload = json_object_new ();

      user->recovery_failures++;
      req->keep_changes = TRUE;
      if (!ks_store_set_recovery_failures (req->server->store, user->id, user->recovery_failures,
                                           user->recovery_window_start, &error))
        {
          ks_request_reply_internal (req, error);
          return;
        }
      json_object_set_int_member (payload, "attemptsLeft",
                                  KS_RECOVERY_ATTEMPTS - user->recovery_failures);
      ks_request_reply_error_payload (req, SOUP_STATUS_BAD_REQUEST, "mfa_invalid_code",
                                      "That recovery code is not valid or was already used",
                                      payload);
      return;
    }

  if (!ks_store_spend_recovery_code (req->server->store, user->id, position, &error)
      || !ks_store_set_recovery_failures (req->server->store, user->id, 0, now, &error))
    {
      ks_request_reply_internal (req, error);
      return;
    }
  ks_log ("req=%s %s spent a recovery code", req->request_id, user->email);
  complete_mfa (req, NULL);
}
