/* kt-caller.c: who is on the other end of a D-Bus call, as the person should be told
 *
 * Copyright 2026 Keyturn developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "keyturn-service"

#include "kt-caller.h"

#include "kt-grant-store.h"

#include <glib/gi18n-lib.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

struct _KtCaller
{
  GObject       parent_instance;

  KtCallerKind  kind;
  char         *id;
  char         *name;
  char         *detail;
};

G_DEFINE_FINAL_TYPE (KtCaller, kt_caller, G_TYPE_OBJECT)

static void
kt_caller_finalize (GObject *object)
{
  KtCaller *self = KT_CALLER (object);

  g_free (self->id);
  g_free (self->name);
  g_free (self->detail);

  G_OBJECT_CLASS (kt_caller_parent_class)->finalize (object);
}

static void
kt_caller_class_init (KtCallerClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = kt_caller_finalize;
}

static void
kt_caller_init (KtCaller *self)
{
}

/* The app id a Flatpak sandbox gives its app, read from outside through the process's own
 * root, as xdg-desktop-portal does; NULL for a process that is not in one. */
static char *
read_flatpak_app_id (guint32   pid,
                     GError  **error)
{
  g_autofree char *path = g_strdup_printf ("/proc/%u/root/.flatpak-info", pid);
  g_autoptr(GKeyFile) info = g_key_file_new ();
  g_autoptr(GError) local_error = NULL;
  g_autofree char *app_id = NULL;

  if (!g_key_file_load_from_file (info, path, G_KEY_FILE_NONE, &local_error))
    {
      if (g_error_matches (local_error, G_FILE_ERROR, G_FILE_ERROR_NOENT))
        return NULL;
      /* A process we may not look into, or one whose info is not a key file: it must not pass
       * for a host process, whose name it could then choose by its executable. */
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                   "The sandbox of process %u could not be read: %s", pid,
                   local_error->message);
      return NULL;
    }

  app_id = g_key_file_get_string (info, "Application", "name", NULL);
  if (app_id == NULL || !g_application_id_is_valid (app_id))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                   "Process %u runs in a Flatpak sandbox that names no valid app", pid);
      return NULL;
    }
  return g_steal_pointer (&app_id);
}

static char *
read_executable (guint32   pid,
                 GError  **error)
{
  g_autofree char *link = g_strdup_printf ("/proc/%u/exe", pid);
  g_autoptr(GError) local_error = NULL;
  char *exe = g_file_read_link (link, &local_error);

  if (exe == NULL)
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                 "The program of process %u could not be read: %s", pid, local_error->message);
  return exe;
}

/* The parent's executable file name, which is what runs `keyturn token`: a shell, a script's
 * interpreter. */
static char *
read_parent_name (guint32 pid)
{
  g_autofree char *path = g_strdup_printf ("/proc/%u/stat", pid);
  g_autofree char *stat = NULL;
  g_autofree char *exe = NULL;
  const char *after_name;
  char state;
  unsigned int ppid = 0;

  if (!g_file_get_contents (path, &stat, NULL, NULL))
    return NULL;
  /* "PID (COMM) STATE PPID ...": the name may hold spaces and ')', so read after the last. */
  after_name = strrchr (stat, ')');
  if (after_name == NULL || sscanf (after_name + 1, " %c %u", &state, &ppid) != 2 || ppid == 0)
    return NULL;
  exe = read_executable (ppid, NULL);
  return exe != NULL ? g_path_get_basename (exe) : NULL;
}

KtCaller *
kt_caller_new (KtCallerKind  kind,
               const char   *id,
               const char   *name,
               const char   *detail)
{
  KtCaller *self;

  g_return_val_if_fail (id != NULL && name != NULL && detail != NULL, NULL);

  self = g_object_new (KT_TYPE_CALLER, NULL);
  self->kind = kind;
  self->id = g_strdup (id);
  self->name = g_strdup (name);
  self->detail = g_strdup (detail);
  return self;
}

