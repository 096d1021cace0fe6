/* ks-request.c: what every endpoint does with its request: read its members, answer it, check
 * its tokens, write the models every sign-in answers with
 *
 * The routing in ks-server.c and the endpoints in ks-api-*.c both call down into this file;
 * nothing here calls back into either.
 *
 * Copyright 2026 Keyturn developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "ks-server-private.h"

#include <openssl/evp.h>
#include <string.h>

#include "ks-log.h"

void
ks_message_set_json_body (SoupServerMessage *msg,
                          JsonObject        *object)
{
  g_autoptr(JsonNode) node = json_node_init_object (json_node_alloc (), object);
  gsize len = 0;
  char *text = json_to_string (node, FALSE);

  len = strlen (text);
  soup_server_message_set_response (msg, "application/json", SOUP_MEMORY_TAKE, text, len);
}

void
ks_request_reply_json (KsRequest  *req,
                       guint       status,
                       JsonObject *object)
{
  soup_server_message_set_status (req->msg, status, NULL);
  ks_message_set_json_body (req->msg, object);
  req->replied = TRUE;
}

void
ks_request_reply_text (KsRequest *req,
                       guint      status,
                       GString   *text)
{
  gsize len = text->len;

  soup_server_message_set_status (req->msg, status, NULL);
  soup_server_message_set_response (req->msg, "application/json", SOUP_MEMORY_TAKE,
                                    g_string_free (text, FALSE), len);
  req->replied = TRUE;
}

void
ks_request_reply_empty (KsRequest *req)
{
  soup_server_message_set_status (req->msg, SOUP_STATUS_NO_CONTENT, NULL);
  req->replied = TRUE;
}

JsonObject *
ks_error_object (const char *code,
                 const char *message,
                 JsonObject *payload)
{
  JsonObject *object = json_object_new ();

  json_object_set_string_member (object, "error", message);
  json_object_set_string_member (object, "code", code);
  if (payload != NULL)
    json_object_set_object_member (object, "payload", json_object_ref (payload));
  return object;
}

void
ks_request_reply_error_payload (KsRequest  *req,
                                guint       status,
                                const char *code,
                                const char *message,
                                JsonObject *payload)
{
  g_autoptr(JsonObject) object = ks_error_object (code, message, payload);

  ks_request_reply_json (req, status, object);
}

void
ks_request_reply_error (KsRequest  *req,
                        guint       status,
                        const char *code,
                        const char *message)
{
  ks_request_reply_error_payload (req, status, code, message, NULL);
}

void
ks_request_reply_rate_limited (KsRequest  *req,
                               gint64      retry_after,
                               const char *message)
{
  g_autoptr(JsonObject) payload = json_object_new ();
  g_autofree char *seconds = g_strdup_printf ("%" G_GINT64_FORMAT, MAX (retry_after, 1));

  json_object_set_int_member (payload, "retryAfter", MAX (retry_after, 1));
  soup_message_headers_replace (soup_server_message_get_response_headers (req->msg),
                                "Retry-After", seconds);
  ks_request_reply_error_payload (req, KS_STATUS_TOO_MANY_REQUESTS, "mfa_rate_limited", message,
                                  payload);
}

void
ks_request_reply_internal (KsRequest *req,
                           GError    *error)
{
  ks_log ("req=%s internal error: %s", req->request_id,
          error != NULL ? error->message : "unknown");
  req->keep_changes = FALSE;
  ks_request_reply_error (req, SOUP_STATUS_INTERNAL_SERVER_ERROR, "internal_error",
                          "The sandbox failed to handle this request; see its log");
}

const char *
ks_request_get_header (KsRequest  *req,
                       const char *name)
{
  return soup_message_headers_get_one (soup_server_message_get_request_headers (req->msg), name);
}

/* Body members */

static gboolean
is_string (JsonNode *node)
{
  return JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == G_TYPE_STRING;
}

static gboolean
is_object (JsonNode *node)
{
  return JSON_NODE_HOLDS_OBJECT (node);
}

/* The member @name of @object in *@out, NULL when it is absent (or null) and not required; FALSE,
 * having answered 400, when a required one is missing or one is not what @fits takes. */
static gboolean
get_member (KsRequest   *req,
            JsonObject  *object,
            const char  *name,
            gboolean     required,
            gboolean   (*fits) (JsonNode *node),
            const char  *must_be,
            JsonNode   **out)
{
  JsonNode *node = object != NULL ? json_object_get_member (object, name) : NULL;

  *out = NULL;
  if (node == NULL || (JSON_NODE_HOLDS_NULL (node) && !required))
    {
      if (!required)
        return TRUE;
      g_autofree char *message = g_strdup_printf ("\"%s\" is required", name);
      ks_request_reply_error (req, SOUP_STATUS_BAD_REQUEST, "missing_field", message);
      return FALSE;
    }
  if (!fits (node))
    {
      g_autofree char *message = g_strdup_printf ("\"%s\" must be %s", name, must_be);
      ks_request_reply_error (req, SOUP_STATUS_BAD_REQUEST, "invalid_field", message);
      return FALSE;
    }
  *out = node;
  return TRUE;
}

