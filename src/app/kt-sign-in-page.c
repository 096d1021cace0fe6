/* kt-sign-in-page.c: the first step: the person's email address
 *
 * Copyright 2026 Keyturn developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <glib/gi18n.h>
#include <string.h>

#include "kt-flow-status.h"
#include "kt-sign-in-page.h"

struct _KtSignInPage
{
  KtFlowPage  parent_instance;

  /* Template widgets */
  GtkEntry   *email_entry;
  GtkWidget  *retry_box;
  GtkWidget  *revoke_box;
};

G_DEFINE_FINAL_TYPE (KtSignInPage, kt_sign_in_page, KT_TYPE_FLOW_PAGE)

static gboolean
can_send_code (KtSignInPage *self)
{
  const char *email = gtk_editable_get_text (GTK_EDITABLE (self->email_entry));

  return kt_flow_page_is_idle (KT_FLOW_PAGE (self)) && strchr (email, '@') != NULL;
}

static void
kt_sign_in_page_update (KtFlowPage *page)
{
  KtSignInPage *self = KT_SIGN_IN_PAGE (page);
  KtMfaController *controller = kt_flow_page_get_controller (page);
  gboolean unchecked = controller != NULL && kt_mfa_controller_get_unchecked_session (controller);

  gtk_widget_action_set_enabled (GTK_WIDGET (self), "sign-in.send-code", can_send_code (self));
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "sign-in.retry",
                                 unchecked && kt_flow_page_is_idle (page));
  gtk_widget_set_visible (self->retry_box, unchecked);
  gtk_widget_set_visible (self->revoke_box,
                          controller != NULL
                          && kt_mfa_controller_get_revocation_pending (controller));
}

/* The server was out of reach at start-up: the kept session is checked again, no new code. */
static void
retry_action (GtkWidget  *widget,
              const char *action_name,
              GVariant   *parameter)
{
  KtFlowPage *page = KT_FLOW_PAGE (widget);

  if (!kt_flow_page_is_idle (page))
    return;
  kt_mfa_controller_restore_async (kt_flow_page_get_controller (page), NULL,
                                   kt_flow_page_toast_on_success,
                                   kt_flow_page_toast_on_success_data
                                     (page, _("Connected to the server again")));
}

/* Signing out could not reach the server: the session is ended there once it can be. */
static void
revoke_again_action (GtkWidget  *widget,
                     const char *action_name,
                     GVariant   *parameter)
{
  kt_mfa_controller_revoke_again_async (kt_flow_page_get_controller (KT_FLOW_PAGE (widget)), NULL,
                                        kt_flow_page_toast_on_success,
                                        kt_flow_page_toast_on_success_data
                                          (KT_FLOW_PAGE (widget),
                                           _("Your last session is ended on the server")));
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
  kt_mfa_controller_send_code_async (kt_flow_page_get_controller (KT_FLOW_PAGE (self)), email,
                                     NULL, NULL, NULL);
}

static void
kt_sign_in_page_class_init (KtSignInPageClass *klass)
{
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  KtFlowPageClass *page_class = KT_FLOW_PAGE_CLASS (klass);

  page_class->update = kt_sign_in_page_update;
  kt_flow_page_class_set_primary_control (page_class, "email_entry");

  g_type_ensure (KT_TYPE_FLOW_STATUS);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/keyturn/Keyturn/kt-sign-in-page.ui");
  gtk_widget_class_bind_template_child (widget_class, KtSignInPage, email_entry);
  gtk_widget_class_bind_template_child (widget_class, KtSignInPage, retry_box);
  gtk_widget_class_bind_template_child (widget_class, KtSignInPage, revoke_box);
  gtk_widget_class_bind_template_callback (widget_class, kt_flow_page_update);
  gtk_widget_class_install_action (widget_class, "sign-in.send-code", NULL, send_code_action);
  gtk_widget_class_install_action (widget_class, "sign-in.retry", NULL, retry_action);
  kt_flow_page_class_install_action (page_class, "sign-in.revoke-again", NULL,
                                     revoke_again_action);
}

static void
kt_sign_in_page_init (KtSignInPage *self)
{
  kt_flow_page_watch (KT_FLOW_PAGE (self), "unchecked-session", NULL);

  gtk_widget_init_template (GTK_WIDGET (self));
  kt_flow_page_entry_activates (self->email_entry, "sign-in.send-code");
}
