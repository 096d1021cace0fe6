/* ks-api-nonces.c: GET /nonces, and the device headers checked before a handler runs
 *
 * Copyright 2026 Keyturn developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "ks-server-private.h"

#include "ks-device-signature.h"

/* The routes of sdk-api-core's deviceNonceSignatureEndpoints that the sandbox serves. */
static const char * const signed_routes[] = {
  "/emailVerifications/signin",
  "/refresh",
};

gboolean
ks_device_signature_route (const char *route_path)
{
  for (guint i = 0; i < G_N_ELEMENTS (signed_routes); i++)
    if (g_str_equal (route_path, signed_routes[i]))
      return TRUE;
  return FALSE;
}

void
ks_api_nonces (KsRequest *req)
{
  GUri *uri = soup_server_message_get_uri (req->msg);
  const char *query = g_uri_get_query (uri);
  g_autoptr(GHashTable) params = NULL;
  g_autoptr(GString) reply = g_string_new (NULL);
  const char *count_text = NULL;
  guint64 count = 1;

  if (query != NULL)
    {
      params = g_uri_parse_params (query, -1, "&", G_URI_PARAMS_NONE, NULL);
      count_text = params != NULL ? g_hash_table_lookup (params, "count") : NULL;
    }
  if ((query != NULL && params == NULL) ||
      (count_text != NULL &&
       !g_ascii_string_to_unsigned (count_text, 10, 1, KS_NONCES_MAX_COUNT, &count, NULL)))
    {
      ks_request_reply_error (req, SOUP_STATUS_BAD_REQUEST, "invalid_count",
                              "count must be a whole number from 1 to 5");
      return;
    }

  ks_json_begin_object (reply);
  ks_json_member (reply, "nonces");
  ks_json_begin_array (reply);
  for (guint64 i = 0; i < count; i++)
    {
      g_autofree char *nonce = ks_device_nonce_issue (req->server->secret, req->env->id,
                                                      ks_now_ms () + KS_NONCE_LIFETIME_MS);

      ks_json_element (reply);
      ks_json_string (reply, nonce);
    }
  ks_json_end_array (reply);
  ks_json_end_object (reply);
  ks_request_reply_text (req, SOUP_STATUS_OK, g_steal_pointer (&reply));
}

static void
reply_unknown_nonce (KsRequest *req)
{
  ks_request_reply_error (req, SOUP_STATUS_FORBIDDEN, "device_nonce_unknown",
                          "This nonce was not issued by /nonces for this environment, or it "
                          "expired");
}

/* In a transaction of its own, committed before the request's: the nonce stays spent whatever
 * the request comes to. */
static gboolean
spend_nonce (KsRequest  *req,
             const char *nonce)
{
  KsStore *store = req->server->store;
  g_autoptr(GError) error = NULL;
  g_autofree char *key = g_strconcat ("device-nonce ", nonce, NULL);
  KsChallenge record = { .session_id = req->env->id, .kind = (char *) "device-nonce" };

  if (!ks_device_nonce_check (req->server->secret, req->env->id, nonce, ks_now_ms (),
                              &record.expires_at))
    {
      reply_unknown_nonce (req);
      return FALSE;
    }
  if (!ks_store_begin (store, &error))
    {
      ks_request_reply_internal (req, error);
      return FALSE;
    }
  if (!ks_request_spend_once (req, key, &record, SOUP_STATUS_FORBIDDEN, "device_nonce_used",
                              "This nonce was already used; get a new one from /nonces"))
    {
      ks_store_rollback (store);
      return FALSE;
    }
  if (!ks_store_commit (store, &error))
    {
      ks_request_reply_internal (req, error);
      return FALSE;
    }
  return TRUE;
}

gboolean
ks_request_check_device_signature (KsRequest *req,
                                   gboolean   signed_route)
{
  const char *nonce = ks_request_get_header (req, KS_DEVICE_NONCE_HEADER);
  const char *public_key = ks_request_get_header (req, KS_DEVICE_PUBLIC_KEY_HEADER);
  const char *signature = ks_request_get_header (req, KS_DEVICE_SIGNATURE_HEADER);
  EVP_PKEY *key;
  gboolean verified;
  guint8 raw[64];

  /* Only the endpoints of deviceNonceSignatureEndpoints take them, as Dynamic's client sends. */
  if (!signed_route)
    return TRUE;
  if (nonce == NULL && public_key == NULL && signature == NULL)
    {
      if (!req->env->require_device_signature)
        return TRUE;
      ks_request_reply_error (req, SOUP_STATUS_UNAUTHORIZED, "device_signature_missing",
                              "This environment requires a device-signed nonce on this endpoint");
      return FALSE;
    }
  if (nonce == NULL || public_key == NULL || signature == NULL)
    {
      ks_request_reply_error (req, SOUP_STATUS_UNAUTHORIZED, "device_signature_missing",
                              "A device signature needs all three of x-dynamic-device-nonce, "
                              "x-dynamic-device-publickey and x-dynamic-device-signed-nonce");
      return FALSE;
    }

  key = ks_device_public_key_parse (public_key);
  if (key == NULL)
    {
      ks_request_reply_error (req, SOUP_STATUS_FORBIDDEN, "device_public_key_invalid",
                              "x-dynamic-device-publickey must be a compressed P-256 point "
                              "in hex");
      return FALSE;
    }
  /* The signature is checked before the nonce is spent: a forged one must not use it up. */
  verified = ks_device_signature_parse (signature, raw) &&
             ks_device_signature_verify (key, raw, nonce);
  EVP_PKEY_free (key);
  if (!verified)
    {
      ks_request_reply_error (req, SOUP_STATUS_FORBIDDEN, "device_signature_invalid",
                              "x-dynamic-device-signed-nonce is not the device key's signature "
                              "of the nonce");
      return FALSE;
    }

  return spend_nonce (req, nonce);
}
