/* ks-log.h: the sandbox's log: one timestamped line per event on stderr
 *
 * Copyright 2026 Keyturn developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Never pass a token, a code's hash or a key; email codes are the one secret that is logged, as
 * a developer's mail catcher shows them. */
void ks_log (const char *format,
             ...) G_GNUC_PRINTF (1, 2);

/* Gathers lines and writes them a few times a second (call with a main loop running). */
void ks_log_set_buffered (void);
void ks_log_flush        (void);

G_END_DECLS
