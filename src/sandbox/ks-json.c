/* ks-json.c: JSON text written straight into a GString
 *
 * Copyright 2026 Keyturn developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "ks-json.h"

#include <string.h>

/* After an opening bracket nothing separates; after any value a comma does. */
static void
separate (GString *out)
{
  char last = out->len > 0 ? out->str[out->len - 1] : '{';

  if (last != '{' && last != '[')
    g_string_append_c (out, ',');
}

void
ks_json_begin_object (GString *out)
{
  g_string_append_c (out, '{');
}

void
ks_json_end_object (GString *out)
{
  g_string_append_c (out, '}');
}

void
ks_json_begin_array (GString *out)
{
  g_string_append_c (out, '[');
}

void
ks_json_end_array (GString *out)
{
  g_string_append_c (out, ']');
}

void
ks_json_element (GString *out)
{
  separate (out);
}

/* json-glib's escapes: \" \\ \b \f \n \r \t, \u00xx for the other bytes from 0x01 to 0x1e and
 * for 0x7f; everything else, 0x1f and UTF-8 included, as it is. The table marks the bytes that
 * end a plain run: those, and the terminating NUL. */
static const guint8 ends_run[256] = {
  [0x00] = 1, [0x01] = 1, [0x02] = 1, [0x03] = 1, [0x04] = 1, [0x05] = 1, [0x06] = 1,
  [0x07] = 1, [0x08] = 1, [0x09] = 1, [0x0a] = 1, [0x0b] = 1, [0x0c] = 1, [0x0d] = 1,
  [0x0e] = 1, [0x0f] = 1, [0x10] = 1, [0x11] = 1, [0x12] = 1, [0x13] = 1, [0x14] = 1,
  [0x15] = 1, [0x16] = 1, [0x17] = 1, [0x18] = 1, [0x19] = 1, [0x1a] = 1, [0x1b] = 1,
  [0x1c] = 1, [0x1d] = 1, [0x1e] = 1, ['"'] = 1, ['\\'] = 1, [0x7f] = 1,
};

void
ks_json_string (GString    *out,
                const char *value)
{
  static const char hex[] = "0123456789abcdef";
  const guchar *p = (const guchar *) value;

  if (value == NULL)
    {
      ks_json_null (out);
      return;
    }

  g_string_append_c (out, '"');
  for (;;)
    {
      const guchar *run = p;
      char escape;

      while (!ends_run[*p])
        p++;
      g_string_append_len (out, (const char *) run, p - run);
      if (*p == '\0')
        break;

      switch (*p)
        {
        case '"': escape = '"'; break;
        case '\\': escape = '\\'; break;
        case '\b': escape = 'b'; break;
        case '\f': escape = 'f'; break;
        case '\n': escape = 'n'; break;
        case '\r': escape = 'r'; break;
        case '\t': escape = 't'; break;
        default: escape = 0; break;
        }
      g_string_append_c (out, '\\');
      if (escape != 0)
        g_string_append_c (out, escape);
      else
        {
          g_string_append (out, "u00");
          g_string_append_c (out, hex[*p >> 4]);
          g_string_append_c (out, hex[*p & 0xf]);
        }
      p++;
    }
  g_string_append_c (out, '"');
}

void
ks_json_int (GString *out,
             gint64   value)
{
  char digits[24];
  guint64 magnitude = value < 0 ? -(guint64) value : (guint64) value;
  int i = sizeof digits;

  do
    {
      digits[--i] = '0' + magnitude % 10;
      magnitude /= 10;
    }
  while (magnitude != 0);
  if (value < 0)
    digits[--i] = '-';
  g_string_append_len (out, digits + i, sizeof digits - i);
}

void
ks_json_boolean (GString  *out,
                 gboolean  value)
{
  g_string_append (out, value ? "true" : "false");
}

void
ks_json_null (GString *out)
{
  g_string_append (out, "null");
}

void
ks_json_member (GString    *out,
                const char *name)
{
  separate (out);
  ks_json_string (out, name);
  g_string_append_c (out, ':');
}

void
ks_json_member_string (GString    *out,
                       const char *name,
                       const char *value)
{
  ks_json_member (out, name);
  ks_json_string (out, value);
}

void
ks_json_member_int (GString    *out,
                    const char *name,
                    gint64      value)
{
  ks_json_member (out, name);
  ks_json_int (out, value);
}

void
ks_json_member_boolean (GString    *out,
                        const char *name,
                        gboolean    value)
{
  ks_json_member (out, name);
  ks_json_boolean (out, value);
}

gboolean
ks_json_text_has_nul (const char *text,
                      gsize       len)
{
  gboolean in_string = FALSE;

  for (gsize i = 0; i < len; i++)
    {
      if (text[i] == '\0')
        return TRUE;
      if (text[i] == '"')
        in_string = !in_string;
      else if (in_string && text[i] == '\\' && i + 1 < len)
        {
          /* Escapes are skipped whole, so that \\u0000 is a backslash and text. */
          if (text[i + 1] == 'u' && i + 5 < len && memcmp (text + i + 2, "0000", 4) == 0)
            return TRUE;
          i++;
        }
    }
  return FALSE;
}
