/* kt-json-private.h: strict readers for the members of a JSON document from the network
 *
 * Such a document is untrusted: a member that is present must have the promised type, or the
 * whole document is refused. JSON null counts as absent. An error names the member by its path
 * in the document ("user.verifiedCredentials[2].email should be a string"), in the domain and
 * code that the document's reader was given, so that the API's answers and WebAuthn's options
 * are read by the same code and still fail each in their own terms.
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

/* Puts what is wrong ("challenge is missing") into the sentence a person reads. */
typedef char *(*KtJsonMessageFunc) (const char *detail);

typedef struct _KtJsonReader KtJsonReader;

/* One object of a document, what its errors are, and where it stands in the document. It lives
 * on the stack: the reader of a member points to the reader of the object holding it, and the
 * path is only spelled out when there is an error to report. */
struct _KtJsonReader
{
  JsonObject         *object;   /* NULL for an optional member that is absent */
  GQuark              domain;
  int                 code;
  KtJsonMessageFunc   message;  /* NULL: the detail alone */
  const KtJsonReader *parent;   /* the object holding this one; NULL for the document */
  const char         *member;   /* this object's member in @parent */
  int                 index;    /* its place in the list @member; -1 when not in a list */
};

void     kt_json_reader_init   (KtJsonReader        *reader,
                                JsonObject          *object,
                                GQuark               domain,
                                int                  code,
                                KtJsonMessageFunc    message);

/* Sets @error to "PATH DETAIL", where PATH leads to @member of @reader's object (to the object
 * itself when @member is NULL), and returns FALSE. */
gboolean kt_json_fail          (const KtJsonReader  *reader,
                                const char          *member,
                                GError             **error,
                                const char          *format,
                                ...) G_GNUC_PRINTF (4, 5);

/* Each returns FALSE with @error set when the member has the wrong type, or is missing and
 * required; an optional member that is absent leaves *out untouched. */
gboolean kt_json_read_string   (const KtJsonReader  *reader,
                                const char          *member,
                                KtJsonPresence       presence,
                                char               **out,
                                GError             **error);
gboolean kt_json_read_boolean  (const KtJsonReader  *reader,
                                const char          *member,
                                KtJsonPresence       presence,
                                gboolean            *out,
                                GError             **error);
/* A whole number, also when written as 1.7e9. */
gboolean kt_json_read_int      (const KtJsonReader  *reader,
                                const char          *member,
                                KtJsonPresence       presence,
                                gint64              *out,
                                GError             **error);
gboolean kt_json_read_number   (const KtJsonReader  *reader,
                                const char          *member,
                                KtJsonPresence       presence,
                                double              *out,
                                GError             **error);
gboolean kt_json_read_array    (const KtJsonReader  *reader,
                                const char          *member,
                                KtJsonPresence       presence,
                                JsonArray          **out,
                                GError             **error);
gboolean kt_json_read_strv     (const KtJsonReader  *reader,
                                const char          *member,
                                KtJsonPresence       presence,
                                char              ***out,
                                GError             **error);
gboolean kt_json_read_datetime (const KtJsonReader  *reader,
                                const char          *member,
                                KtJsonPresence       presence,
                                GDateTime          **out,
                                GError             **error);

/* A reader for the object @member, in @out; out->object is NULL when it is optional and absent. */
gboolean kt_json_read_object   (const KtJsonReader  *reader,
                                const char          *member,
                                KtJsonPresence       presence,
                                KtJsonReader        *out,
                                GError             **error);
/* A reader for element @index of @array, the list @member, which must be an object. */
gboolean kt_json_read_element  (const KtJsonReader  *reader,
                                const char          *member,
                                JsonArray           *array,
                                guint                index,
                                KtJsonReader        *out,
                                GError             **error);

/* Builds one object of a list from its JSON; NULL with an error when it cannot. */
typedef gpointer (*KtJsonItemFunc) (const KtJsonReader  *reader,
                                    GError             **error);

/* A list of objects as a GListModel of @item_type, refused whole if any element is not one. */
gboolean kt_json_read_list     (const KtJsonReader  *reader,
                                const char          *member,
                                KtJsonPresence       presence,
                                GType                item_type,
                                KtJsonItemFunc       item_from_json,
                                GListModel         **out,
                                GError             **error);

G_END_DECLS
