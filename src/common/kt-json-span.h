/* kt-json-span.h: whether a JSON text is exactly one object, nested no deeper than
 * KT_JSON_MAX_DEPTH, before json-glib reads it
 *
 * json-glib 1.6 accepts several top-level values one after another, answers with the first and
 * leaks the others, so a text like {"a":1}{"b":2} is taken for {"a":1}, and whatever follows it
 * goes unseen. Its parser also recurses once per level of nesting with no limit, so a small text
 * of 100,000 '[' overflows the stack. Every parser of JSON from the network asks this first.
 *
 * Copyright 2026 Keyturn developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Deeper than any answer of the API or any WebAuthn options (they nest 5 levels at most), far
 * shallower than what exhausts a thread's stack in json-glib. */
#define KT_JSON_MAX_DEPTH 64

/* TRUE when @data (@length bytes, or NUL-terminated when @length is negative) is one JSON
 * object with only whitespace around it, whose objects and arrays nest at most
 * KT_JSON_MAX_DEPTH levels (the outer object is level 1). Only the object's extent and depth are
 * found here: json-glib still checks what is inside. */
gboolean kt_json_is_one_object (const char *data,
                                gssize      length);

G_END_DECLS
