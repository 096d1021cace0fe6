/* bench-verify.c: assertions verified per second by ks_webauthn_verify_assertion
 *
 * Makes credentials and assertions with the soft authenticator, writes them (with the public
 * keys, challenges, origin and rp id) to a JSON file that bench-verify-simplewebauthn.mjs reads,
 * then verifies every one of them, over and over, for a fixed time. Prints key=value lines.
 *
 * Copyright 2026 Keyturn developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <openssl/rand.h>
#include <stdlib.h>
#include <sys/resource.h>

#include "ks-soft-authenticator.h"
#include "ks-webauthn.h"
#include "kt-base64url.h"
#include "kt-cose.h"

#define RP_ID  "localhost"
#define ORIGIN "http://localhost:8080"

static const gint64 algorithms[] = { KT_COSE_ALG_ES256, KT_COSE_ALG_RS256 };

static const KsRelyingParty rp = {
  .rp_id = RP_ID,
  .origin = ORIGIN,
  .require_user_verification = FALSE,
  .algorithms = algorithms,
  .n_algorithms = G_N_ELEMENTS (algorithms),
};

typedef struct {
  GPtrArray          *credentials;   /* KsNewCredential */
  GPtrArray          *keys;          /* KsWebauthnKey, one per credential */
  GPtrArray          *assertions;    /* JsonObject */
  GPtrArray          *challenges;    /* char * */
  GArray             *owners;        /* guint: index into credentials */
} Inputs;

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

  if (!json_parser_load_from_data (parser, json, -1, NULL))
    g_error ("bench-verify: built invalid JSON");
  return json_object_ref (json_node_get_object (json_parser_get_root (parser)));
}

static void
make_inputs (Inputs *in,
             guint   n_keys,
             guint   n_assertions)
{
  g_autoptr(KsSoftAuthenticator) authenticator = ks_soft_authenticator_new ();
  g_autoptr(GError) error = NULL;

  for (guint k = 0; k < n_keys; k++)
    {
      g_autofree char *challenge = new_challenge ();
      g_autofree char *json = g_strdup_printf (
        "{\"challenge\":\"%s\",\"rp\":{\"id\":\"" RP_ID "\",\"name\":\"Bench\"},"
        "\"user\":{\"id\":\"dXNlci0%u\",\"name\":\"u%u\",\"displayName\":\"u%u\"},"
        "\"pubKeyCredParams\":[{\"alg\":-7,\"type\":\"public-key\"}],\"attestation\":\"none\"}",
        challenge, k % 10, k, k);
      g_autoptr(JsonObject) options = parse_object (json);
      g_autoptr(JsonObject) response = NULL;
      KsNewCredential *cred = NULL;
      KsWebauthnKey *key;

      response = ks_soft_authenticator_register (authenticator, options, ORIGIN, NULL, &error);
      if (response == NULL || !ks_webauthn_verify_registration (&rp, challenge, response, &cred,
                                                                &error))
        g_error ("bench-verify: registration failed: %s", error->message);
      if ((key = ks_webauthn_key_new (cred->public_key, cred->algorithm, &error)) == NULL)
        g_error ("bench-verify: %s", error->message);
      g_ptr_array_add (in->credentials, cred);
      g_ptr_array_add (in->keys, key);
    }

  for (guint i = 0; i < n_assertions; i++)
    {
      guint owner = i % n_keys;
      KsNewCredential *cred = g_ptr_array_index (in->credentials, owner);
      g_autofree char *id = kt_base64url_encode_bytes (cred->credential_id);
      char *challenge = new_challenge ();
      g_autofree char *json = g_strdup_printf (
        "{\"challenge\":\"%s\",\"rpId\":\"" RP_ID "\",\"userVerification\":\"preferred\","
        "\"allowCredentials\":[{\"type\":\"public-key\",\"id\":\"%s\"}]}", challenge, id);
      g_autoptr(JsonObject) options = parse_object (json);
      JsonObject *response;

      response = ks_soft_authenticator_authenticate (authenticator, options, ORIGIN, NULL, &error);
      if (response == NULL)
        g_error ("bench-verify: assertion failed: %s", error->message);
      g_ptr_array_add (in->assertions, response);
      g_ptr_array_add (in->challenges, challenge);
      g_array_append_val (in->owners, owner);
    }
}

