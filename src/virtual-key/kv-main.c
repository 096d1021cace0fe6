/* kv-main.c: keyturn-virtual-key, a software FIDO2 security key on a Unix socket
 *
 * Copyright 2026 Keyturn developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <errno.h>
#include <glib-unix.h>
#include <gio/gio.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "kt-unix-socket.h"
#include "kv-hid.h"
#include "kv-key.h"
#include "kv-log.h"

/* The control socket sits beside the key's socket: PATH.control. A client writes one line,
 * "touch WAIT_MS\n"; the key answers "touched\n" once a request waiting for presence has been
 * given the touch, or "no-request\n" when none came within WAIT_MS. */
#define CONTROL_SUFFIX ".control"
#define DEFAULT_TOUCH_WAIT_MS 5000

static KvKey key;

static int
listen_on (const char  *path,
           GError     **error)
{
  struct sockaddr_un addr = { .sun_family = AF_UNIX };
  struct stat st;
  int fd;

  if (strlen (path) >= sizeof addr.sun_path)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FILENAME_TOO_LONG, "Socket path too long: %s",
                   path);
      return -1;
    }
  g_strlcpy (addr.sun_path, path, sizeof addr.sun_path);

  /* A socket left by a key that died is replaced; one that still answers is in use. */
  if (lstat (path, &st) == 0)
    {
      int probe = kt_unix_socket_connect (path);
      gboolean alive = probe >= 0;

      if (probe >= 0)
        close (probe);
      if (alive || !S_ISSOCK (st.st_mode))
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_EXISTS, "%s is %s", path,
                       alive ? "in use by another key" : "not a socket");
          return -1;
        }
      unlink (path);
    }

  /* Only the owner may talk to the key: whoever connects can use its credentials. */
  fd = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0 || bind (fd, (struct sockaddr *) &addr, sizeof addr) != 0 ||
      chmod (path, 0600) != 0 || listen (fd, 16) != 0)
    {
      int saved = errno;

      if (fd >= 0)
        close (fd);
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved), "Cannot listen on %s: %s",
                   path, g_strerror (saved));
      return -1;
    }
  return fd;
}

/* Each connection is served by a long-lived worker that waits in accept() itself: no thread is
 * made per connection and no hop through the main loop delays it. Another worker starts only
 * when the last one waiting takes a connection; spare ones beyond a few leave. */
#define SPARE_WORKERS 2
#define MAX_SPARE_WORKERS 4

static int key_fd = -1;
static GMutex workers_lock;
static guint workers_waiting;

static gpointer connection_worker (gpointer data);

static void
start_worker (void)
{
  g_thread_unref (g_thread_new ("kv-connection", connection_worker, NULL));
}

static gpointer
connection_worker (gpointer data)
{
  for (;;)
    {
      KvConnection *conn;
      gboolean another;
      int client = accept4 (key_fd, NULL, NULL, SOCK_CLOEXEC);

      if (client < 0)
        {
          /* Out of descriptors, say: try again soon rather than spin. */
          if (errno != EINTR && errno != ECONNABORTED)
            g_usleep (10000);
          continue;
        }

      g_mutex_lock (&workers_lock);
      another = --workers_waiting == 0;
      if (another)
        workers_waiting++;
      g_mutex_unlock (&workers_lock);
      if (another)
        start_worker ();

      conn = kv_connection_new (&key, client);
      kv_connection_run (conn);
      kv_connection_free (conn);

      g_mutex_lock (&workers_lock);
      if (workers_waiting >= MAX_SPARE_WORKERS)
        {
          g_mutex_unlock (&workers_lock);
          return NULL;
        }
      workers_waiting++;
      g_mutex_unlock (&workers_lock);
    }
}

/* One line from the other end of a control connection, whose requests and answers are a line
 * each: reads into @buf until a newline, the end of the stream or @size - 1 bytes, and ends it
 * with a NUL. Answers the number of bytes read. */
static gsize
read_line (int    fd,
           char  *buf,
           gsize  size)
{
  gsize got = 0;

  while (got < size - 1 && memchr (buf, '\n', got) == NULL)
    {
      ssize_t n = read (fd, buf + got, size - 1 - got);

      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        break;
      got += (gsize) n;
    }
  buf[got] = '\0';
  return got;
}

static gpointer
control_thread (gpointer data)
{
  int fd = GPOINTER_TO_INT (data);
  char line[64];
  guint64 wait_ms = DEFAULT_TOUCH_WAIT_MS;
  const char *reply;

  read_line (fd, line, sizeof line);
  g_strchomp (line);

  if (g_str_has_prefix (line, "touch") && (line[5] == '\0' || line[5] == ' '))
    {
      if (line[5] == ' ' && !g_ascii_string_to_unsigned (line + 6, 10, 0, 600000, &wait_ms, NULL))
        reply = "error: bad wait\n";
      else
        {
          gboolean touched = kv_key_touch (&key, (guint) wait_ms);

          kv_log ("touch: %s", touched ? "given to a waiting request" : "nothing was waiting");
          reply = touched ? "touched\n" : "no-request\n";
        }
    }
  else
    reply = "error: unknown command\n";

  if (send (fd, reply, strlen (reply), MSG_NOSIGNAL) < 0)
    kv_log ("control: could not answer: %s", g_strerror (errno));
  close (fd);
  return NULL;
}

