/* test-flow.c: the whole sign-in flow through KtMfaController, as the app drives it, against
 * the real keyturn-sandbox, the real keyturn-virtual-key through libfido2 and a real keyring
 *
 * Copyright 2026 Keyturn developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <signal.h>
#include <string.h>

#include "flow-fixture.h"

static char **
copy_codes (Flow *f)
{
  const char * const *codes = kt_mfa_controller_get_recovery_codes (f->controller);

  g_assert_nonnull (codes);
  return g_strdupv ((char **) codes);
}

/* What the server says about the stored session's user, straight over HTTP. */
static guint
server_passkeys (Flow        *f,
                 const char  *token,
                 JsonArray  **out)
{
  g_autoptr(JsonObject) reply = NULL;
  guint status = ks_test_request (f->server, "GET", "/users/passkeys", token, NULL, NULL, &reply);

  if (out != NULL && status == 200)
    *out = json_array_ref (json_object_get_array_member (reply, "passkeys"));
  return status;
}

/* ------------------------------------------------------------------------------------------ */

static void
test_new_user (Flow          *f,
               gconstpointer  data)
{
  GAsyncResult *result = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(KtStoredSession) half = NULL;
  g_autoptr(KtStoredSession) full = NULL;
  g_autoptr(KtPasskey) passkey = NULL;
  g_autoptr(JsonArray) listed = NULL;
  const char * const *codes;

  g_assert_cmpint (flow_restart (f), ==, KT_MFA_STEP_SIGNED_OUT);
  g_assert_null (kt_mfa_controller_get_user (f->controller));

  flow_email_sign_in (f, KT_MFA_STEP_REGISTER_PASSKEY);
  g_assert_true (kt_user_requires_additional_auth (kt_mfa_controller_get_user (f->controller)));
  g_assert_cmpuint (flow_count_passkeys (f), ==, 0);

  /* The half-session is in the keyring already: a restart here must land on this step. */
  flow_spin_until (flow_is_remembered, f, 5000);
  half = flow_stored_session (f);
  g_assert_nonnull (half);
  g_assert_cmpstr (half->user_id, ==, kt_user_get_id (kt_mfa_controller_get_user (f->controller)));

  kt_mfa_controller_register_passkey_async (f->controller, "  Blue key ", NULL,
                                            flow_store_result, &result);
  g_assert_true (kt_mfa_controller_get_busy (f->controller));
  g_assert_true (flow_await (f, &result, &error));
  g_assert_no_error (error);

  g_assert_cmpint (kt_mfa_controller_get_step (f->controller), ==, KT_MFA_STEP_RECOVERY_CODES);
  g_assert_false (kt_user_requires_additional_auth (kt_mfa_controller_get_user (f->controller)));
  codes = kt_mfa_controller_get_recovery_codes (f->controller);
  g_assert_nonnull (codes);
  g_assert_cmpuint (g_strv_length ((char **) codes), ==, 10);
  for (guint i = 0; codes[i] != NULL; i++)
    g_assert_cmpuint (strlen (codes[i]), >=, 8);

  flow_acknowledge (f);
  g_assert_null (kt_mfa_controller_get_recovery_codes (f->controller));
  g_assert_cmpint (kt_user_get_recovery_acknowledgement (kt_mfa_controller_get_user
                                                         (f->controller)),
                   ==, KT_RECOVERY_ACKNOWLEDGEMENT_COMPLETE);

  /* The account page's data: the key just registered, with the name given (trimmed). */
  g_assert_cmpuint (flow_count_passkeys (f), ==, 1);
  passkey = flow_passkey_at (f, 0);
  g_assert_cmpstr (kt_passkey_get_alias (passkey), ==, "Blue key");
  g_assert_cmpstr (kt_passkey_get_origin (passkey), ==, FLOW_ORIGIN);
  g_assert_nonnull (kt_passkey_get_credential_id (passkey));
  g_assert_nonnull (kt_passkey_get_created_at (passkey));

  /* The full session replaced the half one in the keyring, and the server agrees. */
  flow_spin_until (flow_is_remembered, f, 5000);
  g_assert_null (kt_mfa_controller_get_not_remembered_reason (f->controller));
  full = flow_stored_session (f);
  g_assert_nonnull (full);
  g_assert_cmpstr (full->access_token, !=, half->access_token);
  g_assert_cmpint (server_passkeys (f, full->access_token, &listed), ==, 200);
  g_assert_cmpuint (json_array_get_length (listed), ==, 1);
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (listed, 0),
                                                  "alias"), ==, "Blue key");

  /* The typed MFA models read what the real server answers about the same account. */
  {
    g_autoptr(KtApiClient) api = kt_api_client_new (f->base_url, f->server->environment_id,
                                                    &error);
    g_autoptr(KtMfaMethods) methods = NULL;
    g_autoptr(GListModel) devices = NULL;
    g_autoptr(KtMfaDevice) device = NULL;

    g_assert_no_error (error);
    kt_api_client_set_access_token (api, full->access_token);
    kt_api_client_get_mfa_methods_async (api, NULL, flow_store_result, &result);
    while (result == NULL)
      g_main_context_iteration (NULL, TRUE);
    methods = kt_api_client_get_mfa_methods_finish (api, result, &error);
    g_clear_object (&result);
    g_assert_no_error (error);
    g_assert_true (kt_mfa_methods_get_has_verified_methods (methods));
    g_assert_cmpuint (g_list_model_get_n_items (kt_mfa_methods_get_passkeys (methods)), ==, 1);
    g_assert_cmpuint (g_list_model_get_n_items (kt_mfa_methods_get_devices (methods)), ==, 1);

    kt_api_client_list_mfa_devices_async (api, NULL, flow_store_result, &result);
    while (result == NULL)
      g_main_context_iteration (NULL, TRUE);
    devices = kt_api_client_list_mfa_devices_finish (api, result, &error);
    g_clear_object (&result);
    g_assert_no_error (error);
    g_assert_cmpuint (g_list_model_get_n_items (devices), ==, 1);
    device = g_list_model_get_item (devices, 0);
    g_assert_cmpstr (kt_mfa_device_get_kind (device), ==, "passkey");
    g_assert_true (kt_mfa_device_get_verified (device));
  }
}

