/* ks-store.h: the sandbox's state in SQLite: users, sessions, email codes, passkeys, challenges,
 * recovery codes and MFA tokens
 *
 * Copyright 2026 Keyturn developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define KS_STORE_ERROR (ks_store_error_quark ())

typedef enum {
  KS_STORE_ERROR_FAILED,
  KS_STORE_ERROR_NOT_FOUND,
  KS_STORE_ERROR_CONSTRAINT,
} KsStoreError;

GQuark ks_store_error_quark (void);

typedef struct _KsStore KsStore;

typedef struct {
  char   *id;
  char   *environment_id;
  char   *email;
  char   *email_credential_id;
  char   *mfa_acknowledgement;      /* NULL, "pending" or "complete" */
  gint64  created_at;               /* all times: unix milliseconds */
  gint    recovery_failures;
  gint64  recovery_window_start;
} KsUser;

typedef struct {
  char     *id;
  char     *environment_id;
  char     *user_id;
  gint64    created_at;
  gint64    expires_at;
  gboolean  revoked;
  gboolean  mfa_done;
  char     *last_credential_id;
} KsSession;

typedef struct {
  char     *id;
  char     *environment_id;
  char     *user_id;
  GBytes   *credential_id;
  GBytes   *public_key;
  gint64    algorithm;
  guint32   sign_count;
  guint8    aaguid[16];
  gboolean  backup_eligible;
  gboolean  backup_state;
  char     *alias;
  char     *origin;
  char     *user_agent;
  char    **transports;
  char     *attestation_format;
  gint64    created_at;
  gint64    updated_at;
} KsPasskey;

typedef struct {
  char     *id;
  char     *environment_id;
  char     *email;
  GBytes   *code_mac;
  gint64    created_at;
  gint64    expires_at;
  gint64    last_sent_at;
  gint      sends;
  gint      attempts_left;
  gboolean  used;
} KsEmailVerification;

typedef struct {
  char     *session_id;
  char     *kind;                     /* "register" or "authenticate" */
  gint64    expires_at;
} KsChallenge;

typedef struct {
  gint      position;
  GBytes   *sealed;
  gboolean  used;
} KsRecoveryCode;

typedef struct {
  char     *session_id;
  gint64    expires_at;
  gboolean  single_use;
  gboolean  used;
} KsMfaToken;

