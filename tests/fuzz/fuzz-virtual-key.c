/* fuzz-virtual-key.c: keyturn-virtual-key's CTAPHID framing (kv-hid.c) and the CTAP2 CBOR
 * commands behind it (kv-ctap.c, kv-client-pin.c, kv-cbor.c, kv-pin.c), fed to an in-process key
 * over a socket pair as a client on its socket would feed them.
 *
 * Input: what a client writes on one connection: 64-byte HID reports, back to back (a short
 * last report is a client that hung up mid-report). Each input starts from the same key state:
 * a fresh key with no PIN and no credentials, and with user presence given at once.
 *
 * Copyright 2026 Keyturn developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <errno.h>
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "fuzz.h"
#include "kv-hid.h"
#include "kv-key.h"
#include "kv-log.h"

/* Enough for 512 reports; the replies to that many stay well inside the socket's buffer. */
#define KEY_MAX_INPUT (512 * KV_CTAPHID_REPORT_LEN)

static char *state_path;
static char *pristine_state;
static gsize pristine_len;

static void
remove_state (void)
{
  g_autofree char *dir = g_path_get_dirname (state_path);

  g_unlink (state_path);
  g_rmdir (dir);
}

int
LLVMFuzzerInitialize (int    *argc,
                      char ***argv)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("keyturn-fuzz-key.XXXXXX", &error);
  g_autoptr(KvState) state = NULL;
  gboolean created;

  g_assert_no_error (error);
  state_path = g_build_filename (dir, "state", NULL);
  /* A new key's state, made once: generating its attestation keys per input would be most of
   * the time spent. */
  state = kv_state_load (state_path, &created, &error);
  g_assert_no_error (error);
  g_assert_true (g_file_get_contents (state_path, &pristine_state, &pristine_len, &error));
  atexit (remove_state);
  kv_log_set_enabled (FALSE);
  return 0;
}

/* Puts the pristine state back when the last input changed it (a new credential, a PIN): most
 * inputs change nothing, and writing the file costs an fsync. */
static void
restore_state (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *current = NULL;
  gsize len = 0;

  if (g_file_get_contents (state_path, &current, &len, NULL)
      && len == pristine_len && memcmp (current, pristine_state, len) == 0)
    return;
  /* With G_FILE_SET_CONTENTS_NONE, GLib 2.74 writes over an existing file in place without
   * truncating it: a state that grew would keep its tail and fail its checksum. */
  g_unlink (state_path);
  g_assert_true (g_file_set_contents_full (state_path, pristine_state, (gssize) pristine_len,
                                           G_FILE_SET_CONTENTS_NONE, 0600, &error));
}

/* Reads all the key answers until it closes its end, as a client would. */
static gpointer
drain (gpointer data)
{
  int fd = GPOINTER_TO_INT (data);
  char buf[4096];

  for (;;)
    {
      ssize_t n = read (fd, buf, sizeof buf);

      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        break;
    }
  return NULL;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  g_autoptr(GError) error = NULL;
  KvKey key = { 0 };
  KvState *state;
  KvConnection *conn;
  GThread *reader;
  gboolean created;
  int fds[2];
  gsize written = 0;

  if (size > KEY_MAX_INPUT)
    return 0;

  restore_state ();
  state = kv_state_load (state_path, &created, &error);
  g_assert_no_error (error);

  key.presence = KV_PRESENCE_AUTO;
  key.presence_delay_ms = 0;
  key.touch_timeout_ms = 1000;
  key.reset_window_ms = 10000;
  key.attestation = KV_ATTESTATION_PACKED;
  key.pin_protocol1 = key.pin_protocol2 = TRUE;
  kv_key_init (&key, state);

  g_assert_cmpint (socketpair (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds), ==, 0);
  while (written < size)
    {
      ssize_t n = write (fds[1], data + written, size - written);

      g_assert_cmpint (n, >, 0);
      written += (gsize) n;
    }
  shutdown (fds[1], SHUT_WR);
  reader = g_thread_new ("drain", drain, GINT_TO_POINTER (fds[1]));

  conn = kv_connection_new (&key, fds[0]);
  kv_connection_run (conn);
  kv_connection_free (conn);  /* closes fds[0]: the reader sees the end */

  g_thread_join (reader);
  close (fds[1]);
  kv_key_clear (&key);
  kv_state_free (state);
  return 0;
}
