/* ks-attestation-private.h: the attestation statement formats (§8) the relying-party checks
 * verify at registration: none, packed (self and x5c) and fido-u2f
 *
 * Copyright 2026 Keyturn developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <openssl/x509.h>

#include "ks-webauthn-private.h"

G_BEGIN_DECLS

G_DEFINE_AUTOPTR_CLEANUP_FUNC (X509, X509_free)

/* A registration's attestation statement and what it is checked against (§7.1 steps 20-21). */
typedef struct {
  cbor_item_t    *stmt;                 /* attStmt, a definite map */
  const AuthData *ad;
  const guint8   *client_hash;          /* SHA-256 (clientDataJSON) */
  const char     *type;                 /* on success: "none", "self" or "basic" */
} Attestation;

/* The fields of an attStmt, borrowed from its map. */
typedef struct {
  cbor_item_t  *alg;
  cbor_item_t  *sig;
  cbor_item_t  *x5c;
} Statement;

/* The statement checked by its format @fmt (ks-attestation.c) */
gboolean  ks_attestation_verify           (const char      *fmt,
                                           Attestation     *att,
                                           GError         **error);

/* The fields every format shares (ks-attestation-statement.c) */
gboolean  ks_attestation_read_statement   (cbor_item_t     *stmt,
                                           const char      *fmt,
                                           gboolean         allow_alg,
                                           Statement       *out,
                                           GError         **error);
X509     *ks_attestation_parse_x5c        (cbor_item_t     *x5c,
                                           const char      *fmt,
                                           GError         **error);
/* Whether the statement's sig signs the digest with pkey. */
gboolean  ks_attestation_check_sig        (const Statement *st,
                                           EVP_PKEY        *pkey,
                                           gint64           alg,
                                           const guint8     digest[SHA256_DIGEST_LENGTH]);

/* §8.2 (ks-attestation-packed.c) and §8.6 (ks-attestation-fido-u2f.c) */
gboolean  ks_attestation_verify_packed    (Attestation     *att,
                                           GError         **error);
gboolean  ks_attestation_verify_fido_u2f  (Attestation     *att,
                                           GError         **error);

G_END_DECLS
