/* kv-ctap.c: the CTAP 2.1 authenticator API (getInfo, makeCredential, getAssertion,
 * getNextAssertion, clientPIN, reset, selection)
 *
 * Written by hand against the CTAP 2.1 specification: no library implements the authenticator
 * side. libcbor parses and builds the CBOR, OpenSSL does the cryptography.
 *
 * Copyright 2026 Keyturn developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "kv-key.h"

#include <cbor.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/rand.h>
#include <openssl/sha.h>
#include <string.h>

#include "kt-cose.h"
#include "kv-cbor.h"
#include "kv-ctap-status.h"
#include "kv-pin.h"

#define CMD_MAKE_CREDENTIAL     0x01
#define CMD_GET_ASSERTION       0x02
#define CMD_GET_INFO            0x04
#define CMD_CLIENT_PIN          0x06
#define CMD_RESET               0x07
#define CMD_GET_NEXT_ASSERTION  0x08
#define CMD_SELECTION           0x0b

#define PERMISSION_MC  0x01
#define PERMISSION_GA  0x02

#define MAX_CREDENTIALS_IN_LIST  8
#define MAX_CREDENTIAL_ID_LEN    128
#define MAX_RESIDENT             100
#define MIN_PIN_LENGTH           4
#define NEXT_ASSERTION_WINDOW_S  30

#define FLAG_UP  0x01
#define FLAG_UV  0x04
#define FLAG_AT  0x40

static guint
presence_status (KvPresenceResult result)
{
  switch (result)
    {
    case KV_PRESENCE_OK:
      return CTAP2_OK;
    case KV_PRESENCE_DENIED:
      return CTAP2_ERR_OPERATION_DENIED;
    case KV_PRESENCE_TIMEOUT:
      return CTAP2_ERR_USER_ACTION_TIMEOUT;
    case KV_PRESENCE_CANCELLED:
      return CTAP2_ERR_KEEPALIVE_CANCEL;
    case KV_PRESENCE_ABORTED:
    default:
      return KV_CTAP_NO_REPLY;
    }
}

static gboolean
save_locked (KvKey *key)
{
  g_autoptr(GError) error = NULL;

  if (kv_state_save (key->state, &error))
    return TRUE;
  kv_log ("%s", error->message);
  return FALSE;
}

static gboolean
protocol_supported (KvKey   *key,
                    guint64  protocol)
{
  return (protocol == 1 && key->pin_protocol1) || (protocol == 2 && key->pin_protocol2);
}

static GBytes *
sign (EVP_PKEY     *pkey,
      const guint8 *a,
      gsize         a_len,
      const guint8 *b,
      gsize         b_len)
{
  EVP_MD_CTX *ctx = EVP_MD_CTX_new ();
  guint8 sig[80];
  size_t sig_len = sizeof sig;
  gboolean ok;

  ok = ctx != NULL &&
       EVP_DigestSignInit (ctx, NULL, EVP_sha256 (), NULL, pkey) == 1 &&
       EVP_DigestSignUpdate (ctx, a, a_len) == 1 &&
       EVP_DigestSignUpdate (ctx, b, b_len) == 1 &&
       EVP_DigestSignFinal (ctx, sig, &sig_len) == 1;
  EVP_MD_CTX_free (ctx);
  return ok ? g_bytes_new (sig, sig_len) : NULL;
}

/* authenticatorGetInfo (0x04) */

static guint
get_info (KvConnection *conn,
          GByteArray   *response)
{
  KvKey *key = conn->key;
  g_autoptr(cbor_item_t) map = NULL;
  cbor_item_t *versions, *options, *protocols, *algorithms, *es256, *transports;
  gboolean pin_set;
  guint8 aaguid[KV_AAGUID_LEN];
  g_autoptr(GBytes) cached = NULL;
  guint start = response->len;
  guint status;

  /* The answer changes only with the PIN being set: built once for each, as every opening
   * of the key asks for it (libfido2 does, inside fido_dev_open). */
  g_mutex_lock (&key->lock);
  pin_set = key->state->pin_set != FALSE;
  memcpy (aaguid, key->state->aaguid, sizeof aaguid);
  if (key->info[pin_set] != NULL)
    cached = g_bytes_ref (key->info[pin_set]);
  g_mutex_unlock (&key->lock);
  if (cached != NULL)
    {
      g_byte_array_append (response, g_bytes_get_data (cached, NULL),
                           (guint) g_bytes_get_size (cached));
      return CTAP2_OK;
    }

  map = cbor_new_definite_map (11);
  versions = cbor_new_definite_array (2);
  options = cbor_new_definite_map (5);
  protocols = cbor_new_definite_array (2);
  algorithms = cbor_new_definite_array (1);
  es256 = cbor_new_definite_map (2);
  transports = cbor_new_definite_array (1);

  (void) cbor_array_push (versions, cbor_move (kv_cbor_text ("FIDO_2_0")));
  (void) cbor_array_push (versions, cbor_move (kv_cbor_text ("FIDO_2_1")));
  /* CTAP2 canonical order: shorter keys first. */
  kv_cbor_put (options, kv_cbor_text ("rk"), cbor_build_bool (true));
  kv_cbor_put (options, kv_cbor_text ("up"), cbor_build_bool (true));
  kv_cbor_put (options, kv_cbor_text ("clientPin"), cbor_build_bool (pin_set));
  kv_cbor_put (options, kv_cbor_text ("pinUvAuthToken"), cbor_build_bool (true));
  /* Like most 2.1 keys: a non-discoverable credential needs no PIN even when one is set. */
  kv_cbor_put (options, kv_cbor_text ("makeCredUvNotRqd"), cbor_build_bool (true));
  if (key->pin_protocol2)
    (void) cbor_array_push (protocols, cbor_move (cbor_build_uint8 (2)));
  if (key->pin_protocol1)
    (void) cbor_array_push (protocols, cbor_move (cbor_build_uint8 (1)));
  kv_cbor_put (es256, kv_cbor_text ("alg"), kv_cbor_int (KT_COSE_ALG_ES256));
  kv_cbor_put (es256, kv_cbor_text ("type"), kv_cbor_text ("public-key"));
  (void) cbor_array_push (algorithms, cbor_move (es256));
  (void) cbor_array_push (transports, cbor_move (kv_cbor_text ("usb")));

  kv_cbor_put (map, cbor_build_uint8 (0x01), versions);
  kv_cbor_put (map, cbor_build_uint8 (0x03), kv_cbor_bytes (aaguid, sizeof aaguid));
  kv_cbor_put (map, cbor_build_uint8 (0x04), options);
  kv_cbor_put (map, cbor_build_uint8 (0x05), kv_cbor_uint (KV_CTAPHID_MAX_PAYLOAD));
  kv_cbor_put (map, cbor_build_uint8 (0x06), protocols);
  kv_cbor_put (map, cbor_build_uint8 (0x07), cbor_build_uint8 (MAX_CREDENTIALS_IN_LIST));
  kv_cbor_put (map, cbor_build_uint8 (0x08), cbor_build_uint8 (MAX_CREDENTIAL_ID_LEN));
  kv_cbor_put (map, cbor_build_uint8 (0x09), transports);
  kv_cbor_put (map, cbor_build_uint8 (0x0a), algorithms);
  kv_cbor_put (map, cbor_build_uint8 (0x0d), cbor_build_uint8 (MIN_PIN_LENGTH));
  kv_cbor_put (map, cbor_build_uint8 (0x0e), cbor_build_uint8 (1));
  status = kv_cbor_finish (map, response);
  if (status == CTAP2_OK)
    {
      g_mutex_lock (&key->lock);
      if (key->info[pin_set] == NULL)
        key->info[pin_set] = g_bytes_new (response->data + start, response->len - start);
      g_mutex_unlock (&key->lock);
    }
  return status;
}

