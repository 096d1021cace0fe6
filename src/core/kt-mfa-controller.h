/* kt-mfa-controller.h: the whole sign-in flow as one object the pages bind to
 *
 * The controller owns the session: the API client, the keyring entry and the security-key
 * ceremonies. It exposes one `step` and the data that step needs; pages read properties and
 * call the _async methods, and never talk to the network, the keyring or a key themselves.
 *
 * Copyright 2026 Keyturn developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

#include "kt-api-client.h"
#include "kt-mfa-step.h"
#include "kt-session-store.h"
#include "kt-webauthn-client.h"

G_BEGIN_DECLS

#define KT_MFA_CONTROLLER_ERROR (kt_mfa_controller_error_quark ())

/**
 * KtMfaControllerError:
 * @KT_MFA_CONTROLLER_ERROR_BUSY: another operation is still running; only one runs at a time
 * @KT_MFA_CONTROLLER_ERROR_INVALID_INPUT: what the person entered cannot be right (an email
 *   address, a code, a passkey's name); nothing was sent
 * @KT_MFA_CONTROLLER_ERROR_WRONG_STEP: the operation needs an earlier step first (a code checked
 *   or sent again before any was sent)
 * @KT_MFA_CONTROLLER_ERROR_NOT_REVOKED: signed out on this computer, but the server could not be
 *   told to end the session, which stays valid there until it expires
 *
 * The controller's own refusals; what the server, the keyring or the key answered keeps its
 * domain (KT_API_ERROR, KT_SESSION_STORE_ERROR, KT_WEBAUTHN_ERROR), and a cancelled operation
 * fails with G_IO_ERROR_CANCELLED as GIO code expects. Every message in this domain is
 * translated and fit to show as it is.
 */
typedef enum {
  KT_MFA_CONTROLLER_ERROR_BUSY,
  KT_MFA_CONTROLLER_ERROR_INVALID_INPUT,
  KT_MFA_CONTROLLER_ERROR_WRONG_STEP,
  KT_MFA_CONTROLLER_ERROR_NOT_REVOKED,
} KtMfaControllerError;

GQuark           kt_mfa_controller_error_quark          (void);

#define KT_TYPE_MFA_CONTROLLER (kt_mfa_controller_get_type ())

G_DECLARE_FINAL_TYPE (KtMfaController, kt_mfa_controller, KT, MFA_CONTROLLER, GObject)

KtMfaController *kt_mfa_controller_new                  (KtApiClient      *api,
                                                         KtSessionStore   *store,
                                                         KtWebauthnClient *authenticator);

KtMfaStep        kt_mfa_controller_get_step             (KtMfaController  *self);
gboolean         kt_mfa_controller_get_busy             (KtMfaController  *self);
KtUser          *kt_mfa_controller_get_user             (KtMfaController  *self);
const char      *kt_mfa_controller_get_email            (KtMfaController  *self);
GListModel      *kt_mfa_controller_get_passkeys         (KtMfaController  *self);
const char * const *kt_mfa_controller_get_recovery_codes (KtMfaController *self);
const GError    *kt_mfa_controller_get_error            (KtMfaController  *self);
gboolean         kt_mfa_controller_get_remembered       (KtMfaController  *self);
const char      *kt_mfa_controller_get_not_remembered_reason (KtMfaController *self);
gboolean         kt_mfa_controller_get_has_mfa_token    (KtMfaController  *self);
gint64           kt_mfa_controller_get_code_sent_at     (KtMfaController  *self);
gint64           kt_mfa_controller_get_resend_available_at (KtMfaController *self);
gboolean         kt_mfa_controller_get_unchecked_session (KtMfaController *self);
gboolean         kt_mfa_controller_get_saving           (KtMfaController  *self);
KtWebauthnState  kt_mfa_controller_get_authenticator_state (KtMfaController *self);
int              kt_mfa_controller_get_pin_retries      (KtMfaController  *self);
void             kt_mfa_controller_clear_error          (KtMfaController  *self);

/* Every operation below finishes with TRUE, or FALSE and the error that the `error` property
 * also shows, so a caller that only watches the properties may pass no callback. Only one runs
 * at a time; starting another while busy fails with KT_MFA_CONTROLLER_ERROR_BUSY. */

void     kt_mfa_controller_restore_async               (KtMfaController     *self,
                                                        GCancellable        *cancellable,
                                                        GAsyncReadyCallback  callback,
                                                        gpointer             user_data);
