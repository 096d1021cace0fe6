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
  if (len >= 0 && (gsize) len < sizeof line - prefix - 1)
    {
      line[prefix + len] = '\n';
      fwrite (line, 1, prefix + len + 1, stderr);
      return;
    }

  va_start (args, format);
  long_line = g_strdup_vprintf (format, args);
  va_end (args);
  line[prefix] = '\0';
  fprintf (stderr, "%s%s\n", line, long_line);
}
