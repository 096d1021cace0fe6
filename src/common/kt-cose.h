/* kt-cose.h: COSE_Key glue (RFC 9052/9053) for ES256 public keys on P-256
 *
 * Shared by the sandbox (which reads the keys that authenticators send) and the virtual key
 * (which writes them). libcbor does the CBOR, OpenSSL holds the key.
 *
 * Copyright 2026 Keyturn developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>
#include <openssl/evp.h>

G_BEGIN_DECLS

#define KT_COSE_ALG_ES256   (-7)
#define KT_COSE_ALG_EDDSA   (-8)
#define KT_COSE_ALG_RS256   (-257)

#define KT_COSE_KTY_EC2     2
#define KT_COSE_CRV_P256    1

G_DEFINE_AUTOPTR_CLEANUP_FUNC (EVP_PKEY, EVP_PKEY_free)

/* The uncompressed point 0x04 || x || y of a P-256 key: 65 bytes. */
#define KT_P256_POINT_LEN   65

GBytes   *kt_cose_encode_es256_key   (EVP_PKEY      *pkey,
                                      GError       **error);
EVP_PKEY *kt_cose_decode_es256_key   (const guint8  *data,
                                      gsize          len,
                                      gsize         *consumed,
                                      GError       **error);
gboolean  kt_p256_public_point       (EVP_PKEY      *pkey,
                                      guint8         point[KT_P256_POINT_LEN],
                                      GError       **error);
EVP_PKEY *kt_p256_key_from_point     (const guint8  *point,
                                      gsize          len,
                                      GError       **error);

G_END_DECLS
