/* kt-service-prompter.c: the windows in which the person answers other apps' sign-in requests
 *
 * Consent is a message dialog; a sign-in is the main window itself, with a line saying who asked;
 * a step-up is a KtStepUpWindow. Each belongs to the application, so that Keyturn started by
 * D-Bus activation, with no window of its own, still shows it.
 *
 * Copyright 2026 Keyturn developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <glib/gi18n.h>

#include "kt-flow-page.h"
#include "kt-service-prompter.h"
#include "kt-step-up-window.h"
#include "kt-secret.h"
#include "kt-window.h"

struct _KtServicePrompter
{
  GObject          parent_instance;

  GtkApplication  *app;           /* weak: the application owns whatever uses the prompter */
  KtMfaController *controller;
  char            *software_key_socket;
  guint            pin_holds;     /* step-ups on screen, each answering PIN requests itself */
  gulong           window_added;
};

static void kt_service_prompter_iface_init (KtPrompterInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (KtServicePrompter, kt_service_prompter, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (KT_TYPE_PROMPTER,
                                                      kt_service_prompter_iface_init))

/* Keyturn's main window, when one is open. */
static KtWindow *
find_main_window (KtServicePrompter *self)
{
  if (self->app == NULL)
    return NULL;
  for (GList *l = gtk_application_get_windows (self->app); l != NULL; l = l->next)
    if (KT_IS_WINDOW (l->data))
      return l->data;
  return NULL;
}

/* Over the main window when there is one; in any case the application's, which it keeps
 * running while it is on screen. */
static void
place_prompt (KtServicePrompter *self,
              GtkWindow         *prompt)
{
  gtk_window_set_transient_for (prompt, GTK_WINDOW (find_main_window (self)));
  if (self->app != NULL)
    gtk_window_set_application (prompt, self->app);
}

/* Whichever way a prompt ends (an answer, its window closed, its cancellable), it ends once:
 * what watches it is let go, and the task returns. */
typedef struct {
  GtkWindow    *window;
  GSource      *cancelled;
  GSignalGroup *controller_signals;   /* a sign-in's */
  GBinding     *controller_binding;
} Prompt;

static void
prompt_release (GTask *task)
{
  Prompt *prompt = g_task_get_task_data (task);

  if (prompt->cancelled != NULL)
    {
      g_source_destroy (prompt->cancelled);
      g_clear_pointer (&prompt->cancelled, g_source_unref);
    }
  g_clear_pointer (&prompt->controller_binding, g_binding_unbind);
  g_clear_object (&prompt->controller_signals);
  if (prompt->window != NULL)
    {
      g_signal_handlers_disconnect_by_data (prompt->window, task);
      g_object_remove_weak_pointer (G_OBJECT (prompt->window), (gpointer *) &prompt->window);
      prompt->window = NULL;
    }
}

/* @window is the prompt's, until prompt_release(): @on_destroyed, called with the task, ends the
 * prompt if the window goes first. */
static void
prompt_watch_window (GTask     *task,
                     GtkWindow *window,
                     GCallback  on_destroyed)
{
  Prompt *prompt = g_task_get_task_data (task);

  prompt->window = window;
  g_object_add_weak_pointer (G_OBJECT (window), (gpointer *) &prompt->window);
  g_signal_connect_swapped (window, "destroy", on_destroyed, task);
}

static void
prompt_watch_cancellable (GTask                   *task,
                          GCancellableSourceFunc   on_cancelled)
{
  Prompt *prompt = g_task_get_task_data (task);
  GCancellable *cancellable = g_task_get_cancellable (task);

  if (cancellable == NULL)
    return;
  prompt->cancelled = g_cancellable_source_new (cancellable);
  g_source_set_callback (prompt->cancelled, (GSourceFunc) on_cancelled, task, NULL);
  g_source_attach (prompt->cancelled, NULL);
}

static GTask *
prompt_task_new (KtServicePrompter   *self,
                 GCancellable        *cancellable,
                 GAsyncReadyCallback  callback,
                 gpointer             user_data,
                 gpointer             source_tag)
{
  GTask *task = g_task_new (self, cancellable, callback, user_data);

  g_task_set_source_tag (task, source_tag);
  /* Emptied by prompt_release() before the task returns. */
  g_task_set_task_data (task, g_new0 (Prompt, 1), g_free);
  /* A prompt is closed before it answers: its own cancellation handling answers. */
  g_task_set_check_cancellable (task, FALSE);
  return task;
}

static void
return_cancelled (GTask *task)
{
  g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_CANCELLED, "%s",
                           _("The request was withdrawn."));
}

