/* kt-grant-store.c: the apps a person always lets use their sign-in
 *
 * Copyright 2026 Keyturn developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "keyturn-grants"

#include "kt-grant-store.h"

#include <gio/gdesktopappinfo.h>
#include <glib/gi18n-lib.h>
#include <string.h>

#define PERMISSION_STORE_NAME  "org.freedesktop.impl.portal.PermissionStore"
#define PERMISSION_STORE_PATH  "/org/freedesktop/impl/portal/PermissionStore"
#define PERMISSION_STORE_IFACE "org.freedesktop.impl.portal.PermissionStore"
/* What the permission store answers for a table or resource it has no entry for yet. */
#define PORTAL_ERROR_NOT_FOUND "org.freedesktop.portal.Error.NotFound"
#define ALLOWED_PERMISSION     "yes"
#define SETTINGS_KEY           "allowed-apps"

struct _KtGrantStore
{
  GObject          parent_instance;

  GDBusConnection *bus;
  GSettings       *settings;
  /* The allowed caller ids, each its own key and value. */
  GHashTable      *allowed;
  guint            store_subscription;
  gulong           settings_handler;
  gboolean         loaded;
  gboolean         uses_permission_store;
};

G_DEFINE_FINAL_TYPE (KtGrantStore, kt_grant_store, G_TYPE_OBJECT)
G_DEFINE_QUARK (kt-grant-store-error-quark, kt_grant_store_error)

enum {
  SIGNAL_CHANGED,
  N_SIGNALS,
};

static guint signals[N_SIGNALS];

/* The permissions of an allowed app, as Keyturn writes them. */
static const char * const allowed_permissions[] = { ALLOWED_PERMISSION, NULL };

static GHashTable *
new_set (void)
{
  return g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
}

static void
unsubscribe_from_store (KtGrantStore *self)
{
  if (self->store_subscription != 0)
    {
      g_dbus_connection_signal_unsubscribe (self->bus, self->store_subscription);
      self->store_subscription = 0;
    }
}

static void
kt_grant_store_dispose (GObject *object)
{
  KtGrantStore *self = KT_GRANT_STORE (object);

  unsubscribe_from_store (self);
  g_clear_signal_handler (&self->settings_handler, self->settings);
  g_clear_object (&self->bus);
  g_clear_object (&self->settings);

  G_OBJECT_CLASS (kt_grant_store_parent_class)->dispose (object);
}

static void
kt_grant_store_finalize (GObject *object)
{
  KtGrantStore *self = KT_GRANT_STORE (object);

  g_hash_table_unref (self->allowed);

  G_OBJECT_CLASS (kt_grant_store_parent_class)->finalize (object);
}

