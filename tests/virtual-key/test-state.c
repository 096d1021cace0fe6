/* test-state.c: keyturn-virtual-key's state file across restarts, damaged files refused, and
 * several devices open on one key at once
 *
 * Copyright 2026 Keyturn developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <fido.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/stat.h>

#include "kv-test-key.h"

typedef struct {
  char *dir;
  char *state;
} Fixture;

static void
fixture_set_up (Fixture       *f,
                gconstpointer  data)
{
  g_autoptr(GError) error = NULL;

  f->dir = g_dir_make_tmp ("kv-state-XXXXXX", &error);
  g_assert_no_error (error);
  f->state = g_build_filename (f->dir, "state", NULL);
}

static void
fixture_tear_down (Fixture       *f,
                   gconstpointer  data)
{
  g_autoptr(GDir) dir = g_dir_open (f->dir, 0, NULL);
  const char *name;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *path = g_build_filename (f->dir, name, NULL);
      g_unlink (path);
    }
  g_rmdir (f->dir);
  g_free (f->dir);
  g_free (f->state);
}

static void
get_aaguid (fido_dev_t *dev,
            guint8      aaguid[16])
{
  g_autoptr(fido_cbor_info_t) info = fido_cbor_info_new ();

  assert_fido (fido_dev_get_cbor_info (dev, info), FIDO_OK);
  g_assert_cmpuint (fido_cbor_info_aaguid_len (info), ==, 16);
  memcpy (aaguid, fido_cbor_info_aaguid_ptr (info), 16);
}

static void
test_persistence (Fixture       *f,
                  gconstpointer  data)
{
  g_autoptr(fido_cred_t) rk = NULL;
  g_autoptr(fido_cred_t) plain = NULL;
  guint8 aaguid[16], aaguid_again[16];
  GStatBuf st;

  {
    g_autoptr(KvTestKey) key = kv_test_key_start (f->state, NULL);
    g_autoptr(fido_dev_t) dev = kv_test_key_open (key);
    g_autoptr(fido_assert_t) a = NULL;
    g_autoptr(fido_assert_t) wrong = NULL;

    get_aaguid (dev, aaguid);
    assert_fido (fido_dev_set_pin (dev, "4711", NULL), FIDO_OK);
    rk = kv_test_make_cred (dev, "alice", TRUE, "4711");
    plain = kv_test_make_cred (dev, "bob", FALSE, NULL);
    for (int i = 0; i < 2; i++)
      {
        g_clear_pointer (&a, kv_test_assert_free);
        a = kv_test_assert_request (plain);
        assert_fido (fido_dev_get_assert (dev, a, NULL), FIDO_OK);
      }
    g_assert_cmpuint (fido_assert_sigcount (a, 0), ==, 2);
    wrong = kv_test_assert_request (plain);
    assert_fido (fido_dev_get_assert (dev, wrong, "0000"), FIDO_ERR_PIN_INVALID);
    kv_test_dev_close (g_steal_pointer (&dev));
    kv_test_key_stop (key);
  }

  /* Only the owner may read the secrets; no temporary file is left behind. */
  g_assert_cmpint (g_stat (f->state, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0600);
  {
    g_autoptr(GDir) dir = g_dir_open (f->dir, 0, NULL);
    const char *name;

    while ((name = g_dir_read_name (dir)) != NULL)
      g_assert_cmpstr (name, ==, "state");
  }

  {
    g_autoptr(KvTestKey) key = kv_test_key_start (f->state, NULL);
    g_autoptr(fido_dev_t) dev = kv_test_key_open (key);
    g_autoptr(fido_assert_t) a = kv_test_assert_request (plain);
    g_autoptr(fido_assert_t) discover = kv_test_assert_request (NULL);
    int retries = -1;

    get_aaguid (dev, aaguid_again);
    g_assert_cmpmem (aaguid, 16, aaguid_again, 16);
    assert_fido (fido_dev_get_retry_count (dev, &retries), FIDO_OK);
    g_assert_cmpint (retries, ==, 7);
    /* The counter goes on above where it was (past the values the key had reserved). */
    assert_fido (fido_dev_get_assert (dev, a, "4711"), FIDO_OK);
    g_assert_cmpuint (fido_assert_sigcount (a, 0), >, 2);
    kv_test_verify_assertion (a, 0, plain);
    assert_fido (fido_dev_get_assert (dev, discover, "4711"), FIDO_OK);
    g_assert_cmpuint (fido_assert_count (discover), ==, 1);
    g_assert_cmpmem (fido_assert_user_id_ptr (discover, 0), fido_assert_user_id_len (discover, 0),
                     "alice", 5);
    kv_test_verify_assertion (discover, 0, rk);
  }
}

/* Writes @contents to the state file, starts the key on it and expects a clear refusal that
 * leaves the file as it was. */
