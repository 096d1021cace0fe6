/* kv-pin.h: the key's side of PIN/UV auth protocols 1 and 2 (CTAP 2.1 §6.5.6, §6.5.7)
 *
 * Copyright 2026 Keyturn developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>
#include <openssl/evp.h>

G_BEGIN_DECLS

#define KV_PIN_SECRET_MAX 64
#define KV_PIN_TOKEN_LEN  32

typedef struct {
  guint  protocol;                  /* 1 or 2 */
  guint8 bytes[KV_PIN_SECRET_MAX];  /* v1: SHA-256(Z); v2: HMAC key || AES key */
  gsize  len;
} KvPinSecret;

/* ECDH with the platform's key, then the protocol's KDF. */
gboolean kv_pin_derive       (guint          protocol,
                              EVP_PKEY      *own,
                              EVP_PKEY      *peer,
                              KvPinSecret   *secret);
/* Ciphertext: v1 AES-256-CBC with a zero IV; v2 a random IV followed by the ciphertext. */
GBytes  *kv_pin_encrypt      (const KvPinSecret *secret,
                              const guint8      *data,
                              gsize              len);
GBytes  *kv_pin_decrypt      (const KvPinSecret *secret,
                              const guint8      *data,
                              gsize              len);
/* Checks an HMAC-SHA-256 tag (16 bytes in v1, 32 in v2) keyed with @key over @msg. */
gboolean kv_pin_verify       (guint          protocol,
                              const guint8  *key,
                              gsize          key_len,
                              const guint8  *msg,
                              gsize          msg_len,
                              const guint8  *tag,
                              gsize          tag_len);
/* The HMAC key of @secret: all of it in v1, its first half in v2. */
const guint8 *kv_pin_hmac_key (const KvPinSecret *secret,
                               gsize             *len);

G_END_DECLS
