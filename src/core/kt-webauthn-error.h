/* kt-webauthn-error.h: the KT_WEBAUTHN_ERROR domain, every way a security-key ceremony can fail
 *
 * Copyright 2026 Keyturn developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

#define KT_WEBAUTHN_ERROR (kt_webauthn_error_quark ())

/**
 * KtWebauthnError:
 * @KT_WEBAUTHN_ERROR_INVALID_OPTIONS: the server's options JSON is malformed or incomplete
 * @KT_WEBAUTHN_ERROR_INSECURE_ORIGIN: the configured origin is not https (nor http on loopback)
 * @KT_WEBAUTHN_ERROR_RP_ID_MISMATCH: rp.id is neither the origin's host nor a registrable
 *   suffix of it; refused before any key is touched
 * @KT_WEBAUTHN_ERROR_INVALID_USER_ID: user.id is not 1 to 64 bytes
 * @KT_WEBAUTHN_ERROR_UNSUPPORTED_ALGORITHM: the server offers no algorithm Keyturn can use
 * @KT_WEBAUTHN_ERROR_PIN_NOT_SET: the key needs a PIN and has none; the user must set one
 * @KT_WEBAUTHN_ERROR_PIN_BLOCKED: too many wrong PINs in a row; unplug and re-insert the key
 * @KT_WEBAUTHN_ERROR_PIN_HARD_BLOCKED: no PIN attempts left; only a reset of the key helps
 * @KT_WEBAUTHN_ERROR_ALREADY_REGISTERED: the key holds a credential in excludeCredentials
 * @KT_WEBAUTHN_ERROR_NOT_REGISTERED: the key holds none of allowCredentials
 * @KT_WEBAUTHN_ERROR_MISSING_CAPABILITY: the key lacks something the request needs
 *   (resident keys, user verification, the algorithm)
 * @KT_WEBAUTHN_ERROR_TIMED_OUT: the ceremony's timeout passed
 * @KT_WEBAUTHN_ERROR_CANCELLED: the caller cancelled, or the user declined to give a PIN
 * @KT_WEBAUTHN_ERROR_DENIED: the key refused (its user said no)
 * @KT_WEBAUTHN_ERROR_BAD_RESPONSE: the key's answer failed Keyturn's checks
 * @KT_WEBAUTHN_ERROR_DEVICE: talking to the key failed
 * @KT_WEBAUTHN_ERROR_BUSY: a ceremony is already running on this client
 * @KT_WEBAUTHN_ERROR_INVALID_PIN: a new PIN breaks the length rules (CTAP 2.1 §6.5.5.5, or the
 *   key's own minimum); refused before the key is asked to take it
 *
 * Every message in this domain is translated and fit to show to the user as it is.
 */
typedef enum {
  KT_WEBAUTHN_ERROR_INVALID_OPTIONS,
  KT_WEBAUTHN_ERROR_INSECURE_ORIGIN,
  KT_WEBAUTHN_ERROR_RP_ID_MISMATCH,
  KT_WEBAUTHN_ERROR_INVALID_USER_ID,
  KT_WEBAUTHN_ERROR_UNSUPPORTED_ALGORITHM,
  KT_WEBAUTHN_ERROR_PIN_NOT_SET,
  KT_WEBAUTHN_ERROR_PIN_BLOCKED,
  KT_WEBAUTHN_ERROR_PIN_HARD_BLOCKED,
  KT_WEBAUTHN_ERROR_ALREADY_REGISTERED,
  KT_WEBAUTHN_ERROR_NOT_REGISTERED,
  KT_WEBAUTHN_ERROR_MISSING_CAPABILITY,
  KT_WEBAUTHN_ERROR_TIMED_OUT,
  KT_WEBAUTHN_ERROR_CANCELLED,
  KT_WEBAUTHN_ERROR_DENIED,
  KT_WEBAUTHN_ERROR_BAD_RESPONSE,
  KT_WEBAUTHN_ERROR_DEVICE,
  KT_WEBAUTHN_ERROR_BUSY,
  KT_WEBAUTHN_ERROR_INVALID_PIN,
} KtWebauthnError;

GType  kt_webauthn_error_get_type (void) G_GNUC_CONST;
#define KT_TYPE_WEBAUTHN_ERROR (kt_webauthn_error_get_type ())

GQuark kt_webauthn_error_quark    (void);

G_END_DECLS
