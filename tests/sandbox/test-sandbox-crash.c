/* test-sandbox-crash.c: keyturn-sandbox killed with SIGKILL at any point of a flow loses nothing it
 * answered 2xx: users, sessions, passkeys, counters, recovery codes, acknowledgements
 *
 * The passkey is made and used by the real keyturn-virtual-key through Keyturn's own WebAuthn
 * client; no stand-in authenticator answers.
 *
 * Copyright 2026 Keyturn developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <string.h>

#include "ks-test-authenticator.h"
#include "ks-test-server.h"

/* The origin does not follow the port, so that passkeys still verify after a restart. */
static char *
fixed_origin_config (void)
{
  g_autofree char *id = g_uuid_string_random ();

  return g_strdup_printf ("{\"environments\":[{\"id\":\"%s\",\"displayName\":\"Crash\","
                          "\"rp\":{\"id\":\"keyturn.test\",\"name\":\"Crash\"},"
                          "\"origin\":\"https://keyturn.test\","
                          "\"mfa\":{\"required\":true,\"mfaTokenRequiredFor\":[]}}]}", id);
}

static void
crash (KsTestServer *server)
{
  g_autofree char *before = g_strdup (server->environment_id);

  ks_test_server_restart (server, TRUE);
  g_assert_cmpstr (server->environment_id, ==, before);
}

static JsonObject *
passkey_ceremony (KsTestServer        *server,
                  KsTestAuthenticator *key,
                  const char          *token,
                  gboolean             registration,
                  guint                expected)
{
  g_autoptr(JsonObject) options = NULL;
  g_autoptr(JsonObject) request = NULL;
  JsonObject *reply = NULL;

  g_assert_cmpuint (ks_test_request (server, "GET", registration ? "/users/passkeys/register"
                                                                 : "/users/passkeys/authenticate",
                                     token, NULL, NULL, &options), ==, 200);
  if (registration)
    request = ks_test_authenticator_register (key, options);
  else
    request = ks_test_authenticator_authenticate (key, options);
  g_assert_cmpuint (ks_test_request_object (server, "POST",
                                            registration ? "/users/passkeys/register"
                                                         : "/users/mfa/auth/passkey",
                                            token, NULL, request, &reply), ==, expected);
  return reply;
}

static GPtrArray *
get_codes (KsTestServer *server,
           const char   *token)
{
  g_autoptr(JsonObject) reply = NULL;
  GPtrArray *codes = g_ptr_array_new_with_free_func (g_free);
  JsonArray *array;

  g_assert_cmpuint (ks_test_request (server, "GET", "/users/mfa/recovery", token, NULL, NULL,
                                     &reply), ==, 200);
  array = json_object_get_array_member (reply, "recoveryCodes");
  for (guint i = 0; i < json_array_get_length (array); i++)
    g_ptr_array_add (codes, g_strdup (json_array_get_string_element (array, i)));
  return codes;
}