/* pinUvAuthParam checks shared by makeCredential and getAssertion. Returns CTAP2_OK when the
 * request carries a valid token with @permission for @rp_id. */
static guint
check_pin_uv_auth (KvConnection *conn,
                   GBytes       *auth_param,
                   guint64       protocol,
                   gboolean      has_protocol,
                   const guint8  cdh[32],
                   guint8        permission,
                   const char   *rp_id)
{
  KvKey *key = conn->key;
  gboolean pin_set, current;
  gsize tag_len;
  const guint8 *tag = g_bytes_get_data (auth_param, &tag_len);

  if (!has_protocol)
    return CTAP2_ERR_MISSING_PARAMETER;
  if (!protocol_supported (key, protocol))
    return CTAP1_ERR_INVALID_PARAMETER;

  g_mutex_lock (&key->lock);
  pin_set = key->state->pin_set;
  current = conn->token_valid && conn->token_generation == key->pin_generation;
  g_mutex_unlock (&key->lock);

  if (!pin_set)
    return CTAP2_ERR_PIN_NOT_SET;
  if (!current || !kv_pin_verify ((guint) protocol, conn->token, sizeof conn->token, cdh, 32,
                                  tag, tag_len))
    return CTAP2_ERR_PIN_AUTH_INVALID;
  if (!(conn->token_permissions & permission))
    return CTAP2_ERR_UNAUTHORIZED_PERMISSION;
  if (conn->token_rp_id != NULL && g_strcmp0 (conn->token_rp_id, rp_id) != 0)
    return CTAP2_ERR_UNAUTHORIZED_PERMISSION;
  if (conn->token_rp_id == NULL)
    conn->token_rp_id = g_strdup (rp_id);
  return CTAP2_OK;
}

/* Finds a credential of this key for @rp_id: stored, or sealed into @id. Call with the lock
 * held; the credential is borrowed, valid while it is held. The key keeps the last few it
 * unwrapped, so the pre-flight and the request after it, and the next sign-in with the same
 * credential, do not open the same id again (OpenSSL takes ~25 µs to rebuild a key). */
static KvCredential *
find_credential (KvKey      *key,
                 const char *rp_id,
                 GBytes     *id)
{
  gsize len;
  const guint8 *data = g_bytes_get_data (id, &len);
  KvCredential *cred = kv_state_find (key->state, rp_id, data, len);

  if (cred != NULL)
    return cred;

  /* A reset changed the wrapping key: what was opened under the old one is gone. */
  if (key->unwrapped_generation != key->pin_generation)
    {
      for (guint i = 0; i < G_N_ELEMENTS (key->unwrapped); i++)
        g_clear_pointer (&key->unwrapped[i], kv_credential_free);
      key->unwrapped_generation = key->pin_generation;
    }
  for (guint i = 0; i < G_N_ELEMENTS (key->unwrapped); i++)
    {
      cred = key->unwrapped[i];
      if (cred != NULL && g_bytes_equal (cred->id, id) && g_str_equal (cred->rp_id, rp_id))
        return cred;
    }

  cred = kv_state_unwrap_credential (key->state, rp_id, data, len);
  if (cred != NULL)
    {
      guint slot = key->unwrapped_next++ % G_N_ELEMENTS (key->unwrapped);

      g_clear_pointer (&key->unwrapped[slot], kv_credential_free);
      key->unwrapped[slot] = cred;
    }
  return cred;
}

/* A new P-256 key pair. Generated from a template key's parameters: EVP_EC_gen() builds the
 * curve's group anew each time, ~40% of the cost. */
static gpointer
p256_template_new (gpointer unused)
{
  return EVP_EC_gen ("P-256");
}

static EVP_PKEY *
new_p256_key (void)
{
  static GOnce once = G_ONCE_INIT;
  EVP_PKEY *template = g_once (&once, p256_template_new, NULL);
  EVP_PKEY_CTX *ctx;
  EVP_PKEY *pkey = NULL;

  if (template == NULL || (ctx = EVP_PKEY_CTX_new (template, NULL)) == NULL)
    return NULL;
  if (EVP_PKEY_keygen_init (ctx) != 1 || EVP_PKEY_keygen (ctx, &pkey) != 1)
    pkey = NULL;
  EVP_PKEY_CTX_free (ctx);
  return pkey;
}

/* A zero-length pinUvAuthParam asks only for a touch (CTAP 2.1 §6.1.2 step 1): libfido2's
 * touch-to-select sends it to every key and keeps the one that answers. */
static guint
touch_probe (KvConnection *conn)
{
  guint status = presence_status (kv_connection_wait_presence (conn));
  gboolean pin_set;

  if (status != CTAP2_OK)
    return status;
  g_mutex_lock (&conn->key->lock);
  pin_set = conn->key->state->pin_set;
  g_mutex_unlock (&conn->key->lock);
  return pin_set ? CTAP2_ERR_PIN_INVALID : CTAP2_ERR_PIN_NOT_SET;
}

/* authenticatorMakeCredential (0x01) */

static GBytes *
build_auth_data (const char   *rp_id,
                 guint8        flags,
                 guint32       count,
                 const guint8 *attested,
                 gsize         attested_len)
{
  GByteArray *out = g_byte_array_sized_new (37 + (guint) attested_len);
  guint8 hash[32], counter[4] = { count >> 24, count >> 16, count >> 8, count };

  SHA256 ((const guint8 *) rp_id, strlen (rp_id), hash);
  g_byte_array_append (out, hash, sizeof hash);
  g_byte_array_append (out, &flags, 1);
  g_byte_array_append (out, counter, sizeof counter);
  if (attested_len > 0)
    g_byte_array_append (out, attested, (guint) attested_len);
  return g_byte_array_free_to_bytes (out);
}

