/* test-sandbox-errors.c: what keyturn-sandbox answers to wrong codes, dead tokens, bad bodies and
 * unknown paths, and how it limits guessing; lifetimes are configured short and really waited out
 *
 * The passkeys here come from the real keyturn-virtual-key through Keyturn's own WebAuthn client;
 * no stand-in authenticator answers.
 *
 * Copyright 2026 Keyturn developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <gio/gio.h>
#include <string.h>

#include "ks-test-authenticator.h"
#include "ks-test-server.h"

/* Two seconds of life for codes, challenges and MFA tokens (four for access tokens, so that a
 * test can outlive the others with its token), two seconds between email resends. */
static char *
short_lived_config (const char *environment_id)
{
  return g_strdup_printf (
    "{\"environments\": [{"
    "  \"id\": \"%s\", \"displayName\": \"Short lives\", \"minApiVersion\": \"2026_01_01\","
    "  \"mfa\": {\"required\": true, \"mfaTokenRequiredFor\": [\"delete-passkey\","
    "            \"new-recovery-codes\"]},"
    "  \"lifetimes\": {\"accessToken\": 4, \"emailCode\": 2, \"emailRetry\": 2,"
    "                  \"challenge\": 2, \"mfaToken\": 2}"
    "}]}", environment_id);
}

static KsTestServer *
start_short_lived (void)
{
  g_autofree char *id = g_uuid_string_random ();
  g_autofree char *config = short_lived_config (id);
  KsTestServer *server = ks_test_server_start (config);

  g_assert_cmpstr (server->environment_id, ==, id);
  return server;
}

static char *
create_verification (KsTestServer *server,
                     const char   *email)
{
  g_autofree char *body = g_strdup_printf ("{\"email\":\"%s\"}", email);
  g_autoptr(JsonObject) reply = NULL;

  g_assert_cmpuint (ks_test_request (server, "POST", "/emailVerifications/create", NULL, NULL, body,
                                     &reply), ==, 200);
  return g_strdup (json_object_get_string_member (reply, "verificationUUID"));
}

static guint
try_code (KsTestServer  *server,
          const char    *uuid,
          const char    *code,
          JsonObject   **reply)
{
  g_autofree char *body = g_strdup_printf ("{\"verificationUUID\":\"%s\","
                                           "\"verificationToken\":\"%s\"}", uuid, code);

  return ks_test_request (server, "POST", "/emailVerifications/signin", NULL, NULL, body, reply);
}

/* A six-digit code that is not @code. */
static char *
wrong_code (const char *code)
{
  return g_strdup_printf ("%06d", (atoi (code) + 1) % 1000000);
}

static void
test_wrong_code_tries (void)
{
  g_autoptr(KsTestServer) server = ks_test_server_start (NULL);
  g_autofree char *email = ks_test_unique_email ("tries");
  g_autofree char *uuid = create_verification (server, email);
  g_autofree char *code = ks_test_server_read_code (server, email);
  g_autofree char *wrong = wrong_code (code);
  JsonObject *reply = NULL;

  for (int left = 4; left >= 1; left--)
    {
      g_assert_cmpuint (try_code (server, uuid, wrong, &reply), ==, 400);
      g_assert_cmpstr (ks_test_error_code (reply), ==, "mfa_invalid_code");
      g_assert_cmpint (json_object_get_int_member (json_object_get_object_member (reply, "payload"),
                                                   "attemptsLeft"), ==, left);
      g_clear_pointer (&reply, json_object_unref);
    }

  /* The fifth wrong try kills it; then even the right code is refused. */
  g_assert_cmpuint (try_code (server, uuid, wrong, &reply), ==, 400);
  g_assert_cmpstr (ks_test_error_code (reply), ==, "verification_locked");
  g_clear_pointer (&reply, json_object_unref);
  g_assert_cmpuint (try_code (server, uuid, code, &reply), ==, 400);
  g_assert_cmpstr (ks_test_error_code (reply), ==, "verification_locked");
  g_clear_pointer (&reply, json_object_unref);

  /* The tries survive a restart: they are state, not memory. */
  {
    g_autofree char *email2 = ks_test_unique_email ("tries");
    g_autofree char *uuid2 = create_verification (server, email2);
    g_autofree char *code2 = ks_test_server_read_code (server, email2);
    g_autofree char *wrong2 = wrong_code (code2);

    for (int i = 0; i < 4; i++)
      g_assert_cmpuint (try_code (server, uuid2, wrong2, NULL), ==, 400);
    ks_test_server_restart (server, TRUE);
    g_assert_cmpuint (try_code (server, uuid2, wrong2, &reply), ==, 400);
    g_assert_cmpstr (ks_test_error_code (reply), ==, "verification_locked");
    g_clear_pointer (&reply, json_object_unref);
  }

  /* A used code does not sign in twice. */
  {
    g_autofree char *email3 = ks_test_unique_email ("once");
    g_autofree char *uuid3 = create_verification (server, email3);
    g_autofree char *code3 = ks_test_server_read_code (server, email3);

    g_assert_cmpuint (try_code (server, uuid3, code3, NULL), ==, 200);
    g_assert_cmpuint (try_code (server, uuid3, code3, &reply), ==, 400);
    g_assert_cmpstr (ks_test_error_code (reply), ==, "verification_used");
    g_clear_pointer (&reply, json_object_unref);
  }

  g_assert_cmpuint (try_code (server, "00000000-0000-4000-8000-000000000000", "123456", &reply),
                    ==, 404);
  g_assert_cmpstr (ks_test_error_code (reply), ==, "verification_not_found");
  g_clear_pointer (&reply, json_object_unref);
}

