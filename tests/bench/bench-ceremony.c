/* bench-ceremony.c: one registration and one authentication through keyturn-virtual-key,
 * beside the raw cost of their parts, measured in the same run
 *
 * Usage: bench-ceremony --key PATH [--count N] [--memory-dir DIR]
 * Prints key=value lines for tests/bench/bench-ceremony.sh. Every result is checked by the
 * sandbox's verification code, so a fast wrong answer cannot count. The parts are sampled
 * between the ceremonies, one sample after each, so both see the machine in the same state;
 * see bench-ceremony.sh for what they are and why.
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
#include <sys/wait.h>
#include <unistd.h>

#include "kt-base64url.h"
#include "kt-bench-stats.h"
#include "kt-fido-socket.h"
#include "kt-webauthn-client.h"
#include "ks-webauthn.h"

#define RP_ID  "example.com"
#define ORIGIN "https://example.com"

/* ------------------------------------------------------------------------------------------ */
/* The parts                                                                                   */

#define REPORT_LEN     64
#define INIT_DATA_LEN  (REPORT_LEN - 7)
#define CONT_DATA_LEN  (REPORT_LEN - 5)
#define MAX_REPORTS    129  /* CTAPHID's largest message */
#define CTAPHID_INIT   0x86
#define CTAPHID_CBOR   0x90
#define INIT_REQUEST   8    /* CTAPHID_INIT: a nonce; the answer adds channel and capabilities */
#define INIT_RESPONSE  17

static gsize
reports_for (gsize payload)
{
  return 1 + (payload > INIT_DATA_LEN ? (payload - INIT_DATA_LEN + CONT_DATA_LEN - 1) / CONT_DATA_LEN
                                      : 0);
}

/* ECDSA P-256 over SHA-256 of authenticatorData (37 bytes) and clientDataHash (32 bytes): the
 * signature a key makes for every assertion, with OpenSSL as keyturn-virtual-key uses it (a
 * new digest context each time, the key already loaded). One sample. */
static double
sample_sign_us (EVP_PKEY *key)
{
  static guint8 message[37 + 32];
  EVP_MD_CTX *ctx = EVP_MD_CTX_new ();
  guint8 signature[80];
  size_t len = sizeof signature;
  gint64 start = g_get_monotonic_time ();
  double elapsed;

  g_assert_cmpint (EVP_DigestSignInit (ctx, NULL, EVP_sha256 (), NULL, key), ==, 1);
  g_assert_cmpint (EVP_DigestSignUpdate (ctx, message, 37), ==, 1);
  g_assert_cmpint (EVP_DigestSignUpdate (ctx, message + 37, 32), ==, 1);
  g_assert_cmpint (EVP_DigestSignFinal (ctx, signature, &len), ==, 1);
  elapsed = (double) (g_get_monotonic_time () - start);
  EVP_MD_CTX_free (ctx);
  return elapsed;
}

/* For reference only: the key pair a registration makes, as the key makes it. */
static double
sample_keygen_us (void)
{
  gint64 start = g_get_monotonic_time ();
  EVP_PKEY *key = EVP_EC_gen ("P-256");
  double elapsed = (double) (g_get_monotonic_time () - start);

  g_assert_nonnull (key);
  EVP_PKEY_free (key);
  return elapsed;
}

/* The peer of the round trips: a process, as the key is, reading one CTAPHID message (its
 * initialization report, then the continuation reports its length calls for) and answering
 * with one whose payload length the request's first two payload bytes give, every report in
 * one send() as the key sends them. No CTAP work: what is left is the transport. */
static void
echo_peer (int fd)
{
  static guint8 in[MAX_REPORTS * REPORT_LEN];
  static guint8 out[MAX_REPORTS * REPORT_LEN];

  for (;;)
    {
      gsize got = 0, want = REPORT_LEN, reply;

      while (got < want)
        {
          ssize_t n = read (fd, in + got, sizeof in - got);

          if (n < 0 && errno == EINTR)
            continue;
          if (n <= 0)
            _exit (0);
          got += (gsize) n;
          if (want == REPORT_LEN && got >= REPORT_LEN)
            want = reports_for ((gsize) in[5] << 8 | in[6]) * REPORT_LEN;
        }
      reply = (gsize) in[7] << 8 | in[8];
      memcpy (out, in, 5);
      out[5] = reply >> 8;
      out[6] = reply & 0xff;
      if (send (fd, out, reports_for (reply) * REPORT_LEN, MSG_NOSIGNAL) < 0)
        _exit (0);
    }
}

