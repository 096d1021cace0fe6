/* kv-ctap.c: the CTAP 2.1 authenticator API (getInfo, makeCredential, getAssertion,
 * getNextAssertion, reset, selection; clientPIN is kv-client-pin.c), one request at a time
 *
 * Written by hand against the CTAP 2.1 specification: no library implements the authenticator
 * side. libcbor parses and builds the CBOR, OpenSSL does the cryptography.
 *
 * Copyright 2026 Keyturn developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "kv-ctap.h"

#include <cbor.h>
#include <openssl/rand.h>
#include <openssl/sha.h>
#include <string.h>

#include "kt-cose.h"
#include "kv-cbor.h"
#include "kv-client-pin.h"
#include "kv-ctap-session-private.h"
#include "kv-ctap-status.h"
#include "kv-log.h"

#define CMD_MAKE_CREDENTIAL     0x01
#define CMD_GET_ASSERTION       0x02
#define CMD_GET_INFO            0x04
#define CMD_CLIENT_PIN          0x06
#define CMD_RESET               0x07
#define CMD_GET_NEXT_ASSERTION  0x08
#define CMD_SELECTION           0x0b

#define MAX_CREDENTIALS_IN_LIST  8
#define MAX_CREDENTIAL_ID_LEN    128
#define MAX_RESIDENT             100
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
get_info (KvCtapSession *session,
          GByteArray    *response)
{
  KvKey *key = session->key;
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
  kv_cbor_put (map, cbor_build_uint8 (0x05), kv_cbor_uint (KV_CTAP_MAX_MESSAGE));
  kv_cbor_put (map, cbor_build_uint8 (0x06), protocols);
  kv_cbor_put (map, cbor_build_uint8 (0x07), cbor_build_uint8 (MAX_CREDENTIALS_IN_LIST));
  kv_cbor_put (map, cbor_build_uint8 (0x08), cbor_build_uint8 (MAX_CREDENTIAL_ID_LEN));
  kv_cbor_put (map, cbor_build_uint8 (0x09), transports);
  kv_cbor_put (map, cbor_build_uint8 (0x0a), algorithms);
  kv_cbor_put (map, cbor_build_uint8 (0x0d), cbor_build_uint8 (KV_CLIENT_PIN_MIN_LENGTH));
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

/* A zero-length pinUvAuthParam asks only for a touch (CTAP 2.1 §6.1.2 step 1): libfido2's
 * touch-to-select sends it to every key and keeps the one that answers. */
static guint
touch_probe (KvCtapSession *session)
{
  guint status = presence_status (kv_ctap_session_wait_presence (session));
  gboolean pin_set;

  if (status != CTAP2_OK)
    return status;
  g_mutex_lock (&session->key->lock);
  pin_set = session->key->state->pin_set;
  g_mutex_unlock (&session->key->lock);
  return pin_set ? CTAP2_ERR_PIN_INVALID : CTAP2_ERR_PIN_NOT_SET;
}

/* The up and uv options and the clientDataHash, which makeCredential and getAssertion both carry
 * (CTAP 2.1 §6.1.2, §6.2.2): CTAP2_OK once every parameter read so far is well formed and the
 * hash is 32 bytes. */
static guint
read_presence_options (KvCborParams *p,
                       cbor_item_t  *options,
                       GBytes       *cdh,
                       int          *up,
                       int          *uv_option)
{
  kv_cbor_param_option (p, options, "up", up);
  kv_cbor_param_option (p, options, "uv", uv_option);
  if (p->status != CTAP2_OK)
    return p->status;
  if (g_bytes_get_size (cdh) != 32)
    return CTAP1_ERR_INVALID_LENGTH;
  return CTAP2_OK;
}

/* The pinUvAuthParam of makeCredential and getAssertion (CTAP 2.1 §6.1.2, §6.2.2): a zero-length
 * one asks only for a touch; any other must name a protocol this key speaks and, once the
 * command's own checks (@command_status) have passed, carry a valid token for @rp_id. */
