/* kt-json.c
 *
 * Copyright 2026 Keyturn developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "kt-json.h"

#include "kt-api-error.h"

static gboolean
malformed (GError     **error,
           const char  *member,
           const char  *expected)
{
  g_set_error (error, KT_API_ERROR, KT_API_ERROR_MALFORMED,
               "The server's answer is not valid: “%s” should be %s", member, expected);
  return FALSE;
}

/* Returns the member's node, NULL when absent or null (an error when required). */
static JsonNode *
lookup (JsonObject      *object,
        const char      *member,
        KtJsonPresence   presence,
        gboolean        *ok,
        GError         **error)
{
  JsonNode *node = json_object_get_member (object, member);

  *ok = TRUE;
  if (node == NULL || JSON_NODE_HOLDS_NULL (node))
    {
      if (presence == KT_JSON_REQUIRED)
        *ok = malformed (error, member, "present");
      return NULL;
    }
  return node;
}

gboolean
kt_json_read_string (JsonObject      *object,
                     const char      *member,
                     KtJsonPresence   presence,
                     char           **out,
                     GError         **error)
{
  gboolean ok;
  JsonNode *node = lookup (object, member, presence, &ok, error);

  if (node == NULL)
    return ok;
  if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_STRING)
    return malformed (error, member, "a string");
  g_free (*out);
  *out = json_node_dup_string (node);
  return TRUE;
}

gboolean
kt_json_read_boolean (JsonObject      *object,
                      const char      *member,
                      KtJsonPresence   presence,
                      gboolean        *out,
                      GError         **error)
{
  gboolean ok;
  JsonNode *node = lookup (object, member, presence, &ok, error);

  if (node == NULL)
    return ok;
  if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_BOOLEAN)
    return malformed (error, member, "true or false");
  *out = json_node_get_boolean (node);
  return TRUE;
}

gboolean
kt_json_read_int (JsonObject      *object,
                  const char      *member,
                  KtJsonPresence   presence,
                  gint64          *out,
                  GError         **error)
{
  gboolean ok;
  JsonNode *node = lookup (object, member, presence, &ok, error);

  if (node == NULL)
    return ok;
  if (!JSON_NODE_HOLDS_VALUE (node))
    return malformed (error, member, "a number");
  if (json_node_get_value_type (node) == G_TYPE_INT64)
    {
      *out = json_node_get_int (node);
      return TRUE;
    }
  if (json_node_get_value_type (node) == G_TYPE_DOUBLE)
    {
      /* Some servers write whole numbers as 1.7e9; accept those, refuse fractions. */
      double d = json_node_get_double (node);
      if (d >= (double) G_MININT64 && d <= (double) G_MAXINT64 && d == (double) (gint64) d)
        {
          *out = (gint64) d;
          return TRUE;
        }
    }
  return malformed (error, member, "a whole number");
}

gboolean
kt_json_read_object (JsonObject      *object,
                     const char      *member,
                     KtJsonPresence   presence,
                     JsonObject     **out,
                     GError         **error)
{
  gboolean ok;
  JsonNode *node = lookup (object, member, presence, &ok, error);

  if (node == NULL)
    return ok;
  if (!JSON_NODE_HOLDS_OBJECT (node))
    return malformed (error, member, "an object");
  *out = json_node_get_object (node);
  return TRUE;
}

gboolean
kt_json_read_array (JsonObject      *object,
                    const char      *member,
                    KtJsonPresence   presence,
                    JsonArray      **out,
                    GError         **error)
{
  gboolean ok;
  JsonNode *node = lookup (object, member, presence, &ok, error);

  if (node == NULL)
    return ok;
  if (!JSON_NODE_HOLDS_ARRAY (node))
    return malformed (error, member, "a list");
  *out = json_node_get_array (node);
  return TRUE;
}

gboolean
kt_json_read_strv (JsonObject      *object,
                   const char      *member,
                   KtJsonPresence   presence,
                   char          ***out,
                   GError         **error)
{
  JsonArray *array = NULL;
  g_autoptr(GStrvBuilder) builder = NULL;
  guint i, n;

  if (!kt_json_read_array (object, member, presence, &array, error))
    return FALSE;
  if (array == NULL)
    return TRUE;

  builder = g_strv_builder_new ();
  n = json_array_get_length (array);
  for (i = 0; i < n; i++)
    {
      JsonNode *node = json_array_get_element (array, i);

      if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_STRING)
        return malformed (error, member, "a list of strings");
      g_strv_builder_add (builder, json_node_get_string (node));
    }

  g_strfreev (*out);
  *out = g_strv_builder_end (builder);
  return TRUE;
}

gboolean
kt_json_read_datetime (JsonObject      *object,
                       const char      *member,
                       KtJsonPresence   presence,
                       GDateTime      **out,
                       GError         **error)
{
  g_autofree char *text = NULL;
  GDateTime *parsed;

  if (!kt_json_read_string (object, member, presence, &text, error))
    return FALSE;
  if (text == NULL)
    return TRUE;

  parsed = g_date_time_new_from_iso8601 (text, NULL);
  if (parsed == NULL)
    return malformed (error, member, "an ISO 8601 time");

  g_clear_pointer (out, g_date_time_unref);
  *out = parsed;
  return TRUE;
}

gboolean
kt_json_read_list (JsonObject      *object,
                   const char      *member,
                   KtJsonPresence   presence,
                   GType            item_type,
                   KtJsonItemFunc   item_from_json,
                   GListModel     **out,
                   GError         **error)
{
  g_autoptr(GListStore) store = NULL;
  JsonArray *array = NULL;
  guint n;

  if (!kt_json_read_array (object, member, presence, &array, error))
    return FALSE;
  if (array == NULL)
    return TRUE;

  store = g_list_store_new (item_type);
  n = json_array_get_length (array);
  for (guint i = 0; i < n; i++)
    {
      JsonNode *node = json_array_get_element (array, i);
      g_autoptr(GObject) item = NULL;

      if (!JSON_NODE_HOLDS_OBJECT (node))
        return malformed (error, member, "a list of objects");
      item = item_from_json (json_node_get_object (node), error);
      if (item == NULL)
        return FALSE;
      g_list_store_append (store, item);
    }

  g_clear_object (out);
  *out = G_LIST_MODEL (g_steal_pointer (&store));
  return TRUE;
}
