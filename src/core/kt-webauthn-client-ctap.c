/* kt-webauthn-client-ctap.c: the CTAP requests a ceremony makes on the chosen key
 *
 * Make credential, get assertion and set PIN through libfido2: which credential the key
 * holds, how the user is verified, the PIN asked for and asked again, and the key's answer
 * read back into the JSON the server takes.
 *
 * Copyright 2026 Keyturn developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "kt-webauthn-client-private.h"

#include <cbor.h>
#include <glib/gi18n-lib.h>
#include <openssl/ec.h>
#include <string.h>

#include "kt-cbor.h"
#include "kt-cose.h"
#include "kt-secret.h"
#include "kt-webauthn-response.h"

/* Which of @ids this key holds for @rp_id, asked silently (up=false) a chunk at a time, as
 * python-fido2 does, so the real request names one credential the key is known to have. */
static gboolean
ceremony_find_credential (KtCeremony       *c,
                          KtAuthenticator  *key,
                          GPtrArray        *ids,
                          GBytes          **found,
                          GError          **error)
{
  static const guint8 zero_hash[32];
  fido_dev_t *dev = kt_authenticator_get_device (key);
  gsize max_len = 0;
  gsize chunk_size = 1;
  g_autoptr(GPtrArray) usable = g_ptr_array_new ();

  *found = NULL;

  /* The key's limits matter only for a list; one id goes as it is (saves a getInfo). */
  if (ids->len > 1)
    {
      max_len = kt_authenticator_max_credential_id_length (key);
      chunk_size = kt_authenticator_max_credentials_in_list (key);
    }

  for (guint i = 0; i < ids->len; i++)
    {
      GBytes *id = g_ptr_array_index (ids, i);

      /* An id longer than the key takes cannot be one of its own. */
      if (max_len == 0 || g_bytes_get_size (id) <= max_len)
        g_ptr_array_add (usable, id);
    }

  for (guint start = 0; start < usable->len; start += chunk_size)
    {
      guint end = MIN (start + chunk_size, usable->len);
      fido_assert_t *assert = fido_assert_new ();
      int r;

      if (assert == NULL || fido_assert_set_rp (assert, c->rp_id) != FIDO_OK
          || fido_assert_set_clientdata_hash (assert, zero_hash, sizeof zero_hash) != FIDO_OK
          || fido_assert_set_up (assert, FIDO_OPT_FALSE) != FIDO_OK)
        {
          fido_assert_free (&assert);
          return kt_webauthn_set_fido_error (error, FIDO_ERR_INTERNAL);
        }
      for (guint i = start; i < end; i++)
        {
          gsize len;
          const guint8 *data = g_bytes_get_data (g_ptr_array_index (usable, i), &len);

          fido_assert_allow_cred (assert, data, len);
        }

      if (!kt_ceremony_begin_wait (c, dev, error))
        {
          fido_assert_free (&assert);
          return FALSE;
        }
      r = fido_dev_get_assert (dev, assert, NULL);
      kt_ceremony_end_wait (c, dev);

      if (r == FIDO_OK)
        {
          const guint8 *id = fido_assert_id_ptr (assert, 0);
          gsize id_len = fido_assert_id_len (assert, 0);

          /* A key may leave the id out when the list had only one. */
          *found = g_bytes_ref (g_ptr_array_index (usable, start));
          for (guint i = start; id != NULL && id_len > 0 && i < end; i++)
            {
              GBytes *candidate = g_ptr_array_index (usable, i);

              if (g_bytes_get_size (candidate) == id_len
                  && memcmp (g_bytes_get_data (candidate, NULL), id, id_len) == 0)
                {
                  g_bytes_unref (*found);
                  *found = g_bytes_ref (candidate);
                }
            }
          fido_assert_free (&assert);
          return TRUE;
        }
      fido_assert_free (&assert);

      if (kt_ceremony_aborted (c, error))
        return FALSE;
      if (r != FIDO_ERR_NO_CREDENTIALS)
        return kt_webauthn_set_fido_error (error, r);
    }

  return TRUE;
}

