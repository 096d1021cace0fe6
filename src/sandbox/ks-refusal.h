/* ks-refusal.h: writing an answer on a connection taken over from libsoup, then letting it go
 *
 * Copyright 2026 Keyturn developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* Writes @answer (a whole HTTP response; taken) on @stream (taken), half-closes it, then reads
 * and drops what the client still sends for a moment before closing, so that the client reads
 * the answer instead of a reset. */
void ks_refusal_start (GIOStream *stream,
                       GBytes    *answer);

G_END_DECLS
