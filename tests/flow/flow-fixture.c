/* flow-fixture.c: the sandbox, the key, the relay and the controller a flow test runs on
 *
 * Copyright 2026 Keyturn developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "flow-fixture.h"

#include <string.h>

#include "kt-test-async.h"

#define FLOW_ENVIRONMENT_ID "4b7b1b6e-9a0c-4a53-8d3e-2f6c1d0e5a17"

static gboolean only_test_holds_controller (Flow *f);

/* ------------------------------------------------------------------------------------------ */
/* The main loop                                                                               */

void
flow_store_result (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  GAsyncResult **out = user_data;

  g_assert_null (*out);
  *out = g_object_ref (result);
}

static gboolean
on_deadline (gpointer user_data)
{
  gboolean *expired = user_data;

  *expired = TRUE;
  return G_SOURCE_REMOVE;
}

gboolean
flow_await (Flow          *f,
            GAsyncResult **result,
            GError       **error)
{
  gboolean expired = FALSE;
  guint deadline = g_timeout_add_seconds (60, on_deadline, &expired);
  gboolean ok;

  while (*result == NULL && !expired)
    g_main_context_iteration (NULL, TRUE);
  g_assert_false (expired);
  g_source_remove (deadline);

  ok = kt_mfa_controller_operation_finish (f->controller, *result, error);
  g_clear_object (result);
  /* Every operation ends idle, whatever happened. */
  g_assert_false (kt_mfa_controller_get_busy (f->controller));
  return ok;
}

void
flow_spin (int ms)
{
  gboolean expired = FALSE;

  g_timeout_add (ms, on_deadline, &expired);
  while (!expired)
    g_main_context_iteration (NULL, TRUE);
}

void
flow_spin_until (gboolean (*done) (Flow *f),
                 Flow      *f,
                 int        timeout_ms)
{
  gboolean expired = FALSE;
  guint deadline = g_timeout_add (timeout_ms, on_deadline, &expired);

  while (!done (f) && !expired)
    g_main_context_iteration (NULL, TRUE);
  g_assert_true (done (f));
  g_source_remove (deadline);
}

/* ------------------------------------------------------------------------------------------ */
/* A relay in front of the sandbox: the sandbox gets a new port each time it starts, and the    */
/* controller keeps its base URL for life, as the app does.                                    */

static guint16
server_port (KsTestServer *server)
{
  g_autoptr(GUri) uri = g_uri_parse (server->base_url, G_URI_FLAGS_NONE, NULL);

  g_assert_nonnull (uri);
  return (guint16) g_uri_get_port (uri);
}

static void
on_spliced (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_io_stream_splice_finish (result, NULL);
}

static gboolean
on_proxy_incoming (GSocketService    *service,
                   GSocketConnection *connection,
                   GObject           *source_object,
                   gpointer           user_data)
{
  Flow *f = user_data;
  g_autoptr(GSocketClient) client = g_socket_client_new ();
  g_autoptr(GSocketConnection) upstream = NULL;

  if (f->server->pid == 0)
    return TRUE;   /* the sandbox is down: drop the connection, as a dead port would */
  upstream = g_socket_client_connect_to_host (client, "127.0.0.1", server_port (f->server),
                                              NULL, NULL);
  if (upstream == NULL)
    return TRUE;
  g_io_stream_splice_async (G_IO_STREAM (connection), G_IO_STREAM (upstream),
                            G_IO_STREAM_SPLICE_CLOSE_STREAM1 | G_IO_STREAM_SPLICE_CLOSE_STREAM2,
                            G_PRIORITY_DEFAULT, NULL, on_spliced, NULL);
  return TRUE;
}

