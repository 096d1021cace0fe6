/* bench-service.c: GetSession for an allowed caller beside a bare GDBus round trip to the same
 * Keyturn, and the peak RSS of Keyturn started by D-Bus activation beside a bare AdwApplication
 *
 * Usage: bench-service --keyturn PATH --bare PATH [--count N]
 *        (inside keyturn-test-env with a display, KEYTURN_BUILD_ROOT set)
 * Prints key=value lines for tests/bench/bench-service.sh. In order:
 * - a user signs up against the real sandbox and key through KtMfaController (the flow tests'
 *   fixture), which leaves the session in the keyring, as the app leaves it;
 * - this program's executable, its caller id, is allowed in the desktop's permission store;
 * - D-Bus service files for keyturn (--gapplication-service, pointed at the sandbox and key) and
 *   for the bare window (--gapplication-service), and the environment the bus starts them in;
 * - the first GetSession starts keyturn by D-Bus activation; after WARM_UP uncounted pairs,
 *   COUNT pairs of one GetSession (from the call to its Response) and one Properties.Get of
 *   Session1.Version (from the call to its reply), in alternating order so that both share the
 *   machine's load and neither always goes first;
 * - the token of the last answer is used once against the sandbox (GET /users);
 * - keyturn's peak RSS (VmHWM) once idle after the calls, then the bare window's once idle
 *   after its start, each found through its bus name; neither may show a window;
 * - both are stopped, then the sandbox and the key with the fixture.
 *
 * Copyright 2026 Keyturn developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <X11/Xlib.h>
#include <errno.h>
#include <signal.h>
#include <string.h>

#include "flow-fixture.h"
#include "kt-bench-stats.h"

#define KEYTURN_BUS_NAME  "io.github.keyturn.Keyturn"
#define KEYTURN_PATH      "/io/github/keyturn/Keyturn"
#define SESSION_INTERFACE "io.github.keyturn.Keyturn.Session1"
#define REQUEST_INTERFACE "io.github.keyturn.Keyturn.Request1"
#define REQUEST_PREFIX    "/io/github/keyturn/Keyturn/request/"
#define BARE_BUS_NAME     "io.github.keyturn.Keyturn.BenchBare"

#define WARM_UP     200
#define TIMEOUT_MS  60000

/* What the programs the bus starts need from the session and the benchmark: the display, the
 * renderer, the settings, and this program's language. */
static const char *const activation_variables[] = {
  "DISPLAY", "GDK_BACKEND", "GSK_RENDERER", "GSETTINGS_BACKEND", "GSETTINGS_SCHEMA_DIR",
  "NO_AT_BRIDGE", "LANG", "LC_ALL", "LANGUAGE", NULL
};

/* One timed call: GetSession, or the bare round trip. */
typedef struct {
  char     *path;                    /* GetSession: the Request's, known before the call */
  gint64    started;
  gint64    returned;                /* 0 until the method's reply came */
  gint64    answered;                /* GetSession: 0 until the Response came */
  guint32   response;
  GVariant *results;
  GError   *error;
} Call;

typedef struct {
  GDBusConnection *bus;
  char            *request_prefix;   /* where this connection's Requests are, up to the token */
  guint            tokens;
  Call            *waiting;          /* the GetSession whose Response is due */
} Bench;

static gint64
now_us (void)
{
  return g_get_monotonic_time ();
}

static void
print_figure (const char *name,
              GArray     *values)
{
  double sum = 0;

  for (guint i = 0; i < values->len; i++)
    sum += g_array_index (values, double, i);
  kt_bench_sort (values);
  g_print ("%s_p50=%.2f\n", name, kt_bench_quantile (values, 0.5));
  g_print ("%s_p25=%.2f\n", name, kt_bench_quantile (values, 0.25));
  g_print ("%s_p75=%.2f\n", name, kt_bench_quantile (values, 0.75));
  g_print ("%s_p99=%.2f\n", name, kt_bench_quantile (values, 0.99));
  g_print ("%s_mean=%.2f\n", name, sum / values->len);
  g_print ("%s_min=%.2f\n", name, g_array_index (values, double, 0));
  g_print ("%s_max=%.2f\n", name, g_array_index (values, double, values->len - 1));
}

