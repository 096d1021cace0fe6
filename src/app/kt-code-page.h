/* kt-code-page.h: the six-digit code sent by email
 *
 * Copyright 2026 Keyturn developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "kt-flow-page.h"

G_BEGIN_DECLS

#define KT_TYPE_CODE_PAGE (kt_code_page_get_type ())

G_DECLARE_FINAL_TYPE (KtCodePage, kt_code_page, KT, CODE_PAGE, KtFlowPage)

G_END_DECLS