static void
expect_refused (Fixture    *f,
                const char *contents,
                gsize       len)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *err = NULL;
  g_autofree char *socket = g_build_filename (f->dir, "key.sock", NULL);
  g_autofree char *after = NULL;
  gsize after_len = 0;
  int status;

  g_file_set_contents (f->state, contents, (gssize) len, &error);
  g_assert_no_error (error);
  status = kv_test_key_run (&err, "--socket", socket, "--state", f->state, NULL);
  g_test_message ("stderr: %s", err);
  g_assert_cmpint (status, ==, 1);
  g_assert_nonnull (strstr (err, f->state));
  g_assert_nonnull (strstr (err, "damaged"));
  g_assert_false (g_file_test (socket, G_FILE_TEST_EXISTS));
  g_file_get_contents (f->state, &after, &after_len, &error);
  g_assert_no_error (error);
  g_assert_cmpmem (after, after_len, contents, len);
}

static char *
make_state (Fixture *f,
            gsize   *len)
{
  g_autoptr(GError) error = NULL;
  char *contents = NULL;

  {
    g_autoptr(KvTestKey) key = kv_test_key_start (f->state, NULL);
    g_autoptr(fido_dev_t) dev = kv_test_key_open (key);
    g_autoptr(fido_cred_t) cred = kv_test_make_cred (dev, "alice", TRUE, NULL);

    kv_test_dev_close (g_steal_pointer (&dev));
    kv_test_key_stop (key);
  }
  g_file_get_contents (f->state, &contents, len, &error);
  g_assert_no_error (error);
  return contents;
}

static void
test_truncated (Fixture       *f,
                gconstpointer  data)
{
  gsize len = 0;
  g_autofree char *contents = make_state (f, &len);

  expect_refused (f, contents, len / 2);
  expect_refused (f, contents, len - 1);
  expect_refused (f, "", 0);
}

static void
test_corrupt (Fixture       *f,
              gconstpointer  data)
{
  gsize len = 0;
  g_autofree char *contents = make_state (f, &len);
  g_autofree char *flipped = g_memdup2 (contents, len + 1);  /* with its NUL, for strstr */
  char *p;

  /* One character of a credential changed to another valid one. */
  p = strstr (flipped, "rp-id=example.com");
  g_assert_nonnull (p);
  p[strlen ("rp-id=")] = 'E';
  expect_refused (f, flipped, len);

  /* Garbage after a valid file. */
  {
    g_autofree char *longer = g_strconcat (contents, "[key]\npin-retries=8\n", NULL);
    expect_refused (f, longer, strlen (longer));
  }
  expect_refused (f, "\x00\x01\x02garbage", 10);
}

static void
test_unwritable (Fixture       *f,
                 gconstpointer  data)
{
  g_autofree char *err = NULL;
  g_autofree char *socket = g_build_filename (f->dir, "key.sock", NULL);
  g_autofree char *state = g_build_filename (f->dir, "missing", "state", NULL);

  g_assert_cmpint (kv_test_key_run (&err, "--socket", socket, "--state", state, NULL), ==, 1);
  g_assert_nonnull (strstr (err, "state"));
}

typedef struct {
  KvTestKey *key;
  int        ok;
} Worker;

static gpointer
ceremony_worker (gpointer data)
{
  Worker *w = data;
  fido_dev_t *dev = kv_test_key_open (w->key);
  g_autofree char *user = g_strdup_printf ("user-%p", (void *) w);

  for (int i = 0; i < 5; i++)
    {
      g_autoptr(fido_cred_t) cred = kv_test_make_cred (dev, user, FALSE, NULL);

      for (guint32 n = 1; n <= 2; n++)
        {
          g_autoptr(fido_assert_t) a = kv_test_assert_request (cred);

          assert_fido (fido_dev_get_assert (dev, a, NULL), FIDO_OK);
          kv_test_verify_assertion (a, 0, cred);
          g_assert_cmpuint (fido_assert_sigcount (a, 0), ==, n);
        }
      w->ok++;
    }
  kv_test_dev_close (dev);
  return NULL;
}

static void
test_concurrent_devices (Fixture       *f,
                         gconstpointer  data)
{
  g_autoptr(KvTestKey) key = kv_test_key_start (f->state, NULL);
  Worker workers[3] = { { key, 0 }, { key, 0 }, { key, 0 } };
  GThread *threads[3];

  for (int i = 0; i < 3; i++)
    threads[i] = g_thread_new ("ceremonies", ceremony_worker, &workers[i]);
  for (int i = 0; i < 3; i++)
    {
      g_thread_join (threads[i]);
      g_assert_cmpint (workers[i].ok, ==, 5);
    }
  kv_test_key_stop (key);

  /* The counter of every credential used on any connection is in the file. */
  {
    g_autofree char *contents = NULL;
    guint count = 0;

    g_assert_true (g_file_get_contents (f->state, &contents, NULL, NULL));
    for (const char *p = contents; (p = strstr (p, "\n[counter ")) != NULL; p++)
      count++;
    g_assert_cmpuint (count, ==, 15);
  }
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);
  fido_init (0);

#define ADD(path, func) \
  g_test_add ("/virtual-key/state/" path, Fixture, NULL, fixture_set_up, func, fixture_tear_down)
  ADD ("persistence", test_persistence);
  ADD ("truncated", test_truncated);
  ADD ("corrupt", test_corrupt);
  ADD ("unwritable", test_unwritable);
  ADD ("concurrent-devices", test_concurrent_devices);
#undef ADD

  return g_test_run ();
}
