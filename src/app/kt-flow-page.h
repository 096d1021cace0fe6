/* kt-flow-page.h: the base of the widgets that show the sign-in flow: a page per step, and the
 * parts of pages that follow the controller on their own
 *
 * Copyright 2026 Keyturn developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>

#include "kt-mfa-controller.h"

G_BEGIN_DECLS

#define KT_TYPE_FLOW_PAGE (kt_flow_page_get_type ())

G_DECLARE_DERIVABLE_TYPE (KtFlowPage, kt_flow_page, KT, FLOW_PAGE, AdwBin)

/**
 * KtFlowPageClass:
 * @update: brings the widgets and actions up to date with the controller; called once the page
 *   is built, whenever the controller is set, when it becomes busy or idle, and when a property
 *   named with kt_flow_page_watch() changes
 * @controller_changed: the page was given another controller (or none); the default calls
 *   @update, a page that builds something from the controller does that first, then chains up
 * @get_primary_control: the control a person uses first on this page, which takes the focus
 *   when the page is given it; %NULL lets the page's own default decide. A page whose primary
 *   control is always the same child of its template names it with
 *   kt_flow_page_class_set_primary_control() instead
 *
 * A subclass is a final type built from a template of its own, which the base disposes of.
 */
struct _KtFlowPageClass
{
  AdwBinClass parent_class;

  void        (*update)              (KtFlowPage *self);
  void        (*controller_changed)  (KtFlowPage *self);
  GtkWidget * (*get_primary_control) (KtFlowPage *self);

  gpointer padding[8];
};

KtMfaController *kt_flow_page_get_controller (KtFlowPage      *self);
void             kt_flow_page_set_controller (KtFlowPage      *self,
                                              KtMfaController *controller);
gboolean         kt_flow_page_is_idle        (KtFlowPage      *self);
void             kt_flow_page_update         (KtFlowPage      *self);
void             kt_flow_page_watch          (KtFlowPage      *self,
                                              const char      *first_property,
                                              ...) G_GNUC_NULL_TERMINATED;
void             kt_flow_page_restore_focus  (KtFlowPage      *self);
void             kt_flow_page_connect        (KtFlowPage      *self,
                                              const char      *detailed_signal,
                                              GCallback        callback);

void             kt_flow_page_entry_activates  (GtkEntry    *entry,
                                                const char  *action_name);
void             kt_flow_page_clear_on_leaving (KtFlowPage  *self,
                                                GtkEditable *editable,
                                                KtMfaStep    step);

void             kt_flow_page_class_set_primary_control (KtFlowPageClass *klass,
                                                         const char      *child_name);
void             kt_flow_page_class_install_action (KtFlowPageClass             *klass,
                                                    const char                  *action_name,
                                                    const char                  *parameter_type,
                                                    GtkWidgetActionActivateFunc  activate);

void             kt_flow_page_start_over     (GtkWidget       *widget,
                                              const char      *action_name,
                                              GVariant        *parameter);

void             kt_flow_page_announce       (GtkWidget       *widget,
                                              const char      *message);
void             kt_flow_page_announce_once  (KtFlowPage      *self,
                                              const char      *message);
void             kt_flow_page_name_buttons   (GtkWidget       *widget);

/* For a controller operation that @self starts: when it succeeds, @message is shown as a toast
 * in the window holding @self. Pass kt_flow_page_toast_on_success as the callback and the result
 * of kt_flow_page_toast_on_success_data as its data. */
gpointer         kt_flow_page_toast_on_success_data (KtFlowPage   *self,
                                                     const char   *message);
void             kt_flow_page_toast_on_success      (GObject      *source,
                                                     GAsyncResult *result,
                                                     gpointer      user_data);

G_END_DECLS
