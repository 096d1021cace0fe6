/* test-session-store.c: KtSessionStore against a real gnome-keyring over a private D-Bus
 *
 * Copyright 2026 Keyturn developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <libsecret/secret.h>
#include <string.h>

#include "kt-session-store.h"
#include "kt-test-async.h"

#define BASE_URL "http://127.0.0.1:8765/api/v0"
#define ENV_A    "0f3b8c2e-5d7a-4e61-9b0c-2a4d6e8f1a3c"
#define ENV_B    "7c1e9a4b-2f3d-4c5e-8a6b-0d9e1f2a3b4c"

/* The items Keyturn writes, as any Secret Service client sees them: the format on disk. */
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

static void
save (KtSessionStore  *store,
      KtStoredSession *session,
      const char      *label)
{
  GAsyncResult *result = NULL;
  g_autoptr(GError) error = NULL;

  kt_session_store_save_async (store, session, label, NULL, kt_test_async_done, &result);
  g_assert_true (kt_session_store_save_finish (store, kt_test_async_wait (&result, 0), &error));
  g_assert_no_error (error);
  g_object_unref (result);
}

static KtStoredSession *
load (KtSessionStore  *store,
      GError         **error)
{
  GAsyncResult *result = NULL;
  KtStoredSession *session;

  kt_session_store_load_async (store, NULL, kt_test_async_done, &result);
  session = kt_session_store_load_finish (store, kt_test_async_wait (&result, 0), error);
  g_object_unref (result);
  return session;
}

static void
clear (KtSessionStore *store)
{
  GAsyncResult *result = NULL;
  g_autoptr(GError) error = NULL;

  kt_session_store_clear_async (store, NULL, kt_test_async_done, &result);
  g_assert_true (kt_session_store_clear_finish (store, kt_test_async_wait (&result, 0), &error));
  g_assert_no_error (error);
  g_object_unref (result);
}

/* Every item of the schema for @environment_id, with their secrets loaded. */
static GList *
items_for (const char *environment_id)
{
  g_autoptr(GHashTable) attributes = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr(GError) error = NULL;
  GList *items;

  g_hash_table_insert (attributes, (gpointer) "environment-id", (gpointer) environment_id);
  items = secret_service_search_sync (NULL, &session_schema, attributes,
                                      SECRET_SEARCH_ALL | SECRET_SEARCH_LOAD_SECRETS, NULL,
                                      &error);
  g_assert_no_error (error);
  return items;
}