static void
test_code_expiry_and_retry (void)
{
  g_autoptr(KsTestServer) server = start_short_lived ();
  g_autofree char *email = ks_test_unique_email ("expiry");
  g_autofree char *uuid = create_verification (server, email);
  g_autofree char *code = ks_test_server_read_code (server, email);
  g_autofree char *retry = g_strdup_printf ("{\"email\":\"%s\",\"verificationUUID\":\"%s\"}",
                                            email, uuid);
  g_autofree char *fresh = NULL;
  JsonObject *reply = NULL;

  /* Too soon: the resend is rate-limited. */
  g_assert_cmpuint (ks_test_request (server, "POST", "/emailVerifications/retry", NULL, NULL, retry,
                                     &reply), ==, 429);
  g_assert_cmpstr (ks_test_error_code (reply), ==, "mfa_rate_limited");
  g_clear_pointer (&reply, json_object_unref);

  /* The code's two seconds run out. */
  g_usleep (2500 * 1000);
  g_assert_cmpuint (try_code (server, uuid, code, &reply), ==, 400);
  g_assert_cmpstr (ks_test_error_code (reply), ==, "verification_expired");
  g_clear_pointer (&reply, json_object_unref);

  /* A resend makes a new code, with a new life; the old one no longer works. */
  g_assert_cmpuint (ks_test_request (server, "POST", "/emailVerifications/retry", NULL, NULL, retry,
                                     &reply), ==, 200);
  g_assert_cmpstr (json_object_get_string_member (reply, "verificationUUID"), ==, uuid);
  g_clear_pointer (&reply, json_object_unref);
  fresh = ks_test_server_read_code (server, email);
  if (!g_str_equal (fresh, code))
    {
      g_assert_cmpuint (try_code (server, uuid, code, &reply), ==, 400);
      g_assert_cmpstr (ks_test_error_code (reply), ==, "mfa_invalid_code");
      g_clear_pointer (&reply, json_object_unref);
    }
  g_assert_cmpuint (try_code (server, uuid, fresh, &reply), ==, 200);
  g_assert_nonnull (json_object_get_string_member (reply, "minifiedJwt"));
  g_clear_pointer (&reply, json_object_unref);
}

static void
test_token_expiry (void)
{
  g_autoptr(KsTestServer) server = start_short_lived ();
  g_autofree char *email = ks_test_unique_email ("token");
  g_autoptr(JsonObject) signed_in = ks_test_sign_in (server, email);
  const char *token = json_object_get_string_member (signed_in, "minifiedJwt");
  JsonObject *reply = NULL;

  g_assert_cmpuint (ks_test_request (server, "GET", "/session", token, NULL, NULL, NULL), ==, 204);
  g_usleep (4500 * 1000);
  g_assert_cmpuint (ks_test_request (server, "GET", "/users", token, NULL, NULL, &reply), ==, 401);
  g_assert_cmpstr (ks_test_error_code (reply), ==, "token_expired");
  g_clear_pointer (&reply, json_object_unref);
  g_assert_cmpuint (ks_test_request (server, "POST", "/refresh", token, NULL, NULL, &reply), ==,
                    401);
  g_clear_pointer (&reply, json_object_unref);
}

