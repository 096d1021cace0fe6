/* ks-test-server.c: starts the real keyturn-sandbox for a test and talks to it over HTTP
 *
 * Copyright 2026 Keyturn developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "ks-test-server.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kt-base64url.h"
#include "kt-test-child.h"
#include "kt-test-files.h"

/* Every server this process started, so that an exit of any kind takes them down too. */
static GArray *live_pids;

static void
kill_live_servers (void)
{
  for (guint i = 0; live_pids != NULL && i < live_pids->len; i++)
    kill (g_array_index (live_pids, GPid, i), SIGKILL);
}

static void
forget_pid (GPid pid)
{
  for (guint i = 0; live_pids != NULL && i < live_pids->len; i++)
    if (g_array_index (live_pids, GPid, i) == pid)
      {
        g_array_remove_index_fast (live_pids, i);
        return;
      }
}

static const char *
sandbox_binary (void)
{
  static char *path;
  const char *root;

  if (path != NULL)
    return path;
  /* The install test runs the installed program instead of the build's. */
  path = g_strdup (g_getenv ("KEYTURN_SANDBOX_PROGRAM"));
  if (path == NULL)
    {
      root = g_getenv ("KEYTURN_BUILD_ROOT");
      g_assert_nonnull (root);
      path = g_build_filename (root, "src", "sandbox", "keyturn-sandbox", NULL);
    }
  g_assert_true (g_file_test (path, G_FILE_TEST_IS_EXECUTABLE));
  return path;
}

JsonObject *
ks_test_parse_object (const char *json)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;
  JsonNode *root;

  json_parser_load_from_data (parser, json, -1, &error);
  g_assert_no_error (error);
  root = json_parser_get_root (parser);
  g_assert_true (JSON_NODE_HOLDS_OBJECT (root));
  return json_object_ref (json_node_get_object (root));
}

static void
spawn (KsTestServer *self)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *log_path = g_build_filename (self->root, "server.log", NULL);
  g_autofree char *description_path = g_build_filename (self->data_dir, "sandbox.json", NULL);
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autofree char *contents = NULL;
  g_autoptr(JsonObject) description = NULL;
  int log_fd;
  gint64 deadline;

  g_ptr_array_add (argv, (char *) sandbox_binary ());
  g_ptr_array_add (argv, (char *) "--listen");
  g_ptr_array_add (argv, (char *) "127.0.0.1:0");
  g_ptr_array_add (argv, (char *) "--data-dir");
  g_ptr_array_add (argv, self->data_dir);
  if (self->config_path != NULL)
    {
      g_ptr_array_add (argv, (char *) "--config");
      g_ptr_array_add (argv, self->config_path);
    }
  else
    {
      /* Legacy (x-mfa-auth-token) for now: Keyturn's client deletes a key with the legacy MFA
       * token until it speaks step-up; the demo itself is 2026_04_01. */
      g_ptr_array_add (argv, (char *) "--demo-api-version");
      g_ptr_array_add (argv, (char *) "2026_01_01");
    }
  g_ptr_array_add (argv, NULL);

  /* A stale sandbox.json must not pass for the new server's. */
  g_unlink (description_path);

  log_fd = open (log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  g_assert_cmpint (log_fd, >=, 0);
  g_spawn_async_with_fds (NULL, (char **) argv->pdata, NULL, G_SPAWN_DO_NOT_REAP_CHILD,
                          kt_test_child_setup, NULL, &self->pid, -1, log_fd, log_fd, &error);
  close (log_fd);
  g_assert_no_error (error);

  if (live_pids == NULL)
    {
      live_pids = g_array_new (FALSE, FALSE, sizeof (GPid));
      atexit (kill_live_servers);
    }
  g_array_append_val (live_pids, self->pid);

  deadline = g_get_monotonic_time () + 20 * G_USEC_PER_SEC;
  while (!g_file_get_contents (description_path, &contents, NULL, NULL))
    {
      int status;

      if (waitpid (self->pid, &status, WNOHANG) == self->pid)
        {
          g_autofree char *log = NULL;

          g_file_get_contents (log_path, &log, NULL, NULL);
          forget_pid (self->pid);
          self->pid = 0;
          g_error ("keyturn-sandbox exited before it listened:\n%s", log);
        }
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_usleep (10 * 1000);
    }

  /* keyturn-sandbox writes sandbox.json a moment before it handles SIGTERM. */
  while (!kt_test_child_catches_sigterm (self->pid))
    {
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_usleep (1000);
    }

  description = ks_test_parse_object (contents);
  g_assert_cmpint (json_object_get_int_member (description, "pid"), ==, self->pid);
  g_free (self->base_url);
  g_free (self->environment_id);
  g_free (self->origin);
  g_free (self->rp_id);
  g_free (self->api);
  self->base_url = g_strdup (json_object_get_string_member (description, "baseUrl"));
  self->environment_id = g_strdup (json_object_get_string_member (description, "environmentId"));
  self->origin = g_strdup (json_object_get_string_member (description, "origin"));
  self->rp_id = g_strdup (json_object_get_string_member (description, "rpId"));
  self->api = g_strdup_printf ("%s/sdk/%s", self->base_url, self->environment_id);
}

