/* kt-verify-response.c
 *
 * Copyright 2026 Keyturn developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "kt-verify-response-private.h"

#include "kt-secret.h"
#include "kt-user-private.h"

struct _KtVerifyResponse
{
  GObject parent_instance;

  KtUser *user;
  char *access_token;
  char *id_token;
  char *mfa_token;
  char *elevated_access_token;
  char *next_view;
  gint64 expires_at;
};

G_DEFINE_FINAL_TYPE (KtVerifyResponse, kt_verify_response, G_TYPE_OBJECT)

static void
kt_verify_response_finalize (GObject *object)
{
  KtVerifyResponse *self = (KtVerifyResponse *) object;

  g_clear_object (&self->user);
  kt_secret_free (self->access_token);
  kt_secret_free (self->id_token);
  kt_secret_free (self->mfa_token);
  kt_secret_free (self->elevated_access_token);
  g_free (self->next_view);

  G_OBJECT_CLASS (kt_verify_response_parent_class)->finalize (object);
}

static void
kt_verify_response_class_init (KtVerifyResponseClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = kt_verify_response_finalize;
}

static void
kt_verify_response_init (KtVerifyResponse *self)
{
}

KtVerifyResponse *
kt_verify_response_new_from_json (const KtJsonReader  *reader,
                                  GError             **error)
{
  g_autoptr(KtVerifyResponse) self = g_object_new (KT_TYPE_VERIFY_RESPONSE, NULL);
  KtJsonReader user;

  if (!kt_json_read_object (reader, "user", KT_JSON_REQUIRED, &user, error) ||
      !kt_json_read_string (reader, "minifiedJwt", KT_JSON_OPTIONAL, &self->access_token, error) ||
      !kt_json_read_string (reader, "jwt", KT_JSON_OPTIONAL, &self->id_token, error) ||
      !kt_json_read_string (reader, "mfaToken", KT_JSON_OPTIONAL, &self->mfa_token, error) ||
      !kt_json_read_string (reader, "elevatedAccessToken", KT_JSON_OPTIONAL,
                            &self->elevated_access_token, error) ||
      !kt_json_read_string (reader, "nextView", KT_JSON_OPTIONAL, &self->next_view, error) ||
      !kt_json_read_int (reader, "expiresAt", KT_JSON_OPTIONAL, &self->expires_at, error))
    return NULL;

  self->user = kt_user_new_from_json (&user, error);
  if (self->user == NULL)
    return NULL;

  return g_steal_pointer (&self);
}

KtUser *
kt_verify_response_get_user (KtVerifyResponse *self)
{
  g_return_val_if_fail (KT_IS_VERIFY_RESPONSE (self), NULL);
  return self->user;
}

const char *
kt_verify_response_get_access_token (KtVerifyResponse *self)
{
  g_return_val_if_fail (KT_IS_VERIFY_RESPONSE (self), NULL);
  return self->access_token;
}

const char *
kt_verify_response_get_id_token (KtVerifyResponse *self)
{
  g_return_val_if_fail (KT_IS_VERIFY_RESPONSE (self), NULL);
  return self->id_token;
}

const char *
kt_verify_response_get_mfa_token (KtVerifyResponse *self)
{
  g_return_val_if_fail (KT_IS_VERIFY_RESPONSE (self), NULL);
  return self->mfa_token;
}

const char *
kt_verify_response_get_elevated_access_token (KtVerifyResponse *self)
{
  g_return_val_if_fail (KT_IS_VERIFY_RESPONSE (self), NULL);
  return self->elevated_access_token;
}

gint64
kt_verify_response_get_expires_at (KtVerifyResponse *self)
{
  g_return_val_if_fail (KT_IS_VERIFY_RESPONSE (self), 0);
  return self->expires_at;
}

const char *
kt_verify_response_get_next_view (KtVerifyResponse *self)
{
  g_return_val_if_fail (KT_IS_VERIFY_RESPONSE (self), NULL);
  return self->next_view;
}
