/* bench-server.c: end-to-end passkey authentication ceremonies against a running keyturn-sandbox
 *
 * Starts the sandbox on a free loopback port with a temporary data directory, signs a user in,
 * registers one passkey per connection (a soft authenticator each, so that every key's sign
 * counter rises in order), then runs a fixed number of ceremonies — GET
 * /users/passkeys/authenticate then POST /users/mfa/auth/passkey — over a few concurrent
 * connections. Prints throughput, latency and the CPU the server and this client used over the
 * ceremonies alone, as key=value lines. Then a burst: a fresh sandbox gets --burst clients asking
 * for a code at the same moment, each on its own connection, then as many signing in at once;
 * every client that got no answer is a failure.
 *
 * Copyright 2026 Keyturn developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ks-soft-authenticator.h"
#include "ks-test-burst.h"
#include "ks-test-server.h"

typedef struct {
  KsTestServer        *server;
  KsSoftAuthenticator *key;
  const char          *token;
  guint                n_ceremonies;
  gint64              *latencies;     /* microseconds, one per ceremony */
  guint                failures;
} Worker;

static JsonObject *
send_json (SoupSession *session,
           const char  *method,
           const char  *url,
           const char  *token,
           JsonObject  *body,
           guint       *status)
{
  g_autoptr(SoupMessage) msg = soup_message_new (method, url);
  g_autofree char *authorization = g_strconcat ("Bearer ", token, NULL);
  g_autoptr(GBytes) reply = NULL;
  g_autoptr(JsonParser) parser = json_parser_new ();

  soup_message_headers_replace (soup_message_get_request_headers (msg), "Authorization",
                                authorization);
  /* libsoup opens a fresh connection for a POST unless told a retry is safe; the ceremony's
   * POST is single-use by its challenge, so it is, and the connection is kept. */
  soup_message_add_flags (msg, SOUP_MESSAGE_IDEMPOTENT);
  if (body != NULL)
    {
      g_autoptr(JsonNode) node = json_node_init_object (json_node_alloc (), body);
      g_autofree char *text = json_to_string (node, FALSE);
      g_autoptr(GBytes) bytes = g_bytes_new (text, strlen (text));

      soup_message_set_request_body_from_bytes (msg, "application/json", bytes);
    }
  reply = soup_session_send_and_read (session, msg, NULL, NULL);
  *status = reply != NULL ? soup_message_get_status (msg) : 0;
  if (reply == NULL || !json_parser_load_from_data (parser, g_bytes_get_data (reply, NULL),
                                                    g_bytes_get_size (reply), NULL)
      || !JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
    return NULL;
  return json_object_ref (json_node_get_object (json_parser_get_root (parser)));
}

static gpointer
worker_thread (gpointer data)
{
  Worker *worker = data;
  /* A session belongs to the context it was made in: with one of its own, the worker's
   * connection stays open between requests, as a client's would. */
  g_autoptr(GMainContext) context = g_main_context_new ();
  g_autoptr(SoupSession) session = NULL;
  g_autofree char *options_url = g_strconcat (worker->server->api, "/users/passkeys/authenticate",
                                              NULL);
  g_autofree char *auth_url = g_strconcat (worker->server->api, "/users/mfa/auth/passkey", NULL);

  g_main_context_push_thread_default (context);
  session = soup_session_new_with_options ("timeout", 30, "max-conns", 1, NULL);

  for (guint i = 0; i < worker->n_ceremonies; i++)
    {
      gint64 start = g_get_monotonic_time ();
      g_autoptr(JsonObject) options = NULL;
      g_autoptr(JsonObject) request = NULL;
      g_autoptr(JsonObject) reply = NULL;
      guint status = 0;

      options = send_json (session, "GET", options_url, worker->token, NULL, &status);
      if (options != NULL && status == 200)
        request = ks_soft_authenticator_authenticate (worker->key, options,
                                                      worker->server->origin, NULL, NULL);
      if (request != NULL)
        reply = send_json (session, "POST", auth_url, worker->token, request, &status);
      if (reply == NULL || status != 200)
        worker->failures++;
      worker->latencies[i] = g_get_monotonic_time () - start;
    }
  g_clear_object (&session);
  g_main_context_pop_thread_default (context);
  return NULL;
}

/* utime + stime of @pid, in seconds. */
static double
process_cpu_seconds (GPid pid)
{
  g_autofree char *path = g_strdup_printf ("/proc/%d/stat", (int) pid);
  g_autofree char *text = NULL;
  g_auto(GStrv) fields = NULL;
  const char *after_name;

  if (!g_file_get_contents (path, &text, NULL, NULL))
    return -1;
  /* The command name may hold spaces; fields are counted after its closing parenthesis. */
  after_name = strrchr (text, ')');
  if (after_name == NULL)
    return -1;
  fields = g_strsplit (after_name + 2, " ", -1);
  if (g_strv_length (fields) < 13)
    return -1;
  /* Fields 14 and 15 of the line are the 12th and 13th after the name. */
  return (g_ascii_strtod (fields[11], NULL) + g_ascii_strtod (fields[12], NULL))
         / sysconf (_SC_CLK_TCK);
}

/* @clients ask for a code at once, then sign in at once, against a sandbox of their own; prints
 * the clients, the failures (not answered 200, or only after a stalled handshake) and the
 * seconds of both bursts. */
static guint
burst (guint clients)
{
  g_autofree char *id = g_uuid_string_random ();
  /* Codes are sent far faster here than any person asks for them. */
  g_autofree char *config = g_strdup_printf ("{\"environments\":[{\"id\":\"%s\","
                                             "\"limits\":{\"emailCodesPerMinute\":100000}}]}",
                                             id);
  g_autoptr(KsTestServer) server = ks_test_server_start (config);
  g_autoptr(GUri) uri = g_uri_parse (server->base_url, G_URI_FLAGS_NONE, NULL);
  g_autofree char *create_path = g_strdup_printf ("/api/v0/sdk/%s/emailVerifications/create", id);
  g_autofree char *signin_path = g_strdup_printf ("/api/v0/sdk/%s/emailVerifications/signin", id);
  g_autoptr(GPtrArray) creates = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GPtrArray) signins = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GPtrArray) bodies = g_ptr_array_new_with_free_func (g_free);
  g_autofree guint *statuses = g_new0 (guint, clients);
  g_autofree char *outbox = g_build_filename (server->data_dir, "outbox", NULL);
  g_autoptr(GHashTable) seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr(GHashTable) codes = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  KsBurstCount create_count, signin_count;
  guint failures = 0;

  for (guint i = 0; i < clients; i++)
    {
      g_autofree char *body = g_strdup_printf ("{\"email\":\"burst%u@example.com\"}", i);

      g_ptr_array_add (creates, ks_test_burst_request ("POST", create_path, body));
    }
  ks_test_burst (g_uri_get_port (uri), creates, 30, statuses, bodies, &create_count);
  ks_test_burst_read_codes (outbox, seen, codes);

  for (guint i = 0; i < clients; i++)
    {
      g_autofree char *email = g_strdup_printf ("burst%u@example.com", i);
      const char *code = g_hash_table_lookup (codes, email);
      g_autofree char *body = NULL;
      g_autoptr(JsonObject) reply = NULL;

      if (statuses[i] != 200 || code == NULL)
        {
          failures++;
          continue;
        }
      reply = ks_test_parse_object (g_ptr_array_index (bodies, i));
      body = g_strdup_printf ("{\"verificationUUID\":\"%s\",\"verificationToken\":\"%s\"}",
                              json_object_get_string_member (reply, "verificationUUID"), code);
      g_ptr_array_add (signins, ks_test_burst_request ("POST", signin_path, body));
    }
  ks_test_burst (g_uri_get_port (uri), signins, 30, statuses, NULL, &signin_count);
  for (guint i = 0; i < signins->len; i++)
    failures += statuses[i] != 200;
  /* Answered, but only after a dropped handshake was retried: a failure to the person waiting. */
  failures += create_count.stalled + signin_count.stalled;

  printf ("burst_clients=%u\n", clients);
  printf ("burst_failures=%u\n", failures);
  printf ("burst_no_answer=%u\n", KS_BURST_FAILURES (&create_count) - create_count.stalled
                                   + KS_BURST_FAILURES (&signin_count) - signin_count.stalled);
  printf ("burst_stalled=%u\n", create_count.stalled + signin_count.stalled);
  printf ("burst_create_seconds=%.3f\n", create_count.seconds);
  printf ("burst_signin_seconds=%.3f\n", signin_count.seconds);
  return failures;
}

