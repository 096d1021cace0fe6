/* kt-user.h: a Dynamic SdkUser, as far as the sign-in flow reads it
 *
 * Copyright 2026 Keyturn developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

typedef enum {
  KT_RECOVERY_ACKNOWLEDGEMENT_UNKNOWN,   /* the field is absent or null */
  KT_RECOVERY_ACKNOWLEDGEMENT_PENDING,
  KT_RECOVERY_ACKNOWLEDGEMENT_COMPLETE,
} KtRecoveryAcknowledgement;

#define KT_TYPE_USER (kt_user_get_type ())

G_DECLARE_FINAL_TYPE (KtUser, kt_user, KT, USER, GObject)

const char                *kt_user_get_id                     (KtUser      *self);
const char                *kt_user_get_environment_id         (KtUser      *self);
const char                *kt_user_get_email                  (KtUser      *self);
const char                *kt_user_get_alias                  (KtUser      *self);
const char * const        *kt_user_get_scopes                 (KtUser      *self);
gboolean                   kt_user_has_scope                  (KtUser      *self,
                                                               const char  *scope);
gboolean                   kt_user_requires_additional_auth   (KtUser      *self);
KtRecoveryAcknowledgement  kt_user_get_recovery_acknowledgement (KtUser    *self);
gboolean                   kt_user_is_new_user                (KtUser      *self);
const char                *kt_user_get_session_id             (KtUser      *self);

G_END_DECLS
