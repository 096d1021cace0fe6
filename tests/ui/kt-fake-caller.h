/* kt-fake-caller.h: a fake KtCaller for the prompt tests, named as the test says
 *
 * Copyright 2026 Keyturn developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "kt-caller.h"

G_BEGIN_DECLS

KtCaller *kt_fake_caller_new (KtCallerKind  kind,
                              const char   *name,
                              const char   *detail);

G_END_DECLS