static void
test_restart_at_every_step (Flow          *f,
                            gconstpointer  data)
{
  g_auto(GStrv) codes = NULL;
  g_autofree char *user_id = NULL;

  /* Nothing kept yet. */
  g_assert_cmpint (flow_restart (f), ==, KT_MFA_STEP_SIGNED_OUT);

  /* A code sent but not typed is not a session: a restart asks for the email again. */
  flow_send_code (f);
  g_assert_cmpint (flow_restart (f), ==, KT_MFA_STEP_SIGNED_OUT);
  g_assert_false (kt_mfa_controller_get_remembered (f->controller));

  /* Signed in by email, no key yet: register. */
  flow_send_code (f);
  flow_verify_code (f);
  user_id = g_strdup (kt_user_get_id (kt_mfa_controller_get_user (f->controller)));
  g_assert_cmpint (flow_restart (f), ==, KT_MFA_STEP_REGISTER_PASSKEY);
  g_assert_true (kt_mfa_controller_get_remembered (f->controller));
  g_assert_cmpstr (kt_user_get_id (kt_mfa_controller_get_user (f->controller)), ==, user_id);
  g_assert_cmpstr (kt_mfa_controller_get_email (f->controller), ==, f->email);
  g_assert_null (kt_mfa_controller_get_error (f->controller));

  /* Registered, codes not acknowledged: the same codes again. */
  flow_register (f, NULL);
  g_assert_cmpint (kt_mfa_controller_get_step (f->controller), ==, KT_MFA_STEP_RECOVERY_CODES);
  codes = copy_codes (f);
  g_assert_cmpint (flow_restart (f), ==, KT_MFA_STEP_RECOVERY_CODES);
  g_assert_cmpstrv (kt_mfa_controller_get_recovery_codes (f->controller), codes);

  /* Acknowledged: signed in, with the passkey listed. */
  flow_acknowledge (f);
  g_assert_cmpint (flow_restart (f), ==, KT_MFA_STEP_SIGNED_IN);
  g_assert_cmpuint (flow_count_passkeys (f), ==, 1);
  g_assert_null (kt_mfa_controller_get_recovery_codes (f->controller));

  /* Signed out: nothing kept. */
  flow_sign_out (f);
  g_assert_cmpint (flow_restart (f), ==, KT_MFA_STEP_SIGNED_OUT);

  /* Returning user signed in by email, key not used yet: authenticate. */
  flow_email_sign_in (f, KT_MFA_STEP_AUTHENTICATE_PASSKEY);
  /* Choosing a recovery code is not kept: the decision lands on the key again. */
  kt_mfa_controller_choose_recovery_code (f->controller);
  g_assert_cmpint (kt_mfa_controller_get_step (f->controller), ==, KT_MFA_STEP_USE_RECOVERY_CODE);
  g_assert_cmpint (flow_restart (f), ==, KT_MFA_STEP_AUTHENTICATE_PASSKEY);
  g_assert_cmpuint (flow_count_passkeys (f), ==, 1);
  flow_authenticate (f);
  g_assert_cmpint (kt_mfa_controller_get_step (f->controller), ==, KT_MFA_STEP_SIGNED_IN);
  g_assert_cmpint (flow_restart (f), ==, KT_MFA_STEP_SIGNED_IN);
}

static void
test_returning_user (Flow          *f,
                     gconstpointer  data)
{
  g_autoptr(KtStoredSession) session = NULL;
  g_autofree char *mfa_token = NULL;
  g_autoptr(JsonObject) reply = NULL;

  flow_sign_up (f);
  g_assert_false (kt_mfa_controller_get_has_mfa_token (f->controller));
  flow_drop_controller (f);

  /* Another computer, as it were: no session here, the same key. */
  flow_restart (f);
  flow_sign_out (f);
  flow_email_sign_in (f, KT_MFA_STEP_AUTHENTICATE_PASSKEY);
  g_assert_cmpuint (flow_count_passkeys (f), ==, 1);
  flow_authenticate (f);
  g_assert_cmpint (kt_mfa_controller_get_step (f->controller), ==, KT_MFA_STEP_SIGNED_IN);

  /* The step-up token the server gave is exposed once, then gone. */
  g_assert_true (kt_mfa_controller_get_has_mfa_token (f->controller));
  mfa_token = kt_mfa_controller_take_mfa_token (f->controller);
  g_assert_nonnull (mfa_token);
  g_assert_false (kt_mfa_controller_get_has_mfa_token (f->controller));
  g_assert_null (kt_mfa_controller_take_mfa_token (f->controller));

  /* Single use: it opens an action that needs it once, and never again (a legacy environment's
   * rule; one that enforces step-up takes no MFA token at all). */
  if (flow_step_up_enforced (f))
    return;
  flow_spin_until (flow_is_remembered, f, 5000);
  session = flow_stored_session (f);
  g_assert_cmpint (ks_test_request (f->server, "POST", "/users/mfa/recovery",
                                    session->access_token, mfa_token, NULL, &reply), ==, 200);
  g_clear_pointer (&reply, json_object_unref);
  g_assert_cmpint (ks_test_request (f->server, "POST", "/users/mfa/recovery",
                                    session->access_token, mfa_token, NULL, &reply), ==, 403);
  g_assert_cmpstr (ks_test_error_code (reply), ==, "mfa_token_invalid");
}

static gboolean
use_recovery_code (Flow        *f,
                   const char  *code,
                   GError     **error)
{
  GAsyncResult *result = NULL;

  kt_mfa_controller_use_recovery_code_async (f->controller, code, NULL, flow_store_result,
                                             &result);
  return flow_await (f, &result, error);
}

/* Signs a returning user in by email and stops at the recovery-code page. */
static void
reach_recovery_code_step (Flow *f)
{
  flow_email_sign_in (f, KT_MFA_STEP_AUTHENTICATE_PASSKEY);
  kt_mfa_controller_choose_recovery_code (f->controller);
  g_assert_cmpint (kt_mfa_controller_get_step (f->controller), ==, KT_MFA_STEP_USE_RECOVERY_CODE);
}


static void
test_email_code (Flow          *f,
                 gconstpointer  data)
{
  GAsyncResult *result = NULL;
  GAsyncResult *second = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *first_code = NULL;
  g_autofree char *new_code = NULL;
  gint64 first_sent_at;

  flow_restart (f);

  /* Not an address: refused here, nothing sent. */
  kt_mfa_controller_send_code_async (f->controller, "no-at-sign", NULL, flow_store_result,
                                     &result);
  g_assert_false (flow_await (f, &result, &error));
  g_assert_error (error, KT_MFA_CONTROLLER_ERROR, KT_MFA_CONTROLLER_ERROR_INVALID_INPUT);
  g_clear_error (&error);
  g_assert_cmpint (kt_mfa_controller_get_step (f->controller), ==, KT_MFA_STEP_SIGNED_OUT);

  flow_send_code (f);
  first_code = ks_test_server_read_code (f->server, f->email);
  first_sent_at = kt_mfa_controller_get_code_sent_at (f->controller);
  /* The usual wait before a second code, until the server says otherwise. */
  g_assert_cmpint (kt_mfa_controller_get_resend_available_at (f->controller), ==,
                   first_sent_at + 30);

  /* A wrong code: the server's reason, the page stays. */
  kt_mfa_controller_verify_code_async (f->controller, g_str_equal (first_code, "000000")
                                       ? "111111" : "000000", NULL, flow_store_result, &result);
  g_assert_false (flow_await (f, &result, &error));
  g_assert_error (error, KT_API_ERROR, KT_API_ERROR_INVALID_CODE);
  g_clear_error (&error);
  g_assert_cmpint (kt_mfa_controller_get_step (f->controller), ==, KT_MFA_STEP_CODE_SENT);
  g_assert_nonnull (kt_mfa_controller_get_error (f->controller));

  /* Too soon for another code: the server says so and the first code still stands. */
  kt_mfa_controller_resend_code_async (f->controller, NULL, flow_store_result, &result);
  g_assert_false (flow_await (f, &result, &error));
  g_assert_error (error, KT_API_ERROR, KT_API_ERROR_RATE_LIMITED);
  /* This sandbox asks for one second (emailRetry): its word decides when to offer it again. */
  g_assert_cmpuint (kt_api_error_get_retry_after (error), ==, 1);
  g_assert_cmpint (kt_mfa_controller_get_resend_available_at (f->controller), <=,
                   g_get_real_time () / G_USEC_PER_SEC + 1);
  g_clear_error (&error);

  /* A moment later it goes, and the new code is the one that works. */
  flow_spin (1200);
  kt_mfa_controller_resend_code_async (f->controller, NULL, flow_store_result, &result);
  g_assert_true (flow_await (f, &result, &error));
  g_assert_no_error (error);
  g_assert_null (kt_mfa_controller_get_error (f->controller));
  g_assert_cmpint (kt_mfa_controller_get_code_sent_at (f->controller), >=, first_sent_at);
  new_code = ks_test_server_read_code (f->server, f->email);

  /* One thing at a time: a second operation while one runs is refused, the first goes on. */
  kt_mfa_controller_verify_code_async (f->controller, new_code, NULL, flow_store_result, &result);
  kt_mfa_controller_send_code_async (f->controller, f->email, NULL, flow_store_result, &second);
  while (second == NULL)
    g_main_context_iteration (NULL, TRUE);
  g_assert_false (kt_mfa_controller_operation_finish (f->controller, second, &error));
  g_assert_error (error, KT_MFA_CONTROLLER_ERROR, KT_MFA_CONTROLLER_ERROR_BUSY);
  g_clear_error (&error);
  g_clear_object (&second);
  g_assert_true (flow_await (f, &result, &error));
  g_assert_no_error (error);
  g_assert_cmpint (kt_mfa_controller_get_step (f->controller), ==, KT_MFA_STEP_REGISTER_PASSKEY);
}