static void
start_proxy (Flow *f)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) address = g_inet_socket_address_new (loopback, 0);
  g_autoptr(GSocketAddress) bound = NULL;
  g_autofree char *path = NULL;

  f->proxy = g_socket_service_new ();
  g_socket_listener_add_address (G_SOCKET_LISTENER (f->proxy), address, G_SOCKET_TYPE_STREAM,
                                 G_SOCKET_PROTOCOL_TCP, NULL, &bound, &error);
  g_assert_no_error (error);
  f->proxy_port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));
  g_signal_connect (f->proxy, "incoming", G_CALLBACK (on_proxy_incoming), f);
  g_socket_service_start (f->proxy);

  path = g_strdup (strstr (strstr (f->server->base_url, "//") + 2, "/"));
  f->base_url = g_strdup_printf ("http://127.0.0.1:%u%s", f->proxy_port, path);
}

/* ------------------------------------------------------------------------------------------ */
/* Fixture                                                                                     */

/* The suite runs twice, once per API version (tests/flow/meson.build); a test that is about one
 * of them names it in its options. */
static const char *
api_version_for (const FlowOptions *options)
{
  const char *from_env = g_getenv ("KEYTURN_FLOW_API_VERSION");

  if (options->api_version != NULL)
    return options->api_version;
  return from_env != NULL && *from_env != '\0' ? from_env : FLOW_STEP_UP_API;
}

static char *
config_for (const FlowOptions *options)
{
  g_autofree char *step_up = NULL;

  if (options->single_use_scopes != NULL)
    step_up = g_strdup_printf ("  \"stepUp\": {\"singleUseScopes\": [%s]},",
                               options->single_use_scopes);
  return g_strdup_printf (
    "{\"environments\": [{"
    "  \"id\": \"" FLOW_ENVIRONMENT_ID "\","
    "  \"displayName\": \"Keyturn flow tests\","
    "  \"minApiVersion\": \"%s\","
    "  \"sessions\": \"%s\","
    "%s"
    "  \"rp\": {\"id\": \"localhost\", \"name\": \"Keyturn flow tests\"},"
    "  \"origin\": \"" FLOW_ORIGIN "\","
    "  \"requireDeviceSignature\": %s,"
    "  \"mfa\": {\"required\": true, \"userVerification\": \"%s\","
    "            \"mfaTokenRequiredFor\": [%s]},"
    "  \"lifetimes\": {\"accessToken\": %d, \"session\": 3600, \"emailCode\": 600,"
    "                  \"emailRetry\": 1, \"challenge\": 300, \"mfaToken\": 300,"
    "                  \"elevatedTimeBound\": %d}"
    "}]}",
    api_version_for (options),
    options->cookie_sessions ? "cookie" : "token",
    step_up != NULL ? step_up : "",
    options->require_device_signature ? "true" : "false",
    options->user_verification != NULL ? options->user_verification : "preferred",
    options->token_required_for != NULL ? options->token_required_for : "\"delete-passkey\"",
    options->access_token_lifetime > 0 ? options->access_token_lifetime : 900,
    options->elevated_lifetime > 0 ? options->elevated_lifetime : 600);
}

void
flow_swap_keys (Flow *f)
{
  KvTestKey *unplugged = f->key;

  g_assert_nonnull (f->second_key);
  kv_test_key_stop (unplugged);
  f->key = f->second_key;
  f->second_key = unplugged;
  kv_test_key_launch (f->key, "--presence",
                      f->options.presence != NULL ? f->options.presence : "auto", NULL);
}

gboolean
flow_step_up_enforced (Flow *f)
{
  return strcmp (f->api_version, FLOW_LEGACY_API) != 0;
}

