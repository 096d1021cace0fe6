/* kv-cbor.c: reading the parameters of a CTAP request and writing the CBOR of its response
 *
 * libcbor parses and builds the CBOR; CTAP's own rules (definite lengths, shortest integers, the
 * status a wrong type or a missing member earns) are kept here.
 *
 * Copyright 2026 Keyturn developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "kv-cbor.h"

#include <string.h>

#include "kv-ctap-status.h"

/* Reading requests */

cbor_item_t *
kv_cbor_lookup_int (cbor_item_t *map,
                    gint64       key)
{
  struct cbor_pair *pairs = cbor_map_handle (map);

  for (gsize i = 0; i < cbor_map_size (map); i++)
    {
      cbor_item_t *k = pairs[i].key;

      if (key >= 0 && cbor_isa_uint (k) && cbor_get_int (k) == (guint64) key)
        return pairs[i].value;
      if (key < 0 && cbor_isa_negint (k) && cbor_get_int (k) == (guint64) (-1 - key))
        return pairs[i].value;
    }
  return NULL;
}

cbor_item_t *
kv_cbor_lookup_str (cbor_item_t *map,
                    const char  *key)
{
  struct cbor_pair *pairs = cbor_map_handle (map);
  gsize key_len = strlen (key);

  for (gsize i = 0; i < cbor_map_size (map); i++)
    {
      cbor_item_t *k = pairs[i].key;

      if (cbor_isa_string (k) && cbor_string_is_definite (k) &&
          cbor_string_length (k) == key_len && memcmp (cbor_string_handle (k), key, key_len) == 0)
        return pairs[i].value;
    }
  return NULL;
}

void
kv_cbor_params_fail (KvCborParams *p,
                     guint         status)
{
  if (p->status == CTAP2_OK)
    p->status = status;
}

gboolean
kv_cbor_is_bytes (cbor_item_t *item)
{
  return cbor_isa_bytestring (item) && cbor_bytestring_is_definite (item);
}

gboolean
kv_cbor_is_text (cbor_item_t *item)
{
  return cbor_isa_string (item) && cbor_string_is_definite (item) &&
         g_utf8_validate ((const char *) cbor_string_handle (item),
                          (gssize) cbor_string_length (item), NULL);
}

char *
kv_cbor_dup_text (cbor_item_t *item)
{
  return g_strndup ((const char *) cbor_string_handle (item), cbor_string_length (item));
}

static gboolean
is_uint (cbor_item_t *item)
{
  return cbor_isa_uint (item);
}

gboolean
kv_cbor_is_map (cbor_item_t *item)
{
  return cbor_isa_map (item) && cbor_map_is_definite (item);
}

gboolean
kv_cbor_is_array (cbor_item_t *item)
{
  return cbor_isa_array (item) && cbor_array_is_definite (item);
}

/* @item if it is there with the type @is_type wants; else NULL, recording why. */
static cbor_item_t *
check_item (KvCborParams *p,
            cbor_item_t  *item,
            gboolean      required,
            KvCborIsType  is_type)
{
  if (item == NULL)
    {
      if (required)
        kv_cbor_params_fail (p, CTAP2_ERR_MISSING_PARAMETER);
      return NULL;
    }
  if (!is_type (item))
    {
      kv_cbor_params_fail (p, CTAP2_ERR_CBOR_UNEXPECTED_TYPE);
      return NULL;
    }
  return item;
}

cbor_item_t *
kv_cbor_param (KvCborParams *p,
               gint64        key,
               gboolean      required,
               KvCborIsType  is_type)
{
  return check_item (p, kv_cbor_lookup_int (p->map, key), required, is_type);
}

cbor_item_t *
kv_cbor_member (KvCborParams *p,
                cbor_item_t  *map,
                const char   *name,
                gboolean      required,
                KvCborIsType  is_type)
{
  return check_item (p, kv_cbor_lookup_str (map, name), required, is_type);
}

GBytes *
kv_cbor_param_bytes (KvCborParams *p,
                     gint64        key,
                     gboolean      required)
{
  cbor_item_t *item = kv_cbor_param (p, key, required, kv_cbor_is_bytes);

  if (item == NULL)
    return NULL;
  return g_bytes_new (cbor_bytestring_handle (item), cbor_bytestring_length (item));
}

char *
kv_cbor_param_text (KvCborParams *p,
                    gint64        key,
                    gboolean      required)
{
  cbor_item_t *item = kv_cbor_param (p, key, required, kv_cbor_is_text);

  return item != NULL ? kv_cbor_dup_text (item) : NULL;
}

gboolean
kv_cbor_param_uint (KvCborParams *p,
                    gint64        key,
                    gboolean      required,
                    guint64      *out)
{
  cbor_item_t *item = kv_cbor_param (p, key, required, is_uint);

  if (item != NULL)
    *out = cbor_get_int (item);
  return item != NULL;
}

/* Reads an options map: each known option is a boolean; -1 when absent. */
void
kv_cbor_param_option (KvCborParams *p,
                      cbor_item_t  *options,
                      const char   *name,
                      int          *out)
{
  cbor_item_t *item;

  *out = -1;
  if (options == NULL || (item = kv_cbor_lookup_str (options, name)) == NULL)
    return;
  if (!cbor_is_bool (item))
    {
      kv_cbor_params_fail (p, CTAP2_ERR_CBOR_UNEXPECTED_TYPE);
      return;
    }
  *out = cbor_get_bool (item) ? 1 : 0;
}

