/* kt-options-json-private.h: what reading WebAuthn options JSON adds to the readers of
 * kt-json-private.h: base64url members, the timeout, requirement levels and credential lists
 *
 * Every error is KT_WEBAUTHN_ERROR_INVALID_OPTIONS naming the member, so that a malformed
 * request never turns into a half-filled struct.
 *
 * Copyright 2026 Keyturn developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <json-glib/json-glib.h>

#include "kt-json-private.h"
#include "kt-requirement.h"

G_BEGIN_DECLS

/* Builds options from their JSON object; NULL with an error when it cannot. */
typedef gpointer (*KtOptionsFunc) (JsonObject  *object,
                                   GError     **error);

/* Options from @json, which must be one JSON object, built by @new_from_json. */
gpointer    kt_options_json_parse         (const char          *json,
                                           gssize               length,
                                           KtOptionsFunc        new_from_json,
                                           GError             **error);

/* A reader of options whose errors are KT_WEBAUTHN_ERROR_INVALID_OPTIONS. */
void        kt_options_json_reader_init   (KtJsonReader        *reader,
                                           JsonObject          *object);

gboolean    kt_options_json_base64url     (const KtJsonReader  *reader,
                                           const char          *member,
                                           KtJsonPresence       presence,
                                           GBytes             **out,
                                           GError             **error);
/* Milliseconds, kept within a guint; an absent member leaves *out untouched. */
gboolean    kt_options_json_timeout       (const KtJsonReader  *reader,
                                           const char          *member,
                                           guint               *out,
                                           GError             **error);
/* An unknown level leaves *out untouched, as WebAuthn asks. */
gboolean    kt_options_json_requirement   (const KtJsonReader  *reader,
                                           const char          *member,
                                           KtRequirement       *out,
                                           GError             **error);

/* A list of PublicKeyCredentialDescriptor: the ids (GBytes) of those of type "public-key". */
gboolean    kt_options_json_descriptors   (const KtJsonReader  *reader,
                                           const char          *member,
                                           GPtrArray          **out,
                                           GError             **error);
/* A copy of such a list, holding the same ids. */
GPtrArray  *kt_options_json_copy_ids      (GPtrArray           *ids);

G_END_DECLS