typedef struct {
  int   fd;
  GPid  pid;
} EchoPeer;

/* Forked before any thread exists, so the child needs nothing but read and send. */
static EchoPeer
echo_peer_start (void)
{
  EchoPeer peer;
  int fds[2];

  g_assert_cmpint (socketpair (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds), ==, 0);
  peer.pid = fork ();
  g_assert_cmpint (peer.pid, >=, 0);
  if (peer.pid == 0)
    {
      close (fds[0]);
      prctl (PR_SET_PDEATHSIG, SIGKILL);
      echo_peer (fds[1]);
    }
  close (fds[1]);
  peer.fd = fds[0];
  return peer;
}

static void
echo_peer_stop (EchoPeer *peer)
{
  close (peer->fd);
  waitpid (peer->pid, NULL, 0);
}

/* One round trip: a message of @request payload bytes out, one of @response bytes back. */
static void
round_trip (EchoPeer *peer,
            gsize     request,
            gsize     response)
{
  static guint8 out[MAX_REPORTS * REPORT_LEN];
  static guint8 in[MAX_REPORTS * REPORT_LEN];
  gsize got = 0, want = reports_for (response) * REPORT_LEN;

  out[4] = CTAPHID_CBOR;
  out[5] = request >> 8;
  out[6] = request & 0xff;
  out[7] = response >> 8;
  out[8] = response & 0xff;
  g_assert_cmpint (send (peer->fd, out, reports_for (request) * REPORT_LEN, MSG_NOSIGNAL), >, 0);
  while (got < want)
    {
      ssize_t n = read (peer->fd, in + got, sizeof in - got);

      g_assert_cmpint (n, >, 0);
      got += (gsize) n;
    }
}

/* The two round trips of a ceremony: CTAPHID_INIT, then the CTAP command with the sizes its
 * request and answer had through the real key. One sample. */
static double
sample_round_trips_us (EchoPeer *peer,
                       gsize     request,
                       gsize     response)
{
  gint64 start = g_get_monotonic_time ();

  round_trip (peer, INIT_REQUEST, INIT_RESPONSE);
  round_trip (peer, request, response);
  return (double) (g_get_monotonic_time () - start);
}

/* The sizes of the messages a ceremony exchanges, learnt from libfido2's own traffic through
 * an I/O layer that counts before handing each report to Keyturn's socket transport. */
typedef struct {
  gsize request;
  gsize response;
} MessageSize;

static MessageSize message_sizes[256];  /* by CTAP command */
static guint8 last_command;

static void *
counting_open (const char *path)
{
  return kt_fido_socket_io ()->open (path);
}

static void
counting_close (void *handle)
{
  kt_fido_socket_io ()->close (handle);
}

static int
counting_read (void          *handle,
               unsigned char *buf,
               size_t         len,
               int            ms)
{
  int n = kt_fido_socket_io ()->read (handle, buf, len, ms);

  if (n == REPORT_LEN && buf[4] == CTAPHID_CBOR)
    message_sizes[last_command].response = (gsize) buf[5] << 8 | buf[6];
  return n;
}

static int
counting_write (void                *handle,
                const unsigned char *buf,
                size_t               len)
{
  const unsigned char *report = buf + 1;  /* after the report id */

  if (len == REPORT_LEN + 1 && report[4] == CTAPHID_CBOR)
    {
      last_command = report[7];
      message_sizes[last_command].request = (gsize) report[5] << 8 | report[6];
    }
  return kt_fido_socket_io ()->write (handle, buf, len);
}

