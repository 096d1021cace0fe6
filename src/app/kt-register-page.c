/* kt-register-page.c: registering a security key as the account's passkey
 *
 * Copyright 2026 Keyturn developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <glib/gi18n.h>

#include "kt-flow-status.h"
#include "kt-key-status.h"
#include "kt-mfa-controller.h"
#include "kt-set-pin-dialog.h"
#include "kt-register-page.h"

struct _KtRegisterPage
{
  AdwBin           parent_instance;

  /* Template widgets */
  GtkEntry         *alias_entry;
  GtkWidget        *set_pin_button;

  /* Owned */
  KtMfaController *controller;
  GSignalGroup    *controller_signals;
};

G_DEFINE_FINAL_TYPE (KtRegisterPage, kt_register_page, ADW_TYPE_BIN)

enum {
  PROP_0,
  PROP_CONTROLLER,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static gboolean
is_idle (KtRegisterPage *self)
{
  return self->controller != NULL && !kt_mfa_controller_get_busy (self->controller);
}

static void
update_register_page (KtRegisterPage *self)
{
  /* A key with no PIN cannot verify its user: offer to set one, then the same step again. */
  gboolean pin_not_set = self->controller != NULL
                         && kt_mfa_controller_get_authenticator_state (self->controller)
                            == KT_WEBAUTHN_STATE_PIN_NOT_SET;

  gtk_widget_action_set_enabled (GTK_WIDGET (self), "register.register", is_idle (self));
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "register.start-over", is_idle (self));
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "register.set-pin",
                                 pin_not_set && is_idle (self));
  gtk_widget_set_visible (self->set_pin_button, pin_not_set);
}

static void
register_action (GtkWidget  *widget,
                 const char *action_name,
                 GVariant   *parameter)
{
  KtRegisterPage *self = KT_REGISTER_PAGE (widget);
  g_autofree char *alias = NULL;

  if (!is_idle (self))
    return;
  alias = g_strstrip (g_strdup (gtk_editable_get_text (GTK_EDITABLE (self->alias_entry))));
  kt_mfa_controller_register_passkey_async (self->controller, *alias != '\0' ? alias : NULL,
                                            NULL, NULL, NULL);
}

static void
set_pin_action (GtkWidget  *widget,
                const char *action_name,
                GVariant   *parameter)
{
  KtRegisterPage *self = KT_REGISTER_PAGE (widget);

  if (is_idle (self))
    kt_set_pin_dialog_present (widget, self->controller, "register.register");
}

static void
start_over_action (GtkWidget  *widget,
                   const char *action_name,
                   GVariant   *parameter)
{
  KtRegisterPage *self = KT_REGISTER_PAGE (widget);

  if (is_idle (self))
    kt_mfa_controller_start_over (self->controller);
}

static void
on_alias_activated (KtRegisterPage *self)
{
  gtk_widget_activate_action (GTK_WIDGET (self), "register.register", NULL);
}

static void
kt_register_page_set_controller (KtRegisterPage  *self,
                                 KtMfaController *controller)
{
  if (!g_set_object (&self->controller, controller))
    return;

  g_signal_group_set_target (self->controller_signals, controller);
  update_register_page (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CONTROLLER]);
}

static gboolean
kt_register_page_grab_focus (GtkWidget *widget)
{
  KtRegisterPage *self = KT_REGISTER_PAGE (widget);

  return gtk_widget_grab_focus (GTK_WIDGET (self->alias_entry));
}

static void
kt_register_page_dispose (GObject *object)
{
  KtRegisterPage *self = KT_REGISTER_PAGE (object);

  gtk_widget_dispose_template (GTK_WIDGET (self), KT_TYPE_REGISTER_PAGE);
  g_clear_object (&self->controller_signals);
  g_clear_object (&self->controller);

  G_OBJECT_CLASS (kt_register_page_parent_class)->dispose (object);
}

static void
kt_register_page_get_property (GObject    *object,
                               guint       prop_id,
                               GValue     *value,
                               GParamSpec *pspec)
{
  KtRegisterPage *self = KT_REGISTER_PAGE (object);

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
kt_register_page_set_property (GObject      *object,
                               guint         prop_id,
                               const GValue *value,
                               GParamSpec   *pspec)
{
  KtRegisterPage *self = KT_REGISTER_PAGE (object);

  switch (prop_id)
    {
    case PROP_CONTROLLER:
      kt_register_page_set_controller (self, g_value_get_object (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
kt_register_page_class_init (KtRegisterPageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = kt_register_page_dispose;
  object_class->get_property = kt_register_page_get_property;
  object_class->set_property = kt_register_page_set_property;

  widget_class->grab_focus = kt_register_page_grab_focus;

  properties[PROP_CONTROLLER] =
    g_param_spec_object ("controller", NULL, NULL, KT_TYPE_MFA_CONTROLLER,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  g_type_ensure (KT_TYPE_FLOW_STATUS);
  g_type_ensure (KT_TYPE_KEY_STATUS);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/keyturn/Keyturn/kt-register-page.ui");
  gtk_widget_class_bind_template_child (widget_class, KtRegisterPage, set_pin_button);
  gtk_widget_class_bind_template_child (widget_class, KtRegisterPage, alias_entry);
  gtk_widget_class_bind_template_callback (widget_class, on_alias_activated);
  gtk_widget_class_install_action (widget_class, "register.register", NULL, register_action);
  gtk_widget_class_install_action (widget_class, "register.set-pin", NULL, set_pin_action);
  gtk_widget_class_install_action (widget_class, "register.start-over", NULL, start_over_action);
}

static void
kt_register_page_init (KtRegisterPage *self)
{
  self->controller_signals = g_signal_group_new (KT_TYPE_MFA_CONTROLLER);
  g_signal_group_connect_swapped (self->controller_signals, "notify::busy",
                                  G_CALLBACK (update_register_page), self);
  g_signal_group_connect_swapped (self->controller_signals, "notify::authenticator-state",
                                  G_CALLBACK (update_register_page), self);

  gtk_widget_init_template (GTK_WIDGET (self));

  update_register_page (self);
}
