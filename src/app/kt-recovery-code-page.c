/* kt-recovery-code-page.c: proving the second factor with a recovery code
 *
 * Copyright 2026 Keyturn developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <glib/gi18n.h>

#include "kt-flow-status.h"
#include "kt-recovery-code-page.h"
#include "kt-secret.h"

struct _KtRecoveryCodePage
{
  KtFlowPage  parent_instance;

  /* Template widgets */
  GtkEntry   *code_entry;
};

G_DEFINE_FINAL_TYPE (KtRecoveryCodePage, kt_recovery_code_page, KT_TYPE_FLOW_PAGE)

static void
kt_recovery_code_page_update (KtFlowPage *page)
{
  KtRecoveryCodePage *self = KT_RECOVERY_CODE_PAGE (page);
  const char *code = gtk_editable_get_text (GTK_EDITABLE (self->code_entry));

  gtk_widget_action_set_enabled (GTK_WIDGET (self), "recovery-code.submit",
                                 kt_flow_page_is_idle (page) && *code != '\0');
}

static void
submit_action (GtkWidget  *widget,
               const char *action_name,
               GVariant   *parameter)
{
  KtRecoveryCodePage *self = KT_RECOVERY_CODE_PAGE (widget);
  g_autoptr(KtSecret) code = NULL;

  if (!kt_flow_page_is_idle (KT_FLOW_PAGE (self)))
    return;
  code = g_strstrip (g_strdup (gtk_editable_get_text (GTK_EDITABLE (self->code_entry))));
  if (*code == '\0')
    return;
  kt_mfa_controller_use_recovery_code_async (kt_flow_page_get_controller (KT_FLOW_PAGE (self)),
                                             code, NULL, NULL, NULL);
}

static void
use_passkey_action (GtkWidget  *widget,
                    const char *action_name,
                    GVariant   *parameter)
{
  kt_mfa_controller_choose_passkey (kt_flow_page_get_controller (KT_FLOW_PAGE (widget)));
}

static void
kt_recovery_code_page_class_init (KtRecoveryCodePageClass *klass)
{
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  KtFlowPageClass *page_class = KT_FLOW_PAGE_CLASS (klass);

  page_class->update = kt_recovery_code_page_update;
  kt_flow_page_class_set_primary_control (page_class, "code_entry");

  g_type_ensure (KT_TYPE_FLOW_STATUS);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/keyturn/Keyturn/kt-recovery-code-page.ui");
  gtk_widget_class_bind_template_child (widget_class, KtRecoveryCodePage, code_entry);
  gtk_widget_class_bind_template_callback (widget_class, kt_flow_page_update);
  gtk_widget_class_install_action (widget_class, "recovery-code.submit", NULL, submit_action);
  kt_flow_page_class_install_action (page_class, "recovery-code.use-passkey", NULL,
                                     use_passkey_action);
}

static void
kt_recovery_code_page_init (KtRecoveryCodePage *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  kt_flow_page_entry_activates (self->code_entry, "recovery-code.submit");
  /* A recovery code is a secret: it does not stay in the field once used or left. */
  kt_flow_page_clear_on_leaving (KT_FLOW_PAGE (self), GTK_EDITABLE (self->code_entry),
                                 KT_MFA_STEP_USE_RECOVERY_CODE);
}
