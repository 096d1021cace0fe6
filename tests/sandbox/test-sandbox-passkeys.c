/* test-sandbox-passkeys.c: every WebAuthn check of keyturn-sandbox, reached through HTTP: each bad
 * answer gets a 400 with its own code, and the session can still go on honestly afterwards
 *
 * Copyright 2026 Keyturn developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <string.h>

#include "ks-soft-authenticator.h"
#include "ks-test-server.h"
#include "kt-base64url.h"

typedef struct {
  KsTestServer        *server;
  KsSoftAuthenticator *key;
} Fixture;

static void
fixture_set_up (Fixture       *fixture,
                gconstpointer  data)
{
  fixture->server = ks_test_server_start (data);
  fixture->key = ks_soft_authenticator_new ();
}

static void
fixture_tear_down (Fixture       *fixture,
                   gconstpointer  data)
{
  g_clear_object (&fixture->key);
  g_clear_pointer (&fixture->server, ks_test_server_free);
}

static char *
half_session (KsTestServer *server,
              const char   *email)
{
  g_autoptr(JsonObject) reply = ks_test_sign_in (server, email);

  return g_strdup (json_object_get_string_member (reply, "minifiedJwt"));
}

static JsonObject *
get_options (KsTestServer *server,
             const char   *path,
             const char   *token)
{
  JsonObject *options = NULL;

  g_assert_cmpuint (ks_test_request (server, "GET", path, token, NULL, NULL, &options), ==, 200);
  return options;
}

/* Registers with @tweaks; answers the status, and the error code in *code when there is one. */
static guint
try_register (Fixture            *fixture,
              const char         *token,
              const KsSoftTweaks *tweaks,
              char              **code)
{
  g_autoptr(JsonObject) options = get_options (fixture->server, "/users/passkeys/register", token);
  g_autoptr(JsonObject) request = NULL;
  g_autoptr(JsonObject) reply = NULL;
  g_autoptr(GError) error = NULL;
  guint status;

  request = ks_soft_authenticator_register (fixture->key, options, fixture->server->origin, tweaks,
                                            &error);
  g_assert_no_error (error);
  status = ks_test_request_object (fixture->server, "POST", "/users/passkeys/register", token,
                                   NULL, request, &reply);
  if (code != NULL)
    *code = status >= 400 ? g_strdup (ks_test_error_code (reply)) : NULL;
  return status;
}

static guint
try_authenticate (Fixture            *fixture,
                  const char         *token,
                  const KsSoftTweaks *tweaks,
                  char              **code)
{
  g_autoptr(JsonObject) options = get_options (fixture->server, "/users/passkeys/authenticate",
                                               token);
  g_autoptr(JsonObject) request = NULL;
  g_autoptr(JsonObject) reply = NULL;
  g_autoptr(GError) error = NULL;
  guint status;

  request = ks_soft_authenticator_authenticate (fixture->key, options, fixture->server->origin,
                                                tweaks, &error);
  g_assert_no_error (error);
  status = ks_test_request_object (fixture->server, "POST", "/users/mfa/auth/passkey", token,
                                   NULL, request, &reply);
  if (code != NULL)
    *code = status >= 400 ? g_strdup (ks_test_error_code (reply)) : NULL;
  if (status == 200)
    g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (reply, "user"),
                                                    "scope"), ==, "user:basic");
  return status;
}

/* Well-formed base64url, but never issued. */
#define FOREIGN_CHALLENGE "bm90LWEtY2hhbGxlbmdlLW9mLW91cnM"

typedef struct {
  const char   *name;
  KsSoftTweaks  tweaks;
  const char   *code;
} BadAnswer;

static const BadAnswer bad_registrations[] = {
  { "challenge not issued", { .challenge = FOREIGN_CHALLENGE }, "invalid_challenge" },
  { "challenge padded", { .challenge_padded = TRUE }, "invalid_challenge" },
  { "origin of another site", { .origin = "https://attacker.example" }, "invalid_origin" },
  { "cross-origin frame", { .cross_origin = TRUE }, "invalid_origin" },
  { "rpIdHash of another rp", { .wrong_rp_id_hash = TRUE }, "invalid_rp_id" },
  { "user not present", { .clear_up = TRUE }, "user_presence_required" },
  { "BS without BE", { .set_bs = TRUE }, "invalid_backup_flags" },
  { "credential type", { .credential_type = "password" }, "invalid_type" },
  { "clientData type", { .client_data_type = "webauthn.get" }, "invalid_type" },
  { "id is not rawId", { .id_differs = TRUE }, "credential_id_mismatch" },
  { "credential id of 1024 bytes", { .credential_id_length = 1024 }, "invalid_credential_id" },
  { "fmt none with a statement", { .none_with_statement = TRUE }, "invalid_attestation" },
  { "token binding present", { .token_binding_present = TRUE }, "token_binding_unsupported" },
  { "no attested credential data", { .omit_attested_data = TRUE }, "invalid_passkey_response" },
  { "packed statement with another alg", { .attestation = KS_SOFT_ATTESTATION_PACKED_SELF,
                                           .statement_algorithm = -257 }, "invalid_attestation" },
  { "packed x5c leaf that is a CA", { .attestation = KS_SOFT_ATTESTATION_PACKED_X5C,
                                      .x5c_is_ca = TRUE }, "invalid_attestation" },
};

