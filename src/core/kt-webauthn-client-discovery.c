/* kt-webauthn-client-discovery.c: finding the key a ceremony will use
 *
 * USB keys (hidraw) and keyturn-virtual-key sockets are looked for until one is present; with
 * several, the one the user touches is chosen and the others are let go.
 *
 * Copyright 2026 Keyturn developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "kt-webauthn-client-private.h"

/* How often the key list is read again while waiting for a key: hot-plug shows within this. */
#define KT_DISCOVERY_INTERVAL_MS 250
/* How long one poll of one key's touch status may block while several keys are offered. */
#define KT_TOUCH_POLL_MS 20

static gboolean
ids_contain (GPtrArray  *keys,
             const char *id)
{
  for (guint i = 0; i < keys->len; i++)
    if (g_str_equal (kt_authenticator_get_id (g_ptr_array_index (keys, i)), id))
      return TRUE;
  return FALSE;
}

/* Opens the keys present that @keys does not hold yet; returns how many were added. */
static guint
ceremony_open_new_keys (KtCeremony *c,
                        GPtrArray  *keys)
{
  g_auto(GStrv) ids = kt_authenticator_discover ((const char * const *) c->socket_paths,
                                                 c->scan_hid);
  guint added = 0;

  for (guint i = 0; ids[i] != NULL; i++)
    {
      KtAuthenticator *key;

      if (ids_contain (keys, ids[i]))
        continue;
      /* A socket whose key is gone refuses the connection: not present. */
      key = kt_authenticator_open (ids[i], NULL);
      if (key != NULL)
        {
          g_ptr_array_add (keys, key);
          added++;
        }
    }
  return added;
}

/* Waits for the user to touch @key (libfido2's get-touch: a request any key answers only
 * after a touch). */
gboolean
kt_ceremony_wait_for_touch (KtCeremony       *c,
                            KtAuthenticator  *key,
                            GError          **error)
{
  fido_dev_t *dev = kt_authenticator_get_device (key);
  int r;

  if ((r = fido_dev_get_touch_begin (dev)) != FIDO_OK)
    return kt_webauthn_set_fido_error (error, r);

  for (;;)
    {
      int touched = 0;

      if (kt_ceremony_aborted (c, error))
        {
          fido_dev_cancel (dev);
          return FALSE;
        }
      if ((r = fido_dev_get_touch_status (dev, &touched, KT_TOUCH_POLL_MS * 5)) != FIDO_OK)
        return kt_webauthn_set_fido_error (error, r);
      if (touched)
        return TRUE;
    }
}

/* Several keys: a touch says which one the user means; the others are cancelled (as libfido2's
 * examples/select.c does). NULL without @error when every key went away meanwhile. */
static KtAuthenticator *
ceremony_select_key (KtCeremony  *c,
                     GPtrArray   *keys,
                     GError     **error)
{
  gint64 next_scan = g_get_monotonic_time () + KT_DISCOVERY_INTERVAL_MS * 1000;
  guint begun = 0;

  kt_ceremony_post_state (c, KT_WEBAUTHN_STATE_SELECT_KEY, -1, FALSE);

  for (;;)
    {
      /* Ask every key not asked yet (new ones included) for a touch. */
      for (guint i = begun; i < keys->len;)
        {
          if (fido_dev_get_touch_begin (kt_authenticator_get_device (g_ptr_array_index (keys, i)))
              != FIDO_OK)
            g_ptr_array_remove_index (keys, i);
          else
            i++;
        }
      begun = keys->len;

      if (keys->len == 0)
        return NULL;

      if (kt_ceremony_aborted (c, error))
        {
          for (guint i = 0; i < keys->len; i++)
            fido_dev_cancel (kt_authenticator_get_device (g_ptr_array_index (keys, i)));
          return NULL;
        }

      for (guint i = 0; i < keys->len;)
        {
          fido_dev_t *dev = kt_authenticator_get_device (g_ptr_array_index (keys, i));
          int touched = 0;

          if (fido_dev_get_touch_status (dev, &touched, KT_TOUCH_POLL_MS) != FIDO_OK)
            {
              /* Unplugged, or its user refused: it is out of the choice. */
              g_ptr_array_remove_index (keys, i);
              begun--;
              continue;
            }
          if (touched)
            {
              KtAuthenticator *chosen = g_ptr_array_steal_index (keys, i);

              for (guint j = 0; j < keys->len; j++)
                fido_dev_cancel (kt_authenticator_get_device (g_ptr_array_index (keys, j)));
              return chosen;
            }
          i++;
        }

      if (g_get_monotonic_time () >= next_scan)
        {
          ceremony_open_new_keys (c, keys);
          next_scan = g_get_monotonic_time () + KT_DISCOVERY_INTERVAL_MS * 1000;
        }
    }
}

KtAuthenticator *
kt_ceremony_acquire_key (KtCeremony  *c,
                         GError     **error)
{
  gboolean told = FALSE;

  for (;;)
    {
      g_autoptr(GPtrArray) keys = NULL;
      KtAuthenticator *chosen;

      keys = g_ptr_array_new_with_free_func ((GDestroyNotify) kt_authenticator_free);
      if (kt_ceremony_aborted (c, error))
        return NULL;

      ceremony_open_new_keys (c, keys);
      if (keys->len == 1)
        return g_ptr_array_steal_index (keys, 0);

      if (keys->len > 1)
        {
          g_autoptr(GError) local_error = NULL;

          chosen = ceremony_select_key (c, keys, &local_error);
          if (chosen != NULL)
            return chosen;
          if (local_error != NULL)
            {
              g_propagate_error (error, g_steal_pointer (&local_error));
              return NULL;
            }
          told = FALSE;
          continue;
        }

      if (!told)
        {
          kt_ceremony_post_state (c, KT_WEBAUTHN_STATE_NO_KEY, -1, FALSE);
          told = TRUE;
        }
      if (!kt_ceremony_sleep (c, KT_DISCOVERY_INTERVAL_MS, error))
        return NULL;
    }
}

