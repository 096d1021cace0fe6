/* kt-json.c
 *
 * Copyright 2026 Keyturn developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "kt-json-private.h"

static void
append_member (GString    *path,
               const char *member,
               int         index)
{
  if (path->len > 0)
    g_string_append_c (path, '.');
  g_string_append (path, member);
  if (index >= 0)
    g_string_append_printf (path, "[%d]", index);
}

static void
append_path (GString            *path,
             const KtJsonReader *reader)
{
  if (reader->parent == NULL)
    return;
  append_path (path, reader->parent);
  append_member (path, reader->member, reader->index);
}

/* A reader for @object, found in @parent as @member (element @index of it when not -1). */
static void
init_child (KtJsonReader       *child,
            const KtJsonReader *parent,
            const char         *member,
            int                 index,
            JsonObject         *object)
{
  *child = *parent;
  child->object = object;
  child->parent = parent;
  child->member = member;
  child->index = index;
}

void
kt_json_reader_init (KtJsonReader      *reader,
                     JsonObject        *object,
                     GQuark             domain,
                     int                code,
                     KtJsonMessageFunc  message)
{
  *reader = (KtJsonReader) {
    .object = object,
    .domain = domain,
    .code = code,
    .message = message,
    .index = -1,
  };
}

gboolean
kt_json_fail (const KtJsonReader  *reader,
              const char          *member,
              GError             **error,
              const char          *format,
              ...)
{
  g_autoptr(GString) detail = NULL;
  g_autofree char *message = NULL;
  va_list args;

  /* Readers of what may be wrong without harm (an error body) ask for no error: spell none. */
  if (error == NULL)
    return FALSE;

  detail = g_string_new (NULL);
  append_path (detail, reader);
  if (member != NULL)
    append_member (detail, member, -1);
  if (detail->len > 0)
    g_string_append_c (detail, ' ');
  va_start (args, format);
  g_string_append_vprintf (detail, format, args);
  va_end (args);

  message = reader->message != NULL ? reader->message (detail->str) : g_strdup (detail->str);
  g_set_error_literal (error, reader->domain, reader->code, message);
  return FALSE;
}

static gboolean
wrong_type (const KtJsonReader  *reader,
            const char          *member,
            const char          *expected,
            GError             **error)
{
  return kt_json_fail (reader, member, error, "should be %s", expected);
}

/* The member's node in *node_out, NULL when it is absent or null; FALSE with an error when it is
 * missing and required, or present and not a @node_type (holding a @value_type, for a value
 * with a type other than G_TYPE_INVALID). */
static gboolean
lookup (const KtJsonReader  *reader,
        const char          *member,
        KtJsonPresence       presence,
        JsonNodeType         node_type,
        GType                value_type,
        const char          *expected,
        JsonNode           **node_out,
        GError             **error)
{
  JsonNode *node = json_object_get_member (reader->object, member);

  *node_out = NULL;
  /* null is how JSON writers say "absent"; treat both alike. */
  if (node == NULL || JSON_NODE_HOLDS_NULL (node))
    return presence == KT_JSON_REQUIRED ? kt_json_fail (reader, member, error, "is missing") : TRUE;
  if (json_node_get_node_type (node) != node_type
      || (value_type != G_TYPE_INVALID && json_node_get_value_type (node) != value_type))
    return wrong_type (reader, member, expected, error);
  *node_out = node;
  return TRUE;
}

static gboolean
holds_string (JsonNode *node)
{
  return JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == G_TYPE_STRING;
}

gboolean
kt_json_read_string (const KtJsonReader  *reader,
                     const char          *member,
                     KtJsonPresence       presence,
                     char               **out,
                     GError             **error)
{
  JsonNode *node;

  if (!lookup (reader, member, presence, JSON_NODE_VALUE, G_TYPE_STRING, "a string", &node,
               error))
    return FALSE;
  if (node != NULL)
    {
      g_free (*out);
      *out = json_node_dup_string (node);
    }
  return TRUE;
}

gboolean
kt_json_read_boolean (const KtJsonReader  *reader,
                      const char          *member,
                      KtJsonPresence       presence,
                      gboolean            *out,
                      GError             **error)
{
  JsonNode *node;

  if (!lookup (reader, member, presence, JSON_NODE_VALUE, G_TYPE_BOOLEAN, "true or false", &node,
               error))
    return FALSE;
  if (node != NULL)
    *out = json_node_get_boolean (node);
  return TRUE;
}

gboolean
kt_json_read_int (const KtJsonReader  *reader,
                  const char          *member,
                  KtJsonPresence       presence,
                  gint64              *out,
                  GError             **error)
{
  JsonNode *node;
  double d;

  if (!lookup (reader, member, presence, JSON_NODE_VALUE, G_TYPE_INVALID, "a number", &node,
               error))
    return FALSE;
  if (node == NULL)
    return TRUE;
  if (json_node_get_value_type (node) == G_TYPE_INT64)
    {
      *out = json_node_get_int (node);
      return TRUE;
    }
  if (json_node_get_value_type (node) != G_TYPE_DOUBLE)
    return wrong_type (reader, member, "a whole number", error);
  /* Some servers write whole numbers as 1.7e9; accept those, refuse fractions. */
  d = json_node_get_double (node);
  if (!(d >= (double) G_MININT64 && d <= (double) G_MAXINT64 && d == (double) (gint64) d))
    return wrong_type (reader, member, "a whole number", error);
  *out = (gint64) d;
  return TRUE;
}

