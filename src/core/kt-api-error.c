/* kt-api-error.c
 *
 * Copyright 2026 Keyturn developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "kt-api-error.h"

#include "kt-api-error-private.h"

typedef struct {
  char *server_code;
  guint retry_after;
} KtApiErrorPrivate;

static void
kt_api_error_private_init (KtApiErrorPrivate *priv)
{
  priv->server_code = NULL;
  priv->retry_after = 0;
}

static void
kt_api_error_private_copy (const KtApiErrorPrivate *src,
                           KtApiErrorPrivate       *dest)
{
  dest->server_code = g_strdup (src->server_code);
  dest->retry_after = src->retry_after;
}

static void
kt_api_error_private_clear (KtApiErrorPrivate *priv)
{
  g_clear_pointer (&priv->server_code, g_free);
}

/* An extended domain, so an error keeps the server's machine code beside its message. */
G_DEFINE_EXTENDED_ERROR (KtApiError, kt_api_error)

const char *
kt_api_error_get_server_code (const GError *error)
{
  KtApiErrorPrivate *priv;

  if (error == NULL || error->domain != KT_API_ERROR)
    return NULL;
  priv = kt_api_error_get_private (error);
  return priv != NULL ? priv->server_code : NULL;
}

void
kt_api_error_set_server_code (GError     *error,
                              const char *code)
{
  KtApiErrorPrivate *priv;

  g_return_if_fail (error != NULL && error->domain == KT_API_ERROR);
  priv = kt_api_error_get_private (error);
  g_free (priv->server_code);
  priv->server_code = g_strdup (code);
}

guint
kt_api_error_get_retry_after (const GError *error)
{
  KtApiErrorPrivate *priv;

  if (error == NULL || error->domain != KT_API_ERROR)
    return 0;
  priv = kt_api_error_get_private (error);
  return priv != NULL ? priv->retry_after : 0;
}

void
kt_api_error_set_retry_after (GError *error,
                              guint   seconds)
{
  g_return_if_fail (error != NULL && error->domain == KT_API_ERROR);
  kt_api_error_get_private (error)->retry_after = seconds;
}