/* How many lines of the sandbox's log hold both @a and @b. */
static guint
count_log_lines (Flow       *f,
                 const char *a,
                 const char *b)
{
  g_autofree char *log_path = g_build_filename (f->server->root, "server.log", NULL);
  g_autofree char *log = NULL;
  g_auto(GStrv) lines = NULL;
  guint count = 0;

  /* The sandbox writes its log through a buffer it flushes every 250 ms. */
  flow_spin (350);
  g_assert_true (g_file_get_contents (log_path, &log, NULL, NULL));
  lines = g_strsplit (log, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    if (strstr (lines[i], a) != NULL && strstr (lines[i], b) != NULL)
      count++;
  return count;
}

guint
flow_count_requests (Flow       *f,
                     const char *method,
                     const char *path)
{
  g_autofree char *verb = g_strdup_printf (" %s /", method);
  g_autofree char *target = g_strdup_printf ("/sdk/%s%s -> ", f->server->environment_id, path);

  return count_log_lines (f, verb, target);
}

guint
flow_count_all_requests (Flow *f)
{
  g_autofree char *target = g_strdup_printf ("/sdk/%s/", f->server->environment_id);

  return count_log_lines (f, target, " -> ");
}

void
flow_setup (Flow          *f,
            gconstpointer  data)
{
  g_autofree char *config = NULL;
  static const FlowOptions defaults = { 0 };

  f->options = data != NULL ? *(const FlowOptions *) data : defaults;
  f->api_version = api_version_for (&f->options);
  config = config_for (&f->options);
  f->server = ks_test_server_start (config);
  g_assert_cmpstr (f->server->origin, ==, FLOW_ORIGIN);
  f->key = kv_test_key_start (NULL, "--presence",
                              f->options.presence != NULL ? f->options.presence : "auto",
                              NULL);
  if (f->options.second_key)
    f->second_key = kv_test_key_new (NULL, NULL);
  f->email = ks_test_unique_email ("flow");
  f->pin_answers = g_ptr_array_new_with_free_func (g_free);
  f->pin_retries = g_array_new (FALSE, FALSE, sizeof (int));
  f->pin_states = g_array_new (FALSE, FALSE, sizeof (KtWebauthnState));
  if (f->options.through_proxy)
    start_proxy (f);
  else
    f->base_url = g_strdup (f->server->base_url);
}

void
flow_teardown (Flow          *f,
               gconstpointer  data)
{
  if (f->controller != NULL)
    flow_drop_controller (f);
  if (f->proxy != NULL)
    {
      g_socket_service_stop (f->proxy);
      g_socket_listener_close (G_SOCKET_LISTENER (f->proxy));
      g_clear_object (&f->proxy);
    }
  g_clear_pointer (&f->key, kv_test_key_free);
  g_clear_pointer (&f->second_key, kv_test_key_free);
  g_clear_pointer (&f->server, ks_test_server_free);
  g_clear_pointer (&f->email, g_free);
  g_clear_pointer (&f->base_url, g_free);
  g_clear_pointer (&f->pin_answers, g_ptr_array_unref);
  g_clear_pointer (&f->pin_retries, g_array_unref);
  g_clear_pointer (&f->pin_states, g_array_unref);
}

static void
on_pin_requested (KtMfaController *controller,
                  int              retries,
                  Flow            *f)
{
  KtWebauthnState state = kt_mfa_controller_get_authenticator_state (controller);

  g_array_append_val (f->pin_retries, retries);
  g_array_append_val (f->pin_states, state);
  if (f->pin_asked < f->pin_answers->len)
    kt_mfa_controller_answer_pin (controller, g_ptr_array_index (f->pin_answers, f->pin_asked++));
  else
    {
      f->pin_asked++;
      kt_mfa_controller_decline_pin (controller);
    }
}

KtMfaController *
flow_new_controller (Flow *f)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(KtApiClient) api = NULL;
  g_autoptr(KtDeviceSigner) signer = kt_device_signer_new ();
  g_autoptr(KtSessionStore) store = NULL;
  g_autoptr(KtOrigin) origin = NULL;
  g_autoptr(KtWebauthnClient) authenticator = NULL;
  const char *sockets[] = { f->key->socket, NULL, NULL };

  g_assert_null (f->controller);
  if (f->second_key != NULL)
    sockets[1] = f->second_key->socket;
  api = kt_api_client_new (f->base_url, f->server->environment_id, &error);
  g_assert_no_error (error);
  /* The loopback sandbox answers in milliseconds; a short timeout keeps a hang visible. */
  kt_api_client_set_timeout (api, 10);
  /* As the app does: device-signed sign-in and refresh, and a session key on every request. */
  kt_api_client_set_device_signer (api, signer);
  store = kt_session_store_new (f->base_url, f->server->environment_id);
  origin = kt_origin_new (FLOW_ORIGIN, &error);
  g_assert_no_error (error);
  authenticator = kt_webauthn_client_new (origin, sockets);

  f->controller = kt_mfa_controller_new (api, store, authenticator);
  f->controller_parts[0] = G_OBJECT (api);
  f->controller_parts[1] = G_OBJECT (store);
  f->controller_parts[2] = G_OBJECT (authenticator);
  for (guint i = 0; i < G_N_ELEMENTS (f->controller_parts); i++)
    g_object_add_weak_pointer (f->controller_parts[i], (gpointer *) &f->controller_parts[i]);
  g_signal_connect (f->controller, "pin-requested", G_CALLBACK (on_pin_requested), f);
  g_assert_cmpint (kt_mfa_controller_get_step (f->controller), ==, KT_MFA_STEP_STARTING);
  return f->controller;
}

