/* ks-device-signature.h: the nonces a device signs and the checks of its three headers
 *
 * Dynamic's client signs a fresh server nonce with a P-256 "device" key on the sign-in and
 * refresh endpoints (API.md, "Device-signed requests"). This makes and checks the nonces the
 * sandbox hands out, and reads and verifies the headers' encodings: the public key as compressed
 * SEC1 in hex, the signature as raw r || s in hex over the nonce's bytes.
 *
 * Copyright 2026 Keyturn developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>
#include <openssl/evp.h>

#include "ks-secret.h"

G_BEGIN_DECLS

#define KS_DEVICE_NONCE_HEADER      "x-dynamic-device-nonce"
#define KS_DEVICE_PUBLIC_KEY_HEADER "x-dynamic-device-publickey"
#define KS_DEVICE_SIGNATURE_HEADER  "x-dynamic-device-signed-nonce"

/* GET /nonces hands out at most this many at once, as Dynamic does. */
#define KS_NONCES_MAX_COUNT         5
/* Dynamic's client drops its pool after a day; a nonce lives as long here. */
#define KS_NONCE_LIFETIME_MS        ((gint64) 24 * 60 * 60 * 1000)

/* A nonce carries its own expiry and a MAC binding it to the environment, as the WebAuthn
 * challenges do, so that it survives a restart of the sandbox; only spent ones are stored. Its
 * text is lowercase hex, safe in a header. */
char         *ks_device_nonce_issue          (KsSecret       *secret,
                                              const char     *environment_id,
                                              gint64          expires_at_ms);
/* Whether @nonce is one that ks_device_nonce_issue() made for @environment_id and that has not
 * expired at @now_ms; its expiry in *@expires_at_ms. */
gboolean      ks_device_nonce_check          (KsSecret       *secret,
                                              const char     *environment_id,
                                              const char     *nonce,
                                              gint64          now_ms,
                                              gint64         *expires_at_ms);

/* The header values; each returns NULL or FALSE for anything but the exact encoding. */
EVP_PKEY     *ks_device_public_key_parse     (const char     *hex);
gboolean      ks_device_signature_parse      (const char     *hex,
                                              guint8          raw[64]);
gboolean      ks_device_signature_verify     (EVP_PKEY       *key,
                                              const guint8    raw[64],
                                              const char     *nonce);

G_END_DECLS
