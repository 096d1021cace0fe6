/* test-flow-elevated.c: what Keyturn hands other applications: the session's access token, and
 * elevated access tokens (or the legacy MFA token) earned by a fresh proof for each request,
 * through KtMfaController against the real keyturn-sandbox, a real virtual key and a real
 * keyring. The tokens are then used as an application would, straight over HTTP.
 *
 * Copyright 2026 Keyturn developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <string.h>

#include "flow-fixture.h"

#define CODES(f)   flow_count_requests ((f), "POST", "/users/mfa/auth/recovery")

static char *
session_token (Flow   *f,
               gint64 *expires_at)
{
  return kt_mfa_controller_dup_access_token (f->controller, expires_at);
}

/* Starts a request; flow_await_token () ends it. */
static void
request_token (Flow          *f,
               const char    *scope,
               const char    *recovery_code,
               GCancellable  *cancellable,
               GAsyncResult **result)
{
  kt_mfa_controller_request_elevated_token_async (f->controller, scope, recovery_code,
                                                  cancellable, flow_store_result, result);
}

static char *
await_token (Flow          *f,
             GAsyncResult **result,
             gint64        *expires_at,
             GError       **error)
{
  char *token;

  while (*result == NULL)
    g_main_context_iteration (NULL, TRUE);
  token = kt_mfa_controller_request_elevated_token_finish (f->controller, *result, expires_at,
                                                           error);
  g_clear_object (result);
  g_assert_false (kt_mfa_controller_get_busy (f->controller));
  return token;
}

static char *
elevate (Flow        *f,
         const char  *scope,
         const char  *recovery_code,
         gint64      *expires_at,
         GError     **error)
{
  GAsyncResult *result = NULL;

  request_token (f, scope, recovery_code, NULL, &result);
  return await_token (f, &result, expires_at, error);
}

/* DELETE /users/passkeys as another application sends it, with the session's access token and
 * @header: @value when not NULL. */
static guint
raw_delete_passkey (Flow       *f,
                    KtPasskey  *passkey,
                    const char *header,
                    const char *value)
{
  g_autofree char *uri = g_strconcat (f->server->api, "/users/passkeys", NULL);
  g_autoptr(SoupMessage) msg = soup_message_new ("DELETE", uri);
  g_autofree char *access = session_token (f, NULL);
  g_autofree char *bearer = g_strconcat ("Bearer ", access, NULL);
  g_autofree char *body = g_strdup_printf ("{\"passkeyId\": \"%s\"}",
                                           kt_passkey_get_id (passkey));
  g_autoptr(GBytes) bytes = g_bytes_new (body, strlen (body));
  g_autoptr(GBytes) answer = NULL;
  g_autoptr(GError) error = NULL;
  SoupMessageHeaders *headers = soup_message_get_request_headers (msg);

  g_assert_nonnull (access);
  soup_message_headers_replace (headers, "Authorization", bearer);
  if (header != NULL)
    soup_message_headers_replace (headers, header, value);
  soup_message_set_request_body_from_bytes (msg, "application/json", bytes);
  answer = soup_session_send_and_read (f->server->session, msg, NULL, &error);
  g_assert_no_error (error);
  return soup_message_get_status (msg);
}

/* The claims of an elevated access token. */
static void
assert_scope (const char *token,
              const char *scope,
              gint64      expires_at)
{
  g_autoptr(JsonObject) claims = ks_test_jwt_claims (token);

  g_assert_cmpstr (json_object_get_string_member (claims, "scope"), ==, scope);
  g_assert_cmpint (json_object_get_int_member (claims, "exp"), ==, expires_at);
  g_assert_cmpint (expires_at, >, g_get_real_time () / G_USEC_PER_SEC);
}

/* Restarts the key on its state with a touch asked for each request. */
static void
key_waits_for_touch (Flow *f)
{
  kv_test_key_stop (f->key);
  kv_test_key_launch (f->key, "--presence", "manual", NULL);
}

static gboolean
waiting_for_touch (Flow *f)
{
  return kt_mfa_controller_get_authenticator_state (f->controller) ==
         KT_WEBAUTHN_STATE_TOUCH_NEEDED;
}

/* ------------------------------------------------------------------------------------------ */

static const FlowOptions enforced = { .api_version = FLOW_STEP_UP_API };
static const FlowOptions legacy = { .api_version = FLOW_LEGACY_API };

/* A token for credential:unlink lets the application delete a passkey; one for another scope
 * does not. Neither is kept, and the session takes the fresh token the proof brought. */
