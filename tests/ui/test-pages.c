/* test-pages.c: each page's bindings to the MFA controller, without a server
 *
 * The pages are built as the window builds them and checked through what a person can see and
 * use: the fields their labels name, and whether a button can be pressed.
 *
 * Copyright 2026 Keyturn developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <adwaita.h>

#include "kt-code-page.h"
#include "kt-pin-buffer.h"
#include "kt-pin-dialog.h"
#include "kt-preferences-window.h"
#include "kt-recovery-code-page.h"
#include "kt-recovery-codes-page.h"
#include "kt-register-page.h"
#include "kt-set-pin-dialog.h"
#include "kt-sign-in-page.h"
#include "kt-test-async.h"
#include "kt-test-bus.h"
#include "kt-test-widgets.h"
#include "kt-window.h"

#define TEST_ENVIRONMENT_ID "4b7b1b6e-9a0c-4a53-8d3e-2f6c1d0e5a17"

/* A controller for a server that is not there: nothing here may reach the network. */
static KtMfaController *
create_controller (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(KtApiClient) api = kt_api_client_new ("http://127.0.0.1:9/api/v0",
                                                  TEST_ENVIRONMENT_ID, &error);
  g_autoptr(KtOrigin) origin = NULL;
  g_autoptr(KtSessionStore) store = NULL;
  g_autoptr(KtWebauthnClient) authenticator = NULL;

  g_assert_no_error (error);
  origin = kt_origin_new ("http://localhost:9", &error);
  g_assert_no_error (error);
  store = kt_session_store_new ("http://127.0.0.1:9/api/v0", TEST_ENVIRONMENT_ID);
  authenticator = kt_webauthn_client_new (origin, NULL);
  return kt_mfa_controller_new (api, store, authenticator);
}

/* The page in a window of its own, as it is in Keyturn's. */
static GtkWidget *
create_page (GType            type,
             KtMfaController *controller)
{
  GtkWidget *page = g_object_new (type, "controller", controller, NULL);
  GtkWidget *window = gtk_window_new ();

  gtk_window_set_child (GTK_WINDOW (window), page);
  gtk_window_present (GTK_WINDOW (window));
  return g_object_ref (page);
}

static gboolean
can_press (GtkWidget  *root,
           const char *text)
{
  GtkWidget *button = kt_test_find_button (root, text);

  g_assert_nonnull (button);
  /* A button learns that its action changed from the main loop. */
  while (g_main_context_iteration (NULL, FALSE))
    ;
  return gtk_widget_is_sensitive (button);
}

static void
set_field (GtkWidget  *root,
           const char *label,
           const char *text)
{
  GtkWidget *field = kt_test_find_field (root, label);

  g_assert_nonnull (field);
  gtk_editable_set_text (GTK_EDITABLE (field), text);
}

static const char *
get_field (GtkWidget  *root,
           const char *label)
{
  GtkWidget *field = kt_test_find_field (root, label);

  g_assert_nonnull (field);
  return gtk_editable_get_text (GTK_EDITABLE (field));
}

/* The page lets go of the controller when it goes: nothing else holds it afterwards. */
static void
finish (GtkWidget       *page,
        KtMfaController *controller)
{
  gtk_window_destroy (GTK_WINDOW (gtk_widget_get_root (page)));
  g_assert_finalize_object (page);
  g_assert_finalize_object (controller);
}

static void
test_sign_in_needs_an_address (void)
{
  KtMfaController *controller = create_controller ();
  GtkWidget *page = create_page (KT_TYPE_SIGN_IN_PAGE, controller);

  g_assert_false (can_press (page, "Send Code"));
  set_field (page, "Email address", "not an address");
  g_assert_false (can_press (page, "Send Code"));
  set_field (page, "Email address", "person@example.com");
  g_assert_true (can_press (page, "Send Code"));

  /* Without a controller there is nobody to send the code. */
  g_object_set (page, "controller", NULL, NULL);
  g_assert_false (can_press (page, "Send Code"));

  finish (page, controller);
}

