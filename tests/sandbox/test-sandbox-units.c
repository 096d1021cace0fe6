/* test-sandbox-units.c: keyturn-sandbox's parts on their own: the config file, JWT signing, the
 * data key, recovery codes
 *
 * Copyright 2026 Keyturn developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <glib/gstdio.h>
#include <openssl/evp.h>
#include <string.h>
#include <sys/stat.h>

#include "ks-config.h"
#include "ks-json.h"
#include "ks-recovery.h"
#include "ks-secret.h"
#include "ks-store.h"
#include "ks-tokens.h"
#include "kt-base64url.h"

#define ENV_ID "0b5e1c9a-3f57-4d0c-9d0e-2a7e3c5b8f11"

static char *
temp_dir (void)
{
  g_autoptr(GError) error = NULL;
  char *dir = g_dir_make_tmp ("keyturn-sandbox-unit-XXXXXX", &error);

  g_assert_no_error (error);
  return dir;
}

static void
remove_dir (const char *dir)
{
  GDir *d = g_dir_open (dir, 0, NULL);
  const char *name;

  while (d != NULL && (name = g_dir_read_name (d)) != NULL)
    {
      g_autofree char *path = g_build_filename (dir, name, NULL);
      g_unlink (path);
    }
  if (d != NULL)
    g_dir_close (d);
  g_rmdir (dir);
}

static void
test_config_demo (void)
{
  g_autoptr(KsConfig) config = ks_config_new_demo (ENV_ID);
  KsEnvironment *env = ks_config_get_default (config);

  g_assert_cmpstr (env->id, ==, ENV_ID);
  g_assert_cmpstr (env->rp_id, ==, "localhost");
  g_assert_true (env->mfa_required);
  g_assert_false (env->require_user_verification);
  g_assert_cmpint (env->email_code_lifetime, ==, 600);
  g_assert_cmpint (env->challenge_lifetime, ==, 300);
  /* As Dynamic's environments created since 2026_04_01: step-up, its default lifetimes, wallet
   * scopes single-use and the others time-bound. */
  g_assert_cmpstr (env->min_api_version, ==, "2026_04_01");
  g_assert_true (env->step_up);
  g_assert_false (env->cookie_sessions);
  g_assert_cmpint (env->elevated_single_use_lifetime, ==, 300);
  g_assert_cmpint (env->elevated_time_bound_lifetime, ==, 600);
  g_assert_true (ks_environment_scope_is_single_use (env, "wallet:export"));
  g_assert_false (ks_environment_scope_is_single_use (env, "credential:unlink"));
  g_assert_cmpint (env->email_guesses_per_verification, ==, 10);
  g_assert_cmpint (env->email_guesses_per_address_hour, ==, 20);
  g_assert_cmpint (env->email_codes_per_minute, ==, 60);
  g_assert_null (env->origin);
  ks_config_set_port (config, 8765);
  g_assert_cmpstr (env->origin, ==, "http://localhost:8765");
  g_assert_true (ks_config_lookup (config, ENV_ID) == env);
  g_assert_null (ks_config_lookup (config, "something-else"));
}

