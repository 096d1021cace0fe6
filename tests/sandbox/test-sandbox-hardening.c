/* test-sandbox-hardening.c: what keyturn-sandbox does with a hostile client: forged log lines,
 * huge declared bodies, code guessing across resends and addresses, NUL inside JSON strings
 *
 * Copyright 2026 Keyturn developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <gio/gio.h>
#include <string.h>

#include "ks-test-server.h"

static KsTestServer *
start_with (const char *environment_json)
{
  g_autofree char *id = g_uuid_string_random ();
  g_autofree char *config = g_strdup_printf ("{\"environments\":[{\"id\":\"%s\","
                                             "\"displayName\":\"Hostile\"%s%s}]}", id,
                                             environment_json != NULL ? "," : "",
                                             environment_json != NULL ? environment_json : "");

  return ks_test_server_start (config);
}

/* Sends @request as is over a new connection and reads the answer until the server closes it
 * or @timeout_s pass; answers what was read (NULL on a timeout before any answer). */
static char *
raw_exchange (KsTestServer *server,
              const char   *request,
              gsize         request_len,
              guint         timeout_s)
{
  g_autoptr(GUri) uri = g_uri_parse (server->base_url, G_URI_FLAGS_NONE, NULL);
  g_autoptr(GSocketClient) client = g_socket_client_new ();
  g_autoptr(GSocketConnection) connection = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GString) response = g_string_new (NULL);
  char buffer[4096];
  gssize n;

  connection = g_socket_client_connect_to_host (client, "127.0.0.1", g_uri_get_port (uri), NULL,
                                                &error);
  g_assert_no_error (error);
  g_socket_set_timeout (g_socket_connection_get_socket (connection), timeout_s);
  g_output_stream_write_all (g_io_stream_get_output_stream (G_IO_STREAM (connection)), request,
                             request_len, NULL, NULL, &error);
  g_assert_no_error (error);
  while ((n = g_input_stream_read (g_io_stream_get_input_stream (G_IO_STREAM (connection)),
                                   buffer, sizeof buffer, NULL, &error)) > 0)
    g_string_append_len (response, buffer, n);
  if (error != NULL)
    {
      g_test_message ("read: %s", error->message);
      return NULL;
    }
  return g_string_free (g_steal_pointer (&response), FALSE);
}

static char *
server_log (KsTestServer *server,
            const char   *waiting_for)
{
  g_autofree char *path = g_build_filename (server->root, "server.log", NULL);
  gint64 deadline = g_get_monotonic_time () + 5 * G_USEC_PER_SEC;

  /* The sandbox writes its log a few times a second. */
  while (TRUE)
    {
      g_autofree char *log = NULL;

      if (g_file_get_contents (path, &log, NULL, NULL) && strstr (log, waiting_for) != NULL)
        return g_steal_pointer (&log);
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_usleep (50 * 1000);
    }
}

/* A path, a request id or a body-size line can carry no line break, CR or escape into the log:
 * every line is the sandbox's own. */
