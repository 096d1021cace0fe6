/* kv-log.h: keyturn-virtual-key's log, one line per event on standard error
 *
 * Copyright 2026 Keyturn developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* The fuzz target turns the log off: a line per connection would drown its own output. */
void kv_log_set_enabled (gboolean    enabled);
void kv_log             (const char *format,
                         ...) G_GNUC_PRINTF (1, 2);

G_END_DECLS
