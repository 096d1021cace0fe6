/* test-sandbox-flow.c: the whole passkey-MFA flow against a running keyturn-sandbox, over HTTP
 *
 * Every passkey here is made and used by the real keyturn-virtual-key through Keyturn's own
 * WebAuthn client; no stand-in authenticator answers.
 *
 * Copyright 2026 Keyturn developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <glib/gstdio.h>
#include <string.h>
#include <sys/wait.h>

#include "ks-test-authenticator.h"
#include "ks-test-server.h"
#include "kt-base64url.h"

static const char *
token_of (JsonObject *verify_response)
{
  g_assert_true (json_object_has_member (verify_response, "minifiedJwt"));
  return json_object_get_string_member (verify_response, "minifiedJwt");
}

static const char *
scope_of (JsonObject *verify_response)
{
  return json_object_get_string_member (json_object_get_object_member (verify_response, "user"),
                                        "scope");
}

static JsonObject *
register_passkey (KsTestServer        *server,
                  KsTestAuthenticator *authenticator,
                  const char          *token,
                  gboolean             ask_mfa_token)
{
  g_autoptr(JsonObject) options = NULL;
  g_autoptr(JsonObject) request = NULL;
  JsonObject *reply = NULL;

  g_assert_cmpuint (ks_test_request (server, "GET", "/users/passkeys/register", token, NULL, NULL,
                                     &options), ==, 200);
  request = ks_test_authenticator_register (authenticator, options);
  if (ask_mfa_token)
    {
      JsonObject *ask = json_object_new ();
      json_object_set_boolean_member (ask, "singleUse", TRUE);
      json_object_set_object_member (request, "createMfaToken", ask);
    }
  g_assert_cmpuint (ks_test_request_object (server, "POST", "/users/passkeys/register", token,
                                            NULL, request, &reply), ==, 200);
  return reply;
}

static JsonObject *
authenticate_passkey (KsTestServer        *server,
                      KsTestAuthenticator *authenticator,
                      const char          *token,
                      gboolean             ask_mfa_token)
{
  g_autoptr(JsonObject) options = NULL;
  g_autoptr(JsonObject) request = NULL;
  JsonObject *reply = NULL;

  g_assert_cmpuint (ks_test_request (server, "GET", "/users/passkeys/authenticate", token, NULL,
                                     NULL, &options), ==, 200);
  request = ks_test_authenticator_authenticate (authenticator, options);
  if (ask_mfa_token)
    {
      JsonObject *ask = json_object_new ();
      json_object_set_boolean_member (ask, "singleUse", TRUE);
      json_object_set_object_member (request, "createMfaToken", ask);
    }
  g_assert_cmpuint (ks_test_request_object (server, "POST", "/users/mfa/auth/passkey", token,
                                            NULL, request, &reply), ==, 200);
  return reply;
}

static GPtrArray *
recovery_codes (KsTestServer *server,
                const char   *method,
                const char   *token,
                const char   *mfa_token)
{
  g_autoptr(JsonObject) reply = NULL;
  GPtrArray *codes = g_ptr_array_new_with_free_func (g_free);
  JsonArray *array;

  g_assert_cmpuint (ks_test_request (server, method, "/users/mfa/recovery", token, mfa_token, NULL,
                                     &reply), ==, 200);
  array = json_object_get_array_member (reply, "recoveryCodes");
  g_assert_cmpint (json_object_get_int_member (reply, "count"), ==,
                   json_array_get_length (array));
  for (guint i = 0; i < json_array_get_length (array); i++)
    g_ptr_array_add (codes, g_strdup (json_array_get_string_element (array, i)));
  return codes;
}

static JsonObject *
spend_recovery_code (KsTestServer *server,
                     const char   *token,
                     const char   *code,
                     guint         expected_status)
{
  g_autofree char *body = g_strdup_printf ("{\"code\":\"%s\"}", code);
  JsonObject *reply = NULL;

  g_assert_cmpuint (ks_test_request (server, "POST", "/users/mfa/auth/recovery", token, NULL,
                                     body, &reply), ==, expected_status);
  return reply;
}

static void
test_settings_and_keys (void)
{
  g_autoptr(KsTestServer) server = ks_test_server_start (NULL);
  g_autoptr(JsonObject) settings = NULL;
  g_autoptr(JsonObject) jwks = NULL;
  g_autoptr(JsonObject) jwks2 = NULL;
  JsonObject *mfa, *key;

  /* The demo environment: rp id localhost, origin on the sandbox's own port. */
  g_assert_cmpstr (server->rp_id, ==, "localhost");
  g_assert_true (g_str_has_prefix (server->origin, "http://localhost:"));
  g_assert_true (g_uuid_string_is_valid (server->environment_id));

  g_assert_cmpuint (ks_test_request (server, "GET", "/settings", NULL, NULL, NULL, &settings), ==,
                    200);
  mfa = json_object_get_object_member (json_object_get_object_member (settings, "security"), "mfa");
  g_assert_true (json_object_get_boolean_member (mfa, "required"));
  g_assert_true (json_object_get_boolean_member (mfa, "enabled"));
  g_assert_cmpstr (json_array_get_string_element (json_object_get_array_member (mfa,
                                                                                "availableMethods"),
                                                  0), ==, "passkey");

  g_assert_cmpuint (ks_test_request (server, "GET", "/.well-known/jwks", NULL, NULL, NULL, &jwks),
                    ==, 200);
  g_assert_cmpuint (ks_test_request (server, "GET", "/jwks.json", NULL, NULL, NULL, &jwks2), ==,
                    200);
  key = json_array_get_object_element (json_object_get_array_member (jwks, "keys"), 0);
  g_assert_cmpstr (json_object_get_string_member (key, "kty"), ==, "RSA");
  g_assert_cmpstr (json_object_get_string_member (key, "alg"), ==, "RS256");
  g_assert_cmpstr (json_object_get_string_member (key, "kid"), ==,
                   json_object_get_string_member (json_array_get_object_element (
                     json_object_get_array_member (jwks2, "keys"), 0), "kid"));

  /* The environment id and the key are kept: a restart serves the same ones. */
  {
    g_autofree char *id = g_strdup (server->environment_id);
    g_autofree char *kid = g_strdup (json_object_get_string_member (key, "kid"));
    g_autoptr(JsonObject) again = NULL;

    ks_test_server_restart (server, FALSE);
    g_assert_cmpstr (server->environment_id, ==, id);
    g_assert_cmpuint (ks_test_request (server, "GET", "/jwks.json", NULL, NULL, NULL, &again), ==,
                      200);
    g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (
                       json_object_get_array_member (again, "keys"), 0), "kid"), ==, kid);
  }
}

