/* test-sandbox-load.c: keyturn-sandbox under a burst of parallel clients, and killed with SIGKILL
 * while they sign in: every client is answered, no answer is a 5xx, and what was answered 2xx
 * survives the kill
 *
 * Bounded: loopback only, a few seconds in all.
 *
 * Copyright 2026 Keyturn developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <sqlite3.h>
#include <string.h>

#include "ks-test-burst.h"
#include "ks-test-server.h"

#define BURST_CLIENTS 500

/* Codes are sent far faster here than any person asks for them. */
static char *
busy_config (void)
{
  g_autofree char *id = g_uuid_string_random ();

  return g_strdup_printf ("{\"environments\":[{\"id\":\"%s\",\"displayName\":\"Load\","
                          "\"limits\":{\"emailCodesPerMinute\":100000}}]}", id);
}

static guint16
server_port (KsTestServer *server)
{
  g_autoptr(GUri) uri = g_uri_parse (server->base_url, G_URI_FLAGS_NONE, NULL);

  return g_uri_get_port (uri);
}

static void
read_new_codes (KsTestServer *server,
                GHashTable   *seen,
                GHashTable   *codes)
{
  g_autofree char *outbox = g_build_filename (server->data_dir, "outbox", NULL);

  ks_test_burst_read_codes (outbox, seen, codes);
}

static char *
path_for (KsTestServer *server,
          const char   *endpoint)
{
  return g_strdup_printf ("/api/v0/sdk/%s%s", server->environment_id, endpoint);
}

static char *
signin_body (const char *uuid,
             const char *code)
{
  return g_strdup_printf ("{\"verificationUUID\":\"%s\",\"verificationToken\":\"%s\"}", uuid,
                          code);
}

/* Each of @emails asks for a code at once; answers their verification ids (NULL where none). */
static GPtrArray *
burst_create (KsTestServer *server,
              GPtrArray    *emails,
              double        timeout_s,
              KsBurstCount *count)
{
  g_autofree char *path = path_for (server, "/emailVerifications/create");
  g_autoptr(GPtrArray) requests = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GPtrArray) bodies = g_ptr_array_new_with_free_func (g_free);
  g_autofree guint *statuses = g_new0 (guint, emails->len);
  GPtrArray *uuids = g_ptr_array_new_with_free_func (g_free);

  for (guint i = 0; i < emails->len; i++)
    {
      g_autofree char *body = g_strdup_printf ("{\"email\":\"%s\"}",
                                               (char *) g_ptr_array_index (emails, i));

      g_ptr_array_add (requests, ks_test_burst_request ("POST", path, body));
    }
  ks_test_burst (server_port (server), requests, timeout_s, statuses, bodies, count);
  for (guint i = 0; i < emails->len; i++)
    {
      char *uuid = NULL;

      if (statuses[i] == 200)
        {
          g_autoptr(JsonObject) reply = ks_test_parse_object (g_ptr_array_index (bodies, i));

          uuid = g_strdup (json_object_get_string_member (reply, "verificationUUID"));
        }
      g_ptr_array_add (uuids, uuid);
    }
  return uuids;
}

/* Signs each verification in at once; answers the access tokens (NULL where none), and the
 * statuses in @statuses. */
static GPtrArray *
burst_signin (KsTestServer *server,
              GPtrArray    *uuids,
              GPtrArray    *codes,
              double        timeout_s,
              guint        *statuses,
              KsBurstCount *count)
{
  g_autofree char *path = path_for (server, "/emailVerifications/signin");
  g_autoptr(GPtrArray) requests = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GPtrArray) bodies = g_ptr_array_new_with_free_func (g_free);
  GPtrArray *tokens = g_ptr_array_new_with_free_func (g_free);

  for (guint i = 0; i < uuids->len; i++)
    {
      g_autofree char *body = signin_body (g_ptr_array_index (uuids, i),
                                           g_ptr_array_index (codes, i));

      g_ptr_array_add (requests, ks_test_burst_request ("POST", path, body));
    }
  ks_test_burst (server_port (server), requests, timeout_s, statuses, bodies, count);
  for (guint i = 0; i < uuids->len; i++)
    {
      char *token = NULL;

      if (statuses[i] == 200)
        {
          g_autoptr(JsonObject) reply = ks_test_parse_object (g_ptr_array_index (bodies, i));

          token = g_strdup (json_object_get_string_member (reply, "minifiedJwt"));
        }
      g_ptr_array_add (tokens, token);
    }
  return tokens;
}