/* Consent */

static void
on_consent_response (AdwMessageDialog *dialog,
                     const char       *response,
                     GTask            *task)
{
  KtConsent consent = KT_CONSENT_DENY;

  if (g_strcmp0 (response, "once") == 0)
    consent = KT_CONSENT_ALLOW_ONCE;
  else if (g_strcmp0 (response, "always") == 0)
    consent = KT_CONSENT_ALWAYS_ALLOW;

  prompt_release (task);
  g_task_return_int (task, consent);
  g_object_unref (task);
}

/* Gone with no answer (the application quit): nothing was allowed. */
static void
on_consent_destroyed (GTask *task)
{
  prompt_release (task);
  return_cancelled (task);
  g_object_unref (task);
}

static gboolean
on_consent_cancelled (GCancellable *cancellable,
                      gpointer      user_data)
{
  GTask *task = user_data;
  Prompt *prompt = g_task_get_task_data (task);
  GtkWindow *dialog = prompt->window;

  g_clear_pointer (&prompt->cancelled, g_source_unref);
  prompt_release (task);
  if (dialog != NULL)
    gtk_window_destroy (dialog);
  return_cancelled (task);
  g_object_unref (task);
  return G_SOURCE_REMOVE;
}

/* What allowing means, in words: who gets what, for how long. */
static char *
describe_consent (KtServicePrompter *self,
                  KtCaller          *caller)
{
  const char *email = NULL;
  const char *detail = kt_caller_get_detail (caller);
  g_autofree char *who = NULL;
  g_autofree char *what = NULL;

  if (self->controller != NULL
      && kt_mfa_controller_get_step (self->controller) == KT_MFA_STEP_SIGNED_IN)
    email = kt_mfa_controller_get_email (self->controller);

  if (kt_caller_get_kind (caller) == KT_CALLER_KIND_COMMAND_LINE)
    {
      /* TRANSLATORS: %s names the program that ran the command, as in "/usr/bin/bash". */
      who = g_strdup_printf (_("This is the keyturn command, run from a terminal or a script by "
                               "%s."), detail != NULL ? detail : "?");
      if (email != NULL)
        /* TRANSLATORS: %s is an email address. */
        what = g_strdup_printf (_("If you allow it, the command gets the sign-in of %s, and "
                                  "whatever runs it can act as that user in the environment "
                                  "until you sign out."), email);
      else
        what = g_strdup (_("If you allow it, the command gets your sign-in, and whatever runs "
                           "it can act as you in the environment until you sign out."));
    }
  else
    {
      who = g_strdup (detail != NULL ? detail : "");
      if (email != NULL)
        /* TRANSLATORS: %s is an email address. */
        what = g_strdup_printf (_("If you allow it, this app gets the sign-in of %s and can act "
                                  "as that user in the environment until you sign out."), email);
      else
        what = g_strdup (_("If you allow it, this app gets your sign-in and can act as you in "
                           "the environment until you sign out."));
    }
  return *who != '\0' ? g_strconcat (who, "\n\n", what, NULL) : g_steal_pointer (&what);
}

