/* test-prompts.c: the prompts in which a person answers other apps' sign-in requests
 *
 * Through the prompter the sign-in service uses, as a person sees and answers them: the consent
 * dialog's three answers, the sign-in in the main window, and the step-up window, whose key
 * ceremony and recovery code run against the real keyturn-sandbox and keyturn-virtual-key. The
 * caller is made with kt_caller_new(): who a D-Bus peer is, is not what is tested here.
 *
 * Copyright 2026 Keyturn developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <adwaita.h>
#include <string.h>

#include "flow-fixture.h"
#include "kt-caller.h"
#include "kt-service-prompter.h"
#include "kt-step-up-window.h"
#include "kt-test-widgets.h"
#include "kt-token-scope.h"
#include "kt-secret.h"
#include "kt-window.h"

#define APP_NAME    "Photo Shelf"
#define APP_ID      "org.example.PhotoShelf"
#define REASON      "Link the key you just plugged in to your account"
#define SCOPE       "credential:link"

static GtkApplication *app;
/* The controller the main window is made with, as the application gives it its own. */
static KtMfaController *app_controller;

typedef struct {
  Flow               flow;
  KtServicePrompter *prompter;
  KtCaller          *caller;
  GAsyncResult      *result;
} Prompts;

/* ------------------------------------------------------------------------------------------ */
/* The main loop and what is on screen                                                         */

/* Every wait fails after 90 s, which only a failing run waits out: under the sanitizers on a busy
 * machine a ceremony's round trips have taken over 30 s. */
#define spin_until(done, data, what) kt_test_spin_until ((done), (data), (what), 90)

static gboolean
has_result (gpointer data)
{
  return ((Prompts *) data)->result != NULL;
}

static void
store_result (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  Prompts *p = user_data;

  g_assert_null (p->result);
  p->result = g_object_ref (result);
}

static GtkWindow *
find_toplevel (GType type)
{
  GListModel *toplevels = gtk_window_get_toplevels ();

  for (guint i = 0; i < g_list_model_get_n_items (toplevels); i++)
    {
      g_autoptr(GtkWindow) window = g_list_model_get_item (toplevels, i);

      if (G_TYPE_CHECK_INSTANCE_TYPE (window, type)
          && gtk_widget_get_visible (GTK_WIDGET (window)))
        return window;
    }
  return NULL;
}

static guint
count_message_dialogs (void)
{
  GListModel *toplevels = gtk_window_get_toplevels ();
  guint count = 0;

  for (guint i = 0; i < g_list_model_get_n_items (toplevels); i++)
    {
      g_autoptr(GObject) window = g_list_model_get_item (toplevels, i);

      if (ADW_IS_MESSAGE_DIALOG (window) && gtk_widget_get_visible (GTK_WIDGET (window)))
        count++;
    }
  return count;
}

static gboolean
step_up_window_shown (gpointer data)
{
  return find_toplevel (KT_TYPE_STEP_UP_WINDOW) != NULL;
}

static gboolean
message_dialog_shown (gpointer data)
{
  return kt_test_find_message_dialog () != NULL;
}

static gboolean
no_message_dialog (gpointer data)
{
  return kt_test_find_message_dialog () == NULL;
}

static gboolean
key_waits_for_touch (gpointer data)
{
  Prompts *p = data;

  return kt_mfa_controller_get_authenticator_state (p->flow.controller)
         == KT_WEBAUTHN_STATE_TOUCH_NEEDED;
}

static gboolean
controller_idle (gpointer data)
{
  Prompts *p = data;

  return !kt_mfa_controller_get_busy (p->flow.controller);
}

static gboolean
is_shown_alert (GtkWidget     *widget,
                gconstpointer  data)
{
  return GTK_IS_LABEL (widget) && gtk_widget_get_mapped (widget)
         && gtk_accessible_get_accessible_role (GTK_ACCESSIBLE (widget))
            == GTK_ACCESSIBLE_ROLE_ALERT
         && *gtk_label_get_text (GTK_LABEL (widget)) != '\0';
}