static void
test_email_message (void)
{
  g_autoptr(KsTestServer) server = ks_test_server_start (NULL);
  g_autoptr(JsonObject) created = NULL;
  g_autofree char *message = NULL;
  g_autofree char *code = NULL;

  g_assert_cmpuint (ks_test_request (server, "POST", "/emailVerifications/create", NULL, NULL,
                                     "{\"email\":\"  Mixed.Case@Example.COM \"}", &created), ==,
                    200);
  g_assert_true (g_uuid_string_is_valid (json_object_get_string_member (created,
                                                                        "verificationUUID")));
  g_assert_cmpstr (json_object_get_string_member (created, "email"), ==, "mixed.case@example.com");

  /* One RFC 5322 message: headers, CRLF line ends, a blank line, the code in the text. */
  message = ks_test_server_read_email (server, "mixed.case@example.com");
  g_assert_true (g_str_has_prefix (message, "From: "));
  g_assert_nonnull (strstr (message, "\r\nDate: "));
  g_assert_nonnull (strstr (message, "\r\nMessage-ID: <"));
  g_assert_nonnull (strstr (message, "\r\nSubject: "));
  g_assert_nonnull (strstr (message, "\r\n\r\n"));
  g_assert_null (strstr (message, "\n\n"));
  code = ks_test_server_read_code (server, "mixed.case@example.com");
  g_assert_cmpuint (strlen (code), ==, 6);
}

