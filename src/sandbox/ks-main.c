/* ks-main.c: keyturn-sandbox's command line: serve, and the help-desk admin commands
 *
 * Copyright 2026 Keyturn developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <glib-unix.h>
#include <glib/gstdio.h>
#include <locale.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>

#include "ks-log.h"
#include "ks-server.h"
#include "ks-store.h"

static const char summary[] =
  "A local server for the part of Dynamic's SDK API that Keyturn speaks: sign-in by email code,\n"
  "passkeys as a second factor, recovery codes. Email codes land in DIR/outbox/.\n"
  "\n"
  "Commands:\n"
  "  keyturn-sandbox --listen HOST:PORT --data-dir DIR [--config FILE]\n"
  "                  [--demo-api-version 2026_04_01|2026_01_01]\n"
  "                                      serve (PORT 0 picks a free port)\n"
  "  keyturn-sandbox users --data-dir DIR\n"
  "                                      list the users in DIR\n"
  "  keyturn-sandbox reset-mfa --data-dir DIR [--environment ID] EMAIL\n"
  "                                      remove a user's passkeys and recovery codes and sign\n"
  "                                      them out, for a user who lost their key";

static gboolean
quit_cb (gpointer user_data)
{
  g_main_loop_quit (user_data);
  return G_SOURCE_REMOVE;
}

static void
print_banner (KsServer *server)
{
  KsEnvironment *env = ks_config_get_default (ks_server_get_config (server));
  g_autofree char *description = ks_server_describe (server);
  g_autoptr(GString) one_line = g_string_new (NULL);

  /* The log escapes line breaks: the pretty JSON goes into it on one line instead. */
  for (const char *p = description; *p != '\0'; p++)
    {
      if (*p != '\n')
        g_string_append_c (one_line, *p);
      else
        while (p[1] == ' ')
          p++;
    }
  ks_log ("listening: %s", one_line->str);
  g_print ("\n"
           "  keyturn-sandbox %s is running.\n"
           "\n"
           "  API base URL     %s\n"
           "  Environment ID   %s (%s)\n"
           "  Origin           %s\n"
           "  RP ID            %s\n"
           "  Outbox           %s/\n"
           "\n"
           "  To sign in, point Keyturn at the base URL and environment ID above and enter any\n"
           "  email address; the 6-digit code appears in the outbox and in this log.\n"
           "  Press Ctrl+C to stop.\n"
           "\n",
           KT_VERSION, ks_server_get_base_url (server), env->id, env->display_name, env->origin,
           env->rp_id, ks_server_get_outbox_dir (server));
}

