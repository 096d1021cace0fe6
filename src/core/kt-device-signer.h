/* kt-device-signer.h: the device headers of Dynamic's token mode, for the API client to send
 *
 * Holds the device key, the session key (both KtDeviceKey, from the keyring) and a small pool of
 * server nonces, each used once. On the endpoints of sdk-api-core's
 * deviceNonceSignatureEndpoints it signs a nonce from the pool with the device key
 * (x-dynamic-device-nonce, -publickey, -signed-nonce); on every request it names the session
 * key (x-dyn-session-public-key). It makes no request itself: the API client fills the pool from
 * GET /nonces when it runs dry.
 *
 * Copyright 2026 Keyturn developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>
#include <libsoup/soup.h>

#include "kt-device-key.h"

G_BEGIN_DECLS

#define KT_DEVICE_NONCE_HEADER        "x-dynamic-device-nonce"
#define KT_DEVICE_PUBLIC_KEY_HEADER   "x-dynamic-device-publickey"
#define KT_DEVICE_SIGNATURE_HEADER    "x-dynamic-device-signed-nonce"
#define KT_SESSION_PUBLIC_KEY_HEADER  "x-dyn-session-public-key"

/* What Dynamic's client asks GET /nonces for at once. */
#define KT_DEVICE_NONCE_BATCH 5

#define KT_TYPE_DEVICE_SIGNER (kt_device_signer_get_type ())

G_DECLARE_FINAL_TYPE (KtDeviceSigner, kt_device_signer, KT, DEVICE_SIGNER, GObject)

KtDeviceSigner *kt_device_signer_new                     (void);

/* Whether a request to @path (after /sdk/{environmentId}) carries a signed nonce. */
gboolean        kt_device_signer_path_is_signed          (const char      *path);

/* Loads both keys from the keyring, making them the first time; at once when loaded. */
void            kt_device_signer_load_async              (KtDeviceSigner  *self,
                                                          GCancellable    *cancellable,
                                                          GAsyncReadyCallback callback,
                                                          gpointer         user_data);
gboolean        kt_device_signer_load_finish             (KtDeviceSigner  *self,
                                                          GAsyncResult    *result,
                                                          GError         **error);
gboolean        kt_device_signer_is_loaded               (KtDeviceSigner  *self);

/* The keys, once loaded (NULL before). */
KtDeviceKey    *kt_device_signer_get_device_key          (KtDeviceSigner  *self);
KtDeviceKey    *kt_device_signer_get_session_key         (KtDeviceSigner  *self);
/* A new session key in place of the old one, from now on; the keyring gets it in the background.
 * Dynamic's client does this at sign-out. */
void            kt_device_signer_replace_session_key     (KtDeviceSigner  *self);

/* The pool. Reads a NoncesResponse ({"nonces": [...]}) into it; every nonce must be a short
 * printable ASCII string, since it goes into a header. */
gboolean        kt_device_signer_add_nonces              (KtDeviceSigner  *self,
                                                          JsonObject      *response,
                                                          GError         **error);
guint           kt_device_signer_count_nonces            (KtDeviceSigner  *self);

/* Sets the headers for a request to @path: the session key always, and for a signed path a
 * nonce from the pool (used up here) with its signature. The keys must be loaded and, for a
 * signed path, the pool not empty. */
gboolean        kt_device_signer_add_headers             (KtDeviceSigner     *self,
                                                          const char         *path,
                                                          SoupMessageHeaders *headers,
                                                          GError            **error);

G_END_DECLS
