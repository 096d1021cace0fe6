/* kt-flow-status.h: the foot of every page: what is under way, and what went wrong last
 *
 * Copyright 2026 Keyturn developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "kt-flow-page.h"

G_BEGIN_DECLS

#define KT_TYPE_FLOW_STATUS (kt_flow_status_get_type ())

G_DECLARE_FINAL_TYPE (KtFlowStatus, kt_flow_status, KT, FLOW_STATUS, KtFlowPage)

G_END_DECLS
