/* kt-token-scope.h: the step-up scopes another application may ask for, and what each allows
 *
 * The scopes are sdk-api-core's TokenScope values that a passkey account has use for. The
 * sandbox keeps the same list (known_scopes in src/sandbox/ks-api-step-up.c), which it does not
 * share with core: the two must agree, and tests/core/test-token-scope.c checks that they do.
 *
 * Copyright 2026 Keyturn developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Whether @scope (may be NULL) is one of the scopes below. */
gboolean            kt_token_scope_is_known    (const char *scope);
/* What a prompt says the application will be allowed to do with @scope, translated and
 * capitalized as a sentence without a full stop ("Delete your account"); NULL when @scope is
 * not known. */
const char         *kt_token_scope_describe    (const char *scope);
/* Every known scope, NULL-terminated, in a fixed order. */
const char * const *kt_token_scope_list_known  (void);

G_END_DECLS
