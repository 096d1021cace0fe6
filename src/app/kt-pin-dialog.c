/* kt-pin-dialog.c: asking for the security key's PIN
 *
 * Copyright 2026 Keyturn developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <glib/gi18n.h>

#include "kt-flow-page.h"
#include "kt-pin-buffer.h"
#include "kt-pin-dialog.h"

/* Counting down only near the end keeps the count from alarming anyone with a typo to spare,
 * and from going unsaid when it matters. */
#define KT_PIN_DIALOG_COUNT_FROM 3

char *
kt_pin_dialog_describe (KtWebauthnState state,
                        int             retries)
{
  gboolean wrong = state == KT_WEBAUTHN_STATE_WRONG_PIN;
  g_autofree char *left = NULL;

  if (retries < 0 || retries > KT_PIN_DIALOG_COUNT_FROM)
    return g_strdup (wrong ? _("That PIN is not right. Try again.")
                           : _("The key asks for its PIN to go on."));

  left = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                       "%d attempt left before the key locks.",
                                       "%d attempts left before the key locks.",
                                       retries),
                          retries);
  if (!wrong)
    return g_steal_pointer (&left);
  /* TRANSLATORS: %s says how many attempts are left, as in "2 attempts left before the key
   * locks." */
  return g_strdup_printf (_("That PIN is not right. %s"), left);
}

static void
forget_pin (AdwMessageDialog *dialog)
{
  gtk_editable_set_text (kt_pin_dialog_get_entry (dialog), "");
  /* A password entry that still has the focus when its window goes warns (GTK 4.8). */
  gtk_window_set_focus (GTK_WINDOW (dialog), NULL);
}

static void
on_entry_activated (AdwMessageDialog *dialog)
{
  adw_message_dialog_response (dialog, "unlock");
  gtk_window_destroy (GTK_WINDOW (dialog));
}

AdwMessageDialog *
kt_pin_dialog_new (GtkWindow       *parent,
                   KtWebauthnState  state,
                   int              retries)
{
  AdwMessageDialog *dialog;
  g_autofree char *body = kt_pin_dialog_describe (state, retries);
  GtkWidget *entry;

  g_return_val_if_fail (parent == NULL || GTK_IS_WINDOW (parent), NULL);

  dialog = ADW_MESSAGE_DIALOG (adw_message_dialog_new (parent,
                                                       _("Enter Your Security Key's PIN"),
                                                       body));

  entry = kt_pin_buffer_new_entry (_("PIN"));
  /* Read with the entry when the dialog opens with the focus in it: a wrong PIN, the attempts
   * left. A screen reader reads the dialog's own text only when asked to. */
  gtk_accessible_update_property (GTK_ACCESSIBLE (entry),
                                  GTK_ACCESSIBLE_PROPERTY_DESCRIPTION, body,
                                  -1);
  g_signal_connect_swapped (entry, "activate", G_CALLBACK (on_entry_activated), dialog);
  adw_message_dialog_set_extra_child (dialog, entry);

  adw_message_dialog_add_responses (dialog,
                                    "cancel", _("_Cancel"),
                                    "unlock", _("_Unlock"),
                                    NULL);
  adw_message_dialog_set_response_appearance (dialog, "unlock", ADW_RESPONSE_SUGGESTED);
  adw_message_dialog_set_default_response (dialog, "unlock");
  adw_message_dialog_set_close_response (dialog, "cancel");
  kt_flow_page_name_buttons (GTK_WIDGET (dialog));
  /* After the owner's handlers, which read the PIN: it does not outlive the answer. */
  g_signal_connect_after (dialog, "response", G_CALLBACK (forget_pin), NULL);
  return dialog;
}

GtkEditable *
kt_pin_dialog_get_entry (AdwMessageDialog *dialog)
{
  g_return_val_if_fail (ADW_IS_MESSAGE_DIALOG (dialog), NULL);

  return GTK_EDITABLE (adw_message_dialog_get_extra_child (dialog));
}

void
kt_pin_dialog_destroy (AdwMessageDialog *dialog)
{
  g_return_if_fail (ADW_IS_MESSAGE_DIALOG (dialog));

  forget_pin (dialog);
  gtk_window_destroy (GTK_WINDOW (dialog));
}

static void
on_response (AdwMessageDialog *dialog,
             const char       *response,
             KtMfaController  *controller)
{
  /* The dialog's close after Enter answers nothing more. */
  if (g_object_get_data (G_OBJECT (dialog), "kt-pin-answered") != NULL)
    return;
  g_object_set_data (G_OBJECT (dialog), "kt-pin-answered", GINT_TO_POINTER (TRUE));
  if (g_strcmp0 (response, "unlock") == 0)
    kt_mfa_controller_answer_pin (controller,
                                  kt_pin_buffer_get_pin (kt_pin_dialog_get_entry (dialog)));
  else
    kt_mfa_controller_decline_pin (controller);
}

void
kt_pin_dialog_present_for (GtkWindow         *parent,
                           KtMfaController   *controller,
                           int                retries,
                           AdwMessageDialog **dialog)
{
  AdwMessageDialog *presented;

  g_return_if_fail (KT_IS_MFA_CONTROLLER (controller));
  g_return_if_fail (dialog != NULL);

  if (*dialog != NULL)
    kt_pin_dialog_destroy (*dialog);

  presented = kt_pin_dialog_new (parent, kt_mfa_controller_get_authenticator_state (controller),
                                 retries);
  g_signal_connect_object (presented, "response", G_CALLBACK (on_response), controller, 0);
  gtk_window_present (GTK_WINDOW (presented));
  gtk_widget_grab_focus (GTK_WIDGET (kt_pin_dialog_get_entry (presented)));
  *dialog = presented;
  g_object_add_weak_pointer (G_OBJECT (presented), (gpointer *) dialog);
}

void
kt_pin_dialog_clear (AdwMessageDialog **dialog)
{
  g_return_if_fail (dialog != NULL);

  if (*dialog == NULL)
    return;
  g_object_remove_weak_pointer (G_OBJECT (*dialog), (gpointer *) dialog);
  kt_pin_dialog_destroy (*dialog);
  *dialog = NULL;
}

void
kt_pin_dialog_close_if_unwanted (AdwMessageDialog *dialog,
                                 KtMfaController  *controller)
{
  KtWebauthnState state;

  g_return_if_fail (ADW_IS_MESSAGE_DIALOG (dialog));
  g_return_if_fail (KT_IS_MFA_CONTROLLER (controller));

  state = kt_mfa_controller_get_authenticator_state (controller);
  if (state != KT_WEBAUTHN_STATE_PIN_NEEDED && state != KT_WEBAUTHN_STATE_WRONG_PIN)
    kt_pin_dialog_destroy (dialog);
}