/* ------------------------------------------------------------------------------------------ */
/* The bus                                                                                     */

static GVariant *
bus_call (GDBusConnection    *bus,
          const char         *destination,
          const char         *path,
          const char         *interface,
          const char         *method,
          GVariant           *parameters,
          const GVariantType *reply_type)
{
  g_autoptr(GError) error = NULL;
  GVariant *reply = g_dbus_connection_call_sync (bus, destination, path, interface, method,
                                                 parameters, reply_type, G_DBUS_CALL_FLAGS_NONE,
                                                 TIMEOUT_MS, NULL, &error);

  if (reply == NULL)
    g_error ("%s.%s: %s", interface, method, error->message);
  return reply;
}

static GVariant *
daemon_call (GDBusConnection    *bus,
             const char         *method,
             GVariant           *parameters,
             const GVariantType *reply_type)
{
  return bus_call (bus, "org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus",
                   method, parameters, reply_type);
}

static guint32
bus_name_pid (GDBusConnection *bus,
              const char      *name)
{
  g_autoptr(GVariant) reply = daemon_call (bus, "GetConnectionUnixProcessID",
                                           g_variant_new ("(s)", name), G_VARIANT_TYPE ("(u)"));
  guint32 pid;

  g_variant_get (reply, "(u)", &pid);
  return pid;
}

/* A caller is named by its executable; this one says "always allow" for itself, as the person
 * would in Keyturn's first prompt. */
static void
allow_this_program (GDBusConnection *bus)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *exe = g_file_read_link ("/proc/self/exe", &error);
  const char *yes[] = { "yes", NULL };

  if (exe == NULL)
    g_error ("%s", error->message);
  g_variant_unref (bus_call (bus, "org.freedesktop.impl.portal.PermissionStore",
                             "/org/freedesktop/impl/portal/PermissionStore",
                             "org.freedesktop.impl.portal.PermissionStore", "SetPermission",
                             g_variant_new ("(sbss^as)", "keyturn", TRUE, "sign-in", exe, yes),
                             NULL));
}

/* The services this session's bus may start: they inherit its environment, which predates the
 * display and the benchmark's settings. */
static void
set_activation_environment (GDBusConnection *bus)
{
  GVariantBuilder environment;

  g_variant_builder_init (&environment, G_VARIANT_TYPE ("a{ss}"));
  for (guint i = 0; activation_variables[i] != NULL; i++)
    if (g_getenv (activation_variables[i]) != NULL)
      g_variant_builder_add (&environment, "{ss}", activation_variables[i],
                             g_getenv (activation_variables[i]));
  g_variant_unref (daemon_call (bus, "UpdateActivationEnvironment",
                                g_variant_new ("(a{ss})", &environment), NULL));
}

static void
write_service_file (const char         *name,
                    const char * const *argv)
{
  g_autofree char *dir = g_build_filename (g_get_user_data_dir (), "dbus-1", "services", NULL);
  g_autofree char *file_name = g_strconcat (name, ".service", NULL);
  g_autofree char *path = g_build_filename (dir, file_name, NULL);
  g_autoptr(GString) exec = g_string_new (NULL);
  g_autofree char *contents = NULL;
  g_autoptr(GError) error = NULL;

  for (guint i = 0; argv[i] != NULL; i++)
    {
      g_autofree char *quoted = g_shell_quote (argv[i]);

      g_string_append_printf (exec, "%s%s", i > 0 ? " " : "", quoted);
    }
  contents = g_strdup_printf ("[D-BUS Service]\nName=%s\nExec=%s\n", name, exec->str);
  if (g_mkdir_with_parents (dir, 0700) != 0 ||
      !g_file_set_contents (path, contents, -1, &error))
    g_error ("%s: %s", path, error != NULL ? error->message : g_strerror (errno));
}

