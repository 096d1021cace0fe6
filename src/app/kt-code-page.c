/* kt-code-page.c: the six-digit code sent by email
 *
 * Copyright 2026 Keyturn developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <glib/gi18n.h>
#include <string.h>

#include "kt-code-page.h"
#include "kt-flow-status.h"
#include "kt-mfa-controller.h"
#include "kt-window.h"

struct _KtCodePage
{
  AdwBin           parent_instance;

  /* Template widgets */
  GtkLabel         *description_label;
  GtkEntry         *code_entry;
  GtkLabel         *countdown_label;

  /* Owned */
  KtMfaController *controller;
  GSignalGroup    *controller_signals;
  guint            countdown_source;
};

G_DEFINE_FINAL_TYPE (KtCodePage, kt_code_page, ADW_TYPE_BIN)

enum {
  PROP_0,
  PROP_CONTROLLER,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void update_code_page (KtCodePage *self);

#define CODE_LENGTH 6

static gboolean
is_idle (KtCodePage *self)
{
  return self->controller != NULL && !kt_mfa_controller_get_busy (self->controller);
}

static gint64
seconds_until_resend (KtCodePage *self)
{
  gint64 available_at;

  if (self->controller == NULL)
    return 0;
  /* The controller knows the usual wait and any longer one the server asked for. */
  available_at = kt_mfa_controller_get_resend_available_at (self->controller);
  if (available_at == 0)
    return 0;
  return MAX (0, available_at - g_get_real_time () / G_USEC_PER_SEC);
}

static gboolean
on_countdown_tick (gpointer user_data)
{
  KtCodePage *self = user_data;

  update_code_page (self);
  if (seconds_until_resend (self) > 0)
    return G_SOURCE_CONTINUE;
  self->countdown_source = 0;
  return G_SOURCE_REMOVE;
}

static void
update_code_page (KtCodePage *self)
{
  const char *code = gtk_editable_get_text (GTK_EDITABLE (self->code_entry));
  gint64 wait = seconds_until_resend (self);
  const char *email = NULL;

  if (self->controller != NULL)
    email = kt_mfa_controller_get_email (self->controller);
  if (email != NULL)
    {
      g_autofree char *text = g_strdup_printf (_("A 6-digit code was sent to %s. It may take a "
                                                 "minute to arrive."), email);
      gtk_label_set_text (self->description_label, text);
    }
  else
    gtk_label_set_text (self->description_label, _("A 6-digit code was sent to your email."));

  gtk_widget_action_set_enabled (GTK_WIDGET (self), "code.verify",
                                 is_idle (self) && strlen (code) == CODE_LENGTH);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "code.resend", is_idle (self) && wait == 0);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "code.start-over", is_idle (self));

  if (wait > 0)
    {
      g_autofree char *text = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                                            "You can ask for a new code in %d second.",
                                                            "You can ask for a new code in %d seconds.",
                                                            (gulong) wait),
                                               (int) wait);
      gtk_label_set_text (self->countdown_label, text);
      if (self->countdown_source == 0)
        self->countdown_source = g_timeout_add_seconds (1, on_countdown_tick, self);
    }
  gtk_widget_set_visible (GTK_WIDGET (self->countdown_label), wait > 0);
}

/* A pasted "123 456" or "123-456" becomes the six digits it holds. */
static void
on_code_changed (KtCodePage *self)
{
  const char *text = gtk_editable_get_text (GTK_EDITABLE (self->code_entry));
  g_autoptr(GString) digits = g_string_new (NULL);

  for (const char *p = text; *p != '\0'; p++)
    if (g_ascii_isdigit (*p) && digits->len < CODE_LENGTH)
      g_string_append_c (digits, *p);

  if (strcmp (digits->str, text) != 0)
    {
      gtk_editable_set_text (GTK_EDITABLE (self->code_entry), digits->str);
      gtk_editable_set_position (GTK_EDITABLE (self->code_entry), -1);
      return;   /* set_text emits ::changed again */
    }
  update_code_page (self);
}

static void
verify_action (GtkWidget  *widget,
               const char *action_name,
               GVariant   *parameter)
{
  KtCodePage *self = KT_CODE_PAGE (widget);
  const char *code = gtk_editable_get_text (GTK_EDITABLE (self->code_entry));

  if (!is_idle (self) || strlen (code) != CODE_LENGTH)
    return;
  kt_mfa_controller_verify_code_async (self->controller, code, NULL, NULL, NULL);
}