static int
compare_gint64 (const void *a,
                const void *b)
{
  gint64 x = *(const gint64 *) a, y = *(const gint64 *) b;

  return (x > y) - (x < y);
}

int
main (int    argc,
      char **argv)
{
  gint connections = 4;
  gint ceremonies = 5000;
  gint burst_clients = 500;
  GOptionEntry entries[] = {
    { "burst", 'b', 0, G_OPTION_ARG_INT, &burst_clients, "Clients in the burst (0: none)", "N" },
    { "connections", 'c', 0, G_OPTION_ARG_INT, &connections, "Concurrent connections", "N" },
    { "ceremonies", 'n', 0, G_OPTION_ARG_INT, &ceremonies, "Ceremonies in all", "N" },
    { NULL }
  };
  g_autoptr(GOptionContext) context = g_option_context_new ("- keyturn-sandbox ceremony benchmark");
  g_autoptr(GError) error = NULL;
  g_autoptr(KsTestServer) server = NULL;
  g_autoptr(JsonObject) signed_in = NULL;
  g_autofree char *token = NULL;
  g_autofree Worker *workers = NULL;
  g_autofree GThread **threads = NULL;
  g_autofree gint64 *all = NULL;
  guint per_worker, total = 0, failures = 0;
  double cpu_before, cpu_after, client_before, client_after, wall;
  gint64 start;

  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("bench-server: %s\n", error->message);
      return 2;
    }
  connections = CLAMP (connections, 1, 64);
  per_worker = MAX (ceremonies / connections, 1);

  server = ks_test_server_start (NULL);
  signed_in = ks_test_sign_in (server, "bench@example.com");
  token = g_strdup (json_object_get_string_member (signed_in, "minifiedJwt"));

  workers = g_new0 (Worker, connections);
  threads = g_new0 (GThread *, connections);
  for (gint i = 0; i < connections; i++)
    {
      g_autoptr(JsonObject) options = NULL;
      g_autoptr(JsonObject) request = NULL;
      g_autoptr(JsonObject) registered = NULL;

      workers[i].server = server;
      workers[i].key = ks_soft_authenticator_new ();
      workers[i].n_ceremonies = per_worker;
      workers[i].latencies = g_new0 (gint64, per_worker);

      g_assert_cmpuint (ks_test_request (server, "GET", "/users/passkeys/register", token, NULL,
                                         NULL, &options), ==, 200);
      request = ks_soft_authenticator_register (workers[i].key, options, server->origin, NULL,
                                                &error);
      g_assert_no_error (error);
      g_assert_cmpuint (ks_test_request_object (server, "POST", "/users/passkeys/register", token,
                                                NULL, request, &registered), ==, 200);
      /* The first registration upgrades the session; the rest ride on its full token. */
      g_free (token);
      token = g_strdup (json_object_get_string_member (registered, "minifiedJwt"));
    }
  for (gint i = 0; i < connections; i++)
    workers[i].token = token;

  cpu_before = process_cpu_seconds (server->pid);
  client_before = process_cpu_seconds (getpid ());
  start = g_get_monotonic_time ();
  for (gint i = 0; i < connections; i++)
    threads[i] = g_thread_new ("ceremonies", worker_thread, &workers[i]);
  for (gint i = 0; i < connections; i++)
    g_thread_join (threads[i]);
  wall = (g_get_monotonic_time () - start) / (double) G_USEC_PER_SEC;
  cpu_after = process_cpu_seconds (server->pid);
  client_after = process_cpu_seconds (getpid ());

  all = g_new0 (gint64, per_worker * connections);
  for (gint i = 0; i < connections; i++)
    {
      memcpy (all + total, workers[i].latencies, per_worker * sizeof (gint64));
      total += per_worker;
      failures += workers[i].failures;
      g_free (workers[i].latencies);
      g_object_unref (workers[i].key);
    }
  qsort (all, total, sizeof (gint64), compare_gint64);

  printf ("ceremonies=%u\n", total);
  printf ("failures=%u\n", failures);
  printf ("connections=%d\n", connections);
  printf ("seconds=%.3f\n", wall);
  printf ("ceremonies_per_second=%.1f\n", (total - failures) / wall);
  printf ("p50_ms=%.2f\n", all[total / 2] / 1000.0);
  printf ("p99_ms=%.2f\n", all[MIN (total - 1, (total * 99) / 100)] / 1000.0);
  printf ("server_cpu_seconds=%.2f\n", cpu_after - cpu_before);
  printf ("server_cores=%.2f\n", (cpu_after - cpu_before) / wall);
  /* Beside the server's: a client that needed more than the cores left would starve it. */
  printf ("client_cores=%.2f\n", (client_after - client_before) / wall);
  fflush (stdout);

  g_clear_pointer (&server, ks_test_server_free);
  if (burst_clients > 0)
    failures += burst (MIN (burst_clients, 5000));
  fflush (stdout);

  /* The sandbox stops with its helper; nothing is left running. */
  return failures == 0 ? 0 : 1;
}