static char *
replace_part (const char *jwt,
              guint       index,
              const char *replacement)
{
  g_auto(GStrv) parts = g_strsplit (jwt, ".", -1);

  g_free (parts[index]);
  parts[index] = g_strdup (replacement);
  return g_strjoinv (".", parts);
}

static void
test_forged_tokens (void)
{
  g_autoptr(KsTestServer) server = ks_test_server_start (NULL);
  g_autoptr(KsTestServer) other = ks_test_server_start (NULL);
  g_autofree char *email = ks_test_unique_email ("forged");
  g_autoptr(JsonObject) signed_in = ks_test_sign_in (server, email);
  g_autoptr(JsonObject) elsewhere = ks_test_sign_in (other, email);
  const char *token = json_object_get_string_member (signed_in, "minifiedJwt");
  g_auto(GStrv) parts = g_strsplit (token, ".", -1);
  g_autofree char *foreign_url = NULL;
  g_autoptr(GPtrArray) forged = g_ptr_array_new_with_free_func (g_free);
  JsonObject *reply = NULL;

  /* A payload that claims full scope, under the real signature. */
  {
    g_autoptr(JsonObject) claims = ks_test_jwt_claims (token);
    g_autoptr(JsonNode) node = NULL;
    g_autofree char *text = NULL;
    g_autofree char *encoded = NULL;

    json_object_set_string_member (claims, "scope", "user:basic");
    node = json_node_init_object (json_node_alloc (), claims);
    text = json_to_string (node, FALSE);
    encoded = g_base64_encode ((const guchar *) text, strlen (text));
    g_strdelimit (encoded, "+", '-');
    g_strdelimit (encoded, "/", '_');
    g_strdelimit (encoded, "=", '\0');
    g_ptr_array_add (forged, replace_part (token, 1, encoded));
  }
  /* A signature from elsewhere, none at all, and alg "none". */
  g_ptr_array_add (forged, replace_part (token, 2, "AAAA"));
  g_ptr_array_add (forged, replace_part (token, 2, ""));
  g_ptr_array_add (forged, replace_part (token, 0, "eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0"));
  g_ptr_array_add (forged, g_strdup ("not-a-jwt"));
  /* Another sandbox's real token, sent here. */
  g_ptr_array_add (forged, g_strdup (json_object_get_string_member (elsewhere, "minifiedJwt")));

  for (guint i = 0; i < forged->len; i++)
    {
      g_test_message ("forged token %u", i);
      g_assert_cmpuint (ks_test_request (server, "GET", "/users", g_ptr_array_index (forged, i),
                                         NULL, NULL, &reply), ==, 401);
      g_assert_cmpstr (ks_test_error_code (reply), ==, "invalid_token");
      g_clear_pointer (&reply, json_object_unref);
    }

  /* A real token of this sandbox, sent to an environment it was not issued for. */
  foreign_url = g_strdup_printf ("%s/sdk/%s/users", other->base_url, other->environment_id);
  g_assert_cmpuint (ks_test_request (server, "GET", foreign_url, token, NULL, NULL, &reply), ==,
                    401);
  g_clear_pointer (&reply, json_object_unref);

  g_assert_cmpuint (ks_test_request (server, "GET", "/users", NULL, NULL, NULL, &reply), ==, 401);
  g_assert_cmpstr (ks_test_error_code (reply), ==, "unauthorized");
  g_clear_pointer (&reply, json_object_unref);
  /* The real one still works. */
  g_assert_cmpuint (ks_test_request (server, "GET", "/users", token, NULL, NULL, NULL), ==, 200);
}

