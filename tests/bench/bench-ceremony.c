/* bench-ceremony.c: one registration and one authentication through keyturn-virtual-key,
 * beside the raw cost of their parts, measured in the same run
 *
 * Usage: bench-ceremony --key PATH [--count N]
 * Prints key=value lines for tests/bench/bench-ceremony.sh. Every result is checked by the
 * sandbox's verification code, so a fast wrong answer cannot count.
 *
 * Copyright 2026 Keyturn developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <errno.h>
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "kt-base64url.h"
#include "kt-fido-socket.h"
#include "kt-webauthn-client.h"
#include "ks-webauthn.h"

#define RP_ID  "example.com"
#define ORIGIN "https://example.com"

static int
compare_doubles (gconstpointer a,
                 gconstpointer b)
{
  double x = *(const double *) a, y = *(const double *) b;

  return (x > y) - (x < y);
}

static double
median (GArray *samples)
{
  g_array_sort (samples, compare_doubles);
  return g_array_index (samples, double, samples->len / 2);
}

/* ------------------------------------------------------------------------------------------ */
/* The parts                                                                                   */

/* ECDSA P-256 over SHA-256 of authenticatorData (37 bytes) and clientDataHash (32 bytes): the
 * signature a key makes for every assertion, with OpenSSL as keyturn-virtual-key uses it. */
static double
measure_sign_us (guint count)
{
  g_autoptr(GArray) samples = g_array_new (FALSE, FALSE, sizeof (double));
  EVP_PKEY *key = EVP_EC_gen ("P-256");
  guint8 message[37 + 32];
  guint8 signature[80];

  g_assert_nonnull (key);
  RAND_bytes (message, sizeof message);
  for (guint i = 0; i < count + count / 10; i++)
    {
      EVP_MD_CTX *ctx = EVP_MD_CTX_new ();
      size_t len = sizeof signature;
      gint64 start = g_get_monotonic_time ();
      double elapsed;

      g_assert_cmpint (EVP_DigestSignInit (ctx, NULL, EVP_sha256 (), NULL, key), ==, 1);
      g_assert_cmpint (EVP_DigestSign (ctx, signature, &len, message, sizeof message), ==, 1);
      elapsed = (double) (g_get_monotonic_time () - start);
      EVP_MD_CTX_free (ctx);
      if (i >= count / 10)
        g_array_append_val (samples, elapsed);
    }
  EVP_PKEY_free (key);
  return median (samples);
}

static gpointer
echo_thread (gpointer data)
{
  int fd = GPOINTER_TO_INT (data);
  guint8 report[64];

  for (;;)
    {
      size_t got = 0;

      while (got < sizeof report)
        {
          ssize_t n = read (fd, report + got, sizeof report - got);
          if (n <= 0)
            return NULL;
          got += (size_t) n;
        }
      if (write (fd, report, sizeof report) != (ssize_t) sizeof report)
        return NULL;
    }
}

/* Two round trips of one 64-byte report each over a Unix stream socket, to a thread that
 * echoes them: the least any request and its answer cost on the virtual key's transport. */
static double
measure_round_trips_us (guint count)
{
  g_autoptr(GArray) samples = g_array_new (FALSE, FALSE, sizeof (double));
  guint8 report[64] = { 0 };
  GThread *thread;
  int fds[2];

  g_assert_cmpint (socketpair (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds), ==, 0);
  thread = g_thread_new ("echo", echo_thread, GINT_TO_POINTER (fds[1]));

  for (guint i = 0; i < count + count / 10; i++)
    {
      gint64 start = g_get_monotonic_time ();
      double elapsed;

      for (guint trip = 0; trip < 2; trip++)
        {
          size_t got = 0;

          g_assert_cmpint (write (fds[0], report, sizeof report), ==, sizeof report);
          while (got < sizeof report)
            {
              ssize_t n = read (fds[0], report + got, sizeof report - got);
              g_assert_cmpint (n, >, 0);
              got += (size_t) n;
            }
        }
      elapsed = (double) (g_get_monotonic_time () - start);
      if (i >= count / 10)
        g_array_append_val (samples, elapsed);
    }

  shutdown (fds[0], SHUT_RDWR);
  g_thread_join (thread);
  close (fds[0]);
  close (fds[1]);
  return median (samples);
}