static void
kt_grant_store_class_init (KtGrantStoreClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = kt_grant_store_dispose;
  object_class->finalize = kt_grant_store_finalize;

  /* The allowed set changed, through this store or any other client of where it is kept. */
  signals[SIGNAL_CHANGED] = g_signal_new ("changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                          0, NULL, NULL, NULL, G_TYPE_NONE, 0);
}

static void
kt_grant_store_init (KtGrantStore *self)
{
  self->allowed = new_set ();
}

KtGrantStore *
kt_grant_store_new (GDBusConnection *bus,
                    GSettings       *settings)
{
  KtGrantStore *self;

  g_return_val_if_fail (bus == NULL || G_IS_DBUS_CONNECTION (bus), NULL);
  g_return_val_if_fail (settings == NULL || G_IS_SETTINGS (settings), NULL);
  g_return_val_if_fail (bus != NULL || settings != NULL, NULL);

  self = g_object_new (KT_TYPE_GRANT_STORE, NULL);
  self->bus = bus != NULL ? g_object_ref (bus) : NULL;
  self->settings = settings != NULL ? g_object_ref (settings) : NULL;
  return self;
}

/* Caller ids */

static gboolean
invalid_caller (GError     **error,
                const char  *message)
{
  g_set_error_literal (error, KT_GRANT_STORE_ERROR, KT_GRANT_STORE_ERROR_INVALID_CALLER, message);
  return FALSE;
}

gboolean
kt_grant_store_validate_caller (const char  *caller_id,
                                GError     **error)
{
  size_t length;

  if (caller_id == NULL || caller_id[0] == '\0')
    return invalid_caller (error, _("The app’s ID is empty."));
  length = strnlen (caller_id, KT_GRANT_STORE_MAX_CALLER_ID + 1);
  if (length > KT_GRANT_STORE_MAX_CALLER_ID)
    return invalid_caller (error, _("The app’s ID is too long."));
  if (!g_utf8_validate (caller_id, length, NULL))
    return invalid_caller (error, _("The app’s ID is not valid text."));
  for (const char *p = caller_id; *p != '\0'; p = g_utf8_next_char (p))
    if (g_unichar_iscntrl (g_utf8_get_char (p)))
      return invalid_caller (error, _("The app’s ID holds a control character."));

  /* A program's path names a file, never a folder; anything else must be an app id. */
  if (caller_id[0] == '/' ? caller_id[length - 1] == '/' : !g_application_id_is_valid (caller_id))
    {
      g_set_error (error, KT_GRANT_STORE_ERROR, KT_GRANT_STORE_ERROR_INVALID_CALLER,
                   _("“%s” is neither an app ID nor the path of a program."), caller_id);
      return FALSE;
    }
  return TRUE;
}

char *
kt_grant_store_describe_caller (const char  *caller_id,
                                char       **detail)
{
  g_autofree char *desktop_id = NULL;
  g_autoptr(GDesktopAppInfo) info = NULL;
  const char *name = NULL;

  if (!kt_grant_store_validate_caller (caller_id, NULL))
    {
      if (detail != NULL)
        *detail = g_strdup ("");
      return g_strdup (_("Unknown app"));
    }

  if (detail != NULL)
    *detail = g_strdup (caller_id);
  if (caller_id[0] == '/')
    return g_path_get_basename (caller_id);

  /* Flatpak exports each app's desktop file under the app's own id. */
  desktop_id = g_strconcat (caller_id, ".desktop", NULL);
  info = g_desktop_app_info_new (desktop_id);
  if (info != NULL)
    name = g_app_info_get_name (G_APP_INFO (info));
  return g_strdup (name != NULL && name[0] != '\0' ? name : caller_id);
}

/* The cache */

/* Takes @allowed; says ::changed only when it differs from what was there. */
static void
replace_allowed (KtGrantStore *self,
                 GHashTable   *allowed)
{
  GHashTableIter iter;
  gpointer id;
  gboolean same = g_hash_table_size (allowed) == g_hash_table_size (self->allowed);

  g_hash_table_iter_init (&iter, allowed);
  while (same && g_hash_table_iter_next (&iter, &id, NULL))
    same = g_hash_table_contains (self->allowed, id);
  if (same)
    {
      g_hash_table_unref (allowed);
      return;
    }

  g_hash_table_unref (self->allowed);
  self->allowed = allowed;
  g_signal_emit (self, signals[SIGNAL_CHANGED], 0);
}

static void
set_allowed (KtGrantStore *self,
             const char   *caller_id,
             gboolean      allowed)
{
  gboolean changed;

  if (allowed)
    changed = g_hash_table_add (self->allowed, g_strdup (caller_id));
  else
    changed = g_hash_table_remove (self->allowed, caller_id);
  if (changed)
    g_signal_emit (self, signals[SIGNAL_CHANGED], 0);
}

/* Only what Keyturn could have written counts: an entry someone else made that is not a valid
 * caller id, or that does not say "yes", allows nothing. */
static void
add_if_allowed (GHashTable         *set,
                const char         *caller_id,
                const char * const *permissions)
{
  if (g_strv_contains (permissions, ALLOWED_PERMISSION) &&
      kt_grant_store_validate_caller (caller_id, NULL))
    g_hash_table_add (set, g_strdup (caller_id));
}

/* The permission store */

static GHashTable *
parse_app_permissions (GVariant *app_permissions)
{
  GHashTable *set = new_set ();
  GVariantIter iter;
  const char *app;
  g_autofree const char **permissions = NULL;

  g_variant_iter_init (&iter, app_permissions);
  while (g_variant_iter_next (&iter, "{&s^a&s}", &app, &permissions))
    {
      add_if_allowed (set, app, permissions);
      g_clear_pointer (&permissions, g_free);
    }
  return set;
}

/* Another client (flatpak permission-remove, a settings panel, a second Keyturn) changed the
 * resource: the signal carries its whole new entry. */
static void
on_store_changed (GDBusConnection *bus,
                  const char      *sender_name,
                  const char      *object_path,
                  const char      *interface_name,
                  const char      *signal_name,
                  GVariant        *parameters,
                  gpointer         user_data)
{
  KtGrantStore *self = KT_GRANT_STORE (user_data);
  const char *table;
  const char *id;
  gboolean deleted;
  g_autoptr(GVariant) app_permissions = NULL;

  if (!g_variant_is_of_type (parameters, G_VARIANT_TYPE ("(ssbva{sas})")))
    return;
  g_variant_get (parameters, "(&s&sbv@a{sas})", &table, &id, &deleted, NULL, &app_permissions);
  if (g_strcmp0 (table, KT_GRANT_STORE_TABLE) != 0 || g_strcmp0 (id, KT_GRANT_STORE_ID) != 0)
    return;

  g_debug ("The permission store changed the allowed apps%s", deleted ? " (all removed)" : "");
  replace_allowed (self, deleted ? new_set () : parse_app_permissions (app_permissions));
}

/* Subscribed before the first lookup, so no change made in between is missed: the store sends
 * the signal and the reply in the order it made them. */
static void
subscribe_to_store (KtGrantStore *self)
{
  if (self->store_subscription != 0)
    return;
  self->store_subscription =
    g_dbus_connection_signal_subscribe (self->bus, PERMISSION_STORE_NAME, PERMISSION_STORE_IFACE,
                                        "Changed", PERMISSION_STORE_PATH, KT_GRANT_STORE_TABLE,
                                        G_DBUS_SIGNAL_FLAGS_NONE, on_store_changed, self, NULL);
}

/* Calls @method of the permission store, which D-Bus starts if it is not running yet; @task
 * goes to @callback with the reply. */
static void
call_store (KtGrantStore        *self,
            const char          *method,
            GVariant            *parameters,
            const GVariantType  *reply_type,
            GTask               *task,
            GAsyncReadyCallback  callback)
{
  g_dbus_connection_call (self->bus, PERMISSION_STORE_NAME, PERMISSION_STORE_PATH,
                          PERMISSION_STORE_IFACE, method, parameters, reply_type,
                          G_DBUS_CALL_FLAGS_NONE, -1, g_task_get_cancellable (task), callback,
                          task);
}

static gboolean
is_not_found (const GError *error)
{
  g_autofree char *name = NULL;

  if (!g_dbus_error_is_remote_error (error))
    return FALSE;
  name = g_dbus_error_get_remote_error (error);
  return g_strcmp0 (name, PORTAL_ERROR_NOT_FOUND) == 0;
}

/* Nothing owns the name and nothing can start it: this desktop has no permission store. */
static gboolean
is_unreachable (const GError *error)
{
  return g_error_matches (error, G_DBUS_ERROR, G_DBUS_ERROR_SERVICE_UNKNOWN) ||
         g_error_matches (error, G_DBUS_ERROR, G_DBUS_ERROR_NAME_HAS_NO_OWNER);
}

/* @error's message is in @format's arguments, stripped of the D-Bus error name. */
static GError *store_error (const GError *error,
                            const char   *format,
                            ...) G_GNUC_PRINTF (2, 3);

static GError *
store_error (const GError *error,
             const char   *format,
             ...)
{
  g_autofree char *message = NULL;
  va_list args;

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return g_error_copy (error);
  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);
  return g_error_new_literal (KT_GRANT_STORE_ERROR, KT_GRANT_STORE_ERROR_FAILED, message);
}

