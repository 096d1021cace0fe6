/* kt-session-store.c
 *
 * Copyright 2026 Keyturn developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "keyturn-session"

#include "kt-session-store.h"

#include <glib/gi18n-lib.h>
#include <json-glib/json-glib.h>
#include <libsecret/secret.h>
#include <string.h>

#include "kt-json-private.h"
#include "kt-secret.h"

struct _KtSessionStore
{
  GObject parent_instance;

  char *base_url;
  char *environment_id;
};

G_DEFINE_FINAL_TYPE (KtSessionStore, kt_session_store, G_TYPE_OBJECT)
G_DEFINE_QUARK (kt-session-store-error-quark, kt_session_store_error)

/* The user id is an attribute so that a later version can keep one session per user; lookups
 * today match on the server and environment alone. */
static const SecretSchema session_schema = {
  "io.github.keyturn.Keyturn.Session",
  SECRET_SCHEMA_NONE,
  {
    { "base-url", SECRET_SCHEMA_ATTRIBUTE_STRING },
    { "environment-id", SECRET_SCHEMA_ATTRIBUTE_STRING },
    { "user-id", SECRET_SCHEMA_ATTRIBUTE_STRING },
    { NULL, 0 },
  },
  0, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
};

KtStoredSession *
kt_stored_session_new (const char *user_id,
                       const char *access_token,
                       const char *id_token,
                       gint64      expires_at)
{
  KtStoredSession *session = g_new0 (KtStoredSession, 1);

  session->user_id = g_strdup (user_id);
  session->access_token = g_strdup (access_token);
  session->id_token = g_strdup (id_token);
  session->expires_at = expires_at;
  return session;
}

void
kt_stored_session_free (KtStoredSession *session)
{
  if (session == NULL)
    return;
  g_free (session->user_id);
  kt_secret_free (session->access_token);
  kt_secret_free (session->id_token);
  g_free (session);
}

static void
kt_session_store_finalize (GObject *object)
{
  KtSessionStore *self = (KtSessionStore *) object;

  g_free (self->base_url);
  g_free (self->environment_id);

  G_OBJECT_CLASS (kt_session_store_parent_class)->finalize (object);
}

static void
kt_session_store_class_init (KtSessionStoreClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = kt_session_store_finalize;
}

static void
kt_session_store_init (KtSessionStore *self)
{
}

KtSessionStore *
kt_session_store_new (const char *base_url,
                      const char *environment_id)
{
  KtSessionStore *self;

  g_return_val_if_fail (base_url != NULL, NULL);
  g_return_val_if_fail (environment_id != NULL, NULL);

  self = g_object_new (KT_TYPE_SESSION_STORE, NULL);
  self->base_url = g_strdup (base_url);
  self->environment_id = g_strdup (environment_id);
  return self;
}

/* The attributes that find the environment's session. The table holds its own copies: a load's
 * worker thread keeps nothing of the store's, so the store goes with its last user even while
 * that thread is still letting go of its task. */
static GHashTable *
lookup_attributes (KtSessionStore *self)
{
  GHashTable *attributes = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, g_free);

  g_hash_table_insert (attributes, (gpointer) "base-url", g_strdup (self->base_url));
  g_hash_table_insert (attributes, (gpointer) "environment-id",
                       g_strdup (self->environment_id));
  return attributes;
}

/* libsecret's errors, in words a person can act on. */
static GError *
translate_error (GError *error)
{
  GError *translated;

  /* libsecret fails without an error when the unlock prompt is dismissed or cannot show. */
  if (error == NULL)
    return g_error_new_literal (KT_SESSION_STORE_ERROR, KT_SESSION_STORE_ERROR_LOCKED,
                                _("Your keyring is locked."));
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return g_error_copy (error);

  if (g_error_matches (error, G_DBUS_ERROR, G_DBUS_ERROR_SERVICE_UNKNOWN) ||
      g_error_matches (error, G_DBUS_ERROR, G_DBUS_ERROR_NAME_HAS_NO_OWNER) ||
      g_error_matches (error, G_DBUS_ERROR, G_DBUS_ERROR_SPAWN_SERVICE_NOT_FOUND) ||
      g_error_matches (error, G_DBUS_ERROR, G_DBUS_ERROR_NO_SERVER) ||
      g_error_matches (error, G_IO_ERROR, G_IO_ERROR_DBUS_ERROR) ||
      g_error_matches (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND) ||
      g_error_matches (error, G_IO_ERROR, G_IO_ERROR_FAILED) ||
      g_error_matches (error, G_DBUS_ERROR, G_DBUS_ERROR_UNKNOWN_OBJECT) ||
      g_error_matches (error, G_DBUS_ERROR, G_DBUS_ERROR_UNKNOWN_METHOD))
    translated = g_error_new (KT_SESSION_STORE_ERROR, KT_SESSION_STORE_ERROR_UNAVAILABLE,
                              _("There is no keyring to keep your sign-in in (%s)."),
                              error->message);
  else if (g_error_matches (error, SECRET_ERROR, SECRET_ERROR_IS_LOCKED))
    translated = g_error_new_literal (KT_SESSION_STORE_ERROR, KT_SESSION_STORE_ERROR_LOCKED,
                                      _("Your keyring is locked."));
  else
    translated = g_error_new (KT_SESSION_STORE_ERROR, KT_SESSION_STORE_ERROR_FAILED,
                              _("The keyring could not keep your sign-in (%s)."), error->message);

  g_debug ("Secret Service: %s", error->message);
  return translated;
}

