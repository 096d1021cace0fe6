/* kt-window.h: the main window, one page per step of the sign-in flow
 *
 * Copyright 2026 Keyturn developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>

#include "kt-mfa-controller.h"

G_BEGIN_DECLS

#define KT_TYPE_WINDOW (kt_window_get_type ())

G_DECLARE_FINAL_TYPE (KtWindow, kt_window, KT, WINDOW, AdwApplicationWindow)

KtWindow        *kt_window_new                     (GtkApplication  *application);
KtMfaController *kt_window_get_controller          (KtWindow        *self);
void             kt_window_set_controller          (KtWindow        *self,
                                                    KtMfaController *controller);
void             kt_window_set_configuration_error (KtWindow        *self,
                                                    const char      *message);
/* The socket of the software key in use, or NULL: a bar marks it and offers its touch. */
void             kt_window_set_software_key_socket (KtWindow        *self,
                                                    const char      *socket_path);
/* While FALSE, the window leaves the controller's PIN requests to another window that runs a
 * ceremony on the same controller (a prompt), and closes its own PIN dialog: one request, one
 * dialog. TRUE when the window is made. */
void             kt_window_set_handles_pin_requests (KtWindow        *self,
                                                     gboolean         handles);
/* A line under the window's header saying why it is open (another app asked for a sign-in), or
 * NULL for none. */
void             kt_window_set_notice              (KtWindow        *self,
                                                    const char      *message);

G_END_DECLS
