/* kt-key-status.h: what the security key needs from the person now, in words and a picture
 *
 * Copyright 2026 Keyturn developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "kt-flow-page.h"

G_BEGIN_DECLS

#define KT_TYPE_KEY_STATUS (kt_key_status_get_type ())

G_DECLARE_FINAL_TYPE (KtKeyStatus, kt_key_status, KT, KEY_STATUS, KtFlowPage)

G_END_DECLS