static gboolean
alert_shown (gpointer data)
{
  return kt_test_find (data, is_shown_alert, NULL) != NULL;
}

/* Presses the button whose label reads @text, as a click does. */
static void
press (GtkWidget  *root,
       const char *text)
{
  GtkWidget *button = kt_test_find_button (root, text);

  g_assert_nonnull (button);
  while (g_main_context_iteration (NULL, FALSE))
    ;
  g_assert_true (gtk_widget_is_sensitive (button));
  g_signal_emit_by_name (button, "clicked");
}

/* ------------------------------------------------------------------------------------------ */
/* Fixtures                                                                                    */

static void
prompts_setup (Prompts       *p,
               gconstpointer  data)
{
  p->prompter = kt_service_prompter_new (app);
  p->caller = kt_caller_new (KT_CALLER_KIND_FLATPAK, APP_ID, APP_NAME, APP_ID);
}

static void
close_app_windows (void)
{
  GList *windows;

  while ((windows = gtk_application_get_windows (app)) != NULL)
    gtk_window_destroy (windows->data);
  while (g_main_context_iteration (NULL, FALSE))
    ;
}

static void
prompts_teardown (Prompts       *p,
                  gconstpointer  data)
{
  close_app_windows ();
  g_clear_object (&p->result);
  g_assert_finalize_object (p->caller);
  g_assert_finalize_object (p->prompter);
  app_controller = NULL;
}

static const FlowOptions step_up_options = {
  .presence = "manual",
  .api_version = FLOW_STEP_UP_API,
};

/* A new user, signed up with touches of the key as a person makes them, and the prompter given
 * the controller, as the application gives it. */
static void
signed_in_setup (Prompts       *p,
                 gconstpointer  data)
{
  Flow *f = &p->flow;
  GAsyncResult *result = NULL;
  g_autoptr(GError) error = NULL;

  flow_setup (f, data);
  prompts_setup (p, data);
  g_assert_cmpint (flow_restart (f), ==, KT_MFA_STEP_SIGNED_OUT);
  flow_send_code (f);
  flow_verify_code (f);
  kt_mfa_controller_register_passkey_async (f->controller, "Blue key", NULL, flow_store_result,
                                            &result);
  spin_until (key_waits_for_touch, p, "the key to wait for a touch");
  g_assert_cmpint (kv_test_key_touch (f->key, 20000), ==, 0);
  g_assert_true (flow_await (f, &result, &error));
  g_assert_no_error (error);
  flow_acknowledge (f);

  kt_service_prompter_set_controller (p->prompter, f->controller);
  app_controller = f->controller;
}

static void
signed_in_teardown (Prompts       *p,
                    gconstpointer  data)
{
  kt_service_prompter_set_controller (p->prompter, NULL);
  prompts_teardown (p, data);
  spin_until (controller_idle, p, "the controller to be at rest");
  flow_teardown (&p->flow, data);
}

/* ------------------------------------------------------------------------------------------ */
/* Consent                                                                                     */

static KtConsent
consent_result (Prompts  *p,
                GError  **error)
{
  KtConsent consent;

  spin_until (has_result, p, "the consent");
  consent = kt_prompter_ask_consent_finish (KT_PROMPTER (p->prompter), p->result, error);
  g_clear_object (&p->result);
  spin_until (no_message_dialog, NULL, "the consent dialog to close");
  return consent;
}

static AdwMessageDialog *
ask_consent (Prompts      *p,
             GCancellable *cancellable)
{
  kt_prompter_ask_consent (KT_PROMPTER (p->prompter), p->caller, cancellable, store_result, p);
  spin_until (message_dialog_shown, NULL, "the consent dialog");
  return kt_test_find_message_dialog ();
}

