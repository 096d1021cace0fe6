/* kt-session-keeper.c
 *
 * Copyright 2026 Keyturn developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "keyturn-flow"

#include "kt-session-keeper.h"
#include "kt-secret.h"

#include <glib/gi18n-lib.h>

/* Refresh this long before the access token expires. */
#define KT_REFRESH_MARGIN_SECONDS 60

struct _KtSessionKeeper
{
  GObject parent_instance;

  /* Owned */
  KtApiClient *api;
  KtSessionStore *store;
  GCancellable *lifetime;       /* background work: keyring writes, token refresh */
  GCancellable *refreshing;     /* the background refresh on its way, NULL when none */
  char *mfa_token;
  char *label;
  char *not_remembered_reason;
  KtStoredSession *keyring_next;   /* the state the keyring should reach next; NULL: empty */
  char *keyring_next_label;

  /* State */
  gint64 expires_at;
  guint refresh_source;
  guint n_working;              /* keyring writes and refreshes on their way */
  guint remembered : 1;
  guint keyring_busy : 1;       /* a write is on its way */
  guint keyring_saving : 1;     /* that write saves a session, rather than clearing it */
  guint keyring_pending : 1;    /* keyring_next waits for it */
  guint saving : 1;             /* keyring_busy or keyring_pending, as last notified */
};

G_DEFINE_FINAL_TYPE (KtSessionKeeper, kt_session_keeper, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_REMEMBERED,
  PROP_NOT_REMEMBERED_REASON,
  PROP_SAVING,
  PROP_HAS_MFA_TOKEN,
  PROP_WORKING,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

enum {
  REFRESHED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static gboolean on_refresh_due (gpointer user_data);

/* Properties, set only through these so each change notifies once */

static void
set_remembered (KtSessionKeeper *self,
                gboolean         remembered,
                const char      *reason)
{
  if (self->remembered != !!remembered)
    {
      self->remembered = !!remembered;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_REMEMBERED]);
    }
  if (g_strcmp0 (self->not_remembered_reason, reason) != 0)
    {
      g_free (self->not_remembered_reason);
      self->not_remembered_reason = g_strdup (reason);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_NOT_REMEMBERED_REASON]);
    }
}

/* The keyring could not keep the session: say why, in words the person can act on. */
static void
set_not_remembered_because (KtSessionKeeper *self,
                            const GError    *error)
{
  g_autofree char *reason =
    g_strdup_printf (_("Your sign-in will not be remembered after Keyturn closes. %s"),
                     error->message);

  set_remembered (self, FALSE, reason);
}

static void
set_mfa_token (KtSessionKeeper *self,
               const char      *token)
{
  gboolean had = self->mfa_token != NULL;

  kt_secret_free (self->mfa_token);
  self->mfa_token = g_strdup (token);
  kt_api_client_set_mfa_token (self->api, token);
  if (had != (token != NULL))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_HAS_MFA_TOKEN]);
}

/* Work on its way holds the keeper, and shows in the working property so that its owner can
 * stay with it. */

static void
begin_work (KtSessionKeeper *self)
{
  g_object_ref (self);
  if (self->n_working++ == 0)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_WORKING]);
}

/* Last thing in a callback: what it did next has already begun its own work. */
static void
end_work (KtSessionKeeper *self)
{
  g_assert (self->n_working > 0);
  if (--self->n_working == 0)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_WORKING]);
  g_object_unref (self);
}

/* Keyring writes run one at a time, so that a slow save can never land after a newer save or
 * after a sign-out's clear. Only the newest wanted state waits its turn. */

static void write_keyring (KtSessionKeeper *self);

static void
update_saving (KtSessionKeeper *self)
{
  gboolean saving = self->keyring_busy || self->keyring_pending;

  if (self->saving == saving)
    return;
  self->saving = saving;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SAVING]);
}

static void
want_keyring (KtSessionKeeper *self,
              KtStoredSession *session,
              const char      *label)
{
  g_clear_pointer (&self->keyring_next, kt_stored_session_free);
  g_clear_pointer (&self->keyring_next_label, g_free);
  self->keyring_next = session;
  self->keyring_next_label = g_strdup (label);
  self->keyring_pending = TRUE;
  if (!self->keyring_busy)
    write_keyring (self);
  update_saving (self);
}

