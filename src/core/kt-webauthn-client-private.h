/* kt-webauthn-client-private.h: what the parts of KtWebauthnClient share
 *
 * A ceremony is split along its seams, each file calling only the ones listed before it:
 * kt-webauthn-client-errors.c (libfido2 outcomes as KT_WEBAUTHN_ERRORs),
 * kt-webauthn-client-ceremony.c (the shared KtCeremony, its worker and watchdog threads and the
 * PIN exchange), kt-webauthn-client-discovery.c (finding and choosing the key),
 * kt-webauthn-client-ctap.c (the CTAP requests on the chosen key), and kt-webauthn-client.c
 * (the public GObject), which alone knows the client's own struct. A ceremony reaches the client
 * only through the callbacks it was given.
 *
 * Copyright 2026 Keyturn developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <fido.h>

#include "kt-authenticator.h"
#include "kt-secret.h"
#include "kt-webauthn-client.h"

G_BEGIN_DECLS

/* The only algorithm Keyturn asks keys for. */
#define KT_COSE_ES256 (-7)

/* ------------------------------------------------------------------------------------------ */
/* kt-webauthn-client-errors.c                                                                 */

/* The state a ceremony that failed with @error leaves. */
KtWebauthnState   kt_webauthn_state_for_error    (const GError     *error);
/* Sets @error to @code with its message for the user; always FALSE. */
gboolean          kt_webauthn_set_error          (GError          **error,
                                                  KtWebauthnError   code);
/* The outcome of a libfido2 call that is not handled where it was made; always FALSE. */
gboolean          kt_webauthn_set_fido_error     (GError          **error,
                                                  int               r);

/* ------------------------------------------------------------------------------------------ */
/* kt-webauthn-client-ceremony.c                                                               */

/* PINs live in plain heap memory only as long as libfido2 needs them: kt_secret_free() wipes
 * them. */
typedef char KtPin;

G_DEFINE_AUTOPTR_CLEANUP_FUNC (KtPin, kt_secret_free)

typedef enum {
  KT_CEREMONY_REGISTER,
  KT_CEREMONY_AUTHENTICATE,
  KT_CEREMONY_SET_PIN,
} KtCeremonyKind;

typedef struct _KtCeremony KtCeremony;

/* What the worker tells the caller's context, in order; @finished comes last, once. */
typedef struct {
  KtWebauthnState  state;
  int              pin_retries;
  gboolean         request_pin;
  int              software_key;     /* -1: unchanged */
  gboolean         finished;         /* the ceremony is over; its result follows at once */
} KtCeremonyUpdate;

/* Runs in the caller's context, for @owner; the client applies it to its properties. */
typedef void         (*KtCeremonyUpdateFunc) (GObject                *owner,
                                              KtCeremony             *c,
                                              const KtCeremonyUpdate *update);
/* Runs in the worker: the ceremony's work on the keys, a result or an error. */
typedef JsonObject  *(*KtCeremonyRunFunc)    (KtCeremony             *c,
                                              GError                **error);

/* One registration, authentication or PIN setting, shared by the caller's thread (cancel, PIN
 * answers), the worker thread (the key) and the watchdog thread (cancel and timeout reach the
 * key through fido_dev_cancel while the worker is blocked in libfido2). */
struct _KtCeremony {
  gatomicrefcount       ref_count;

  /* Set before the worker starts, then read-only. */
  GObject              *owner;
  KtCeremonyUpdateFunc  update;
  KtCeremonyRunFunc     run;
  GMainContext         *context;
  KtCeremonyKind        kind;
  KtCreationOptions    *creation;
  KtRequestOptions     *request;
  char                 *rp_id;
  GBytes               *client_data;
  char                **socket_paths;
  gboolean              scan_hid;
  gint64                deadline;
  KtRequirement         user_verification;
  char                 *new_pin;     /* KT_CEREMONY_SET_PIN; the worker wipes it once used */