static guint
make_credential (KvConnection *conn,
                 KvCborParams *p,
                 GByteArray   *response)
{
  KvKey *key = conn->key;
  g_autoptr(GBytes) cdh = kv_cbor_param_bytes (p, 0x01, TRUE);
  cbor_item_t *rp = kv_cbor_param_map (p, 0x02, TRUE);
  cbor_item_t *user = kv_cbor_param_map (p, 0x03, TRUE);
  cbor_item_t *algs = kv_cbor_param_array (p, 0x04, TRUE);
  g_autoptr(GPtrArray) exclude = kv_cbor_param_descriptors (p, kv_cbor_param_array (p, 0x05, FALSE),
 MAX_CREDENTIALS_IN_LIST);
  cbor_item_t *options = kv_cbor_param_map (p, 0x07, FALSE);
  g_autoptr(GBytes) auth_param = kv_cbor_param_bytes (p, 0x08, FALSE);
  g_autofree char *rp_id = NULL;
  g_autofree char *user_name = NULL;
  g_autofree char *display_name = NULL;
  g_autoptr(GBytes) user_id = NULL;
  g_autoptr(EVP_PKEY) cred_key = NULL;
  g_autoptr(GBytes) cose = NULL;
  g_autoptr(GBytes) auth_data = NULL;
  g_autoptr(GBytes) sig = NULL;
  g_autoptr(GByteArray) attested = NULL;
  g_autoptr(cbor_item_t) map = NULL;
  cbor_item_t *att_stmt;
  KvCredential *cred;
  g_autoptr(GBytes) id = NULL;
  guint64 protocol = 0;
  gboolean has_protocol = kv_cbor_param_uint (p, 0x09, FALSE, &protocol);
  gboolean es256 = FALSE, uv = FALSE;
  int rk, up, uv_option;
  guint status;
  cbor_item_t *item;

  if (rp != NULL)
    {
      if ((item = kv_cbor_lookup_str (rp, "id")) == NULL)
        kv_cbor_params_fail (p, CTAP2_ERR_MISSING_PARAMETER);
      else if (!kv_cbor_is_text (item))
        kv_cbor_params_fail (p, CTAP2_ERR_CBOR_UNEXPECTED_TYPE);
      else
        rp_id = kv_cbor_dup_text (item);
    }
  if (user != NULL)
    {
      if ((item = kv_cbor_lookup_str (user, "id")) == NULL)
        kv_cbor_params_fail (p, CTAP2_ERR_MISSING_PARAMETER);
      else if (!kv_cbor_is_bytes (item))
        kv_cbor_params_fail (p, CTAP2_ERR_CBOR_UNEXPECTED_TYPE);
      else
        user_id = g_bytes_new (cbor_bytestring_handle (item), cbor_bytestring_length (item));
      if ((item = kv_cbor_lookup_str (user, "name")) != NULL)
        {
          if (kv_cbor_is_text (item))
            user_name = kv_cbor_dup_text (item);
          else
            kv_cbor_params_fail (p, CTAP2_ERR_CBOR_UNEXPECTED_TYPE);
        }
      if ((item = kv_cbor_lookup_str (user, "displayName")) != NULL)
        {
          if (kv_cbor_is_text (item))
            display_name = kv_cbor_dup_text (item);
          else
            kv_cbor_params_fail (p, CTAP2_ERR_CBOR_UNEXPECTED_TYPE);
        }
    }
  if (algs != NULL)
    for (gsize i = 0; i < cbor_array_size (algs); i++)
      {
        cbor_item_t *entry = cbor_array_handle (algs)[i];
        cbor_item_t *alg, *type;

        if (!cbor_isa_map (entry) || !cbor_map_is_definite (entry))
          {
            kv_cbor_params_fail (p, CTAP2_ERR_CBOR_UNEXPECTED_TYPE);
            break;
          }
        alg = kv_cbor_lookup_str (entry, "alg");
        type = kv_cbor_lookup_str (entry, "type");
        if (alg == NULL || type == NULL)
          {
            kv_cbor_params_fail (p, CTAP2_ERR_MISSING_PARAMETER);
            break;
          }
        if (!(cbor_isa_negint (alg) || cbor_isa_uint (alg)) || !kv_cbor_is_text (type))
          {
            kv_cbor_params_fail (p, CTAP2_ERR_CBOR_UNEXPECTED_TYPE);
            break;
          }
        if (cbor_isa_negint (alg) && cbor_get_int (alg) == 6 &&
            cbor_string_length (type) == 10 &&
            memcmp (cbor_string_handle (type), "public-key", 10) == 0)
          es256 = TRUE;
      }
  kv_cbor_param_option (p, options, "rk", &rk);
  kv_cbor_param_option (p, options, "up", &up);
  kv_cbor_param_option (p, options, "uv", &uv_option);

  if (p->status != CTAP2_OK)
    return p->status;
  if (g_bytes_get_size (cdh) != 32)
    return CTAP1_ERR_INVALID_LENGTH;
  if (g_bytes_get_size (user_id) == 0 || g_bytes_get_size (user_id) > 64)
    return CTAP1_ERR_INVALID_LENGTH;

  if (auth_param != NULL && g_bytes_get_size (auth_param) == 0)
    return touch_probe (conn);
  if (auth_param != NULL && !has_protocol)
    return CTAP2_ERR_MISSING_PARAMETER;
  if (auth_param != NULL && !protocol_supported (key, protocol))
    return CTAP1_ERR_INVALID_PARAMETER;
  if (!es256)
    return CTAP2_ERR_UNSUPPORTED_ALGORITHM;
  /* No built-in user verification, and a credential cannot be made without presence. */
  if (uv_option == 1 || up == 0)
    return CTAP2_ERR_INVALID_OPTION;

  if (auth_param != NULL)
    {
      status = check_pin_uv_auth (conn, auth_param, protocol, has_protocol,
                                  g_bytes_get_data (cdh, NULL), PERMISSION_MC, rp_id);
      if (status != CTAP2_OK)
        return status;
      uv = TRUE;
    }
  else
    {
      gboolean pin_set;

      g_mutex_lock (&key->lock);
      pin_set = key->state->pin_set;
      g_mutex_unlock (&key->lock);
      /* makeCredUvNotRqd: only a discoverable credential needs the PIN. */
      if (pin_set && rk == 1)
        return CTAP2_ERR_PUAT_REQUIRED;
    }

  for (guint i = 0; i < exclude->len; i++)
    {
      gboolean found;

      g_mutex_lock (&key->lock);
      found = find_credential (key, rp_id, g_ptr_array_index (exclude, i)) != NULL;
      g_mutex_unlock (&key->lock);
      if (found)
        {
          kv_log ("connection %u: makeCredential for %s: a credential in excludeList is here",
                  conn->id, rp_id);
          status = presence_status (kv_connection_wait_presence (conn));
          return status == CTAP2_OK ? CTAP2_ERR_CREDENTIAL_EXCLUDED : status;
        }
    }

  if (rk == 1)
    {
      guint count;

      g_mutex_lock (&key->lock);
      count = kv_state_count_resident (key->state);
      g_mutex_unlock (&key->lock);
      if (count >= MAX_RESIDENT)
        return CTAP2_ERR_KEY_STORE_FULL;
    }

  status = presence_status (kv_connection_wait_presence (conn));
  if (status != CTAP2_OK)
    return status;

  cred_key = new_p256_key ();
  if (cred_key == NULL || (cose = kt_cose_encode_es256_key (cred_key, NULL)) == NULL)
    return CTAP1_ERR_OTHER;
  if (rk == 1)
    {
      guint8 random_id[KV_CREDENTIAL_ID_LEN];

      if (RAND_bytes (random_id, sizeof random_id) != 1)
        return CTAP1_ERR_OTHER;
      id = g_bytes_new (random_id, sizeof random_id);
    }
  else
    {
      /* Nothing to store: the id carries the key, so making one costs no write. */
      g_mutex_lock (&key->lock);
      id = kv_state_wrap_credential (key->state, rp_id, cred_key);
      g_mutex_unlock (&key->lock);
      if (id == NULL)
        return CTAP1_ERR_OTHER;
    }

  attested = g_byte_array_new ();
  {
    guint8 id_len[2] = { 0, (guint8) g_bytes_get_size (id) };

    g_mutex_lock (&key->lock);
    g_byte_array_append (attested, key->state->aaguid, KV_AAGUID_LEN);
    g_mutex_unlock (&key->lock);
    g_byte_array_append (attested, id_len, 2);
    g_byte_array_append (attested, g_bytes_get_data (id, NULL), (guint) g_bytes_get_size (id));
    g_byte_array_append (attested, g_bytes_get_data (cose, NULL), (guint) g_bytes_get_size (cose));
  }
  auth_data = build_auth_data (rp_id, FLAG_UP | FLAG_AT | (uv ? FLAG_UV : 0), 0,
                               attested->data, attested->len);

  map = cbor_new_definite_map (3);
  att_stmt = cbor_new_definite_map (3);
  kv_cbor_put (att_stmt, kv_cbor_text ("alg"), kv_cbor_int (KT_COSE_ALG_ES256));
  if (key->attestation == KV_ATTESTATION_PACKED)
    {
      cbor_item_t *x5c = cbor_new_definite_array (1);

      g_mutex_lock (&key->lock);
      sig = sign (key->state->attestation_key, g_bytes_get_data (auth_data, NULL),
                  g_bytes_get_size (auth_data), g_bytes_get_data (cdh, NULL), 32);
      (void) cbor_array_push (x5c, cbor_move (kv_cbor_gbytes (key->state->attestation_cert)));
      g_mutex_unlock (&key->lock);
      if (sig == NULL)
        {
          cbor_decref (&x5c);
          cbor_decref (&att_stmt);
          return CTAP1_ERR_OTHER;
        }
      kv_cbor_put (att_stmt, kv_cbor_text ("sig"), kv_cbor_gbytes (sig));
      kv_cbor_put (att_stmt, kv_cbor_text ("x5c"), x5c);
    }
  else
    {
      sig = sign (cred_key, g_bytes_get_data (auth_data, NULL), g_bytes_get_size (auth_data),
                  g_bytes_get_data (cdh, NULL), 32);
      if (sig == NULL)
        {
          cbor_decref (&att_stmt);
          return CTAP1_ERR_OTHER;
        }
      kv_cbor_put (att_stmt, kv_cbor_text ("sig"), kv_cbor_gbytes (sig));
    }
  kv_cbor_put (map, cbor_build_uint8 (0x01), kv_cbor_text ("packed"));
  kv_cbor_put (map, cbor_build_uint8 (0x02), kv_cbor_gbytes (auth_data));
  kv_cbor_put (map, cbor_build_uint8 (0x03), att_stmt);

  if (rk != 1)
    {
      kv_log ("connection %u: made a non-discoverable credential for %s (%s attestation%s)",
              conn->id, rp_id, key->attestation == KV_ATTESTATION_PACKED ? "batch" : "self",
              uv ? ", PIN verified" : "");
      return kv_cbor_finish (map, response);
    }

  cred = g_new0 (KvCredential, 1);
  cred->id = g_bytes_ref (id);
  cred->rp_id = g_strdup (rp_id);
  cred->user_id = g_bytes_ref (user_id);
  cred->user_name = g_steal_pointer (&user_name);
  cred->user_display_name = g_steal_pointer (&display_name);
  cred->key = g_steal_pointer (&cred_key);
  cred->resident = TRUE;

  g_mutex_lock (&key->lock);
  /* A new discoverable credential replaces the one for the same account. */
  for (guint i = 0; i < key->state->credentials->len; i++)
    {
      KvCredential *old = g_ptr_array_index (key->state->credentials, i);

      if (old->resident && g_str_equal (old->rp_id, rp_id) && g_bytes_equal (old->user_id, user_id))
        {
          g_ptr_array_remove_index (key->state->credentials, i);
          break;
        }
    }
  cred->serial = key->state->next_serial++;
  g_ptr_array_add (key->state->credentials, cred);
  if (!save_locked (key))
    {
      g_ptr_array_remove (key->state->credentials, cred);
      g_mutex_unlock (&key->lock);
      return CTAP1_ERR_OTHER;
    }
  g_mutex_unlock (&key->lock);

  kv_log ("connection %u: made a discoverable credential for %s (%s attestation%s)", conn->id,
          rp_id, key->attestation == KV_ATTESTATION_PACKED ? "batch" : "self",
          uv ? ", PIN verified" : "");
  return kv_cbor_finish (map, response);
}

