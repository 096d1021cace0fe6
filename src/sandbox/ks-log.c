/* ks-log.c: the sandbox's log
 *
 * Copyright 2026 Keyturn developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "ks-log.h"

#include <stdio.h>
#include <time.h>

/* Plain lines rather than g_message: the server's log is read by people, and the test
 * environment's fatal-warnings must never turn a client's mistake into an abort. */
void
ks_log (const char *format,
        ...)
{
  g_autofree char *line = NULL;
  gint64 now = g_get_real_time ();
  time_t seconds = now / G_USEC_PER_SEC;
  struct tm tm;
  va_list args;

  va_start (args, format);
  line = g_strdup_vprintf (format, args);
  va_end (args);

  /* One write per line, with a cheap UTC time of day: this runs for every request. */
  gmtime_r (&seconds, &tm);
  fprintf (stderr, "keyturn-sandbox %02d:%02d:%02d.%03d %s\n", tm.tm_hour, tm.tm_min, tm.tm_sec,
           (int) (now / 1000 % 1000), line);
}
