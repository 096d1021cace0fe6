/* ks-webauthn-key.h: a credential public key (COSE_Key, ES256 or RS256), read once and kept
 *
 * Copyright 2026 Keyturn developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* A credential public key decoded and checked once, kept by the caller (per stored credential)
 * so that assertions skip the CBOR decoding and the point check. Immutable and refcounted: one
 * key may verify in several threads at once. */
typedef struct _KsWebauthnKey KsWebauthnKey;

KsWebauthnKey *ks_webauthn_key_new   (GBytes        *public_key,
                                      gint64         algorithm,
                                      GError       **error);
KsWebauthnKey *ks_webauthn_key_ref   (KsWebauthnKey *key);
void           ks_webauthn_key_unref (KsWebauthnKey *key);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (KsWebauthnKey, ks_webauthn_key_unref)

G_END_DECLS