static void
test_token_for_scope (Flow          *f,
                      gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(KtPasskey) passkey = NULL;
  g_autoptr(KtStoredSession) stored = NULL;
  g_autofree char *link = NULL;
  g_autofree char *unlink = NULL;
  g_autofree char *before = NULL;
  g_autofree char *after = NULL;
  gint64 expires_at = 0, session_expires_at = 0;
  guint checks, proofs;

  flow_sign_up (f);
  passkey = flow_passkey_at (f, 0);
  before = session_token (f, NULL);
  checks = CHECKS (f);
  proofs = PROOFS (f);

  /* Nothing sent, nothing allowed. */
  g_assert_cmpuint (raw_delete_passkey (f, passkey, NULL, NULL), ==, 403);

  link = elevate (f, KT_SCOPE_CREDENTIAL_LINK, NULL, &expires_at, &error);
  g_assert_no_error (error);
  g_assert_nonnull (link);
  assert_scope (link, KT_SCOPE_CREDENTIAL_LINK, expires_at);
  g_assert_cmpuint (raw_delete_passkey (f, passkey, "x-dyn-elevated-access-token", link), ==,
                    403);

  /* A new second, so that the session's next token differs from the last. */
  flow_spin (1100);
  unlink = elevate (f, KT_SCOPE_CREDENTIAL_UNLINK, NULL, &expires_at, &error);
  g_assert_no_error (error);
  g_assert_nonnull (unlink);
  assert_scope (unlink, KT_SCOPE_CREDENTIAL_UNLINK, expires_at);
  g_assert_cmpint (kt_mfa_controller_get_step (f->controller), ==, KT_MFA_STEP_SIGNED_IN);
  g_assert_null (kt_mfa_controller_get_error (f->controller));

  /* The key was asked each time, never the check; the controller kept none of it. */
  g_assert_cmpuint (PROOFS (f), ==, proofs + 2);
  g_assert_cmpuint (CHECKS (f), ==, checks);
  g_assert_cmpuint (kt_api_client_count_elevated_tokens (flow_api_client (f)), ==, 0);
  g_assert_false (kt_api_client_has_elevated_token (flow_api_client (f),
                                                    KT_SCOPE_CREDENTIAL_UNLINK));
  g_assert_false (kt_mfa_controller_get_has_mfa_token (f->controller));

  /* The proof's answer renewed the session, here and in the keyring. */
  after = session_token (f, &session_expires_at);
  g_assert_cmpstr (after, !=, before);
  stored = flow_stored_session (f);
  g_assert_nonnull (stored);
  g_assert_cmpstr (stored->access_token, ==, after);
  g_assert_cmpint (stored->expires_at, ==, session_expires_at);

  g_assert_cmpuint (raw_delete_passkey (f, passkey, "x-dyn-elevated-access-token", unlink), ==,
                    204);
  {
    g_autoptr(JsonObject) reply = NULL;

    g_assert_cmpuint (ks_test_request (f->server, "GET", "/users/passkeys", after, NULL, NULL,
                                       &reply), ==, 200);
    g_assert_cmpuint (json_array_get_length (json_object_get_array_member (reply, "passkeys")),
                      ==, 0);
  }
}

static const FlowOptions enforced_manual = {
  .api_version = FLOW_STEP_UP_API,
  .presence = "manual",
};

static char *
elevate_with_touch (Flow   *f,
                    gint64 *expires_at)
{
  GAsyncResult *result = NULL;
  g_autoptr(GError) error = NULL;
  char *token;

  request_token (f, KT_SCOPE_CREDENTIAL_UNLINK, NULL, NULL, &result);
  flow_spin_until (waiting_for_touch, f, 10000);
  g_assert_cmpint (kv_test_key_touch (f->key, 5000), ==, 0);
  token = await_token (f, &result, expires_at, &error);
  g_assert_no_error (error);
  g_assert_nonnull (token);
  return token;
}

/* Asked twice for the same scope, Keyturn proves twice: each request takes a touch of the key,
 * although the controller holds a token for that scope of its own, which stays as it was. */
