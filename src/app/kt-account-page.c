/* kt-account-page.c: who is signed in, their passkeys (adding, renaming and removing them, with
 * the step-up the server asks for), and signing out
 *
 * Copyright 2026 Keyturn developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <glib/gi18n.h>

#include "kt-account-page.h"
#include "kt-flow-status.h"
#include "kt-key-status.h"
#include "kt-passkey-row.h"
#include "kt-set-pin-dialog.h"

struct _KtAccountPage
{
  KtFlowPage  parent_instance;

  /* Template widgets */
  GtkLabel   *who_label;
  GtkLabel   *not_remembered_label;
  GtkListBox *passkeys_list;
  GtkWidget  *key_status;
  GtkLabel   *backup_hint;
  GtkLabel   *step_label;
  GtkWidget  *recovery_button;
  GtkWidget  *retry_button;
  GtkWidget  *set_pin_button;
  GtkWidget  *new_recovery_codes_button;

  /* The action that asks for a step-up, kept so that it can go on after a recovery code or be
   * tried again with another key */
  const char *pending_scope;    /* KT_SCOPE_*, NULL when none is pending */
  KtPasskey  *pending_delete;
  char       *pending_alias;
  gboolean    new_key_turn;     /* the step-up for the new key is done: its turn now */
  gboolean    switching_to_code;

  /* Owned */
  GListModel *passkeys;        /* the list's model, watched for the focus in its rows */
  char       *focus_action;    /* what the focus was on in a row the list is rebuilding */
  GVariant   *focus_target;
};

G_DEFINE_FINAL_TYPE (KtAccountPage, kt_account_page, KT_TYPE_FLOW_PAGE)

static KtPasskey *
find_passkey (KtAccountPage *self,
              const char    *id)
{
  GListModel *passkeys =
    kt_mfa_controller_get_passkeys (kt_flow_page_get_controller (KT_FLOW_PAGE (self)));

  for (guint i = 0; i < g_list_model_get_n_items (passkeys); i++)
    {
      g_autoptr(KtPasskey) passkey = g_list_model_get_item (passkeys, i);

      if (g_strcmp0 (kt_passkey_get_id (passkey), id) == 0)
        return g_steal_pointer (&passkey);
    }
  return NULL;
}

static GtkWidget *
create_passkey_row (gpointer item,
                    gpointer user_data)
{
  return GTK_WIDGET (kt_passkey_row_new (KT_PASSKEY (item)));
}

/* The one step a protected action asks for, said before the key is; the recovery code as the
 * alternative while the key is asked; trying again once the new key is in. */
static void
update_step_up (KtAccountPage   *self,
                KtMfaController *controller)
{
  GListModel *passkeys = controller != NULL ? kt_mfa_controller_get_passkeys (controller) : NULL;
  KtWebauthnState state = controller != NULL
                          ? kt_mfa_controller_get_authenticator_state (controller)
                          : KT_WEBAUTHN_STATE_IDLE;
  gboolean idle = kt_flow_page_is_idle (KT_FLOW_PAGE (self));
  g_autofree char *text = NULL;

  if (self->pending_delete != NULL)
    {
      g_autofree char *title = kt_passkey_row_dup_title (self->pending_delete);

      text = g_strdup_printf (_("Confirm with your security key to remove “%s”."), title);
    }
  else if (self->pending_alias != NULL && !self->new_key_turn)
    text = g_strdup_printf (_("Confirm with a security key you already have to add “%s”."),
                            self->pending_alias);
  else if (self->pending_alias != NULL && idle)
    text = g_strdup_printf (_("Insert the new key “%s” in place of the other one, then choose "
                              "Continue With the New Key."), self->pending_alias);
  else if (self->pending_alias != NULL)
    text = g_strdup_printf (_("Touch the new key “%s” to add it."), self->pending_alias);

  gtk_label_set_text (self->step_label, text != NULL ? text : "");
  gtk_widget_set_visible (GTK_WIDGET (self->step_label), text != NULL);
  gtk_widget_set_visible (self->recovery_button,
                          self->pending_scope != NULL && !self->new_key_turn && !idle
                          && state != KT_WEBAUTHN_STATE_IDLE);
  gtk_widget_set_visible (self->retry_button,
                          self->pending_alias != NULL && self->new_key_turn && idle);
  gtk_widget_set_visible (self->set_pin_button,
                          self->pending_alias != NULL && idle
                          && state == KT_WEBAUTHN_STATE_PIN_NOT_SET);
  /* One key is one loss away from the recovery codes. */
  gtk_widget_set_visible (GTK_WIDGET (self->backup_hint),
                          passkeys != NULL && g_list_model_get_n_items (passkeys) == 1);
}