/* ------------------------------------------------------------------------------------------ */
/* The ceremonies                                                                              */

static void
done_cb (GObject      *object,
         GAsyncResult *result,
         gpointer      data)
{
  *(GAsyncResult **) data = g_object_ref (result);
}

static GAsyncResult *
wait_for (GAsyncResult **slot)
{
  while (*slot == NULL)
    g_main_context_iteration (NULL, TRUE);
  return *slot;
}

static char *
random_base64url (gsize len)
{
  guint8 data[64];

  RAND_bytes (data, (int) len);
  return kt_base64url_encode (data, len);
}

static const gint64 es256_only[] = { -7 };

static double
register_once (KtWebauthnClient  *client,
               KsNewCredential  **out)
{
  g_autofree char *challenge = random_base64url (32);
  g_autofree char *user_id = random_base64url (16);
  g_autofree char *json = g_strdup_printf (
    "{\"challenge\":\"%s\",\"rp\":{\"id\":\"" RP_ID "\",\"name\":\"Example\"},"
    "\"user\":{\"id\":\"%s\",\"name\":\"ann@example.com\",\"displayName\":\"Ann\"},"
    "\"pubKeyCredParams\":[{\"type\":\"public-key\",\"alg\":-7}],\"timeout\":60000,"
    "\"authenticatorSelection\":{\"residentKey\":\"discouraged\","
    "\"userVerification\":\"discouraged\"},\"attestation\":\"none\"}", challenge, user_id);
  g_autoptr(KtCreationOptions) options = kt_creation_options_new_from_data (json, -1, NULL);
  KsRelyingParty rp = { RP_ID, ORIGIN, FALSE, es256_only, 1 };
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(JsonObject) registration = NULL;
  g_autoptr(KsNewCredential) credential = NULL;
  g_autoptr(GError) error = NULL;
  gint64 start;
  double elapsed;

  start = g_get_monotonic_time ();
  kt_webauthn_client_register_async (client, options, NULL, done_cb, &result);
  registration = kt_webauthn_client_register_finish (client, wait_for (&result), &error);
  elapsed = (double) (g_get_monotonic_time () - start);
  g_assert_no_error (error);

  g_assert_true (ks_webauthn_verify_registration (&rp, challenge, registration, &credential,
                                                  &error));
  g_assert_no_error (error);
  if (out != NULL)
    *out = g_steal_pointer (&credential);
  return elapsed;
}

static double
authenticate_once (KtWebauthnClient *client,
                   KsNewCredential  *credential)
{
  g_autofree char *challenge = random_base64url (32);
  g_autofree char *id = kt_base64url_encode_bytes (credential->credential_id);
  g_autofree char *json = g_strdup_printf (
    "{\"challenge\":\"%s\",\"rpId\":\"" RP_ID "\",\"timeout\":60000,"
    "\"userVerification\":\"discouraged\",\"allowCredentials\":[{\"id\":\"%s\"}]}",
    challenge, id);
  g_autoptr(KtRequestOptions) options = kt_request_options_new_from_data (json, -1, NULL);
  KsRelyingParty rp = { RP_ID, ORIGIN, FALSE, es256_only, 1 };
  KsStoredCredential stored = {
    credential->credential_id, credential->public_key, credential->algorithm, 0,
    credential->backup_eligible,
  };
  KsAssertionResult verified;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(JsonObject) assertion = NULL;
  g_autoptr(GError) error = NULL;
  gint64 start;
  double elapsed;

  start = g_get_monotonic_time ();
  kt_webauthn_client_authenticate_async (client, options, NULL, done_cb, &result);
  assertion = kt_webauthn_client_authenticate_finish (client, wait_for (&result), &error);
  elapsed = (double) (g_get_monotonic_time () - start);
  g_assert_no_error (error);

  g_assert_true (ks_webauthn_verify_assertion (&rp, challenge, assertion, &stored, &verified,
                                               &error));
  g_assert_no_error (error);
  return elapsed;
}

