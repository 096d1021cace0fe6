/* kt-set-pin-dialog.h: choosing a first PIN for a security key that has none
 *
 * Copyright 2026 Keyturn developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>

#include "kt-flow-page.h"
#include "kt-mfa-controller.h"

G_BEGIN_DECLS

/* Asks for the new PIN twice and, when both match and meet the length rule, sets it through
 * kt_mfa_controller_set_pin_async(). Once the key has its PIN, @retry_action is activated on
 * @page, so the registration or authentication the person was doing starts again. Cancel
 * closes the dialog and leaves the page as it was. */
void kt_set_pin_dialog_present (GtkWidget       *page,
                                KtMfaController *controller,
                                const char      *retry_action);

/* For a flow page whose step a key with no PIN cannot complete, as it cannot verify its user:
 * from the page's update method, shows @button and enables @set_pin_action while the key has
 * none (the page watches "authenticator-state"), the action only while the controller is at
 * rest. The action's activate function calls kt_set_pin_dialog_offer() with the action that
 * takes the same step again. */
void kt_set_pin_dialog_update_offer (KtFlowPage *page,
                                     const char *set_pin_action,
                                     GtkWidget  *button);
void kt_set_pin_dialog_offer        (KtFlowPage *page,
                                     const char *retry_action);

G_END_DECLS