void     kt_mfa_controller_send_code_async             (KtMfaController     *self,
                                                        const char          *email,
                                                        GCancellable        *cancellable,
                                                        GAsyncReadyCallback  callback,
                                                        gpointer             user_data);
void     kt_mfa_controller_resend_code_async           (KtMfaController     *self,
                                                        GCancellable        *cancellable,
                                                        GAsyncReadyCallback  callback,
                                                        gpointer             user_data);
void     kt_mfa_controller_verify_code_async           (KtMfaController     *self,
                                                        const char          *code,
                                                        GCancellable        *cancellable,
                                                        GAsyncReadyCallback  callback,
                                                        gpointer             user_data);
/* Registers a security key as the user's passkey, named @alias when one is given. */
void     kt_mfa_controller_register_passkey_async      (KtMfaController     *self,
                                                        const char          *alias,
                                                        GCancellable        *cancellable,
                                                        GAsyncReadyCallback  callback,
                                                        gpointer             user_data);
/* A signed-in user adds another security key, named @alias (required): after a step-up with a
 * key already registered (credential:link) where the environment enforces one, the same
 * ceremony as registering the first. */
void     kt_mfa_controller_add_passkey_async           (KtMfaController     *self,
                                                        const char          *alias,
                                                        GCancellable        *cancellable,
                                                        GAsyncReadyCallback  callback,
                                                        gpointer             user_data);
/* Earns the elevated token an action of @scope (KT_SCOPE_*) will need, with a registered key,
 * where the environment enforces step-up and holds none yet; ends at once otherwise. Adding a key
 * calls this first, so that the key already registered is touched before the new one is
 * inserted; kt_mfa_controller_add_passkey_async() then uses the token. */
void     kt_mfa_controller_step_up_async               (KtMfaController     *self,
                                                        const char          *scope,
                                                        GCancellable        *cancellable,
                                                        GAsyncReadyCallback  callback,
                                                        gpointer             user_data);
/* The alternative to the key for an action's step-up: spends @code for an elevated token for
 * @scope (KT_SCOPE_*), or the legacy MFA token, and ends; asking for the action again then uses
 * it without touching the key. */
void     kt_mfa_controller_step_up_with_recovery_code_async (KtMfaController *self,
                                                        const char          *scope,
                                                        const char          *code,
                                                        GCancellable        *cancellable,
                                                        GAsyncReadyCallback  callback,
                                                        gpointer             user_data);
/* Proves the second factor with a registered key; the server's single-use MFA token is kept
 * (see has-mfa-token and kt_mfa_controller_take_mfa_token()). */
void     kt_mfa_controller_authenticate_passkey_async  (KtMfaController     *self,
                                                        GCancellable        *cancellable,
                                                        GAsyncReadyCallback  callback,
                                                        gpointer             user_data);
void     kt_mfa_controller_use_recovery_code_async     (KtMfaController     *self,
                                                        const char          *code,
                                                        GCancellable        *cancellable,
                                                        GAsyncReadyCallback  callback,
                                                        gpointer             user_data);
void     kt_mfa_controller_fetch_recovery_codes_async  (KtMfaController     *self,
                                                        GCancellable        *cancellable,
                                                        GAsyncReadyCallback  callback,
                                                        gpointer             user_data);
void     kt_mfa_controller_acknowledge_recovery_codes_async (KtMfaController *self,
                                                        GCancellable        *cancellable,
                                                        GAsyncReadyCallback  callback,
                                                        gpointer             user_data);
void     kt_mfa_controller_new_recovery_codes_async    (KtMfaController     *self,
                                                        GCancellable        *cancellable,
                                                        GAsyncReadyCallback  callback,
                                                        gpointer             user_data);
void     kt_mfa_controller_refresh_passkeys_async      (KtMfaController     *self,
                                                        GCancellable        *cancellable,
                                                        GAsyncReadyCallback  callback,
                                                        gpointer             user_data);
void     kt_mfa_controller_rename_passkey_async        (KtMfaController     *self,
                                                        KtPasskey           *passkey,
                                                        const char          *alias,
                                                        GCancellable        *cancellable,
                                                        GAsyncReadyCallback  callback,
                                                        gpointer             user_data);
void     kt_mfa_controller_delete_passkey_async        (KtMfaController     *self,
                                                        KtPasskey           *passkey,
                                                        GCancellable        *cancellable,
                                                        GAsyncReadyCallback  callback,
                                                        gpointer             user_data);
