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

KtWebauthnState
kt_webauthn_state_for_error (const GError *error)
{
  if (error->domain != KT_WEBAUTHN_ERROR)
    return KT_WEBAUTHN_STATE_FAILED;

  switch ((KtWebauthnError) error->code)
    {
    case KT_WEBAUTHN_ERROR_PIN_NOT_SET:
    case KT_WEBAUTHN_ERROR_INVALID_PIN:
      /* The key still has no PIN. */
      return KT_WEBAUTHN_STATE_PIN_NOT_SET;
    case KT_WEBAUTHN_ERROR_PIN_BLOCKED:
      return KT_WEBAUTHN_STATE_PIN_BLOCKED;
    case KT_WEBAUTHN_ERROR_PIN_HARD_BLOCKED:
      return KT_WEBAUTHN_STATE_PIN_HARD_BLOCKED;
    case KT_WEBAUTHN_ERROR_ALREADY_REGISTERED:
      return KT_WEBAUTHN_STATE_ALREADY_REGISTERED;
    case KT_WEBAUTHN_ERROR_NOT_REGISTERED:
      return KT_WEBAUTHN_STATE_NOT_REGISTERED;
    case KT_WEBAUTHN_ERROR_MISSING_CAPABILITY:
      return KT_WEBAUTHN_STATE_MISSING_CAPABILITY;
    case KT_WEBAUTHN_ERROR_TIMED_OUT:
      return KT_WEBAUTHN_STATE_TIMED_OUT;
    case KT_WEBAUTHN_ERROR_CANCELLED:
      return KT_WEBAUTHN_STATE_CANCELLED;
    case KT_WEBAUTHN_ERROR_INVALID_OPTIONS:
    case KT_WEBAUTHN_ERROR_INSECURE_ORIGIN:
    case KT_WEBAUTHN_ERROR_RP_ID_MISMATCH:
    case KT_WEBAUTHN_ERROR_INVALID_USER_ID:
    case KT_WEBAUTHN_ERROR_UNSUPPORTED_ALGORITHM:
    case KT_WEBAUTHN_ERROR_DENIED:
    case KT_WEBAUTHN_ERROR_BAD_RESPONSE:
    case KT_WEBAUTHN_ERROR_DEVICE:
    case KT_WEBAUTHN_ERROR_BUSY:
    default:
      return KT_WEBAUTHN_STATE_FAILED;
    }
}

gboolean
kt_webauthn_set_error (GError          **error,
                       KtWebauthnError   code)
{
  const char *message;

  switch (code)
    {
    case KT_WEBAUTHN_ERROR_PIN_NOT_SET:
      message = _("This security key has no PIN yet. Set a PIN for it, then try again.");
      break;
    case KT_WEBAUTHN_ERROR_PIN_BLOCKED:
      message = _("Too many wrong PINs. Unplug the security key, insert it again and retry.");
      break;
    case KT_WEBAUTHN_ERROR_PIN_HARD_BLOCKED:
      message = _("This security key’s PIN is blocked. The key must be reset before it can "
                  "be used again.");
      break;
    case KT_WEBAUTHN_ERROR_ALREADY_REGISTERED:
      message = _("This security key is already registered with your account.");
      break;
    case KT_WEBAUTHN_ERROR_NOT_REGISTERED:
      message = _("This security key is not registered with your account. Try another key.");
      break;
    case KT_WEBAUTHN_ERROR_MISSING_CAPABILITY:
      message = _("This security key cannot do what this sign-in needs. Try another key.");
      break;
    case KT_WEBAUTHN_ERROR_TIMED_OUT:
      message = _("The security key was not used in time. Try again.");
      break;
    case KT_WEBAUTHN_ERROR_CANCELLED:
      message = _("The security key request was cancelled.");
      break;
    case KT_WEBAUTHN_ERROR_DENIED:
      message = _("The security key refused the request.");
      break;
    case KT_WEBAUTHN_ERROR_BAD_RESPONSE:
      message = _("The security key gave an answer Keyturn cannot accept.");
      break;
    case KT_WEBAUTHN_ERROR_BUSY:
      message = _("A security key request is already in progress.");
      break;
    case KT_WEBAUTHN_ERROR_INVALID_PIN:
      message = _("The security key does not accept this PIN. Choose a longer one.");
      break;
    case KT_WEBAUTHN_ERROR_DEVICE:
    case KT_WEBAUTHN_ERROR_INVALID_OPTIONS:
    case KT_WEBAUTHN_ERROR_INSECURE_ORIGIN:
    case KT_WEBAUTHN_ERROR_RP_ID_MISMATCH:
    case KT_WEBAUTHN_ERROR_INVALID_USER_ID:
    case KT_WEBAUTHN_ERROR_UNSUPPORTED_ALGORITHM:
    default:
      message = _("Keyturn could not use the security key.");
      break;
    }

  g_set_error_literal (error, KT_WEBAUTHN_ERROR, code, message);
  return FALSE;
}

gboolean
kt_webauthn_set_fido_error (GError **error,
                            int      r)
{
  switch (r)
    {
    case FIDO_ERR_CREDENTIAL_EXCLUDED:
      return kt_webauthn_set_error (error, KT_WEBAUTHN_ERROR_ALREADY_REGISTERED);
    case FIDO_ERR_NO_CREDENTIALS:
      return kt_webauthn_set_error (error, KT_WEBAUTHN_ERROR_NOT_REGISTERED);
    case FIDO_ERR_ACTION_TIMEOUT:
    case FIDO_ERR_USER_ACTION_TIMEOUT:
      return kt_webauthn_set_error (error, KT_WEBAUTHN_ERROR_TIMED_OUT);
    case FIDO_ERR_KEEPALIVE_CANCEL:
      return kt_webauthn_set_error (error, KT_WEBAUTHN_ERROR_CANCELLED);
    case FIDO_ERR_OPERATION_DENIED:
      return kt_webauthn_set_error (error, KT_WEBAUTHN_ERROR_DENIED);
    case FIDO_ERR_PIN_NOT_SET:
      return kt_webauthn_set_error (error, KT_WEBAUTHN_ERROR_PIN_NOT_SET);
    case FIDO_ERR_PIN_AUTH_BLOCKED:
    case FIDO_ERR_UV_BLOCKED:
      return kt_webauthn_set_error (error, KT_WEBAUTHN_ERROR_PIN_BLOCKED);
    case FIDO_ERR_PIN_BLOCKED:
      return kt_webauthn_set_error (error, KT_WEBAUTHN_ERROR_PIN_HARD_BLOCKED);
    case FIDO_ERR_UNSUPPORTED_ALGORITHM:
    case FIDO_ERR_UNSUPPORTED_OPTION:
    case FIDO_ERR_UNSUPPORTED_EXTENSION:
    case FIDO_ERR_INVALID_OPTION:
      return kt_webauthn_set_error (error, KT_WEBAUTHN_ERROR_MISSING_CAPABILITY);
    default:
      g_set_error (error, KT_WEBAUTHN_ERROR, KT_WEBAUTHN_ERROR_DEVICE,
                   /* Translators: %s is libfido2's description of the failure */
                   _("Keyturn could not talk to the security key (%s). Unplug it and try "
                     "again."), fido_strerr (r));
      return FALSE;
    }
}