/* authenticatorGetAssertion (0x02) and authenticatorGetNextAssertion (0x08) */

static guint
assert_one (KvConnection *conn,
            const char   *rp_id,
            GBytes       *cred_id,
            const guint8  cdh[32],
            guint8        flags,
            guint         number_of_credentials,
            GByteArray   *response)
{
  KvKey *key = conn->key;
  g_autoptr(cbor_item_t) map = cbor_new_definite_map (5);
  g_autoptr(GBytes) auth_data = NULL;
  g_autoptr(GBytes) sig = NULL;
  cbor_item_t *descriptor = cbor_new_definite_map (2);
  cbor_item_t *user = NULL;
  g_autoptr(GError) error = NULL;
  KvCredential *cred;
  guint32 count;

  g_mutex_lock (&key->lock);
  cred = find_credential (key, rp_id, cred_id);
  if (cred == NULL)
    {
      g_mutex_unlock (&key->lock);
      cbor_decref (&descriptor);
      return CTAP2_ERR_NOT_ALLOWED;
    }
  if (!kv_state_next_counter (key->state, cred, &count, &error))
    {
      g_mutex_unlock (&key->lock);
      kv_log ("%s", error->message);
      cbor_decref (&descriptor);
      return CTAP1_ERR_OTHER;
    }
  auth_data = build_auth_data (rp_id, flags, count, NULL, 0);
  sig = sign (cred->key, g_bytes_get_data (auth_data, NULL), g_bytes_get_size (auth_data), cdh,
              32);
  if (cred->resident)
    {
      user = cbor_new_definite_map (3);
      kv_cbor_put (user, kv_cbor_text ("id"), kv_cbor_gbytes (cred->user_id));
      /* Names only to a verified user choosing among several accounts (CTAP 2.1 §6.2.2). */
      if ((flags & FLAG_UV) && number_of_credentials != 1)
        {
          if (cred->user_name != NULL)
            kv_cbor_put (user, kv_cbor_text ("name"), kv_cbor_text (cred->user_name));
          if (cred->user_display_name != NULL)
            kv_cbor_put (user, kv_cbor_text ("displayName"),
                         kv_cbor_text (cred->user_display_name));
        }
    }
  g_mutex_unlock (&key->lock);

  if (sig == NULL)
    {
      cbor_decref (&descriptor);
      if (user != NULL)
        cbor_decref (&user);
      return CTAP1_ERR_OTHER;
    }

  kv_cbor_put (descriptor, kv_cbor_text ("id"), kv_cbor_gbytes (cred_id));
  kv_cbor_put (descriptor, kv_cbor_text ("type"), kv_cbor_text ("public-key"));
  kv_cbor_put (map, cbor_build_uint8 (0x01), descriptor);
  kv_cbor_put (map, cbor_build_uint8 (0x02), kv_cbor_gbytes (auth_data));
  kv_cbor_put (map, cbor_build_uint8 (0x03), kv_cbor_gbytes (sig));
  if (user != NULL)
    kv_cbor_put (map, cbor_build_uint8 (0x04), user);
  if (number_of_credentials > 1)
    kv_cbor_put (map, cbor_build_uint8 (0x05), kv_cbor_uint (number_of_credentials));
  kv_log ("connection %u: assertion for %s, counter %u%s", conn->id, rp_id, count,
          (flags & FLAG_UV) ? ", PIN verified" : "");
  return kv_cbor_finish (map, response);
}