static void
test_start_over (Flow          *f,
                 gconstpointer  data)
{
  GAsyncResult *result = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *code = NULL;

  flow_restart (f);
  flow_send_code (f);
  code = ks_test_server_read_code (f->server, f->email);

  /* A typo in the address: back to the email page; the code sent to it is forgotten. */
  kt_mfa_controller_start_over (f->controller);
  g_assert_cmpint (kt_mfa_controller_get_step (f->controller), ==, KT_MFA_STEP_SIGNED_OUT);
  kt_mfa_controller_verify_code_async (f->controller, code, NULL, flow_store_result, &result);
  g_assert_false (flow_await (f, &result, &error));
  g_assert_error (error, KT_MFA_CONTROLLER_ERROR, KT_MFA_CONTROLLER_ERROR_WRONG_STEP);
  g_clear_error (&error);

  flow_email_sign_in (f, KT_MFA_STEP_REGISTER_PASSKEY);
}

static void
test_recovery_code (Flow          *f,
                    gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) codes = NULL;
  g_autofree char *typed = NULL;

  flow_sign_up (f);
  /* Signed in, the codes can be shown again: the same ten. */
  codes = flow_fetch_recovery_codes (f);
  g_assert_cmpuint (g_strv_length (codes), ==, 10);
  flow_sign_out (f);

  /* A code typed as a person might: upper case, no dash, spaces around. */
  reach_recovery_code_step (f);
  {
    g_autofree char *upper = g_ascii_strup (codes[0], -1);
    g_auto(GStrv) parts = g_strsplit (upper, "-", -1);
    g_autofree char *joined = g_strjoinv ("", parts);

    typed = g_strdup_printf ("  %s ", joined);
  }
  g_assert_true (use_recovery_code (f, typed, &error));
  g_assert_no_error (error);
  g_assert_cmpint (kt_mfa_controller_get_step (f->controller), ==, KT_MFA_STEP_SIGNED_IN);
  g_assert_true (kt_mfa_controller_get_has_mfa_token (f->controller));
  g_assert_cmpint (flow_restart (f), ==, KT_MFA_STEP_SIGNED_IN);
  flow_sign_out (f);

  /* Spent: the same code fails, the page stays, and says why. */
  reach_recovery_code_step (f);
  g_assert_false (use_recovery_code (f, codes[0], &error));
  g_assert_error (error, KT_API_ERROR, KT_API_ERROR_INVALID_CODE);
  g_clear_error (&error);
  g_assert_cmpint (kt_mfa_controller_get_step (f->controller), ==, KT_MFA_STEP_USE_RECOVERY_CODE);
  g_assert_nonnull (kt_mfa_controller_get_error (f->controller));
  g_assert_cmpstr (kt_mfa_controller_get_error (f->controller)->message, !=, "");

  /* Going back to the key clears the message; another code works. */
  kt_mfa_controller_choose_passkey (f->controller);
  g_assert_cmpint (kt_mfa_controller_get_step (f->controller), ==,
                   KT_MFA_STEP_AUTHENTICATE_PASSKEY);
  g_assert_null (kt_mfa_controller_get_error (f->controller));
  kt_mfa_controller_choose_recovery_code (f->controller);
  g_assert_true (use_recovery_code (f, codes[1], &error));
  g_assert_no_error (error);
  g_assert_cmpint (kt_mfa_controller_get_step (f->controller), ==, KT_MFA_STEP_SIGNED_IN);
}

static const FlowOptions step_up_everything = {
  .token_required_for = "\"delete-passkey\", \"rename-passkey\", \"new-recovery-codes\"",
};

static void
test_new_codes_invalidate_old (Flow          *f,
                               gconstpointer  data)
{
  GAsyncResult *result = NULL;
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) old_codes = NULL;
  g_auto(GStrv) new_codes = NULL;

  flow_sign_up (f);
  old_codes = flow_fetch_recovery_codes (f);

  /* The server wants a fresh second factor for this: the controller touches the key for it. */
  kt_mfa_controller_new_recovery_codes_async (f->controller, NULL, flow_store_result, &result);
  g_assert_true (flow_await (f, &result, &error));
  g_assert_no_error (error);
  new_codes = copy_codes (f);
  g_assert_cmpuint (g_strv_length (new_codes), ==, 10);
  for (guint i = 0; new_codes[i] != NULL; i++)
    g_assert_false (g_strv_contains ((const char * const *) old_codes, new_codes[i]));
  g_assert_false (kt_mfa_controller_get_has_mfa_token (f->controller));
  g_assert_cmpint (kt_mfa_controller_get_step (f->controller), ==, KT_MFA_STEP_SIGNED_IN);
  flow_sign_out (f);

  reach_recovery_code_step (f);
  g_assert_false (use_recovery_code (f, old_codes[2], &error));
  g_assert_error (error, KT_API_ERROR, KT_API_ERROR_INVALID_CODE);
  g_clear_error (&error);
  g_assert_true (use_recovery_code (f, new_codes[2], &error));
  g_assert_no_error (error);
  g_assert_cmpint (kt_mfa_controller_get_step (f->controller), ==, KT_MFA_STEP_SIGNED_IN);
}

/* A name typed at registration sticks even where renaming needs a fresh second factor: the
 * registration itself earns the token for it, and none is left over. */
static void
test_name_at_registration (Flow          *f,
                           gconstpointer  data)
{
  g_autoptr(KtPasskey) passkey = NULL;

  flow_restart (f);
  flow_send_code (f);
  flow_verify_code (f);
  flow_register (f, "Named at registration");
  g_assert_false (kt_mfa_controller_get_has_mfa_token (f->controller));
  flow_acknowledge (f);
  passkey = flow_passkey_at (f, 0);
  g_assert_cmpstr (kt_passkey_get_alias (passkey), ==, "Named at registration");
}