/* A key that cannot serve the ceremony (one already registered, or none of the allowed ones)
 * says so only once it is touched, as browsers do: a page cannot probe silently which keys
 * someone holds, and the person learns which key was meant. Always NULL, with @error set. */
static JsonObject *
refuse_after_touch (KtCeremony       *c,
                    KtAuthenticator  *key,
                    KtWebauthnError   code,
                    GError          **error)
{
  kt_ceremony_post_state (c, KT_WEBAUTHN_STATE_TOUCH_NEEDED, -1, FALSE);
  if (kt_ceremony_wait_for_touch (c, key, error))
    kt_webauthn_set_error (error, code);
  return NULL;
}

/* How user verification will happen on this key, decided as Chromium does: "required" needs
 * UV; "preferred" uses it when the key has it configured; "discouraged" does without (the key
 * may still insist, which shows as FIDO_ERR_PIN_REQUIRED). */
typedef enum {
  UV_NONE,
  UV_BUILT_IN,
  UV_PIN,
} UvMethod;

static gboolean
ceremony_choose_uv (KtCeremony       *c,
                    KtAuthenticator  *key,
                    UvMethod         *method,
                    GError          **error)
{
  fido_dev_t *dev = kt_authenticator_get_device (key);
  gboolean wanted = c->user_verification == KT_REQUIREMENT_REQUIRED
                    || (c->user_verification == KT_REQUIREMENT_PREFERRED
                        && (fido_dev_has_pin (dev) || fido_dev_has_uv (dev)));

  *method = UV_NONE;
  if (!wanted)
    return TRUE;
  if (fido_dev_has_uv (dev))
    *method = UV_BUILT_IN;
  else if (fido_dev_has_pin (dev))
    *method = UV_PIN;
  else if (fido_dev_supports_pin (dev))
    return kt_webauthn_set_error (error, KT_WEBAUTHN_ERROR_PIN_NOT_SET);
  else
    return kt_webauthn_set_error (error, KT_WEBAUTHN_ERROR_MISSING_CAPABILITY);
  return TRUE;
}

/* Asks for the PIN, first telling how many attempts are left; a key with none left is
 * hard-blocked and no PIN is asked at all. */
static KtPin *
ceremony_request_pin (KtCeremony       *c,
                      KtAuthenticator  *key,
                      gboolean          after_wrong_pin,
                      GError          **error)
{
  fido_dev_t *dev = kt_authenticator_get_device (key);
  int retries = -1;
  int r;

  if (!kt_ceremony_begin_wait (c, dev, error))
    return NULL;
  r = fido_dev_get_retry_count (dev, &retries);
  kt_ceremony_end_wait (c, dev);

  if (r == FIDO_ERR_PIN_BLOCKED || (r == FIDO_OK && retries == 0))
    {
      kt_webauthn_set_error (error, KT_WEBAUTHN_ERROR_PIN_HARD_BLOCKED);
      return NULL;
    }
  if (r != FIDO_OK)
    retries = -1;

  return kt_ceremony_ask_pin (c,
                              after_wrong_pin ? KT_WEBAUTHN_STATE_WRONG_PIN
                                              : KT_WEBAUTHN_STATE_PIN_NEEDED,
                              retries, error);
}

/* What to do after a request failed with @r: ask for a (new) PIN, or give up. */
static gboolean
ceremony_handle_pin_error (KtCeremony       *c,
                           KtAuthenticator  *key,
                           int               r,
                           KtPin           **pin,
                           GError          **error)
{
  fido_dev_t *dev = kt_authenticator_get_device (key);
  gboolean had_pin = *pin != NULL;

  g_clear_pointer (pin, kt_secret_free);

  switch (r)
    {
    case FIDO_ERR_PIN_REQUIRED:
    case FIDO_ERR_UNAUTHORIZED_PERM:
      /* The key insists on user verification (pam-u2f's pamu2fcfg asks only then, too). */
      if (had_pin)
        return kt_webauthn_set_fido_error (error, r);
      if (!fido_dev_has_pin (dev))
        return kt_webauthn_set_error (error, fido_dev_supports_pin (dev)
                                               ? KT_WEBAUTHN_ERROR_PIN_NOT_SET
                                               : KT_WEBAUTHN_ERROR_MISSING_CAPABILITY);
      *pin = ceremony_request_pin (c, key, FALSE, error);
      return *pin != NULL;

    case FIDO_ERR_PIN_INVALID:
      *pin = ceremony_request_pin (c, key, TRUE, error);
      return *pin != NULL;

    default:
      return kt_webauthn_set_fido_error (error, r);
    }
}

