/* kt-set-pin-dialog.c: choosing a first PIN for a security key that has none
 *
 * Copyright 2026 Keyturn developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <glib/gi18n.h>
#include <string.h>

#include "kt-flow-page.h"
#include "kt-pin-buffer.h"
#include "kt-set-pin-dialog.h"

typedef struct {
  GtkWidget   *page;
  char        *retry_action;
  GtkEditable *pin_entry;
  GtkEditable *again_entry;
  GtkLabel    *hint_label;
} SetPinDialog;

static void
set_pin_dialog_free (SetPinDialog *data)
{
  g_object_unref (data->page);
  g_free (data->retry_action);
  g_free (data);
}

static void
on_pin_set (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  SetPinDialog *data = user_data;
  g_autoptr(GError) error = NULL;

  /* A failure shows as the controller's error-message on the page. */
  if (kt_mfa_controller_operation_finish (KT_MFA_CONTROLLER (source), result, &error)
      && gtk_widget_get_root (data->page) != NULL)
    gtk_widget_activate_action (data->page, data->retry_action, NULL);
  set_pin_dialog_free (data);
}

/* The hint stays shown when empty: a label shown only once it had something to say at times
 * never reached a screen reader under GTK 4.8 (one AT-SPI test run in six). */
static void
show_hint (SetPinDialog *data,
           const char   *hint)
{
  gtk_label_set_text (data->hint_label, hint);
}

/* Whether the two entries hold the same PIN, and one a key takes; says why not in the hint. */
static gboolean
pins_acceptable (SetPinDialog *data)
{
  const char *pin = kt_pin_buffer_get_pin (data->pin_entry);
  const char *again = kt_pin_buffer_get_pin (data->again_entry);

  if (*pin == '\0')
    {
      show_hint (data, "");
      return FALSE;
    }
  if (!kt_webauthn_check_new_pin (pin, NULL))
    {
      g_autofree char *too_short = NULL;

      if (strlen (pin) > KT_WEBAUTHN_PIN_MAX_BYTES)
        {
          show_hint (data, _("This PIN is too long."));
          return FALSE;
        }
      too_short = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                                "This PIN is too short. It needs at least %d "
                                                "character.",
                                                "This PIN is too short. It needs at least %d "
                                                "characters.",
                                                KT_WEBAUTHN_PIN_MIN_CHARS),
                                   KT_WEBAUTHN_PIN_MIN_CHARS);
      show_hint (data, too_short);
      return FALSE;
    }
  if (strcmp (pin, again) != 0)
    {
      show_hint (data, *again == '\0' ? "" : _("The two PINs are not the same."));
      return FALSE;
    }
  show_hint (data, _("The PINs match."));
  return TRUE;
}

static void
on_entry_changed (AdwMessageDialog *dialog)
{
  SetPinDialog *data = g_object_get_data (G_OBJECT (dialog), "kt-set-pin");

  adw_message_dialog_set_response_enabled (dialog, "set", pins_acceptable (data));
}

static void
on_again_activated (AdwMessageDialog *dialog)
{
  if (adw_message_dialog_get_response_enabled (dialog, "set"))
    {
      adw_message_dialog_response (dialog, "set");
      gtk_window_destroy (GTK_WINDOW (dialog));
    }
}

static void
on_response (AdwMessageDialog *dialog,
             const char       *response,
             KtMfaController  *controller)
{
  SetPinDialog *data = g_object_get_data (G_OBJECT (dialog), "kt-set-pin");

  if (g_strcmp0 (response, "set") == 0 && pins_acceptable (data))
    {
      SetPinDialog *pending = g_new0 (SetPinDialog, 1);

      pending->page = g_object_ref (data->page);
      pending->retry_action = g_strdup (data->retry_action);
      /* The controller keeps its own copy only until the key has seen it. */
      kt_mfa_controller_set_pin_async (controller, kt_pin_buffer_get_pin (data->pin_entry), NULL,
                                       on_pin_set, pending);
    }

  /* The PIN does not outlive the dialog. */
  gtk_editable_set_text (data->pin_entry, "");
  gtk_editable_set_text (data->again_entry, "");
  /* A password entry that still has the focus when its window goes warns (GTK 4.8). */
  gtk_window_set_focus (GTK_WINDOW (dialog), NULL);
}

