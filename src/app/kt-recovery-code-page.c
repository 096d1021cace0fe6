/* kt-recovery-code-page.c: proving the second factor with a recovery code
 *
 * Copyright 2026 Keyturn developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <glib/gi18n.h>

#include "kt-flow-status.h"
#include "kt-mfa-controller.h"
#include "kt-recovery-code-page.h"

struct _KtRecoveryCodePage
{
  AdwBin           parent_instance;

  /* Template widgets */
  GtkEntry         *code_entry;

  /* Owned */
  KtMfaController *controller;
  GSignalGroup    *controller_signals;
};

G_DEFINE_FINAL_TYPE (KtRecoveryCodePage, kt_recovery_code_page, ADW_TYPE_BIN)

enum {
  PROP_0,
  PROP_CONTROLLER,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static gboolean
is_idle (KtRecoveryCodePage *self)
{
  return self->controller != NULL && !kt_mfa_controller_get_busy (self->controller);
}

static void
update_recovery_code_page (KtRecoveryCodePage *self)
{
  const char *code = gtk_editable_get_text (GTK_EDITABLE (self->code_entry));

  gtk_widget_action_set_enabled (GTK_WIDGET (self), "recovery-code.submit",
                                 is_idle (self) && *code != '\0');
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "recovery-code.use-passkey", is_idle (self));
}

static void
submit_action (GtkWidget  *widget,
               const char *action_name,
               GVariant   *parameter)
{
  KtRecoveryCodePage *self = KT_RECOVERY_CODE_PAGE (widget);
  g_autofree char *code = NULL;

  if (!is_idle (self))
    return;
  code = g_strstrip (g_strdup (gtk_editable_get_text (GTK_EDITABLE (self->code_entry))));
  if (*code == '\0')
    return;
  kt_mfa_controller_use_recovery_code_async (self->controller, code, NULL,
                                             NULL, NULL);
}

static void
use_passkey_action (GtkWidget  *widget,
                    const char *action_name,
                    GVariant   *parameter)
{
  KtRecoveryCodePage *self = KT_RECOVERY_CODE_PAGE (widget);

  if (is_idle (self))
    kt_mfa_controller_choose_passkey (self->controller);
}

static void
on_code_activated (KtRecoveryCodePage *self)
{
  gtk_widget_activate_action (GTK_WIDGET (self), "recovery-code.submit", NULL);
}

static void
on_step_changed (KtRecoveryCodePage *self)
{
  /* A recovery code is a secret: it does not stay in the field once used or left. */
  if (kt_mfa_controller_get_step (self->controller) != KT_MFA_STEP_USE_RECOVERY_CODE)
    gtk_editable_set_text (GTK_EDITABLE (self->code_entry), "");
  update_recovery_code_page (self);
}

static void
kt_recovery_code_page_set_controller (KtRecoveryCodePage *self,
                                      KtMfaController    *controller)
{
  if (!g_set_object (&self->controller, controller))
    return;

  g_signal_group_set_target (self->controller_signals, controller);
  update_recovery_code_page (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CONTROLLER]);
}

static gboolean
kt_recovery_code_page_grab_focus (GtkWidget *widget)
{
  KtRecoveryCodePage *self = KT_RECOVERY_CODE_PAGE (widget);

  return gtk_widget_grab_focus (GTK_WIDGET (self->code_entry));
}

static void
kt_recovery_code_page_dispose (GObject *object)
{
  KtRecoveryCodePage *self = KT_RECOVERY_CODE_PAGE (object);

  gtk_widget_dispose_template (GTK_WIDGET (self), KT_TYPE_RECOVERY_CODE_PAGE);
  g_clear_object (&self->controller_signals);
  g_clear_object (&self->controller);

  G_OBJECT_CLASS (kt_recovery_code_page_parent_class)->dispose (object);
}

static void
kt_recovery_code_page_get_property (GObject    *object,
                                    guint       prop_id,
                                    GValue     *value,
                                    GParamSpec *pspec)
{
  KtRecoveryCodePage *self = KT_RECOVERY_CODE_PAGE (object);

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
kt_recovery_code_page_set_property (GObject      *object,
                                    guint         prop_id,
                                    const GValue *value,
                                    GParamSpec   *pspec)
{
  KtRecoveryCodePage *self = KT_RECOVERY_CODE_PAGE (object);

  switch (prop_id)
    {
    case PROP_CONTROLLER:
      kt_recovery_code_page_set_controller (self, g_value_get_object (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
kt_recovery_code_page_class_init (KtRecoveryCodePageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = kt_recovery_code_page_dispose;
  object_class->get_property = kt_recovery_code_page_get_property;
  object_class->set_property = kt_recovery_code_page_set_property;

  widget_class->grab_focus = kt_recovery_code_page_grab_focus;

  properties[PROP_CONTROLLER] =
    g_param_spec_object ("controller", NULL, NULL, KT_TYPE_MFA_CONTROLLER,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  g_type_ensure (KT_TYPE_FLOW_STATUS);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/keyturn/Keyturn/kt-recovery-code-page.ui");
  gtk_widget_class_bind_template_child (widget_class, KtRecoveryCodePage, code_entry);
  gtk_widget_class_bind_template_callback (widget_class, on_code_activated);
  gtk_widget_class_bind_template_callback (widget_class, update_recovery_code_page);
  gtk_widget_class_install_action (widget_class, "recovery-code.submit", NULL, submit_action);
  gtk_widget_class_install_action (widget_class, "recovery-code.use-passkey", NULL, use_passkey_action);
}

static void
kt_recovery_code_page_init (KtRecoveryCodePage *self)
{
  self->controller_signals = g_signal_group_new (KT_TYPE_MFA_CONTROLLER);
  g_signal_group_connect_swapped (self->controller_signals, "notify::busy",
                                  G_CALLBACK (update_recovery_code_page), self);
  g_signal_group_connect_swapped (self->controller_signals, "notify::step",
                                  G_CALLBACK (on_step_changed), self);

  gtk_widget_init_template (GTK_WIDGET (self));

  update_recovery_code_page (self);
}
