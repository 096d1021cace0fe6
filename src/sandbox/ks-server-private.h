/* ks-server-private.h: what the server's routing shares with the endpoint handlers
 *
 * Copyright 2026 Keyturn developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <json-glib/json-glib.h>
#include <libsoup/soup.h>

#include "ks-config.h"
#include "ks-device-signature.h"
#include "ks-json.h"
#include "ks-secret.h"
#include "ks-server.h"
#include "ks-store.h"
#include "ks-tokens.h"

G_BEGIN_DECLS

#define KS_MAX_BODY_SIZE        (64 * 1024)
#define KS_STATUS_TOO_MANY_REQUESTS 429   /* libsoup has no name for it */
#define KS_EMAIL_CODE_ATTEMPTS  5
#define KS_EMAIL_MAX_SENDS      5
#define KS_RECOVERY_ATTEMPTS    5
#define KS_RECOVERY_WINDOW_MS   (15 * 60 * 1000)

struct _KsServer {
  /* owned */
  char       *data_dir;
  char       *outbox_dir;
  KsConfig   *config;
  KsStore    *store;
  KsSecret   *secret;
  GHashTable *signers;                /* environment id -> KsSigner */
  GHashTable *prepared_keys;          /* passkey id -> KsWebauthnKey, decoded once */
  SoupServer *soup;
  char       *base_url;
  guint       port;
  guint       cleanup_source;
};

typedef struct {
  /* borrowed */
  KsServer          *server;
  SoupServerMessage *msg;
  KsEnvironment     *env;
  KsSigner          *signer;
  const char        *path_arg;        /* the {id} of /users/mfa/{id} */

  /* owned */
  char              *request_id;
  JsonObject        *body;
  JsonObject        *claims;          /* the access token's, once authenticated */
  KsSession         *session;
  KsUser            *user;
  gboolean           full_scope;
  char              *elevated_token;  /* minted for requestedScopes, for the VerifyResponse */

  /* Commit even though the answer is an error: spent tries and challenges must stay spent. */
  gboolean           keep_changes;
  gboolean           replied;
} KsRequest;

typedef void (*KsHandler) (KsRequest *req);

/* Dynamic's error body, {"error", "code", "payload"?}, and a message's JSON body. */
JsonObject *ks_error_object           (const char        *code,
                                       const char        *message,
                                       JsonObject        *payload);
void        ks_message_set_json_body  (SoupServerMessage *msg,
                                       JsonObject        *object);

/* Answers: each sets the status and the JSON body of the reply. */
void      ks_request_reply_json          (KsRequest   *req,
                                          guint        status,
                                          JsonObject  *object);
/* @text is JSON text (see ks-json.h), taken. */
void      ks_request_reply_text          (KsRequest   *req,
                                          guint        status,
                                          GString     *text);
void      ks_request_reply_empty         (KsRequest   *req);
void      ks_request_reply_error         (KsRequest   *req,
                                          guint        status,
                                          const char  *code,
                                          const char  *message);
void      ks_request_reply_error_payload (KsRequest   *req,
                                          guint        status,
                                          const char  *code,
                                          const char  *message,
                                          JsonObject  *payload);
/* 429 mfa_rate_limited, with Retry-After and payload.retryAfter (seconds, at least 1). */
void      ks_request_reply_rate_limited  (KsRequest   *req,
                                          gint64       retry_after,
                                          const char  *message);
void      ks_request_reply_internal      (KsRequest   *req,
                                          GError      *error);

/* A request header, or NULL. */
const char *ks_request_get_header        (KsRequest   *req,
                                          const char  *name);

/* Body members; on a missing or wrong-typed member they answer 400 and return FALSE. */
gboolean  ks_request_get_string          (KsRequest   *req,
                                          JsonObject  *object,
                                          const char  *name,
                                          gboolean     required,
                                          const char **out);
gboolean  ks_request_get_object          (KsRequest   *req,
                                          JsonObject  *object,
                                          const char  *name,
                                          gboolean     required,
                                          JsonObject **out);

/* Step-up: when the environment guards @action, a valid x-mfa-auth-token is spent here. */
gboolean  ks_request_require_mfa_token   (KsRequest   *req,
                                          KsAction     action);
/* The stored MFA token (or single-use elevated token) behind @hash in @record, NULL when the
 * store has none; FALSE, having answered 500, when the store cannot be read. */
gboolean  ks_request_find_mfa_token      (KsRequest   *req,
                                          GBytes      *hash,
                                          KsMfaToken **record);