static void
forget_next_assertion (KvConnection *conn)
{
  g_clear_pointer (&conn->next_ids, g_ptr_array_unref);
  g_clear_pointer (&conn->next_rp_id, g_free);
}

static gint
newest_first (gconstpointer a,
              gconstpointer b)
{
  const KvCredential *x = *(KvCredential * const *) a;
  const KvCredential *y = *(KvCredential * const *) b;

  return x->serial < y->serial ? 1 : x->serial > y->serial ? -1 : 0;
}

static guint
get_assertion (KvConnection *conn,
               KvCborParams *p,
               GByteArray   *response)
{
  KvKey *key = conn->key;
  g_autofree char *rp_id = kv_cbor_param_text (p, 0x01, TRUE);
  g_autoptr(GBytes) cdh = kv_cbor_param_bytes (p, 0x02, TRUE);
  cbor_item_t *allow_item = kv_cbor_param_array (p, 0x03, FALSE);
  g_autoptr(GPtrArray) allow = kv_cbor_param_descriptors (p, allow_item, MAX_CREDENTIALS_IN_LIST);
  cbor_item_t *options = kv_cbor_param_map (p, 0x05, FALSE);
  g_autoptr(GBytes) auth_param = kv_cbor_param_bytes (p, 0x06, FALSE);
  g_autoptr(GPtrArray) found = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  guint64 protocol = 0;
  gboolean has_protocol = kv_cbor_param_uint (p, 0x07, FALSE, &protocol);
  gboolean uv = FALSE;
  int up, uv_option;
  guint8 flags = 0;
  guint status;

  kv_cbor_param_option (p, options, "up", &up);
  kv_cbor_param_option (p, options, "uv", &uv_option);
  if (p->status != CTAP2_OK)
    return p->status;
  if (g_bytes_get_size (cdh) != 32)
    return CTAP1_ERR_INVALID_LENGTH;

  if (auth_param != NULL && g_bytes_get_size (auth_param) == 0)
    return touch_probe (conn);
  if (auth_param != NULL && !has_protocol)
    return CTAP2_ERR_MISSING_PARAMETER;
  if (auth_param != NULL && !protocol_supported (key, protocol))
    return CTAP1_ERR_INVALID_PARAMETER;
  if (uv_option == 1)
    return CTAP2_ERR_INVALID_OPTION;
  if (auth_param != NULL)
    {
      status = check_pin_uv_auth (conn, auth_param, protocol, has_protocol,
                                  g_bytes_get_data (cdh, NULL), PERMISSION_GA, rp_id);
      if (status != CTAP2_OK)
        return status;
      uv = TRUE;
    }

  g_mutex_lock (&key->lock);
  if (allow_item != NULL)
    {
      for (guint i = 0; i < allow->len && found->len == 0; i++)
        {
          GBytes *id = g_ptr_array_index (allow, i);

          if (find_credential (key, rp_id, id) != NULL)
            g_ptr_array_add (found, g_bytes_ref (id));
        }
    }
  else
    {
      g_autoptr(GPtrArray) resident = g_ptr_array_new ();

      for (guint i = 0; i < key->state->credentials->len; i++)
        {
          KvCredential *cred = g_ptr_array_index (key->state->credentials, i);

          if (cred->resident && g_str_equal (cred->rp_id, rp_id))
            g_ptr_array_add (resident, cred);
        }
      g_ptr_array_sort (resident, newest_first);
      for (guint i = 0; i < resident->len; i++)
        {
          KvCredential *cred = g_ptr_array_index (resident, i);
          g_ptr_array_add (found, g_bytes_ref (cred->id));
        }
    }
  g_mutex_unlock (&key->lock);

  if (found->len == 0)
    {
      kv_log ("connection %u: getAssertion for %s: no credential here", conn->id, rp_id);
      return CTAP2_ERR_NO_CREDENTIALS;
    }

  if (up != 0)
    {
      status = presence_status (kv_connection_wait_presence (conn));
      if (status != CTAP2_OK)
        return status;
      flags |= FLAG_UP;
    }
  if (uv)
    flags |= FLAG_UV;

  status = assert_one (conn, rp_id, g_ptr_array_index (found, 0), g_bytes_get_data (cdh, NULL),
                       flags, allow_item != NULL ? 1 : found->len, response);
  if (status == CTAP2_OK && allow_item == NULL && found->len > 1)
    {
      g_ptr_array_remove_index (found, 0);
      conn->next_ids = g_steal_pointer (&found);
      conn->next_rp_id = g_steal_pointer (&rp_id);
      memcpy (conn->next_cdh, g_bytes_get_data (cdh, NULL), 32);
      conn->next_flags = flags;
      conn->next_deadline = g_get_monotonic_time () + NEXT_ASSERTION_WINDOW_S * G_USEC_PER_SEC;
    }
  return status;
}

