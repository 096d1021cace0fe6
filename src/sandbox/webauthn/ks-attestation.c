/* ks-attestation.c: §7.1 steps 20-21, the attestation statement checked by its format; none is
 * handled here, packed and fido-u2f each have their own file
 *
 * Copyright 2026 Keyturn developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "ks-attestation-private.h"

#include <string.h>

gboolean
ks_attestation_verify (const char   *fmt,
                       Attestation  *att,
                       GError      **error)
{
  g_autofree char *shown = NULL;

  if (strcmp (fmt, "none") == 0)
    {
      if (cbor_map_size (att->stmt) != 0)
        return ks_webauthn_fail (error, KS_WEBAUTHN_ERROR_ATTESTATION,
                                 "The attestation format is \"none\" but its statement is not "
                                 "empty.");
      att->type = "none";
      return TRUE;
    }
  if (strcmp (fmt, "packed") == 0)
    return ks_attestation_verify_packed (att, error);
  if (strcmp (fmt, "fido-u2f") == 0)
    return ks_attestation_verify_fido_u2f (att, error);

  /* Escaped as the other checks quote what a client sent. */
  shown = g_strescape (fmt, NULL);
  return ks_webauthn_fail (error, KS_WEBAUTHN_ERROR_ATTESTATION,
                           "The attestation format \"%s\" is not one the sandbox verifies "
                           "(none, packed, fido-u2f).", shown);
}