gboolean
ks_request_get_string (KsRequest   *req,
                       JsonObject  *object,
                       const char  *name,
                       gboolean     required,
                       const char **out)
{
  JsonNode *node;
  gboolean ok = get_member (req, object, name, required, is_string, "a string", &node);

  *out = node != NULL ? json_node_get_string (node) : NULL;
  return ok;
}

gboolean
ks_request_get_object (KsRequest   *req,
                       JsonObject  *object,
                       const char  *name,
                       gboolean     required,
                       JsonObject **out)
{
  JsonNode *node;
  gboolean ok = get_member (req, object, name, required, is_object, "an object", &node);

  *out = node != NULL ? json_node_get_object (node) : NULL;
  return ok;
}

/* Tokens and sessions */

char *
ks_iso8601 (gint64 unix_ms)
{
  g_autoptr(GDateTime) utc = g_date_time_new_from_unix_utc (unix_ms / 1000);
  g_autoptr(GDateTime) dt = g_date_time_add (utc, (unix_ms % 1000) * 1000);

  return g_date_time_format (dt, "%Y-%m-%dT%H:%M:%S.%fZ");
}

/* The credential the session was last verified with: its email's until a passkey takes over. */
static const char *
last_credential_id (KsUser    *user,
                    KsSession *session)
{
  return session->last_credential_id != NULL
         ? session->last_credential_id : user->email_credential_id;
}

void
ks_request_write_user (GString    *out,
                       KsUser     *user,
                       KsSession  *session,
                       const char *scope,
                       gboolean    new_user)
{
  g_autofree char *created = ks_iso8601 (user->created_at);

  ks_json_begin_object (out);
  ks_json_member_string (out, "id", user->id);
  ks_json_member_string (out, "projectEnvironmentId", user->environment_id);
  ks_json_member_string (out, "email", user->email);
  ks_json_member_string (out, "scope", scope);
  ks_json_member_string (out, "sessionId", session->id);
  ks_json_member_string (out, "mfaBackupCodeAcknowledgement", user->mfa_acknowledgement);
  ks_json_member (out, "verifiedCredentials");
  ks_json_begin_array (out);
  ks_json_element (out);
  ks_json_begin_object (out);
  ks_json_member_string (out, "id", user->email_credential_id);
  ks_json_member_string (out, "format", "email");
  ks_json_member_string (out, "email", user->email);
  /* The wire name: sdk-api-core's JwtVerifiedCredentialFromJSON reads public_identifier. */
  ks_json_member_string (out, "public_identifier", user->email);
  ks_json_member_boolean (out, "signInEnabled", TRUE);
  ks_json_end_object (out);
  ks_json_end_array (out);
  ks_json_member (out, "missingFields");
  ks_json_begin_array (out);
  ks_json_end_array (out);
  ks_json_member_boolean (out, "newUser", new_user);
  ks_json_member_string (out, "lastVerifiedCredentialId", last_credential_id (user, session));
  ks_json_member_string (out, "firstVisit", created);
  ks_json_end_object (out);
}

void
ks_request_begin_claims (KsRequest *req,
                         GString   *claims,
                         KsUser    *user,
                         KsSession *session)
{
  KsEnvironment *env = req->env;
  g_autofree char *issuer = g_strconcat (req->server->base_url, "/sdk/", env->id, NULL);

  ks_json_begin_object (claims);
  ks_json_member_string (claims, "kid", ks_signer_get_kid (req->signer));
  ks_json_member_string (claims, "aud", env->origin);
  ks_json_member_string (claims, "iss", issuer);
  ks_json_member_string (claims, "sub", user->id);
  ks_json_member_string (claims, "sid", session->id);
  ks_json_member_string (claims, "environment_id", env->id);
}

