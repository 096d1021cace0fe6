/* kt-step-up-window.c: another app asks the person to confirm an action with their security key
 *
 * The window asks the key as soon as it opens, so that touching the key is the whole answer; it
 * says first who asks, why in the caller's own words, and what the token will allow, so that the
 * touch is an informed one. A recovery code is the way out for a person without their key.
 *
 * Copyright 2026 Keyturn developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <glib/gi18n.h>

#include "kt-flow-page.h"
#include "kt-key-status.h"
#include "kt-pin-dialog.h"
#include "kt-step-up-window.h"
#include "kt-software-key-bar.h"
#include "kt-token-scope.h"
#include "kt-secret.h"

struct _KtStepUpWindow
{
  AdwWindow         parent_instance;

  /* Template widgets */
  GtkLabel         *caller_name_label;
  GtkLabel         *caller_detail_label;
  GtkLabel         *reason_intro_label;
  GtkLabel         *reason_label;
  GtkLabel         *scope_label;
  GtkLabel         *scope_name_label;
  KtKeyStatus      *key_status;
  GtkStack         *method_stack;
  GtkEditable      *code_entry;
  GtkLabel         *error_label;
  GtkWidget        *try_again_button;
  GtkWidget        *confirm_button;
  GtkWidget        *recovery_code_button;
  GtkWidget        *key_button;
  GtkWidget        *cancel_button;
  KtSoftwareKeyBar *software_key_bar;

  /* Owned */
  KtMfaController  *controller;
  char             *scope;
  GTask            *task;          /* the run, until it has its answer */
  GSource          *cancelled;     /* the run's cancellable, watched from the main loop */
  GCancellable     *attempt;       /* the request on its way to the server and key, or NULL */
  gboolean          waiting;       /* a request waits for the controller to be free */
  gboolean          key_failed;    /* the key's last attempt failed: it may be tried again */
  gint64            expires_at;
  AdwMessageDialog *pin_dialog;
};

G_DEFINE_FINAL_TYPE (KtStepUpWindow, kt_step_up_window, ADW_TYPE_WINDOW)

static gboolean
using_recovery_code (KtStepUpWindow *self)
{
  return g_strcmp0 (gtk_stack_get_visible_child_name (self->method_stack), "recovery-code") == 0;
}

static void
update (KtStepUpWindow *self)
{
  gboolean recovery = using_recovery_code (self);
  gboolean asking = self->attempt != NULL || self->waiting;
  gboolean can_try_again = !recovery && self->key_failed && !asking && self->task != NULL;
  gboolean can_confirm = recovery && !asking && self->task != NULL
                         && *gtk_editable_get_text (self->code_entry) != '\0';

  gtk_widget_set_visible (self->try_again_button, can_try_again);
  gtk_widget_set_visible (self->confirm_button, recovery);
  gtk_widget_set_visible (self->recovery_code_button, !recovery);
  gtk_widget_set_visible (self->key_button, recovery);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "step-up.try-again", can_try_again);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "step-up.confirm", can_confirm);
  gtk_window_set_default_widget (GTK_WINDOW (self),
                                 recovery ? self->confirm_button
                                          : can_try_again ? self->try_again_button : NULL);
}

static void
show_error (KtStepUpWindow *self,
            const char     *message)
{
  gtk_label_set_text (self->error_label, message != NULL ? message : "");
  gtk_widget_set_visible (GTK_WIDGET (self->error_label), message != NULL);
  /* Said wherever the focus is: the label is seldom where it is. */
  if (message != NULL)
    kt_flow_page_announce (GTK_WIDGET (self), message);
}

/* The run has its answer: @token, or @error. The caller closes the window. */
static void
finish_run (KtStepUpWindow *self,
            char           *token,
            GError         *error)
{
  g_autoptr(GTask) task = g_steal_pointer (&self->task);

  if (self->cancelled != NULL)
    {
      g_source_destroy (self->cancelled);
      g_clear_pointer (&self->cancelled, g_source_unref);
    }
  self->waiting = FALSE;
  /* A recovery code is a secret: it does not stay in the field once used or given up. */
  gtk_editable_set_text (self->code_entry, "");
  if (self->pin_dialog != NULL)
    kt_pin_dialog_destroy (self->pin_dialog);

  if (token != NULL)
    g_task_return_pointer (task, token, (GDestroyNotify) kt_secret_free);
  else
    g_task_return_error (task, error);
}

