/* kv-test-key.c: starts the real keyturn-virtual-key binary for a test, and stops it
 *
 * Copyright 2026 Keyturn developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "kv-test-key.h"

#include <errno.h>
#include <fido/es256.h>
#include <openssl/rand.h>
#include <string.h>
#include <signal.h>
#include <stdarg.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kt-fido-socket.h"
#include "kt-test-child.h"
#include "kt-test-files.h"

const char *
kv_test_key_binary (void)
{
  static char *path;

  /* The install test runs the installed program instead of the build's. */
  if (path == NULL)
    path = g_strdup (g_getenv ("KEYTURN_VIRTUAL_KEY_PROGRAM"));
  if (path == NULL)
    {
      const char *root = g_getenv ("KEYTURN_BUILD_ROOT");

      g_assert_nonnull (root);
      path = g_build_filename (root, "src", "virtual-key", "keyturn-virtual-key", NULL);
    }
  return path;
}

static GPtrArray *
collect_args (const char *first,
              va_list     args)
{
  GPtrArray *argv = g_ptr_array_new_with_free_func (g_free);

  g_ptr_array_add (argv, g_strdup (kv_test_key_binary ()));
  for (const char *arg = first; arg != NULL; arg = va_arg (args, const char *))
    g_ptr_array_add (argv, g_strdup (arg));
  return argv;
}

static gboolean
can_connect (const char *path)
{
  struct sockaddr_un addr = { .sun_family = AF_UNIX };
  int fd = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  gboolean ok;

  g_strlcpy (addr.sun_path, path, sizeof addr.sun_path);
  ok = connect (fd, (struct sockaddr *) &addr, sizeof addr) == 0;
  close (fd);
  return ok;
}

KvTestKey *
kv_test_key_new (const char *socket,
                 const char *state)
{
  g_autoptr(GError) error = NULL;
  KvTestKey *key = g_new0 (KvTestKey, 1);

  key->dir = g_dir_make_tmp ("kv-test-XXXXXX", &error);
  g_assert_no_error (error);
  key->socket = socket != NULL ? g_strdup (socket) : g_build_filename (key->dir, "key.sock", NULL);
  key->state = state != NULL ? g_strdup (state) : g_build_filename (key->dir, "state", NULL);
  return key;
}

static void
launch (KvTestKey *key,
        GPtrArray *argv)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *control = g_strconcat (key->socket, ".control", NULL);
  gint64 deadline;

  g_assert_cmpint (key->pid, ==, 0);
  g_ptr_array_insert (argv, 1, g_strdup ("--socket"));
  g_ptr_array_insert (argv, 2, g_strdup (key->socket));
  g_ptr_array_insert (argv, 3, g_strdup ("--state"));
  g_ptr_array_insert (argv, 4, g_strdup (key->state));
  g_ptr_array_add (argv, NULL);

  g_spawn_async (NULL, (char **) argv->pdata, NULL, G_SPAWN_DO_NOT_REAP_CHILD,
                 kt_test_child_setup, NULL, &key->pid, &error);
  g_assert_no_error (error);

  /* The control socket is made last: once it is there too, the key and `touch` both answer. */
  deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;
  while (!can_connect (key->socket) || !g_file_test (control, G_FILE_TEST_EXISTS)
         || !kt_test_child_catches_sigterm (key->pid))
    {
      int status;

      if (waitpid (key->pid, &status, WNOHANG) == key->pid)
        {
          key->pid = 0;
          g_error ("keyturn-virtual-key exited at start (status %d)", status);
        }
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_usleep (2000);
    }
}

void
kv_test_key_launch (KvTestKey *key,
                    ...)
{
  g_autoptr(GPtrArray) argv = NULL;
  const char *first;
  va_list args;

  va_start (args, key);
  first = va_arg (args, const char *);
  argv = collect_args (first, args);
  va_end (args);
  launch (key, argv);
}