static void
test_kill_after_each_step (void)
{
  g_autofree char *config = fixed_origin_config ();
  g_autoptr(KsTestServer) server = ks_test_server_start (config);
  g_autoptr(KsTestAuthenticator) key = ks_test_authenticator_new (server->origin, NULL);
  g_autofree char *email = ks_test_unique_email ("crash");
  g_autofree char *create_body = g_strdup_printf ("{\"email\":\"%s\"}", email);
  g_autoptr(JsonObject) created = NULL;
  g_autoptr(JsonObject) signed_in = NULL;
  g_autoptr(JsonObject) registered = NULL;
  g_autoptr(JsonObject) reply = NULL;
  g_autoptr(GPtrArray) codes = NULL;
  g_autofree char *code = NULL;
  g_autofree char *signin_body = NULL;
  g_autofree char *half = NULL;
  g_autofree char *full = NULL;
  g_autofree char *user_id = NULL;

  /* 1. The email code was sent: after the crash it still signs in. */
  g_assert_cmpuint (ks_test_request (server, "POST", "/emailVerifications/create", NULL, NULL,
                                     create_body, &created), ==, 200);
  code = ks_test_server_read_code (server, email);
  crash (server);
  signin_body = g_strdup_printf ("{\"verificationUUID\":\"%s\",\"verificationToken\":\"%s\"}",
                                 json_object_get_string_member (created, "verificationUUID"),
                                 code);
  g_assert_cmpuint (ks_test_request (server, "POST", "/emailVerifications/signin", NULL, NULL,
                                     signin_body, &signed_in), ==, 200);
  half = g_strdup (json_object_get_string_member (signed_in, "minifiedJwt"));
  user_id = g_strdup (json_object_get_string_member (json_object_get_object_member (signed_in,
                                                                                    "user"),
                                                     "id"));

  /* 2. The session and the spent code. */
  crash (server);
  g_assert_cmpuint (ks_test_request (server, "GET", "/session", half, NULL, NULL, NULL), ==, 204);
  g_assert_cmpuint (ks_test_request (server, "POST", "/emailVerifications/signin", NULL, NULL,
                                     signin_body, &reply), ==, 400);
  g_assert_cmpstr (ks_test_error_code (reply), ==, "verification_used");
  g_clear_pointer (&reply, json_object_unref);

  /* 3. The passkey, the upgraded session, the pending acknowledgement. */
  registered = passkey_ceremony (server, key, half, TRUE, 200);
  full = g_strdup (json_object_get_string_member (registered, "minifiedJwt"));
  crash (server);
  g_assert_cmpuint (ks_test_request (server, "GET", "/users/passkeys", full, NULL, NULL, &reply),
                    ==, 200);
  g_assert_cmpint (json_object_get_int_member (reply, "count"), ==, 1);
  g_clear_pointer (&reply, json_object_unref);
  g_assert_cmpuint (ks_test_request (server, "GET", "/users", full, NULL, NULL, &reply), ==, 200);
  g_assert_cmpstr (json_object_get_string_member (reply, "id"), ==, user_id);
  g_assert_cmpstr (json_object_get_string_member (reply, "mfaBackupCodeAcknowledgement"), ==,
                   "pending");
  g_clear_pointer (&reply, json_object_unref);

  /* 4. The recovery codes, the same ones after the crash. */
  codes = get_codes (server, full);
  g_assert_cmpuint (codes->len, ==, 10);
  crash (server);
  {
    g_autoptr(GPtrArray) again = get_codes (server, full);

    g_assert_cmpuint (again->len, ==, 10);
    for (guint i = 0; i < codes->len; i++)
      g_assert_cmpstr (g_ptr_array_index (again, i), ==, g_ptr_array_index (codes, i));
  }

  /* 5. The acknowledgement. */
  g_assert_cmpuint (ks_test_request (server, "PUT", "/users", full, NULL,
                                     "{\"mfaBackupCodeAcknowledgement\":\"complete\"}", NULL), ==,
                    200);
  crash (server);
  g_assert_cmpuint (ks_test_request (server, "GET", "/users", full, NULL, NULL, &reply), ==, 200);
  g_assert_cmpstr (json_object_get_string_member (reply, "mfaBackupCodeAcknowledgement"), ==,
                   "complete");
  g_clear_pointer (&reply, json_object_unref);

  /* 6. The sign counter: an answer that does not count past the stored one is still refused. The
   * key's state from before a sign-in is a clone whose next count is the one the server stored. */
  {
    g_autoptr(JsonObject) second = ks_test_sign_in (server, email);
    const char *token = json_object_get_string_member (second, "minifiedJwt");
    g_autoptr(GBytes) clone = ks_test_authenticator_save_state (key);
    g_autoptr(JsonObject) authed = passkey_ceremony (server, key, token, FALSE, 200);
    g_autoptr(JsonObject) refused = NULL;
    g_autoptr(JsonObject) third = NULL;

    crash (server);
    ks_test_authenticator_restore_state (key, clone);
    third = ks_test_sign_in (server, email);
    refused = passkey_ceremony (server, key, json_object_get_string_member (third, "minifiedJwt"),
                                FALSE, 400);
    g_assert_cmpstr (ks_test_error_code (refused), ==, "sign_count_not_increased");
    g_assert_cmpuint (ks_test_request (server, "GET", "/users/mfa/methods",
                                       json_object_get_string_member (authed, "minifiedJwt"),
                                       NULL, NULL, NULL), ==, 200);
  }

  /* 7. A spent recovery code stays spent. */
  {
    g_autoptr(JsonObject) fourth = ks_test_sign_in (server, email);
    g_autofree char *body = g_strdup_printf ("{\"code\":\"%s\"}",
                                             (char *) g_ptr_array_index (codes, 4));
    g_autoptr(JsonObject) fifth = NULL;
    g_autoptr(GPtrArray) left = NULL;

    g_assert_cmpuint (ks_test_request (server, "POST", "/users/mfa/auth/recovery",
                                       json_object_get_string_member (fourth, "minifiedJwt"),
                                       NULL, body, NULL), ==, 200);
    crash (server);
    fifth = ks_test_sign_in (server, email);
    g_assert_cmpuint (ks_test_request (server, "POST", "/users/mfa/auth/recovery",
                                       json_object_get_string_member (fifth, "minifiedJwt"),
                                       NULL, body, &reply), ==, 400);
    g_assert_cmpstr (ks_test_error_code (reply), ==, "mfa_invalid_code");
    g_clear_pointer (&reply, json_object_unref);
    left = get_codes (server, full);
    g_assert_cmpuint (left->len, ==, 9);
  }

  /* 8. A revoked session stays revoked. */
  g_assert_cmpuint (ks_test_request (server, "POST", "/revoke", full, NULL, NULL, NULL), ==, 204);
  crash (server);
  g_assert_cmpuint (ks_test_request (server, "GET", "/session", full, NULL, NULL, NULL), ==, 401);
}