static gboolean
accept_control_cb (int          fd,
                   GIOCondition condition,
                   gpointer     user_data)
{
  int client = accept4 (fd, NULL, NULL, SOCK_CLOEXEC);

  if (client >= 0)
    g_thread_unref (g_thread_new ("kv-control", control_thread, GINT_TO_POINTER (client)));
  return G_SOURCE_CONTINUE;
}

static gboolean
quit_cb (gpointer user_data)
{
  g_main_loop_quit (user_data);
  return G_SOURCE_REMOVE;
}

static int
run_touch (int    argc,
           char **argv)
{
  g_autofree char *socket_path = NULL;
  g_autofree char *control = NULL;
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(GError) error = NULL;
  int wait_ms = DEFAULT_TOUCH_WAIT_MS;
  char request[64], reply[64];
  gsize got;
  int fd;
  GOptionEntry entries[] = {
    { "socket", 's', 0, G_OPTION_ARG_FILENAME, &socket_path, "The key's socket", "PATH" },
    { "wait-ms", 0, 0, G_OPTION_ARG_INT, &wait_ms,
      "How long to wait for a request that needs a touch (default 5000)", "MS" },
    { NULL }
  };

  context = g_option_context_new ("- touch a running keyturn-virtual-key");
  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("keyturn-virtual-key touch: %s\n", error->message);
      return 2;
    }
  if (socket_path == NULL || wait_ms < 0)
    {
      g_printerr ("keyturn-virtual-key touch: --socket PATH is required\n");
      return 2;
    }

  control = g_strconcat (socket_path, CONTROL_SUFFIX, NULL);
  fd = kt_unix_socket_connect (control);
  if (fd < 0 && errno == ENAMETOOLONG)
    {
      g_printerr ("keyturn-virtual-key touch: socket path too long\n");
      return 2;
    }
  if (fd < 0)
    {
      g_printerr ("keyturn-virtual-key touch: no key at %s: %s\n", control, g_strerror (errno));
      return 1;
    }
  g_snprintf (request, sizeof request, "touch %d\n", wait_ms);
  if (send (fd, request, strlen (request), MSG_NOSIGNAL) < 0)
    {
      close (fd);
      return 1;
    }
  got = read_line (fd, reply, sizeof reply);
  close (fd);
  if (g_str_equal (reply, "touched\n"))
    return 0;
  g_printerr ("keyturn-virtual-key touch: %s", got > 0 ? reply : "no answer\n");
  return 1;
}

/* The position of @value among @names, 0 when @value is NULL; -1 when it is none of them. */
static int
choose (const char  *value,
        const char **names)
{
  if (value == NULL)
    return 0;
  for (int i = 0; names[i] != NULL; i++)
    if (g_str_equal (value, names[i]))
      return i;
  return -1;
}

/* Reads the command line into the key's settings and the two paths. Answers -1 when the key is
 * to start, else the status to exit with, having said why. */