static void
test_bad_requests (void)
{
  g_autoptr(KsTestServer) server = ks_test_server_start (NULL);
  g_autofree char *unknown_env = g_strdup_printf ("%s/sdk/%s/settings", server->base_url,
                                                  "00000000-0000-4000-8000-000000000000");
  g_autofree char *outside = g_strdup_printf ("%s/nothing-here", server->base_url);
  g_autofree char *big = NULL;
  static const struct {
    const char *body;
    guint       status;
    const char *code;
  } bodies[] = {
    { "{\"email\": ", 400, "invalid_json" },
    { "not json at all", 400, "invalid_json" },
    { "{\"email\": \"a@example.com\"}{\"email\": \"b@example.com\"}", 400, "invalid_json" },
    { "{\"email\": \"a@example.com\"} []", 400, "invalid_json" },
    { "[\"a@example.com\"]", 400, "invalid_json" },
    { "", 400, "invalid_json" },
    { "{}", 400, "missing_field" },
    { "{\"email\": 42}", 400, "invalid_field" },
    { "{\"email\": [\"a@example.com\"]}", 400, "invalid_field" },
    { "{\"email\": \"no-at-sign\"}", 400, "invalid_email" },
    { "{\"email\": \"a@b\\r\\nBcc: x@y\"}", 400, "invalid_email" },
    { "{\"email\": \"a@example.com\", \"captchaToken\": 7}", 400, "invalid_field" },
  };
  JsonObject *reply = NULL;

  for (guint i = 0; i < G_N_ELEMENTS (bodies); i++)
    {
      g_test_message ("body: %s", bodies[i].body);
      g_assert_cmpuint (ks_test_request (server, "POST", "/emailVerifications/create", NULL, NULL,
                                         bodies[i].body, &reply), ==, bodies[i].status);
      g_assert_cmpstr (ks_test_error_code (reply), ==, bodies[i].code);
      g_clear_pointer (&reply, json_object_unref);
    }

  /* A body over 64 KiB is refused from its headers. */
  big = g_strnfill (65 * 1024, 'a');
  memcpy (big, "{\"email\":\"", 10);
  g_assert_cmpuint (ks_test_request (server, "POST", "/emailVerifications/create", NULL, NULL, big,
                                     &reply), ==, 413);
  g_assert_cmpstr (ks_test_error_code (reply), ==, "payload_too_large");
  g_clear_pointer (&reply, json_object_unref);

  g_assert_cmpuint (ks_test_request (server, "GET", unknown_env, NULL, NULL, NULL, &reply), ==,
                    404);
  g_assert_cmpstr (ks_test_error_code (reply), ==, "environment_not_found");
  g_clear_pointer (&reply, json_object_unref);
  g_assert_cmpuint (ks_test_request (server, "GET", "/no/such/path", NULL, NULL, NULL, &reply), ==,
                    404);
  g_assert_cmpstr (ks_test_error_code (reply), ==, "not_found");
  g_clear_pointer (&reply, json_object_unref);
  g_assert_cmpuint (ks_test_request (server, "GET", outside, NULL, NULL, NULL, &reply), ==, 404);
  g_assert_cmpstr (ks_test_error_code (reply), ==, "not_found");
  g_clear_pointer (&reply, json_object_unref);
  g_assert_cmpuint (ks_test_request (server, "DELETE", "/settings", NULL, NULL, NULL, &reply), ==,
                    405);
  g_assert_cmpstr (ks_test_error_code (reply), ==, "method_not_allowed");
  g_clear_pointer (&reply, json_object_unref);

  /* After all of that, the server still serves. */
  g_assert_cmpuint (ks_test_request (server, "GET", "/settings", NULL, NULL, NULL, NULL), ==, 200);
}

/* Wrong-typed members of authenticated calls are 400s too, never 500s. */
static void
test_bad_authenticated_bodies (void)
{
  g_autoptr(KsTestServer) server = ks_test_server_start (NULL);
  g_autofree char *email = ks_test_unique_email ("typed");
  g_autoptr(JsonObject) signed_in = ks_test_sign_in (server, email);
  const char *half = json_object_get_string_member (signed_in, "minifiedJwt");
  static const struct {
    const char *method;
    const char *path;
    const char *body;
  } cases[] = {
    { "POST", "/users/passkeys/register", "{}" },
    { "POST", "/users/passkeys/register", "{\"id\": 1, \"response\": []}" },
    { "POST", "/users/passkeys/register", "{\"response\": {\"clientDataJSON\": \"!!\"}}" },
    { "POST", "/users/mfa/auth/passkey", "{\"response\": {\"clientDataJSON\": 5}}" },
    { "POST", "/users/mfa/auth/recovery", "{\"code\": 123}" },
    { "POST", "/users/mfa/auth/recovery", "{}" },
    { "POST", "/users/mfa/auth/recovery", "{\"code\": \"x\", \"createMfaToken\": 1}" },
    { "POST", "/users/mfa/auth/recovery",
      "{\"code\": \"x\", \"createMfaToken\": {\"singleUse\": \"yes\"}}" },
  };
  JsonObject *reply = NULL;

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_test_message ("%s %s %s", cases[i].method, cases[i].path, cases[i].body);
      g_assert_cmpuint (ks_test_request (server, cases[i].method, cases[i].path, half, NULL,
                                         cases[i].body, &reply), ==, 400);
      ks_test_error_code (reply);
      g_clear_pointer (&reply, json_object_unref);
    }
}

