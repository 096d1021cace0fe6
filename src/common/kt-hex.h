/* kt-hex.h: lowercase hex, the encoding of Dynamic's device-signature headers
 *
 * Copyright 2026 Keyturn developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

char     *kt_hex_encode  (const guint8 *data,
                          gsize         len);
/* Exactly 2 * @len hex digits, either case, into @out; FALSE for anything else (NULL included). */
gboolean  kt_hex_decode  (const char   *hex,
                          guint8       *out,
                          gsize         len);

G_END_DECLS