static void
test_consent_answers (Prompts       *p,
                      gconstpointer  data)
{
  static const struct {
    const char *response;
    KtConsent   consent;
  } answers[] = {
    { "deny", KT_CONSENT_DENY },
    { "once", KT_CONSENT_ALLOW_ONCE },
    { "always", KT_CONSENT_ALWAYS_ALLOW },
  };
  g_autoptr(GError) error = NULL;
  AdwMessageDialog *dialog;

  for (guint i = 0; i < G_N_ELEMENTS (answers); i++)
    {
      dialog = ask_consent (p, NULL);
      /* It names the caller, and says what allowing gives away. */
      g_assert_cmpstr (adw_message_dialog_get_heading (dialog), ==,
                       "Allow " APP_NAME " to Use Your Sign-In?");
      g_assert_nonnull (strstr (adw_message_dialog_get_body (dialog), APP_ID));
      g_assert_nonnull (strstr (adw_message_dialog_get_body (dialog),
                                "can act as you in the environment until you sign out"));
      g_assert_cmpstr (adw_message_dialog_get_response_label (dialog, "deny"), ==, "_Deny");
      g_assert_cmpstr (adw_message_dialog_get_response_label (dialog, "once"), ==,
                       "Allow _Once");
      g_assert_cmpstr (adw_message_dialog_get_response_label (dialog, "always"), ==,
                       "_Always Allow");
      /* A slip of Enter says no. */
      g_assert_cmpstr (adw_message_dialog_get_default_response (dialog), ==, "deny");

      adw_message_dialog_response (dialog, answers[i].response);
      gtk_window_destroy (GTK_WINDOW (dialog));
      g_assert_cmpint (consent_result (p, &error), ==, answers[i].consent);
      g_assert_no_error (error);
    }

  /* Closing it is saying no. */
  dialog = ask_consent (p, NULL);
  gtk_window_close (GTK_WINDOW (dialog));
  g_assert_cmpint (consent_result (p, &error), ==, KT_CONSENT_DENY);
  g_assert_no_error (error);
}

static void
test_consent_command_line (Prompts       *p,
                           gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  AdwMessageDialog *dialog;

  g_object_unref (p->caller);
  p->caller = kt_caller_new (KT_CALLER_KIND_COMMAND_LINE, "/usr/bin/keyturn",
                             "The keyturn command", "bash");
  dialog = ask_consent (p, NULL);
  g_assert_cmpstr (adw_message_dialog_get_heading (dialog), ==,
                   "Allow the keyturn Command to Use Your Sign-In?");
  g_assert_nonnull (strstr (adw_message_dialog_get_body (dialog),
                            "run from a terminal or a script by bash"));
  adw_message_dialog_response (dialog, "once");
  gtk_window_destroy (GTK_WINDOW (dialog));
  g_assert_cmpint (consent_result (p, &error), ==, KT_CONSENT_ALLOW_ONCE);
  g_assert_no_error (error);
}

/* The caller withdrew: the dialog goes, and nothing was allowed. */
static void
test_consent_withdrawn (Prompts       *p,
                        gconstpointer  data)
{
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GError) error = NULL;

  ask_consent (p, cancellable);
  g_cancellable_cancel (cancellable);
  g_assert_cmpint (consent_result (p, &error), ==, KT_CONSENT_DENY);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
}

/* The consent of a signed-in user names the account it gives away. */
static void
test_consent_names_account (Prompts       *p,
                            gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  AdwMessageDialog *dialog = ask_consent (p, NULL);
  g_autofree char *account = g_strdup_printf ("gets the sign-in of %s", p->flow.email);

  g_assert_nonnull (strstr (adw_message_dialog_get_body (dialog), account));
  /* Over the main window when one is open; on its own here. */
  g_assert_null (gtk_window_get_transient_for (GTK_WINDOW (dialog)));
  g_assert_true (gtk_window_get_application (GTK_WINDOW (dialog)) == app);
  gtk_window_close (GTK_WINDOW (dialog));
  g_assert_cmpint (consent_result (p, &error), ==, KT_CONSENT_DENY);
}

/* ------------------------------------------------------------------------------------------ */
/* Step-up                                                                                     */

static KtStepUpWindow *
step_up (Prompts      *p,
         GCancellable *cancellable)
{
  kt_prompter_step_up (KT_PROMPTER (p->prompter), p->caller, SCOPE, REASON, cancellable,
                       store_result, p);
  spin_until (step_up_window_shown, NULL, "the step-up window");
  return KT_STEP_UP_WINDOW (find_toplevel (KT_TYPE_STEP_UP_WINDOW));
}