static void
test_full_flow (void)
{
  g_autoptr(KsTestServer) server = ks_test_server_start (NULL);
  g_autoptr(KsTestAuthenticator) key = ks_test_authenticator_new (server->origin, NULL);
  g_autoptr(KsTestAuthenticator) spare_key = ks_test_authenticator_new (server->origin, NULL);
  g_autofree char *email = ks_test_unique_email ("flow");
  g_autoptr(JsonObject) first = NULL;
  g_autoptr(JsonObject) registered = NULL;
  g_autoptr(JsonObject) reply = NULL;
  g_autoptr(JsonObject) claims = NULL;
  g_autoptr(GPtrArray) codes = NULL;
  g_autoptr(GPtrArray) codes_again = NULL;
  g_autofree char *half = NULL;
  g_autofree char *full = NULL;
  g_autofree char *user_id = NULL;
  g_autofree char *session_id = NULL;
  g_autofree char *passkey_id = NULL;
  JsonObject *user, *passkey;
  JsonArray *passkeys;

  /* 1. Email code: a new user, in a half-session. */
  first = ks_test_sign_in (server, email);
  half = g_strdup (token_of (first));
  user = json_object_get_object_member (first, "user");
  user_id = g_strdup (json_object_get_string_member (user, "id"));
  session_id = g_strdup (json_object_get_string_member (user, "sessionId"));
  g_assert_cmpstr (json_object_get_string_member (user, "scope"), ==, "requiresAdditionalAuth");
  g_assert_true (json_object_get_boolean_member (user, "newUser"));
  g_assert_cmpstr (json_object_get_string_member (user, "email"), ==, email);
  g_assert_cmpstr (json_object_get_string_member (user, "projectEnvironmentId"), ==,
                   server->environment_id);
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (
                     json_object_get_array_member (user, "verifiedCredentials"), 0), "format"), ==,
                   "email");
  g_assert_cmpint (json_object_get_int_member (first, "expiresAt"), >,
                   g_get_real_time () / G_USEC_PER_SEC);

  claims = ks_test_jwt_claims (half);
  g_assert_cmpstr (json_object_get_string_member (claims, "sub"), ==, user_id);
  g_assert_cmpstr (json_object_get_string_member (claims, "sid"), ==, session_id);
  g_assert_cmpstr (json_object_get_string_member (claims, "environment_id"), ==,
                   server->environment_id);
  g_assert_cmpstr (json_object_get_string_member (claims, "scope"), ==, "requiresAdditionalAuth");

  /* The half-session sees the user and an empty passkey list: the client registers. */
  g_assert_cmpuint (ks_test_request (server, "GET", "/users", half, NULL, NULL, &reply), ==, 200);
  g_assert_cmpstr (json_object_get_string_member (reply, "scope"), ==, "requiresAdditionalAuth");
  g_clear_pointer (&reply, json_object_unref);
  g_assert_cmpuint (ks_test_request (server, "GET", "/users/passkeys", half, NULL, NULL, &reply),
                    ==, 200);
  g_assert_cmpint (json_object_get_int_member (reply, "count"), ==, 0);
  g_clear_pointer (&reply, json_object_unref);

  /* 2. Registration upgrades the session and owes an acknowledgement. */
  registered = register_passkey (server, key, half, FALSE);
  full = g_strdup (token_of (registered));
  g_assert_cmpstr (scope_of (registered), ==, "user:basic");
  g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (registered,
                                                                                 "user"),
                                                  "mfaBackupCodeAcknowledgement"), ==, "pending");
  g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (registered,
                                                                                 "user"),
                                                  "sessionId"), ==, session_id);
  g_assert_false (json_object_has_member (registered, "mfaToken"));

  g_assert_cmpuint (ks_test_request (server, "GET", "/users/passkeys", full, NULL, NULL, &reply),
                    ==, 200);
  g_assert_cmpint (json_object_get_int_member (reply, "count"), ==, 1);
  passkeys = json_object_get_array_member (reply, "passkeys");
  passkey = json_array_get_object_element (passkeys, 0);
  passkey_id = g_strdup (json_object_get_string_member (passkey, "id"));
  g_assert_cmpstr (json_object_get_string_member (passkey, "origin"), ==, server->origin);
  g_assert_nonnull (json_object_get_string_member (passkey, "credentialId"));
  g_assert_nonnull (json_object_get_string_member (passkey, "createdAt"));
  g_assert_nonnull (json_object_get_string_member (json_object_get_object_member (passkey,
                                                                                  "storage"),
                                                   "name"));
  g_clear_pointer (&reply, json_object_unref);

  g_assert_cmpuint (ks_test_request (server, "GET", "/users/mfa/methods", full, NULL, NULL,
                                     &reply), ==, 200);
  g_assert_true (json_object_get_boolean_member (reply, "userHasVerifiedMfaMethods"));
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (reply, "passkeys")), ==,
                    1);
  g_clear_pointer (&reply, json_object_unref);
  g_assert_cmpuint (ks_test_request (server, "GET", "/users/mfa", full, NULL, NULL, &reply), ==,
                    200);
  g_assert_cmpint (json_object_get_int_member (reply, "count"), ==, 1);
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (
                     json_object_get_array_member (reply, "devices"), 0), "type"), ==, "passkey");
  g_clear_pointer (&reply, json_object_unref);

  /* 3. Ten recovery codes, made once and shown again. */
  codes = recovery_codes (server, "GET", full, NULL);
  g_assert_cmpuint (codes->len, ==, 10);
  codes_again = recovery_codes (server, "GET", full, NULL);
  g_assert_cmpuint (codes_again->len, ==, 10);
  for (guint i = 0; i < codes->len; i++)
    g_assert_cmpstr (g_ptr_array_index (codes, i), ==, g_ptr_array_index (codes_again, i));

  /* 4. Acknowledged. */
  g_assert_cmpuint (ks_test_request (server, "PUT", "/users", full, NULL,
                                     "{\"mfaBackupCodeAcknowledgement\":\"complete\"}", &reply),
                    ==, 200);
  g_assert_cmpstr (json_object_get_string_member (reply, "nextView"), ==, "done");
  g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (reply, "user"),
                                                  "mfaBackupCodeAcknowledgement"), ==, "complete");
  g_assert_nonnull (json_object_get_string_member (reply, "minifiedJwt"));
  g_clear_pointer (&reply, json_object_unref);

  /* 5. A second sign-in: the same user, who now authenticates with the passkey. */
  {
    g_autoptr(JsonObject) second = ks_test_sign_in (server, email);
    g_autoptr(JsonObject) authed = NULL;
    const char *token = token_of (second);
    const char *mfa_token;

    g_assert_false (json_object_get_boolean_member (json_object_get_object_member (second, "user"),
                                                    "newUser"));
    g_assert_cmpstr (scope_of (second), ==, "requiresAdditionalAuth");
    authed = authenticate_passkey (server, key, token, TRUE);
    g_assert_cmpstr (scope_of (authed), ==, "user:basic");
    g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (authed, "user"),
                                                    "mfaBackupCodeAcknowledgement"), ==,
                     "complete");
    mfa_token = json_object_get_string_member (authed, "mfaToken");
    g_assert_nonnull (mfa_token);

    /* Rename needs no step-up in the demo; the new alias is what the list shows. */
    {
      g_autofree char *body = g_strdup_printf ("{\"id\":\"%s\",\"alias\":\"Blue key\"}",
                                               passkey_id);
      g_assert_cmpuint (ks_test_request (server, "PUT", "/users/passkeys", token_of (authed), NULL,
                                         body, &reply), ==, 200);
      g_assert_cmpstr (json_object_get_string_member (reply, "alias"), ==, "Blue key");
      g_clear_pointer (&reply, json_object_unref);
      g_assert_cmpuint (ks_test_request (server, "GET", "/users/passkeys", token_of (authed), NULL,
                                         NULL, &reply), ==, 200);
      g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (
                         json_object_get_array_member (reply, "passkeys"), 0), "alias"), ==,
                       "Blue key");
      g_clear_pointer (&reply, json_object_unref);
    }

    /* A second key, from the full session; deleting it needs the step-up token, once. */
    {
      g_autoptr(JsonObject) added = register_passkey (server, spare_key, token_of (authed), FALSE);
      g_autoptr(JsonObject) list = NULL;
      g_autofree char *spare_id = NULL;
      g_autofree char *body = NULL;
      g_autofree char *body_first = g_strdup_printf ("{\"passkeyId\":\"%s\"}", passkey_id);

      g_assert_cmpuint (ks_test_request (server, "GET", "/users/passkeys", token_of (authed), NULL,
                                         NULL, &list), ==, 200);
      g_assert_cmpint (json_object_get_int_member (list, "count"), ==, 2);
      spare_id = g_strdup (json_object_get_string_member (json_array_get_object_element (
                             json_object_get_array_member (list, "passkeys"), 1), "id"));
      g_assert_cmpstr (spare_id, !=, passkey_id);
      body = g_strdup_printf ("{\"passkeyId\":\"%s\"}", spare_id);

      g_assert_cmpuint (ks_test_request (server, "DELETE", "/users/passkeys", token_of (authed),
                                         NULL, body, &reply), ==, 403);
      g_assert_cmpstr (ks_test_error_code (reply), ==, "mfa_token_required");
      g_clear_pointer (&reply, json_object_unref);

      g_assert_cmpuint (ks_test_request (server, "DELETE", "/users/passkeys", token_of (authed),
                                         mfa_token, body, NULL), ==, 204);
      /* Spent: the same token cannot delete the first key. */
      g_assert_cmpuint (ks_test_request (server, "DELETE", "/users/passkeys", token_of (authed),
                                         mfa_token, body_first, &reply), ==, 403);
      g_assert_cmpstr (ks_test_error_code (reply), ==, "mfa_token_invalid");
      g_clear_pointer (&reply, json_object_unref);

      g_clear_pointer (&list, json_object_unref);
      g_assert_cmpuint (ks_test_request (server, "GET", "/users/passkeys", token_of (authed), NULL,
                                         NULL, &list), ==, 200);
      g_assert_cmpint (json_object_get_int_member (list, "count"), ==, 1);
      g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (
                         json_object_get_array_member (list, "passkeys"), 0), "id"), ==,
                       passkey_id);
    }
  }

  /* 6. A recovery code stands in for the key, once. */
  {
    g_autoptr(JsonObject) third = ks_test_sign_in (server, email);
    g_autoptr(JsonObject) recovered = NULL;
    g_autoptr(JsonObject) fourth = NULL;
    g_autoptr(GPtrArray) left = NULL;
    g_autofree char *typed = g_ascii_strup (g_ptr_array_index (codes, 0), -1);

    /* Typed in capitals: codes are read back case-blind. */
    recovered = spend_recovery_code (server, token_of (third), typed, 200);
    g_assert_cmpstr (scope_of (recovered), ==, "user:basic");
    left = recovery_codes (server, "GET", token_of (recovered), NULL);
    g_assert_cmpuint (left->len, ==, 9);
    for (guint i = 0; i < left->len; i++)
      g_assert_cmpstr (g_ptr_array_index (left, i), !=, g_ptr_array_index (codes, 0));

    fourth = ks_test_sign_in (server, email);
    reply = spend_recovery_code (server, token_of (fourth), g_ptr_array_index (codes, 0), 400);
    g_assert_cmpstr (ks_test_error_code (reply), ==, "mfa_invalid_code");
    g_clear_pointer (&reply, json_object_unref);

    /* New codes: the old unspent ones die. */
    {
      g_autoptr(GPtrArray) fresh = recovery_codes (server, "POST", token_of (recovered), NULL);
      g_autoptr(JsonObject) fifth = ks_test_sign_in (server, email);

      g_assert_cmpuint (fresh->len, ==, 10);
      for (guint i = 0; i < fresh->len; i++)
        for (guint j = 0; j < codes->len; j++)
          g_assert_cmpstr (g_ptr_array_index (fresh, i), !=, g_ptr_array_index (codes, j));
      reply = spend_recovery_code (server, token_of (fifth), g_ptr_array_index (codes, 1), 400);
      g_assert_cmpstr (ks_test_error_code (reply), ==, "mfa_invalid_code");
      g_clear_pointer (&reply, json_object_unref);
      reply = spend_recovery_code (server, token_of (fifth), g_ptr_array_index (fresh, 3), 200);
      g_assert_cmpstr (scope_of (reply), ==, "user:basic");
      g_clear_pointer (&reply, json_object_unref);
    }
  }

  /* 7. Refresh keeps the session; revoke ends it for every token it issued. */
  {
    g_autoptr(JsonObject) refreshed = NULL;
    g_autoptr(JsonObject) refreshed_claims = NULL;

    g_assert_cmpuint (ks_test_request (server, "GET", "/session", full, NULL, NULL, NULL), ==, 204);
    g_assert_cmpuint (ks_test_request (server, "POST", "/refresh", full, NULL, NULL, &refreshed),
                      ==, 200);
    g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (refreshed,
                                                                                   "user"),
                                                    "sessionId"), ==, session_id);
    g_assert_cmpstr (scope_of (refreshed), ==, "user:basic");
    refreshed_claims = ks_test_jwt_claims (token_of (refreshed));
    g_assert_cmpstr (json_object_get_string_member (refreshed_claims, "sid"), ==, session_id);
    g_assert_cmpuint (ks_test_request (server, "GET", "/users", token_of (refreshed), NULL, NULL,
                                       NULL), ==, 200);

    g_assert_cmpuint (ks_test_request (server, "POST", "/revoke", token_of (refreshed), NULL, NULL,
                                       NULL), ==, 204);
    g_assert_cmpuint (ks_test_request (server, "GET", "/session", full, NULL, NULL, &reply), ==,
                      401);
    g_assert_cmpstr (ks_test_error_code (reply), ==, "session_revoked");
    g_clear_pointer (&reply, json_object_unref);
    g_assert_cmpuint (ks_test_request (server, "GET", "/users", token_of (refreshed), NULL, NULL,
                                       NULL), ==, 401);
  }

  /* 8. The log names requests but holds no token and no recovery code. */
  {
    g_autofree char *log_path = g_build_filename (server->root, "server.log", NULL);
    g_autofree char *log = NULL;

    ks_test_server_restart (server, FALSE);
    g_assert_true (g_file_get_contents (log_path, &log, NULL, NULL));
    g_assert_nonnull (strstr (log, "/users/mfa/auth/passkey -> 200"));
    g_assert_null (strstr (log, full));
    g_assert_null (strstr (log, half));
    g_assert_null (strstr (log, "eyJ"));
    for (guint i = 0; i < codes->len; i++)
      g_assert_null (strstr (log, g_ptr_array_index (codes, i)));
  }
}