static void
test_recovery_guessing (void)
{
  g_autoptr(KsTestServer) server = ks_test_server_start (NULL);
  g_autoptr(KsTestAuthenticator) key = ks_test_authenticator_new (server->origin, NULL);
  g_autofree char *email = ks_test_unique_email ("guess");
  g_autoptr(JsonObject) first = ks_test_sign_in (server, email);
  g_autoptr(JsonObject) options = NULL;
  g_autoptr(JsonObject) request = NULL;
  g_autoptr(JsonObject) registered = NULL;
  g_autoptr(JsonObject) codes = NULL;
  g_autoptr(JsonObject) second = NULL;
  g_autofree char *right = NULL;
  g_autofree char *right_body = NULL;
  JsonObject *reply = NULL;

  g_assert_cmpuint (ks_test_request (server, "GET", "/users/passkeys/register",
                                     json_object_get_string_member (first, "minifiedJwt"), NULL,
                                     NULL, &options), ==, 200);
  request = ks_test_authenticator_register (key, options);
  g_assert_cmpuint (ks_test_request_object (server, "POST", "/users/passkeys/register",
                                            json_object_get_string_member (first, "minifiedJwt"),
                                            NULL, request, &registered), ==, 200);
  g_assert_cmpuint (ks_test_request (server, "GET", "/users/mfa/recovery",
                                     json_object_get_string_member (registered, "minifiedJwt"),
                                     NULL, NULL, &codes), ==, 200);
  right = g_strdup (json_array_get_string_element (json_object_get_array_member (codes,
                                                                                 "recoveryCodes"),
                                                   0));
  right_body = g_strdup_printf ("{\"code\":\"%s\"}", right);

  second = ks_test_sign_in (server, email);
  for (int left = 4; left >= 0; left--)
    {
      g_assert_cmpuint (ks_test_request (server, "POST", "/users/mfa/auth/recovery",
                                         json_object_get_string_member (second, "minifiedJwt"),
                                         NULL, "{\"code\":\"zzzzz-zzzzz\"}", &reply), ==, 400);
      g_assert_cmpstr (ks_test_error_code (reply), ==, "mfa_invalid_code");
      g_assert_cmpint (json_object_get_int_member (json_object_get_object_member (reply, "payload"),
                                                   "attemptsLeft"), ==, left);
      g_clear_pointer (&reply, json_object_unref);
    }

  /* Locked out for a while, even with the right code, and across a restart. */
  ks_test_server_restart (server, TRUE);
  g_assert_cmpuint (ks_test_request (server, "POST", "/users/mfa/auth/recovery",
                                     json_object_get_string_member (second, "minifiedJwt"), NULL,
                                     right_body, &reply), ==, 429);
  g_assert_cmpstr (ks_test_error_code (reply), ==, "mfa_rate_limited");
  g_clear_pointer (&reply, json_object_unref);

  /* Like every 429, it says how long to wait. */
  {
    g_autofree char *url = g_strconcat (server->api, "/users/mfa/auth/recovery", NULL);
    g_autofree char *authorization = g_strconcat ("Bearer ",
                                                  json_object_get_string_member (second,
                                                                                 "minifiedJwt"),
                                                  NULL);
    g_autoptr(SoupMessage) msg = soup_message_new ("POST", url);
    g_autoptr(GBytes) body = g_bytes_new (right_body, strlen (right_body));
    g_autoptr(GBytes) answer = NULL;
    const char *retry_after;

    soup_message_headers_replace (soup_message_get_request_headers (msg), "Authorization",
                                  authorization);
    soup_message_set_request_body_from_bytes (msg, "application/json", body);
    answer = soup_session_send_and_read (server->session, msg, NULL, NULL);
    g_assert_cmpuint (soup_message_get_status (msg), ==, 429);
    retry_after = soup_message_headers_get_one (soup_message_get_response_headers (msg),
                                                "Retry-After");
    g_assert_nonnull (retry_after);
    g_assert_cmpint (atoi (retry_after), >, 0);
    g_assert_cmpint (atoi (retry_after), <=, 15 * 60);
  }
}

