/* kv-client-pin.c: authenticatorClientPIN (CTAP 2.1 §6.5): key agreement, setting and changing
 * the PIN, PIN tokens and the retry counters; and the check of a token a command presents
 *
 * Copyright 2026 Keyturn developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "kv-client-pin.h"

#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <openssl/sha.h>
#include <string.h>

#include "kt-cose.h"
#include "kv-ctap-session-private.h"
#include "kv-ctap-status.h"
#include "kv-pin.h"

static EVP_PKEY *
key_agreement (KvCtapSession *session)
{
  if (session->key_agreement == NULL)
    session->key_agreement = kv_key_generate_p256 ();
  return session->key_agreement;
}

static void
regenerate_key_agreement (KvCtapSession *session)
{
  g_clear_pointer (&session->key_agreement, EVP_PKEY_free);
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
get_key_agreement (KvCtapSession *session,
                   GByteArray    *response)
{
  g_autoptr(cbor_item_t) map = cbor_new_definite_map (1);
  cbor_item_t *cose = cbor_new_definite_map (5);
  guint8 point[KT_P256_POINT_LEN];
  EVP_PKEY *own = key_agreement (session);

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
      g_utf8_strlen ((const char *) pin, (gssize) pin_len) < KV_CLIENT_PIN_MIN_LENGTH)
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
check_pin_hash (KvCtapSession     *session,
                const KvPinSecret *secret,
                GBytes            *pin_hash_enc)
{
  KvKey *key = session->key;
  g_autoptr(GBytes) hash = NULL;
  gboolean match;

  g_mutex_lock (&key->lock);
  if (key->state->pin_retries == 0)
    {
      g_mutex_unlock (&key->lock);
      return CTAP2_ERR_PIN_BLOCKED;
    }
  if (session->wrong_pins_in_a_row >= 3)
    {
      g_mutex_unlock (&key->lock);
      return CTAP2_ERR_PIN_AUTH_BLOCKED;
    }
  key->state->pin_retries--;
  if (!kv_key_save_locked (key))
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
      regenerate_key_agreement (session);
      session->wrong_pins_in_a_row++;
      kv_ctap_session_log (session, "wrong PIN, %u retries left", left);
      if (left == 0)
        return CTAP2_ERR_PIN_BLOCKED;
      if (session->wrong_pins_in_a_row >= 3)
        return CTAP2_ERR_PIN_AUTH_BLOCKED;
      return CTAP2_ERR_PIN_INVALID;
    }

  key->state->pin_retries = KV_PIN_MAX_RETRIES;
  session->wrong_pins_in_a_row = 0;
  if (!kv_key_save_and_unlock (key))
    return CTAP1_ERR_OTHER;
  return CTAP2_OK;
}

guint
kv_client_pin_handle (KvCtapSession *session,
                      KvCborParams  *p,
                      GByteArray    *response)
{
  KvKey *key = session->key;
  guint64 protocol = 0, sub = 0, permissions = 0;
  gboolean has_protocol = kv_cbor_param_uint (p, 0x01, FALSE, &protocol);
  gboolean has_sub = kv_cbor_param_uint (p, 0x02, TRUE, &sub);
  cbor_item_t *platform_item = kv_cbor_param (p, 0x03, FALSE, kv_cbor_is_map);
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
      kv_cbor_put (map, cbor_build_uint8 (0x04),
                   cbor_build_bool (session->wrong_pins_in_a_row >= 3));
      return kv_cbor_finish (map, response);
    }

  if (sub != 0x02 && sub != 0x03 && sub != 0x04 && sub != 0x05 && sub != 0x09)
    return CTAP2_ERR_INVALID_SUBCOMMAND;
  if (!has_protocol)
    return CTAP2_ERR_MISSING_PARAMETER;
  if (!kv_key_supports_pin_protocol (key, protocol))
    return CTAP1_ERR_INVALID_PARAMETER;
  if (sub == 0x02)
    return get_key_agreement (session, response);

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
  if (platform == NULL || key_agreement (session) == NULL ||
      !kv_pin_derive ((guint) protocol, session->key_agreement, platform, &secret))
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
          if (session->wrong_pins_in_a_row >= 3)
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
      if (sub == 0x04 && (status = check_pin_hash (session, &secret, pin_hash_enc)) != CTAP2_OK)
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
      if (!kv_key_save_and_unlock (key))
        return CTAP1_ERR_OTHER;
      kv_ctap_session_forget_pin (session);
      kv_ctap_session_log (session, "PIN %s", sub == 0x03 ? "set" : "changed");
      return CTAP2_OK;
    }

  /* getPinToken (0x05) and getPinUvAuthTokenUsingPinWithPermissions (0x09) */
  if (sub == 0x09)
    {
      if (permissions & ~(guint64) (KV_PERMISSION_MC | KV_PERMISSION_GA))
        return CTAP2_ERR_UNAUTHORIZED_PERMISSION;
      if (perm_rp_id == NULL)
        return CTAP2_ERR_MISSING_PARAMETER;
    }
  status = check_pin_hash (session, &secret, pin_hash_enc);
  if (status != CTAP2_OK)
    {
      explicit_bzero (&secret, sizeof secret);
      return status;
    }

  kv_ctap_session_forget_pin (session);
  if (RAND_bytes (session->token, sizeof session->token) != 1)
    return CTAP1_ERR_OTHER;
  session->token_valid = TRUE;
  session->token_permissions = sub == 0x05 ? (KV_PERMISSION_MC | KV_PERMISSION_GA)
                                           : (guint8) permissions;
  session->token_rp_id = g_steal_pointer (&perm_rp_id);
  g_mutex_lock (&key->lock);
  session->token_generation = key->pin_generation;
  g_mutex_unlock (&key->lock);

  {
    g_autoptr(cbor_item_t) map = cbor_new_definite_map (1);
    g_autoptr(GBytes) enc = kv_pin_encrypt (&secret, session->token, sizeof session->token);

    explicit_bzero (&secret, sizeof secret);
    if (enc == NULL)
      return CTAP1_ERR_OTHER;
    kv_cbor_put (map, cbor_build_uint8 (0x02), kv_cbor_gbytes (enc));
    kv_ctap_session_log (session, "PIN token issued (protocol %u, %s)", (guint) protocol,
                         sub == 0x05 ? "getPinToken" : "with permissions");
    return kv_cbor_finish (map, response);
  }
}