/* Writes: each removes whatever session the environment had; a save then stores the new one,
 * which its task's SaveData holds (a clear's task holds none). */

typedef struct {
  char *secret;
  char *label;
  char *user_id;
} SaveData;

static void
save_data_free (SaveData *data)
{
  kt_secret_free (data->secret);
  g_free (data->label);
  g_free (data->user_id);
  g_free (data);
}

static void
on_stored (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GError) error = NULL;

  if (!secret_password_store_finish (result, &error))
    g_task_return_error (task, translate_error (error));
  else
    g_task_return_boolean (task, TRUE);
}

static void
on_cleared (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  KtSessionStore *self = g_task_get_source_object (task);
  SaveData *data = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  g_autoptr(GHashTable) attributes = NULL;
  GCancellable *cancellable = g_task_get_cancellable (task);

  /* FALSE with no error means there was nothing to remove: that is success too. */
  if (!secret_password_clear_finish (result, &error) && error != NULL)
    {
      g_task_return_error (task, translate_error (error));
      return;
    }
  if (data == NULL)
    {
      g_task_return_boolean (task, TRUE);
      return;
    }

  attributes = lookup_attributes (self);
  g_hash_table_insert (attributes, (gpointer) "user-id", g_strdup (data->user_id));
  secret_password_storev (&session_schema, attributes, SECRET_COLLECTION_DEFAULT, data->label,
                          data->secret, cancellable, on_stored, g_steal_pointer (&task));
}

static void
write_session (GTask *task)
{
  KtSessionStore *self = g_task_get_source_object (task);
  g_autoptr(GHashTable) attributes = lookup_attributes (self);

  secret_password_clearv (&session_schema, attributes, g_task_get_cancellable (task), on_cleared,
                          task);
}

/* Save */

void
kt_session_store_save_async (KtSessionStore        *self,
                             const KtStoredSession *session,
                             const char            *label_detail,
                             GCancellable          *cancellable,
                             GAsyncReadyCallback    callback,
                             gpointer               user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonGenerator) generator = json_generator_new ();
  g_autoptr(JsonNode) root = NULL;
  SaveData *data;

  g_return_if_fail (KT_IS_SESSION_STORE (self));
  g_return_if_fail (session != NULL && session->user_id != NULL && session->access_token != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, kt_session_store_save_async);

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "userId");
  json_builder_add_string_value (builder, session->user_id);
  json_builder_set_member_name (builder, "accessToken");
  json_builder_add_string_value (builder, session->access_token);
  if (session->id_token != NULL)
    {
      json_builder_set_member_name (builder, "idToken");
      json_builder_add_string_value (builder, session->id_token);
    }
  json_builder_set_member_name (builder, "expiresAt");
  json_builder_add_int_value (builder, session->expires_at);
  json_builder_end_object (builder);
  root = json_builder_get_root (builder);
  json_generator_set_root (generator, root);

  data = g_new0 (SaveData, 1);
  data->secret = json_generator_to_data (generator, NULL);
  data->user_id = g_strdup (session->user_id);
  /* The label is what a person sees in Passwords and Keys. */
  data->label = label_detail != NULL
    ? g_strdup_printf (_("Keyturn sign-in for %s"), label_detail)
    : g_strdup (_("Keyturn sign-in"));
  g_task_set_task_data (task, data, (GDestroyNotify) save_data_free);

  /* json-glib cannot wipe its own copies; from here on the secret lives in data->secret,
   * which is wiped when the task ends. */
  write_session (g_steal_pointer (&task));
}