gboolean
kt_json_read_number (const KtJsonReader  *reader,
                     const char          *member,
                     KtJsonPresence       presence,
                     double              *out,
                     GError             **error)
{
  JsonNode *node;

  if (!lookup (reader, member, presence, JSON_NODE_VALUE, G_TYPE_INVALID, "a number", &node,
               error))
    return FALSE;
  if (node == NULL)
    return TRUE;
  if (json_node_get_value_type (node) == G_TYPE_INT64)
    *out = (double) json_node_get_int (node);
  else if (json_node_get_value_type (node) == G_TYPE_DOUBLE)
    *out = json_node_get_double (node);
  else
    return wrong_type (reader, member, "a number", error);
  return TRUE;
}

gboolean
kt_json_read_array (const KtJsonReader  *reader,
                    const char          *member,
                    KtJsonPresence       presence,
                    JsonArray          **out,
                    GError             **error)
{
  JsonNode *node;

  if (!lookup (reader, member, presence, JSON_NODE_ARRAY, G_TYPE_INVALID, "a list", &node, error))
    return FALSE;
  if (node != NULL)
    *out = json_node_get_array (node);
  return TRUE;
}

gboolean
kt_json_read_strv (const KtJsonReader  *reader,
                   const char          *member,
                   KtJsonPresence       presence,
                   char              ***out,
                   GError             **error)
{
  JsonArray *array = NULL;
  g_autoptr(GStrvBuilder) builder = NULL;
  guint i, n;

  if (!kt_json_read_array (reader, member, presence, &array, error))
    return FALSE;
  if (array == NULL)
    return TRUE;

  builder = g_strv_builder_new ();
  n = json_array_get_length (array);
  for (i = 0; i < n; i++)
    {
      JsonNode *node = json_array_get_element (array, i);

      if (!holds_string (node))
        return wrong_type (reader, member, "a list of strings", error);
      g_strv_builder_add (builder, json_node_get_string (node));
    }

  g_strfreev (*out);
  *out = g_strv_builder_end (builder);
  return TRUE;
}

gboolean
kt_json_read_datetime (const KtJsonReader  *reader,
                       const char          *member,
                       KtJsonPresence       presence,
                       GDateTime          **out,
                       GError             **error)
{
  g_autofree char *text = NULL;
  GDateTime *parsed;

  if (!kt_json_read_string (reader, member, presence, &text, error))
    return FALSE;
  if (text == NULL)
    return TRUE;

  parsed = g_date_time_new_from_iso8601 (text, NULL);
  if (parsed == NULL)
    return wrong_type (reader, member, "an ISO 8601 time", error);

  g_clear_pointer (out, g_date_time_unref);
  *out = parsed;
  return TRUE;
}

gboolean
kt_json_read_object (const KtJsonReader  *reader,
                     const char          *member,
                     KtJsonPresence       presence,
                     KtJsonReader        *out,
                     GError             **error)
{
  JsonNode *node;

  init_child (out, reader, member, -1, NULL);
  if (!lookup (reader, member, presence, JSON_NODE_OBJECT, G_TYPE_INVALID, "an object", &node,
               error))
    return FALSE;
  if (node != NULL)
    out->object = json_node_get_object (node);
  return TRUE;
}

gboolean
kt_json_read_element (const KtJsonReader  *reader,
                      const char          *member,
                      JsonArray           *array,
                      guint                index,
                      KtJsonReader        *out,
                      GError             **error)
{
  JsonNode *node = json_array_get_element (array, index);

  /* No list a server sends has anywhere near G_MAXINT elements: it is refused long before. */
  init_child (out, reader, member, (int) index, NULL);
  if (!JSON_NODE_HOLDS_OBJECT (node))
    return kt_json_fail (out, NULL, error, "should be an object");
  out->object = json_node_get_object (node);
  return TRUE;
}

gboolean
kt_json_read_list (const KtJsonReader  *reader,
                   const char          *member,
                   KtJsonPresence       presence,
                   GType                item_type,
                   KtJsonItemFunc       item_from_json,
                   GListModel         **out,
                   GError             **error)
{
  g_autoptr(GListStore) store = NULL;
  JsonArray *array = NULL;
  guint n;

  if (!kt_json_read_array (reader, member, presence, &array, error))
    return FALSE;
  if (array == NULL)
    return TRUE;

  store = g_list_store_new (item_type);
  n = json_array_get_length (array);
  for (guint i = 0; i < n; i++)
    {
      KtJsonReader element;
      g_autoptr(GObject) item = NULL;

      if (!kt_json_read_element (reader, member, array, i, &element, error))
        return FALSE;
      item = item_from_json (&element, error);
      if (item == NULL)
        return FALSE;
      g_list_store_append (store, item);
    }

  g_clear_object (out);
  *out = G_LIST_MODEL (g_steal_pointer (&store));
  return TRUE;
}
