/* flow-fixture.h: a real sandbox, a real virtual key and the MFA controller, for flow tests
 *
 * Copyright 2026 Keyturn developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

#include "ks-test-server.h"
#include "kt-api-client.h"
#include "kt-mfa-controller.h"
#include "kv-test-key.h"

G_BEGIN_DECLS

#define FLOW_ORIGIN "http://localhost:8765"
#define FLOW_PIN    "4711"

/* How a test wants its sandbox and key. */
typedef struct {
  int         access_token_lifetime;   /* seconds; 0 for a comfortable default */
  const char *user_verification;       /* NULL for "preferred" */
  const char *token_required_for;      /* JSON array members, NULL for delete-passkey only */
  const char *presence;                /* the key's --presence, NULL for auto */
  gboolean    through_proxy;           /* reach the sandbox through a relay that can outlive it */
  const char *api_version;             /* NULL for $KEYTURN_FLOW_API_VERSION, else 2026_04_01 */
  const char *single_use_scopes;       /* JSON array members, NULL for the sandbox's default */
  int         elevated_lifetime;       /* seconds of a time-bound elevated token; 0: 600 */
  gboolean    second_key;              /* a second key, not plugged in until flow_swap_keys() */
  gboolean    cookie_sessions;         /* the environment keeps sessions in cookies */
  gboolean    require_device_signature; /* the environment's requireDeviceSignature */
} FlowOptions;

#define FLOW_LEGACY_API "2026_01_01"
#define FLOW_STEP_UP_API "2026_04_01"

/* A test on a fresh Flow: flow_setup () with @options, flow_teardown () after. */
#define ADD_FLOW_TEST(path, options, func) \
  g_test_add (path, Flow, options, flow_setup, func, flow_teardown)

/* How many step-up checks, and how many passkey proofs, the sandbox has answered so far. */
#define CHECKS(f)  flow_count_requests ((f), "POST", "/stepUp/check")
#define PROOFS(f)  flow_count_requests ((f), "POST", "/users/mfa/auth/passkey")

typedef struct {
  FlowOptions      options;
  const char      *api_version;        /* the environment's, as the sandbox was told */
  KsTestServer    *server;
  KvTestKey       *key;
  KvTestKey       *second_key;         /* with FlowOptions.second_key; NULL otherwise */
  char            *email;
  char            *base_url;           /* what the controller is told: the sandbox or the relay */
  GSocketService  *proxy;
  guint16          proxy_port;
  KtMfaController *controller;
  GObject         *controller_parts[3];   /* weak: its API client, store and WebAuthn client */
  GPtrArray       *pin_answers;        /* answers to ::pin-requested, in order */
  guint            pin_asked;
  GArray          *pin_retries;
  GArray          *pin_states;         /* the authenticator state at each request */
} Flow;

void             flow_setup           (Flow          *f,
                                       gconstpointer  data);
void             flow_teardown        (Flow          *f,
                                       gconstpointer  data);

/* A new controller, as the app makes it at start-up; the previous one must be gone. */
KtMfaController *flow_new_controller  (Flow          *f);
/* Waits until only the test holds the controller, then proves it is finalized. */
void             flow_drop_controller (Flow          *f);
/* Drops the controller and starts a new one from the keyring: the app restarted. */
KtMfaStep        flow_restart         (Flow          *f);

/* Runs the main loop until *@result is set (operation callbacks use flow_store_result). */
void             flow_store_result    (GObject       *source,
                                       GAsyncResult  *result,
                                       gpointer       user_data);
gboolean         flow_await           (Flow          *f,
                                       GAsyncResult **result,
                                       GError       **error);
/* Iterates the main loop for @ms milliseconds. */
void             flow_spin            (int            ms);
/* Iterates the main loop until @done returns TRUE; fails the test after @timeout_ms. */
void             flow_spin_until      (gboolean     (*done) (Flow *f),
                                       Flow          *f,
                                       int            timeout_ms);

/* Waits until the controller's background work (keyring writes) is done. */
void             flow_settle          (Flow          *f);
/* For flow_spin_until: the controller says the session is in the keyring. */
gboolean         flow_is_remembered   (Flow          *f);

/* The steps of the flow, each run to its end and checked to succeed. */
void             flow_send_code       (Flow          *f);
void             flow_verify_code     (Flow          *f);
/* Signs in by email (both of the above), checked to lead to @step: a passkey to register or to
 * authenticate with. */
void             flow_email_sign_in   (Flow          *f,
                                       KtMfaStep      step);
void             flow_register        (Flow          *f,
                                       const char    *alias);
void             flow_acknowledge     (Flow          *f);
void             flow_authenticate    (Flow          *f);
/* Unplugs the key in use and plugs in the other one (FlowOptions.second_key). */
void             flow_swap_keys       (Flow          *f);
/* Whether the environment enforces step-up with elevated access tokens. */
gboolean         flow_step_up_enforced (Flow         *f);
/* How many requests the sandbox logged for @method on a path ending in @path. */
guint            flow_count_requests  (Flow          *f,
                                       const char    *method,
                                       const char    *path);
/* How many requests the sandbox logged for this environment, whatever they were. */
guint            flow_count_all_requests (Flow       *f);
/* New user from the email to signed in. */
void             flow_sign_up         (Flow          *f);
/* Returning user: email code then the key. */
void             flow_sign_in         (Flow          *f);
/* Signs out, checked to succeed and to end signed out. */
void             flow_sign_out        (Flow          *f);
/* Each checked to succeed: the recovery codes fetched (a copy of them), a step-up for @scope,
 * and @passkey deleted. */
char           **flow_fetch_recovery_codes (Flow     *f);
void             flow_step_up         (Flow          *f,
                                       const char    *scope);
void             flow_delete_passkey  (Flow          *f,
                                       KtPasskey     *passkey);

/* The controller's API client (its first part). */
KtApiClient     *flow_api_client      (Flow          *f);
/* How many passkeys the controller lists, and a new reference to the one at @position. */
guint            flow_count_passkeys  (Flow          *f);
KtPasskey       *flow_passkey_at      (Flow          *f,
                                       guint          position);

/* Fails the test if a regular file in the user's directories (home, config, data, cache,
 * runtime, state) holds one of @needles (GBytes), which it calls @what; and if it read none. */
void             flow_assert_not_in_files (GPtrArray  *needles,
                                           const char *what);

/* The session the keyring holds now for this sandbox, or NULL. */
KtStoredSession *flow_stored_session  (Flow          *f);

G_END_DECLS
