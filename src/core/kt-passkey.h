/* kt-passkey.h: one of the user's passkeys (Dynamic's UserPasskey)
 *
 * Copyright 2026 Keyturn developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

#define KT_TYPE_PASSKEY (kt_passkey_get_type ())

G_DECLARE_FINAL_TYPE (KtPasskey, kt_passkey, KT, PASSKEY, GObject)

const char *kt_passkey_get_id                 (KtPasskey   *self);
const char *kt_passkey_get_credential_id      (KtPasskey   *self);
const char *kt_passkey_get_alias              (KtPasskey   *self);
const char *kt_passkey_get_origin             (KtPasskey   *self);
const char *kt_passkey_get_user_agent         (KtPasskey   *self);
const char *kt_passkey_get_authenticator_name (KtPasskey   *self);
GDateTime  *kt_passkey_get_created_at         (KtPasskey   *self);
GDateTime  *kt_passkey_get_updated_at         (KtPasskey   *self);

/* Takes the fields of a newer copy of the same passkey (after a rename), notifying each change. */
void        kt_passkey_update_from            (KtPasskey   *self,
                                               KtPasskey   *newer);

G_END_DECLS
