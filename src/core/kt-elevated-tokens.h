/* kt-elevated-tokens.h: the elevated access tokens a step-up earned, held in memory only
 *
 * Since Dynamic's API version 2026_04_01 a sensitive action needs a short-lived token bound to
 * a scope ("credential:unlink", ...), sent as x-dyn-elevated-access-token beside the access
 * token. One token is kept per set of scopes, as Dynamic's own client does: a time-bound one
 * serves until its exp, a single-use one is dropped as it is handed out for sending. Nothing
 * here writes a token anywhere, and a dropped token's bytes are wiped.
 *
 * Copyright 2026 Keyturn developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

/* The scopes Keyturn asks for (sdk-api-core's TokenScope). */
#define KT_SCOPE_CREDENTIAL_LINK   "credential:link"
#define KT_SCOPE_CREDENTIAL_UNLINK "credential:unlink"

#define KT_TYPE_ELEVATED_TOKENS (kt_elevated_tokens_get_type ())

G_DECLARE_FINAL_TYPE (KtElevatedTokens, kt_elevated_tokens, KT, ELEVATED_TOKENS, GObject)

KtElevatedTokens *kt_elevated_tokens_new   (void);

/* Keeps @token, replacing one held for the same scopes. FALSE (and nothing kept) when its claims
 * name no scope or no exp, or it has expired: Dynamic's client refuses such tokens too. */
gboolean          kt_elevated_tokens_add   (KtElevatedTokens *self,
                                            const char       *token,
                                            gint64            now);
/* Whether a live token covers @scope, without using it up. */
gboolean          kt_elevated_tokens_has   (KtElevatedTokens *self,
                                            const char       *scope,
                                            gint64            now);
/* A copy of the live token covering @scope for a request (free it with kt_secret_free()), or
 * NULL; a single-use token is dropped here, as it is spent once sent. */
char             *kt_elevated_tokens_use   (KtElevatedTokens *self,
                                            const char       *scope,
                                            gint64            now);
/* Drops every token (signing out, or the session gone). */
void              kt_elevated_tokens_clear (KtElevatedTokens *self);
guint             kt_elevated_tokens_count (KtElevatedTokens *self);

/* The exp claim (unix seconds) of @token when it is a JWT that has one, such as an elevated
 * access token; 0 otherwise (the legacy MFA token may be opaque). Nothing is kept. */
gint64            kt_elevated_tokens_read_expiry (const char *token);

G_END_DECLS