KtCaller *
kt_caller_new_for_process (const char  *sender,
                           guint32      pid,
                           GError     **error)
{
  g_autoptr(KtCaller) self = g_object_new (KT_TYPE_CALLER, NULL);
  g_autoptr(GError) local_error = NULL;
  g_autofree char *app_id = NULL;

  g_return_val_if_fail (sender != NULL, NULL);

  if (pid == 0)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                   "The bus does not know the process of %s", sender);
      return NULL;
    }

  app_id = read_flatpak_app_id (pid, &local_error);
  if (local_error != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return NULL;
    }

  if (app_id != NULL)
    {
      self->kind = KT_CALLER_KIND_FLATPAK;
      self->name = kt_grant_store_describe_caller (app_id, NULL);
      self->detail = g_strdup (app_id);
      self->id = g_steal_pointer (&app_id);
    }
  else
    {
      g_autofree char *exe = read_executable (pid, error);
      g_autofree char *own = NULL;

      if (exe == NULL)
        return NULL;
      own = g_file_read_link ("/proc/self/exe", NULL);
      if (own != NULL && g_str_equal (exe, own))
        {
          g_autofree char *parent = read_parent_name (pid);

          self->kind = KT_CALLER_KIND_COMMAND_LINE;
          self->name = g_strdup (_("The keyturn command"));
          self->detail = parent != NULL ? g_steal_pointer (&parent) : g_strdup (exe);
        }
      else
        {
          self->kind = KT_CALLER_KIND_HOST;
          self->name = g_path_get_basename (exe);
          self->detail = g_strdup (exe);
        }
      self->id = g_steal_pointer (&exe);
    }

  /* Names come from outside (a desktop file, a file name): keep them printable. */
  if (!g_utf8_validate (self->name, -1, NULL))
    {
      g_free (self->name);
      self->name = g_utf8_make_valid (self->id, -1);
    }
  return g_steal_pointer (&self);
}

static void
on_credentials (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) reply = g_dbus_connection_call_finish (G_DBUS_CONNECTION (source), result,
                                                             &error);
  g_autoptr(GVariant) credentials = NULL;
  guint32 pid = 0, uid = G_MAXUINT32;
  KtCaller *caller;

  if (reply == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  g_variant_get (reply, "(@a{sv})", &credentials);
  g_variant_lookup (credentials, "ProcessID", "u", &pid);
  g_variant_lookup (credentials, "UnixUserID", "u", &uid);

  /* The session bus is the user's own; a caller of another user has no business here. */
  if (uid != getuid ())
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED,
                               "%s belongs to another user", (char *) g_task_get_task_data (task));
      return;
    }

  caller = kt_caller_new_for_process (g_task_get_task_data (task), pid, &error);
  if (caller == NULL)
    g_task_return_error (task, g_steal_pointer (&error));
  else
    g_task_return_pointer (task, caller, g_object_unref);
}

void
kt_caller_identify_async (GDBusConnection     *bus,
                          const char          *sender,
                          GCancellable        *cancellable,
                          GAsyncReadyCallback  callback,
                          gpointer             user_data)
{
  GTask *task;

  g_return_if_fail (G_IS_DBUS_CONNECTION (bus));
  g_return_if_fail (sender != NULL);

  task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, kt_caller_identify_async);
  g_task_set_task_data (task, g_strdup (sender), g_free);
  g_dbus_connection_call (bus, "org.freedesktop.DBus", "/org/freedesktop/DBus",
                          "org.freedesktop.DBus", "GetConnectionCredentials",
                          g_variant_new ("(s)", sender), G_VARIANT_TYPE ("(a{sv})"),
                          G_DBUS_CALL_FLAGS_NONE, -1, cancellable, on_credentials, task);
}

KtCaller *
kt_caller_identify_finish (GAsyncResult  *result,
                           GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

KtCallerKind
kt_caller_get_kind (KtCaller *self)
{
  g_return_val_if_fail (KT_IS_CALLER (self), KT_CALLER_KIND_HOST);
  return self->kind;
}

const char *
kt_caller_get_id (KtCaller *self)
{
  g_return_val_if_fail (KT_IS_CALLER (self), NULL);
  return self->id;
}

const char *
kt_caller_get_name (KtCaller *self)
{
  g_return_val_if_fail (KT_IS_CALLER (self), NULL);
  return self->name;
}

const char *
kt_caller_get_detail (KtCaller *self)
{
  g_return_val_if_fail (KT_IS_CALLER (self), NULL);
  return self->detail;
}
