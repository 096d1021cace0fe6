/* kt-client-data.c
 *
 * Copyright 2026 Keyturn developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "kt-client-data.h"

#include <glib/gi18n-lib.h>

#include "kt-base64url.h"
#include "kt-webauthn-error.h"

/* Written by hand: no JSON library escapes exactly as CCDToString does (json-glib escapes
 * differently), and the bytes are hashed, so they must be the spec's and nothing else. */
void
kt_client_data_append_string (GString    *out,
                              const char *value)
{
  g_string_append_c (out, '"');
  for (const char *p = value; *p != '\0'; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);

      if (c == 0x22)
        g_string_append (out, "\\\"");
      else if (c == 0x5c)
        g_string_append (out, "\\\\");
      else if (c < 0x20)
        g_string_append_printf (out, "\\u%04x", c);
      else
        g_string_append_len (out, p, g_utf8_next_char (p) - p);
    }
  g_string_append_c (out, '"');
}

GBytes *
kt_client_data_serialize (const char  *type,
                          GBytes      *challenge,
                          const char  *origin,
                          GError     **error)
{
  g_autoptr(GString) out = NULL;
  g_autofree char *challenge_text = NULL;

  g_return_val_if_fail (type != NULL, NULL);
  g_return_val_if_fail (challenge != NULL, NULL);
  g_return_val_if_fail (origin != NULL, NULL);

  if (!g_utf8_validate (type, -1, NULL) || !g_utf8_validate (origin, -1, NULL))
    {
      g_set_error_literal (error, KT_WEBAUTHN_ERROR, KT_WEBAUTHN_ERROR_INSECURE_ORIGIN,
                           _("The sign-in address is not valid text."));
      return NULL;
    }

  challenge_text = kt_base64url_encode_bytes (challenge);

  out = g_string_new ("{\"type\":");
  kt_client_data_append_string (out, type);
  g_string_append (out, ",\"challenge\":");
  kt_client_data_append_string (out, challenge_text);
  g_string_append (out, ",\"origin\":");
  kt_client_data_append_string (out, origin);
  g_string_append (out, ",\"crossOrigin\":false}");

  return g_string_free_to_bytes (g_steal_pointer (&out));
}
