/* kt-api-client-private.h: the call engine that kt-api-client-calls.c builds every API call on
 *
 * kt-api-client.c sends a call, reads its answer under the cap and retries it; each call in
 * kt-api-client-calls.c only names its spec (method, path, flags, elevated scope and the result it
 * expects) and its body.
 *
 * Copyright 2026 Keyturn developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <json-glib/json-glib.h>

#include "kt-api-client.h"
#include "kt-api-response-private.h"

G_BEGIN_DECLS

typedef enum {
  CALL_PLAIN = 0,
  CALL_IDEMPOTENT = 1 << 0,     /* safe to send again after a network error */
  CALL_AUTHENTICATED = 1 << 1,  /* carries the access token */
  CALL_STEP_UP = 1 << 2,        /* carries the MFA token when one is held; success spends it */
} CallFlags;

/* What a call sends and expects, the same each time it is made. */
typedef struct {
  const char      *method;
  const char      *path;             /* below the environment's API root */
  CallFlags        flags;
  const char      *elevated_scope;   /* carries a live elevated access token for it, or NULL */
  KtApiParserKind  parser;
} KtApiCallSpec;

/* Starts a call of @spec; @body (may be NULL) is serialized at once, so the caller keeps it. With
 * an elevated scope, the call carries a live elevated access token for that scope when the client
 * holds one. */
void     kt_api_client_start_call  (KtApiClient          *self,
                                    const KtApiCallSpec  *spec,
                                    JsonNode             *body,
                                    gpointer              source_tag,
                                    GCancellable         *cancellable,
                                    GAsyncReadyCallback   callback,
                                    gpointer              user_data);
/* The result of a call started with @source_tag: what its parser made, or NULL and the error. */
gpointer kt_api_client_finish_call (KtApiClient          *self,
                                    GAsyncResult         *result,
                                    gpointer              source_tag,
                                    GError              **error);

G_END_DECLS
