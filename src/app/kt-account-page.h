/* kt-account-page.h: who is signed in, their passkeys, and signing out
 *
 * Copyright 2026 Keyturn developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "kt-flow-page.h"

G_BEGIN_DECLS

#define KT_TYPE_ACCOUNT_PAGE (kt_account_page_get_type ())

G_DECLARE_FINAL_TYPE (KtAccountPage, kt_account_page, KT, ACCOUNT_PAGE, KtFlowPage)

G_END_DECLS