guint
kv_client_pin_check_auth (KvCtapSession *session,
                          GBytes        *auth_param,
                          guint64        protocol,
                          gboolean       has_protocol,
                          const guint8   cdh[32],
                          guint8         permission,
                          const char    *rp_id)
{
  KvKey *key = session->key;
  gboolean pin_set, current;
  gsize tag_len;
  const guint8 *tag = g_bytes_get_data (auth_param, &tag_len);

  if (!has_protocol)
    return CTAP2_ERR_MISSING_PARAMETER;
  if (!kv_key_supports_pin_protocol (key, protocol))
    return CTAP1_ERR_INVALID_PARAMETER;

  g_mutex_lock (&key->lock);
  pin_set = key->state->pin_set;
  current = session->token_valid && session->token_generation == key->pin_generation;
  g_mutex_unlock (&key->lock);

  if (!pin_set)
    return CTAP2_ERR_PIN_NOT_SET;
  if (!current || !kv_pin_verify ((guint) protocol, session->token, sizeof session->token, cdh, 32,
                                  tag, tag_len))
    return CTAP2_ERR_PIN_AUTH_INVALID;
  if (!(session->token_permissions & permission))
    return CTAP2_ERR_UNAUTHORIZED_PERMISSION;
  if (session->token_rp_id != NULL && g_strcmp0 (session->token_rp_id, rp_id) != 0)
    return CTAP2_ERR_UNAUTHORIZED_PERMISSION;
  if (session->token_rp_id == NULL)
    session->token_rp_id = g_strdup (rp_id);
  return CTAP2_OK;
}
