/* test-grant-store.c: KtGrantStore against the real xdg-permission-store on a private D-Bus
 *
 * By default the session bus starts the permission store, as a desktop's does; with
 * --without-permission-store the tests run on a bus that can start nothing, where the grants
 * fall back to Keyturn's settings.
 *
 * Copyright 2026 Keyturn developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <glib/gstdio.h>
#include <signal.h>
#include <string.h>

#include "kt-grant-store.h"
#include "kt-test-async.h"
#include "kt-test-bus.h"

#define STORE_NAME  "org.freedesktop.impl.portal.PermissionStore"
#define STORE_PATH  "/org/freedesktop/impl/portal/PermissionStore"
#define STORE_IFACE "org.freedesktop.impl.portal.PermissionStore"

#define WALLET      "org.example.Wallet"
#define NOTES       "org.example.Notes"
#define HOST_TOOL   "/usr/bin/wallet-cli"

typedef struct {
  /* The bus the store under test uses, and a second connection: another client. */
  GDBusConnection *bus;
  GDBusConnection *other;
  GSettings       *settings;
  KtGrantStore    *store;
  guint            changes;
} Fixture;

static gboolean
on_timeout (gpointer user_data)
{
  *(gboolean *) user_data = TRUE;
  return G_SOURCE_REMOVE;
}

/* Runs the main loop until @changes reaches @count; fails after 10 s. */
static void
wait_for_changes (Fixture *f,
                  guint    count)
{
  gboolean timed_out = FALSE;
  guint timeout = g_timeout_add_seconds (10, on_timeout, &timed_out);

  while (f->changes < count && !timed_out)
    g_main_context_iteration (NULL, TRUE);
  if (!timed_out)
    g_source_remove (timeout);
  g_assert_cmpuint (f->changes, ==, count);
}

static GVariant *
call_store (GDBusConnection  *bus,
            const char       *method,
            GVariant         *parameters,
            GError          **error)
{
  return g_dbus_connection_call_sync (bus, STORE_NAME, STORE_PATH, STORE_IFACE, method,
                                      parameters, NULL, G_DBUS_CALL_FLAGS_NONE, -1, NULL, error);
}

/* What the permission store keeps for @app under keyturn/sign-in, as any client reads it:
 * NULL when it keeps nothing. */
static char **
stored_permissions (GDBusConnection *bus,
                    const char      *app)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) reply = call_store (bus, "Lookup",
                                          g_variant_new ("(ss)", KT_GRANT_STORE_TABLE,
                                                         KT_GRANT_STORE_ID), &error);
  g_autoptr(GVariant) permissions = NULL;
  g_autoptr(GVariant) apps = NULL;

  if (reply == NULL)
    {
      g_assert_true (g_dbus_error_is_remote_error (error));
      return NULL;
    }
  apps = g_variant_get_child_value (reply, 0);
  permissions = g_variant_lookup_value (apps, app, G_VARIANT_TYPE_STRING_ARRAY);
  return permissions != NULL ? g_variant_dup_strv (permissions, NULL) : NULL;
}

static void
set_permission_as_other (Fixture    *f,
                         const char *app,
                         const char *permission)
{
  g_autoptr(GError) error = NULL;
  const char *permissions[] = { permission, NULL };
  g_autoptr(GVariant) reply = call_store (f->other, "SetPermission",
                                          g_variant_new ("(sbss^as)", KT_GRANT_STORE_TABLE, TRUE,
                                                         KT_GRANT_STORE_ID, app, permissions),
                                          &error);

  g_assert_no_error (error);
}

static void
delete_permission_as_other (Fixture    *f,
                            const char *app)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) reply = call_store (f->other, "DeletePermission",
                                          g_variant_new ("(sss)", KT_GRANT_STORE_TABLE,
                                                         KT_GRANT_STORE_ID, app), &error);

  g_assert_no_error (error);
}

static void
on_changed (KtGrantStore *store,
            gpointer      user_data)
{
  ((Fixture *) user_data)->changes++;
}

static KtGrantStore *
create_store (Fixture         *f,
              GDBusConnection *bus,
              GSettings       *settings)
{
  KtGrantStore *store = kt_grant_store_new (bus, settings);

  g_signal_connect (store, "changed", G_CALLBACK (on_changed), f);
  return store;
}

