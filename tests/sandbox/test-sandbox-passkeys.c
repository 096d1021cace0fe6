/* test-sandbox-passkeys.c: every WebAuthn check of keyturn-sandbox, reached through HTTP: each bad
 * answer gets a 400 with its own code, and the session can still go on honestly afterwards
 *
 * Every honest answer, and every bad one a real key can give, comes from the real
 * keyturn-virtual-key through Keyturn's own WebAuthn client: a challenge or an allow list the
 * client was handed, a client at another origin, a second user's credential, a replay, a clone of
 * the key's state. The stand-in authenticator (ks-soft-authenticator) only gives what no real key
 * or honest client would send: padded challenges, foreign rpIdHash, UP cleared, BS without BE,
 * bad signatures, wrong types, id != rawId, oversized ids, malformed attestation, crossOrigin, and
 * the attestation formats keyturn-virtual-key does not make (none, fido-u2f, RS256 keys).
 *
 * Copyright 2026 Keyturn developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <string.h>

#include "ks-soft-authenticator.h"
#include "ks-test-authenticator.h"
#include "ks-test-server.h"
#include "kt-base64url.h"

#define PIN "314159"

typedef struct {
  KsTestServer        *server;
  KsTestAuthenticator *key;         /* a real key, at the sandbox's origin */
  KtWebauthnClient    *elsewhere;   /* the same key, from a client at another origin */
  KsSoftAuthenticator *stand_in;    /* only for answers no real key would send */
} Fixture;

static void
fixture_set_up (Fixture       *fixture,
                gconstpointer  data)
{
  g_autofree char *other_origin = NULL;

  fixture->server = ks_test_server_start (data);
  fixture->key = ks_test_authenticator_new (fixture->server->origin, NULL);
  other_origin = ks_test_origin_other_port (fixture->server->origin);
  fixture->elsewhere = ks_test_client_new (other_origin, fixture->key->key);
  fixture->stand_in = ks_soft_authenticator_new ();
}

static void
fixture_tear_down (Fixture       *fixture,
                   gconstpointer  data)
{
  g_clear_object (&fixture->stand_in);
  g_clear_pointer (&fixture->elsewhere, ks_test_client_free);
  g_clear_pointer (&fixture->key, ks_test_authenticator_free);
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

/* Posts a ceremony's answer; the status, and the error code in *code when there is one. */
static guint
post_answer (Fixture     *fixture,
             const char  *path,
             const char  *token,
             JsonObject  *answer,
             char       **code)
{
  g_autoptr(JsonObject) reply = NULL;
  guint status;

  status = ks_test_request_object (fixture->server, "POST", path, token, NULL, answer, &reply);
  if (code != NULL)
    *code = status >= 400 ? g_strdup (ks_test_error_code (reply)) : NULL;
  if (status == 200 && g_str_equal (path, "/users/mfa/auth/passkey"))
    g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (reply, "user"),
                                                    "scope"), ==, "user:basic");
  return status;
}

/* What the honest client is handed in place of the server's own options, or which client. */
typedef struct {
  const char *challenge;
  const char *user_verification;
  GBytes     *allow;                /* allowCredentials: this one credential */
  gboolean    elsewhere;            /* the client at another origin */
} Handed;

static KtWebauthnClient *
client_for (Fixture      *fixture,
            const Handed *handed)
{
  return handed != NULL && handed->elsewhere ? fixture->elsewhere : fixture->key->client;
}

static JsonObject *
real_register (Fixture      *fixture,
               JsonObject   *options,
               const Handed *handed)
{
  g_autoptr(GError) error = NULL;
  JsonObject *answer;

  if (handed != NULL && handed->challenge != NULL)
    json_object_set_string_member (options, "challenge", handed->challenge);
  if (handed != NULL && handed->user_verification != NULL)
    json_object_set_string_member (json_object_get_object_member (options,
                                                                   "authenticatorSelection"),
                                   "userVerification", handed->user_verification);
  answer = ks_test_client_register (client_for (fixture, handed), options, fixture->key->pin,
                                    &error);
  g_assert_no_error (error);
  return answer;
}

