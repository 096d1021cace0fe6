/* kt-cbor.c
 *
 * Copyright 2026 Keyturn developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "kt-cbor.h"

#include <gio/gio.h>

void
kt_cbor_item_unref (cbor_item_t *item)
{
  if (item != NULL)
    cbor_decref (&item);
}

/* Written by hand: libcbor 0.8 allocates what an array or map header declares before it reads
 * a single element (a billion-item header in a 90-byte message costs gigabytes), and frees
 * nested items recursively. This walk refuses both before libcbor builds anything. Every
 * element takes at least one byte, so no count may exceed the bytes left. Indefinite lengths,
 * which canonical CTAP2 CBOR never uses, are refused too. */
static gboolean
check_item (const guint8 *data,
            gsize         len,
            gsize        *pos,
            guint         depth_left)
{
  guint8 major, info;
  guint64 arg = 0;

  if (depth_left == 0 || *pos >= len)
    return FALSE;
  major = data[*pos] >> 5;
  info = data[*pos] & 0x1f;
  (*pos)++;

  if (info < 24)
    arg = info;
  else if (info <= 27)
    {
      gsize n = (gsize) 1 << (info - 24);

      if (len - *pos < n)
        return FALSE;
      for (gsize i = 0; i < n; i++)
        arg = arg << 8 | data[(*pos)++];
    }
  else
    return FALSE;

  switch (major)
    {
    case 0:  /* unsigned and negative integers */
    case 1:
      return TRUE;
    case 2:  /* byte and text strings */
    case 3:
      if (arg > len - *pos)
        return FALSE;
      *pos += (gsize) arg;
      return TRUE;
    case 4:  /* arrays */
      if (arg > len - *pos)
        return FALSE;
      for (guint64 i = 0; i < arg; i++)
        if (!check_item (data, len, pos, depth_left - 1))
          return FALSE;
      return TRUE;
    case 5:  /* maps */
      if (arg > (len - *pos) / 2)
        return FALSE;
      for (guint64 i = 0; i < 2 * arg; i++)
        if (!check_item (data, len, pos, depth_left - 1))
          return FALSE;
      return TRUE;
    case 6:  /* tags */
      return check_item (data, len, pos, depth_left - 1);
    case 7:  /* simple values and floats */
    default:
      return TRUE;
    }
}

gboolean
kt_cbor_check (const guint8 *data,
               gsize         len,
               guint         max_depth,
               gsize        *end)
{
  gsize pos = 0;

  if (data == NULL || !check_item (data, len, &pos, max_depth + 1))
    return FALSE;
  if (end != NULL)
    *end = pos;
  return TRUE;
}

cbor_item_t *
kt_cbor_load (const guint8  *data,
              gsize          len,
              gsize         *consumed,
              GError       **error)
{
  struct cbor_load_result result;
  cbor_item_t *item;
  gsize end = 0;

  if (!kt_cbor_check (data, len, KT_CBOR_MAX_DEPTH, &end))
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                           "Not well-formed CBOR, or it declares more than its bytes hold");
      return NULL;
    }

  item = cbor_load (data, end, &result);
  if (item == NULL || result.error.code != CBOR_ERR_NONE || result.read != end)
    {
      kt_cbor_item_unref (item);
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "Not well-formed CBOR");
      return NULL;
    }

  if (consumed != NULL)
    *consumed = end;
  return item;
}