static void
test_rename_and_delete (Flow          *f,
                        gconstpointer  data)
{
  GAsyncResult *result = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(KtPasskey) passkey = NULL;
  g_autoptr(KtStoredSession) session = NULL;
  g_autoptr(JsonArray) listed = NULL;

  flow_sign_up (f);
  passkey = flow_passkey_at (f, 0);

  /* A name that is only blanks is refused before the server hears of it. */
  kt_mfa_controller_rename_passkey_async (f->controller, passkey, "   ", NULL, flow_store_result,
                                          &result);
  g_assert_false (flow_await (f, &result, &error));
  g_assert_error (error, KT_MFA_CONTROLLER_ERROR, KT_MFA_CONTROLLER_ERROR_INVALID_INPUT);
  g_clear_error (&error);

  /* Renaming needs a step-up here: the key is touched, and the row's own object changes. */
  kt_mfa_controller_rename_passkey_async (f->controller, passkey, "Work key", NULL,
                                          flow_store_result, &result);
  g_assert_true (flow_await (f, &result, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (kt_passkey_get_alias (passkey), ==, "Work key");
  g_assert_false (kt_mfa_controller_get_has_mfa_token (f->controller));

  flow_spin_until (flow_is_remembered, f, 5000);
  session = flow_stored_session (f);
  g_assert_cmpint (server_passkeys (f, session->access_token, &listed), ==, 200);
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (listed, 0),
                                                  "alias"), ==, "Work key");
  g_clear_pointer (&listed, json_array_unref);
  g_clear_pointer (&session, kt_stored_session_free);

  /* Deleting needs one too; the list loses the row. */
  flow_delete_passkey (f, passkey);
  g_assert_cmpuint (flow_count_passkeys (f), ==, 0);
  g_assert_false (kt_mfa_controller_get_has_mfa_token (f->controller));

  flow_spin_until (flow_is_remembered, f, 5000);
  session = flow_stored_session (f);
  g_assert_cmpint (server_passkeys (f, session->access_token, &listed), ==, 200);
  g_assert_cmpuint (json_array_get_length (listed), ==, 0);
}

static void
test_sign_out_revokes (Flow          *f,
                       gconstpointer  data)
{
  g_autoptr(KtStoredSession) session = NULL;
  g_autoptr(KtStoredSession) after = NULL;
  g_autoptr(JsonObject) reply = NULL;

  flow_sign_up (f);
  flow_spin_until (flow_is_remembered, f, 5000);
  session = flow_stored_session (f);
  g_assert_nonnull (session);
  g_assert_cmpint (ks_test_request (f->server, "GET", "/users", session->access_token, NULL,
                                    NULL, &reply), ==, 200);
  g_clear_pointer (&reply, json_object_unref);

  flow_sign_out (f);
  g_assert_null (kt_mfa_controller_get_user (f->controller));
  g_assert_cmpuint (flow_count_passkeys (f), ==, 0);
  g_assert_false (kt_mfa_controller_get_remembered (f->controller));

  /* Dead on the server, gone from the keyring. */
  g_assert_cmpint (ks_test_request (f->server, "GET", "/users", session->access_token, NULL,
                                    NULL, &reply), ==, 401);
  g_assert_cmpstr (ks_test_error_code (reply), ==, "session_revoked");
  flow_spin (100);
  after = flow_stored_session (f);
  g_assert_null (after);
  g_assert_cmpint (flow_restart (f), ==, KT_MFA_STEP_SIGNED_OUT);
}

static const FlowOptions short_tokens = { .access_token_lifetime = 3 };

static void
test_expired_token (Flow          *f,
                    gconstpointer  data)
{
  g_autoptr(KtStoredSession) session = NULL;
  g_autoptr(KtStoredSession) after = NULL;
  const GError *error;

  flow_sign_up (f);
  flow_spin_until (flow_is_remembered, f, 5000);
  session = flow_stored_session (f);
  g_assert_cmpint (session->expires_at, >, 0);

  /* Keyturn is closed while the token runs out. */
  flow_drop_controller (f);
  while (g_get_real_time () / G_USEC_PER_SEC <= session->expires_at)
    g_usleep (100 * 1000);

  g_assert_cmpint (flow_restart (f), ==, KT_MFA_STEP_SIGNED_OUT);
  error = kt_mfa_controller_get_error (f->controller);
  g_assert_nonnull (error);
  g_assert_error ((GError *) error, KT_API_ERROR, KT_API_ERROR_UNAUTHORIZED);
  g_assert_null (kt_mfa_controller_get_user (f->controller));
  g_assert_false (kt_mfa_controller_get_remembered (f->controller));
  flow_spin (100);
  after = flow_stored_session (f);
  g_assert_null (after);

  /* Signing in again works, and clears the message. */
  flow_sign_in (f);
  g_assert_null (kt_mfa_controller_get_error (f->controller));
}

static gboolean
stored_token_changed (Flow *f)
{
  g_autoptr(KtStoredSession) session = flow_stored_session (f);
  const char *before = g_object_get_data (G_OBJECT (f->controller), "test-first-token");

  return session != NULL && g_strcmp0 (session->access_token, before) != 0;
}

