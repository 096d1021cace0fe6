/* kt-secret.h: freeing the strings that hold secrets (tokens, PINs, recovery codes, keys) so
 * that their bytes do not linger in freed memory
 *
 * Copyright 2026 Keyturn developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Overwrites a secret string's bytes before freeing it; NULL is allowed. */
void kt_secret_free (char *secret);

/* A string that holds a secret, for g_autoptr(KtSecret): freed by kt_secret_free(). */
typedef char KtSecret;
G_DEFINE_AUTOPTR_CLEANUP_FUNC (KtSecret, kt_secret_free)

G_END_DECLS
