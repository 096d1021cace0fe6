/* kt-creation-options.h: PublicKeyCredentialCreationOptions, as GET /users/passkeys/register
 * sends them (API.md, "Creation options")
 *
 * Copyright 2026 Keyturn developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <json-glib/json-glib.h>

#include "kt-requirement.h"

G_BEGIN_DECLS

#define KT_TYPE_CREATION_OPTIONS (kt_creation_options_get_type ())

typedef struct {
  GBytes        *challenge;
  char          *rp_id;                /* NULL: the origin's host */
  char          *rp_name;
  GBytes        *user_id;
  char          *user_name;
  char          *user_display_name;
  GArray        *algorithms;           /* gint64 COSE ids of the "public-key" params, in order */
  guint          timeout_ms;           /* 0: none given */
  GPtrArray     *exclude_credentials;  /* GBytes, the credential ids */
  KtRequirement  resident_key;
  KtRequirement  user_verification;
  char          *authenticator_attachment;  /* NULL, "platform" or "cross-platform" */
  char          *attestation;          /* "none" unless the server asked otherwise */
} KtCreationOptions;

GType              kt_creation_options_get_type       (void) G_GNUC_CONST;

KtCreationOptions *kt_creation_options_new_from_json  (JsonObject         *object,
                                                       GError            **error);
KtCreationOptions *kt_creation_options_new_from_data  (const char         *json,
                                                       gssize              length,
                                                       GError            **error);
KtCreationOptions *kt_creation_options_copy           (const KtCreationOptions *self);
void               kt_creation_options_free           (KtCreationOptions  *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (KtCreationOptions, kt_creation_options_free)

G_END_DECLS