static JsonObject *
real_authenticate (Fixture      *fixture,
                   JsonObject   *options,
                   const Handed *handed)
{
  g_autoptr(GError) error = NULL;
  JsonObject *answer;

  if (handed != NULL && handed->challenge != NULL)
    json_object_set_string_member (options, "challenge", handed->challenge);
  if (handed != NULL && handed->user_verification != NULL)
    json_object_set_string_member (options, "userVerification", handed->user_verification);
  if (handed != NULL && handed->allow != NULL)
    {
      g_autofree char *id = kt_base64url_encode_bytes (handed->allow);
      JsonArray *allow = json_array_new ();
      JsonObject *descriptor = json_object_new ();

      json_object_set_string_member (descriptor, "id", id);
      json_object_set_string_member (descriptor, "type", "public-key");
      json_array_add_object_element (allow, descriptor);
      json_object_set_array_member (options, "allowCredentials", allow);
    }
  answer = ks_test_client_authenticate (client_for (fixture, handed), options, fixture->key->pin,
                                        &error);
  g_assert_no_error (error);
  return answer;
}

/* Registers with the real key through Keyturn's client; answers the status (and *code). */
static guint
try_register (Fixture      *fixture,
              const char   *token,
              const Handed *handed,
              char        **code)
{
  g_autoptr(JsonObject) options = get_options (fixture->server, "/users/passkeys/register", token);
  g_autoptr(JsonObject) answer = real_register (fixture, options, handed);

  return post_answer (fixture, "/users/passkeys/register", token, answer, code);
}

static guint
try_authenticate (Fixture      *fixture,
                  const char   *token,
                  const Handed *handed,
                  char        **code)
{
  g_autoptr(JsonObject) options = get_options (fixture->server, "/users/passkeys/authenticate",
                                               token);
  g_autoptr(JsonObject) answer = real_authenticate (fixture, options, handed);

  return post_answer (fixture, "/users/mfa/auth/passkey", token, answer, code);
}

/* The same through the stand-in, with @tweaks. */
static guint
stand_in_register (Fixture            *fixture,
                   const char         *token,
                   const KsSoftTweaks *tweaks,
                   char              **code)
{
  g_autoptr(JsonObject) options = get_options (fixture->server, "/users/passkeys/register", token);
  g_autoptr(JsonObject) answer = NULL;
  g_autoptr(GError) error = NULL;

  answer = ks_soft_authenticator_register (fixture->stand_in, options, fixture->server->origin,
                                           tweaks, &error);
  g_assert_no_error (error);
  return post_answer (fixture, "/users/passkeys/register", token, answer, code);
}

static guint
stand_in_authenticate (Fixture            *fixture,
                       const char         *token,
                       const KsSoftTweaks *tweaks,
                       char              **code)
{
  g_autoptr(JsonObject) options = get_options (fixture->server, "/users/passkeys/authenticate",
                                               token);
  g_autoptr(JsonObject) answer = NULL;
  g_autoptr(GError) error = NULL;

  answer = ks_soft_authenticator_authenticate (fixture->stand_in, options,
                                               fixture->server->origin, tweaks, &error);
  g_assert_no_error (error);
  return post_answer (fixture, "/users/mfa/auth/passkey", token, answer, code);
}

/* Well-formed base64url, but never issued. */
#define FOREIGN_CHALLENGE "bm90LWEtY2hhbGxlbmdlLW9mLW91cnM"

typedef struct {
  const char   *name;
  KsSoftTweaks  tweaks;
  const char   *code;
} BadAnswer;

typedef struct {
  const char *name;
  Handed      handed;
  const char *code;
} BadRealAnswer;

static const BadRealAnswer bad_real_registrations[] = {
  { "challenge not issued", { .challenge = FOREIGN_CHALLENGE }, "invalid_challenge" },
  { "origin on another port", { .elsewhere = TRUE }, "invalid_origin" },
};

