/* kt-sign-in-service.h: the desktop's sign-in, on the session bus
 *
 * Exports io.github.keyturn.Keyturn.Session1 over the app's controller: who asks (KtCaller),
 * whether they may (KtGrantStore, and the person through a KtPrompter), and the calls waiting
 * their turn. It never talks to the network, the keyring or a key itself: the controller does.
 * One prompt at a time; the others wait in the order they came.
 *
 * Copyright 2026 Keyturn developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

#include "kt-grant-store.h"
#include "kt-mfa-controller.h"
#include "kt-prompter.h"

G_BEGIN_DECLS

/* How long a caller the person turned down is answered "denied" without asking again. */
#define KT_SIGN_IN_SERVICE_QUIET_SECONDS 60

#define KT_TYPE_SIGN_IN_SERVICE (kt_sign_in_service_get_type ())

G_DECLARE_FINAL_TYPE (KtSignInService, kt_sign_in_service, KT, SIGN_IN_SERVICE, GObject)

/* @app, when given, is held while a call waits for its answer. */
KtSignInService *kt_sign_in_service_new            (GApplication     *app,
                                                    KtPrompter       *prompter,
                                                    KtGrantStore     *grants);

gboolean         kt_sign_in_service_export         (KtSignInService  *self,
                                                    GDBusConnection  *bus,
                                                    const char       *object_path,
                                                    GError          **error);
/* Takes the service off the bus; calls on their way are withdrawn. */
void             kt_sign_in_service_unexport       (KtSignInService  *self);

/* The session the service hands out: @controller (NULL when Keyturn is not configured) for an
 * environment at @base_url with @environment_id. Calls waiting for a prompt of the controller
 * it replaces are answered "failed". */
void             kt_sign_in_service_set_controller (KtSignInService  *self,
                                                    KtMfaController  *controller,
                                                    const char       *base_url,
                                                    const char       *environment_id);

/* How many calls wait for their answer. */
guint            kt_sign_in_service_get_pending    (KtSignInService  *self);

G_END_DECLS