KsTestServer *
ks_test_server_start (const char *config_json)
{
  KsTestServer *self = g_new0 (KsTestServer, 1);
  g_autoptr(GError) error = NULL;

  /* Inside the test session's own folder when there is one: it goes even if the test aborts. */
  if (g_getenv ("KEYTURN_TEST_ROOT") != NULL)
    {
      self->root = g_build_filename (g_getenv ("KEYTURN_TEST_ROOT"), "sandbox-XXXXXX", NULL);
      g_assert_nonnull (g_mkdtemp (self->root));
    }
  else
    {
      self->root = g_dir_make_tmp ("keyturn-sandbox-test-XXXXXX", &error);
      g_assert_no_error (error);
    }
  self->data_dir = g_build_filename (self->root, "data", NULL);
  if (config_json != NULL)
    {
      self->config_path = g_build_filename (self->root, "config.json", NULL);
      g_file_set_contents (self->config_path, config_json, -1, &error);
      g_assert_no_error (error);
    }
  self->session = soup_session_new_with_options ("timeout", 30, "max-conns-per-host", 4, NULL);
  spawn (self);
  return self;
}

void
ks_test_server_kill (KsTestServer *self)
{
  int status;

  if (self->pid == 0)
    return;
  kill (self->pid, SIGKILL);
  waitpid (self->pid, &status, 0);
  forget_pid (self->pid);
  g_spawn_close_pid (self->pid);
  self->pid = 0;
}

static void
stop (KsTestServer *self,
      gboolean      kill_hard)
{
  int status = 0;

  if (self->pid == 0)
    return;
  if (kill_hard)
    {
      ks_test_server_kill (self);
      return;
    }

  kill (self->pid, SIGTERM);
  waitpid (self->pid, &status, 0);
  forget_pid (self->pid);
  g_spawn_close_pid (self->pid);
  self->pid = 0;
  /* A clean stop is part of the contract: SIGTERM exits 0. Otherwise, show why. */
  if (!WIFEXITED (status) || WEXITSTATUS (status) != 0)
    {
      g_autofree char *log_path = g_build_filename (self->root, "server.log", NULL);
      g_autofree char *log = NULL;

      g_file_get_contents (log_path, &log, NULL, NULL);
      if (WIFSIGNALED (status))
        g_printerr ("keyturn-sandbox died of signal %d on SIGTERM; its log:\n%s\n",
                    WTERMSIG (status), log);
      else
        g_printerr ("keyturn-sandbox exited with %d on SIGTERM; its log:\n%s\n",
                    WEXITSTATUS (status), log);
    }
  g_assert_true (WIFEXITED (status));
  g_assert_cmpint (WEXITSTATUS (status), ==, 0);
}

void
ks_test_server_restart (KsTestServer *self,
                        gboolean      kill_hard)
{
  stop (self, kill_hard);
  /* Old connections point at a dead process. */
  soup_session_abort (self->session);
  spawn (self);
}

void
ks_test_server_free (KsTestServer *self)
{
  if (self == NULL)
    return;
  stop (self, FALSE);
  g_clear_object (&self->session);
  kt_test_remove_tree (self->root);
  g_free (self->root);
  g_free (self->data_dir);
  g_free (self->config_path);
  g_free (self->base_url);
  g_free (self->environment_id);
  g_free (self->origin);
  g_free (self->rp_id);
  g_free (self->api);
  g_free (self);
}

guint
ks_test_request (KsTestServer  *self,
                 const char    *method,
                 const char    *path,
                 const char    *token,
                 const char    *mfa_token,
                 const char    *body,
                 JsonObject   **out_reply)
{
  g_autofree char *url = g_str_has_prefix (path, "http") ? g_strdup (path)
                                                         : g_strconcat (self->api, path, NULL);
  g_autoptr(SoupMessage) msg = soup_message_new (method, url);
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) reply = NULL;
  SoupMessageHeaders *headers;
  gsize len = 0;
  const char *data;

  g_assert_nonnull (msg);
  headers = soup_message_get_request_headers (msg);
  if (token != NULL)
    {
      g_autofree char *value = g_strconcat ("Bearer ", token, NULL);
      soup_message_headers_replace (headers, "Authorization", value);
    }
  if (mfa_token != NULL)
    soup_message_headers_replace (headers, "x-mfa-auth-token", mfa_token);
  soup_message_headers_replace (headers, "User-Agent", "keyturn-sandbox-tests");
  if (body != NULL)
    {
      g_autoptr(GBytes) bytes = g_bytes_new (body, strlen (body));
      soup_message_set_request_body_from_bytes (msg, "application/json", bytes);
    }

  reply = soup_session_send_and_read (self->session, msg, NULL, &error);
  g_assert_no_error (error);

  if (out_reply != NULL)
    {
      *out_reply = NULL;
      data = g_bytes_get_data (reply, &len);
      if (len > 0)
        {
          g_autofree char *text = g_strndup (data, len);
          *out_reply = ks_test_parse_object (text);
        }
    }
  return soup_message_get_status (msg);
}

