/* kt-grant-store.h: the apps a person always lets use their sign-in
 *
 * Kept in the desktop's permission store (xdg-desktop-portal's), table "keyturn", resource
 * "sign-in", one entry per allowed app with the permission "yes": `flatpak permissions keyturn`
 * lists them, and a change made there (`flatpak permission-remove`) reaches Keyturn at once.
 * Where no permission store can run, Keyturn's own setting allowed-apps keeps them instead.
 *
 * A caller id is a Flatpak app's id (org.example.Wallet) or, for a program on the host, the
 * absolute path of its executable.
 *
 * Copyright 2026 Keyturn developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define KT_GRANT_STORE_ERROR (kt_grant_store_error_quark ())

typedef enum {
  KT_GRANT_STORE_ERROR_INVALID_CALLER,  /* not an app id nor an absolute path */
  KT_GRANT_STORE_ERROR_NOT_LOADED,      /* kt_grant_store_load_async() has not finished */
  KT_GRANT_STORE_ERROR_UNAVAILABLE,     /* no permission store, and no settings to fall back to */
  KT_GRANT_STORE_ERROR_FAILED,          /* the permission store or the settings refused */
} KtGrantStoreError;

GQuark        kt_grant_store_error_quark (void);

/* The permission store's table and resource, as `flatpak permissions` names them. */
#define KT_GRANT_STORE_TABLE "keyturn"
#define KT_GRANT_STORE_ID    "sign-in"

/* Longer caller ids are refused: no app id is longer than 255 bytes, no path than PATH_MAX. */
#define KT_GRANT_STORE_MAX_CALLER_ID 4096

#define KT_TYPE_GRANT_STORE (kt_grant_store_get_type ())

G_DECLARE_FINAL_TYPE (KtGrantStore, kt_grant_store, KT, GRANT_STORE, GObject)

/* @bus: the session bus, where the permission store is; NULL for the settings only.
 * @settings: Keyturn's settings, for when no permission store runs; NULL for none. */
KtGrantStore *kt_grant_store_new                   (GDBusConnection      *bus,
                                                    GSettings            *settings);

/* Reads the grants into memory and, from the permission store, follows its changes. */
void          kt_grant_store_load_async            (KtGrantStore         *self,
                                                    GCancellable         *cancellable,
                                                    GAsyncReadyCallback   callback,
                                                    gpointer              user_data);
gboolean      kt_grant_store_load_finish           (KtGrantStore         *self,
                                                    GAsyncResult         *result,
                                                    GError              **error);
gboolean      kt_grant_store_get_loaded            (KtGrantStore         *self);
/* FALSE before loading and when the grants are in the settings. */
gboolean      kt_grant_store_uses_permission_store (KtGrantStore         *self);

/* From memory, without a round trip: FALSE before loading and for an invalid id. */
gboolean      kt_grant_store_is_allowed            (KtGrantStore         *self,
                                                    const char           *caller_id);

void          kt_grant_store_allow_async           (KtGrantStore         *self,
                                                    const char           *caller_id,
                                                    GCancellable         *cancellable,
                                                    GAsyncReadyCallback   callback,
                                                    gpointer              user_data);
gboolean      kt_grant_store_allow_finish          (KtGrantStore         *self,
                                                    GAsyncResult         *result,
                                                    GError              **error);
/* Revoking an app that was not allowed succeeds. */
void          kt_grant_store_revoke_async          (KtGrantStore         *self,
                                                    const char           *caller_id,
                                                    GCancellable         *cancellable,
                                                    GAsyncReadyCallback   callback,
                                                    gpointer              user_data);
gboolean      kt_grant_store_revoke_finish         (KtGrantStore         *self,
                                                    GAsyncResult         *result,
                                                    GError              **error);

/* Sorted, NULL-terminated. */
char        **kt_grant_store_dup_allowed           (KtGrantStore         *self);

gboolean      kt_grant_store_validate_caller       (const char           *caller_id,
                                                    GError              **error);
/* The caller as a person reads it: a Flatpak app's name from its desktop file, else its id; a
 * host program's file name. @detail (optional): the id, or the program's full path. */
char         *kt_grant_store_describe_caller       (const char           *caller_id,
                                                    char                **detail);

G_END_DECLS
