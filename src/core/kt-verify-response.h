/* kt-verify-response.h: what every sign-in or MFA step answers (Dynamic's VerifyResponse)
 *
 * It carries secrets: the tokens are wiped from memory when the object goes away, and nothing
 * here prints them.
 *
 * Copyright 2026 Keyturn developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <json-glib/json-glib.h>

#include "kt-user.h"

G_BEGIN_DECLS

#define KT_TYPE_VERIFY_RESPONSE (kt_verify_response_get_type ())

G_DECLARE_FINAL_TYPE (KtVerifyResponse, kt_verify_response, KT, VERIFY_RESPONSE, GObject)

KtUser           *kt_verify_response_get_user          (KtVerifyResponse  *self);
const char       *kt_verify_response_get_access_token  (KtVerifyResponse  *self);
const char       *kt_verify_response_get_id_token      (KtVerifyResponse  *self);
const char       *kt_verify_response_get_mfa_token     (KtVerifyResponse  *self);
const char       *kt_verify_response_get_elevated_access_token (KtVerifyResponse *self);
gint64            kt_verify_response_get_expires_at    (KtVerifyResponse  *self);
const char       *kt_verify_response_get_next_view     (KtVerifyResponse  *self);

G_END_DECLS
