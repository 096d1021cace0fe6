/* kt-cose.c
 *
 * Copyright 2026 Keyturn developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "kt-cose.h"

#include "kt-cbor.h"

#include <gio/gio.h>
#include <openssl/core_names.h>
#include <openssl/param_build.h>
#include <string.h>

G_DEFINE_AUTOPTR_CLEANUP_FUNC (OSSL_PARAM_BLD, OSSL_PARAM_BLD_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (EVP_PKEY_CTX, EVP_PKEY_CTX_free)


static gboolean
invalid (GError     **error,
         const char  *what)
{
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "Not an ES256 COSE key: %s", what);
  return FALSE;
}

static gpointer
p256_group_new (gpointer unused)
{
  return EC_GROUP_new_by_curve_name (NID_X9_62_prime256v1);
}

const EC_GROUP *
kt_p256_group (void)
{
  static GOnce once = G_ONCE_INIT;

  return g_once (&once, p256_group_new, NULL);
}

gboolean
kt_p256_key_is (EVP_PKEY *pkey)
{
  char group[32] = { 0 };

  return EVP_PKEY_is_a (pkey, "EC") &&
         EVP_PKEY_get_utf8_string_param (pkey, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof group,
                                         NULL) &&
         (strcmp (group, "prime256v1") == 0 || strcmp (group, "P-256") == 0);
}

gboolean
kt_p256_public_point (EVP_PKEY *pkey,
                      guint8    point[KT_P256_POINT_LEN],
                      GError  **error)
{
  size_t len = 0;

  if (!kt_p256_key_is (pkey))
    return invalid (error, "the key is not on P-256");

  if (!EVP_PKEY_get_octet_string_param (pkey, OSSL_PKEY_PARAM_PUB_KEY, point, KT_P256_POINT_LEN, &len) ||
      len != KT_P256_POINT_LEN || point[0] != 0x04)
    return invalid (error, "the public point cannot be read");

  return TRUE;
}

EVP_PKEY *
kt_p256_key_from_point (const guint8 *point,
                        gsize         len,
                        GError      **error)
{
  g_autoptr(OSSL_PARAM_BLD) bld = OSSL_PARAM_BLD_new ();
  g_autoptr(EVP_PKEY_CTX) ctx = EVP_PKEY_CTX_new_from_name (NULL, "EC", NULL);
  OSSL_PARAM *params = NULL;
  EVP_PKEY *pkey = NULL;

  if (len != KT_P256_POINT_LEN || point[0] != 0x04)
    {
      invalid (error, "the point is not an uncompressed P-256 point");
      return NULL;
    }

  if (bld == NULL || ctx == NULL ||
      !OSSL_PARAM_BLD_push_utf8_string (bld, OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1", 0) ||
      !OSSL_PARAM_BLD_push_octet_string (bld, OSSL_PKEY_PARAM_PUB_KEY, point, len) ||
      (params = OSSL_PARAM_BLD_to_param (bld)) == NULL ||
      EVP_PKEY_fromdata_init (ctx) <= 0 ||
      EVP_PKEY_fromdata (ctx, &pkey, EVP_PKEY_PUBLIC_KEY, params) <= 0)
    {
      OSSL_PARAM_free (params);
      invalid (error, "the point is not on the curve");
      return NULL;
    }
  OSSL_PARAM_free (params);

  /* EVP_PKEY_fromdata does not check that the point lies on the curve; a forged point must be
   * refused here. The quick check suffices: P-256's cofactor is 1, so a point on the curve is
   * in the group, and the full check's scalar multiplication costs as much as a verify. */
  {
    g_autoptr(EVP_PKEY_CTX) check = EVP_PKEY_CTX_new_from_pkey (NULL, pkey, NULL);

    if (check == NULL || EVP_PKEY_public_check_quick (check) != 1)
      {
        EVP_PKEY_free (pkey);
        invalid (error, "the point is not on the curve");
        return NULL;
      }
  }

  return pkey;
}