/* A PublicKeyCredentialDescriptor: {"id": bytes, "type": text}. Returns the id if its type is
 * "public-key"; other types are skipped as the spec says. */
static GBytes *
read_descriptor (KvCborParams *p,
                 cbor_item_t  *item)
{
  cbor_item_t *id, *type;

  if (!cbor_isa_map (item) || !cbor_map_is_definite (item))
    {
      kv_cbor_params_fail (p, CTAP2_ERR_CBOR_UNEXPECTED_TYPE);
      return NULL;
    }
  id = kv_cbor_lookup_str (item, "id");
  type = kv_cbor_lookup_str (item, "type");
  if (id == NULL || type == NULL)
    {
      kv_cbor_params_fail (p, CTAP2_ERR_MISSING_PARAMETER);
      return NULL;
    }
  if (!kv_cbor_is_bytes (id) || !kv_cbor_is_text (type))
    {
      kv_cbor_params_fail (p, CTAP2_ERR_CBOR_UNEXPECTED_TYPE);
      return NULL;
    }
  if (cbor_string_length (type) != strlen ("public-key") ||
      memcmp (cbor_string_handle (type), "public-key", strlen ("public-key")) != 0)
    return NULL;
  return g_bytes_new (cbor_bytestring_handle (id), cbor_bytestring_length (id));
}

GPtrArray *
kv_cbor_param_descriptors (KvCborParams *p,
                           cbor_item_t  *list,
                           guint         max)
{
  GPtrArray *ids = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);

  if (list == NULL)
    return ids;
  if (cbor_array_size (list) > max)
    kv_cbor_params_fail (p, CTAP2_ERR_LIMIT_EXCEEDED);
  for (gsize i = 0; i < cbor_array_size (list); i++)
    {
      GBytes *id = read_descriptor (p, cbor_array_handle (list)[i]);
      if (id != NULL)
        g_ptr_array_add (ids, id);
    }
  return ids;
}

guint
kv_cbor_params_parse (const guint8 *data,
                      gsize         len,
                      cbor_item_t **out)
{
  struct cbor_load_result result;
  cbor_item_t *item;
  gsize pos = 0;

  *out = NULL;
  if (len == 0)
    return CTAP2_ERR_MISSING_PARAMETER;
  /* Checked before libcbor builds anything: see kt_cbor_check(). */
  if (!kt_cbor_check (data, len, KT_CBOR_MAX_DEPTH, &pos) || pos != len)
    return CTAP2_ERR_INVALID_CBOR;
  item = cbor_load (data, len, &result);
  if (item == NULL || result.error.code != CBOR_ERR_NONE)
    {
      if (item != NULL)
        cbor_decref (&item);
      return CTAP2_ERR_INVALID_CBOR;
    }
  if (result.read != len)
    {
      cbor_decref (&item);
      return CTAP2_ERR_INVALID_CBOR;  /* trailing bytes after the parameters */
    }
  if (!cbor_isa_map (item) || !cbor_map_is_definite (item))
    {
      cbor_decref (&item);
      return CTAP2_ERR_CBOR_UNEXPECTED_TYPE;
    }
  *out = item;
  return CTAP2_OK;
}

/* Writing responses */

void
kv_cbor_put (cbor_item_t *map,
             cbor_item_t *key,
             cbor_item_t *value)
{
  if (!cbor_map_add (map, (struct cbor_pair) { cbor_move (key), cbor_move (value) }))
    g_error ("out of memory building a CTAP response");
}

/* Integers in their shortest form, as CTAP2 canonical CBOR wants and libfido2 checks. */
cbor_item_t *
kv_cbor_uint (guint64 value)
{
  if (value <= G_MAXUINT8)
    return cbor_build_uint8 ((guint8) value);
  if (value <= G_MAXUINT16)
    return cbor_build_uint16 ((guint16) value);
  if (value <= G_MAXUINT32)
    return cbor_build_uint32 ((guint32) value);
  return cbor_build_uint64 (value);
}

cbor_item_t *
kv_cbor_int (gint64 value)
{
  cbor_item_t *item;

  if (value >= 0)
    return kv_cbor_uint ((guint64) value);
  item = kv_cbor_uint ((guint64) (-1 - value));
  cbor_mark_negint (item);
  return item;
}

cbor_item_t *
kv_cbor_text (const char *text)
{
  return cbor_build_string (text);
}

cbor_item_t *
kv_cbor_bytes (const guint8 *data,
               gsize         len)
{
  return cbor_build_bytestring (data, len);
}

cbor_item_t *
kv_cbor_gbytes (GBytes *bytes)
{
  gsize len;
  const guint8 *data = g_bytes_get_data (bytes, &len);

  return cbor_build_bytestring (data, len);
}

guint
kv_cbor_finish (cbor_item_t *map,
                GByteArray  *response)
{
  guint8 *buf = NULL;
  size_t buf_size = 0;
  size_t len = cbor_serialize_alloc (map, &buf, &buf_size);

  if (len == 0)
    return CTAP1_ERR_OTHER;
  g_byte_array_append (response, buf, (guint) len);
  free (buf);
  return CTAP2_OK;
}