  /* Worker only: what the caller's context was last told. */
  KtWebauthnState       told_state;
  int                   told_retries;
  gboolean              told_software;

  GMutex                lock;
  GCond                 cond;
  gboolean              cancelled;
  GPtrArray            *waiting;     /* fido_dev_t being waited on, borrowed */
  gboolean              pin_requested;
  gboolean              pin_answered;
  char                 *pin;         /* NULL when answered: declined */
};

/* @timeout_ms is already clamped; the state starts as working, with @software_key as last
 * told. */
KtCeremony *kt_ceremony_new          (GObject               *owner,
                                      KtCeremonyUpdateFunc   update,
                                      GMainContext          *context,
                                      KtCeremonyKind         kind,
                                      guint                  timeout_ms,
                                      gboolean               software_key);
KtCeremony *kt_ceremony_ref          (KtCeremony            *c);
void        kt_ceremony_unref        (KtCeremony            *c);

/* From the worker: queued on the caller's context in order, before the GTask's result. */
void        kt_ceremony_post_state   (KtCeremony            *c,
                                      KtWebauthnState        state,
                                      int                    pin_retries,
                                      gboolean               request_pin);
/* From the worker: the key chosen; the caller labels a software key as such. */
void        kt_ceremony_post_key     (KtCeremony            *c,
                                      gboolean               software);

/* Whether the ceremony must stop now (cancelled or out of time), and why. */
gboolean    kt_ceremony_aborted      (KtCeremony            *c,
                                      GError               **error);
/* Around every libfido2 call that may wait for the user. */
gboolean    kt_ceremony_begin_wait   (KtCeremony            *c,
                                      fido_dev_t            *dev,
                                      GError               **error);
void        kt_ceremony_end_wait     (KtCeremony            *c,
                                      fido_dev_t            *dev);
/* Sleeps up to @ms, waking early on cancel; FALSE when the ceremony must stop. */
gboolean    kt_ceremony_sleep        (KtCeremony            *c,
                                      guint                  ms,
                                      GError               **error);

/* Asks the caller for the PIN and waits for the answer. NULL with @error when the caller
 * declined, cancelled, or the time ran out. */
KtPin      *kt_ceremony_ask_pin      (KtCeremony            *c,
                                      KtWebauthnState        state,
                                      int                    retries,
                                      GError               **error);
/* The caller's answer to the PIN asked for, if one is asked for; NULL declines. */
void        kt_ceremony_answer_pin   (KtCeremony            *c,
                                      const char            *pin);

/* Runs @run in a worker thread; its outcome returns @task in the ceremony's context, right
 * after a finished update. */
void        kt_ceremony_start        (KtCeremony            *c,
                                      GTask                 *task,
                                      KtCeremonyRunFunc      run);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (KtCeremony, kt_ceremony_unref)

/* ------------------------------------------------------------------------------------------ */
/* kt-webauthn-client-discovery.c                                                              */

/* Waits for the user to touch @key. */
gboolean         kt_ceremony_wait_for_touch  (KtCeremony       *c,
                                              KtAuthenticator  *key,
                                              GError          **error);
/* Waits until a key is present (noticing one within a second), and picks one. */
KtAuthenticator *kt_ceremony_acquire_key     (KtCeremony       *c,
                                              GError          **error);

/* ------------------------------------------------------------------------------------------ */
/* kt-webauthn-client-ctap.c                                                                   */

/* The CTAP request on the chosen key: a RegistrationResponseJSON, an
 * AuthenticationResponseJSON, or the key's first PIN set. */
JsonObject *kt_ceremony_make_credential  (KtCeremony       *c,
                                          KtAuthenticator  *key,
                                          GError          **error);
JsonObject *kt_ceremony_get_assertion    (KtCeremony       *c,
                                          KtAuthenticator  *key,
                                          GError          **error);
gboolean    kt_ceremony_set_pin          (KtCeremony       *c,
                                          KtAuthenticator  *key,
                                          GError          **error);

G_END_DECLS