static void
test_code_keeps_pasted_digits (void)
{
  KtMfaController *controller = create_controller ();
  GtkWidget *page = create_page (KT_TYPE_CODE_PAGE, controller);

  g_assert_false (can_press (page, "Verify"));
  set_field (page, "Code from the email", "123 456");
  g_assert_cmpstr (get_field (page, "Code from the email"), ==, "123456");
  g_assert_true (can_press (page, "Verify"));

  set_field (page, "Code from the email", "Your code: 654-321.");
  g_assert_cmpstr (get_field (page, "Code from the email"), ==, "654321");

  set_field (page, "Code from the email", "12345");
  g_assert_false (can_press (page, "Verify"));

  /* No code was sent by this controller, so there is nothing to wait for. */
  g_assert_true (can_press (page, "Send a New Code"));

  finish (page, controller);
}

static void
test_recovery_code_needs_a_code (void)
{
  KtMfaController *controller = create_controller ();
  GtkWidget *page = create_page (KT_TYPE_RECOVERY_CODE_PAGE, controller);

  g_assert_false (can_press (page, "Continue"));
  set_field (page, "Recovery code", "abcde-12345");
  g_assert_true (can_press (page, "Continue"));
  g_assert_true (can_press (page, "Use a Security Key Instead"));

  finish (page, controller);
}

static void
test_recovery_codes_wait_for_confirmation (void)
{
  KtMfaController *controller = create_controller ();
  GtkWidget *page = create_page (KT_TYPE_RECOVERY_CODES_PAGE, controller);
  GtkWidget *confirmation = kt_test_find_field (page, "I have written these codes down or "
                                                      "stored them safely");

  g_assert_true (GTK_IS_SWITCH (confirmation));
  g_assert_false (can_press (page, "I Have Saved These Codes"));
  gtk_switch_set_active (GTK_SWITCH (confirmation), TRUE);
  g_assert_true (can_press (page, "I Have Saved These Codes"));
  gtk_switch_set_active (GTK_SWITCH (confirmation), FALSE);
  g_assert_false (can_press (page, "I Have Saved These Codes"));

  finish (page, controller);
}

static void
test_register_names_the_key (void)
{
  KtMfaController *controller = create_controller ();
  GtkWidget *page = create_page (KT_TYPE_REGISTER_PAGE, controller);

  g_assert_nonnull (kt_test_find_field (page, "Key name (optional)"));
  g_assert_true (can_press (page, "Register Security Key"));

  finish (page, controller);
}

static gboolean
set_pins (AdwMessageDialog *dialog,
          const char       *pin,
          const char       *again)
{
  GtkWidget *box = adw_message_dialog_get_extra_child (dialog);
  GtkWidget *pin_entry = gtk_widget_get_first_child (box);
  GtkWidget *again_entry = gtk_widget_get_next_sibling (pin_entry);

  gtk_editable_set_text (GTK_EDITABLE (pin_entry), pin);
  gtk_editable_set_text (GTK_EDITABLE (again_entry), again);
  return adw_message_dialog_get_response_enabled (dialog, "set");
}

/* What the set-PIN dialog says under its entries. */
static const char *
set_pin_hint (AdwMessageDialog *dialog)
{
  GtkWidget *hint = gtk_widget_get_last_child (adw_message_dialog_get_extra_child (dialog));

  /* Spoken as it changes, like the key's status on the pages. */
  g_assert_cmpint (gtk_accessible_get_accessible_role (GTK_ACCESSIBLE (hint)), ==,
                   GTK_ACCESSIBLE_ROLE_STATUS);
  return gtk_label_get_text (GTK_LABEL (hint));
}

