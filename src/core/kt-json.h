/* kt-json.h: strict readers for JSON members, shared by the API models (private to core)
 *
 * An answer from the network is untrusted: a member that is present must have the promised
 * type, or the whole answer is refused with KT_API_ERROR_MALFORMED. JSON null counts as absent.
 *
 * Copyright 2026 Keyturn developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

typedef enum {
  KT_JSON_OPTIONAL = 0,
  KT_JSON_REQUIRED = 1,
} KtJsonPresence;

gboolean kt_json_read_string   (JsonObject      *object,
                                const char      *member,
                                KtJsonPresence   presence,
                                char           **out,
                                GError         **error);
gboolean kt_json_read_boolean  (JsonObject      *object,
                                const char      *member,
                                KtJsonPresence   presence,
                                gboolean        *out,
                                GError         **error);
gboolean kt_json_read_int      (JsonObject      *object,
                                const char      *member,
                                KtJsonPresence   presence,
                                gint64          *out,
                                GError         **error);
gboolean kt_json_read_object   (JsonObject      *object,
                                const char      *member,
                                KtJsonPresence   presence,
                                JsonObject     **out,
                                GError         **error);
gboolean kt_json_read_array    (JsonObject      *object,
                                const char      *member,
                                KtJsonPresence   presence,
                                JsonArray      **out,
                                GError         **error);
gboolean kt_json_read_strv     (JsonObject      *object,
                                const char      *member,
                                KtJsonPresence   presence,
                                char          ***out,
                                GError         **error);
/* Builds one object of a list from its JSON; NULL with an error when it cannot. */
typedef gpointer (*KtJsonItemFunc) (JsonObject  *object,
                                    GError     **error);

/* A list of objects as a GListModel of @item_type, refused whole if any element is not one. */
gboolean kt_json_read_list     (JsonObject      *object,
                                const char      *member,
                                KtJsonPresence   presence,
                                GType            item_type,
                                KtJsonItemFunc   item_from_json,
                                GListModel     **out,
                                GError         **error);
gboolean kt_json_read_datetime (JsonObject      *object,
                                const char      *member,
                                KtJsonPresence   presence,
                                GDateTime      **out,
                                GError         **error);

G_END_DECLS
