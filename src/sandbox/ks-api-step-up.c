/* ks-api-step-up.c: step-up as Dynamic's API version 2026_04_01 has it: POST /stepUp/check,
 * elevated access tokens minted for requestedScopes, and their check on protected actions
 *
 * Copyright 2026 Keyturn developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "ks-server-private.h"

#include "ks-json-strings.h"
#include "ks-log.h"

/* The scopes a client may ask for here: sdk-api-core's TokenScope values that a passkey account
 * has use for. Others are refused, as Dynamic refuses a scope it does not know. Keyturn's core
 * keeps the same list (src/core/kt-token-scope.c) without sharing this file, as the sandbox
 * shares none of core: the two must agree, and tests/core/test-token-scope.c checks that. */
static const char * const known_scopes[] = {
  "credential:link", "credential:unlink", "credential:update", "user:update", "user:delete",
  "wallet:export", "wallet:delete", "wallet:refresh", "wallet:reshare", "wallet:delegate",
  "wallet:sign", "wallet:restore", NULL
};

const char * const *
ks_step_up_known_scopes (void)
{
  return known_scopes;
}

/* Which scope guards which action on an enforced environment (API.md's table). */
const char *
ks_step_up_scope_for (KsAction action)
{
  switch (action)
    {
    case KS_ACTION_DELETE_PASSKEY:
      return "credential:unlink";
    case KS_ACTION_LINK_PASSKEY:
      return "credential:link";
    case KS_ACTION_RENAME_PASSKEY:
    case KS_ACTION_NEW_RECOVERY_CODES:
    default:
      return NULL;
    }
}

/* A single-use token's row is keyed apart from the MFA tokens' by its context. */
static GBytes *
hash_jti (const char *jti)
{
  g_autofree char *context = g_strconcat ("elevated ", jti, NULL);

  return ks_token_hash (context);
}

gboolean
ks_step_up_read_scopes (KsRequest   *req,
                        GStrv       *out)
{
  JsonNode *node = json_object_get_member (req->body, "requestedScopes");
  g_auto(GStrv) scopes = NULL;

  *out = NULL;
  if (node == NULL || JSON_NODE_HOLDS_NULL (node))
    return TRUE;
  /* The body's 64 KiB bound how many strings are copied before the count is checked. */
  scopes = ks_json_dup_strings (node);
  if (scopes == NULL || scopes[0] == NULL || g_strv_length (scopes) > 8)
    goto bad;
  for (guint i = 0; scopes[i] != NULL; i++)
    if (!g_strv_contains (known_scopes, scopes[i]))
      goto bad;
  *out = g_steal_pointer (&scopes);
  return TRUE;

bad:
  ks_request_reply_error (req, SOUP_STATUS_BAD_REQUEST, "invalid_field",
                          "\"requestedScopes\" must be a list of token scopes, such as "
                          "[\"credential:unlink\"]");
  return FALSE;
}

char *
ks_step_up_mint (KsRequest           *req,
                 const char * const  *scopes,
                 GError             **error)
{
  KsEnvironment *env = req->env;
  gboolean single_use = FALSE;
  gint64 now = ks_now_ms () / 1000;
  g_autofree char *scope = g_strjoinv (" ", (char **) scopes);
  g_autofree char *jti = ks_random_token (16);
  g_autoptr(GString) claims = g_string_sized_new (512);
  gint64 lifetime;

  /* One single-use scope makes the whole token single-use: it cannot be both. */
  for (guint i = 0; scopes[i] != NULL; i++)
    single_use |= ks_environment_scope_is_single_use (env, scopes[i]);
  lifetime = single_use ? env->elevated_single_use_lifetime : env->elevated_time_bound_lifetime;

  ks_request_begin_claims (req, claims, req->user, req->session);
  ks_json_member_string (claims, "jti", jti);
  ks_json_member_string (claims, "scope", scope);
  ks_json_member_boolean (claims, "singleUse", single_use);
  ks_json_member_int (claims, "iat", now);
  ks_json_member_int (claims, "exp", now + lifetime);
  ks_json_end_object (claims);

  if (single_use)
    {
      g_autoptr(GBytes) hash = hash_jti (jti);
      KsMfaToken record = { 0 };

      /* Only a single-use token needs a row: the row is what "spent" is written on. */
      record.session_id = req->session->id;
      record.expires_at = (now + lifetime) * 1000;
      record.single_use = TRUE;
      if (!ks_store_insert_mfa_token (req->server->store, hash, &record, error))
        return NULL;
    }
  ks_log ("req=%s %s stepped up for %s (%s)", req->request_id, req->user->email, scope,
          single_use ? "single-use" : "time-bound");
  return ks_signer_sign_payload (req->signer, claims->str, claims->len);
}