/* The request for one attempt, built afresh each time: a registration's fido_cred_t (resident
 * or not), or else a fido_assert_t naming @allowed. NULL when libfido2 could not build it. */
static gpointer
request_new (KtCeremony *c,
             UvMethod    uv,
             gboolean    resident_key,
             GBytes     *allowed)
{
  gsize client_data_len;
  const guint8 *client_data = g_bytes_get_data (c->client_data, &client_data_len);
  fido_opt_t uv_option = uv == UV_BUILT_IN ? FIDO_OPT_TRUE : FIDO_OPT_OMIT;
  fido_cred_t *cred;
  fido_assert_t *assert;

  if (c->kind == KT_CEREMONY_REGISTER)
    {
      const KtCreationOptions *options = c->creation;
      gsize user_id_len;
      const guint8 *user_id = g_bytes_get_data (options->user_id, &user_id_len);

      cred = fido_cred_new ();
      if (cred == NULL
          || fido_cred_set_type (cred, COSE_ES256) != FIDO_OK
          || fido_cred_set_clientdata (cred, client_data, client_data_len) != FIDO_OK
          || fido_cred_set_rp (cred, c->rp_id, options->rp_name) != FIDO_OK
          || fido_cred_set_user (cred, user_id, user_id_len, options->user_name,
                                 options->user_display_name, NULL) != FIDO_OK
          || fido_cred_set_rk (cred, resident_key ? FIDO_OPT_TRUE : FIDO_OPT_OMIT) != FIDO_OK
          || fido_cred_set_uv (cred, uv_option) != FIDO_OK)
        fido_cred_free (&cred);
      return cred;
    }

  assert = fido_assert_new ();
  if (assert == NULL
      || fido_assert_set_rp (assert, c->rp_id) != FIDO_OK
      || fido_assert_set_clientdata (assert, client_data, client_data_len) != FIDO_OK
      || fido_assert_allow_cred (assert, g_bytes_get_data (allowed, NULL),
                                 g_bytes_get_size (allowed)) != FIDO_OK
      || fido_assert_set_uv (assert, uv_option) != FIDO_OK)
    fido_assert_free (&assert);
  return assert;
}

static void
request_free (KtCeremony *c,
              gpointer    request)
{
  fido_cred_t *cred = request;
  fido_assert_t *assert = request;

  if (c->kind == KT_CEREMONY_REGISTER)
    fido_cred_free (&cred);
  else
    fido_assert_free (&assert);
}

/* Sends the ceremony's request until the key answers it: the PIN is asked for first when the
 * key verifies the user with one, and again while the key wants one (another one). Returns
 * the answered request (request_new()), or NULL with @error. */
static gpointer
ceremony_send_request (KtCeremony       *c,
                       KtAuthenticator  *key,
                       gboolean          resident_key,
                       GBytes           *allowed,
                       GError          **error)
{
  fido_dev_t *dev = kt_authenticator_get_device (key);
  g_autoptr(KtPin) pin = NULL;
  UvMethod uv;

  if (!ceremony_choose_uv (c, key, &uv, error))
    return NULL;
  if (uv == UV_PIN && (pin = ceremony_request_pin (c, key, FALSE, error)) == NULL)
    return NULL;

  for (;;)
    {
      gpointer request = request_new (c, uv, resident_key, allowed);
      int r;

      if (request == NULL)
        return kt_webauthn_set_fido_error (error, FIDO_ERR_INTERNAL), NULL;

      kt_ceremony_post_state (c, KT_WEBAUTHN_STATE_TOUCH_NEEDED, -1, FALSE);
      if (!kt_ceremony_begin_wait (c, dev, error))
        {
          request_free (c, request);
          return NULL;
        }
      if (c->kind == KT_CEREMONY_REGISTER)
        r = fido_dev_make_cred (dev, request, pin);
      else
        r = fido_dev_get_assert (dev, request, pin);
      kt_ceremony_end_wait (c, dev);
      g_clear_pointer (&pin, kt_secret_free);

      if (r == FIDO_OK)
        return request;
      request_free (c, request);
      if (kt_ceremony_aborted (c, error) || !ceremony_handle_pin_error (c, key, r, &pin, error))
        return NULL;
    }
}

