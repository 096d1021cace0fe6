/* bench-flow.c: the sign-in flow through KtMfaController, beside the raw cost of the HTTP round
 * trips and key operations it is made of, measured in the same run
 *
 * Usage: bench-flow [--count N]   (inside keyturn-test-env, KEYTURN_BUILD_ROOT set)
 * Prints key=value lines (milliseconds) for tests/bench/bench-flow.sh. Each run:
 * - new user: the controller from "verify code" to signed in (verify, register the key,
 *   acknowledge the codes), every next step asked for as soon as the last one ends;
 * - returning user: a new controller from start-up (restore from the keyring, a session kept
 *   half-way) to signed in (authenticate with the key);
 * - then the same requests for another user over one plain keep-alive HTTP session, each timed
 *   alone, and the key's operations through libfido2 alone (open, makeCredential or
 *   getAssertion). Their sum is what the flow cannot do without.
 *
 * Copyright 2026 Keyturn developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <string.h>

#include "flow-fixture.h"
#include "kt-bench-stats.h"
#include "kt-creation-options.h"
#include "kt-request-options.h"
#include "kt-test-async.h"

static double
now_ms (void)
{
  return g_get_monotonic_time () / 1000.0;
}

/* Named samples, printed in the order first added. */
typedef struct {
  GPtrArray  *names;
  GHashTable *samples;   /* name -> GArray of double */
} Samples;

static void
add_sample (Samples    *s,
            const char *name,
            double      ms)
{
  GArray *samples = g_hash_table_lookup (s->samples, name);

  if (samples == NULL)
    {
      samples = g_array_new (FALSE, FALSE, sizeof (double));
      g_ptr_array_add (s->names, g_strdup (name));
      g_hash_table_insert (s->samples, g_strdup (name), samples);
    }
  g_array_append_val (samples, ms);
}

/* ------------------------------------------------------------------------------------------ */
/* The controller                                                                              */

static void
run_operation (Flow *f,
               void (*start) (KtMfaController *, GCancellable *, GAsyncReadyCallback, gpointer))
{
  GAsyncResult *result = NULL;
  g_autoptr(GError) error = NULL;

  start (f->controller, NULL, flow_store_result, &result);
  if (!flow_await (f, &result, &error))
    g_error ("flow step failed: %s", error->message);
}

static void
verify_now (Flow *f)
{
  GAsyncResult *result = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *code = ks_test_server_read_code (f->server, f->email);

  kt_mfa_controller_verify_code_async (f->controller, code, NULL, flow_store_result, &result);
  if (!flow_await (f, &result, &error))
    g_error ("verify failed: %s", error->message);
}

static void
register_now (KtMfaController     *controller,
              GCancellable        *cancellable,
              GAsyncReadyCallback  callback,
              gpointer             user_data)
{
  kt_mfa_controller_register_passkey_async (controller, NULL, cancellable, callback, user_data);
}

/* ------------------------------------------------------------------------------------------ */
/* The parts                                                                                   */

static double
timed_request (Flow        *f,
               const char  *method,
               const char  *path,
               const char  *token,
               const char  *body,
               guint        expected,
               JsonObject **reply)
{
  double start = now_ms ();
  guint status = ks_test_request (f->server, method, path, token, NULL, body, reply);
  double took = now_ms () - start;

  if (status != expected)
    g_error ("%s %s: %u", method, path, status);
  return took;
}

static char *
object_to_string (JsonObject *object)
{
  g_autoptr(JsonNode) node = json_node_init_object (json_node_alloc (), object);

  return json_to_string (node, FALSE);
}

static char *
take_token (JsonObject *reply,
            const char *fallback)
{
  if (reply != NULL && json_object_has_member (reply, "minifiedJwt"))
    return g_strdup (json_object_get_string_member (reply, "minifiedJwt"));
  return g_strdup (fallback);
}

/* The access token of a fresh email sign-in (not timed: outside the measured window). */
static char *
email_sign_in (Flow       *f,
               const char *email)
{
  g_autoptr(JsonObject) reply = ks_test_sign_in (f->server, email);

  return take_token (reply, NULL);
}

/* A WebAuthn answer for the server's @options, made by the client (not timed). */
static char *
ceremony_answer (KtWebauthnClient *client,
                 JsonObject       *options,
                 gboolean          registration)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) answer = NULL;
  GAsyncResult *result = NULL;

  if (registration)
    {
      g_autoptr(KtCreationOptions) creation = kt_creation_options_new_from_json (options, &error);

      g_assert_no_error (error);
      kt_webauthn_client_register_async (client, creation, NULL, kt_test_async_done, &result);
      kt_test_async_wait (&result, 0);
      answer = kt_webauthn_client_register_finish (client, result, &error);
    }
  else
    {
      g_autoptr(KtRequestOptions) request = kt_request_options_new_from_json (options, &error);

      g_assert_no_error (error);
      kt_webauthn_client_authenticate_async (client, request, NULL, kt_test_async_done, &result);
      kt_test_async_wait (&result, 0);
      answer = kt_webauthn_client_authenticate_finish (client, result, &error);
    }
  g_object_unref (result);
  g_assert_no_error (error);
  return object_to_string (answer);
}

