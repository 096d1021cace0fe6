/* kt-session-store.h: the signed-in session, kept in the Secret Service and nowhere else
 *
 * One session per (API base URL, environment id): signing in as another user replaces it.
 * The secret is a small JSON document with the tokens; the item's attributes say whose it is
 * and never hold a token.
 *
 * Copyright 2026 Keyturn developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

typedef struct {
  char   *user_id;
  char   *access_token;
  char   *id_token;
  gint64  expires_at;   /* unix seconds; 0 when the server did not say */
} KtStoredSession;

KtStoredSession *kt_stored_session_new   (const char      *user_id,
                                          const char      *access_token,
                                          const char      *id_token,
                                          gint64           expires_at);
void             kt_stored_session_free  (KtStoredSession *session);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (KtStoredSession, kt_stored_session_free)

#define KT_SESSION_STORE_ERROR (kt_session_store_error_quark ())

typedef enum {
  KT_SESSION_STORE_ERROR_UNAVAILABLE,   /* no Secret Service on this session bus */
  KT_SESSION_STORE_ERROR_LOCKED,        /* the keyring is locked and was not unlocked */
  KT_SESSION_STORE_ERROR_FAILED,        /* anything else the Secret Service reported */
  KT_SESSION_STORE_ERROR_CORRUPT,       /* a stored item Keyturn cannot read (it is removed) */
} KtSessionStoreError;

GQuark           kt_session_store_error_quark (void);

#define KT_TYPE_SESSION_STORE (kt_session_store_get_type ())

G_DECLARE_FINAL_TYPE (KtSessionStore, kt_session_store, KT, SESSION_STORE, GObject)

KtSessionStore  *kt_session_store_new          (const char           *base_url,
                                                const char           *environment_id);

void             kt_session_store_save_async   (KtSessionStore       *self,
                                                const KtStoredSession *session,
                                                const char           *label_detail,
                                                GCancellable         *cancellable,
                                                GAsyncReadyCallback   callback,
                                                gpointer              user_data);
gboolean         kt_session_store_save_finish  (KtSessionStore       *self,
                                                GAsyncResult         *result,
                                                GError              **error);

/* Finishes with NULL and no error when nothing is stored. */
void             kt_session_store_load_async   (KtSessionStore       *self,
                                                GCancellable         *cancellable,
                                                GAsyncReadyCallback   callback,
                                                gpointer              user_data);
KtStoredSession *kt_session_store_load_finish  (KtSessionStore       *self,
                                                GAsyncResult         *result,
                                                GError              **error);

void             kt_session_store_clear_async  (KtSessionStore       *self,
                                                GCancellable         *cancellable,
                                                GAsyncReadyCallback   callback,
                                                gpointer              user_data);
gboolean         kt_session_store_clear_finish (KtSessionStore       *self,
                                                GAsyncResult         *result,
                                                GError              **error);

G_END_DECLS