/* With attestation conveyance "none", asked for or by default, a browser keeps the key's make
 * and model to itself (WebAuthn Level 3 §5.1.3): the statement is dropped unless it is already
 * self attestation, which says nothing about the key. */
static gboolean
attestation_is_withheld (const KtCreationOptions *options,
                         const fido_cred_t       *cred)
{
  const unsigned char *aaguid = fido_cred_aaguid_ptr (cred);
  gboolean zero_aaguid = aaguid != NULL && fido_cred_aaguid_len (cred) == 16;

  if (options->attestation != NULL && g_strcmp0 (options->attestation, "none") != 0)
    return FALSE;
  for (gsize i = 0; zero_aaguid && i < 16; i++)
    zero_aaguid = aaguid[i] == 0;
  return !(zero_aaguid && g_strcmp0 (fido_cred_fmt (cred), "packed") == 0 &&
           fido_cred_x5c_len (cred) == 0);
}

/* A P-256 SubjectPublicKeyInfo is this head (id-ecPublicKey, prime256v1, a bit string) and the
 * uncompressed point. Written by hand: through es256_pk_t, EVP_PKEY and i2d_PUBKEY it cost
 * ~40 µs, more than all the rest the client does with the key's answer. */
static const guint8 p256_spki_head[] = {
  0x30, 0x59, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01, 0x06, 0x08,
  0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07, 0x03, 0x42, 0x00,
};

static GBytes *
encode_public_key (const fido_cred_t *cred)
{
  const EC_GROUP *group = kt_p256_group ();
  guint8 spki[sizeof p256_spki_head + 1 + 64];
  guint8 *point = spki + sizeof p256_spki_head;
  EC_POINT *check;
  gboolean on_curve;

  /* libfido2 holds an ES256 key as x || y. */
  if (fido_cred_type (cred) != COSE_ES256 || fido_cred_pubkey_len (cred) != 64 || group == NULL)
    return NULL;
  memcpy (spki, p256_spki_head, sizeof p256_spki_head);
  point[0] = POINT_CONVERSION_UNCOMPRESSED;
  memcpy (point + 1, fido_cred_pubkey_ptr (cred), 64);

  /* A point off the curve is no key: OpenSSL refuses to decode one. */
  check = EC_POINT_new (group);
  on_curve = check != NULL && EC_POINT_oct2point (group, check, point, 1 + 64, NULL) == 1;
  EC_POINT_free (check);
  return on_curve ? g_bytes_new (spki, sizeof spki) : NULL;
}

