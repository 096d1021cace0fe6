/* kt-sign-in-page.c: the first step: the person's email address
 *
 * Copyright 2026 Keyturn developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <glib/gi18n.h>
#include <string.h>

#include "kt-flow-status.h"
#include "kt-mfa-controller.h"
#include "kt-sign-in-page.h"
#include "kt-window.h"

struct _KtSignInPage
{
  AdwBin           parent_instance;

  /* Template widgets */
  GtkEntry         *email_entry;
  GtkWidget        *retry_box;

  /* Owned */
  KtMfaController *controller;
  GSignalGroup    *controller_signals;
};

G_DEFINE_FINAL_TYPE (KtSignInPage, kt_sign_in_page, ADW_TYPE_BIN)

enum {
  PROP_0,
  PROP_CONTROLLER,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static gboolean
can_send_code (KtSignInPage *self)
{
  const char *email = gtk_editable_get_text (GTK_EDITABLE (self->email_entry));

  return self->controller != NULL
         && !kt_mfa_controller_get_busy (self->controller)
         && strchr (email, '@') != NULL;
}

static void
update_sign_in_page (KtSignInPage *self)
{
  gboolean unchecked = self->controller != NULL
                      && kt_mfa_controller_get_unchecked_session (self->controller);

  gtk_widget_action_set_enabled (GTK_WIDGET (self), "sign-in.send-code", can_send_code (self));
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "sign-in.retry",
                                 unchecked && !kt_mfa_controller_get_busy (self->controller));
  gtk_widget_set_visible (self->retry_box, unchecked);
}

/* The server was out of reach at start-up: the kept session is checked again, no new code. */
static void
retry_action (GtkWidget  *widget,
              const char *action_name,
              GVariant   *parameter)
{
  KtSignInPage *self = KT_SIGN_IN_PAGE (widget);

  if (self->controller == NULL || kt_mfa_controller_get_busy (self->controller))
    return;
  kt_mfa_controller_restore_async (self->controller, NULL, kt_window_toast_on_success,
                                   kt_window_toast_on_success_data
                                     (widget, _("Connected to the server again")));
}

static void
send_code_action (GtkWidget  *widget,
                  const char *action_name,
                  GVariant   *parameter)
{
  KtSignInPage *self = KT_SIGN_IN_PAGE (widget);
  g_autofree char *email = NULL;

  if (!can_send_code (self))
    return;
  email = g_strstrip (g_strdup (gtk_editable_get_text (GTK_EDITABLE (self->email_entry))));
  kt_mfa_controller_send_code_async (self->controller, email, NULL, NULL, NULL);
}

static void
on_email_activated (KtSignInPage *self)
{
  gtk_widget_activate_action (GTK_WIDGET (self), "sign-in.send-code", NULL);
}

static void
kt_sign_in_page_set_controller (KtSignInPage    *self,
                                KtMfaController *controller)
{
  if (!g_set_object (&self->controller, controller))
    return;

  g_signal_group_set_target (self->controller_signals, controller);
  update_sign_in_page (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CONTROLLER]);
}

static gboolean
kt_sign_in_page_grab_focus (GtkWidget *widget)
{
  KtSignInPage *self = KT_SIGN_IN_PAGE (widget);

  return gtk_widget_grab_focus (GTK_WIDGET (self->email_entry));
}

static void
kt_sign_in_page_dispose (GObject *object)
{
  KtSignInPage *self = KT_SIGN_IN_PAGE (object);

  gtk_widget_dispose_template (GTK_WIDGET (self), KT_TYPE_SIGN_IN_PAGE);
  g_clear_object (&self->controller_signals);
  g_clear_object (&self->controller);

  G_OBJECT_CLASS (kt_sign_in_page_parent_class)->dispose (object);
}

static void
kt_sign_in_page_get_property (GObject    *object,
                              guint       prop_id,
                              GValue     *value,
                              GParamSpec *pspec)
{
  KtSignInPage *self = KT_SIGN_IN_PAGE (object);

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
kt_sign_in_page_set_property (GObject      *object,
                              guint         prop_id,
                              const GValue *value,
                              GParamSpec   *pspec)
{
  KtSignInPage *self = KT_SIGN_IN_PAGE (object);

  switch (prop_id)
    {
    case PROP_CONTROLLER:
      kt_sign_in_page_set_controller (self, g_value_get_object (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
kt_sign_in_page_class_init (KtSignInPageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = kt_sign_in_page_dispose;
  object_class->get_property = kt_sign_in_page_get_property;
  object_class->set_property = kt_sign_in_page_set_property;

  widget_class->grab_focus = kt_sign_in_page_grab_focus;

  properties[PROP_CONTROLLER] =
    g_param_spec_object ("controller", NULL, NULL, KT_TYPE_MFA_CONTROLLER,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  g_type_ensure (KT_TYPE_FLOW_STATUS);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/keyturn/Keyturn/kt-sign-in-page.ui");
  gtk_widget_class_bind_template_child (widget_class, KtSignInPage, email_entry);
  gtk_widget_class_bind_template_child (widget_class, KtSignInPage, retry_box);
  gtk_widget_class_bind_template_callback (widget_class, on_email_activated);
  gtk_widget_class_bind_template_callback (widget_class, update_sign_in_page);
  gtk_widget_class_install_action (widget_class, "sign-in.send-code", NULL, send_code_action);
  gtk_widget_class_install_action (widget_class, "sign-in.retry", NULL, retry_action);
}

static void
kt_sign_in_page_init (KtSignInPage *self)
{
  self->controller_signals = g_signal_group_new (KT_TYPE_MFA_CONTROLLER);
  g_signal_group_connect_swapped (self->controller_signals, "notify::busy",
                                  G_CALLBACK (update_sign_in_page), self);
  g_signal_group_connect_swapped (self->controller_signals, "notify::unchecked-session",
                                  G_CALLBACK (update_sign_in_page), self);

  gtk_widget_init_template (GTK_WIDGET (self));

  update_sign_in_page (self);
}