void
kv_test_key_launchv (KvTestKey          *key,
                     const char * const *args)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new_with_free_func (g_free);

  g_ptr_array_add (argv, g_strdup (kv_test_key_binary ()));
  for (gsize i = 0; args != NULL && args[i] != NULL; i++)
    g_ptr_array_add (argv, g_strdup (args[i]));
  launch (key, argv);
}

KvTestKey *
kv_test_key_start (const char *state,
                   ...)
{
  g_autoptr(GPtrArray) argv = NULL;
  KvTestKey *key = kv_test_key_new (NULL, state);
  const char *first;
  va_list args;

  va_start (args, state);
  first = va_arg (args, const char *);
  argv = collect_args (first, args);
  va_end (args);
  launch (key, argv);
  return key;
}

static int
wait_exit (GPid pid,
           int  timeout_ms)
{
  gint64 deadline = g_get_monotonic_time () + (gint64) timeout_ms * 1000;
  int status;

  for (;;)
    {
      pid_t r = waitpid (pid, &status, WNOHANG);

      if (r == pid)
        return status;
      if (r < 0 && errno != EINTR)
        return -1;
      if (g_get_monotonic_time () > deadline)
        return -2;
      g_usleep (2000);
    }
}

void
kv_test_key_stop (KvTestKey *key)
{
  int status;

  if (key->pid == 0)
    return;
  kill (key->pid, SIGTERM);
  status = wait_exit (key->pid, 5000);
  if (status == -2)
    {
      kill (key->pid, SIGKILL);
      waitpid (key->pid, &status, 0);
      key->pid = 0;
      g_error ("keyturn-virtual-key did not stop on SIGTERM");
    }
  g_spawn_close_pid (key->pid);
  key->pid = 0;
  if (WIFSIGNALED (status))
    g_printerr ("keyturn-virtual-key died of signal %d on SIGTERM\n", WTERMSIG (status));
  g_assert_true (WIFEXITED (status));
  g_assert_cmpint (WEXITSTATUS (status), ==, 0);
}

void
kv_test_key_free (KvTestKey *key)
{
  if (key == NULL)
    return;
  if (key->pid != 0)
    {
      kill (key->pid, SIGKILL);
      waitpid (key->pid, NULL, 0);
    }
  kt_test_remove_tree (key->dir);
  g_free (key->dir);
  g_free (key->socket);
  g_free (key->state);
  g_free (key);
}

static int
run (char      **err,
     int         timeout_ms,
     const char *first,
     va_list     args)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) argv = NULL;
  g_autoptr(GString) text = g_string_new (NULL);
  GPid pid;
  int err_fd, status;
  char buf[512];
  ssize_t n;

  argv = collect_args (first, args);
  g_ptr_array_add (argv, NULL);

  g_spawn_async_with_pipes (NULL, (char **) argv->pdata, NULL, G_SPAWN_DO_NOT_REAP_CHILD,
                            kt_test_child_setup, NULL, &pid, NULL, NULL, &err_fd, &error);
  g_assert_no_error (error);
  while ((n = read (err_fd, buf, sizeof buf)) > 0 || (n < 0 && errno == EINTR))
    if (n > 0)
      g_string_append_len (text, buf, n);
  close (err_fd);
  status = wait_exit (pid, timeout_ms);
  if (status == -2)
    {
      kill (pid, SIGKILL);
      waitpid (pid, NULL, 0);
      g_error ("keyturn-virtual-key did not exit");
    }
  g_spawn_close_pid (pid);
  if (err != NULL)
    *err = g_string_free (g_steal_pointer (&text), FALSE);
  g_test_message ("keyturn-virtual-key exited with %d", status);
  return WIFEXITED (status) ? WEXITSTATUS (status) : 128 + WTERMSIG (status);
}

int
kv_test_key_run (char **err,
                 ...)
{
  const char *first;
  va_list args;
  int status;

  va_start (args, err);
  first = va_arg (args, const char *);
  status = run (err, 5000, first, args);
  va_end (args);
  return status;
}