static char *
step_up_result (Prompts  *p,
                gint64   *expires_at,
                GError  **error)
{
  char *token;

  spin_until (has_result, p, "the step-up's answer");
  token = kt_prompter_step_up_finish (KT_PROMPTER (p->prompter), p->result, expires_at, error);
  g_clear_object (&p->result);
  /* Answered or not, the window is gone. */
  g_assert_null (find_toplevel (KT_TYPE_STEP_UP_WINDOW));
  return token;
}

/* The step-up answered with a token. */
static void
assert_step_up_answered (Prompts *p)
{
  g_autoptr(GError) error = NULL;
  gint64 expires_at = 0;
  char *token = step_up_result (p, &expires_at, &error);

  g_assert_no_error (error);
  g_assert_nonnull (token);
  kt_secret_free (token);
}

static void
assert_cancelled_and_key_released (Prompts *p)
{
  g_autoptr(GError) error = NULL;
  gint64 expires_at = -1;
  char *token = step_up_result (p, &expires_at, &error);

  g_assert_null (token);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_cmpint (expires_at, ==, 0);
  /* The ceremony ended with the window: the key waits for no touch. */
  spin_until (controller_idle, p, "the ceremony to end");
  g_assert_cmpint (kt_mfa_controller_get_authenticator_state (p->flow.controller), !=,
                   KT_WEBAUTHN_STATE_TOUCH_NEEDED);
}

/* The window says who asks, why in its own words, and what confirming allows; it asks the key at
 * once (once the controller is done with what it was doing), and a touch is the answer. */
static void
test_step_up_with_key (Prompts       *p,
                       gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  GAsyncResult *refresh = NULL;
  KtStepUpWindow *window;
  GtkWidget *root;
  gint64 expires_at = 0;
  char *token;

  /* The main window's own work goes first; the step-up waits for it rather than failing. */
  kt_mfa_controller_refresh_passkeys_async (p->flow.controller, NULL, flow_store_result,
                                            &refresh);
  g_assert_true (kt_mfa_controller_get_busy (p->flow.controller));
  window = step_up (p, NULL);
  root = GTK_WIDGET (window);

  g_assert_nonnull (kt_test_find_label (root, "Confirm With Your Security Key"));
  g_assert_nonnull (kt_test_find_label (root, APP_NAME));
  g_assert_nonnull (kt_test_find_label (root, APP_ID));
  g_assert_nonnull (kt_test_find_label (root, APP_NAME " gives this reason, in its own words:"));
  g_assert_nonnull (kt_test_find_label (root, "“" REASON "”"));
  g_assert_nonnull (kt_test_find_label (root, kt_token_scope_describe (SCOPE)));
  g_assert_nonnull (kt_test_find_label (root, "Permission: " SCOPE));
  g_assert_nonnull (kt_test_find_button (root, "Cancel"));
  g_assert_nonnull (kt_test_find_button (root, "Use a Recovery Code"));
  g_assert_true (gtk_window_get_application (GTK_WINDOW (window)) == app);
  /* A screen reader reads a dialog's text as it opens. */
  g_assert_cmpint (gtk_accessible_get_accessible_role (GTK_ACCESSIBLE (window)), ==,
                   GTK_ACCESSIBLE_ROLE_DIALOG);

  spin_until (key_waits_for_touch, p, "the key to wait for a touch");
  /* The refresh ended first, as it began. */
  g_assert_nonnull (refresh);
  g_assert_true (kt_mfa_controller_operation_finish (p->flow.controller, refresh, &error));
  g_assert_no_error (error);
  g_clear_object (&refresh);
  g_assert_nonnull (kt_test_find_label (root, "Touch your security key."));
  g_assert_cmpint (kv_test_key_touch (p->flow.key, 20000), ==, 0);

  token = step_up_result (p, &expires_at, &error);
  g_assert_no_error (error);
  g_assert_nonnull (token);
  g_assert_cmpint (expires_at, >, g_get_real_time () / G_USEC_PER_SEC);
  kt_secret_free (token);
}

