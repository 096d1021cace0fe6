/* kt-origin.h: the web origin Keyturn signs in to, and which relying-party ids it may vouch for
 *
 * The origin comes from Keyturn's own configuration, never from the server. A browser keeps
 * these rules for a web page; here Keyturn is the browser (WebAuthn Level 3 §5.1.3 and §5.1.4).
 *
 * Copyright 2026 Keyturn developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

#define KT_TYPE_ORIGIN (kt_origin_get_type ())

typedef struct _KtOrigin KtOrigin;

GType       kt_origin_get_type      (void) G_GNUC_CONST;

/* Refuses anything but a bare https origin, or http on localhost and loopback addresses. */
KtOrigin   *kt_origin_new           (const char  *text,
                                     GError     **error);
KtOrigin   *kt_origin_ref           (KtOrigin    *self);
void        kt_origin_unref         (KtOrigin    *self);

/* The ASCII serialization, as clientDataJSON carries it: scheme://host[:port]. */
const char *kt_origin_to_string     (KtOrigin    *self);
const char *kt_origin_get_host      (KtOrigin    *self);

/* TRUE when @rp_id is the origin's host, or a registrable suffix of it that is not itself a
 * public suffix (libpsl); otherwise KT_WEBAUTHN_ERROR_RP_ID_MISMATCH. */
gboolean    kt_origin_check_rp_id   (KtOrigin    *self,
                                     const char  *rp_id,
                                     GError     **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (KtOrigin, kt_origin_unref)

G_END_DECLS
