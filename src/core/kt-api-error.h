/* kt-api-error.h: the one error domain for everything the Dynamic API client can meet
 *
 * Copyright 2026 Keyturn developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define KT_API_ERROR (kt_api_error_quark ())

typedef enum {
  KT_API_ERROR_NETWORK,        /* the server could not be reached */
  KT_API_ERROR_TIMEOUT,        /* it did not answer in time */
  KT_API_ERROR_UNAUTHORIZED,   /* 401: the session is gone; sign the user out */
  KT_API_ERROR_INVALID_CODE,   /* mfa_invalid_code: a wrong email or recovery code */
  KT_API_ERROR_RATE_LIMITED,   /* mfa_rate_limited, or 429 */
  KT_API_ERROR_FORBIDDEN,      /* 403: not allowed with this session */
  KT_API_ERROR_NOT_FOUND,      /* 404 */
  KT_API_ERROR_BAD_REQUEST,    /* any other 4xx: the server refused what was sent */
  KT_API_ERROR_SERVER,         /* 5xx */
  KT_API_ERROR_MALFORMED,      /* an answer that is not what the API promises */
  KT_API_ERROR_CONFIGURATION,  /* no usable base URL or environment id */
} KtApiError;

GQuark      kt_api_error_quark          (void);

/* The server's machine code ("mfa_invalid_code", ...) of an error from the server, or NULL. */
const char *kt_api_error_get_server_code (const GError *error);

/* For KT_API_ERROR_RATE_LIMITED: how many seconds the server asked the client to wait (its
 * Retry-After header, or "retryAfter" in the body), or 0 when it did not say. */
guint       kt_api_error_get_retry_after (const GError *error);

G_END_DECLS
