/* ks-webauthn.c: placeholder until the checks land
 *
 * Copyright 2026 Keyturn developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "ks-webauthn.h"

G_DEFINE_QUARK (ks-webauthn-error-quark, ks_webauthn_error)
