/* kt-device-key.c
 *
 * Copyright 2026 Keyturn developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "keyturn-device-key"

#include "kt-device-key.h"

#include <glib/gi18n-lib.h>
#include <libsecret/secret.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <string.h>

#include "kt-cose.h"
#include "kt-hex.h"
#include "kt-secret.h"

struct _KtDeviceKey
{
  GObject parent_instance;

  EVP_PKEY *pkey;                     /* OpenSSL clears the private scalar when it frees it */
  char *public_key;
  gboolean kept;
};

G_DEFINE_FINAL_TYPE (KtDeviceKey, kt_device_key, G_TYPE_OBJECT)

static const SecretSchema device_key_schema = {
  "io.github.keyturn.Keyturn.DeviceKey",
  SECRET_SCHEMA_NONE,
  {
    { "key-name", SECRET_SCHEMA_ATTRIBUTE_STRING },
    { NULL, 0 },
  },
  0, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
};

static void
kt_device_key_finalize (GObject *object)
{
  KtDeviceKey *self = (KtDeviceKey *) object;

  EVP_PKEY_free (self->pkey);
  g_free (self->public_key);

  G_OBJECT_CLASS (kt_device_key_parent_class)->finalize (object);
}

static void
kt_device_key_class_init (KtDeviceKeyClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = kt_device_key_finalize;
}

static void
kt_device_key_init (KtDeviceKey *self)
{
}

/* Takes @pkey. */
static KtDeviceKey *
wrap (EVP_PKEY  *pkey,
      GError   **error)
{
  g_autoptr(KtDeviceKey) self = g_object_new (KT_TYPE_DEVICE_KEY, NULL);
  guint8 point[KT_P256_POINT_LEN];
  guint8 compressed[33];

  self->pkey = pkey;
  if (!kt_p256_public_point (pkey, point, error))
    return NULL;
  /* Compressed SEC1: the parity of y, then x. */
  compressed[0] = 0x02 | (point[KT_P256_POINT_LEN - 1] & 1);
  memcpy (compressed + 1, point + 1, 32);
  self->public_key = kt_hex_encode (compressed, sizeof compressed);
  return g_steal_pointer (&self);
}

KtDeviceKey *
kt_device_key_generate (GError **error)
{
  EVP_PKEY *pkey = EVP_EC_gen ("P-256");

  if (pkey == NULL)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_FAILED,
                           _("Could not make a key for this device."));
      return NULL;
    }
  return wrap (pkey, error);
}

const char *
kt_device_key_get_public_key (KtDeviceKey *self)
{
  g_return_val_if_fail (KT_IS_DEVICE_KEY (self), NULL);
  return self->public_key;
}

gboolean
kt_device_key_is_kept (KtDeviceKey *self)
{
  g_return_val_if_fail (KT_IS_DEVICE_KEY (self), FALSE);
  return self->kept;
}

char *
kt_device_key_sign (KtDeviceKey  *self,
                    const char   *message,
                    GError      **error)
{
  EVP_MD_CTX *md = EVP_MD_CTX_new ();
  guint8 der[80];
  const guint8 *cursor = der;
  size_t der_len = sizeof der;
  ECDSA_SIG *sig = NULL;
  guint8 raw[64];
  gboolean ok;

  g_return_val_if_fail (KT_IS_DEVICE_KEY (self), NULL);
  g_return_val_if_fail (message != NULL, NULL);

  ok = md != NULL &&
       EVP_DigestSignInit (md, NULL, EVP_sha256 (), NULL, self->pkey) == 1 &&
       EVP_DigestSign (md, der, &der_len, (const guint8 *) message, strlen (message)) == 1 &&
       (sig = d2i_ECDSA_SIG (NULL, &cursor, der_len)) != NULL &&
       BN_bn2binpad (ECDSA_SIG_get0_r (sig), raw, 32) == 32 &&
       BN_bn2binpad (ECDSA_SIG_get0_s (sig), raw + 32, 32) == 32;
  ECDSA_SIG_free (sig);
  EVP_MD_CTX_free (md);
  if (!ok)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_FAILED,
                           _("Could not sign with this device’s key."));
      return NULL;
    }
  return kt_hex_encode (raw, sizeof raw);
}

