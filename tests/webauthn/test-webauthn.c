/* test-webauthn.c: the sandbox's relying-party checks, against answers from the soft authenticator
 *
 * Copyright 2026 Keyturn developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <openssl/rand.h>
#include <string.h>

#include "ks-soft-authenticator.h"
#include "ks-webauthn.h"
#include "kt-base64url.h"
#include "kt-cose.h"

#define RP_ID  "localhost"
#define ORIGIN "http://localhost:8080"

static const gint64 both_algorithms[] = { KT_COSE_ALG_ES256, KT_COSE_ALG_RS256 };
static const gint64 es256_only[] = { KT_COSE_ALG_ES256 };

static char *
new_challenge (void)
{
  guint8 bytes[32];

  RAND_bytes (bytes, sizeof bytes);
  return kt_base64url_encode (bytes, sizeof bytes);
}

static JsonObject *
parse_object (const char *json)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;

  json_parser_load_from_data (parser, json, -1, &error);
  g_assert_no_error (error);
  return json_object_ref (json_node_get_object (json_parser_get_root (parser)));
}

/* Creation options as GET /users/passkeys/register answers them. */
static JsonObject *
creation_options (const char *challenge,
                  const char *user_id)
{
  g_autofree char *json = g_strdup_printf (
    "{\"challenge\":\"%s\",\"rp\":{\"id\":\"" RP_ID "\",\"name\":\"Keyturn Test\"},"
    "\"user\":{\"id\":\"%s\",\"name\":\"a@example.com\",\"displayName\":\"a@example.com\"},"
    "\"pubKeyCredParams\":[{\"alg\":-7,\"type\":\"public-key\"},"
    "{\"alg\":-257,\"type\":\"public-key\"}],"
    "\"timeout\":300000,\"excludeCredentials\":[],"
    "\"authenticatorSelection\":{\"userVerification\":\"preferred\"},\"attestation\":\"direct\"}",
    challenge, user_id);

  return parse_object (json);
}

static JsonObject *
request_options (const char *challenge,
                 GBytes     *allowed)
{
  g_autofree char *id = allowed != NULL ? kt_base64url_encode_bytes (allowed) : NULL;
  g_autofree char *json = g_strdup_printf (
    "{\"challenge\":\"%s\",\"rpId\":\"" RP_ID "\",\"userVerification\":\"preferred\","
    "\"allowCredentials\":[%s%s%s]}",
    challenge, id != NULL ? "{\"type\":\"public-key\",\"id\":\"" : "", id != NULL ? id : "",
    id != NULL ? "\"}" : "");

  return parse_object (json);
}

static KsRelyingParty
default_rp (void)
{
  return (KsRelyingParty) {
    .rp_id = RP_ID,
    .origin = ORIGIN,
    .require_user_verification = FALSE,
    .algorithms = both_algorithms,
    .n_algorithms = G_N_ELEMENTS (both_algorithms),
  };
}

static gboolean
do_register (KsSoftAuthenticator   *authenticator,
             const KsRelyingParty  *rp,
             const KsSoftTweaks    *tweaks,
             KsNewCredential      **out,
             GError               **error)
{
  g_autofree char *challenge = new_challenge ();
  g_autoptr(JsonObject) options = creation_options (challenge, "dXNlci0x");
  g_autoptr(JsonObject) response = NULL;
  g_autoptr(GError) local = NULL;

  response = ks_soft_authenticator_register (authenticator, options, ORIGIN, tweaks, &local);
  g_assert_no_error (local);
  return ks_webauthn_verify_registration (rp, challenge, response, out, error);
}

static KsNewCredential *
register_ok (KsSoftAuthenticator *authenticator,
             const KsSoftTweaks  *tweaks)
{
  KsRelyingParty rp = default_rp ();
  g_autoptr(KsNewCredential) cred = NULL;
  g_autoptr(GError) error = NULL;

  g_assert_true (do_register (authenticator, &rp, tweaks, &cred, &error));
  g_assert_no_error (error);
  g_assert_nonnull (cred);
  return g_steal_pointer (&cred);
}

static KsStoredCredential
stored_from (const KsNewCredential *cred)
{
  return (KsStoredCredential) {
    .credential_id = cred->credential_id,
    .public_key = cred->public_key,
    .algorithm = cred->algorithm,
    .sign_count = cred->sign_count,
    .backup_eligible = cred->backup_eligible,
  };
}

static gboolean
do_assert (KsSoftAuthenticator      *authenticator,
           const KsRelyingParty     *rp,
           const KsStoredCredential *stored,
           const KsSoftTweaks       *tweaks,
           KsAssertionResult        *result,
           GError                  **error)
{
  g_autofree char *challenge = new_challenge ();
  g_autoptr(JsonObject) options = request_options (challenge, stored->credential_id);
  g_autoptr(JsonObject) response = NULL;
  g_autoptr(GError) local = NULL;

  response = ks_soft_authenticator_authenticate (authenticator, options, ORIGIN, tweaks, &local);
  g_assert_no_error (local);
  return ks_webauthn_verify_assertion (rp, challenge, response, stored, result, error);
}

/* Happy paths */

static void
check_round_trip (KsSoftAttestation attestation,
                  gint64            algorithm,
                  const char       *format,
                  const char       *type)
{
  g_autoptr(KsSoftAuthenticator) authenticator = ks_soft_authenticator_new ();
  KsSoftTweaks tweaks = { .attestation = attestation, .algorithm = algorithm };
  g_autoptr(KsNewCredential) cred = register_ok (authenticator, &tweaks);
  g_autoptr(GBytes) expected_key = ks_soft_authenticator_get_public_key (authenticator,
                                                                         cred->credential_id);
  KsRelyingParty rp = default_rp ();
  KsStoredCredential stored = stored_from (cred);
  KsAssertionResult result = { 0 };
  g_autoptr(GError) error = NULL;

  g_assert_cmpstr (cred->attestation_format, ==, format);
  g_assert_cmpstr (cred->attestation_type, ==, type);
  g_assert_cmpint (cred->algorithm, ==, algorithm);
  g_assert_nonnull (expected_key);
  g_assert_true (g_bytes_equal (cred->public_key, expected_key));
  g_assert_cmpuint (g_bytes_get_size (cred->credential_id), ==, 32);
  g_assert_cmpuint (cred->sign_count, ==, 0);
  g_assert_false (cred->user_verified);
  g_assert_nonnull (cred->transports);
  g_assert_cmpstr (cred->transports[0], ==, "usb");
  if (attestation == KS_SOFT_ATTESTATION_FIDO_U2F)
    {
      static const guint8 zeros[16] = { 0 };
      g_assert_cmpmem (cred->aaguid, 16, zeros, 16);
    }
  else
    {
      g_assert_cmpmem (cred->aaguid, 16, ks_soft_authenticator_get_aaguid (authenticator), 16);
    }

  for (guint32 i = 1; i <= 3; i++)
    {
      g_assert_true (do_assert (authenticator, &rp, &stored, NULL, &result, &error));
      g_assert_no_error (error);
      g_assert_cmpuint (result.sign_count, ==, i);
      g_assert_false (result.user_verified);
      stored.sign_count = result.sign_count;
    }
}

