/* test-api-transport.c: the API client's transport against a hostile server on loopback
 *
 * A real SoupServer in this process (and its TLS twin) that answers what no good server would:
 * bodies of 50 MB streamed chunk by chunk, a gzip bomb, redirects to another origin and from
 * https to http. The client must refuse each without following it and without holding more
 * than its answer cap in memory.
 *
 * Copyright 2026 Keyturn developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <libsoup/soup.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "kt-api-client.h"
#include "kt-api-error.h"
#include "kt-user.h"

#define ANSWER_CAP (1024 * 1024)           /* the client's KT_MAX_RESPONSE_SIZE */
#define RSS_ALLOWANCE (ANSWER_CAP + 16 * 1024 * 1024)
#define HUGE_BODY_SIZE (50 * 1024 * 1024)
#define BOMB_SIZE ((gsize) 512 * 1024 * 1024)

/* A self-signed certificate for 127.0.0.1 and its key, made for this test alone. */
static const char loopback_pem[] =
  "-----BEGIN CERTIFICATE-----\n"
  "MIIBkTCCATagAwIBAgIUFNI4QeQycu4bef93fUVZpM2T19QwCgYIKoZIzj0EAwIw\n"
  "FDESMBAGA1UEAwwJMTI3LjAuMC4xMCAXDTI2MTIwNzA0MjMyOFoYDzIxMjYxMTEz\n"
  "MDQyMzI4WjAUMRIwEAYDVQQDDAkxMjcuMC4wLjEwWTATBgcqhkjOPQIBBggqhkjO\n"
  "PQMBBwNCAASr/pI7+d9gu8B5mUUKPWBcwhPh9MxEZkHLu/OMpVfvp/4yCmZgy3ed\n"
  "w6+QAqutUWn+BODe1jIcSCxkOUmpFudro2QwYjAdBgNVHQ4EFgQUEf7hwOfB3Xki\n"
  "aFCjusvQw9/ekF4wHwYDVR0jBBgwFoAUEf7hwOfB3XkiaFCjusvQw9/ekF4wDwYD\n"
  "VR0TAQH/BAUwAwEB/zAPBgNVHREECDAGhwR/AAABMAoGCCqGSM49BAMCA0kAMEYC\n"
  "IQDbefXc37iiNA77raPBnFNNlNNx83zpBhi54X5j+dPQ4QIhAK6dlly3VQQT+TyU\n"
  "/7HyhkJtfLFSEDGAPNNAaHfsHMit\n"
  "-----END CERTIFICATE-----\n"
  "-----BEGIN PRIVATE KEY-----\n"
  "MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgEf4DkwEB6axbcgmd\n"
  "H90nDGnngXci5kEprxGYrWLte+ChRANCAASr/pI7+d9gu8B5mUUKPWBcwhPh9MxE\n"
  "ZkHLu/OMpVfvp/4yCmZgy3edw6+QAqutUWn+BODe1jIcSCxkOUmpFudr\n"
  "-----END PRIVATE KEY-----\n";

static const char user_json[] =
  "{\"user\":{\"id\":\"u-1\",\"projectEnvironmentId\":\"env-1\",\"email\":\"a@example.com\","
  "\"scope\":\"\",\"mfaBackupCodeAcknowledgement\":null,\"verifiedCredentials\":[]}}";

typedef struct {
  SoupServer *server;       /* plain http: the hostile server, and the origin it sends to */
  SoupServer *tls_server;   /* https, trusted through the default TLS database */
  guint16 port;
  guint16 tls_port;
  GBytes *filler;           /* one chunk of a large body; HUGE_BODY_SIZE is a multiple of it */
  GBytes *bomb;             /* BOMB_SIZE zeros, gzip-compressed */
  guint elsewhere_requests; /* calls that reached the origin a redirect named */
  char *redirect_to;        /* where /redirect/ sends the client */
  char *ca_path;            /* the certificate, for the TLS database that reads it when used */
  GMainLoop *loop;
  GAsyncResult *result;
} Fixture;

/* A gzip member of @size zeros, built without compressing them all: 1 MiB of zeros deflated
 * once and ended with a full flush refers to nothing before it, so it can be repeated. */
