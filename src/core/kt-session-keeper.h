/* kt-session-keeper.h: the signed-in session's tokens, kept fresh and kept in the keyring
 *
 * The keeper holds what a successful step earns: it gives the access token to the API client,
 * renews it before it expires, keeps the single-use MFA token until it is spent, and brings the
 * keyring up to date one write at a time. It knows nothing of the sign-in flow: the MFA
 * controller tells it what happened, and hears back through its properties and ::refreshed.
 *
 * Copyright 2026 Keyturn developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

#include "kt-api-client.h"
#include "kt-session-store.h"
#include "kt-verify-response.h"

G_BEGIN_DECLS

#define KT_TYPE_SESSION_KEEPER (kt_session_keeper_get_type ())

G_DECLARE_FINAL_TYPE (KtSessionKeeper, kt_session_keeper, KT, SESSION_KEEPER, GObject)

KtSessionKeeper *kt_session_keeper_new          (KtApiClient      *api,
                                                 KtSessionStore   *store);

gboolean     kt_session_keeper_get_remembered   (KtSessionKeeper  *self);
const char  *kt_session_keeper_get_not_remembered_reason (KtSessionKeeper *self);
gboolean     kt_session_keeper_get_saving       (KtSessionKeeper  *self);
gboolean     kt_session_keeper_get_has_mfa_token (KtSessionKeeper *self);
gboolean     kt_session_keeper_get_working      (KtSessionKeeper  *self);
/* When the access token in use expires (unix seconds), or 0 when that is not known. */
gint64       kt_session_keeper_get_expires_at   (KtSessionKeeper  *self);

/* What the keyring item is called when the server's user has no email: the address the person
 * signed in with. */
void         kt_session_keeper_set_label        (KtSessionKeeper  *self,
                                                 const char       *label);

/* Takes the tokens of a successful step: the MFA token or the elevated access token when there
 * is one (for the API client, in memory only); the access token for
 * the API client, the keyring and the refresh timer when there is one. */
void         kt_session_keeper_apply            (KtSessionKeeper  *self,
                                                 KtVerifyResponse *response);
/* Takes only the session's part of a successful step, the access token, as
 * kt_session_keeper_apply() does; the MFA token or elevated access token the step earned is
 * left to the caller, who hands it on and keeps nothing. */
void         kt_session_keeper_apply_session    (KtSessionKeeper  *self,
                                                 KtVerifyResponse *response);

/* Reads the session kept in the keyring: NULL and no error when there is none, or when the
 * keyring could not be read (then remembered is FALSE, with the reason). */
void         kt_session_keeper_load_async       (KtSessionKeeper  *self,
                                                 GCancellable     *cancellable,
                                                 GAsyncReadyCallback callback,
                                                 gpointer          user_data);
KtStoredSession *kt_session_keeper_load_finish  (KtSessionKeeper  *self,
                                                 GAsyncResult     *result,
                                                 GError          **error);

/* Uses @session, read back from the keyring, for the API client; not refreshed until
 * kt_session_keeper_schedule_refresh(), once the server has taken it. */
void         kt_session_keeper_resume           (KtSessionKeeper  *self,
                                                 const KtStoredSession *session);
/* Plans the renewal of the access token before it expires. */
void         kt_session_keeper_schedule_refresh (KtSessionKeeper  *self);
/* Stops using the resumed session while the server is out of reach; the keyring keeps it. */
void         kt_session_keeper_set_aside        (KtSessionKeeper  *self);
/* Forgets every token, here, in the API client and in the keyring. */
void         kt_session_keeper_drop             (KtSessionKeeper  *self);

/* Drops the MFA token, spent or no longer wanted. */
void         kt_session_keeper_clear_mfa_token  (KtSessionKeeper  *self);
/* Takes the MFA token; NULL when there is none. */
char        *kt_session_keeper_take_mfa_token   (KtSessionKeeper  *self);

/* Stops the background work: the refresh and any keyring write on its way. Its owner calls this
 * when it goes, since the work in flight holds the keeper. */
void         kt_session_keeper_stop             (KtSessionKeeper  *self);

G_END_DECLS
