/* kt-mfa-step.c
 *
 * Copyright 2026 Keyturn developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "kt-mfa-step.h"

G_DEFINE_ENUM_TYPE (KtMfaStep, kt_mfa_step,
  G_DEFINE_ENUM_VALUE (KT_MFA_STEP_STARTING, "starting"),
  G_DEFINE_ENUM_VALUE (KT_MFA_STEP_SIGNED_OUT, "signed-out"),
  G_DEFINE_ENUM_VALUE (KT_MFA_STEP_CODE_SENT, "code-sent"),
  G_DEFINE_ENUM_VALUE (KT_MFA_STEP_REGISTER_PASSKEY, "register-passkey"),
  G_DEFINE_ENUM_VALUE (KT_MFA_STEP_AUTHENTICATE_PASSKEY, "authenticate-passkey"),
  G_DEFINE_ENUM_VALUE (KT_MFA_STEP_USE_RECOVERY_CODE, "use-recovery-code"),
  G_DEFINE_ENUM_VALUE (KT_MFA_STEP_RECOVERY_CODES, "recovery-codes"),
  G_DEFINE_ENUM_VALUE (KT_MFA_STEP_SIGNED_IN, "signed-in"))

gboolean
kt_mfa_step_needs_passkeys (KtUser *user)
{
  return kt_user_requires_additional_auth (user);
}

KtMfaStep
kt_mfa_step_for_user (KtUser   *user,
                      gboolean  has_passkey)
{
  g_return_val_if_fail (KT_IS_USER (user), KT_MFA_STEP_SIGNED_OUT);

  if (kt_user_requires_additional_auth (user))
    return has_passkey ? KT_MFA_STEP_AUTHENTICATE_PASSKEY : KT_MFA_STEP_REGISTER_PASSKEY;
  if (kt_user_get_recovery_acknowledgement (user) == KT_RECOVERY_ACKNOWLEDGEMENT_PENDING)
    return KT_MFA_STEP_RECOVERY_CODES;
  return KT_MFA_STEP_SIGNED_IN;
}