static const BadAnswer bad_registrations[] = {
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

/* Nothing was stored, and the half-session may still register honestly, with the real key. */
static void
assert_nothing_stored (Fixture    *fixture,
                       const char *token)
{
  g_autoptr(JsonObject) list = NULL;

  g_assert_cmpuint (ks_test_request (fixture->server, "GET", "/users/passkeys", token, NULL,
                                     NULL, &list), ==, 200);
  g_assert_cmpint (json_object_get_int_member (list, "count"), ==, 0);
  g_assert_cmpuint (try_register (fixture, token, NULL, NULL), ==, 200);
}

static void
test_registration_checks (Fixture       *fixture,
                          gconstpointer  data)
{
  for (guint i = 0; i < G_N_ELEMENTS (bad_real_registrations); i++)
    {
      const BadRealAnswer *bad = &bad_real_registrations[i];
      g_autofree char *email = ks_test_unique_email ("reg-real");
      g_autofree char *token = half_session (fixture->server, email);
      g_autofree char *code = NULL;

      g_test_message ("registration by the real key: %s", bad->name);
      g_assert_cmpuint (try_register (fixture, token, &bad->handed, &code), ==, 400);
      g_assert_cmpstr (code, ==, bad->code);
      assert_nothing_stored (fixture, token);
    }

  for (guint i = 0; i < G_N_ELEMENTS (bad_registrations); i++)
    {
      const BadAnswer *bad = &bad_registrations[i];
      g_autofree char *email = ks_test_unique_email ("reg");
      g_autofree char *token = half_session (fixture->server, email);
      g_autofree char *code = NULL;

      g_test_message ("registration by the stand-in: %s", bad->name);
      g_assert_cmpuint (stand_in_register (fixture, token, &bad->tweaks, &code), ==, 400);
      g_assert_cmpstr (code, ==, bad->code);
      assert_nothing_stored (fixture, token);
    }
}

static void
test_registration_formats (Fixture       *fixture,
                           gconstpointer  data)
{
  /* keyturn-virtual-key's two: packed with its batch certificate (x5c), and packed self. */
  {
    g_autoptr(KsTestAuthenticator) self_attesting =
      ks_test_authenticator_new (fixture->server->origin, "--attestation", "self", NULL);
    KsTestAuthenticator *keys[] = { fixture->key, self_attesting };

    for (guint i = 0; i < G_N_ELEMENTS (keys); i++)
      {
        g_autofree char *email = ks_test_unique_email ("fmt-real");
        g_autofree char *token = half_session (fixture->server, email);
        g_autofree char *second = NULL;
        g_autoptr(JsonObject) options = get_options (fixture->server, "/users/passkeys/register",
                                                     token);
        g_autoptr(JsonObject) answer = ks_test_authenticator_register (keys[i], options);
        g_autoptr(JsonObject) request_options = NULL;
        g_autoptr(JsonObject) assertion = NULL;

        g_test_message ("packed attestation, %s", i == 0 ? "batch certificate" : "self");
        g_assert_cmpuint (post_answer (fixture, "/users/passkeys/register", token, answer, NULL),
                          ==, 200);

        /* The key so registered then signs in. */
        second = half_session (fixture->server, email);
        request_options = get_options (fixture->server, "/users/passkeys/authenticate", second);
        assertion = ks_test_authenticator_authenticate (keys[i], request_options);
        g_assert_cmpuint (post_answer (fixture, "/users/mfa/auth/passkey", second, assertion,
                                       NULL), ==, 200);
      }
  }

  /* Formats and algorithms keyturn-virtual-key does not make. */
  {
    static const struct {
      KsSoftAttestation format;
      gint64            algorithm;
    } formats[] = {
      { KS_SOFT_ATTESTATION_NONE, -7 },
      { KS_SOFT_ATTESTATION_NONE, -257 },
      { KS_SOFT_ATTESTATION_FIDO_U2F, -7 },
    };

    for (guint i = 0; i < G_N_ELEMENTS (formats); i++)
      {
        g_autofree char *email = ks_test_unique_email ("fmt");
        g_autofree char *token = half_session (fixture->server, email);
        g_autofree char *second = NULL;
        KsSoftTweaks tweaks = { .attestation = formats[i].format,
                                .algorithm = formats[i].algorithm };

        g_test_message ("stand-in attestation format %d, alg %" G_GINT64_FORMAT,
                        formats[i].format, formats[i].algorithm);
        g_assert_cmpuint (stand_in_register (fixture, token, &tweaks, NULL), ==, 200);
        second = half_session (fixture->server, email);
        g_assert_cmpuint (stand_in_authenticate (fixture, second, NULL, NULL), ==, 200);
      }
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
  g_autofree char *code = NULL;
  Handed elsewhere = { .elsewhere = TRUE };

  /* The same options answered twice by the real key: from another origin, then from ours. */
  bad = real_register (fixture, options, &elsewhere);
  good = real_register (fixture, options, NULL);

  g_assert_cmpuint (post_answer (fixture, "/users/passkeys/register", token, bad, &code), ==, 400);
  g_assert_cmpstr (code, ==, "invalid_origin");
  g_clear_pointer (&code, g_free);
  g_assert_cmpuint (post_answer (fixture, "/users/passkeys/register", token, good, &code), ==,
                    400);
  g_assert_cmpstr (code, ==, "challenge_used");
  g_clear_pointer (&code, g_free);

  /* A challenge issued to another session is not this one's either. */
  {
    g_autofree char *other_email = ks_test_unique_email ("reuse-other");
    g_autofree char *other = half_session (fixture->server, other_email);
    g_autoptr(JsonObject) other_options = get_options (fixture->server,
                                                       "/users/passkeys/register", other);
    g_autoptr(JsonObject) stolen = real_register (fixture, other_options, NULL);

    g_assert_cmpuint (post_answer (fixture, "/users/passkeys/register", token, stolen, &code), ==,
                      400);
    g_assert_cmpstr (code, ==, "invalid_challenge");
  }
}

/* One credential, one account. */
static void
test_registration_already_registered (Fixture       *fixture,
                                      gconstpointer  data)
{
  /* The real key: the server lists what the user has, and the client refuses a second time; the
   * first registration posted again is a spent challenge, here or in another session. */
  {
    g_autofree char *email = ks_test_unique_email ("dup-real");
    g_autofree char *token = half_session (fixture->server, email);
    g_autofree char *other_email = ks_test_unique_email ("dup-real-other");
    g_autofree char *other = half_session (fixture->server, other_email);
    g_autoptr(JsonObject) options = get_options (fixture->server, "/users/passkeys/register",
                                                 token);
    g_autoptr(JsonObject) first = ks_test_authenticator_register (fixture->key, options);
    g_autoptr(JsonObject) registered = NULL;
    g_autoptr(JsonObject) again_options = NULL;
    g_autoptr(JsonObject) again = NULL;
    g_autoptr(JsonObject) reply = NULL;
    g_autoptr(GError) error = NULL;
    g_autofree char *code = NULL;
    const char *full;

    g_assert_cmpuint (ks_test_request_object (fixture->server, "POST",
                                              "/users/passkeys/register", token, NULL, first,
                                              &registered), ==, 200);
    full = json_object_get_string_member (registered, "minifiedJwt");

    again_options = get_options (fixture->server, "/users/passkeys/register", full);
    g_assert_cmpuint (json_array_get_length (json_object_get_array_member (
                        again_options, "excludeCredentials")), ==, 1);
    again = ks_test_client_register (fixture->key->client, again_options, NULL, &error);
    g_assert_null (again);
    g_assert_error (error, KT_WEBAUTHN_ERROR, KT_WEBAUTHN_ERROR_ALREADY_REGISTERED);

    g_assert_cmpuint (post_answer (fixture, "/users/passkeys/register", full, first, &code), ==,
                      400);
    g_assert_cmpstr (code, ==, "challenge_used");
    g_clear_pointer (&code, g_free);
    g_assert_cmpuint (post_answer (fixture, "/users/passkeys/register", other, first, &code), ==,
                      400);
    g_assert_cmpstr (code, ==, "invalid_challenge");
    g_assert_cmpuint (ks_test_request (fixture->server, "GET", "/users/passkeys", full, NULL, NULL,
                                       &reply), ==, 200);
    g_assert_cmpint (json_object_get_int_member (reply, "count"), ==, 1);
  }

  /* No key gives two accounts the same credential: only a client that rewrites clientDataJSON
   * under fmt "none" (which signs nothing over it) can, so the stand-in plays that client. */
  {
    g_autofree char *email = ks_test_unique_email ("dup");
    g_autofree char *token = half_session (fixture->server, email);
    g_autofree char *other_email = ks_test_unique_email ("dup-other");
    g_autofree char *other = half_session (fixture->server, other_email);
    g_autoptr(JsonObject) options = get_options (fixture->server, "/users/passkeys/register",
                                                 token);
    g_autoptr(JsonObject) other_options = get_options (fixture->server,
                                                       "/users/passkeys/register", other);
    g_autoptr(JsonObject) request = NULL;
    g_autoptr(JsonObject) reply = NULL;
    g_autoptr(GError) error = NULL;
    g_autofree char *client_data = NULL;
    g_autofree char *client_data_b64 = NULL;
    JsonObject *response;

    request = ks_soft_authenticator_register (fixture->stand_in, options, fixture->server->origin,
                                              NULL, &error);
    g_assert_no_error (error);
    g_assert_cmpuint (ks_test_request_object (fixture->server, "POST",
                                              "/users/passkeys/register", token, NULL, request,
                                              NULL), ==, 200);

    client_data = g_strdup_printf ("{\"type\":\"webauthn.create\",\"challenge\":\"%s\","
                                   "\"origin\":\"%s\",\"crossOrigin\":false}",
                                   json_object_get_string_member (other_options, "challenge"),
                                   fixture->server->origin);
    client_data_b64 = kt_base64url_encode ((const guint8 *) client_data, strlen (client_data));
    response = json_object_get_object_member (request, "response");
    json_object_set_string_member (response, "clientDataJSON", client_data_b64);
    json_object_set_string_member (response, "clientDataJson", client_data_b64);
    g_assert_cmpuint (ks_test_request_object (fixture->server, "POST",
                                              "/users/passkeys/register", other, NULL, request,
                                              &reply), ==, 400);
    g_assert_cmpstr (ks_test_error_code (reply), ==, "passkey_already_registered");
  }
}

static const BadRealAnswer bad_real_assertions[] = {
  { "challenge not issued", { .challenge = FOREIGN_CHALLENGE }, "invalid_challenge" },
  { "origin on another port", { .elsewhere = TRUE }, "invalid_origin" },
};

static const BadAnswer bad_assertions[] = {
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
assert_still_half_session (Fixture    *fixture,
                           const char *token)
{
  g_autoptr(JsonObject) reply = NULL;

  g_assert_cmpuint (ks_test_request (fixture->server, "GET", "/users/mfa/recovery", token, NULL,
                                     NULL, &reply), ==, 403);
}

static void
test_assertion_checks (Fixture       *fixture,
                       gconstpointer  data)
{
  g_autofree char *email = ks_test_unique_email ("assert");
  g_autofree char *first = half_session (fixture->server, email);
  g_autofree char *token = NULL;

  g_assert_cmpuint (try_register (fixture, first, NULL, NULL), ==, 200);
  token = half_session (fixture->server, email);

  for (guint i = 0; i < G_N_ELEMENTS (bad_real_assertions); i++)
    {
      const BadRealAnswer *bad = &bad_real_assertions[i];
      g_autofree char *code = NULL;

      g_test_message ("assertion by the real key: %s", bad->name);
      g_assert_cmpuint (try_authenticate (fixture, token, &bad->handed, &code), ==, 400);
      g_assert_cmpstr (code, ==, bad->code);
      assert_still_half_session (fixture, token);
    }

  /* The counter: up is fine, the same or down is a cloned key. An older copy of the key's state
   * is such a clone: it counts on from where the copy was taken. */
  {
    g_autoptr(GBytes) clone = ks_test_authenticator_save_state (fixture->key);
    g_autoptr(GBytes) older = NULL;
    g_autofree char *code = NULL;

    g_assert_cmpuint (try_authenticate (fixture, token, NULL, NULL), ==, 200);
    /* The clone gives the count the server just stored. */
    ks_test_authenticator_restore_state (fixture->key, clone);
    g_assert_cmpuint (try_authenticate (fixture, token, NULL, &code), ==, 400);
    g_assert_cmpstr (code, ==, "sign_count_not_increased");
    g_clear_pointer (&code, g_free);
    /* It has counted on past it now. */
    g_assert_cmpuint (try_authenticate (fixture, token, NULL, NULL), ==, 200);

    older = ks_test_authenticator_save_state (fixture->key);
    g_assert_cmpuint (try_authenticate (fixture, token, NULL, NULL), ==, 200);
    g_assert_cmpuint (try_authenticate (fixture, token, NULL, NULL), ==, 200);
    /* Two sign-ins behind: lower, then the same. */
    ks_test_authenticator_restore_state (fixture->key, older);
    g_assert_cmpuint (try_authenticate (fixture, token, NULL, &code), ==, 400);
    g_assert_cmpstr (code, ==, "sign_count_not_increased");
    g_clear_pointer (&code, g_free);
    g_assert_cmpuint (try_authenticate (fixture, token, NULL, &code), ==, 400);
    g_assert_cmpstr (code, ==, "sign_count_not_increased");
    g_clear_pointer (&code, g_free);
    g_assert_cmpuint (try_authenticate (fixture, token, NULL, NULL), ==, 200);
  }

  /* What no real key sends, from a credential the stand-in made. */
  {
    g_autofree char *other_email = ks_test_unique_email ("assert-stand-in");
    g_autofree char *other_first = half_session (fixture->server, other_email);
    g_autofree char *other = NULL;

    g_assert_cmpuint (stand_in_register (fixture, other_first, NULL, NULL), ==, 200);
    other = half_session (fixture->server, other_email);

    for (guint i = 0; i < G_N_ELEMENTS (bad_assertions); i++)
      {
        const BadAnswer *bad = &bad_assertions[i];
        g_autofree char *code = NULL;

        g_test_message ("assertion by the stand-in: %s", bad->name);
        g_assert_cmpuint (stand_in_authenticate (fixture, other, &bad->tweaks, &code), ==, 400);
        g_assert_cmpstr (code, ==, bad->code);
        assert_still_half_session (fixture, other);
      }
    g_assert_cmpuint (stand_in_authenticate (fixture, other, NULL, NULL), ==, 200);
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
  g_autofree char *code = NULL;

  g_assert_cmpuint (try_register (fixture, first, NULL, NULL), ==, 200);
  /* The other user's credential lives on the same real key. */
  {
    g_autoptr(JsonObject) other_options = get_options (fixture->server,
                                                       "/users/passkeys/register", other_first);
    g_autoptr(JsonObject) other_request = ks_test_authenticator_register (fixture->key,
                                                                          other_options);

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

  /* Handed the other user's credential to sign with, the key does: a real signature, not ours. */
  token = half_session (fixture->server, email);
  {
    Handed not_mine = { .allow = other_credential };

    g_assert_cmpuint (try_authenticate (fixture, token, &not_mine, &code), ==, 400);
    g_assert_cmpstr (code, ==, "passkey_not_found");
    g_clear_pointer (&code, g_free);
  }

  /* An honest answer, replayed. */
  options = get_options (fixture->server, "/users/passkeys/authenticate", token);
  request = real_authenticate (fixture, options, NULL);
  g_assert_cmpuint (post_answer (fixture, "/users/mfa/auth/passkey", token, request, NULL), ==,
                    200);
  g_assert_cmpuint (post_answer (fixture, "/users/mfa/auth/passkey", token, request, &code), ==,
                    400);
  g_assert_cmpstr (code, ==, "challenge_used");
  g_clear_pointer (&code, g_free);

  /* Registration options do not answer an assertion. */
  {
    g_autofree char *again = half_session (fixture->server, email);
    g_autoptr(JsonObject) creation = get_options (fixture->server, "/users/passkeys/register",
                                                  json_object_get_string_member (other_registered,
                                                                                 "minifiedJwt"));
    Handed crossed = { .challenge = json_object_get_string_member (creation, "challenge") };

    g_assert_cmpuint (try_authenticate (fixture, again, &crossed, &code), ==, 400);
    g_assert_cmpstr (code, ==, "invalid_challenge");
  }
}

/* A key with a PIN gives UV; a client that skipped the PIN (handed "discouraged") does not. */
static void
test_user_verification_required (Fixture       *fixture,
                                 gconstpointer  data)
{
  g_autofree char *email = ks_test_unique_email ("uv");
  g_autofree char *token = half_session (fixture->server, email);
  g_autofree char *second = NULL;
  g_autofree char *code = NULL;
  g_autoptr(JsonObject) options = get_options (fixture->server, "/users/passkeys/register", token);
  Handed without_uv = { .user_verification = "discouraged" };

  g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (
                     options, "authenticatorSelection"), "userVerification"), ==, "required");
  ks_test_authenticator_set_pin (fixture->key, PIN);

  g_assert_cmpuint (try_register (fixture, token, &without_uv, &code), ==, 400);
  g_assert_cmpstr (code, ==, "user_verification_required");
  g_clear_pointer (&code, g_free);
  g_assert_cmpuint (try_register (fixture, token, NULL, NULL), ==, 200);

  second = half_session (fixture->server, email);
  g_assert_cmpuint (try_authenticate (fixture, second, &without_uv, &code), ==, 400);
  g_assert_cmpstr (code, ==, "user_verification_required");
  g_assert_cmpuint (try_authenticate (fixture, second, NULL, NULL), ==, 200);
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