static guint
get_next_assertion (KvConnection *conn,
                    GByteArray   *response)
{
  g_autoptr(GBytes) id = NULL;
  guint status;

  if (conn->next_ids == NULL || conn->next_ids->len == 0 ||
      g_get_monotonic_time () > conn->next_deadline)
    {
      forget_next_assertion (conn);
      return CTAP2_ERR_NOT_ALLOWED;
    }
  id = g_ptr_array_steal_index (conn->next_ids, 0);
  status = assert_one (conn, conn->next_rp_id, id, conn->next_cdh, conn->next_flags, 0, response);
  if (conn->next_ids->len == 0)
    forget_next_assertion (conn);
  return status;
}

/* authenticatorClientPIN (0x06) */

static EVP_PKEY *
key_agreement (KvConnection *conn)
{
  if (conn->key_agreement == NULL)
    conn->key_agreement = new_p256_key ();
  return conn->key_agreement;
}

static void
regenerate_key_agreement (KvConnection *conn)
{
  g_clear_pointer (&conn->key_agreement, EVP_PKEY_free);
}

/* The platform's key: a COSE_Key with kty 2, crv 1, x and y; alg is -25 but not checked. */
static EVP_PKEY *
read_platform_key (cbor_item_t *item)
{
  guint8 point[KT_P256_POINT_LEN];
  cbor_item_t *x, *y, *kty, *crv;

  if (!cbor_isa_map (item) || !cbor_map_is_definite (item))
    return NULL;
  kty = kv_cbor_lookup_int (item, 1);
  crv = kv_cbor_lookup_int (item, -1);
  x = kv_cbor_lookup_int (item, -2);
  y = kv_cbor_lookup_int (item, -3);
  if (kty == NULL || crv == NULL || x == NULL || y == NULL ||
      !cbor_isa_uint (kty) || cbor_get_int (kty) != KT_COSE_KTY_EC2 ||
      !cbor_isa_uint (crv) || cbor_get_int (crv) != KT_COSE_CRV_P256 ||
      !kv_cbor_is_bytes (x) || !kv_cbor_is_bytes (y) ||
      cbor_bytestring_length (x) != 32 || cbor_bytestring_length (y) != 32)
    return NULL;
  point[0] = 0x04;
  memcpy (point + 1, cbor_bytestring_handle (x), 32);
  memcpy (point + 33, cbor_bytestring_handle (y), 32);
  return kt_p256_key_from_point (point, sizeof point, NULL);
}

static guint
get_key_agreement (KvConnection *conn,
                   GByteArray   *response)
{
  g_autoptr(cbor_item_t) map = cbor_new_definite_map (1);
  cbor_item_t *cose = cbor_new_definite_map (5);
  guint8 point[KT_P256_POINT_LEN];
  EVP_PKEY *own = key_agreement (conn);

  if (own == NULL || !kt_p256_public_point (own, point, NULL))
    {
      cbor_decref (&cose);
      return CTAP1_ERR_OTHER;
    }
  kv_cbor_put (cose, cbor_build_uint8 (1), cbor_build_uint8 (KT_COSE_KTY_EC2));
  kv_cbor_put (cose, cbor_build_uint8 (3), kv_cbor_int (-25));  /* ECDH-ES + HKDF-256 */
  kv_cbor_put (cose, kv_cbor_int (-1), cbor_build_uint8 (KT_COSE_CRV_P256));
  kv_cbor_put (cose, kv_cbor_int (-2), kv_cbor_bytes (point + 1, 32));
  kv_cbor_put (cose, kv_cbor_int (-3), kv_cbor_bytes (point + 33, 32));
  kv_cbor_put (map, cbor_build_uint8 (0x01), cose);
  return kv_cbor_finish (map, response);
}

/* Decrypts a padded new PIN and checks it against the policy. */
static guint
read_new_pin (const KvPinSecret *secret,
              GBytes            *new_pin_enc,
              guint8             hash[KV_PIN_HASH_LEN])
{
  g_autoptr(GBytes) padded = NULL;
  const guint8 *pin;
  gsize len, pin_len, expected = secret->protocol == 1 ? 64 : 80;
  guint8 digest[32];

  if (g_bytes_get_size (new_pin_enc) != expected)
    return CTAP1_ERR_INVALID_PARAMETER;
  padded = kv_pin_decrypt (secret, g_bytes_get_data (new_pin_enc, NULL),
                           g_bytes_get_size (new_pin_enc));
  if (padded == NULL)
    return CTAP1_ERR_INVALID_PARAMETER;
  pin = g_bytes_get_data (padded, &len);
  pin_len = strnlen ((const char *) pin, len);
  /* At most 63 bytes (one NUL must follow), at least four code points. */
  if (pin_len == len || !g_utf8_validate ((const char *) pin, (gssize) pin_len, NULL) ||
      g_utf8_strlen ((const char *) pin, (gssize) pin_len) < MIN_PIN_LENGTH)
    {
      explicit_bzero ((guint8 *) pin, len);
      return CTAP2_ERR_PIN_POLICY_VIOLATION;
    }
  SHA256 (pin, pin_len, digest);
  memcpy (hash, digest, KV_PIN_HASH_LEN);
  explicit_bzero (digest, sizeof digest);
  explicit_bzero ((guint8 *) pin, len);
  return CTAP2_OK;
}