static void
test_set_pin_dialog (void)
{
  KtMfaController *controller = create_controller ();
  GtkWidget *page = create_page (KT_TYPE_REGISTER_PAGE, controller);
  AdwMessageDialog *dialog;

  /* Offered only when the key turns out to have no PIN. */
  g_assert_null (kt_test_find_button (page, "Set a PIN for This Key"));

  kt_set_pin_dialog_present (page, controller, "register.register");
  dialog = kt_test_find_message_dialog ();
  g_assert_nonnull (dialog);
  g_assert_cmpstr (adw_message_dialog_get_heading (dialog), ==, "Set a PIN for This Key");

  /* Set only when both entries hold the same PIN of 4 to 63 bytes' worth of characters. */
  g_assert_false (set_pins (dialog, "", ""));
  g_assert_cmpstr (set_pin_hint (dialog), ==, "");
  g_assert_false (set_pins (dialog, "471", "471"));
  g_assert_cmpstr (set_pin_hint (dialog), ==,
                   "This PIN is too short. It needs at least 4 characters.");
  g_assert_false (set_pins (dialog, "\xc3\xa4\xc3\xb6\xc3\xbc", "\xc3\xa4\xc3\xb6\xc3\xbc"));
  g_assert_false (set_pins (dialog, "4711", "4712"));
  g_assert_cmpstr (set_pin_hint (dialog), ==, "The two PINs are not the same.");
  g_assert_false (set_pins (dialog, "4711", ""));
  g_assert_cmpstr (set_pin_hint (dialog), ==, "");
  g_assert_true (set_pins (dialog, "4711", "4711"));
  g_assert_cmpstr (set_pin_hint (dialog), ==, "The PINs match.");
  g_assert_true (set_pins (dialog, "\xc3\xa4\xc3\xb6\xc3\xbc\xc3\x9f",
                           "\xc3\xa4\xc3\xb6\xc3\xbc\xc3\x9f"));

  /* Cancel: nothing starts, nothing to show, and the PIN is gone from the entries. */
  adw_message_dialog_response (dialog, "cancel");
  g_assert_cmpstr (gtk_editable_get_text (GTK_EDITABLE (gtk_widget_get_first_child
                                                        (adw_message_dialog_get_extra_child
                                                         (dialog)))), ==, "");
  gtk_window_destroy (GTK_WINDOW (dialog));
  while (g_main_context_iteration (NULL, FALSE))
    ;
  g_assert_false (kt_mfa_controller_get_busy (controller));
  g_assert_null (kt_mfa_controller_get_error (controller));
  g_assert_true (can_press (page, "Register Security Key"));

  finish (page, controller);
}

static void
test_pin_dialog_counts_attempts (void)
{
  struct {
    KtWebauthnState  state;
    int              retries;
    const char      *says;
  } cases[] = {
    { KT_WEBAUTHN_STATE_PIN_NEEDED, -1, "The key asks for its PIN to go on." },
    { KT_WEBAUTHN_STATE_PIN_NEEDED, 8, "The key asks for its PIN to go on." },
    { KT_WEBAUTHN_STATE_PIN_NEEDED, 4, "The key asks for its PIN to go on." },
    { KT_WEBAUTHN_STATE_PIN_NEEDED, 3, "3 attempts left before the key locks." },
    { KT_WEBAUTHN_STATE_WRONG_PIN, 7, "That PIN is not right. Try again." },
    { KT_WEBAUTHN_STATE_WRONG_PIN, -1, "That PIN is not right. Try again." },
    { KT_WEBAUTHN_STATE_WRONG_PIN, 2,
      "That PIN is not right. 2 attempts left before the key locks." },
    { KT_WEBAUTHN_STATE_WRONG_PIN, 1,
      "That PIN is not right. 1 attempt left before the key locks." },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *says = kt_pin_dialog_describe (cases[i].state, cases[i].retries);

      g_assert_cmpstr (says, ==, cases[i].says);
    }
}

/* The focused widget is @widget or inside it (an entry focuses its text). */
static gboolean
has_focus_within (GtkWindow *window,
                  GtkWidget *widget)
{
  GtkWidget *focus = gtk_window_get_focus (window);

  return focus != NULL && (focus == widget || gtk_widget_is_ancestor (focus, widget));
}