static void
finish_keyring_write (KtSessionKeeper *self,
                      gboolean         saving,
                      const GError    *error)
{
  self->keyring_busy = FALSE;
  update_saving (self);

  if (error != NULL && g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;

  /* A newer state is wanted already: what this write did is about to change. */
  if (self->keyring_pending)
    {
      write_keyring (self);
      update_saving (self);
      return;
    }

  if (!saving)
    {
      if (error != NULL)
        g_message ("Could not remove the session from the keyring: %s", error->message);
      return;
    }

  if (error == NULL)
    set_remembered (self, TRUE, NULL);
  else
    {
      g_message ("Session not kept in the keyring: %s", error->message);
      set_not_remembered_because (self, error);
    }
}

static void
on_keyring_written (GObject      *source,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  KtSessionKeeper *self = user_data;
  g_autoptr(GError) error = NULL;
  gboolean saving = self->keyring_saving;

  if (saving)
    kt_session_store_save_finish (KT_SESSION_STORE (source), result, &error);
  else
    kt_session_store_clear_finish (KT_SESSION_STORE (source), result, &error);
  finish_keyring_write (self, saving, error);
  end_work (self);
}

static void
write_keyring (KtSessionKeeper *self)
{
  g_autoptr(KtStoredSession) session = g_steal_pointer (&self->keyring_next);
  g_autofree char *label = g_steal_pointer (&self->keyring_next_label);

  self->keyring_pending = FALSE;
  self->keyring_busy = TRUE;
  self->keyring_saving = session != NULL;
  begin_work (self);
  if (session != NULL)
    kt_session_store_save_async (self->store, session, label, self->lifetime, on_keyring_written,
                                 self);
  else
    kt_session_store_clear_async (self->store, self->lifetime, on_keyring_written, self);
}

/* Token refresh */

static void
apply_refresh (KtSessionKeeper  *self,
               KtVerifyResponse *response,
               const GError     *error)
{
  gint64 remaining;

  /* Cancelled: the session it was for is gone (signed out), or the keeper is. */
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  g_clear_object (&self->refreshing);

  if (response != NULL)
    {
      kt_session_keeper_apply (self, response);
      g_signal_emit (self, signals[REFRESHED], 0, kt_verify_response_get_user (response));
    }
  else if (!g_error_matches (error, KT_API_ERROR, KT_API_ERROR_UNAUTHORIZED))
    {
      /* Try again shortly, while the token is still good. */
      g_message ("Could not refresh the session: %s", error->message);
      remaining = self->expires_at - g_get_real_time () / G_USEC_PER_SEC;
      g_clear_handle_id (&self->refresh_source, g_source_remove);
      self->refresh_source = g_timeout_add_seconds ((guint) CLAMP (remaining / 2, 1, 30),
                                                    on_refresh_due, self);
    }
}

static void
on_refreshed (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  KtSessionKeeper *self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(KtVerifyResponse) response =
    kt_api_client_refresh_finish (KT_API_CLIENT (source), result, &error);

  apply_refresh (self, response, error);
  end_work (self);
}

/* The refresh on its way, if any, is of no use now. */
static void
cancel_refresh (KtSessionKeeper *self)
{
  if (self->refreshing != NULL)
    g_cancellable_cancel (self->refreshing);
  g_clear_object (&self->refreshing);
}

static gboolean
on_refresh_due (gpointer user_data)
{
  KtSessionKeeper *self = user_data;

  self->refresh_source = 0;
  cancel_refresh (self);
  self->refreshing = g_cancellable_new ();
  begin_work (self);
  kt_api_client_refresh_async (self->api, self->refreshing, on_refreshed, self);
  return G_SOURCE_REMOVE;
}

/* Keyring reads */

static void
on_session_loaded (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  KtSessionKeeper *self = g_task_get_source_object (task);
  g_autoptr(GError) error = NULL;
  KtStoredSession *session = kt_session_store_load_finish (KT_SESSION_STORE (source), result,
                                                           &error);

  if (session != NULL)
    {
      g_task_return_pointer (task, session, (GDestroyNotify) kt_stored_session_free);
      return;
    }

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  /* The store removed the unreadable item: later sign-ins are kept as usual. */
  if (g_error_matches (error, KT_SESSION_STORE_ERROR, KT_SESSION_STORE_ERROR_CORRUPT))
    g_message ("%s", error->message);
  else if (error != NULL)
    set_not_remembered_because (self, error);
  g_task_return_pointer (task, NULL, NULL);
}

/* GObject */

static void
kt_session_keeper_dispose (GObject *object)
{
  kt_session_keeper_stop (KT_SESSION_KEEPER (object));

  G_OBJECT_CLASS (kt_session_keeper_parent_class)->dispose (object);
}

static void
kt_session_keeper_finalize (GObject *object)
{
  KtSessionKeeper *self = (KtSessionKeeper *) object;

  g_clear_object (&self->api);
  g_clear_object (&self->store);
  g_clear_object (&self->lifetime);
  g_clear_object (&self->refreshing);
  kt_secret_free (self->mfa_token);
  g_free (self->label);
  g_free (self->not_remembered_reason);
  kt_stored_session_free (self->keyring_next);
  g_free (self->keyring_next_label);

  G_OBJECT_CLASS (kt_session_keeper_parent_class)->finalize (object);
}

static void
kt_session_keeper_get_property (GObject    *object,
                                guint       prop_id,
                                GValue     *value,
                                GParamSpec *pspec)
{
  KtSessionKeeper *self = KT_SESSION_KEEPER (object);

  switch (prop_id)
    {
    case PROP_REMEMBERED:
      g_value_set_boolean (value, self->remembered);
      break;
    case PROP_NOT_REMEMBERED_REASON:
      g_value_set_string (value, self->not_remembered_reason);
      break;
    case PROP_SAVING:
      g_value_set_boolean (value, self->saving);
      break;
    case PROP_HAS_MFA_TOKEN:
      g_value_set_boolean (value, self->mfa_token != NULL);
      break;
    case PROP_WORKING:
      g_value_set_boolean (value, self->n_working > 0);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
kt_session_keeper_class_init (KtSessionKeeperClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  const GParamFlags flags = G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS;

  object_class->dispose = kt_session_keeper_dispose;
  object_class->finalize = kt_session_keeper_finalize;
  object_class->get_property = kt_session_keeper_get_property;

  properties[PROP_REMEMBERED] = g_param_spec_boolean ("remembered", NULL, NULL, FALSE, flags);
  properties[PROP_NOT_REMEMBERED_REASON] =
    g_param_spec_string ("not-remembered-reason", NULL, NULL, NULL, flags);
  /**
   * KtSessionKeeper:saving:
   *
   * The keyring is being brought up to date with the session; kt_session_keeper_stop() would
   * cancel that.
   */
  properties[PROP_SAVING] = g_param_spec_boolean ("saving", NULL, NULL, FALSE, flags);
  properties[PROP_HAS_MFA_TOKEN] =
    g_param_spec_boolean ("has-mfa-token", NULL, NULL, FALSE, flags);
  /**
   * KtSessionKeeper:working:
   *
   * A keyring write or a token refresh is on its way. An owner that stays alive while this is
   * %TRUE lets the work finish, rather than have kt_session_keeper_stop() cancel it.
   */
  properties[PROP_WORKING] = g_param_spec_boolean ("working", NULL, NULL, FALSE, flags);

  g_object_class_install_properties (object_class, N_PROPS, properties);

  /**
   * KtSessionKeeper::refreshed:
   * @user: the user, as the server sees them now
   *
   * The background refresh renewed the tokens.
   */
  signals[REFRESHED] = g_signal_new ("refreshed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                     0, NULL, NULL, NULL, G_TYPE_NONE, 1, KT_TYPE_USER);
}

static void
kt_session_keeper_init (KtSessionKeeper *self)
{
  self->lifetime = g_cancellable_new ();
}

/* Public */

KtSessionKeeper *
kt_session_keeper_new (KtApiClient    *api,
                       KtSessionStore *store)
{
  KtSessionKeeper *self;

  g_return_val_if_fail (KT_IS_API_CLIENT (api), NULL);
  g_return_val_if_fail (KT_IS_SESSION_STORE (store), NULL);

  self = g_object_new (KT_TYPE_SESSION_KEEPER, NULL);
  self->api = g_object_ref (api);
  self->store = g_object_ref (store);
  return self;
}

gboolean
kt_session_keeper_get_remembered (KtSessionKeeper *self)
{
  g_return_val_if_fail (KT_IS_SESSION_KEEPER (self), FALSE);
  return self->remembered;
}

const char *
kt_session_keeper_get_not_remembered_reason (KtSessionKeeper *self)
{
  g_return_val_if_fail (KT_IS_SESSION_KEEPER (self), NULL);
  return self->not_remembered_reason;
}

gboolean
kt_session_keeper_get_saving (KtSessionKeeper *self)
{
  g_return_val_if_fail (KT_IS_SESSION_KEEPER (self), FALSE);
  return self->saving;
}

gboolean
kt_session_keeper_get_has_mfa_token (KtSessionKeeper *self)
{
  g_return_val_if_fail (KT_IS_SESSION_KEEPER (self), FALSE);
  return self->mfa_token != NULL;
}

gboolean
kt_session_keeper_get_working (KtSessionKeeper *self)
{
  g_return_val_if_fail (KT_IS_SESSION_KEEPER (self), FALSE);
  return self->n_working > 0;
}

gint64
kt_session_keeper_get_expires_at (KtSessionKeeper *self)
{
  g_return_val_if_fail (KT_IS_SESSION_KEEPER (self), 0);
  return self->expires_at;
}

void
kt_session_keeper_set_label (KtSessionKeeper *self,
                             const char      *label)
{
  g_return_if_fail (KT_IS_SESSION_KEEPER (self));

  g_free (self->label);
  self->label = g_strdup (label);
}

void
kt_session_keeper_apply (KtSessionKeeper  *self,
                         KtVerifyResponse *response)
{
  g_return_if_fail (KT_IS_SESSION_KEEPER (self));

  if (kt_verify_response_get_mfa_token (response) != NULL)
    set_mfa_token (self, kt_verify_response_get_mfa_token (response));
  if (kt_verify_response_get_elevated_access_token (response) != NULL &&
      !kt_api_client_add_elevated_token (self->api,
                                         kt_verify_response_get_elevated_access_token (response)))
    g_message ("The server's elevated access token names no scope or has expired; not kept");

  kt_session_keeper_apply_session (self, response);
}

void
kt_session_keeper_apply_session (KtSessionKeeper  *self,
                                 KtVerifyResponse *response)
{
  const char *access_token = kt_verify_response_get_access_token (response);
  KtUser *user = kt_verify_response_get_user (response);

  g_return_if_fail (KT_IS_SESSION_KEEPER (self));

  if (access_token == NULL)
    return;

  kt_api_client_set_access_token (self->api, access_token);
  self->expires_at = kt_verify_response_get_expires_at (response);
  kt_session_keeper_schedule_refresh (self);

  want_keyring (self,
                kt_stored_session_new (kt_user_get_id (user), access_token,
                                       kt_verify_response_get_id_token (response),
                                       self->expires_at),
                kt_user_get_email (user) != NULL ? kt_user_get_email (user) : self->label);
}

void
kt_session_keeper_load_async (KtSessionKeeper     *self,
                              GCancellable        *cancellable,
                              GAsyncReadyCallback  callback,
                              gpointer             user_data)
{
  GTask *task;

  g_return_if_fail (KT_IS_SESSION_KEEPER (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, kt_session_keeper_load_async);
  /* A session read before the cancel came is still the answer, as the store gave it. */
  g_task_set_check_cancellable (task, FALSE);
  kt_session_store_load_async (self->store, cancellable, on_session_loaded, task);
}

KtStoredSession *
kt_session_keeper_load_finish (KtSessionKeeper  *self,
                               GAsyncResult     *result,
                               GError          **error)
{
  g_return_val_if_fail (KT_IS_SESSION_KEEPER (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

void
kt_session_keeper_resume (KtSessionKeeper       *self,
                          const KtStoredSession *session)
{
  g_return_if_fail (KT_IS_SESSION_KEEPER (self));
  g_return_if_fail (session != NULL);

  set_remembered (self, TRUE, NULL);
  kt_api_client_set_access_token (self->api, session->access_token);
  self->expires_at = session->expires_at;
}

void
kt_session_keeper_schedule_refresh (KtSessionKeeper *self)
{
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  gint64 remaining, delay;

  g_return_if_fail (KT_IS_SESSION_KEEPER (self));

  g_clear_handle_id (&self->refresh_source, g_source_remove);
  if (self->expires_at <= 0)
    return;

  /* The margin before expiry, or half the lifetime left when that is shorter, so that a
   * short-lived token is renewed while it still works; at once when it is nearly gone. */
  remaining = self->expires_at - now;
  delay = remaining - MIN (KT_REFRESH_MARGIN_SECONDS, (remaining + 1) / 2);
  delay = CLAMP (delay, 0, G_MAXUINT / 1000);
  self->refresh_source = g_timeout_add ((guint) delay * 1000, on_refresh_due, self);
}

void
kt_session_keeper_set_aside (KtSessionKeeper *self)
{
  g_return_if_fail (KT_IS_SESSION_KEEPER (self));

  kt_api_client_set_access_token (self->api, NULL);
}

void
kt_session_keeper_drop (KtSessionKeeper *self)
{
  g_return_if_fail (KT_IS_SESSION_KEEPER (self));

  g_clear_handle_id (&self->refresh_source, g_source_remove);
  /* A refresh answered after this would bring the dropped session back. */
  cancel_refresh (self);
  kt_api_client_set_access_token (self->api, NULL);
  set_mfa_token (self, NULL);
  self->expires_at = 0;
  want_keyring (self, NULL, NULL);
  set_remembered (self, FALSE, NULL);
}

void
kt_session_keeper_clear_mfa_token (KtSessionKeeper *self)
{
  g_return_if_fail (KT_IS_SESSION_KEEPER (self));
  set_mfa_token (self, NULL);
}

char *
kt_session_keeper_take_mfa_token (KtSessionKeeper *self)
{
  char *token;

  g_return_val_if_fail (KT_IS_SESSION_KEEPER (self), NULL);

  token = g_strdup (self->mfa_token);
  set_mfa_token (self, NULL);
  return token;
}

void
kt_session_keeper_stop (KtSessionKeeper *self)
{
  g_return_if_fail (KT_IS_SESSION_KEEPER (self));

  g_cancellable_cancel (self->lifetime);
  if (self->refreshing != NULL)
    g_cancellable_cancel (self->refreshing);
  g_clear_handle_id (&self->refresh_source, g_source_remove);
}
