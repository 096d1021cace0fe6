/* kt-client-data.h: clientDataJSON, serialized byte for byte as WebAuthn Level 3 §5.8.1.1 says
 *
 * Copyright 2026 Keyturn developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define KT_CLIENT_DATA_TYPE_CREATE "webauthn.create"
#define KT_CLIENT_DATA_TYPE_GET    "webauthn.get"

/* Appends @value to @out as the spec's CCDToString does. @value must be valid UTF-8. */
void    kt_client_data_append_string (GString      *out,
                                      const char   *value);

/* {"type":…,"challenge":…,"origin":…,"crossOrigin":false}; @challenge is encoded here as
 * unpadded base64url. Returns NULL (and sets @error) only for text that is not UTF-8. */
GBytes *kt_client_data_serialize     (const char   *type,
                                      GBytes       *challenge,
                                      const char   *origin,
                                      GError      **error);

G_END_DECLS