static void
test_fresh_proof_each_time (Flow          *f,
                            gconstpointer  data)
{
  g_autofree char *first = NULL;
  g_autofree char *second = NULL;
  gint64 first_expiry = 0, second_expiry = 0;
  guint proofs;

  /* Signing up with this key takes touches too: the key asks for them from here on. */
  kv_test_key_stop (f->key);
  kv_test_key_launch (f->key, "--presence", "auto", NULL);
  flow_sign_up (f);
  flow_step_up (f, KT_SCOPE_CREDENTIAL_UNLINK);
  g_assert_cmpuint (kt_api_client_count_elevated_tokens (flow_api_client (f)), ==, 1);
  g_assert_true (kt_api_client_has_elevated_token (flow_api_client (f),
                                                   KT_SCOPE_CREDENTIAL_UNLINK));
  key_waits_for_touch (f);
  proofs = PROOFS (f);

  first = elevate_with_touch (f, &first_expiry);
  second = elevate_with_touch (f, &second_expiry);
  g_assert_cmpstr (first, !=, second);
  assert_scope (first, KT_SCOPE_CREDENTIAL_UNLINK, first_expiry);
  assert_scope (second, KT_SCOPE_CREDENTIAL_UNLINK, second_expiry);
  g_assert_cmpuint (PROOFS (f), ==, proofs + 2);

  /* No request is waiting for the key any more: exactly two touches were taken. */
  g_assert_cmpint (kv_test_key_touch (f->key, 300), !=, 0);
  g_assert_cmpuint (kt_api_client_count_elevated_tokens (flow_api_client (f)), ==, 1);
  g_assert_true (kt_api_client_has_elevated_token (flow_api_client (f),
                                                   KT_SCOPE_CREDENTIAL_UNLINK));
}

/* A recovery code stands in for the key: the token it earns is handed out, the code is spent. */
static void
test_recovery_code (Flow          *f,
                    gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(KtPasskey) passkey = NULL;
  g_auto(GStrv) codes = NULL;
  g_autofree char *token = NULL;
  g_autofree char *again = NULL;
  gint64 expires_at = -1;
  guint proofs, spent;

  flow_sign_up (f);
  passkey = flow_passkey_at (f, 0);
  codes = flow_fetch_recovery_codes (f);
  proofs = PROOFS (f);
  spent = CODES (f);

  g_assert_null (elevate (f, KT_SCOPE_CREDENTIAL_UNLINK, "  ", &expires_at, &error));
  g_assert_error (error, KT_MFA_CONTROLLER_ERROR, KT_MFA_CONTROLLER_ERROR_INVALID_INPUT);
  g_assert_cmpint (expires_at, ==, 0);
  g_clear_error (&error);
  g_assert_cmpuint (CODES (f), ==, spent);

  /* Spaces around a code typed in a prompt do not count. */
  {
    g_autofree char *padded = g_strdup_printf (" %s\n", codes[0]);

    token = elevate (f, KT_SCOPE_CREDENTIAL_UNLINK, padded, &expires_at, &error);
  }
  g_assert_no_error (error);
  g_assert_nonnull (token);
  g_assert_cmpuint (PROOFS (f), ==, proofs);
  g_assert_cmpuint (CODES (f), ==, spent + 1);
  g_assert_cmpint (kt_mfa_controller_get_step (f->controller), ==, KT_MFA_STEP_SIGNED_IN);
  g_assert_cmpuint (kt_api_client_count_elevated_tokens (flow_api_client (f)), ==, 0);
  g_assert_false (kt_mfa_controller_get_has_mfa_token (f->controller));

  if (flow_step_up_enforced (f))
    {
      assert_scope (token, KT_SCOPE_CREDENTIAL_UNLINK, expires_at);
      g_assert_cmpuint (raw_delete_passkey (f, passkey, "x-dyn-elevated-access-token", token),
                        ==, 204);
    }
  else
    {
      g_assert_cmpint (expires_at, ==, 0);
      g_assert_cmpuint (raw_delete_passkey (f, passkey, "x-mfa-auth-token", token), ==, 204);
    }

  /* A spent code earns nothing, and the session stays. */
  again = elevate (f, KT_SCOPE_CREDENTIAL_UNLINK, codes[0], &expires_at, &error);
  g_assert_null (again);
  g_assert_error (error, KT_API_ERROR, KT_API_ERROR_INVALID_CODE);
  g_assert_cmpint (expires_at, ==, 0);
  g_assert_cmpint (kt_mfa_controller_get_step (f->controller), ==, KT_MFA_STEP_SIGNED_IN);
}

/* On a legacy environment the application gets the single-use MFA token, which the sandbox
 * takes as x-mfa-auth-token once; the controller keeps no MFA token of its own. */
