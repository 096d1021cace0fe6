/* kt-creation-options.c
 *
 * Copyright 2026 Keyturn developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "kt-creation-options.h"

#include "kt-options-json-private.h"

G_DEFINE_BOXED_TYPE (KtCreationOptions, kt_creation_options,
                     kt_creation_options_copy, kt_creation_options_free)

KtCreationOptions *
kt_creation_options_copy (const KtCreationOptions *self)
{
  KtCreationOptions *copy;

  g_return_val_if_fail (self != NULL, NULL);

  copy = g_new0 (KtCreationOptions, 1);
  copy->challenge = g_bytes_ref (self->challenge);
  copy->rp_id = g_strdup (self->rp_id);
  copy->rp_name = g_strdup (self->rp_name);
  copy->user_id = g_bytes_ref (self->user_id);
  copy->user_name = g_strdup (self->user_name);
  copy->user_display_name = g_strdup (self->user_display_name);
  copy->algorithms = g_array_copy (self->algorithms);
  copy->timeout_ms = self->timeout_ms;
  copy->exclude_credentials = kt_options_json_copy_ids (self->exclude_credentials);
  copy->resident_key = self->resident_key;
  copy->user_verification = self->user_verification;
  copy->authenticator_attachment = g_strdup (self->authenticator_attachment);
  copy->attestation = g_strdup (self->attestation);
  return copy;
}

void
kt_creation_options_free (KtCreationOptions *self)
{
  if (self == NULL)
    return;
  g_clear_pointer (&self->challenge, g_bytes_unref);
  g_free (self->rp_id);
  g_free (self->rp_name);
  g_clear_pointer (&self->user_id, g_bytes_unref);
  g_free (self->user_name);
  g_free (self->user_display_name);
  g_clear_pointer (&self->algorithms, g_array_unref);
  g_clear_pointer (&self->exclude_credentials, g_ptr_array_unref);
  g_free (self->authenticator_attachment);
  g_free (self->attestation);
  g_free (self);
}

static gboolean
read_algorithms (const KtJsonReader  *root,
                 GArray              *algorithms,
                 GError             **error)
{
  JsonArray *params = NULL;

  if (!kt_json_read_array (root, "pubKeyCredParams", KT_JSON_REQUIRED, &params, error))
    return FALSE;

  for (guint i = 0; i < json_array_get_length (params); i++)
    {
      KtJsonReader param;
      g_autofree char *type = NULL;
      JsonNode *alg;
      gint64 value;

      if (!kt_json_read_element (root, "pubKeyCredParams", params, i, &param, error)
          || !kt_json_read_string (&param, "type", KT_JSON_REQUIRED, &type, error))
        return FALSE;
      /* An integer as JSON writes it: COSE names no algorithm 1.0 or -7e0. */
      alg = json_object_get_member (param.object, "alg");
      if (alg == NULL || !JSON_NODE_HOLDS_VALUE (alg)
          || json_node_get_value_type (alg) != G_TYPE_INT64)
        return kt_json_fail (&param, "alg", error, "should be an integer");
      value = json_node_get_int (alg);
      /* Unknown credential types are skipped (WebAuthn §5.1.3 step 10). */
      if (g_str_equal (type, "public-key"))
        g_array_append_val (algorithms, value);
    }

  /* An empty list means "ES256 or RS256" (WebAuthn §5.1.3 step 10). */
  if (json_array_get_length (params) == 0)
    {
      const gint64 defaults[] = { -7, -257 };
      g_array_append_vals (algorithms, defaults, G_N_ELEMENTS (defaults));
    }
  return TRUE;
}

KtCreationOptions *
kt_creation_options_new_from_json (JsonObject  *object,
                                   GError     **error)
{
  g_autoptr(KtCreationOptions) self = g_new0 (KtCreationOptions, 1);
  KtJsonReader root, rp, user, selection;
  gboolean require_resident_key = FALSE;
  KtRequirement resident_key = (KtRequirement) -1;

  g_return_val_if_fail (object != NULL, NULL);

  kt_options_json_reader_init (&root, object);
  self->algorithms = g_array_new (FALSE, FALSE, sizeof (gint64));
  self->user_verification = KT_REQUIREMENT_PREFERRED;
  self->attestation = g_strdup ("none");

  if (!kt_options_json_base64url (&root, "challenge", KT_JSON_REQUIRED, &self->challenge, error)
      || !kt_json_read_object (&root, "rp", KT_JSON_REQUIRED, &rp, error)
      || !kt_json_read_string (&rp, "id", KT_JSON_OPTIONAL, &self->rp_id, error)
      || !kt_json_read_string (&rp, "name", KT_JSON_REQUIRED, &self->rp_name, error)
      || !kt_json_read_object (&root, "user", KT_JSON_REQUIRED, &user, error)
      || !kt_options_json_base64url (&user, "id", KT_JSON_REQUIRED, &self->user_id, error)
      || !kt_json_read_string (&user, "name", KT_JSON_REQUIRED, &self->user_name, error)
      || !kt_json_read_string (&user, "displayName", KT_JSON_REQUIRED,
                               &self->user_display_name, error)
      || !read_algorithms (&root, self->algorithms, error)
      || !kt_options_json_timeout (&root, "timeout", &self->timeout_ms, error)
      || !kt_options_json_descriptors (&root, "excludeCredentials", &self->exclude_credentials,
                                       error)
      || !kt_json_read_object (&root, "authenticatorSelection", KT_JSON_OPTIONAL, &selection,
                               error)
      || !kt_json_read_string (&root, "attestation", KT_JSON_OPTIONAL, &self->attestation, error))
    return NULL;

  if (selection.object != NULL
      && (!kt_json_read_string (&selection, "authenticatorAttachment", KT_JSON_OPTIONAL,
                                &self->authenticator_attachment, error)
          || !kt_options_json_requirement (&selection, "residentKey", &resident_key, error)
          || !kt_json_read_boolean (&selection, "requireResidentKey", KT_JSON_OPTIONAL,
                                    &require_resident_key, error)
          || !kt_options_json_requirement (&selection, "userVerification",
                                           &self->user_verification, error)))
    return NULL;

  if (g_bytes_get_size (self->challenge) == 0)
    {
      kt_json_fail (&root, "challenge", error, "is empty");
      return NULL;
    }

  /* residentKey wins; requireResidentKey only speaks when it is absent (WebAuthn §5.4.4). */
  if (resident_key == (KtRequirement) -1)
    resident_key = require_resident_key ? KT_REQUIREMENT_REQUIRED : KT_REQUIREMENT_DISCOURAGED;
  self->resident_key = resident_key;

  return g_steal_pointer (&self);
}

KtCreationOptions *
kt_creation_options_new_from_data (const char  *json,
                                   gssize       length,
                                   GError     **error)
{
  g_return_val_if_fail (json != NULL, NULL);

  return kt_options_json_parse (json, length, (KtOptionsFunc) kt_creation_options_new_from_json,
                                error);
}
