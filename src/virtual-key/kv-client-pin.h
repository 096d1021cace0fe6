/* kv-client-pin.h: authenticatorClientPIN (CTAP 2.1 §6.5), and the check of the PIN token other
 * commands present
 *
 * Copyright 2026 Keyturn developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

#include "kv-cbor.h"
#include "kv-ctap-session.h"

G_BEGIN_DECLS

#define KV_CLIENT_PIN_MIN_LENGTH 4  /* code points */

/* Permissions of a PIN token (CTAP 2.1 §6.5.5.7). */
#define KV_PERMISSION_MC 0x01
#define KV_PERMISSION_GA 0x02

/* Answers an authenticatorClientPIN request. Returns a CTAP status. */
guint kv_client_pin_handle     (KvCtapSession *session,
                                KvCborParams  *p,
                                GByteArray    *response);
/* The pinUvAuthParam checks of makeCredential and getAssertion: CTAP2_OK when @auth_param is
 * the session's token, current, with @permission, over @cdh, for @rp_id. */
guint kv_client_pin_check_auth (KvCtapSession *session,
                                GBytes        *auth_param,
                                guint64        protocol,
                                gboolean       has_protocol,
                                const guint8   cdh[32],
                                guint8         permission,
                                const char    *rp_id);

G_END_DECLS