static guint
check_auth_param (KvCtapSession *session,
                  GBytes        *auth_param,
                  gboolean       has_protocol,
                  guint64        protocol,
                  guint          command_status,
                  GBytes        *cdh,
                  guint8         permission,
                  const char    *rp_id)
{
  if (auth_param != NULL && g_bytes_get_size (auth_param) == 0)
    return touch_probe (session);
  if (auth_param != NULL && !has_protocol)
    return CTAP2_ERR_MISSING_PARAMETER;
  if (auth_param != NULL && !kv_key_supports_pin_protocol (session->key, protocol))
    return CTAP1_ERR_INVALID_PARAMETER;
  if (command_status != CTAP2_OK || auth_param == NULL)
    return command_status;
  return kv_client_pin_check_auth (session, auth_param, protocol, has_protocol,
                                   g_bytes_get_data (cdh, NULL), permission, rp_id);
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

/* The attestation object ("packed") for a new credential: authenticator data with the attested
 * credential data of @id and @cose, signed with the batch key (and its certificate) or, for self
 * attestation, with @cred_key. NULL when signing fails. */
static cbor_item_t *
build_attestation_object (KvKey      *key,
                          const char *rp_id,
                          gboolean    uv,
                          GBytes     *id,
                          GBytes     *cose,
                          EVP_PKEY   *cred_key,
                          GBytes     *cdh)
{
  g_autoptr(GByteArray) attested = g_byte_array_new ();
  g_autoptr(GBytes) auth_data = NULL;
  g_autoptr(GBytes) sig = NULL;
  guint8 id_len[2] = { 0, (guint8) g_bytes_get_size (id) };
  cbor_item_t *att_stmt, *map;

  g_mutex_lock (&key->lock);
  g_byte_array_append (attested, key->state->aaguid, KV_AAGUID_LEN);
  g_mutex_unlock (&key->lock);
  g_byte_array_append (attested, id_len, 2);
  g_byte_array_append (attested, g_bytes_get_data (id, NULL), (guint) g_bytes_get_size (id));
  g_byte_array_append (attested, g_bytes_get_data (cose, NULL), (guint) g_bytes_get_size (cose));
  auth_data = build_auth_data (rp_id, FLAG_UP | FLAG_AT | (uv ? FLAG_UV : 0), 0,
                               attested->data, attested->len);

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
          return NULL;
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
          return NULL;
        }
      kv_cbor_put (att_stmt, kv_cbor_text ("sig"), kv_cbor_gbytes (sig));
    }

  map = cbor_new_definite_map (3);
  kv_cbor_put (map, cbor_build_uint8 (0x01), kv_cbor_text ("packed"));
  kv_cbor_put (map, cbor_build_uint8 (0x02), kv_cbor_gbytes (auth_data));
  kv_cbor_put (map, cbor_build_uint8 (0x03), att_stmt);
  return map;
}

