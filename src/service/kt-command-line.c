/* kt-command-line.c: `keyturn token` and `keyturn step-up`, the sign-in for scripts
 *
 * Copyright 2026 Keyturn developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "keyturn-command-line"

#include "kt-command-line.h"

#include <gio/gio.h>
#include <glib-unix.h>
#include <glib/gi18n-lib.h>
#include <signal.h>
#include <stdio.h>

#include "kt-service-request.h"

#define KT_BUS_NAME "io.github.keyturn.Keyturn"
#define KT_OBJECT_PATH "/io/github/keyturn/Keyturn"
#define KT_SESSION_INTERFACE "io.github.keyturn.Keyturn.Session1"
/* Long enough for Keyturn to start by D-Bus activation and answer with its Request. */
#define KT_CALL_TIMEOUT_MS 60000

enum {
  EXIT_DECLINED = 1,
  EXIT_FAILED = 2,
};

typedef struct
{
  GMainLoop       *loop;
  GDBusConnection *bus;
  char            *path;
  const char      *result_key;
  int              status;
  gboolean         answered;
} Client;

gboolean
kt_command_line_handles (int    argc,
                         char **argv)
{
  return argc >= 2 && (g_str_equal (argv[1], "token") || g_str_equal (argv[1], "step-up"));
}

static void
on_response (GDBusConnection *bus,
             const char      *sender_name,
             const char      *object_path,
             const char      *interface_name,
             const char      *signal_name,
             GVariant        *parameters,
             gpointer         user_data)
{
  Client *client = user_data;
  g_autoptr(GVariant) results = NULL;
  guint32 response;
  const char *value = NULL;

  if (client->answered || !g_variant_is_of_type (parameters, G_VARIANT_TYPE ("(ua{sv})")))
    return;
  client->answered = TRUE;
  g_variant_get (parameters, "(u@a{sv})", &response, &results);

  if (response == 0 && g_variant_lookup (results, client->result_key, "&s", &value))
    {
      /* The token alone, for $(keyturn token): nothing else ever goes to standard output. */
      printf ("%s\n", value);
      fflush (stdout);
      client->status = 0;
    }
  else
    {
      const char *message = NULL;

      if (!g_variant_lookup (results, "message", "&s", &message))
        message = _("Keyturn did not answer with a token.");
      g_printerr ("keyturn: %s\n", message);
      client->status = response == 1 ? EXIT_DECLINED : EXIT_FAILED;
    }
  g_main_loop_quit (client->loop);
}

/* Ctrl+C withdraws the request, so that its prompt closes rather than waits for nobody. */
static gboolean
on_interrupt (gpointer user_data)
{
  Client *client = user_data;

  if (client->path != NULL)
    g_dbus_connection_call_sync (client->bus, KT_BUS_NAME, client->path, KT_SERVICE_REQUEST_INTERFACE,
                                 "Close", NULL, NULL, G_DBUS_CALL_FLAGS_NONE, 5000, NULL, NULL);
  g_printerr ("keyturn: %s\n", _("Cancelled."));
  client->status = EXIT_DECLINED;
  g_main_loop_quit (client->loop);
  return G_SOURCE_REMOVE;
}

static void
on_name_vanished (GDBusConnection *bus,
                  const char      *name,
                  gpointer         user_data)
{
  Client *client = user_data;

  if (client->answered)
    return;
  g_printerr ("keyturn: %s\n", _("Keyturn quit before it answered."));
  client->status = EXIT_FAILED;
  g_main_loop_quit (client->loop);
}

