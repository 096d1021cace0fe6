/* kt-mfa-controller-private.h: what the controller's files share
 *
 * kt-mfa-controller.c holds the object, its operations and the decision of the next step;
 * kt-mfa-controller-sign-in.c restoring the kept session and signing in with an email code (or a
 * recovery code); kt-mfa-controller-session.c the session kept fresh and handed out;
 * kt-mfa-controller-passkeys.c the security-key ceremonies and the key's PIN;
 * kt-mfa-controller-step-up.c the step-up that guards some actions; kt-mfa-controller-account.c
 * what a signed-in person does with their passkeys and recovery codes, and signing out. Each
 * calls only the files listed before it (account calls step-up and passkeys, step-up calls
 * passkeys). The session's tokens live in a KtSessionKeeper; a step-up's next action and scope
 * travel on its task as "kt-step-up-next" and "kt-step-up-scope", and a step-up whose token is
 * handed to another application, not kept, sets "kt-step-up-hand-out" and finds the server's
 * answer in "kt-step-up-response".
 *
 * Copyright 2026 Keyturn developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "kt-mfa-controller.h"
#include "kt-session-keeper.h"

G_BEGIN_DECLS

struct _KtMfaController
{
  GObject parent_instance;

  /* Owned */
  KtSessionKeeper *keeper;
  GCancellable *operation;      /* the running operation's, NULL when idle */
  KtUser *user;
  GListStore *passkeys;
  char **recovery_codes;
  char *email;
  char *verification_uuid;
  GError *error;

  /* State */
  KtMfaStep step;
  gint64 code_sent_at;
  gint64 resend_available_at;
  guint busy : 1;
  guint unchecked_session : 1;  /* the keyring's session waits for the server to be reachable */
  guint api_version_known : 1;  /* the environment's settings were read once */
  guint scoped_step_up : 1;     /* it is on API version 2026_04_01: elevated access tokens */

  /* Borrowed: the clients the caller passed in and may share (a reference is kept), and the
   * handlers connected to them */
  KtApiClient *api;
  KtWebauthnClient *authenticator;
  gulong unauthorized_handler;
  gulong pin_handler;
  gulong state_handler;
  gulong retries_handler;
};

/* A step of the operation behind @task: its first, or what it does next once a step-up has
 * earned the token it needed. */
typedef void (*KtMfaControllerNext) (KtMfaController *self,
                                     GTask           *task);

/* kt-mfa-controller.c */

/* Starts an operation: NULL (the task already answered) when another one runs. */
GTask   *kt_mfa_controller_begin_operation (KtMfaController     *self,
                                            gpointer             source_tag,
                                            GCancellable        *cancellable,
                                            GAsyncReadyCallback  callback,
                                            gpointer             user_data);
/* Starts an operation and runs its @first_step, unless another one runs (then the task has
 * already answered). */
void     kt_mfa_controller_start           (KtMfaController     *self,
                                            gpointer             source_tag,
                                            KtMfaControllerNext  first_step,
                                            GCancellable        *cancellable,
                                            GAsyncReadyCallback  callback,
                                            gpointer             user_data);
/* Ends an operation: takes @task and @error. */
void     kt_mfa_controller_end_operation   (KtMfaController     *self,
                                            GTask               *task,
                                            GError              *error);
/* The error exit of a step: unless @succeeded, ends the operation with @error and returns TRUE,
 * for the caller to return at once. */
gboolean kt_mfa_controller_end_on_failure  (KtMfaController     *self,
                                            GTask               *task,
                                            gboolean             succeeded,
                                            GError             **error);
/* Ends the operation with one of the controller's own refusals (KT_MFA_CONTROLLER_ERROR). */
void     kt_mfa_controller_refuse          (KtMfaController     *self,
                                            GTask               *task,
                                            KtMfaControllerError code,
                                            const char          *message);

/* The check of a recovery code, @code as trimmed: when nothing is left of it, ends the operation
 * with a refusal and returns TRUE, for the caller to return at once. */
gboolean kt_mfa_controller_refuse_missing_code (KtMfaController *self,
                                                GTask           *task,
                                                const char      *code);

/* The properties' setters: each notifies only a change. */
void     kt_mfa_controller_set_step        (KtMfaController     *self,
                                            KtMfaStep            step);