static void
test_registration_checks (Fixture       *fixture,
                          gconstpointer  data)
{
  for (guint i = 0; i < G_N_ELEMENTS (bad_registrations); i++)
    {
      const BadAnswer *bad = &bad_registrations[i];
      g_autofree char *email = ks_test_unique_email ("reg");
      g_autofree char *token = half_session (fixture->server, email);
      g_autofree char *code = NULL;
      g_autoptr(JsonObject) list = NULL;

      g_test_message ("registration: %s", bad->name);
      g_assert_cmpuint (try_register (fixture, token, &bad->tweaks, &code), ==, 400);
      g_assert_cmpstr (code, ==, bad->code);

      /* Nothing was stored, and the half-session may still register honestly. */
      g_assert_cmpuint (ks_test_request (fixture->server, "GET", "/users/passkeys", token, NULL,
                                         NULL, &list), ==, 200);
      g_assert_cmpint (json_object_get_int_member (list, "count"), ==, 0);
      g_assert_cmpuint (try_register (fixture, token, NULL, NULL), ==, 200);
    }
}

static void
test_registration_formats (Fixture       *fixture,
                           gconstpointer  data)
{
  static const struct {
    KsSoftAttestation format;
    gint64            algorithm;
  } formats[] = {
    { KS_SOFT_ATTESTATION_NONE, -7 },
    { KS_SOFT_ATTESTATION_NONE, -257 },
    { KS_SOFT_ATTESTATION_PACKED_SELF, -7 },
    { KS_SOFT_ATTESTATION_PACKED_X5C, -7 },
    { KS_SOFT_ATTESTATION_FIDO_U2F, -7 },
  };

  for (guint i = 0; i < G_N_ELEMENTS (formats); i++)
    {
      g_autofree char *email = ks_test_unique_email ("fmt");
      g_autofree char *token = half_session (fixture->server, email);
      g_autofree char *second = NULL;
      KsSoftTweaks tweaks = { .attestation = formats[i].format,
                              .algorithm = formats[i].algorithm };

      g_test_message ("attestation format %d, alg %" G_GINT64_FORMAT, formats[i].format,
                      formats[i].algorithm);
      g_assert_cmpuint (try_register (fixture, token, &tweaks, NULL), ==, 200);

      /* The key so registered then signs in. */
      second = half_session (fixture->server, email);
      g_assert_cmpuint (try_authenticate (fixture, second, NULL, NULL), ==, 200);
    }
}