static void
test_legacy_mfa_token (Flow          *f,
                       gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(KtPasskey) passkey = NULL;
  g_autofree char *token = NULL;
  gint64 expires_at = -1;
  guint checks, proofs;

  flow_sign_up (f);
  passkey = flow_passkey_at (f, 0);
  checks = CHECKS (f);
  proofs = PROOFS (f);

  token = elevate (f, KT_SCOPE_CREDENTIAL_UNLINK, NULL, &expires_at, &error);
  g_assert_no_error (error);
  g_assert_nonnull (token);
  /* An opaque token: it says nothing of when it expires. */
  g_assert_cmpint (expires_at, ==, 0);
  g_assert_cmpuint (PROOFS (f), ==, proofs + 1);
  g_assert_cmpuint (CHECKS (f), ==, checks);
  g_assert_false (kt_mfa_controller_get_has_mfa_token (f->controller));
  g_assert_false (kt_api_client_has_mfa_token (flow_api_client (f)));
  g_assert_cmpuint (kt_api_client_count_elevated_tokens (flow_api_client (f)), ==, 0);

  g_assert_cmpuint (raw_delete_passkey (f, passkey, NULL, NULL), ==, 403);
  g_assert_cmpuint (raw_delete_passkey (f, passkey, "x-mfa-auth-token", token), ==, 204);
}

/* Nobody signed in: refused before anything is sent, and no access token to give. */
static void
test_not_signed_in (Flow          *f,
                    gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  gint64 expires_at = -1;
  guint requests;

  g_assert_cmpint (flow_restart (f), ==, KT_MFA_STEP_SIGNED_OUT);
  requests = flow_count_all_requests (f);
  g_assert_null (elevate (f, KT_SCOPE_CREDENTIAL_UNLINK, NULL, &expires_at, &error));
  g_assert_error (error, KT_MFA_CONTROLLER_ERROR, KT_MFA_CONTROLLER_ERROR_WRONG_STEP);
  g_assert_cmpint (expires_at, ==, 0);
  g_clear_error (&error);
  g_assert_cmpuint (flow_count_all_requests (f), ==, requests);

  /* Half-way, with a token that makes no session yet. */
  flow_email_sign_in (f, KT_MFA_STEP_REGISTER_PASSKEY);
  requests = flow_count_all_requests (f);
  g_assert_null (elevate (f, KT_SCOPE_CREDENTIAL_UNLINK, NULL, &expires_at, &error));
  g_assert_error (error, KT_MFA_CONTROLLER_ERROR, KT_MFA_CONTROLLER_ERROR_WRONG_STEP);
  g_clear_error (&error);
  g_assert_null (session_token (f, &expires_at));
  g_assert_cmpint (expires_at, ==, 0);
  g_assert_cmpuint (flow_count_all_requests (f), ==, requests);
  g_assert_cmpint (kt_mfa_controller_get_step (f->controller), ==, KT_MFA_STEP_REGISTER_PASSKEY);
}

/* A scope Keyturn does not know is refused before anything is sent, whatever the step. */
static void
test_unknown_scope (Flow          *f,
                    gconstpointer  data)
{
  static const char * const scopes[] = {
    "", "credential:*", "user:basic", "credential:unlink credential:link", "CREDENTIAL:UNLINK",
  };
  g_autoptr(GError) error = NULL;
  guint requests;

  flow_sign_up (f);
  requests = flow_count_all_requests (f);
  for (gsize i = 0; i < G_N_ELEMENTS (scopes); i++)
    {
      gint64 expires_at = -1;

      g_assert_null (elevate (f, scopes[i], NULL, &expires_at, &error));
      g_assert_error (error, KT_MFA_CONTROLLER_ERROR, KT_MFA_CONTROLLER_ERROR_INVALID_INPUT);
      g_assert_cmpint (expires_at, ==, 0);
      g_clear_error (&error);
    }
  g_assert_null (elevate (f, NULL, "a-recovery-code", NULL, &error));
  g_assert_error (error, KT_MFA_CONTROLLER_ERROR, KT_MFA_CONTROLLER_ERROR_INVALID_INPUT);
  g_assert_cmpuint (flow_count_all_requests (f), ==, requests);
  g_assert_cmpint (kt_mfa_controller_get_step (f->controller), ==, KT_MFA_STEP_SIGNED_IN);
}

/* Cancelled while the key waits for a touch: the ceremony stops, the key is left alone, the
 * session stays; meanwhile the controller is busy and takes no other request. */
