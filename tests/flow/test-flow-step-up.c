/* test-flow-step-up.c: step-up before the actions that need it, and a second security key added
 * while signed in, through KtMfaController against the real keyturn-sandbox, real virtual keys
 * and a real keyring. Run once per API version: on 2026_04_01 with elevated access tokens, on
 * 2026_01_01 with the legacy MFA token.
 *
 * Copyright 2026 Keyturn developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <string.h>

#include "flow-fixture.h"


static gboolean
add_passkey (Flow        *f,
             const char  *alias,
             GError     **error)
{
  GAsyncResult *result = NULL;

  kt_mfa_controller_add_passkey_async (f->controller, alias, NULL, flow_store_result, &result);
  return flow_await (f, &result, error);
}

/* The key plugged in already holds a passkey of this account: the step-up is done, the
 * registration refused by the key itself. */
static void
add_with_registered_key (Flow *f)
{
  g_autoptr(GError) error = NULL;

  g_assert_false (add_passkey (f, "Backup key", &error));
  g_assert_error (error, KT_WEBAUTHN_ERROR, KT_WEBAUTHN_ERROR_ALREADY_REGISTERED);
  g_assert_cmpint (kt_mfa_controller_get_step (f->controller), ==, KT_MFA_STEP_SIGNED_IN);
}

/* ------------------------------------------------------------------------------------------ */

static const FlowOptions two_keys = { .second_key = TRUE };

/* A user adds a backup key, removes the first with a step-up, and signs in with the backup. */
static void
test_second_key (Flow          *f,
                 gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(KtPasskey) first = NULL;
  g_autoptr(KtPasskey) second = NULL;
  guint checks, proofs;

  flow_sign_up (f);
  first = flow_passkey_at (f, 0);
  checks = CHECKS (f);
  proofs = PROOFS (f);

  /* The name is not optional here: the list must tell the keys apart. */
  g_assert_false (add_passkey (f, "  ", &error));
  g_assert_error (error, KT_MFA_CONTROLLER_ERROR, KT_MFA_CONTROLLER_ERROR_INVALID_INPUT);
  g_clear_error (&error);

  /* As the account page does it: the step-up first, with the first key (credential:link)... */
  flow_step_up (f, KT_SCOPE_CREDENTIAL_LINK);
  /* ... which would not register again, if asked to. */
  add_with_registered_key (f);
  if (flow_step_up_enforced (f))
    {
      g_assert_cmpuint (CHECKS (f), ==, checks + 1);
      g_assert_cmpuint (PROOFS (f), ==, proofs + 1);
      g_assert_true (kt_api_client_has_elevated_token (flow_api_client (f),
                                                       KT_SCOPE_CREDENTIAL_LINK));
      g_assert_false (kt_api_client_has_elevated_token (flow_api_client (f),
                                                        KT_SCOPE_CREDENTIAL_UNLINK));
    }
  else
    {
      g_assert_cmpuint (CHECKS (f), ==, 0);
      g_assert_cmpuint (PROOFS (f), ==, proofs);
    }
  g_assert_cmpuint (flow_count_passkeys (f), ==, 1);

  /* The new key in its place: the time-bound token is still good, nothing is asked again. */
  flow_swap_keys (f);
  checks = CHECKS (f);
  proofs = PROOFS (f);
  g_assert_true (add_passkey (f, "Backup key", &error));
  g_assert_no_error (error);
  g_assert_cmpuint (CHECKS (f), ==, checks);
  g_assert_cmpuint (PROOFS (f), ==, proofs);
  g_assert_cmpint (kt_mfa_controller_get_step (f->controller), ==, KT_MFA_STEP_SIGNED_IN);
  g_assert_cmpuint (flow_count_passkeys (f), ==, 2);
  for (guint i = 0; i < 2; i++)
    {
      g_autoptr(KtPasskey) passkey = flow_passkey_at (f, i);

      if (g_strcmp0 (kt_passkey_get_id (passkey), kt_passkey_get_id (first)) != 0)
        second = g_steal_pointer (&passkey);
    }
  g_assert_nonnull (second);
  g_assert_cmpstr (kt_passkey_get_alias (second), ==, "Backup key");

  /* Removing the first: credential:unlink, proved with the key now plugged in. */
  checks = CHECKS (f);
  proofs = PROOFS (f);
  flow_delete_passkey (f, first);
  g_assert_cmpuint (flow_count_passkeys (f), ==, 1);
  g_clear_object (&second);
  second = flow_passkey_at (f, 0);
  g_assert_cmpstr (kt_passkey_get_alias (second), ==, "Backup key");
  g_assert_cmpuint (PROOFS (f), ==, proofs + 1);
  if (flow_step_up_enforced (f))
    {
      g_assert_cmpuint (CHECKS (f), ==, checks + 1);
      g_assert_true (kt_api_client_has_elevated_token (flow_api_client (f),
                                                       KT_SCOPE_CREDENTIAL_UNLINK));
    }
  else
    g_assert_cmpuint (CHECKS (f), ==, 0);

  /* The next sign-in takes the backup key; no token outlives the session. */
  flow_sign_out (f);
  g_assert_cmpuint (kt_api_client_count_elevated_tokens (flow_api_client (f)), ==, 0);
  flow_sign_in (f);
  g_assert_cmpuint (flow_count_passkeys (f), ==, 1);
  g_assert_cmpint (flow_restart (f), ==, KT_MFA_STEP_SIGNED_IN);
}

