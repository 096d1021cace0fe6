/* kt-register-page.c: registering a security key as the account's passkey
 *
 * Copyright 2026 Keyturn developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <glib/gi18n.h>

#include "kt-flow-status.h"
#include "kt-key-status.h"
#include "kt-set-pin-dialog.h"
#include "kt-register-page.h"

struct _KtRegisterPage
{
  KtFlowPage  parent_instance;

  /* Template widgets */
  GtkEntry   *alias_entry;
  GtkWidget  *set_pin_button;
};

G_DEFINE_FINAL_TYPE (KtRegisterPage, kt_register_page, KT_TYPE_FLOW_PAGE)

static void
kt_register_page_update (KtFlowPage *page)
{
  /* A key with no PIN cannot verify its user: offer to set one, then the same step again. */
  kt_set_pin_dialog_update_offer (page, "register.set-pin",
                                  KT_REGISTER_PAGE (page)->set_pin_button);
}

static void
register_action (GtkWidget  *widget,
                 const char *action_name,
                 GVariant   *parameter)
{
  KtRegisterPage *self = KT_REGISTER_PAGE (widget);
  g_autofree char *alias = NULL;

  alias = g_strstrip (g_strdup (gtk_editable_get_text (GTK_EDITABLE (self->alias_entry))));
  kt_mfa_controller_register_passkey_async (kt_flow_page_get_controller (KT_FLOW_PAGE (self)),
                                            *alias != '\0' ? alias : NULL, NULL, NULL, NULL);
}

static void
set_pin_action (GtkWidget  *widget,
                const char *action_name,
                GVariant   *parameter)
{
  kt_set_pin_dialog_offer (KT_FLOW_PAGE (widget), "register.register");
}

static void
kt_register_page_class_init (KtRegisterPageClass *klass)
{
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  KtFlowPageClass *page_class = KT_FLOW_PAGE_CLASS (klass);

  page_class->update = kt_register_page_update;
  kt_flow_page_class_set_primary_control (page_class, "alias_entry");

  g_type_ensure (KT_TYPE_FLOW_STATUS);
  g_type_ensure (KT_TYPE_KEY_STATUS);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/keyturn/Keyturn/kt-register-page.ui");
  gtk_widget_class_bind_template_child (widget_class, KtRegisterPage, set_pin_button);
  gtk_widget_class_bind_template_child (widget_class, KtRegisterPage, alias_entry);
  kt_flow_page_class_install_action (page_class, "register.register", NULL, register_action);
  kt_flow_page_class_install_action (page_class, "register.start-over", NULL,
                                     kt_flow_page_start_over);
  gtk_widget_class_install_action (widget_class, "register.set-pin", NULL, set_pin_action);
}

static void
kt_register_page_init (KtRegisterPage *self)
{
  kt_flow_page_watch (KT_FLOW_PAGE (self), "authenticator-state", NULL);

  gtk_widget_init_template (GTK_WIDGET (self));
  kt_flow_page_entry_activates (self->alias_entry, "register.register");
}
