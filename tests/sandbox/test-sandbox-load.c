/* test-sandbox-load.c: keyturn-sandbox under a burst of parallel clients: every client is
 * answered, and no answer is a 5xx
 *
 * Bounded: loopback only, a few seconds in all.
 *
 * Copyright 2026 Keyturn developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
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
  g_test_message ("%s: %u clients, %u answered, %u refused, %u broken, %u timed out, %u 5xx, "
                  "%.2f s", what, count->sent, count->answered, count->refused, count->broken,
                  count->timed_out, count->server_errors, count->seconds);
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

  uuids = burst_create (server, emails, 10, &count);
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

  tokens = burst_signin (server, uuids, codes, 10, statuses, &count);
  report ("sign-in", &count);
  g_assert_cmpuint (KS_BURST_FAILURES (&count), ==, 0);
  g_assert_cmpuint (count.server_errors, ==, 0);
  for (guint i = 0; i < BURST_CLIENTS; i++)
    g_assert_cmpuint (statuses[i], ==, 200);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/sandbox/load/burst", test_burst);

  return g_test_run ();
}
