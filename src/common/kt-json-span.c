/* kt-json-span.c
 *
 * Hand-written: json-glib offers no way to stop after one value or to bound its recursion, and
 * this needs only to find where the first object ends and how deep it nests (strings and
 * brackets), not to parse it.
 *
 * Copyright 2026 Keyturn developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "kt-json-span.h"

#include <string.h>

gboolean
kt_json_is_one_object (const char *data,
                       gssize      length)
{
  gsize len = length < 0 ? strlen (data) : (gsize) length;
  gsize i = 0, depth = 0;
  gboolean in_string = FALSE;

  while (i < len && g_ascii_isspace (data[i]))
    i++;
  if (i == len || data[i] != '{')
    return FALSE;
  for (; i < len; i++)
    {
      char c = data[i];

      if (in_string)
        {
          if (c == '\\')
            i++;
          else if (c == '"')
            in_string = FALSE;
        }
      else if (c == '"')
        in_string = TRUE;
      else if (c == '{' || c == '[')
        {
          if (++depth > KT_JSON_MAX_DEPTH)
            return FALSE;
        }
      else if ((c == '}' || c == ']') && --depth == 0)
        break;
    }
  if (i >= len)
    return FALSE;
  for (i++; i < len; i++)
    if (!g_ascii_isspace (data[i]))
      return FALSE;
  return TRUE;
}
