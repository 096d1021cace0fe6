/* kt-request-options.h: PublicKeyCredentialRequestOptions, as GET
 * /users/passkeys/authenticate sends them (API.md, "Request options")
 *
 * Copyright 2026 Keyturn developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <json-glib/json-glib.h>

#include "kt-requirement.h"

G_BEGIN_DECLS

#define KT_TYPE_REQUEST_OPTIONS (kt_request_options_get_type ())

typedef struct {
  GBytes        *challenge;
  char          *rp_id;              /* NULL: the origin's host */
  guint          timeout_ms;         /* 0: none given */
  KtRequirement  user_verification;
  GPtrArray     *allow_credentials;  /* GBytes, the credential ids */
} KtRequestOptions;

GType             kt_request_options_get_type       (void) G_GNUC_CONST;

KtRequestOptions *kt_request_options_new_from_json  (JsonObject             *object,
                                                     GError                **error);
KtRequestOptions *kt_request_options_new_from_data  (const char             *json,
                                                     gssize                  length,
                                                     GError                **error);
KtRequestOptions *kt_request_options_copy           (const KtRequestOptions *self);
void              kt_request_options_free           (KtRequestOptions       *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (KtRequestOptions, kt_request_options_free)

G_END_DECLS
