/* kt-unix-socket.h: the two socket calls that core and the virtual key both make
 *
 * The FIDO transport in core connects to a key's Unix socket and writes whole messages; the
 * virtual key connects to its own socket (to see whether an old one is still alive) and writes
 * whole messages back. Plain file descriptors, no GIO: both run on threads of their own.
 *
 * Copyright 2026 Keyturn developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* A connected SOCK_STREAM socket to @path (close-on-exec), or -1 with errno set: ENAMETOOLONG
 * when @path does not fit in a sockaddr_un. */
int      kt_unix_socket_connect  (const char   *path);

/* Sends all @len bytes, retrying after EINTR and without SIGPIPE: FALSE if the peer has gone. */
gboolean kt_unix_socket_send_all (int           fd,
                                  const guint8 *data,
                                  gsize         len);

G_END_DECLS
