/* kt-requirement.h: WebAuthn's requirement levels, as the options JSON names them
 *
 * Copyright 2026 Keyturn developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* userVerification and residentKey share these three levels (WebAuthn §5.4.6, §5.8.6). */
typedef enum {
  KT_REQUIREMENT_DISCOURAGED,
  KT_REQUIREMENT_PREFERRED,
  KT_REQUIREMENT_REQUIRED,
} KtRequirement;

G_END_DECLS