/* The new user's requests, each alone, for @email. Returns their sum. */
static double
raw_new_user (Flow             *f,
              Samples          *s,
              KtWebauthnClient *client,
              const char       *email)
{
  g_autoptr(JsonObject) created = NULL;
  g_autoptr(JsonObject) reply = NULL;
  g_autofree char *create_body = g_strdup_printf ("{\"email\": \"%s\"}", email);
  g_autofree char *code = NULL;
  g_autofree char *signin_body = NULL;
  g_autofree char *token = NULL;
  g_autofree char *answer = NULL;
  double sum = 0, ms;

  timed_request (f, "POST", "/emailVerifications/create", NULL, create_body, 200, &created);
  code = ks_test_server_read_code (f->server, email);
  signin_body = g_strdup_printf ("{\"verificationUUID\": \"%s\", \"verificationToken\": \"%s\"}",
                                 json_object_get_string_member (created, "verificationUUID"),
                                 code);

#define PART(name, expr) \
  G_STMT_START { ms = (expr); add_sample (s, name, ms); sum += ms; } G_STMT_END

  PART ("http_signin", timed_request (f, "POST", "/emailVerifications/signin", NULL, signin_body,
                                      200, &reply));
  token = take_token (reply, NULL);
  g_clear_pointer (&reply, json_object_unref);
  PART ("http_passkeys_half", timed_request (f, "GET", "/users/passkeys", token, NULL, 200, NULL));
  PART ("http_register_options", timed_request (f, "GET", "/users/passkeys/register", token,
                                                NULL, 200, &reply));
  answer = ceremony_answer (client, reply, TRUE);
  g_clear_pointer (&reply, json_object_unref);
  PART ("http_register", timed_request (f, "POST", "/users/passkeys/register", token, answer,
                                        200, &reply));
  {
    g_autofree char *full = take_token (reply, token);

    g_free (token);
    token = g_steal_pointer (&full);
  }
  g_clear_pointer (&reply, json_object_unref);
  PART ("http_recovery_codes", timed_request (f, "GET", "/users/mfa/recovery", token, NULL, 200,
                                              NULL));
  PART ("http_acknowledge", timed_request (f, "PUT", "/users",
                                           token, "{\"mfaBackupCodeAcknowledgement\": "
                                           "\"complete\"}", 200, &reply));
  {
    g_autofree char *acknowledged = take_token (reply, token);

    g_free (token);
    token = g_steal_pointer (&acknowledged);
  }
  g_clear_pointer (&reply, json_object_unref);
  PART ("http_passkeys_full", timed_request (f, "GET", "/users/passkeys", token, NULL, 200, NULL));
  return sum;
}

/* The returning user's requests, each alone, for @email (registered by raw_new_user). */
static double
raw_returning_user (Flow             *f,
                    Samples          *s,
                    KtWebauthnClient *client,
                    const char       *email)
{
  g_autofree char *token = email_sign_in (f, email);
  g_autoptr(JsonObject) reply = NULL;
  g_autofree char *answer = NULL;
  double sum = 0, ms;

  PART ("http_user", timed_request (f, "GET", "/users", token, NULL, 200, NULL));
  PART ("http_passkeys_half", timed_request (f, "GET", "/users/passkeys", token, NULL, 200, NULL));
  PART ("http_authenticate_options", timed_request (f, "GET", "/users/passkeys/authenticate",
                                                    token, NULL, 200, &reply));
  answer = ceremony_answer (client, reply, FALSE);
  g_clear_pointer (&reply, json_object_unref);
  PART ("http_authenticate", timed_request (f, "POST", "/users/mfa/auth/passkey", token, answer,
                                            200, &reply));
  {
    g_autofree char *full = take_token (reply, token);

    g_free (token);
    token = g_steal_pointer (&full);
  }
  PART ("http_passkeys_full", timed_request (f, "GET", "/users/passkeys", token, NULL, 200, NULL));
  return sum;
}

/* libfido2 alone on the same key: open, one request, close. */
static double
raw_make_credential (Flow         *f,
                     fido_cred_t **out)
{
  double start = now_ms ();
  fido_dev_t *dev = kv_test_key_open (f->key);
  fido_cred_t *cred = kv_test_make_cred (dev, "bench-user", FALSE, NULL);
  double took;

  kv_test_dev_close (dev);
  took = now_ms () - start;
  *out = cred;
  return took;
}

static double
raw_get_assertion (Flow              *f,
                   const fido_cred_t *cred)
{
  double start = now_ms ();
  fido_dev_t *dev = kv_test_key_open (f->key);
  g_autoptr(fido_assert_t) assertion = kv_test_assert_request (cred);
  double took;

  assert_fido (fido_dev_get_assert (dev, assertion, NULL), FIDO_OK);
  kv_test_dev_close (dev);
  took = now_ms () - start;
  return took;
}