static void
test_window_asks_for_pin (void)
{
  KtMfaController *controller = create_controller ();
  KtWindow *window = g_object_new (KT_TYPE_WINDOW, "controller", controller, NULL);
  AdwMessageDialog *dialog;
  GtkEditable *entry;

  gtk_window_present (GTK_WINDOW (window));
  g_signal_emit_by_name (controller, "pin-requested", 2);
  dialog = kt_test_find_message_dialog ();
  g_assert_nonnull (dialog);
  g_assert_true (gtk_window_get_transient_for (GTK_WINDOW (dialog)) == GTK_WINDOW (window));
  g_assert_cmpstr (adw_message_dialog_get_heading (dialog), ==, "Enter Your Security Key's PIN");
  g_assert_cmpstr (adw_message_dialog_get_body (dialog), ==,
                   "2 attempts left before the key locks.");

  /* The keyboard goes to the PIN, not to a button. */
  entry = kt_pin_dialog_get_entry (dialog);
  g_assert_true (GTK_IS_PASSWORD_ENTRY (entry));
  g_assert_true (has_focus_within (GTK_WINDOW (dialog), GTK_WIDGET (entry)));

  /* A new request replaces the dialog rather than stacking a second one. */
  g_signal_emit_by_name (controller, "pin-requested", -1);
  while (g_main_context_iteration (NULL, FALSE))
    ;
  dialog = kt_test_find_message_dialog ();
  g_assert_nonnull (dialog);
  g_assert_cmpstr (adw_message_dialog_get_body (dialog), ==, "The key asks for its PIN to go on.");

  /* The key stops waiting (here: no ceremony at all): the dialog goes with it. */
  g_object_notify (G_OBJECT (controller), "authenticator-state");
  while (g_main_context_iteration (NULL, FALSE))
    ;
  g_assert_null (kt_test_find_message_dialog ());

  /* Cancel: the PIN typed so far does not stay in the entry. */
  g_signal_emit_by_name (controller, "pin-requested", -1);
  dialog = kt_test_find_message_dialog ();
  g_assert_nonnull (dialog);
  entry = kt_pin_dialog_get_entry (dialog);
  gtk_editable_set_text (entry, "4711");
  /* What GTK holds, and GTK 4.8 gives any client of the accessibility bus, is bullets; the PIN is
   * kept apart, and only shown, on screen and on the bus, while the peek toggle shows it. */
  g_assert_cmpstr (gtk_editable_get_text (entry), ==, "\u2022\u2022\u2022\u2022");
  g_assert_cmpstr (kt_pin_buffer_get_pin (entry), ==, "4711");
  gtk_text_set_visibility (GTK_TEXT (gtk_editable_get_delegate (entry)), TRUE);
  g_assert_cmpstr (gtk_editable_get_text (entry), ==, "4711");
  gtk_text_set_visibility (GTK_TEXT (gtk_editable_get_delegate (entry)), FALSE);
  gtk_editable_delete_text (entry, 1, 2);
  g_assert_cmpstr (kt_pin_buffer_get_pin (entry), ==, "411");
  g_assert_cmpstr (gtk_editable_get_text (entry), ==, "\u2022\u2022\u2022");
  adw_message_dialog_response (dialog, "cancel");
  g_assert_cmpstr (gtk_editable_get_text (entry), ==, "");
  g_assert_cmpstr (kt_pin_buffer_get_pin (entry), ==, "");
  gtk_window_destroy (GTK_WINDOW (dialog));
  while (g_main_context_iteration (NULL, FALSE))
    ;
  g_assert_null (kt_test_find_message_dialog ());
  g_assert_false (kt_mfa_controller_get_busy (controller));

  gtk_window_destroy (GTK_WINDOW (window));
  g_assert_finalize_object (controller);
}

