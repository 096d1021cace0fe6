/* kt-pin-dialog.h: asking for the security key's PIN
 *
 * Copyright 2026 Keyturn developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>

#include "kt-mfa-controller.h"
#include "kt-webauthn-state.h"

G_BEGIN_DECLS

/* What the PIN dialog says for @state (KT_WEBAUTHN_STATE_WRONG_PIN after a wrong PIN, the
 * first request otherwise) with @retries attempts left (-1 when the key did not say): the
 * attempts are counted only when 3 or fewer remain. */
char *kt_pin_dialog_describe (KtWebauthnState state,
                              int             retries);

/* A dialog over @parent with one password entry; give the entry the keyboard focus once the
 * dialog is presented. Its responses are "unlock" (also Enter in the entry) and "cancel" (also
 * Escape). The PIN is the entry's text, which GTK keeps in memory that is never swapped out:
 * read it from kt_pin_dialog_get_entry() in a ::response handler; the entry is emptied after
 * the handlers have run. kt_pin_dialog_destroy() closes the dialog with no response. */
AdwMessageDialog *kt_pin_dialog_new       (GtkWindow        *parent,
                                           KtWebauthnState   state,
                                           int               retries);
GtkEditable      *kt_pin_dialog_get_entry (AdwMessageDialog *dialog);
void              kt_pin_dialog_destroy   (AdwMessageDialog *dialog);

/* Answers @controller's request for the PIN (its ::pin-requested signal, with @retries) with a
 * dialog over @parent, presented with the focus in its entry: the PIN typed, or a decline when
 * the person cancels, once. A dialog closed with kt_pin_dialog_destroy() answers nothing.
 *
 * The window that asks keeps its one dialog in *@dialog, which is emptied when the dialog goes:
 * a dialog still there from an earlier request is destroyed first, unanswered. */
void              kt_pin_dialog_present_for (GtkWindow         *parent,
                                             KtMfaController   *controller,
                                             int                retries,
                                             AdwMessageDialog **dialog);
/* Destroys the dialog kept in *@dialog by kt_pin_dialog_present_for(), if there is one, and
 * empties *@dialog at once: for the window that keeps it, as it goes. */
void              kt_pin_dialog_clear       (AdwMessageDialog **dialog);
/* Closes @dialog, with no answer, when @controller's key no longer waits for its PIN (the time
 * ran out, or the ceremony ended otherwise): a dialog left open would take a PIN that nothing
 * reads. */
void              kt_pin_dialog_close_if_unwanted (AdwMessageDialog *dialog,
                                                   KtMfaController  *controller);

G_END_DECLS