/* Checks pinHashEnc against the stored PIN, counting retries as CTAP 2.1 §6.5.5.5 says. */
static guint
check_pin_hash (KvConnection      *conn,
                const KvPinSecret *secret,
                GBytes            *pin_hash_enc)
{
  KvKey *key = conn->key;
  g_autoptr(GBytes) hash = NULL;
  gboolean match;

  g_mutex_lock (&key->lock);
  if (key->state->pin_retries == 0)
    {
      g_mutex_unlock (&key->lock);
      return CTAP2_ERR_PIN_BLOCKED;
    }
  if (conn->wrong_pins_in_a_row >= 3)
    {
      g_mutex_unlock (&key->lock);
      return CTAP2_ERR_PIN_AUTH_BLOCKED;
    }
  key->state->pin_retries--;
  if (!save_locked (key))
    {
      key->state->pin_retries++;
      g_mutex_unlock (&key->lock);
      return CTAP1_ERR_OTHER;
    }

  hash = kv_pin_decrypt (secret, g_bytes_get_data (pin_hash_enc, NULL),
                         g_bytes_get_size (pin_hash_enc));
  match = hash != NULL && g_bytes_get_size (hash) == KV_PIN_HASH_LEN &&
          CRYPTO_memcmp (g_bytes_get_data (hash, NULL), key->state->pin_hash,
                         KV_PIN_HASH_LEN) == 0;
  if (!match)
    {
      guint left = key->state->pin_retries;

      g_mutex_unlock (&key->lock);
      regenerate_key_agreement (conn);
      conn->wrong_pins_in_a_row++;
      kv_log ("connection %u: wrong PIN, %u retries left", conn->id, left);
      if (left == 0)
        return CTAP2_ERR_PIN_BLOCKED;
      if (conn->wrong_pins_in_a_row >= 3)
        return CTAP2_ERR_PIN_AUTH_BLOCKED;
      return CTAP2_ERR_PIN_INVALID;
    }

  key->state->pin_retries = KV_PIN_MAX_RETRIES;
  conn->wrong_pins_in_a_row = 0;
  if (!save_locked (key))
    {
      g_mutex_unlock (&key->lock);
      return CTAP1_ERR_OTHER;
    }
  g_mutex_unlock (&key->lock);
  return CTAP2_OK;
}

static guint
client_pin (KvConnection *conn,
            KvCborParams *p,
            GByteArray   *response)
{
  KvKey *key = conn->key;
  guint64 protocol = 0, sub = 0, permissions = 0;
  gboolean has_protocol = kv_cbor_param_uint (p, 0x01, FALSE, &protocol);
  gboolean has_sub = kv_cbor_param_uint (p, 0x02, TRUE, &sub);
  cbor_item_t *platform_item = kv_cbor_param_map (p, 0x03, FALSE);
  g_autoptr(GBytes) auth_param = kv_cbor_param_bytes (p, 0x04, FALSE);
  g_autoptr(GBytes) new_pin_enc = kv_cbor_param_bytes (p, 0x05, FALSE);
  g_autoptr(GBytes) pin_hash_enc = kv_cbor_param_bytes (p, 0x06, FALSE);
  gboolean has_permissions = kv_cbor_param_uint (p, 0x09, FALSE, &permissions);
  g_autofree char *perm_rp_id = kv_cbor_param_text (p, 0x0a, FALSE);
  g_autoptr(EVP_PKEY) platform = NULL;
  KvPinSecret secret;
  gboolean pin_set;
  guint status;

  if (p->status != CTAP2_OK)
    return p->status;
  if (!has_sub)
    return CTAP2_ERR_MISSING_PARAMETER;

  g_mutex_lock (&key->lock);
  pin_set = key->state->pin_set;
  g_mutex_unlock (&key->lock);

  if (sub == 0x01)  /* getPINRetries */
    {
      g_autoptr(cbor_item_t) map = cbor_new_definite_map (2);
      guint retries;

      g_mutex_lock (&key->lock);
      retries = key->state->pin_retries;
      g_mutex_unlock (&key->lock);
      kv_cbor_put (map, cbor_build_uint8 (0x03), cbor_build_uint8 ((guint8) retries));
      kv_cbor_put (map, cbor_build_uint8 (0x04), cbor_build_bool (conn->wrong_pins_in_a_row >= 3));
      return kv_cbor_finish (map, response);
    }

  if (sub != 0x02 && sub != 0x03 && sub != 0x04 && sub != 0x05 && sub != 0x09)
    return CTAP2_ERR_INVALID_SUBCOMMAND;
  if (!has_protocol)
    return CTAP2_ERR_MISSING_PARAMETER;
  if (!protocol_supported (key, protocol))
    return CTAP1_ERR_INVALID_PARAMETER;
  if (sub == 0x02)
    return get_key_agreement (conn, response);

  if (platform_item == NULL)
    return CTAP2_ERR_MISSING_PARAMETER;
  if ((sub == 0x03 || sub == 0x04) && (auth_param == NULL || new_pin_enc == NULL))
    return CTAP2_ERR_MISSING_PARAMETER;
  if ((sub == 0x04 || sub == 0x05 || sub == 0x09) && pin_hash_enc == NULL)
    return CTAP2_ERR_MISSING_PARAMETER;
  if (sub == 0x09 && !has_permissions)
    return CTAP2_ERR_MISSING_PARAMETER;
  if (sub == 0x09 && permissions == 0)
    return CTAP1_ERR_INVALID_PARAMETER;

  if (sub == 0x03 && pin_set)
    return CTAP2_ERR_NOT_ALLOWED;
  if (sub != 0x03 && !pin_set)
    return CTAP2_ERR_PIN_NOT_SET;

  platform = read_platform_key (platform_item);
  if (platform == NULL || key_agreement (conn) == NULL ||
      !kv_pin_derive ((guint) protocol, conn->key_agreement, platform, &secret))
    return CTAP1_ERR_INVALID_PARAMETER;

  if (sub == 0x03 || sub == 0x04)
    {
      g_autoptr(GByteArray) msg = g_byte_array_new ();
      guint8 hash[KV_PIN_HASH_LEN];
      gsize hmac_len;
      const guint8 *hmac_key = kv_pin_hmac_key (&secret, &hmac_len);

      g_byte_array_append (msg, g_bytes_get_data (new_pin_enc, NULL),
                           (guint) g_bytes_get_size (new_pin_enc));
      if (sub == 0x04)
        {
          g_mutex_lock (&key->lock);
          status = key->state->pin_retries == 0 ? CTAP2_ERR_PIN_BLOCKED : CTAP2_OK;
          g_mutex_unlock (&key->lock);
          if (status != CTAP2_OK)
            return status;
          if (conn->wrong_pins_in_a_row >= 3)
            return CTAP2_ERR_PIN_AUTH_BLOCKED;
          g_byte_array_append (msg, g_bytes_get_data (pin_hash_enc, NULL),
                               (guint) g_bytes_get_size (pin_hash_enc));
        }
      if (!kv_pin_verify ((guint) protocol, hmac_key, hmac_len, msg->data, msg->len,
                          g_bytes_get_data (auth_param, NULL), g_bytes_get_size (auth_param)))
        {
          explicit_bzero (&secret, sizeof secret);
          return CTAP2_ERR_PIN_AUTH_INVALID;
        }
      if (sub == 0x04 && (status = check_pin_hash (conn, &secret, pin_hash_enc)) != CTAP2_OK)
        {
          explicit_bzero (&secret, sizeof secret);
          return status;
        }
      status = read_new_pin (&secret, new_pin_enc, hash);
      explicit_bzero (&secret, sizeof secret);
      if (status != CTAP2_OK)
        return status;

      g_mutex_lock (&key->lock);
      memcpy (key->state->pin_hash, hash, sizeof hash);
      key->state->pin_set = TRUE;
      key->state->pin_retries = KV_PIN_MAX_RETRIES;
      key->pin_generation++;
      explicit_bzero (hash, sizeof hash);
      if (!save_locked (key))
        {
          g_mutex_unlock (&key->lock);
          return CTAP1_ERR_OTHER;
        }
      g_mutex_unlock (&key->lock);
      kv_connection_forget_pin (conn);
      kv_log ("connection %u: PIN %s", conn->id, sub == 0x03 ? "set" : "changed");
      return CTAP2_OK;
    }

  /* getPinToken (0x05) and getPinUvAuthTokenUsingPinWithPermissions (0x09) */
  if (sub == 0x09)
    {
      if (permissions & ~(guint64) (PERMISSION_MC | PERMISSION_GA))
        return CTAP2_ERR_UNAUTHORIZED_PERMISSION;
      if (perm_rp_id == NULL)
        return CTAP2_ERR_MISSING_PARAMETER;
    }
  status = check_pin_hash (conn, &secret, pin_hash_enc);
  if (status != CTAP2_OK)
    {
      explicit_bzero (&secret, sizeof secret);
      return status;
    }

  kv_connection_forget_pin (conn);
  if (RAND_bytes (conn->token, sizeof conn->token) != 1)
    return CTAP1_ERR_OTHER;
  conn->token_valid = TRUE;
  conn->token_permissions = sub == 0x05 ? (PERMISSION_MC | PERMISSION_GA) : (guint8) permissions;
  conn->token_rp_id = g_steal_pointer (&perm_rp_id);
  g_mutex_lock (&key->lock);
  conn->token_generation = key->pin_generation;
  g_mutex_unlock (&key->lock);

  {
    g_autoptr(cbor_item_t) map = cbor_new_definite_map (1);
    g_autoptr(GBytes) enc = kv_pin_encrypt (&secret, conn->token, sizeof conn->token);

    explicit_bzero (&secret, sizeof secret);
    if (enc == NULL)
      return CTAP1_ERR_OTHER;
    kv_cbor_put (map, cbor_build_uint8 (0x02), kv_cbor_gbytes (enc));
    kv_log ("connection %u: PIN token issued (protocol %u, %s)", conn->id, (guint) protocol,
            sub == 0x05 ? "getPinToken" : "with permissions");
    return kv_cbor_finish (map, response);
  }
}