static void
test_window_without_configuration (void)
{
  KtMfaController *controller = create_controller ();
  KtWindow *window = g_object_new (KT_TYPE_WINDOW, NULL);

  /* The one visible page says how to configure Keyturn. */
  g_assert_nonnull (kt_test_find_button (GTK_WIDGET (window), "Open Preferences"));
  g_assert_null (kt_test_find_button (GTK_WIDGET (window), "Send Code"));

  kt_window_set_controller (window, controller);
  g_assert_true (kt_window_get_controller (window) == controller);
  /* A new controller starts by looking for a kept session; no page but that one is shown. */
  g_assert_null (kt_test_find_button (GTK_WIDGET (window), "Open Preferences"));

  kt_window_set_controller (window, NULL);
  g_assert_nonnull (kt_test_find_button (GTK_WIDGET (window), "Open Preferences"));

  gtk_window_destroy (GTK_WINDOW (window));
  g_assert_finalize_object (controller);
}

static void
test_window_toast (void)
{
  KtWindow *window = g_object_new (KT_TYPE_WINDOW, NULL);
  const char *message = "Security key renamed to “A key with a name long enough to need a second "
                        "line in a narrow window”";
  GtkLabel *label;
  gint64 deadline;

  gtk_window_set_default_size (GTK_WINDOW (window), 360, 600);
  gtk_window_present (GTK_WINDOW (window));
  g_assert_null (kt_test_find_label (GTK_WIDGET (window), message));

  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "win.toast", "s", message));
  /* The toast comes with the next frames; a slow machine (or a sanitizer) takes a while. */
  deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;
  while ((label = kt_test_find_label (GTK_WIDGET (window), message)) == NULL
         || !gtk_widget_get_mapped (GTK_WIDGET (label)))
    {
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      if (!g_main_context_iteration (NULL, FALSE))
        g_usleep (10 * 1000);
    }

  /* On screen, and an alert for a screen reader, with the whole message: it wraps rather than
   * being cut short. */
  g_assert_nonnull (label);
  g_assert_true (gtk_widget_get_mapped (GTK_WIDGET (label)));
  g_assert_cmpint (gtk_accessible_get_accessible_role (GTK_ACCESSIBLE (label)), ==,
                   GTK_ACCESSIBLE_ROLE_ALERT);
  g_assert_true (gtk_label_get_wrap (label));
  g_assert_cmpint (gtk_label_get_ellipsize (label), ==, PANGO_ELLIPSIZE_NONE);

  gtk_window_destroy (GTK_WINDOW (window));
}

static gboolean
is_entry_row (GtkWidget     *widget,
              gconstpointer  title)
{
  return ADW_IS_ENTRY_ROW (widget)
         && g_strcmp0 (adw_preferences_row_get_title (ADW_PREFERENCES_ROW (widget)), title) == 0;
}

static AdwEntryRow *
find_entry_row (GtkWidget  *root,
                const char *title)
{
  return ADW_ENTRY_ROW (kt_test_find (root, is_entry_row, title));
}

static void
test_preferences_edit_settings (void)
{
  g_autoptr(GSettings) settings = g_settings_new (KT_APP_ID);
  KtPreferencesWindow *window;
  AdwEntryRow *row;
  g_autofree char *base_url = NULL;

  g_settings_set_string (settings, "environment-id", TEST_ENVIRONMENT_ID);
  window = kt_preferences_window_new (settings, NULL);

  row = find_entry_row (GTK_WIDGET (window), "Environment ID");
  g_assert_nonnull (row);
  g_assert_cmpstr (gtk_editable_get_text (GTK_EDITABLE (row)), ==, TEST_ENVIRONMENT_ID);

  row = find_entry_row (GTK_WIDGET (window), "API Base URL");
  g_assert_nonnull (row);
  gtk_editable_set_text (GTK_EDITABLE (row), "https://app.dynamicauth.com/api/v0");
  base_url = g_settings_get_string (settings, "api-base-url");
  g_assert_cmpstr (base_url, ==, "https://app.dynamicauth.com/api/v0");

  g_assert_nonnull (find_entry_row (GTK_WIDGET (window), "Origin"));
  g_assert_nonnull (find_entry_row (GTK_WIDGET (window), "Software Key Socket"));

  /* Without a grant store there is no list of apps to show. */
  g_assert_null (kt_test_find_label (GTK_WIDGET (window), "Apps That May Use Your Sign-In"));

  gtk_window_destroy (GTK_WINDOW (window));
}