/* The keyring's secret: the private key as DER (RFC 5915, with its public key), in base64. */
static char *
encode_secret (KtDeviceKey *self)
{
  guint8 *der = NULL;
  int len = i2d_PrivateKey (self->pkey, &der);
  char *secret;

  if (len <= 0)
    return NULL;
  secret = g_base64_encode (der, len);
  OPENSSL_clear_free (der, len);
  return secret;
}

static KtDeviceKey *
decode_secret (const char *secret)
{
  gsize len = 0;
  guint8 *der = g_base64_decode (secret, &len);
  const guint8 *cursor = der;
  EVP_PKEY *pkey = len > 0 ? d2i_AutoPrivateKey (NULL, &cursor, len) : NULL;
  KtDeviceKey *self = NULL;

  explicit_bzero (der, len);
  g_free (der);
  if (pkey != NULL && kt_p256_key_is (pkey))
    self = wrap (pkey, NULL);
  else
    EVP_PKEY_free (pkey);
  return self;
}

/* Stores @self under @name, replacing what was there; a keyring that cannot keep it is logged,
 * and the key lives on in memory. */
static void
store (KtDeviceKey  *self,
       const char   *name,
       GCancellable *cancellable)
{
  g_autoptr(GError) error = NULL;
  char *secret = encode_secret (self);

  if (secret != NULL &&
      secret_password_store_sync (&device_key_schema, SECRET_COLLECTION_DEFAULT,
                                  g_str_equal (name, KT_DEVICE_KEY_DEVICE)
                                    ? _("Keyturn device key") : _("Keyturn session key"),
                                  secret, cancellable, &error,
                                  "key-name", name, NULL))
    self->kept = TRUE;
  else
    g_message ("The keyring cannot keep the %s key; it lasts until Keyturn quits (%s)", name,
               error != NULL ? error->message : "no answer");
  kt_secret_free (secret);
}

/* Both run in a worker thread, with libsecret's blocking calls, as the session store does. */
static void
load_or_create_in_thread (GTask        *task,
                          gpointer      source_object,
                          gpointer      task_data,
                          GCancellable *cancellable)
{
  const char *name = task_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GError) local_error = NULL;
  char *secret = secret_password_lookup_sync (&device_key_schema, cancellable, &error,
                                              "key-name", name, NULL);
  KtDeviceKey *self = NULL;

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  if (error != NULL)
    g_debug ("No %s key from the keyring: %s", name, error->message);

  if (secret != NULL)
    {
      self = decode_secret (secret);
      secret_password_free (secret);
      if (self != NULL)
        self->kept = TRUE;
      else
        g_message ("The %s key in the keyring cannot be read; making a new one", name);
    }

  if (self == NULL)
    {
      self = kt_device_key_generate (&local_error);
      if (self == NULL)
        {
          g_task_return_error (task, g_steal_pointer (&local_error));
          return;
        }
      /* Without an answer from the keyring, a stored key may still be there: keep it. */
      if (error == NULL)
        store (self, name, cancellable);
    }
  g_task_return_pointer (task, self, g_object_unref);
}

static void
save_in_thread (GTask        *task,
                gpointer      source_object,
                gpointer      task_data,
                GCancellable *cancellable)
{
  store (source_object, task_data, cancellable);
  g_task_return_boolean (task, TRUE);
}

static void
run (KtDeviceKey         *self,
     const char          *name,
     GTaskThreadFunc      func,
     gpointer             source_tag,
     GCancellable        *cancellable,
     GAsyncReadyCallback  callback,
     gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (self, cancellable, callback, user_data);

  g_task_set_source_tag (task, source_tag);
  g_task_set_task_data (task, g_strdup (name), g_free);
  g_task_run_in_thread (task, func);
}

void
kt_device_key_load_or_create_async (const char          *name,
                                    GCancellable        *cancellable,
                                    GAsyncReadyCallback  callback,
                                    gpointer             user_data)
{
  g_return_if_fail (name != NULL);
  run (NULL, name, load_or_create_in_thread, kt_device_key_load_or_create_async, cancellable,
       callback, user_data);
}

KtDeviceKey *
kt_device_key_load_or_create_finish (GAsyncResult  *result,
                                     GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

void
kt_device_key_save_in_background (KtDeviceKey *self,
                                  const char  *name)
{
  g_return_if_fail (KT_IS_DEVICE_KEY (self));
  g_return_if_fail (name != NULL);
  run (self, name, save_in_thread, kt_device_key_save_in_background, NULL, NULL, NULL);
}
