/* kt-cbor.h: loading CBOR from an untrusted peer without letting it choose our memory use
 *
 * Copyright 2026 Keyturn developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <cbor.h>
#include <glib.h>

G_BEGIN_DECLS

/* Deep enough for every CTAP2 and WebAuthn structure, shallow enough that freeing is cheap. */
#define KT_CBOR_MAX_DEPTH 16

void         kt_cbor_item_unref (cbor_item_t  *item);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (cbor_item_t, kt_cbor_item_unref)

/* Whether @data starts with one well-formed, definite-length item nested at most @max_depth
 * deep, none of whose declared counts exceed the bytes left; *end is where the item ends. */
gboolean     kt_cbor_check      (const guint8 *data,
                                 gsize         len,
                                 guint         max_depth,
                                 gsize        *end);

/* cbor_load() of the item @data starts with, once kt_cbor_check() accepts it; *consumed says
 * where it ends (bytes may follow). NULL with G_IO_ERROR_INVALID_DATA otherwise. */
cbor_item_t *kt_cbor_load       (const guint8 *data,
                                 gsize         len,
                                 gsize        *consumed,
                                 GError      **error);

G_END_DECLS
