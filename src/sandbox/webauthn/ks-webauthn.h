/* ks-webauthn.h: the sandbox's WebAuthn relying-party checks (WebAuthn Level 3, §7.1 and §7.2)
 *
 * Pure functions: they read a RegistrationResponseJSON or AuthenticationResponseJSON and the
 * relying party's expectations, and answer with a verified result or a KS_WEBAUTHN_ERROR.
 * Everything that needs state (is this challenge ours, unused and fresh; is this credential id
 * new; whose credential is this) is the caller's, against the store.
 *
 * Copyright 2026 Keyturn developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <json-glib/json-glib.h>

#include "ks-webauthn-error.h"
#include "ks-webauthn-key.h"

G_BEGIN_DECLS

/* What the environment expects of every ceremony. With n_algorithms 0, ES256 and RS256. */
typedef struct {
  const char   *rp_id;
  const char   *origin;
  gboolean      require_user_verification;
  const gint64 *algorithms;             /* the pubKeyCredParams offered, COSE ids */
  gsize         n_algorithms;
} KsRelyingParty;

/* The credential as registration leaves it, for the store. */
typedef struct {
  GBytes   *credential_id;
  GBytes   *public_key;                 /* the COSE_Key as the authenticator sent it */
  gint64    algorithm;
  guint32   sign_count;
  guint8    aaguid[16];
  gboolean  user_verified;
  gboolean  backup_eligible;
  gboolean  backup_state;
  char     *attestation_format;         /* "none", "packed", "fido-u2f" */
  char     *attestation_type;           /* "none", "self", "basic" */
  char    **transports;                 /* as the client reported them; may be NULL */
} KsNewCredential;

void ks_new_credential_free (KsNewCredential *credential);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (KsNewCredential, ks_new_credential_free)

/* A stored credential, as an assertion is checked against it. */
typedef struct {
  GBytes   *credential_id;
  GBytes   *public_key;
  gint64    algorithm;
  guint32   sign_count;
  gboolean  backup_eligible;
  KsWebauthnKey *prepared;              /* optional: public_key already decoded; borrowed */
} KsStoredCredential;

typedef struct {
  guint32  sign_count;
  gboolean user_verified;
  gboolean backup_state;
} KsAssertionResult;

/* Reads response.clientDataJSON only far enough to name the challenge it answers, so the caller
 * can look the challenge up (and spend it) before anything else is checked. */
char     *ks_webauthn_peek_challenge        (JsonObject               *credential,
                                             GError                  **error);

/* The id the credential names (its rawId, decoded), so the caller can find the stored one. */
GBytes   *ks_webauthn_peek_credential_id    (JsonObject               *credential,
                                             GError                  **error);

/* §7.1. Attestation formats: none, packed (self, and x5c whose leaf certificate must verify the
 * signature and meet §8.2.1: the result is attestation type "basic") and fido-u2f (§8.6). The x5c
 * chain is parsed but not checked against any root: the sandbox has no vendor roots or metadata
 * service, so attestation tells it what a key claims to be, not that the claim is true. */
gboolean  ks_webauthn_verify_registration   (const KsRelyingParty     *rp,
                                             const char               *challenge,
                                             JsonObject               *credential,
                                             KsNewCredential         **out,
                                             GError                  **error);

/* §7.2, against the credential the caller looked up by ks_webauthn_peek_credential_id (). Set
 * stored->prepared to skip decoding the public key on every call. On success, out holds what the
 * store must keep: the new counter and the flags. */
gboolean  ks_webauthn_verify_assertion      (const KsRelyingParty     *rp,
                                             const char               *challenge,
                                             JsonObject               *credential,
                                             const KsStoredCredential *stored,
                                             KsAssertionResult        *out,
                                             GError                  **error);

G_END_DECLS