static void
test_config_file (void)
{
  static const char json[] =
    "{\"environments\":[{\"id\":\"" ENV_ID "\",\"displayName\":\"Shop\","
    "\"rp\":{\"id\":\"shop.example\",\"name\":\"Shop Inc\"},\"origin\":\"https://shop.example\","
    "\"mfa\":{\"required\":false,\"userVerification\":\"required\",\"attestation\":\"direct\","
    "\"mfaTokenRequiredFor\":[\"new-recovery-codes\",\"rename-passkey\"]},"
    "\"lifetimes\":{\"accessToken\":60,\"session\":120,\"emailCode\":30,\"emailRetry\":5,"
    "\"challenge\":10,\"mfaToken\":20,\"elevatedSingleUse\":30,\"elevatedTimeBound\":40},"
    "\"limits\":{\"emailCodeGuessesPerVerification\":7,\"emailCodeGuessesPerAddressPerHour\":9,"
    "\"emailCodesPerMinute\":11},"
    "\"minApiVersion\":\"2026_01_01\",\"sessions\":\"cookie\","
    "\"stepUp\":{\"singleUseScopes\":[\"credential:unlink\"]}}]}";
  g_autoptr(GError) error = NULL;
  g_autoptr(KsConfig) config = ks_config_load_from_data (json, -1, &error);
  KsEnvironment *env;

  g_assert_no_error (error);
  env = ks_config_get_default (config);
  g_assert_cmpstr (env->display_name, ==, "Shop");
  g_assert_cmpstr (env->rp_id, ==, "shop.example");
  g_assert_cmpstr (env->rp_name, ==, "Shop Inc");
  g_assert_cmpstr (env->origin, ==, "https://shop.example");
  g_assert_false (env->mfa_required);
  g_assert_true (env->require_user_verification);
  g_assert_cmpstr (env->attestation, ==, "direct");
  g_assert_cmpuint (env->mfa_token_actions, ==,
                    KS_ACTION_NEW_RECOVERY_CODES | KS_ACTION_RENAME_PASSKEY);
  g_assert_cmpint (env->access_token_lifetime, ==, 60);
  g_assert_cmpint (env->session_lifetime, ==, 120);
  g_assert_cmpint (env->email_code_lifetime, ==, 30);
  g_assert_cmpint (env->email_retry_interval, ==, 5);
  g_assert_cmpint (env->challenge_lifetime, ==, 10);
  g_assert_cmpint (env->mfa_token_lifetime, ==, 20);
  g_assert_cmpint (env->elevated_single_use_lifetime, ==, 30);
  g_assert_cmpint (env->elevated_time_bound_lifetime, ==, 40);
  g_assert_cmpstr (env->min_api_version, ==, "2026_01_01");
  g_assert_false (env->step_up);
  g_assert_true (env->cookie_sessions);
  g_assert_true (ks_environment_scope_is_single_use (env, "credential:unlink"));
  g_assert_false (ks_environment_scope_is_single_use (env, "wallet:export"));
  g_assert_cmpint (env->email_guesses_per_verification, ==, 7);
  g_assert_cmpint (env->email_guesses_per_address_hour, ==, 9);
  g_assert_cmpint (env->email_codes_per_minute, ==, 11);
  /* A configured origin is kept whatever the port. */
  ks_config_set_port (config, 1234);
  g_assert_cmpstr (env->origin, ==, "https://shop.example");
}