static void
test_save_load_clear (void)
{
  g_autoptr(KtSessionStore) store = kt_session_store_new (BASE_URL, ENV_A);
  g_autoptr(KtStoredSession) session =
    kt_stored_session_new ("user-1", "access.token.one", "id.token.one", 1893456000);
  g_autoptr(KtStoredSession) bare = kt_stored_session_new ("user-1", "access.token.two", NULL, 0);
  g_autoptr(KtStoredSession) loaded = NULL;
  g_autoptr(GError) error = NULL;
  GList *items;
  SecretItem *item;
  g_autoptr(GHashTable) attributes = NULL;
  g_autofree char *label = NULL;
  GHashTableIter iter;
  gpointer key, value;

  g_assert_null (load (store, &error));
  g_assert_no_error (error);

  save (store, session, "someone@example.com");
  loaded = load (store, &error);
  g_assert_no_error (error);
  g_assert_nonnull (loaded);
  g_assert_cmpstr (loaded->user_id, ==, "user-1");
  g_assert_cmpstr (loaded->access_token, ==, "access.token.one");
  g_assert_cmpstr (loaded->id_token, ==, "id.token.one");
  g_assert_cmpint (loaded->expires_at, ==, 1893456000);
  g_clear_pointer (&loaded, kt_stored_session_free);

  /* What a person sees in Passwords and Keys: whose sign-in it is, and no token anywhere but
   * in the secret itself. */
  items = items_for (ENV_A);
  g_assert_cmpuint (g_list_length (items), ==, 1);
  item = items->data;
  label = secret_item_get_label (item);
  g_assert_nonnull (strstr (label, "someone@example.com"));
  attributes = secret_item_get_attributes (item);
  g_assert_cmpstr (g_hash_table_lookup (attributes, "user-id"), ==, "user-1");
  g_assert_cmpstr (g_hash_table_lookup (attributes, "base-url"), ==, BASE_URL);
  g_hash_table_iter_init (&iter, attributes);
  while (g_hash_table_iter_next (&iter, &key, &value))
    g_assert_null (strstr (value, "token"));
  g_list_free_full (items, g_object_unref);

  /* Optional fields stay absent, not empty. */
  save (store, bare, NULL);
  loaded = load (store, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (loaded->access_token, ==, "access.token.two");
  g_assert_null (loaded->id_token);
  g_assert_cmpint (loaded->expires_at, ==, 0);
  g_clear_pointer (&loaded, kt_stored_session_free);

  clear (store);
  g_assert_null (load (store, &error));
  g_assert_no_error (error);
  items = items_for (ENV_A);
  g_assert_null (items);
  /* Clearing nothing is not an error. */
  clear (store);
}

static void
test_replaces_other_user (void)
{
  g_autoptr(KtSessionStore) store = kt_session_store_new (BASE_URL, ENV_A);
  g_autoptr(KtSessionStore) elsewhere = kt_session_store_new (BASE_URL, ENV_B);
  g_autoptr(KtStoredSession) first = kt_stored_session_new ("user-1", "token-of-one", NULL, 0);
  g_autoptr(KtStoredSession) second = kt_stored_session_new ("user-2", "token-of-two", NULL, 0);
  g_autoptr(KtStoredSession) other = kt_stored_session_new ("user-3", "token-of-three", NULL, 0);
  g_autoptr(KtStoredSession) loaded = NULL;
  g_autoptr(GError) error = NULL;
  GList *items;

  save (elsewhere, other, NULL);
  save (store, first, NULL);
  save (store, second, NULL);

  /* One session per environment: the second user's replaced the first's entirely. */
  loaded = load (store, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (loaded->user_id, ==, "user-2");
  g_assert_cmpstr (loaded->access_token, ==, "token-of-two");
  items = items_for (ENV_A);
  g_assert_cmpuint (g_list_length (items), ==, 1);
  g_list_free_full (items, g_object_unref);
  g_clear_pointer (&loaded, kt_stored_session_free);

  /* Another environment's session is its own. */
  clear (store);
  loaded = load (elsewhere, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (loaded->access_token, ==, "token-of-three");
  clear (elsewhere);
}

static void
test_corrupt_secret (void)
{
  static const char * const corrupt[] = {
    "not json at all",
    "[\"an\", \"array\"]",
    "{\"userId\": \"user-1\"}",
    "{\"userId\": 42, \"accessToken\": \"t\"}",
    "{\"userId\": \"user-1\", \"accessToken\": \"t\", \"expiresAt\": \"soon\"}",
  };
  g_autoptr(KtSessionStore) store = kt_session_store_new (BASE_URL, ENV_A);
  g_autoptr(KtStoredSession) good = kt_stored_session_new ("user-1", "good-token", NULL, 0);

  for (guint i = 0; i < G_N_ELEMENTS (corrupt); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(KtStoredSession) loaded = NULL;
      g_autoptr(KtStoredSession) again = NULL;

      secret_password_store_sync (&session_schema, SECRET_COLLECTION_DEFAULT, "Damaged",
                                  corrupt[i], NULL, &error,
                                  "base-url", BASE_URL, "environment-id", ENV_A,
                                  "user-id", "user-1", NULL);
      g_assert_no_error (error);

      loaded = load (store, &error);
      g_assert_null (loaded);
      g_assert_error (error, KT_SESSION_STORE_ERROR, KT_SESSION_STORE_ERROR_CORRUPT);
      g_clear_error (&error);

      /* Said once: the unreadable item is gone, and the next sign-in is kept as usual. */
      again = load (store, &error);
      g_assert_no_error (error);
      g_assert_null (again);
    }

  save (store, good, NULL);
  {
    g_autoptr(GError) error = NULL;
    g_autoptr(KtStoredSession) loaded = load (store, &error);

    g_assert_no_error (error);
    g_assert_cmpstr (loaded->access_token, ==, "good-token");
  }
  clear (store);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/flow/session-store/save-load-clear", test_save_load_clear);
  g_test_add_func ("/flow/session-store/replaces-other-user", test_replaces_other_user);
  g_test_add_func ("/flow/session-store/corrupt-secret", test_corrupt_secret);

  return g_test_run ();
}
