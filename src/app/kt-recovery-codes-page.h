/* kt-recovery-codes-page.h: the recovery codes, shown until the person has kept them
 *
 * Copyright 2026 Keyturn developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "kt-flow-page.h"

G_BEGIN_DECLS

#define KT_TYPE_RECOVERY_CODES_PAGE (kt_recovery_codes_page_get_type ())

G_DECLARE_FINAL_TYPE (KtRecoveryCodesPage, kt_recovery_codes_page, KT, RECOVERY_CODES_PAGE,
                      KtFlowPage)

G_END_DECLS