fido_dev_t *
kv_test_key_open (KvTestKey *key)
{
  fido_dev_t *dev = fido_dev_new ();
  int r;

  g_assert_nonnull (dev);
  r = kt_fido_socket_open (dev, key->socket);
  g_assert_cmpstr (fido_strerr (r), ==, fido_strerr (FIDO_OK));
  return dev;
}

void
kv_test_dev_close (fido_dev_t *dev)
{
  if (dev == NULL)
    return;
  fido_dev_close (dev);
  fido_dev_free (&dev);
}

static int
run_touch (int         timeout_ms,
           const char *first,
           ...)
{
  va_list args;
  int status;

  va_start (args, first);
  status = run (NULL, timeout_ms, first, args);
  va_end (args);
  return status;
}

int
kv_test_key_touch (KvTestKey *key,
                   int        wait_ms)
{
  g_autofree char *wait = g_strdup_printf ("%d", wait_ms);

  /* The command itself may wait @wait_ms for a request before it answers. */
  return run_touch (wait_ms + 5000, "touch", "--socket", key->socket, "--wait-ms", wait, NULL);
}

void
kv_test_cred_free (fido_cred_t *cred)
{
  fido_cred_free (&cred);
}

void
kv_test_assert_free (fido_assert_t *a)
{
  fido_assert_free (&a);
}

void
kv_test_info_free (fido_cbor_info_t *info)
{
  fido_cbor_info_free (&info);
}

void
kv_test_random (guint8 *buf,
                gsize   len)
{
  g_assert_cmpint (RAND_bytes (buf, (int) len), ==, 1);
}

fido_cred_t *
kv_test_cred_request (const char *user,
                      gboolean    rk)
{
  fido_cred_t *cred = fido_cred_new ();
  guint8 cdh[32];

  kv_test_random (cdh, sizeof cdh);
  assert_fido (fido_cred_set_type (cred, COSE_ES256), FIDO_OK);
  assert_fido (fido_cred_set_clientdata_hash (cred, cdh, sizeof cdh), FIDO_OK);
  assert_fido (fido_cred_set_rp (cred, RP_ID, "Example"), FIDO_OK);
  assert_fido (fido_cred_set_user (cred, (const guint8 *) user, strlen (user), user, user, NULL),
               FIDO_OK);
  if (rk)
    assert_fido (fido_cred_set_rk (cred, FIDO_OPT_TRUE), FIDO_OK);
  return cred;
}

fido_cred_t *
kv_test_make_cred (fido_dev_t *dev,
                   const char *user,
                   gboolean    rk,
                   const char *pin)
{
  fido_cred_t *cred = kv_test_cred_request (user, rk);

  assert_fido (fido_dev_make_cred (dev, cred, pin), FIDO_OK);
  return cred;
}

fido_assert_t *
kv_test_assert_request (const fido_cred_t *allow)
{
  fido_assert_t *a = fido_assert_new ();
  guint8 cdh[32];

  kv_test_random (cdh, sizeof cdh);
  assert_fido (fido_assert_set_rp (a, RP_ID), FIDO_OK);
  assert_fido (fido_assert_set_clientdata_hash (a, cdh, sizeof cdh), FIDO_OK);
  if (allow != NULL)
    assert_fido (fido_assert_allow_cred (a, fido_cred_id_ptr (allow), fido_cred_id_len (allow)),
                 FIDO_OK);
  return a;
}

void
kv_test_verify_assertion (fido_assert_t     *a,
                          size_t             idx,
                          const fido_cred_t *cred)
{
  es256_pk_t *pk = es256_pk_new ();

  assert_fido (es256_pk_from_ptr (pk, fido_cred_pubkey_ptr (cred), fido_cred_pubkey_len (cred)),
               FIDO_OK);
  assert_fido (fido_assert_verify (a, idx, COSE_ES256, pk), FIDO_OK);
  es256_pk_free (&pk);
}
