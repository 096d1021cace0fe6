/* ks-device-signature.h: the nonces a device signs and the checks of its three headers
 *
 * Dynamic's client signs a fresh server nonce with a P-256 "device" key on the sign-in and
 * refresh endpoints (API.md, "Device-signed requests"). This keeps the nonces the sandbox has
 * handed out, each good for one use, and reads and verifies the headers' encodings: the public
 * key as compressed SEC1 in hex, the signature as raw r || s in hex over the nonce's bytes.
 *
 * Copyright 2026 Keyturn developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>
#include <openssl/evp.h>

G_BEGIN_DECLS

#define KS_DEVICE_NONCE_HEADER      "x-dynamic-device-nonce"
#define KS_DEVICE_PUBLIC_KEY_HEADER "x-dynamic-device-publickey"
#define KS_DEVICE_SIGNATURE_HEADER  "x-dynamic-device-signed-nonce"

/* GET /nonces hands out at most this many at once, as Dynamic does. */
#define KS_NONCES_MAX_COUNT         5
/* Dynamic's client drops its pool after a day; the sandbox keeps a nonce as long. */
#define KS_NONCE_LIFETIME_US        ((gint64) G_USEC_PER_SEC * 60 * 60 * 24)

typedef enum {
  KS_NONCE_SPENT_NOW,                 /* it was good, and is used up from now on */
  KS_NONCE_UNKNOWN,                   /* never handed out here, for this environment, or expired */
  KS_NONCE_ALREADY_USED,
} KsNonceState;

typedef struct _KsNonces KsNonces;

/* At most @capacity nonces are remembered, used ones included; the oldest go first. */
KsNonces     *ks_nonces_new                  (guint           capacity);
void          ks_nonces_free                 (KsNonces       *self);
/* A new nonce for @environment_id, valid from @now (monotonic microseconds). */
char         *ks_nonces_issue                (KsNonces       *self,
                                              const char     *environment_id,
                                              gint64          now);
KsNonceState  ks_nonces_spend                (KsNonces       *self,
                                              const char     *environment_id,
                                              const char     *nonce,
                                              gint64          now);

/* The header values; each returns NULL or FALSE for anything but the exact encoding. */
EVP_PKEY     *ks_device_public_key_parse     (const char     *hex);
gboolean      ks_device_signature_parse      (const char     *hex,
                                              guint8          raw[64]);
gboolean      ks_device_signature_verify     (EVP_PKEY       *key,
                                              const guint8    raw[64],
                                              const char     *nonce);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (KsNonces, ks_nonces_free)

G_END_DECLS
