/* ks-test-server.h: starts the real keyturn-sandbox for a test and talks to it over HTTP
 *
 * Copyright 2026 Keyturn developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <json-glib/json-glib.h>
#include <libsoup/soup.h>

G_BEGIN_DECLS

typedef struct {
  GPid         pid;
  char        *root;                  /* temporary: holds data/, config.json and server.log */
  char        *data_dir;
  char        *config_path;           /* NULL for the demo environment */
  char        *base_url;
  char        *environment_id;
  char        *origin;
  char        *rp_id;
  char        *api;                   /* base_url + "/sdk/" + environment_id */
  SoupSession *session;
} KsTestServer;

/* Starts the sandbox on 127.0.0.1:0 in a new temporary directory; @config_json may be NULL. */
KsTestServer *ks_test_server_start       (const char    *config_json);
/* Stops it (SIGKILL when @kill_hard, else SIGTERM) and starts it again on the same data. */
void          ks_test_server_restart     (KsTestServer  *self,
                                          gboolean       kill_hard);
void          ks_test_server_kill        (KsTestServer  *self);
void          ks_test_server_free        (KsTestServer  *self);

/* One request: @path is under /sdk/{environmentId} unless it starts with "http". Answers the
 * status; *out_reply holds the JSON object answered (or NULL). */
guint         ks_test_request            (KsTestServer  *self,
                                          const char    *method,
                                          const char    *path,
                                          const char    *token,
                                          const char    *mfa_token,
                                          const char    *body,
                                          JsonObject   **out_reply);
guint         ks_test_request_object     (KsTestServer  *self,
                                          const char    *method,
                                          const char    *path,
                                          const char    *token,
                                          const char    *mfa_token,
                                          JsonObject    *body,
                                          JsonObject   **out_reply);

/* The code in the newest outbox email to @email. */
char         *ks_test_server_read_code   (KsTestServer  *self,
                                          const char    *email);
/* The newest outbox email to @email, whole. */
char         *ks_test_server_read_email  (KsTestServer  *self,
                                          const char    *email);
/* Email code sign-in; answers the VerifyResponse. */
JsonObject   *ks_test_sign_in            (KsTestServer  *self,
                                          const char    *email);
/* An error reply's "code", asserting the body has the {error, code} shape. */
const char   *ks_test_error_code         (JsonObject    *reply);
/* A decoded JWT payload. */
JsonObject   *ks_test_jwt_claims         (const char    *jwt);
JsonObject   *ks_test_parse_object       (const char    *json);
char         *ks_test_unique_email       (const char    *prefix);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (KsTestServer, ks_test_server_free)

G_END_DECLS
