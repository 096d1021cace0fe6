/* kt-application.c: Keyturn's application object: configuration, actions, windows
 *
 * Copyright 2026 Keyturn developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <glib/gi18n.h>
#include <glib-unix.h>

#include "kt-application.h"
#include "kt-grant-store.h"
#include "kt-mfa-controller.h"
#include "kt-preferences-window.h"
#include "kt-service-prompter.h"
#include "kt-sign-in-service.h"
#include "kt-window.h"

struct _KtApplication
{
  AdwApplication  parent_instance;

  /* Owned */
  GSettings      *settings;             /* NULL when the schema is not installed */
  char           *base_url;             /* the command line's, which win over the settings */
  char           *environment_id;
  char           *origin;
  char           *virtual_key_socket;
  guint           quit_signals[2];
  gboolean        settings_changed;
  int             idle_timeout;         /* seconds; the command line's, or the default */

  /* The desktop's sign-in on the session bus, while Keyturn is registered there. */
  KtGrantStore      *grants;
  KtServicePrompter *prompter;
  KtSignInService   *service;

  /* The configuration as it applies now, made before the window so that its restore runs
   * while GTK starts. The controller is NULL when there is no configuration, and is kept past
   * its window until the keyring is written. */
  KtMfaController *controller;
  char           *active_base_url;
  char           *active_environment_id;
  char           *software_key_socket;
  char           *configuration_error;
};

/* The longest Keyturn stays on after it was asked to quit, to finish keeping the session. */
#define KT_QUIT_SAVE_TIMEOUT_SECONDS 5
/* How long Keyturn started by D-Bus activation stays on with nothing to do. */
#define KT_IDLE_TIMEOUT_SECONDS 60

G_DEFINE_FINAL_TYPE (KtApplication, kt_application, ADW_TYPE_APPLICATION)

static const GOptionEntry option_entries[] = {
  { "base-url", 0, 0, G_OPTION_ARG_STRING, NULL,
    N_("The environment's API base URL"), N_("URL") },
  { "environment-id", 0, 0, G_OPTION_ARG_STRING, NULL,
    N_("The environment's ID"), N_("ID") },
  { "origin", 0, 0, G_OPTION_ARG_STRING, NULL,
    N_("The origin passkeys are bound to"), N_("ORIGIN") },
  { "virtual-key-socket", 0, 0, G_OPTION_ARG_FILENAME, NULL,
    N_("Also use the software security key listening on this socket"), N_("PATH") },
  { "idle-timeout", 0, 0, G_OPTION_ARG_INT, NULL,
    N_("Started as a service, quit after this many seconds with nothing to do"), N_("SECONDS") },
  { "version", 0, 0, G_OPTION_ARG_NONE, NULL, N_("Show the version and quit"), NULL },
  { NULL }
};

/* A setting as it applies now: from the command line when given there. */
static char *
dup_configuration (KtApplication *self,
                   const char    *from_command_line,
                   const char    *key)
{
  if (from_command_line != NULL)
    return g_strdup (from_command_line);
  if (self->settings != NULL)
    return g_settings_get_string (self->settings, key);
  return g_strdup ("");
}

static void
on_restored (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr(GError) error = NULL;

  /* A failure lands on the sign-in step with the controller's error shown there. */
  kt_mfa_controller_operation_finish (KT_MFA_CONTROLLER (source), result, &error);
}

/* The controller for the configuration as it is now; NULL and no error when there is none. */
static KtMfaController *
create_controller (KtApplication  *self,
                   char          **software_key_socket,
                   GError        **error)
{
  g_autofree char *base_url = dup_configuration (self, self->base_url, "api-base-url");
  g_autofree char *environment_id =
    dup_configuration (self, self->environment_id, "environment-id");
  g_autofree char *origin_text = dup_configuration (self, self->origin, "origin");
  g_autofree char *socket = dup_configuration (self, self->virtual_key_socket,
                                               "virtual-key-socket");
  g_autoptr(KtApiClient) api = NULL;
  g_autoptr(KtDeviceSigner) signer = NULL;
  g_autoptr(KtSessionStore) store = NULL;
  g_autoptr(KtWebauthnClient) authenticator = NULL;
  g_autoptr(KtOrigin) origin = NULL;
  const char *sockets[] = { socket, NULL };

  if (*base_url == '\0' && *environment_id == '\0' && *origin_text == '\0')
    return NULL;
  if (*base_url == '\0' || *environment_id == '\0' || *origin_text == '\0')
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                           _("Keyturn needs all three of the API base URL, the environment ID "
                             "and the origin."));
      return NULL;
    }

  if (!kt_api_base_url_is_acceptable (base_url, error))
    return NULL;
  api = kt_api_client_new (base_url, environment_id, error);
  if (api == NULL)
    return NULL;
  signer = kt_device_signer_new ();
  kt_api_client_set_device_signer (api, signer);
  origin = kt_origin_new (origin_text, error);
  if (origin == NULL)
    return NULL;

  if (*socket != '\0')
    *software_key_socket = g_strdup (socket);
  self->active_base_url = g_strdup (base_url);
  self->active_environment_id = g_strdup (environment_id);
  store = kt_session_store_new (base_url, environment_id);
  authenticator = kt_webauthn_client_new (origin, *socket != '\0' ? sockets : NULL);
  return kt_mfa_controller_new (api, store, authenticator);
}