/* Calls GetSession (@scope NULL) or StepUp and waits for the answer. */
static int
call_service (const char *scope,
              const char *reason,
              gboolean    interactive)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GMainLoop) loop = NULL;
  g_autofree char *token = g_strdup_printf ("keyturn_command_line_%u", g_random_int ());
  g_auto(GVariantDict) options = G_VARIANT_DICT_INIT (NULL);
  Client client = { .status = EXIT_FAILED };
  const char *returned_path = NULL;
  const char *method;
  GVariant *parameters;
  guint subscription, watch, interrupt, terminate;

  client.bus = g_bus_get_sync (G_BUS_TYPE_SESSION, NULL, &error);
  if (client.bus == NULL)
    {
      g_printerr ("keyturn: %s: %s\n", _("The session bus is out of reach"), error->message);
      return EXIT_FAILED;
    }
  loop = g_main_loop_new (NULL, FALSE);
  client.loop = loop;
  client.result_key = scope != NULL ? "token" : "access_token";

  /* Listen before calling, as the Request's path is known in advance: an answer that comes at
   * once is not missed. The answer is sent to this connection alone, so no match rule. */
  client.path = kt_service_request_path_for (g_dbus_connection_get_unique_name (client.bus),
                                             token);
  subscription = g_dbus_connection_signal_subscribe (client.bus, NULL, KT_SERVICE_REQUEST_INTERFACE,
                                                     "Response", client.path, NULL,
                                                     G_DBUS_SIGNAL_FLAGS_NO_MATCH_RULE,
                                                     on_response, &client, NULL);
  interrupt = g_unix_signal_add (SIGINT, on_interrupt, &client);
  terminate = g_unix_signal_add (SIGTERM, on_interrupt, &client);

  g_variant_dict_insert (&options, "handle_token", "s", token);
  if (scope == NULL)
    {
      g_variant_dict_insert (&options, "interactive", "b", interactive);
      method = "GetSession";
      parameters = g_variant_new ("(@a{sv})", g_variant_dict_end (&options));
    }
  else
    {
      method = "StepUp";
      parameters = g_variant_new ("(ss@a{sv})", scope, reason, g_variant_dict_end (&options));
    }
  reply = g_dbus_connection_call_sync (client.bus, KT_BUS_NAME, KT_OBJECT_PATH,
                                       KT_SESSION_INTERFACE, method, parameters,
                                       G_VARIANT_TYPE ("(o)"), G_DBUS_CALL_FLAGS_NONE,
                                       KT_CALL_TIMEOUT_MS, NULL, &error);

  if (reply == NULL)
    {
      g_dbus_error_strip_remote_error (error);
      g_printerr ("keyturn: %s: %s\n", _("Keyturn could not be asked"), error->message);
    }
  else
    {
      g_variant_get (reply, "(&o)", &returned_path);
      if (g_strcmp0 (returned_path, client.path) != 0)
        g_printerr ("keyturn: %s\n", _("Keyturn answered on an unexpected path."));
      else if (!client.answered)
        {
          /* Watched only now that it runs: before the call, the call itself starts it. */
          watch = g_bus_watch_name_on_connection (client.bus, KT_BUS_NAME,
                                                  G_BUS_NAME_WATCHER_FLAGS_NONE, NULL,
                                                  on_name_vanished, &client, NULL);
          g_main_loop_run (loop);
          g_bus_unwatch_name (watch);
        }
    }

  g_source_remove (interrupt);
  g_source_remove (terminate);
  g_dbus_connection_signal_unsubscribe (client.bus, subscription);
  g_clear_pointer (&client.path, g_free);
  g_clear_object (&client.bus);
  return client.status;
}

int
kt_command_line_run (int    argc,
                     char **argv)
{
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *reason = NULL;
  gboolean interactive = FALSE;
  gboolean step_up;
  GOptionEntry token_entries[] = {
    { "interactive", 'i', 0, G_OPTION_ARG_NONE, &interactive,
      N_("Show Keyturn's sign-in when nobody is signed in"), NULL },
    { NULL }
  };
  GOptionEntry step_up_entries[] = {
    { "reason", 'r', 0, G_OPTION_ARG_STRING, &reason,
      N_("Why the token is needed, shown in the prompt"), N_("TEXT") },
    { NULL }
  };

  g_return_val_if_fail (kt_command_line_handles (argc, argv), EXIT_FAILED);

  step_up = g_str_equal (argv[1], "step-up");
  if (step_up)
    {
      context = g_option_context_new (_("step-up SCOPE --reason TEXT"));
      g_option_context_set_summary (context,
                                    _("Print an elevated access token for SCOPE, once you have "
                                      "confirmed with your security key."));
      g_option_context_add_main_entries (context, step_up_entries, GETTEXT_PACKAGE);
    }
  else
    {
      context = g_option_context_new (_("token"));
      g_option_context_set_summary (context,
                                    _("Print the access token of the session Keyturn keeps, "
                                      "for a script."));
      g_option_context_add_main_entries (context, token_entries, GETTEXT_PACKAGE);
    }
  g_option_context_set_translation_domain (context, GETTEXT_PACKAGE);

  /* argv[1], the command, is not an argument of its own. */
  argv[1] = argv[0];
  argc--;
  argv++;
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("keyturn: %s\n", error->message);
      return EXIT_FAILED;
    }

  if (!step_up)
    {
      if (argc != 1)
        {
          g_printerr ("keyturn: %s\n", _("keyturn token takes no arguments."));
          return EXIT_FAILED;
        }
      return call_service (NULL, NULL, interactive);
    }

  if (argc != 2 || reason == NULL || *reason == '\0')
    {
      g_printerr ("keyturn: %s\n", _("Usage: keyturn step-up SCOPE --reason TEXT"));
      return EXIT_FAILED;
    }
  return call_service (argv[1], reason, FALSE);
}
