/* kt-code-page.c: the six-digit code sent by email
 *
 * Copyright 2026 Keyturn developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <glib/gi18n.h>
#include <string.h>

#include "kt-code-page.h"
#include "kt-flow-status.h"

struct _KtCodePage
{
  KtFlowPage  parent_instance;

  /* Template widgets */
  GtkLabel   *description_label;
  GtkEntry   *code_entry;
  GtkLabel   *countdown_label;

  /* Owned */
  guint       countdown_source;
};

G_DEFINE_FINAL_TYPE (KtCodePage, kt_code_page, KT_TYPE_FLOW_PAGE)

#define CODE_LENGTH 6

static gint64
seconds_until_resend (KtCodePage *self)
{
  KtMfaController *controller = kt_flow_page_get_controller (KT_FLOW_PAGE (self));
  gint64 available_at;

  if (controller == NULL)
    return 0;
  /* The controller knows the usual wait and any longer one the server asked for. */
  available_at = kt_mfa_controller_get_resend_available_at (controller);
  if (available_at == 0)
    return 0;
  return MAX (0, available_at - g_get_real_time () / G_USEC_PER_SEC);
}

static gboolean
on_countdown_tick (gpointer user_data)
{
  KtCodePage *self = user_data;

  kt_flow_page_update (KT_FLOW_PAGE (self));
  if (seconds_until_resend (self) > 0)
    return G_SOURCE_CONTINUE;
  self->countdown_source = 0;
  return G_SOURCE_REMOVE;
}

static void
kt_code_page_update (KtFlowPage *page)
{
  KtCodePage *self = KT_CODE_PAGE (page);
  KtMfaController *controller = kt_flow_page_get_controller (page);
  const char *code = gtk_editable_get_text (GTK_EDITABLE (self->code_entry));
  gint64 wait = seconds_until_resend (self);
  gboolean idle = kt_flow_page_is_idle (page);
  const char *email = NULL;

  if (controller != NULL)
    email = kt_mfa_controller_get_email (controller);
  if (email != NULL)
    {
      g_autofree char *text = g_strdup_printf (_("A 6-digit code was sent to %s. It may take a "
                                                 "minute to arrive."), email);
      gtk_label_set_text (self->description_label, text);
    }
  else
    gtk_label_set_text (self->description_label, _("A 6-digit code was sent to your email."));

  gtk_widget_action_set_enabled (GTK_WIDGET (self), "code.verify",
                                 idle && strlen (code) == CODE_LENGTH);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "code.resend", idle && wait == 0);

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
  kt_flow_page_update (KT_FLOW_PAGE (self));
}

static void
verify_action (GtkWidget  *widget,
               const char *action_name,
               GVariant   *parameter)
{
  KtCodePage *self = KT_CODE_PAGE (widget);
  const char *code = gtk_editable_get_text (GTK_EDITABLE (self->code_entry));

  if (!kt_flow_page_is_idle (KT_FLOW_PAGE (self)) || strlen (code) != CODE_LENGTH)
    return;
  kt_mfa_controller_verify_code_async (kt_flow_page_get_controller (KT_FLOW_PAGE (self)), code,
                                       NULL, NULL, NULL);
}

static void
resend_action (GtkWidget  *widget,
               const char *action_name,
               GVariant   *parameter)
{
  KtCodePage *self = KT_CODE_PAGE (widget);

  if (!kt_flow_page_is_idle (KT_FLOW_PAGE (self)))
    return;
  gtk_editable_set_text (GTK_EDITABLE (self->code_entry), "");
  kt_mfa_controller_resend_code_async (kt_flow_page_get_controller (KT_FLOW_PAGE (self)), NULL,
                                       kt_flow_page_toast_on_success,
                                       kt_flow_page_toast_on_success_data
                                         (KT_FLOW_PAGE (widget), _("A new code is on its way")));
}

static void
kt_code_page_dispose (GObject *object)
{
  KtCodePage *self = KT_CODE_PAGE (object);

  g_clear_handle_id (&self->countdown_source, g_source_remove);

  G_OBJECT_CLASS (kt_code_page_parent_class)->dispose (object);
}

static void
kt_code_page_class_init (KtCodePageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  KtFlowPageClass *page_class = KT_FLOW_PAGE_CLASS (klass);

  object_class->dispose = kt_code_page_dispose;

  page_class->update = kt_code_page_update;
  kt_flow_page_class_set_primary_control (page_class, "code_entry");

  g_type_ensure (KT_TYPE_FLOW_STATUS);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/keyturn/Keyturn/kt-code-page.ui");
  gtk_widget_class_bind_template_child (widget_class, KtCodePage, description_label);
  gtk_widget_class_bind_template_child (widget_class, KtCodePage, code_entry);
  gtk_widget_class_bind_template_child (widget_class, KtCodePage, countdown_label);
  gtk_widget_class_bind_template_callback (widget_class, on_code_changed);
  gtk_widget_class_install_action (widget_class, "code.verify", NULL, verify_action);
  gtk_widget_class_install_action (widget_class, "code.resend", NULL, resend_action);
  kt_flow_page_class_install_action (page_class, "code.start-over", NULL,
                                     kt_flow_page_start_over);
}

static void
kt_code_page_init (KtCodePage *self)
{
  kt_flow_page_watch (KT_FLOW_PAGE (self), "email", "resend-available-at", NULL);

  gtk_widget_init_template (GTK_WIDGET (self));
  kt_flow_page_entry_activates (self->code_entry, "code.verify");
  /* A code belongs to one attempt: never offer an old one again. */
  kt_flow_page_clear_on_leaving (KT_FLOW_PAGE (self), GTK_EDITABLE (self->code_entry),
                                 KT_MFA_STEP_CODE_SENT);
}
