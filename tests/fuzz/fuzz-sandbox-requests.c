/* fuzz-sandbox-requests.c: the request bodies of every POST, PUT and DELETE the sandbox serves,
 * sent over loopback to a real KsServer running in this process, with and without a signed-in
 * user's token.
 *
 * Input: byte 0 picks the route and whether the token goes along, the rest is the raw body. The
 * property is the sandbox's own promise: no client mistake gets a 5xx, a body over 64 KiB gets a
 * 413, and no request loses its connection.
 *
 * Copyright 2026 Keyturn developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <libsoup/soup.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "ks-server.h"
#include "kt-test-files.h"

/* The POST, PUT and DELETE rows of the route table in src/sandbox/ks-server.c. */
static const struct {
  const char *method;
  const char *path;
} routes[] = {
  { "POST",   "/emailVerifications/create" },
  { "POST",   "/emailVerifications/retry" },
  { "POST",   "/emailVerifications/signin" },
  { "PUT",    "/users" },
  { "POST",   "/refresh" },
  { "POST",   "/revoke" },
  { "PUT",    "/users/passkeys" },
  { "DELETE", "/users/passkeys" },
  { "POST",   "/users/passkeys/register" },
  { "POST",   "/users/mfa/auth/passkey" },
  { "POST",   "/users/mfa/recovery" },
  { "POST",   "/users/mfa/auth/recovery" },
  { "DELETE", "/users/mfa/0b5e1c9a-3f57-4d0c-9d0e-2a7e3c5b8f11" },
};

/* The sandbox's body limit (KS_MAX_BODY_SIZE), as README promises it. */
#define MAX_BODY (64 * 1024)

/* A new user (and an emptied outbox) this often, so that a long run's state stays small. */
#define INPUTS_PER_USER 2000

typedef struct {
  GMutex    lock;
  GCond     ready_cond;
  gboolean  ready;
  char     *data_dir;
  char     *config_path;
  KsServer *server;
} ServerThread;

static ServerThread worker;
static SoupSession *session;
static char *api;
static char *token;
static guint inputs_since_sign_in;

/* The server's listening socket and its connections attach to the thread-default context at
 * listen time, so the server is made, and listens, in the thread that runs that context. */
static gpointer
server_thread (gpointer data)
{
  GMainContext *context = g_main_context_new ();
  g_autoptr(GMainLoop) loop = g_main_loop_new (context, FALSE);
  g_autoptr(GError) error = NULL;

  g_main_context_push_thread_default (context);
  worker.server = ks_server_new (worker.data_dir, worker.config_path, &error);
  if (worker.server == NULL || !ks_server_listen (worker.server, "127.0.0.1:0", &error))
    g_error ("the sandbox did not start: %s", error->message);

  g_mutex_lock (&worker.lock);
  worker.ready = TRUE;
  g_cond_signal (&worker.ready_cond);
  g_mutex_unlock (&worker.lock);

  /* Runs until the process ends. */
  g_main_loop_run (loop);
  return NULL;
}

static void
remove_data_dir (void)
{
  kt_test_remove_tree (worker.data_dir);
}

/* Sends @body (NULL: none) and answers the status; a lost connection aborts. */
static guint
send_request (const char    *method,
              const char    *path,
              const char    *bearer,
              const guint8  *body,
              gsize          len,
              JsonObject   **out_reply)
{
  g_autofree char *url = g_strconcat (api, path, NULL);
  g_autoptr(SoupMessage) msg = soup_message_new (method, url);
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) reply = NULL;

  g_assert_nonnull (msg);
  if (bearer != NULL)
    {
      g_autofree char *value = g_strconcat ("Bearer ", bearer, NULL);

      soup_message_headers_replace (soup_message_get_request_headers (msg), "Authorization",
                                    value);
    }
  if (body != NULL)
    {
      g_autoptr(GBytes) bytes = g_bytes_new (body, len);

      soup_message_set_request_body_from_bytes (msg, "application/json", bytes);
    }

  reply = soup_session_send_and_read (session, msg, NULL, &error);
  if (reply == NULL)
    g_error ("%s %s: the connection was lost: %s", method, path, error->message);

  if (out_reply != NULL)
    {
      g_autoptr(JsonParser) parser = json_parser_new ();
      gsize size;
      const char *data = g_bytes_get_data (reply, &size);
      JsonNode *root;

      *out_reply = NULL;
      if (json_parser_load_from_data (parser, data, (gssize) size, NULL)
          && (root = json_parser_get_root (parser)) != NULL && JSON_NODE_HOLDS_OBJECT (root))
        *out_reply = json_object_ref (json_node_get_object (root));
    }
  return soup_message_get_status (msg);
}

static guint
send_text (const char  *method,
           const char  *path,
           const char  *text,
           JsonObject **out_reply)
{
  return send_request (method, path, NULL, (const guint8 *) text, strlen (text), out_reply);
}

