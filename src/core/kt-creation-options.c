/* kt-creation-options.c
 *
 * Copyright 2026 Keyturn developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "kt-creation-options.h"

#include "kt-options-json-private.h"

G_DEFINE_BOXED_TYPE (KtCreationOptions, kt_creation_options,
                     kt_creation_options_copy, kt_creation_options_free)

static GPtrArray *
copy_ids (GPtrArray *ids)
{
  GPtrArray *copy = g_ptr_array_new_full (ids->len, (GDestroyNotify) g_bytes_unref);

  for (guint i = 0; i < ids->len; i++)
    g_ptr_array_add (copy, g_bytes_ref (g_ptr_array_index (ids, i)));
  return copy;
}

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
  copy->exclude_credentials = copy_ids (self->exclude_credentials);
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
read_algorithms (JsonObject  *root,
                 GArray      *algorithms,
                 GError     **error)
{
  JsonArray *params = NULL;

  if (!kt_options_json_array (root, "", "pubKeyCredParams", TRUE, &params, error))
    return FALSE;

  for (guint i = 0; i < json_array_get_length (params); i++)
    {
      g_autofree char *where = g_strdup_printf ("pubKeyCredParams[%u]", i);
      JsonNode *node = json_array_get_element (params, i);
      const char *type = NULL;
      JsonNode *alg;
      gint64 value;

      if (!JSON_NODE_HOLDS_OBJECT (node))
        return kt_options_json_fail (error, "%s is not an object", where);
      if (!kt_options_json_string (json_node_get_object (node), where, "type", TRUE, &type, error))
        return FALSE;
      alg = json_object_get_member (json_node_get_object (node), "alg");
      if (alg == NULL || !JSON_NODE_HOLDS_VALUE (alg)
          || json_node_get_value_type (alg) != G_TYPE_INT64)
        return kt_options_json_fail (error, "%s.alg is not an integer", where);
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
kt_creation_options_new_from_json (JsonObject  *root,
                                   GError     **error)
{
  g_autoptr(KtCreationOptions) self = g_new0 (KtCreationOptions, 1);
  JsonObject *rp = NULL;
  JsonObject *user = NULL;
  JsonObject *selection = NULL;
  const char *rp_id = NULL, *rp_name = NULL;
  const char *user_name = NULL, *user_display_name = NULL;
  const char *attachment = NULL, *attestation = "none";
  gboolean require_resident_key = FALSE;
  KtRequirement resident_key = (KtRequirement) -1;

  g_return_val_if_fail (root != NULL, NULL);

  self->algorithms = g_array_new (FALSE, FALSE, sizeof (gint64));
  self->user_verification = KT_REQUIREMENT_PREFERRED;

  if (!kt_options_json_base64url (root, "", "challenge", TRUE, &self->challenge, error)
      || !kt_options_json_object (root, "", "rp", TRUE, &rp, error)
      || !kt_options_json_string (rp, "rp", "id", FALSE, &rp_id, error)
      || !kt_options_json_string (rp, "rp", "name", TRUE, &rp_name, error)
      || !kt_options_json_object (root, "", "user", TRUE, &user, error)
      || !kt_options_json_base64url (user, "user", "id", TRUE, &self->user_id, error)
      || !kt_options_json_string (user, "user", "name", TRUE, &user_name, error)
      || !kt_options_json_string (user, "user", "displayName", TRUE, &user_display_name, error)
      || !read_algorithms (root, self->algorithms, error)
      || !kt_options_json_timeout (root, "timeout", &self->timeout_ms, error)
      || !kt_options_json_descriptors (root, "excludeCredentials", &self->exclude_credentials,
                                       error)
      || !kt_options_json_object (root, "", "authenticatorSelection", FALSE, &selection, error)
      || !kt_options_json_string (root, "", "attestation", FALSE, &attestation, error))
    return NULL;

  if (selection != NULL
      && (!kt_options_json_string (selection, "authenticatorSelection",
                                   "authenticatorAttachment", FALSE, &attachment, error)
          || !kt_options_json_requirement (selection, "authenticatorSelection", "residentKey",
                                           &resident_key, error)
          || !kt_options_json_boolean (selection, "authenticatorSelection",
                                       "requireResidentKey", &require_resident_key, error)
          || !kt_options_json_requirement (selection, "authenticatorSelection",
                                           "userVerification", &self->user_verification,
                                           error)))
    return NULL;

  if (g_bytes_get_size (self->challenge) == 0)
    {
      kt_options_json_fail (error, "challenge is empty");
      return NULL;
    }

  /* residentKey wins; requireResidentKey only speaks when it is absent (WebAuthn §5.4.4). */
  if (resident_key == (KtRequirement) -1)
    resident_key = require_resident_key ? KT_REQUIREMENT_REQUIRED : KT_REQUIREMENT_DISCOURAGED;
  self->resident_key = resident_key;

  self->rp_id = g_strdup (rp_id);
  self->rp_name = g_strdup (rp_name);
  self->user_name = g_strdup (user_name);
  self->user_display_name = g_strdup (user_display_name);
  self->authenticator_attachment = g_strdup (attachment);
  self->attestation = g_strdup (attestation);

  return g_steal_pointer (&self);
}

KtCreationOptions *
kt_creation_options_new_from_data (const char  *json,
                                   gssize       length,
                                   GError     **error)
{
  g_autoptr(JsonObject) root = NULL;

  g_return_val_if_fail (json != NULL, NULL);

  root = kt_options_json_root (json, length, error);
  if (root == NULL)
    return NULL;
  return kt_creation_options_new_from_json (root, error);
}