static int
serve (int    argc,
       char **argv)
{
  g_autofree char *listen = NULL;
  g_autofree char *data_dir = NULL;
  g_autofree char *config = NULL;
  g_autofree char *demo_api_version = NULL;
  gboolean version = FALSE;
  GOptionEntry entries[] = {
    { "listen", 0, 0, G_OPTION_ARG_STRING, &listen, "Address to listen on", "HOST:PORT" },
    { "data-dir", 0, 0, G_OPTION_ARG_FILENAME, &data_dir, "Where state, keys and the outbox live",
      "DIR" },
    { "config", 0, 0, G_OPTION_ARG_FILENAME, &config, "Environments to serve (JSON)", "FILE" },
    { "demo-api-version", 0, 0, G_OPTION_ARG_STRING, &demo_api_version,
      "The demo environment's API version: " KS_API_VERSION_STEP_UP " (step-up, the default) or "
      KS_API_VERSION_LEGACY " (legacy MFA token)", "VERSION" },
    { "version", 0, 0, G_OPTION_ARG_NONE, &version, "Print the version and exit", NULL },
    { NULL }
  };
  g_autoptr(GOptionContext) context = g_option_context_new ("- Keyturn's local Dynamic sandbox");
  g_autoptr(GError) error = NULL;
  g_autoptr(KsServer) server = NULL;
  g_autoptr(GMainLoop) loop = NULL;

  g_option_context_set_summary (context, summary);
  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("keyturn-sandbox: %s\n", error->message);
      return 2;
    }
  if (version)
    {
      g_print ("keyturn-sandbox %s\n", KT_VERSION);
      return 0;
    }
  if (listen == NULL || data_dir == NULL || argc > 1)
    {
      g_printerr ("keyturn-sandbox: --listen HOST:PORT and --data-dir DIR are needed "
                  "(see --help)\n");
      return 2;
    }
  if (demo_api_version != NULL && config != NULL)
    {
      g_printerr ("keyturn-sandbox: --demo-api-version is for the demo environment; a --config "
                  "file sets each environment's minApiVersion\n");
      return 2;
    }

  /* A connection is a descriptor: with the usual soft limit of 1024, a burst past it would make
   * accepting fail, and libsoup stops accepting for good when it does. */
  {
    struct rlimit limit;

    if (getrlimit (RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max)
      {
        limit.rlim_cur = limit.rlim_max;
        setrlimit (RLIMIT_NOFILE, &limit);
      }
  }

  /* SIGTERM is handled before sandbox.json exists: whoever reads it may stop the server at once,
   * and must get a clean stop. */
  loop = g_main_loop_new (NULL, FALSE);
  g_unix_signal_add (SIGINT, quit_cb, loop);
  g_unix_signal_add (SIGTERM, quit_cb, loop);

  server = ks_server_new (data_dir, config, &error);
  if (server != NULL && demo_api_version != NULL
      && !ks_environment_set_api_version (ks_config_get_default (ks_server_get_config (server)),
                                          demo_api_version))
    {
      g_printerr ("keyturn-sandbox: --demo-api-version must be " KS_API_VERSION_STEP_UP " or "
                  KS_API_VERSION_LEGACY "\n");
      return 2;
    }
  if (server == NULL || !ks_server_listen (server, listen, &error))
    {
      g_printerr ("keyturn-sandbox: %s\n", error->message);
      return 1;
    }
  print_banner (server);

  ks_log_set_buffered ();
  g_main_loop_run (loop);
  ks_log ("stopping");
  ks_log_flush ();
  /* Whoever reads sandbox.json next should not find a server that is gone. */
  {
    g_autofree char *description = g_build_filename (data_dir, "sandbox.json", NULL);
    g_unlink (description);
  }
  return 0;
}

static KsStore *
open_existing_store (const char  *data_dir,
                     GError     **error)
{
  g_autofree char *path = g_build_filename (data_dir, "sandbox.db", NULL);

  if (!g_file_test (path, G_FILE_TEST_IS_REGULAR))
    {
      g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_NOENT, "no sandbox data in %s", data_dir);
      return NULL;
    }
  return ks_store_open (path, error);
}