static void
clear_pending (KtAccountPage *self)
{
  self->pending_scope = NULL;
  g_clear_object (&self->pending_delete);
  g_clear_pointer (&self->pending_alias, g_free);
  self->new_key_turn = FALSE;
  self->switching_to_code = FALSE;
}

static void
kt_account_page_update (KtFlowPage *page)
{
  KtAccountPage *self = KT_ACCOUNT_PAGE (page);
  KtMfaController *controller = kt_flow_page_get_controller (page);
  KtUser *user = NULL;
  const char *reason = NULL;

  if (controller != NULL)
    {
      user = kt_mfa_controller_get_user (controller);
      if (!kt_mfa_controller_get_remembered (controller))
        reason = kt_mfa_controller_get_not_remembered_reason (controller);
    }

  if (user != NULL && kt_user_get_email (user) != NULL)
    {
      g_autofree char *text = g_strdup_printf (_("You are signed in as %s."),
                                               kt_user_get_email (user));
      gtk_label_set_text (self->who_label, text);
    }
  else
    gtk_label_set_text (self->who_label, _("You are signed in."));

  /* Removing a key may need a fresh touch of one first: say so where it is asked. */
  gtk_widget_set_visible (self->key_status,
                          controller != NULL
                          && kt_mfa_controller_get_authenticator_state (controller)
                             != KT_WEBAUTHN_STATE_IDLE);

  gtk_label_set_text (self->not_remembered_label, reason != NULL ? reason : "");
  gtk_widget_set_visible (GTK_WIDGET (self->not_remembered_label), reason != NULL);

  update_step_up (self, controller);
}

/* The button under @widget for @action with @target (any for NULL). */
static GtkWidget *
find_actionable (GtkWidget  *widget,
                 const char *action,
                 GVariant   *target)
{
  if (GTK_IS_ACTIONABLE (widget)
      && g_strcmp0 (gtk_actionable_get_action_name (GTK_ACTIONABLE (widget)), action) == 0
      && (target == NULL
          || (gtk_actionable_get_action_target_value (GTK_ACTIONABLE (widget)) != NULL
              && g_variant_equal (gtk_actionable_get_action_target_value
                                    (GTK_ACTIONABLE (widget)), target))))
    return widget;
  for (GtkWidget *child = gtk_widget_get_first_child (widget);
       child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found = find_actionable (child, action, target);

      if (found != NULL)
        return found;
    }
  return NULL;
}

/* The list box rebuilds the rows of the passkeys that change, and the focus goes with a row
 * it destroys: before it does, what the focus is on is remembered, a row or one of its buttons,
 * by the passkey its buttons act on... */