static void
kt_service_prompter_ask_consent (KtPrompter          *prompter,
                                 KtCaller            *caller,
                                 GCancellable        *cancellable,
                                 GAsyncReadyCallback  callback,
                                 gpointer             user_data)
{
  KtServicePrompter *self = KT_SERVICE_PROMPTER (prompter);
  GTask *task = prompt_task_new (self, cancellable, callback, user_data,
                                 kt_service_prompter_ask_consent);
  g_autofree char *heading = NULL;
  g_autofree char *body = describe_consent (self, caller);
  AdwMessageDialog *dialog;

  if (kt_caller_get_kind (caller) == KT_CALLER_KIND_COMMAND_LINE)
    heading = g_strdup (_("Allow the keyturn Command to Use Your Sign-In?"));
  else
    /* TRANSLATORS: %s is the name of an app, as in "Files". */
    heading = g_strdup_printf (_("Allow %s to Use Your Sign-In?"), kt_caller_get_name (caller));

  dialog = ADW_MESSAGE_DIALOG (adw_message_dialog_new (NULL, heading, body));
  adw_message_dialog_add_responses (dialog,
                                    "deny", _("_Deny"),
                                    "once", _("Allow _Once"),
                                    "always", _("_Always Allow"),
                                    NULL);
  /* Saying no is what Enter, Escape and closing do: nothing is given away by a slip. */
  adw_message_dialog_set_default_response (dialog, "deny");
  adw_message_dialog_set_close_response (dialog, "deny");
  kt_flow_page_name_buttons (GTK_WIDGET (dialog));
  place_prompt (self, GTK_WINDOW (dialog));

  /* The dialog holds the task until it answers. */
  g_signal_connect (dialog, "response", G_CALLBACK (on_consent_response), task);
  prompt_watch_window (task, GTK_WINDOW (dialog), G_CALLBACK (on_consent_destroyed));
  prompt_watch_cancellable (task, on_consent_cancelled);
  gtk_window_present (GTK_WINDOW (dialog));
}

static KtConsent
kt_service_prompter_ask_consent_finish (KtPrompter    *prompter,
                                        GAsyncResult  *result,
                                        GError       **error)
{
  g_autoptr(GError) local_error = NULL;
  KtConsent consent;

  g_return_val_if_fail (g_task_is_valid (result, prompter), KT_CONSENT_DENY);

  consent = g_task_propagate_int (G_TASK (result), &local_error);
  if (local_error != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return KT_CONSENT_DENY;
    }
  return consent;
}

/* Sign-in */

static void
sign_in_end (GTask  *task,
             GError *error)
{
  Prompt *prompt = g_task_get_task_data (task);

  if (prompt->window != NULL)
    kt_window_set_notice (KT_WINDOW (prompt->window), NULL);
  prompt_release (task);
  if (error != NULL)
    g_task_return_error (task, error);
  else
    g_task_return_boolean (task, TRUE);
  g_object_unref (task);
}

static void
on_sign_in_step (GTask *task)
{
  Prompt *prompt = g_task_get_task_data (task);
  KtMfaController *controller = g_signal_group_dup_target (prompt->controller_signals);

  if (controller != NULL && kt_mfa_controller_get_step (controller) == KT_MFA_STEP_SIGNED_IN)
    sign_in_end (task, NULL);
  g_clear_object (&controller);
}

static void
on_sign_in_window_destroyed (GTask *task)
{
  /* Let go of the window first: it has no notice left to clear. */
  prompt_release (task);
  sign_in_end (task, g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CANCELLED,
                                          _("The sign-in was closed.")));
}

static gboolean
on_sign_in_cancelled (GCancellable *cancellable,
                      gpointer      user_data)
{
  GTask *task = user_data;
  Prompt *prompt = g_task_get_task_data (task);

  g_clear_pointer (&prompt->cancelled, g_source_unref);
  sign_in_end (task, g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CANCELLED,
                                          _("The request was withdrawn.")));
  return G_SOURCE_REMOVE;
}