/* Requests keep arriving from a thread while the server is killed at a random moment. */
typedef struct {
  char     *api;
  char     *outbox;
  GMutex    lock;
  GPtrArray *created;                 /* "email uuid" answered 200 to create */
  GPtrArray *tokens;                  /* tokens answered 200 to signin */
  gboolean   started;
} Burst;

static guint
raw_request (SoupSession *session,
             const char  *url,
             const char  *body,
             JsonObject **out)
{
  g_autoptr(SoupMessage) msg = soup_message_new ("POST", url);
  g_autoptr(GBytes) bytes = g_bytes_new (body, strlen (body));
  g_autoptr(GBytes) reply = NULL;
  g_autoptr(JsonParser) parser = json_parser_new ();

  soup_message_set_request_body_from_bytes (msg, "application/json", bytes);
  reply = soup_session_send_and_read (session, msg, NULL, NULL);
  if (reply == NULL)
    return 0;
  if (out != NULL && soup_message_get_status (msg) == 200
      && json_parser_load_from_data (parser, g_bytes_get_data (reply, NULL),
                                     g_bytes_get_size (reply), NULL))
    *out = json_object_ref (json_node_get_object (json_parser_get_root (parser)));
  return soup_message_get_status (msg);
}

static gpointer
burst_thread (gpointer data)
{
  Burst *burst = data;
  g_autoptr(SoupSession) session = soup_session_new_with_options ("timeout", 10, NULL);
  g_autofree char *create_url = g_strconcat (burst->api, "/emailVerifications/create", NULL);
  g_autofree char *signin_url = g_strconcat (burst->api, "/emailVerifications/signin", NULL);

  for (guint i = 0; i < 10000; i++)
    {
      g_autofree char *email = g_strdup_printf ("burst-%u@example.com", i);
      g_autofree char *body = g_strdup_printf ("{\"email\":\"%s\"}", email);
      g_autoptr(JsonObject) created = NULL;
      g_autoptr(JsonObject) signed_in = NULL;
      g_autofree char *signin = NULL;
      g_autofree char *code = NULL;
      const char *uuid;

      if (raw_request (session, create_url, body, &created) != 200 || created == NULL)
        break;
      uuid = json_object_get_string_member (created, "verificationUUID");
      g_mutex_lock (&burst->lock);
      g_ptr_array_add (burst->created, g_strdup_printf ("%s %s", email, uuid));
      burst->started = TRUE;
      g_mutex_unlock (&burst->lock);

      /* Half of them stop at the code, the other half sign in. */
      if (i % 2 == 0)
        continue;
      {
        g_autoptr(GDir) dir = g_dir_open (burst->outbox, 0, NULL);
        g_autofree char *wanted = g_strdup_printf ("\r\nTo: <%s>\r\n", email);
        const char *name;

        /* The code follows "is:" and a blank line in the message the person reads. */
        while (dir != NULL && code == NULL && (name = g_dir_read_name (dir)) != NULL)
          {
            g_autofree char *path = g_build_filename (burst->outbox, name, NULL);
            g_autofree char *text = NULL;
            const char *at;

            if (g_file_get_contents (path, &text, NULL, NULL) && strstr (text, wanted) != NULL
                && (at = strstr (text, "is:\r\n\r\n    ")) != NULL)
              code = g_strndup (at + strlen ("is:\r\n\r\n    "), 6);
          }
      }
      if (code == NULL)
        break;
      signin = g_strdup_printf ("{\"verificationUUID\":\"%s\",\"verificationToken\":\"%s\"}",
                                uuid, code);
      if (raw_request (session, signin_url, signin, &signed_in) != 200 || signed_in == NULL)
        break;
      g_mutex_lock (&burst->lock);
      g_ptr_array_add (burst->tokens,
                       g_strdup (json_object_get_string_member (signed_in, "minifiedJwt")));
      g_mutex_unlock (&burst->lock);
    }
  return NULL;
}