static void
refuse (KsRequest  *req,
        const char *scope,
        const char *why)
{
  g_autofree char *message =
    g_strdup_printf ("This action needs step-up for %s: %s. Authenticate again with "
                     "requestedScopes [\"%s\"] and send the elevatedAccessToken in "
                     "x-dyn-elevated-access-token", scope, why, scope);

  ks_log ("req=%s step-up refused: %s", req->request_id, why);
  ks_request_reply_error (req, SOUP_STATUS_FORBIDDEN, "step_up_required", message);
}

static gboolean
step_up_require (KsRequest  *req,
                 const char *scope)
{
  const char *token = ks_request_get_header (req, "x-dyn-elevated-access-token");
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) claims = NULL;
  g_auto(GStrv) scopes = NULL;
  const char *jti;

  if (token == NULL || *token == '\0')
    {
      refuse (req, scope, "no elevated access token was sent");
      return FALSE;
    }
  /* Another environment's token fails here: each environment signs with its own key. */
  claims = ks_signer_verify (req->signer, token, ks_now_ms () / 1000, &error);
  if (claims == NULL)
    {
      refuse (req, scope, g_error_matches (error, KS_TOKEN_ERROR, KS_TOKEN_ERROR_EXPIRED)
                          ? "the elevated access token has expired"
                          : "the elevated access token is not valid here");
      return FALSE;
    }
  jti = json_object_get_string_member_with_default (claims, "jti", "");
  if (g_strcmp0 (json_object_get_string_member_with_default (claims, "environment_id", ""),
                 req->env->id) != 0
      || *jti == '\0' || !json_object_has_member (claims, "singleUse"))
    {
      refuse (req, scope, "the elevated access token is not valid here");
      return FALSE;
    }
  if (g_strcmp0 (json_object_get_string_member_with_default (claims, "sub", ""),
                 req->user->id) != 0)
    {
      refuse (req, scope, "the elevated access token is another user's");
      return FALSE;
    }
  scopes = g_strsplit (json_object_get_string_member_with_default (claims, "scope", ""), " ", -1);
  if (!g_strv_contains ((const char * const *) scopes, scope))
    {
      refuse (req, scope, "the elevated access token is for another scope");
      return FALSE;
    }

  if (json_object_get_boolean_member_with_default (claims, "singleUse", FALSE))
    {
      g_autoptr(GBytes) hash = hash_jti (jti);
      g_autoptr(KsMfaToken) record = NULL;

      if (!ks_request_find_mfa_token (req, hash, &record))
        return FALSE;
      if (record == NULL || record->used)
        {
          refuse (req, scope, "the single-use elevated access token was already spent");
          return FALSE;
        }
      return ks_request_spend_mfa_token (req, hash);
    }
  return TRUE;
}

gboolean
ks_request_require_step_up (KsRequest *req,
                            KsAction   action)
{
  const char *scope;

  if (!req->env->step_up)
    return ks_request_require_mfa_token (req, action);
  scope = ks_step_up_scope_for (action);
  return scope == NULL || step_up_require (req, scope);
}

/* POST /stepUp/check {scope} -> {isRequired, credentials, defaultCredentialId?} */
void
ks_api_step_up_check (KsRequest *req)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) passkeys = NULL;
  const char *scope;
  gboolean required;
  GString *reply;

  if (!ks_request_get_string (req, req->body, "scope", TRUE, &scope))
    return;
  if (!g_strv_contains (known_scopes, scope))
    {
      ks_request_reply_error (req, SOUP_STATUS_BAD_REQUEST, "invalid_field",
                              "\"scope\" is not a token scope this environment knows");
      return;
    }
  passkeys = ks_store_list_passkeys (req->server->store, req->user->id, &error);
  if (passkeys == NULL)
    {
      ks_request_reply_internal (req, error);
      return;
    }

  /* What this sandbox enforces: the scopes of API.md's table, on an enforced environment, for
   * a user who has a credential to step up with. */
  required = req->env->step_up && passkeys->len > 0
             && (g_str_equal (scope, "credential:link") || g_str_equal (scope, "credential:unlink"));

  reply = g_string_sized_new (256);
  ks_json_begin_object (reply);
  ks_json_member_boolean (reply, "isRequired", required);
  ks_json_member (reply, "credentials");
  ks_json_begin_array (reply);
  for (guint i = 0; required && i < passkeys->len; i++)
    {
      KsPasskey *passkey = g_ptr_array_index (passkeys, i);

      ks_json_element (reply);
      ks_json_begin_object (reply);
      ks_json_member_string (reply, "id", passkey->id);
      ks_json_member_string (reply, "format", "passkey");
      ks_json_member_string (reply, "type", "passkey");
      if (passkey->alias != NULL)
        ks_json_member_string (reply, "alias", passkey->alias);
      ks_json_end_object (reply);
    }
  ks_json_end_array (reply);
  if (required)
    ks_json_member_string (reply, "defaultCredentialId",
                           ((KsPasskey *) g_ptr_array_index (passkeys, 0))->id);
  ks_json_end_object (reply);
  ks_request_reply_text (req, SOUP_STATUS_OK, reply);
}
