/* kt-webauthn-client-errors.c: a ceremony's failures as KT_WEBAUTHN_ERRORs
 *
 * The message a person reads for each error, the state the client is left in, and how
 * libfido2's outcomes map onto both.
 *
 * Copyright 2026 Keyturn developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "kt-webauthn-client-private.h"

#include <glib/gi18n-lib.h>

/* The errors with a state or a message of their own; any other leaves the state failed, with
 * the message of KT_WEBAUTHN_ERROR_DEVICE. */
static const struct {
  KtWebauthnError  code;
  KtWebauthnState  state;
  const char      *message;
} errors[] = {
  { KT_WEBAUTHN_ERROR_PIN_NOT_SET, KT_WEBAUTHN_STATE_PIN_NOT_SET,
    N_("This security key has no PIN yet. Set a PIN for it, then try again.") },
  /* A new PIN the key refused: it still has none. */
  { KT_WEBAUTHN_ERROR_INVALID_PIN, KT_WEBAUTHN_STATE_PIN_NOT_SET,
    N_("The security key does not accept this PIN. Choose a longer one.") },
  { KT_WEBAUTHN_ERROR_PIN_BLOCKED, KT_WEBAUTHN_STATE_PIN_BLOCKED,
    N_("Too many wrong PINs. Unplug the security key, insert it again and retry.") },
  { KT_WEBAUTHN_ERROR_PIN_HARD_BLOCKED, KT_WEBAUTHN_STATE_PIN_HARD_BLOCKED,
    N_("This security key’s PIN is blocked. The key must be reset before it can "
       "be used again.") },
  { KT_WEBAUTHN_ERROR_ALREADY_REGISTERED, KT_WEBAUTHN_STATE_ALREADY_REGISTERED,
    N_("This security key is already registered with your account.") },
  { KT_WEBAUTHN_ERROR_NOT_REGISTERED, KT_WEBAUTHN_STATE_NOT_REGISTERED,
    N_("This security key is not registered with your account. Try another key.") },
  { KT_WEBAUTHN_ERROR_MISSING_CAPABILITY, KT_WEBAUTHN_STATE_MISSING_CAPABILITY,
    N_("This security key cannot do what this sign-in needs. Try another key.") },
  { KT_WEBAUTHN_ERROR_TIMED_OUT, KT_WEBAUTHN_STATE_TIMED_OUT,
    N_("The security key was not used in time. Try again.") },
  { KT_WEBAUTHN_ERROR_CANCELLED, KT_WEBAUTHN_STATE_CANCELLED,
    N_("The security key request was cancelled.") },
  { KT_WEBAUTHN_ERROR_DENIED, KT_WEBAUTHN_STATE_FAILED,
    N_("The security key refused the request.") },
  { KT_WEBAUTHN_ERROR_BAD_RESPONSE, KT_WEBAUTHN_STATE_FAILED,
    N_("The security key gave an answer Keyturn cannot accept.") },
  { KT_WEBAUTHN_ERROR_BUSY, KT_WEBAUTHN_STATE_FAILED,
    N_("A security key request is already in progress.") },
  { KT_WEBAUTHN_ERROR_DEVICE, KT_WEBAUTHN_STATE_FAILED,
    N_("Keyturn could not use the security key.") },
};

/* What libfido2 says, as the error it means for the user; any other is a device error. */
static const struct {
  int              fido;
  KtWebauthnError  code;
} fido_errors[] = {
  { FIDO_ERR_CREDENTIAL_EXCLUDED, KT_WEBAUTHN_ERROR_ALREADY_REGISTERED },
  { FIDO_ERR_NO_CREDENTIALS, KT_WEBAUTHN_ERROR_NOT_REGISTERED },
  { FIDO_ERR_ACTION_TIMEOUT, KT_WEBAUTHN_ERROR_TIMED_OUT },
  { FIDO_ERR_USER_ACTION_TIMEOUT, KT_WEBAUTHN_ERROR_TIMED_OUT },
  { FIDO_ERR_KEEPALIVE_CANCEL, KT_WEBAUTHN_ERROR_CANCELLED },
  { FIDO_ERR_OPERATION_DENIED, KT_WEBAUTHN_ERROR_DENIED },
  { FIDO_ERR_PIN_NOT_SET, KT_WEBAUTHN_ERROR_PIN_NOT_SET },
  { FIDO_ERR_PIN_AUTH_BLOCKED, KT_WEBAUTHN_ERROR_PIN_BLOCKED },
  { FIDO_ERR_UV_BLOCKED, KT_WEBAUTHN_ERROR_PIN_BLOCKED },
  { FIDO_ERR_PIN_BLOCKED, KT_WEBAUTHN_ERROR_PIN_HARD_BLOCKED },
  { FIDO_ERR_UNSUPPORTED_ALGORITHM, KT_WEBAUTHN_ERROR_MISSING_CAPABILITY },
  { FIDO_ERR_UNSUPPORTED_OPTION, KT_WEBAUTHN_ERROR_MISSING_CAPABILITY },
  { FIDO_ERR_UNSUPPORTED_EXTENSION, KT_WEBAUTHN_ERROR_MISSING_CAPABILITY },
  { FIDO_ERR_INVALID_OPTION, KT_WEBAUTHN_ERROR_MISSING_CAPABILITY },
};

static guint
error_index (KtWebauthnError code)
{
  guint i;

  for (i = 0; i < G_N_ELEMENTS (errors) - 1; i++)
    if (errors[i].code == code)
      break;
  /* The last entry: KT_WEBAUTHN_ERROR_DEVICE, which stands for the rest. */
  return i;
}

KtWebauthnState
kt_webauthn_state_for_error (const GError *error)
{
  if (error->domain != KT_WEBAUTHN_ERROR)
    return KT_WEBAUTHN_STATE_FAILED;

  return errors[error_index ((KtWebauthnError) error->code)].state;
}

gboolean
kt_webauthn_set_error (GError          **error,
                       KtWebauthnError   code)
{
  g_set_error_literal (error, KT_WEBAUTHN_ERROR, code, _(errors[error_index (code)].message));
  return FALSE;
}

gboolean
kt_webauthn_set_fido_error (GError **error,
                            int      r)
{
  for (guint i = 0; i < G_N_ELEMENTS (fido_errors); i++)
    if (fido_errors[i].fido == r)
      return kt_webauthn_set_error (error, fido_errors[i].code);

  g_set_error (error, KT_WEBAUTHN_ERROR, KT_WEBAUTHN_ERROR_DEVICE,
               /* Translators: %s is libfido2's description of the failure */
               _("Keyturn could not talk to the security key (%s). Unplug it and try again."),
               fido_strerr (r));
  return FALSE;
}