static void
kt_service_prompter_sign_in (KtPrompter          *prompter,
                             KtCaller            *caller,
                             GCancellable        *cancellable,
                             GAsyncReadyCallback  callback,
                             gpointer             user_data)
{
  KtServicePrompter *self = KT_SERVICE_PROMPTER (prompter);
  GTask *task = prompt_task_new (self, cancellable, callback, user_data,
                                 kt_service_prompter_sign_in);
  Prompt *prompt = g_task_get_task_data (task);
  g_autofree char *notice = NULL;
  KtWindow *window;
  KtMfaController *controller;

  /* The main window, made as the application makes it when it is started. */
  if (self->app != NULL)
    g_application_activate (G_APPLICATION (self->app));
  window = find_main_window (self);
  if (window == NULL)
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_FAILED, "%s",
                               _("Keyturn could not open its window."));
      g_object_unref (task);
      return;
    }
  gtk_window_present (GTK_WINDOW (window));
  controller = kt_window_get_controller (window);
  if (controller != NULL && kt_mfa_controller_get_step (controller) == KT_MFA_STEP_SIGNED_IN)
    {
      g_task_return_boolean (task, TRUE);
      g_object_unref (task);
      return;
    }

  prompt_watch_window (task, GTK_WINDOW (window), G_CALLBACK (on_sign_in_window_destroyed));

  /* Whichever controller the window has, now or after Preferences changed it. */
  prompt->controller_signals = g_signal_group_new (KT_TYPE_MFA_CONTROLLER);
  g_signal_group_connect_swapped (prompt->controller_signals, "notify::step",
                                  G_CALLBACK (on_sign_in_step), task);
  prompt->controller_binding = g_object_bind_property (window, "controller",
                                                       prompt->controller_signals, "target",
                                                       G_BINDING_SYNC_CREATE);
  /* A controller that comes signed in (the configuration changed) answers too. */
  g_signal_connect_swapped (prompt->controller_signals, "bind", G_CALLBACK (on_sign_in_step),
                            task);

  /* TRANSLATORS: %s is the name of the app that asks, as in "Files". */
  notice = g_strdup_printf (_("%s asks you to sign in. Once you have, it can use the sign-in."),
                            kt_caller_get_name (caller));
  kt_window_set_notice (window, notice);
  prompt_watch_cancellable (task, on_sign_in_cancelled);
}

static gboolean
kt_service_prompter_sign_in_finish (KtPrompter    *prompter,
                                    GAsyncResult  *result,
                                    GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, prompter), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

/* Step-up */

static void
on_window_added (KtServicePrompter *self,
                 GtkWindow         *window)
{
  if (KT_IS_WINDOW (window))
    kt_window_set_handles_pin_requests (KT_WINDOW (window), FALSE);
}

/* While a step-up is on screen its window answers the key's PIN requests, not the main window,
 * open now or opened meanwhile: one request, one dialog. */
static void
hold_pin_requests (KtServicePrompter *self)
{
  if (self->pin_holds++ > 0 || self->app == NULL)
    return;
  for (GList *l = gtk_application_get_windows (self->app); l != NULL; l = l->next)
    on_window_added (self, l->data);
  self->window_added = g_signal_connect_swapped (self->app, "window-added",
                                                 G_CALLBACK (on_window_added), self);
}

static void
release_pin_requests (KtServicePrompter *self)
{
  g_return_if_fail (self->pin_holds > 0);

  if (--self->pin_holds > 0 || self->app == NULL)
    return;
  g_clear_signal_handler (&self->window_added, self->app);
  for (GList *l = gtk_application_get_windows (self->app); l != NULL; l = l->next)
    if (KT_IS_WINDOW (l->data))
      kt_window_set_handles_pin_requests (l->data, TRUE);
}