/* x-dyn-request-id names the request in the answer and in the log; junk ids are replaced. */
static void
test_request_id (void)
{
  g_autoptr(KsTestServer) server = ks_test_server_start (NULL);
  g_autofree char *url = g_strconcat (server->api, "/settings", NULL);
  g_autofree char *log_path = g_build_filename (server->root, "server.log", NULL);
  g_autofree char *log = NULL;
  static const struct {
    const char *sent;
    gboolean    kept;
  } ids[] = {
    { "req-7f3a.9_b", TRUE },
    { "bad id with spaces", FALSE },
    { "x\"y", FALSE },
  };

  for (guint i = 0; i < G_N_ELEMENTS (ids); i++)
    {
      g_autoptr(SoupMessage) msg = soup_message_new ("GET", url);
      g_autoptr(GBytes) body = NULL;
      g_autoptr(GError) error = NULL;
      const char *echoed;

      soup_message_headers_replace (soup_message_get_request_headers (msg), "x-dyn-request-id",
                                    ids[i].sent);
      body = soup_session_send_and_read (server->session, msg, NULL, &error);
      g_assert_no_error (error);
      echoed = soup_message_headers_get_one (soup_message_get_response_headers (msg),
                                             "x-dyn-request-id");
      g_assert_nonnull (echoed);
      if (ids[i].kept)
        g_assert_cmpstr (echoed, ==, ids[i].sent);
      else
        g_assert_cmpstr (echoed, !=, ids[i].sent);
    }

  ks_test_server_restart (server, FALSE);
  g_assert_true (g_file_get_contents (log_path, &log, NULL, NULL));
  g_assert_nonnull (strstr (log, "req=req-7f3a.9_b GET "));
  g_assert_null (strstr (log, "bad id with spaces"));
}

