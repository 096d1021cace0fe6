/* ks-log.c: the sandbox's log
 *
 * Copyright 2026 Keyturn developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "ks-log.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

static gboolean buffered;

static gboolean
flush_cb (gpointer user_data)
{
  fflush (stderr);
  return G_SOURCE_CONTINUE;
}

/* Under load, one write per line costs more than the rest of a small request: lines are
 * gathered and written four times a second instead. */
void
ks_log_set_buffered (void)
{
  static char buffer[64 * 1024];

  if (buffered)
    return;
  fflush (stderr);
  setvbuf (stderr, buffer, _IOFBF, sizeof buffer);
  g_timeout_add (250, flush_cb, NULL);
  buffered = TRUE;
}

void
ks_log_flush (void)
{
  fflush (stderr);
}

static void
put_digits (char *out,
            int   value,
            int   width)
{
  for (int i = width - 1; i >= 0; i--, value /= 10)
    out[i] = '0' + value % 10;
}

/* Appends @text to @out with every control character written as an escape: a request's path,
 * an address or a header can then never start a line of its own, rewrite the terminal showing
 * the log, or pass for another line. Backslashes are doubled so an escape is never ambiguous. */
static void
append_escaped (GString    *out,
                const char *text)
{
  const char *p = text;

  while (*p != '\0')
    {
      guchar c = *p;

      if (c == '\\')
        g_string_append (out, "\\\\");
      else if (c == '\n')
        g_string_append (out, "\\n");
      else if (c == '\r')
        g_string_append (out, "\\r");
      else if (c == '\t')
        g_string_append (out, "\\t");
      else if (c < 0x20 || c == 0x7f)
        g_string_append_printf (out, "\\x%02x", c);
      else if (c >= 0x80)
        {
          gunichar u = g_utf8_get_char_validated (p, -1);

          /* Bytes that are not UTF-8, and the C1 controls a terminal may obey. */
          if (u == (gunichar) -1 || u == (gunichar) -2)
            g_string_append_printf (out, "\\x%02x", c);
          else
            {
              const char *next = g_utf8_next_char (p);

              if (u < 0xa0)
                g_string_append_printf (out, "\\u%04x", u);
              else
                g_string_append_len (out, p, next - p);
              p = next;
              continue;
            }
        }
      else
        g_string_append_c (out, c);
      p++;
    }
}

static gboolean
needs_escape (const char *text,
              gsize       len)
{
  for (gsize i = 0; i < len; i++)
    {
      guchar c = text[i];

      if (c < 0x20 || c == 0x7f || c == '\\' || c >= 0x80)
        return TRUE;
    }
  return FALSE;
}

/* Plain lines rather than g_message: the server's log is read by people, and the test
 * environment's fatal-warnings must never turn a client's mistake into an abort. */
void
ks_log (const char *format,
        ...)
{
  /* "keyturn-sandbox HH:MM:SS.mmm " then the message, in one stdio call; most lines fit on the
   * stack. */
  char line[512];
  g_autofree char *long_line = NULL;
  g_autoptr(GString) escaped = NULL;
  gint64 now = g_get_real_time ();
  time_t seconds = now / G_USEC_PER_SEC;
  int millis = now / 1000 % 1000;
  struct tm tm;
  va_list args;
  int prefix, len;

  /* A cheap UTC time of day, its digits written by hand: this runs for every request. */
  gmtime_r (&seconds, &tm);
  memcpy (line, "keyturn-sandbox 00:00:00.000 ", 29);
  put_digits (line + 16, tm.tm_hour, 2);
  put_digits (line + 19, tm.tm_min, 2);
  put_digits (line + 22, tm.tm_sec, 2);
  put_digits (line + 25, millis, 3);
  prefix = 29;

  va_start (args, format);
  len = g_vsnprintf (line + prefix, sizeof line - prefix - 1, format, args);
  va_end (args);
  /* The common line, plain ASCII that fits, is written as it is. */
  if (len >= 0 && (gsize) len < sizeof line - prefix - 1 && !needs_escape (line + prefix, len))
    {
      line[prefix + len] = '\n';
      fwrite (line, 1, prefix + len + 1, stderr);
      return;
    }

  va_start (args, format);
  long_line = g_strdup_vprintf (format, args);
  va_end (args);
  escaped = g_string_sized_new (prefix + strlen (long_line) + 16);
  g_string_append_len (escaped, line, prefix);
  append_escaped (escaped, long_line);
  g_string_append_c (escaped, '\n');
  fwrite (escaped->str, 1, escaped->len, stderr);
}