static void
test_log_injection (void)
{
  g_autoptr(KsTestServer) server = ks_test_server_start (NULL);
  const char *forged = "%0akeyturn-sandbox%2012:00:00.000%20req=ks-1%20email%20to%20"
                       "dev@example.com:%20sign-in%20code%20123456%0d%1b[2K";
  g_autofree char *get = g_strdup_printf ("GET /api/v0/sdk/%s/settings%s HTTP/1.1\r\n"
                                          "Host: 127.0.0.1\r\nx-dyn-request-id: marker-get\r\n"
                                          "Connection: close\r\n\r\n",
                                          server->environment_id, forged);
  g_autoptr(GString) big = g_string_new (NULL);
  g_autofree char *answer = NULL;
  g_autofree char *log = NULL;
  g_auto(GStrv) lines = NULL;

  answer = raw_exchange (server, get, strlen (get), 5);
  g_assert_nonnull (answer);
  g_assert_true (g_str_has_prefix (answer, "HTTP/1.1 404"));
  g_clear_pointer (&answer, g_free);
  /* The early 413 logs the path too. */
  g_string_append_printf (big, "POST /api/v0/sdk/%s/emailVerifications/create%s HTTP/1.1\r\n"
                          "Host: 127.0.0.1\r\nx-dyn-request-id: marker-413\r\n"
                          "Content-Length: 70000\r\nConnection: close\r\n\r\n",
                          server->environment_id, forged);
  for (guint i = 0; i < 70000; i++)
    g_string_append_c (big, ' ');
  answer = raw_exchange (server, big->str, big->len, 5);
  g_assert_nonnull (answer);
  g_assert_true (g_str_has_prefix (answer, "HTTP/1.1 413"));

  g_free (server_log (server, "marker-get"));
  log = server_log (server, "marker-413");
  g_assert_null (strchr (log, '\r'));
  g_assert_null (strchr (log, '\x1b'));
  lines = g_strsplit (log, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    {
      /* Blank and indented lines are the banner the sandbox prints at start. */
      if (lines[i][0] == '\0' || g_str_has_prefix (lines[i], "  "))
        continue;
      if (!g_str_has_prefix (lines[i], "keyturn-sandbox "))
        g_error ("a log line the sandbox did not write: %s", lines[i]);
      /* The forged text is kept, escaped, on the request's own line. */
      if (strstr (lines[i], "dev@example.com") != NULL)
        g_assert_nonnull (strstr (lines[i], "marker-"));
    }
}

/* A declared length over 64 KiB is refused from the headers: the answer comes while the client
 * has sent almost nothing of the 100 MB it announced, and the connection is closed. */
static void
test_early_413 (void)
{
  g_autoptr(KsTestServer) server = ks_test_server_start (NULL);
  g_autoptr(GString) request = g_string_new (NULL);
  g_autofree char *answer = NULL;
  gint64 start;

  g_string_append_printf (request, "POST /api/v0/sdk/%s/emailVerifications/create HTTP/1.1\r\n"
                          "Host: 127.0.0.1\r\nContent-Type: application/json\r\n"
                          "Content-Length: 104857600\r\n\r\n{\"email\":\"",
                          server->environment_id);
  for (guint i = 0; i < 1000; i++)
    g_string_append_c (request, 'a');

  start = g_get_monotonic_time ();
  answer = raw_exchange (server, request->str, request->len, 5);
  g_assert_nonnull (answer);
  g_test_message ("413 after %.1f ms", (g_get_monotonic_time () - start) / 1000.0);
  g_assert_true (g_str_has_prefix (answer, "HTTP/1.1 413"));
  g_assert_nonnull (strstr (answer, "\"code\":\"payload_too_large\""));
  g_assert_nonnull (strstr (answer, "\r\nConnection: close\r\n"));

  /* The server goes on. */
  g_assert_cmpuint (ks_test_request (server, "GET", "/settings", NULL, NULL, NULL, NULL), ==, 200);
}

static char *
create_verification (KsTestServer *server,
                     const char   *email,
                     guint         expected)
{
  g_autofree char *body = g_strdup_printf ("{\"email\":\"%s\"}", email);
  g_autoptr(JsonObject) reply = NULL;

  g_assert_cmpuint (ks_test_request (server, "POST", "/emailVerifications/create", NULL, NULL, body,
                                     &reply), ==, expected);
  return expected == 200
         ? g_strdup (json_object_get_string_member (reply, "verificationUUID")) : NULL;
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

static guint
resend (KsTestServer  *server,
        const char    *email,
        const char    *uuid,
        JsonObject   **reply)
{
  g_autofree char *body = g_strdup_printf ("{\"email\":\"%s\",\"verificationUUID\":\"%s\"}",
                                           email, uuid);

  return ks_test_request (server, "POST", "/emailVerifications/retry", NULL, NULL, body, reply);
}

/* A status and the Retry-After header of a POST. */
static guint
post_for_retry_after (KsTestServer  *server,
                      const char    *path,
                      const char    *body,
                      char         **retry_after)
{
  g_autofree char *url = g_strconcat (server->api, path, NULL);
  g_autoptr(SoupMessage) msg = soup_message_new ("POST", url);
  g_autoptr(GBytes) bytes = g_bytes_new (body, strlen (body));
  g_autoptr(GBytes) reply = NULL;

  soup_message_set_request_body_from_bytes (msg, "application/json", bytes);
  reply = soup_session_send_and_read (server->session, msg, NULL, NULL);
  g_assert_nonnull (reply);
  *retry_after = g_strdup (soup_message_headers_get_one (soup_message_get_response_headers (msg),
                                                         "Retry-After"));
  return soup_message_get_status (msg);
}

static char *
wrong_code (const char *code)
{
  return g_strdup_printf ("%06d", (atoi (code) + 1) % 1000000);
}

/* Resends give a code new tries, but one verification gets at most 10 wrong guesses in all. */
static void
test_guesses_across_resends (void)
{
  g_autoptr(KsTestServer) server = start_with ("\"lifetimes\":{\"emailRetry\":1}");
  g_autofree char *email = ks_test_unique_email ("resend");
  g_autofree char *uuid = create_verification (server, email, 200);
  JsonObject *reply = NULL;

  for (guint round = 0; round < 2; round++)
    {
      g_autofree char *code = ks_test_server_read_code (server, email);
      g_autofree char *wrong = wrong_code (code);

      for (int left = 4; left >= 1; left--)
        {
          g_assert_cmpuint (try_code (server, uuid, wrong, &reply), ==, 400);
          g_assert_cmpstr (ks_test_error_code (reply), ==, "mfa_invalid_code");
          g_clear_pointer (&reply, json_object_unref);
        }
      g_assert_cmpuint (try_code (server, uuid, wrong, &reply), ==, 400);
      g_assert_cmpstr (ks_test_error_code (reply), ==, "verification_locked");
      g_clear_pointer (&reply, json_object_unref);

      g_usleep (1100 * 1000);
      if (round == 0)
        g_assert_cmpuint (resend (server, email, uuid, NULL), ==, 200);
    }

  /* Ten wrong guesses: no resend brings it back, and no code signs in. */
  g_assert_cmpuint (resend (server, email, uuid, &reply), ==, 400);
  g_assert_cmpstr (ks_test_error_code (reply), ==, "verification_locked");
  g_clear_pointer (&reply, json_object_unref);
  {
    g_autofree char *code = ks_test_server_read_code (server, email);

    g_assert_cmpuint (try_code (server, uuid, code, &reply), ==, 400);
    g_assert_cmpstr (ks_test_error_code (reply), ==, "verification_locked");
    g_clear_pointer (&reply, json_object_unref);
  }
}

/* Wrong guesses are also counted per address and hour, whichever verification they go to; then
 * even the right code waits. */
static void
test_guesses_per_address (void)
{
  g_autoptr(KsTestServer) server = start_with ("\"limits\":{"
                                                    "\"emailCodeGuessesPerAddressPerHour\":6}");
  g_autofree char *email = ks_test_unique_email ("address");
  g_autofree char *first = create_verification (server, email, 200);
  g_autofree char *first_code = ks_test_server_read_code (server, email);
  g_autofree char *wrong = wrong_code (first_code);
  g_autofree char *second = NULL;
  g_autofree char *second_code = NULL;
  g_autofree char *retry_after = NULL;
  g_autofree char *body = NULL;
  g_autofree char *other = ks_test_unique_email ("address");
  g_autofree char *other_uuid = NULL;
  g_autofree char *other_code = NULL;

  for (guint i = 0; i < 5; i++)
    g_assert_cmpuint (try_code (server, first, wrong, NULL), ==, 400);
  second = create_verification (server, email, 200);
  second_code = ks_test_server_read_code (server, email);
  g_clear_pointer (&wrong, g_free);
  wrong = wrong_code (second_code);
  g_assert_cmpuint (try_code (server, second, wrong, NULL), ==, 400);

  body = g_strdup_printf ("{\"verificationUUID\":\"%s\",\"verificationToken\":\"%s\"}", second,
                          second_code);
  g_assert_cmpuint (post_for_retry_after (server, "/emailVerifications/signin", body,
                                          &retry_after), ==, 429);
  g_assert_nonnull (retry_after);
  g_assert_cmpint (atoi (retry_after), >, 0);

  /* Another address is not held back. */
  other_uuid = create_verification (server, other, 200);
  other_code = ks_test_server_read_code (server, other);
  g_assert_cmpuint (try_code (server, other_uuid, other_code, NULL), ==, 200);
}

/* Codes sent per minute are bounded for the whole environment, whatever the addresses. */
static void
test_send_rate (void)
{
  g_autoptr(KsTestServer) server = start_with ("\"limits\":{\"emailCodesPerMinute\":3}");
  g_autofree char *body = NULL;
  g_autofree char *retry_after = NULL;
  g_autofree char *last = ks_test_unique_email ("rate");

  for (guint i = 0; i < 3; i++)
    {
      g_autofree char *email = ks_test_unique_email ("rate");
      g_autofree char *uuid = create_verification (server, email, 200);
    }
  body = g_strdup_printf ("{\"email\":\"%s\"}", last);
  g_assert_cmpuint (post_for_retry_after (server, "/emailVerifications/create", body,
                                          &retry_after), ==, 429);
  g_assert_nonnull (retry_after);
  g_assert_cmpint (atoi (retry_after), >, 0);
  g_assert_cmpint (atoi (retry_after), <=, 60);
}

/* A NUL inside a JSON string would cut it short in C: such a body is not taken. */
static void
test_nul_in_json (void)
{
  g_autoptr(KsTestServer) server = ks_test_server_start (NULL);
  g_autofree char *email = ks_test_unique_email ("nul");
  g_autofree char *uuid = create_verification (server, email, 200);
  g_autofree char *code = ks_test_server_read_code (server, email);
  g_autofree char *with_nul = g_strdup_printf ("%s\\u0000junk", code);
  g_autofree char *escaped_backslash = g_strdup_printf ("%s\\\\u0000", code);
  JsonObject *reply = NULL;

  g_assert_cmpuint (try_code (server, uuid, with_nul, &reply), ==, 400);
  g_assert_cmpstr (ks_test_error_code (reply), ==, "invalid_json");
  g_clear_pointer (&reply, json_object_unref);

  g_assert_cmpuint (ks_test_request (server, "POST", "/emailVerifications/create", NULL, NULL,
                                     "{\"email\":\"victim@example.com\\u0000x\"}", &reply), ==,
                    400);
  g_assert_cmpstr (ks_test_error_code (reply), ==, "invalid_json");
  g_clear_pointer (&reply, json_object_unref);
  g_assert_cmpuint (ks_test_request (server, "POST", "/emailVerifications/create", NULL, NULL,
                                     "{\"email\":\"victim@example.com\\u0000\"}", &reply), ==,
                    400);
  g_assert_cmpstr (ks_test_error_code (reply), ==, "invalid_json");
  g_clear_pointer (&reply, json_object_unref);

  /* A backslash before "u0000" is text, not a NUL: an ordinary wrong code. */
  g_assert_cmpuint (try_code (server, uuid, escaped_backslash, &reply), ==, 400);
  g_assert_cmpstr (ks_test_error_code (reply), ==, "mfa_invalid_code");
  g_clear_pointer (&reply, json_object_unref);

  /* The refused bodies spent nothing. */
  g_assert_cmpuint (try_code (server, uuid, code, NULL), ==, 200);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/sandbox/hardening/log-injection", test_log_injection);
  g_test_add_func ("/sandbox/hardening/early-413", test_early_413);
  g_test_add_func ("/sandbox/hardening/guesses-across-resends", test_guesses_across_resends);
  g_test_add_func ("/sandbox/hardening/guesses-per-address", test_guesses_per_address);
  g_test_add_func ("/sandbox/hardening/send-rate", test_send_rate);
  g_test_add_func ("/sandbox/hardening/nul-in-json", test_nul_in_json);

  return g_test_run ();
}