static GBytes *
make_gzip_bomb (gsize size)
{
  const gsize block = 1024 * 1024;
  g_autofree guint8 *zeros = g_malloc0 (block);
  g_autofree guint8 *out = g_malloc (block);
  GByteArray *bomb = g_byte_array_new ();
  static const guint8 header[10] = { 0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3 };
  uLong crc_block = crc32 (crc32 (0, NULL, 0), zeros, (uInt) block);
  uLong crc = crc32 (0, NULL, 0);
  guint8 trailer[8];
  z_stream z = { 0 };
  gsize block_len;

  g_assert_cmpint (size % block, ==, 0);
  g_assert_cmpint (deflateInit2 (&z, 9, Z_DEFLATED, -15, 9, Z_DEFAULT_STRATEGY), ==, Z_OK);
  g_byte_array_append (bomb, header, sizeof header);

  z.next_in = zeros;
  z.avail_in = (uInt) block;
  z.next_out = out;
  z.avail_out = (uInt) block;
  g_assert_cmpint (deflate (&z, Z_FULL_FLUSH), ==, Z_OK);
  g_assert_cmpint (z.avail_in, ==, 0);
  block_len = block - z.avail_out;
  for (gsize i = 0; i < size / block; i++)
    {
      g_byte_array_append (bomb, out, (guint) block_len);
      crc = crc32_combine (crc, crc_block, (z_off_t) block);
    }

  z.next_out = out;
  z.avail_out = (uInt) block;
  g_assert_cmpint (deflate (&z, Z_FINISH), ==, Z_STREAM_END);
  g_byte_array_append (bomb, out, (guint) (block - z.avail_out));
  deflateEnd (&z);

  for (guint i = 0; i < 4; i++)
    {
      trailer[i] = (crc >> (8 * i)) & 0xff;
      trailer[4 + i] = ((guint32) size >> (8 * i)) & 0xff;
    }
  g_byte_array_append (bomb, trailer, sizeof trailer);
  return g_byte_array_free_to_bytes (bomb);
}

/* The bytes of a large body still to write, kept on its message. */
static void
on_wrote_chunk (SoupServerMessage *msg,
                gpointer           user_data)
{
  Fixture *f = user_data;
  guint64 *left = g_object_get_data (G_OBJECT (msg), "left");
  SoupMessageBody *body = soup_server_message_get_response_body (msg);

  if (*left == 0)
    {
      soup_message_body_complete (body);
      return;
    }
  *left -= g_bytes_get_size (f->filler);
  soup_message_body_append_bytes (body, f->filler);
}

static void
on_request (SoupServer        *server,
            SoupServerMessage *msg,
            const char        *path,
            GHashTable        *query,
            gpointer           user_data)
{
  Fixture *f = user_data;
  SoupMessageHeaders *headers = soup_server_message_get_response_headers (msg);
  SoupMessageBody *body = soup_server_message_get_response_body (msg);

  if (g_str_has_prefix (path, "/huge/"))
    {
      /* Chunked, as a server that does not say how much is coming. */
      guint64 *left = g_new (guint64, 1);

      *left = HUGE_BODY_SIZE;
      g_object_set_data_full (G_OBJECT (msg), "left", left, g_free);
      soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
      soup_message_headers_set_encoding (headers, SOUP_ENCODING_CHUNKED);
      soup_message_headers_set_content_type (headers, "application/json", NULL);
      soup_message_body_set_accumulate (body, FALSE);
      g_signal_connect (msg, "wrote-chunk", G_CALLBACK (on_wrote_chunk), f);
      soup_message_body_append (body, SOUP_MEMORY_STATIC, "{\"user\":\"", 9);
    }
  else if (g_str_has_prefix (path, "/bomb/"))
    {
      soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
      soup_message_headers_replace (headers, "Content-Encoding", "gzip");
      soup_message_headers_set_content_type (headers, "application/json", NULL);
      soup_message_body_append_bytes (body, f->bomb);
    }
  else if (g_str_has_prefix (path, "/redirect/"))
    {
      soup_server_message_set_redirect (msg, SOUP_STATUS_FOUND, f->redirect_to);
    }
  else if (g_str_has_prefix (path, "/elsewhere/"))
    {
      f->elsewhere_requests++;
      soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
      soup_server_message_set_response (msg, "application/json", SOUP_MEMORY_STATIC,
                                        user_json, strlen (user_json));
    }
  else
    soup_server_message_set_status (msg, SOUP_STATUS_NOT_FOUND, NULL);
}

static guint16
listen_on_loopback (SoupServer            *server,
                    SoupServerListenOptions options)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) address = g_inet_socket_address_new (loopback, 0);
  GSList *uris;
  guint16 port;

  soup_server_listen (server, address, options, &error);
  g_assert_no_error (error);
  uris = soup_server_get_uris (server);
  port = (guint16) g_uri_get_port (uris->data);
  g_slist_free_full (uris, (GDestroyNotify) g_uri_unref);
  return port;
}