/* Marks the token behind @hash used; FALSE, having answered 500, when the store fails. */
gboolean  ks_request_spend_mfa_token     (KsRequest   *req,
                                          GBytes      *hash);
/* Spends @key, good for one use, as @record says (see ks_store_spend_challenge). FALSE, having
 * answered @status with @code and @message when it was spent already, or 500, when it cannot be
 * spent. */
gboolean  ks_request_spend_once          (KsRequest          *req,
                                          const char         *key,
                                          const KsChallenge  *record,
                                          guint               status,
                                          const char         *code,
                                          const char         *message);
/* The key an MFA token, or a single-use elevated one, is stored under: the SHA-256 of @text. */
GBytes   *ks_token_hash                  (const char  *text);

/* Step-up (ks-api-step-up.c). On an enforced environment @action needs an elevated access token
 * of its scope in x-dyn-elevated-access-token; on a legacy one, an x-mfa-auth-token as the
 * environment says. FALSE (having answered 403) when the request may not go on. */
gboolean    ks_request_require_step_up   (KsRequest   *req,
                                          KsAction     action);
/* The scope guarding @action on an enforced environment, or NULL. */
const char *ks_step_up_scope_for         (KsAction     action);
/* Every scope a client may ask for, NULL-terminated. */
const char * const *ks_step_up_known_scopes (void);
/* Reads the body's requestedScopes (*out NULL when absent); FALSE, having answered 400, when
 * it is not a list of known scopes. */
gboolean    ks_step_up_read_scopes       (KsRequest   *req,
                                          GStrv       *out);
/* An elevated access token for @scopes, signed by the environment's key. */
char       *ks_step_up_mint              (KsRequest           *req,
                                          const char * const  *scopes,
                                          GError             **error);

/* Answers 200 with a VerifyResponse for @session (scope from its state), signing a new access
 * token; @mfa_token and @next_view may be NULL. FALSE when it answered 500 instead. */
gboolean    ks_request_reply_verify_response (KsRequest   *req,
                                              KsSession   *session,
                                              KsUser      *user,
                                              gboolean     new_user,
                                              const char  *mfa_token,
                                              const char  *next_view);
/* Opens the claims of a token the environment signs for @user's @session: kid, aud, iss, sub,
 * sid and environment_id; the caller writes its own and closes the object. */
void        ks_request_begin_claims      (KsRequest   *req,
                                          GString     *claims,
                                          KsUser      *user,
                                          KsSession   *session);
/* Writes the user object of a VerifyResponse and of GET /users. */
void        ks_request_write_user        (GString     *out,
                                          KsUser      *user,
                                          KsSession   *session,
                                          const char  *scope,
                                          gboolean     new_user);
char       *ks_iso8601                   (gint64       unix_ms);

/* Device-signed requests: whether the route is one of Dynamic's signed endpoints, and the check
 * of the three headers (TRUE to go on; FALSE when it answered the request). */
gboolean  ks_device_signature_route          (const char  *route_path);
gboolean  ks_request_check_device_signature  (KsRequest   *req,
                                              gboolean     signed_route);

/* The handlers, by endpoint. */
void ks_api_settings                  (KsRequest *req);
void ks_api_jwks                      (KsRequest *req);
void ks_api_email_create              (KsRequest *req);
void ks_api_email_retry               (KsRequest *req);
void ks_api_email_signin              (KsRequest *req);
void ks_api_get_user                  (KsRequest *req);
void ks_api_update_user               (KsRequest *req);
void ks_api_refresh                   (KsRequest *req);
void ks_api_revoke                    (KsRequest *req);
void ks_api_session                   (KsRequest *req);
void ks_api_nonces                    (KsRequest *req);

void ks_api_list_passkeys             (KsRequest *req);
void ks_api_register_options          (KsRequest *req);
void ks_api_register_passkey          (KsRequest *req);
void ks_api_auth_options      (KsRequest *req);
void ks_api_rename_passkey            (KsRequest *req);
void ks_api_delete_passkey            (KsRequest *req);
void ks_api_mfa_auth_passkey          (KsRequest *req);
void ks_api_mfa_methods               (KsRequest *req);
void ks_api_mfa_devices               (KsRequest *req);
void ks_api_delete_device         (KsRequest *req);
void ks_api_recovery_codes        (KsRequest *req);
void ks_api_renew_codes        (KsRequest *req);
void ks_api_auth_recovery         (KsRequest *req);
void ks_api_step_up_check         (KsRequest *req);

G_END_DECLS
