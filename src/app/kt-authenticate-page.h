/* kt-authenticate-page.h: proving the second factor with a registered security key
 *
 * Copyright 2026 Keyturn developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "kt-flow-page.h"

G_BEGIN_DECLS

#define KT_TYPE_AUTHENTICATE_PAGE (kt_authenticate_page_get_type ())

G_DECLARE_FINAL_TYPE (KtAuthenticatePage, kt_authenticate_page, KT, AUTHENTICATE_PAGE, KtFlowPage)

G_END_DECLS