static void
test_expired_challenge_and_mfa_token (void)
{
  g_autoptr(KsTestServer) server = start_short_lived ();
  g_autoptr(KsTestAuthenticator) key = ks_test_authenticator_new (server->origin, NULL);
  g_autofree char *email = ks_test_unique_email ("late");
  g_autoptr(JsonObject) first = ks_test_sign_in (server, email);
  g_autoptr(JsonObject) options = NULL;
  g_autoptr(JsonObject) request = NULL;
  g_autoptr(JsonObject) registered = NULL;
  const char *half = json_object_get_string_member (first, "minifiedJwt");
  JsonObject *reply = NULL;

  g_assert_cmpuint (ks_test_request (server, "GET", "/users/passkeys/register", half, NULL, NULL,
                                     &options), ==, 200);
  g_assert_cmpint (json_object_get_int_member (options, "timeout"), ==, 2000);
  request = ks_test_authenticator_register (key, options);
  g_usleep (2500 * 1000);
  g_assert_cmpuint (ks_test_request_object (server, "POST", "/users/passkeys/register", half, NULL,
                                            request, &reply), ==, 400);
  g_assert_cmpstr (ks_test_error_code (reply), ==, "challenge_expired");
  g_clear_pointer (&reply, json_object_unref);

  /* New options, answered in time, with an MFA token that then lapses unused. */
  {
    g_autoptr(JsonObject) again = ks_test_sign_in (server, email);
    g_autoptr(JsonObject) fresh_options = NULL;
    g_autoptr(JsonObject) fresh_request = NULL;
    g_autoptr(JsonObject) codes = NULL;
    g_autoptr(JsonObject) later = NULL;
    g_autoptr(JsonObject) recovered = NULL;
    g_autoptr(JsonObject) list = NULL;
    g_autofree char *code_body = NULL;
    g_autofree char *delete_body = NULL;
    g_autofree char *mfa_token = NULL;
    JsonObject *ask = json_object_new ();
    const char *full;

    g_assert_cmpuint (ks_test_request (server, "GET", "/users/passkeys/register",
                                       json_object_get_string_member (again, "minifiedJwt"), NULL,
                                       NULL, &fresh_options), ==, 200);
    fresh_request = ks_test_authenticator_register (key, fresh_options);
    json_object_set_boolean_member (ask, "singleUse", TRUE);
    json_object_set_object_member (fresh_request, "createMfaToken", ask);
    g_assert_cmpuint (ks_test_request_object (server, "POST", "/users/passkeys/register",
                                              json_object_get_string_member (again, "minifiedJwt"),
                                              NULL, fresh_request, &registered), ==, 200);
    mfa_token = g_strdup (json_object_get_string_member (registered, "mfaToken"));
    g_assert_nonnull (mfa_token);
    g_assert_cmpuint (ks_test_request (server, "GET", "/users/mfa/recovery",
                                       json_object_get_string_member (registered, "minifiedJwt"),
                                       NULL, NULL, &codes), ==, 200);
    code_body = g_strdup_printf ("{\"code\":\"%s\"}", json_array_get_string_element (
                                   json_object_get_array_member (codes, "recoveryCodes"), 0));

    g_usleep (2500 * 1000);
    later = ks_test_sign_in (server, email);
    g_assert_cmpuint (ks_test_request (server, "POST", "/users/mfa/auth/recovery",
                                       json_object_get_string_member (later, "minifiedJwt"), NULL,
                                       code_body, &recovered), ==, 200);
    full = json_object_get_string_member (recovered, "minifiedJwt");
    g_assert_cmpuint (ks_test_request (server, "GET", "/users/passkeys", full, NULL, NULL, &list),
                      ==, 200);
    delete_body = g_strdup_printf ("{\"passkeyId\":\"%s\"}",
                                   json_object_get_string_member (json_array_get_object_element (
                                     json_object_get_array_member (list, "passkeys"), 0), "id"));
    g_assert_cmpuint (ks_test_request (server, "DELETE", "/users/passkeys", full, mfa_token,
                                       delete_body, &reply), ==, 403);
    g_assert_cmpstr (ks_test_error_code (reply), ==, "mfa_token_invalid");
    g_clear_pointer (&reply, json_object_unref);
    /* New recovery codes are guarded in this environment too. */
    g_assert_cmpuint (ks_test_request (server, "POST", "/users/mfa/recovery", full, NULL, NULL,
                                       &reply), ==, 403);
    g_assert_cmpstr (ks_test_error_code (reply), ==, "mfa_token_required");
    g_clear_pointer (&reply, json_object_unref);
  }
}