/* Ends the run with G_IO_ERROR_CANCELLED, and the request on its way with it. */
static gboolean
cancel_run (KtStepUpWindow *self)
{
  if (self->task == NULL)
    return FALSE;
  if (self->attempt != NULL)
    g_cancellable_cancel (self->attempt);
  finish_run (self, NULL, g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CANCELLED,
                                               _("The confirmation was cancelled.")));
  return TRUE;
}

static void request_token (KtStepUpWindow *self);

static void
on_token (GObject      *source,
          GAsyncResult *result,
          gpointer      user_data)
{
  g_autoptr(KtStepUpWindow) self = user_data;
  g_autoptr(GError) error = NULL;
  gint64 expires_at = 0;
  char *token = kt_mfa_controller_request_elevated_token_finish (KT_MFA_CONTROLLER (source),
                                                                 result, &expires_at, &error);
  gboolean withdrawn = g_cancellable_is_cancelled (self->attempt);

  g_clear_object (&self->attempt);
  if (self->task == NULL)
    {
      /* Cancelled meanwhile: a token that came all the same is not handed to anyone. */
      if (token != NULL)
        kt_secret_free (token);
      return;
    }
  if (token != NULL)
    {
      self->expires_at = expires_at;
      finish_run (self, token, NULL);
      gtk_window_destroy (GTK_WINDOW (self));
      return;
    }

  /* The window withdrew the request itself, to use the other way: nothing went wrong. Cancelled
   * from elsewhere (the main window's Escape), the key's state says so already. */
  if (!withdrawn)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        show_error (self, error->message);
      if (!using_recovery_code (self))
        self->key_failed = TRUE;
    }
  if (self->waiting)
    request_token (self);
  update (self);
}

/* Asks for the token the way the window shows now: the key, or the code in the field. Once the
 * controller is free: it runs one operation at a time, and the main window may have one going. */
static void
request_token (KtStepUpWindow *self)
{
  g_autoptr(KtSecret) code = NULL;

  if (self->task == NULL)
    return;
  if (self->attempt != NULL || kt_mfa_controller_get_busy (self->controller))
    {
      self->waiting = TRUE;
      update (self);
      return;
    }
  self->waiting = FALSE;

  if (using_recovery_code (self))
    {
      code = g_strstrip (g_strdup (gtk_editable_get_text (self->code_entry)));
      if (*code == '\0')
        {
          update (self);
          return;
        }
    }

  show_error (self, NULL);
  self->key_failed = FALSE;
  self->attempt = g_cancellable_new ();
  kt_mfa_controller_request_elevated_token_async (self->controller, self->scope, code,
                                                  self->attempt, on_token,
                                                  g_object_ref (self));
  update (self);
}

static void
on_busy_changed (KtStepUpWindow *self)
{
  if (self->waiting && self->attempt == NULL && !kt_mfa_controller_get_busy (self->controller))
    request_token (self);
}

static void
on_pin_requested (KtStepUpWindow *self,
                  int             retries)
{
  /* Only while the window asks: otherwise the main window answers. */
  if (self->task == NULL)
    return;
  kt_pin_dialog_present_for (GTK_WINDOW (self), self->controller, retries, &self->pin_dialog);
}

static void
on_authenticator_state (KtStepUpWindow *self)
{
  if (self->pin_dialog != NULL)
    kt_pin_dialog_close_if_unwanted (self->pin_dialog, self->controller);
}

static void
cancel_action (GtkWidget  *widget,
               const char *action_name,
               GVariant   *parameter)
{
  if (cancel_run (KT_STEP_UP_WINDOW (widget)))
    gtk_window_destroy (GTK_WINDOW (widget));
}

/* Try Again, after the key failed, and Confirm, with a recovery code: the request is made anew,
 * the way the window shows now. */
static void
request_token_action (GtkWidget  *widget,
                      const char *action_name,
                      GVariant   *parameter)
{
  request_token (KT_STEP_UP_WINDOW (widget));
}

/* Shows @method ("key" or "recovery-code"), the way to confirm the person chose, once the
 * request on its way the other way is withdrawn and its error gone. */
static void
switch_method (KtStepUpWindow *self,
               const char     *method)
{
  if (self->attempt != NULL)
    g_cancellable_cancel (self->attempt);
  self->waiting = FALSE;
  show_error (self, NULL);
  gtk_stack_set_visible_child_name (self->method_stack, method);
}

static void
use_recovery_code_action (GtkWidget  *widget,
                          const char *action_name,
                          GVariant   *parameter)
{
  KtStepUpWindow *self = KT_STEP_UP_WINDOW (widget);

  self->key_failed = FALSE;
  /* The key waits no longer: its touch would now confirm nothing the person sees. */
  switch_method (self, "recovery-code");
  update (self);
  gtk_widget_grab_focus (GTK_WIDGET (self->code_entry));
}