gboolean
kt_session_store_save_finish (KtSessionStore  *self,
                              GAsyncResult    *result,
                              GError         **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

/* Load */

static KtStoredSession *
corrupt (GError **error)
{
  g_set_error_literal (error, KT_SESSION_STORE_ERROR, KT_SESSION_STORE_ERROR_CORRUPT,
                       _("The sign-in kept in your keyring could not be read."));
  return NULL;
}

static KtStoredSession *
parse_secret (const char  *secret,
              GError     **error)
{
  g_autoptr(JsonParser) parser = json_parser_new_immutable ();
  g_autoptr(KtStoredSession) session = g_new0 (KtStoredSession, 1);
  KtJsonReader reader;
  JsonNode *root;

  if (!json_parser_load_from_data (parser, secret, -1, NULL) ||
      (root = json_parser_get_root (parser)) == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    return corrupt (error);

  /* Which member is wrong is not told: the one message of corrupt() is all a person can act on. */
  kt_json_reader_init (&reader, json_node_get_object (root), KT_SESSION_STORE_ERROR,
                       KT_SESSION_STORE_ERROR_CORRUPT, NULL);
  if (!kt_json_read_string (&reader, "userId", KT_JSON_REQUIRED, &session->user_id, NULL) ||
      !kt_json_read_string (&reader, "accessToken", KT_JSON_REQUIRED, &session->access_token,
                            NULL) ||
      !kt_json_read_string (&reader, "idToken", KT_JSON_OPTIONAL, &session->id_token, NULL) ||
      !kt_json_read_int (&reader, "expiresAt", KT_JSON_OPTIONAL, &session->expires_at, NULL))
    return corrupt (error);

  return g_steal_pointer (&session);
}

/* Runs in a worker thread, with libsecret's blocking calls: Keyturn starts the lookup before
 * GTK starts, so that the keyring's answer is in by the first frame and the window opens on the
 * right page. With libsecret's asynchronous calls each D-Bus round trip would wait for the main
 * loop, which is busy building the window until then. */
static void
load_in_thread (GTask        *task,
                gpointer      source_object,
                gpointer      task_data,
                GCancellable *cancellable)
{
  GHashTable *attributes = task_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GError) clear_error = NULL;
  char *secret = secret_password_lookupv_sync (&session_schema, attributes, cancellable, &error);
  KtStoredSession *session;

  if (error != NULL)
    {
      g_task_return_error (task, translate_error (error));
      return;
    }
  if (secret == NULL)
    {
      g_task_return_pointer (task, NULL, NULL);
      return;
    }

  session = parse_secret (secret, &error);
  secret_password_free (secret);
  if (session != NULL)
    {
      g_task_return_pointer (task, session, (GDestroyNotify) kt_stored_session_free);
      return;
    }

  /* An item no version of Keyturn can read is of no use to anyone: remove it, so that the
   * next sign-in is kept again, and say so once. */
  if (!secret_password_clearv_sync (&session_schema, attributes, cancellable, &clear_error) &&
      clear_error != NULL)
    g_debug ("Could not remove the unreadable session: %s", clear_error->message);
  g_task_return_error (task, g_steal_pointer (&error));
}

static void
on_loaded_in_thread (GObject      *source,
                     GAsyncResult *result,
                     gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  GError *error = NULL;
  KtStoredSession *session = g_task_propagate_pointer (G_TASK (result), &error);

  if (error != NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, session, (GDestroyNotify) kt_stored_session_free);
}

void
kt_session_store_load_async (KtSessionStore      *self,
                             GCancellable        *cancellable,
                             GAsyncReadyCallback  callback,
                             gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(GTask) lookup = NULL;

  g_return_if_fail (KT_IS_SESSION_STORE (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, kt_session_store_load_async);
  lookup = g_task_new (NULL, cancellable, on_loaded_in_thread, g_steal_pointer (&task));
  g_task_set_task_data (lookup, lookup_attributes (self), (GDestroyNotify) g_hash_table_unref);
  g_task_run_in_thread (lookup, load_in_thread);
}

KtStoredSession *
kt_session_store_load_finish (KtSessionStore  *self,
                              GAsyncResult    *result,
                              GError         **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

/* Clear */

void
kt_session_store_clear_async (KtSessionStore      *self,
                              GCancellable        *cancellable,
                              GAsyncReadyCallback  callback,
                              gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (KT_IS_SESSION_STORE (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, kt_session_store_clear_async);
  write_session (g_steal_pointer (&task));
}

gboolean
kt_session_store_clear_finish (KtSessionStore  *self,
                               GAsyncResult    *result,
                               GError         **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}