#define WALLET    "org.example.Wallet"
#define HOST_TOOL "/usr/bin/wallet-cli"

/* Nothing under keyturn/sign-in in the permission store: no app allowed yet. */
static void
clear_grants (void)
{
  g_autoptr(GDBusConnection) bus = g_bus_get_sync (G_BUS_TYPE_SESSION, NULL, NULL);
  g_autoptr(GVariant) reply = NULL;

  g_assert_nonnull (bus);
  reply = g_dbus_connection_call_sync (bus, "org.freedesktop.impl.portal.PermissionStore",
                                       "/org/freedesktop/impl/portal/PermissionStore",
                                       "org.freedesktop.impl.portal.PermissionStore", "Delete",
                                       g_variant_new ("(ss)", KT_GRANT_STORE_TABLE,
                                                      KT_GRANT_STORE_ID),
                                       NULL, G_DBUS_CALL_FLAGS_NONE, -1, NULL, NULL);
}

/* A grant store on the session bus, loaded from its permission store. */
static KtGrantStore *
create_grant_store (GSettings *settings)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GDBusConnection) bus = g_bus_get_sync (G_BUS_TYPE_SESSION, NULL, &error);
  KtGrantStore *grants;
  GAsyncResult *result = NULL;

  g_assert_no_error (error);
  grants = kt_grant_store_new (bus, settings);
  kt_grant_store_load_async (grants, NULL, kt_test_async_done, &result);
  g_assert_true (kt_grant_store_load_finish (grants, kt_test_async_wait (&result, 0), &error));
  g_assert_no_error (error);
  g_assert_true (kt_grant_store_uses_permission_store (grants));
  g_object_unref (result);
  return grants;
}

static void
grant (KtGrantStore *grants,
       const char   *caller_id,
       gboolean      allowed)
{
  g_autoptr(GError) error = NULL;
  GAsyncResult *result = NULL;

  if (allowed)
    kt_grant_store_allow_async (grants, caller_id, NULL, kt_test_async_done, &result);
  else
    kt_grant_store_revoke_async (grants, caller_id, NULL, kt_test_async_done, &result);
  kt_test_async_wait (&result, 0);
  g_assert_true (allowed ? kt_grant_store_allow_finish (grants, result, &error)
                         : kt_grant_store_revoke_finish (grants, result, &error));
  g_assert_no_error (error);
  g_object_unref (result);
}

static gboolean
is_revoke_button (GtkWidget     *widget,
                  gconstpointer  data)
{
  GtkWidget *label = GTK_IS_BUTTON (widget) ? gtk_button_get_child (GTK_BUTTON (widget)) : NULL;

  return GTK_IS_LABEL (label) && g_strcmp0 (gtk_label_get_text (GTK_LABEL (label)), "Revoke") == 0;
}

static guint
count_revoke_buttons (GtkWidget *root)
{
  guint count = 0;

  for (GtkWidget *child = gtk_widget_get_first_child (root);
       child != NULL;
       child = gtk_widget_get_next_sibling (child))
    if (gtk_widget_get_visible (child))
      count += is_revoke_button (child, NULL) ? 1 : count_revoke_buttons (child);
  return count;
}

/* Runs the main loop until the window shows @count Revoke buttons; fails after 10 s. */
static void
wait_for_revoke_buttons (GtkWidget *window,
                         guint      count)
{
  gint64 deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;

  while (count_revoke_buttons (window) != count)
    {
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      if (!g_main_context_iteration (NULL, FALSE))
        g_usleep (10 * 1000);
    }
}

/* The Revoke button in the row whose title reads @title. */
static GtkWidget *
find_revoke_button (GtkWidget  *root,
                    const char *title)
{
  GtkLabel *label = kt_test_find_label (root, title);
  GtkWidget *row;

  g_assert_nonnull (label);
  row = gtk_widget_get_ancestor (GTK_WIDGET (label), ADW_TYPE_ACTION_ROW);
  g_assert_nonnull (row);
  return kt_test_find (row, is_revoke_button, NULL);
}

