/* ks-tokens.h: an environment's RS256 signing key, its JWK, and the JWTs it signs and checks
 *
 * Copyright 2026 Keyturn developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

#define KS_TOKEN_ERROR (ks_token_error_quark ())

typedef enum {
  KS_TOKEN_ERROR_INVALID,             /* not a JWT, not ours, or the signature does not verify */
  KS_TOKEN_ERROR_EXPIRED,
} KsTokenError;

GQuark ks_token_error_quark (void);

typedef struct _KsSigner KsSigner;

/* Loads the PEM key at @path, or makes a new 2048-bit one there (mode 0600). */
KsSigner   *ks_signer_load_or_create  (const char  *path,
                                       GError     **error);
void        ks_signer_free            (KsSigner    *self);
/* The RFC 7638 thumbprint of the public key. */
const char *ks_signer_get_kid         (KsSigner    *self);
/* The public key as a JWK object, for /.well-known/jwks. */
JsonObject *ks_signer_get_jwk         (KsSigner    *self);
/* Signs @claims as the payload of a compact JWS with {"alg":"RS256","typ":"JWT","kid":...}. */
char       *ks_signer_sign            (KsSigner    *self,
                                       JsonObject  *claims);
/* The same with the payload already JSON text (see ks-json.h). */
char       *ks_signer_sign_payload    (KsSigner    *self,
                                       const char  *payload,
                                       gsize        len);
/* How far "iat" and "nbf" may lie ahead of the sandbox's clock, in seconds. */
#define KS_TOKEN_CLOCK_LEEWAY 60

/* Checks header, signature and "exp" against @now (unix seconds), and refuses as invalid a
 * token issued ("iat") or valid from ("nbf") more than KS_TOKEN_CLOCK_LEEWAY after @now;
 * answers the claims. */
JsonObject *ks_signer_verify          (KsSigner    *self,
                                       const char  *jwt,
                                       gint64       now,
                                       GError     **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (KsSigner, ks_signer_free)

G_END_DECLS
