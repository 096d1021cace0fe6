/* make-corpus.c: writes the fuzz targets' seed inputs from one real sign-in: the real
 * keyturn-sandbox answers, and the real keyturn-virtual-key registers and signs in through
 * Keyturn's WebAuthn client (libfido2), while a relay on the key's socket records every byte
 * the client sends it.
 *
 * Usage (inside keyturn-test-env, from the build tree): make-corpus CORPUS_DIR
 * It adds files named real-*; it never removes any. Not a test: README says when to run it.
 *
 * Copyright 2026 Keyturn developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <errno.h>
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "kt-api-response-private.h"
#include "ks-test-authenticator.h"
#include "ks-test-server.h"

static const char *corpus_dir;

static void
write_seed (const char   *target,
            const char   *name,
            const guint8 *data,
            gsize         len)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_build_filename (corpus_dir, target, NULL);
  g_autofree char *path = g_build_filename (dir, name, NULL);

  g_mkdir_with_parents (dir, 0755);
  if (!g_file_set_contents (path, (const char *) data, (gssize) len, &error))
    g_error ("%s", error->message);
  g_print ("%s\n", path);
}

static char *
to_json (JsonObject *object)
{
  g_autoptr(JsonNode) node = json_node_init_object (json_node_alloc (), object);

  return json_to_string (node, FALSE);
}

/* An API answer for fuzz-api-response: parser and status bytes, then the body. */
static void
api_seed (const char *name,
          const char *parser_name,
          guint       status_index,
          JsonObject *body)
{
  g_autofree char *json = to_json (body);
  g_autoptr(GByteArray) seed = g_byte_array_new ();
  const KtApiParser *parsers;
  gsize n_parsers;
  guint8 head[2] = { 0, (guint8) status_index };

  parsers = kt_api_parsers (&n_parsers);
  while (head[0] < n_parsers && !g_str_equal (parsers[head[0]].name, parser_name))
    head[0]++;
  g_assert_cmpuint (head[0], <, n_parsers);
  g_byte_array_append (seed, head, 2);
  g_byte_array_append (seed, (const guint8 *) json, strlen (json));
  write_seed ("api-response", name, seed->data, seed->len);
}

static void
json_seed (const char *target,
           const char *name,
           JsonObject *object)
{
  g_autofree char *json = to_json (object);

  write_seed (target, name, (const guint8 *) json, strlen (json));
}

/* The relay: each connection to @path is carried to the key's socket, and what the client
 * wrote on it becomes one seed of fuzz-virtual-key. */
typedef struct {
  int   listen_fd;
  char *key_socket;
  guint connections;
  GByteArray *all;        /* every connection's bytes, one after the other */
} Relay;

static int
unix_socket (const char *path,
             gboolean    listen_on)
{
  struct sockaddr_un addr = { .sun_family = AF_UNIX };
  int fd = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

  g_assert_cmpint (fd, >=, 0);
  g_strlcpy (addr.sun_path, path, sizeof addr.sun_path);
  if (listen_on)
    {
      g_assert_cmpint (bind (fd, (struct sockaddr *) &addr, sizeof addr), ==, 0);
      g_assert_cmpint (listen (fd, 8), ==, 0);
    }
  else
    g_assert_cmpint (connect (fd, (struct sockaddr *) &addr, sizeof addr), ==, 0);
  return fd;
}

static gpointer
relay_thread (gpointer data)
{
  Relay *relay = data;

  for (;;)
    {
      g_autoptr(GByteArray) written = g_byte_array_new ();
      g_autofree char *name = NULL;
      int client = accept4 (relay->listen_fd, NULL, NULL, SOCK_CLOEXEC);
      int key;

      if (client < 0)
        return NULL;  /* closed: the run is over */
      key = unix_socket (relay->key_socket, FALSE);
      for (;;)
        {
          struct pollfd fds[2] = { { .fd = client, .events = POLLIN },
                                   { .fd = key, .events = POLLIN } };
          guint8 buf[4096];
          ssize_t n;

          if (poll (fds, 2, -1) < 0 && errno == EINTR)
            continue;
          if (fds[0].revents != 0)
            {
              n = read (client, buf, sizeof buf);
              if (n <= 0)
                break;
              g_byte_array_append (written, buf, (guint) n);
              g_assert_cmpint (write (key, buf, (size_t) n), ==, n);
            }
          if (fds[1].revents != 0)
            {
              n = read (key, buf, sizeof buf);
              if (n <= 0)
                break;
              g_assert_cmpint (write (client, buf, (size_t) n), ==, n);
            }
        }
      close (client);
      close (key);
      name = g_strdup_printf ("real-connection-%02u", ++relay->connections);
      if (written->len > 0)
        write_seed ("virtual-key", name, written->data, written->len);
      g_byte_array_append (relay->all, written->data, written->len);
    }
}

