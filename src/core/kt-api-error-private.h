/* kt-api-error-private.h: what only the API client writes into its errors
 *
 * Copyright 2026 Keyturn developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "kt-api-error.h"

G_BEGIN_DECLS

void kt_api_error_set_server_code (GError     *error,
                                   const char *code);
void kt_api_error_set_retry_after (GError     *error,
                                   guint       seconds);

G_END_DECLS