/* Challenges are single-use: an answer to a spent one is refused, whatever came of the first. */
static void
test_registration_challenge_reuse (Fixture       *fixture,
                                   gconstpointer  data)
{
  g_autofree char *email = ks_test_unique_email ("reuse");
  g_autofree char *token = half_session (fixture->server, email);
  g_autoptr(JsonObject) options = get_options (fixture->server, "/users/passkeys/register", token);
  g_autoptr(JsonObject) bad = NULL;
  g_autoptr(JsonObject) good = NULL;
  g_autoptr(JsonObject) reply = NULL;
  g_autoptr(GError) error = NULL;
  KsSoftTweaks wrong_origin = { .origin = "https://attacker.example" };

  bad = ks_soft_authenticator_register (fixture->key, options, fixture->server->origin,
                                        &wrong_origin, &error);
  g_assert_no_error (error);
  good = ks_soft_authenticator_register (fixture->key, options, fixture->server->origin, NULL,
                                         &error);
  g_assert_no_error (error);

  g_assert_cmpuint (ks_test_request_object (fixture->server, "POST", "/users/passkeys/register",
                                            token, NULL, bad, &reply), ==, 400);
  g_assert_cmpstr (ks_test_error_code (reply), ==, "invalid_origin");
  g_clear_pointer (&reply, json_object_unref);
  g_assert_cmpuint (ks_test_request_object (fixture->server, "POST", "/users/passkeys/register",
                                            token, NULL, good, &reply), ==, 400);
  g_assert_cmpstr (ks_test_error_code (reply), ==, "challenge_used");
  g_clear_pointer (&reply, json_object_unref);

  /* A challenge issued to another session is not this one's either. */
  {
    g_autofree char *other_email = ks_test_unique_email ("reuse-other");
    g_autofree char *other = half_session (fixture->server, other_email);
    g_autoptr(JsonObject) other_options = get_options (fixture->server,
                                                       "/users/passkeys/register", other);
    g_autoptr(JsonObject) stolen = ks_soft_authenticator_register (fixture->key, other_options,
                                                                   fixture->server->origin, NULL,
                                                                   &error);

    g_assert_no_error (error);
    g_assert_cmpuint (ks_test_request_object (fixture->server, "POST", "/users/passkeys/register",
                                              token, NULL, stolen, &reply), ==, 400);
    g_assert_cmpstr (ks_test_error_code (reply), ==, "invalid_challenge");
    g_clear_pointer (&reply, json_object_unref);
  }
}

/* One credential, one account: the same key's answer replayed for another user is refused. */
static void
test_registration_already_registered (Fixture       *fixture,
                                      gconstpointer  data)
{
  g_autofree char *email = ks_test_unique_email ("dup");
  g_autofree char *token = half_session (fixture->server, email);
  g_autofree char *other_email = ks_test_unique_email ("dup-other");
  g_autofree char *other = half_session (fixture->server, other_email);
  g_autoptr(JsonObject) options = get_options (fixture->server, "/users/passkeys/register", token);
  g_autoptr(JsonObject) other_options = get_options (fixture->server, "/users/passkeys/register",
                                                     other);
  g_autoptr(JsonObject) request = NULL;
  g_autoptr(JsonObject) reply = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *client_data = NULL;
  g_autofree char *client_data_b64 = NULL;
  JsonObject *response;

  request = ks_soft_authenticator_register (fixture->key, options, fixture->server->origin, NULL,
                                            &error);
  g_assert_no_error (error);
  g_assert_cmpuint (ks_test_request_object (fixture->server, "POST", "/users/passkeys/register",
                                            token, NULL, request, NULL), ==, 200);

  /* fmt "none" signs nothing over clientDataJSON, so the same attestation can answer the other
   * user's challenge: only the credential id gives it away. */
  client_data = g_strdup_printf ("{\"type\":\"webauthn.create\",\"challenge\":\"%s\","
                                 "\"origin\":\"%s\",\"crossOrigin\":false}",
                                 json_object_get_string_member (other_options, "challenge"),
                                 fixture->server->origin);
  client_data_b64 = kt_base64url_encode ((const guint8 *) client_data, strlen (client_data));
  response = json_object_get_object_member (request, "response");
  json_object_set_string_member (response, "clientDataJSON", client_data_b64);
  json_object_set_string_member (response, "clientDataJson", client_data_b64);
  g_assert_cmpuint (ks_test_request_object (fixture->server, "POST", "/users/passkeys/register",
                                            other, NULL, request, &reply), ==, 400);
  g_assert_cmpstr (ks_test_error_code (reply), ==, "passkey_already_registered");
}

static const BadAnswer bad_assertions[] = {
  { "challenge not issued", { .challenge = FOREIGN_CHALLENGE }, "invalid_challenge" },
  { "challenge padded", { .challenge_padded = TRUE }, "invalid_challenge" },
  { "origin of another site", { .origin = "https://attacker.example" }, "invalid_origin" },
  { "rpIdHash of another rp", { .wrong_rp_id_hash = TRUE }, "invalid_rp_id" },
  { "user not present", { .clear_up = TRUE }, "user_presence_required" },
  { "bad signature", { .corrupt_signature = TRUE }, "invalid_signature" },
  { "clientData type", { .client_data_type = "webauthn.create" }, "invalid_type" },
  { "BE changed since registration", { .set_be = TRUE }, "invalid_backup_flags" },
  { "attested data in an assertion", { .set_at = TRUE }, "invalid_passkey_response" },
};

