/* kv-ctap.h: the CTAP 2.1 authenticator API, one request at a time
 *
 * Copyright 2026 Keyturn developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

#include "kv-ctap-session.h"

G_BEGIN_DECLS

/* The largest request or response a transport carries, as getInfo announces it: what CTAPHID's
 * 128 continuation packets hold. */
#define KV_CTAP_MAX_MESSAGE 7609

/* @request is the command byte and its CBOR; @response gets the CBOR of a success. Returns the
 * CTAP status, or KV_CTAP_NO_REPLY (kv-ctap-status.h) when nothing must be sent. */
guint kv_ctap_handle (KvCtapSession *session,
                      const guint8  *request,
                      gsize          len,
                      GByteArray    *response);

G_END_DECLS
