/* ks-recovery.h: MFA recovery codes: how they look, how a typed one is read, how one is found
 *
 * Copyright 2026 Keyturn developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

#include "ks-secret.h"

G_BEGIN_DECLS

#define KS_RECOVERY_CODE_COUNT   10

/* A new code, shown as "xxxxx-xxxxx" from an alphabet with no look-alike characters. */
char     *ks_recovery_code_generate   (void);
/* What a person typed, lower-cased with spaces and dashes gone; NULL if it cannot be a code. */
char     *ks_recovery_code_normalize  (const char  *typed);
/* The context a code is sealed under: it binds the box to its user and place. */
char     *ks_recovery_code_context    (const char  *user_id,
                                       gint         position);
/* Looks for @typed among @codes (KsRecoveryCode, sealed); every unspent code is compared, in
 * constant time, whether or not an earlier one matched. Answers the position or -1. */
gint      ks_recovery_code_find       (KsSecret    *secret,
                                       const char  *user_id,
                                       GPtrArray   *codes,
                                       const char  *typed);

G_END_DECLS
