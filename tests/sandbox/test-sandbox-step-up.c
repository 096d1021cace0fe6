/* test-sandbox-step-up.c: keyturn-sandbox's step-up (API version 2026_04_01) over HTTP: elevated
 * access tokens, what they allow and every way one is refused, beside a legacy environment
 *
 * Copyright 2026 Keyturn developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <string.h>

#include "ks-test-authenticator.h"
#include "ks-test-server.h"

#define ENFORCED  "8c2d4e6f-1a3b-4c5d-8e7f-9a0b1c2d3e01"
#define LEGACY    "8c2d4e6f-1a3b-4c5d-8e7f-9a0b1c2d3e02"
#define SHORT     "8c2d4e6f-1a3b-4c5d-8e7f-9a0b1c2d3e03"
#define COOKIES   "8c2d4e6f-1a3b-4c5d-8e7f-9a0b1c2d3e04"

/* credential:link is single-use on the enforced environment, so that spending can be tried;
 * credential:unlink keeps Dynamic's default, time-bound. */
static const char config[] =
  "{\"environments\": ["
  " {\"id\": \"" ENFORCED "\", \"minApiVersion\": \"2026_04_01\","
  "  \"stepUp\": {\"singleUseScopes\": [\"credential:link\"]}, \"lifetimes\": {\"emailRetry\": 1}},"
  " {\"id\": \"" LEGACY "\", \"minApiVersion\": \"2026_01_01\","
  "  \"mfa\": {\"mfaTokenRequiredFor\": [\"delete-passkey\"]}},"
  " {\"id\": \"" SHORT "\", \"minApiVersion\": \"2026_04_01\","
  "  \"lifetimes\": {\"elevatedTimeBound\": 1, \"elevatedSingleUse\": 1}},"
  " {\"id\": \"" COOKIES "\", \"sessions\": \"cookie\"}"
  "]}";

static KsTestServer *server;
static KsTestAuthenticator *key;        /* every user's first passkey */
static KsTestAuthenticator *backup;     /* a second one, added while signed in */

typedef struct {
  const char *env;
  char       *token;                  /* the session's access token */
  char       *user_id;
} User;

static void
user_clear (User *user)
{
  g_free (user->token);
  g_free (user->user_id);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (User, user_clear)

static char *
path_in (const char *env,
         const char *path)
{
  return g_strconcat (server->base_url, "/sdk/", env, path, NULL);
}

/* One request with the step-up headers; answers the status. */
static guint
request (const char  *env,
         const char  *method,
         const char  *path,
         const char  *token,
         const char  *elevated,
         const char  *mfa_token,
         JsonObject  *body,
         JsonObject **out_reply)
{
  g_autofree char *url = path_in (env, path);
  g_autoptr(SoupMessage) msg = soup_message_new (method, url);
  SoupMessageHeaders *headers = soup_message_get_request_headers (msg);
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) reply = NULL;
  g_autofree char *bearer = g_strconcat ("Bearer ", token, NULL);
  gsize len = 0;
  const char *data;

  soup_message_headers_replace (headers, "Authorization", bearer);
  if (elevated != NULL)
    soup_message_headers_replace (headers, "x-dyn-elevated-access-token", elevated);
  if (mfa_token != NULL)
    soup_message_headers_replace (headers, "x-mfa-auth-token", mfa_token);
  if (body != NULL)
    {
      g_autoptr(JsonNode) node = json_node_init_object (json_node_alloc (), body);
      g_autofree char *text = json_to_string (node, FALSE);
      g_autoptr(GBytes) bytes = g_bytes_new (text, strlen (text));

      soup_message_set_request_body_from_bytes (msg, "application/json", bytes);
    }
  reply = soup_session_send_and_read (server->session, msg, NULL, &error);
  g_assert_no_error (error);
  data = g_bytes_get_data (reply, &len);
  if (out_reply != NULL)
    {
      g_autofree char *text = g_strndup (data, len);

      *out_reply = len > 0 ? ks_test_parse_object (text) : NULL;
    }
  return soup_message_get_status (msg);
}

