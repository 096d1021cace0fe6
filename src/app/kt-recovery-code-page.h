/* kt-recovery-code-page.h: proving the second factor with a recovery code
 *
 * Copyright 2026 Keyturn developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "kt-flow-page.h"

G_BEGIN_DECLS

#define KT_TYPE_RECOVERY_CODE_PAGE (kt_recovery_code_page_get_type ())

G_DECLARE_FINAL_TYPE (KtRecoveryCodePage, kt_recovery_code_page, KT, RECOVERY_CODE_PAGE,
                      KtFlowPage)

G_END_DECLS
