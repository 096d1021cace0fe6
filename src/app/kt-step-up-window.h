/* kt-step-up-window.h: another app asks the person to confirm an action with their security key
 *
 * Copyright 2026 Keyturn developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>

#include "kt-mfa-controller.h"

G_BEGIN_DECLS

#define KT_TYPE_STEP_UP_WINDOW (kt_step_up_window_get_type ())

G_DECLARE_FINAL_TYPE (KtStepUpWindow, kt_step_up_window, KT, STEP_UP_WINDOW, AdwWindow)

/* A window that names the caller (@caller_name, and @caller_detail under it), quotes its
 * @reason as its own words, and says what @scope allows. */
KtStepUpWindow *kt_step_up_window_new        (KtMfaController      *controller,
                                              const char           *caller_name,
                                              const char           *caller_detail,
                                              const char           *scope,
                                              const char           *reason);
/* Presents the window and at once asks the key for an elevated token for the scope (once the
 * controller is free of whatever it does now): touching the key is the confirmation. A recovery
 * code may be used instead. Finishes with the token, or G_IO_ERROR_CANCELLED when the person
 * cancels or closes the window, or @cancellable fires; the window is gone either way. Runs once.
 * While it runs the window answers the controller's PIN requests. */
void            kt_step_up_window_run_async  (KtStepUpWindow       *self,
                                              GCancellable         *cancellable,
                                              GAsyncReadyCallback   callback,
                                              gpointer              user_data);
/* The token (free it with kt_secret_free()), and its expiry in unix seconds in @expires_at. */
char           *kt_step_up_window_run_finish (KtStepUpWindow       *self,
                                              GAsyncResult         *result,
                                              gint64               *expires_at,
                                              GError              **error);

/* The software key Keyturn uses, whose touch the window offers as the main window does; NULL for
 * none. */
void            kt_step_up_window_set_software_key_socket (KtStepUpWindow *self,
                                                           const char     *socket_path);

G_END_DECLS