static GString *
verify_response (KsRequest   *req,
                 KsSession   *session,
                 KsUser      *user,
                 gboolean     new_user,
                 const char  *mfa_token,
                 const char  *next_view,
                 GError     **error)
{
  KsEnvironment *env = req->env;
  gboolean needs_mfa = FALSE;
  const char *scope;
  gint64 now = ks_now_ms () / 1000;
  gint64 exp = MIN (now + env->access_token_lifetime, session->expires_at / 1000);
  g_autoptr(GString) claims = g_string_sized_new (512);
  g_autofree char *jwt = NULL;
  GString *response;

  if (!session->mfa_done)
    {
      if (env->mfa_required)
        needs_mfa = TRUE;
      else
        {
          g_autoptr(GPtrArray) passkeys = ks_store_list_passkeys (req->server->store, user->id,
                                                                  error);
          if (passkeys == NULL)
            return NULL;
          needs_mfa = passkeys->len > 0;
        }
    }
  scope = needs_mfa ? "requiresAdditionalAuth" : "user:basic";

  ks_request_begin_claims (req, claims, user, session);
  ks_json_member_string (claims, "email", user->email);
  ks_json_member_string (claims, "last_verified_credential_id",
                         last_credential_id (user, session));
  ks_json_member_int (claims, "iat", now);
  ks_json_member_int (claims, "exp", exp);
  ks_json_member_string (claims, "scope", scope);
  ks_json_end_object (claims);
  jwt = ks_signer_sign_payload (req->signer, claims->str, claims->len);

  response = g_string_sized_new (1024 + 2 * strlen (jwt));
  ks_json_begin_object (response);
  ks_json_member (response, "user");
  ks_request_write_user (response, user, session, scope, new_user);
  /* With cookie-based sessions Dynamic sets the token as a cookie and answers none. */
  if (!env->cookie_sessions)
    {
      ks_json_member_string (response, "minifiedJwt", jwt);
      /* The sandbox's ID token is the access token itself: one RSA signature per answer. */
      ks_json_member_string (response, "jwt", jwt);
    }
  ks_json_member_int (response, "expiresAt", exp);
  if (mfa_token != NULL)
    ks_json_member_string (response, "mfaToken", mfa_token);
  if (req->elevated_token != NULL)
    ks_json_member_string (response, "elevatedAccessToken", req->elevated_token);
  if (next_view != NULL)
    ks_json_member_string (response, "nextView", next_view);
  ks_json_end_object (response);
  return response;
}

gboolean
ks_request_reply_verify_response (KsRequest  *req,
                                  KsSession  *session,
                                  KsUser     *user,
                                  gboolean    new_user,
                                  const char *mfa_token,
                                  const char *next_view)
{
  g_autoptr(GError) error = NULL;
  GString *response = verify_response (req, session, user, new_user, mfa_token, next_view, &error);

  if (response == NULL)
    {
      ks_request_reply_internal (req, error);
      return FALSE;
    }
  ks_request_reply_text (req, SOUP_STATUS_OK, response);
  return TRUE;
}

gboolean
ks_request_spend_once (KsRequest         *req,
                       const char        *key,
                       const KsChallenge *record,
                       guint              status,
                       const char        *code,
                       const char        *message)
{
  g_autoptr(GError) error = NULL;

  if (ks_store_spend_challenge (req->server->store, key, record, &error))
    return TRUE;
  if (g_error_matches (error, KS_STORE_ERROR, KS_STORE_ERROR_CONSTRAINT))
    ks_request_reply_error (req, status, code, message);
  else
    ks_request_reply_internal (req, error);
  return FALSE;
}

GBytes *
ks_token_hash (const char *text)
{
  guint8 digest[32];

  EVP_Digest (text, strlen (text), digest, NULL, EVP_sha256 (), NULL);
  return g_bytes_new (digest, sizeof digest);
}

gboolean
ks_request_require_mfa_token (KsRequest *req,
                              KsAction   action)
{
  const char *token = ks_request_get_header (req, "x-mfa-auth-token");
  g_autoptr(GBytes) hash = NULL;
  g_autoptr(KsMfaToken) record = NULL;

  if ((req->env->mfa_token_actions & action) == 0)
    return TRUE;

  if (token == NULL || *token == '\0')
    {
      g_autofree char *message =
        g_strdup_printf ("This action (%s) needs a fresh MFA: authenticate again and send the "
                         "mfaToken in x-mfa-auth-token", ks_action_to_string (action));
      ks_request_reply_error (req, SOUP_STATUS_FORBIDDEN, "mfa_token_required", message);
      return FALSE;
    }

  hash = ks_token_hash (token);
  if (!ks_request_find_mfa_token (req, hash, &record))
    return FALSE;
  if (record == NULL || record->used || record->expires_at <= ks_now_ms ()
      || g_strcmp0 (record->session_id, req->session->id) != 0)
    {
      ks_request_reply_error (req, SOUP_STATUS_FORBIDDEN, "mfa_token_invalid",
                              "The MFA token is unknown, spent, expired or of another session");
      return FALSE;
    }
  return !record->single_use || ks_request_spend_mfa_token (req, hash);
}

gboolean
ks_request_find_mfa_token (KsRequest   *req,
                           GBytes      *hash,
                           KsMfaToken **record)
{
  g_autoptr(GError) error = NULL;

  *record = ks_store_get_mfa_token (req->server->store, hash, &error);
  if (error == NULL)
    return TRUE;
  ks_request_reply_internal (req, error);
  return FALSE;
}

gboolean
ks_request_spend_mfa_token (KsRequest *req,
                            GBytes    *hash)
{
  g_autoptr(GError) error = NULL;

  if (ks_store_spend_mfa_token (req->server->store, hash, &error))
    return TRUE;
  ks_request_reply_internal (req, error);
  return FALSE;
}

/* Answers FALSE (having replied) when the request may not go on. */
