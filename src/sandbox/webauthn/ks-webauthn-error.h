/* ks-webauthn-error.h: the error domain of the sandbox's WebAuthn relying-party checks
 *
 * Copyright 2026 Keyturn developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define KS_WEBAUTHN_ERROR (ks_webauthn_error_quark ())

typedef enum {
  KS_WEBAUTHN_ERROR_MALFORMED,          /* JSON shape, base64url, CBOR or authenticator data */
  KS_WEBAUTHN_ERROR_WRONG_TYPE,         /* credential type or clientData type */
  KS_WEBAUTHN_ERROR_ID_MISMATCH,        /* id != rawId */
  KS_WEBAUTHN_ERROR_CHALLENGE,          /* not the expected challenge, or not canonical base64url */
  KS_WEBAUTHN_ERROR_ORIGIN,             /* not the environment's origin, or cross-origin */
  KS_WEBAUTHN_ERROR_RP_ID_HASH,         /* rpIdHash != SHA-256 (rp id) */
  KS_WEBAUTHN_ERROR_USER_PRESENCE,      /* UP flag not set */
  KS_WEBAUTHN_ERROR_USER_VERIFICATION,  /* UV flag not set where required */
  KS_WEBAUTHN_ERROR_BACKUP_FLAGS,       /* BS without BE, or BE changed since registration */
  KS_WEBAUTHN_ERROR_ALGORITHM,          /* key algorithm not among pubKeyCredParams */
  KS_WEBAUTHN_ERROR_CREDENTIAL_ID,      /* credential id empty or over 1023 bytes */
  KS_WEBAUTHN_ERROR_ATTESTATION,        /* unknown fmt, statement not of its format, bad sig */
  KS_WEBAUTHN_ERROR_SIGNATURE,          /* assertion signature does not verify */
  KS_WEBAUTHN_ERROR_COUNTER,            /* signature counter did not increase */
  KS_WEBAUTHN_ERROR_TOKEN_BINDING,      /* clientData says token binding is "present" */
  KS_WEBAUTHN_ERROR_UNKNOWN_CREDENTIAL, /* the assertion names another credential than stored */
} KsWebauthnError;

GQuark ks_webauthn_error_quark (void);

G_END_DECLS