static void
use_key_action (GtkWidget  *widget,
                const char *action_name,
                GVariant   *parameter)
{
  KtStepUpWindow *self = KT_STEP_UP_WINDOW (widget);

  gtk_editable_set_text (self->code_entry, "");
  switch_method (self, "key");
  gtk_widget_grab_focus (self->cancel_button);
  request_token (self);
}

static gboolean
kt_step_up_window_close_request (GtkWindow *window)
{
  /* Closing is cancelling; the window then goes as any other does. */
  cancel_run (KT_STEP_UP_WINDOW (window));

  return GTK_WINDOW_CLASS (kt_step_up_window_parent_class)->close_request (window);
}

static void
kt_step_up_window_dispose (GObject *object)
{
  KtStepUpWindow *self = KT_STEP_UP_WINDOW (object);

  cancel_run (self);
  if (self->attempt != NULL)
    g_cancellable_cancel (self->attempt);
  kt_pin_dialog_clear (&self->pin_dialog);
  if (self->controller != NULL)
    g_signal_handlers_disconnect_by_data (self->controller, self);
  g_clear_object (&self->controller);

  G_OBJECT_CLASS (kt_step_up_window_parent_class)->dispose (object);
}

static void
kt_step_up_window_finalize (GObject *object)
{
  KtStepUpWindow *self = KT_STEP_UP_WINDOW (object);

  g_free (self->scope);
  g_clear_object (&self->attempt);

  G_OBJECT_CLASS (kt_step_up_window_parent_class)->finalize (object);
}

static void
kt_step_up_window_class_init (KtStepUpWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  GtkWindowClass *window_class = GTK_WINDOW_CLASS (klass);

  object_class->dispose = kt_step_up_window_dispose;
  object_class->finalize = kt_step_up_window_finalize;
  window_class->close_request = kt_step_up_window_close_request;

  g_type_ensure (KT_TYPE_KEY_STATUS);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/keyturn/Keyturn/kt-step-up-window.ui");
  gtk_widget_class_bind_template_child (widget_class, KtStepUpWindow, caller_name_label);
  gtk_widget_class_bind_template_child (widget_class, KtStepUpWindow, caller_detail_label);
  gtk_widget_class_bind_template_child (widget_class, KtStepUpWindow, reason_intro_label);
  gtk_widget_class_bind_template_child (widget_class, KtStepUpWindow, reason_label);
  gtk_widget_class_bind_template_child (widget_class, KtStepUpWindow, scope_label);
  gtk_widget_class_bind_template_child (widget_class, KtStepUpWindow, scope_name_label);
  gtk_widget_class_bind_template_child (widget_class, KtStepUpWindow, key_status);
  gtk_widget_class_bind_template_child (widget_class, KtStepUpWindow, method_stack);
  gtk_widget_class_bind_template_child (widget_class, KtStepUpWindow, code_entry);
  gtk_widget_class_bind_template_child (widget_class, KtStepUpWindow, error_label);
  gtk_widget_class_bind_template_child (widget_class, KtStepUpWindow, try_again_button);
  gtk_widget_class_bind_template_child (widget_class, KtStepUpWindow, confirm_button);
  gtk_widget_class_bind_template_child (widget_class, KtStepUpWindow, recovery_code_button);
  gtk_widget_class_bind_template_child (widget_class, KtStepUpWindow, key_button);
  gtk_widget_class_bind_template_child (widget_class, KtStepUpWindow, cancel_button);
  gtk_widget_class_bind_template_child (widget_class, KtStepUpWindow, software_key_bar);
  gtk_widget_class_bind_template_callback (widget_class, update);

  gtk_widget_class_install_action (widget_class, "step-up.cancel", NULL, cancel_action);
  gtk_widget_class_install_action (widget_class, "step-up.try-again", NULL, request_token_action);
  gtk_widget_class_install_action (widget_class, "step-up.use-recovery-code", NULL,
                                   use_recovery_code_action);
  gtk_widget_class_install_action (widget_class, "step-up.use-key", NULL, use_key_action);
  gtk_widget_class_install_action (widget_class, "step-up.confirm", NULL, request_token_action);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "step-up.cancel", NULL);
}

static void
kt_step_up_window_init (KtStepUpWindow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}