void
flow_settle (Flow *f)
{
  flow_spin_until (only_test_holds_controller, f, 10000);
}

gboolean
flow_is_remembered (Flow *f)
{
  return kt_mfa_controller_get_remembered (f->controller);
}

static gboolean
only_test_holds_controller (Flow *f)
{
  return G_OBJECT (f->controller)->ref_count == 1;
}

void
flow_drop_controller (Flow *f)
{
  g_assert_nonnull (f->controller);
  g_assert_false (kt_mfa_controller_get_busy (f->controller));
  /* A keyring write started by the last step may still be on its way. */
  flow_spin_until (only_test_holds_controller, f, 10000);
  g_assert_finalize_object (g_steal_pointer (&f->controller));
  /* What it owned went with it: no request, keyring call or ceremony kept any of it alive. */
  for (guint i = 0; i < G_N_ELEMENTS (f->controller_parts); i++)
    g_assert_null (f->controller_parts[i]);
}

KtMfaStep
flow_restart (Flow *f)
{
  GAsyncResult *result = NULL;
  g_autoptr(GError) error = NULL;
  KtMfaController *controller;

  if (f->controller != NULL)
    flow_drop_controller (f);
  controller = flow_new_controller (f);
  kt_mfa_controller_restore_async (controller, NULL, flow_store_result, &result);
  g_assert_true (kt_mfa_controller_get_busy (controller));
  /* A session that ended while Keyturn was closed, and a server out of reach, are the failures
   * a restore reports. */
  if (!flow_await (f, &result, &error))
    {
      if (!g_error_matches (error, KT_API_ERROR, KT_API_ERROR_NETWORK))
        g_assert_error (error, KT_API_ERROR, KT_API_ERROR_UNAUTHORIZED);
      g_assert_cmpint (kt_mfa_controller_get_step (controller), ==, KT_MFA_STEP_SIGNED_OUT);
    }
  return kt_mfa_controller_get_step (controller);
}

/* ------------------------------------------------------------------------------------------ */
/* Steps                                                                                       */

void
flow_send_code (Flow *f)
{
  GAsyncResult *result = NULL;
  g_autoptr(GError) error = NULL;

  kt_mfa_controller_send_code_async (f->controller, f->email, NULL, flow_store_result, &result);
  g_assert_true (flow_await (f, &result, &error));
  g_assert_no_error (error);
  g_assert_cmpint (kt_mfa_controller_get_step (f->controller), ==, KT_MFA_STEP_CODE_SENT);
  g_assert_cmpstr (kt_mfa_controller_get_email (f->controller), ==, f->email);
  g_assert_cmpint (kt_mfa_controller_get_code_sent_at (f->controller), >, 0);
}