/* Makes the controller for the configuration as it is now and starts looking for a kept
 * sign-in; the window shows it with show_configuration(). */
static void
configure (KtApplication *self)
{
  g_autoptr(GError) error = NULL;

  g_clear_object (&self->controller);
  g_clear_pointer (&self->software_key_socket, g_free);
  g_clear_pointer (&self->configuration_error, g_free);
  g_clear_pointer (&self->active_base_url, g_free);
  g_clear_pointer (&self->active_environment_id, g_free);

  self->controller = create_controller (self, &self->software_key_socket, &error);
  if (error != NULL)
    self->configuration_error = g_strdup (error->message);
  if (self->controller != NULL)
    kt_mfa_controller_restore_async (self->controller, NULL, on_restored, NULL);
  if (self->prompter != NULL)
    {
      kt_service_prompter_set_controller (self->prompter, self->controller);
      kt_service_prompter_set_software_key_socket (self->prompter, self->software_key_socket);
    }
  if (self->service != NULL)
    kt_sign_in_service_set_controller (self->service, self->controller, self->active_base_url,
                                       self->active_environment_id);
}

static void
show_configuration (KtApplication *self,
                    KtWindow      *window)
{
  kt_window_set_controller (window, self->controller);
  kt_window_set_software_key_socket (window, self->software_key_socket);
  kt_window_set_configuration_error (window, self->configuration_error);
}

static void
on_preferences_destroyed (KtApplication *self)
{
  GtkWindow *window = gtk_application_get_active_window (GTK_APPLICATION (self));

  if (!self->settings_changed || !KT_IS_WINDOW (window))
    return;
  self->settings_changed = FALSE;
  configure (self);
  show_configuration (self, KT_WINDOW (window));
}

static void
on_settings_changed (KtApplication *self)
{
  self->settings_changed = TRUE;
}

/* Run from the build tree without its schema, only the command line configures Keyturn. Read
 * before startup too: registering on the bus comes first, and the service keeps its grants
 * there where no permission store runs. */
static void
ensure_settings (KtApplication *self)
{
  GSettingsSchemaSource *source = g_settings_schema_source_get_default ();
  g_autoptr(GSettingsSchema) schema = NULL;

  if (self->settings != NULL)
    return;
  if (source != NULL)
    schema = g_settings_schema_source_lookup (source, KT_APP_ID, TRUE);
  if (schema != NULL)
    {
      self->settings = g_settings_new (KT_APP_ID);
      g_signal_connect_object (self->settings, "changed", G_CALLBACK (on_settings_changed),
                               self, G_CONNECT_SWAPPED);
    }
}

/* Actions */

static void
quit_action (GSimpleAction *action,
             GVariant      *parameter,
             gpointer       user_data)
{
  g_application_quit (G_APPLICATION (user_data));
}

static void
about_action (GSimpleAction *action,
              GVariant      *parameter,
              gpointer       user_data)
{
  GtkApplication *app = GTK_APPLICATION (user_data);

  adw_show_about_window (gtk_application_get_active_window (app),
                         "application-name", _("Keyturn"),
                         "application-icon", KT_APP_ID,
                         "developer-name", _("Keyturn developers"),
                         "version", KT_VERSION,
                         "comments", _("Sign in with an email code and a security key"),
                         "license-type", GTK_LICENSE_GPL_3_0,
                         "copyright", _("© 2026 Keyturn developers"),
                         /* Translators: put your names here, one per line. */
                         "translator-credits", _("translator-credits"),
                         NULL);
}

static void
preferences_action (GSimpleAction *action,
                    GVariant      *parameter,
                    gpointer       user_data)
{
  KtApplication *self = KT_APPLICATION (user_data);
  GtkWindow *parent = gtk_application_get_active_window (GTK_APPLICATION (self));
  KtPreferencesWindow *preferences;

  if (self->settings == NULL)
    return;
  preferences = kt_preferences_window_new (self->settings, self->grants);
  gtk_window_set_transient_for (GTK_WINDOW (preferences), parent);
  g_signal_connect_object (preferences, "destroy", G_CALLBACK (on_preferences_destroyed), self,
                           G_CONNECT_SWAPPED);
  gtk_window_present (GTK_WINDOW (preferences));
}