static void
report (const char   *what,
        KsBurstCount *count)
{
  g_test_message ("%s: %u clients, %u answered, %u refused, %u stalled, %u broken, %u timed out, "
                  "%u 5xx, %.2f s", what, count->sent, count->answered, count->refused,
                  count->stalled, count->broken, count->timed_out, count->server_errors,
                  count->seconds);
}

/* 500 clients ask for a code at the same moment, then 500 sign in at the same moment: each on
 * its own connection, so the server's listen queue and accept loop take them all at once. */
static void
test_burst (void)
{
  g_autofree char *config = busy_config ();
  g_autoptr(KsTestServer) server = ks_test_server_start (config);
  g_autoptr(GPtrArray) emails = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GPtrArray) uuids = NULL;
  g_autoptr(GPtrArray) codes = g_ptr_array_new ();
  g_autoptr(GPtrArray) tokens = NULL;
  g_autoptr(GHashTable) seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr(GHashTable) code_of = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                                         g_free);
  g_autofree guint *statuses = g_new0 (guint, BURST_CLIENTS);
  KsBurstCount count;

  for (guint i = 0; i < BURST_CLIENTS; i++)
    g_ptr_array_add (emails, ks_test_unique_email ("burst"));

  /* A loaded machine answers slowly; a dropped handshake shows as a stall whatever the load. */
  uuids = burst_create (server, emails, 30, &count);
  report ("create", &count);
  g_assert_cmpuint (KS_BURST_FAILURES (&count), ==, 0);
  g_assert_cmpuint (count.server_errors, ==, 0);
  g_assert_cmpuint (count.answered, ==, BURST_CLIENTS);

  read_new_codes (server, seen, code_of);
  for (guint i = 0; i < BURST_CLIENTS; i++)
    {
      g_assert_nonnull (g_ptr_array_index (uuids, i));
      g_ptr_array_add (codes, g_hash_table_lookup (code_of, g_ptr_array_index (emails, i)));
      g_assert_nonnull (g_ptr_array_index (codes, i));
    }

  tokens = burst_signin (server, uuids, codes, 30, statuses, &count);
  report ("sign-in", &count);
  g_assert_cmpuint (KS_BURST_FAILURES (&count), ==, 0);
  g_assert_cmpuint (count.server_errors, ==, 0);
  for (guint i = 0; i < BURST_CLIENTS; i++)
    g_assert_cmpuint (statuses[i], ==, 200);
}