/* The step-up window, once the key it started waits for a touch. */
static KtStepUpWindow *
step_up_until_touch (Prompts      *p,
                     GCancellable *cancellable)
{
  KtStepUpWindow *window = step_up (p, cancellable);

  spin_until (key_waits_for_touch, p, "the key to wait for a touch");
  return window;
}

static void
test_step_up_cancel (Prompts       *p,
                     gconstpointer  data)
{
  press (GTK_WIDGET (step_up_until_touch (p, NULL)), "Cancel");
  assert_cancelled_and_key_released (p);
}

static void
test_step_up_close (Prompts       *p,
                     gconstpointer  data)
{
  gtk_window_close (GTK_WINDOW (step_up_until_touch (p, NULL)));
  assert_cancelled_and_key_released (p);
}

static void
test_step_up_withdrawn (Prompts       *p,
                        gconstpointer  data)
{
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();

  step_up_until_touch (p, cancellable);
  g_cancellable_cancel (cancellable);
  assert_cancelled_and_key_released (p);
}

static gboolean
can_try_again (gpointer data)
{
  GtkWidget *button = kt_test_find_button (data, "Try Again");

  return button != NULL && gtk_widget_is_sensitive (button);
}

/* The key's ceremony ended without a token (cancelled from the main window, here): the window
 * stays, and the key can be tried again. */
static void
test_step_up_try_again (Prompts       *p,
                        gconstpointer  data)
{
  KtStepUpWindow *window = step_up (p, NULL);

  g_assert_null (kt_test_find_button (GTK_WIDGET (window), "Try Again"));
  spin_until (key_waits_for_touch, p, "the key to wait for a touch");
  kt_mfa_controller_cancel (p->flow.controller);
  spin_until (can_try_again, window, "Try Again");
  g_assert_null (p->result);
  g_assert_true (gtk_window_get_default_widget (GTK_WINDOW (window))
                 == kt_test_find_button (GTK_WIDGET (window), "Try Again"));

  press (GTK_WIDGET (window), "Try Again");
  spin_until (key_waits_for_touch, p, "the key to wait for a touch again");
  g_assert_cmpint (kv_test_key_touch (p->flow.key, 20000), ==, 0);
  assert_step_up_answered (p);
}

/* Without the key: a wrong code is said to be wrong and can be corrected, a right one answers. */
static void
test_step_up_recovery_code (Prompts       *p,
                            gconstpointer  data)
{
  g_auto(GStrv) codes = NULL;
  KtStepUpWindow *window;
  GtkWidget *root;
  GtkWidget *field;

  codes = flow_fetch_recovery_codes (&p->flow);

  window = step_up (p, NULL);
  root = GTK_WIDGET (window);
  spin_until (key_waits_for_touch, p, "the key to wait for a touch");
  press (root, "Use a Recovery Code");
  /* The key waits no longer. */
  spin_until (controller_idle, p, "the key to be let go");

  field = kt_test_find_field (root, "Recovery code");
  g_assert_nonnull (field);
  g_assert_true (gtk_widget_has_focus (field)
                 || gtk_widget_has_focus (gtk_widget_get_focus_child (field)));
  gtk_editable_set_text (GTK_EDITABLE (field), "not-a-code");
  press (root, "Confirm");
  spin_until (alert_shown, root, "the wrong code's error");
  g_assert_null (p->result);
  g_assert_true (gtk_widget_get_visible (root));

  /* The key after all, and back: the field forgets the code on the way. */
  press (root, "Use the Security Key");
  g_assert_cmpstr (gtk_editable_get_text (GTK_EDITABLE (field)), ==, "");
  spin_until (key_waits_for_touch, p, "the key to wait for a touch again");
  press (root, "Use a Recovery Code");
  spin_until (controller_idle, p, "the key to be let go again");

  gtk_editable_set_text (GTK_EDITABLE (field), codes[0]);
  press (root, "Confirm");
  assert_step_up_answered (p);
}

/* One PIN request, one dialog: over the step-up while it is on screen, even with the main window
 * open; over the main window again once it is gone. */
