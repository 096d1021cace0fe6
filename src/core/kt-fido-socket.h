/* kt-fido-socket.h: libfido2 I/O functions for a key reached through a Unix socket
 *
 * keyturn-virtual-key carries raw 64-byte CTAPHID reports over a Unix stream socket. These
 * functions let libfido2 open such a key with fido_dev_set_io_functions(), so that every
 * CTAPHID frame and every CBOR byte is still built and parsed by libfido2 itself.
 *
 * Copyright 2026 Keyturn developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <fido.h>
#include <glib.h>

G_BEGIN_DECLS

/* libfido2 hands the path given to fido_dev_open() to the open function: the socket's path. */
const fido_dev_io_t *kt_fido_socket_io (void);

/* Opens @dev on the key listening at @socket_path. Returns a FIDO_ERR_* code. */
int                  kt_fido_socket_open (fido_dev_t *dev,
                                          const char *socket_path);

G_END_DECLS
