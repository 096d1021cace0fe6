/* kt-flow-page.c: the base of the widgets that show the sign-in flow: a page per step, and the
 * parts of pages that follow the controller on their own
 *
 * A page holds the window's MFA controller, follows the properties it shows through one signal
 * group, and brings itself up to date in its update method whenever one of them changes. What
 * every page does with the flow (the controller, its busy state, the focus when the page is
 * given it) happens here once.
 *
 * Copyright 2026 Keyturn developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <string.h>

#include "kt-flow-page.h"

typedef struct
{
  KtMfaController *controller;
  GSignalGroup    *controller_signals;
} KtFlowPagePrivate;

G_DEFINE_ABSTRACT_TYPE_WITH_PRIVATE (KtFlowPage, kt_flow_page, ADW_TYPE_BIN)

enum {
  PROP_0,
  PROP_CONTROLLER,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

/* An action installed with kt_flow_page_class_install_action(), kept in its page type's qdata. */
typedef struct
{
  const char                  *name;   /* interned */
  GtkWidgetActionActivateFunc  activate;
} IdleAction;

static GQuark
idle_actions_quark (void)
{
  return g_quark_from_static_string ("kt-flow-page-idle-actions");
}

static const IdleAction *
find_idle_action (GType       type,
                  const char *name)
{
  for (; type != KT_TYPE_FLOW_PAGE; type = g_type_parent (type))
    {
      GArray *actions = g_type_get_qdata (type, idle_actions_quark ());

      for (guint i = 0; actions != NULL && i < actions->len; i++)
        if (strcmp (g_array_index (actions, IdleAction, i).name, name) == 0)
          return &g_array_index (actions, IdleAction, i);
    }
  return NULL;
}

static void
activate_when_idle (GtkWidget  *widget,
                    const char *action_name,
                    GVariant   *parameter)
{
  const IdleAction *action = find_idle_action (G_OBJECT_TYPE (widget), action_name);

  if (action != NULL && kt_flow_page_is_idle (KT_FLOW_PAGE (widget)))
    action->activate (widget, action_name, parameter);
}

static void
enable_idle_actions (KtFlowPage *self)
{
  gboolean idle = kt_flow_page_is_idle (self);

  for (GType type = G_OBJECT_TYPE (self); type != KT_TYPE_FLOW_PAGE; type = g_type_parent (type))
    {
      GArray *actions = g_type_get_qdata (type, idle_actions_quark ());

      for (guint i = 0; actions != NULL && i < actions->len; i++)
        gtk_widget_action_set_enabled (GTK_WIDGET (self),
                                       g_array_index (actions, IdleAction, i).name, idle);
    }
}

static void
kt_flow_page_real_controller_changed (KtFlowPage *self)
{
  kt_flow_page_update (self);
}

/* The window gives a page the focus when its step comes; the page hands it on. */
static gboolean
kt_flow_page_grab_focus (GtkWidget *widget)
{
  KtFlowPageClass *klass = KT_FLOW_PAGE_GET_CLASS (widget);
  GtkWidget *control = NULL;

  if (klass->get_primary_control != NULL)
    control = klass->get_primary_control (KT_FLOW_PAGE (widget));
  if (control != NULL)
    return gtk_widget_grab_focus (control);
  return GTK_WIDGET_CLASS (kt_flow_page_parent_class)->grab_focus (widget);
}

static void
kt_flow_page_constructed (GObject *object)
{
  G_OBJECT_CLASS (kt_flow_page_parent_class)->constructed (object);

  /* The subclass has built its template by now: show the page as it is without a controller. */
  kt_flow_page_update (KT_FLOW_PAGE (object));
}

static void
kt_flow_page_dispose (GObject *object)
{
  KtFlowPage *self = KT_FLOW_PAGE (object);
  KtFlowPagePrivate *priv = kt_flow_page_get_instance_private (self);

  /* Every flow page is built from a template of its own, final, class. */
  gtk_widget_dispose_template (GTK_WIDGET (self), G_OBJECT_TYPE (self));
  g_clear_object (&priv->controller_signals);
  g_clear_object (&priv->controller);

  G_OBJECT_CLASS (kt_flow_page_parent_class)->dispose (object);
}