static JsonObject *
sign_in (const char *env,
         const char *email)
{
  g_autoptr(JsonObject) created = NULL;
  g_autoptr(JsonObject) body = json_object_new ();
  g_autofree char *code = NULL;
  g_autofree char *url = path_in (env, "/emailVerifications/create");
  g_autofree char *signin_url = path_in (env, "/emailVerifications/signin");
  g_autoptr(JsonObject) signin = json_object_new ();
  JsonObject *reply = NULL;

  json_object_set_string_member (body, "email", email);
  g_assert_cmpuint (ks_test_request_object (server, "POST", url, NULL, NULL, body, &created),
                    ==, 200);
  code = ks_test_server_read_code (server, email);
  json_object_set_string_member (signin, "verificationUUID",
                                 json_object_get_string_member (created, "verificationUUID"));
  json_object_set_string_member (signin, "verificationToken", code);
  g_assert_cmpuint (ks_test_request_object (server, "POST", signin_url, NULL, NULL, signin, &reply),
                    ==, 200);
  return reply;
}

/* Signs a new user in to @env and enrols a passkey: MFA done, a full session. */
static void
sign_up (User       *user,
         const char *env,
         const char *prefix)
{
  g_autofree char *email = ks_test_unique_email (prefix);
  g_autoptr(JsonObject) verified = sign_in (env, email);
  g_autoptr(JsonObject) options = NULL;
  g_autoptr(JsonObject) answer = NULL;
  g_autoptr(JsonObject) registered = NULL;

  user->env = env;
  user->token = g_strdup (json_object_get_string_member (verified, "minifiedJwt"));
  user->user_id = g_strdup (json_object_get_string_member (
                              json_object_get_object_member (verified, "user"), "id"));
  g_assert_cmpuint (request (env, "GET", "/users/passkeys/register", user->token, NULL, NULL, NULL,
                             &options), ==, 200);
  answer = ks_test_authenticator_register (key, options);
  g_assert_cmpuint (request (env, "POST", "/users/passkeys/register", user->token, NULL, NULL,
                             answer, &registered), ==, 200);
  g_free (user->token);
  user->token = g_strdup (json_object_get_string_member (registered, "minifiedJwt"));
}

/* A passkey MFA ceremony with requestedScopes [@scope] (none when NULL); answers the reply. */
static JsonObject *
authenticate (User       *user,
              const char *scope,
              gboolean    mfa_token)
{
  g_autoptr(JsonObject) options = NULL;
  g_autoptr(JsonObject) answer = NULL;
  JsonObject *reply = NULL;

  g_assert_cmpuint (request (user->env, "GET", "/users/passkeys/authenticate", user->token, NULL,
                             NULL, NULL, &options), ==, 200);
  answer = ks_test_authenticator_authenticate (key, options);
  if (scope != NULL)
    {
      JsonArray *scopes = json_array_new ();

      json_array_add_string_element (scopes, scope);
      json_object_set_array_member (answer, "requestedScopes", scopes);
    }
  if (mfa_token)
    {
      JsonObject *ask = json_object_new ();

      json_object_set_boolean_member (ask, "singleUse", TRUE);
      json_object_set_object_member (answer, "createMfaToken", ask);
    }
  g_assert_cmpuint (request (user->env, "POST", "/users/mfa/auth/passkey", user->token, NULL, NULL,
                             answer, &reply), ==, 200);
  g_free (user->token);
  user->token = g_strdup (json_object_get_string_member (reply, "minifiedJwt"));
  return reply;
}

static char *
elevated_for (User       *user,
              const char *scope)
{
  g_autoptr(JsonObject) reply = authenticate (user, scope, FALSE);

  g_assert_true (json_object_has_member (reply, "elevatedAccessToken"));
  return g_strdup (json_object_get_string_member (reply, "elevatedAccessToken"));
}

static char *
first_passkey (User *user)
{
  g_autoptr(JsonObject) list = NULL;
  JsonArray *passkeys;

  g_assert_cmpuint (request (user->env, "GET", "/users/passkeys", user->token, NULL, NULL, NULL,
                             &list), ==, 200);
  passkeys = json_object_get_array_member (list, "passkeys");
  g_assert_cmpuint (json_array_get_length (passkeys), >, 0);
  return g_strdup (json_object_get_string_member (json_array_get_object_element (passkeys, 0),
                                                  "id"));
}

/* DELETE /users/passkeys of the user's first passkey with @elevated; answers the status, and
 * checks a refusal is Dynamic's 403 error body. */
static guint
delete_first (User       *user,
              const char *elevated,
              const char *mfa_token)
{
  g_autofree char *id = first_passkey (user);
  g_autoptr(JsonObject) body = json_object_new ();
  g_autoptr(JsonObject) reply = NULL;
  guint status;

  json_object_set_string_member (body, "passkeyId", id);
  status = request (user->env, "DELETE", "/users/passkeys", user->token, elevated, mfa_token,
                    body, &reply);
  if (status == 403)
    g_assert_cmpstr (ks_test_error_code (reply), ==,
                     g_str_equal (user->env, LEGACY) ? "mfa_token_required" : "step_up_required");
  return status;
}

