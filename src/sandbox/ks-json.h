/* ks-json.h: JSON text written straight into a GString, for the answers every ceremony sends
 *
 * The output is byte for byte what json-glib's generator writes for the same members in the
 * same order (no white space, its string escapes), so a reply reads the same whichever way it
 * was made; it only skips building a tree to serialise once and free. Written by hand because
 * json-glib has no streaming writer, and its tree cost about 5% of the server's time per
 * ceremony; everything the sandbox reads is still parsed by json-glib, and a unit test holds
 * this writer to json-glib's output.
 *
 * Copyright 2026 Keyturn developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Containers; a member or an element is separated from the one before it by itself. */
void ks_json_begin_object  (GString    *out);
void ks_json_end_object    (GString    *out);
void ks_json_begin_array   (GString    *out);
void ks_json_end_array     (GString    *out);

/* "name": in an object; the value follows with one of the calls below. */
void ks_json_member        (GString    *out,
                            const char *name);
/* A separator when an array already holds an element; then write the element. */
void ks_json_element       (GString    *out);

void ks_json_string        (GString    *out,
                            const char *value);
void ks_json_int           (GString    *out,
                            gint64      value);
void ks_json_boolean       (GString    *out,
                            gboolean    value);
void ks_json_null          (GString    *out);

/* Shorthands for a member and its value; a NULL string is written as null. */
void ks_json_member_string (GString    *out,
                            const char *name,
                            const char *value);
void ks_json_member_int    (GString    *out,
                            const char *name,
                            gint64      value);
void ks_json_member_boolean (GString    *out,
                             const char *name,
                             gboolean    value);

/* Whether JSON text holds a NUL, raw or as the escape \u0000 in a string: json-glib takes it
 * into a string that C then reads cut short at the NUL. */
gboolean ks_json_text_has_nul (const char *text,
                               gsize       len);

G_END_DECLS
