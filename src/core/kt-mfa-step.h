/* kt-mfa-step.h: the steps of Dynamic's passkey sign-in, and the rule that picks the next one
 *
 * Copyright 2026 Keyturn developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib-object.h>

#include "kt-user.h"

G_BEGIN_DECLS

/**
 * KtMfaStep:
 * @KT_MFA_STEP_STARTING: looking in the keyring for a session kept from before
 * @KT_MFA_STEP_SIGNED_OUT: ask for an email address
 * @KT_MFA_STEP_CODE_SENT: a code went to that address; ask for it
 * @KT_MFA_STEP_REGISTER_PASSKEY: the user has no passkey yet; register a security key
 * @KT_MFA_STEP_AUTHENTICATE_PASSKEY: prove the second factor with a registered key
 * @KT_MFA_STEP_USE_RECOVERY_CODE: prove it with a recovery code instead
 * @KT_MFA_STEP_RECOVERY_CODES: show the recovery codes until the user acknowledges them
 * @KT_MFA_STEP_SIGNED_IN: done; the account and its passkeys
 */
typedef enum {
  KT_MFA_STEP_STARTING,
  KT_MFA_STEP_SIGNED_OUT,
  KT_MFA_STEP_CODE_SENT,
  KT_MFA_STEP_REGISTER_PASSKEY,
  KT_MFA_STEP_AUTHENTICATE_PASSKEY,
  KT_MFA_STEP_USE_RECOVERY_CODE,
  KT_MFA_STEP_RECOVERY_CODES,
  KT_MFA_STEP_SIGNED_IN,
} KtMfaStep;

GType     kt_mfa_step_get_type (void) G_GNUC_CONST;
#define KT_TYPE_MFA_STEP (kt_mfa_step_get_type ())

/* Dynamic's own decision (useSyncMfaFlow), from the user alone and whether they have a passkey:
 * MFA pending -> register (no passkey) or authenticate; else codes not yet acknowledged ->
 * recovery codes; else signed in. */
KtMfaStep kt_mfa_step_for_user (KtUser   *user,
                                gboolean  has_passkey);

/* Whether the step can only be decided after asking the server for the user's passkeys. */
gboolean  kt_mfa_step_needs_passkeys (KtUser *user);

G_END_DECLS
