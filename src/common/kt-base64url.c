/* kt-base64url.c
 *
 * Copyright 2026 Keyturn developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "kt-base64url.h"

#include <gio/gio.h>
#include <string.h>

/* Written by hand: GLib's decoder is base64 (not base64url) and silently skips characters
 * it does not know, while WebAuthn needs a strict, unpadded base64url that refuses them. */

static const char alphabet[] =
  "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

char *
kt_base64url_encode (const guint8 *data,
                     gsize         len)
{
  GString *out = g_string_sized_new ((len + 2) / 3 * 4 + 1);
  gsize i;

  for (i = 0; i + 2 < len; i += 3)
    {
      guint32 v = (guint32) data[i] << 16 | (guint32) data[i + 1] << 8 | data[i + 2];
      g_string_append_c (out, alphabet[(v >> 18) & 63]);
      g_string_append_c (out, alphabet[(v >> 12) & 63]);
      g_string_append_c (out, alphabet[(v >> 6) & 63]);
      g_string_append_c (out, alphabet[v & 63]);
    }

  if (len - i == 1)
    {
      guint32 v = (guint32) data[i] << 16;
      g_string_append_c (out, alphabet[(v >> 18) & 63]);
      g_string_append_c (out, alphabet[(v >> 12) & 63]);
    }
  else if (len - i == 2)
    {
      guint32 v = (guint32) data[i] << 16 | (guint32) data[i + 1] << 8;
      g_string_append_c (out, alphabet[(v >> 18) & 63]);
      g_string_append_c (out, alphabet[(v >> 12) & 63]);
      g_string_append_c (out, alphabet[(v >> 6) & 63]);
    }

  return g_string_free (out, FALSE);
}

char *
kt_base64url_encode_bytes (GBytes *bytes)
{
  gsize len = 0;
  const guint8 *data = g_bytes_get_data (bytes, &len);

  return kt_base64url_encode (data, len);
}

static int
decode_char (char c)
{
  if (c >= 'A' && c <= 'Z')
    return c - 'A';
  if (c >= 'a' && c <= 'z')
    return c - 'a' + 26;
  if (c >= '0' && c <= '9')
    return c - '0' + 52;
  if (c == '-')
    return 62;
  if (c == '_')
    return 63;
  return -1;
}

/* Refuses padding, the '+' and '/' of plain base64, white space, a length that no encoding
 * produces, and non-zero bits left over in the last character (two texts for one value). */
GBytes *
kt_base64url_decode (const char  *text,
                     GError     **error)
{
  gsize len, i, n = 0;
  guint8 *out;
  guint32 acc = 0;
  int bits = 0;

  g_return_val_if_fail (text != NULL, NULL);

  len = strlen (text);
  if (len % 4 == 1)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                   "Not base64url: a length of %" G_GSIZE_FORMAT " characters is impossible", len);
      return NULL;
    }

  out = g_malloc (len * 3 / 4 + 1);
  for (i = 0; i < len; i++)
    {
      int v = decode_char (text[i]);

      if (v < 0)
        {
          g_free (out);
          if (text[i] == '=')
            g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                                 "Not unpadded base64url: padding is not allowed");
          else
            g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                         "Not base64url: character %" G_GSIZE_FORMAT " is not in the alphabet", i);
          return NULL;
        }
      acc = (acc << 6) | (guint32) v;
      bits += 6;
      if (bits >= 8)
        {
          bits -= 8;
          out[n++] = (guint8) (acc >> bits);
          acc &= (1u << bits) - 1;
        }
    }

  if (acc != 0)
    {
      g_free (out);
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                           "Not canonical base64url: the last character has stray bits");
      return NULL;
    }

  return g_bytes_new_take (out, n);
}
