/* kt-flow-status.c: the foot of every page: what is under way, and what went wrong last
 *
 * Copyright 2026 Keyturn developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <glib/gi18n.h>

#include "kt-flow-status.h"

struct _KtFlowStatus
{
  KtFlowPage  parent_instance;

  /* Template widgets */
  GtkLabel   *error_label;
  GtkWidget  *busy_box;
  GtkSpinner *spinner;
};

G_DEFINE_FINAL_TYPE (KtFlowStatus, kt_flow_status, KT_TYPE_FLOW_PAGE)

static void
kt_flow_status_update (KtFlowPage *page)
{
  KtFlowStatus *self = KT_FLOW_STATUS (page);
  KtMfaController *controller = kt_flow_page_get_controller (page);
  const char *message = NULL;
  gboolean busy = FALSE;

  if (controller != NULL)
    {
      const GError *error = kt_mfa_controller_get_error (controller);

      message = error != NULL ? error->message : NULL;
      busy = kt_mfa_controller_get_busy (controller);
    }

  gtk_label_set_text (self->error_label, message != NULL ? message : "");
  gtk_widget_set_visible (GTK_WIDGET (self->error_label), message != NULL && !busy);

  /* Told once when it appears, wherever the focus is: the label is seldom where it is. Another
   * attempt that fails the same way appears again after the busy time between them. Each page
   * has a status: only the one on screen speaks. */
  kt_flow_page_announce_once (page, busy ? NULL : message);
  gtk_widget_set_visible (self->busy_box, busy);
  gtk_spinner_set_spinning (self->spinner, busy);
}

static void
cancel_action (GtkWidget  *widget,
               const char *action_name,
               GVariant   *parameter)
{
  KtMfaController *controller = kt_flow_page_get_controller (KT_FLOW_PAGE (widget));

  if (controller != NULL)
    kt_mfa_controller_cancel (controller);
}

static void
kt_flow_status_class_init (KtFlowStatusClass *klass)
{
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  KtFlowPageClass *page_class = KT_FLOW_PAGE_CLASS (klass);

  page_class->update = kt_flow_status_update;

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
  kt_flow_page_watch (KT_FLOW_PAGE (self), "error-message", NULL);

  gtk_widget_init_template (GTK_WIDGET (self));
}