/* A recovery code stands in for the key at the step-up. */
static void
test_recovery_code_step_up (Flow          *f,
                            gconstpointer  data)
{
  GAsyncResult *result = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(KtPasskey) passkey = NULL;
  g_auto(GStrv) codes = NULL;
  guint checks, proofs;

  flow_sign_up (f);
  codes = flow_fetch_recovery_codes (f);
  passkey = flow_passkey_at (f, 0);

  kt_mfa_controller_step_up_with_recovery_code_async (f->controller, KT_SCOPE_CREDENTIAL_UNLINK,
                                                      "", NULL, flow_store_result, &result);
  g_assert_false (flow_await (f, &result, &error));
  g_assert_error (error, KT_MFA_CONTROLLER_ERROR, KT_MFA_CONTROLLER_ERROR_INVALID_INPUT);
  g_clear_error (&error);

  kt_mfa_controller_step_up_with_recovery_code_async (f->controller, KT_SCOPE_CREDENTIAL_UNLINK,
                                                      codes[0], NULL, flow_store_result,
                                                      &result);
  g_assert_true (flow_await (f, &result, &error));
  g_assert_no_error (error);
  g_assert_cmpint (kt_mfa_controller_get_step (f->controller), ==, KT_MFA_STEP_SIGNED_IN);
  if (flow_step_up_enforced (f))
    g_assert_true (kt_api_client_has_elevated_token (flow_api_client (f),
                                                     KT_SCOPE_CREDENTIAL_UNLINK));
  else
    g_assert_true (kt_mfa_controller_get_has_mfa_token (f->controller));

  /* The key is never asked, nor the check: the token earned is used. */
  checks = CHECKS (f);
  proofs = PROOFS (f);
  flow_delete_passkey (f, passkey);
  g_assert_cmpuint (flow_count_passkeys (f), ==, 0);
  g_assert_cmpuint (CHECKS (f), ==, checks);
  g_assert_cmpuint (PROOFS (f), ==, proofs);

  /* A spent code earns nothing. */
  kt_mfa_controller_step_up_with_recovery_code_async (f->controller, KT_SCOPE_CREDENTIAL_UNLINK,
                                                      codes[0], NULL, flow_store_result,
                                                      &result);
  g_assert_false (flow_await (f, &result, &error));
  g_assert_error (error, KT_API_ERROR, KT_API_ERROR_INVALID_CODE);
}