static void
test_kill_mid_burst (void)
{
  g_autofree char *config = fixed_origin_config ();
  g_autoptr(KsTestServer) server = ks_test_server_start (config);
  Burst burst = { 0 };
  GThread *thread;
  guint n_signed_in;

  burst.api = g_strdup (server->api);
  burst.outbox = g_build_filename (server->data_dir, "outbox", NULL);
  burst.created = g_ptr_array_new_with_free_func (g_free);
  burst.tokens = g_ptr_array_new_with_free_func (g_free);
  g_mutex_init (&burst.lock);

  thread = g_thread_new ("burst", burst_thread, &burst);
  /* Wait for the first answer, then kill at a moment the test does not choose. */
  for (guint i = 0; i < 500 && !g_atomic_int_get (&burst.started); i++)
    g_usleep (10 * 1000);
  g_usleep (g_test_rand_int_range (50, 400) * 1000);
  ks_test_server_kill (server);
  g_thread_join (thread);

  g_test_message ("killed after %u codes sent and %u sign-ins", burst.created->len,
                  burst.tokens->len);
  g_assert_cmpuint (burst.created->len, >, 0);

  ks_test_server_restart (server, TRUE);
  n_signed_in = burst.tokens->len;
  for (guint i = 0; i < n_signed_in; i++)
    g_assert_cmpuint (ks_test_request (server, "GET", "/session",
                                       g_ptr_array_index (burst.tokens, i), NULL, NULL, NULL), ==,
                      204);

  /* Every code the server said it sent can still be used, unless it already was. */
  for (guint i = 0; i < burst.created->len; i += 2)
    {
      g_auto(GStrv) parts = g_strsplit (g_ptr_array_index (burst.created, i), " ", 2);
      g_autofree char *code = ks_test_server_read_code (server, parts[0]);
      g_autofree char *body = g_strdup_printf ("{\"verificationUUID\":\"%s\","
                                               "\"verificationToken\":\"%s\"}", parts[1], code);

      g_assert_cmpuint (ks_test_request (server, "POST", "/emailVerifications/signin", NULL, NULL,
                                         body, NULL), ==, 200);
    }

  g_ptr_array_unref (burst.created);
  g_ptr_array_unref (burst.tokens);
  g_mutex_clear (&burst.lock);
  g_free (burst.api);
  g_free (burst.outbox);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/sandbox/crash/kill-after-each-step", test_kill_after_each_step);
  g_test_add_func ("/sandbox/crash/kill-mid-burst", test_kill_mid_burst);

  return g_test_run ();
}
