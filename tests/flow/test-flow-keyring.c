/* test-flow-keyring.c: the flow when the keyring is there, locked, or missing altogether
 *
 * Run once per KEYTURN_TEST_KEYRING mode (unlocked, locked, none): the sign-in works in every
 * one; only an unlocked keyring remembers it, and otherwise the controller says why not.
 *
 * Copyright 2026 Keyturn developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "flow-fixture.h"
#include "kt-test-async.h"

static const char *
keyring_mode (void)
{
  const char *mode = g_getenv ("KEYTURN_TEST_KEYRING");

  return mode != NULL ? mode : "unlocked";
}

/* The store alone: what each mode makes of a save and a load. */
static void
test_store (void)
{
  g_autoptr(KtSessionStore) store = kt_session_store_new ("http://127.0.0.1:1/api/v0", "env-1");
  g_autoptr(KtStoredSession) session = kt_stored_session_new ("user-1", "access", "id", 0);
  g_autoptr(KtStoredSession) loaded = NULL;
  g_autoptr(GError) error = NULL;
  GAsyncResult *result = NULL;
  gboolean saved;

  kt_session_store_save_async (store, session, "someone@example.com", NULL, kt_test_async_done,
                               &result);
  kt_test_async_wait (&result, 0);
  saved = kt_session_store_save_finish (store, result, &error);
  g_clear_object (&result);

  if (g_str_equal (keyring_mode (), "unlocked"))
    {
      g_assert_no_error (error);
      g_assert_true (saved);
    }
  else
    {
      g_assert_false (saved);
      g_assert_error (error, KT_SESSION_STORE_ERROR,
                      g_str_equal (keyring_mode (), "locked") ? KT_SESSION_STORE_ERROR_LOCKED
                                                              : KT_SESSION_STORE_ERROR_UNAVAILABLE);
      g_assert_cmpstr (error->message, !=, "");
      g_clear_error (&error);
    }

  kt_session_store_load_async (store, NULL, kt_test_async_done, &result);
  kt_test_async_wait (&result, 0);
  loaded = kt_session_store_load_finish (store, result, &error);
  g_clear_object (&result);
  if (g_str_equal (keyring_mode (), "unlocked"))
    {
      g_assert_no_error (error);
      g_assert_nonnull (loaded);
      g_assert_cmpstr (loaded->access_token, ==, "access");
    }
  else
    {
      g_assert_null (loaded);
      /* A locked keyring may hide its items rather than refuse: no session either way. */
      if (error != NULL)
        g_assert_true (error->domain == KT_SESSION_STORE_ERROR);
    }
}

static void
test_flow (Flow          *f,
           gconstpointer  data)
{
  gboolean remembered = g_str_equal (keyring_mode (), "unlocked");
  const char *reason;

  flow_restart (f);
  g_assert_cmpint (kt_mfa_controller_get_step (f->controller), ==, KT_MFA_STEP_SIGNED_OUT);
  /* With no Secret Service at all, that is known from the start. */
  if (g_str_equal (keyring_mode (), "none"))
    g_assert_nonnull (kt_mfa_controller_get_not_remembered_reason (f->controller));

  flow_sign_up (f);
  g_assert_cmpint (kt_mfa_controller_get_step (f->controller), ==, KT_MFA_STEP_SIGNED_IN);
  g_assert_null (kt_mfa_controller_get_error (f->controller));
  flow_settle (f);
  g_assert_cmpint (kt_mfa_controller_get_remembered (f->controller), ==, remembered);
  reason = kt_mfa_controller_get_not_remembered_reason (f->controller);
  if (remembered)
    g_assert_null (reason);
  else
    {
      g_assert_nonnull (reason);
      g_assert_cmpstr (reason, !=, "");
      g_test_message ("not remembered: %s", reason);
    }

  /* Restarted: signed in again only when the keyring kept the session. */
  g_assert_cmpint (flow_restart (f), ==,
                   remembered ? KT_MFA_STEP_SIGNED_IN : KT_MFA_STEP_SIGNED_OUT);
  g_assert_cmpint (kt_mfa_controller_get_remembered (f->controller), ==, remembered);
  if (remembered)
    return;

  /* Signing in again works just as well, and says again why it is not kept. */
  flow_sign_in (f);
  flow_settle (f);
  g_assert_false (kt_mfa_controller_get_remembered (f->controller));
  g_assert_nonnull (kt_mfa_controller_get_not_remembered_reason (f->controller));
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/flow/keyring/store", test_store);
  g_test_add ("/flow/keyring/flow", Flow, NULL, flow_setup, test_flow, flow_teardown);

  return g_test_run ();
}