static void
write_inputs (const Inputs *in,
              const char   *path)
{
  g_autoptr(JsonBuilder) builder = json_builder_new_immutable ();
  g_autoptr(JsonGenerator) generator = json_generator_new ();
  g_autoptr(JsonNode) root = NULL;
  g_autoptr(GError) error = NULL;

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "rpId");
  json_builder_add_string_value (builder, RP_ID);
  json_builder_set_member_name (builder, "origin");
  json_builder_add_string_value (builder, ORIGIN);
  json_builder_set_member_name (builder, "requireUserVerification");
  json_builder_add_boolean_value (builder, rp.require_user_verification);

  json_builder_set_member_name (builder, "credentials");
  json_builder_begin_array (builder);
  for (guint k = 0; k < in->credentials->len; k++)
    {
      KsNewCredential *cred = g_ptr_array_index (in->credentials, k);
      g_autofree char *id = kt_base64url_encode_bytes (cred->credential_id);
      g_autofree char *key = kt_base64url_encode_bytes (cred->public_key);

      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "id");
      json_builder_add_string_value (builder, id);
      json_builder_set_member_name (builder, "publicKey");
      json_builder_add_string_value (builder, key);
      json_builder_set_member_name (builder, "algorithm");
      json_builder_add_int_value (builder, cred->algorithm);
      json_builder_set_member_name (builder, "counter");
      json_builder_add_int_value (builder, cred->sign_count);
      json_builder_end_object (builder);
    }
  json_builder_end_array (builder);

  json_builder_set_member_name (builder, "assertions");
  json_builder_begin_array (builder);
  for (guint i = 0; i < in->assertions->len; i++)
    {
      JsonNode *response = json_node_init_object (json_node_alloc (),
                                                  g_ptr_array_index (in->assertions, i));

      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "credential");
      json_builder_add_int_value (builder, g_array_index (in->owners, guint, i));
      json_builder_set_member_name (builder, "challenge");
      json_builder_add_string_value (builder, g_ptr_array_index (in->challenges, i));
      json_builder_set_member_name (builder, "response");
      json_builder_add_value (builder, response);
      json_builder_end_object (builder);
    }
  json_builder_end_array (builder);
  json_builder_end_object (builder);

  root = json_builder_get_root (builder);
  json_generator_set_root (generator, root);
  if (!json_generator_to_file (generator, path, &error))
    g_error ("bench-verify: cannot write %s: %s", path, error->message);
}

typedef struct {
  const Inputs *in;
  gboolean      prepared;
  double        seconds;
  guint64       count;
} Run;

static gboolean
verify_one (const Inputs *in,
            guint         i,
            gboolean      prepared)
{
  guint owner = g_array_index (in->owners, guint, i);
  KsNewCredential *cred = g_ptr_array_index (in->credentials, owner);
  KsStoredCredential stored = {
    .credential_id = cred->credential_id,
    .public_key = cred->public_key,
    .algorithm = cred->algorithm,
    .sign_count = cred->sign_count,
    .backup_eligible = cred->backup_eligible,
    .prepared = prepared ? g_ptr_array_index (in->keys, owner) : NULL,
  };
  KsAssertionResult result;
  g_autoptr(GError) error = NULL;

  if (!ks_webauthn_verify_assertion (&rp, g_ptr_array_index (in->challenges, i),
                                     g_ptr_array_index (in->assertions,
                                                        i), &stored, &result, &error))
    g_error ("bench-verify: assertion %u did not verify: %s", i, error->message);
  return TRUE;
}

/* Whole passes over the inputs until the time is up, so that every input counts alike. */
static gpointer
run_thread (gpointer data)
{
  Run *run = data;
  gint64 start = g_get_monotonic_time ();
  gint64 end = start + (gint64) (run->seconds * G_USEC_PER_SEC);

  run->count = 0;
  do
    {
      for (guint i = 0; i < run->in->assertions->len; i++)
        verify_one (run->in, i, run->prepared);
      run->count += run->in->assertions->len;
    }
  while (g_get_monotonic_time () < end);
  run->seconds = (g_get_monotonic_time () - start) / (double) G_USEC_PER_SEC;
  return NULL;
}

static double
cpu_seconds (void)
{
  struct rusage usage;

  getrusage (RUSAGE_SELF, &usage);
  return usage.ru_utime.tv_sec + usage.ru_utime.tv_usec / 1e6 +
         usage.ru_stime.tv_sec + usage.ru_stime.tv_usec / 1e6;
}