/* ------------------------------------------------------------------------------------------ */

static double
time_keyring_load (Flow *f)
{
  double start = now_ms ();
  g_autoptr(KtStoredSession) session = flow_stored_session (f);

  g_assert_nonnull (session);
  return now_ms () - start;
}

static void
print_median (Samples    *s,
              const char *name)
{
  GArray *samples = g_hash_table_lookup (s->samples, name);

  g_print ("%s_p50_ms=%.2f\n", name, kt_bench_median (samples));
}

int
main (int   argc,
      char *argv[])
{
  int count = 30;
  GOptionEntry entries[] = {
    { "count", 0, 0, G_OPTION_ARG_INT, &count, "Runs (30)", "N" },
    { NULL },
  };
  g_autoptr(GOptionContext) context = g_option_context_new ("- the sign-in flow's timings");
  g_autoptr(GError) error = NULL;
  g_autoptr(KtOrigin) origin = NULL;
  g_autoptr(KtWebauthnClient) raw_client = NULL;
  Samples s = { g_ptr_array_new_with_free_func (g_free),
                g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                       (GDestroyNotify) g_array_unref) };
  Flow flow = { 0 };
  Flow *f = &flow;

  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error) || count < 1)
    {
      g_printerr ("bench-flow: %s\n", error != NULL ? error->message : "--count must be >= 1");
      return 2;
    }

  flow_setup (f, NULL);
  origin = kt_origin_new (FLOW_ORIGIN, &error);
  g_assert_no_error (error);
  {
    const char *sockets[] = { f->key->socket, NULL };

    raw_client = kt_webauthn_client_new (origin, sockets);
  }

  for (int run = 0; run < count; run++)
    {
      g_autofree char *raw_email = ks_test_unique_email ("bench-raw");
      g_autoptr(fido_cred_t) cred = NULL;
      double start, new_user, returning, parts_new, parts_returning, key;

      g_free (f->email);
      f->email = ks_test_unique_email ("bench");

      /* New user: the code is in the outbox before the clock starts, as a person reads it. */
      if (flow_restart (f) != KT_MFA_STEP_SIGNED_OUT)
        g_error ("a new user's start-up did not land signed out");
      flow_send_code (f);
      start = now_ms ();
      verify_now (f);
      run_operation (f, register_now);
      run_operation (f, kt_mfa_controller_acknowledge_recovery_codes_async);
      new_user = now_ms () - start;
      g_assert_cmpint (kt_mfa_controller_get_step (f->controller), ==, KT_MFA_STEP_SIGNED_IN);
      add_sample (&s, "new_user", new_user);

      /* Returning user: signed in by email, then Keyturn closed before the key was used. */
      run_operation (f, kt_mfa_controller_sign_out_async);
      flow_send_code (f);
      verify_now (f);
      g_assert_cmpint (kt_mfa_controller_get_step (f->controller), ==,
                       KT_MFA_STEP_AUTHENTICATE_PASSKEY);
      flow_drop_controller (f);
      add_sample (&s, "keyring_load", time_keyring_load (f));

      start = now_ms ();
      flow_new_controller (f);
      run_operation (f, kt_mfa_controller_restore_async);
      g_assert_cmpint (kt_mfa_controller_get_step (f->controller), ==,
                       KT_MFA_STEP_AUTHENTICATE_PASSKEY);
      run_operation (f, kt_mfa_controller_authenticate_passkey_async);
      returning = now_ms () - start;
      g_assert_cmpint (kt_mfa_controller_get_step (f->controller), ==, KT_MFA_STEP_SIGNED_IN);
      add_sample (&s, "returning_user", returning);
      flow_drop_controller (f);

      /* The parts, for another user, right after. */
      parts_new = raw_new_user (f, &s, raw_client, raw_email);
      key = raw_make_credential (f, &cred);
      add_sample (&s, "key_make_credential", key);
      add_sample (&s, "new_user_parts", parts_new + key);

      parts_returning = raw_returning_user (f, &s, raw_client, raw_email);
      key = raw_get_assertion (f, cred);
      add_sample (&s, "key_get_assertion", key);
      add_sample (&s, "returning_user_parts", parts_returning + key);

      /* A fresh start for the next run: nothing kept. */
      flow_restart (f);
      run_operation (f, kt_mfa_controller_sign_out_async);
      flow_drop_controller (f);
    }

  g_print ("runs=%d\n", count);
  for (guint i = 0; i < s.names->len; i++)
    print_median (&s, g_ptr_array_index (s.names, i));

  g_clear_object (&raw_client);
  flow_teardown (f, NULL);
  g_ptr_array_unref (s.names);
  g_hash_table_unref (s.samples);
  return 0;
}
