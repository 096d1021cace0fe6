/* kv-cbor.h: reading the parameters of a CTAP request and writing the CBOR of its response
 *
 * Copyright 2026 Keyturn developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <cbor.h>
#include <glib.h>

#include "kt-cbor.h"  /* g_autoptr(cbor_item_t) */

G_BEGIN_DECLS

/* A request's parameter map. The status of the first failure sticks in it, so each command reads
 * its parameters straight through, then checks once. */
typedef struct {
  cbor_item_t *map;
  guint        status;
} KvCborParams;

/* Says whether @item has the type a parameter must have. */
typedef gboolean (*KvCborIsType) (cbor_item_t *item);

/* Members of a definite map by integer or text key; NULL when absent. */
cbor_item_t *kv_cbor_lookup_int         (cbor_item_t  *map,
                                         gint64        key);
cbor_item_t *kv_cbor_lookup_str         (cbor_item_t  *map,
                                         const char   *key);
/* Records @status unless an earlier failure is already recorded. */
void         kv_cbor_params_fail        (KvCborParams *p,
                                         guint         status);
gboolean     kv_cbor_is_bytes           (cbor_item_t  *item);
/* A definite text string holding valid UTF-8. */
gboolean     kv_cbor_is_text            (cbor_item_t  *item);
char        *kv_cbor_dup_text           (cbor_item_t  *item);
gboolean     kv_cbor_is_map             (cbor_item_t  *item);
gboolean     kv_cbor_is_array           (cbor_item_t  *item);

/* Parameter @key, if it is there with the type @is_type wants (a map or an array is borrowed from
 * the request); a missing @required one or a wrong type is recorded in @p. */
cbor_item_t *kv_cbor_param              (KvCborParams *p,
                                         gint64        key,
                                         gboolean      required,
                                         KvCborIsType  is_type);
/* Member @name of @map, if it is there with the type @is_type wants; a missing @required one or
 * a wrong type is recorded in @p. */
cbor_item_t *kv_cbor_member             (KvCborParams *p,
                                         cbor_item_t  *map,
                                         const char   *name,
                                         gboolean      required,
                                         KvCborIsType  is_type);

/* Each reads parameter @key with the type its name says, copied, as kv_cbor_param() does. */
GBytes      *kv_cbor_param_bytes        (KvCborParams *p,
                                         gint64        key,
                                         gboolean      required);
char        *kv_cbor_param_text         (KvCborParams *p,
                                         gint64        key,
                                         gboolean      required);
/* FALSE when absent or not an unsigned integer. */
gboolean     kv_cbor_param_uint         (KvCborParams *p,
                                         gint64        key,
                                         gboolean      required,
                                         guint64      *out);
/* @out: 1 or 0 for a boolean option @name in @options, -1 when absent. */
void         kv_cbor_param_option       (KvCborParams *p,
                                         cbor_item_t  *options,
                                         const char   *name,
                                         int          *out);
/* The ids of the "public-key" descriptors in @list (nullable), of which there may be @max. */
GPtrArray   *kv_cbor_param_descriptors  (KvCborParams *p,
                                         cbor_item_t  *list,
                                         guint         max);
/* Loads a request's parameters: one definite map and nothing after it. Returns a CTAP status. */
guint        kv_cbor_params_parse       (const guint8 *data,
                                         gsize         len,
                                         cbor_item_t **out);

/* Adds a pair to @map, taking both items. */
void         kv_cbor_put                (cbor_item_t  *map,
                                         cbor_item_t  *key,
                                         cbor_item_t  *value);
cbor_item_t *kv_cbor_uint               (guint64       value);
cbor_item_t *kv_cbor_int                (gint64        value);
cbor_item_t *kv_cbor_text               (const char   *text);
cbor_item_t *kv_cbor_bytes              (const guint8 *data,
                                         gsize         len);
cbor_item_t *kv_cbor_gbytes             (GBytes       *bytes);
/* Appends @map's encoding to @response. Returns a CTAP status. */
guint        kv_cbor_finish             (cbor_item_t  *map,
                                         GByteArray   *response);

G_END_DECLS