static void
test_step_up_one_pin_dialog (Prompts       *p,
                             gconstpointer  data)
{
  KtStepUpWindow *window;
  AdwMessageDialog *dialog;
  GtkWindow *main_window;

  g_application_activate (G_APPLICATION (app));
  main_window = find_toplevel (KT_TYPE_WINDOW);
  g_assert_nonnull (main_window);

  window = step_up (p, NULL);
  /* Over the main window, which is open. */
  g_assert_true (gtk_window_get_transient_for (GTK_WINDOW (window)) == main_window);
  spin_until (key_waits_for_touch, p, "the key to wait for a touch");
  g_signal_emit_by_name (p->flow.controller, "pin-requested", 3);
  spin_until (message_dialog_shown, NULL, "the PIN dialog");
  g_assert_cmpuint (count_message_dialogs (), ==, 1);
  dialog = kt_test_find_message_dialog ();
  g_assert_true (gtk_window_get_transient_for (GTK_WINDOW (dialog)) == GTK_WINDOW (window));

  press (GTK_WIDGET (window), "Cancel");
  assert_cancelled_and_key_released (p);
  g_assert_cmpuint (count_message_dialogs (), ==, 0);

  g_signal_emit_by_name (p->flow.controller, "pin-requested", 3);
  spin_until (message_dialog_shown, NULL, "the main window's PIN dialog");
  g_assert_cmpuint (count_message_dialogs (), ==, 1);
  dialog = kt_test_find_message_dialog ();
  g_assert_true (gtk_window_get_transient_for (GTK_WINDOW (dialog)) == main_window);
  gtk_window_close (GTK_WINDOW (dialog));
  spin_until (no_message_dialog, NULL, "the PIN dialog to close");
}

/* ------------------------------------------------------------------------------------------ */
/* Sign-in                                                                                     */

static gboolean
sign_in_result (Prompts  *p,
                GError  **error)
{
  gboolean signed_in;

  spin_until (has_result, p, "the sign-in's answer");
  signed_in = kt_prompter_sign_in_finish (KT_PROMPTER (p->prompter), p->result, error);
  g_clear_object (&p->result);
  return signed_in;
}

static gboolean
is_notice (GtkWidget     *widget,
           gconstpointer  data)
{
  return GTK_IS_LABEL (widget) && gtk_widget_has_css_class (widget, "notice");
}

/* The main window opens, says who asked, and answers once the person has signed in. */
static void
test_sign_in (Prompts       *p,
              gconstpointer  data)
{
  Flow *f = &p->flow;
  g_autoptr(GError) error = NULL;
  GAsyncResult *result = NULL;
  GtkWidget *window;
  GtkWidget *notice;

  flow_sign_out (&p->flow);
  kt_prompter_sign_in (KT_PROMPTER (p->prompter), p->caller, NULL, store_result, p);
  window = GTK_WIDGET (find_toplevel (KT_TYPE_WINDOW));
  g_assert_nonnull (window);
  notice = kt_test_find (window, is_notice, NULL);
  g_assert_nonnull (notice);
  g_assert_cmpstr (gtk_label_get_text (GTK_LABEL (notice)), ==,
                   APP_NAME " asks you to sign in. Once you have, it can use the sign-in.");

  flow_send_code (f);
  flow_verify_code (f);
  g_assert_null (p->result);
  kt_mfa_controller_authenticate_passkey_async (f->controller, NULL, flow_store_result, &result);
  spin_until (key_waits_for_touch, p, "the key to wait for a touch");
  g_assert_cmpint (kv_test_key_touch (f->key, 20000), ==, 0);
  g_assert_true (flow_await (f, &result, &error));
  g_assert_no_error (error);

  g_assert_true (sign_in_result (p, &error));
  g_assert_no_error (error);
  /* Its notice goes with the request. */
  g_assert_null (kt_test_find (window, is_notice, NULL));

  /* Signed in already: the answer comes at once. */
  kt_prompter_sign_in (KT_PROMPTER (p->prompter), p->caller, NULL, store_result, p);
  g_assert_true (sign_in_result (p, &error));
  g_assert_no_error (error);
}