static const GActionEntry app_entries[] = {
  { "quit", quit_action },
  { "about", about_action },
  { "preferences", preferences_action },
};

/* GApplication */

static int
kt_application_handle_local_options (GApplication *app,
                                     GVariantDict *options)
{
  KtApplication *self = KT_APPLICATION (app);

  if (g_variant_dict_contains (options, "version"))
    {
      g_print ("keyturn %s\n", KT_VERSION);
      return 0;
    }

  g_variant_dict_lookup (options, "base-url", "s", &self->base_url);
  g_variant_dict_lookup (options, "environment-id", "s", &self->environment_id);
  g_variant_dict_lookup (options, "origin", "s", &self->origin);
  g_variant_dict_lookup (options, "virtual-key-socket", "^ay", &self->virtual_key_socket);
  g_variant_dict_lookup (options, "idle-timeout", "i", &self->idle_timeout);
  if (self->idle_timeout <= 0)
    self->idle_timeout = KT_IDLE_TIMEOUT_SECONDS;
  g_application_set_inactivity_timeout (app, (guint) self->idle_timeout * 1000);

  return -1;
}

/* SIGTERM (the session ending, `kill`) and SIGINT quit the way Ctrl+Q does, so a session that
 * was just made still reaches the keyring. */
static gboolean
on_quit_signal (gpointer user_data)
{
  g_application_quit (G_APPLICATION (user_data));
  return G_SOURCE_CONTINUE;
}

static void
kt_application_startup (GApplication *app)
{
  KtApplication *self = KT_APPLICATION (app);
  static const char *quit_accels[] = { "<Primary>q", NULL };
  static const char *preferences_accels[] = { "<Primary>comma", NULL };

  ensure_settings (self);

  /* Before GTK starts: the keyring lookup runs in a thread meanwhile, so the first frame
   * already shows where the user stands rather than a "looking for your sign-in" page. */
  configure (self);

  G_APPLICATION_CLASS (kt_application_parent_class)->startup (app);

  self->quit_signals[0] = g_unix_signal_add (SIGTERM, on_quit_signal, self);
  self->quit_signals[1] = g_unix_signal_add (SIGINT, on_quit_signal, self);

  g_action_map_add_action_entries (G_ACTION_MAP (self), app_entries, G_N_ELEMENTS (app_entries),
                                   self);
  gtk_application_set_accels_for_action (GTK_APPLICATION (self), "app.quit", quit_accels);
  gtk_application_set_accels_for_action (GTK_APPLICATION (self), "app.preferences",
                                         preferences_accels);
  if (self->settings == NULL)
    {
      GAction *action = g_action_map_lookup_action (G_ACTION_MAP (self), "preferences");

      g_simple_action_set_enabled (G_SIMPLE_ACTION (action), FALSE);
    }
}

static void
kt_application_activate (GApplication *app)
{
  KtApplication *self = KT_APPLICATION (app);
  GtkWindow *window = NULL;

  /* The main window, not whichever was active last: that can be a prompt another app asked
   * for, which the main window does not stand in for. */
  for (GList *l = gtk_application_get_windows (GTK_APPLICATION (self)); l != NULL; l = l->next)
    if (KT_IS_WINDOW (l->data))
      {
        window = l->data;
        break;
      }
  if (window == NULL)
    {
      window = GTK_WINDOW (kt_window_new (GTK_APPLICATION (self)));
      show_configuration (self, KT_WINDOW (window));
    }
  gtk_window_present (window);
}

/* The desktop's sign-in goes on the bus beside GApplication's own interfaces, before the name is
 * taken: a call that started Keyturn by D-Bus activation finds it there. */
static gboolean
kt_application_dbus_register (GApplication     *app,
                              GDBusConnection  *connection,
                              const char       *object_path,
                              GError          **error)
{
  KtApplication *self = KT_APPLICATION (app);

  if (!G_APPLICATION_CLASS (kt_application_parent_class)->dbus_register (app, connection,
                                                                         object_path, error))
    return FALSE;

  ensure_settings (self);
  self->grants = kt_grant_store_new (connection, self->settings);
  self->prompter = kt_service_prompter_new (GTK_APPLICATION (self));
  kt_service_prompter_set_controller (self->prompter, self->controller);
  kt_service_prompter_set_software_key_socket (self->prompter, self->software_key_socket);
  self->service = kt_sign_in_service_new (app, KT_PROMPTER (self->prompter), self->grants);
  kt_sign_in_service_set_controller (self->service, self->controller, self->active_base_url,
                                     self->active_environment_id);
  return kt_sign_in_service_export (self->service, connection, object_path, error);
}

