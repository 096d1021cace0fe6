/* kv-key.h: one software security key: its settings, its state and what its connections share
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

typedef enum {
  KV_PRESENCE_AUTO,
  KV_PRESENCE_DENY,
  KV_PRESENCE_MANUAL,
} KvPresenceMode;

typedef enum {
  KV_ATTESTATION_PACKED,
  KV_ATTESTATION_SELF,
} KvAttestation;

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
  KvCredential  *unwrapped[16];      /* opened from their ids lately: see kv_key_find_credential */
  guint          unwrapped_next;
  guint          unwrapped_generation; /* pin_generation when they were opened */
  GBytes        *info[2];            /* getInfo's answer without and with a PIN set */

  /* A touch from `keyturn-virtual-key touch` goes to one request that is waiting for one. */
  GMutex         touch_lock;
  GCond          touch_cond;
  guint          touch_waiters;
  guint          touch_tokens;
} KvKey;

void          kv_key_init                  (KvKey        *key,
                                            KvState      *state);
/* Frees what the key caches (not its state, which stays the caller's). */
void          kv_key_clear                 (KvKey        *key);
/* Counts a touch for a request that waits for one, waiting up to @wait_ms for such a request. */
gboolean      kv_key_touch                 (KvKey        *key,
                                            guint         wait_ms);

/* A request waiting for a touch: registers, takes a touch if one came, and leaves. */
void          kv_key_add_touch_waiter      (KvKey        *key);
gboolean      kv_key_take_touch            (KvKey        *key);
void          kv_key_remove_touch_waiter   (KvKey        *key);

gboolean      kv_key_supports_pin_protocol (KvKey        *key,
                                            guint64       protocol);
/* Saves the state, logging why it could not; call with @lock held. */
gboolean      kv_key_save_locked           (KvKey        *key);
/* The same, then releases @lock. */
gboolean      kv_key_save_and_unlock       (KvKey        *key);
/* A credential of this key for @rp_id: stored, or sealed into @id. Call with @lock held; the
 * credential is borrowed, valid while the lock is held. */
KvCredential *kv_key_find_credential       (KvKey        *key,
                                            const char   *rp_id,
                                            GBytes       *id);
/* A new P-256 key pair, for a credential or a PIN key agreement. */
EVP_PKEY     *kv_key_generate_p256         (void);

G_END_DECLS
