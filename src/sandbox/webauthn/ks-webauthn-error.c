/* ks-webauthn-error.c: KS_WEBAUTHN_ERROR, and the helper every check reports through
 *
 * Copyright 2026 Keyturn developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "ks-webauthn-private.h"

G_DEFINE_QUARK (ks-webauthn-error-quark, ks_webauthn_error)

gboolean
ks_webauthn_fail (GError         **error,
                  KsWebauthnError  code,
                  const char      *format,
                  ...)
{
  va_list args;

  if (error == NULL)
    return FALSE;
  va_start (args, format);
  *error = g_error_new_valist (KS_WEBAUTHN_ERROR, code, format, args);
  va_end (args);
  return FALSE;
}