JsonObject *
kt_ceremony_make_credential (KtCeremony       *c,
                             KtAuthenticator  *key,
                             GError          **error)
{
  const KtCreationOptions *options = c->creation;
  g_autoptr(GBytes) excluded = NULL;
  g_autoptr(GBytes) auth_data = NULL;
  g_autoptr(GBytes) statement = NULL;
  g_autoptr(GBytes) attestation_object = NULL;
  const char *format;
  g_autoptr(GBytes) credential_id = NULL;
  g_autoptr(GBytes) public_key = NULL;
  fido_cred_t *cred;
  gboolean resident_key;
  JsonObject *result;

  /* A key without ES256 answers FIDO_ERR_UNSUPPORTED_ALGORITHM: a missing capability. */
  switch (options->resident_key)
    {
    case KT_REQUIREMENT_REQUIRED:
      if (!kt_authenticator_supports_resident_keys (key))
        return kt_webauthn_set_error (error, KT_WEBAUTHN_ERROR_MISSING_CAPABILITY), NULL;
      resident_key = TRUE;
      break;
    case KT_REQUIREMENT_PREFERRED:
      resident_key = kt_authenticator_supports_resident_keys (key);
      break;
    case KT_REQUIREMENT_DISCOURAGED:
    default:
      resident_key = FALSE;
      break;
    }

  if (!ceremony_find_credential (c, key, options->exclude_credentials, &excluded, error))
    return NULL;
  if (excluded != NULL)
    return refuse_after_touch (c, key, KT_WEBAUTHN_ERROR_ALREADY_REGISTERED, error);

  cred = ceremony_send_request (c, key, resident_key, NULL, error);
  if (cred == NULL)
    return NULL;

  auth_data = g_bytes_new (fido_cred_authdata_raw_ptr (cred), fido_cred_authdata_raw_len (cred));
  credential_id = g_bytes_new (fido_cred_id_ptr (cred), fido_cred_id_len (cred));
  public_key = encode_public_key (cred);
  format = fido_cred_fmt (cred);
  if (attestation_is_withheld (c->creation, cred))
    {
      static const guint8 empty_map[] = { 0xa0 };

      format = "none";
      statement = g_bytes_new_static (empty_map, sizeof empty_map);
    }
  else
    statement = g_bytes_new (fido_cred_attstmt_ptr (cred), fido_cred_attstmt_len (cred));
  if (format != NULL)
    attestation_object = kt_webauthn_response_encode_attestation_object (format, statement,
                                                                         auth_data);
  fido_cred_free (&cred);

  if (!kt_webauthn_response_check_authenticator_data (auth_data, c->rp_id, TRUE,
                                                      c->user_verification
                                                        == KT_REQUIREMENT_REQUIRED, error))
    return NULL;
  if (attestation_object == NULL || g_bytes_get_size (credential_id) == 0 || public_key == NULL)
    return kt_webauthn_set_error (error, KT_WEBAUTHN_ERROR_BAD_RESPONSE), NULL;

  result = kt_webauthn_response_new_registration (credential_id, c->client_data,
                                                  attestation_object, auth_data, public_key,
                                                  KT_COSE_ES256);
  return result;
}

/* libfido2 1.12 hands assertion authenticator data back CBOR-wrapped (a byte string). */
static GBytes *
unwrap_byte_string (const guint8 *data,
                    gsize         len)
{
  gsize consumed = 0;
  cbor_item_t *item;
  GBytes *bytes = NULL;

  if (data == NULL || len == 0)
    return NULL;
  item = kt_cbor_load (data, len, &consumed, NULL);
  if (item == NULL)
    return NULL;
  if (consumed == len && cbor_isa_bytestring (item) && cbor_bytestring_is_definite (item))
    bytes = g_bytes_new (cbor_bytestring_handle (item), cbor_bytestring_length (item));
  cbor_decref (&item);
  return bytes;
}