void
flow_verify_code (Flow *f)
{
  GAsyncResult *result = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *code = ks_test_server_read_code (f->server, f->email);

  kt_mfa_controller_verify_code_async (f->controller, code, NULL, flow_store_result, &result);
  g_assert_true (flow_await (f, &result, &error));
  g_assert_no_error (error);
  g_assert_null (kt_mfa_controller_get_error (f->controller));
  g_assert_nonnull (kt_mfa_controller_get_user (f->controller));
}

void
flow_email_sign_in (Flow      *f,
                    KtMfaStep  step)
{
  flow_send_code (f);
  flow_verify_code (f);
  g_assert_cmpint (kt_mfa_controller_get_step (f->controller), ==, step);
}

void
flow_register (Flow       *f,
               const char *alias)
{
  GAsyncResult *result = NULL;
  g_autoptr(GError) error = NULL;

  g_assert_cmpint (kt_mfa_controller_get_step (f->controller), ==, KT_MFA_STEP_REGISTER_PASSKEY);
  kt_mfa_controller_register_passkey_async (f->controller, alias, NULL, flow_store_result,
                                            &result);
  g_assert_true (flow_await (f, &result, &error));
  g_assert_no_error (error);
}

void
flow_acknowledge (Flow *f)
{
  GAsyncResult *result = NULL;
  g_autoptr(GError) error = NULL;

  g_assert_cmpint (kt_mfa_controller_get_step (f->controller), ==, KT_MFA_STEP_RECOVERY_CODES);
  kt_mfa_controller_acknowledge_recovery_codes_async (f->controller, NULL, flow_store_result,
                                                      &result);
  g_assert_true (flow_await (f, &result, &error));
  g_assert_no_error (error);
  g_assert_cmpint (kt_mfa_controller_get_step (f->controller), ==, KT_MFA_STEP_SIGNED_IN);
}

void
flow_authenticate (Flow *f)
{
  GAsyncResult *result = NULL;
  g_autoptr(GError) error = NULL;

  g_assert_cmpint (kt_mfa_controller_get_step (f->controller), ==,
                   KT_MFA_STEP_AUTHENTICATE_PASSKEY);
  kt_mfa_controller_authenticate_passkey_async (f->controller, NULL, flow_store_result, &result);
  g_assert_true (flow_await (f, &result, &error));
  g_assert_no_error (error);
}

void
flow_sign_up (Flow *f)
{
  if (f->controller == NULL)
    g_assert_cmpint (flow_restart (f), ==, KT_MFA_STEP_SIGNED_OUT);
  flow_email_sign_in (f, KT_MFA_STEP_REGISTER_PASSKEY);
  flow_register (f, NULL);
  g_assert_cmpint (kt_mfa_controller_get_step (f->controller), ==, KT_MFA_STEP_RECOVERY_CODES);
  flow_acknowledge (f);
}

void
flow_sign_in (Flow *f)
{
  if (f->controller == NULL)
    g_assert_cmpint (flow_restart (f), ==, KT_MFA_STEP_SIGNED_OUT);
  flow_send_code (f);
  flow_verify_code (f);
  flow_authenticate (f);
  g_assert_cmpint (kt_mfa_controller_get_step (f->controller), ==, KT_MFA_STEP_SIGNED_IN);
}

void
flow_sign_out (Flow *f)
{
  GAsyncResult *result = NULL;
  g_autoptr(GError) error = NULL;

  kt_mfa_controller_sign_out_async (f->controller, NULL, flow_store_result, &result);
  g_assert_true (flow_await (f, &result, &error));
  g_assert_no_error (error);
  g_assert_cmpint (kt_mfa_controller_get_step (f->controller), ==, KT_MFA_STEP_SIGNED_OUT);
}

char **
flow_fetch_recovery_codes (Flow *f)
{
  GAsyncResult *result = NULL;
  g_autoptr(GError) error = NULL;
  const char * const *codes;

  kt_mfa_controller_fetch_recovery_codes_async (f->controller, NULL, flow_store_result, &result);
  g_assert_true (flow_await (f, &result, &error));
  g_assert_no_error (error);
  codes = kt_mfa_controller_get_recovery_codes (f->controller);
  g_assert_nonnull (codes);
  return g_strdupv ((char **) codes);
}