static void
resend_action (GtkWidget  *widget,
               const char *action_name,
               GVariant   *parameter)
{
  KtCodePage *self = KT_CODE_PAGE (widget);

  if (!is_idle (self))
    return;
  gtk_editable_set_text (GTK_EDITABLE (self->code_entry), "");
  kt_mfa_controller_resend_code_async (self->controller, NULL, kt_window_toast_on_success,
                                       kt_window_toast_on_success_data
                                         (widget, _("A new code is on its way")));
}

static void
start_over_action (GtkWidget  *widget,
                   const char *action_name,
                   GVariant   *parameter)
{
  KtCodePage *self = KT_CODE_PAGE (widget);

  if (is_idle (self))
    kt_mfa_controller_start_over (self->controller);
}

static void
on_code_activated (KtCodePage *self)
{
  gtk_widget_activate_action (GTK_WIDGET (self), "code.verify", NULL);
}

static void
on_step_changed (KtCodePage *self)
{
  /* A code belongs to one attempt: never offer an old one again. */
  if (kt_mfa_controller_get_step (self->controller) != KT_MFA_STEP_CODE_SENT)
    gtk_editable_set_text (GTK_EDITABLE (self->code_entry), "");
  update_code_page (self);
}

static void
kt_code_page_set_controller (KtCodePage      *self,
                             KtMfaController *controller)
{
  if (!g_set_object (&self->controller, controller))
    return;

  g_signal_group_set_target (self->controller_signals, controller);
  update_code_page (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CONTROLLER]);
}

static gboolean
kt_code_page_grab_focus (GtkWidget *widget)
{
  KtCodePage *self = KT_CODE_PAGE (widget);

  return gtk_widget_grab_focus (GTK_WIDGET (self->code_entry));
}

static void
kt_code_page_dispose (GObject *object)
{
  KtCodePage *self = KT_CODE_PAGE (object);

  g_clear_handle_id (&self->countdown_source, g_source_remove);
  gtk_widget_dispose_template (GTK_WIDGET (self), KT_TYPE_CODE_PAGE);
  g_clear_object (&self->controller_signals);
  g_clear_object (&self->controller);

  G_OBJECT_CLASS (kt_code_page_parent_class)->dispose (object);
}

static void
kt_code_page_get_property (GObject    *object,
                           guint       prop_id,
                           GValue     *value,
                           GParamSpec *pspec)
{
  KtCodePage *self = KT_CODE_PAGE (object);

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
kt_code_page_set_property (GObject      *object,
                           guint         prop_id,
                           const GValue *value,
                           GParamSpec   *pspec)
{
  KtCodePage *self = KT_CODE_PAGE (object);

  switch (prop_id)
    {
    case PROP_CONTROLLER:
      kt_code_page_set_controller (self, g_value_get_object (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
kt_code_page_class_init (KtCodePageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = kt_code_page_dispose;
  object_class->get_property = kt_code_page_get_property;
  object_class->set_property = kt_code_page_set_property;

  widget_class->grab_focus = kt_code_page_grab_focus;

  properties[PROP_CONTROLLER] =
    g_param_spec_object ("controller", NULL, NULL, KT_TYPE_MFA_CONTROLLER,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  g_type_ensure (KT_TYPE_FLOW_STATUS);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/keyturn/Keyturn/kt-code-page.ui");
  gtk_widget_class_bind_template_child (widget_class, KtCodePage, description_label);
  gtk_widget_class_bind_template_child (widget_class, KtCodePage, code_entry);
  gtk_widget_class_bind_template_child (widget_class, KtCodePage, countdown_label);
  gtk_widget_class_bind_template_callback (widget_class, on_code_activated);
  gtk_widget_class_bind_template_callback (widget_class, on_code_changed);
  gtk_widget_class_install_action (widget_class, "code.verify", NULL, verify_action);
  gtk_widget_class_install_action (widget_class, "code.resend", NULL, resend_action);
  gtk_widget_class_install_action (widget_class, "code.start-over", NULL, start_over_action);
}

static void
kt_code_page_init (KtCodePage *self)
{
  self->controller_signals = g_signal_group_new (KT_TYPE_MFA_CONTROLLER);
  g_signal_group_connect_swapped (self->controller_signals, "notify::busy",
                                  G_CALLBACK (update_code_page), self);
  g_signal_group_connect_swapped (self->controller_signals, "notify::email",
                                  G_CALLBACK (update_code_page), self);
  g_signal_group_connect_swapped (self->controller_signals, "notify::resend-available-at",
                                  G_CALLBACK (update_code_page), self);
  g_signal_group_connect_swapped (self->controller_signals, "notify::step",
                                  G_CALLBACK (on_step_changed), self);

  gtk_widget_init_template (GTK_WIDGET (self));

  update_code_page (self);
}