static void
test_assertion_checks (Fixture       *fixture,
                       gconstpointer  data)
{
  g_autofree char *email = ks_test_unique_email ("assert");
  g_autofree char *first = half_session (fixture->server, email);
  g_autofree char *token = NULL;

  g_assert_cmpuint (try_register (fixture, first, NULL, NULL), ==, 200);
  token = half_session (fixture->server, email);

  for (guint i = 0; i < G_N_ELEMENTS (bad_assertions); i++)
    {
      const BadAnswer *bad = &bad_assertions[i];
      g_autofree char *code = NULL;
      g_autoptr(JsonObject) reply = NULL;

      g_test_message ("assertion: %s", bad->name);
      g_assert_cmpuint (try_authenticate (fixture, token, &bad->tweaks, &code), ==, 400);
      g_assert_cmpstr (code, ==, bad->code);
      /* Still a half-session. */
      g_assert_cmpuint (ks_test_request (fixture->server, "GET", "/users/mfa/recovery", token,
                                         NULL, NULL, &reply), ==, 403);
    }

  /* The counter: up is fine, the same or down is a cloned key. */
  {
    KsSoftTweaks high = { .set_counter = TRUE, .counter = 100 };
    KsSoftTweaks same = { .set_counter = TRUE, .counter = 100 };
    KsSoftTweaks lower = { .set_counter = TRUE, .counter = 50 };
    g_autofree char *code = NULL;

    g_assert_cmpuint (try_authenticate (fixture, token, &high, NULL), ==, 200);
    g_assert_cmpuint (try_authenticate (fixture, token, &same, &code), ==, 400);
    g_assert_cmpstr (code, ==, "sign_count_not_increased");
    g_clear_pointer (&code, g_free);
    g_assert_cmpuint (try_authenticate (fixture, token, &lower, &code), ==, 400);
    g_assert_cmpstr (code, ==, "sign_count_not_increased");
    /* The soft key now counts on from 50: still below the stored 100. */
    g_clear_pointer (&code, g_free);
    g_assert_cmpuint (try_authenticate (fixture, token, NULL, &code), ==, 400);
    g_assert_cmpstr (code, ==, "sign_count_not_increased");
    g_clear_pointer (&code, g_free);
    {
      KsSoftTweaks higher = { .set_counter = TRUE, .counter = 101 };
      g_assert_cmpuint (try_authenticate (fixture, token, &higher, NULL), ==, 200);
    }
  }
}

