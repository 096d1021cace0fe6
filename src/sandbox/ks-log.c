/* ks-log.c: the sandbox's log
 *
 * Copyright 2026 Keyturn developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "ks-log.h"

#include <stdio.h>
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