void ks_user_free               (KsUser              *user);
void ks_session_free            (KsSession           *session);
void ks_passkey_free            (KsPasskey           *passkey);
void ks_email_verification_free (KsEmailVerification *verification);
void ks_challenge_free          (KsChallenge         *challenge);
void ks_recovery_code_free      (KsRecoveryCode      *code);
void ks_mfa_token_free          (KsMfaToken          *token);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (KsUser, ks_user_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (KsSession, ks_session_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (KsPasskey, ks_passkey_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (KsEmailVerification, ks_email_verification_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (KsChallenge, ks_challenge_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (KsRecoveryCode, ks_recovery_code_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (KsMfaToken, ks_mfa_token_free)

gint64    ks_now_ms                        (void);

KsStore  *ks_store_open                    (const char           *path,
                                            GError              **error);
void      ks_store_free                    (KsStore              *self);

/* One request, one transaction: _begin takes the write lock at once, _begin_read only reads. */
gboolean  ks_store_begin                   (KsStore              *self,
                                            GError              **error);
gboolean  ks_store_begin_read              (KsStore              *self,
                                            GError              **error);
gboolean  ks_store_commit                  (KsStore              *self,
                                            GError              **error);
void      ks_store_rollback                (KsStore              *self);

char     *ks_store_get_meta                (KsStore              *self,
                                            const char           *key,
                                            GError              **error);
gboolean  ks_store_set_meta                (KsStore              *self,
                                            const char           *key,
                                            const char           *value,
                                            GError              **error);

/* Users. The getters answer NULL with no error when there is no such row. */
KsUser   *ks_store_get_user                (KsStore              *self,
                                            const char           *id,
                                            GError              **error);
KsUser   *ks_store_get_user_by_email       (KsStore              *self,
                                            const char           *environment_id,
                                            const char           *email,
                                            GError              **error);
GPtrArray *ks_store_list_users             (KsStore              *self,
                                            GError              **error);
gboolean  ks_store_insert_user             (KsStore              *self,
                                            const KsUser         *user,
                                            GError              **error);
gboolean  ks_store_set_acknowledgement     (KsStore              *self,
                                            const char           *user_id,
                                            const char           *value,
                                            GError              **error);
gboolean  ks_store_set_recovery_failures   (KsStore              *self,
                                            const char           *user_id,
                                            gint                  failures,
                                            gint64                window_start,
                                            GError              **error);
/* The help-desk path: passkeys, recovery codes and acknowledgement gone, sessions revoked. */
gboolean  ks_store_reset_mfa               (KsStore              *self,
                                            const char           *user_id,
                                            GError              **error);

/* Email verifications. */
gboolean  ks_store_insert_verification     (KsStore              *self,
                                            const KsEmailVerification *verification,
                                            GError              **error);
gboolean  ks_store_update_verification     (KsStore              *self,
                                            const KsEmailVerification *verification,
                                            GError              **error);
KsEmailVerification *ks_store_get_verification (KsStore          *self,
                                            const char           *id,
                                            GError              **error);
gint64    ks_store_count_verifications_since (KsStore            *self,
                                            const char           *environment_id,
                                            const char           *email,
                                            gint64                since,
                                            GError              **error);

/* What is counted of email codes, for the limits across verifications and addresses. */
typedef enum {
  KS_EMAIL_EVENT_SENT,
  KS_EMAIL_EVENT_WRONG_GUESS,
} KsEmailEvent;

gboolean  ks_store_add_email_event         (KsStore              *self,
                                            KsEmailEvent          kind,
                                            const KsEmailVerification *verification,
                                            gint64                at,
                                            GError              **error);
/* Events of @kind at or after @since: of @verification_id when it is not NULL, else of @email
 * when that is not NULL, else of the whole environment. *@oldest (may be NULL) gets the time of
 * the oldest counted. Answers -1 on error. */
gint64    ks_store_count_email_events      (KsStore              *self,
                                            KsEmailEvent          kind,
                                            const char           *environment_id,
                                            const char           *email,
                                            const char           *verification_id,
                                            gint64                since,
                                            gint64               *oldest,
                                            GError              **error);
/* Forgets events before @before, except those of verifications that are still kept. */
gboolean  ks_store_delete_old_email_events (KsStore              *self,
                                            gint64                before,
                                            GError              **error);

/* Sessions. */
gboolean  ks_store_insert_session          (KsStore              *self,
                                            const KsSession      *session,
                                            GError              **error);
KsSession *ks_store_get_session            (KsStore              *self,
                                            const char           *id,
                                            GError              **error);
/* The session and, in *out_user, its user (NULL when that row is gone). */
KsSession *ks_store_get_session_with_user  (KsStore              *self,
                                            const char           *id,
                                            KsUser              **out_user,
                                            GError              **error);
gboolean  ks_store_complete_session_mfa    (KsStore              *self,
                                            const char           *session_id,
                                            const char           *credential_id,
                                            GError              **error);
gboolean  ks_store_revoke_session          (KsStore              *self,
                                            const char           *session_id,
                                            GError              **error);

/* Passkeys. */
gboolean  ks_store_insert_passkey          (KsStore              *self,
                                            const KsPasskey      *passkey,
                                            GError              **error);
KsPasskey *ks_store_get_passkey            (KsStore              *self,
                                            const char           *id,
                                            GError              **error);
KsPasskey *ks_store_get_passkey_by_credential (KsStore           *self,
                                            const char           *environment_id,
                                            GBytes               *credential_id,
                                            GError              **error);
GPtrArray *ks_store_list_passkeys          (KsStore              *self,
                                            const char           *user_id,
                                            GError              **error);
/* The same passkeys with only credential_id and transports read, for WebAuthn options. */
GPtrArray *ks_store_list_credentials       (KsStore              *self,
                                            const char           *user_id,
                                            GError              **error);
gboolean  ks_store_update_passkey_use      (KsStore              *self,
                                            const char           *id,
                                            guint32               sign_count,
                                            gboolean              backup_state,
                                            GError              **error);
gboolean  ks_store_rename_passkey          (KsStore              *self,
                                            const char           *id,
                                            const char           *alias,
                                            GError              **error);
gboolean  ks_store_delete_passkey          (KsStore              *self,
                                            const char           *id,
                                            GError              **error);

/* WebAuthn challenges are stateless until answered; a spent one is kept until it expires, so a
 * replay is told apart. Answers FALSE with KS_STORE_ERROR_CONSTRAINT when already spent. */
gboolean  ks_store_spend_challenge         (KsStore              *self,
                                            const char           *challenge,
                                            const KsChallenge    *record,
                                            GError              **error);
gboolean  ks_store_delete_expired          (KsStore              *self,
                                            gint64                now,
                                            GError              **error);

/* Recovery codes, sealed by the caller. */
gboolean  ks_store_replace_recovery_codes  (KsStore              *self,
                                            const char           *user_id,
                                            GPtrArray            *sealed,
                                            GError              **error);
GPtrArray *ks_store_list_recovery_codes    (KsStore              *self,
                                            const char           *user_id,
                                            GError              **error);
gboolean  ks_store_spend_recovery_code     (KsStore              *self,
                                            const char           *user_id,
                                            gint                  position,
                                            GError              **error);

/* MFA tokens, by the SHA-256 of the token. */
gboolean  ks_store_insert_mfa_token        (KsStore              *self,
                                            GBytes               *token_hash,
                                            const KsMfaToken     *token,
                                            GError              **error);
KsMfaToken *ks_store_get_mfa_token         (KsStore              *self,
                                            GBytes               *token_hash,
                                            GError              **error);
gboolean  ks_store_spend_mfa_token         (KsStore              *self,
                                            GBytes               *token_hash,
                                            GError              **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (KsStore, ks_store_free)

G_END_DECLS
