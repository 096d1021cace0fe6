/* kt-authenticator.h: one security key, opened through libfido2, and how to find them
 *
 * Real keys are found through libfido2's hidraw manifest; keyturn-virtual-key only where the
 * configuration names its socket, reached through kt-fido-socket so that libfido2 still builds
 * and parses every report. Blocking: for worker threads only.
 *
 * Copyright 2026 Keyturn developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <fido.h>
#include <glib.h>

G_BEGIN_DECLS

typedef struct _KtAuthenticator KtAuthenticator;

/* The keys present now, as ids ("hid:PATH" or "socket:PATH") that kt_authenticator_open()
 * takes. A socket counts when its file exists; whether a key answers there shows on open. */
char             **kt_authenticator_discover          (const char * const *socket_paths,
                                                       gboolean            scan_hid);

KtAuthenticator   *kt_authenticator_open              (const char         *id,
                                                       GError            **error);
void               kt_authenticator_free              (KtAuthenticator    *self);

const char        *kt_authenticator_get_id            (KtAuthenticator    *self);
fido_dev_t        *kt_authenticator_get_device        (KtAuthenticator    *self);
/* TRUE for keyturn-virtual-key: the UI labels it as a software key. */
gboolean           kt_authenticator_is_software       (KtAuthenticator    *self);

/* From the key's getInfo, asked once. */
gboolean           kt_authenticator_supports_resident_keys (KtAuthenticator *self);
gsize              kt_authenticator_max_credentials_in_list (KtAuthenticator *self);
gsize              kt_authenticator_max_credential_id_length (KtAuthenticator *self);
/* The shortest PIN the key takes, in Unicode characters: its minPINLength, never under 4. */
guint              kt_authenticator_min_pin_length    (KtAuthenticator    *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (KtAuthenticator, kt_authenticator_free)

G_END_DECLS