static int
admin (const char  *command,
       int          argc,
       char       **argv)
{
  g_autofree char *data_dir = NULL;
  g_autofree char *environment = NULL;
  GOptionEntry entries[] = {
    { "data-dir", 0, 0, G_OPTION_ARG_FILENAME, &data_dir, "The sandbox's data directory", "DIR" },
    { "environment", 0, 0, G_OPTION_ARG_STRING, &environment,
      "Only this environment (reset-mfa)", "ID" },
    { NULL }
  };
  gboolean reset = g_str_equal (command, "reset-mfa");
  g_autoptr(GOptionContext) context = g_option_context_new (reset ? "EMAIL" : "");
  g_autoptr(GError) error = NULL;
  g_autoptr(KsStore) store = NULL;
  g_autoptr(GPtrArray) users = NULL;
  g_autofree char *email = NULL;
  GPtrArray *matches;
  guint n_matches = 0;

  g_option_context_set_summary (context, reset
                                ? "Removes a user's passkeys and recovery codes and signs them "
                                  "out everywhere;\nat the next sign-in they register a new key."
                                : "Lists every user the sandbox knows, with their second "
                                  "factors.");
  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("keyturn-sandbox %s: %s\n", command, error->message);
      return 2;
    }
  if (data_dir == NULL || (reset ? argc != 2 : argc != 1))
    {
      g_printerr ("keyturn-sandbox %s: usage: keyturn-sandbox %s --data-dir DIR%s\n", command,
                  command, reset ? " [--environment ID] EMAIL" : "");
      return 2;
    }

  store = open_existing_store (data_dir, &error);
  users = store != NULL ? ks_store_list_users (store, &error) : NULL;
  if (users == NULL)
    {
      g_printerr ("keyturn-sandbox %s: %s\n", command, error->message);
      return 1;
    }

  if (!reset)
    {
      if (users->len == 0)
        g_print ("No users yet.\n");
      else
        g_print ("%-36s  %-32s  %8s  %14s  %-8s  %s\n", "ENVIRONMENT", "EMAIL", "PASSKEYS",
                 "RECOVERY CODES", "ACK", "CREATED");
      for (guint i = 0; i < users->len; i++)
        {
          KsUser *user = g_ptr_array_index (users, i);
          g_autoptr(GPtrArray) passkeys = ks_store_list_passkeys (store, user->id, NULL);
          g_autoptr(GPtrArray) codes = ks_store_list_recovery_codes (store, user->id, NULL);
          g_autoptr(GDateTime) created = g_date_time_new_from_unix_utc (user->created_at / 1000);
          g_autofree char *when = g_date_time_format (created, "%Y-%m-%d %H:%M");
          guint unspent = 0;

          for (guint j = 0; codes != NULL && j < codes->len; j++)
            unspent += !((KsRecoveryCode *) g_ptr_array_index (codes, j))->used;
          g_print ("%-36s  %-32s  %8u  %14u  %-8s  %s\n", user->environment_id, user->email,
                   passkeys != NULL ? passkeys->len : 0, unspent,
                   user->mfa_acknowledgement != NULL ? user->mfa_acknowledgement : "-", when);
        }
      return 0;
    }

  email = g_utf8_strdown (argv[1], -1);
  matches = g_ptr_array_new ();
  for (guint i = 0; i < users->len; i++)
    {
      KsUser *user = g_ptr_array_index (users, i);

      if (g_str_equal (user->email, email)
          && (environment == NULL || g_ascii_strcasecmp (environment, user->environment_id) == 0))
        g_ptr_array_add (matches, user);
    }
  n_matches = matches->len;
  if (n_matches != 1)
    {
      g_printerr (n_matches == 0
                  ? "keyturn-sandbox reset-mfa: no user %s%s%s\n"
                  : "keyturn-sandbox reset-mfa: %s is in several environments; name one with "
                    "--environment%s%s\n",
                  email, environment != NULL ? " in environment " : "",
                  environment != NULL ? environment : "");
      g_ptr_array_unref (matches);
      return 1;
    }

  if (!ks_store_begin (store, &error)
      || !ks_store_reset_mfa (store, ((KsUser *) matches->pdata[0])->id, &error)
      || !ks_store_commit (store, &error))
    {
      ks_store_rollback (store);
      g_printerr ("keyturn-sandbox reset-mfa: %s\n", error->message);
      g_ptr_array_unref (matches);
      return 1;
    }
  g_print ("%s: passkeys and recovery codes removed, sessions signed out. At the next sign-in "
           "they register a new passkey.\n", email);
  g_ptr_array_unref (matches);
  return 0;
}

int
main (int    argc,
      char **argv)
{
  setlocale (LC_ALL, "");
  g_set_prgname ("keyturn-sandbox");

  if (argc > 1 && (g_str_equal (argv[1], "users") || g_str_equal (argv[1], "reset-mfa")))
    return admin (argv[1], argc - 1, argv + 1);
  return serve (argc, argv);
}