static void
fixture_set_up (Fixture       *f,
                gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GTlsCertificate) certificate = g_tls_certificate_new_from_pem (loopback_pem, -1,
                                                                           &error);
  g_autoptr(GTlsDatabase) database = NULL;
  int fd;

  g_assert_no_error (error);
  f->loop = g_main_loop_new (NULL, FALSE);
  f->filler = g_bytes_new_take (memset (g_malloc (64 * 1024), 'a', 64 * 1024), 64 * 1024);

  f->server = soup_server_new (NULL, NULL);
  soup_server_add_handler (f->server, NULL, on_request, f, NULL);
  f->port = listen_on_loopback (f->server, 0);

  f->tls_server = soup_server_new ("tls-certificate", certificate, NULL);
  soup_server_add_handler (f->tls_server, NULL, on_request, f, NULL);
  f->tls_port = listen_on_loopback (f->tls_server, SOUP_SERVER_LISTEN_HTTPS);

  /* The client trusts what the default TLS database trusts: make that this certificate. */
  fd = g_file_open_tmp ("keyturn-ca-XXXXXX.pem", &f->ca_path, &error);
  g_assert_no_error (error);
  close (fd);
  g_file_set_contents (f->ca_path, loopback_pem, -1, &error);
  g_assert_no_error (error);
  database = g_tls_file_database_new (f->ca_path, &error);
  g_assert_no_error (error);
  g_tls_backend_set_default_database (g_tls_backend_get_default (), database);
}

static void
fixture_tear_down (Fixture       *f,
                   gconstpointer  data)
{
  g_tls_backend_set_default_database (g_tls_backend_get_default (), NULL);
  soup_server_disconnect (f->server);
  soup_server_disconnect (f->tls_server);
  g_clear_object (&f->server);
  g_clear_object (&f->tls_server);
  g_clear_pointer (&f->filler, g_bytes_unref);
  g_clear_pointer (&f->bomb, g_bytes_unref);
  g_clear_pointer (&f->redirect_to, g_free);
  g_unlink (f->ca_path);
  g_clear_pointer (&f->ca_path, g_free);
  g_clear_object (&f->result);
  g_main_loop_unref (f->loop);
}

static KtApiClient *
make_client (const char *scheme,
             guint16     port,
             const char *prefix)
{
  g_autofree char *base = g_strdup_printf ("%s://127.0.0.1:%u/%s/api/v0", scheme, port, prefix);
  g_autoptr(GError) error = NULL;
  KtApiClient *client = kt_api_client_new (base, "env-1", &error);

  g_assert_no_error (error);
  kt_api_client_set_access_token (client, "token-for-this-server-only");
  return client;
}

static void
on_done (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  Fixture *f = user_data;

  g_set_object (&f->result, result);
  g_main_loop_quit (f->loop);
}

/* GET /users through @client; the user, or NULL and @error. */
static KtUser *
get_user (Fixture      *f,
          KtApiClient  *client,
          GError      **error)
{
  g_clear_object (&f->result);
  kt_api_client_get_user_async (client, NULL, on_done, f);
  g_main_loop_run (f->loop);
  return kt_api_client_get_user_finish (client, f->result, error);
}

/* The most this process has held in memory (VmHWM), in bytes. */
static gsize
peak_rss (void)
{
  g_autofree char *status = NULL;
  const char *line;

  g_assert_true (g_file_get_contents ("/proc/self/status", &status, NULL, NULL));
  line = strstr (status, "\nVmHWM:");
  g_assert_nonnull (line);
  return (gsize) g_ascii_strtoull (line + strlen ("\nVmHWM:"), NULL, 10) * 1024;
}

/* Starts counting the peak from now: "5" resets VmHWM to the current RSS (Linux 4.0). */
static gsize
reset_peak_rss (void)
{
  g_file_set_contents ("/proc/self/clear_refs", "5", 1, NULL);
  return peak_rss ();
}

/* Under valgrind, whose own bookkeeping grows with the memory the program touches, the bound is
 * twice as loose: still far below what reading an answer whole costs. */
static gsize
rss_allowance (void)
{
  const char *preload = g_getenv ("LD_PRELOAD");

  return preload != NULL && strstr (preload, "vgpreload") != NULL ? 2 * RSS_ALLOWANCE
                                                                   : RSS_ALLOWANCE;
}

static void
assert_refused_as_too_large (Fixture    *f,
                             const char *prefix)
{
  g_autoptr(KtApiClient) client = make_client ("http", f->port, prefix);
  g_autoptr(GError) error = NULL;
  g_autoptr(KtUser) user = NULL;
  gsize before = reset_peak_rss ();
  gsize grown;

  user = get_user (f, client, &error);
  grown = peak_rss () - before;
  g_test_message ("%s: peak RSS grew by %zu KiB", prefix, grown / 1024);
  g_assert_error (error, KT_API_ERROR, KT_API_ERROR_MALFORMED);
  g_assert_nonnull (strstr (error->message, "far too large"));
  g_assert_null (user);
  g_assert_cmpuint (grown, <, rss_allowance ());
}

