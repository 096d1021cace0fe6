/* kv-test-key.h: starts the real keyturn-virtual-key binary for a test, and stops it
 *
 * Copyright 2026 Keyturn developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <fido.h>
#include <glib.h>

G_BEGIN_DECLS

typedef struct {
  GPid  pid;
  char *dir;       /* owned temporary folder holding the socket (and the state, unless given) */
  char *socket;
  char *state;
} KvTestKey;

/* The path of the keyturn-virtual-key binary under test. */
const char *kv_test_key_binary   (void);

/* Starts a key on a fresh socket; @state is NULL for a new state file in the key's folder.
 * @args are extra command-line arguments, NULL-terminated. Fails the test if it does not start. */
KvTestKey  *kv_test_key_start    (const char  *state,
                                  ...) G_GNUC_NULL_TERMINATED;
/* A key not started yet, as one still in a drawer: @socket and @state are NULL for paths in the
 * key's own folder. */
KvTestKey  *kv_test_key_new      (const char  *socket,
                                  const char  *state);
/* Starts @key (new or stopped) on its socket and state, with extra arguments, NULL-terminated. */
void        kv_test_key_launch   (KvTestKey   *key,
                                  ...) G_GNUC_NULL_TERMINATED;
void        kv_test_key_launchv  (KvTestKey          *key,
                                  const char * const *args);
/* Runs the binary with @argv (after the program name), expecting it to exit within 5 s. Returns
 * the exit status; @err gets its standard error. */
int         kv_test_key_run      (char       **err,
                                  ...) G_GNUC_NULL_TERMINATED;
void        kv_test_key_stop     (KvTestKey   *key);
void        kv_test_key_free     (KvTestKey   *key);

/* A libfido2 device opened on the key through Keyturn's socket transport. */
fido_dev_t *kv_test_key_open     (KvTestKey   *key);
void        kv_test_dev_close    (fido_dev_t  *dev);

/* `keyturn-virtual-key touch --socket ...`: its exit status. */
int         kv_test_key_touch    (KvTestKey   *key,
                                  int          wait_ms);

#define RP_ID "example.com"

#define assert_fido(r, expected) g_assert_cmpstr (fido_strerr (r), ==, fido_strerr (expected))

void           kv_test_random       (guint8            *buf,
                                     gsize              len);
/* A credential request for RP_ID; the client data hash is random, as a challenge makes it. */
fido_cred_t   *kv_test_cred_request (const char        *user,
                                     gboolean           rk);
fido_cred_t   *kv_test_make_cred    (fido_dev_t        *dev,
                                     const char        *user,
                                     gboolean           rk,
                                     const char        *pin);
fido_assert_t *kv_test_assert_request (const fido_cred_t *allow);
void           kv_test_verify_assertion (fido_assert_t     *a,
                                         size_t             idx,
                                         const fido_cred_t *cred);

void kv_test_cred_free   (fido_cred_t      *cred);
void kv_test_assert_free (fido_assert_t    *a);
void kv_test_info_free   (fido_cbor_info_t *info);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (KvTestKey, kv_test_key_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (fido_dev_t, kv_test_dev_close)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (fido_cred_t, kv_test_cred_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (fido_assert_t, kv_test_assert_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (fido_cbor_info_t, kv_test_info_free)

G_END_DECLS