/* A second enrolment must not come from a half-session: that would skip the second factor. */
static void
test_half_session_limits (void)
{
  g_autoptr(KsTestServer) server = ks_test_server_start (NULL);
  g_autoptr(KsTestAuthenticator) key = ks_test_authenticator_new (server->origin, NULL);
  g_autofree char *email = ks_test_unique_email ("half");
  g_autoptr(JsonObject) first = ks_test_sign_in (server, email);
  g_autoptr(JsonObject) registered = NULL;
  g_autoptr(JsonObject) second = NULL;
  g_autoptr(JsonObject) reply = NULL;
  const char *half = token_of (first);
  static const struct {
    const char *method;
    const char *path;
    const char *body;
  } full_only[] = {
    { "PUT", "/users", "{\"mfaBackupCodeAcknowledgement\":\"complete\"}" },
    { "GET", "/users/mfa/recovery", NULL },
    { "POST", "/users/mfa/recovery", NULL },
    { "PUT", "/users/passkeys", "{\"id\":\"x\",\"alias\":\"y\"}" },
    { "DELETE", "/users/passkeys", "{\"passkeyId\":\"x\"}" },
    { "DELETE", "/users/mfa/some-device", NULL },
  };

  for (guint i = 0; i < G_N_ELEMENTS (full_only); i++)
    {
      g_test_message ("%s %s", full_only[i].method, full_only[i].path);
      g_assert_cmpuint (ks_test_request (server, full_only[i].method, full_only[i].path, half, NULL,
                                         full_only[i].body, &reply), ==, 403);
      g_assert_cmpstr (ks_test_error_code (reply), ==, "additional_auth_required");
      g_clear_pointer (&reply, json_object_unref);
    }

  registered = register_passkey (server, key, half, FALSE);
  second = ks_test_sign_in (server, email);
  g_assert_cmpuint (ks_test_request (server, "GET", "/users/passkeys/register", token_of (second),
                                     NULL, NULL, &reply), ==, 403);
  g_assert_cmpstr (ks_test_error_code (reply), ==, "additional_auth_required");
}

