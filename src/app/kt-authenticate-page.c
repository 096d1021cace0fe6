/* kt-authenticate-page.c: proving the second factor with a registered security key
 *
 * Copyright 2026 Keyturn developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <glib/gi18n.h>

#include "kt-authenticate-page.h"
#include "kt-flow-status.h"
#include "kt-key-status.h"
#include "kt-set-pin-dialog.h"

struct _KtAuthenticatePage
{
  KtFlowPage  parent_instance;

  /* Template widgets */
  GtkButton  *authenticate_button;
  GtkWidget  *set_pin_button;
};

G_DEFINE_FINAL_TYPE (KtAuthenticatePage, kt_authenticate_page, KT_TYPE_FLOW_PAGE)

static void
kt_authenticate_page_update (KtFlowPage *page)
{
  /* A key with no PIN cannot verify its user: offer to set one, then the same step again. */
  kt_set_pin_dialog_update_offer (page, "authenticate.set-pin",
                                  KT_AUTHENTICATE_PAGE (page)->set_pin_button);
}

static void
authenticate_action (GtkWidget  *widget,
                     const char *action_name,
                     GVariant   *parameter)
{
  KtMfaController *controller = kt_flow_page_get_controller (KT_FLOW_PAGE (widget));

  kt_mfa_controller_authenticate_passkey_async (controller, NULL, NULL, NULL);
}

static void
use_recovery_code_action (GtkWidget  *widget,
                          const char *action_name,
                          GVariant   *parameter)
{
  kt_mfa_controller_choose_recovery_code (kt_flow_page_get_controller (KT_FLOW_PAGE (widget)));
}

static void
set_pin_action (GtkWidget  *widget,
                const char *action_name,
                GVariant   *parameter)
{
  kt_set_pin_dialog_offer (KT_FLOW_PAGE (widget), "authenticate.authenticate");
}

static void
kt_authenticate_page_class_init (KtAuthenticatePageClass *klass)
{
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  KtFlowPageClass *page_class = KT_FLOW_PAGE_CLASS (klass);

  page_class->update = kt_authenticate_page_update;
  kt_flow_page_class_set_primary_control (page_class, "authenticate_button");

  g_type_ensure (KT_TYPE_FLOW_STATUS);
  g_type_ensure (KT_TYPE_KEY_STATUS);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/keyturn/Keyturn/kt-authenticate-page.ui");
  gtk_widget_class_bind_template_child (widget_class, KtAuthenticatePage, set_pin_button);
  gtk_widget_class_bind_template_child (widget_class, KtAuthenticatePage, authenticate_button);
  kt_flow_page_class_install_action (page_class, "authenticate.authenticate", NULL,
                                     authenticate_action);
  kt_flow_page_class_install_action (page_class, "authenticate.use-recovery-code", NULL,
                                     use_recovery_code_action);
  kt_flow_page_class_install_action (page_class, "authenticate.start-over", NULL,
                                     kt_flow_page_start_over);
  gtk_widget_class_install_action (widget_class, "authenticate.set-pin", NULL, set_pin_action);
}

static void
kt_authenticate_page_init (KtAuthenticatePage *self)
{
  kt_flow_page_watch (KT_FLOW_PAGE (self), "authenticator-state", NULL);

  gtk_widget_init_template (GTK_WIDGET (self));
}