static void
remember_list_focus (KtAccountPage *self)
{
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (self));
  GtkWidget *focus = root != NULL ? gtk_root_get_focus (root) : NULL;
  GtkWidget *row;
  GtkWidget *button;

  g_clear_pointer (&self->focus_action, g_free);
  g_clear_pointer (&self->focus_target, g_variant_unref);
  if (focus == NULL || !gtk_widget_is_ancestor (focus, GTK_WIDGET (self->passkeys_list)))
    return;
  row = GTK_IS_LIST_BOX_ROW (focus) ? focus : gtk_widget_get_ancestor (focus,
                                                                       GTK_TYPE_LIST_BOX_ROW);
  button = row != NULL ? find_actionable (row, "account.rename", NULL) : NULL;
  if (button == NULL)
    return;
  /* No action stands for the row itself. */
  self->focus_action = g_strdup (focus != row && GTK_IS_ACTIONABLE (focus)
                                 ? gtk_actionable_get_action_name (GTK_ACTIONABLE (focus)) : "");
  self->focus_target = g_variant_ref (gtk_actionable_get_action_target_value
                                        (GTK_ACTIONABLE (button)));
}

/* ...and given back in the new row, or to the page's first control when that passkey is
 * gone. */
static void
restore_list_focus (KtAccountPage *self)
{
  GtkWidget *widget;

  if (self->focus_action == NULL)
    return;
  widget = find_actionable (GTK_WIDGET (self->passkeys_list), "account.rename",
                            self->focus_target);
  if (widget != NULL && *self->focus_action == '\0')
    widget = gtk_widget_get_ancestor (widget, GTK_TYPE_LIST_BOX_ROW);
  else if (widget != NULL)
    widget = find_actionable (GTK_WIDGET (self->passkeys_list), self->focus_action,
                              self->focus_target);
  if (widget == NULL || !gtk_widget_grab_focus (widget))
    kt_flow_page_restore_focus (KT_FLOW_PAGE (self));
  g_clear_pointer (&self->focus_action, g_free);
  g_clear_pointer (&self->focus_target, g_variant_unref);
}

/* The list follows the controller's passkeys, whichever controller the page has. */
static void
kt_account_page_controller_changed (KtFlowPage *page)
{
  KtAccountPage *self = KT_ACCOUNT_PAGE (page);
  KtMfaController *controller = kt_flow_page_get_controller (page);
  GListModel *passkeys = controller != NULL ? kt_mfa_controller_get_passkeys (controller) : NULL;

  clear_pending (self);
  if (self->passkeys != NULL)
    g_signal_handlers_disconnect_by_data (self->passkeys, self);
  g_set_object (&self->passkeys, passkeys);
  /* Around the list box's own handler, which is connected by the binding. */
  if (passkeys != NULL)
    g_signal_connect_swapped (passkeys, "items-changed", G_CALLBACK (remember_list_focus), self);
  gtk_list_box_bind_model (self->passkeys_list, passkeys, create_passkey_row, NULL, NULL);
  if (passkeys != NULL)
    g_signal_connect_data (passkeys, "items-changed", G_CALLBACK (restore_list_focus), self,
                           NULL, G_CONNECT_SWAPPED | G_CONNECT_AFTER);
  /* The hint for a backup key follows the number of keys. */
  if (passkeys != NULL)
    g_signal_connect_swapped (passkeys, "items-changed", G_CALLBACK (kt_flow_page_update), self);

  KT_FLOW_PAGE_CLASS (kt_account_page_parent_class)->controller_changed (page);
}

/* A dialog asking for one line of text, named @entry_label for a screen reader, with Cancel and
 * @response (suggested, the default), connected to @on_response and shown. */
