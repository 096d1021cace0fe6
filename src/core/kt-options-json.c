/* kt-options-json.c
 *
 * Copyright 2026 Keyturn developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "kt-options-json-private.h"

#include <glib/gi18n-lib.h>
#include <math.h>

#include "kt-base64url.h"
#include "kt-json-span.h"
#include "kt-webauthn-error.h"

gboolean
kt_options_json_fail (GError     **error,
                      const char  *format,
                      ...)
{
  g_autofree char *detail = NULL;
  va_list args;

  va_start (args, format);
  detail = g_strdup_vprintf (format, args);
  va_end (args);

  /* Translators: %s is a technical detail, such as "user.id is not base64url" */
  g_set_error (error, KT_WEBAUTHN_ERROR, KT_WEBAUTHN_ERROR_INVALID_OPTIONS,
               _("The server sent a security key request Keyturn cannot read (%s)."), detail);
  return FALSE;
}

JsonObject *
kt_options_json_root (const char  *json,
                      gssize       length,
                      GError     **error)
{
  g_autoptr(JsonParser) parser = json_parser_new_immutable ();
  g_autoptr(GError) local_error = NULL;
  JsonNode *root;

  if (!kt_json_is_one_object (json, length))
    {
      kt_options_json_fail (error, "%s", "not one JSON object");
      return NULL;
    }
  if (!json_parser_load_from_data (parser, json, length, &local_error))
    {
      kt_options_json_fail (error, "%s", local_error->message);
      return NULL;
    }
  root = json_parser_get_root (parser);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    {
      kt_options_json_fail (error, "not a JSON object");
      return NULL;
    }
  return json_object_ref (json_node_get_object (root));
}

static JsonNode *
lookup (JsonObject *object,
        const char *member)
{
  JsonNode *node = json_object_get_member (object, member);

  /* null is how JSON writers say "absent"; treat both alike. */
  if (node != NULL && JSON_NODE_HOLDS_NULL (node))
    return NULL;
  return node;
}

static gboolean
missing (const char  *where,
         const char  *member,
         GError     **error)
{
  return kt_options_json_fail (error, "%s%s%s is missing", where, *where ? "." : "", member);
}

static gboolean
wrong_type (const char  *where,
            const char  *member,
            const char  *expected,
            GError     **error)
{
  return kt_options_json_fail (error, "%s%s%s is not %s", where, *where ? "." : "", member,
                               expected);
}

gboolean
kt_options_json_string (JsonObject  *object,
                        const char  *where,
                        const char  *member,
                        gboolean     required,
                        const char **out,
                        GError     **error)
{
  JsonNode *node = lookup (object, member);

  if (node == NULL)
    return required ? missing (where, member, error) : TRUE;
  if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_STRING)
    return wrong_type (where, member, "a string", error);
  *out = json_node_get_string (node);
  return TRUE;
}

gboolean
kt_options_json_base64url (JsonObject  *object,
                           const char  *where,
                           const char  *member,
                           gboolean     required,
                           GBytes     **out,
                           GError     **error)
{
  const char *text = NULL;
  GBytes *bytes;

  if (!kt_options_json_string (object, where, member, required, &text, error))
    return FALSE;
  if (text == NULL)
    return TRUE;
  bytes = kt_base64url_decode (text, NULL);
  if (bytes == NULL)
    return wrong_type (where, member, "base64url", error);
  g_clear_pointer (out, g_bytes_unref);
  *out = bytes;
  return TRUE;
}

gboolean
kt_options_json_object (JsonObject  *object,
                        const char  *where,
                        const char  *member,
                        gboolean     required,
                        JsonObject **out,
                        GError     **error)
{
  JsonNode *node = lookup (object, member);

  if (node == NULL)
    return required ? missing (where, member, error) : TRUE;
  if (!JSON_NODE_HOLDS_OBJECT (node))
    return wrong_type (where, member, "an object", error);
  *out = json_node_get_object (node);
  return TRUE;
}

