/* kt-window.c: the main window, one page per step of the sign-in flow
 *
 * Copyright 2026 Keyturn developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <glib/gi18n.h>

#include "kt-account-page.h"
#include "kt-authenticate-page.h"
#include "kt-code-page.h"
#include "kt-flow-page.h"
#include "kt-pin-dialog.h"
#include "kt-recovery-code-page.h"
#include "kt-recovery-codes-page.h"
#include "kt-register-page.h"
#include "kt-sign-in-page.h"
#include "kt-software-key-bar.h"
#include "kt-window.h"

struct _KtWindow
{
  AdwApplicationWindow  parent_instance;

  /* Template widgets */
  GtkStack             *stack;
  AdwStatusPage        *unconfigured_page;
  GtkLabel             *configuration_error_label;
  KtSoftwareKeyBar     *software_key_bar;
  AdwToastOverlay      *toast_overlay;
  GtkLabel             *notice_label;

  /* Owned */
  KtMfaController      *controller;
  GSignalGroup         *controller_signals;
  AdwMessageDialog     *pin_dialog;
  gboolean              handles_pin_requests;
};

G_DEFINE_FINAL_TYPE (KtWindow, kt_window, ADW_TYPE_APPLICATION_WINDOW)

enum {
  PROP_0,
  PROP_CONTROLLER,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

/* The flow's pages are built the first time their step comes, not with the window: a window
 * opens with only the page it shows, so that start-up pays for what the first frame draws. */
static const struct {
  KtMfaStep    step;
  const char  *name;
  GType      (*get_type) (void);   /* NULL for the pages in the window's template */
} step_pages[] = {
  { KT_MFA_STEP_STARTING, "starting", NULL },
  { KT_MFA_STEP_SIGNED_OUT, "sign-in", kt_sign_in_page_get_type },
  { KT_MFA_STEP_CODE_SENT, "code", kt_code_page_get_type },
  { KT_MFA_STEP_REGISTER_PASSKEY, "register", kt_register_page_get_type },
  { KT_MFA_STEP_AUTHENTICATE_PASSKEY, "authenticate", kt_authenticate_page_get_type },
  { KT_MFA_STEP_USE_RECOVERY_CODE, "recovery-code", kt_recovery_code_page_get_type },
  { KT_MFA_STEP_RECOVERY_CODES, "recovery-codes", kt_recovery_codes_page_get_type },
  { KT_MFA_STEP_SIGNED_IN, "account", kt_account_page_get_type },
};

/* The page for @step, built and bound to the window's controller if it is not there yet. */
static GtkWidget *
ensure_page_for_step (KtWindow  *self,
                      KtMfaStep  step)
{
  for (guint i = 0; i < G_N_ELEMENTS (step_pages); i++)
    {
      GtkWidget *page;

      if (step_pages[i].step != step)
        continue;
      page = gtk_stack_get_child_by_name (self->stack, step_pages[i].name);
      if (page != NULL || step_pages[i].get_type == NULL)
        return page;
      page = g_object_new (step_pages[i].get_type (), NULL);
      kt_flow_page_set_controller (KT_FLOW_PAGE (page), self->controller);
      gtk_stack_add_named (self->stack, page, step_pages[i].name);
      return page;
    }
  g_return_val_if_reached (gtk_stack_get_child_by_name (self->stack, "starting"));
}

static void
show_step (KtWindow *self)
{
  GtkWidget *page;
  gboolean changed;

  if (self->controller == NULL)
    page = gtk_stack_get_child_by_name (self->stack, "unconfigured");
  else
    page = ensure_page_for_step (self, kt_mfa_controller_get_step (self->controller));

  changed = gtk_stack_get_visible_child (self->stack) != page;

  /* Only the page on screen is visible: the others would otherwise stay in the accessibility
   * tree, where a screen reader cannot tell them from the one that is shown. */
  gtk_widget_set_visible (page, TRUE);
  gtk_stack_set_visible_child (self->stack, page);
  for (GtkWidget *child = gtk_widget_get_first_child (GTK_WIDGET (self->stack));
       child != NULL;
       child = gtk_widget_get_next_sibling (child))
    if (child != page)
      gtk_widget_set_visible (child, FALSE);

  /* Each page puts the focus on its first field. */
  if (changed)
    gtk_widget_grab_focus (page);
}

static void
on_pin_requested (KtWindow *self,
                  int       retries)
{
  if (!self->handles_pin_requests)
    return;
  kt_pin_dialog_present_for (GTK_WINDOW (self), self->controller, retries, &self->pin_dialog);
}

static void
on_authenticator_state (KtWindow *self)
{
  if (self->pin_dialog != NULL && self->controller != NULL)
    kt_pin_dialog_close_if_unwanted (self->pin_dialog, self->controller);
}

static void
cancel_action (GtkWidget  *widget,
               const char *action_name,
               GVariant   *parameter)
{
  KtWindow *self = KT_WINDOW (widget);

  if (self->controller != NULL && kt_mfa_controller_get_busy (self->controller))
    kt_mfa_controller_cancel (self->controller);
}

/* The shortcuts window is built when asked for and destroyed when closed. GtkApplication's own
 * help overlay would be a hidden window that lives as long as this one; GTK 4.8 answers an
 * accessibility client that asks for one window more than there are (as a screen reader can
 * when a dialog has just closed) with the last window it has, and for a window never shown
 * that answer is not a valid object path: a critical warning and a broken reply. */
static void
show_shortcuts_action (GtkWidget  *widget,
                       const char *action_name,
                       GVariant   *parameter)
{
  g_autoptr(GtkBuilder) builder =
    gtk_builder_new_from_resource ("/io/github/keyturn/Keyturn/kt-shortcuts-window.ui");
  GtkWindow *shortcuts = GTK_WINDOW (gtk_builder_get_object (builder, "help_overlay"));

  gtk_window_set_transient_for (shortcuts, GTK_WINDOW (widget));
  gtk_window_present (shortcuts);
}

/* libadwaita 1.2 gives a toast's close button an icon and no name: it is named here. */
static void
name_close_buttons (GtkWidget *widget)
{
  if (GTK_IS_BUTTON (widget)
      && g_strcmp0 (gtk_button_get_icon_name (GTK_BUTTON (widget)), "window-close-symbolic") == 0)
    gtk_accessible_update_property (GTK_ACCESSIBLE (widget),
                                    GTK_ACCESSIBLE_PROPERTY_LABEL, _("Close"),
                                    -1);
  for (GtkWidget *child = gtk_widget_get_first_child (widget);
       child != NULL;
       child = gtk_widget_get_next_sibling (child))
    name_close_buttons (child);
}

/* Room a toast leaves for its text: its margins, padding and close button take the rest. */
#define TOAST_CHROME_WIDTH 140

/* win.toast: a passing event, shown briefly at the foot of the window. The title is a label
 * of Keyturn's own rather than the toast's built-in one, for two reasons: the built-in one keeps
 * to one line and cuts a long message short in a narrow window or at large text sizes; and
 * libadwaita 1.2 gives a toast no accessible role, so without an alert a screen reader would
 * not know the message is there.
 *
 * libadwaita 1.2 sizes a toast by its natural width and the height that goes with it, so a label
 * that may wrap must not ask for more width than the window has: its widest line is limited to
 * what fits, in characters of the font in use. */
static void
toast_action (GtkWidget  *widget,
              const char *action_name,
              GVariant   *parameter)
{
  KtWindow *self = KT_WINDOW (widget);
  const char *message = g_variant_get_string (parameter, NULL);
  g_autoptr(AdwToast) toast = adw_toast_new (message);
  GtkWidget *title = g_object_new (GTK_TYPE_LABEL,
                                   "label", message,
                                   "accessible-role", GTK_ACCESSIBLE_ROLE_ALERT,
                                   "wrap", TRUE,
                                   "wrap-mode", PANGO_WRAP_WORD_CHAR,
                                   "xalign", 0.0f,
                                   NULL);
  PangoFontMetrics *metrics = pango_context_get_metrics (gtk_widget_get_pango_context (widget),
                                                         NULL, NULL);
  /* The title is bold, a little wider than the window's text. */
  int char_width = MAX (1, PANGO_PIXELS (pango_font_metrics_get_approximate_char_width (metrics)
                                         * 11 / 10));
  int room = gtk_widget_get_width (widget) - TOAST_CHROME_WIDTH;

  pango_font_metrics_unref (metrics);
  gtk_widget_add_css_class (title, "heading");
  if (room > 0)
    gtk_label_set_max_width_chars (GTK_LABEL (title), MAX (8, room / char_width));
  adw_toast_set_custom_title (toast, title);
  /* Shown at once, ahead of any other, so that its close button is there to be named; and
   * said at once, as the alert's own name change reaches no screen reader (see
   * kt_flow_page_announce()). */
  adw_toast_set_priority (toast, ADW_TOAST_PRIORITY_HIGH);
  adw_toast_overlay_add_toast (self->toast_overlay, g_steal_pointer (&toast));
  name_close_buttons (GTK_WIDGET (self->toast_overlay));
  kt_flow_page_announce (widget, message);
}

static void
kt_window_dispose (GObject *object)
{
  KtWindow *self = KT_WINDOW (object);

  kt_pin_dialog_clear (&self->pin_dialog);
  if (self->controller != NULL)
    kt_mfa_controller_cancel (self->controller);
  g_clear_object (&self->controller_signals);
  g_clear_object (&self->controller);

  G_OBJECT_CLASS (kt_window_parent_class)->dispose (object);
}

static void
kt_window_get_property (GObject    *object,
                        guint       prop_id,
                        GValue     *value,
                        GParamSpec *pspec)
{
  KtWindow *self = KT_WINDOW (object);

  switch (prop_id)
    {
    case PROP_CONTROLLER:
      g_value_set_object (value, self->controller);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
kt_window_set_property (GObject      *object,
                        guint         prop_id,
                        const GValue *value,
                        GParamSpec   *pspec)
{
  KtWindow *self = KT_WINDOW (object);

  switch (prop_id)
    {
    case PROP_CONTROLLER:
      kt_window_set_controller (self, g_value_get_object (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
kt_window_class_init (KtWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = kt_window_dispose;
  object_class->get_property = kt_window_get_property;
  object_class->set_property = kt_window_set_property;

  properties[PROP_CONTROLLER] =
    g_param_spec_object ("controller", NULL, NULL, KT_TYPE_MFA_CONTROLLER,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  g_type_ensure (KT_TYPE_SOFTWARE_KEY_BAR);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/keyturn/Keyturn/kt-window.ui");
  gtk_widget_class_bind_template_child (widget_class, KtWindow, stack);
  gtk_widget_class_bind_template_child (widget_class, KtWindow, unconfigured_page);
  gtk_widget_class_bind_template_child (widget_class, KtWindow, configuration_error_label);
  gtk_widget_class_bind_template_child (widget_class, KtWindow, software_key_bar);
  gtk_widget_class_bind_template_child (widget_class, KtWindow, toast_overlay);
  gtk_widget_class_bind_template_child (widget_class, KtWindow, notice_label);

  gtk_widget_class_install_action (widget_class, "win.cancel", NULL, cancel_action);
  gtk_widget_class_install_action (widget_class, "win.show-help-overlay", NULL,
                                   show_shortcuts_action);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_question, GDK_CONTROL_MASK,
                                       "win.show-help-overlay", NULL);
  gtk_widget_class_install_action (widget_class, "win.toast", "s", toast_action);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "win.cancel", NULL);
}

static void
kt_window_init (KtWindow *self)
{
  self->handles_pin_requests = TRUE;
  self->controller_signals = g_signal_group_new (KT_TYPE_MFA_CONTROLLER);
  g_signal_group_connect_swapped (self->controller_signals, "notify::step",
                                  G_CALLBACK (show_step), self);
  g_signal_group_connect_swapped (self->controller_signals, "notify::authenticator-state",
                                  G_CALLBACK (on_authenticator_state), self);
  g_signal_group_connect_swapped (self->controller_signals, "pin-requested",
                                  G_CALLBACK (on_pin_requested), self);

  gtk_widget_init_template (GTK_WIDGET (self));
  show_step (self);
}

KtWindow *
kt_window_new (GtkApplication *application)
{
  return g_object_new (KT_TYPE_WINDOW, "application", application, NULL);
}

KtMfaController *
kt_window_get_controller (KtWindow *self)
{
  g_return_val_if_fail (KT_IS_WINDOW (self), NULL);

  return self->controller;
}

void
kt_window_set_controller (KtWindow        *self,
                          KtMfaController *controller)
{
  g_return_if_fail (KT_IS_WINDOW (self));
  g_return_if_fail (controller == NULL || KT_IS_MFA_CONTROLLER (controller));

  if (self->controller == controller)
    return;
  if (self->controller != NULL)
    kt_mfa_controller_cancel (self->controller);
  if (self->pin_dialog != NULL)
    kt_pin_dialog_destroy (self->pin_dialog);

  g_set_object (&self->controller, controller);
  g_signal_group_set_target (self->controller_signals, controller);
  /* The pages built so far follow; the others are given it when they are built. */
  for (GtkWidget *child = gtk_widget_get_first_child (GTK_WIDGET (self->stack));
       child != NULL;
       child = gtk_widget_get_next_sibling (child))
    if (KT_IS_FLOW_PAGE (child))
      kt_flow_page_set_controller (KT_FLOW_PAGE (child), controller);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CONTROLLER]);
  show_step (self);
}

/* The configuration error and the notice are each a line shown only while there is one. */
static void
show_message (GtkLabel   *label,
              const char *message)
{
  gtk_label_set_text (label, message != NULL ? message : "");
  gtk_widget_set_visible (GTK_WIDGET (label), message != NULL);
}

void
kt_window_set_configuration_error (KtWindow   *self,
                                   const char *message)
{
  g_return_if_fail (KT_IS_WINDOW (self));

  show_message (self->configuration_error_label, message);
}

void
kt_window_set_software_key_socket (KtWindow   *self,
                                   const char *socket_path)
{
  g_return_if_fail (KT_IS_WINDOW (self));

  kt_software_key_bar_set_socket_path (self->software_key_bar, socket_path);
}

void
kt_window_set_handles_pin_requests (KtWindow *self,
                                    gboolean  handles)
{
  g_return_if_fail (KT_IS_WINDOW (self));

  self->handles_pin_requests = handles;
  if (!handles && self->pin_dialog != NULL)
    kt_pin_dialog_destroy (self->pin_dialog);
}

void
kt_window_set_notice (KtWindow   *self,
                      const char *message)
{
  g_return_if_fail (KT_IS_WINDOW (self));

  show_message (self->notice_label, message);
}
