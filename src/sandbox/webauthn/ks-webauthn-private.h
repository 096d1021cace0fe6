/* ks-webauthn-private.h: what the relying-party checks, the credential key and the attestation
 * formats share: the authenticator data as parsed, CBOR and error helpers, digests and signatures
 *
 * Copyright 2026 Keyturn developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <cbor.h>
#include <openssl/evp.h>
#include <openssl/sha.h>

#include "ks-webauthn.h"

G_BEGIN_DECLS

#define FLAG_UP 0x01
#define FLAG_UV 0x04
#define FLAG_BE 0x08
#define FLAG_BS 0x10
#define FLAG_AT 0x40
#define FLAG_ED 0x80

#define CREDENTIAL_ID_MAX_LEN 1023    /* §5.8.3: the largest id a relying party must accept */

/* Authenticator data (§6.1), pointing into the bytes it was parsed from. */
typedef struct {
  const guint8 *data;
  gsize         len;
  const guint8 *rp_id_hash;
  guint8        flags;
  guint32       sign_count;
  const guint8 *aaguid;
  const guint8 *credential_id;
  gsize         credential_id_len;
  const guint8 *public_key;
  gsize         public_key_len;
  KsWebauthnKey *key;                 /* owned */
  gint64        algorithm;
} AuthData;

/* Errors (ks-webauthn-error.c): sets a KS_WEBAUTHN_ERROR and returns FALSE. */
gboolean       ks_webauthn_fail              (GError         **error,
                                              KsWebauthnError  code,
                                              const char      *format,
                                              ...) G_GNUC_PRINTF (3, 4);

/* CBOR (ks-webauthn-cbor.c) */
gboolean       ks_webauthn_cbor_text_is      (cbor_item_t     *item,
                                              const char      *text);
gboolean       ks_webauthn_cbor_read_int     (cbor_item_t     *item,
                                              gint64          *value);
gboolean       ks_webauthn_cbor_is_bytes     (cbor_item_t     *item);
cbor_item_t   *ks_webauthn_cbor_load         (const guint8    *data,
                                              gsize            len,
                                              gsize           *consumed,
                                              const char      *what,
                                              GError         **error);

/* Keys, digests and signatures (ks-webauthn-key.c) */
void           ks_webauthn_sha256            (const void      *data,
                                              gsize            len,
                                              guint8           out[SHA256_DIGEST_LENGTH]);
/* SHA-256 (data || client_hash): what assertions and packed attestations sign. */
void           ks_webauthn_signed_digest     (const guint8    *data,
                                              gsize            len,
                                              const guint8     client_hash[SHA256_DIGEST_LENGTH],
                                              guint8           digest[SHA256_DIGEST_LENGTH]);
/* Whether sig signs the digest: ECDSA (DER) for ES256, PKCS#1 v1.5 for RS256. */
gboolean       ks_webauthn_verify_digest     (EVP_PKEY        *pkey,
                                              gint64           alg,
                                              const guint8     digest[SHA256_DIGEST_LENGTH],
                                              const guint8    *sig,
                                              gsize            sig_len);
gboolean       ks_webauthn_key_verify_digest (KsWebauthnKey   *key,
                                              const guint8     digest[SHA256_DIGEST_LENGTH],
                                              const guint8    *sig,
                                              gsize            sig_len);
/* Reads the COSE_Key at the start of data (it may be followed by extensions): its alg, and the
 * key itself when the algorithm is one the sandbox verifies. */
KsWebauthnKey *ks_webauthn_key_decode        (const guint8    *data,
                                              gsize            len,
                                              gsize           *consumed,
                                              gint64          *alg_out,
                                              GError         **error);
EVP_PKEY      *ks_webauthn_key_get_pkey      (KsWebauthnKey   *key);

G_END_DECLS
