/* kt-flow-page.c: the base of the widgets that show the sign-in flow: a page per step, and the
 * parts of pages that follow the controller on their own
 *
 * A page holds the window's MFA controller, follows the properties it shows through one signal
 * group, and brings itself up to date in its update method whenever one of them changes. What
 * every page does with the flow (the controller, its busy state, the focus when the page is
 * given it) happens here once, and so does what every page and dialog tells a screen reader:
 * kt_flow_page_announce(), kt_flow_page_announce_once() and kt_flow_page_name_buttons().
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
  gboolean         focus_pending;  /* the primary control takes the focus once it can */
  guint            focus_source;
  char            *announced;      /* kt_flow_page_announce_once()'s message, once told */
  GtkEditable     *step_editable;  /* kt_flow_page_clear_on_leaving()'s field and its step */
  KtMfaStep        editable_step;
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

/* The window gives a page the focus when its step comes; the page hands it on. A primary control
 * that cannot take it yet (its action waits for the controller to be at rest) takes it as soon
 * as it can, rather than the focus falling on the first thing that can hold it. */
static gboolean
kt_flow_page_grab_focus (GtkWidget *widget)
{
  KtFlowPagePrivate *priv = kt_flow_page_get_instance_private (KT_FLOW_PAGE (widget));
  KtFlowPageClass *klass = KT_FLOW_PAGE_GET_CLASS (widget);
  GtkWidget *control = NULL;
  gboolean grabbed;

  if (klass->get_primary_control != NULL)
    control = klass->get_primary_control (KT_FLOW_PAGE (widget));
  if (control == NULL)
    return GTK_WIDGET_CLASS (kt_flow_page_parent_class)->grab_focus (widget);
  /* A control that has it while the controller is at work can lose it (to the scrolled window
   * around it) when its action is disabled: it is watched until the controller is at rest. */
  grabbed = gtk_widget_grab_focus (control);
  priv->focus_pending = !grabbed || !kt_flow_page_is_idle (KT_FLOW_PAGE (widget));
  return grabbed;
}

/* The focus is where the person left it, on a control of this page: a pending grab would take
 * it from them. Not so on a part of the page that follows the controller on its own (a status's
 * Cancel button, there while the controller works, which GTK can give the focus to meanwhile and
 * takes it from once hidden), nor on the scrolled window that GTK falls back to. */
static gboolean
focus_is_placed (KtFlowPage *self)
{
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (self));
  GtkWidget *focus = root != NULL ? gtk_root_get_focus (root) : NULL;

  return focus != NULL && gtk_widget_is_ancestor (focus, GTK_WIDGET (self))
         && gtk_widget_get_ancestor (focus, KT_TYPE_FLOW_PAGE) == GTK_WIDGET (self)
         && !GTK_IS_SCROLLED_WINDOW (focus) && !GTK_IS_VIEWPORT (focus);
}

static gboolean
grab_pending_focus (gpointer user_data)
{
  KtFlowPage *self = user_data;
  KtFlowPagePrivate *priv = kt_flow_page_get_instance_private (self);
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (self));
  GtkWidget *focus = root != NULL ? gtk_root_get_focus (root) : NULL;

  priv->focus_source = 0;
  if (root == NULL || !gtk_widget_is_visible (GTK_WIDGET (self)))
    return G_SOURCE_REMOVE;
  if (focus_is_placed (self))
    {
      if (kt_flow_page_is_idle (self))
        priv->focus_pending = FALSE;
    }
  /* A control that went insensitive while the controller worked leaves the focus nowhere. */
  else if (priv->focus_pending || focus == NULL
           || gtk_widget_is_ancestor (focus, GTK_WIDGET (self)))
    gtk_widget_grab_focus (GTK_WIDGET (self));
  return G_SOURCE_REMOVE;
}

/* Once every widget has followed the controller's change: the page's own status hides its busy
 * Cancel button, which can have had the focus meanwhile, after the page has been updated. */