/* The settings */

static GHashTable *
read_settings (KtGrantStore *self)
{
  GHashTable *set = new_set ();
  g_auto(GStrv) ids = g_settings_get_strv (self->settings, SETTINGS_KEY);

  for (guint i = 0; ids[i] != NULL; i++)
    add_if_allowed (set, ids[i], allowed_permissions);
  return set;
}

static void
on_settings_changed (GSettings  *settings,
                     const char *key,
                     gpointer    user_data)
{
  KtGrantStore *self = KT_GRANT_STORE (user_data);

  if (self->loaded && !self->uses_permission_store)
    replace_allowed (self, read_settings (self));
}

static void
load_settings (KtGrantStore *self)
{
  if (self->settings_handler == 0)
    self->settings_handler = g_signal_connect (self->settings, "changed::" SETTINGS_KEY,
                                               G_CALLBACK (on_settings_changed), self);
  self->uses_permission_store = FALSE;
  self->loaded = TRUE;
  replace_allowed (self, read_settings (self));
}

static int
compare_ids (gconstpointer a,
             gconstpointer b)
{
  return strcmp (*(const char * const *) a, *(const char * const *) b);
}

static gboolean
write_settings (KtGrantStore  *self,
                const char    *caller_id,
                gboolean       allowed,
                GError       **error)
{
  g_auto(GStrv) ids = g_settings_get_strv (self->settings, SETTINGS_KEY);
  g_autoptr(GPtrArray) next = g_ptr_array_new ();

  for (guint i = 0; ids[i] != NULL; i++)
    if (strcmp (ids[i], caller_id) != 0)
      g_ptr_array_add (next, ids[i]);
  if (allowed)
    g_ptr_array_add (next, (gpointer) caller_id);
  g_ptr_array_sort (next, compare_ids);
  g_ptr_array_add (next, NULL);

  if (!g_settings_set_strv (self->settings, SETTINGS_KEY, (const char * const *) next->pdata))
    {
      g_set_error_literal (error, KT_GRANT_STORE_ERROR, KT_GRANT_STORE_ERROR_FAILED,
                           _("Keyturn’s settings cannot be changed, so your answer could not be "
                             "kept."));
      return FALSE;
    }
  set_allowed (self, caller_id, allowed);
  return TRUE;
}

