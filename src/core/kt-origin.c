/* kt-origin.c
 *
 * Copyright 2026 Keyturn developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "kt-origin.h"

#include <gio/gio.h>
#include <glib/gi18n-lib.h>
#include <libpsl.h>
#include <string.h>

#include "kt-webauthn-error.h"

struct _KtOrigin {
  gatomicrefcount  ref_count;
  char            *serialized;
  char            *host;
  gboolean         host_is_ip;
};

G_DEFINE_BOXED_TYPE (KtOrigin, kt_origin, kt_origin_ref, kt_origin_unref)

static const psl_ctx_t *
get_public_suffix_list (void)
{
  static gsize loaded;
  static const psl_ctx_t *psl;

  if (g_once_init_enter (&loaded))
    {
      /* The distribution's list is fresher than the one built into libpsl. */
      psl = psl_latest (NULL);
      if (psl == NULL)
        psl = psl_builtin ();
      g_once_init_leave (&loaded, 1);
    }
  return psl;
}

static gboolean
host_is_loopback (const char *host)
{
  g_autoptr(GInetAddress) address = NULL;

  if (g_str_equal (host, "localhost") || g_str_has_suffix (host, ".localhost"))
    return TRUE;
  address = g_inet_address_new_from_string (host);
  return address != NULL && g_inet_address_get_is_loopback (address);
}

static gboolean
is_ascii_hostname (const char *host)
{
  if (*host == '\0')
    return FALSE;
  for (const char *p = host; *p != '\0'; p++)
    if (!g_ascii_isalnum (*p) && *p != '-' && *p != '.' && *p != ':')
      return FALSE;
  return TRUE;
}

KtOrigin *
kt_origin_new (const char  *text,
               GError     **error)
{
  g_autoptr(GUri) uri = NULL;
  g_autofree char *scheme = NULL;
  g_autofree char *host = NULL;
  g_autoptr(GInetAddress) address = NULL;
  const char *path;
  KtOrigin *self;
  int port;

  g_return_val_if_fail (text != NULL, NULL);

  uri = g_uri_parse (text, G_URI_FLAGS_NONE, NULL);
  path = uri != NULL ? g_uri_get_path (uri) : NULL;
  if (uri == NULL || g_uri_get_host (uri) == NULL || g_uri_get_userinfo (uri) != NULL
      || g_uri_get_query (uri) != NULL || g_uri_get_fragment (uri) != NULL
      || (path != NULL && *path != '\0' && !g_str_equal (path, "/")))
    {
      g_set_error (error, KT_WEBAUTHN_ERROR, KT_WEBAUTHN_ERROR_INSECURE_ORIGIN,
                   _("The sign-in address “%s” is not a web origin."), text);
      return NULL;
    }

  scheme = g_ascii_strdown (g_uri_get_scheme (uri), -1);
  host = g_ascii_strdown (g_uri_get_host (uri), -1);
  if (!is_ascii_hostname (host))
    {
      g_set_error (error, KT_WEBAUTHN_ERROR, KT_WEBAUTHN_ERROR_INSECURE_ORIGIN,
                   _("The sign-in address “%s” is not a web origin."), text);
      return NULL;
    }

  /* http only where nothing leaves the machine: the sandbox on loopback. */
  if (!g_str_equal (scheme, "https")
      && !(g_str_equal (scheme, "http") && host_is_loopback (host)))
    {
      g_set_error (error, KT_WEBAUTHN_ERROR, KT_WEBAUTHN_ERROR_INSECURE_ORIGIN,
                   _("The sign-in address “%s” is not secure: it must start with https://."),
                   text);
      return NULL;
    }

  self = g_new0 (KtOrigin, 1);
  g_atomic_ref_count_init (&self->ref_count);
  address = g_inet_address_new_from_string (host);
  self->host_is_ip = address != NULL;

  port = g_uri_get_port (uri);
  if ((g_str_equal (scheme, "https") && port == 443)
      || (g_str_equal (scheme, "http") && port == 80))
    port = -1;
  if (self->host_is_ip && g_inet_address_get_family (address) == G_SOCKET_FAMILY_IPV6)
    self->serialized = port < 0 ? g_strdup_printf ("%s://[%s]", scheme, host)
                                : g_strdup_printf ("%s://[%s]:%d", scheme, host, port);
  else
    self->serialized = port < 0 ? g_strdup_printf ("%s://%s", scheme, host)
                                : g_strdup_printf ("%s://%s:%d", scheme, host, port);
  self->host = g_steal_pointer (&host);

  return self;
}

KtOrigin *
kt_origin_ref (KtOrigin *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  g_atomic_ref_count_inc (&self->ref_count);
  return self;
}

void
kt_origin_unref (KtOrigin *self)
{
  g_return_if_fail (self != NULL);

  if (!g_atomic_ref_count_dec (&self->ref_count))
    return;
  g_free (self->serialized);
  g_free (self->host);
  g_free (self);
}

const char *
kt_origin_to_string (KtOrigin *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  return self->serialized;
}

const char *
kt_origin_get_host (KtOrigin *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  return self->host;
}

static gboolean
refuse_rp_id (KtOrigin    *self,
              const char  *rp_id,
              GError     **error)
{
  g_autofree char *shown = g_utf8_make_valid (rp_id, -1);

  g_set_error (error, KT_WEBAUTHN_ERROR, KT_WEBAUTHN_ERROR_RP_ID_MISMATCH,
               _("The sign-in request names “%s”, which does not belong to %s. "
                 "Keyturn refused it to keep your security key safe."),
               shown, self->host);
  return FALSE;
}

gboolean
kt_origin_check_rp_id (KtOrigin    *self,
                       const char  *rp_id,
                       GError     **error)
{
  const psl_ctx_t *psl;
  const char *registrable;
  gsize rp_len, host_len;

  g_return_val_if_fail (self != NULL, FALSE);
  g_return_val_if_fail (rp_id != NULL, FALSE);

  rp_len = strlen (rp_id);
  host_len = strlen (self->host);

  /* An RP ID is a domain: never an IP address (the spec's "valid domain"), never empty, and
   * compared in its canonical lower-case form only. */
  if (self->host_is_ip || rp_len == 0 || !is_ascii_hostname (rp_id) || strchr (rp_id, ':') != NULL
      || rp_id[0] == '.' || rp_id[rp_len - 1] == '.')
    return refuse_rp_id (self, rp_id, error);
  for (const char *p = rp_id; *p != '\0'; p++)
    if (g_ascii_isupper (*p))
      return refuse_rp_id (self, rp_id, error);

  if (g_str_equal (rp_id, self->host))
    return TRUE;

  /* A suffix must start at a label boundary: "evil-example.com" is no suffix of
   * "example.com", nor "le.com" of it. */
  if (rp_len >= host_len || self->host[host_len - rp_len - 1] != '.'
      || !g_str_equal (self->host + host_len - rp_len, rp_id))
    return refuse_rp_id (self, rp_id, error);

  psl = get_public_suffix_list ();
  if (psl == NULL || psl_is_public_suffix (psl, rp_id))
    return refuse_rp_id (self, rp_id, error);

  /* Nothing above the host's registrable domain ("example.co.uk", not "co.uk"). */
  registrable = psl_registrable_domain (psl, self->host);
  if (registrable == NULL || rp_len < strlen (registrable))
    return refuse_rp_id (self, rp_id, error);

  return TRUE;
}