GBytes *
kt_cose_encode_es256_key (EVP_PKEY *pkey,
                          GError  **error)
{
  guint8 point[KT_P256_POINT_LEN];
  g_autoptr(cbor_item_t) map = NULL;
  guchar *buf = NULL;
  size_t buf_size = 0, len;
  GBytes *out;

  if (!kt_p256_public_point (pkey, point, error))
    return NULL;

  /* Canonical CTAP2 order of the keys: 1, 3, -1, -2, -3. */
  map = cbor_new_definite_map (5);
  if (map == NULL ||
      !cbor_map_add (map, (struct cbor_pair) { cbor_move (cbor_build_uint8 (1)),
                                               cbor_move (cbor_build_uint8 (KT_COSE_KTY_EC2)) }) ||
      !cbor_map_add (map, (struct cbor_pair) { cbor_move (cbor_build_uint8 (3)),
                                               cbor_move (cbor_build_negint8 (-1 - KT_COSE_ALG_ES256)) }) ||
      !cbor_map_add (map, (struct cbor_pair) { cbor_move (cbor_build_negint8 (0)),
                                               cbor_move (cbor_build_uint8 (KT_COSE_CRV_P256)) }) ||
      !cbor_map_add (map, (struct cbor_pair) { cbor_move (cbor_build_negint8 (1)),
                                               cbor_move (cbor_build_bytestring (point + 1, 32)) }) ||
      !cbor_map_add (map, (struct cbor_pair) { cbor_move (cbor_build_negint8 (2)),
                                               cbor_move (cbor_build_bytestring (point + 33, 32)) }))
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_FAILED, "Out of memory encoding a COSE key");
      return NULL;
    }

  len = cbor_serialize_alloc (map, &buf, &buf_size);
  if (len == 0)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_FAILED, "Out of memory encoding a COSE key");
      return NULL;
    }

  out = g_bytes_new (buf, len);
  free (buf);
  return out;
}

static gboolean
read_int (cbor_item_t *item,
          gint64      *value)
{
  if (cbor_isa_uint (item))
    {
      *value = (gint64) cbor_get_int (item);
      return *value >= 0;
    }
  if (cbor_isa_negint (item))
    {
      guint64 v = cbor_get_int (item);
      if (v > G_MAXINT64)
        return FALSE;
      *value = -1 - (gint64) v;
      return TRUE;
    }
  return FALSE;
}

gboolean
kt_cose_map_find (cbor_item_t  *map,
                  gint64        label,
                  cbor_item_t **value)
{
  struct cbor_pair *pairs = cbor_map_handle (map);

  *value = NULL;
  for (gsize i = 0; i < cbor_map_size (map); i++)
    {
      gint64 key;

      if (!read_int (pairs[i].key, &key) || key != label)
        continue;
      if (*value != NULL)
        return FALSE;
      *value = pairs[i].value;
    }
  return TRUE;
}

gboolean
kt_cose_map_int (cbor_item_t *map,
                 gint64       label,
                 gint64      *value,
                 gboolean    *found)
{
  cbor_item_t *item;

  if (!kt_cose_map_find (map, label, &item))
    return FALSE;
  *found = item != NULL;
  return item == NULL || read_int (item, value);
}

static gboolean
coordinate (cbor_item_t *item)
{
  return item != NULL && cbor_isa_bytestring (item) && cbor_bytestring_is_definite (item) &&
         cbor_bytestring_length (item) == 32;
}

gboolean
kt_cose_read_p256_point (cbor_item_t *map,
                         guint8       point[KT_P256_POINT_LEN])
{
  cbor_item_t *x, *y;
  gint64 crv = 0;
  gboolean have_crv = FALSE;

  if (!kt_cose_map_int (map, -1, &crv, &have_crv) || !have_crv || crv != KT_COSE_CRV_P256 ||
      !kt_cose_map_find (map, -2, &x) || !kt_cose_map_find (map, -3, &y) ||
      !coordinate (x) || !coordinate (y))
    return FALSE;

  point[0] = 0x04;
  memcpy (point + 1, cbor_bytestring_handle (x), 32);
  memcpy (point + 33, cbor_bytestring_handle (y), 32);
  return TRUE;
}

EVP_PKEY *
kt_cose_decode_es256_key (const guint8 *data,
                          gsize         len,
                          gsize        *consumed,
                          GError      **error)
{
  gsize end = 0;
  g_autoptr(cbor_item_t) map = kt_cbor_load (data, len, &end, NULL);
  gint64 kty = 0, alg = 0;
  gboolean have_kty = FALSE, have_alg = FALSE;
  guint8 point[KT_P256_POINT_LEN];

  if (map == NULL)
    {
      invalid (error, "malformed CBOR");
      return NULL;
    }
  if (!cbor_isa_map (map) || !cbor_map_is_definite (map))
    {
      invalid (error, "not a definite CBOR map");
      return NULL;
    }

  if (!kt_cose_map_int (map, 1, &kty, &have_kty) || !kt_cose_map_int (map, 3, &alg, &have_alg) ||
      !have_kty || kty != KT_COSE_KTY_EC2 || !have_alg || alg != KT_COSE_ALG_ES256 ||
      !kt_cose_read_p256_point (map, point))
    goto bad;

  if (consumed != NULL)
    *consumed = end;

  return kt_p256_key_from_point (point, sizeof point, error);

bad:
  invalid (error, "kty, alg, crv, x or y is missing, repeated or wrong");
  return NULL;
}