void
flow_step_up (Flow       *f,
              const char *scope)
{
  GAsyncResult *result = NULL;
  g_autoptr(GError) error = NULL;

  kt_mfa_controller_step_up_async (f->controller, scope, NULL, flow_store_result, &result);
  g_assert_true (flow_await (f, &result, &error));
  g_assert_no_error (error);
}

void
flow_delete_passkey (Flow      *f,
                     KtPasskey *passkey)
{
  GAsyncResult *result = NULL;
  g_autoptr(GError) error = NULL;

  kt_mfa_controller_delete_passkey_async (f->controller, passkey, NULL, flow_store_result,
                                          &result);
  g_assert_true (flow_await (f, &result, &error));
  g_assert_no_error (error);
}

KtApiClient *
flow_api_client (Flow *f)
{
  g_assert_nonnull (f->controller_parts[0]);
  return KT_API_CLIENT (f->controller_parts[0]);
}

guint
flow_count_passkeys (Flow *f)
{
  return g_list_model_get_n_items (kt_mfa_controller_get_passkeys (f->controller));
}

KtPasskey *
flow_passkey_at (Flow  *f,
                 guint  position)
{
  GListModel *passkeys = kt_mfa_controller_get_passkeys (f->controller);

  g_assert_cmpuint (g_list_model_get_n_items (passkeys), >, position);
  return g_list_model_get_item (passkeys, position);
}

static void
assert_not_in_tree (const char *path,
                    GPtrArray  *needles,
                    const char *what,
                    guint      *n_files)
{
  g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
  const char *name;

  if (dir == NULL)
    return;
  while ((name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *child = g_build_filename (path, name, NULL);
      g_autofree char *contents = NULL;
      gsize len = 0;

      if (g_file_test (child, G_FILE_TEST_IS_SYMLINK))
        continue;
      if (g_file_test (child, G_FILE_TEST_IS_DIR))
        {
          assert_not_in_tree (child, needles, what, n_files);
          continue;
        }
      if (!g_file_test (child, G_FILE_TEST_IS_REGULAR) ||
          !g_file_get_contents (child, &contents, &len, NULL))
        continue;
      (*n_files)++;
      for (guint i = 0; i < needles->len; i++)
        {
          GBytes *needle = g_ptr_array_index (needles, i);
          gsize needle_len = 0;
          gconstpointer bytes = g_bytes_get_data (needle, &needle_len);

          if (memmem (contents, len, bytes, needle_len) != NULL)
            g_error ("%s (%u) is in %s", what, i, child);
        }
    }
}

void
flow_assert_not_in_files (GPtrArray  *needles,
                          const char *what)
{
  const char *dirs[] = {
    g_get_home_dir (), g_get_user_config_dir (), g_get_user_data_dir (),
    g_get_user_cache_dir (), g_get_user_runtime_dir (), g_get_user_state_dir (),
  };
  guint n_files = 0;

  for (guint i = 0; i < G_N_ELEMENTS (dirs); i++)
    assert_not_in_tree (dirs[i], needles, what, &n_files);
  /* The keyring's own file at least is there, and holds what it keeps sealed. */
  g_assert_cmpuint (n_files, >, 0);
}

KtStoredSession *
flow_stored_session (Flow *f)
{
  g_autoptr(KtSessionStore) store = kt_session_store_new (f->base_url,
                                                          f->server->environment_id);
  g_autoptr(GError) error = NULL;
  GAsyncResult *result = NULL;
  KtStoredSession *session;

  /* Let the controller's keyring writes land first. */
  if (f->controller != NULL)
    flow_spin_until (only_test_holds_controller, f, 10000);
  kt_session_store_load_async (store, NULL, kt_test_async_done, &result);
  session = kt_session_store_load_finish (store, kt_test_async_wait (&result, 0), &error);
  g_object_unref (result);
  g_assert_no_error (error);
  return session;
}
