/* kt-passkey-private.h: reading a KtPasskey from the server's JSON, for the API client's parsers
 *
 * Copyright 2026 Keyturn developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "kt-json-private.h"
#include "kt-passkey.h"

G_BEGIN_DECLS

/* NULL and the reader's error when @reader's object is not a UserPasskey. */
KtPasskey *kt_passkey_new_from_json (const KtJsonReader  *reader,
                                     GError             **error);

G_END_DECLS