/* The key outlives no benchmark run, even one that fails half-way. */
static void
die_with_parent (gpointer data)
{
  prctl (PR_SET_PDEATHSIG, SIGTERM);
}

typedef struct {
  double register_us;
  double authenticate_us;
  double raw_register_us;
  double raw_authenticate_us;
} Figures;

/* The floor under the client: libfido2 alone on this thread, opening the key and making one
 * request (no worker thread, no pre-flight, no checks, no JSON). */
static double
raw_register_once (const char *socket,
                   GBytes    **credential_id)
{
  static const guint8 hash[32] = { 1 };
  guint8 user_id[16];
  fido_dev_t *dev = fido_dev_new ();
  fido_cred_t *cred = fido_cred_new ();
  gint64 start = g_get_monotonic_time ();
  double elapsed;

  RAND_bytes (user_id, sizeof user_id);
  g_assert_cmpint (kt_fido_socket_open (dev, socket), ==, FIDO_OK);
  fido_cred_set_type (cred, COSE_ES256);
  fido_cred_set_clientdata_hash (cred, hash, sizeof hash);
  fido_cred_set_rp (cred, RP_ID, "Example");
  fido_cred_set_user (cred, user_id, sizeof user_id, "ann@example.com", "Ann", NULL);
  g_assert_cmpint (fido_dev_make_cred (dev, cred, NULL), ==, FIDO_OK);
  fido_dev_close (dev);
  elapsed = (double) (g_get_monotonic_time () - start);

  if (credential_id != NULL)
    *credential_id = g_bytes_new (fido_cred_id_ptr (cred), fido_cred_id_len (cred));
  fido_cred_free (&cred);
  fido_dev_free (&dev);
  return elapsed;
}

static double
raw_authenticate_once (const char *socket,
                       GBytes     *credential_id)
{
  static const guint8 hash[32] = { 2 };
  fido_dev_t *dev = fido_dev_new ();
  fido_assert_t *assert = fido_assert_new ();
  gint64 start = g_get_monotonic_time ();
  double elapsed;

  g_assert_cmpint (kt_fido_socket_open (dev, socket), ==, FIDO_OK);
  fido_assert_set_rp (assert, RP_ID);
  fido_assert_set_clientdata_hash (assert, hash, sizeof hash);
  fido_assert_allow_cred (assert, g_bytes_get_data (credential_id, NULL),
                          g_bytes_get_size (credential_id));
  g_assert_cmpint (fido_dev_get_assert (dev, assert, NULL), ==, FIDO_OK);
  fido_dev_close (dev);
  elapsed = (double) (g_get_monotonic_time () - start);

  fido_assert_free (&assert);
  fido_dev_free (&dev);
  return elapsed;
}