static void
test_refresh_before_expiry (Flow          *f,
                            gconstpointer  data)
{
  g_autoptr(KtStoredSession) session = NULL;
  GAsyncResult *result = NULL;
  g_autoptr(GError) error = NULL;
  gint64 expired_at;

  flow_sign_up (f);
  flow_spin_until (flow_is_remembered, f, 5000);
  session = flow_stored_session (f);
  g_object_set_data_full (G_OBJECT (f->controller), "test-first-token",
                          g_strdup (session->access_token), g_free);

  /* Left running past the first token's expiry, the controller holds a new one. */
  flow_spin_until (stored_token_changed, f, 8000);
  expired_at = session->expires_at;
  while (g_get_real_time () / G_USEC_PER_SEC <= expired_at)
    flow_spin (100);
  g_assert_cmpint (kt_mfa_controller_get_step (f->controller), ==, KT_MFA_STEP_SIGNED_IN);
  kt_mfa_controller_refresh_passkeys_async (f->controller, NULL, flow_store_result, &result);
  g_assert_true (flow_await (f, &result, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (flow_count_passkeys (f), ==, 1);
  g_object_set_data (G_OBJECT (f->controller), "test-first-token", NULL);
}

static void
test_unauthorized_mid_flow (Flow          *f,
                            gconstpointer  data)
{
  g_autoptr(KtStoredSession) session = NULL;
  g_autoptr(KtStoredSession) after = NULL;
  g_autoptr(GError) error = NULL;
  GAsyncResult *result = NULL;

  flow_restart (f);
  flow_send_code (f);
  flow_verify_code (f);
  flow_spin_until (flow_is_remembered, f, 5000);
  session = flow_stored_session (f);

  /* The session ends elsewhere (another device signed out, an admin reset) mid-way. */
  g_assert_cmpint (ks_test_request (f->server, "POST", "/revoke", session->access_token, NULL,
                                    NULL, NULL), ==, 204);

  kt_mfa_controller_register_passkey_async (f->controller, NULL, NULL, flow_store_result,
                                            &result);
  g_assert_false (flow_await (f, &result, &error));
  g_assert_error (error, KT_API_ERROR, KT_API_ERROR_UNAUTHORIZED);
  g_assert_cmpint (kt_mfa_controller_get_step (f->controller), ==, KT_MFA_STEP_SIGNED_OUT);
  g_assert_nonnull (kt_mfa_controller_get_error (f->controller));
  g_assert_null (kt_mfa_controller_get_user (f->controller));
  g_assert_false (kt_mfa_controller_get_remembered (f->controller));
  flow_spin (100);
  after = flow_stored_session (f);
  g_assert_null (after);

  /* The key was not registered to the dead session: a new sign-in still registers one. */
  flow_send_code (f);
  g_assert_null (kt_mfa_controller_get_error (f->controller));
  flow_verify_code (f);
  g_assert_cmpint (kt_mfa_controller_get_step (f->controller), ==, KT_MFA_STEP_REGISTER_PASSKEY);
}

static const FlowOptions through_proxy = { .through_proxy = TRUE };

/* The server is out of reach when Keyturn starts: the kept session waits, and trying again once
 * the server is back signs the user in with no new code. */
static void
test_server_down_at_start (Flow          *f,
                           gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(KtStoredSession) kept = NULL;
  GAsyncResult *result = NULL;

  flow_sign_up (f);
  flow_spin_until (flow_is_remembered, f, 5000);
  g_assert_false (kt_mfa_controller_get_unchecked_session (f->controller));
  flow_drop_controller (f);

  ks_test_server_kill (f->server);
  g_assert_cmpint (flow_restart (f), ==, KT_MFA_STEP_SIGNED_OUT);
  g_assert_error ((GError *) kt_mfa_controller_get_error (f->controller),
                  KT_API_ERROR, KT_API_ERROR_NETWORK);
  g_assert_true (kt_mfa_controller_get_unchecked_session (f->controller));
  g_assert_null (kt_mfa_controller_get_user (f->controller));
  flow_spin (100);
  kept = flow_stored_session (f);
  g_assert_nonnull (kept);

  /* Still down: the same answer, the session still kept. */
  kt_mfa_controller_restore_async (f->controller, NULL, flow_store_result, &result);
  g_assert_false (flow_await (f, &result, &error));
  g_assert_error (error, KT_API_ERROR, KT_API_ERROR_NETWORK);
  g_clear_error (&error);
  g_assert_true (kt_mfa_controller_get_unchecked_session (f->controller));

  ks_test_server_restart (f->server, TRUE);
  kt_mfa_controller_restore_async (f->controller, NULL, flow_store_result, &result);
  g_assert_true (flow_await (f, &result, &error));
  g_assert_no_error (error);
  g_assert_cmpint (kt_mfa_controller_get_step (f->controller), ==, KT_MFA_STEP_SIGNED_IN);
  g_assert_false (kt_mfa_controller_get_unchecked_session (f->controller));
  g_assert_null (kt_mfa_controller_get_error (f->controller));
}

/* Signing out with the server out of reach: the session leaves this computer all the same, the
 * failure to end it on the server is an error of its own, and a second try ends it once the
 * server is back. */
static void
test_sign_out_server_down (Flow          *f,
                           gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(KtStoredSession) session = NULL;
  g_autoptr(JsonObject) reply = NULL;
  GAsyncResult *result = NULL;

  flow_sign_up (f);
  flow_spin_until (flow_is_remembered, f, 5000);
  session = flow_stored_session (f);
  g_assert_nonnull (session);

  ks_test_server_kill (f->server);
  kt_mfa_controller_sign_out_async (f->controller, NULL, flow_store_result, &result);
  g_assert_false (flow_await (f, &result, &error));
  g_assert_error (error, KT_MFA_CONTROLLER_ERROR, KT_MFA_CONTROLLER_ERROR_NOT_REVOKED);
  g_clear_error (&error);
  g_assert_cmpint (kt_mfa_controller_get_step (f->controller), ==, KT_MFA_STEP_SIGNED_OUT);
  g_assert_null (kt_mfa_controller_get_user (f->controller));
  g_assert_true (kt_mfa_controller_get_revocation_pending (f->controller));
  flow_spin (100);
  g_assert_null (flow_stored_session (f));

  /* Still down: the same answer, and the token still kept for another try. */
  kt_mfa_controller_revoke_again_async (f->controller, NULL, flow_store_result, &result);
  g_assert_false (flow_await (f, &result, &error));
  g_assert_error (error, KT_MFA_CONTROLLER_ERROR, KT_MFA_CONTROLLER_ERROR_NOT_REVOKED);
  g_clear_error (&error);
  g_assert_true (kt_mfa_controller_get_revocation_pending (f->controller));

  ks_test_server_restart (f->server, TRUE);
  g_assert_cmpint (ks_test_request (f->server, "GET", "/users", session->access_token, NULL,
                                    NULL, &reply), ==, 200);
  g_clear_pointer (&reply, json_object_unref);
  kt_mfa_controller_revoke_again_async (f->controller, NULL, flow_store_result, &result);
  g_assert_true (flow_await (f, &result, &error));
  g_assert_no_error (error);
  g_assert_false (kt_mfa_controller_get_revocation_pending (f->controller));
  g_assert_cmpint (ks_test_request (f->server, "GET", "/users", session->access_token, NULL,
                                    NULL, &reply), ==, 401);
}

static void
test_server_killed_mid_request (Flow          *f,
                                gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *code = NULL;
  GAsyncResult *result = NULL;

  flow_restart (f);
  flow_send_code (f);
  code = ks_test_server_read_code (f->server, f->email);

  /* The server takes the request and never answers: it hangs, then dies. */
  kill (f->server->pid, SIGSTOP);
  kt_mfa_controller_verify_code_async (f->controller, code, NULL, flow_store_result, &result);
  flow_spin (300);
  g_assert_null (result);
  g_assert_true (kt_mfa_controller_get_busy (f->controller));
  ks_test_server_kill (f->server);

  g_assert_false (flow_await (f, &result, &error));
  g_assert_error (error, KT_API_ERROR, KT_API_ERROR_NETWORK);
  g_assert_cmpint (kt_mfa_controller_get_step (f->controller), ==, KT_MFA_STEP_CODE_SENT);
  g_assert_nonnull (kt_mfa_controller_get_error (f->controller));
  g_assert_nonnull (strstr (kt_mfa_controller_get_error (f->controller)->message, "127.0.0.1"));
  g_clear_error (&error);

  /* Still down: the same clear error, nothing half-done. */
  kt_mfa_controller_verify_code_async (f->controller, code, NULL, flow_store_result, &result);
  g_assert_false (flow_await (f, &result, &error));
  g_assert_error (error, KT_API_ERROR, KT_API_ERROR_NETWORK);
  g_clear_error (&error);

  /* Back up on the same data: the same code, typed again, goes through. */
  ks_test_server_restart (f->server, TRUE);
  kt_mfa_controller_verify_code_async (f->controller, code, NULL, flow_store_result, &result);
  g_assert_true (flow_await (f, &result, &error));
  g_assert_no_error (error);
  g_assert_null (kt_mfa_controller_get_error (f->controller));
  g_assert_cmpint (kt_mfa_controller_get_step (f->controller), ==, KT_MFA_STEP_REGISTER_PASSKEY);

  /* An idempotent read is retried, then gives up with the same clear error. */
  ks_test_server_kill (f->server);
  kt_mfa_controller_refresh_passkeys_async (f->controller, NULL, flow_store_result, &result);
  g_assert_false (flow_await (f, &result, &error));
  g_assert_error (error, KT_API_ERROR, KT_API_ERROR_NETWORK);
  g_clear_error (&error);
  g_assert_cmpint (kt_mfa_controller_get_step (f->controller), ==, KT_MFA_STEP_REGISTER_PASSKEY);

  ks_test_server_restart (f->server, TRUE);
  flow_register (f, NULL);
  g_assert_cmpint (kt_mfa_controller_get_step (f->controller), ==, KT_MFA_STEP_RECOVERY_CODES);
  flow_acknowledge (f);

  /* Start-up with the server down: a clear error, and the kept session is not thrown away... */
  ks_test_server_kill (f->server);
  flow_drop_controller (f);
  flow_new_controller (f);
  kt_mfa_controller_restore_async (f->controller, NULL, flow_store_result, &result);
  g_assert_false (flow_await (f, &result, &error));
  g_assert_error (error, KT_API_ERROR, KT_API_ERROR_NETWORK);
  g_clear_error (&error);
  g_assert_nonnull (kt_mfa_controller_get_error (f->controller));
  {
    g_autoptr(KtStoredSession) kept = flow_stored_session (f);

    g_assert_nonnull (kept);
  }

  /* ...so that trying again once it is back lands signed in. */
  ks_test_server_restart (f->server, TRUE);
  kt_mfa_controller_restore_async (f->controller, NULL, flow_store_result, &result);
  g_assert_true (flow_await (f, &result, &error));
  g_assert_no_error (error);
  g_assert_cmpint (kt_mfa_controller_get_step (f->controller), ==, KT_MFA_STEP_SIGNED_IN);
  g_assert_null (kt_mfa_controller_get_error (f->controller));
}

static const FlowOptions uv_required = { .user_verification = "required" };

static void
set_key_pin (Flow *f)
{
  g_autoptr(fido_dev_t) dev = kv_test_key_open (f->key);

  assert_fido (fido_dev_set_pin (dev, FLOW_PIN, NULL), FIDO_OK);
}

static void
test_pin_protected_key (Flow          *f,
                        gconstpointer  data)
{
  GAsyncResult *result = NULL;
  g_autoptr(GError) error = NULL;
  int first;

  set_key_pin (f);
  flow_restart (f);
  flow_email_sign_in (f, KT_MFA_STEP_REGISTER_PASSKEY);

  /* Declined: the ceremony ends quietly, the step stays. */
  kt_mfa_controller_register_passkey_async (f->controller, NULL, NULL, flow_store_result,
                                            &result);
  g_assert_false (flow_await (f, &result, &error));
  g_assert_cmpuint (f->pin_asked, ==, 1);
  g_assert_true (g_error_matches (error, KT_WEBAUTHN_ERROR, KT_WEBAUTHN_ERROR_CANCELLED) ||
                 g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED));
  g_clear_error (&error);
  g_assert_null (kt_mfa_controller_get_error (f->controller));
  g_assert_cmpint (kt_mfa_controller_get_step (f->controller), ==, KT_MFA_STEP_REGISTER_PASSKEY);

  /* A wrong PIN, then the right one: asked twice, one attempt fewer the second time. */
  f->pin_asked = 0;
  g_array_set_size (f->pin_retries, 0);
  g_array_set_size (f->pin_states, 0);
  g_ptr_array_add (f->pin_answers, g_strdup ("0000"));
  g_ptr_array_add (f->pin_answers, g_strdup (FLOW_PIN));
  flow_register (f, NULL);
  g_assert_cmpuint (f->pin_asked, ==, 2);
  g_assert_cmpint (g_array_index (f->pin_states, KtWebauthnState, 0), ==,
                   KT_WEBAUTHN_STATE_PIN_NEEDED);
  g_assert_cmpint (g_array_index (f->pin_states, KtWebauthnState, 1), ==,
                   KT_WEBAUTHN_STATE_WRONG_PIN);
  first = g_array_index (f->pin_retries, int, 0);
  g_test_message ("PIN retries: %d, then %d", first, g_array_index (f->pin_retries, int, 1));
  if (first > 0)
    g_assert_cmpint (g_array_index (f->pin_retries, int, 1), ==, first - 1);
  g_assert_null (kt_mfa_controller_get_error (f->controller));
  g_assert_cmpint (kt_mfa_controller_get_step (f->controller), ==, KT_MFA_STEP_RECOVERY_CODES);
  flow_acknowledge (f);
  flow_sign_out (f);

  /* Authenticating asks for it too. */
  f->pin_asked = 0;
  g_ptr_array_set_size (f->pin_answers, 0);
  g_ptr_array_add (f->pin_answers, g_strdup (FLOW_PIN));
  flow_email_sign_in (f, KT_MFA_STEP_AUTHENTICATE_PASSKEY);
  flow_authenticate (f);
  g_assert_cmpuint (f->pin_asked, ==, 1);
  g_assert_cmpint (kt_mfa_controller_get_step (f->controller), ==, KT_MFA_STEP_SIGNED_IN);
}

/* A key with no PIN, a server that requires user verification: the PIN is set through the
 * controller, and the registration tried again, as the register page does. */
static void
test_pin_set_first (Flow          *f,
                    gconstpointer  data)
{
  GAsyncResult *result = NULL;
  g_autoptr(GError) error = NULL;

  flow_restart (f);
  flow_email_sign_in (f, KT_MFA_STEP_REGISTER_PASSKEY);

  kt_mfa_controller_register_passkey_async (f->controller, NULL, NULL, flow_store_result,
                                            &result);
  g_assert_false (flow_await (f, &result, &error));
  g_assert_error (error, KT_WEBAUTHN_ERROR, KT_WEBAUTHN_ERROR_PIN_NOT_SET);
  g_clear_error (&error);
  g_assert_cmpint (kt_mfa_controller_get_authenticator_state (f->controller), ==,
                   KT_WEBAUTHN_STATE_PIN_NOT_SET);
  g_assert_nonnull (kt_mfa_controller_get_error (f->controller));
  g_assert_cmpuint (f->pin_asked, ==, 0);

  /* Too short: refused at once, shown as the controller's error, the key still without PIN. */
  kt_mfa_controller_set_pin_async (f->controller, "123", NULL, flow_store_result, &result);
  g_assert_false (flow_await (f, &result, &error));
  g_assert_error (error, KT_WEBAUTHN_ERROR, KT_WEBAUTHN_ERROR_INVALID_PIN);
  g_clear_error (&error);
  g_assert_error ((GError *) kt_mfa_controller_get_error (f->controller),
                  KT_WEBAUTHN_ERROR, KT_WEBAUTHN_ERROR_INVALID_PIN);
  g_assert_cmpint (kt_mfa_controller_get_authenticator_state (f->controller), ==,
                   KT_WEBAUTHN_STATE_PIN_NOT_SET);
  g_assert_false (kt_mfa_controller_get_busy (f->controller));

  kt_mfa_controller_set_pin_async (f->controller, FLOW_PIN, NULL, flow_store_result, &result);
  g_assert_true (kt_mfa_controller_get_busy (f->controller));
  g_assert_true (flow_await (f, &result, &error));
  g_assert_no_error (error);
  g_assert_null (kt_mfa_controller_get_error (f->controller));
  g_assert_cmpint (kt_mfa_controller_get_authenticator_state (f->controller), ==,
                   KT_WEBAUTHN_STATE_IDLE);
  g_assert_cmpint (kt_mfa_controller_get_step (f->controller), ==, KT_MFA_STEP_REGISTER_PASSKEY);

  /* Tried again: the key asks for its new PIN, and the server, which requires user
   * verification, takes the registration. */
  g_ptr_array_add (f->pin_answers, g_strdup (FLOW_PIN));
  flow_register (f, NULL);
  g_assert_cmpuint (f->pin_asked, ==, 1);
  g_assert_cmpint (g_array_index (f->pin_states, KtWebauthnState, 0), ==,
                   KT_WEBAUTHN_STATE_PIN_NEEDED);
  g_assert_cmpint (kt_mfa_controller_get_step (f->controller), ==, KT_MFA_STEP_RECOVERY_CODES);
}

static const FlowOptions manual_presence = { .presence = "manual" };

static gboolean
waiting_for_touch (Flow *f)
{
  return kt_mfa_controller_get_authenticator_state (f->controller) ==
         KT_WEBAUTHN_STATE_TOUCH_NEEDED;
}

static void
test_cancel_waiting_for_touch (Flow          *f,
                               gconstpointer  data)
{
  GAsyncResult *result = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();

  flow_restart (f);
  flow_email_sign_in (f, KT_MFA_STEP_REGISTER_PASSKEY);

  kt_mfa_controller_register_passkey_async (f->controller, NULL, NULL, flow_store_result,
                                            &result);
  flow_spin_until (waiting_for_touch, f, 10000);
  g_assert_true (kt_mfa_controller_get_busy (f->controller));
  kt_mfa_controller_cancel (f->controller);
  g_assert_false (flow_await (f, &result, &error));
  g_assert_true (g_error_matches (error, KT_WEBAUTHN_ERROR, KT_WEBAUTHN_ERROR_CANCELLED) ||
                 g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED));
  g_clear_error (&error);
  g_assert_null (kt_mfa_controller_get_error (f->controller));
  g_assert_cmpint (kt_mfa_controller_get_step (f->controller), ==, KT_MFA_STEP_REGISTER_PASSKEY);

  /* Again, and this time the key is touched. */
  kt_mfa_controller_register_passkey_async (f->controller, NULL, NULL, flow_store_result,
                                            &result);
  flow_spin_until (waiting_for_touch, f, 10000);
  g_assert_cmpint (kv_test_key_touch (f->key, 5000), ==, 0);
  g_assert_true (flow_await (f, &result, &error));
  g_assert_no_error (error);
  flow_acknowledge (f);
  flow_sign_out (f);

  /* A returning user's ceremony, cancelled through the caller's own cancellable. */
  flow_email_sign_in (f, KT_MFA_STEP_AUTHENTICATE_PASSKEY);
  kt_mfa_controller_authenticate_passkey_async (f->controller, cancellable, flow_store_result,
                                                &result);
  flow_spin_until (waiting_for_touch, f, 10000);
  g_cancellable_cancel (cancellable);
  g_assert_false (flow_await (f, &result, &error));
  g_clear_error (&error);
  g_assert_null (kt_mfa_controller_get_error (f->controller));
  g_assert_cmpint (kt_mfa_controller_get_step (f->controller), ==,
                   KT_MFA_STEP_AUTHENTICATE_PASSKEY);
}

