/* kt-mfa-device.c
 *
 * Copyright 2026 Keyturn developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "kt-mfa-device-private.h"

#include "kt-passkey-private.h"

struct _KtMfaDevice
{
  GObject parent_instance;

  char *id;
  char *kind;
  char *alias;
  GDateTime *created_at;
  GDateTime *verified_at;
  gboolean verified;
  gboolean is_default;
};

G_DEFINE_FINAL_TYPE (KtMfaDevice, kt_mfa_device, G_TYPE_OBJECT)

static void
kt_mfa_device_finalize (GObject *object)
{
  KtMfaDevice *self = (KtMfaDevice *) object;

  g_free (self->id);
  g_free (self->kind);
  g_free (self->alias);
  g_clear_pointer (&self->created_at, g_date_time_unref);
  g_clear_pointer (&self->verified_at, g_date_time_unref);

  G_OBJECT_CLASS (kt_mfa_device_parent_class)->finalize (object);
}

static void
kt_mfa_device_class_init (KtMfaDeviceClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = kt_mfa_device_finalize;
}

static void
kt_mfa_device_init (KtMfaDevice *self)
{
}

/* Every field of MFADevice is optional in the API; those present must have their type. */
KtMfaDevice *
kt_mfa_device_new_from_json (const KtJsonReader  *reader,
                             GError             **error)
{
  g_autoptr(KtMfaDevice) self = g_object_new (KT_TYPE_MFA_DEVICE, NULL);

  if (!kt_json_read_string (reader, "id", KT_JSON_OPTIONAL, &self->id, error) ||
      !kt_json_read_string (reader, "type", KT_JSON_OPTIONAL, &self->kind, error) ||
      !kt_json_read_string (reader, "alias", KT_JSON_OPTIONAL, &self->alias, error) ||
      !kt_json_read_boolean (reader, "verified", KT_JSON_OPTIONAL, &self->verified, error) ||
      !kt_json_read_boolean (reader, "default", KT_JSON_OPTIONAL, &self->is_default, error) ||
      !kt_json_read_datetime (reader, "createdAt", KT_JSON_OPTIONAL, &self->created_at, error) ||
      !kt_json_read_datetime (reader, "verifiedAt", KT_JSON_OPTIONAL, &self->verified_at, error))
    return NULL;

  return g_steal_pointer (&self);
}

const char *
kt_mfa_device_get_id (KtMfaDevice *self)
{
  g_return_val_if_fail (KT_IS_MFA_DEVICE (self), NULL);
  return self->id;
}

const char *
kt_mfa_device_get_kind (KtMfaDevice *self)
{
  g_return_val_if_fail (KT_IS_MFA_DEVICE (self), NULL);
  return self->kind;
}

const char *
kt_mfa_device_get_alias (KtMfaDevice *self)
{
  g_return_val_if_fail (KT_IS_MFA_DEVICE (self), NULL);
  return self->alias;
}

gboolean
kt_mfa_device_get_verified (KtMfaDevice *self)
{
  g_return_val_if_fail (KT_IS_MFA_DEVICE (self), FALSE);
  return self->verified;
}

gboolean
kt_mfa_device_get_is_default (KtMfaDevice *self)
{
  g_return_val_if_fail (KT_IS_MFA_DEVICE (self), FALSE);
  return self->is_default;
}

GDateTime *
kt_mfa_device_get_created_at (KtMfaDevice *self)
{
  g_return_val_if_fail (KT_IS_MFA_DEVICE (self), NULL);
  return self->created_at;
}

GDateTime *
kt_mfa_device_get_verified_at (KtMfaDevice *self)
{
  g_return_val_if_fail (KT_IS_MFA_DEVICE (self), NULL);
  return self->verified_at;
}

GListModel *
kt_mfa_device_list_from_json (const KtJsonReader  *reader,
                              const char          *member,
                              GError             **error)
{
  GListModel *devices = NULL;

  if (!kt_json_read_list (reader, member, KT_JSON_REQUIRED, KT_TYPE_MFA_DEVICE,
                          (KtJsonItemFunc) kt_mfa_device_new_from_json, &devices, error))
    return NULL;
  return devices;
}

struct _KtMfaMethods
{
  GObject parent_instance;

  GListModel *devices;
  GListModel *passkeys;
  gboolean has_verified_methods;
};

G_DEFINE_FINAL_TYPE (KtMfaMethods, kt_mfa_methods, G_TYPE_OBJECT)

static void
kt_mfa_methods_finalize (GObject *object)
{
  KtMfaMethods *self = (KtMfaMethods *) object;

  g_clear_object (&self->devices);
  g_clear_object (&self->passkeys);

  G_OBJECT_CLASS (kt_mfa_methods_parent_class)->finalize (object);
}

static void
kt_mfa_methods_class_init (KtMfaMethodsClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = kt_mfa_methods_finalize;
}

static void
kt_mfa_methods_init (KtMfaMethods *self)
{
}

KtMfaMethods *
kt_mfa_methods_new_from_json (const KtJsonReader  *reader,
                              GError             **error)
{
  g_autoptr(KtMfaMethods) self = g_object_new (KT_TYPE_MFA_METHODS, NULL);

  if (!kt_json_read_list (reader, "devices", KT_JSON_REQUIRED, KT_TYPE_MFA_DEVICE,
                          (KtJsonItemFunc) kt_mfa_device_new_from_json, &self->devices, error) ||
      !kt_json_read_list (reader, "passkeys", KT_JSON_OPTIONAL, KT_TYPE_PASSKEY,
                          (KtJsonItemFunc) kt_passkey_new_from_json, &self->passkeys, error) ||
      !kt_json_read_boolean (reader, "userHasVerifiedMfaMethods", KT_JSON_OPTIONAL,
                             &self->has_verified_methods, error))
    return NULL;

  if (self->passkeys == NULL)
    self->passkeys = G_LIST_MODEL (g_list_store_new (KT_TYPE_PASSKEY));
  return g_steal_pointer (&self);
}

GListModel *
kt_mfa_methods_get_devices (KtMfaMethods *self)
{
  g_return_val_if_fail (KT_IS_MFA_METHODS (self), NULL);
  return self->devices;
}

GListModel *
kt_mfa_methods_get_passkeys (KtMfaMethods *self)
{
  g_return_val_if_fail (KT_IS_MFA_METHODS (self), NULL);
  return self->passkeys;
}

gboolean
kt_mfa_methods_get_has_verified_methods (KtMfaMethods *self)
{
  g_return_val_if_fail (KT_IS_MFA_METHODS (self), FALSE);
  return self->has_verified_methods;
}