static void
kt_flow_page_get_property (GObject    *object,
                           guint       prop_id,
                           GValue     *value,
                           GParamSpec *pspec)
{
  KtFlowPage *self = KT_FLOW_PAGE (object);

  switch (prop_id)
    {
    case PROP_CONTROLLER:
      g_value_set_object (value, kt_flow_page_get_controller (self));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
kt_flow_page_set_property (GObject      *object,
                           guint         prop_id,
                           const GValue *value,
                           GParamSpec   *pspec)
{
  KtFlowPage *self = KT_FLOW_PAGE (object);

  switch (prop_id)
    {
    case PROP_CONTROLLER:
      kt_flow_page_set_controller (self, g_value_get_object (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
kt_flow_page_class_init (KtFlowPageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->constructed = kt_flow_page_constructed;
  object_class->dispose = kt_flow_page_dispose;
  object_class->get_property = kt_flow_page_get_property;
  object_class->set_property = kt_flow_page_set_property;

  widget_class->grab_focus = kt_flow_page_grab_focus;

  klass->controller_changed = kt_flow_page_real_controller_changed;

  /* Readable by the widgets inside a page's template, which bind their own to it. */
  properties[PROP_CONTROLLER] =
    g_param_spec_object ("controller", NULL, NULL, KT_TYPE_MFA_CONTROLLER,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
kt_flow_page_init (KtFlowPage *self)
{
  KtFlowPagePrivate *priv = kt_flow_page_get_instance_private (self);

  priv->controller_signals = g_signal_group_new (KT_TYPE_MFA_CONTROLLER);
  /* What a page offers depends on whether the controller is at work already. */
  kt_flow_page_watch (self, "busy", NULL);
}

KtMfaController *
kt_flow_page_get_controller (KtFlowPage *self)
{
  KtFlowPagePrivate *priv = kt_flow_page_get_instance_private (self);

  g_return_val_if_fail (KT_IS_FLOW_PAGE (self), NULL);

  return priv->controller;
}

void
kt_flow_page_set_controller (KtFlowPage      *self,
                             KtMfaController *controller)
{
  KtFlowPagePrivate *priv = kt_flow_page_get_instance_private (self);

  g_return_if_fail (KT_IS_FLOW_PAGE (self));
  g_return_if_fail (controller == NULL || KT_IS_MFA_CONTROLLER (controller));

  if (!g_set_object (&priv->controller, controller))
    return;

  g_signal_group_set_target (priv->controller_signals, controller);
  KT_FLOW_PAGE_GET_CLASS (self)->controller_changed (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CONTROLLER]);
}

/* A controller that is there and at rest: the only time a page starts something on it. */
gboolean
kt_flow_page_is_idle (KtFlowPage *self)
{
  KtFlowPagePrivate *priv = kt_flow_page_get_instance_private (self);

  g_return_val_if_fail (KT_IS_FLOW_PAGE (self), FALSE);

  return priv->controller != NULL && !kt_mfa_controller_get_busy (priv->controller);
}

void
kt_flow_page_update (KtFlowPage *self)
{
  KtFlowPageClass *klass;

  g_return_if_fail (KT_IS_FLOW_PAGE (self));

  enable_idle_actions (self);
  klass = KT_FLOW_PAGE_GET_CLASS (self);
  if (klass->update != NULL)
    klass->update (self);
}

/* Calls the update method whenever one of the controller's properties named here changes. */
void
kt_flow_page_watch (KtFlowPage *self,
                    const char *first_property,
                    ...)
{
  va_list args;

  g_return_if_fail (KT_IS_FLOW_PAGE (self));

  va_start (args, first_property);
  for (const char *name = first_property; name != NULL; name = va_arg (args, const char *))
    {
      g_autofree char *signal = g_strconcat ("notify::", name, NULL);

      kt_flow_page_connect (self, signal, G_CALLBACK (kt_flow_page_update));
    }
  va_end (args);
}

/* Connects @callback, called with the page alone, to a signal of whichever controller the
 * page has now or is given later. */
void
kt_flow_page_connect (KtFlowPage *self,
                      const char *detailed_signal,
                      GCallback   callback)
{
  KtFlowPagePrivate *priv = kt_flow_page_get_instance_private (self);

  g_return_if_fail (KT_IS_FLOW_PAGE (self));

  g_signal_group_connect_swapped (priv->controller_signals, detailed_signal, callback, self);
}

/* Installs an action that asks the controller for something: it is enabled while the
 * controller is idle and does nothing otherwise, so that @activate can count on a controller at
 * rest. The page's update method should leave its enabled state alone. */
void
kt_flow_page_class_install_action (KtFlowPageClass             *klass,
                                   const char                  *action_name,
                                   const char                  *parameter_type,
                                   GtkWidgetActionActivateFunc  activate)
{
  GType type = G_TYPE_FROM_CLASS (klass);
  GArray *actions = g_type_get_qdata (type, idle_actions_quark ());
  IdleAction action = { g_intern_string (action_name), activate };

  g_return_if_fail (KT_IS_FLOW_PAGE_CLASS (klass));
  g_return_if_fail (activate != NULL);

  /* Kept as long as the type, which is for the life of the program. */
  if (actions == NULL)
    {
      actions = g_array_new (FALSE, FALSE, sizeof (IdleAction));
      g_type_set_qdata (type, idle_actions_quark (), actions);
    }
  g_array_append_val (actions, action);
  gtk_widget_class_install_action (GTK_WIDGET_CLASS (klass), action_name, parameter_type,
                                   activate_when_idle);
}

/* An idle action's activate function that takes the flow back to its first step. */
void
kt_flow_page_start_over (GtkWidget  *widget,
                         const char *action_name,
                         GVariant   *parameter)
{
  kt_mfa_controller_start_over (kt_flow_page_get_controller (KT_FLOW_PAGE (widget)));
}