/* ------------------------------------------------------------------------------------------ */
/* No secret outside the keyring                                                               */

static GMutex log_lock;
static GString *captured_log;

/* Every log line the process writes, at every level, is kept to be searched afterwards. */
static GLogWriterOutput
capture_log (GLogLevelFlags   level,
             const GLogField *fields,
             gsize            n_fields,
             gpointer         user_data)
{
  g_autofree char *line = g_log_writer_format_fields (level, fields, n_fields, FALSE);

  g_mutex_lock (&log_lock);
  g_string_append (captured_log, line);
  g_string_append_c (captured_log, '\n');
  g_mutex_unlock (&log_lock);
  return g_log_writer_default (level, fields, n_fields, user_data);
}

static void
test_no_secret_outside_keyring (Flow          *f,
                                gconstpointer  data)
{
  g_autoptr(GPtrArray) secrets = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GPtrArray) needles = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  g_autoptr(KtStoredSession) half = NULL;
  g_autoptr(KtStoredSession) full = NULL;
  g_autoptr(KtStoredSession) again = NULL;
  g_autofree char *server_log_path = NULL;
  g_autofree char *server_log = NULL;
  g_autofree char *log = NULL;
  const char * const *codes;

  g_mutex_lock (&log_lock);
  g_string_truncate (captured_log, 0);
  g_mutex_unlock (&log_lock);

  flow_restart (f);
  flow_send_code (f);
  flow_verify_code (f);
  flow_spin_until (flow_is_remembered, f, 5000);
  half = flow_stored_session (f);
  g_ptr_array_add (secrets, g_strdup (half->access_token));
  flow_register (f, "Secret key");
  codes = kt_mfa_controller_get_recovery_codes (f->controller);
  for (guint i = 0; codes[i] != NULL; i++)
    g_ptr_array_add (secrets, g_strdup (codes[i]));
  flow_acknowledge (f);
  flow_spin_until (flow_is_remembered, f, 5000);
  full = flow_stored_session (f);
  g_ptr_array_add (secrets, g_strdup (full->access_token));
  if (full->id_token != NULL)
    g_ptr_array_add (secrets, g_strdup (full->id_token));
  flow_sign_out (f);

  /* The returning user's step-up token too. */
  flow_sign_in (f);
  g_ptr_array_add (secrets, kt_mfa_controller_take_mfa_token (f->controller));
  g_assert_nonnull (g_ptr_array_index (secrets, secrets->len - 1));
  flow_spin_until (flow_is_remembered, f, 5000);
  again = flow_stored_session (f);
  g_ptr_array_add (secrets, g_strdup (again->access_token));
  flow_drop_controller (f);

  for (guint i = 0; i < secrets->len; i++)
    {
      const char *secret = g_ptr_array_index (secrets, i);

      g_ptr_array_add (needles, g_bytes_new (secret, strlen (secret)));
    }
  /* The keyring's own file is there, and holds the session, sealed. */
  flow_assert_not_in_files (needles, "a secret");

  g_mutex_lock (&log_lock);
  log = g_strdup (captured_log->str);
  g_mutex_unlock (&log_lock);
  /* The capture saw the flow (its debug lines included), so its silence about secrets counts. */
  g_assert_nonnull (strstr (log, "step: signed-in"));
  g_assert_nonnull (strstr (log, "/users/mfa/auth/passkey"));
  server_log_path = g_build_filename (f->server->root, "server.log", NULL);
  g_assert_true (g_file_get_contents (server_log_path, &server_log, NULL, NULL));
  for (guint i = 0; i < secrets->len; i++)
    {
      const char *secret = g_ptr_array_index (secrets, i);

      if (strstr (log, secret) != NULL)
        g_error ("a secret (%u) is in the log", i);
      if (strstr (server_log, secret) != NULL)
        g_error ("a secret (%u) is in the server's log", i);
    }
}