static void
test_none_es256 (void)
{
  check_round_trip (KS_SOFT_ATTESTATION_NONE, KT_COSE_ALG_ES256, "none", "none");
}

static void
test_packed_self_es256 (void)
{
  check_round_trip (KS_SOFT_ATTESTATION_PACKED_SELF, KT_COSE_ALG_ES256, "packed", "self");
}

static void
test_packed_x5c (void)
{
  check_round_trip (KS_SOFT_ATTESTATION_PACKED_X5C, KT_COSE_ALG_ES256, "packed", "basic");
}

static void
test_fido_u2f (void)
{
  check_round_trip (KS_SOFT_ATTESTATION_FIDO_U2F, KT_COSE_ALG_ES256, "fido-u2f", "basic");
}

static void
test_none_rs256 (void)
{
  check_round_trip (KS_SOFT_ATTESTATION_NONE, KT_COSE_ALG_RS256, "none", "none");
}

static void
test_packed_self_rs256 (void)
{
  check_round_trip (KS_SOFT_ATTESTATION_PACKED_SELF, KT_COSE_ALG_RS256, "packed", "self");
}

static void
test_flags_reported (void)
{
  g_autoptr(KsSoftAuthenticator) authenticator = ks_soft_authenticator_new ();
  KsSoftTweaks tweaks = { .set_uv = TRUE, .set_be = TRUE, .set_bs = TRUE, .add_extensions = TRUE };
  g_autoptr(KsNewCredential) cred = register_ok (authenticator, &tweaks);
  KsRelyingParty rp = default_rp ();
  KsStoredCredential stored = stored_from (cred);
  KsAssertionResult result = { 0 };
  g_autoptr(GError) error = NULL;

  g_assert_true (cred->user_verified);
  g_assert_true (cred->backup_eligible);
  g_assert_true (cred->backup_state);

  rp.require_user_verification = TRUE;
  g_assert_true (do_assert (authenticator, &rp, &stored, &tweaks, &result, &error));
  g_assert_no_error (error);
  g_assert_true (result.user_verified);
  g_assert_true (result.backup_state);
}

static void
test_prepared_key (void)
{
  g_autoptr(KsSoftAuthenticator) authenticator = ks_soft_authenticator_new ();
  g_autoptr(KsNewCredential) cred = register_ok (authenticator, NULL);
  g_autoptr(KsWebauthnKey) key = NULL;
  g_autoptr(GBytes) other_key = NULL;
  KsRelyingParty rp = default_rp ();
  KsStoredCredential stored = stored_from (cred);
  KsAssertionResult result = { 0 };
  g_autoptr(GError) error = NULL;

  key = ks_webauthn_key_new (cred->public_key, cred->algorithm, &error);
  g_assert_no_error (error);
  stored.prepared = key;
  g_assert_true (do_assert (authenticator, &rp, &stored, NULL, &result, &error));
  g_assert_no_error (error);

  /* The prepared key is the one that verifies: another credential's key must fail. */
  {
    g_autoptr(KsSoftAuthenticator) other = ks_soft_authenticator_new ();
    g_autoptr(KsNewCredential) other_cred = register_ok (other, NULL);
    g_autoptr(KsWebauthnKey) wrong = ks_webauthn_key_new (other_cred->public_key,
                                                          other_cred->algorithm, &error);

    g_assert_no_error (error);
    stored.prepared = wrong;
    stored.sign_count = result.sign_count;
    g_assert_false (do_assert (authenticator, &rp, &stored, NULL, &result, &error));
    g_assert_error (error, KS_WEBAUTHN_ERROR, KS_WEBAUTHN_ERROR_SIGNATURE);
    g_clear_error (&error);
  }

  /* A key whose algorithm is not the stored one is refused up front. */
  g_assert_null (ks_webauthn_key_new (cred->public_key, KT_COSE_ALG_RS256, &error));
  g_assert_error (error, KS_WEBAUTHN_ERROR, KS_WEBAUTHN_ERROR_ALGORITHM);
}

/* One prepared key shared by threads that verify at once, as a server's cache would be used:
 * every good assertion verifies and every forged one fails, whoever holds the cached context. */
typedef struct {
  KsRelyingParty      rp;
  KsStoredCredential  stored;
  GPtrArray          *good;        /* JsonObject */
  GPtrArray          *forged;      /* JsonObject */
  GPtrArray          *challenges;  /* char *, one per good/forged pair */
  gint                failures;
} SharedKey;

static gpointer
verify_shared_thread (gpointer data)
{
  SharedKey *sk = data;

  for (guint round = 0; round < 20; round++)
    for (guint i = 0; i < sk->good->len; i++)
      {
        const char *challenge = g_ptr_array_index (sk->challenges, i);
        g_autoptr(GError) error = NULL;
        KsAssertionResult result;

        if (!ks_webauthn_verify_assertion (&sk->rp, challenge, g_ptr_array_index (sk->good, i),
                                           &sk->stored, &result, NULL))
          g_atomic_int_inc (&sk->failures);
        if (ks_webauthn_verify_assertion (&sk->rp, challenge, g_ptr_array_index (sk->forged, i),
                                          &sk->stored, &result, &error) ||
            !g_error_matches (error, KS_WEBAUTHN_ERROR, KS_WEBAUTHN_ERROR_SIGNATURE))
          g_atomic_int_inc (&sk->failures);
      }
  return NULL;
}

