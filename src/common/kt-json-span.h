/* kt-json-span.h: whether a JSON text is exactly one object, before json-glib reads it
 *
 * json-glib 1.6 accepts several top-level values one after another, answers with the first and
 * leaks the others, so a text like {"a":1}{"b":2} is taken for {"a":1}, and whatever follows it
 * goes unseen. Every parser of JSON from the network asks this first.
 *
 * Copyright 2026 Keyturn developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* TRUE when @data (@length bytes, or NUL-terminated when @length is negative) is one JSON
 * object with only whitespace around it. Only the object's extent is found here: json-glib still
 * checks what is inside. */
gboolean kt_json_is_one_object (const char *data,
                                gssize      length);

G_END_DECLS
