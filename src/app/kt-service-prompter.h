/* kt-service-prompter.h: the windows in which the person answers other apps' sign-in requests
 *
 * Copyright 2026 Keyturn developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gtk/gtk.h>

#include "kt-mfa-controller.h"
#include "kt-prompter.h"

G_BEGIN_DECLS

#define KT_TYPE_SERVICE_PROMPTER (kt_service_prompter_get_type ())

G_DECLARE_FINAL_TYPE (KtServicePrompter, kt_service_prompter, KT, SERVICE_PROMPTER, GObject)

/* A KtPrompter whose prompts belong to @app: over its main window when one is open, windows of
 * their own when Keyturn runs without one. It asks one thing at a time, as the service does. */
KtServicePrompter *kt_service_prompter_new            (GtkApplication    *app);
/* The controller a step-up uses, and whose sign-in a consent names; NULL when Keyturn has no
 * configuration. A prompt on screen keeps the one it started with. */
void               kt_service_prompter_set_controller (KtServicePrompter *self,
                                                       KtMfaController   *controller);

/* The software key a step-up offers to touch, as the main window does; NULL for none. */
void               kt_service_prompter_set_software_key_socket (KtServicePrompter *self,
                                                                const char        *socket_path);

G_END_DECLS
