/* kt-flow-status.c: the foot of every page: what is under way, and what went wrong last
 *
 * Copyright 2026 Keyturn developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <glib/gi18n.h>

#include "kt-flow-status.h"
#include "kt-mfa-controller.h"

struct _KtFlowStatus
{
  AdwBin           parent_instance;

  /* Template widgets */
  GtkLabel         *error_label;
  GtkWidget        *busy_box;
  GtkSpinner       *spinner;

  /* Owned */
  KtMfaController *controller;
  GSignalGroup    *controller_signals;
};

G_DEFINE_FINAL_TYPE (KtFlowStatus, kt_flow_status, ADW_TYPE_BIN)

enum {
  PROP_0,
  PROP_CONTROLLER,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void
update_flow_status (KtFlowStatus *self)
{
  const char *message = NULL;
  gboolean busy = FALSE;

  if (self->controller != NULL)
    {
      const GError *error = kt_mfa_controller_get_error (self->controller);

      message = error != NULL ? error->message : NULL;
      busy = kt_mfa_controller_get_busy (self->controller);
    }

  gtk_label_set_text (self->error_label, message != NULL ? message : "");
  gtk_widget_set_visible (GTK_WIDGET (self->error_label), message != NULL && !busy);
  gtk_widget_set_visible (self->busy_box, busy);
  gtk_spinner_set_spinning (self->spinner, busy);
}

static void
cancel_action (GtkWidget  *widget,
               const char *action_name,
               GVariant   *parameter)
{
  KtFlowStatus *self = KT_FLOW_STATUS (widget);

  if (self->controller != NULL)
    kt_mfa_controller_cancel (self->controller);
}

static void
kt_flow_status_set_controller (KtFlowStatus    *self,
                               KtMfaController *controller)
{
  if (!g_set_object (&self->controller, controller))
    return;

  g_signal_group_set_target (self->controller_signals, controller);
  update_flow_status (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CONTROLLER]);
}

static void
kt_flow_status_dispose (GObject *object)
{
  KtFlowStatus *self = KT_FLOW_STATUS (object);

  gtk_widget_dispose_template (GTK_WIDGET (self), KT_TYPE_FLOW_STATUS);
  g_clear_object (&self->controller_signals);
  g_clear_object (&self->controller);

  G_OBJECT_CLASS (kt_flow_status_parent_class)->dispose (object);
}

static void
kt_flow_status_get_property (GObject    *object,
                             guint       prop_id,
                             GValue     *value,
                             GParamSpec *pspec)
{
  KtFlowStatus *self = KT_FLOW_STATUS (object);

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
kt_flow_status_set_property (GObject      *object,
                             guint         prop_id,
                             const GValue *value,
                             GParamSpec   *pspec)
{
  KtFlowStatus *self = KT_FLOW_STATUS (object);

  switch (prop_id)
    {
    case PROP_CONTROLLER:
      kt_flow_status_set_controller (self, g_value_get_object (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
kt_flow_status_class_init (KtFlowStatusClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = kt_flow_status_dispose;
  object_class->get_property = kt_flow_status_get_property;
  object_class->set_property = kt_flow_status_set_property;

  properties[PROP_CONTROLLER] =
    g_param_spec_object ("controller", NULL, NULL, KT_TYPE_MFA_CONTROLLER,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/keyturn/Keyturn/kt-flow-status.ui");
  gtk_widget_class_bind_template_child (widget_class, KtFlowStatus, error_label);
  gtk_widget_class_bind_template_child (widget_class, KtFlowStatus, busy_box);
  gtk_widget_class_bind_template_child (widget_class, KtFlowStatus, spinner);
  gtk_widget_class_install_action (widget_class, "status.cancel", NULL, cancel_action);
}

static void
kt_flow_status_init (KtFlowStatus *self)
{
  self->controller_signals = g_signal_group_new (KT_TYPE_MFA_CONTROLLER);
  g_signal_group_connect_swapped (self->controller_signals, "notify::busy",
                                  G_CALLBACK (update_flow_status), self);
  g_signal_group_connect_swapped (self->controller_signals, "notify::error-message",
                                  G_CALLBACK (update_flow_status), self);

  gtk_widget_init_template (GTK_WIDGET (self));

  update_flow_status (self);
}