static void
present_entry_dialog (KtAccountPage *self,
                      const char    *heading,
                      const char    *body,
                      const char    *entry_label,
                      const char    *text,
                      const char    *response,
                      const char    *response_label,
                      GCallback      on_response,
                      KtPasskey     *passkey)
{
  AdwMessageDialog *dialog;
  GtkWidget *entry;

  dialog = ADW_MESSAGE_DIALOG (adw_message_dialog_new (GTK_WINDOW (gtk_widget_get_root
                                                                   (GTK_WIDGET (self))),
                                                       heading, body));
  entry = gtk_entry_new ();
  gtk_editable_set_text (GTK_EDITABLE (entry), text != NULL ? text : "");
  gtk_entry_set_activates_default (GTK_ENTRY (entry), TRUE);
  gtk_accessible_update_property (GTK_ACCESSIBLE (entry),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, entry_label,
                                  -1);
  adw_message_dialog_set_extra_child (dialog, entry);
  adw_message_dialog_add_responses (dialog,
                                    "cancel", _("_Cancel"),
                                    response, response_label,
                                    NULL);
  adw_message_dialog_set_response_appearance (dialog, response, ADW_RESPONSE_SUGGESTED);
  adw_message_dialog_set_default_response (dialog, response);
  adw_message_dialog_set_close_response (dialog, "cancel");
  if (passkey != NULL)
    g_object_set_data_full (G_OBJECT (dialog), "passkey", g_object_ref (passkey),
                            g_object_unref);
  g_signal_connect_object (dialog, "response", on_response, self, 0);
  kt_flow_page_name_buttons (GTK_WIDGET (dialog));
  gtk_window_present (GTK_WINDOW (dialog));
  gtk_widget_grab_focus (entry);
}

static void
on_rename_response (AdwMessageDialog *dialog,
                    const char       *response,
                    KtAccountPage    *self)
{
  GtkEditable *entry = GTK_EDITABLE (adw_message_dialog_get_extra_child (dialog));
  KtPasskey *passkey = g_object_get_data (G_OBJECT (dialog), "passkey");
  g_autofree char *alias = NULL;
  g_autofree char *message = NULL;

  if (g_strcmp0 (response, "rename") != 0 || !kt_flow_page_is_idle (KT_FLOW_PAGE (self)))
    return;
  alias = g_strstrip (g_strdup (gtk_editable_get_text (entry)));
  if (*alias == '\0')
    return;
  message = g_strdup_printf (_("Security key renamed to “%s”"), alias);
  kt_mfa_controller_rename_passkey_async (kt_flow_page_get_controller (KT_FLOW_PAGE (self)),
                                          passkey, alias, NULL,
                                          kt_flow_page_toast_on_success,
                                          kt_flow_page_toast_on_success_data (KT_FLOW_PAGE (self),
                                                                              message));
}

static void
rename_action (GtkWidget  *widget,
               const char *action_name,
               GVariant   *parameter)
{
  KtAccountPage *self = KT_ACCOUNT_PAGE (widget);
  g_autoptr(KtPasskey) passkey = find_passkey (self, g_variant_get_string (parameter, NULL));

  if (passkey != NULL)
    present_entry_dialog (self, _("Rename Security Key"), NULL, _("Name"),
                          kt_passkey_get_alias (passkey), "rename", _("_Rename"),
                          G_CALLBACK (on_rename_response), passkey);
}

/* A step of the pending action failed or was cancelled. */
static void
keep_or_clear_pending (KtAccountPage *self)
{
  /* Cancelled for the switch to a recovery code: the action waits for the code. */
  if (self->switching_to_code)
    self->switching_to_code = FALSE;
  /* A new key can be tried again (another key inserted, a PIN set); a removal, or an addition
   * whose first step-up failed, is asked anew. */
  else if (self->pending_alias == NULL || !self->new_key_turn)
    clear_pending (self);
}

/* The end of an action that may have asked for a step-up. */
static void
on_protected_action_done (GObject      *source,
                          GAsyncResult *result,
                          gpointer      user_data)
{
  g_autoptr(KtAccountPage) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *message = NULL;

  if (kt_mfa_controller_operation_finish (KT_MFA_CONTROLLER (source), result, &error))
    {
      if (self->pending_delete != NULL)
        {
          g_autofree char *title = kt_passkey_row_dup_title (self->pending_delete);

          message = g_strdup_printf (_("“%s” removed"), title);
        }
      else if (self->pending_alias != NULL)
        message = g_strdup_printf (_("“%s” added"), self->pending_alias);
      clear_pending (self);
      if (message != NULL)
        gtk_widget_activate_action (GTK_WIDGET (self), "win.toast", "s", message);
    }
  else
    keep_or_clear_pending (self);
  kt_flow_page_update (KT_FLOW_PAGE (self));
}