static gboolean
load (KtGrantStore  *store,
      GError       **error)
{
  GAsyncResult *result = NULL;
  gboolean ok;

  kt_grant_store_load_async (store, NULL, kt_test_async_done, &result);
  ok = kt_grant_store_load_finish (store, kt_test_async_wait (&result, 0), error);
  g_object_unref (result);
  return ok;
}

/* Allows @caller_id (@allowed) or revokes its grant, and says whether the store did. */
static gboolean
set_grant (KtGrantStore  *store,
           const char    *caller_id,
           gboolean       allowed,
           GError       **error)
{
  GAsyncResult *result = NULL;
  gboolean ok;

  if (allowed)
    kt_grant_store_allow_async (store, caller_id, NULL, kt_test_async_done, &result);
  else
    kt_grant_store_revoke_async (store, caller_id, NULL, kt_test_async_done, &result);
  kt_test_async_wait (&result, 0);
  ok = allowed ? kt_grant_store_allow_finish (store, result, error)
               : kt_grant_store_revoke_finish (store, result, error);
  g_object_unref (result);
  return ok;
}

static void
assert_allowed_are (KtGrantStore *store,
                    const char   *expected)
{
  g_auto(GStrv) allowed = kt_grant_store_dup_allowed (store);
  g_autofree char *joined = g_strjoinv (" ", allowed);

  g_assert_cmpstr (joined, ==, expected);
}

/* Every test starts from a permission store with nothing under keyturn/sign-in. */
static void
fixture_set_up (Fixture       *f,
                gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) reply = NULL;

  f->bus = kt_test_bus_new_connection ();
  f->other = kt_test_bus_new_connection ();
  f->settings = g_settings_new (KT_APP_ID);
  g_settings_reset (f->settings, "allowed-apps");
  reply = call_store (f->other, "Delete",
                      g_variant_new ("(ss)", KT_GRANT_STORE_TABLE, KT_GRANT_STORE_ID), &error);
  if (reply == NULL)
    g_assert_true (g_dbus_error_is_remote_error (error));
  f->store = create_store (f, f->bus, f->settings);
}

static void
fixture_tear_down (Fixture       *f,
                   gconstpointer  data)
{
  g_assert_finalize_object (f->store);
  g_object_unref (f->settings);
  g_object_unref (f->other);
  g_object_unref (f->bus);
}

/* Runs flatpak's own permission commands, as a person would; NULL without flatpak. */
static char *
run_flatpak (const char * const *args)
{
  g_autoptr(GStrvBuilder) argv = g_strv_builder_new ();
  g_auto(GStrv) argv_strv = NULL;
  g_auto(GStrv) envp = g_get_environ ();
  g_autofree char *flatpak = g_find_program_in_path ("flatpak");
  g_autoptr(GError) error = NULL;
  g_autofree char *err = NULL;
  char *out = NULL;
  int status;

  if (flatpak == NULL)
    {
      g_test_message ("flatpak is not installed: its commands are not tried");
      return NULL;
    }
  g_strv_builder_add (argv, flatpak);
  g_strv_builder_addv (argv, (const char **) args);
  argv_strv = g_strv_builder_end (argv);
  /* flatpak is not under test: its warnings are not made fatal. */
  envp = g_environ_unsetenv (envp, "G_DEBUG");
  g_spawn_sync (NULL, argv_strv, envp, G_SPAWN_DEFAULT, NULL, NULL, &out, &err, &status, &error);
  g_assert_no_error (error);
  if (!g_spawn_check_wait_status (status, NULL))
    g_error ("flatpak %s failed: %s", args[0], err);
  return out;
}

/* The permission store */