/* Verifications per second over all threads; *cpus, the cores they kept busy on average. */
static double
measure (const Inputs *in,
         gboolean      prepared,
         guint         n_threads,
         double        seconds,
         double       *cpus)
{
  g_autofree Run *runs = g_new0 (Run, n_threads);
  g_autofree GThread **threads = g_new0 (GThread *, n_threads);
  double rate = 0, cpu_start = cpu_seconds ();
  gint64 start = g_get_monotonic_time ();

  for (guint t = 0; t < n_threads; t++)
    {
      runs[t] = (Run) { in, prepared, seconds, 0 };
      threads[t] = g_thread_new ("bench-verify", run_thread, &runs[t]);
    }
  for (guint t = 0; t < n_threads; t++)
    {
      g_thread_join (threads[t]);
      rate += runs[t].count / runs[t].seconds;
    }
  *cpus = (cpu_seconds () - cpu_start) /
          ((g_get_monotonic_time () - start) / (double) G_USEC_PER_SEC);
  return rate;
}

int
main (int   argc,
      char *argv[])
{
  int count = 2000, keys = 16, threads = 2;
  double seconds = 3.0, rate, cpus;
  g_auto(GStrv) rest = NULL;
  GOptionEntry entries[] = {
    { "count", 'n', 0, G_OPTION_ARG_INT, &count, "Assertions to make (2000)", "N" },
    { "keys", 'k', 0, G_OPTION_ARG_INT, &keys, "Credentials they are spread over (16)", "K" },
    { "seconds", 's', 0, G_OPTION_ARG_DOUBLE, &seconds, "Time per measurement (3)", "S" },
    { "threads", 't', 0, G_OPTION_ARG_INT, &threads, "Threads for the parallel figure (2)", "T" },
    { G_OPTION_REMAINING, 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &rest, NULL, "OUTPUT.json" },
    { NULL }
  };
  g_autoptr(GOptionContext) context = g_option_context_new ("OUTPUT.json");
  g_autoptr(GError) error = NULL;
  Inputs in = {
    .credentials = g_ptr_array_new_with_free_func ((GDestroyNotify) ks_new_credential_free),
    .keys = g_ptr_array_new_with_free_func ((GDestroyNotify) ks_webauthn_key_unref),
    .assertions = g_ptr_array_new_with_free_func ((GDestroyNotify) json_object_unref),
    .challenges = g_ptr_array_new_with_free_func (g_free),
    .owners = g_array_new (FALSE, FALSE, sizeof (guint)),
  };

  g_option_context_set_summary (context, "Measures assertions verified per second by the sandbox.");
  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error) || rest == NULL || rest[1] != NULL ||
      count < 1 || keys < 1 || threads < 1 || seconds <= 0)
    {
      g_printerr ("%s\n",
                  error != NULL ? error->message : "Usage: bench-verify [OPTION...] OUTPUT.json");
      return 2;
    }

  make_inputs (&in, keys, count);
  write_inputs (&in, rest[0]);

  /* One untimed pass: every input must verify before anything is measured. */
  for (guint i = 0; i < in.assertions->len; i++)
    verify_one (&in, i, FALSE);

  g_print ("inputs=%d\n", count);
  g_print ("credentials=%d\n", keys);
  rate = measure (&in, TRUE, 1, seconds, &cpus);
  g_print ("keyturn_prepared_per_s=%.0f\nkeyturn_prepared_cpus=%.2f\n", rate, cpus);
  rate = measure (&in, FALSE, 1, seconds, &cpus);
  g_print ("keyturn_unprepared_per_s=%.0f\nkeyturn_unprepared_cpus=%.2f\n", rate, cpus);
  rate = measure (&in, TRUE, threads, seconds, &cpus);
  g_print ("keyturn_threads=%d\n", threads);
  g_print ("keyturn_prepared_threads_per_s=%.0f\nkeyturn_prepared_threads_cpus=%.2f\n", rate, cpus);

  g_ptr_array_unref (in.credentials);
  g_ptr_array_unref (in.keys);
  g_ptr_array_unref (in.assertions);
  g_ptr_array_unref (in.challenges);
  g_array_unref (in.owners);
  return 0;
}