void     kt_mfa_controller_refresh_session_async       (KtMfaController     *self,
                                                        GCancellable        *cancellable,
                                                        GAsyncReadyCallback  callback,
                                                        gpointer             user_data);
void     kt_mfa_controller_sign_out_async              (KtMfaController     *self,
                                                        GCancellable        *cancellable,
                                                        GAsyncReadyCallback  callback,
                                                        gpointer             user_data);
gboolean kt_mfa_controller_get_revocation_pending      (KtMfaController     *self);
void     kt_mfa_controller_revoke_again_async          (KtMfaController     *self,
                                                        GCancellable        *cancellable,
                                                        GAsyncReadyCallback  callback,
                                                        gpointer             user_data);
gboolean kt_mfa_controller_operation_finish            (KtMfaController     *self,
                                                        GAsyncResult        *result,
                                                        GError             **error);

/* Step changes the user asks for that need no server. */
void     kt_mfa_controller_choose_recovery_code        (KtMfaController     *self);
void     kt_mfa_controller_choose_passkey              (KtMfaController     *self);
void     kt_mfa_controller_start_over                  (KtMfaController     *self);

/* Answers the key's request for its PIN (the ::pin-requested signal), or declines it. */
void     kt_mfa_controller_answer_pin                  (KtMfaController     *self,
                                                        const char          *pin);
void     kt_mfa_controller_decline_pin                 (KtMfaController     *self);

/* Gives the security key its first PIN, when authenticator-state is
 * KT_WEBAUTHN_STATE_PIN_NOT_SET (see kt_webauthn_client_set_pin_async(); a PIN that breaks the
 * length rules fails at once, before any key is touched). The registration or authentication
 * that stopped for want of a PIN is not retried here: the page that offered to set the PIN
 * starts it again as soon as this succeeds, with what the person had entered (such as the
 * passkey's name), so they go straight on to touching the key and entering the new PIN. */
void     kt_mfa_controller_set_pin_async               (KtMfaController     *self,
                                                        const char          *pin,
                                                        GCancellable        *cancellable,
                                                        GAsyncReadyCallback  callback,
                                                        gpointer             user_data);

/* Cancels whatever operation runs now (a ceremony waiting for a touch, a request). */
void     kt_mfa_controller_cancel                      (KtMfaController     *self);

/* Takes the single-use MFA token the last legacy step-up produced; NULL when there is none. */
char    *kt_mfa_controller_take_mfa_token              (KtMfaController     *self);

/* The signed-in session's access token, for an application that asks Keyturn for it (free it
 * with kt_secret_free()), and in @expires_at when it expires (unix seconds; 0 when not known);
 * NULL and 0 unless the step is KT_MFA_STEP_SIGNED_IN. When the background refresh replaces
 * it, ::session-refreshed says so. */
char    *kt_mfa_controller_dup_access_token            (KtMfaController     *self,
                                                        gint64              *expires_at);

/* A step-up for another application: an elevated access token for exactly @scope (a
 * kt_token_scope_is_known() scope), earned by a fresh proof every time, with a registered key
 * or, when @recovery_code is not NULL, by spending that code; on a legacy environment (API
 * version 2026_01_01) the single-use MFA token instead. The token is handed out and not kept:
 * the controller's own actions never use it, and its own tokens stay as they were; the fresh
 * session token the proof brings replaces the session's, as every step's does. Only while
 * signed in (else KT_MFA_CONTROLLER_ERROR_WRONG_STEP); an unknown @scope fails with
 * KT_MFA_CONTROLLER_ERROR_INVALID_INPUT before anything is sent. An ordinary operation: busy
 * while it runs, one at a time, cancelled with G_IO_ERROR_CANCELLED; a failure leaves the
 * session as it was. */
void     kt_mfa_controller_request_elevated_token_async (KtMfaController *self,
                                                        const char          *scope,
                                                        const char          *recovery_code,
                                                        GCancellable        *cancellable,
                                                        GAsyncReadyCallback  callback,
                                                        gpointer             user_data);
/* The token (free it with kt_secret_free()), and in @expires_at when it expires (unix seconds)
 * as its own claims say, or 0 when it does not say; NULL and the error on failure. */
char    *kt_mfa_controller_request_elevated_token_finish (KtMfaController *self,
                                                        GAsyncResult        *result,
                                                        gint64              *expires_at,
                                                        GError             **error);

G_END_DECLS