/* The user as the server sees them now (NULL: nobody). */
void     kt_mfa_controller_set_user        (KtMfaController     *self,
                                            KtUser              *user);
/* The address the code goes to; the keeper labels the keyring's item with it. */
void     kt_mfa_controller_set_email       (KtMfaController     *self,
                                            const char          *email);
/* When a code was sent (0: none), which sets when another may be asked for. */
void     kt_mfa_controller_set_code_sent_at (KtMfaController    *self,
                                             gint64              sent_at);
/* When another code may be asked for, as the server's own wait says. */
void     kt_mfa_controller_set_resend_available_at (KtMfaController *self,
                                                    gint64           available_at);
/* Whether the keyring's session waits for the server to be reachable. */
void     kt_mfa_controller_set_unchecked_session (KtMfaController *self,
                                                  gboolean         unchecked);

/* Forgets everything about the session, here and in the keyring. */
void     kt_mfa_controller_drop_session    (KtMfaController     *self);

/* Moves to the step @user is at, then ends the operation behind @task; @passkeys, when not NULL,
 * is the user's list as just fetched, which spares fetching it again. */
void     kt_mfa_controller_advance         (KtMfaController     *self,
                                            GTask               *task,
                                            KtUser              *user,
                                            GListModel          *passkeys);

void     kt_mfa_controller_set_recovery_codes (KtMfaController  *self,
                                               char            **codes);
/* Replaces the passkeys in place, so that rows bound to unchanged passkeys stay. */
void     kt_mfa_controller_set_passkeys    (KtMfaController     *self,
                                            GListModel          *passkeys);

/* kt-mfa-controller-passkeys.c */

/* The check of a passkey's name, @name as trimmed: unless it has 1 to 64 characters (or none,
 * unless @required), ends the operation with a refusal and returns TRUE, for the caller to return
 * at once. */
gboolean kt_mfa_controller_refuse_bad_name (KtMfaController     *self,
                                            GTask               *task,
                                            const char          *name,
                                            gboolean             required);
/* Begins a registration of a key named @alias, whose answer carries the token held for
 * @elevated_scope (NULL: none); NULL (the task already answered) when @alias cannot be a name. */
GTask   *kt_mfa_controller_begin_registration (KtMfaController     *self,
                                               gpointer             source_tag,
                                               const char          *alias,
                                               gboolean             name_required,
                                               const char          *elevated_scope,
                                               GCancellable        *cancellable,
                                               GAsyncReadyCallback  callback,
                                               gpointer             user_data);
/* Runs the registration ceremony for the operation behind @task. */
void     kt_mfa_controller_start_registration (KtMfaController  *self,
                                               GTask            *task);
/* Runs the authentication ceremony for the operation behind @task: a step-up when the task
 * carries "kt-step-up-next" (asking for an elevated token for "kt-step-up-scope", or the MFA
 * token when that is NULL), signing in otherwise. */
void     kt_mfa_controller_authenticate_with_key (KtMfaController *self,
                                                  GTask           *task);
/* Takes the tokens a step-up's proof (the key's or a recovery code's) earned in @response. For a
 * token handed out to another application ("kt-step-up-hand-out") only the session's part is
 * taken, @response waits on the task as "kt-step-up-response", and this returns TRUE. */
gboolean kt_mfa_controller_keep_proof      (KtMfaController     *self,
                                            GTask               *task,
                                            KtVerifyResponse    *response);

/* kt-mfa-controller-step-up.c */

/* Calls @next once the action behind @task may go ahead: at once in a legacy environment (API
 * version 2026_01_01, where the server asks with a 403 and step_up_once answers) or while an
 * elevated token for @scope is held; otherwise after POST /stepUp/check and, when that says
 * required or fails, the key's ceremony asking for @scope. */
void     kt_mfa_controller_step_up         (KtMfaController     *self,
                                            GTask               *task,
                                            const char          *scope,
                                            KtMfaControllerNext  next);

/* Once per operation, when @error is the server asking for a fresh second factor: touches the
 * key for an MFA token, then calls @next to ask again. FALSE when it did not. */
gboolean kt_mfa_controller_step_up_once    (KtMfaController     *self,
                                            GTask               *task,
                                            const GError        *error,
                                            KtMfaControllerNext  next);

G_END_DECLS