/* A chunked body has no length up front: it is cut off at 64 KiB as it arrives. */
static void
test_chunked_oversize (void)
{
  g_autoptr(KsTestServer) server = ks_test_server_start (NULL);
  g_autoptr(GUri) uri = g_uri_parse (server->base_url, G_URI_FLAGS_NONE, NULL);
  g_autoptr(GSocketClient) client = g_socket_client_new ();
  g_autoptr(GSocketConnection) connection = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GString) request = g_string_new (NULL);
  g_autoptr(GString) response = g_string_new (NULL);
  g_autofree char *chunk = g_strnfill (16 * 1024, 'a');
  GOutputStream *out;
  GInputStream *in;
  char buffer[4096];
  gssize n;

  connection = g_socket_client_connect_to_host (client, "127.0.0.1", g_uri_get_port (uri), NULL,
                                                &error);
  g_assert_no_error (error);
  out = g_io_stream_get_output_stream (G_IO_STREAM (connection));
  in = g_io_stream_get_input_stream (G_IO_STREAM (connection));

  g_string_append_printf (request, "POST /api/v0/sdk/%s/emailVerifications/create HTTP/1.1\r\n"
                          "Host: 127.0.0.1\r\nContent-Type: application/json\r\n"
                          "Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n",
                          server->environment_id);
  for (int i = 0; i < 6; i++)
    g_string_append_printf (request, "%x\r\n%s\r\n", (guint) strlen (chunk), chunk);
  g_string_append (request, "0\r\n\r\n");
  g_output_stream_write_all (out, request->str, request->len, NULL, NULL, &error);
  g_assert_no_error (error);

  while ((n = g_input_stream_read (in, buffer, sizeof buffer, NULL, &error)) > 0)
    g_string_append_len (response, buffer, n);
  g_assert_no_error (error);
  g_assert_true (g_str_has_prefix (response->str, "HTTP/1.1 413"));
  g_assert_nonnull (strstr (response->str, "\"code\":\"payload_too_large\""));

  /* And nothing was sent. */
  g_assert_cmpuint (ks_test_request (server, "GET", "/settings", NULL, NULL, NULL, NULL), ==, 200);
}

