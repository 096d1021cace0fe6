/* kt-mfa-device-private.h: reading a KtMfaDevice and KtMfaMethods from the server's JSON, for
 * the API client's parsers
 *
 * Copyright 2026 Keyturn developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "kt-json-private.h"
#include "kt-mfa-device.h"

G_BEGIN_DECLS

/* NULL and the reader's error when @reader's object is not an MFADevice. */
KtMfaDevice  *kt_mfa_device_new_from_json  (const KtJsonReader  *reader,
                                            GError             **error);

/* The list of MFADevice objects in @member as a GListModel of KtMfaDevice; NULL and the
 * reader's error when it is missing or any element is not one. */
GListModel   *kt_mfa_device_list_from_json (const KtJsonReader  *reader,
                                            const char          *member,
                                            GError             **error);

KtMfaMethods *kt_mfa_methods_new_from_json (const KtJsonReader  *reader,
                                            GError             **error);

G_END_DECLS
