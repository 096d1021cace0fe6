/* ks-json-strings.h: a JSON array of strings read into a GStrv
 *
 * For the relying-party checks (a response's transports) and for the server that links them (an
 * environment's lists in its configuration, the scopes a request asks for). Each caller decides
 * what an absent or null member means and words its own error.
 *
 * Copyright 2026 Keyturn developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/* The strings of @node, in order, when it is an array that holds only strings; NULL when it is
 * anything else. */
GStrv ks_json_dup_strings (JsonNode *node);

G_END_DECLS