/* A second passkey, added while signed in: the enforced environment wants credential:link.
 * *out_answer, when given, keeps the answer sent. */
static guint
add_passkey (User        *user,
             const char  *elevated,
             JsonObject **out_answer)
{
  g_autoptr(JsonObject) options = NULL;
  g_autoptr(JsonObject) answer = NULL;
  guint status;

  g_assert_cmpuint (request (user->env, "GET", "/users/passkeys/register", user->token, NULL, NULL,
                             NULL, &options), ==, 200);
  answer = ks_test_authenticator_register (backup, options);
  status = request (user->env, "POST", "/users/passkeys/register", user->token, elevated, NULL,
                    answer, NULL);
  if (out_answer != NULL)
    *out_answer = g_steal_pointer (&answer);
  return status;
}

static void
test_claims_and_check (void)
{
  g_auto(User) user = { 0 };
  g_autofree char *link = NULL;
  g_autofree char *unlink = NULL;
  g_autoptr(JsonObject) claims = NULL;
  g_autoptr(JsonObject) check = NULL;
  g_autoptr(JsonObject) body = json_object_new ();

  sign_up (&user, ENFORCED, "claims");
  json_object_set_string_member (body, "scope", "credential:unlink");
  g_assert_cmpuint (request (ENFORCED, "POST", "/stepUp/check", user.token, NULL, NULL, body,
                             &check), ==, 200);
  g_assert_true (json_object_get_boolean_member (check, "isRequired"));
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (check, "credentials")),
                    ==, 1);

  link = elevated_for (&user, "credential:link");
  claims = ks_test_jwt_claims (link);
  g_assert_cmpstr (json_object_get_string_member (claims, "scope"), ==, "credential:link");
  g_assert_cmpstr (json_object_get_string_member (claims, "sub"), ==, user.user_id);
  g_assert_true (json_object_get_boolean_member (claims, "singleUse"));
  g_assert_cmpint (json_object_get_int_member (claims, "exp")
                   - json_object_get_int_member (claims, "iat"), ==, 300);
  g_clear_pointer (&claims, json_object_unref);

  unlink = elevated_for (&user, "credential:unlink");
  claims = ks_test_jwt_claims (unlink);
  g_assert_false (json_object_get_boolean_member (claims, "singleUse"));
  g_assert_cmpint (json_object_get_int_member (claims, "exp")
                   - json_object_get_int_member (claims, "iat"), ==, 600);
}

static void
test_missing_and_wrong_scope (void)
{
  g_auto(User) user = { 0 };
  g_autofree char *link = NULL;
  g_autofree char *legacy = NULL;
  g_autoptr(JsonObject) reply = NULL;

  sign_up (&user, ENFORCED, "missing");
  g_assert_cmpuint (delete_first (&user, NULL, NULL), ==, 403);
  g_assert_cmpuint (add_passkey (&user, NULL, NULL), ==, 403);

  /* The legacy token no longer does on an enforced environment. */
  reply = authenticate (&user, NULL, TRUE);
  legacy = g_strdup (json_object_get_string_member (reply, "mfaToken"));
  g_assert_cmpuint (delete_first (&user, NULL, legacy), ==, 403);

  link = elevated_for (&user, "credential:link");
  g_assert_cmpuint (delete_first (&user, link, NULL), ==, 403);
}

static void
test_single_use_spent (void)
{
  g_auto(User) user = { 0 };
  g_autofree char *link = NULL;
  g_autoptr(JsonObject) answer = NULL;
  g_autoptr(JsonObject) reply = NULL;

  sign_up (&user, ENFORCED, "spent");
  link = elevated_for (&user, "credential:link");
  g_assert_cmpuint (add_passkey (&user, link, &answer), ==, 200);
  /* The step-up is checked before the answer: the same one again meets the spent token first. */
  g_assert_cmpuint (request (ENFORCED, "POST", "/users/passkeys/register", user.token, link, NULL,
                             answer, &reply), ==, 403);
  g_assert_cmpstr (ks_test_error_code (reply), ==, "step_up_required");
}