KtStepUpWindow *
kt_step_up_window_new (KtMfaController *controller,
                       const char      *caller_name,
                       const char      *caller_detail,
                       const char      *scope,
                       const char      *reason)
{
  KtStepUpWindow *self;
  const char *allows;
  g_autofree char *intro = NULL;
  g_autofree char *quoted = NULL;
  g_autofree char *scope_name = NULL;

  g_return_val_if_fail (KT_IS_MFA_CONTROLLER (controller), NULL);
  g_return_val_if_fail (caller_name != NULL && scope != NULL && reason != NULL, NULL);

  /* A dialog to a screen reader, which reads its text when it opens: who asks, and why. Given
   * as the window is made: GTK 4.8 keeps a window's role from a role set on its class. */
  self = g_object_new (KT_TYPE_STEP_UP_WINDOW,
                       "accessible-role", GTK_ACCESSIBLE_ROLE_DIALOG,
                       NULL);
  self->controller = g_object_ref (controller);
  self->scope = g_strdup (scope);
  kt_flow_page_set_controller (KT_FLOW_PAGE (self->key_status), controller);
  g_signal_connect_swapped (controller, "notify::busy", G_CALLBACK (on_busy_changed), self);
  g_signal_connect_swapped (controller, "notify::authenticator-state",
                            G_CALLBACK (on_authenticator_state), self);
  g_signal_connect_swapped (controller, "pin-requested", G_CALLBACK (on_pin_requested), self);

  gtk_label_set_text (self->caller_name_label, caller_name);
  gtk_label_set_text (self->caller_detail_label, caller_detail != NULL ? caller_detail : "");
  gtk_widget_set_visible (GTK_WIDGET (self->caller_detail_label),
                          caller_detail != NULL && *caller_detail != '\0');

  /* The reason is the caller's text, not Keyturn's: said so, and set in quotes. */
  /* TRANSLATORS: %s is the name of the app that asks, as in "Files". */
  intro = g_strdup_printf (_("%s gives this reason, in its own words:"), caller_name);
  gtk_label_set_text (self->reason_intro_label, intro);
  /* TRANSLATORS: quotes around words another app wrote; use your language's quotation marks. */
  quoted = g_strdup_printf (_("“%s”"), reason);
  gtk_label_set_text (self->reason_label, quoted);

  allows = kt_token_scope_describe (scope);
  gtk_label_set_text (self->scope_label,
                      allows != NULL ? allows : _("Something Keyturn cannot describe."));
  /* TRANSLATORS: %s is the permission's technical name, as in "credential:link". */
  scope_name = g_strdup_printf (_("Permission: %s"), scope);
  gtk_label_set_text (self->scope_name_label, scope_name);

  kt_flow_page_name_buttons (GTK_WIDGET (self));
  update (self);
  return self;
}

static gboolean
on_run_cancelled (GCancellable *cancellable,
                  gpointer      user_data)
{
  KtStepUpWindow *self = KT_STEP_UP_WINDOW (user_data);

  /* The source goes as this returns: only the window's reference to it is dropped here. */
  g_clear_pointer (&self->cancelled, g_source_unref);
  if (cancel_run (self))
    gtk_window_destroy (GTK_WINDOW (self));
  return G_SOURCE_REMOVE;
}

void
kt_step_up_window_run_async (KtStepUpWindow      *self,
                             GCancellable        *cancellable,
                             GAsyncReadyCallback  callback,
                             gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (KT_IS_STEP_UP_WINDOW (self));
  g_return_if_fail (self->task == NULL && self->controller != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, kt_step_up_window_run_async);
  /* The answer is the window's: a cancellable that fires closes it, and only then is the task
   * given its error, so the caller never hears back from a window still on screen. */
  g_task_set_check_cancellable (task, FALSE);
  self->task = g_steal_pointer (&task);

  if (cancellable != NULL)
    {
      self->cancelled = g_cancellable_source_new (cancellable);
      g_source_set_callback (self->cancelled, G_SOURCE_FUNC (on_run_cancelled), self, NULL);
      g_source_attach (self->cancelled, NULL);
    }

  gtk_window_present (GTK_WINDOW (self));
  gtk_widget_grab_focus (self->cancel_button);
  request_token (self);
}

char *
kt_step_up_window_run_finish (KtStepUpWindow  *self,
                              GAsyncResult    *result,
                              gint64          *expires_at,
                              GError         **error)
{
  char *token;

  g_return_val_if_fail (KT_IS_STEP_UP_WINDOW (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  token = g_task_propagate_pointer (G_TASK (result), error);
  if (expires_at != NULL)
    *expires_at = token != NULL ? self->expires_at : 0;
  return token;
}

void
kt_step_up_window_set_software_key_socket (KtStepUpWindow *self,
                                           const char     *socket_path)
{
  g_return_if_fail (KT_IS_STEP_UP_WINDOW (self));

  kt_software_key_bar_set_socket_path (self->software_key_bar, socket_path);
}
