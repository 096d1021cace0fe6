/* kt-user.c
 *
 * Copyright 2026 Keyturn developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "kt-user-private.h"

struct _KtUser
{
  GObject parent_instance;

  char *id;
  char *environment_id;
  char *email;
  char *alias;
  char *session_id;
  char **scopes;
  KtRecoveryAcknowledgement acknowledgement;
  gboolean new_user;
};

G_DEFINE_FINAL_TYPE (KtUser, kt_user, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_ID,
  PROP_EMAIL,
  PROP_ALIAS,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void
kt_user_finalize (GObject *object)
{
  KtUser *self = (KtUser *) object;

  g_free (self->id);
  g_free (self->environment_id);
  g_free (self->email);
  g_free (self->alias);
  g_free (self->session_id);
  g_strfreev (self->scopes);

  G_OBJECT_CLASS (kt_user_parent_class)->finalize (object);
}

static void
kt_user_get_property (GObject    *object,
                      guint       prop_id,
                      GValue     *value,
                      GParamSpec *pspec)
{
  KtUser *self = KT_USER (object);

  switch (prop_id)
    {
    case PROP_ID:
      g_value_set_string (value, self->id);
      break;
    case PROP_EMAIL:
      g_value_set_string (value, self->email);
      break;
    case PROP_ALIAS:
      g_value_set_string (value, self->alias);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
kt_user_class_init (KtUserClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = kt_user_finalize;
  object_class->get_property = kt_user_get_property;

  properties[PROP_ID] =
    g_param_spec_string ("id", NULL, NULL, NULL, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_EMAIL] =
    g_param_spec_string ("email", NULL, NULL, NULL, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_ALIAS] =
    g_param_spec_string ("alias", NULL, NULL, NULL, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
kt_user_init (KtUser *self)
{
}

KtUser *
kt_user_new_from_json (const KtJsonReader  *reader,
                       GError             **error)
{
  g_autoptr(KtUser) self = g_object_new (KT_TYPE_USER, NULL);
  g_autofree char *scope = NULL;
  g_autofree char *acknowledgement = NULL;

  if (!kt_json_read_string (reader, "id", KT_JSON_REQUIRED, &self->id, error) ||
      !kt_json_read_string (reader, "projectEnvironmentId", KT_JSON_OPTIONAL,
                            &self->environment_id, error) ||
      !kt_json_read_string (reader, "email", KT_JSON_OPTIONAL, &self->email, error) ||
      !kt_json_read_string (reader, "alias", KT_JSON_OPTIONAL, &self->alias, error) ||
      !kt_json_read_string (reader, "sessionId", KT_JSON_OPTIONAL, &self->session_id, error) ||
      !kt_json_read_string (reader, "scope", KT_JSON_OPTIONAL, &scope, error) ||
      !kt_json_read_string (reader, "mfaBackupCodeAcknowledgement", KT_JSON_OPTIONAL,
                            &acknowledgement, error) ||
      !kt_json_read_boolean (reader, "newUser", KT_JSON_OPTIONAL, &self->new_user, error))
    return NULL;

  if (self->id[0] == '\0')
    {
      kt_json_fail (reader, "id", error, "is empty");
      return NULL;
    }

  /* scope is one space-separated string, as in the token's claim. */
  self->scopes = g_strsplit_set (scope != NULL ? scope : "", " ", -1);
  {
    char **in = self->scopes, **out = self->scopes;
    for (; *in != NULL; in++)
      {
        if (**in == '\0')
          g_free (*in);
        else
          *out++ = *in;
      }
    *out = NULL;
  }

  if (g_strcmp0 (acknowledgement, "pending") == 0)
    self->acknowledgement = KT_RECOVERY_ACKNOWLEDGEMENT_PENDING;
  else if (g_strcmp0 (acknowledgement, "complete") == 0)
    self->acknowledgement = KT_RECOVERY_ACKNOWLEDGEMENT_COMPLETE;
  else
    self->acknowledgement = KT_RECOVERY_ACKNOWLEDGEMENT_UNKNOWN;

  /* The email may only be known from the verified credentials. */
  if (self->email == NULL)
    {
      JsonArray *credentials = NULL;

      if (!kt_json_read_array (reader, "verifiedCredentials", KT_JSON_OPTIONAL, &credentials,
                               error))
        return NULL;
      for (guint i = 0; credentials != NULL && i < json_array_get_length (credentials); i++)
        {
          KtJsonReader credential;
          g_autofree char *format = NULL;
          g_autofree char *email = NULL;

          if (!kt_json_read_element (reader, "verifiedCredentials", credentials, i, &credential,
                                     error) ||
              !kt_json_read_string (&credential, "format", KT_JSON_OPTIONAL, &format, error) ||
              !kt_json_read_string (&credential, "email", KT_JSON_OPTIONAL, &email, error))
            return NULL;
          if (g_strcmp0 (format, "email") == 0 && email != NULL)
            {
              self->email = g_steal_pointer (&email);
              break;
            }
        }
    }

  return g_steal_pointer (&self);
}

const char *
kt_user_get_id (KtUser *self)
{
  g_return_val_if_fail (KT_IS_USER (self), NULL);
  return self->id;
}

const char *
kt_user_get_environment_id (KtUser *self)
{
  g_return_val_if_fail (KT_IS_USER (self), NULL);
  return self->environment_id;
}

const char *
kt_user_get_email (KtUser *self)
{
  g_return_val_if_fail (KT_IS_USER (self), NULL);
  return self->email;
}

const char *
kt_user_get_alias (KtUser *self)
{
  g_return_val_if_fail (KT_IS_USER (self), NULL);
  return self->alias;
}

const char *
kt_user_get_session_id (KtUser *self)
{
  g_return_val_if_fail (KT_IS_USER (self), NULL);
  return self->session_id;
}

const char * const *
kt_user_get_scopes (KtUser *self)
{
  g_return_val_if_fail (KT_IS_USER (self), NULL);
  return (const char * const *) self->scopes;
}

gboolean
kt_user_has_scope (KtUser     *self,
                   const char *scope)
{
  g_return_val_if_fail (KT_IS_USER (self), FALSE);
  return g_strv_contains ((const char * const *) self->scopes, scope);
}

gboolean
kt_user_requires_additional_auth (KtUser *self)
{
  return kt_user_has_scope (self, "requiresAdditionalAuth");
}

KtRecoveryAcknowledgement
kt_user_get_recovery_acknowledgement (KtUser *self)
{
  g_return_val_if_fail (KT_IS_USER (self), KT_RECOVERY_ACKNOWLEDGEMENT_UNKNOWN);
  return self->acknowledgement;
}

gboolean
kt_user_is_new_user (KtUser *self)
{
  g_return_val_if_fail (KT_IS_USER (self), FALSE);
  return self->new_user;
}
