/* ks-log.c: the sandbox's log
 *
 * Copyright 2026 Keyturn developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "ks-log.h"

#include <stdio.h>

/* Plain lines rather than g_message: the server's log is read by people, and the test
 * environment's fatal-warnings must never turn a client's mistake into an abort. */
void
ks_log (const char *format,
        ...)
{
  g_autoptr(GDateTime) now = g_date_time_new_now_utc ();
  g_autofree char *stamp = g_date_time_format (now, "%H:%M:%S.%f");
  g_autofree char *line = NULL;
  va_list args;

  va_start (args, format);
  line = g_strdup_vprintf (format, args);
  va_end (args);

  /* Milliseconds are enough: %f gives six digits. */
  stamp[12] = '\0';
  fprintf (stderr, "keyturn-sandbox %s %s\n", stamp, line);
}