/* ------------------------------------------------------------------------------------------ */
/* A server that answers nonsense                                                              */

typedef struct {
  const char *path_suffix;
  guint       status;
  const char *body;
} CannedAnswer;

static const CannedAnswer canned[] = {
  { "/emailVerifications/create", 200,
    "{\"verificationUUID\": \"0b6f2c1e-1111-4c2d-9e3f-5a6b7c8d9e0f\", \"email\": \"a@b.c\"}" },
  /* Cut off mid-way, as a dying proxy would send it. */
  { "/emailVerifications/signin", 200, "{\"user\": {\"id\": \"u-1\", \"scope\": \"requi" },
  { "/users", 200, "<html>Service Unavailable</html>" },
};

static guint signin_calls;

static void
on_canned_request (SoupServer        *server,
                   SoupServerMessage *msg,
                   const char        *path,
                   GHashTable        *query,
                   gpointer           user_data)
{
  for (guint i = 0; i < G_N_ELEMENTS (canned); i++)
    if (g_str_has_suffix (path, canned[i].path_suffix))
      {
        const char *body = canned[i].body;

        /* The second sign-in answer is whole JSON of the wrong shape. */
        if (g_str_has_suffix (path, "/signin") && signin_calls++ > 0)
          body = "{\"user\": \"u-1\", \"minifiedJwt\": 42, \"expiresAt\": \"later\"}";
        soup_server_message_set_status (msg, canned[i].status, NULL);
        soup_server_message_set_response (msg, "application/json", SOUP_MEMORY_COPY, body,
                                          strlen (body));
        return;
      }
  soup_server_message_set_status (msg, 404, NULL);
}

