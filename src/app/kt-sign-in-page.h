/* kt-sign-in-page.h: the first step: the person's email address
 *
 * Copyright 2026 Keyturn developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "kt-flow-page.h"

G_BEGIN_DECLS

#define KT_TYPE_SIGN_IN_PAGE (kt_sign_in_page_get_type ())

G_DECLARE_FINAL_TYPE (KtSignInPage, kt_sign_in_page, KT, SIGN_IN_PAGE, KtFlowPage)

G_END_DECLS