static void
test_preferences_allowed_apps (void)
{
  g_autoptr(GSettings) settings = g_settings_new (KT_APP_ID);
  KtGrantStore *grants;
  g_autoptr(KtGrantStore) other = NULL;
  KtPreferencesWindow *window;
  GtkWidget *button;

  clear_grants ();
  grants = create_grant_store (settings);
  other = create_grant_store (settings);

  /* Two apps allowed: a Flatpak app (no desktop file here: it shows by its id) and a program. */
  grant (grants, WALLET, TRUE);
  grant (grants, HOST_TOOL, TRUE);
  window = kt_preferences_window_new (settings, grants);
  gtk_window_present (GTK_WINDOW (window));

  g_assert_nonnull (kt_test_find_label (GTK_WIDGET (window), "Apps That May Use Your Sign-In"));
  g_assert_cmpuint (count_revoke_buttons (GTK_WIDGET (window)), ==, 2);
  g_assert_null (kt_test_find_label (GTK_WIDGET (window), "No apps allowed"));
  g_assert_nonnull (kt_test_find_label (GTK_WIDGET (window), WALLET));
  g_assert_nonnull (kt_test_find_label (GTK_WIDGET (window), "wallet-cli"));
  g_assert_nonnull (kt_test_find_label (GTK_WIDGET (window), HOST_TOOL));

  /* Each button says whose access it revokes, to a screen reader and in its tooltip. */
  button = find_revoke_button (GTK_WIDGET (window), "wallet-cli");
  g_assert_nonnull (button);
  gtk_test_accessible_assert_property (GTK_ACCESSIBLE (button), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                       "Revoke access for wallet-cli");
  g_assert_cmpstr (gtk_widget_get_tooltip_text (button), ==, "Revoke access for wallet-cli");
  gtk_test_accessible_assert_property (GTK_ACCESSIBLE (find_revoke_button (GTK_WIDGET (window),
                                                                           WALLET)),
                                       GTK_ACCESSIBLE_PROPERTY_LABEL,
                                       "Revoke access for " WALLET);

  /* Revoke: gone from the permission store (another client no longer sees it) and the list. */
  gtk_widget_grab_focus (button);
  g_signal_emit_by_name (button, "clicked");
  wait_for_revoke_buttons (GTK_WIDGET (window), 1);
  g_assert_null (kt_test_find_label (GTK_WIDGET (window), "wallet-cli"));
  g_assert_nonnull (kt_test_find_label (GTK_WIDGET (window), WALLET));
  g_assert_false (kt_grant_store_is_allowed (grants, HOST_TOOL));
  g_assert_false (kt_grant_store_is_allowed (other, HOST_TOOL));
  g_assert_true (kt_grant_store_is_allowed (other, WALLET));
  /* The keyboard stays in the list: on the Revoke button that took the row's place. */
  g_assert_true (gtk_window_get_focus (GTK_WINDOW (window))
                 == find_revoke_button (GTK_WIDGET (window), WALLET));

  /* Revoked elsewhere: the window follows, down to saying that no app is left. */
  grant (other, WALLET, FALSE);
  wait_for_revoke_buttons (GTK_WIDGET (window), 0);
  g_assert_nonnull (kt_test_find_label (GTK_WIDGET (window), "No apps allowed"));
  g_assert_true (gtk_window_get_focus (GTK_WINDOW (window))
                 == gtk_widget_get_ancestor (GTK_WIDGET (kt_test_find_label (GTK_WIDGET (window),
                                                                             "No apps allowed")),
                                             ADW_TYPE_ACTION_ROW));

  /* Allowed elsewhere: listed again. */
  grant (other, HOST_TOOL, TRUE);
  wait_for_revoke_buttons (GTK_WIDGET (window), 1);
  g_assert_nonnull (kt_test_find_label (GTK_WIDGET (window), "wallet-cli"));
  g_assert_null (kt_test_find_label (GTK_WIDGET (window), "No apps allowed"));
  grant (other, HOST_TOOL, FALSE);

  gtk_window_destroy (GTK_WINDOW (window));
  g_assert_finalize_object (grants);
}