static int
run_sandbox (const char * const *args,
             char              **out)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autofree char *binary = g_build_filename (g_getenv ("KEYTURN_BUILD_ROOT"), "src", "sandbox",
                                              "keyturn-sandbox", NULL);
  g_autofree char *err = NULL;
  g_autoptr(GError) error = NULL;
  int status = 0;

  g_ptr_array_add (argv, binary);
  for (guint i = 0; args[i] != NULL; i++)
    g_ptr_array_add (argv, (char *) args[i]);
  g_ptr_array_add (argv, NULL);
  g_spawn_sync (NULL, (char **) argv->pdata, NULL, G_SPAWN_DEFAULT, NULL, NULL, out, &err,
                &status, &error);
  g_assert_no_error (error);
  g_test_message ("stderr: %s", err);
  return WIFEXITED (status) ? WEXITSTATUS (status) : -1;
}

/* The help-desk path: a user who lost their key is reset while the server runs. */
static void
test_admin_commands (void)
{
  g_autoptr(KsTestServer) server = ks_test_server_start (NULL);
  g_autoptr(KsTestAuthenticator) key = ks_test_authenticator_new (server->origin, NULL);
  g_autofree char *email = ks_test_unique_email ("lost-key");
  g_autoptr(JsonObject) first = ks_test_sign_in (server, email);
  g_autoptr(JsonObject) registered = register_passkey (server, key, token_of (first), FALSE);
  g_autoptr(JsonObject) reply = NULL;
  g_autoptr(JsonObject) again = NULL;
  g_autofree char *out = NULL;
  g_autofree char *missing = g_strdup ("nobody@example.com");
  g_auto(GStrv) lines = NULL;
  gboolean listed = FALSE;

  {
    const char *args[] = { "users", "--data-dir", server->data_dir, NULL };

    g_assert_cmpint (run_sandbox (args, &out), ==, 0);
    lines = g_strsplit (out, "\n", -1);
    for (guint i = 0; lines[i] != NULL; i++)
      if (strstr (lines[i], email) != NULL)
        {
          g_auto(GStrv) fields = g_strsplit_set (lines[i], " ", -1);
          g_autoptr(GPtrArray) words = g_ptr_array_new ();

          for (guint j = 0; fields[j] != NULL; j++)
            if (*fields[j] != '\0')
              g_ptr_array_add (words, fields[j]);
          /* environment, email, passkeys, recovery codes left, acknowledgement */
          g_assert_cmpstr (g_ptr_array_index (words, 0), ==, server->environment_id);
          g_assert_cmpstr (g_ptr_array_index (words, 2), ==, "1");
          g_assert_cmpstr (g_ptr_array_index (words, 4), ==, "pending");
          listed = TRUE;
        }
    g_assert_true (listed);
    g_clear_pointer (&out, g_free);
  }

  {
    const char *args[] = { "reset-mfa", "--data-dir", server->data_dir, missing, NULL };

    g_assert_cmpint (run_sandbox (args, NULL), ==, 1);
  }
  {
    g_autofree char *upper = g_ascii_strup (email, -1);
    const char *args[] = { "reset-mfa", "--data-dir", server->data_dir, upper, NULL };

    g_assert_cmpint (run_sandbox (args, &out), ==, 0);
    g_assert_nonnull (strstr (out, email));
  }

  /* Signed out everywhere; the next sign-in registers a new key, and owes a new acknowledgement. */
  g_assert_cmpuint (ks_test_request (server, "GET", "/users", token_of (registered), NULL, NULL,
                                     &reply), ==, 401);
  g_assert_cmpstr (ks_test_error_code (reply), ==, "session_revoked");
  g_clear_pointer (&reply, json_object_unref);
  again = ks_test_sign_in (server, email);
  g_assert_cmpstr (scope_of (again), ==, "requiresAdditionalAuth");
  g_assert_true (JSON_NODE_HOLDS_NULL (json_object_get_member (
                   json_object_get_object_member (again, "user"), "mfaBackupCodeAcknowledgement")));
  g_assert_cmpuint (ks_test_request (server, "GET", "/users/passkeys", token_of (again), NULL, NULL,
                                     &reply), ==, 200);
  g_assert_cmpint (json_object_get_int_member (reply, "count"), ==, 0);
  g_clear_pointer (&reply, json_object_unref);
  {
    g_autoptr(KsTestAuthenticator) new_key = ks_test_authenticator_new (server->origin, NULL);
    g_autoptr(JsonObject) fresh = register_passkey (server, new_key, token_of (again), FALSE);

    g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (fresh, "user"),
                                                    "mfaBackupCodeAcknowledgement"), ==,
                     "pending");
  }
}