static gboolean
on_tick (gpointer user_data)
{
  return G_SOURCE_CONTINUE;
}

/* Iterates the main loop until @call is done; a periodic tick (on_tick) wakes it to notice the
 * time limit. */
static void
await_call (Call       *call,
            gboolean    with_response,
            const char *what)
{
  gint64 deadline = now_us () + (gint64) TIMEOUT_MS * 1000;

  while (call->error == NULL && (call->returned == 0 || (with_response && call->answered == 0)))
    {
      if (now_us () > deadline)
        g_error ("%s: no answer within %d s", what, TIMEOUT_MS / 1000);
      g_main_context_iteration (NULL, TRUE);
    }
  if (call->error != NULL)
    g_error ("%s: %s", what, call->error->message);
}

/* ------------------------------------------------------------------------------------------ */
/* The timed calls                                                                             */

static void
on_response (GDBusConnection *bus,
             const char      *sender,
             const char      *path,
             const char      *interface,
             const char      *signal,
             GVariant        *parameters,
             gpointer         user_data)
{
  Bench *b = user_data;
  Call *call = b->waiting;
  gint64 now = now_us ();

  if (call == NULL || g_strcmp0 (path, call->path) != 0)
    g_error ("A Response came for %s, which no call waits for", path);
  if (!g_variant_is_of_type (parameters, G_VARIANT_TYPE ("(ua{sv})")))
    g_error ("A Response of type %s", g_variant_get_type_string (parameters));
  call->answered = now;
  g_variant_get (parameters, "(u@a{sv})", &call->response, &call->results);
}

static void
on_get_session_returned (GObject      *source,
                         GAsyncResult *result,
                         gpointer      user_data)
{
  Call *call = user_data;
  g_autoptr(GVariant) reply = g_dbus_connection_call_finish (G_DBUS_CONNECTION (source), result,
                                                             &call->error);
  const char *handle;

  call->returned = now_us ();
  if (reply == NULL)
    return;
  g_variant_get (reply, "(&o)", &handle);
  if (!g_str_equal (handle, call->path))
    g_error ("GetSession made %s, not the Request its handle_token names (%s)", handle,
             call->path);
}

/* One GetSession, from the call until both its reply and its Response are in; microseconds.
 * *@results (optional) gets the answer, with the token: it stays in memory only. */
static double
time_get_session (Bench     *b,
                  GVariant **results)
{
  g_autofree char *token = g_strdup_printf ("bench%u", ++b->tokens);
  g_autofree char *path = g_strconcat (b->request_prefix, token, NULL);
  GVariantBuilder options;
  Call call = { path };

  g_variant_builder_init (&options, G_VARIANT_TYPE_VARDICT);
  g_variant_builder_add (&options, "{sv}", "handle_token", g_variant_new_string (token));
  b->waiting = &call;
  call.started = now_us ();
  g_dbus_connection_call (b->bus, KEYTURN_BUS_NAME, KEYTURN_PATH, SESSION_INTERFACE,
                          "GetSession", g_variant_new ("(a{sv})", &options),
                          G_VARIANT_TYPE ("(o)"), G_DBUS_CALL_FLAGS_NONE, TIMEOUT_MS, NULL,
                          on_get_session_returned, &call);
  await_call (&call, TRUE, "GetSession");
  b->waiting = NULL;

  if (call.response != 0)
    {
      const char *reason = "?", *message = "?";

      g_variant_lookup (call.results, "error", "&s", &reason);
      g_variant_lookup (call.results, "message", "&s", &message);
      g_error ("GetSession answered %u: %s (%s)", call.response, reason, message);
    }
  if (results != NULL)
    *results = g_variant_ref (call.results);
  g_variant_unref (call.results);
  return MAX (call.returned, call.answered) - call.started;
}

static void
on_version_returned (GObject      *source,
                     GAsyncResult *result,
                     gpointer      user_data)
{
  Call *call = user_data;

  call->results = g_dbus_connection_call_finish (G_DBUS_CONNECTION (source), result,
                                                 &call->error);
  call->returned = now_us ();
}