static void
start_delete (KtAccountPage *self)
{
  kt_mfa_controller_delete_passkey_async (kt_flow_page_get_controller (KT_FLOW_PAGE (self)),
                                          self->pending_delete, NULL, on_protected_action_done,
                                          g_object_ref (self));
}

/* The key already registered has confirmed (or none was needed): the new key's turn. */
static void
on_add_stepped_up (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(KtAccountPage) self = user_data;

  if (kt_mfa_controller_operation_finish (KT_MFA_CONTROLLER (source), result, NULL))
    self->new_key_turn = self->pending_alias != NULL;
  else
    keep_or_clear_pending (self);
  kt_flow_page_update (KT_FLOW_PAGE (self));
}

static void
start_add (KtAccountPage *self)
{
  kt_mfa_controller_add_passkey_async (kt_flow_page_get_controller (KT_FLOW_PAGE (self)),
                                       self->pending_alias, NULL, on_protected_action_done,
                                       g_object_ref (self));
}

static void
on_delete_response (AdwMessageDialog *dialog,
                    const char       *response,
                    KtAccountPage    *self)
{
  KtPasskey *passkey = g_object_get_data (G_OBJECT (dialog), "passkey");

  if (g_strcmp0 (response, "delete") != 0 || !kt_flow_page_is_idle (KT_FLOW_PAGE (self)))
    return;
  clear_pending (self);
  self->pending_scope = KT_SCOPE_CREDENTIAL_UNLINK;
  self->pending_delete = g_object_ref (passkey);
  kt_flow_page_update (KT_FLOW_PAGE (self));
  start_delete (self);
}