JsonObject *
kt_ceremony_get_assertion (KtCeremony       *c,
                           KtAuthenticator  *key,
                           GError          **error)
{
  const KtRequestOptions *options = c->request;
  g_autoptr(GBytes) allowed = NULL;
  g_autoptr(GBytes) auth_data = NULL;
  g_autoptr(GBytes) credential_id = NULL;
  g_autoptr(GBytes) signature = NULL;
  g_autoptr(GBytes) user_handle = NULL;
  fido_assert_t *assert;

  if (!ceremony_find_credential (c, key, options->allow_credentials, &allowed, error))
    return NULL;
  if (allowed == NULL)
    return refuse_after_touch (c, key, KT_WEBAUTHN_ERROR_NOT_REGISTERED, error);

  assert = ceremony_send_request (c, key, FALSE, allowed, error);
  if (assert == NULL)
    return NULL;

  if (fido_assert_count (assert) != 1)
    {
      fido_assert_free (&assert);
      return kt_webauthn_set_error (error, KT_WEBAUTHN_ERROR_BAD_RESPONSE), NULL;
    }

  auth_data = unwrap_byte_string (fido_assert_authdata_ptr (assert, 0),
                                  fido_assert_authdata_len (assert, 0));
  if (fido_assert_id_len (assert, 0) > 0)
    credential_id = g_bytes_new (fido_assert_id_ptr (assert, 0), fido_assert_id_len (assert, 0));
  else
    credential_id = g_bytes_ref (allowed);
  signature = g_bytes_new (fido_assert_sig_ptr (assert, 0), fido_assert_sig_len (assert, 0));
  if (fido_assert_user_id_len (assert, 0) > 0)
    user_handle = g_bytes_new (fido_assert_user_id_ptr (assert, 0),
                               fido_assert_user_id_len (assert, 0));
  fido_assert_free (&assert);

  if (auth_data == NULL)
    return kt_webauthn_set_error (error, KT_WEBAUTHN_ERROR_BAD_RESPONSE), NULL;
  if (!kt_webauthn_response_check_authenticator_data (auth_data, c->rp_id, FALSE,
                                                      c->user_verification
                                                        == KT_REQUIREMENT_REQUIRED, error))
    return NULL;
  /* The key must answer for the credential it was asked about. */
  if (!g_bytes_equal (credential_id, allowed) || g_bytes_get_size (signature) == 0)
    return kt_webauthn_set_error (error, KT_WEBAUTHN_ERROR_BAD_RESPONSE), NULL;

  return kt_webauthn_response_new_authentication (credential_id, c->client_data, auth_data,
                                                  signature, user_handle);
}

/* Gives a key with no PIN its first one. The rules every key shares were checked before any
 * key was opened; here the key's own minimum too, before it is asked. */
gboolean
kt_ceremony_set_pin (KtCeremony       *c,
                     KtAuthenticator  *key,
                     GError          **error)
{
  fido_dev_t *dev = kt_authenticator_get_device (key);
  g_autoptr(KtPin) pin = g_steal_pointer (&c->new_pin);
  guint min_length = kt_authenticator_min_pin_length (key);
  int r;

  if (!fido_dev_supports_pin (dev))
    return kt_webauthn_set_error (error, KT_WEBAUTHN_ERROR_MISSING_CAPABILITY);
  if (fido_dev_has_pin (dev))
    {
      g_set_error_literal (error, KT_WEBAUTHN_ERROR, KT_WEBAUTHN_ERROR_DENIED,
                           _("This security key already has a PIN. Use that PIN instead."));
      return FALSE;
    }
  if (g_utf8_strlen (pin, -1) < (glong) min_length)
    {
      g_set_error (error, KT_WEBAUTHN_ERROR, KT_WEBAUTHN_ERROR_INVALID_PIN,
                   g_dngettext (GETTEXT_PACKAGE,
                                "This security key needs a PIN of at least %u character.",
                                "This security key needs a PIN of at least %u characters.",
                                min_length),
                   min_length);
      return FALSE;
    }

  kt_ceremony_post_state (c, KT_WEBAUTHN_STATE_WORKING, -1, FALSE);
  r = fido_dev_set_pin (dev, pin, NULL);
  g_clear_pointer (&pin, kt_secret_free);

  if (r == FIDO_OK)
    return TRUE;
  if (kt_ceremony_aborted (c, error))
    return FALSE;
  if (r == FIDO_ERR_PIN_POLICY_VIOLATION)
    return kt_webauthn_set_error (error, KT_WEBAUTHN_ERROR_INVALID_PIN);
  if (r == FIDO_ERR_PIN_AUTH_INVALID || r == FIDO_ERR_NOT_ALLOWED)
    {
      g_set_error_literal (error, KT_WEBAUTHN_ERROR, KT_WEBAUTHN_ERROR_DENIED,
                           _("This security key already has a PIN. Use that PIN instead."));
      return FALSE;
    }
  return kt_webauthn_set_fido_error (error, r);
}

