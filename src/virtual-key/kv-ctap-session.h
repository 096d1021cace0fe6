/* kv-ctap-session.h: what CTAP remembers between the commands of one client, and what it needs of
 * the transport that carries them
 *
 * A session is one device as a client sees it until it unplugs the key: its PIN key agreement,
 * its PIN token and soft PIN block, and the assertions left for getNextAssertion. CTAP reaches
 * its transport only through a KvCtapTransport, which the transport fills in: the transport
 * calls down into CTAP, never CTAP up into it.
 *
 * Copyright 2026 Keyturn developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>
#include <stdarg.h>

#include "kv-key.h"

G_BEGIN_DECLS

typedef enum {
  KV_PRESENCE_OK,
  KV_PRESENCE_DENIED,
  KV_PRESENCE_TIMEOUT,
  KV_PRESENCE_CANCELLED,
  KV_PRESENCE_ABORTED,  /* the channel was re-synchronised or closed: no answer is due */
} KvPresenceResult;

typedef struct {
  /* Waits for user presence as the key's mode says, keeping the client informed meanwhile. */
  KvPresenceResult (*wait_presence) (gpointer    transport);
  /* Logs a line about this client. */
  void             (*log)           (gpointer    transport,
                                     const char *format,
                                     va_list     args) G_GNUC_PRINTF (2, 0);
} KvCtapTransport;

typedef struct _KvCtapSession KvCtapSession;

/* @transport and @transport_data must outlive the session. */
KvCtapSession    *kv_ctap_session_new               (KvKey                 *key,
                                                     const KvCtapTransport *transport,
                                                     gpointer               transport_data);
void              kv_ctap_session_free              (KvCtapSession         *session);
KvPresenceResult  kv_ctap_session_wait_presence     (KvCtapSession         *session);
void              kv_ctap_session_log               (KvCtapSession         *session,
                                                     const char            *format,
                                                     ...) G_GNUC_PRINTF (2, 3);
/* Drops the PIN token, as a PIN change or a reset must. */
void              kv_ctap_session_forget_pin        (KvCtapSession         *session);
/* Drops what getNextAssertion would have answered. */
void              kv_ctap_session_forget_assertions (KvCtapSession         *session);

G_END_DECLS
