/* kt-device-key.h: a P-256 signing key of this device, kept in the Secret Service and nowhere else
 *
 * Dynamic's client in token mode holds two such keys (API.md, "Device-signed requests"): the
 * "device" key, made once, signs server nonces on sign-in and refresh; the "session" key's public
 * half goes with every request and is replaced at sign-out. Each is one keyring item, named by
 * its role; the secret is the private key, and it is wiped from memory when dropped. When no
 * keyring can keep a key, it lives in memory for this run only, never in a file.
 *
 * Copyright 2026 Keyturn developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define KT_DEVICE_KEY_DEVICE  "device"
#define KT_DEVICE_KEY_SESSION "session"

#define KT_TYPE_DEVICE_KEY (kt_device_key_get_type ())

G_DECLARE_FINAL_TYPE (KtDeviceKey, kt_device_key, KT, DEVICE_KEY, GObject)

/* A new key in memory only. */
KtDeviceKey *kt_device_key_generate               (GError              **error);
/* The public key as compressed SEC1, in lowercase hex (66 digits). */
const char  *kt_device_key_get_public_key         (KtDeviceKey          *self);
/* ECDSA P-256/SHA-256 over @message's UTF-8 bytes, as raw r || s in lowercase hex. */
char        *kt_device_key_sign                   (KtDeviceKey          *self,
                                                   const char           *message,
                                                   GError              **error);
/* Whether the keyring holds this key (FALSE: it lives for this run only). */
gboolean     kt_device_key_is_kept                (KtDeviceKey          *self);

/* The key named @name from the keyring; made and stored there when there is none. */
void         kt_device_key_load_or_create_async   (const char           *name,
                                                   GCancellable         *cancellable,
                                                   GAsyncReadyCallback   callback,
                                                   gpointer              user_data);
KtDeviceKey *kt_device_key_load_or_create_finish  (GAsyncResult         *result,
                                                   GError              **error);
/* Stores @self in the keyring as @name, in place of the key there, from a worker thread; a
 * keyring that cannot keep it is logged, and the key lives on in memory. */
void         kt_device_key_save_in_background     (KtDeviceKey          *self,
                                                   const char           *name);

G_END_DECLS
