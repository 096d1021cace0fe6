/* kt-service-request.h: one interactive call on its way, as a Request object on the bus
 *
 * Made for a call of io.github.keyturn.Keyturn.Session1 and exported at once, so that its
 * caller can wait for the Response signal; gone once it has answered, or once the caller
 * closed it or left the bus. Its Response goes to the caller alone: it can hold a token.
 *
 * Copyright 2026 Keyturn developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/**
 * KtResponse:
 * @KT_RESPONSE_SUCCESS: the call's results follow
 * @KT_RESPONSE_CANCELLED: the person declined, or closed the prompt
 * @KT_RESPONSE_OTHER: anything else; the results say what
 */
typedef enum {
  KT_RESPONSE_SUCCESS = 0,
  KT_RESPONSE_CANCELLED = 1,
  KT_RESPONSE_OTHER = 2,
} KtResponse;

/* The D-Bus interface of a Request: its Response signal, its Close method. */
#define KT_SERVICE_REQUEST_INTERFACE "io.github.keyturn.Keyturn.Request1"

#define KT_TYPE_SERVICE_REQUEST (kt_service_request_get_type ())

G_DECLARE_FINAL_TYPE (KtServiceRequest, kt_service_request, KT, SERVICE_REQUEST, GObject)

/* The path a request of @sender named @token has: known to the caller before it calls. NULL when
 * @token is not 1 to 64 ASCII letters, digits and '_'. */
char             *kt_service_request_path_for    (const char        *sender,
                                                  const char        *token);

/* Exports a request at @path for @sender; fails when another is exported there. */
KtServiceRequest *kt_service_request_new         (GDBusConnection   *bus,
                                                  const char        *sender,
                                                  const char        *path,
                                                  GError           **error);

/* Cancelled when the request is withdrawn: closed by its caller, or its caller gone. */
GCancellable     *kt_service_request_get_cancellable (KtServiceRequest *self);

/* Sends the Response (@results, floating or not, may be NULL) to the caller and takes the
 * request off the bus; does nothing once answered or withdrawn. */
void              kt_service_request_respond     (KtServiceRequest  *self,
                                                  KtResponse         response,
                                                  GVariant          *results);
/* A failure's Response: 1 or 2, with "error" (a reason code) and "message" (words). */
void              kt_service_request_fail        (KtServiceRequest  *self,
                                                  KtResponse         response,
                                                  const char        *reason,
                                                  const char        *message);
/* Withdraws the request without an answer: its caller left. */
void              kt_service_request_withdraw    (KtServiceRequest  *self);

G_END_DECLS