guint
ks_test_request_object (KsTestServer  *self,
                        const char    *method,
                        const char    *path,
                        const char    *token,
                        const char    *mfa_token,
                        JsonObject    *body,
                        JsonObject   **out_reply)
{
  g_autoptr(JsonNode) node = json_node_init_object (json_node_alloc (), body);
  g_autofree char *text = json_to_string (node, FALSE);

  return ks_test_request (self, method, path, token, mfa_token, text, out_reply);
}

static int
compare_names (gconstpointer a,
               gconstpointer b)
{
  return g_strcmp0 (*(const char * const *) a, *(const char * const *) b);
}

char *
ks_test_server_read_email (KsTestServer *self,
                           const char   *email)
{
  g_autofree char *outbox = g_build_filename (self->data_dir, "outbox", NULL);
  g_autofree char *wanted = g_strdup_printf ("\r\nTo: <%s>\r\n", email);
  g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  GDir *dir = g_dir_open (outbox, 0, NULL);
  const char *name;

  g_assert_nonnull (dir);
  while ((name = g_dir_read_name (dir)) != NULL)
    g_ptr_array_add (names, g_strdup (name));
  g_dir_close (dir);
  g_ptr_array_sort (names, compare_names);

  /* Names sort by time: the newest mail to this address is the last that matches. */
  for (guint i = names->len; i > 0; i--)
    {
      g_autofree char *path = g_build_filename (outbox, g_ptr_array_index (names, i - 1), NULL);
      g_autofree char *contents = NULL;

      if (!g_file_get_contents (path, &contents, NULL, NULL))
        continue;
      if (strstr (contents, wanted) != NULL)
        return g_steal_pointer (&contents);
    }
  g_error ("no email to %s in %s", email, outbox);
  return NULL;
}

char *
ks_test_server_read_code (KsTestServer *self,
                          const char   *email)
{
  g_autofree char *message = ks_test_server_read_email (self, email);
  const char *body = strstr (message, "\r\n\r\n");
  const char *p;

  /* Read the code from the text a person reads, not from a header. */
  g_assert_nonnull (body);
  for (p = body; *p != '\0'; p++)
    {
      if (g_ascii_isdigit (p[0]) && strspn (p, "0123456789") == 6)
        return g_strndup (p, 6);
      while (g_ascii_isdigit (*p))
        p++;
    }
  g_error ("no 6-digit code in the email to %s", email);
  return NULL;
}

JsonObject *
ks_test_sign_in (KsTestServer *self,
                 const char   *email)
{
  g_autoptr(JsonObject) created = NULL;
  g_autofree char *body = g_strdup_printf ("{\"email\":\"%s\"}", email);
  g_autofree char *code = NULL;
  g_autofree char *signin = NULL;
  JsonObject *reply = NULL;

  g_assert_cmpuint (ks_test_request (self, "POST", "/emailVerifications/create", NULL, NULL, body,
                                     &created), ==, 200);
  code = ks_test_server_read_code (self, email);
  signin = g_strdup_printf ("{\"verificationUUID\":\"%s\",\"verificationToken\":\"%s\"}",
                            json_object_get_string_member (created, "verificationUUID"), code);
  g_assert_cmpuint (ks_test_request (self, "POST", "/emailVerifications/signin", NULL, NULL, signin,
                                     &reply), ==, 200);
  g_assert_nonnull (reply);
  return reply;
}

const char *
ks_test_error_code (JsonObject *reply)
{
  g_assert_nonnull (reply);
  g_assert_true (json_object_has_member (reply, "error"));
  g_assert_cmpstr (json_object_get_string_member (reply, "error"), !=, "");
  return json_object_get_string_member (reply, "code");
}

JsonObject *
ks_test_jwt_claims (const char *jwt)
{
  g_auto(GStrv) parts = g_strsplit (jwt, ".", -1);
  g_autoptr(GBytes) payload = NULL;
  g_autofree char *text = NULL;

  g_assert_cmpuint (g_strv_length (parts), ==, 3);
  payload = kt_base64url_decode (parts[1], NULL);
  g_assert_nonnull (payload);
  text = g_strndup (g_bytes_get_data (payload, NULL), g_bytes_get_size (payload));
  return ks_test_parse_object (text);
}

char *
ks_test_unique_email (const char *prefix)
{
  static guint counter;

  return g_strdup_printf ("%s-%u-%u@example.com", prefix, (guint) getpid (), ++counter);
}