static void
test_prepared_key_threads (void)
{
  g_autoptr(KsSoftAuthenticator) authenticator = ks_soft_authenticator_new ();
  g_autoptr(KsNewCredential) cred = register_ok (authenticator, NULL);
  g_autoptr(KsWebauthnKey) key = NULL;
  g_autoptr(GPtrArray) good = g_ptr_array_new_with_free_func ((GDestroyNotify) json_object_unref);
  g_autoptr(GPtrArray) forged = g_ptr_array_new_with_free_func ((GDestroyNotify) json_object_unref);
  g_autoptr(GPtrArray) challenges = g_ptr_array_new_with_free_func (g_free);
  KsSoftTweaks corrupt = { .corrupt_signature = TRUE };
  SharedKey sk = { .rp = default_rp (), .good = good, .forged = forged, .challenges = challenges };
  GThread *threads[4];
  g_autoptr(GError) error = NULL;

  key = ks_webauthn_key_new (cred->public_key, cred->algorithm, &error);
  g_assert_no_error (error);
  sk.stored = stored_from (cred);
  sk.stored.prepared = key;

  for (guint i = 0; i < 8; i++)
    {
      char *challenge = new_challenge ();
      g_autoptr(JsonObject) options = request_options (challenge, cred->credential_id);
      JsonObject *response;

      g_ptr_array_add (challenges, challenge);
      response = ks_soft_authenticator_authenticate (authenticator, options, ORIGIN, NULL, &error);
      g_assert_no_error (error);
      g_ptr_array_add (good, response);
      response = ks_soft_authenticator_authenticate (authenticator, options, ORIGIN, &corrupt,
                                                     &error);
      g_assert_no_error (error);
      g_ptr_array_add (forged, response);
    }

  for (guint t = 0; t < G_N_ELEMENTS (threads); t++)
    threads[t] = g_thread_new ("verify", verify_shared_thread, &sk);
  for (guint t = 0; t < G_N_ELEMENTS (threads); t++)
    g_thread_join (threads[t]);
  g_assert_cmpint (sk.failures, ==, 0);
}

/* A COSE key whose point is off the curve is refused when it is read, not trusted later. */
static void
test_key_off_curve (void)
{
  g_autoptr(KsSoftAuthenticator) authenticator = ks_soft_authenticator_new ();
  g_autoptr(KsNewCredential) cred = register_ok (authenticator, NULL);
  g_autoptr(GByteArray) bent = g_byte_array_new ();
  g_autoptr(GBytes) bent_key = NULL;
  g_autoptr(KsWebauthnKey) key = NULL;
  g_autoptr(GError) error = NULL;

  g_byte_array_append (bent, g_bytes_get_data (cred->public_key, NULL),
                       g_bytes_get_size (cred->public_key));
  bent->data[bent->len - 1] ^= 0x01;    /* the last byte of y */
  bent_key = g_byte_array_free_to_bytes (g_steal_pointer (&bent));

  key = ks_webauthn_key_new (cred->public_key, cred->algorithm, &error);
  g_assert_no_error (error);
  g_assert_nonnull (key);
  g_assert_null (ks_webauthn_key_new (bent_key, cred->algorithm, &error));
  g_assert_error (error, KS_WEBAUTHN_ERROR, KS_WEBAUTHN_ERROR_MALFORMED);
}