static void
test_sign_in_closed (Prompts       *p,
                     gconstpointer  data)
{
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GError) error = NULL;
  GtkWidget *window;

  flow_sign_out (&p->flow);
  kt_prompter_sign_in (KT_PROMPTER (p->prompter), p->caller, NULL, store_result, p);
  window = GTK_WIDGET (find_toplevel (KT_TYPE_WINDOW));
  g_assert_nonnull (window);
  gtk_window_close (GTK_WINDOW (window));
  g_assert_false (sign_in_result (p, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_clear_error (&error);

  /* Withdrawn: the window stays, its notice goes. */
  kt_prompter_sign_in (KT_PROMPTER (p->prompter), p->caller, cancellable, store_result, p);
  window = GTK_WIDGET (find_toplevel (KT_TYPE_WINDOW));
  g_assert_nonnull (kt_test_find (window, is_notice, NULL));
  g_cancellable_cancel (cancellable);
  g_assert_false (sign_in_result (p, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_null (kt_test_find (window, is_notice, NULL));
}

/* ------------------------------------------------------------------------------------------ */

/* The main window, as the application makes it. */
static void
on_activate (GtkApplication *application)
{
  KtWindow *window;

  for (GList *l = gtk_application_get_windows (application); l != NULL; l = l->next)
    if (KT_IS_WINDOW (l->data))
      {
        gtk_window_present (l->data);
        return;
      }
  window = kt_window_new (application);
  kt_window_set_controller (window, app_controller);
  gtk_window_present (GTK_WINDOW (window));
}

#define ADD_TEST(path, func) \
  g_test_add (path, Prompts, NULL, prompts_setup, func, prompts_teardown)
#define ADD_SIGNED_IN_TEST(path, func) \
  g_test_add (path, Prompts, &step_up_options, signed_in_setup, func, signed_in_teardown)

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GError) error = NULL;
  int status;

  gtk_test_init (&argc, &argv, NULL);
  adw_init ();
  gtk_icon_theme_add_resource_path (gtk_icon_theme_get_for_display (gdk_display_get_default ()),
                                    "/io/github/keyturn/Keyturn/icons");

  /* Prompts belong to the application: one that is running, as Keyturn's is. */
  app = GTK_APPLICATION (adw_application_new ("io.github.keyturn.Keyturn.TestPrompts",
                                              G_APPLICATION_NON_UNIQUE));
  g_signal_connect (app, "activate", G_CALLBACK (on_activate), NULL);
  g_assert_true (g_application_register (G_APPLICATION (app), NULL, &error));
  g_assert_no_error (error);

  ADD_TEST ("/prompts/consent/answers", test_consent_answers);
  ADD_TEST ("/prompts/consent/command-line", test_consent_command_line);
  ADD_TEST ("/prompts/consent/withdrawn", test_consent_withdrawn);
  ADD_SIGNED_IN_TEST ("/prompts/consent/names-account", test_consent_names_account);
  ADD_SIGNED_IN_TEST ("/prompts/step-up/key", test_step_up_with_key);
  ADD_SIGNED_IN_TEST ("/prompts/step-up/cancel", test_step_up_cancel);
  ADD_SIGNED_IN_TEST ("/prompts/step-up/close", test_step_up_close);
  ADD_SIGNED_IN_TEST ("/prompts/step-up/withdrawn", test_step_up_withdrawn);
  ADD_SIGNED_IN_TEST ("/prompts/step-up/try-again", test_step_up_try_again);
  ADD_SIGNED_IN_TEST ("/prompts/step-up/recovery-code", test_step_up_recovery_code);
  ADD_SIGNED_IN_TEST ("/prompts/step-up/one-pin-dialog", test_step_up_one_pin_dialog);
  ADD_SIGNED_IN_TEST ("/prompts/sign-in/signed-in", test_sign_in);
  ADD_SIGNED_IN_TEST ("/prompts/sign-in/closed", test_sign_in_closed);

  status = g_test_run ();
  g_object_unref (app);
  return status;
}
