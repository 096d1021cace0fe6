/* kt-passkey.c
 *
 * Copyright 2026 Keyturn developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "kt-passkey-private.h"

struct _KtPasskey
{
  GObject parent_instance;

  char *id;
  char *credential_id;
  char *alias;
  char *origin;
  char *user_agent;
  char *authenticator_name;
  GDateTime *created_at;
  GDateTime *updated_at;
};

G_DEFINE_FINAL_TYPE (KtPasskey, kt_passkey, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_ID,
  PROP_CREDENTIAL_ID,
  PROP_ALIAS,
  PROP_ORIGIN,
  PROP_USER_AGENT,
  PROP_AUTHENTICATOR_NAME,
  PROP_CREATED_AT,
  PROP_UPDATED_AT,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void
kt_passkey_finalize (GObject *object)
{
  KtPasskey *self = (KtPasskey *) object;

  g_free (self->id);
  g_free (self->credential_id);
  g_free (self->alias);
  g_free (self->origin);
  g_free (self->user_agent);
  g_free (self->authenticator_name);
  g_clear_pointer (&self->created_at, g_date_time_unref);
  g_clear_pointer (&self->updated_at, g_date_time_unref);

  G_OBJECT_CLASS (kt_passkey_parent_class)->finalize (object);
}

static void
kt_passkey_get_property (GObject    *object,
                         guint       prop_id,
                         GValue     *value,
                         GParamSpec *pspec)
{
  KtPasskey *self = KT_PASSKEY (object);

  switch (prop_id)
    {
    case PROP_ID:
      g_value_set_string (value, self->id);
      break;
    case PROP_CREDENTIAL_ID:
      g_value_set_string (value, self->credential_id);
      break;
    case PROP_ALIAS:
      g_value_set_string (value, self->alias);
      break;
    case PROP_ORIGIN:
      g_value_set_string (value, self->origin);
      break;
    case PROP_USER_AGENT:
      g_value_set_string (value, self->user_agent);
      break;
    case PROP_AUTHENTICATOR_NAME:
      g_value_set_string (value, self->authenticator_name);
      break;
    case PROP_CREATED_AT:
      g_value_set_boxed (value, self->created_at);
      break;
    case PROP_UPDATED_AT:
      g_value_set_boxed (value, self->updated_at);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
kt_passkey_class_init (KtPasskeyClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  const GParamFlags flags = G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS;

  object_class->finalize = kt_passkey_finalize;
  object_class->get_property = kt_passkey_get_property;

  properties[PROP_ID] = g_param_spec_string ("id", NULL, NULL, NULL, flags);
  properties[PROP_CREDENTIAL_ID] = g_param_spec_string ("credential-id", NULL, NULL, NULL, flags);
  properties[PROP_ALIAS] = g_param_spec_string ("alias", NULL, NULL, NULL, flags);
  properties[PROP_ORIGIN] = g_param_spec_string ("origin", NULL, NULL, NULL, flags);
  properties[PROP_USER_AGENT] = g_param_spec_string ("user-agent", NULL, NULL, NULL, flags);
  properties[PROP_AUTHENTICATOR_NAME] =
    g_param_spec_string ("authenticator-name", NULL, NULL, NULL, flags);
  properties[PROP_CREATED_AT] =
    g_param_spec_boxed ("created-at", NULL, NULL, G_TYPE_DATE_TIME, flags);
  properties[PROP_UPDATED_AT] =
    g_param_spec_boxed ("updated-at", NULL, NULL, G_TYPE_DATE_TIME, flags);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
kt_passkey_init (KtPasskey *self)
{
}

KtPasskey *
kt_passkey_new_from_json (const KtJsonReader  *reader,
                          GError             **error)
{
  g_autoptr(KtPasskey) self = g_object_new (KT_TYPE_PASSKEY, NULL);
  KtJsonReader storage;

  if (!kt_json_read_string (reader, "id", KT_JSON_REQUIRED, &self->id, error) ||
      !kt_json_read_string (reader, "credentialId", KT_JSON_REQUIRED, &self->credential_id,
                            error) ||
      !kt_json_read_string (reader, "alias", KT_JSON_OPTIONAL, &self->alias, error) ||
      !kt_json_read_string (reader, "origin", KT_JSON_OPTIONAL, &self->origin, error) ||
      !kt_json_read_string (reader, "userAgent", KT_JSON_OPTIONAL, &self->user_agent, error) ||
      !kt_json_read_datetime (reader, "createdAt", KT_JSON_REQUIRED, &self->created_at, error) ||
      !kt_json_read_datetime (reader, "updatedAt", KT_JSON_OPTIONAL, &self->updated_at, error) ||
      !kt_json_read_object (reader, "storage", KT_JSON_OPTIONAL, &storage, error))
    return NULL;

  if (storage.object != NULL &&
      !kt_json_read_string (&storage, "name", KT_JSON_OPTIONAL, &self->authenticator_name, error))
    return NULL;

  return g_steal_pointer (&self);
}

#define GETTER(field)                                   \
  const char *                                          \
  kt_passkey_get_##field (KtPasskey *self)              \
  {                                                     \
    g_return_val_if_fail (KT_IS_PASSKEY (self), NULL);  \
    return self->field;                                 \
  }

GETTER (id)
GETTER (credential_id)
GETTER (alias)
GETTER (origin)
GETTER (user_agent)
GETTER (authenticator_name)

#undef GETTER

GDateTime *
kt_passkey_get_created_at (KtPasskey *self)
{
  g_return_val_if_fail (KT_IS_PASSKEY (self), NULL);
  return self->created_at;
}

GDateTime *
kt_passkey_get_updated_at (KtPasskey *self)
{
  g_return_val_if_fail (KT_IS_PASSKEY (self), NULL);
  return self->updated_at;
}

static void
take_string (KtPasskey   *self,
             char       **field,
             const char  *value,
             guint        prop)
{
  if (g_strcmp0 (*field, value) == 0)
    return;
  g_free (*field);
  *field = g_strdup (value);
  g_object_notify_by_pspec (G_OBJECT (self), properties[prop]);
}

static void
take_time (KtPasskey  *self,
           GDateTime **field,
           GDateTime  *value,
           guint       prop)
{
  if (*field == value || (*field != NULL && value != NULL && g_date_time_equal (*field, value)))
    return;
  g_clear_pointer (field, g_date_time_unref);
  *field = value != NULL ? g_date_time_ref (value) : NULL;
  g_object_notify_by_pspec (G_OBJECT (self), properties[prop]);
}

void
kt_passkey_update_from (KtPasskey *self,
                        KtPasskey *newer)
{
  g_return_if_fail (KT_IS_PASSKEY (self));
  g_return_if_fail (KT_IS_PASSKEY (newer));
  g_return_if_fail (g_strcmp0 (self->id, newer->id) == 0);

  g_object_freeze_notify (G_OBJECT (self));
  take_string (self, &self->credential_id, newer->credential_id, PROP_CREDENTIAL_ID);
  take_string (self, &self->alias, newer->alias, PROP_ALIAS);
  take_string (self, &self->origin, newer->origin, PROP_ORIGIN);
  take_string (self, &self->user_agent, newer->user_agent, PROP_USER_AGENT);
  take_string (self, &self->authenticator_name, newer->authenticator_name, PROP_AUTHENTICATOR_NAME);
  take_time (self, &self->created_at, newer->created_at, PROP_CREATED_AT);
  take_time (self, &self->updated_at, newer->updated_at, PROP_UPDATED_AT);
  g_object_thaw_notify (G_OBJECT (self));
}