/* authenticatorReset (0x07) and authenticatorSelection (0x0B) */

static guint
reset (KvConnection *conn)
{
  KvKey *key = conn->key;
  gint64 age_ms = (g_get_monotonic_time () - key->started_at) / 1000;
  guint status;

  if (age_ms > key->reset_window_ms)
    {
      kv_log ("connection %u: reset refused: only within %u ms of start", conn->id,
              key->reset_window_ms);
      return CTAP2_ERR_NOT_ALLOWED;
    }
  status = presence_status (kv_connection_wait_presence (conn));
  if (status != CTAP2_OK)
    return status;

  g_mutex_lock (&key->lock);
  kv_state_reset (key->state);
  key->pin_generation++;
  if (!save_locked (key))
    {
      g_mutex_unlock (&key->lock);
      return CTAP1_ERR_OTHER;
    }
  g_mutex_unlock (&key->lock);
  kv_connection_forget_pin (conn);
  conn->wrong_pins_in_a_row = 0;
  kv_log ("connection %u: reset: credentials and PIN erased", conn->id);
  return CTAP2_OK;
}

/* Dispatch */

guint
kv_ctap_handle (KvConnection *conn,
                const guint8 *request,
                gsize         len,
                GByteArray   *response)
{
  guint8 cmd = request[0];
  g_autoptr(cbor_item_t) map = NULL;
  KvCborParams p = { 0 };
  guint status;

  if (cmd != CMD_GET_NEXT_ASSERTION)
    forget_next_assertion (conn);

  switch (cmd)
    {
    case CMD_GET_INFO:
      return get_info (conn, response);
    case CMD_GET_NEXT_ASSERTION:
      return get_next_assertion (conn, response);
    case CMD_RESET:
      return reset (conn);
    case CMD_SELECTION:
      return presence_status (kv_connection_wait_presence (conn));
    case CMD_MAKE_CREDENTIAL:
    case CMD_GET_ASSERTION:
    case CMD_CLIENT_PIN:
      break;
    default:
      kv_log ("connection %u: unknown CTAP command 0x%02x", conn->id, cmd);
      return CTAP1_ERR_INVALID_COMMAND;
    }

  status = kv_cbor_params_parse (request + 1, len - 1, &map);
  if (status != CTAP2_OK)
    {
      kv_log ("connection %u: command 0x%02x: malformed parameters (0x%02x)", conn->id, cmd,
              status);
      return status;
    }
  p.map = map;
  switch (cmd)
    {
    case CMD_MAKE_CREDENTIAL:
      status = make_credential (conn, &p, response);
      break;
    case CMD_GET_ASSERTION:
      status = get_assertion (conn, &p, response);
      break;
    case CMD_CLIENT_PIN:
      status = client_pin (conn, &p, response);
      break;
    default:
      g_assert_not_reached ();
    }
  if (status != CTAP2_OK && status != KV_CTAP_NO_REPLY)
    kv_log ("connection %u: command 0x%02x answered 0x%02x", conn->id, cmd, status);
  return status;
}
