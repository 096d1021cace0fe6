/* kt-fido-socket.c
 *
 * Copyright 2026 Keyturn developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "kt-fido-socket.h"

#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

/* Written by hand: libfido2 ships the hook but no transport for a socket, and the one it needs
 * is four short functions. */

#define KT_CTAPHID_REPORT_LEN 64

typedef struct {
  int fd;
} KtFidoSocket;

static void *
socket_open (const char *path)
{
  struct sockaddr_un addr = { .sun_family = AF_UNIX };
  KtFidoSocket *sock;
  int fd;

  if (path == NULL || strlen (path) >= sizeof addr.sun_path)
    return NULL;
  g_strlcpy (addr.sun_path, path, sizeof addr.sun_path);

  fd = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return NULL;
  if (connect (fd, (struct sockaddr *) &addr, sizeof addr) != 0)
    {
      close (fd);
      return NULL;
    }

  sock = g_new0 (KtFidoSocket, 1);
  sock->fd = fd;
  return sock;
}

static void
socket_close (void *handle)
{
  KtFidoSocket *sock = handle;

  if (sock == NULL)
    return;
  close (sock->fd);
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
  size_t got = 0;

  if (sock == NULL || len != KT_CTAPHID_REPORT_LEN)
    return -1;

  while (got < len)
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

      n = read (sock->fd, buf + got, len - got);
      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        return -1;  /* the key went away */
      got += (size_t) n;
    }

  return (int) got;
}

/* libfido2 writes a report id (always 0) and then the 64-byte report; the socket carries the
 * report alone. */
static int
socket_write (void                *handle,
              const unsigned char *buf,
              size_t               len)
{
  KtFidoSocket *sock = handle;
  size_t sent = 0;

  if (sock == NULL || len != KT_CTAPHID_REPORT_LEN + 1)
    return -1;

  while (sent < KT_CTAPHID_REPORT_LEN)
    {
      ssize_t n = send (sock->fd, buf + 1 + sent, KT_CTAPHID_REPORT_LEN - sent, MSG_NOSIGNAL);

      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        return -1;
      sent += (size_t) n;
    }

  return (int) len;
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