/* Load */

static void
on_looked_up (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  KtGrantStore *self = g_task_get_source_object (task);
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GVariant) app_permissions = NULL;
  GHashTable *allowed;

  reply = g_dbus_connection_call_finish (G_DBUS_CONNECTION (source), result, &error);
  if (reply != NULL)
    {
      g_variant_get (reply, "(@a{sas}v)", &app_permissions, NULL);
      allowed = parse_app_permissions (app_permissions);
    }
  else if (is_not_found (error))
    {
      /* Nobody was allowed yet: the table and its entry appear with the first grant. */
      allowed = new_set ();
    }
  else if (is_unreachable (error))
    {
      g_debug ("No permission store (%s)", error->message);
      unsubscribe_from_store (self);
      if (self->settings == NULL)
        {
          g_task_return_new_error (task, KT_GRANT_STORE_ERROR, KT_GRANT_STORE_ERROR_UNAVAILABLE,
                                   _("This desktop has no permission store to keep the apps "
                                     "you allow."));
          return;
        }
      load_settings (self);
      g_task_return_boolean (task, TRUE);
      return;
    }
  else
    {
      g_dbus_error_strip_remote_error (error);
      g_task_return_error (task, store_error (error,
                                              _("The apps you allowed could not be read from "
                                                "the permission store: %s"), error->message));
      return;
    }

  self->uses_permission_store = TRUE;
  self->loaded = TRUE;
  replace_allowed (self, allowed);
  g_task_return_boolean (task, TRUE);
}