/* Every endpoint, every kind of token, bodies of every wrong shape: 4xx or 2xx, never 5xx. */
static void
test_no_server_errors (void)
{
  static const char *routes[][2] = {
    { "GET", "/settings" }, { "GET", "/jwks.json" },
    { "POST", "/emailVerifications/create" }, { "POST", "/emailVerifications/retry" },
    { "POST", "/emailVerifications/signin" }, { "GET", "/users" }, { "PUT", "/users" },
    { "POST", "/refresh" }, { "GET", "/session" }, { "GET", "/users/passkeys" },
    { "PUT", "/users/passkeys" }, { "DELETE", "/users/passkeys" },
    { "GET", "/users/passkeys/register" }, { "POST", "/users/passkeys/register" },
    { "GET", "/users/passkeys/authenticate" }, { "POST", "/users/mfa/auth/passkey" },
    { "GET", "/users/mfa/methods" }, { "GET", "/users/mfa" }, { "GET", "/users/mfa/recovery" },
    { "POST", "/users/mfa/recovery" }, { "POST", "/users/mfa/auth/recovery" },
    { "DELETE", "/users/mfa/0b5e1c9a-3f57-4d0c-9d0e-2a7e3c5b8f11" }, { "PATCH", "/users" },
    { "POST", "/revoke" },
  };
  static const char *bodies[] = {
    NULL, "", "null", "[]", "\"text\"", "{}", "\xff\xfe{", "{\"a\":1}{",
    "{\"email\":1,\"verificationUUID\":[],\"verificationToken\":{},\"id\":1,\"alias\":[],"
    "\"passkeyId\":null,\"code\":false,\"response\":1,\"rawId\":2,\"type\":3,"
    "\"createMfaToken\":\"x\",\"mfaBackupCodeAcknowledgement\":1}",
    "{\"email\":\"a@example.com\",\"verificationUUID\":\"x\",\"verificationToken\":\"1\","
    "\"id\":\"x\",\"alias\":\"\",\"passkeyId\":\"x\",\"code\":\"x\","
    "\"response\":{\"clientDataJSON\":\"e30\",\"attestationObject\":\"oA\","
    "\"authenticatorData\":\"AA\",\"signature\":\"AA\",\"userHandle\":5},"
    "\"rawId\":\"AA\",\"type\":\"public-key\",\"createMfaToken\":{\"singleUse\":true},"
    "\"mfaBackupCodeAcknowledgement\":\"pending\"}",
  };
  g_autoptr(KsTestServer) server = ks_test_server_start (NULL);
  g_autoptr(KsTestAuthenticator) key = ks_test_authenticator_new (server->origin, NULL);
  g_autofree char *email = ks_test_unique_email ("shapes");
  g_autoptr(JsonObject) first = ks_test_sign_in (server, email);
  g_autoptr(JsonObject) options = NULL;
  g_autoptr(JsonObject) request = NULL;
  g_autoptr(JsonObject) registered = NULL;
  const char *full;

  g_assert_cmpuint (ks_test_request (server, "GET", "/users/passkeys/register",
                                     json_object_get_string_member (first, "minifiedJwt"), NULL,
                                     NULL, &options), ==, 200);
  request = ks_test_authenticator_register (key, options);
  g_assert_cmpuint (ks_test_request_object (server, "POST", "/users/passkeys/register",
                                            json_object_get_string_member (first, "minifiedJwt"),
                                            NULL, request, &registered), ==, 200);
  full = json_object_get_string_member (registered, "minifiedJwt");

  /* No token, a garbage one, a half-session and a full session; /revoke comes last. */
  for (guint r = 0; r < G_N_ELEMENTS (routes); r++)
    {
      g_autofree char *other = ks_test_unique_email ("shapes-half");
      g_autoptr(JsonObject) half = ks_test_sign_in (server, other);
      const char *tokens[] = {
        NULL, "garbage", json_object_get_string_member (half, "minifiedJwt"), full
      };

      for (guint b = 0; b < G_N_ELEMENTS (bodies); b++)
        for (guint t = 0; t < G_N_ELEMENTS (tokens); t++)
          {
            g_autoptr(JsonObject) reply = NULL;
            guint status;

            status = ks_test_request (server, routes[r][0], routes[r][1], tokens[t], "bad-mfa",
                                      bodies[b], &reply);
            if (status >= 500)
              g_error ("%s %s (token %u, body %u) answered %u", routes[r][0], routes[r][1], t, b,
                       status);
            if (status >= 400)
              ks_test_error_code (reply);
          }
    }

  g_assert_cmpuint (ks_test_request (server, "GET", "/settings", NULL, NULL, NULL, NULL), ==, 200);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/sandbox/errors/wrong-code-tries", test_wrong_code_tries);
  g_test_add_func ("/sandbox/errors/code-expiry-and-retry", test_code_expiry_and_retry);
  g_test_add_func ("/sandbox/errors/token-expiry", test_token_expiry);
  g_test_add_func ("/sandbox/errors/forged-tokens", test_forged_tokens);
  g_test_add_func ("/sandbox/errors/bad-requests", test_bad_requests);
  g_test_add_func ("/sandbox/errors/bad-authenticated-bodies", test_bad_authenticated_bodies);
  g_test_add_func ("/sandbox/errors/recovery-guessing", test_recovery_guessing);
  g_test_add_func ("/sandbox/errors/expired-challenge", test_expired_challenge_and_mfa_token);
  g_test_add_func ("/sandbox/errors/chunked-oversize", test_chunked_oversize);
  g_test_add_func ("/sandbox/errors/no-server-errors", test_no_server_errors);

  return g_test_run ();
}
