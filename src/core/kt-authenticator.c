/* kt-authenticator.c
 *
 * Copyright 2026 Keyturn developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "kt-authenticator.h"

#include <glib/gi18n-lib.h>
#include <string.h>
#include <sys/stat.h>

#include "kt-fido-socket.h"
#include "kt-webauthn-error.h"

#define KT_MAX_HID_KEYS 16
#define KT_OPEN_TIMEOUT_MS 2000

struct _KtAuthenticator {
  fido_dev_t       *dev;
  char             *id;
  gboolean          software;
  fido_cbor_info_t *info;
  gboolean          info_asked;
};

static void
ensure_fido_initialized (void)
{
  static gsize initialized;

  if (g_once_init_enter (&initialized))
    {
      fido_init (0);
      g_once_init_leave (&initialized, 1);
    }
}

char **
kt_authenticator_discover (const char * const *socket_paths,
                           gboolean            scan_hid)
{
  g_autoptr(GStrvBuilder) ids = g_strv_builder_new ();

  ensure_fido_initialized ();

  if (scan_hid)
    {
      fido_dev_info_t *devlist = fido_dev_info_new (KT_MAX_HID_KEYS);
      size_t found = 0;

      if (devlist != NULL && fido_dev_info_manifest (devlist, KT_MAX_HID_KEYS, &found) == FIDO_OK)
        for (size_t i = 0; i < found; i++)
          {
            const fido_dev_info_t *entry = fido_dev_info_ptr (devlist, i);
            g_autofree char *id = g_strconcat ("hid:", fido_dev_info_path (entry), NULL);

            g_strv_builder_add (ids, id);
          }
      fido_dev_info_free (&devlist, KT_MAX_HID_KEYS);
    }

  for (gsize i = 0; socket_paths != NULL && socket_paths[i] != NULL; i++)
    {
      struct stat st;

      if (stat (socket_paths[i], &st) == 0 && S_ISSOCK (st.st_mode))
        {
          g_autofree char *id = g_strconcat ("socket:", socket_paths[i], NULL);
          g_strv_builder_add (ids, id);
        }
    }

  return g_strv_builder_end (ids);
}

KtAuthenticator *
kt_authenticator_open (const char  *id,
                       GError     **error)
{
  g_autoptr(KtAuthenticator) self = NULL;
  int r;

  g_return_val_if_fail (id != NULL, NULL);

  ensure_fido_initialized ();

  self = g_new0 (KtAuthenticator, 1);
  self->id = g_strdup (id);
  self->dev = fido_dev_new ();
  /* A key answers INIT and getInfo at once; something that does not is no key to wait on. */
  if (self->dev == NULL || fido_dev_set_timeout (self->dev, KT_OPEN_TIMEOUT_MS) != FIDO_OK)
    r = FIDO_ERR_INTERNAL;
  else if (g_str_has_prefix (id, "socket:"))
    {
      self->software = TRUE;
      r = kt_fido_socket_open (self->dev, id + strlen ("socket:"));
    }
  else if (g_str_has_prefix (id, "hid:"))
    r = fido_dev_open (self->dev, id + strlen ("hid:"));
  else
    r = FIDO_ERR_INVALID_ARGUMENT;

  if (r != FIDO_OK)
    {
      /* Not open: nothing for fido_dev_close() to do in kt_authenticator_free(). */
      g_set_error (error, KT_WEBAUTHN_ERROR, KT_WEBAUTHN_ERROR_DEVICE,
                   _("The security key could not be opened (%s)."), fido_strerr (r));
      fido_dev_free (&self->dev);
      return NULL;
    }

  fido_dev_set_timeout (self->dev, -1);
  return g_steal_pointer (&self);
}

void
kt_authenticator_free (KtAuthenticator *self)
{
  if (self == NULL)
    return;
  if (self->dev != NULL)
    {
      fido_dev_close (self->dev);
      fido_dev_free (&self->dev);
    }
  if (self->info != NULL)
    fido_cbor_info_free (&self->info);
  g_free (self->id);
  g_free (self);
}

const char *
kt_authenticator_get_id (KtAuthenticator *self)
{
  return self->id;
}

fido_dev_t *
kt_authenticator_get_device (KtAuthenticator *self)
{
  return self->dev;
}

gboolean
kt_authenticator_is_software (KtAuthenticator *self)
{
  return self->software;
}

static fido_cbor_info_t *
get_info (KtAuthenticator *self)
{
  if (!self->info_asked)
    {
      self->info_asked = TRUE;
      self->info = fido_cbor_info_new ();
      if (self->info != NULL && fido_dev_get_cbor_info (self->dev, self->info) != FIDO_OK)
        fido_cbor_info_free (&self->info);
    }
  return self->info;
}

gboolean
kt_authenticator_supports_resident_keys (KtAuthenticator *self)
{
  fido_cbor_info_t *info = get_info (self);
  char **names;
  const bool *values;
  size_t n;

  if (info == NULL)
    return FALSE;
  names = fido_cbor_info_options_name_ptr (info);
  values = fido_cbor_info_options_value_ptr (info);
  n = fido_cbor_info_options_len (info);
  for (size_t i = 0; i < n; i++)
    if (g_str_equal (names[i], "rk"))
      return values[i];
  return FALSE;
}

gsize
kt_authenticator_max_credentials_in_list (KtAuthenticator *self)
{
  fido_cbor_info_t *info = get_info (self);
  uint64_t n = info != NULL ? fido_cbor_info_maxcredcntlst (info) : 0;

  /* A key that does not say takes one at a time, as python-fido2 assumes too. */
  return n == 0 ? 1 : (gsize) MIN (n, 64);
}

gsize
kt_authenticator_max_credential_id_length (KtAuthenticator *self)
{
  fido_cbor_info_t *info = get_info (self);

  return info != NULL ? (gsize) fido_cbor_info_maxcredidlen (info) : 0;
}

guint
kt_authenticator_min_pin_length (KtAuthenticator *self)
{
  fido_cbor_info_t *info = get_info (self);
  uint64_t n = info != NULL ? fido_cbor_info_minpinlen (info) : 0;

  /* CTAP 2.1 §6.5.5.5: 4 unless the key says more; 63 bytes is the most any key takes. */
  return (guint) CLAMP (n, 4, 63);
}
