/* test-presence.c: user presence in keyturn-virtual-key through libfido2: deny, manual touch,
 * timeout, cancel, delay, touch-to-select, and the reset window
 *
 * Copyright 2026 Keyturn developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <fido.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/wait.h>

#include "kv-test-key.h"

static char *
temp_state (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("kv-state-XXXXXX", &error);

  g_assert_no_error (error);
  return g_build_filename (dir, "state", NULL);
}

static void
remove_state (const char *state)
{
  g_autofree char *dir = g_path_get_dirname (state);

  g_unlink (state);
  g_rmdir (dir);
}

static void
test_deny (void)
{
  g_autofree char *state = temp_state ();
  g_autoptr(fido_cred_t) cred = NULL;

  {
    g_autoptr(KvTestKey) key = kv_test_key_start (state, NULL);
    g_autoptr(fido_dev_t) dev = kv_test_key_open (key);

    cred = kv_test_make_cred (dev, "alice", FALSE, NULL);
    kv_test_dev_close (g_steal_pointer (&dev));
    kv_test_key_stop (key);
  }
  {
    g_autoptr(KvTestKey) key = kv_test_key_start (state, "--presence", "deny", NULL);
    g_autoptr(fido_dev_t) dev = kv_test_key_open (key);
    g_autoptr(fido_cred_t) refused = kv_test_cred_request ("bob", FALSE);
    g_autoptr(fido_assert_t) a = kv_test_assert_request (cred);
    g_autoptr(fido_assert_t) silent = kv_test_assert_request (cred);

    assert_fido (fido_dev_make_cred (dev, refused, NULL), FIDO_ERR_OPERATION_DENIED);
    assert_fido (fido_dev_get_assert (dev, a, NULL), FIDO_ERR_OPERATION_DENIED);
    assert_fido (fido_dev_reset (dev), FIDO_ERR_OPERATION_DENIED);

    /* A silent pre-flight (up=false) needs nobody: it answers, without the UP flag. */
    assert_fido (fido_assert_set_up (silent, FIDO_OPT_FALSE), FIDO_OK);
    assert_fido (fido_dev_get_assert (dev, silent, NULL), FIDO_OK);
    g_assert_cmpuint (fido_assert_flags (silent, 0) & 0x01, ==, 0);
    assert_fido (fido_assert_set_up (silent, FIDO_OPT_FALSE), FIDO_OK);
    kv_test_verify_assertion (silent, 0, cred);
  }
  remove_state (state);
}

typedef struct {
  fido_dev_t  *dev;
  fido_cred_t *cred;
  int          result;
  gint64       finished_at;
} Ceremony;

static gpointer
make_cred_thread (gpointer data)
{
  Ceremony *c = data;

  c->result = fido_dev_make_cred (c->dev, c->cred, NULL);
  c->finished_at = g_get_monotonic_time ();
  return NULL;
}

static void
test_manual_touch (void)
{
  g_autoptr(KvTestKey) key = kv_test_key_start (NULL, "--presence", "manual", NULL);
  g_autoptr(fido_dev_t) dev = kv_test_key_open (key);
  g_autoptr(fido_cred_t) cred = kv_test_cred_request ("alice", FALSE);
  Ceremony c = { dev, cred, -1, 0 };
  GThread *thread;

  /* A touch with nothing waiting for one is not kept for later. */
  g_assert_cmpint (kv_test_key_touch (key, 50), ==, 1);

  thread = g_thread_new ("make-cred", make_cred_thread, &c);
  g_usleep (150 * 1000);
  g_assert_cmpint (c.finished_at, ==, 0);  /* still waiting for the touch */
  g_assert_cmpint (kv_test_key_touch (key, 5000), ==, 0);
  g_thread_join (thread);
  assert_fido (c.result, FIDO_OK);
  assert_fido (fido_cred_verify (cred), FIDO_OK);

  /* The touch command also waits for a request that comes after it. */
  {
    g_autoptr(fido_assert_t) a = kv_test_assert_request (cred);
    GPid pid;
    g_autoptr(GError) error = NULL;
    int status;
    const char *argv[] = { kv_test_key_binary (), "touch", "--socket", key->socket, NULL };

    g_spawn_async (NULL, (char **) argv, NULL, G_SPAWN_DO_NOT_REAP_CHILD, NULL, NULL, &pid,
                   &error);
    g_assert_no_error (error);
    assert_fido (fido_dev_get_assert (dev, a, NULL), FIDO_OK);
    kv_test_verify_assertion (a, 0, cred);
    g_assert_true (g_spawn_check_wait_status ((waitpid (pid, &status, 0), status), NULL));
    g_spawn_close_pid (pid);
  }
}