static int
read_options (int     argc,
              char  **argv,
              char  **socket_path,
              char  **state_path)
{
  g_autofree char *presence = NULL;
  g_autofree char *attestation = NULL;
  g_autofree char *protocols = NULL;
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(GError) error = NULL;
  gboolean version = FALSE;
  int delay_ms = 0, touch_timeout_ms = 30000, reset_window_ms = 10000;
  int presence_index, attestation_index, protocols_index;
  const char *wrong = NULL;
  GOptionEntry entries[] = {
    { "socket", 's', 0, G_OPTION_ARG_FILENAME, socket_path,
      "Listen on this Unix socket; each connection is one opened device", "PATH" },
    { "state", 0, 0, G_OPTION_ARG_FILENAME, state_path,
      "Keep the key's credentials, PIN and identity in this file", "FILE" },
    { "presence", 0, 0, G_OPTION_ARG_STRING, &presence,
      "User presence: auto (default), deny or manual (wait for `touch`)", "MODE" },
    { "presence-delay-ms", 0, 0, G_OPTION_ARG_INT, &delay_ms,
      "With auto or deny, answer after this long, as a person would", "MS" },
    { "touch-timeout-ms", 0, 0, G_OPTION_ARG_INT, &touch_timeout_ms,
      "Give up waiting for a touch after this long (default 30000)", "MS" },
    { "reset-window-ms", 0, 0, G_OPTION_ARG_INT, &reset_window_ms,
      "Accept authenticatorReset only this long after start (default 10000)", "MS" },
    { "attestation", 0, 0, G_OPTION_ARG_STRING, &attestation,
      "packed (batch certificate, default) or self", "KIND" },
    { "pin-protocols", 0, 0, G_OPTION_ARG_STRING, &protocols,
      "PIN/UV auth protocols offered: 2,1 (default), 2 or 1", "LIST" },
    { "version", 0, 0, G_OPTION_ARG_NONE, &version, "Print the version and exit", NULL },
    { NULL }
  };

  context = g_option_context_new ("- a software FIDO2 security key on a Unix socket");
  g_option_context_set_description (context,
    "Also: keyturn-virtual-key touch --socket PATH [--wait-ms MS]\n"
    "  touches the key running at PATH for a request that waits for user presence.");
  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("keyturn-virtual-key: %s\n", error->message);
      return 2;
    }
  if (version)
    {
      g_print ("keyturn-virtual-key %s\n", KT_VERSION);
      return 0;
    }
  if (*socket_path == NULL || *state_path == NULL)
    {
      g_printerr ("keyturn-virtual-key: --socket PATH and --state FILE are required\n");
      return 2;
    }
  /* In the order of KvPresenceMode and KvAttestation. */
  presence_index = choose (presence, (const char *[]) { "auto", "deny", "manual", NULL });
  attestation_index = choose (attestation, (const char *[]) { "packed", "self", NULL });
  protocols_index = choose (protocols, (const char *[]) { "2,1", "1,2", "2", "1", NULL });
  if (presence_index < 0)
    wrong = "--presence must be auto, deny or manual";
  else if (attestation_index < 0)
    wrong = "--attestation must be packed or self";
  else if (protocols_index < 0)
    wrong = "--pin-protocols must be 2,1, 2 or 1";
  else if (delay_ms < 0 || touch_timeout_ms <= 0 || reset_window_ms < 0)
    wrong = "times must not be negative";
  if (wrong != NULL)
    {
      g_printerr ("keyturn-virtual-key: %s\n", wrong);
      return 2;
    }
  key.presence = (KvPresenceMode) presence_index;
  key.attestation = (KvAttestation) attestation_index;
  key.pin_protocol1 = protocols_index != 2;
  key.pin_protocol2 = protocols_index != 3;
  key.presence_delay_ms = (guint) delay_ms;
  key.touch_timeout_ms = (guint) touch_timeout_ms;
  key.reset_window_ms = (guint) reset_window_ms;
  return -1;
}

int
main (int    argc,
      char **argv)
{
  g_autofree char *socket_path = NULL;
  g_autofree char *state_path = NULL;
  g_autofree char *control_path = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GMainLoop) loop = NULL;
  KvState *state;
  gboolean created = FALSE;
  int status, fd, control_fd;
  char aaguid[40];

  if (argc > 1 && g_str_equal (argv[1], "touch"))
    return run_touch (argc - 1, argv + 1);
  /* Its own function, so that what the options took is freed before the key starts: the key
   * ends with _exit (), which runs no g_autoptr. */
  status = read_options (argc, argv, &socket_path, &state_path);
  if (status >= 0)
    return status;

  state = kv_state_load (state_path, &created, &error);
  if (state == NULL)
    {
      g_printerr ("keyturn-virtual-key: %s\n", error->message);
      return 1;
    }
  kv_key_init (&key, state);

  /* Handle SIGTERM before the sockets exist: whoever sees them may stop the key at once. */
  loop = g_main_loop_new (NULL, FALSE);
  g_unix_signal_add (SIGINT, quit_cb, loop);
  g_unix_signal_add (SIGTERM, quit_cb, loop);

  control_path = g_strconcat (socket_path, CONTROL_SUFFIX, NULL);
  fd = listen_on (socket_path, &error);
  if (fd < 0 || (control_fd = listen_on (control_path, &error)) < 0)
    {
      g_printerr ("keyturn-virtual-key: %s\n", error->message);
      if (fd >= 0)
        unlink (socket_path);
      return 1;
    }

  g_snprintf (aaguid, sizeof aaguid,
              "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
              state->aaguid[0], state->aaguid[1], state->aaguid[2], state->aaguid[3],
              state->aaguid[4], state->aaguid[5], state->aaguid[6], state->aaguid[7],
              state->aaguid[8], state->aaguid[9], state->aaguid[10], state->aaguid[11],
              state->aaguid[12], state->aaguid[13], state->aaguid[14], state->aaguid[15]);
  kv_log ("%s state %s: AAGUID %s, %u credentials, PIN %s", created ? "new" : "loaded",
          state_path, aaguid, state->credentials->len, state->pin_set ? "set" : "not set");
  kv_log ("listening on %s (touch: %s), presence %s", socket_path, control_path,
          key.presence == KV_PRESENCE_AUTO ? "auto" :
          key.presence == KV_PRESENCE_DENY ? "deny" : "manual");

  key_fd = fd;
  g_mutex_lock (&workers_lock);
  workers_waiting = SPARE_WORKERS;
  g_mutex_unlock (&workers_lock);
  for (guint i = 0; i < SPARE_WORKERS; i++)
    start_worker ();
  g_unix_fd_add (control_fd, G_IO_IN, accept_control_cb, NULL);
  g_main_loop_run (loop);

  unlink (socket_path);
  unlink (control_path);
  g_clear_pointer (&control_path, g_free);
  /* Hold the state lock so no connection is half-way through a save; then leave at once. */
  g_mutex_lock (&key.lock);
  kv_log ("stopped");
  _exit (0);
}