static void
test_huge_body (Fixture       *f,
                gconstpointer  data)
{
  assert_refused_as_too_large (f, "huge");
}

static void
test_gzip_bomb (Fixture       *f,
                gconstpointer  data)
{
  f->bomb = make_gzip_bomb (BOMB_SIZE);
  g_test_message ("gzip bomb: %zu bytes on the wire for %zu decoded",
                  g_bytes_get_size (f->bomb), BOMB_SIZE);
  g_assert_cmpuint (g_bytes_get_size (f->bomb), <, 1024 * 1024);
  assert_refused_as_too_large (f, "bomb");
}

static void
assert_redirect_refused (Fixture     *f,
                         KtApiClient *client)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(KtUser) user = NULL;

  user = get_user (f, client, &error);
  g_assert_error (error, KT_API_ERROR, KT_API_ERROR_MALFORMED);
  g_assert_null (user);
  /* The person is told where the server sent them; the client never went there. */
  g_assert_nonnull (strstr (error->message, f->redirect_to));
  g_assert_cmpuint (f->elsewhere_requests, ==, 0);
}

static void
test_redirect_other_origin (Fixture       *f,
                            gconstpointer  data)
{
  g_autoptr(KtApiClient) client = make_client ("http", f->port, "redirect");
  g_autoptr(SoupServer) elsewhere = soup_server_new (NULL, NULL);
  guint16 port;

  soup_server_add_handler (elsewhere, NULL, on_request, f, NULL);
  port = listen_on_loopback (elsewhere, 0);
  f->redirect_to = g_strdup_printf ("http://127.0.0.1:%u/elsewhere/api/v0/sdk/env-1/users", port);
  assert_redirect_refused (f, client);
  soup_server_disconnect (elsewhere);
}

/* After a TLS connection, LeakSanitizer (GCC 12) crashes at exit while it scans the threads
 * ("Tracer caught signal 11") and checks nothing: the TLS tests run in the other builds. */
static gboolean
tls_is_testable (void)
{
#if defined(__SANITIZE_ADDRESS__)
  g_test_skip ("LeakSanitizer crashes after a TLS connection");
  return FALSE;
#else
  return TRUE;
#endif
}

static void
test_redirect_https_to_http (Fixture       *f,
                             gconstpointer  data)
{
  g_autoptr(KtApiClient) client = make_client ("https", f->tls_port, "redirect");
  g_autoptr(GError) error = NULL;
  g_autoptr(KtUser) user = NULL;

  if (!tls_is_testable ())
    return;
  /* The same server over https answers, so that a refusal below is the redirect's alone. */
  {
    g_autoptr(KtApiClient) direct = make_client ("https", f->tls_port, "elsewhere");

    user = get_user (f, direct, &error);
    g_assert_no_error (error);
    g_assert_cmpstr (kt_user_get_id (user), ==, "u-1");
    g_clear_object (&user);
    f->elsewhere_requests = 0;
  }

  f->redirect_to = g_strdup_printf ("http://127.0.0.1:%u/elsewhere/api/v0/sdk/env-1/users",
                                    f->port);
  assert_redirect_refused (f, client);
}

/* A certificate the client does not trust is said to be one, not a lost connection. */
static void
test_untrusted_certificate (Fixture       *f,
                            gconstpointer  data)
{
  g_autoptr(KtApiClient) client = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(KtUser) user = NULL;

  if (!tls_is_testable ())
    return;
  g_tls_backend_set_default_database (g_tls_backend_get_default (), NULL);
  client = make_client ("https", f->tls_port, "elsewhere");
  user = get_user (f, client, &error);
  g_assert_error (error, KT_API_ERROR, KT_API_ERROR_NETWORK);
  g_assert_nonnull (strstr (error->message, "secure connection"));
  g_assert_null (user);
  g_assert_cmpuint (f->elsewhere_requests, ==, 0);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add ("/api-transport/huge-body", Fixture, NULL,
              fixture_set_up, test_huge_body, fixture_tear_down);
  g_test_add ("/api-transport/gzip-bomb", Fixture, NULL,
              fixture_set_up, test_gzip_bomb, fixture_tear_down);
  g_test_add ("/api-transport/redirect-other-origin", Fixture, NULL,
              fixture_set_up, test_redirect_other_origin, fixture_tear_down);
  g_test_add ("/api-transport/redirect-https-to-http", Fixture, NULL,
              fixture_set_up, test_redirect_https_to_http, fixture_tear_down);
  g_test_add ("/api-transport/untrusted-certificate", Fixture, NULL,
              fixture_set_up, test_untrusted_certificate, fixture_tear_down);

  return g_test_run ();
}