static void
delete_action (GtkWidget  *widget,
               const char *action_name,
               GVariant   *parameter)
{
  KtAccountPage *self = KT_ACCOUNT_PAGE (widget);
  g_autoptr(KtPasskey) passkey = find_passkey (self, g_variant_get_string (parameter, NULL));
  GtkRoot *root = gtk_widget_get_root (widget);
  g_autofree char *title = NULL;
  AdwMessageDialog *dialog;

  if (passkey == NULL)
    return;

  title = kt_passkey_row_dup_title (passkey);
  dialog = ADW_MESSAGE_DIALOG (adw_message_dialog_new (GTK_WINDOW (root),
                                                       _("Remove Security Key?"), NULL));
  if (g_list_model_get_n_items (kt_mfa_controller_get_passkeys (kt_flow_page_get_controller
                                                                (KT_FLOW_PAGE (self)))) == 1)
    adw_message_dialog_format_body (dialog,
                                    _("“%s” is your only security key. Without it you can sign "
                                      "in only with a recovery code, and the next sign-in will "
                                      "ask you to register a key again."), title);
  else
    adw_message_dialog_format_body (dialog,
                                    _("You will no longer be able to sign in with “%s”."),
                                    title);
  adw_message_dialog_add_responses (dialog,
                                    "cancel", _("_Cancel"),
                                    "delete", _("_Remove"),
                                    NULL);
  adw_message_dialog_set_response_appearance (dialog, "delete", ADW_RESPONSE_DESTRUCTIVE);
  adw_message_dialog_set_default_response (dialog, "cancel");
  adw_message_dialog_set_close_response (dialog, "cancel");
  g_object_set_data_full (G_OBJECT (dialog), "passkey", g_object_ref (passkey), g_object_unref);
  g_signal_connect_object (dialog, "response", G_CALLBACK (on_delete_response), self, 0);
  kt_flow_page_name_buttons (GTK_WIDGET (dialog));
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
on_new_codes_response (AdwMessageDialog *dialog,
                       const char       *response,
                       KtAccountPage    *self)
{
  GtkLabel *codes = GTK_LABEL (adw_message_dialog_get_extra_child (dialog));

  if (g_strcmp0 (response, "copy") != 0)
    return;
  gdk_clipboard_set_text (gtk_widget_get_clipboard (GTK_WIDGET (self)),
                          gtk_label_get_text (codes));
  gtk_widget_activate_action (GTK_WIDGET (self), "win.toast", "s",
                              _("Recovery codes copied. Paste them somewhere safe."));
}

/* The new codes replace the old ones at once, so they are shown at once, until the person is
 * done with them: a toast would be gone before they could be written down. */
static void
show_new_codes (KtAccountPage *self)
{
  const char * const *codes =
    kt_mfa_controller_get_recovery_codes (kt_flow_page_get_controller (KT_FLOW_PAGE (self)));
  g_autofree char *text = NULL;
  AdwMessageDialog *dialog;
  GtkWidget *label;

  if (codes == NULL || codes[0] == NULL)
    return;

  text = g_strjoinv ("\n", (char **) codes);
  dialog = ADW_MESSAGE_DIALOG (adw_message_dialog_new (GTK_WINDOW (gtk_widget_get_root
                                                                   (GTK_WIDGET (self))),
                                                       _("Your New Recovery Codes"),
                                                       _("The old codes no longer work. Keep "
                                                         "these somewhere safe: each one signs "
                                                         "you in once without your security "
                                                         "key.")));
  label = g_object_new (GTK_TYPE_LABEL,
                        "label", text,
                        "selectable", TRUE,
                        "halign", GTK_ALIGN_CENTER,
                        "accessible-role", GTK_ACCESSIBLE_ROLE_DOCUMENT,
                        NULL);
  gtk_accessible_update_property (GTK_ACCESSIBLE (label),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, _("Recovery codes"),
                                  -1);
  gtk_widget_add_css_class (label, "monospace");
  gtk_widget_add_css_class (label, "card");
  gtk_widget_add_css_class (label, "recovery-codes");
  adw_message_dialog_set_extra_child (dialog, label);
  adw_message_dialog_add_responses (dialog,
                                    "copy", _("_Copy All"),
                                    "done", _("_Done"),
                                    NULL);
  adw_message_dialog_set_response_appearance (dialog, "done", ADW_RESPONSE_SUGGESTED);
  adw_message_dialog_set_default_response (dialog, "done");
  adw_message_dialog_set_close_response (dialog, "done");
  g_signal_connect_object (dialog, "response", G_CALLBACK (on_new_codes_response), self, 0);
  kt_flow_page_name_buttons (GTK_WIDGET (dialog));
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
on_new_codes_made (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(KtAccountPage) self = user_data;

  /* A failure is the controller's error, which the page shows. */
  if (kt_mfa_controller_operation_finish (KT_MFA_CONTROLLER (source), result, NULL)
      && kt_flow_page_get_controller (KT_FLOW_PAGE (self)) != NULL
      && gtk_widget_get_root (GTK_WIDGET (self)) != NULL)
    show_new_codes (self);
}

static void
new_recovery_codes_action (GtkWidget  *widget,
                           const char *action_name,
                           GVariant   *parameter)
{
  KtMfaController *controller = kt_flow_page_get_controller (KT_FLOW_PAGE (widget));

  kt_mfa_controller_new_recovery_codes_async (controller, NULL, on_new_codes_made,
                                              g_object_ref (widget));
}

static void
on_add_response (AdwMessageDialog *dialog,
                 const char       *response,
                 KtAccountPage    *self)
{
  GtkEditable *entry = GTK_EDITABLE (adw_message_dialog_get_extra_child (dialog));
  g_autofree char *alias = NULL;

  if (g_strcmp0 (response, "add") != 0 || !kt_flow_page_is_idle (KT_FLOW_PAGE (self)))
    return;
  alias = g_strstrip (g_strdup (gtk_editable_get_text (entry)));
  clear_pending (self);
  self->pending_scope = KT_SCOPE_CREDENTIAL_LINK;
  self->pending_alias = g_steal_pointer (&alias);
  kt_flow_page_update (KT_FLOW_PAGE (self));
  /* Two touches, each of its own key and each announced: the old key first, then the new. */
  kt_mfa_controller_step_up_async (kt_flow_page_get_controller (KT_FLOW_PAGE (self)),
                                   KT_SCOPE_CREDENTIAL_LINK, NULL, on_add_stepped_up,
                                   g_object_ref (self));
}

static void
add_key_action (GtkWidget  *widget,
                const char *action_name,
                GVariant   *parameter)
{
  present_entry_dialog (KT_ACCOUNT_PAGE (widget), _("Add Security Key"),
                        _("A backup key lets you sign in when the other is lost. You will "
                          "confirm with a key you already have, then insert the new key and "
                          "touch it."),
                        _("Name of the new key"), NULL, "add", _("_Add"),
                        G_CALLBACK (on_add_response), NULL);
}

static void
retry_add_action (GtkWidget  *widget,
                  const char *action_name,
                  GVariant   *parameter)
{
  KtAccountPage *self = KT_ACCOUNT_PAGE (widget);

  if (self->pending_alias != NULL)
    start_add (self);
}

static void
set_pin_action (GtkWidget  *widget,
                const char *action_name,
                GVariant   *parameter)
{
  kt_set_pin_dialog_present (widget, kt_flow_page_get_controller (KT_FLOW_PAGE (widget)),
                             "account.retry-add");
}

/* A recovery code earned the token: the action goes on, without the key for the step-up. */
static void
on_recovery_step_up_done (GObject      *source,
                          GAsyncResult *result,
                          gpointer      user_data)
{
  g_autoptr(KtAccountPage) self = user_data;

  if (!kt_mfa_controller_operation_finish (KT_MFA_CONTROLLER (source), result, NULL))
    return;
  if (self->pending_delete != NULL)
    start_delete (self);
  else if (self->pending_alias != NULL)
    self->new_key_turn = TRUE;
  kt_flow_page_update (KT_FLOW_PAGE (self));
}

static void
on_recovery_code_response (AdwMessageDialog *dialog,
                           const char       *response,
                           KtAccountPage    *self)
{
  GtkEditable *entry = GTK_EDITABLE (adw_message_dialog_get_extra_child (dialog));

  if (g_strcmp0 (response, "confirm") != 0 || self->pending_scope == NULL ||
      !kt_flow_page_is_idle (KT_FLOW_PAGE (self)))
    {
      if (g_strcmp0 (response, "confirm") != 0)
        clear_pending (self);
      kt_flow_page_update (KT_FLOW_PAGE (self));
      return;
    }
  kt_mfa_controller_step_up_with_recovery_code_async (
    kt_flow_page_get_controller (KT_FLOW_PAGE (self)), self->pending_scope,
    gtk_editable_get_text (entry), NULL, on_recovery_step_up_done, g_object_ref (self));
}

static void
step_up_recovery_action (GtkWidget  *widget,
                         const char *action_name,
                         GVariant   *parameter)
{
  KtAccountPage *self = KT_ACCOUNT_PAGE (widget);

  if (self->pending_scope == NULL)
    return;
  /* The key's ceremony stops; the action waits for the code instead. */
  self->switching_to_code = TRUE;
  kt_mfa_controller_cancel (kt_flow_page_get_controller (KT_FLOW_PAGE (self)));
  present_entry_dialog (self, _("Confirm With a Recovery Code"),
                        _("Each recovery code works once."), _("Recovery code"), NULL,
                        "confirm", _("C_onfirm"), G_CALLBACK (on_recovery_code_response), NULL);
}

static void
sign_out_action (GtkWidget  *widget,
                 const char *action_name,
                 GVariant   *parameter)
{
  clear_pending (KT_ACCOUNT_PAGE (widget));
  kt_mfa_controller_sign_out_async (kt_flow_page_get_controller (KT_FLOW_PAGE (widget)), NULL,
                                    kt_flow_page_toast_on_success,
                                    kt_flow_page_toast_on_success_data (KT_FLOW_PAGE (widget),
                                                                        _("Signed out")));
}

/* The first control, the first key's row, which a screen reader reads by the key's name: a
 * restored session's window opens with the focus here. */
static GtkWidget *
kt_account_page_get_primary_control (KtFlowPage *page)
{
  KtAccountPage *self = KT_ACCOUNT_PAGE (page);
  GtkListBoxRow *row = gtk_list_box_get_row_at_index (self->passkeys_list, 0);

  return row != NULL ? GTK_WIDGET (row) : self->new_recovery_codes_button;
}

static void
kt_account_page_dispose (GObject *object)
{
  KtAccountPage *self = KT_ACCOUNT_PAGE (object);

  if (self->passkeys != NULL)
    g_signal_handlers_disconnect_by_data (self->passkeys, self);
  g_clear_object (&self->passkeys);
  g_clear_pointer (&self->focus_action, g_free);
  g_clear_pointer (&self->focus_target, g_variant_unref);

  G_OBJECT_CLASS (kt_account_page_parent_class)->dispose (object);
}

static void
kt_account_page_finalize (GObject *object)
{
  clear_pending (KT_ACCOUNT_PAGE (object));

  G_OBJECT_CLASS (kt_account_page_parent_class)->finalize (object);
}

static void
kt_account_page_class_init (KtAccountPageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  KtFlowPageClass *page_class = KT_FLOW_PAGE_CLASS (klass);

  object_class->dispose = kt_account_page_dispose;
  object_class->finalize = kt_account_page_finalize;

  page_class->update = kt_account_page_update;
  page_class->controller_changed = kt_account_page_controller_changed;
  page_class->get_primary_control = kt_account_page_get_primary_control;

  g_type_ensure (KT_TYPE_FLOW_STATUS);
  g_type_ensure (KT_TYPE_KEY_STATUS);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/keyturn/Keyturn/kt-account-page.ui");
  gtk_widget_class_bind_template_child (widget_class, KtAccountPage, who_label);
  gtk_widget_class_bind_template_child (widget_class, KtAccountPage, not_remembered_label);
  gtk_widget_class_bind_template_child (widget_class, KtAccountPage, passkeys_list);
  gtk_widget_class_bind_template_child (widget_class, KtAccountPage, key_status);
  gtk_widget_class_bind_template_child (widget_class, KtAccountPage, backup_hint);
  gtk_widget_class_bind_template_child (widget_class, KtAccountPage, step_label);
  gtk_widget_class_bind_template_child (widget_class, KtAccountPage, recovery_button);
  gtk_widget_class_bind_template_child (widget_class, KtAccountPage, retry_button);
  gtk_widget_class_bind_template_child (widget_class, KtAccountPage, set_pin_button);
  gtk_widget_class_bind_template_child (widget_class, KtAccountPage, new_recovery_codes_button);
  kt_flow_page_class_install_action (page_class, "account.rename", "s", rename_action);
  kt_flow_page_class_install_action (page_class, "account.delete", "s", delete_action);
  kt_flow_page_class_install_action (page_class, "account.new-recovery-codes", NULL,
                                     new_recovery_codes_action);
  kt_flow_page_class_install_action (page_class, "account.sign-out", NULL, sign_out_action);
  kt_flow_page_class_install_action (page_class, "account.add-key", NULL, add_key_action);
  kt_flow_page_class_install_action (page_class, "account.retry-add", NULL, retry_add_action);
  kt_flow_page_class_install_action (page_class, "account.set-pin", NULL, set_pin_action);
  /* Offered while the key is asked, so not one of the actions kept for an idle controller. */
  gtk_widget_class_install_action (widget_class, "account.step-up-recovery", NULL,
                                   step_up_recovery_action);
}

static void
kt_account_page_init (KtAccountPage *self)
{
  kt_flow_page_watch (KT_FLOW_PAGE (self), "authenticator-state", "user", "remembered",
                      "not-remembered-reason", NULL);

  gtk_widget_init_template (GTK_WIDGET (self));
}