static void
test_timeout (void)
{
  g_autoptr(KvTestKey) key = kv_test_key_start (NULL, "--presence", "manual",
                                                "--touch-timeout-ms", "300", NULL);
  g_autoptr(fido_dev_t) dev = kv_test_key_open (key);
  g_autoptr(fido_cred_t) cred = kv_test_cred_request ("alice", FALSE);
  gint64 start = g_get_monotonic_time (), took;

  assert_fido (fido_dev_make_cred (dev, cred, NULL), FIDO_ERR_USER_ACTION_TIMEOUT);
  took = (g_get_monotonic_time () - start) / 1000;
  g_assert_cmpint (took, >=, 280);
  g_assert_cmpint (took, <, 3000);
}

static void
test_cancel (void)
{
  g_autoptr(KvTestKey) key = kv_test_key_start (NULL, "--presence", "manual", NULL);
  g_autoptr(fido_dev_t) dev = kv_test_key_open (key);
  g_autoptr(fido_cred_t) cred = kv_test_cred_request ("alice", FALSE);
  Ceremony c = { dev, cred, -1, 0 };
  GThread *thread = g_thread_new ("make-cred", make_cred_thread, &c);
  gint64 cancelled_at;

  g_usleep (200 * 1000);
  g_assert_cmpint (c.finished_at, ==, 0);
  cancelled_at = g_get_monotonic_time ();
  assert_fido (fido_dev_cancel (dev), FIDO_OK);
  g_thread_join (thread);
  assert_fido (c.result, FIDO_ERR_KEEPALIVE_CANCEL);
  g_assert_cmpint ((c.finished_at - cancelled_at) / 1000, <, 400);

  /* The device is usable afterwards. */
  {
    g_autoptr(fido_cbor_info_t) info = fido_cbor_info_new ();

    assert_fido (fido_dev_get_cbor_info (dev, info), FIDO_OK);
  }
}

static void
test_delay (void)
{
  g_autoptr(KvTestKey) key = kv_test_key_start (NULL, "--presence-delay-ms", "250", NULL);
  g_autoptr(fido_dev_t) dev = kv_test_key_open (key);
  gint64 start = g_get_monotonic_time ();
  g_autoptr(fido_cred_t) cred = kv_test_make_cred (dev, "alice", FALSE, NULL);

  g_assert_cmpint ((g_get_monotonic_time () - start) / 1000, >=, 240);
}

/* libfido2's touch-to-select: a dummy makeCredential with an empty pinUvAuthParam. */
static void
test_touch_select (void)
{
  g_autoptr(KvTestKey) key = kv_test_key_start (NULL, "--presence", "manual", NULL);
  g_autoptr(fido_dev_t) dev = kv_test_key_open (key);
  int touched = 0;

  assert_fido (fido_dev_get_touch_begin (dev), FIDO_OK);
  assert_fido (fido_dev_get_touch_status (dev, &touched, 100), FIDO_OK);
  g_assert_cmpint (touched, ==, 0);
  g_assert_cmpint (kv_test_key_touch (key, 5000), ==, 0);
  for (int i = 0; i < 20 && !touched; i++)
    assert_fido (fido_dev_get_touch_status (dev, &touched, 100), FIDO_OK);
  g_assert_cmpint (touched, ==, 1);

  /* Another key that is not touched is cancelled by the client. */
  assert_fido (fido_dev_get_touch_begin (dev), FIDO_OK);
  assert_fido (fido_dev_get_touch_status (dev, &touched, 100), FIDO_OK);
  g_assert_cmpint (touched, ==, 0);
  assert_fido (fido_dev_cancel (dev), FIDO_OK);
  assert_fido (fido_dev_get_touch_status (dev, &touched, 1000), FIDO_ERR_KEEPALIVE_CANCEL);
}