static void
test_cancel (Flow          *f,
             gconstpointer  data)
{
  GAsyncResult *result = NULL;
  GAsyncResult *refused = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autofree char *before = NULL;
  g_autofree char *after = NULL;
  gint64 expires_at = -1;

  kv_test_key_stop (f->key);
  kv_test_key_launch (f->key, "--presence", "auto", NULL);
  flow_sign_up (f);
  key_waits_for_touch (f);
  before = session_token (f, NULL);

  request_token (f, KT_SCOPE_CREDENTIAL_UNLINK, NULL, NULL, &result);
  flow_spin_until (waiting_for_touch, f, 10000);
  g_assert_true (kt_mfa_controller_get_busy (f->controller));
  request_token (f, KT_SCOPE_CREDENTIAL_LINK, NULL, NULL, &refused);
  while (refused == NULL)
    g_main_context_iteration (NULL, TRUE);
  g_assert_null (kt_mfa_controller_request_elevated_token_finish (f->controller, refused, NULL,
                                                                  &error));
  g_clear_object (&refused);
  g_assert_error (error, KT_MFA_CONTROLLER_ERROR, KT_MFA_CONTROLLER_ERROR_BUSY);
  g_clear_error (&error);

  kt_mfa_controller_cancel (f->controller);
  g_assert_null (await_token (f, &result, &expires_at, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_clear_error (&error);
  g_assert_cmpint (expires_at, ==, 0);
  g_assert_null (kt_mfa_controller_get_error (f->controller));
  g_assert_cmpint (kt_mfa_controller_get_step (f->controller), ==, KT_MFA_STEP_SIGNED_IN);
  /* The key no longer waits: a touch now finds no request. */
  g_assert_cmpint (kv_test_key_touch (f->key, 300), !=, 0);

  /* The same through the caller's own cancellable. */
  request_token (f, KT_SCOPE_CREDENTIAL_UNLINK, NULL, cancellable, &result);
  flow_spin_until (waiting_for_touch, f, 10000);
  g_cancellable_cancel (cancellable);
  g_assert_null (await_token (f, &result, NULL, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_cmpint (kt_mfa_controller_get_step (f->controller), ==, KT_MFA_STEP_SIGNED_IN);
  g_assert_cmpint (kv_test_key_touch (f->key, 300), !=, 0);

  after = session_token (f, NULL);
  g_assert_cmpstr (after, ==, before);
  g_assert_cmpuint (kt_api_client_count_elevated_tokens (flow_api_client (f)), ==, 0);
}

static const FlowOptions uv_required = {
  .api_version = FLOW_STEP_UP_API,
  .user_verification = "required",
};

/* A key with a PIN asks for it as in the other ceremonies; declining it is the person's answer,
 * not a cancel. */
static void
test_pin (Flow          *f,
          gconstpointer  data)
{
  g_autoptr(fido_dev_t) dev = kv_test_key_open (f->key);
  g_autoptr(GError) error = NULL;
  g_autofree char *token = NULL;
  gint64 expires_at = 0;

  assert_fido (fido_dev_set_pin (dev, FLOW_PIN, NULL), FIDO_OK);
  g_clear_pointer (&dev, kv_test_dev_close);
  g_ptr_array_add (f->pin_answers, g_strdup (FLOW_PIN));
  flow_sign_up (f);
  g_assert_cmpuint (f->pin_asked, ==, 1);

  /* No answer left: declined. */
  g_assert_null (elevate (f, KT_SCOPE_CREDENTIAL_UNLINK, NULL, NULL, &error));
  g_assert_error (error, KT_WEBAUTHN_ERROR, KT_WEBAUTHN_ERROR_CANCELLED);
  g_clear_error (&error);
  g_assert_cmpuint (f->pin_asked, ==, 2);
  g_assert_cmpint (kt_mfa_controller_get_step (f->controller), ==, KT_MFA_STEP_SIGNED_IN);

  f->pin_asked = 0;
  g_array_set_size (f->pin_states, 0);
  g_ptr_array_set_size (f->pin_answers, 0);
  g_ptr_array_add (f->pin_answers, g_strdup (FLOW_PIN));
  token = elevate (f, KT_SCOPE_CREDENTIAL_UNLINK, NULL, &expires_at, &error);
  g_assert_no_error (error);
  g_assert_nonnull (token);
  g_assert_cmpuint (f->pin_asked, ==, 1);
  g_assert_cmpint (g_array_index (f->pin_states, KtWebauthnState, 0), ==,
                   KT_WEBAUTHN_STATE_PIN_NEEDED);
  assert_scope (token, KT_SCOPE_CREDENTIAL_UNLINK, expires_at);
}

/* The session's access token is the one the keyring keeps, and only while signed in. */
static void
test_access_token (Flow          *f,
                   gconstpointer  data)
{
  g_autoptr(KtStoredSession) stored = NULL;
  g_autofree char *token = NULL;
  g_autofree char *restored = NULL;
  gint64 expires_at = -1;

  g_assert_cmpint (flow_restart (f), ==, KT_MFA_STEP_SIGNED_OUT);
  g_assert_null (session_token (f, &expires_at));
  g_assert_cmpint (expires_at, ==, 0);

  flow_sign_up (f);
  flow_spin_until (flow_is_remembered, f, 5000);
  token = session_token (f, &expires_at);
  stored = flow_stored_session (f);
  g_assert_nonnull (token);
  g_assert_nonnull (stored);
  g_assert_cmpstr (token, ==, stored->access_token);
  g_assert_cmpint (expires_at, ==, stored->expires_at);
  g_assert_cmpint (expires_at, >, g_get_real_time () / G_USEC_PER_SEC);
  /* The server takes it as the session's. */
  g_assert_cmpuint (ks_test_request (f->server, "GET", "/users", token, NULL, NULL, NULL), ==,
                    200);
  {
    g_autofree char *again = kt_mfa_controller_dup_access_token (f->controller, NULL);

    g_assert_cmpstr (again, ==, token);
  }

  /* Restored at the next start, the same token and expiry. */
  g_assert_cmpint (flow_restart (f), ==, KT_MFA_STEP_SIGNED_IN);
  restored = session_token (f, &expires_at);
  g_assert_cmpstr (restored, ==, token);
  g_assert_cmpint (expires_at, ==, stored->expires_at);

  flow_sign_out (f);
  expires_at = -1;
  g_assert_null (session_token (f, &expires_at));
  g_assert_cmpint (expires_at, ==, 0);
}

static const FlowOptions short_tokens = { .access_token_lifetime = 3 };

static guint refreshed;

static void
on_session_refreshed (KtMfaController *controller,
                      gpointer         user_data)
{
  refreshed++;
}

static gboolean
refreshed_once (Flow *f)
{
  return refreshed > 0;
}

/* The background refresh says so, carrying nothing; the new token is then the one handed out. */
static void
test_session_refreshed (Flow          *f,
                        gconstpointer  data)
{
  g_autofree char *before = NULL;
  g_autofree char *after = NULL;
  gint64 before_expiry = 0, after_expiry = 0;
  gulong handler;

  flow_sign_up (f);
  before = session_token (f, &before_expiry);
  refreshed = 0;
  handler = g_signal_connect (f->controller, "session-refreshed",
                              G_CALLBACK (on_session_refreshed), NULL);

  flow_spin_until (refreshed_once, f, 8000);
  after = session_token (f, &after_expiry);
  g_assert_nonnull (after);
  g_assert_cmpstr (after, !=, before);
  g_assert_cmpint (after_expiry, >, before_expiry);
  g_assert_cmpint (kt_mfa_controller_get_step (f->controller), ==, KT_MFA_STEP_SIGNED_IN);
  g_signal_handler_disconnect (f->controller, handler);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  ADD_FLOW_TEST ("/flow/elevated/token-for-scope", &enforced, test_token_for_scope);
  ADD_FLOW_TEST ("/flow/elevated/fresh-proof-each-time", &enforced_manual,
                 test_fresh_proof_each_time);
  ADD_FLOW_TEST ("/flow/elevated/recovery-code", &enforced, test_recovery_code);
  ADD_FLOW_TEST ("/flow/elevated/recovery-code-legacy", &legacy, test_recovery_code);
  ADD_FLOW_TEST ("/flow/elevated/legacy-mfa-token", &legacy, test_legacy_mfa_token);
  ADD_FLOW_TEST ("/flow/elevated/not-signed-in", &enforced, test_not_signed_in);
  ADD_FLOW_TEST ("/flow/elevated/unknown-scope", &enforced, test_unknown_scope);
  ADD_FLOW_TEST ("/flow/elevated/cancel", &enforced_manual, test_cancel);
  ADD_FLOW_TEST ("/flow/elevated/pin", &uv_required, test_pin);
  ADD_FLOW_TEST ("/flow/elevated/access-token", NULL, test_access_token);
  ADD_FLOW_TEST ("/flow/elevated/session-refreshed", &short_tokens, test_session_refreshed);

  return g_test_run ();
}
