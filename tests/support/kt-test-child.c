/* kt-test-child.c: the programs a test starts, as child processes
 *
 * Copyright 2026 Keyturn developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "kt-test-child.h"

#include <signal.h>
#include <string.h>
#include <sys/prctl.h>

void
kt_test_child_setup (gpointer user_data)
{
  prctl (PR_SET_PDEATHSIG, SIGKILL);
}

gboolean
kt_test_child_catches_sigterm (GPid pid)
{
  g_autofree char *path = g_strdup_printf ("/proc/%d/status", (int) pid);
  g_autofree char *status = NULL;
  const char *line;
  guint64 caught;

  /* SigCgt is the mask of the signals the process handles, in hex, bit N-1 for signal N. */
  if (!g_file_get_contents (path, &status, NULL, NULL)
      || (line = strstr (status, "\nSigCgt:")) == NULL)
    return FALSE;
  caught = g_ascii_strtoull (line + strlen ("\nSigCgt:"), NULL, 16);
  return (caught & (G_GUINT64_CONSTANT (1) << (SIGTERM - 1))) != 0;
}
