/* kt-register-page.h: registering a security key as the account's passkey
 *
 * Copyright 2026 Keyturn developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "kt-flow-page.h"

G_BEGIN_DECLS

#define KT_TYPE_REGISTER_PAGE (kt_register_page_get_type ())

G_DECLARE_FINAL_TYPE (KtRegisterPage, kt_register_page, KT, REGISTER_PAGE, KtFlowPage)

G_END_DECLS