static void
test_time_bound_reused (void)
{
  g_auto(User) user = { 0 };
  g_autofree char *link = NULL;
  g_autofree char *unlink = NULL;

  sign_up (&user, ENFORCED, "reused");
  link = elevated_for (&user, "credential:link");
  g_assert_cmpuint (add_passkey (&user, link, NULL), ==, 200);
  unlink = elevated_for (&user, "credential:unlink");
  g_assert_cmpuint (delete_first (&user, unlink, NULL), ==, 204);
  g_assert_cmpuint (delete_first (&user, unlink, NULL), ==, 204);
}

static void
test_other_user_and_environment (void)
{
  g_auto(User) alice = { 0 };
  g_auto(User) bob = { 0 };
  g_auto(User) carol = { 0 };
  g_autofree char *bobs = NULL;
  g_autofree char *carols = NULL;
  g_autofree char *alices = NULL;

  sign_up (&alice, ENFORCED, "alice");
  sign_up (&bob, ENFORCED, "bob");
  sign_up (&carol, SHORT, "carol");
  bobs = elevated_for (&bob, "credential:unlink");
  carols = elevated_for (&carol, "credential:unlink");
  g_assert_cmpuint (delete_first (&alice, bobs, NULL), ==, 403);
  g_assert_cmpuint (delete_first (&alice, carols, NULL), ==, 403);
  alices = elevated_for (&alice, "credential:unlink");
  g_assert_cmpuint (delete_first (&alice, alices, NULL), ==, 204);
}

static void
test_expired (void)
{
  g_auto(User) user = { 0 };
  g_autofree char *unlink = NULL;

  sign_up (&user, SHORT, "expired");
  unlink = elevated_for (&user, "credential:unlink");
  g_usleep (2100 * 1000);
  g_assert_cmpuint (delete_first (&user, unlink, NULL), ==, 403);
}

static void
test_legacy (void)
{
  g_auto(User) user = { 0 };
  g_autoptr(JsonObject) reply = NULL;
  g_autoptr(JsonObject) check = NULL;
  g_autoptr(JsonObject) settings = NULL;
  g_autoptr(JsonObject) body = json_object_new ();
  g_autofree char *settings_url = path_in (LEGACY, "/settings");

  g_assert_cmpuint (ks_test_request (server, "GET", settings_url, NULL, NULL, NULL, &settings),
                    ==, 200);
  g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (settings, "sdk"),
                                                  "minApiVersion"), ==, "2026_01_01");
  sign_up (&user, LEGACY, "legacy");
  json_object_set_string_member (body, "scope", "credential:unlink");
  g_assert_cmpuint (request (LEGACY, "POST", "/stepUp/check", user.token, NULL, NULL, body,
                             &check), ==, 200);
  g_assert_false (json_object_get_boolean_member (check, "isRequired"));
  g_assert_cmpuint (add_passkey (&user, NULL, NULL), ==, 200);
  g_assert_cmpuint (delete_first (&user, NULL, NULL), ==, 403);
  reply = authenticate (&user, NULL, TRUE);
  g_assert_cmpuint (delete_first (&user, NULL, json_object_get_string_member (reply, "mfaToken")),
                    ==, 204);
}

static void
test_cookie_sessions (void)
{
  g_autofree char *email = ks_test_unique_email ("cookie");
  g_autoptr(JsonObject) verified = sign_in (COOKIES, email);

  g_assert_false (json_object_has_member (verified, "minifiedJwt"));
  g_assert_true (json_object_has_member (verified, "user"));
}

int
main (int    argc,
      char **argv)
{
  int status;

  g_test_init (&argc, &argv, NULL);
  server = ks_test_server_start (config);
  key = ks_test_authenticator_new (server->origin, NULL);
  backup = ks_test_authenticator_new (server->origin, NULL);

  g_test_add_func ("/sandbox/step-up/claims-and-check", test_claims_and_check);
  g_test_add_func ("/sandbox/step-up/missing-and-wrong-scope", test_missing_and_wrong_scope);
  g_test_add_func ("/sandbox/step-up/single-use-spent", test_single_use_spent);
  g_test_add_func ("/sandbox/step-up/time-bound-reused", test_time_bound_reused);
  g_test_add_func ("/sandbox/step-up/other-user-and-environment", test_other_user_and_environment);
  g_test_add_func ("/sandbox/step-up/expired", test_expired);
  g_test_add_func ("/sandbox/step-up/legacy", test_legacy);
  g_test_add_func ("/sandbox/step-up/cookie-sessions", test_cookie_sessions);
  status = g_test_run ();

  ks_test_authenticator_free (backup);
  ks_test_authenticator_free (key);
  ks_test_server_free (server);
  return status;
}