static void
test_reset (void)
{
  g_autoptr(KvTestKey) key = kv_test_key_start (NULL, "--reset-window-ms", "5000", NULL);
  g_autoptr(fido_dev_t) dev = kv_test_key_open (key);
  g_autoptr(fido_cred_t) cred = kv_test_make_cred (dev, "alice", TRUE, NULL);
  g_autoptr(fido_cred_t) plain = kv_test_make_cred (dev, "bob", FALSE, NULL);
  g_autoptr(fido_assert_t) a = kv_test_assert_request (cred);
  g_autoptr(fido_assert_t) b = kv_test_assert_request (plain);
  g_autoptr(fido_cbor_info_t) before = fido_cbor_info_new ();
  g_autoptr(fido_cbor_info_t) after = fido_cbor_info_new ();
  int retries = -1;

  assert_fido (fido_dev_set_pin (dev, "4711", NULL), FIDO_OK);
  assert_fido (fido_dev_get_cbor_info (dev, before), FIDO_OK);
  assert_fido (fido_dev_reset (dev), FIDO_OK);

  assert_fido (fido_dev_get_assert (dev, a, NULL), FIDO_ERR_NO_CREDENTIALS);
  /* Non-discoverable credentials die with the old wrapping key. */
  assert_fido (fido_dev_get_assert (dev, b, NULL), FIDO_ERR_NO_CREDENTIALS);
  assert_fido (fido_dev_get_retry_count (dev, &retries), FIDO_OK);
  g_assert_cmpint (retries, ==, 8);
  assert_fido (fido_dev_set_pin (dev, "1234", NULL), FIDO_OK);  /* no PIN any more */
  /* The key keeps its identity. */
  assert_fido (fido_dev_get_cbor_info (dev, after), FIDO_OK);
  g_assert_cmpmem (fido_cbor_info_aaguid_ptr (before), 16, fido_cbor_info_aaguid_ptr (after), 16);
}

static void
test_reset_too_late (void)
{
  g_autoptr(KvTestKey) key = kv_test_key_start (NULL, "--reset-window-ms", "100", NULL);
  g_autoptr(fido_dev_t) dev = kv_test_key_open (key);
  g_autoptr(fido_cred_t) cred = kv_test_make_cred (dev, "alice", FALSE, NULL);
  g_autoptr(fido_assert_t) a = kv_test_assert_request (cred);

  g_usleep (150 * 1000);
  assert_fido (fido_dev_reset (dev), FIDO_ERR_NOT_ALLOWED);
  assert_fido (fido_dev_get_assert (dev, a, NULL), FIDO_OK);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);
  fido_init (0);

  g_test_add_func ("/virtual-key/presence/deny", test_deny);
  g_test_add_func ("/virtual-key/presence/manual-touch", test_manual_touch);
  g_test_add_func ("/virtual-key/presence/timeout", test_timeout);
  g_test_add_func ("/virtual-key/presence/cancel", test_cancel);
  g_test_add_func ("/virtual-key/presence/delay", test_delay);
  g_test_add_func ("/virtual-key/presence/touch-select", test_touch_select);
  g_test_add_func ("/virtual-key/reset/within-window", test_reset);
  g_test_add_func ("/virtual-key/reset/too-late", test_reset_too_late);

  return g_test_run ();
}