void
kt_set_pin_dialog_present (GtkWidget       *page,
                           KtMfaController *controller,
                           const char      *retry_action)
{
  AdwMessageDialog *dialog;
  SetPinDialog *data;
  GtkWidget *box;
  GtkWidget *pin_entry;
  GtkWidget *again_entry;
  GtkWidget *hint;
  GtkRoot *root;

  g_return_if_fail (GTK_IS_WIDGET (page));
  g_return_if_fail (KT_IS_MFA_CONTROLLER (controller));
  g_return_if_fail (retry_action != NULL);

  root = gtk_widget_get_root (page);
  dialog = ADW_MESSAGE_DIALOG (adw_message_dialog_new (GTK_IS_WINDOW (root) ? GTK_WINDOW (root)
                                                                            : NULL,
                                                       _("Set a PIN for This Key"), NULL));
  adw_message_dialog_format_body (dialog,
                                  g_dngettext (GETTEXT_PACKAGE,
                                               "Choose a PIN of at least %d character. The key "
                                               "will ask for it each time you use it.",
                                               "Choose a PIN of at least %d characters. The key "
                                               "will ask for it each time you use it.",
                                               KT_WEBAUTHN_PIN_MIN_CHARS),
                                  KT_WEBAUTHN_PIN_MIN_CHARS);

  box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 6);
  pin_entry = kt_pin_buffer_new_entry (_("New PIN"));
  again_entry = kt_pin_buffer_new_entry (_("New PIN again"));
  /* Read out as it changes, so a person typing hears why the PIN cannot be set yet. */
  hint = g_object_new (GTK_TYPE_LABEL,
                       "accessible-role", GTK_ACCESSIBLE_ROLE_STATUS,
                       "wrap", TRUE,
                       NULL);
  gtk_box_append (GTK_BOX (box), pin_entry);
  gtk_box_append (GTK_BOX (box), again_entry);
  gtk_box_append (GTK_BOX (box), hint);
  adw_message_dialog_set_extra_child (dialog, box);

  adw_message_dialog_add_responses (dialog,
                                    "cancel", _("_Cancel"),
                                    "set", _("_Set PIN"),
                                    NULL);
  adw_message_dialog_set_response_appearance (dialog, "set", ADW_RESPONSE_SUGGESTED);
  adw_message_dialog_set_response_enabled (dialog, "set", FALSE);
  adw_message_dialog_set_default_response (dialog, "set");
  adw_message_dialog_set_close_response (dialog, "cancel");

  data = g_new0 (SetPinDialog, 1);
  data->page = g_object_ref (page);
  data->retry_action = g_strdup (retry_action);
  data->pin_entry = GTK_EDITABLE (pin_entry);
  data->again_entry = GTK_EDITABLE (again_entry);
  data->hint_label = GTK_LABEL (hint);
  g_object_set_data_full (G_OBJECT (dialog), "kt-set-pin", data,
                          (GDestroyNotify) set_pin_dialog_free);

  g_signal_connect_swapped (pin_entry, "changed", G_CALLBACK (on_entry_changed), dialog);
  g_signal_connect_swapped (again_entry, "changed", G_CALLBACK (on_entry_changed), dialog);
  g_signal_connect_swapped (pin_entry, "activate", G_CALLBACK (gtk_widget_grab_focus),
                            again_entry);
  g_signal_connect_swapped (again_entry, "activate", G_CALLBACK (on_again_activated), dialog);
  g_signal_connect_object (dialog, "response", G_CALLBACK (on_response), controller, 0);
  kt_flow_page_name_buttons (GTK_WIDGET (dialog));

  gtk_window_present (GTK_WINDOW (dialog));
  gtk_widget_grab_focus (pin_entry);
}

void
kt_set_pin_dialog_update_offer (KtFlowPage *page,
                                const char *set_pin_action,
                                GtkWidget  *button)
{
  KtMfaController *controller;
  gboolean pin_not_set;

  g_return_if_fail (KT_IS_FLOW_PAGE (page));
  g_return_if_fail (GTK_IS_WIDGET (button));

  controller = kt_flow_page_get_controller (page);
  pin_not_set = controller != NULL
                && kt_mfa_controller_get_authenticator_state (controller)
                   == KT_WEBAUTHN_STATE_PIN_NOT_SET;
  gtk_widget_action_set_enabled (GTK_WIDGET (page), set_pin_action,
                                 pin_not_set && kt_flow_page_is_idle (page));
  gtk_widget_set_visible (button, pin_not_set);
}

void
kt_set_pin_dialog_offer (KtFlowPage *page,
                         const char *retry_action)
{
  g_return_if_fail (KT_IS_FLOW_PAGE (page));

  if (kt_flow_page_is_idle (page))
    kt_set_pin_dialog_present (GTK_WIDGET (page), kt_flow_page_get_controller (page),
                               retry_action);
}