static void
test_allow (Fixture       *f,
            gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) permissions = NULL;
  g_autofree char *listed = NULL;
  const char *list_args[] = { "permissions", KT_GRANT_STORE_TABLE, NULL };

  g_assert_false (kt_grant_store_get_loaded (f->store));
  g_assert_false (kt_grant_store_uses_permission_store (f->store));
  g_assert_true (load (f->store, &error));
  g_assert_no_error (error);
  g_assert_true (kt_grant_store_get_loaded (f->store));
  g_assert_true (kt_grant_store_uses_permission_store (f->store));
  g_assert_false (kt_grant_store_is_allowed (f->store, WALLET));
  assert_allowed_are (f->store, "");
  g_assert_cmpuint (f->changes, ==, 0);

  g_assert_true (set_grant (f->store, WALLET, TRUE, &error));
  g_assert_no_error (error);
  g_assert_true (kt_grant_store_is_allowed (f->store, WALLET));
  g_assert_false (kt_grant_store_is_allowed (f->store, NOTES));
  g_assert_cmpuint (f->changes, ==, 1);

  g_assert_true (set_grant (f->store, HOST_TOOL, TRUE, &error));
  g_assert_no_error (error);
  g_assert_true (kt_grant_store_is_allowed (f->store, HOST_TOOL));
  assert_allowed_are (f->store, HOST_TOOL " " WALLET);
  g_assert_cmpuint (f->changes, ==, 2);

  /* Allowing again changes nothing. */
  g_assert_true (set_grant (f->store, WALLET, TRUE, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (f->changes, ==, 2);

  /* In the permission store, where every other client sees it. */
  permissions = stored_permissions (f->other, WALLET);
  g_assert_nonnull (permissions);
  g_assert_cmpstrv (permissions, ((const char *[]) { "yes", NULL }));
  g_clear_pointer (&permissions, g_strfreev);
  permissions = stored_permissions (f->other, HOST_TOOL);
  g_assert_cmpstrv (permissions, ((const char *[]) { "yes", NULL }));

  /* Not in the settings: they are only for a desktop without a permission store. */
  g_clear_pointer (&permissions, g_strfreev);
  permissions = g_settings_get_strv (f->settings, "allowed-apps");
  g_assert_cmpuint (g_strv_length (permissions), ==, 0);

  listed = run_flatpak (list_args);
  if (listed != NULL)
    {
      g_assert_nonnull (strstr (listed, KT_GRANT_STORE_TABLE "\t" KT_GRANT_STORE_ID "\t"));
      g_assert_nonnull (strstr (listed, WALLET "\tyes"));
      g_assert_nonnull (strstr (listed, HOST_TOOL "\tyes"));
    }
}

/* The bus's answer to @method about the permission store's name, of @reply_type. */
static GVariant *
ask_bus_about_store (Fixture    *f,
                     const char *method,
                     const char *reply_type)
{
  g_autoptr(GError) error = NULL;
  GVariant *reply;

  reply = g_dbus_connection_call_sync (f->other, "org.freedesktop.DBus", "/org/freedesktop/DBus",
                                       "org.freedesktop.DBus", method,
                                       g_variant_new ("(s)", STORE_NAME),
                                       G_VARIANT_TYPE (reply_type), G_DBUS_CALL_FLAGS_NONE, -1,
                                       NULL, &error);
  g_assert_no_error (error);
  return reply;
}

static pid_t
store_pid (Fixture *f)
{
  g_autoptr(GVariant) reply = ask_bus_about_store (f, "GetConnectionUnixProcessID", "(u)");
  guint32 pid;

  g_variant_get (reply, "(u)", &pid);
  return (pid_t) pid;
}

static gboolean
store_runs (Fixture *f)
{
  g_autoptr(GVariant) reply = ask_bus_about_store (f, "NameHasOwner", "(b)");
  gboolean has_owner;

  g_variant_get (reply, "(b)", &has_owner);
  return has_owner;
}

static void
test_survives_restart (Fixture       *f,
                       gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GDBusConnection) bus = NULL;
  g_autoptr(KtGrantStore) again = NULL;
  gint64 deadline;

  g_assert_true (load (f->store, &error));
  g_assert_true (set_grant (f->store, WALLET, TRUE, &error));
  g_assert_true (set_grant (f->store, HOST_TOOL, TRUE, &error));
  g_assert_no_error (error);

  /* The permission store goes; the next call starts it again from what it wrote to disk. */
  g_assert_cmpint (kill (store_pid (f), SIGTERM), ==, 0);
  deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;
  while (store_runs (f))
    {
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_usleep (10 * 1000);
    }

  bus = kt_test_bus_new_connection ();
  again = kt_grant_store_new (bus, f->settings);
  g_assert_false (kt_grant_store_is_allowed (again, WALLET));
  g_assert_true (load (again, &error));
  g_assert_no_error (error);
  g_assert_true (kt_grant_store_uses_permission_store (again));
  g_assert_true (kt_grant_store_is_allowed (again, WALLET));
  g_assert_true (kt_grant_store_is_allowed (again, HOST_TOOL));
  assert_allowed_are (again, HOST_TOOL " " WALLET);

  /* The first store follows the new permission store's changes as it did the old one's. */
  f->changes = 0;
  delete_permission_as_other (f, HOST_TOOL);
  wait_for_changes (f, 1);
  g_assert_false (kt_grant_store_is_allowed (f->store, HOST_TOOL));
}