static void
assert_database_intact (KsTestServer *server)
{
  g_autofree char *path = g_build_filename (server->data_dir, "sandbox.db", NULL);
  sqlite3 *db = NULL;
  sqlite3_stmt *stmt = NULL;

  g_assert_cmpint (sqlite3_open_v2 (path, &db, SQLITE_OPEN_READWRITE, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_prepare_v2 (db, "PRAGMA integrity_check", -1, &stmt, NULL), ==,
                   SQLITE_OK);
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
  g_assert_cmpstr ((const char *) sqlite3_column_text (stmt, 0), ==, "ok");
  sqlite3_finalize (stmt);
  sqlite3_close (db);
}

typedef struct {
  KsTestServer *server;
  gint          stop;
  guint         server_errors;
  GHashTable   *seen;                 /* outbox files read */
  GHashTable   *code_of;              /* email -> code */
  /* Answered 2xx, so bound to survive: */
  GPtrArray    *created;              /* "email uuid" never tried since */
  GPtrArray    *unsure;               /* "email uuid" whose sign-in got no answer */
  GPtrArray    *tokens;
} Load;

/* Rounds of 32 clients asking for codes at once, then signing in at once, until the server is
 * gone. */
static gpointer
load_thread (gpointer data)
{
  Load *load = data;

  while (!g_atomic_int_get (&load->stop))
    {
      g_autoptr(GPtrArray) emails = g_ptr_array_new_with_free_func (g_free);
      g_autoptr(GPtrArray) uuids = NULL;
      g_autoptr(GPtrArray) ready = g_ptr_array_new ();
      g_autoptr(GPtrArray) ready_emails = g_ptr_array_new ();
      g_autoptr(GPtrArray) codes = g_ptr_array_new ();
      g_autoptr(GPtrArray) tokens = NULL;
      g_autofree guint *statuses = NULL;
      KsBurstCount count;

      for (guint i = 0; i < 32; i++)
        g_ptr_array_add (emails, ks_test_unique_email ("fault"));
      uuids = burst_create (load->server, emails, 5, &count);
      load->server_errors += count.server_errors;
      read_new_codes (load->server, load->seen, load->code_of);
      for (guint i = 0; i < emails->len; i++)
        {
          char *uuid = g_ptr_array_index (uuids, i);
          char *email = g_ptr_array_index (emails, i);

          if (uuid == NULL)
            continue;
          /* Half are left for after the kill, untouched. */
          if (i % 2 == 0)
            {
              g_ptr_array_add (load->created, g_strconcat (email, " ", uuid, NULL));
              continue;
            }
          g_ptr_array_add (ready, uuid);
          g_ptr_array_add (ready_emails, email);
          g_ptr_array_add (codes, g_hash_table_lookup (load->code_of, email));
          g_assert_nonnull (g_ptr_array_index (codes, codes->len - 1));
        }
      if (KS_BURST_FAILURES (&count) > 0 && ready->len == 0)
        break;

      statuses = g_new0 (guint, ready->len);
      tokens = burst_signin (load->server, ready, codes, 5, statuses, &count);
      load->server_errors += count.server_errors;
      for (guint i = 0; i < ready->len; i++)
        {
          if (statuses[i] == 200)
            g_ptr_array_add (load->tokens, g_strdup (g_ptr_array_index (tokens, i)));
          else
            {
              /* No answer: it may or may not have been spent before the kill. */
              g_assert_cmpuint (statuses[i], ==, 0);
              g_ptr_array_add (load->unsure,
                               g_strconcat (g_ptr_array_index (ready_emails, i), " ",
                                            g_ptr_array_index (ready, i), NULL));
            }
        }
      if (KS_BURST_FAILURES (&count) > 0)
        break;
    }
  return NULL;
}

static guint
sign_in_after (KsTestServer *server,
               Load         *load,
               const char   *email_uuid)
{
  g_auto(GStrv) parts = g_strsplit (email_uuid, " ", 2);
  g_autofree char *body = signin_body (parts[1], g_hash_table_lookup (load->code_of, parts[0]));
  g_autoptr(JsonObject) reply = NULL;
  guint status = ks_test_request (server, "POST", "/emailVerifications/signin", NULL, NULL, body,
                                  &reply);

  if (status != 200)
    g_assert_cmpstr (ks_test_error_code (reply), ==, "verification_used");
  return status;
}

/* Killed with SIGKILL three times under rounds of parallel sign-ins: every 2xx survives, the
 * database stays sound, no client is ever answered 5xx. */
static void
test_kill_under_load (void)
{
  g_autofree char *config = busy_config ();
  g_autoptr(KsTestServer) server = ks_test_server_start (config);
  Load load = { 0 };
  guint total_created = 0, total_tokens = 0;

  load.server = server;
  load.seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  load.code_of = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);

  for (guint round = 0; round < 3; round++)
    {
      GThread *thread;

      load.created = g_ptr_array_new_with_free_func (g_free);
      load.unsure = g_ptr_array_new_with_free_func (g_free);
      load.tokens = g_ptr_array_new_with_free_func (g_free);
      g_atomic_int_set (&load.stop, FALSE);

      thread = g_thread_new ("load", load_thread, &load);
      /* A moment the test does not choose, while the rounds run. */
      g_usleep (g_test_rand_int_range (200, 700) * 1000);
      ks_test_server_kill (server);
      g_atomic_int_set (&load.stop, TRUE);
      g_thread_join (thread);

      g_test_message ("round %u: killed after %u untouched verifications, %u sign-ins, %u "
                      "unanswered sign-ins", round, load.created->len, load.tokens->len,
                      load.unsure->len);
      g_assert_cmpuint (load.server_errors, ==, 0);
      g_assert_cmpuint (load.created->len + load.tokens->len, >, 0);

      assert_database_intact (server);
      ks_test_server_restart (server, TRUE);

      for (guint i = 0; i < load.tokens->len; i++)
        g_assert_cmpuint (ks_test_request (server, "GET", "/session",
                                           g_ptr_array_index (load.tokens, i), NULL, NULL, NULL),
                          ==, 204);
      for (guint i = 0; i < load.created->len; i++)
        g_assert_cmpuint (sign_in_after (server, &load, g_ptr_array_index (load.created, i)), ==,
                          200);
      for (guint i = 0; i < load.unsure->len; i++)
        sign_in_after (server, &load, g_ptr_array_index (load.unsure, i));

      total_created += load.created->len;
      total_tokens += load.tokens->len;
      g_ptr_array_unref (load.created);
      g_ptr_array_unref (load.unsure);
      g_ptr_array_unref (load.tokens);
    }
  g_test_message ("%u verifications and %u sign-ins survived three kills", total_created,
                  total_tokens);
  assert_database_intact (server);

  g_hash_table_unref (load.seen);
  g_hash_table_unref (load.code_of);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/sandbox/load/burst", test_burst);
  g_test_add_func ("/sandbox/load/kill-under-load", test_kill_under_load);

  return g_test_run ();
}
