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

static char *
options_message (const char *detail)
{
  /* Translators: %s is a technical detail, such as "user.id should be base64url" */
  return g_strdup_printf (_("The server sent a security key request Keyturn cannot read (%s)."),
                          detail);
}

void
kt_options_json_reader_init (KtJsonReader *reader,
                             JsonObject   *object)
{
  kt_json_reader_init (reader, object, KT_WEBAUTHN_ERROR, KT_WEBAUTHN_ERROR_INVALID_OPTIONS,
                       options_message);
}

gpointer
kt_options_json_parse (const char     *json,
                       gssize          length,
                       KtOptionsFunc   new_from_json,
                       GError        **error)
{
  g_autoptr(JsonParser) parser = json_parser_new_immutable ();
  g_autoptr(GError) local_error = NULL;
  KtJsonReader document;
  JsonNode *root;

  /* What is wrong here is the document itself: a reader of nothing names no member. */
  kt_options_json_reader_init (&document, NULL);
  if (!kt_json_is_one_object (json, length))
    {
      kt_json_fail (&document, NULL, error, "not one JSON object");
      return NULL;
    }
  if (!json_parser_load_from_data (parser, json, length, &local_error))
    {
      kt_json_fail (&document, NULL, error, "%s", local_error->message);
      return NULL;
    }
  root = json_parser_get_root (parser);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    {
      kt_json_fail (&document, NULL, error, "not a JSON object");
      return NULL;
    }
  return new_from_json (json_node_get_object (root), error);
}

gboolean
kt_options_json_base64url (const KtJsonReader  *reader,
                           const char          *member,
                           KtJsonPresence       presence,
                           GBytes             **out,
                           GError             **error)
{
  g_autofree char *text = NULL;
  GBytes *bytes;

  if (!kt_json_read_string (reader, member, presence, &text, error))
    return FALSE;
  if (text == NULL)
    return TRUE;
  bytes = kt_base64url_decode (text, NULL);
  if (bytes == NULL)
    return kt_json_fail (reader, member, error, "should be base64url");
  g_clear_pointer (out, g_bytes_unref);
  *out = bytes;
  return TRUE;
}

gboolean
kt_options_json_timeout (const KtJsonReader  *reader,
                         const char          *member,
                         guint               *out,
                         GError             **error)
{
  double value = NAN;   /* what no JSON number reads as: the member is absent */

  if (!kt_json_read_number (reader, member, KT_JSON_OPTIONAL, &value, error))
    return FALSE;
  if (isnan (value))
    return TRUE;
  if (!isfinite (value) || value < 0)
    return kt_json_fail (reader, member, error, "should be a positive number of milliseconds");
  /* Clamped later to 10 min anyway; keep the value in range of a guint meanwhile. */
  *out = value > G_MAXUINT32 ? G_MAXUINT32 : (guint) value;
  return TRUE;
}

gboolean
kt_options_json_requirement (const KtJsonReader  *reader,
                             const char          *member,
                             KtRequirement       *out,
                             GError             **error)
{
  g_autofree char *text = NULL;

  if (!kt_json_read_string (reader, member, KT_JSON_OPTIONAL, &text, error))
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
kt_options_json_descriptors (const KtJsonReader  *reader,
                             const char          *member,
                             GPtrArray          **out,
                             GError             **error)
{
  g_autoptr(GPtrArray) ids = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  JsonArray *array = NULL;
  guint n;

  if (!kt_json_read_array (reader, member, KT_JSON_OPTIONAL, &array, error))
    return FALSE;

  n = array != NULL ? json_array_get_length (array) : 0;
  for (guint i = 0; i < n; i++)
    {
      KtJsonReader descriptor;
      g_autofree char *type = NULL;
      GBytes *id = NULL;

      if (!kt_json_read_element (reader, member, array, i, &descriptor, error)
          || !kt_json_read_string (&descriptor, "type", KT_JSON_OPTIONAL, &type, error)
          || !kt_options_json_base64url (&descriptor, "id", KT_JSON_REQUIRED, &id, error))
        return FALSE;
      /* Descriptors of types this client does not know are skipped (WebAuthn §5.1.3). */
      if ((type != NULL && !g_str_equal (type, "public-key")) || g_bytes_get_size (id) == 0)
        {
          g_bytes_unref (id);
          continue;
        }
      g_ptr_array_add (ids, id);
    }

  *out = g_steal_pointer (&ids);
  return TRUE;
}

GPtrArray *
kt_options_json_copy_ids (GPtrArray *ids)
{
  GPtrArray *copy = g_ptr_array_new_full (ids->len, (GDestroyNotify) g_bytes_unref);

  for (guint i = 0; i < ids->len; i++)
    g_ptr_array_add (copy, g_bytes_ref (g_ptr_array_index (ids, i)));
  return copy;
}