static guint
make_credential (KvCtapSession *session,
                 KvCborParams  *p,
                 GByteArray    *response)
{
  KvKey *key = session->key;
  g_autoptr(GBytes) cdh = kv_cbor_param_bytes (p, 0x01, TRUE);
  cbor_item_t *rp = kv_cbor_param (p, 0x02, TRUE, kv_cbor_is_map);
  cbor_item_t *user = kv_cbor_param (p, 0x03, TRUE, kv_cbor_is_map);
  cbor_item_t *algs = kv_cbor_param (p, 0x04, TRUE, kv_cbor_is_array);
  g_autoptr(GPtrArray) exclude =
    kv_cbor_param_descriptors (p, kv_cbor_param (p, 0x05, FALSE, kv_cbor_is_array),
                               MAX_CREDENTIALS_IN_LIST);
  cbor_item_t *options = kv_cbor_param (p, 0x07, FALSE, kv_cbor_is_map);
  g_autoptr(GBytes) auth_param = kv_cbor_param_bytes (p, 0x08, FALSE);
  g_autofree char *rp_id = NULL;
  g_autofree char *user_name = NULL;
  g_autofree char *display_name = NULL;
  g_autoptr(GBytes) user_id = NULL;
  g_autoptr(EVP_PKEY) cred_key = NULL;
  g_autoptr(GBytes) cose = NULL;
  g_autoptr(cbor_item_t) map = NULL;
  KvCredential *cred;
  g_autoptr(GBytes) id = NULL;
  guint64 protocol = 0;
  gboolean has_protocol = kv_cbor_param_uint (p, 0x09, FALSE, &protocol);
  gboolean es256 = FALSE, uv = FALSE;
  int rk, up, uv_option;
  guint status;
  cbor_item_t *item;

  if (rp != NULL && (item = kv_cbor_member (p, rp, "id", TRUE, kv_cbor_is_text)) != NULL)
    rp_id = kv_cbor_dup_text (item);
  if (user != NULL)
    {
      if ((item = kv_cbor_member (p, user, "id", TRUE, kv_cbor_is_bytes)) != NULL)
        user_id = g_bytes_new (cbor_bytestring_handle (item), cbor_bytestring_length (item));
      if ((item = kv_cbor_member (p, user, "name", FALSE, kv_cbor_is_text)) != NULL)
        user_name = kv_cbor_dup_text (item);
      if ((item = kv_cbor_member (p, user, "displayName", FALSE, kv_cbor_is_text)) != NULL)
        display_name = kv_cbor_dup_text (item);
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
  status = read_presence_options (p, options, cdh, &up, &uv_option);
  if (status != CTAP2_OK)
    return status;
  if (g_bytes_get_size (user_id) == 0 || g_bytes_get_size (user_id) > 64)
    return CTAP1_ERR_INVALID_LENGTH;

  /* No built-in user verification, and a credential cannot be made without presence. */
  status = check_auth_param (session, auth_param, has_protocol, protocol,
                             !es256 ? CTAP2_ERR_UNSUPPORTED_ALGORITHM :
                             uv_option == 1 || up == 0 ? CTAP2_ERR_INVALID_OPTION : CTAP2_OK,
                             cdh, KV_PERMISSION_MC, rp_id);
  if (status != CTAP2_OK)
    return status;
  uv = auth_param != NULL;
  if (!uv)
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
      found = kv_key_find_credential (key, rp_id, g_ptr_array_index (exclude, i)) != NULL;
      g_mutex_unlock (&key->lock);
      if (found)
        {
          kv_ctap_session_log (session,
                               "makeCredential for %s: a credential in excludeList is here",
                               rp_id);
          status = presence_status (kv_ctap_session_wait_presence (session));
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

  status = presence_status (kv_ctap_session_wait_presence (session));
  if (status != CTAP2_OK)
    return status;

  cred_key = kv_key_generate_p256 ();
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

  map = build_attestation_object (key, rp_id, uv, id, cose, cred_key, cdh);
  if (map == NULL)
    return CTAP1_ERR_OTHER;

  if (rk != 1)
    {
      kv_ctap_session_log (session, "made a non-discoverable credential for %s (%s attestation%s)",
                           rp_id, key->attestation == KV_ATTESTATION_PACKED ? "batch" : "self",
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
  if (!kv_key_save_locked (key))
    {
      g_ptr_array_remove (key->state->credentials, cred);
      g_mutex_unlock (&key->lock);
      return CTAP1_ERR_OTHER;
    }
  g_mutex_unlock (&key->lock);

  kv_ctap_session_log (session, "made a discoverable credential for %s (%s attestation%s)",
                       rp_id, key->attestation == KV_ATTESTATION_PACKED ? "batch" : "self",
          uv ? ", PIN verified" : "");
  return kv_cbor_finish (map, response);
}

/* authenticatorGetAssertion (0x02) and authenticatorGetNextAssertion (0x08) */

static guint
assert_one (KvCtapSession *session,
            const char    *rp_id,
            GBytes        *cred_id,
            const guint8   cdh[32],
            guint8         flags,
            guint          number_of_credentials,
            GByteArray    *response)
{
  KvKey *key = session->key;
  g_autoptr(cbor_item_t) map = cbor_new_definite_map (5);
  g_autoptr(GBytes) auth_data = NULL;
  g_autoptr(GBytes) sig = NULL;
  cbor_item_t *descriptor = cbor_new_definite_map (2);
  cbor_item_t *user = NULL;
  g_autoptr(GError) error = NULL;
  KvCredential *cred;
  guint32 count;

  g_mutex_lock (&key->lock);
  cred = kv_key_find_credential (key, rp_id, cred_id);
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
  kv_ctap_session_log (session, "assertion for %s, counter %u%s", rp_id, count,
                       (flags & FLAG_UV) ? ", PIN verified" : "");
  return kv_cbor_finish (map, response);
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
get_assertion (KvCtapSession *session,
               KvCborParams  *p,
               GByteArray    *response)
{
  KvKey *key = session->key;
  g_autofree char *rp_id = kv_cbor_param_text (p, 0x01, TRUE);
  g_autoptr(GBytes) cdh = kv_cbor_param_bytes (p, 0x02, TRUE);
  cbor_item_t *allow_item = kv_cbor_param (p, 0x03, FALSE, kv_cbor_is_array);
  g_autoptr(GPtrArray) allow = kv_cbor_param_descriptors (p, allow_item, MAX_CREDENTIALS_IN_LIST);
  cbor_item_t *options = kv_cbor_param (p, 0x05, FALSE, kv_cbor_is_map);
  g_autoptr(GBytes) auth_param = kv_cbor_param_bytes (p, 0x06, FALSE);
  g_autoptr(GPtrArray) found = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  guint64 protocol = 0;
  gboolean has_protocol = kv_cbor_param_uint (p, 0x07, FALSE, &protocol);
  int up, uv_option;
  guint8 flags = 0;
  guint status;

  status = read_presence_options (p, options, cdh, &up, &uv_option);
  if (status != CTAP2_OK)
    return status;

  status = check_auth_param (session, auth_param, has_protocol, protocol,
                             uv_option == 1 ? CTAP2_ERR_INVALID_OPTION : CTAP2_OK,
                             cdh, KV_PERMISSION_GA, rp_id);
  if (status != CTAP2_OK)
    return status;

  g_mutex_lock (&key->lock);
  if (allow_item != NULL)
    {
      for (guint i = 0; i < allow->len && found->len == 0; i++)
        {
          GBytes *id = g_ptr_array_index (allow, i);

          if (kv_key_find_credential (key, rp_id, id) != NULL)
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
      kv_ctap_session_log (session, "getAssertion for %s: no credential here", rp_id);
      return CTAP2_ERR_NO_CREDENTIALS;
    }

  if (up != 0)
    {
      status = presence_status (kv_ctap_session_wait_presence (session));
      if (status != CTAP2_OK)
        return status;
      flags |= FLAG_UP;
    }
  if (auth_param != NULL)  /* its token was checked above */
    flags |= FLAG_UV;

  status = assert_one (session, rp_id, g_ptr_array_index (found, 0), g_bytes_get_data (cdh, NULL),
                       flags, allow_item != NULL ? 1 : found->len, response);
  if (status == CTAP2_OK && allow_item == NULL && found->len > 1)
    {
      g_ptr_array_remove_index (found, 0);
      session->next_ids = g_steal_pointer (&found);
      session->next_rp_id = g_steal_pointer (&rp_id);
      memcpy (session->next_cdh, g_bytes_get_data (cdh, NULL), 32);
      session->next_flags = flags;
      session->next_deadline = g_get_monotonic_time () + NEXT_ASSERTION_WINDOW_S * G_USEC_PER_SEC;
    }
  return status;
}

static guint
get_next_assertion (KvCtapSession *session,
                    GByteArray    *response)
{
  g_autoptr(GBytes) id = NULL;
  guint status;

  if (session->next_ids == NULL || session->next_ids->len == 0 ||
      g_get_monotonic_time () > session->next_deadline)
    {
      kv_ctap_session_forget_assertions (session);
      return CTAP2_ERR_NOT_ALLOWED;
    }
  id = g_ptr_array_steal_index (session->next_ids, 0);
  status = assert_one (session, session->next_rp_id, id, session->next_cdh, session->next_flags, 0,
                       response);
  if (session->next_ids->len == 0)
    kv_ctap_session_forget_assertions (session);
  return status;
}

/* authenticatorReset (0x07) and authenticatorSelection (0x0B) */

static guint
reset (KvCtapSession *session)
{
  KvKey *key = session->key;
  gint64 age_ms = (g_get_monotonic_time () - key->started_at) / 1000;
  guint status;

  if (age_ms > key->reset_window_ms)
    {
      kv_ctap_session_log (session, "reset refused: only within %u ms of start",
                           key->reset_window_ms);
      return CTAP2_ERR_NOT_ALLOWED;
    }
  status = presence_status (kv_ctap_session_wait_presence (session));
  if (status != CTAP2_OK)
    return status;

  g_mutex_lock (&key->lock);
  kv_state_reset (key->state);
  key->pin_generation++;
  if (!kv_key_save_and_unlock (key))
    return CTAP1_ERR_OTHER;
  kv_ctap_session_forget_pin (session);
  session->wrong_pins_in_a_row = 0;
  kv_ctap_session_log (session, "reset: credentials and PIN erased");
  return CTAP2_OK;
}

/* Dispatch */

guint
kv_ctap_handle (KvCtapSession *session,
                const guint8  *request,
                gsize          len,
                GByteArray    *response)
{
  guint8 cmd = request[0];
  g_autoptr(cbor_item_t) map = NULL;
  KvCborParams p = { 0 };
  guint status;

  if (cmd != CMD_GET_NEXT_ASSERTION)
    kv_ctap_session_forget_assertions (session);

  switch (cmd)
    {
    case CMD_GET_INFO:
      return get_info (session, response);
    case CMD_GET_NEXT_ASSERTION:
      return get_next_assertion (session, response);
    case CMD_RESET:
      return reset (session);
    case CMD_SELECTION:
      return presence_status (kv_ctap_session_wait_presence (session));
    case CMD_MAKE_CREDENTIAL:
    case CMD_GET_ASSERTION:
    case CMD_CLIENT_PIN:
      break;
    default:
      kv_ctap_session_log (session, "unknown CTAP command 0x%02x", cmd);
      return CTAP1_ERR_INVALID_COMMAND;
    }

  status = kv_cbor_params_parse (request + 1, len - 1, &map);
  if (status != CTAP2_OK)
    {
      kv_ctap_session_log (session, "command 0x%02x: malformed parameters (0x%02x)", cmd,
                           status);
      return status;
    }
  p.map = map;
  switch (cmd)
    {
    case CMD_MAKE_CREDENTIAL:
      status = make_credential (session, &p, response);
      break;
    case CMD_GET_ASSERTION:
      status = get_assertion (session, &p, response);
      break;
    case CMD_CLIENT_PIN:
      status = kv_client_pin_handle (session, &p, response);
      break;
    default:
      g_assert_not_reached ();
    }
  if (status != CTAP2_OK && status != KV_CTAP_NO_REPLY)
    kv_ctap_session_log (session, "command 0x%02x answered 0x%02x", cmd, status);
  return status;
}

