/* kt-command-line.h: `keyturn token` and `keyturn step-up`, the sign-in for scripts
 *
 * A client of Keyturn's own D-Bus service like any other: the running Keyturn (started by D-Bus
 * activation when it is not) asks the person, and the token goes to standard output only.
 *
 * Copyright 2026 Keyturn developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Whether @argv names one of the command line's commands rather than the app's options. */
gboolean kt_command_line_handles (int    argc,
                                  char **argv);

/* Runs it: 0 with the token on standard output; 1 when the person declined; 2 otherwise (nobody
 * signed in, Keyturn out of reach, bad arguments), with the reason on standard error. */
int      kt_command_line_run     (int    argc,
                                  char **argv);

G_END_DECLS
