/* kv-ctap-session.c: what CTAP remembers between the commands of one client, and what it needs of
 * the transport that carries them
 *
 * Copyright 2026 Keyturn developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "kv-ctap-session-private.h"

#include <string.h>

KvCtapSession *
kv_ctap_session_new (KvKey                 *key,
                     const KvCtapTransport *transport,
                     gpointer               transport_data)
{
  KvCtapSession fresh = { .key = key, .transport = transport, .transport_data = transport_data };

  return g_memdup2 (&fresh, sizeof fresh);
}

void
kv_ctap_session_free (KvCtapSession *session)
{
  if (session == NULL)
    return;
  kv_ctap_session_forget_pin (session);
  EVP_PKEY_free (session->key_agreement);
  g_clear_pointer (&session->next_ids, g_ptr_array_unref);
  g_free (session->next_rp_id);
  g_free (session);
}

KvPresenceResult
kv_ctap_session_wait_presence (KvCtapSession *session)
{
  return session->transport->wait_presence (session->transport_data);
}

void
kv_ctap_session_log (KvCtapSession *session,
                     const char    *format,
                     ...)
{
  va_list args;

  va_start (args, format);
  session->transport->log (session->transport_data, format, args);
  va_end (args);
}

void
kv_ctap_session_forget_pin (KvCtapSession *session)
{
  session->token_valid = FALSE;
  explicit_bzero (session->token, sizeof session->token);
  g_clear_pointer (&session->token_rp_id, g_free);
}

void
kv_ctap_session_forget_assertions (KvCtapSession *session)
{
  g_clear_pointer (&session->next_ids, g_ptr_array_unref);
  g_clear_pointer (&session->next_rp_id, g_free);
}