static void
schedule_pending_focus (KtFlowPage *self)
{
  KtFlowPagePrivate *priv = kt_flow_page_get_instance_private (self);

  if (KT_FLOW_PAGE_GET_CLASS (self)->get_primary_control != NULL && priv->focus_source == 0
      && gtk_widget_is_visible (GTK_WIDGET (self)))
    priv->focus_source = g_idle_add (grab_pending_focus, self);
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
  priv->step_editable = NULL;
  g_clear_handle_id (&priv->focus_source, g_source_remove);
  g_clear_object (&priv->controller_signals);
  g_clear_object (&priv->controller);

  G_OBJECT_CLASS (kt_flow_page_parent_class)->dispose (object);
}

static void
kt_flow_page_finalize (GObject *object)
{
  KtFlowPagePrivate *priv = kt_flow_page_get_instance_private (KT_FLOW_PAGE (object));

  g_free (priv->announced);

  G_OBJECT_CLASS (kt_flow_page_parent_class)->finalize (object);
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
  object_class->finalize = kt_flow_page_finalize;
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
  schedule_pending_focus (self);
}

/* Called by a page that rebuilt the widgets under the focus, or brought its primary control
 * back: the focus goes to the primary control unless the person has put it on another one. */
void
kt_flow_page_restore_focus (KtFlowPage *self)
{
  KtFlowPagePrivate *priv = kt_flow_page_get_instance_private (self);

  g_return_if_fail (KT_IS_FLOW_PAGE (self));

  priv->focus_pending = TRUE;
  schedule_pending_focus (self);
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

static void
activate_entry_action (GtkEntry   *entry,
                       const char *action_name)
{
  gtk_widget_activate_action (GTK_WIDGET (entry), action_name, NULL);
}

/* Enter in @entry, a field of a page, activates the page's action @action_name, as the button
 * beside the field does. */
void
kt_flow_page_entry_activates (GtkEntry   *entry,
                              const char *action_name)
{
  g_return_if_fail (GTK_IS_ENTRY (entry));

  g_signal_connect (entry, "activate", G_CALLBACK (activate_entry_action),
                    (gpointer) g_intern_string (action_name));
}

static void
clear_editable_off_its_step (KtFlowPage *self)
{
  KtFlowPagePrivate *priv = kt_flow_page_get_instance_private (self);

  if (kt_mfa_controller_get_step (priv->controller) != priv->editable_step)
    gtk_editable_set_text (priv->step_editable, "");
  kt_flow_page_update (self);
}

/* @editable, a field of @self's template, holds what belongs to the flow's step @step alone: it
 * is emptied whenever the controller's step changes to another one. */
void
kt_flow_page_clear_on_leaving (KtFlowPage  *self,
                               GtkEditable *editable,
                               KtMfaStep    step)
{
  KtFlowPagePrivate *priv = kt_flow_page_get_instance_private (self);

  g_return_if_fail (KT_IS_FLOW_PAGE (self));
  g_return_if_fail (GTK_IS_EDITABLE (editable));
  g_return_if_fail (priv->step_editable == NULL);

  priv->step_editable = editable;
  priv->editable_step = step;
  kt_flow_page_connect (self, "notify::step", G_CALLBACK (clear_editable_off_its_step));
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

static GQuark
primary_control_quark (void)
{
  return g_quark_from_static_string ("kt-flow-page-primary-control");
}

static GtkWidget *
get_named_primary_control (KtFlowPage *self)
{
  GType type = G_OBJECT_TYPE (self);
  const char *child_name = g_type_get_qdata (type, primary_control_quark ());

  return GTK_WIDGET (gtk_widget_get_template_child (GTK_WIDGET (self), type, child_name));
}

/* The page's primary control (see KtFlowPageClass) is the child of its template bound as
 * @child_name. */
void
kt_flow_page_class_set_primary_control (KtFlowPageClass *klass,
                                        const char      *child_name)
{
  g_return_if_fail (KT_IS_FLOW_PAGE_CLASS (klass));

  g_type_set_qdata (G_TYPE_FROM_CLASS (klass), primary_control_quark (),
                    (gpointer) g_intern_string (child_name));
  klass->get_primary_control = get_named_primary_control;
}

/* An idle action's activate function that takes the flow back to its first step. */
void
kt_flow_page_start_over (GtkWidget  *widget,
                         const char *action_name,
                         GVariant   *parameter)
{
  kt_mfa_controller_start_over (kt_flow_page_get_controller (KT_FLOW_PAGE (widget)));
}

/* Announcing */

/* The control a screen reader speaks for: an entry, not the text widget inside it that has the
 * keyboard focus. */
static GtkWidget *
accessible_focus (GtkRoot *root)
{
  GtkWidget *focus = gtk_root_get_focus (root);
  GtkWidget *parent;

  if (focus == NULL)
    return GTK_WIDGET (root);
  for (parent = gtk_widget_get_parent (focus); parent != NULL && GTK_IS_EDITABLE (parent);
       parent = gtk_widget_get_parent (focus))
    {
      if (gtk_editable_get_delegate (GTK_EDITABLE (parent)) != GTK_EDITABLE (focus))
        break;
      focus = parent;
    }
  return focus;
}

#if !GTK_CHECK_VERSION (4, 14, 0)
/* Time for a screen reader to read a message before it leaves the control it was put on. */
#define DESCRIPTION_SECONDS 8

static GtkWidget *described;
static guint undescribe_source;

static void
undescribe (void)
{
  g_clear_handle_id (&undescribe_source, g_source_remove);
  if (described == NULL)
    return;
  gtk_accessible_reset_property (GTK_ACCESSIBLE (described), GTK_ACCESSIBLE_PROPERTY_DESCRIPTION);
  g_object_remove_weak_pointer (G_OBJECT (described), (gpointer *) &described);
  described = NULL;
}

static gboolean
on_undescribe_timeout (gpointer user_data)
{
  undescribe_source = 0;
  undescribe ();
  return G_SOURCE_REMOVE;
}
#endif

/* Makes @message reach assistive technologies at once, whatever has the focus in @widget's
 * window: an error, what the security key waits for, a confirmation.
 *
 * GTK 4.14 has announcements for this. GTK 4.8 has none, and no live regions either: a label
 * with an alert or status role that changes raises only a name change on the label, which Orca
 * reads only when the label is the locus of focus (scripts/default.py, on_name_changed). What
 * Orca does read from anywhere in the focused window is a change of the accessible description
 * of the object that has the focus, or one of its ancestors (on_description_changed, and
 * AXUtilitiesEvent.is_presentable_description_change): it presents the new description as a
 * message, without moving the focus from where the person is. So on GTK 4.8 the message becomes
 * the focused control's description for a few seconds; set empty first, since Orca does not
 * repeat a description it has cached, which an error that happens twice would be. */
void
kt_flow_page_announce (GtkWidget  *widget,
                       const char *message)
{
  GtkRoot *root;
  GtkWidget *target;

  g_return_if_fail (GTK_IS_WIDGET (widget));

  root = gtk_widget_get_root (widget);
  if (root == NULL || message == NULL || *message == '\0')
    return;
  target = accessible_focus (root);

#if GTK_CHECK_VERSION (4, 14, 0)
  gtk_accessible_announce (GTK_ACCESSIBLE (target), message,
                           GTK_ACCESSIBLE_ANNOUNCEMENT_PRIORITY_MEDIUM);
#else
  undescribe ();
  gtk_accessible_update_property (GTK_ACCESSIBLE (target),
                                  GTK_ACCESSIBLE_PROPERTY_DESCRIPTION, "",
                                  -1);
  gtk_accessible_update_property (GTK_ACCESSIBLE (target),
                                  GTK_ACCESSIBLE_PROPERTY_DESCRIPTION, message,
                                  -1);
  described = target;
  g_object_add_weak_pointer (G_OBJECT (described), (gpointer *) &described);
  undescribe_source = g_timeout_add_seconds (DESCRIPTION_SECONDS, on_undescribe_timeout, NULL);
#endif
}

/* Tells @message with kt_flow_page_announce() once, when it appears on @self: not again while
 * it stays. %NULL, for nothing to tell, or a page that is not on screen forgets the message, so
 * that it is told again when it next appears there. */
void
kt_flow_page_announce_once (KtFlowPage *self,
                            const char *message)
{
  KtFlowPagePrivate *priv = kt_flow_page_get_instance_private (self);

  g_return_if_fail (KT_IS_FLOW_PAGE (self));

  if (message == NULL || !gtk_widget_get_mapped (GTK_WIDGET (self)))
    g_clear_pointer (&priv->announced, g_free);
  else if (g_strcmp0 (priv->announced, message) != 0)
    {
      g_free (priv->announced);
      priv->announced = g_strdup (message);
      kt_flow_page_announce (GTK_WIDGET (self), message);
    }
}

/* "_Rename" is read "Rename". */
static char *
without_mnemonic (const char *label)
{
  GString *words = g_string_new (NULL);

  for (const char *p = label; *p != '\0'; p++)
    {
      if (*p == '_' && p[1] != '\0')
        p++;
      g_string_append_c (words, *p);
    }
  return g_string_free (words, FALSE);
}

/* Names every button under @widget that has a label of its own by that label's words. GTK 4.8
 * names a button whose label has a mnemonic by the label with its mark and then the words of
 * the label inside it ("_Rename Rename"), which a screen reader reads as it is; libadwaita 1.2's
 * dialogs make their responses so. */
void
kt_flow_page_name_buttons (GtkWidget *widget)
{
  g_return_if_fail (GTK_IS_WIDGET (widget));

  if (GTK_IS_BUTTON (widget) && gtk_button_get_label (GTK_BUTTON (widget)) != NULL)
    {
      g_autofree char *name = without_mnemonic (gtk_button_get_label (GTK_BUTTON (widget)));

      gtk_accessible_reset_relation (GTK_ACCESSIBLE (widget), GTK_ACCESSIBLE_RELATION_LABELLED_BY);
      gtk_accessible_update_property (GTK_ACCESSIBLE (widget),
                                      GTK_ACCESSIBLE_PROPERTY_LABEL, name,
                                      -1);
    }
  for (GtkWidget *child = gtk_widget_get_first_child (widget);
       child != NULL;
       child = gtk_widget_get_next_sibling (child))
    kt_flow_page_name_buttons (child);
}

typedef struct {
  KtFlowPage *page;
  char       *message;
} ToastOnSuccess;

gpointer
kt_flow_page_toast_on_success_data (KtFlowPage *self,
                                    const char *message)
{
  ToastOnSuccess *data;

  g_return_val_if_fail (KT_IS_FLOW_PAGE (self), NULL);

  data = g_new0 (ToastOnSuccess, 1);
  data->page = g_object_ref (self);
  data->message = g_strdup (message);
  return data;
}

void
kt_flow_page_toast_on_success (GObject      *source,
                               GAsyncResult *result,
                               gpointer      user_data)
{
  ToastOnSuccess *data = user_data;

  /* A failure is the controller's error, which the page shows where it happened. The window
   * that holds the page shows the toast through its win.toast action. */
  if (kt_mfa_controller_operation_finish (KT_MFA_CONTROLLER (source), result, NULL))
    gtk_widget_activate_action (GTK_WIDGET (data->page), "win.toast", "s", data->message);
  g_object_unref (data->page);
  g_free (data->message);
  g_free (data);
}
