/* kt-webauthn-client.h: WebAuthn ceremonies on security keys, as a browser runs them
 *
 * Takes API.md's creation and request options, refuses what a browser would refuse before
 * any key is touched, drives the key through libfido2 in a worker thread, and hands back
 * RegistrationResponseJSON / AuthenticationResponseJSON for the server. Meanwhile the
 * `state` property says what the user must do now; when the key needs its PIN the
 * ::pin-requested signal asks for it and kt_webauthn_client_answer_pin() gives it.
 *
 * Copyright 2026 Keyturn developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

#include "kt-creation-options.h"
#include "kt-origin.h"
#include "kt-request-options.h"
#include "kt-webauthn-error.h"
#include "kt-webauthn-state.h"

G_BEGIN_DECLS

#define KT_WEBAUTHN_TIMEOUT_MIN_MS     10000
#define KT_WEBAUTHN_TIMEOUT_MAX_MS    600000
#define KT_WEBAUTHN_TIMEOUT_DEFAULT_MS 300000

/* A new PIN's length (CTAP 2.1 §6.5.5.5): Unicode characters at least, UTF-8 bytes at most. A
 * key may ask for more characters (its getInfo minPINLength). */
#define KT_WEBAUTHN_PIN_MIN_CHARS      4
#define KT_WEBAUTHN_PIN_MAX_BYTES      63

#define KT_TYPE_WEBAUTHN_CLIENT (kt_webauthn_client_get_type ())

G_DECLARE_FINAL_TYPE (KtWebauthnClient, kt_webauthn_client, KT, WEBAUTHN_CLIENT, GObject)

/* @socket_paths: keyturn-virtual-key sockets to watch beside the USB keys, or NULL. */
KtWebauthnClient *kt_webauthn_client_new                  (KtOrigin                *origin,
                                                           const char * const      *socket_paths);

KtOrigin         *kt_webauthn_client_get_origin           (KtWebauthnClient        *self);
KtWebauthnState   kt_webauthn_client_get_state            (KtWebauthnClient        *self);
/* PIN attempts left as the key last told, or -1 when unknown. */
int               kt_webauthn_client_get_pin_retries      (KtWebauthnClient        *self);
/* TRUE when the key last chosen is keyturn-virtual-key: label it as a software key. */
gboolean          kt_webauthn_client_get_software_key     (KtWebauthnClient        *self);

/* The server's timeout, clamped to 10 s .. 10 min; none (0) means 5 min. */
guint             kt_webauthn_clamp_timeout               (guint                    requested_ms);

/* The checks made before any key is touched; the _async calls make them too. On success,
 * *@rp_id is the relying party id the ceremony will use. */
gboolean          kt_webauthn_client_check_creation_options (KtWebauthnClient        *self,
                                                             const KtCreationOptions *options,
                                                             char                   **rp_id,
                                                             GError                 **error);
gboolean          kt_webauthn_client_check_request_options  (KtWebauthnClient        *self,
                                                             const KtRequestOptions  *options,
                                                             char                   **rp_id,
                                                             GError                 **error);

void              kt_webauthn_client_register_async       (KtWebauthnClient        *self,
                                                           const KtCreationOptions *options,
                                                           GCancellable            *cancellable,
                                                           GAsyncReadyCallback      callback,
                                                           gpointer                 user_data);
/* Returns a RegistrationResponseJSON (API.md's PasskeyRegisterRequest, without
 * createMfaToken), or NULL with a KT_WEBAUTHN_ERROR. */
JsonObject       *kt_webauthn_client_register_finish      (KtWebauthnClient        *self,
                                                           GAsyncResult            *result,
                                                           GError                 **error);

void              kt_webauthn_client_authenticate_async   (KtWebauthnClient        *self,
                                                           const KtRequestOptions  *options,
                                                           GCancellable            *cancellable,
                                                           GAsyncReadyCallback      callback,
                                                           gpointer                 user_data);
/* Returns an AuthenticationResponseJSON (API.md's PasskeyAuthRequest, without
 * createMfaToken), or NULL with a KT_WEBAUTHN_ERROR. */
JsonObject       *kt_webauthn_client_authenticate_finish  (KtWebauthnClient        *self,
                                                           GAsyncResult            *result,
                                                           GError                 **error);

/* Answers the last ::pin-requested. The client keeps a copy only until the key has seen it,
 * then wipes it; the caller should wipe its own. */
void              kt_webauthn_client_answer_pin           (KtWebauthnClient        *self,
                                                           const char              *pin);
/* The user would rather not give the PIN: the ceremony ends with KT_WEBAUTHN_ERROR_CANCELLED. */
void              kt_webauthn_client_decline_pin          (KtWebauthnClient        *self);

/* Whether @pin meets the rules every key shares; a KT_WEBAUTHN_ERROR_INVALID_PIN otherwise. */
gboolean          kt_webauthn_check_new_pin               (const char              *pin,
                                                           GError                 **error);

/* Gives the key that needs it (the only one present, or the one touched among several) its
 * first PIN. @pin is checked first (kt_webauthn_check_new_pin()) and refused before any key is
 * opened; the key's own minimum is checked before it is asked. The client's copy is wiped once
 * the key has seen it; the caller should wipe its own. A key that already has a PIN is refused
 * (KT_WEBAUTHN_ERROR_DENIED). The state is WORKING or SELECT_KEY meanwhile, IDLE after. */
void              kt_webauthn_client_set_pin_async        (KtWebauthnClient        *self,
                                                           const char              *pin,
                                                           GCancellable            *cancellable,
                                                           GAsyncReadyCallback      callback,
                                                           gpointer                 user_data);
gboolean          kt_webauthn_client_set_pin_finish       (KtWebauthnClient        *self,
                                                           GAsyncResult            *result,
                                                           GError                 **error);

G_END_DECLS
