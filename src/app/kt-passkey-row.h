/* kt-passkey-row.h: one passkey in the account's list, with its details and its actions
 *
 * Copyright 2026 Keyturn developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>

#include "kt-passkey.h"

G_BEGIN_DECLS

#define KT_TYPE_PASSKEY_ROW (kt_passkey_row_get_type ())

G_DECLARE_FINAL_TYPE (KtPasskeyRow, kt_passkey_row, KT, PASSKEY_ROW, AdwActionRow)

KtPasskeyRow *kt_passkey_row_new       (KtPasskey *passkey);
/* The name a passkey is shown by: its alias, or its authenticator's name. */
char         *kt_passkey_row_dup_title (KtPasskey *passkey);

G_END_DECLS
