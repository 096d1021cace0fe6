/* kv-hid.h: CTAPHID framing (CTAP 2.1 §11.2) over a Unix stream socket: one connection is one
 * device, serving the CTAP requests its client sends
 *
 * Copyright 2026 Keyturn developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

#include "kv-key.h"

G_BEGIN_DECLS

#define KV_CTAPHID_REPORT_LEN   64
#define KV_CTAPHID_MAX_PAYLOAD  (64 - 7 + 128 * (64 - 5))  /* 7609 */
#define KV_CTAPHID_CID_BROADCAST 0xffffffffu

typedef struct _KvConnection KvConnection;

/* Takes @fd, which kv_connection_free() closes. */
KvConnection *kv_connection_new  (KvKey        *key,
                                  int           fd);
/* Serves the connection until the client closes it. */
void          kv_connection_run  (KvConnection *conn);
void          kv_connection_free (KvConnection *conn);

G_END_DECLS
