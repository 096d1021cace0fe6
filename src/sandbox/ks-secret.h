/* ks-secret.h: the sandbox's data key: seals recovery codes (AES-256-GCM) and keys the MAC that
 * stands for email codes at rest (HMAC-SHA-256)
 *
 * Copyright 2026 Keyturn developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct _KsSecret KsSecret;

KsSecret *ks_secret_load_or_create  (const char    *path,
                                     GError       **error);
KsSecret *ks_secret_new_for_data    (const guint8  *key,
                                     gsize          len);
void      ks_secret_free            (KsSecret      *self);

/* nonce (12) || ciphertext || tag (16); @context is authenticated, not stored. */
GBytes   *ks_secret_seal            (KsSecret      *self,
                                     const char    *plaintext,
                                     const char    *context);
/* NULL when the box was not sealed with this key and context. */
char     *ks_secret_open            (KsSecret      *self,
                                     GBytes        *sealed,
                                     const char    *context);
GBytes   *ks_secret_mac             (KsSecret      *self,
                                     const char    *context,
                                     const char    *message);
gboolean  ks_secret_mac_equal       (GBytes        *a,
                                     GBytes        *b);

/* A random value as unpadded base64url, for challenges and opaque tokens. */
char     *ks_random_token           (gsize          n_bytes);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (KsSecret, ks_secret_free)

G_END_DECLS
