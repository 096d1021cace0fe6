/* ks-webauthn-cbor.c: reading the CBOR an authenticator sends (attestation objects, COSE keys,
 * extensions), with its failures reported as KS_WEBAUTHN_ERROR_MALFORMED
 *
 * Copyright 2026 Keyturn developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "ks-webauthn-private.h"

#include <string.h>

#include "kt-cbor.h"

gboolean
ks_webauthn_cbor_text_is (cbor_item_t *item,
                          const char  *text)
{
  gsize len = strlen (text);

  return cbor_isa_string (item) && cbor_string_is_definite (item) &&
         cbor_string_length (item) == len && memcmp (cbor_string_handle (item), text, len) == 0;
}

gboolean
ks_webauthn_cbor_read_int (cbor_item_t *item,
                           gint64      *value)
{
  guint64 v;

  if (!cbor_isa_uint (item) && !cbor_isa_negint (item))
    return FALSE;
  v = cbor_get_int (item);
  if (v > G_MAXINT64)
    return FALSE;
  *value = cbor_isa_uint (item) ? (gint64) v : -1 - (gint64) v;
  return TRUE;
}

gboolean
ks_webauthn_cbor_is_bytes (cbor_item_t *item)
{
  return cbor_isa_bytestring (item) && cbor_bytestring_is_definite (item);
}

/* One CBOR item at the start of data; *consumed says where it ends. */
cbor_item_t *
ks_webauthn_cbor_load (const guint8 *data,
                       gsize         len,
                       gsize        *consumed,
                       const char   *what,
                       GError      **error)
{
  cbor_item_t *item;

  if (len == 0)
    {
      ks_webauthn_fail (error, KS_WEBAUTHN_ERROR_MALFORMED, "The %s is missing.", what);
      return NULL;
    }
  /* kt_cbor_load() refuses counts the bytes cannot hold before libcbor allocates for them. */
  item = kt_cbor_load (data, len, consumed, NULL);
  if (item == NULL)
    {
      ks_webauthn_fail (error, KS_WEBAUTHN_ERROR_MALFORMED,
                        "The %s is not well-formed CBOR, or declares more elements than its bytes "
                        "hold.",
                        what);
      return NULL;
    }
  return item;
}
