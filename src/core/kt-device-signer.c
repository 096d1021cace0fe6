/* kt-device-signer.c
 *
 * Copyright 2026 Keyturn developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "keyturn-device-key"

#include "kt-device-signer.h"

#include <glib/gi18n-lib.h>

#include "kt-api-error.h"

/* Dynamic's client forgets its pool after a day: the server has evicted those nonces by then. */
#define POOL_LIFETIME_US ((gint64) G_USEC_PER_SEC * 60 * 60 * 24)
#define POOL_MAX         (4 * KT_DEVICE_NONCE_BATCH)
#define NONCE_MAX_LEN    256

struct _KtDeviceSigner
{
  GObject parent_instance;

  KtDeviceKey *device_key;
  KtDeviceKey *session_key;
  GQueue nonces;                      /* of char *, oldest first */
  gint64 pool_expires;                /* monotonic */
  GPtrArray *waiting;                 /* GTasks of load_async while the keyring answers */
};

G_DEFINE_FINAL_TYPE (KtDeviceSigner, kt_device_signer, G_TYPE_OBJECT)

/* The paths of sdk-api-core's deviceNonceSignatureEndpoints that Keyturn calls. */
static const char * const signed_paths[] = {
  "/emailVerifications/signin",
  "/refresh",
};

static void
kt_device_signer_finalize (GObject *object)
{
  KtDeviceSigner *self = (KtDeviceSigner *) object;

  g_clear_object (&self->device_key);
  g_clear_object (&self->session_key);
  g_queue_clear_full (&self->nonces, g_free);
  g_clear_pointer (&self->waiting, g_ptr_array_unref);

  G_OBJECT_CLASS (kt_device_signer_parent_class)->finalize (object);
}

static void
kt_device_signer_class_init (KtDeviceSignerClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = kt_device_signer_finalize;
}

static void
kt_device_signer_init (KtDeviceSigner *self)
{
  g_queue_init (&self->nonces);
}

KtDeviceSigner *
kt_device_signer_new (void)
{
  return g_object_new (KT_TYPE_DEVICE_SIGNER, NULL);
}

gboolean
kt_device_signer_path_is_signed (const char *path)
{
  g_return_val_if_fail (path != NULL, FALSE);

  for (guint i = 0; i < G_N_ELEMENTS (signed_paths); i++)
    if (g_str_equal (path, signed_paths[i]))
      return TRUE;
  return FALSE;
}

/* Loading: the device key, then the session key; callers that come meanwhile wait for the same
 * answer. */

static void
finish_waiting (KtDeviceSigner *self,
                const GError   *error)
{
  g_autoptr(GPtrArray) waiting = g_steal_pointer (&self->waiting);

  for (guint i = 0; i < waiting->len; i++)
    {
      GTask *task = g_ptr_array_index (waiting, i);

      if (error != NULL)
        g_task_return_error (task, g_error_copy (error));
      else
        g_task_return_boolean (task, TRUE);
    }
}

/* The device key comes first, then the session key, each through here. */
static void
on_key_loaded (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(KtDeviceSigner) self = user_data;
  g_autoptr(GError) error = NULL;
  KtDeviceKey *key = kt_device_key_load_or_create_finish (result, &error);

  if (key == NULL)
    {
      finish_waiting (self, error);
      return;
    }
  if (self->device_key == NULL)
    self->device_key = key;
  else if (self->session_key == NULL)
    self->session_key = key;
  else
    g_object_unref (key);   /* a sign-out made a new session key meanwhile */

  if (self->session_key == NULL)
    kt_device_key_load_or_create_async (KT_DEVICE_KEY_SESSION, NULL, on_key_loaded,
                                        g_steal_pointer (&self));
  else
    finish_waiting (self, NULL);
}