static void
test_config_errors (void)
{
  static const struct {
    const char *json;
    const char *mentions;
  } cases[] = {
    { "", "JSON" },
    { "[]", "object" },
    { "{}", "environments" },
    { "{\"environments\":[]}", "environments" },
    { "{\"environments\":[{}]}", "id" },
    { "{\"environments\":[{\"id\":\"not-a-uuid\"}]}", "UUID" },
    { "{\"environments\":[{\"id\":\"" ENV_ID "\",\"colour\":\"red\"}]}", "colour" },
    { "{\"environments\":[{\"id\":\"" ENV_ID "\",\"origin\":\"ftp://x\"}]}", "origin" },
    { "{\"environments\":[{\"id\":\"" ENV_ID "\",\"origin\":\"https://x/path\"}]}", "origin" },
    { "{\"environments\":[{\"id\":\"" ENV_ID "\",\"rp\":\"x\"}]}", "rp" },
    { "{\"environments\":[{\"id\":\"" ENV_ID "\",\"rp\":{\"id\":5}}]}", "rp.id" },
    { "{\"environments\":[{\"id\":\"" ENV_ID "\",\"mfa\":{\"required\":\"yes\"}}]}", "required" },
    { "{\"environments\":[{\"id\":\"" ENV_ID "\",\"mfa\":{\"userVerification\":\"never\"}}]}",
      "userVerification" },
    { "{\"environments\":[{\"id\":\"" ENV_ID "\",\"mfa\":{\"attestation\":\"maybe\"}}]}",
      "attestation" },
    { "{\"environments\":[{\"id\":\"" ENV_ID "\",\"mfa\":{\"mfaTokenRequiredFor\":[\"fly\"]}}]}",
      "mfaTokenRequiredFor" },
    { "{\"environments\":[{\"id\":\"" ENV_ID "\",\"lifetimes\":{\"challenge\":0}}]}", "challenge" },
    { "{\"environments\":[{\"id\":\"" ENV_ID "\",\"lifetimes\":{\"challenge\":1.5}}]}",
      "challenge" },
    { "{\"environments\":[{\"id\":\"" ENV_ID "\",\"limits\":{\"emailCodesPerMinute\":0}}]}",
      "emailCodesPerMinute" },
    { "{\"environments\":[{\"id\":\"" ENV_ID "\",\"limits\":{\"codes\":5}}]}", "codes" },
    { "{\"environments\":[{\"id\":\"" ENV_ID "\"},{\"id\":\"" ENV_ID "\"}]}", "twice" },
    { "{\"environments\":[{\"id\":\"" ENV_ID "\",\"minApiVersion\":\"2025_01_01\"}]}",
      "minApiVersion" },
    { "{\"environments\":[{\"id\":\"" ENV_ID "\",\"sessions\":\"jar\"}]}", "sessions" },
    { "{\"environments\":[{\"id\":\"" ENV_ID "\",\"stepUp\":{\"singleUseScopes\":\"x\"}}]}",
      "singleUseScopes" },
    { "{\"environments\":[{\"id\":\"" ENV_ID "\",\"stepUp\":{\"often\":true}}]}", "often" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(KsConfig) config = ks_config_load_from_data (cases[i].json, -1, &error);

      g_test_message ("config: %s", cases[i].json);
      g_assert_null (config);
      g_assert_error (error, KS_CONFIG_ERROR, KS_CONFIG_ERROR_INVALID);
      g_assert_nonnull (strstr (error->message, cases[i].mentions));
    }
}

static JsonObject *
claims_expiring_at (gint64 exp)
{
  JsonObject *claims = json_object_new ();

  json_object_set_string_member (claims, "sub", "user");
  json_object_set_string_member (claims, "scope", "user:basic");
  json_object_set_int_member (claims, "exp", exp);
  return claims;
}

/* A token issued (iat) or valid (nbf) in the future is refused, beyond a minute of leeway for
 * clocks that differ. With test_tokens' key: making another takes most of a minute under
 * valgrind. */
static void
check_token_times (KsSigner *signer)
{
  g_autoptr(GError) error = NULL;
  static const struct {
    const char *claim;
    gint64      at;
    gboolean    valid;
  } cases[] = {
    { "iat", 1000, TRUE },
    { "iat", 1060, TRUE },
    { "iat", 1061, FALSE },
    { "iat", 100000, FALSE },
    { "nbf", 900, TRUE },
    { "nbf", 1060, TRUE },
    { "nbf", 1061, FALSE },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(JsonObject) claims = claims_expiring_at (200000);
      g_autoptr(JsonObject) verified = NULL;
      g_autofree char *jwt = NULL;

      json_object_set_int_member (claims, cases[i].claim, cases[i].at);
      jwt = ks_signer_sign (signer, claims);
      /* Twice: the second answer comes from the signer's cache of verified tokens. */
      for (guint pass = 0; pass < 2; pass++)
        {
          verified = ks_signer_verify (signer, jwt, 1000, &error);
          if (cases[i].valid)
            g_assert_no_error (error);
          else
            g_assert_error (error, KS_TOKEN_ERROR, KS_TOKEN_ERROR_INVALID);
          g_clear_error (&error);
          g_clear_pointer (&verified, json_object_unref);
        }
    }

  /* Not a number at all. */
  {
    g_autoptr(JsonObject) claims = claims_expiring_at (200000);
    g_autofree char *jwt = NULL;

    json_object_set_string_member (claims, "iat", "soon");
    jwt = ks_signer_sign (signer, claims);
    g_assert_null (ks_signer_verify (signer, jwt, 1000, &error));
    g_assert_error (error, KS_TOKEN_ERROR, KS_TOKEN_ERROR_INVALID);
    g_clear_error (&error);
  }
}

static void
test_tokens (void)
{
  g_autofree char *dir = temp_dir ();
  g_autofree char *path = g_build_filename (dir, "key.pem", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(KsSigner) signer = ks_signer_load_or_create (path, &error);
  g_autoptr(KsSigner) reloaded = NULL;
  g_autoptr(JsonObject) claims = claims_expiring_at (2000);
  g_autoptr(JsonObject) verified = NULL;
  g_autoptr(JsonObject) jwk = NULL;
  g_autofree char *jwt = NULL;
  g_autofree char *thumb_input = NULL;
  g_autofree char *thumb = NULL;
  guint8 digest[32];
  GStatBuf st;

  g_assert_no_error (error);
  g_assert_cmpint (g_stat (path, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0600);

  /* kid is the RFC 7638 thumbprint of the JWK it names. */
  jwk = ks_signer_get_jwk (signer);
  thumb_input = g_strdup_printf ("{\"e\":\"%s\",\"kty\":\"RSA\",\"n\":\"%s\"}",
                                 json_object_get_string_member (jwk, "e"),
                                 json_object_get_string_member (jwk, "n"));
  EVP_Digest (thumb_input, strlen (thumb_input), digest, NULL, EVP_sha256 (), NULL);
  thumb = kt_base64url_encode (digest, sizeof digest);
  g_assert_cmpstr (ks_signer_get_kid (signer), ==, thumb);
  g_assert_cmpstr (json_object_get_string_member (jwk, "kid"), ==, thumb);
  g_assert_cmpstr (json_object_get_string_member (jwk, "e"), ==, "AQAB");

  jwt = ks_signer_sign (signer, claims);
  verified = ks_signer_verify (signer, jwt, 1000, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (json_object_get_string_member (verified, "scope"), ==, "user:basic");
  g_clear_pointer (&verified, json_object_unref);

  /* The same key after a restart. */
  reloaded = ks_signer_load_or_create (path, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (ks_signer_get_kid (reloaded), ==, thumb);
  verified = ks_signer_verify (reloaded, jwt, 1000, &error);
  g_assert_no_error (error);
  g_clear_pointer (&verified, json_object_unref);

  /* Expired, at and after exp. */
  g_assert_null (ks_signer_verify (signer, jwt, 2000, &error));
  g_assert_error (error, KS_TOKEN_ERROR, KS_TOKEN_ERROR_EXPIRED);
  g_clear_error (&error);

  /* Any change to any part. */
  for (gsize i = 0; i < strlen (jwt); i += 7)
    {
      g_autofree char *bad = g_strdup (jwt);

      if (bad[i] == '.')
        continue;
      bad[i] = bad[i] == 'A' ? 'B' : 'A';
      g_assert_null (ks_signer_verify (signer, bad, 1000, &error));
      g_assert_nonnull (error);
      g_clear_error (&error);
    }
  g_assert_null (ks_signer_verify (signer, "a.b", 1000, &error));
  g_assert_error (error, KS_TOKEN_ERROR, KS_TOKEN_ERROR_INVALID);
  g_clear_error (&error);

  /* Another key's token. */
  {
    g_autofree char *other_path = g_build_filename (dir, "other.pem", NULL);
    g_autoptr(KsSigner) other = ks_signer_load_or_create (other_path, &error);
    g_autofree char *foreign = NULL;

    g_assert_no_error (error);
    g_assert_cmpstr (ks_signer_get_kid (other), !=, thumb);
    foreign = ks_signer_sign (other, claims);
    g_assert_null (ks_signer_verify (signer, foreign, 1000, &error));
    g_assert_error (error, KS_TOKEN_ERROR, KS_TOKEN_ERROR_INVALID);
    g_clear_error (&error);
  }

  check_token_times (signer);
  remove_dir (dir);
}

static void
test_secret (void)
{
  g_autofree char *dir = temp_dir ();
  g_autofree char *path = g_build_filename (dir, "data.key", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(KsSecret) secret = ks_secret_load_or_create (path, &error);
  g_autoptr(KsSecret) again = NULL;
  g_autoptr(GBytes) sealed = NULL;
  g_autoptr(GBytes) mac1 = NULL;
  g_autoptr(GBytes) mac2 = NULL;
  g_autoptr(GBytes) mac3 = NULL;
  g_autofree char *opened = NULL;
  g_autofree char *file = NULL;
  gsize len = 0;
  GStatBuf st;

  g_assert_no_error (error);
  g_assert_cmpint (g_stat (path, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0600);

  sealed = ks_secret_seal (secret, "abcde-fghjk", "context one");
  /* Encrypted at rest: the plain text is nowhere in the box. */
  g_assert_null (memmem (g_bytes_get_data (sealed, NULL), g_bytes_get_size (sealed),
                         "abcde", 5));
  opened = ks_secret_open (secret, sealed, "context one");
  g_assert_cmpstr (opened, ==, "abcde-fghjk");
  g_assert_null (ks_secret_open (secret, sealed, "context two"));

  /* Tampering is caught by the tag. */
  {
    g_autoptr(GByteArray) bytes = g_byte_array_new ();
    g_autoptr(GBytes) bad = NULL;

    g_byte_array_append (bytes, g_bytes_get_data (sealed, NULL), g_bytes_get_size (sealed));
    bytes->data[14] ^= 1;
    bad = g_byte_array_free_to_bytes (g_steal_pointer (&bytes));
    g_assert_null (ks_secret_open (secret, bad, "context one"));
  }

  /* The same key after a restart opens what the first sealed. */
  again = ks_secret_load_or_create (path, &error);
  g_assert_no_error (error);
  g_clear_pointer (&opened, g_free);
  opened = ks_secret_open (again, sealed, "context one");
  g_assert_cmpstr (opened, ==, "abcde-fghjk");

  mac1 = ks_secret_mac (secret, "email code x", "123456");
  mac2 = ks_secret_mac (again, "email code x", "123456");
  mac3 = ks_secret_mac (secret, "email code y", "123456");
  g_assert_true (ks_secret_mac_equal (mac1, mac2));
  g_assert_false (ks_secret_mac_equal (mac1, mac3));

  g_assert_true (g_file_get_contents (path, &file, &len, NULL));
  g_assert_cmpuint (len, ==, 64);
  remove_dir (dir);
}

static void
test_recovery_codes (void)
{
  guint8 key[64] = { 1, 2, 3 };
  g_autoptr(KsSecret) secret = ks_secret_new_for_data (key, sizeof key);
  g_autoptr(GPtrArray) codes =
    g_ptr_array_new_with_free_func ((GDestroyNotify) ks_recovery_code_free);
  g_autoptr(GPtrArray) plain = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);

  for (gint i = 0; i < KS_RECOVERY_CODE_COUNT; i++)
    {
      char *code = ks_recovery_code_generate ();
      g_autofree char *context = ks_recovery_code_context ("user-1", i);
      KsRecoveryCode *stored = g_new0 (KsRecoveryCode, 1);

      /* xxxxx-xxxxx from the unambiguous alphabet, all different. */
      g_assert_cmpuint (strlen (code), ==, 11);
      g_assert_cmpint (code[5], ==, '-');
      g_assert_null (strpbrk (code, "01iloO"));
      g_assert_false (g_hash_table_contains (seen, code));
      g_hash_table_add (seen, code);
      g_ptr_array_add (plain, code);

      stored->position = i;
      stored->sealed = ks_secret_seal (secret, code, context);
      g_ptr_array_add (codes, stored);
    }

  g_assert_cmpint (ks_recovery_code_find (secret, "user-1", codes, plain->pdata[3]), ==, 3);
  {
    /* Read back case-blind, with spaces or without the dash. */
    g_autofree char *upper = g_ascii_strup (plain->pdata[7], -1);
    g_autofree char *spaced = g_strdup (plain->pdata[7]);
    g_autofree char *joined = g_strdup_printf ("%.5s%s", (char *) plain->pdata[7],
                                               (char *) plain->pdata[7] + 6);

    spaced[5] = ' ';
    g_assert_cmpint (ks_recovery_code_find (secret, "user-1", codes, upper), ==, 7);
    g_assert_cmpint (ks_recovery_code_find (secret, "user-1", codes, spaced), ==, 7);
    g_assert_cmpint (ks_recovery_code_find (secret, "user-1", codes, joined), ==, 7);
  }

  /* Spent codes, other users' boxes, near misses and junk find nothing. */
  ((KsRecoveryCode *) codes->pdata[3])->used = TRUE;
  g_assert_cmpint (ks_recovery_code_find (secret, "user-1", codes, plain->pdata[3]), ==, -1);
  g_assert_cmpint (ks_recovery_code_find (secret, "user-2", codes, plain->pdata[4]), ==, -1);
  {
    g_autofree char *near = g_strdup (plain->pdata[4]);

    near[10] = near[10] == 'z' ? 'y' : 'z';
    g_assert_cmpint (ks_recovery_code_find (secret, "user-1", codes, near), ==, -1);
  }
  g_assert_cmpint (ks_recovery_code_find (secret, "user-1", codes, ""), ==, -1);
  g_assert_cmpint (ks_recovery_code_find (secret, "user-1", codes, "abcde-fghjk-extra"), ==, -1);
  g_assert_null (ks_recovery_code_normalize ("abcde-fghj0"));
  g_assert_null (ks_recovery_code_normalize ("abcd"));
}

static void
test_store_persists (void)
{
  g_autofree char *dir = temp_dir ();
  g_autofree char *path = g_build_filename (dir, "sandbox.db", NULL);
  g_autoptr(GError) error = NULL;
  KsUser user = {
    .id = (char *) "u1", .environment_id = (char *) ENV_ID, .email = (char *) "a@example.com",
    .email_credential_id = (char *) "c1", .created_at = 5,
  };

  {
    g_autoptr(KsStore) store = ks_store_open (path, &error);

    g_assert_no_error (error);
    g_assert_true (ks_store_begin (store, &error));
    g_assert_true (ks_store_insert_user (store, &user, &error));
    g_assert_true (ks_store_commit (store, &error));
    /* A rolled-back change leaves nothing behind. */
    g_assert_true (ks_store_begin (store, &error));
    g_assert_true (ks_store_set_acknowledgement (store, "u1", "pending", &error));
    ks_store_rollback (store);
    g_assert_no_error (error);
    /* The same email twice in one environment is refused. */
    user.id = (char *) "u2";
    g_assert_false (ks_store_insert_user (store, &user, &error));
    g_assert_error (error, KS_STORE_ERROR, KS_STORE_ERROR_CONSTRAINT);
    g_clear_error (&error);
  }
  {
    g_autoptr(KsStore) store = ks_store_open (path, &error);
    g_autoptr(KsUser) found = ks_store_get_user_by_email (store, ENV_ID, "a@example.com", &error);
    g_autoptr(KsUser) missing = ks_store_get_user (store, "nobody", &error);

    g_assert_no_error (error);
    g_assert_nonnull (found);
    g_assert_cmpstr (found->id, ==, "u1");
    g_assert_null (found->mfa_acknowledgement);
    g_assert_null (missing);
  }
  remove_dir (dir);
}

/* The hand-written JSON writer must say exactly what json-glib's generator says. */
static void
test_json_writer_matches_json_glib (void)
{
  static const char *const pieces[] = {
    "a", "Z", " ", "\"", "\\", "/", "\b", "\f", "\n", "\r", "\t", "\x01", "\x1f", "\x7f",
    "\xc3\xa9", "\xe2\x80\xa8", "\xf0\x9f\x94\x91", "<", ">", "&", "'",
  };
  g_autoptr(GRand) rand = g_rand_new_with_seed (20261127);

  for (guint round = 0; round < 5000; round++)
    {
      g_autoptr(GString) text = g_string_new (NULL);
      g_autoptr(GString) ours = g_string_new (NULL);
      g_autoptr(JsonBuilder) builder = json_builder_new ();
      g_autoptr(JsonGenerator) generator = json_generator_new ();
      g_autoptr(JsonNode) root = NULL;
      g_autofree char *theirs = NULL;
      gint64 number = (gint64) g_rand_int (rand) - G_MAXINT32;
      guint len = g_rand_int_range (rand, 0, 24);

      for (guint i = 0; i < len; i++)
        g_string_append (text, pieces[g_rand_int_range (rand, 0, G_N_ELEMENTS (pieces))]);

      ks_json_begin_object (ours);
      ks_json_member_string (ours, text->str, text->str);
      ks_json_member_int (ours, "n", number);
      ks_json_member (ours, "list");
      ks_json_begin_array (ours);
      ks_json_element (ours);
      ks_json_boolean (ours, round % 2 == 0);
      ks_json_element (ours);
      ks_json_null (ours);
      ks_json_end_array (ours);
      ks_json_end_object (ours);

      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, text->str);
      json_builder_add_string_value (builder, text->str);
      json_builder_set_member_name (builder, "n");
      json_builder_add_int_value (builder, number);
      json_builder_set_member_name (builder, "list");
      json_builder_begin_array (builder);
      json_builder_add_boolean_value (builder, round % 2 == 0);
      json_builder_add_null_value (builder);
      json_builder_end_array (builder);
      json_builder_end_object (builder);
      root = json_builder_get_root (builder);
      json_generator_set_root (generator, root);
      theirs = json_generator_to_data (generator, NULL);

      g_assert_cmpstr (ours->str, ==, theirs);
    }
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/sandbox/unit/config-demo", test_config_demo);
  g_test_add_func ("/sandbox/unit/json-writer", test_json_writer_matches_json_glib);
  g_test_add_func ("/sandbox/unit/config-file", test_config_file);
  g_test_add_func ("/sandbox/unit/config-errors", test_config_errors);
  g_test_add_func ("/sandbox/unit/tokens", test_tokens);
  g_test_add_func ("/sandbox/unit/secret", test_secret);
  g_test_add_func ("/sandbox/unit/recovery-codes", test_recovery_codes);
  g_test_add_func ("/sandbox/unit/store-persists", test_store_persists);

  return g_test_run ();
}