/* Runs @count ceremonies of each kind against a key keeping its state in @state_dir. */
static Figures
run_ceremonies (const char *key_binary,
                const char *state_dir,
                int         count)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = NULL;
  g_autofree char *socket = NULL;
  g_autofree char *state = NULL;
  g_autofree char *control = NULL;
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GSubprocess) key = NULL;
  g_autoptr(KtOrigin) origin = NULL;
  g_autoptr(KtWebauthnClient) client = NULL;
  g_autoptr(KsNewCredential) credential = NULL;
  g_autoptr(GArray) registrations = g_array_new (FALSE, FALSE, sizeof (double));
  g_autoptr(GArray) authentications = g_array_new (FALSE, FALSE, sizeof (double));
  const char *sockets[2] = { NULL, NULL };
  g_autofree char *template = g_build_filename (state_dir, "keyturn-bench-XXXXXX", NULL);
  Figures figures;
  gint64 give_up;

  dir = g_mkdtemp (g_steal_pointer (&template));
  g_assert_nonnull (dir);
  socket = g_build_filename (dir, "key.sock", NULL);
  state = g_build_filename (dir, "key.state", NULL);
  control = g_strconcat (socket, ".control", NULL);
  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDERR_SILENCE);
  g_subprocess_launcher_set_child_setup (launcher, die_with_parent, NULL, NULL);
  key = g_subprocess_launcher_spawn (launcher, &error, key_binary, "--socket", socket,
                                     "--state", state, "--presence", "auto", NULL);
  g_assert_no_error (error);
  give_up = g_get_monotonic_time () + 5 * G_USEC_PER_SEC;
  while (!g_file_test (control, G_FILE_TEST_EXISTS))
    {
      g_assert_cmpint (g_get_monotonic_time (), <, give_up);
      g_usleep (5000);
    }

  origin = kt_origin_new (ORIGIN, &error);
  g_assert_no_error (error);
  sockets[0] = socket;
  client = g_object_new (KT_TYPE_WEBAUTHN_CLIENT, "origin", origin, "socket-paths", sockets,
                         "scan-hid", FALSE, NULL);

  /* Warm up both sides (thread pool, page cache), then measure. */
  for (int i = 0; i < 5; i++)
    register_once (client, NULL);
  for (int i = 0; i < count; i++)
    {
      double us = register_once (client, i == 0 ? &credential : NULL);
      g_array_append_val (registrations, us);
    }
  for (int i = 0; i < 5; i++)
    authenticate_once (client, credential);
  for (int i = 0; i < count; i++)
    {
      double us = authenticate_once (client, credential);
      g_array_append_val (authentications, us);
    }
  figures.register_us = median (registrations);
  figures.authenticate_us = median (authentications);

  {
    g_autoptr(GBytes) raw_id = NULL;

    g_array_set_size (registrations, 0);
    g_array_set_size (authentications, 0);
    raw_register_once (socket, &raw_id);
    for (int i = 0; i < count; i++)
      {
        double us = raw_register_once (socket, NULL);
        g_array_append_val (registrations, us);
      }
    for (int i = 0; i < count; i++)
      {
        double us = raw_authenticate_once (socket, raw_id);
        g_array_append_val (authentications, us);
      }
    figures.raw_register_us = median (registrations);
    figures.raw_authenticate_us = median (authentications);
  }

  g_clear_object (&client);
  g_subprocess_send_signal (key, SIGTERM);
  g_subprocess_wait (key, NULL, NULL);
  g_unlink (state);
  g_unlink (socket);
  g_unlink (control);
  g_rmdir (dir);
  return figures;
}

int
main (int   argc,
      char *argv[])
{
  g_autofree char *key_binary = NULL;
  g_autofree char *memory_dir = NULL;
  int count = 200;
  GOptionEntry entries[] = {
    { "key", 0, 0, G_OPTION_ARG_FILENAME, &key_binary, "keyturn-virtual-key", "PATH" },
    { "count", 0, 0, G_OPTION_ARG_INT, &count, "Ceremonies of each kind (200)", "N" },
    { "memory-dir", 0, 0, G_OPTION_ARG_FILENAME, &memory_dir,
      "Also run with the key's state in this (tmpfs) folder", "DIR" },
    { NULL }
  };
  g_autoptr(GOptionContext) context = g_option_context_new ("- ceremony benchmark");
  g_autoptr(GError) error = NULL;
  Figures disk;
  double sign_us, trips_us;

  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error) || key_binary == NULL || count < 10)
    {
      g_printerr ("bench-ceremony: --key PATH is needed, and --count of 10 or more\n");
      return 2;
    }

  disk = run_ceremonies (key_binary, g_get_tmp_dir (), count);
  g_print ("count=%d\n", count);
  g_print ("register_p50_us=%.1f\n", disk.register_us);
  g_print ("authenticate_p50_us=%.1f\n", disk.authenticate_us);
  g_print ("raw_register_p50_us=%.1f\n", disk.raw_register_us);
  g_print ("raw_authenticate_p50_us=%.1f\n", disk.raw_authenticate_us);
  if (memory_dir != NULL)
    {
      Figures memory = run_ceremonies (key_binary, memory_dir, count);

      g_print ("register_memory_p50_us=%.1f\n", memory.register_us);
      g_print ("authenticate_memory_p50_us=%.1f\n", memory.authenticate_us);
    }

  sign_us = measure_sign_us ((guint) count * 10);
  trips_us = measure_round_trips_us ((guint) count * 10);
  g_print ("sign_p50_us=%.1f\n", sign_us);
  g_print ("round_trips_p50_us=%.1f\n", trips_us);
  return 0;
}