/* The reference: a bare GDBus round trip through the same process's main loop, the least any
 * call to Keyturn costs; microseconds. */
static double
time_round_trip (Bench *b)
{
  Call call = { NULL };
  g_autoptr(GVariant) version = NULL;

  call.started = now_us ();
  g_dbus_connection_call (b->bus, KEYTURN_BUS_NAME, KEYTURN_PATH,
                          "org.freedesktop.DBus.Properties", "Get",
                          g_variant_new ("(ss)", SESSION_INTERFACE, "Version"),
                          G_VARIANT_TYPE ("(v)"), G_DBUS_CALL_FLAGS_NONE, TIMEOUT_MS, NULL,
                          on_version_returned, &call);
  await_call (&call, FALSE, "Properties.Get");

  g_variant_get (call.results, "(v)", &version);
  if (!g_variant_is_of_type (version, G_VARIANT_TYPE_UINT32) || g_variant_get_uint32 (version) != 1)
    g_error ("Session1.Version is %s, not 1", g_variant_print (version, TRUE));
  g_variant_unref (call.results);
  return call.returned - call.started;
}

/* ------------------------------------------------------------------------------------------ */
/* The processes                                                                               */

static double
read_status_mib (guint32     pid,
                 const char *field)
{
  g_autofree char *path = g_strdup_printf ("/proc/%u/status", pid);
  g_autofree char *status = NULL;
  g_autofree char *key = g_strconcat ("\n", field, ":", NULL);
  const char *line;

  if (!g_file_get_contents (path, &status, NULL, NULL))
    g_error ("Process %u is gone", pid);
  line = strstr (status, key);
  if (line == NULL)
    g_error ("%s has no %s", path, field);
  return g_ascii_strtod (line + strlen (key), NULL) / 1024.0;   /* kB */
}

/* Waits until @pid's peak RSS has not grown for a second: whatever it started is done. */
static void
wait_idle (guint32 pid)
{
  double last = -1;
  int steady = 0;

  for (int i = 0; i < 80 && steady < 10; i++)
    {
      double now = read_status_mib (pid, "VmHWM");

      steady = now == last ? steady + 1 : 0;
      last = now;
      flow_spin (100);
    }
}

/* The windows on the display that are mapped: the session's display is the benchmark's alone,
 * and with no window manager a toplevel is a child of the root. */
static guint
count_windows (void)
{
  Display *display = XOpenDisplay (NULL);
  Window root, parent, *children = NULL;
  unsigned int n = 0;
  guint mapped = 0;

  if (display == NULL)
    g_error ("No X display to look at (DISPLAY=%s)", g_getenv ("DISPLAY"));
  if (XQueryTree (display, DefaultRootWindow (display), &root, &parent, &children, &n))
    for (unsigned int i = 0; i < n; i++)
      {
        XWindowAttributes attributes;

        if (XGetWindowAttributes (display, children[i], &attributes) &&
            attributes.map_state == IsViewable)
          mapped++;
      }
  if (children != NULL)
    XFree (children);
  XCloseDisplay (display);
  return mapped;
}

static gboolean
process_gone (guint32 pid)
{
  return kill ((pid_t) pid, 0) != 0 && errno == ESRCH;
}

/* Started by the bus, the process is the bus's child: it is gone once the bus has reaped it. */
static void
wait_gone (guint32     pid,
           const char *what)
{
  for (int i = 0; i < 100 && !process_gone (pid); i++)
    flow_spin (100);
  if (!process_gone (pid))
    {
      kill ((pid_t) pid, SIGKILL);
      g_error ("%s (process %u) did not quit within 10 s", what, pid);
    }
}

/* ------------------------------------------------------------------------------------------ */