static gboolean
label_starts_with (GtkWidget     *widget,
                   gconstpointer  prefix)
{
  return GTK_IS_LABEL (widget) && g_str_has_prefix (gtk_label_get_text (GTK_LABEL (widget)), prefix);
}

static void
test_preferences_revoke_fails (void)
{
  g_autoptr(GSettings) settings = g_settings_new (KT_APP_ID);
  g_autoptr(GError) error = NULL;
  g_autoptr(GDBusConnection) bus = NULL;
  KtGrantStore *grants;
  KtPreferencesWindow *window;
  GAsyncResult *result = NULL;
  GtkLabel *message = NULL;
  gint64 deadline;

  /* A connection of the store's own, which goes away before it can revoke. */
  clear_grants ();
  bus = kt_test_bus_new_connection ();
  grants = kt_grant_store_new (bus, settings);
  kt_grant_store_load_async (grants, NULL, kt_test_async_done, &result);
  g_assert_true (kt_grant_store_load_finish (grants, kt_test_async_wait (&result, 0), &error));
  g_clear_object (&result);
  grant (grants, HOST_TOOL, TRUE);
  window = kt_preferences_window_new (settings, grants);
  gtk_window_present (GTK_WINDOW (window));
  g_assert_cmpuint (count_revoke_buttons (GTK_WIDGET (window)), ==, 1);

  g_assert_true (g_dbus_connection_close_sync (bus, NULL, &error));
  g_assert_no_error (error);
  g_signal_emit_by_name (find_revoke_button (GTK_WIDGET (window), "wallet-cli"), "clicked");

  /* Said, as plain text and as an alert; the app stays listed. */
  deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;
  while ((message = GTK_LABEL (kt_test_find (GTK_WIDGET (window), label_starts_with,
                                             "Access for wallet-cli could not be revoked: ")))
         == NULL)
    {
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      if (!g_main_context_iteration (NULL, FALSE))
        g_usleep (10 * 1000);
    }
  g_assert_false (gtk_label_get_use_markup (message));
  g_assert_cmpint (gtk_accessible_get_accessible_role (GTK_ACCESSIBLE (message)), ==,
                   GTK_ACCESSIBLE_ROLE_ALERT);
  g_assert_true (kt_grant_store_is_allowed (grants, HOST_TOOL));
  g_assert_cmpuint (count_revoke_buttons (GTK_WIDGET (window)), ==, 1);

  gtk_window_destroy (GTK_WINDOW (window));
  g_assert_finalize_object (grants);
}

int
main (int   argc,
      char *argv[])
{
  gtk_test_init (&argc, &argv, NULL);
  adw_init ();

  g_test_add_func ("/pages/sign-in/needs-an-address", test_sign_in_needs_an_address);
  g_test_add_func ("/pages/code/keeps-pasted-digits", test_code_keeps_pasted_digits);
  g_test_add_func ("/pages/recovery-code/needs-a-code", test_recovery_code_needs_a_code);
  g_test_add_func ("/pages/recovery-codes/wait-for-confirmation",
                   test_recovery_codes_wait_for_confirmation);
  g_test_add_func ("/pages/register/names-the-key", test_register_names_the_key);
  g_test_add_func ("/pages/register/set-pin-dialog", test_set_pin_dialog);
  g_test_add_func ("/pin-dialog/counts-attempts", test_pin_dialog_counts_attempts);
  g_test_add_func ("/window/asks-for-pin", test_window_asks_for_pin);
  g_test_add_func ("/window/without-configuration", test_window_without_configuration);
  g_test_add_func ("/window/toast", test_window_toast);
  g_test_add_func ("/preferences/edit-settings", test_preferences_edit_settings);
  g_test_add_func ("/preferences/allowed-apps", test_preferences_allowed_apps);
  g_test_add_func ("/preferences/revoke-fails", test_preferences_revoke_fails);

  return g_test_run ();
}