static void
test_revoke (Fixture       *f,
             gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) permissions = NULL;
  g_autoptr(GDBusConnection) bus = NULL;
  g_autoptr(KtGrantStore) again = NULL;

  g_assert_true (load (f->store, &error));
  /* Nothing allowed yet, not even the entry: revoking removes nothing and succeeds. */
  g_assert_true (set_grant (f->store, WALLET, FALSE, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (f->changes, ==, 0);

  g_assert_true (set_grant (f->store, WALLET, TRUE, &error));
  g_assert_true (set_grant (f->store, NOTES, TRUE, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (f->changes, ==, 2);

  g_assert_true (set_grant (f->store, WALLET, FALSE, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (f->changes, ==, 3);
  g_assert_false (kt_grant_store_is_allowed (f->store, WALLET));
  g_assert_true (kt_grant_store_is_allowed (f->store, NOTES));
  assert_allowed_are (f->store, NOTES);
  g_assert_null (stored_permissions (f->other, WALLET));
  permissions = stored_permissions (f->other, NOTES);
  g_assert_cmpstrv (permissions, ((const char *[]) { "yes", NULL }));

  /* Revoking again: nothing changes. */
  g_assert_true (set_grant (f->store, WALLET, FALSE, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (f->changes, ==, 3);

  bus = kt_test_bus_new_connection ();
  again = kt_grant_store_new (bus, NULL);
  g_assert_true (load (again, &error));
  g_assert_no_error (error);
  assert_allowed_are (again, NOTES);
}

static void
test_follows_others (Fixture       *f,
                     gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) reply = NULL;
  g_autofree char *removed = NULL;
  const char *remove_args[] = { "permission-remove", KT_GRANT_STORE_TABLE, KT_GRANT_STORE_ID,
                                WALLET, NULL };

  g_assert_true (load (f->store, &error));
  g_assert_no_error (error);

  /* Another client allows an app: the cache has it without a new lookup. */
  set_permission_as_other (f, WALLET, "yes");
  wait_for_changes (f, 1);
  g_assert_true (kt_grant_store_is_allowed (f->store, WALLET));

  set_permission_as_other (f, NOTES, "yes");
  wait_for_changes (f, 2);
  assert_allowed_are (f->store, NOTES " " WALLET);

  /* ...and takes it back. */
  delete_permission_as_other (f, NOTES);
  wait_for_changes (f, 3);
  g_assert_false (kt_grant_store_is_allowed (f->store, NOTES));
  g_assert_true (kt_grant_store_is_allowed (f->store, WALLET));

  /* Anything but "yes" allows nothing. */
  set_permission_as_other (f, NOTES, "no");
  set_permission_as_other (f, WALLET, "no");
  wait_for_changes (f, 4);
  g_assert_false (kt_grant_store_is_allowed (f->store, WALLET));
  g_assert_false (kt_grant_store_is_allowed (f->store, NOTES));
  set_permission_as_other (f, WALLET, "yes");
  wait_for_changes (f, 5);

  /* An entry that is not a caller id is left out. */
  set_permission_as_other (f, "not an app", "yes");
  delete_permission_as_other (f, NOTES);
  set_permission_as_other (f, NOTES, "yes");
  wait_for_changes (f, 6);
  assert_allowed_are (f->store, NOTES " " WALLET);

  /* flatpak permission-remove, as a person would type it. */
  removed = run_flatpak (remove_args);
  if (removed != NULL)
    {
      wait_for_changes (f, 7);
      g_assert_false (kt_grant_store_is_allowed (f->store, WALLET));
      assert_allowed_are (f->store, NOTES);
    }
  else
    {
      delete_permission_as_other (f, WALLET);
      wait_for_changes (f, 7);
    }

  /* The whole resource goes (flatpak permission-reset, say): nothing is allowed. */
  reply = call_store (f->other, "Delete",
                      g_variant_new ("(ss)", KT_GRANT_STORE_TABLE, KT_GRANT_STORE_ID), &error);
  g_assert_no_error (error);
  wait_for_changes (f, 8);
  assert_allowed_are (f->store, "");
}

/* The answer comes from memory: a permission store that does not answer does not hold it up. */
static void
test_is_allowed_from_memory (Fixture       *f,
                             gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  gboolean allowed = TRUE;
  gboolean other_allowed = TRUE;
  gint64 started;
  gint64 took;
  pid_t pid;

  g_assert_true (load (f->store, &error));
  g_assert_true (set_grant (f->store, WALLET, TRUE, &error));
  g_assert_no_error (error);

  pid = store_pid (f);
  g_assert_cmpint (kill (pid, SIGSTOP), ==, 0);
  started = g_get_monotonic_time ();
  for (guint i = 0; i < 1000; i++)
    {
      allowed = allowed && kt_grant_store_is_allowed (f->store, WALLET);
      other_allowed = other_allowed && kt_grant_store_is_allowed (f->store, NOTES);
    }
  took = g_get_monotonic_time () - started;
  g_assert_cmpint (kill (pid, SIGCONT), ==, 0);

  g_assert_true (allowed);
  g_assert_false (other_allowed);
  g_assert_cmpint (took, <, G_USEC_PER_SEC);
}

static void
test_bad_ids (Fixture       *f,
              gconstpointer  data)
{
  g_autofree char *too_long = g_strnfill (KT_GRANT_STORE_MAX_CALLER_ID + 1, 'a');
  g_autofree char *long_path = g_strconcat ("/", too_long, NULL);
  const char *bad[] = {
    "",
    "org.example.\xff\xfe",
    "org.example.Wallet\n",
    "/usr/bin/wallet\x01",
    "/usr/bin/wallet\xc2\x85",
    "org.example.Wallet\xe2\x80\x8b",
    "wallet",
    "org..Wallet",
    "1org.example.Wallet",
    "org.example.Wallet/../Notes",
    "usr/bin/wallet",
    "/usr/bin/",
    "/",
    too_long,
    long_path,
  };
  g_autoptr(GVariant) reply = NULL;

  g_assert_true (load (f->store, NULL));

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autofree char *detail = NULL;
      g_autofree char *name = NULL;

      g_test_message ("caller id %u", i);
      g_assert_false (kt_grant_store_validate_caller (bad[i], &error));
      g_assert_error (error, KT_GRANT_STORE_ERROR, KT_GRANT_STORE_ERROR_INVALID_CALLER);
      g_clear_error (&error);
      g_assert_false (set_grant (f->store, bad[i], TRUE, &error));
      g_assert_error (error, KT_GRANT_STORE_ERROR, KT_GRANT_STORE_ERROR_INVALID_CALLER);
      g_assert_true (g_utf8_validate (error->message, -1, NULL));
      g_clear_error (&error);
      g_assert_false (set_grant (f->store, bad[i], FALSE, &error));
      g_assert_error (error, KT_GRANT_STORE_ERROR, KT_GRANT_STORE_ERROR_INVALID_CALLER);
      g_assert_false (kt_grant_store_is_allowed (f->store, bad[i]));
      name = kt_grant_store_describe_caller (bad[i], &detail);
      g_assert_cmpstr (name, ==, "Unknown app");
      g_assert_cmpstr (detail, ==, "");
    }
  g_assert_false (kt_grant_store_validate_caller (NULL, NULL));
  g_assert_false (kt_grant_store_is_allowed (f->store, NULL));

  /* Nothing reached the permission store. */
  g_assert_cmpuint (f->changes, ==, 0);
  reply = call_store (f->other, "Lookup",
                      g_variant_new ("(ss)", KT_GRANT_STORE_TABLE, KT_GRANT_STORE_ID), NULL);
  g_assert_null (reply);

  g_assert_true (kt_grant_store_validate_caller (WALLET, NULL));
  g_assert_true (kt_grant_store_validate_caller ("org.example.wallet_app-2", NULL));
  g_assert_true (kt_grant_store_validate_caller (HOST_TOOL, NULL));
  g_assert_true (kt_grant_store_validate_caller ("/opt/Wället/bin/wallet cli", NULL));
}

static void
test_needs_loading (Fixture       *f,
                    gconstpointer  data)
{
  g_autoptr(GError) error = NULL;

  g_assert_false (set_grant (f->store, WALLET, TRUE, &error));
  g_assert_error (error, KT_GRANT_STORE_ERROR, KT_GRANT_STORE_ERROR_NOT_LOADED);
  g_clear_error (&error);
  g_assert_false (set_grant (f->store, WALLET, FALSE, &error));
  g_assert_error (error, KT_GRANT_STORE_ERROR, KT_GRANT_STORE_ERROR_NOT_LOADED);
  g_assert_null (stored_permissions (f->other, WALLET));
}

static void
test_describe (void)
{
  struct {
    const char *caller_id;
    const char *name;
    const char *detail;
  } cases[] = {
    /* Installed: the name its desktop file gives (install_desktop_file() below). */
    { WALLET, "Example Wallet", WALLET },
    /* Not installed: the id is all there is. */
    { NOTES, NOTES, NOTES },
    { HOST_TOOL, "wallet-cli", HOST_TOOL },
    { "/opt/Wället/bin/wallet cli", "wallet cli", "/opt/Wället/bin/wallet cli" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *detail = NULL;
      g_autofree char *name = kt_grant_store_describe_caller (cases[i].caller_id, &detail);
      g_autofree char *name_only = kt_grant_store_describe_caller (cases[i].caller_id, NULL);

      g_assert_cmpstr (name, ==, cases[i].name);
      g_assert_cmpstr (detail, ==, cases[i].detail);
      g_assert_cmpstr (name_only, ==, cases[i].name);
    }
}

/* The settings, where no permission store runs */

static void
test_settings_only (Fixture       *f,
                    gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(KtGrantStore) store = create_store (f, NULL, f->settings);
  g_autoptr(KtGrantStore) again = NULL;
  g_auto(GStrv) kept = NULL;
  const char *others[] = { NOTES, "not an app", NULL };

  g_assert_true (load (store, &error));
  g_assert_no_error (error);
  g_assert_true (kt_grant_store_get_loaded (store));
  g_assert_false (kt_grant_store_uses_permission_store (store));

  g_assert_true (set_grant (store, WALLET, TRUE, &error));
  g_assert_true (set_grant (store, HOST_TOOL, TRUE, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (f->changes, ==, 2);
  g_assert_true (kt_grant_store_is_allowed (store, WALLET));
  kept = g_settings_get_strv (f->settings, "allowed-apps");
  g_assert_cmpstrv (kept, ((const char *[]) { HOST_TOOL, WALLET, NULL }));
  /* Not in the permission store. */
  g_assert_null (stored_permissions (f->other, WALLET));

  again = kt_grant_store_new (NULL, f->settings);
  g_assert_true (load (again, &error));
  assert_allowed_are (again, HOST_TOOL " " WALLET);

  g_assert_true (set_grant (store, HOST_TOOL, FALSE, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (f->changes, ==, 3);
  g_clear_pointer (&kept, g_strfreev);
  kept = g_settings_get_strv (f->settings, "allowed-apps");
  g_assert_cmpstrv (kept, ((const char *[]) { WALLET, NULL }));

  /* Someone else writes the setting (gsettings set, another Keyturn): followed, and an entry
   * that is not a caller id allows nothing. */
  g_settings_set_strv (f->settings, "allowed-apps", others);
  wait_for_changes (f, 4);
  assert_allowed_are (store, NOTES);
  assert_allowed_are (again, NOTES);
}

static void
test_fallback_to_settings (Fixture       *f,
                           gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) kept = NULL;
  g_autoptr(GDBusConnection) bus = NULL;
  g_autoptr(KtGrantStore) again = NULL;
  g_autoptr(GVariant) reply = NULL;

  /* The premise: this bus cannot start a permission store. */
  reply = call_store (f->other, "Lookup",
                      g_variant_new ("(ss)", KT_GRANT_STORE_TABLE, KT_GRANT_STORE_ID), &error);
  g_assert_error (error, G_DBUS_ERROR, G_DBUS_ERROR_SERVICE_UNKNOWN);
  g_clear_error (&error);

  g_assert_true (load (f->store, &error));
  g_assert_no_error (error);
  g_assert_true (kt_grant_store_get_loaded (f->store));
  g_assert_false (kt_grant_store_uses_permission_store (f->store));

  g_assert_true (set_grant (f->store, WALLET, TRUE, &error));
  g_assert_no_error (error);
  g_assert_true (kt_grant_store_is_allowed (f->store, WALLET));
  g_assert_cmpuint (f->changes, ==, 1);
  kept = g_settings_get_strv (f->settings, "allowed-apps");
  g_assert_cmpstrv (kept, ((const char *[]) { WALLET, NULL }));

  bus = kt_test_bus_new_connection ();
  again = kt_grant_store_new (bus, f->settings);
  g_assert_true (load (again, &error));
  g_assert_false (kt_grant_store_uses_permission_store (again));
  assert_allowed_are (again, WALLET);

  g_assert_true (set_grant (f->store, WALLET, FALSE, &error));
  g_assert_no_error (error);
  g_assert_false (kt_grant_store_is_allowed (f->store, WALLET));
  g_clear_pointer (&kept, g_strfreev);
  kept = g_settings_get_strv (f->settings, "allowed-apps");
  g_assert_cmpuint (g_strv_length (kept), ==, 0);
}

static void
test_fallback_without_settings (Fixture       *f,
                                gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(KtGrantStore) store = kt_grant_store_new (f->bus, NULL);

  g_assert_false (load (store, &error));
  g_assert_error (error, KT_GRANT_STORE_ERROR, KT_GRANT_STORE_ERROR_UNAVAILABLE);
  g_clear_error (&error);
  g_assert_false (kt_grant_store_get_loaded (store));
  g_assert_false (set_grant (store, WALLET, TRUE, &error));
  g_assert_error (error, KT_GRANT_STORE_ERROR, KT_GRANT_STORE_ERROR_NOT_LOADED);
}

/* The desktop file a Flatpak app would export, where GIO looks for it. */
static void
install_desktop_file (void)
{
  g_autofree char *folder = g_build_filename (g_get_user_data_dir (), "applications", NULL);
  g_autofree char *path = g_build_filename (folder, WALLET ".desktop", NULL);
  g_autoptr(GError) error = NULL;
  const char *contents = "[Desktop Entry]\n"
                         "Type=Application\n"
                         "Name=Example Wallet\n"
                         "Exec=true\n";

  g_assert_cmpint (g_mkdir_with_parents (folder, 0700), ==, 0);
  g_file_set_contents (path, contents, -1, &error);
  g_assert_no_error (error);
}

#define add_test(path, func) \
  g_test_add ("/service/grant-store/" path, Fixture, NULL, fixture_set_up, func, \
              fixture_tear_down)

int
main (int   argc,
      char *argv[])
{
  gboolean without_permission_store = FALSE;

  for (int i = 1; i < argc; i++)
    if (g_strcmp0 (argv[i], "--without-permission-store") == 0)
      {
        without_permission_store = TRUE;
        memmove (&argv[i], &argv[i + 1], (argc - i) * sizeof (char *));
        argc--;
        break;
      }
  g_test_init (&argc, &argv, NULL);

  if (without_permission_store)
    {
      add_test ("fallback/settings", test_fallback_to_settings);
      add_test ("fallback/no-settings", test_fallback_without_settings);
      return g_test_run ();
    }

  install_desktop_file ();
  add_test ("permission-store/allow", test_allow);
  add_test ("permission-store/survives-restart", test_survives_restart);
  add_test ("permission-store/revoke", test_revoke);
  add_test ("permission-store/follows-others", test_follows_others);
  add_test ("permission-store/is-allowed-from-memory", test_is_allowed_from_memory);
  add_test ("bad-ids", test_bad_ids);
  add_test ("needs-loading", test_needs_loading);
  add_test ("settings-only", test_settings_only);
  g_test_add_func ("/service/grant-store/describe", test_describe);
  return g_test_run ();
}