static void
test_assertion_reuse_and_ownership (Fixture       *fixture,
                                    gconstpointer  data)
{
  g_autofree char *email = ks_test_unique_email ("own");
  g_autofree char *other_email = ks_test_unique_email ("own-other");
  g_autofree char *first = half_session (fixture->server, email);
  g_autofree char *other_first = half_session (fixture->server, other_email);
  g_autofree char *token = NULL;
  g_autoptr(JsonObject) other_registered = NULL;
  g_autoptr(JsonObject) other_list = NULL;
  g_autoptr(JsonObject) options = NULL;
  g_autoptr(JsonObject) request = NULL;
  g_autoptr(JsonObject) reply = NULL;
  g_autoptr(GBytes) other_credential = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *code = NULL;

  g_assert_cmpuint (try_register (fixture, first, NULL, NULL), ==, 200);
  /* The other user's key lives in the same soft authenticator. */
  {
    g_autoptr(JsonObject) other_options = get_options (fixture->server,
                                                       "/users/passkeys/register", other_first);
    g_autoptr(JsonObject) other_request = ks_soft_authenticator_register (fixture->key,
                                                                          other_options,
                                                                          fixture->server->origin,
                                                                          NULL, &error);
    g_assert_no_error (error);
    g_assert_cmpuint (ks_test_request_object (fixture->server, "POST",
                                              "/users/passkeys/register", other_first, NULL,
                                              other_request, &other_registered), ==, 200);
  }
  g_assert_cmpuint (ks_test_request (fixture->server, "GET", "/users/passkeys",
                                     json_object_get_string_member (other_registered,
                                                                    "minifiedJwt"),
                                     NULL, NULL, &other_list), ==, 200);
  other_credential = kt_base64url_decode (json_object_get_string_member (
                                            json_array_get_object_element (
                                              json_object_get_array_member (other_list,
                                                                            "passkeys"), 0),
                                            "credentialId"), NULL);
  g_assert_nonnull (other_credential);

  token = half_session (fixture->server, email);
  {
    KsSoftTweaks not_mine = { .credential_id = other_credential };

    g_assert_cmpuint (try_authenticate (fixture, token, &not_mine, &code), ==, 400);
    g_assert_cmpstr (code, ==, "passkey_not_found");
  }

  /* An honest answer, replayed. */
  options = get_options (fixture->server, "/users/passkeys/authenticate", token);
  request = ks_soft_authenticator_authenticate (fixture->key, options, fixture->server->origin,
                                                NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (ks_test_request_object (fixture->server, "POST", "/users/mfa/auth/passkey",
                                            token, NULL, request, NULL), ==, 200);
  g_assert_cmpuint (ks_test_request_object (fixture->server, "POST", "/users/mfa/auth/passkey",
                                            token, NULL, request, &reply), ==, 400);
  g_assert_cmpstr (ks_test_error_code (reply), ==, "challenge_used");
  g_clear_pointer (&reply, json_object_unref);

  /* Registration options do not answer an assertion. */
  {
    g_autofree char *again = half_session (fixture->server, email);
    g_autoptr(JsonObject) creation = get_options (fixture->server, "/users/passkeys/register",
                                                  json_object_get_string_member (other_registered,
                                                                                 "minifiedJwt"));
    g_autoptr(JsonObject) request_options = get_options (fixture->server,
                                                         "/users/passkeys/authenticate", again);
    g_autoptr(JsonObject) crossed = NULL;

    json_object_set_string_member (request_options, "challenge",
                                   json_object_get_string_member (creation, "challenge"));
    crossed = ks_soft_authenticator_authenticate (fixture->key, request_options,
                                                  fixture->server->origin, NULL, &error);
    g_assert_no_error (error);
    g_assert_cmpuint (ks_test_request_object (fixture->server, "POST", "/users/mfa/auth/passkey",
                                              again, NULL, crossed, &reply), ==, 400);
    g_assert_cmpstr (ks_test_error_code (reply), ==, "invalid_challenge");
  }
}

static void
test_user_verification_required (Fixture       *fixture,
                                 gconstpointer  data)
{
  g_autofree char *email = ks_test_unique_email ("uv");
  g_autofree char *token = half_session (fixture->server, email);
  g_autofree char *second = NULL;
  g_autofree char *code = NULL;
  g_autoptr(JsonObject) options = get_options (fixture->server, "/users/passkeys/register", token);
  KsSoftTweaks with_uv = { .set_uv = TRUE };

  g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (
                     options, "authenticatorSelection"), "userVerification"), ==, "required");

  g_assert_cmpuint (try_register (fixture, token, NULL, &code), ==, 400);
  g_assert_cmpstr (code, ==, "user_verification_required");
  g_clear_pointer (&code, g_free);
  g_assert_cmpuint (try_register (fixture, token, &with_uv, NULL), ==, 200);

  second = half_session (fixture->server, email);
  g_assert_cmpuint (try_authenticate (fixture, second, NULL, &code), ==, 400);
  g_assert_cmpstr (code, ==, "user_verification_required");
  g_assert_cmpuint (try_authenticate (fixture, second, &with_uv, NULL), ==, 200);
}

int
main (int    argc,
      char **argv)
{
  g_autofree char *uv_id = g_uuid_string_random ();
  g_autofree char *uv_config = g_strdup_printf (
    "{\"environments\":[{\"id\":\"%s\",\"rp\":{\"id\":\"localhost\",\"name\":\"UV\"},"
    "\"mfa\":{\"required\":true,\"userVerification\":\"required\"}}]}", uv_id);

  g_test_init (&argc, &argv, NULL);

  g_test_add ("/sandbox/passkeys/registration-checks", Fixture, NULL, fixture_set_up,
              test_registration_checks, fixture_tear_down);
  g_test_add ("/sandbox/passkeys/registration-formats", Fixture, NULL, fixture_set_up,
              test_registration_formats, fixture_tear_down);
  g_test_add ("/sandbox/passkeys/registration-challenge-reuse", Fixture, NULL, fixture_set_up,
              test_registration_challenge_reuse, fixture_tear_down);
  g_test_add ("/sandbox/passkeys/registration-already-registered", Fixture, NULL, fixture_set_up,
              test_registration_already_registered, fixture_tear_down);
  g_test_add ("/sandbox/passkeys/assertion-checks", Fixture, NULL, fixture_set_up,
              test_assertion_checks, fixture_tear_down);
  g_test_add ("/sandbox/passkeys/assertion-reuse-and-ownership", Fixture, NULL, fixture_set_up,
              test_assertion_reuse_and_ownership, fixture_tear_down);
  g_test_add ("/sandbox/passkeys/user-verification-required", Fixture, uv_config, fixture_set_up,
              test_user_verification_required, fixture_tear_down);

  return g_test_run ();
}
