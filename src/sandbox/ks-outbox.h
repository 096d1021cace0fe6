/* ks-outbox.h: the sandbox's mail catcher: every email is one RFC 5322 file and one log line
 *
 * Copyright 2026 Keyturn developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Writes the sign-in code email for @email into @outbox_dir; answers the file's path. */
char *ks_outbox_send_code (const char  *outbox_dir,
                           const char  *app_name,
                           const char  *email,
                           const char  *code,
                           gint64       lifetime_seconds,
                           GError     **error);

G_END_DECLS
