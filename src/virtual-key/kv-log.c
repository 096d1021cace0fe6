/* kv-log.c: keyturn-virtual-key's log, one line per event on standard error
 *
 * Copyright 2026 Keyturn developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "kv-log.h"

#include <stdarg.h>
#include <stdio.h>
#include <unistd.h>

static gboolean log_enabled = TRUE;

void
kv_log_set_enabled (gboolean enabled)
{
  log_enabled = enabled;
}

void
kv_log (const char *format,
        ...)
{
  g_autofree char *text = NULL;
  va_list args;

  if (!log_enabled)
    return;
  va_start (args, format);
  text = g_strdup_vprintf (format, args);
  va_end (args);
  fprintf (stderr, "keyturn-virtual-key[%d]: %s\n", (int) getpid (), text);
}
