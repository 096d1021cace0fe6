/* kv-key.h: one software security key, the connections opened on it, and its user presence
 *
 * keyturn-virtual-key is a software key: its secrets live in a file, not in a secure element.
 * It exists so that Keyturn can be developed and tested without hardware.
 *
 * Copyright 2026 Keyturn developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>
#include <openssl/evp.h>

#include "kv-state.h"

G_BEGIN_DECLS

#define KV_CTAPHID_REPORT_LEN   64
#define KV_CTAPHID_MAX_PAYLOAD  (64 - 7 + 128 * (64 - 5))  /* 7609 */
#define KV_CTAPHID_CID_BROADCAST 0xffffffffu

typedef enum {
  KV_PRESENCE_AUTO,
  KV_PRESENCE_DENY,
  KV_PRESENCE_MANUAL,
} KvPresenceMode;

typedef enum {
  KV_ATTESTATION_PACKED,
  KV_ATTESTATION_SELF,
} KvAttestation;

typedef enum {
  KV_PRESENCE_OK,
  KV_PRESENCE_DENIED,
  KV_PRESENCE_TIMEOUT,
  KV_PRESENCE_CANCELLED,
  KV_PRESENCE_ABORTED,  /* the channel was re-synchronised or closed: no answer is due */
} KvPresenceResult;

typedef struct {
  /* Settings, fixed at start. */
  KvPresenceMode presence;
  guint          presence_delay_ms;
  guint          touch_timeout_ms;
  guint          reset_window_ms;
  KvAttestation  attestation;
  gboolean       pin_protocol1;
  gboolean       pin_protocol2;
  gint64         started_at;         /* monotonic µs: the key's power-up */

  /* The persistent state; every reader and writer holds @lock. */
  GMutex         lock;
  KvState       *state;
  guint          pin_generation;     /* bumped when the PIN or the key changes: old tokens die */
  guint32        next_cid;
  guint          next_connection;
  KvCredential  *unwrapped[16];      /* opened from their ids lately: see find_credential */
  guint          unwrapped_next;
  guint          unwrapped_generation; /* pin_generation when they were opened */
  GBytes        *info[2];            /* getInfo's answer without and with a PIN set */

  /* A touch from `keyturn-virtual-key touch` goes to one request that is waiting for one. */
  GMutex         touch_lock;
  GCond          touch_cond;
  guint          touch_waiters;
  guint          touch_tokens;
} KvKey;

/* One open device: one client connection on the socket. Channels, PIN key agreement, PIN token
 * and the soft PIN block live here, as they live in a real key until it is unplugged. */
typedef struct {
  KvKey     *key;
  guint      id;
  int        fd;

  guint8     rbuf[64 * KV_CTAPHID_REPORT_LEN];  /* reports read ahead, in arrival order */
  gsize      rgot;
  GArray    *cids;                   /* guint32 channels allocated on this connection */

  gboolean   assembling;
  guint32    asm_cid;
  guint8     asm_cmd;
  gsize      asm_len;
  gsize      asm_got;
  guint8     asm_seq;
  gint64     asm_deadline;
  guint8     asm_buf[KV_CTAPHID_MAX_PAYLOAD];

  guint32    busy_cid;               /* the channel whose CBOR request is running, or 0 */

  EVP_PKEY  *key_agreement;
  gboolean   token_valid;
  guint8     token[32];
  guint      token_generation;
  guint8     token_permissions;
  char      *token_rp_id;
  guint      wrong_pins_in_a_row;

  GPtrArray *next_ids;               /* GBytes: credentials left for getNextAssertion */
  char      *next_rp_id;
  guint8     next_cdh[32];
  guint8     next_flags;
  gint64     next_deadline;
} KvConnection;

void             kv_key_init                 (KvKey        *key,
                                              KvState      *state);
/* Frees what the key caches (not its state, which stays the caller's). */
void             kv_key_clear                (KvKey        *key);
/* Counts a touch for a request that waits for one, waiting up to @wait_ms for such a request. */
gboolean         kv_key_touch                (KvKey        *key,
                                              guint         wait_ms);

KvConnection    *kv_connection_new           (KvKey        *key,
                                              int           fd);
void             kv_connection_free          (KvConnection *conn);
/* Serves the connection until the client closes it. */
void             kv_connection_run           (KvConnection *conn);
/* Waits for user presence as the key's mode says, sending KEEPALIVE and watching for CANCEL. */
KvPresenceResult kv_connection_wait_presence (KvConnection *conn);
void             kv_connection_forget_pin    (KvConnection *conn);

/* CTAP2: @request is the command byte and its CBOR; @response gets the CBOR of a success.
 * Returns the CTAP status, or KV_CTAP_NO_REPLY when nothing must be sent. */
#define KV_CTAP_NO_REPLY 0x100
guint            kv_ctap_handle              (KvConnection *conn,
                                              const guint8 *request,
                                              gsize         len,
                                              GByteArray   *response);

/* The fuzz target turns the log off: a line per connection would drown its own output. */
void             kv_log_set_enabled          (gboolean      enabled);
void             kv_log                      (const char   *format,
                                              ...) G_GNUC_PRINTF (1, 2);

G_END_DECLS