static void
on_step_up_run (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  KtServicePrompter *self = g_task_get_source_object (task);
  GError *error = NULL;
  gint64 expires_at = 0;
  char *token = kt_step_up_window_run_finish (KT_STEP_UP_WINDOW (source), result, &expires_at,
                                              &error);

  release_pin_requests (self);
  if (token == NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  *(gint64 *) g_task_get_task_data (task) = expires_at;
  g_task_return_pointer (task, token, (GDestroyNotify) kt_secret_free);
}

static void
kt_service_prompter_step_up (KtPrompter          *prompter,
                             KtCaller            *caller,
                             const char          *scope,
                             const char          *reason,
                             GCancellable        *cancellable,
                             GAsyncReadyCallback  callback,
                             gpointer             user_data)
{
  KtServicePrompter *self = KT_SERVICE_PROMPTER (prompter);
  g_autoptr(GTask) task = g_task_new (self, cancellable, callback, user_data);
  KtStepUpWindow *window;

  g_task_set_source_tag (task, kt_service_prompter_step_up);
  g_task_set_task_data (task, g_new0 (gint64, 1), g_free);
  /* The window answers for its cancellable, once it is closed. */
  g_task_set_check_cancellable (task, FALSE);

  if (self->controller == NULL)
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_NOT_INITIALIZED, "%s",
                               _("Keyturn is not set up for an environment."));
      return;
    }

  window = kt_step_up_window_new (self->controller, kt_caller_get_name (caller),
                                  kt_caller_get_detail (caller), scope, reason);
  kt_step_up_window_set_software_key_socket (window, self->software_key_socket);
  place_prompt (self, GTK_WINDOW (window));
  hold_pin_requests (self);
  kt_step_up_window_run_async (window, cancellable, on_step_up_run, g_steal_pointer (&task));
}

static char *
kt_service_prompter_step_up_finish (KtPrompter    *prompter,
                                    GAsyncResult  *result,
                                    gint64        *expires_at,
                                    GError       **error)
{
  char *token;

  g_return_val_if_fail (g_task_is_valid (result, prompter), NULL);

  token = g_task_propagate_pointer (G_TASK (result), error);
  if (expires_at != NULL)
    *expires_at = token != NULL ? *(gint64 *) g_task_get_task_data (G_TASK (result)) : 0;
  return token;
}

/* GObject */

static void
kt_service_prompter_dispose (GObject *object)
{
  KtServicePrompter *self = KT_SERVICE_PROMPTER (object);

  if (self->app != NULL)
    {
      g_clear_signal_handler (&self->window_added, self->app);
      g_object_remove_weak_pointer (G_OBJECT (self->app), (gpointer *) &self->app);
      self->app = NULL;
    }
  g_clear_object (&self->controller);
  g_clear_pointer (&self->software_key_socket, g_free);

  G_OBJECT_CLASS (kt_service_prompter_parent_class)->dispose (object);
}

static void
kt_service_prompter_class_init (KtServicePrompterClass *klass)
{
  G_OBJECT_CLASS (klass)->dispose = kt_service_prompter_dispose;
}

static void
kt_service_prompter_iface_init (KtPrompterInterface *iface)
{
  iface->ask_consent = kt_service_prompter_ask_consent;
  iface->ask_consent_finish = kt_service_prompter_ask_consent_finish;
  iface->sign_in = kt_service_prompter_sign_in;
  iface->sign_in_finish = kt_service_prompter_sign_in_finish;
  iface->step_up = kt_service_prompter_step_up;
  iface->step_up_finish = kt_service_prompter_step_up_finish;
}

static void
kt_service_prompter_init (KtServicePrompter *self)
{
}

KtServicePrompter *
kt_service_prompter_new (GtkApplication *app)
{
  KtServicePrompter *self;

  g_return_val_if_fail (GTK_IS_APPLICATION (app), NULL);

  self = g_object_new (KT_TYPE_SERVICE_PROMPTER, NULL);
  self->app = app;
  g_object_add_weak_pointer (G_OBJECT (app), (gpointer *) &self->app);
  return self;
}

void
kt_service_prompter_set_controller (KtServicePrompter *self,
                                    KtMfaController   *controller)
{
  g_return_if_fail (KT_IS_SERVICE_PROMPTER (self));
  g_return_if_fail (controller == NULL || KT_IS_MFA_CONTROLLER (controller));

  g_set_object (&self->controller, controller);
}

void
kt_service_prompter_set_software_key_socket (KtServicePrompter *self,
                                             const char        *socket_path)
{
  g_return_if_fail (KT_IS_SERVICE_PROMPTER (self));

  g_free (self->software_key_socket);
  self->software_key_socket = g_strdup (socket_path);
}
