/* ks-server.h: keyturn-sandbox's HTTP server: Dynamic's SDK API subset over libsoup
 *
 * Copyright 2026 Keyturn developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

#include "ks-config.h"

G_BEGIN_DECLS

typedef struct _KsServer KsServer;

/* Opens (or creates) the data directory: database, keys, outbox. @config_path may be NULL for
 * the demo environment. */
KsServer   *ks_server_new              (const char  *data_dir,
                                        const char  *config_path,
                                        GError     **error);
void        ks_server_free             (KsServer    *self);
/* Listens on "HOST:PORT" (PORT 0 picks one), then writes DIR/sandbox.json. */
gboolean    ks_server_listen           (KsServer    *self,
                                        const char  *address,
                                        GError     **error);
guint       ks_server_get_port         (KsServer    *self);
const char *ks_server_get_base_url     (KsServer    *self);
KsConfig   *ks_server_get_config       (KsServer    *self);
const char *ks_server_get_outbox_dir   (KsServer    *self);
/* The contents of sandbox.json, as written. */
char       *ks_server_describe         (KsServer    *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (KsServer, ks_server_free)

G_END_DECLS