static void
test_malformed_answers (void)
{
  g_autoptr(SoupServer) server = soup_server_new (NULL, NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(KtApiClient) api = NULL;
  g_autoptr(KtSessionStore) store = NULL;
  g_autoptr(KtOrigin) origin = kt_origin_new (FLOW_ORIGIN, NULL);
  g_autoptr(KtWebauthnClient) authenticator = kt_webauthn_client_new (origin, NULL);
  g_autofree char *base_url = NULL;
  GSList *uris;
  Flow flow = { 0 };
  Flow *f = &flow;
  GAsyncResult *result = NULL;

  soup_server_add_handler (server, NULL, on_canned_request, NULL, NULL);
  g_assert_true (soup_server_listen_local (server, 0, SOUP_SERVER_LISTEN_IPV4_ONLY, &error));
  g_assert_no_error (error);
  uris = soup_server_get_uris (server);
  base_url = g_strdup_printf ("http://127.0.0.1:%d/api/v0", g_uri_get_port (uris->data));
  g_slist_free_full (uris, (GDestroyNotify) g_uri_unref);

  api = kt_api_client_new (base_url, "malformed-env", &error);
  g_assert_no_error (error);
  store = kt_session_store_new (base_url, "malformed-env");
  f->controller = kt_mfa_controller_new (api, store, authenticator);

  kt_mfa_controller_send_code_async (f->controller, "a@b.c", NULL, flow_store_result, &result);
  g_assert_true (flow_await (f, &result, &error));
  g_assert_cmpint (kt_mfa_controller_get_step (f->controller), ==, KT_MFA_STEP_CODE_SENT);

  /* Cut-off JSON, then JSON of the wrong shape: an error each time, never a half-made user. */
  for (guint i = 0; i < 2; i++)
    {
      kt_mfa_controller_verify_code_async (f->controller, "123456", NULL, flow_store_result,
                                           &result);
      g_assert_false (flow_await (f, &result, &error));
      g_assert_error (error, KT_API_ERROR, KT_API_ERROR_MALFORMED);
      g_clear_error (&error);
      g_assert_cmpint (kt_mfa_controller_get_step (f->controller), ==, KT_MFA_STEP_CODE_SENT);
      g_assert_null (kt_mfa_controller_get_user (f->controller));
      g_assert_nonnull (kt_mfa_controller_get_error (f->controller));
      g_assert_false (kt_mfa_controller_get_remembered (f->controller));
    }
  g_assert_cmpuint (signin_calls, ==, 2);

  g_clear_object (&api);
  g_clear_object (&store);
  g_clear_object (&authenticator);
  flow_settle (f);
  g_assert_finalize_object (g_steal_pointer (&f->controller));
  soup_server_disconnect (server);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  captured_log = g_string_new (NULL);
  g_log_set_writer_func (capture_log, NULL, NULL);

  ADD_FLOW_TEST ("/flow/new-user", NULL, test_new_user);
  ADD_FLOW_TEST ("/flow/restart-at-every-step", NULL, test_restart_at_every_step);
  ADD_FLOW_TEST ("/flow/email-code", NULL, test_email_code);
  ADD_FLOW_TEST ("/flow/start-over", NULL, test_start_over);
  ADD_FLOW_TEST ("/flow/returning-user", &step_up_everything, test_returning_user);
  ADD_FLOW_TEST ("/flow/recovery-code", NULL, test_recovery_code);
  ADD_FLOW_TEST ("/flow/new-codes-invalidate-old", &step_up_everything,
                 test_new_codes_invalidate_old);
  ADD_FLOW_TEST ("/flow/rename-and-delete", &step_up_everything, test_rename_and_delete);
  ADD_FLOW_TEST ("/flow/name-at-registration", &step_up_everything, test_name_at_registration);
  ADD_FLOW_TEST ("/flow/sign-out-revokes", NULL, test_sign_out_revokes);
  ADD_FLOW_TEST ("/flow/expired-token", &short_tokens, test_expired_token);
  ADD_FLOW_TEST ("/flow/refresh-before-expiry", &short_tokens, test_refresh_before_expiry);
  ADD_FLOW_TEST ("/flow/unauthorized-mid-flow", NULL, test_unauthorized_mid_flow);
  ADD_FLOW_TEST ("/flow/server-down-at-start", &through_proxy, test_server_down_at_start);
  ADD_FLOW_TEST ("/flow/sign-out-server-down", &through_proxy, test_sign_out_server_down);
  ADD_FLOW_TEST ("/flow/server-killed-mid-request", &through_proxy,
                 test_server_killed_mid_request);
  ADD_FLOW_TEST ("/flow/pin-protected-key", &uv_required, test_pin_protected_key);
  ADD_FLOW_TEST ("/flow/pin-set-first", &uv_required, test_pin_set_first);
  ADD_FLOW_TEST ("/flow/cancel-waiting-for-touch", &manual_presence,
                 test_cancel_waiting_for_touch);
  ADD_FLOW_TEST ("/flow/no-secret-outside-keyring", NULL, test_no_secret_outside_keyring);
  g_test_add_func ("/flow/malformed-answers", test_malformed_answers);

  return g_test_run ();
}