int
main (int    argc,
      char **argv)
{
  g_autoptr(KsTestServer) server = NULL;
  g_autoptr(KsTestAuthenticator) authenticator = NULL;
  g_autoptr(JsonObject) signed_in = NULL, user = NULL, creation = NULL, registration = NULL;
  g_autoptr(JsonObject) registered = NULL, passkeys = NULL, request = NULL, assertion = NULL;
  g_autoptr(JsonObject) authenticated = NULL, methods = NULL, devices = NULL, codes = NULL;
  g_autoptr(JsonObject) refused = NULL, pair = NULL, request_pin = NULL, assertion_pin = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *relay_dir = NULL, *relay_path = NULL, *email = NULL;
  KvTestKey relayed, *key;
  Relay relay = { 0 };
  GThread *thread;
  const char *token;

  g_test_init (&argc, &argv, NULL);
  if (argc != 2)
    g_error ("usage: make-corpus CORPUS_DIR");
  corpus_dir = argv[1];

  server = ks_test_server_start (NULL);
  authenticator = ks_test_authenticator_new (server->origin, NULL);

  relay_dir = g_dir_make_tmp ("keyturn-relay.XXXXXX", &error);
  g_assert_no_error (error);
  relay_path = g_build_filename (relay_dir, "key.sock", NULL);
  relay.listen_fd = unix_socket (relay_path, TRUE);
  relay.key_socket = authenticator->key->socket;
  relay.all = g_byte_array_new ();
  thread = g_thread_new ("relay", relay_thread, &relay);
  relayed = *authenticator->key;
  relayed.socket = relay_path;
  ks_test_client_free (authenticator->client);
  authenticator->client = ks_test_client_new (server->origin, &relayed);

  email = ks_test_unique_email ("corpus");
  signed_in = ks_test_sign_in (server, email);
  api_seed ("real-verify-response", "verify-response", 0, signed_in);
  token = json_object_get_string_member (signed_in, "minifiedJwt");

  g_assert_cmpuint (ks_test_request (server, "GET", "/users", token, NULL, NULL, &user), ==, 200);
  api_seed ("real-user", "user", 0, user);

  g_assert_cmpuint (ks_test_request (server, "GET", "/users/passkeys/register", token, NULL, NULL,
                                     &creation), ==, 200);
  json_seed ("options", "real-creation-options.json", creation);
  api_seed ("real-creation-options", "object", 0, creation);
  registration = ks_test_authenticator_register (authenticator, creation);
  g_assert_cmpuint (ks_test_request_object (server, "POST", "/users/passkeys/register", token,
                                            NULL, registration, &registered), ==, 200);
  api_seed ("real-registered", "verify-response", 0, registered);
  token = json_object_get_string_member (registered, "minifiedJwt");

  g_assert_cmpuint (ks_test_request (server, "GET", "/users/passkeys", token, NULL, NULL,
                                     &passkeys), ==, 200);
  api_seed ("real-passkeys", "passkeys", 0, passkeys);
  api_seed ("real-passkey", "passkey", 0,
            json_array_get_object_element (json_object_get_array_member (passkeys, "passkeys"),
                                           0));

  g_assert_cmpuint (ks_test_request (server, "GET", "/users/passkeys/authenticate", token, NULL,
                                     NULL, &request), ==, 200);
  json_seed ("options", "real-request-options.json", request);
  assertion = ks_test_authenticator_authenticate (authenticator, request);
  g_assert_cmpuint (ks_test_request_object (server, "POST", "/users/mfa/auth/passkey", token,
                                            NULL, assertion, &authenticated), ==, 200);
  api_seed ("real-authenticated", "verify-response", 0, authenticated);
  token = json_object_get_string_member (authenticated, "minifiedJwt");

  g_assert_cmpuint (ks_test_request (server, "GET", "/users/mfa/methods", token, NULL, NULL,
                                     &methods), ==, 200);
  api_seed ("real-mfa-methods", "mfa-methods", 0, methods);
  g_assert_cmpuint (ks_test_request (server, "GET", "/users/mfa", token, NULL, NULL, &devices),
                    ==, 200);
  api_seed ("real-mfa-devices", "mfa-devices", 0, devices);
  g_assert_cmpuint (ks_test_request (server, "GET", "/users/mfa/recovery", token, NULL, NULL,
                                     &codes), ==, 200);
  api_seed ("real-recovery-codes", "recovery-codes", 0, codes);

  /* An error as the sandbox words it: a recovery code that is not one (status 400, index 3). */
  g_assert_cmpuint (ks_test_request (server, "POST", "/users/mfa/auth/recovery", token, NULL,
                                     "{\"code\":\"not-a-code\"}", &refused), ==, 400);
  api_seed ("real-error-400", "nothing", 3, refused);

  /* Both ceremonies as the sandbox received them, with the relying party that checked them. */
  pair = json_object_new ();
  json_object_set_string_member (pair, "rpId", server->rp_id);
  json_object_set_string_member (pair, "origin", server->origin);
  json_object_set_object_member (pair, "registration", json_object_ref (registration));
  json_object_set_object_member (pair, "assertion", json_object_ref (assertion));
  json_seed ("sandbox-webauthn", "real-register-then-authenticate.json", pair);

  /* A PIN set over the relay, then a sign-in that gives it: the clientPIN commands. */
  key = authenticator->key;
  authenticator->key = &relayed;
  ks_test_authenticator_set_pin (authenticator, "4821");
  authenticator->key = key;
  g_assert_cmpuint (ks_test_request (server, "GET", "/users/passkeys/authenticate", token, NULL,
                                     NULL, &request_pin), ==, 200);
  assertion_pin = ks_test_authenticator_authenticate (authenticator, request_pin);

  ks_test_client_free (g_steal_pointer (&authenticator->client));
  shutdown (relay.listen_fd, SHUT_RDWR);
  close (relay.listen_fd);
  g_thread_join (thread);
  /* One connection after another, as one: the key's state carries from one to the next. */
  write_seed ("virtual-key", "real-all-connections", relay.all->data, relay.all->len);
  g_byte_array_unref (relay.all);
  g_unlink (relay_path);
  g_rmdir (relay_dir);
  return 0;
}