void
kt_device_signer_load_async (KtDeviceSigner      *self,
                             GCancellable        *cancellable,
                             GAsyncReadyCallback  callback,
                             gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (KT_IS_DEVICE_SIGNER (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, kt_device_signer_load_async);
  if (kt_device_signer_is_loaded (self))
    {
      g_task_return_boolean (task, TRUE);
      return;
    }

  if (self->waiting != NULL)
    {
      g_ptr_array_add (self->waiting, g_steal_pointer (&task));
      return;
    }
  self->waiting = g_ptr_array_new_with_free_func (g_object_unref);
  g_ptr_array_add (self->waiting, g_steal_pointer (&task));
  /* Not cancelled with the first caller: the keys serve every later one too. */
  kt_device_key_load_or_create_async (self->device_key == NULL ? KT_DEVICE_KEY_DEVICE
                                                                : KT_DEVICE_KEY_SESSION,
                                      NULL, on_key_loaded, g_object_ref (self));
}

gboolean
kt_device_signer_load_finish (KtDeviceSigner  *self,
                              GAsyncResult    *result,
                              GError         **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

gboolean
kt_device_signer_is_loaded (KtDeviceSigner *self)
{
  g_return_val_if_fail (KT_IS_DEVICE_SIGNER (self), FALSE);
  return self->device_key != NULL && self->session_key != NULL;
}

KtDeviceKey *
kt_device_signer_get_device_key (KtDeviceSigner *self)
{
  g_return_val_if_fail (KT_IS_DEVICE_SIGNER (self), NULL);
  return self->device_key;
}

KtDeviceKey *
kt_device_signer_get_session_key (KtDeviceSigner *self)
{
  g_return_val_if_fail (KT_IS_DEVICE_SIGNER (self), NULL);
  return self->session_key;
}

void
kt_device_signer_replace_session_key (KtDeviceSigner *self)
{
  g_autoptr(GError) error = NULL;
  KtDeviceKey *key;

  g_return_if_fail (KT_IS_DEVICE_SIGNER (self));

  key = kt_device_key_generate (&error);
  if (key == NULL)
    {
      g_warning ("%s", error->message);
      return;
    }
  g_clear_object (&self->session_key);
  self->session_key = key;
  /* A keyring that cannot keep it is logged; the key serves this run all the same. */
  kt_device_key_save_in_background (key, KT_DEVICE_KEY_SESSION);
}

/* The pool */

static gboolean
nonce_is_acceptable (const char *nonce)
{
  gsize len = strlen (nonce);

  if (len == 0 || len > NONCE_MAX_LEN)
    return FALSE;
  for (gsize i = 0; i < len; i++)
    if (!g_ascii_isgraph (nonce[i]))
      return FALSE;
  return TRUE;
}

static void
drop_expired_pool (KtDeviceSigner *self)
{
  if (self->pool_expires <= g_get_monotonic_time ())
    g_queue_clear_full (&self->nonces, g_free);
}

gboolean
kt_device_signer_add_nonces (KtDeviceSigner  *self,
                             JsonObject      *response,
                             GError         **error)
{
  JsonNode *node;
  JsonArray *array;
  guint n;

  g_return_val_if_fail (KT_IS_DEVICE_SIGNER (self), FALSE);
  g_return_val_if_fail (response != NULL, FALSE);

  node = json_object_get_member (response, "nonces");
  if (node == NULL || !JSON_NODE_HOLDS_ARRAY (node) ||
      (n = json_array_get_length (array = json_node_get_array (node))) == 0)
    goto malformed;
  for (guint i = 0; i < n; i++)
    {
      JsonNode *element = json_array_get_element (array, i);

      if (!JSON_NODE_HOLDS_VALUE (element) ||
          json_node_get_value_type (element) != G_TYPE_STRING ||
          !nonce_is_acceptable (json_node_get_string (element)))
        goto malformed;
    }

  drop_expired_pool (self);
  for (guint i = 0; i < n; i++)
    g_queue_push_tail (&self->nonces, g_strdup (json_array_get_string_element (array, i)));
  while (g_queue_get_length (&self->nonces) > POOL_MAX)
    g_free (g_queue_pop_head (&self->nonces));
  self->pool_expires = g_get_monotonic_time () + POOL_LIFETIME_US;
  return TRUE;

malformed:
  g_set_error_literal (error, KT_API_ERROR, KT_API_ERROR_MALFORMED,
                       _("The server sent nonces Keyturn cannot use."));
  return FALSE;
}

guint
kt_device_signer_count_nonces (KtDeviceSigner *self)
{
  g_return_val_if_fail (KT_IS_DEVICE_SIGNER (self), 0);
  drop_expired_pool (self);
  return g_queue_get_length (&self->nonces);
}

gboolean
kt_device_signer_add_headers (KtDeviceSigner      *self,
                              const char          *path,
                              SoupMessageHeaders  *headers,
                              GError             **error)
{
  g_autofree char *nonce = NULL;
  g_autofree char *signature = NULL;

  g_return_val_if_fail (KT_IS_DEVICE_SIGNER (self), FALSE);
  g_return_val_if_fail (kt_device_signer_is_loaded (self), FALSE);

  soup_message_headers_replace (headers, KT_SESSION_PUBLIC_KEY_HEADER,
                                kt_device_key_get_public_key (self->session_key));
  if (!kt_device_signer_path_is_signed (path))
    return TRUE;

  g_return_val_if_fail (kt_device_signer_count_nonces (self) > 0, FALSE);
  /* Used up as it is taken: the server refuses a nonce the second time. */
  nonce = g_queue_pop_head (&self->nonces);
  signature = kt_device_key_sign (self->device_key, nonce, error);
  if (signature == NULL)
    return FALSE;
  soup_message_headers_replace (headers, KT_DEVICE_NONCE_HEADER, nonce);
  soup_message_headers_replace (headers, KT_DEVICE_PUBLIC_KEY_HEADER,
                                kt_device_key_get_public_key (self->device_key));
  soup_message_headers_replace (headers, KT_DEVICE_SIGNATURE_HEADER, signature);
  return TRUE;
}
