/* kt-fido-socket.c
 *
 * Copyright 2026 Keyturn developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "kt-fido-socket.h"

#include "kt-unix-socket.h"

#include <errno.h>
#include <poll.h>
#include <string.h>
#include <unistd.h>

/* Written by hand: libfido2 ships the hook but no transport for a socket, and the one it needs
 * is four short functions. */

#define KT_CTAPHID_REPORT_LEN 64
#define KT_CTAPHID_INIT_DATA_LEN (KT_CTAPHID_REPORT_LEN - 7)
#define KT_CTAPHID_CONT_DATA_LEN (KT_CTAPHID_REPORT_LEN - 5)

/* libfido2 moves one report per call. Reading ahead, and holding the reports of a message until
 * its last one, turns a message into one system call each way instead of one per report. */
typedef struct {
  int fd;
  guint8 in[64 * KT_CTAPHID_REPORT_LEN];
  gsize in_len;
  GByteArray *out;           /* reports of a message not yet complete */
  gsize out_expected;        /* bytes of reports that message needs */
  GMutex out_lock;           /* libfido2 sends CANCEL from another thread */
} KtFidoSocket;

static void *
socket_open (const char *path)
{
  KtFidoSocket *sock;
  int fd;

  if (path == NULL)
    return NULL;
  fd = kt_unix_socket_connect (path);
  if (fd < 0)
    return NULL;

  sock = g_new0 (KtFidoSocket, 1);
  sock->fd = fd;
  sock->out = g_byte_array_new ();
  g_mutex_init (&sock->out_lock);
  return sock;
}

static void
socket_close (void *handle)
{
  KtFidoSocket *sock = handle;

  if (sock == NULL)
    return;
  close (sock->fd);
  g_byte_array_unref (sock->out);
  g_mutex_clear (&sock->out_lock);
  g_free (sock);
}

/* libfido2 asks for one whole report and waits at most @ms milliseconds (-1: no limit). */
static int
socket_read (void          *handle,
             unsigned char *buf,
             size_t         len,
             int            ms)
{
  KtFidoSocket *sock = handle;
  gint64 deadline = ms < 0 ? -1 : g_get_monotonic_time () + (gint64) ms * 1000;

  if (sock == NULL || len != KT_CTAPHID_REPORT_LEN)
    return -1;

  while (sock->in_len < len)
    {
      struct pollfd pfd = { .fd = sock->fd, .events = POLLIN };
      int wait_ms = -1;
      ssize_t n;
      int r;

      if (deadline >= 0)
        {
          gint64 left = deadline - g_get_monotonic_time ();
          if (left <= 0)
            return -1;
          wait_ms = (int) ((left + 999) / 1000);
        }

      r = poll (&pfd, 1, wait_ms);
      if (r < 0 && errno == EINTR)
        continue;
      if (r <= 0)
        return -1;

      n = read (sock->fd, sock->in + sock->in_len, sizeof sock->in - sock->in_len);
      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        return -1;  /* the key went away */
      sock->in_len += (gsize) n;
    }

  memcpy (buf, sock->in, len);
  sock->in_len -= len;
  memmove (sock->in, sock->in + len, sock->in_len);
  return (int) len;
}

/* libfido2 writes a report id (always 0) and then the 64-byte report; the socket carries the
 * report alone. An initialization report says how long its message is, so the transport knows
 * when the last continuation report has come and the message can go. */
static int
socket_write (void                *handle,
              const unsigned char *buf,
              size_t               len)
{
  KtFidoSocket *sock = handle;
  const guint8 *report = buf + 1;
  gboolean ok = TRUE;

  if (sock == NULL || len != KT_CTAPHID_REPORT_LEN + 1)
    return -1;

  g_mutex_lock (&sock->out_lock);
  if (report[4] & 0x80)
    {
      gsize payload = (gsize) report[5] << 8 | report[6];
      gsize conts = payload > KT_CTAPHID_INIT_DATA_LEN
        ? (payload - KT_CTAPHID_INIT_DATA_LEN + KT_CTAPHID_CONT_DATA_LEN - 1) / KT_CTAPHID_CONT_DATA_LEN
        : 0;

      /* A new message (a CANCEL, say) never waits behind an unfinished one. */
      if (sock->out->len > 0)
        ok = kt_unix_socket_send_all (sock->fd, sock->out->data, sock->out->len);
      g_byte_array_set_size (sock->out, 0);
      sock->out_expected = (1 + conts) * KT_CTAPHID_REPORT_LEN;
    }
  else if (sock->out_expected == 0)
    sock->out_expected = KT_CTAPHID_REPORT_LEN;  /* a stray continuation goes out as it is */

  g_byte_array_append (sock->out, report, KT_CTAPHID_REPORT_LEN);
  if (ok && sock->out->len >= sock->out_expected)
    {
      ok = kt_unix_socket_send_all (sock->fd, sock->out->data, sock->out->len);
      g_byte_array_set_size (sock->out, 0);
      sock->out_expected = 0;
    }
  g_mutex_unlock (&sock->out_lock);

  return ok ? (int) len : -1;
}

static const fido_dev_io_t socket_io = {
  .open = socket_open,
  .close = socket_close,
  .read = socket_read,
  .write = socket_write,
};

const fido_dev_io_t *
kt_fido_socket_io (void)
{
  return &socket_io;
}

int
kt_fido_socket_open (fido_dev_t *dev,
                     const char *socket_path)
{
  int r;

  if ((r = fido_dev_set_io_functions (dev, &socket_io)) != FIDO_OK)
    return r;
  return fido_dev_open (dev, socket_path);
}
