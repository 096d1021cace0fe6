/* kt-authenticate-page.c: proving the second factor with a registered security key
 *
 * Copyright 2026 Keyturn developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <glib/gi18n.h>

#include "kt-authenticate-page.h"
#include "kt-flow-status.h"
#include "kt-key-status.h"
#include "kt-mfa-controller.h"
#include "kt-set-pin-dialog.h"

struct _KtAuthenticatePage
{
  AdwBin           parent_instance;

  /* Template widgets */
  GtkButton        *authenticate_button;
  GtkWidget        *set_pin_button;

  /* Owned */
  KtMfaController *controller;
  GSignalGroup    *controller_signals;
};

G_DEFINE_FINAL_TYPE (KtAuthenticatePage, kt_authenticate_page, ADW_TYPE_BIN)

enum {
  PROP_0,
  PROP_CONTROLLER,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static gboolean
is_idle (KtAuthenticatePage *self)
{
  return self->controller != NULL && !kt_mfa_controller_get_busy (self->controller);
}

static void
update_authenticate_page (KtAuthenticatePage *self)
{
  gboolean idle = is_idle (self);
  /* A key with no PIN cannot verify its user: offer to set one, then the same step again. */
  gboolean pin_not_set = self->controller != NULL
                         && kt_mfa_controller_get_authenticator_state (self->controller)
                            == KT_WEBAUTHN_STATE_PIN_NOT_SET;

  gtk_widget_action_set_enabled (GTK_WIDGET (self), "authenticate.authenticate", idle);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "authenticate.use-recovery-code", idle);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "authenticate.start-over", idle);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "authenticate.set-pin", pin_not_set && idle);
  gtk_widget_set_visible (self->set_pin_button, pin_not_set);
}

static void
authenticate_action (GtkWidget  *widget,
                     const char *action_name,
                     GVariant   *parameter)
{
  KtAuthenticatePage *self = KT_AUTHENTICATE_PAGE (widget);

  if (is_idle (self))
    kt_mfa_controller_authenticate_passkey_async (self->controller, NULL, NULL, NULL);
}

static void
use_recovery_code_action (GtkWidget  *widget,
                          const char *action_name,
                          GVariant   *parameter)
{
  KtAuthenticatePage *self = KT_AUTHENTICATE_PAGE (widget);

  if (is_idle (self))
    kt_mfa_controller_choose_recovery_code (self->controller);
}

static void
set_pin_action (GtkWidget  *widget,
                const char *action_name,
                GVariant   *parameter)
{
  KtAuthenticatePage *self = KT_AUTHENTICATE_PAGE (widget);

  if (is_idle (self))
    kt_set_pin_dialog_present (widget, self->controller, "authenticate.authenticate");
}

static void
start_over_action (GtkWidget  *widget,
                   const char *action_name,
                   GVariant   *parameter)
{
  KtAuthenticatePage *self = KT_AUTHENTICATE_PAGE (widget);

  if (is_idle (self))
    kt_mfa_controller_start_over (self->controller);
}

static void
kt_authenticate_page_set_controller (KtAuthenticatePage *self,
                                     KtMfaController    *controller)
{
  if (!g_set_object (&self->controller, controller))
    return;

  g_signal_group_set_target (self->controller_signals, controller);
  update_authenticate_page (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CONTROLLER]);
}

static gboolean
kt_authenticate_page_grab_focus (GtkWidget *widget)
{
  KtAuthenticatePage *self = KT_AUTHENTICATE_PAGE (widget);

  return gtk_widget_grab_focus (GTK_WIDGET (self->authenticate_button));
}

static void
kt_authenticate_page_dispose (GObject *object)
{
  KtAuthenticatePage *self = KT_AUTHENTICATE_PAGE (object);

  gtk_widget_dispose_template (GTK_WIDGET (self), KT_TYPE_AUTHENTICATE_PAGE);
  g_clear_object (&self->controller_signals);
  g_clear_object (&self->controller);

  G_OBJECT_CLASS (kt_authenticate_page_parent_class)->dispose (object);
}

static void
kt_authenticate_page_get_property (GObject    *object,
                                   guint       prop_id,
                                   GValue     *value,
                                   GParamSpec *pspec)
{
  KtAuthenticatePage *self = KT_AUTHENTICATE_PAGE (object);

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
kt_authenticate_page_set_property (GObject      *object,
                                   guint         prop_id,
                                   const GValue *value,
                                   GParamSpec   *pspec)
{
  KtAuthenticatePage *self = KT_AUTHENTICATE_PAGE (object);

  switch (prop_id)
    {
    case PROP_CONTROLLER:
      kt_authenticate_page_set_controller (self, g_value_get_object (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
kt_authenticate_page_class_init (KtAuthenticatePageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = kt_authenticate_page_dispose;
  object_class->get_property = kt_authenticate_page_get_property;
  object_class->set_property = kt_authenticate_page_set_property;

  widget_class->grab_focus = kt_authenticate_page_grab_focus;

  properties[PROP_CONTROLLER] =
    g_param_spec_object ("controller", NULL, NULL, KT_TYPE_MFA_CONTROLLER,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  g_type_ensure (KT_TYPE_FLOW_STATUS);
  g_type_ensure (KT_TYPE_KEY_STATUS);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/keyturn/Keyturn/kt-authenticate-page.ui");
  gtk_widget_class_bind_template_child (widget_class, KtAuthenticatePage, set_pin_button);
  gtk_widget_class_bind_template_child (widget_class, KtAuthenticatePage, authenticate_button);
  gtk_widget_class_install_action (widget_class, "authenticate.authenticate", NULL, authenticate_action);
  gtk_widget_class_install_action (widget_class, "authenticate.use-recovery-code", NULL, use_recovery_code_action);
  gtk_widget_class_install_action (widget_class, "authenticate.set-pin", NULL, set_pin_action);
  gtk_widget_class_install_action (widget_class, "authenticate.start-over", NULL, start_over_action);
}

static void
kt_authenticate_page_init (KtAuthenticatePage *self)
{
  self->controller_signals = g_signal_group_new (KT_TYPE_MFA_CONTROLLER);
  g_signal_group_connect_swapped (self->controller_signals, "notify::busy",
                                  G_CALLBACK (update_authenticate_page), self);
  g_signal_group_connect_swapped (self->controller_signals, "notify::authenticator-state",
                                  G_CALLBACK (update_authenticate_page), self);

  gtk_widget_init_template (GTK_WIDGET (self));

  update_authenticate_page (self);
}