/* The six-digit code in the newest email to @email, read as a person would. */
static char *
read_code (const char *email)
{
  const char *outbox = ks_server_get_outbox_dir (worker.server);
  g_autofree char *wanted = g_strdup_printf ("\r\nTo: <%s>\r\n", email);
  GDir *dir = g_dir_open (outbox, 0, NULL);
  const char *name;
  char *code = NULL;

  g_assert_nonnull (dir);
  while (code == NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *path = g_build_filename (outbox, name, NULL);
      g_autofree char *contents = NULL;
      const char *p;

      if (!g_file_get_contents (path, &contents, NULL, NULL) || strstr (contents, wanted) == NULL)
        continue;
      p = strstr (contents, "\r\n\r\n");
      while (p != NULL && *p != '\0' && code == NULL)
        {
          gsize digits = strspn (p, "0123456789");

          if (digits == 6)
            code = g_strndup (p, 6);
          p += MAX (digits, 1);
        }
    }
  g_dir_close (dir);
  if (code == NULL)
    g_error ("no sign-in code in the email to %s", email);
  return code;
}

/* Empties the outbox, then signs a new user in through the API and keeps its access token. */
static void
sign_in (void)
{
  static guint counter;
  const char *outbox = ks_server_get_outbox_dir (worker.server);
  g_autofree char *email = g_strdup_printf ("fuzz-%u@example.com", ++counter);
  g_autofree char *create = g_strdup_printf ("{\"email\":\"%s\"}", email);
  g_autofree char *code = NULL;
  g_autofree char *signin = NULL;
  g_autoptr(JsonObject) created = NULL;
  g_autoptr(JsonObject) signed_in = NULL;
  GDir *dir = g_dir_open (outbox, 0, NULL);
  const char *name;

  if (dir != NULL)
    {
      while ((name = g_dir_read_name (dir)) != NULL)
        {
          g_autofree char *path = g_build_filename (outbox, name, NULL);

          g_unlink (path);
        }
      g_dir_close (dir);
    }

  if (send_text ("POST", "/emailVerifications/create", create, &created) != 200 || created == NULL)
    g_error ("could not start a sign-in for %s", email);
  code = read_code (email);
  signin = g_strdup_printf ("{\"verificationUUID\":\"%s\",\"verificationToken\":\"%s\"}",
                            json_object_get_string_member (created, "verificationUUID"), code);
  if (send_text ("POST", "/emailVerifications/signin", signin, &signed_in) != 200
      || signed_in == NULL || !json_object_has_member (signed_in, "minifiedJwt"))
    g_error ("could not sign %s in", email);

  g_free (token);
  token = g_strdup (json_object_get_string_member (signed_in, "minifiedJwt"));
  inputs_since_sign_in = 0;
}

int
LLVMFuzzerInitialize (int    *argc,
                      char ***argv)
{
  g_autoptr(GError) error = NULL;
  KsEnvironment *env;

  worker.data_dir = g_dir_make_tmp ("keyturn-fuzz-sandbox-XXXXXX", &error);
  g_assert_no_error (error);
  atexit (remove_data_dir);
  /* Without a second factor required, a signed-in user holds a full session, so the token also
   * reaches the handlers behind it (names, passkeys, recovery codes, devices). The fuzzer signs a
   * new user in every few inputs, thousands a minute: the environment's sending limit is lifted
   * (the limit itself is tested in sandbox-hardening). */
  worker.config_path = g_build_filename (worker.data_dir, "config.json", NULL);
  if (!g_file_set_contents (worker.config_path,
                            "{\"environments\": [{\"id\": \"4a7d0f5e-1c2b-4e8f-9a6d-3b5c7e9f1a2d\","
                            " \"displayName\": \"Fuzz\", \"mfa\": {\"required\": false},"
                            " \"limits\": {\"emailCodesPerMinute\": 1000000}}]}",
                            -1, &error))
    g_error ("%s", error->message);

  g_mutex_init (&worker.lock);
  g_cond_init (&worker.ready_cond);
  g_thread_unref (g_thread_new ("sandbox", server_thread, NULL));
  g_mutex_lock (&worker.lock);
  while (!worker.ready)
    g_cond_wait (&worker.ready_cond, &worker.lock);
  g_mutex_unlock (&worker.lock);

  env = ks_config_get_default (ks_server_get_config (worker.server));
  api = g_strdup_printf ("%s/sdk/%s", ks_server_get_base_url (worker.server), env->id);
  /* Only loopback, and never through a proxy the environment names. */
  session = soup_session_new_with_options ("proxy-resolver", NULL, "timeout", 20, NULL);
  sign_in ();
  return 0;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  guint route, status;
  gboolean with_token;

  if (size == 0)
    return 0;
  route = (data[0] >> 1) % G_N_ELEMENTS (routes);
  with_token = data[0] & 1;

  if (++inputs_since_sign_in >= INPUTS_PER_USER)
    sign_in ();

  status = send_request (routes[route].method, routes[route].path, with_token ? token : NULL,
                         data + 1, size - 1, NULL);
  if (status >= 500)
    g_error ("%s %s (%s token, %zu-byte body) answered %u", routes[route].method,
             routes[route].path, with_token ? "with" : "without", size - 1, status);
  if (size - 1 > MAX_BODY && status != SOUP_STATUS_REQUEST_ENTITY_TOO_LARGE)
    g_error ("%s %s: a %zu-byte body answered %u, not 413", routes[route].method,
             routes[route].path, size - 1, status);

  /* A revoked or replaced session leaves the next inputs nothing to reach: start another. */
  if (with_token && status < 300
      && (g_str_equal (routes[route].path, "/revoke") || g_str_equal (routes[route].path, "/refresh")))
    sign_in ();
  return 0;
}