static void
kt_application_dbus_unregister (GApplication    *app,
                                GDBusConnection *connection,
                                const char      *object_path)
{
  KtApplication *self = KT_APPLICATION (app);

  if (self->service != NULL)
    kt_sign_in_service_unexport (self->service);
  g_clear_object (&self->service);
  g_clear_object (&self->prompter);
  g_clear_object (&self->grants);

  G_APPLICATION_CLASS (kt_application_parent_class)->dbus_unregister (app, connection,
                                                                      object_path);
}

static gboolean
on_save_timeout (gpointer user_data)
{
  *(gboolean *) user_data = TRUE;
  return G_SOURCE_REMOVE;
}

static void
kt_application_shutdown (GApplication *app)
{
  KtApplication *self = KT_APPLICATION (app);
  gboolean timed_out = FALSE;
  guint timeout = g_timeout_add_seconds (KT_QUIT_SAVE_TIMEOUT_SECONDS, on_save_timeout,
                                         &timed_out);

  /* Quitting right after signing in must not lose the sign-in: the keyring write that is on its
   * way finishes first, for a few seconds at most. */
  while (self->controller != NULL && kt_mfa_controller_get_saving (self->controller)
         && !timed_out)
    g_main_context_iteration (NULL, TRUE);
  if (!timed_out)
    g_source_remove (timeout);

  for (guint i = 0; i < G_N_ELEMENTS (self->quit_signals); i++)
    g_clear_handle_id (&self->quit_signals[i], g_source_remove);
  /* The service and its prompts let go of the controller with the app. */
  if (self->service != NULL)
    kt_sign_in_service_set_controller (self->service, NULL, NULL, NULL);
  if (self->prompter != NULL)
    kt_service_prompter_set_controller (self->prompter, NULL);
  g_clear_object (&self->controller);

  G_APPLICATION_CLASS (kt_application_parent_class)->shutdown (app);
}

static void
kt_application_finalize (GObject *object)
{
  KtApplication *self = KT_APPLICATION (object);

  g_clear_object (&self->service);
  g_clear_object (&self->prompter);
  g_clear_object (&self->grants);
  g_clear_object (&self->controller);
  g_clear_pointer (&self->active_base_url, g_free);
  g_clear_pointer (&self->active_environment_id, g_free);
  g_clear_pointer (&self->software_key_socket, g_free);
  g_clear_pointer (&self->configuration_error, g_free);
  g_clear_object (&self->settings);
  g_clear_pointer (&self->base_url, g_free);
  g_clear_pointer (&self->environment_id, g_free);
  g_clear_pointer (&self->origin, g_free);
  g_clear_pointer (&self->virtual_key_socket, g_free);

  G_OBJECT_CLASS (kt_application_parent_class)->finalize (object);
}

static void
kt_application_class_init (KtApplicationClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GApplicationClass *app_class = G_APPLICATION_CLASS (klass);

  object_class->finalize = kt_application_finalize;

  app_class->handle_local_options = kt_application_handle_local_options;
  app_class->startup = kt_application_startup;
  app_class->activate = kt_application_activate;
  app_class->shutdown = kt_application_shutdown;
  app_class->dbus_register = kt_application_dbus_register;
  app_class->dbus_unregister = kt_application_dbus_unregister;
}

static void
kt_application_init (KtApplication *self)
{
  g_application_add_main_option_entries (G_APPLICATION (self), option_entries);
  g_application_set_option_context_summary (G_APPLICATION (self),
                                            _("Sign in to a Dynamic environment with an email "
                                              "code and a security key."));
  g_application_set_option_context_description (G_APPLICATION (self),
                                                _("For scripts, through the running Keyturn and "
                                                  "with your consent:\n"
                                                  "  keyturn token [--interactive]\n"
                                                  "      print the session's access token\n"
                                                  "  keyturn step-up SCOPE --reason TEXT\n"
                                                  "      print an elevated access token for "
                                                  "SCOPE, once you confirm with your key"));
}

KtApplication *
kt_application_new (void)
{
  return g_object_new (KT_TYPE_APPLICATION,
                       "application-id", KT_APP_ID,
                       "flags", G_APPLICATION_DEFAULT_FLAGS,
                       "resource-base-path", "/io/github/keyturn/Keyturn",
                       NULL);
}