static void
test_peek (void)
{
  g_autoptr(KsSoftAuthenticator) authenticator = ks_soft_authenticator_new ();
  g_autofree char *challenge = new_challenge ();
  g_autoptr(JsonObject) options = creation_options (challenge, "dXNlci0x");
  g_autoptr(JsonObject) response = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *peeked = NULL;
  g_autoptr(GBytes) id = NULL;
  g_autoptr(GBytes) expected = NULL;

  response = ks_soft_authenticator_register (authenticator, options, ORIGIN, NULL, &error);
  g_assert_no_error (error);
  peeked = ks_webauthn_peek_challenge (response, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (peeked, ==, challenge);

  id = ks_webauthn_peek_credential_id (response, &error);
  g_assert_no_error (error);
  expected = kt_base64url_decode (json_object_get_string_member (response, "rawId"), NULL);
  g_assert_true (g_bytes_equal (id, expected));

  json_object_remove_member (response, "rawId");
  g_assert_null (ks_webauthn_peek_credential_id (response, &error));
  g_assert_error (error, KS_WEBAUTHN_ERROR, KS_WEBAUTHN_ERROR_MALFORMED);
  g_clear_error (&error);

  json_object_set_string_member (json_object_get_object_member (response, "response"),
                                 "clientDataJSON", "bm90IGpzb24");
  g_assert_null (ks_webauthn_peek_challenge (response, &error));
  g_assert_error (error, KS_WEBAUTHN_ERROR, KS_WEBAUTHN_ERROR_MALFORMED);
}

/* One negative case per check: the tweak that breaks exactly that rule, and the error code. */

typedef enum {
  REGISTRATION,
  ASSERTION,
} Ceremony;

typedef struct {
  const char      *name;
  Ceremony         ceremony;
  KsSoftTweaks     registration;   /* for ASSERTION cases: how the credential was made */
  KsSoftTweaks     assertion;
  gboolean         require_uv;
  gboolean         es256_only;
  gboolean         stored_count_set;
  guint32          stored_count;
  KsWebauthnError  expected;
} RejectCase;

static const RejectCase reject_cases[] = {
  { "credential-type", REGISTRATION, .registration = { .credential_type = "password" },
    .expected = KS_WEBAUTHN_ERROR_WRONG_TYPE },
  { "credential-type", ASSERTION, .assertion = { .credential_type = "public-key " },
    .expected = KS_WEBAUTHN_ERROR_WRONG_TYPE },
  { "client-data-type", REGISTRATION, .registration = { .client_data_type = "webauthn.get" },
    .expected = KS_WEBAUTHN_ERROR_WRONG_TYPE },
  { "client-data-type", ASSERTION, .assertion = { .client_data_type = "webauthn.create" },
    .expected = KS_WEBAUTHN_ERROR_WRONG_TYPE },
  { "challenge-other", REGISTRATION,
    .registration = { .challenge = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA" },
    .expected = KS_WEBAUTHN_ERROR_CHALLENGE },
  { "challenge-other", ASSERTION,
    .assertion = { .challenge = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA" },
    .expected = KS_WEBAUTHN_ERROR_CHALLENGE },
  { "challenge-padded", REGISTRATION, .registration = { .challenge_padded = TRUE },
    .expected = KS_WEBAUTHN_ERROR_CHALLENGE },
  { "challenge-padded", ASSERTION, .assertion = { .challenge_padded = TRUE },
    .expected = KS_WEBAUTHN_ERROR_CHALLENGE },
  { "origin", REGISTRATION, .registration = { .origin = "http://localhost:8081" },
    .expected = KS_WEBAUTHN_ERROR_ORIGIN },
  { "origin", ASSERTION, .assertion = { .origin = "https://evil.example" },
    .expected = KS_WEBAUTHN_ERROR_ORIGIN },
  { "origin-with-newline", ASSERTION, .assertion = { .origin = "http://localhost:8080\nforged" },
    .expected = KS_WEBAUTHN_ERROR_ORIGIN },
  { "cross-origin", REGISTRATION, .registration = { .cross_origin = TRUE },
    .expected = KS_WEBAUTHN_ERROR_ORIGIN },
  { "cross-origin", ASSERTION, .assertion = { .cross_origin = TRUE },
    .expected = KS_WEBAUTHN_ERROR_ORIGIN },
  { "token-binding-present", REGISTRATION, .registration = { .token_binding_present = TRUE },
    .expected = KS_WEBAUTHN_ERROR_TOKEN_BINDING },
  { "token-binding-present", ASSERTION, .assertion = { .token_binding_present = TRUE },
    .expected = KS_WEBAUTHN_ERROR_TOKEN_BINDING },
  { "rp-id-hash", REGISTRATION, .registration = { .wrong_rp_id_hash = TRUE },
    .expected = KS_WEBAUTHN_ERROR_RP_ID_HASH },
  { "rp-id-hash", ASSERTION, .assertion = { .wrong_rp_id_hash = TRUE },
    .expected = KS_WEBAUTHN_ERROR_RP_ID_HASH },
  { "user-presence", REGISTRATION, .registration = { .clear_up = TRUE },
    .expected = KS_WEBAUTHN_ERROR_USER_PRESENCE },
  { "user-presence", ASSERTION, .assertion = { .clear_up = TRUE },
    .expected = KS_WEBAUTHN_ERROR_USER_PRESENCE },
  { "user-verification", REGISTRATION, .require_uv = TRUE,
    .expected = KS_WEBAUTHN_ERROR_USER_VERIFICATION },
  { "user-verification", ASSERTION, .registration = { .set_uv = TRUE }, .require_uv = TRUE,
    .expected = KS_WEBAUTHN_ERROR_USER_VERIFICATION },
  { "backup-state-without-eligibility", REGISTRATION, .registration = { .set_bs = TRUE },
    .expected = KS_WEBAUTHN_ERROR_BACKUP_FLAGS },
  { "backup-state-without-eligibility", ASSERTION, .assertion = { .set_bs = TRUE },
    .expected = KS_WEBAUTHN_ERROR_BACKUP_FLAGS },
  { "backup-eligibility-lost", ASSERTION, .registration = { .set_be = TRUE },
    .expected = KS_WEBAUTHN_ERROR_BACKUP_FLAGS },
  { "backup-eligibility-gained", ASSERTION, .assertion = { .set_be = TRUE },
    .expected = KS_WEBAUTHN_ERROR_BACKUP_FLAGS },
  { "algorithm-not-offered", REGISTRATION, .registration = { .algorithm = KT_COSE_ALG_RS256 },
    .es256_only = TRUE, .expected = KS_WEBAUTHN_ERROR_ALGORITHM },
  { "id-not-raw-id", REGISTRATION, .registration = { .id_differs = TRUE },
    .expected = KS_WEBAUTHN_ERROR_ID_MISMATCH },
  { "id-not-raw-id", ASSERTION, .assertion = { .id_differs = TRUE },
    .expected = KS_WEBAUTHN_ERROR_ID_MISMATCH },
  { "credential-id-1024", REGISTRATION, .registration = { .credential_id_length = 1024 },
    .expected = KS_WEBAUTHN_ERROR_CREDENTIAL_ID },
  { "credential-id-empty", REGISTRATION, .registration = { .empty_credential_id = TRUE },
    .expected = KS_WEBAUTHN_ERROR_CREDENTIAL_ID },
  { "none-with-statement", REGISTRATION, .registration = { .none_with_statement = TRUE },
    .expected = KS_WEBAUTHN_ERROR_ATTESTATION },
  { "signature", ASSERTION, .assertion = { .corrupt_signature = TRUE },
    .expected = KS_WEBAUTHN_ERROR_SIGNATURE },
  { "counter-backwards", ASSERTION, .assertion = { .set_counter = TRUE, .counter = 3 },
    .stored_count_set = TRUE, .stored_count = 5, .expected = KS_WEBAUTHN_ERROR_COUNTER },
  { "counter-unchanged", ASSERTION, .assertion = { .set_counter = TRUE, .counter = 5 },
    .stored_count_set = TRUE, .stored_count = 5, .expected = KS_WEBAUTHN_ERROR_COUNTER },
  { "counter-reset-to-zero", ASSERTION, .assertion = { .set_counter = TRUE, .counter = 0 },
    .stored_count_set = TRUE, .stored_count = 7, .expected = KS_WEBAUTHN_ERROR_COUNTER },
  { "attested-data-missing", REGISTRATION, .registration = { .omit_attested_data = TRUE },
    .expected = KS_WEBAUTHN_ERROR_MALFORMED },
  { "attested-data-on-assertion", ASSERTION, .assertion = { .set_at = TRUE },
    .expected = KS_WEBAUTHN_ERROR_MALFORMED },
  { "extension-flag-without-extensions", REGISTRATION,
    .registration = { .set_ed_without_extensions = TRUE },
    .expected = KS_WEBAUTHN_ERROR_MALFORMED },
  { "extension-flag-without-extensions", ASSERTION,
    .assertion = { .set_ed_without_extensions = TRUE },
    .expected = KS_WEBAUTHN_ERROR_MALFORMED },
  { "extensions-then-trailing-bytes", ASSERTION,
    .assertion = { .add_extensions = TRUE, .trailing_auth_data_bytes = TRUE },
    .expected = KS_WEBAUTHN_ERROR_MALFORMED },
  { "extensions-then-trailing-bytes", REGISTRATION,
    .registration = { .add_extensions = TRUE, .trailing_auth_data_bytes = TRUE },
    .expected = KS_WEBAUTHN_ERROR_MALFORMED },
  { "auth-data-trailing-bytes", REGISTRATION, .registration = { .trailing_auth_data_bytes = TRUE },
    .expected = KS_WEBAUTHN_ERROR_MALFORMED },
  { "auth-data-trailing-bytes", ASSERTION, .assertion = { .trailing_auth_data_bytes = TRUE },
    .expected = KS_WEBAUTHN_ERROR_MALFORMED },
  { "attestation-object-trailing-bytes", REGISTRATION,
    .registration = { .trailing_attestation_bytes = TRUE },
    .expected = KS_WEBAUTHN_ERROR_MALFORMED },
  { "attestation-object-extra-key", REGISTRATION, .registration = { .extra_attestation_key = TRUE },
    .expected = KS_WEBAUTHN_ERROR_MALFORMED },
  { "client-data-not-json", REGISTRATION, .registration = { .client_data_json = "{\"type\":" },
    .expected = KS_WEBAUTHN_ERROR_MALFORMED },
  { "client-data-not-json", ASSERTION, .assertion = { .client_data_json = "[\"webauthn.get\"]" },
    .expected = KS_WEBAUTHN_ERROR_MALFORMED },
  { "client-data-field-not-string", ASSERTION,
    .assertion = { .client_data_json = "{\"type\":\"webauthn.get\",\"challenge\":1,"
                                       "\"origin\":\"" ORIGIN "\"}" },
    .expected = KS_WEBAUTHN_ERROR_MALFORMED },
  { "cross-origin-not-boolean", ASSERTION,
    .assertion = { .client_data_json = "{\"type\":\"webauthn.get\",\"challenge\":\"x\","
                                       "\"origin\":\"" ORIGIN "\","
                                       "\"crossOrigin\":\"false\"}" },
    .expected = KS_WEBAUTHN_ERROR_MALFORMED },
  { "packed-self-algorithm", REGISTRATION,
    .registration = { .attestation = KS_SOFT_ATTESTATION_PACKED_SELF,
                      .statement_algorithm = KT_COSE_ALG_RS256 },
    .expected = KS_WEBAUTHN_ERROR_ATTESTATION },
  { "packed-self-signature", REGISTRATION,
    .registration = { .attestation = KS_SOFT_ATTESTATION_PACKED_SELF, .corrupt_signature = TRUE },
    .expected = KS_WEBAUTHN_ERROR_ATTESTATION },
  { "packed-x5c-signature", REGISTRATION,
    .registration = { .attestation = KS_SOFT_ATTESTATION_PACKED_X5C, .corrupt_signature = TRUE },
    .expected = KS_WEBAUTHN_ERROR_ATTESTATION },
  { "packed-x5c-algorithm", REGISTRATION,
    .registration = { .attestation = KS_SOFT_ATTESTATION_PACKED_X5C,
                      .statement_algorithm = KT_COSE_ALG_RS256 },
    .expected = KS_WEBAUTHN_ERROR_ATTESTATION },
  { "packed-x5c-ca", REGISTRATION,
    .registration = { .attestation = KS_SOFT_ATTESTATION_PACKED_X5C, .x5c_is_ca = TRUE },
    .expected = KS_WEBAUTHN_ERROR_ATTESTATION },
  { "packed-x5c-ou", REGISTRATION,
    .registration = { .attestation = KS_SOFT_ATTESTATION_PACKED_X5C, .x5c_wrong_ou = TRUE },
    .expected = KS_WEBAUTHN_ERROR_ATTESTATION },
  { "packed-x5c-aaguid", REGISTRATION,
    .registration = { .attestation = KS_SOFT_ATTESTATION_PACKED_X5C, .x5c_wrong_aaguid = TRUE },
    .expected = KS_WEBAUTHN_ERROR_ATTESTATION },
  { "packed-x5c-version", REGISTRATION,
    .registration = { .attestation = KS_SOFT_ATTESTATION_PACKED_X5C, .x5c_version_1 = TRUE },
    .expected = KS_WEBAUTHN_ERROR_ATTESTATION },
  { "packed-x5c-no-basic-constraints", REGISTRATION,
    .registration = { .attestation = KS_SOFT_ATTESTATION_PACKED_X5C,
                      .x5c_no_basic_constraints = TRUE },
    .expected = KS_WEBAUTHN_ERROR_ATTESTATION },
  { "unknown-format", REGISTRATION,
    .registration = { .attestation = KS_SOFT_ATTESTATION_PACKED_SELF, .format_name = "tpm" },
    .expected = KS_WEBAUTHN_ERROR_ATTESTATION },
  { "fido-u2f-signature", REGISTRATION,
    .registration = { .attestation = KS_SOFT_ATTESTATION_FIDO_U2F, .corrupt_signature = TRUE },
    .expected = KS_WEBAUTHN_ERROR_ATTESTATION },
  { "fido-u2f-rs256", REGISTRATION,
    .registration = { .attestation = KS_SOFT_ATTESTATION_FIDO_U2F, .algorithm = KT_COSE_ALG_RS256 },
    .expected = KS_WEBAUTHN_ERROR_ATTESTATION },
};

static void
test_reject (gconstpointer data)
{
  const RejectCase *rc = data;
  g_autoptr(KsSoftAuthenticator) authenticator = ks_soft_authenticator_new ();
  KsRelyingParty rp = default_rp ();
  g_autoptr(GError) error = NULL;

  if (rc->es256_only)
    {
      rp.algorithms = es256_only;
      rp.n_algorithms = G_N_ELEMENTS (es256_only);
    }

  if (rc->ceremony == REGISTRATION)
    {
      g_autoptr(KsNewCredential) cred = NULL;

      rp.require_user_verification = rc->require_uv;
      g_assert_false (do_register (authenticator, &rp, &rc->registration, &cred, &error));
      g_assert_error (error, KS_WEBAUTHN_ERROR, (gint) rc->expected);
      g_assert_null (cred);
      /* Messages go to the log as one line each, whatever the client sent. */
      g_assert_null (strchr (error->message, '\n'));
      g_test_message ("%s", error->message);
    }
  else
    {
      g_autoptr(KsNewCredential) cred = register_ok (authenticator, &rc->registration);
      KsStoredCredential stored = stored_from (cred);
      KsAssertionResult result = { 0 };

      rp.require_user_verification = rc->require_uv;
      if (rc->stored_count_set)
        stored.sign_count = rc->stored_count;
      g_assert_false (do_assert (authenticator, &rp, &stored, &rc->assertion, &result, &error));
      g_assert_error (error, KS_WEBAUTHN_ERROR, (gint) rc->expected);
      g_assert_null (strchr (error->message, '\n'));
      g_test_message ("%s", error->message);
    }
}

/* Counters: 0 then 0 is a key without a counter, and is fine; growth is fine. */
static void
test_counter_zero_allowed (void)
{
  g_autoptr(KsSoftAuthenticator) authenticator = ks_soft_authenticator_new ();
  g_autoptr(KsNewCredential) cred = register_ok (authenticator, NULL);
  KsRelyingParty rp = default_rp ();
  KsStoredCredential stored = stored_from (cred);
  KsSoftTweaks zero = { .set_counter = TRUE, .counter = 0 };
  KsSoftTweaks jump = { .set_counter = TRUE, .counter = 1000 };
  KsAssertionResult result = { 0 };
  g_autoptr(GError) error = NULL;

  g_assert_true (do_assert (authenticator, &rp, &stored, &zero, &result, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (result.sign_count, ==, 0);
  g_assert_true (do_assert (authenticator, &rp, &stored, &jump, &result, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (result.sign_count, ==, 1000);
}

/* Presenting another user's credential: the caller looked up credential A, the response names B. */
static void
test_other_credential (void)
{
  g_autoptr(KsSoftAuthenticator) authenticator = ks_soft_authenticator_new ();
  g_autoptr(KsNewCredential) mine = register_ok (authenticator, NULL);
  g_autoptr(KsNewCredential) theirs = register_ok (authenticator, NULL);
  KsRelyingParty rp = default_rp ();
  KsStoredCredential stored = stored_from (mine);
  KsSoftTweaks tweaks = { .credential_id = theirs->credential_id };
  g_autoptr(GError) error = NULL;

  g_assert_false (do_assert (authenticator, &rp, &stored, &tweaks, NULL, &error));
  g_assert_error (error, KS_WEBAUTHN_ERROR, KS_WEBAUTHN_ERROR_UNKNOWN_CREDENTIAL);
}

/* The soft authenticator honours allowCredentials and excludeCredentials as a real key would. */
static void
test_soft_authenticator_lists (void)
{
  g_autoptr(KsSoftAuthenticator) authenticator = ks_soft_authenticator_new ();
  g_autoptr(KsNewCredential) cred = register_ok (authenticator, NULL);
  g_autofree char *challenge = new_challenge ();
  g_autofree char *id = kt_base64url_encode_bytes (cred->credential_id);
  g_autofree char *json = g_strdup_printf (
    "{\"challenge\":\"%s\",\"rp\":{\"id\":\"" RP_ID "\"},\"user\":{\"id\":\"dXNlci0y\"},"
    "\"pubKeyCredParams\":[{\"alg\":-7,\"type\":\"public-key\"}],"
    "\"excludeCredentials\":[{\"type\":\"public-key\",\"id\":\"%s\"}]}", challenge, id);
  g_autoptr(JsonObject) options = parse_object (json);
  g_autoptr(JsonObject) other = request_options (challenge, NULL);
  g_autoptr(JsonObject) response = NULL;
  g_autoptr(GError) error = NULL;
  guint8 unknown[16] = { 1 };
  g_autoptr(GBytes) unknown_id = g_bytes_new (unknown, sizeof unknown);
  g_autoptr(JsonObject) request = request_options (challenge, unknown_id);

  response = ks_soft_authenticator_register (authenticator, options, ORIGIN, NULL, &error);
  g_assert_error (error, KS_SOFT_AUTHENTICATOR_ERROR, KS_SOFT_AUTHENTICATOR_ERROR_EXCLUDED);
  g_assert_null (response);
  g_assert_cmpuint (ks_soft_authenticator_get_n_credentials (authenticator), ==, 1);
  g_clear_error (&error);

  response = ks_soft_authenticator_authenticate (authenticator, request, ORIGIN, NULL, &error);
  g_assert_error (error, KS_SOFT_AUTHENTICATOR_ERROR, KS_SOFT_AUTHENTICATOR_ERROR_NO_CREDENTIAL);
  g_assert_null (response);
  g_clear_error (&error);

  /* An empty allow list means any credential for the rp id (a discoverable credential). */
  response = ks_soft_authenticator_authenticate (authenticator, other, ORIGIN, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (json_object_get_string_member (response, "rawId"), ==, id);
}

/* Malformed input of every shape: each member removed, retyped, and every byte string cut short
 * or bit-flipped. The verifier must answer with an error (never crash, never accept). */

static JsonObject *
deep_copy (JsonObject *object)
{
  g_autoptr(JsonNode) node = json_node_init_object (json_node_alloc (), object);
  g_autoptr(JsonNode) copy = json_node_copy (node);
  g_autofree char *text = json_to_string (copy, FALSE);

  return parse_object (text);
}

typedef gboolean (*VerifyFunc) (JsonObject *response, gpointer user_data, GError **error);

typedef struct {
  const KsRelyingParty     *rp;
  const char               *challenge;
  const KsStoredCredential *stored;
} VerifyData;

static gboolean
verify_reg_cb (JsonObject *response,
               gpointer    user_data,
               GError    **error)
{
  VerifyData *vd = user_data;
  g_autoptr(KsNewCredential) cred = NULL;

  return ks_webauthn_verify_registration (vd->rp, vd->challenge, response, &cred, error);
}

static gboolean
verify_assert_cb (JsonObject *response,
                  gpointer    user_data,
                  GError    **error)
{
  VerifyData *vd = user_data;
  KsAssertionResult result;

  return ks_webauthn_verify_assertion (vd->rp, vd->challenge, response, vd->stored, &result, error);
}

static void
expect_refused (JsonObject *response,
                VerifyFunc  verify,
                gpointer    user_data)
{
  g_autoptr(GError) error = NULL;

  g_assert_false (verify (response, user_data, &error));
  g_assert_nonnull (error);
  g_assert_true (error->domain == KS_WEBAUTHN_ERROR);
}

static void
mangle_everything (JsonObject *good,
                   VerifyFunc  verify,
                   gpointer    user_data)
{
  static const char *top[] = { "id", "rawId", "type", "response" };
  static const char *inner[] = { "clientDataJSON", "attestationObject", "authenticatorData",
                                 "signature" };
  g_autoptr(GError) error = NULL;

  /* The unmangled response verifies, so every refusal below is the mangling's doing. */
  g_assert_true (verify (good, user_data, &error));
  g_assert_no_error (error);

  for (guint i = 0; i < G_N_ELEMENTS (top); i++)
    {
      g_autoptr(JsonObject) copy = deep_copy (good);

      json_object_remove_member (copy, top[i]);
      expect_refused (copy, verify, user_data);
      json_object_set_int_member (copy, top[i], 7);
      expect_refused (copy, verify, user_data);
    }

  for (guint i = 0; i < G_N_ELEMENTS (inner); i++)
    {
      JsonObject *response = json_object_get_object_member (good, "response");
      const char *text;
      g_autoptr(GBytes) bytes = NULL;
      const guint8 *data;
      gsize len;

      if (!json_object_has_member (response, inner[i]))
        continue;
      text = json_object_get_string_member (response, inner[i]);
      bytes = kt_base64url_decode (text, NULL);
      data = g_bytes_get_data (bytes, &len);

      {
        g_autoptr(JsonObject) copy = deep_copy (good);

        json_object_remove_member (json_object_get_object_member (copy, "response"), inner[i]);
        expect_refused (copy, verify, user_data);
        json_object_set_boolean_member (json_object_get_object_member (copy, "response"), inner[i],
                                        TRUE);
        expect_refused (copy, verify, user_data);
        json_object_set_string_member (json_object_get_object_member (copy, "response"), inner[i],
                                       "a+b/");
        expect_refused (copy, verify, user_data);
      }

      /* Every truncation, and a flip in every byte: none may be accepted. */
      for (gsize cut = 0; cut < len; cut++)
        {
          g_autoptr(JsonObject) copy = deep_copy (good);
          g_autofree char *shorter = kt_base64url_encode (data, cut);

          json_object_set_string_member (json_object_get_object_member (copy, "response"), inner[i],
                                         shorter);
          expect_refused (copy, verify, user_data);
        }
      for (gsize at = 0; at < len; at++)
        {
          g_autoptr(JsonObject) copy = deep_copy (good);
          g_autofree guint8 *flipped = g_memdup2 (data, len);
          g_autofree char *flipped_text = NULL;

          flipped[at] ^= 0x01;
          flipped_text = kt_base64url_encode (flipped, len);
          json_object_set_string_member (json_object_get_object_member (copy, "response"), inner[i],
                                         flipped_text);
          expect_refused (copy, verify, user_data);
        }
    }
}

/* Random damage (several bytes changed, bytes inserted, the tail cut) to every binary field. A
 * damaged x5c root may still parse (chain trust is not checked), so only a clean answer is
 * asserted here: a boolean and, on refusal, an error of the sandbox's domain. */
static guint
mangle_randomly (JsonObject *good,
                 VerifyFunc  verify,
                 gpointer    user_data,
                 guint       rounds)
{
  static const char *fields[] = { "clientDataJSON", "attestationObject", "authenticatorData",
                                  "signature" };
  JsonObject *response = json_object_get_object_member (good, "response");
  guint accepted = 0;

  for (guint round = 0; round < rounds; round++)
    {
      const char *field = fields[g_test_rand_int_range (0, G_N_ELEMENTS (fields))];
      g_autoptr(JsonObject) copy = NULL;
      g_autoptr(GBytes) bytes = NULL;
      g_autoptr(GByteArray) damaged = NULL;
      g_autofree char *text = NULL;
      g_autoptr(GError) error = NULL;
      guint changes = g_test_rand_int_range (1, 9);

      if (!json_object_has_member (response, field))
        continue;
      bytes = kt_base64url_decode (json_object_get_string_member (response, field), NULL);
      damaged = g_bytes_unref_to_array (g_steal_pointer (&bytes));
      for (guint c = 0; c < changes && damaged->len > 0; c++)
        {
          guint at = g_test_rand_int_range (0, damaged->len);
          guint8 value = g_test_rand_int_range (0, 256);

          switch (g_test_rand_int_range (0, 3))
            {
            case 0:
              /* XOR with a non-zero value, so the byte really changes. */
              damaged->data[at] ^= (guint8) g_test_rand_int_range (1, 256);
              break;
            case 1:
              g_array_insert_val ((GArray *) damaged, at, value);
              break;
            default:
              g_byte_array_set_size (damaged, at);
              break;
            }
        }
      text = kt_base64url_encode (damaged->data, damaged->len);
      copy = deep_copy (good);
      json_object_set_string_member (json_object_get_object_member (copy, "response"), field, text);
      if (verify (copy, user_data, &error))
        accepted++;
      else
        g_assert_true (error != NULL && error->domain == KS_WEBAUTHN_ERROR);
    }
  return accepted;
}

/* A header that claims a huge map must be refused before libcbor allocates for it. */
static void
test_huge_cbor_claim (void)
{
  g_autoptr(KsSoftAuthenticator) authenticator = ks_soft_authenticator_new ();
  g_autofree char *challenge = new_challenge ();
  g_autoptr(JsonObject) options = creation_options (challenge, "dXNlci0x");
  g_autoptr(JsonObject) response = NULL;
  KsRelyingParty rp = default_rp ();
  g_autoptr(KsNewCredential) cred = NULL;
  g_autoptr(GError) error = NULL;
  /* map of 2^32 - 1 entries, then a single byte */
  static const guint8 claim[] = { 0xba, 0xff, 0xff, 0xff, 0xff, 0x00 };
  g_autofree char *text = kt_base64url_encode (claim, sizeof claim);

  response = ks_soft_authenticator_register (authenticator, options, ORIGIN, NULL, &error);
  g_assert_no_error (error);
  json_object_set_string_member (json_object_get_object_member (response, "response"),
                                 "attestationObject", text);
  g_assert_false (ks_webauthn_verify_registration (&rp, challenge, response, &cred, &error));
  g_assert_error (error, KS_WEBAUTHN_ERROR, KS_WEBAUTHN_ERROR_MALFORMED);
  g_assert_nonnull (strstr (error->message, "declares more elements"));
}

static void
test_random_damage (void)
{
  g_autoptr(KsSoftAuthenticator) authenticator = ks_soft_authenticator_new ();
  KsRelyingParty rp = default_rp ();
  g_autoptr(GError) error = NULL;

  for (KsSoftAttestation att = KS_SOFT_ATTESTATION_NONE; att <= KS_SOFT_ATTESTATION_FIDO_U2F; att++)
    {
      g_autofree char *challenge = new_challenge ();
      g_autoptr(JsonObject) options = creation_options (challenge, "dXNlci0x");
      KsSoftTweaks tweaks = { .attestation = att };
      g_autoptr(JsonObject) response = NULL;
      VerifyData vd = { &rp, challenge, NULL };

      response = ks_soft_authenticator_register (authenticator, options, ORIGIN, &tweaks, &error);
      g_assert_no_error (error);
      mangle_randomly (response, verify_reg_cb, &vd, 300);
    }

  {
    g_autoptr(KsNewCredential) cred = register_ok (authenticator, NULL);
    KsStoredCredential stored = stored_from (cred);
    g_autofree char *challenge = new_challenge ();
    g_autoptr(JsonObject) options = request_options (challenge, cred->credential_id);
    g_autoptr(JsonObject) response = NULL;
    VerifyData vd = { &rp, challenge, &stored };

    response = ks_soft_authenticator_authenticate (authenticator, options, ORIGIN, NULL, &error);
    g_assert_no_error (error);
    json_object_remove_member (json_object_get_object_member (response, "response"),
                               "clientDataJson");
    /* Everything in an assertion is signed: no damage may pass. */
    g_assert_cmpuint (mangle_randomly (response, verify_assert_cb, &vd, 1000), ==, 0);
  }
}

static void
test_malformed_registration (void)
{
  g_autoptr(KsSoftAuthenticator) authenticator = ks_soft_authenticator_new ();
  g_autofree char *challenge = new_challenge ();
  g_autoptr(JsonObject) options = creation_options (challenge, "dXNlci0x");
  KsSoftTweaks tweaks = { .attestation = KS_SOFT_ATTESTATION_PACKED_SELF };
  g_autoptr(JsonObject) response = NULL;
  KsRelyingParty rp = default_rp ();
  VerifyData vd = { &rp, challenge, NULL };
  g_autoptr(GError) error = NULL;

  response = ks_soft_authenticator_register (authenticator, options, ORIGIN, &tweaks, &error);
  g_assert_no_error (error);
  /* The copy that some clients send is not read: drop it so that flips in clientDataJSON count. */
  json_object_remove_member (json_object_get_object_member (response, "response"),
                             "clientDataJson");
  json_object_remove_member (json_object_get_object_member (response, "response"),
                             "authenticatorData");
  mangle_everything (response, verify_reg_cb, &vd);
}

static void
test_malformed_assertion (void)
{
  g_autoptr(KsSoftAuthenticator) authenticator = ks_soft_authenticator_new ();
  g_autoptr(KsNewCredential) cred = register_ok (authenticator, NULL);
  KsStoredCredential stored = stored_from (cred);
  g_autofree char *challenge = new_challenge ();
  g_autoptr(JsonObject) options = request_options (challenge, cred->credential_id);
  g_autoptr(JsonObject) response = NULL;
  KsRelyingParty rp = default_rp ();
  VerifyData vd = { &rp, challenge, &stored };
  g_autoptr(GError) error = NULL;

  response = ks_soft_authenticator_authenticate (authenticator, options, ORIGIN, NULL, &error);
  g_assert_no_error (error);
  json_object_remove_member (json_object_get_object_member (response, "response"),
                             "clientDataJson");
  mangle_everything (response, verify_assert_cb, &vd);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/webauthn/registration/none-es256", test_none_es256);
  g_test_add_func ("/webauthn/registration/packed-self-es256", test_packed_self_es256);
  g_test_add_func ("/webauthn/registration/packed-x5c", test_packed_x5c);
  g_test_add_func ("/webauthn/registration/fido-u2f", test_fido_u2f);
  g_test_add_func ("/webauthn/registration/none-rs256", test_none_rs256);
  g_test_add_func ("/webauthn/registration/packed-self-rs256", test_packed_self_rs256);
  g_test_add_func ("/webauthn/flags-reported", test_flags_reported);
  g_test_add_func ("/webauthn/prepared-key", test_prepared_key);
  g_test_add_func ("/webauthn/prepared-key-threads", test_prepared_key_threads);
  g_test_add_func ("/webauthn/peek", test_peek);
  g_test_add_func ("/webauthn/key-off-curve", test_key_off_curve);
  g_test_add_func ("/webauthn/assertion/counter-zero-allowed", test_counter_zero_allowed);
  g_test_add_func ("/webauthn/assertion/reject/other-credential", test_other_credential);
  g_test_add_func ("/webauthn/soft-authenticator/lists", test_soft_authenticator_lists);
  g_test_add_func ("/webauthn/registration/malformed", test_malformed_registration);
  g_test_add_func ("/webauthn/assertion/malformed", test_malformed_assertion);
  g_test_add_func ("/webauthn/random-damage", test_random_damage);
  g_test_add_func ("/webauthn/huge-cbor-claim", test_huge_cbor_claim);

  for (guint i = 0; i < G_N_ELEMENTS (reject_cases); i++)
    {
      const RejectCase *rc = &reject_cases[i];
      const char *ceremony = rc->ceremony == REGISTRATION ? "registration" : "assertion";
      g_autofree char *path = g_strdup_printf ("/webauthn/%s/reject/%s", ceremony, rc->name);

      g_test_add_data_func (path, rc, test_reject);
    }

  return g_test_run ();
}
