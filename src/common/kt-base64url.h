/* kt-base64url.h: unpadded base64url (RFC 4648 §5), the encoding of every WebAuthn binary value
 *
 * Copyright 2026 Keyturn developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

char   *kt_base64url_encode        (const guint8 *data,
                                    gsize         len);
char   *kt_base64url_encode_bytes  (GBytes       *bytes);
GBytes *kt_base64url_decode        (const char   *text,
                                    GError      **error);

G_END_DECLS