/* The token answered is the session's: the sandbox takes it for the user answered. */
static void
check_answer (Flow     *f,
              GVariant *results)
{
  g_autoptr(JsonObject) reply = NULL;
  const char *token = NULL, *user_id = NULL, *base_url = NULL, *environment_id = NULL;
  guint status;

  if (!g_variant_lookup (results, "access_token", "&s", &token) ||
      !g_variant_lookup (results, "user_id", "&s", &user_id) ||
      !g_variant_lookup (results, "base_url", "&s", &base_url) ||
      !g_variant_lookup (results, "environment_id", "&s", &environment_id))
    g_error ("GetSession's results miss a member");
  if (!g_str_equal (base_url, f->base_url) ||
      !g_str_equal (environment_id, f->server->environment_id))
    g_error ("GetSession answered for another environment");
  status = ks_test_request (f->server, "GET", "/users", token, NULL, NULL, &reply);
  if (status != 200)
    g_error ("GET /users with the token GetSession answered: %u", status);
  /* GET /users answers the user itself. */
  if (reply == NULL || !json_object_has_member (reply, "id") ||
      g_strcmp0 (json_object_get_string_member (reply, "id"), user_id) != 0)
    g_error ("The token GetSession answered is another user's");
  g_print ("token_status=%u\n", status);
}

