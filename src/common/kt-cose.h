/* kt-cose.h: COSE_Key glue (RFC 9052/9053) for ES256 public keys on P-256
 *
 * Shared by the sandbox (which reads the keys that authenticators send), the virtual key
 * (which writes them) and core (which checks the point a key answers with). libcbor does the
 * CBOR, OpenSSL holds the key.
 *
 * Copyright 2026 Keyturn developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <cbor.h>
#include <glib.h>
#include <openssl/ec.h>
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
/* The value under @label of a COSE_Key map, borrowed, or NULL: FALSE if the label is repeated. */
gboolean  kt_cose_map_find           (cbor_item_t   *map,
                                      gint64         label,
                                      cbor_item_t  **value);
/* The integer under @label: FALSE if repeated or not an integer; *found says whether it is
 * there. */
gboolean  kt_cose_map_int            (cbor_item_t   *map,
                                      gint64         label,
                                      gint64        *value,
                                      gboolean      *found);
/* Reads crv, x and y of an EC2 COSE_Key map into the point (kty and alg are the caller's to
 * check): FALSE when one is missing, repeated or not as P-256 has them. */
gboolean  kt_cose_read_p256_point    (cbor_item_t   *map,
                                      guint8         point[KT_P256_POINT_LEN]);
/* The P-256 group, made once and kept: NULL only if OpenSSL cannot make it. */
const EC_GROUP *kt_p256_group      (void);
gboolean  kt_p256_key_is             (EVP_PKEY      *pkey);
gboolean  kt_p256_public_point       (EVP_PKEY      *pkey,
                                      guint8         point[KT_P256_POINT_LEN],
                                      GError       **error);
EVP_PKEY *kt_p256_key_from_point     (const guint8  *point,
                                      gsize          len,
                                      GError       **error);

G_END_DECLS
