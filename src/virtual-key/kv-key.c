/* kv-key.c: one software security key: its settings, its state and what its connections share
 *
 * Copyright 2026 Keyturn developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "kv-key.h"

#include <openssl/ec.h>

#include "kv-log.h"

void
kv_key_init (KvKey   *key,
             KvState *state)
{
  g_mutex_init (&key->lock);
  g_mutex_init (&key->touch_lock);
  g_cond_init (&key->touch_cond);
  key->state = state;
  key->next_cid = 1;
  key->started_at = g_get_monotonic_time ();
}

void
kv_key_clear (KvKey *key)
{
  for (guint i = 0; i < G_N_ELEMENTS (key->info); i++)
    g_clear_pointer (&key->info[i], g_bytes_unref);
  for (guint i = 0; i < G_N_ELEMENTS (key->unwrapped); i++)
    g_clear_pointer (&key->unwrapped[i], kv_credential_free);
  g_cond_clear (&key->touch_cond);
  g_mutex_clear (&key->touch_lock);
  g_mutex_clear (&key->lock);
}

gboolean
kv_key_touch (KvKey *key,
              guint  wait_ms)
{
  gint64 deadline = g_get_monotonic_time () + (gint64) wait_ms * 1000;
  gboolean touched = FALSE;

  g_mutex_lock (&key->touch_lock);
  while (key->touch_waiters == 0)
    if (!g_cond_wait_until (&key->touch_cond, &key->touch_lock, deadline))
      break;
  if (key->touch_waiters > 0)
    {
      key->touch_tokens++;
      touched = TRUE;
    }
  g_mutex_unlock (&key->touch_lock);
  return touched;
}

void
kv_key_add_touch_waiter (KvKey *key)
{
  g_mutex_lock (&key->touch_lock);
  key->touch_waiters++;
  g_cond_broadcast (&key->touch_cond);
  g_mutex_unlock (&key->touch_lock);
}

gboolean
kv_key_take_touch (KvKey *key)
{
  gboolean touched;

  g_mutex_lock (&key->touch_lock);
  touched = key->touch_tokens > 0;
  if (touched)
    key->touch_tokens--;
  g_mutex_unlock (&key->touch_lock);
  return touched;
}

void
kv_key_remove_touch_waiter (KvKey *key)
{
  g_mutex_lock (&key->touch_lock);
  key->touch_waiters--;
  if (key->touch_waiters == 0)
    key->touch_tokens = 0;  /* a touch nobody waited for is not kept for later */
  g_mutex_unlock (&key->touch_lock);
}

gboolean
kv_key_supports_pin_protocol (KvKey  *key,
                              guint64 protocol)
{
  return (protocol == 1 && key->pin_protocol1) || (protocol == 2 && key->pin_protocol2);
}

gboolean
kv_key_save_locked (KvKey *key)
{
  g_autoptr(GError) error = NULL;

  if (kv_state_save (key->state, &error))
    return TRUE;
  kv_log ("%s", error->message);
  return FALSE;
}

gboolean
kv_key_save_and_unlock (KvKey *key)
{
  gboolean saved = kv_key_save_locked (key);

  g_mutex_unlock (&key->lock);
  return saved;
}

/* The key keeps the last few credentials it unwrapped, so the pre-flight and the request after
 * it, and the next sign-in with the same credential, do not open the same id again (OpenSSL takes
 * ~25 µs to rebuild a key). */
KvCredential *
kv_key_find_credential (KvKey      *key,
                        const char *rp_id,
                        GBytes     *id)
{
  gsize len;
  const guint8 *data = g_bytes_get_data (id, &len);
  KvCredential *cred = kv_state_find (key->state, rp_id, data, len);

  if (cred != NULL)
    return cred;

  /* A reset changed the wrapping key: what was opened under the old one is gone. */
  if (key->unwrapped_generation != key->pin_generation)
    {
      for (guint i = 0; i < G_N_ELEMENTS (key->unwrapped); i++)
        g_clear_pointer (&key->unwrapped[i], kv_credential_free);
      key->unwrapped_generation = key->pin_generation;
    }
  for (guint i = 0; i < G_N_ELEMENTS (key->unwrapped); i++)
    {
      cred = key->unwrapped[i];
      if (cred != NULL && g_bytes_equal (cred->id, id) && g_str_equal (cred->rp_id, rp_id))
        return cred;
    }

  cred = kv_state_unwrap_credential (key->state, rp_id, data, len);
  if (cred != NULL)
    {
      guint slot = key->unwrapped_next++ % G_N_ELEMENTS (key->unwrapped);

      g_clear_pointer (&key->unwrapped[slot], kv_credential_free);
      key->unwrapped[slot] = cred;
    }
  return cred;
}

/* Generated from a template key's parameters: EVP_EC_gen() builds the
 * curve's group anew each time, ~40% of the cost. */
static gpointer
p256_template_new (gpointer unused)
{
  return EVP_EC_gen ("P-256");
}

EVP_PKEY *
kv_key_generate_p256 (void)
{
  static GOnce once = G_ONCE_INIT;
  EVP_PKEY *template = g_once (&once, p256_template_new, NULL);
  EVP_PKEY_CTX *ctx;
  EVP_PKEY *pkey = NULL;

  if (template == NULL || (ctx = EVP_PKEY_CTX_new (template, NULL)) == NULL)
    return NULL;
  if (EVP_PKEY_keygen_init (ctx) != 1 || EVP_PKEY_keygen (ctx, &pkey) != 1)
    pkey = NULL;
  EVP_PKEY_CTX_free (ctx);
  return pkey;
}