int
main (int   argc,
      char *argv[])
{
  int count = 2000;
  g_autofree char *keyturn = NULL;
  g_autofree char *bare = NULL;
  GOptionEntry entries[] = {
    { "keyturn", 0, 0, G_OPTION_ARG_FILENAME, &keyturn, "The keyturn program", "PATH" },
    { "bare", 0, 0, G_OPTION_ARG_FILENAME, &bare, "The bare window program", "PATH" },
    { "count", 0, 0, G_OPTION_ARG_INT, &count, "Counted calls of each kind (2000)", "N" },
    { NULL },
  };
  g_autoptr(GOptionContext) context = g_option_context_new ("- Keyturn's D-Bus service");
  g_autoptr(GError) error = NULL;
  g_autoptr(GArray) get_session = NULL;
  g_autoptr(GArray) round_trip = NULL;
  g_autoptr(GArray) ratios = NULL;
  g_autoptr(GVariant) last_answer = NULL;
  g_autofree char *sender = NULL;
  Bench bench = { NULL };
  Bench *b = &bench;
  Flow flow = { 0 };
  Flow *f = &flow;
  g_autoptr(KtStoredSession) kept = NULL;
  guint response_signal, tick;
  guint32 keyturn_pid, bare_pid;
  double first_call;

  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("bench-service: %s\n", error->message);
      return 2;
    }
  if (keyturn == NULL || bare == NULL || count < 1)
    {
      g_printerr ("bench-service: --keyturn and --bare are needed, and --count must be >= 1\n");
      return 2;
    }

  /* Someone signed in, kept in the keyring, and nothing of Keyturn's running. */
  flow_setup (f, NULL);
  flow_sign_up (f);
  flow_settle (f);
  if (!flow_is_remembered (f))
    g_error ("The session did not reach the keyring");
  flow_drop_controller (f);
  kept = flow_stored_session (f);
  if (kept == NULL)
    g_error ("The keyring holds no session");

  b->bus = g_bus_get_sync (G_BUS_TYPE_SESSION, NULL, &error);
  if (b->bus == NULL)
    g_error ("%s", error->message);
  set_activation_environment (b->bus);
  allow_this_program (b->bus);
  {
    const char *keyturn_argv[] = {
      keyturn, "--gapplication-service", "--base-url", f->base_url,
      "--environment-id", f->server->environment_id, "--origin", f->server->origin,
      "--virtual-key-socket", f->key->socket, NULL
    };
    const char *bare_argv[] = { bare, "--gapplication-service", NULL };

    write_service_file (KEYTURN_BUS_NAME, keyturn_argv);
    write_service_file (BARE_BUS_NAME, bare_argv);
  }
  g_variant_unref (daemon_call (b->bus, "ReloadConfig", NULL, NULL));

  /* One subscription for every Request's Response, made before the first call: one per call,
   * as a portal client makes it, would add an AddMatch and a RemoveMatch on the bus to each
   * call, a cost of the client's and not of Keyturn's. The handle_token still names each
   * Request, and each Response must come on the one the call waits for. */
  sender = g_strdup (g_dbus_connection_get_unique_name (b->bus) + 1);
  g_strdelimit (sender, ".", '_');
  b->request_prefix = g_strconcat (REQUEST_PREFIX, sender, "/", NULL);
  response_signal = g_dbus_connection_signal_subscribe (b->bus, KEYTURN_BUS_NAME,
                                                        REQUEST_INTERFACE, "Response", NULL,
                                                        NULL, G_DBUS_SIGNAL_FLAGS_NONE,
                                                        on_response, b, NULL);
  tick = g_timeout_add_seconds (1, on_tick, NULL);

  /* The first call starts Keyturn: its start-up, the keyring and the permission store. */
  first_call = time_get_session (b, NULL);
  keyturn_pid = bus_name_pid (b->bus, KEYTURN_BUS_NAME);

  get_session = g_array_sized_new (FALSE, FALSE, sizeof (double), count);
  round_trip = g_array_sized_new (FALSE, FALSE, sizeof (double), count);
  ratios = g_array_sized_new (FALSE, FALSE, sizeof (double), count);
  for (int i = -WARM_UP; i < count; i++)
    {
      double session_us, trip_us, ratio;

      if (i % 2 == 0)
        {
          session_us = time_get_session (b, i == count - 1 ? &last_answer : NULL);
          trip_us = time_round_trip (b);
        }
      else
        {
          trip_us = time_round_trip (b);
          session_us = time_get_session (b, i == count - 1 ? &last_answer : NULL);
        }
      if (i < 0)
        continue;
      g_array_append_val (get_session, session_us);
      g_array_append_val (round_trip, trip_us);
      /* Each call over the round trip beside it, which shared its moment's load. */
      ratio = session_us / trip_us;
      g_array_append_val (ratios, ratio);
    }
  if (bus_name_pid (b->bus, KEYTURN_BUS_NAME) != keyturn_pid)
    g_error ("Keyturn was started again during the calls");

  g_print ("runs=%d\n", count);
  g_print ("warm_up=%d\n", WARM_UP);
  g_print ("first_call_ms=%.1f\n", first_call / 1000.0);
  print_figure ("get_session_us", get_session);
  print_figure ("round_trip_us", round_trip);
  print_figure ("pair_ratio", ratios);
  check_answer (f, last_answer);

  /* Keyturn, idle after the calls, then the bare window, idle after its start. */
  wait_idle (keyturn_pid);
  g_print ("keyturn_windows=%u\n", count_windows ());
  g_print ("keyturn_hwm_mib=%.1f\n", read_status_mib (keyturn_pid, "VmHWM"));
  g_print ("keyturn_rss_mib=%.1f\n", read_status_mib (keyturn_pid, "VmRSS"));
  g_variant_unref (bus_call (b->bus, KEYTURN_BUS_NAME, KEYTURN_PATH, "org.gtk.Actions",
                             "Activate", g_variant_new ("(sava{sv})", "quit", NULL, NULL),
                             NULL));
  wait_gone (keyturn_pid, "keyturn");

  /* GApplication keeps a service without a window on for 10 s, long enough to look at. */
  g_variant_unref (daemon_call (b->bus, "StartServiceByName",
                                g_variant_new ("(su)", BARE_BUS_NAME, 0), NULL));
  bare_pid = bus_name_pid (b->bus, BARE_BUS_NAME);
  wait_idle (bare_pid);
  g_print ("bare_windows=%u\n", count_windows ());
  g_print ("bare_hwm_mib=%.1f\n", read_status_mib (bare_pid, "VmHWM"));
  g_print ("bare_rss_mib=%.1f\n", read_status_mib (bare_pid, "VmRSS"));
  kill ((pid_t) bare_pid, SIGTERM);
  wait_gone (bare_pid, "bench-bare-window");

  g_source_remove (tick);
  g_dbus_connection_signal_unsubscribe (b->bus, response_signal);
  g_free (b->request_prefix);
  g_object_unref (b->bus);
  flow_teardown (f, NULL);
  return 0;
}
