/* ks-test-authenticator.h: a real keyturn-virtual-key behind Keyturn's WebAuthn client, for tests
 * that answer the sandbox's options as a person with a security key would
 *
 * Copyright 2026 Keyturn developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <json-glib/json-glib.h>

#include "kt-webauthn-client.h"
#include "kv-test-key.h"

G_BEGIN_DECLS

typedef struct {
  KvTestKey        *key;
  KtWebauthnClient *client;     /* at the origin given, seeing this key alone */
  char            **key_args;   /* the key's extra arguments, for a restart */
  char             *pin;        /* given whenever the key asks for it; NULL declines */
} KsTestAuthenticator;

/* Starts a key with extra arguments (NULL-terminated) and a client for @origin. */
KsTestAuthenticator *ks_test_authenticator_new            (const char          *origin,
                                                           ...) G_GNUC_NULL_TERMINATED;
void                 ks_test_authenticator_free           (KsTestAuthenticator *self);

/* Sets the key's PIN through libfido2; from now on the client gives it when asked. */
void                 ks_test_authenticator_set_pin        (KsTestAuthenticator *self,
                                                           const char          *pin);

/* Ceremonies on the authenticator's own client; they fail the test unless they succeed. */
JsonObject          *ks_test_authenticator_register       (KsTestAuthenticator *self,
                                                           JsonObject          *creation_options);
JsonObject          *ks_test_authenticator_authenticate   (KsTestAuthenticator *self,
                                                           JsonObject          *request_options);

/* A copy of the key's state file, taken with the key stopped so nothing is half-saved. */
GBytes              *ks_test_authenticator_save_state     (KsTestAuthenticator *self);
/* Puts @state back, as a clone of the key made at that moment would be. */
void                 ks_test_authenticator_restore_state  (KsTestAuthenticator *self,
                                                           GBytes              *state);

/* Keyturn's WebAuthn client for @origin that sees @key alone, never a USB key. */
KtWebauthnClient    *ks_test_client_new                   (const char          *origin,
                                                           KvTestKey           *key);
/* Drops @client once its last ceremony has let go of it. */
void                 ks_test_client_free                  (KtWebauthnClient    *client);

/* One ceremony run to its end, from options as the server sent them; @pin answers the key's
 * PIN requests (NULL declines). NULL with @error when the client or the key refuses. */
JsonObject          *ks_test_client_register              (KtWebauthnClient    *client,
                                                           JsonObject          *creation_options,
                                                           const char          *pin,
                                                           GError             **error);
JsonObject          *ks_test_client_authenticate          (KtWebauthnClient    *client,
                                                           JsonObject          *request_options,
                                                           const char          *pin,
                                                           GError             **error);

/* @origin (http://host:port) with another port: another origin on the same rp id. */
char                *ks_test_origin_other_port            (const char          *origin);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (KsTestAuthenticator, ks_test_authenticator_free)

G_END_DECLS
