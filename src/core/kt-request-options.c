/* kt-request-options.c
 *
 * Copyright 2026 Keyturn developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "kt-request-options.h"

#include "kt-options-json-private.h"

G_DEFINE_BOXED_TYPE (KtRequestOptions, kt_request_options,
                     kt_request_options_copy, kt_request_options_free)

KtRequestOptions *
kt_request_options_copy (const KtRequestOptions *self)
{
  KtRequestOptions *copy;

  g_return_val_if_fail (self != NULL, NULL);

  copy = g_new0 (KtRequestOptions, 1);
  copy->challenge = g_bytes_ref (self->challenge);
  copy->rp_id = g_strdup (self->rp_id);
  copy->timeout_ms = self->timeout_ms;
  copy->user_verification = self->user_verification;
  copy->allow_credentials = kt_options_json_copy_ids (self->allow_credentials);
  return copy;
}

void
kt_request_options_free (KtRequestOptions *self)
{
  if (self == NULL)
    return;
  g_clear_pointer (&self->challenge, g_bytes_unref);
  g_free (self->rp_id);
  g_clear_pointer (&self->allow_credentials, g_ptr_array_unref);
  g_free (self);
}

KtRequestOptions *
kt_request_options_new_from_json (JsonObject  *object,
                                  GError     **error)
{
  g_autoptr(KtRequestOptions) self = g_new0 (KtRequestOptions, 1);
  KtJsonReader root;

  g_return_val_if_fail (object != NULL, NULL);

  kt_options_json_reader_init (&root, object);
  self->user_verification = KT_REQUIREMENT_PREFERRED;

  if (!kt_options_json_base64url (&root, "challenge", KT_JSON_REQUIRED, &self->challenge, error)
      || !kt_json_read_string (&root, "rpId", KT_JSON_OPTIONAL, &self->rp_id, error)
      || !kt_options_json_timeout (&root, "timeout", &self->timeout_ms, error)
      || !kt_options_json_requirement (&root, "userVerification", &self->user_verification,
                                       error)
      || !kt_options_json_descriptors (&root, "allowCredentials", &self->allow_credentials,
                                       error))
    return NULL;

  if (g_bytes_get_size (self->challenge) == 0)
    {
      kt_json_fail (&root, "challenge", error, "is empty");
      return NULL;
    }

  return g_steal_pointer (&self);
}

KtRequestOptions *
kt_request_options_new_from_data (const char  *json,
                                  gssize       length,
                                  GError     **error)
{
  g_return_val_if_fail (json != NULL, NULL);

  return kt_options_json_parse (json, length, (KtOptionsFunc) kt_request_options_new_from_json,
                                error);
}
