/* kt-options-json-private.h: strict readers for the members of WebAuthn options JSON
 *
 * Each reader fails with KT_WEBAUTHN_ERROR_INVALID_OPTIONS naming the member, so that a
 * malformed request never turns into a half-filled struct.
 *
 * Copyright 2026 Keyturn developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <json-glib/json-glib.h>

#include "kt-requirement.h"

G_BEGIN_DECLS

gboolean kt_options_json_fail         (GError       **error,
                                       const char    *format,
                                       ...) G_GNUC_PRINTF (2, 3);

JsonObject *kt_options_json_root      (const char    *json,
                                       gssize         length,
                                       GError       **error);

/* Each returns FALSE with @error set when the member has the wrong type, or is missing and
 * @required; a missing optional member leaves *out untouched. */
gboolean kt_options_json_string       (JsonObject    *object,
                                       const char    *where,
                                       const char    *member,
                                       gboolean       required,
                                       const char   **out,
                                       GError       **error);
gboolean kt_options_json_base64url    (JsonObject    *object,
                                       const char    *where,
                                       const char    *member,
                                       gboolean       required,
                                       GBytes       **out,
                                       GError       **error);
gboolean kt_options_json_object       (JsonObject    *object,
                                       const char    *where,
                                       const char    *member,
                                       gboolean       required,
                                       JsonObject   **out,
                                       GError       **error);
gboolean kt_options_json_array        (JsonObject    *object,
                                       const char    *where,
                                       const char    *member,
                                       gboolean       required,
                                       JsonArray    **out,
                                       GError       **error);
gboolean kt_options_json_boolean      (JsonObject    *object,
                                       const char    *where,
                                       const char    *member,
                                       gboolean      *out,
                                       GError       **error);
gboolean kt_options_json_timeout      (JsonObject    *object,
                                       const char    *member,
                                       guint         *out,
                                       GError       **error);
gboolean kt_options_json_requirement  (JsonObject    *object,
                                       const char    *where,
                                       const char    *member,
                                       KtRequirement *out,
                                       GError       **error);

/* A list of PublicKeyCredentialDescriptor: the ids (GBytes) of those of type "public-key". */
gboolean kt_options_json_descriptors  (JsonObject    *object,
                                       const char    *member,
                                       GPtrArray    **out,
                                       GError       **error);

G_END_DECLS