static void
test_command_line (void)
{
  g_autofree char *out = NULL;
  g_autofree char *dir = g_dir_make_tmp ("keyturn-sandbox-cli-XXXXXX", NULL);
  g_autofree char *bad_config = g_build_filename (dir, "bad.json", NULL);
  g_autofree char *data = g_build_filename (dir, "data", NULL);

  {
    const char *args[] = { "--help", NULL };

    g_assert_cmpint (run_sandbox (args, &out), ==, 0);
    g_assert_nonnull (strstr (out, "--listen"));
    g_assert_nonnull (strstr (out, "reset-mfa"));
    g_clear_pointer (&out, g_free);
  }
  {
    const char *args[] = { "--version", NULL };

    g_assert_cmpint (run_sandbox (args, &out), ==, 0);
    g_assert_true (g_str_has_prefix (out, "keyturn-sandbox "));
    g_clear_pointer (&out, g_free);
  }
  {
    const char *args[] = { "--listen", "127.0.0.1:0", NULL };

    g_assert_cmpint (run_sandbox (args, NULL), ==, 2);
  }
  {
    const char *args[] = { "--listen", "nowhere", "--data-dir", data, NULL };

    g_assert_cmpint (run_sandbox (args, NULL), ==, 1);
  }
  {
    const char *args[] = { "--listen", "127.0.0.1:0", "--data-dir", data, "--config", bad_config,
                           NULL };

    g_file_set_contents (bad_config, "{\"environments\": [{\"id\": \"x\"}]}", -1, NULL);
    g_assert_cmpint (run_sandbox (args, NULL), ==, 1);
    g_unlink (bad_config);
  }
  {
    const char *args[] = { "users", "--data-dir", dir, NULL };

    /* No data yet: said plainly, not created. */
    g_assert_cmpint (run_sandbox (args, NULL), ==, 1);
  }
  /* data/ may have been made by the refused starts. */
  {
    g_autofree char *command = g_strdup_printf ("rm -rf '%s'", dir);
    g_assert_true (g_spawn_command_line_sync (command, NULL, NULL, NULL, NULL));
  }
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/sandbox/flow/settings-and-keys", test_settings_and_keys);
  g_test_add_func ("/sandbox/flow/email-message", test_email_message);
  g_test_add_func ("/sandbox/flow/full", test_full_flow);
  g_test_add_func ("/sandbox/flow/half-session-limits", test_half_session_limits);
  g_test_add_func ("/sandbox/flow/admin-commands", test_admin_commands);
  g_test_add_func ("/sandbox/flow/request-id", test_request_id);
  g_test_add_func ("/sandbox/flow/command-line", test_command_line);

  return g_test_run ();
}
