/* kt-mfa-device.h: one of the user's second factors (Dynamic's MFADevice), and the answer that
 * lists them all (GET /users/mfa/methods)
 *
 * Copyright 2026 Keyturn developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

#define KT_TYPE_MFA_DEVICE (kt_mfa_device_get_type ())

G_DECLARE_FINAL_TYPE (KtMfaDevice, kt_mfa_device, KT, MFA_DEVICE, GObject)

const char  *kt_mfa_device_get_id          (KtMfaDevice  *self);
/* "passkey", "totp", "email", or whatever newer kind the server names; NULL when unsaid. */
const char  *kt_mfa_device_get_kind        (KtMfaDevice  *self);
const char  *kt_mfa_device_get_alias       (KtMfaDevice  *self);
gboolean     kt_mfa_device_get_verified    (KtMfaDevice  *self);
gboolean     kt_mfa_device_get_is_default  (KtMfaDevice  *self);
GDateTime   *kt_mfa_device_get_created_at  (KtMfaDevice  *self);
GDateTime   *kt_mfa_device_get_verified_at (KtMfaDevice  *self);

#define KT_TYPE_MFA_METHODS (kt_mfa_methods_get_type ())

G_DECLARE_FINAL_TYPE (KtMfaMethods, kt_mfa_methods, KT, MFA_METHODS, GObject)

GListModel   *kt_mfa_methods_get_devices            (KtMfaMethods  *self);
GListModel   *kt_mfa_methods_get_passkeys           (KtMfaMethods  *self);
gboolean      kt_mfa_methods_get_has_verified_methods (KtMfaMethods *self);

G_END_DECLS