gboolean
kt_options_json_array (JsonObject  *object,
                       const char  *where,
                       const char  *member,
                       gboolean     required,
                       JsonArray  **out,
                       GError     **error)
{
  JsonNode *node = lookup (object, member);

  if (node == NULL)
    return required ? missing (where, member, error) : TRUE;
  if (!JSON_NODE_HOLDS_ARRAY (node))
    return wrong_type (where, member, "an array", error);
  *out = json_node_get_array (node);
  return TRUE;
}

gboolean
kt_options_json_boolean (JsonObject  *object,
                         const char  *where,
                         const char  *member,
                         gboolean    *out,
                         GError     **error)
{
  JsonNode *node = lookup (object, member);

  if (node == NULL)
    return TRUE;
  if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_BOOLEAN)
    return wrong_type (where, member, "a boolean", error);
  *out = json_node_get_boolean (node);
  return TRUE;
}

gboolean
kt_options_json_timeout (JsonObject  *object,
                         const char  *member,
                         guint       *out,
                         GError     **error)
{
  JsonNode *node = lookup (object, member);
  double value;

  if (node == NULL)
    return TRUE;
  if (!JSON_NODE_HOLDS_VALUE (node))
    return wrong_type ("", member, "a number", error);
  if (json_node_get_value_type (node) == G_TYPE_INT64)
    value = (double) json_node_get_int (node);
  else if (json_node_get_value_type (node) == G_TYPE_DOUBLE)
    value = json_node_get_double (node);
  else
    return wrong_type ("", member, "a number", error);
  if (!isfinite (value) || value < 0)
    return wrong_type ("", member, "a positive number of milliseconds", error);
  /* Clamped later to 10 min anyway; keep the value in range of a guint meanwhile. */
  *out = value > G_MAXUINT32 ? G_MAXUINT32 : (guint) value;
  return TRUE;
}

gboolean
kt_options_json_requirement (JsonObject    *object,
                             const char    *where,
                             const char    *member,
                             KtRequirement *out,
                             GError       **error)
{
  const char *text = NULL;

  if (!kt_options_json_string (object, where, member, FALSE, &text, error))
    return FALSE;
  /* Unknown values are ignored, as the spec asks, so that new levels do not break clients. */
  if (g_strcmp0 (text, "required") == 0)
    *out = KT_REQUIREMENT_REQUIRED;
  else if (g_strcmp0 (text, "preferred") == 0)
    *out = KT_REQUIREMENT_PREFERRED;
  else if (g_strcmp0 (text, "discouraged") == 0)
    *out = KT_REQUIREMENT_DISCOURAGED;
  return TRUE;
}

gboolean
kt_options_json_descriptors (JsonObject  *object,
                             const char  *member,
                             GPtrArray  **out,
                             GError     **error)
{
  g_autoptr(GPtrArray) ids = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  JsonArray *array = NULL;
  guint n;

  if (!kt_options_json_array (object, "", member, FALSE, &array, error))
    return FALSE;

  n = array != NULL ? json_array_get_length (array) : 0;
  for (guint i = 0; i < n; i++)
    {
      g_autofree char *where = g_strdup_printf ("%s[%u]", member, i);
      JsonNode *node = json_array_get_element (array, i);
      JsonObject *descriptor;
      const char *type = "public-key";
      GBytes *id = NULL;

      if (!JSON_NODE_HOLDS_OBJECT (node))
        return kt_options_json_fail (error, "%s is not an object", where);
      descriptor = json_node_get_object (node);
      if (!kt_options_json_string (descriptor, where, "type", FALSE, &type, error)
          || !kt_options_json_base64url (descriptor, where, "id", TRUE, &id, error))
        return FALSE;
      /* Descriptors of types this client does not know are skipped (WebAuthn §5.1.3). */
      if (!g_str_equal (type, "public-key") || g_bytes_get_size (id) == 0)
        {
          g_bytes_unref (id);
          continue;
        }
      g_ptr_array_add (ids, id);
    }

  *out = g_steal_pointer (&ids);
  return TRUE;
}