/* Renaming and new recovery codes need no step-up: no check, no key, no token spent. */
static void
test_no_step_up_when_not_needed (Flow          *f,
                                 gconstpointer  data)
{
  GAsyncResult *result = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(KtPasskey) passkey = NULL;
  guint proofs;

  flow_sign_up (f);
  passkey = flow_passkey_at (f, 0);
  proofs = PROOFS (f);

  kt_mfa_controller_rename_passkey_async (f->controller, passkey, "Blue key", NULL,
                                          flow_store_result, &result);
  g_assert_true (flow_await (f, &result, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (kt_passkey_get_alias (passkey), ==, "Blue key");
  kt_mfa_controller_new_recovery_codes_async (f->controller, NULL, flow_store_result, &result);
  g_assert_true (flow_await (f, &result, &error));
  g_assert_no_error (error);

  g_assert_cmpuint (CHECKS (f), ==, 0);
  g_assert_cmpuint (PROOFS (f), ==, proofs);
  g_assert_cmpuint (kt_api_client_count_elevated_tokens (flow_api_client (f)), ==, 0);
}

static const FlowOptions single_use_link = {
  .second_key = TRUE,
  .api_version = FLOW_STEP_UP_API,
  .single_use_scopes = "\"credential:link\"",
};

/* A single-use token is kept until it is sent, and dropped then: the next action asks again. */
static void
test_single_use_dropped (Flow          *f,
                         gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  guint checks, proofs;

  flow_sign_up (f);
  checks = CHECKS (f);
  proofs = PROOFS (f);
  /* The registration was refused by the key before anything was sent: the token stays. */
  add_with_registered_key (f);
  g_assert_cmpuint (CHECKS (f), ==, checks + 1);
  g_assert_cmpuint (PROOFS (f), ==, proofs + 1);
  g_assert_true (kt_api_client_has_elevated_token (flow_api_client (f), KT_SCOPE_CREDENTIAL_LINK));

  flow_swap_keys (f);
  g_assert_true (add_passkey (f, "Backup key", &error));
  g_assert_no_error (error);
  g_assert_cmpuint (CHECKS (f), ==, checks + 1);
  g_assert_cmpuint (PROOFS (f), ==, proofs + 1);
  g_assert_false (kt_api_client_has_elevated_token (flow_api_client (f), KT_SCOPE_CREDENTIAL_LINK));

  /* Spent: adding again asks the server and the key again (which now holds a passkey too). */
  add_with_registered_key (f);
  g_assert_cmpuint (CHECKS (f), ==, checks + 2);
  g_assert_cmpuint (PROOFS (f), ==, proofs + 2);
}

static const FlowOptions short_elevated = {
  .api_version = FLOW_STEP_UP_API,
  .elevated_lifetime = 2,
};

/* An expired time-bound token is not sent: the next action asks for a new one. */
static void
test_expired_asks_again (Flow          *f,
                         gconstpointer  data)
{
  guint checks, proofs;

  flow_sign_up (f);
  checks = CHECKS (f);
  proofs = PROOFS (f);
  add_with_registered_key (f);
  g_assert_cmpuint (CHECKS (f), ==, checks + 1);
  g_assert_true (kt_api_client_has_elevated_token (flow_api_client (f), KT_SCOPE_CREDENTIAL_LINK));

  flow_spin (2500);
  g_assert_false (kt_api_client_has_elevated_token (flow_api_client (f), KT_SCOPE_CREDENTIAL_LINK));
  add_with_registered_key (f);
  g_assert_cmpuint (CHECKS (f), ==, checks + 2);
  g_assert_cmpuint (PROOFS (f), ==, proofs + 2);
}

/* A relay in the test that passes every request on to the sandbox but answers POST /stepUp/check
 * itself with a 503, as a server in trouble would. The sandbox is another process, so waiting
 * for it here does not stall the client. */
typedef struct {
  KsTestServer *server;
  SoupSession  *session;
  guint         refused;
} FailingCheck;

static void
on_relay_request (SoupServer        *soup,
                  SoupServerMessage *msg,
                  const char        *path,
                  GHashTable        *query,
                  gpointer           user_data)
{
  FailingCheck *relay = user_data;
  const char *method = soup_server_message_get_method (msg);
  const char *sdk = strstr (path, "/sdk/");
  g_autofree char *uri = NULL;
  g_autoptr(SoupMessage) forwarded = NULL;
  g_autoptr(GBytes) request = NULL;
  g_autoptr(GBytes) answer = NULL;
  const char *names[] = { "Authorization", "Content-Type", "x-dyn-elevated-access-token",
                          "x-mfa-auth-token", "x-dyn-request-id" };

  if (g_str_has_suffix (path, "/stepUp/check"))
    {
      static const char body[] = "{\"error\":\"Try again later\",\"code\":\"unavailable\"}";

      relay->refused++;
      soup_server_message_set_status (msg, 503, NULL);
      soup_server_message_set_response (msg, "application/json", SOUP_MEMORY_STATIC, body,
                                        strlen (body));
      return;
    }

  g_assert_nonnull (sdk);
  uri = g_strconcat (relay->server->base_url, sdk, NULL);
  forwarded = soup_message_new (method, uri);
  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    {
      const char *value =
        soup_message_headers_get_one (soup_server_message_get_request_headers (msg), names[i]);

      if (value != NULL)
        soup_message_headers_replace (soup_message_get_request_headers (forwarded), names[i],
                                      value);
    }
  request = soup_message_body_flatten (soup_server_message_get_request_body (msg));
  if (g_bytes_get_size (request) > 0)
    soup_message_set_request_body_from_bytes (forwarded, "application/json", request);
  answer = soup_session_send_and_read (relay->session, forwarded, NULL, NULL);
  g_assert_nonnull (answer);
  soup_server_message_set_status (msg, soup_message_get_status (forwarded), NULL);
  soup_server_message_set_response (msg, "application/json", SOUP_MEMORY_COPY,
                                    g_bytes_get_data (answer, NULL), g_bytes_get_size (answer));
}

/* When the check itself fails, the action is treated as needing a step-up, as Dynamic's client
 * does: the key is asked, and the action goes through. */
static void
test_failed_check_counts_as_required (Flow          *f,
                                      gconstpointer  data)
{
  g_autoptr(SoupServer) soup = soup_server_new (NULL, NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(KtPasskey) passkey = NULL;
  g_autoptr(GSList) uris = NULL;
  FailingCheck relay = { f->server, soup_session_new (), 0 };
  g_autoptr(GUri) uri = NULL;
  guint proofs;

  soup_server_add_handler (soup, NULL, on_relay_request, &relay, NULL);
  g_assert_true (soup_server_listen_local (soup, 0, SOUP_SERVER_LISTEN_IPV4_ONLY, &error));
  g_assert_no_error (error);
  uris = soup_server_get_uris (soup);
  uri = g_uri_ref (uris->data);
  g_slist_free_full (g_steal_pointer (&uris), (GDestroyNotify) g_uri_unref);
  g_free (f->base_url);
  f->base_url = g_strdup_printf ("http://127.0.0.1:%d/api/v0", g_uri_get_port (uri));

  flow_sign_up (f);
  passkey = flow_passkey_at (f, 0);
  proofs = PROOFS (f);
  flow_delete_passkey (f, passkey);
  g_assert_cmpuint (relay.refused, ==, 1);
  g_assert_cmpuint (PROOFS (f), ==, proofs + 1);
  g_assert_cmpuint (flow_count_passkeys (f), ==, 0);

  flow_drop_controller (f);
  soup_server_disconnect (soup);
  g_object_unref (relay.session);
}

static const FlowOptions cookie_sessions = { .cookie_sessions = TRUE };

/* An environment with cookie-based sessions gives no token: the sign-in says so at once. */
static void
test_cookie_sessions (Flow          *f,
                      gconstpointer  data)
{
  GAsyncResult *result = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *code = NULL;

  flow_restart (f);
  flow_send_code (f);
  code = ks_test_server_read_code (f->server, f->email);
  kt_mfa_controller_verify_code_async (f->controller, code, NULL, flow_store_result, &result);
  g_assert_false (flow_await (f, &result, &error));
  g_assert_error (error, KT_API_ERROR, KT_API_ERROR_CONFIGURATION);
  g_assert_nonnull (strstr (error->message, "cookie"));
  g_assert_cmpint (kt_mfa_controller_get_step (f->controller), !=, KT_MFA_STEP_REGISTER_PASSKEY);
  g_assert_false (kt_mfa_controller_get_remembered (f->controller));
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  ADD_FLOW_TEST ("/flow/step-up/second-key", &two_keys, test_second_key);
  ADD_FLOW_TEST ("/flow/step-up/recovery-code", NULL, test_recovery_code_step_up);
  ADD_FLOW_TEST ("/flow/step-up/not-when-not-needed", NULL, test_no_step_up_when_not_needed);
  ADD_FLOW_TEST ("/flow/step-up/cookie-sessions", &cookie_sessions, test_cookie_sessions);
  /* About elevated access tokens alone: once, in the run against 2026_04_01. */
  if (g_strcmp0 (g_getenv ("KEYTURN_FLOW_API_VERSION"), FLOW_LEGACY_API) != 0)
    {
      ADD_FLOW_TEST ("/flow/step-up/single-use-dropped", &single_use_link,
                     test_single_use_dropped);
      ADD_FLOW_TEST ("/flow/step-up/expired-asks-again", &short_elevated,
                     test_expired_asks_again);
      ADD_FLOW_TEST ("/flow/step-up/failed-check-counts-as-required", NULL,
                     test_failed_check_counts_as_required);
    }

  return g_test_run ();
}