static const fido_dev_io_t counting_io = {
  .open = counting_open,
  .close = counting_close,
  .read = counting_read,
  .write = counting_write,
};

#define CTAP_MAKE_CREDENTIAL 0x01
#define CTAP_GET_ASSERTION   0x02

/* Samples of the parts, one set taken after each ceremony. */
typedef struct {
  EchoPeer  peer;
  EVP_PKEY *key;
  GArray   *sign;
  GArray   *keygen;
  GArray   *register_trips;
  GArray   *authenticate_trips;
  GArray   *register_parts;
  GArray   *authenticate_parts;
} Parts;

static void
sample_parts (Parts        *parts,
              guint8        command,
              GArray       *trips,
              GArray       *sums)
{
  MessageSize size = message_sizes[command];
  double sign = sample_sign_us (parts->key);
  double trip = sample_round_trips_us (&parts->peer, size.request, size.response);
  double sum = sign + trip;

  g_assert_cmpuint (size.request, >, 0);
  g_assert_cmpuint (size.response, >, 0);
  g_array_append_val (parts->sign, sign);
  g_array_append_val (trips, trip);
  g_array_append_val (sums, sum);
  if (command == CTAP_MAKE_CREDENTIAL)
    {
      double keygen = sample_keygen_us ();
      g_array_append_val (parts->keygen, keygen);
    }
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
raw_register_once (const char          *socket,
                   const fido_dev_io_t *io,
                   GBytes             **credential_id)
{
  static const guint8 hash[32] = { 1 };
  guint8 user_id[16];
  fido_dev_t *dev = fido_dev_new ();
  fido_cred_t *cred = fido_cred_new ();
  gint64 start = g_get_monotonic_time ();
  double elapsed;

  RAND_bytes (user_id, sizeof user_id);
  g_assert_cmpint (fido_dev_set_io_functions (dev, io), ==, FIDO_OK);
  g_assert_cmpint (fido_dev_open (dev, socket), ==, FIDO_OK);
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
raw_authenticate_once (const char          *socket,
                       const fido_dev_io_t *io,
                       GBytes              *credential_id)
{
  static const guint8 hash[32] = { 2 };
  fido_dev_t *dev = fido_dev_new ();
  fido_assert_t *assert = fido_assert_new ();
  gint64 start = g_get_monotonic_time ();
  double elapsed;

  g_assert_cmpint (fido_dev_set_io_functions (dev, io), ==, FIDO_OK);
  g_assert_cmpint (fido_dev_open (dev, socket), ==, FIDO_OK);
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

/* Runs @count ceremonies of each kind against a key keeping its state in @state_dir; with
 * @parts, samples the parts after each. */
static Figures
run_ceremonies (const char *key_binary,
                const char *state_dir,
                int         count,
                Parts      *parts)
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

  /* The sizes of the ceremonies' messages, from libfido2's own traffic with the key. */
  if (parts != NULL)
    {
      g_autoptr(GBytes) id = NULL;

      raw_register_once (socket, &counting_io, &id);
      raw_authenticate_once (socket, &counting_io, id);
    }

  /* Warm up both sides (thread pool, page cache), then measure. */
  for (int i = 0; i < 5; i++)
    register_once (client, NULL);
  for (int i = 0; i < count; i++)
    {
      double us = register_once (client, i == 0 ? &credential : NULL);
      g_array_append_val (registrations, us);
      if (parts != NULL)
        sample_parts (parts, CTAP_MAKE_CREDENTIAL, parts->register_trips, parts->register_parts);
    }
  for (int i = 0; i < 5; i++)
    authenticate_once (client, credential);
  for (int i = 0; i < count; i++)
    {
      double us = authenticate_once (client, credential);
      g_array_append_val (authentications, us);
      if (parts != NULL)
        sample_parts (parts, CTAP_GET_ASSERTION, parts->authenticate_trips,
                      parts->authenticate_parts);
    }
  figures.register_us = kt_bench_median (registrations);
  figures.authenticate_us = kt_bench_median (authentications);

  {
    g_autoptr(GBytes) raw_id = NULL;

    g_array_set_size (registrations, 0);
    g_array_set_size (authentications, 0);
    raw_register_once (socket, kt_fido_socket_io (), &raw_id);
    for (int i = 0; i < count; i++)
      {
        double us = raw_register_once (socket, kt_fido_socket_io (), NULL);
        g_array_append_val (registrations, us);
      }
    for (int i = 0; i < count; i++)
      {
        double us = raw_authenticate_once (socket, kt_fido_socket_io (), raw_id);
        g_array_append_val (authentications, us);
      }
    figures.raw_register_us = kt_bench_median (registrations);
    figures.raw_authenticate_us = kt_bench_median (authentications);
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
  Parts parts = { 0 };
  Figures disk;

  /* Before any thread: the round trips' peer is a forked process. */
  parts.peer = echo_peer_start ();

  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error) || key_binary == NULL || count < 10)
    {
      g_printerr ("bench-ceremony: --key PATH is needed, and --count of 10 or more\n");
      return 2;
    }

  parts.key = EVP_EC_gen ("P-256");
  g_assert_nonnull (parts.key);
  parts.sign = g_array_new (FALSE, FALSE, sizeof (double));
  parts.keygen = g_array_new (FALSE, FALSE, sizeof (double));
  parts.register_trips = g_array_new (FALSE, FALSE, sizeof (double));
  parts.authenticate_trips = g_array_new (FALSE, FALSE, sizeof (double));
  parts.register_parts = g_array_new (FALSE, FALSE, sizeof (double));
  parts.authenticate_parts = g_array_new (FALSE, FALSE, sizeof (double));
  for (int i = 0; i < 20; i++)
    sample_round_trips_us (&parts.peer, INIT_REQUEST, INIT_RESPONSE);

  disk = run_ceremonies (key_binary, g_get_tmp_dir (), count, &parts);
  g_print ("count=%d\n", count);
  g_print ("register_p50_us=%.1f\n", disk.register_us);
  g_print ("authenticate_p50_us=%.1f\n", disk.authenticate_us);
  g_print ("raw_register_p50_us=%.1f\n", disk.raw_register_us);
  g_print ("raw_authenticate_p50_us=%.1f\n", disk.raw_authenticate_us);
  g_print ("sign_p50_us=%.1f\n", kt_bench_median (parts.sign));
  g_print ("keygen_p50_us=%.1f\n", kt_bench_median (parts.keygen));
  g_print ("register_trips_p50_us=%.1f\n", kt_bench_median (parts.register_trips));
  g_print ("authenticate_trips_p50_us=%.1f\n", kt_bench_median (parts.authenticate_trips));
  g_print ("register_parts_p50_us=%.1f\n", kt_bench_median (parts.register_parts));
  g_print ("authenticate_parts_p50_us=%.1f\n", kt_bench_median (parts.authenticate_parts));
  g_print ("register_reports=%" G_GSIZE_FORMAT "/%" G_GSIZE_FORMAT "\n",
           reports_for (message_sizes[CTAP_MAKE_CREDENTIAL].request),
           reports_for (message_sizes[CTAP_MAKE_CREDENTIAL].response));
  g_print ("authenticate_reports=%" G_GSIZE_FORMAT "/%" G_GSIZE_FORMAT "\n",
           reports_for (message_sizes[CTAP_GET_ASSERTION].request),
           reports_for (message_sizes[CTAP_GET_ASSERTION].response));
  if (memory_dir != NULL)
    {
      Figures memory = run_ceremonies (key_binary, memory_dir, count, NULL);

      g_print ("register_memory_p50_us=%.1f\n", memory.register_us);
      g_print ("authenticate_memory_p50_us=%.1f\n", memory.authenticate_us);
    }

  echo_peer_stop (&parts.peer);
  EVP_PKEY_free (parts.key);
  g_array_unref (parts.sign);
  g_array_unref (parts.keygen);
  g_array_unref (parts.register_trips);
  g_array_unref (parts.authenticate_trips);
  g_array_unref (parts.register_parts);
  g_array_unref (parts.authenticate_parts);
  return 0;
}