void
kt_grant_store_load_async (KtGrantStore        *self,
                           GCancellable        *cancellable,
                           GAsyncReadyCallback  callback,
                           gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (KT_IS_GRANT_STORE (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, kt_grant_store_load_async);

  if (self->bus == NULL)
    {
      load_settings (self);
      g_task_return_boolean (task, TRUE);
      return;
    }

  subscribe_to_store (self);
  call_store (self, "Lookup", g_variant_new ("(ss)", KT_GRANT_STORE_TABLE, KT_GRANT_STORE_ID),
              G_VARIANT_TYPE ("(a{sas}v)"), g_steal_pointer (&task), on_looked_up);
}

gboolean
kt_grant_store_load_finish (KtGrantStore  *self,
                            GAsyncResult  *result,
                            GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

gboolean
kt_grant_store_get_loaded (KtGrantStore *self)
{
  g_return_val_if_fail (KT_IS_GRANT_STORE (self), FALSE);
  return self->loaded;
}

gboolean
kt_grant_store_uses_permission_store (KtGrantStore *self)
{
  g_return_val_if_fail (KT_IS_GRANT_STORE (self), FALSE);
  return self->loaded && self->uses_permission_store;
}

/* Queries */

gboolean
kt_grant_store_is_allowed (KtGrantStore *self,
                           const char   *caller_id)
{
  g_return_val_if_fail (KT_IS_GRANT_STORE (self), FALSE);

  return kt_grant_store_validate_caller (caller_id, NULL) &&
         g_hash_table_contains (self->allowed, caller_id);
}

char **
kt_grant_store_dup_allowed (KtGrantStore *self)
{
  GPtrArray *ids;
  GHashTableIter iter;
  gpointer id;

  g_return_val_if_fail (KT_IS_GRANT_STORE (self), NULL);

  ids = g_ptr_array_new ();
  g_hash_table_iter_init (&iter, self->allowed);
  while (g_hash_table_iter_next (&iter, &id, NULL))
    g_ptr_array_add (ids, g_strdup (id));
  g_ptr_array_sort (ids, compare_ids);
  g_ptr_array_add (ids, NULL);
  return (char **) g_ptr_array_free (ids, FALSE);
}

/* Allow and revoke: the permission store first, then the cache, so the cache never says more
 * than the store keeps. */

typedef struct {
  char     *caller_id;
  gboolean  allowed;
} Change;

static void
change_free (Change *change)
{
  g_free (change->caller_id);
  g_free (change);
}

static void
on_store_written (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  KtGrantStore *self = g_task_get_source_object (task);
  Change *change = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) reply = NULL;

  reply = g_dbus_connection_call_finish (G_DBUS_CONNECTION (source), result, &error);
  /* Revoking from a resource that was never made has nothing to remove. */
  if (reply == NULL && !(is_not_found (error) && !change->allowed))
    {
      g_dbus_error_strip_remote_error (error);
      g_task_return_error (task, store_error (error,
                                              change->allowed
                                              ? _("The permission store did not keep your "
                                                  "answer: %s")
                                              : _("The permission store did not remove the "
                                                  "app: %s"),
                                              error->message));
      return;
    }

  set_allowed (self, change->caller_id, change->allowed);
  g_task_return_boolean (task, TRUE);
}

static void
change_async (KtGrantStore        *self,
              const char          *caller_id,
              gboolean             allowed,
              GCancellable        *cancellable,
              GAsyncReadyCallback  callback,
              gpointer             user_data,
              gpointer             source_tag)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(GError) error = NULL;
  Change *change;
  const char *method;
  GVariant *parameters;

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, source_tag);

  if (!kt_grant_store_validate_caller (caller_id, &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  if (!self->loaded)
    {
      g_task_return_new_error (task, KT_GRANT_STORE_ERROR, KT_GRANT_STORE_ERROR_NOT_LOADED,
                               _("The apps you allowed have not been read yet."));
      return;
    }

  if (!self->uses_permission_store)
    {
      if (!write_settings (self, caller_id, allowed, &error))
        g_task_return_error (task, g_steal_pointer (&error));
      else
        g_task_return_boolean (task, TRUE);
      return;
    }

  change = g_new0 (Change, 1);
  change->caller_id = g_strdup (caller_id);
  change->allowed = allowed;
  g_task_set_task_data (task, change, (GDestroyNotify) change_free);

  if (allowed)
    {
      method = "SetPermission";
      parameters = g_variant_new ("(sbss^as)", KT_GRANT_STORE_TABLE, TRUE, KT_GRANT_STORE_ID,
                                  caller_id, allowed_permissions);
    }
  else
    {
      method = "DeletePermission";
      parameters = g_variant_new ("(sss)", KT_GRANT_STORE_TABLE, KT_GRANT_STORE_ID, caller_id);
    }
  call_store (self, method, parameters, G_VARIANT_TYPE_UNIT, g_steal_pointer (&task),
              on_store_written);
}

void
kt_grant_store_allow_async (KtGrantStore        *self,
                            const char          *caller_id,
                            GCancellable        *cancellable,
                            GAsyncReadyCallback  callback,
                            gpointer             user_data)
{
  g_return_if_fail (KT_IS_GRANT_STORE (self));
  change_async (self, caller_id, TRUE, cancellable, callback, user_data,
                kt_grant_store_allow_async);
}

gboolean
kt_grant_store_allow_finish (KtGrantStore  *self,
                             GAsyncResult  *result,
                             GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

void
kt_grant_store_revoke_async (KtGrantStore        *self,
                             const char          *caller_id,
                             GCancellable        *cancellable,
                             GAsyncReadyCallback  callback,
                             gpointer             user_data)
{
  g_return_if_fail (KT_IS_GRANT_STORE (self));
  change_async (self, caller_id, FALSE, cancellable, callback, user_data,
                kt_grant_store_revoke_async);
}

gboolean
kt_grant_store_revoke_finish (KtGrantStore  *self,
                              GAsyncResult  *result,
                              GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}
