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
 * for 0x7f; everything else, 0x1f and UTF-8 included, as it is. */
void
ks_json_string (GString    *out,
                const char *value)
{
  static const char hex[] = "0123456789abcdef";
  const char *run = value;
  const char *p;

  if (value == NULL)
    {
      ks_json_null (out);
      return;
    }

  g_string_append_c (out, '"');
  for (p = value; *p != '\0'; p++)
    {
      guchar c = *p;
      char escape;

      if (c != '"' && c != '\\' && (c >= 0x1f || c == 0) && c != 0x7f)
        continue;
      g_string_append_len (out, run, p - run);
      run = p + 1;
      switch (c)
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
          g_string_append_c (out, hex[c >> 4]);
          g_string_append_c (out, hex[c & 0xf]);
        }
    }
  g_string_append_len (out, run, p - run);
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
