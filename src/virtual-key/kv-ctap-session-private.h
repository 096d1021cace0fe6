/* kv-ctap-session-private.h: a CTAP session's fields, shared by the commands that read and change
 * them (kv-ctap.c, kv-client-pin.c)
 *
 * Copyright 2026 Keyturn developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <openssl/evp.h>

#include "kv-ctap-session.h"

G_BEGIN_DECLS

struct _KvCtapSession {
  KvKey                 *key;
  const KvCtapTransport *transport;
  gpointer               transport_data;

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
};

G_END_DECLS
