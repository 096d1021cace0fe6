/* fuzz-api-response.c: answers of the Dynamic API, read as KtApiClient reads them: the status
 * and body first (errors and their codes), then the call's own parser (KtVerifyResponse, KtUser,
 * KtPasskey, KtMfaDevice, KtMfaMethods, recovery codes, ...).
 *
 * Input: byte 0 picks the parser (modulo their number), byte 1 the HTTP status (its low 7 bits,
 * modulo the list below); with byte 1's high bit set, what follows up to the first newline is a
 * Retry-After header. The rest is the body.
 *
 * Copyright 2026 Keyturn developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <glib.h>
#include <string.h>

#include "fuzz.h"
#include "kt-api-error.h"
#include "kt-api-response-private.h"
#include "kt-mfa-device.h"
#include "kt-passkey.h"
#include "kt-user.h"
#include "kt-verify-response.h"

static const guint statuses[] = { 200, 201, 204, 400, 401, 403, 404, 409, 422, 429, 500, 503 };

int
LLVMFuzzerInitialize (int    *argc,
                      char ***argv)
{
  return 0;
}

/* Reads every field back, as the pages that bind to them would. */
static void
read_user (KtUser *user)
{
  const char * const *scopes = kt_user_get_scopes (user);

  (void) kt_user_get_id (user);
  (void) kt_user_get_email (user);
  (void) kt_user_get_alias (user);
  (void) kt_user_get_session_id (user);
  (void) kt_user_requires_additional_auth (user);
  (void) kt_user_get_recovery_acknowledgement (user);
  for (guint i = 0; scopes != NULL && scopes[i] != NULL; i++)
    g_assert_true (kt_user_has_scope (user, scopes[i]));
}

static void
read_passkey (KtPasskey *passkey)
{
  GDateTime *created = kt_passkey_get_created_at (passkey);

  (void) kt_passkey_get_id (passkey);
  (void) kt_passkey_get_alias (passkey);
  (void) kt_passkey_get_authenticator_name (passkey);
  if (created != NULL)
    g_free (g_date_time_format_iso8601 (created));
}

static void
read_devices (GListModel *devices)
{
  for (guint i = 0; i < g_list_model_get_n_items (devices); i++)
    {
      g_autoptr(KtMfaDevice) device = g_list_model_get_item (devices, i);

      g_assert_nonnull (device);
      (void) kt_mfa_device_get_kind (device);
      (void) kt_mfa_device_get_alias (device);
      (void) kt_mfa_device_get_verified (device);
    }
}

static gboolean
body_follows_header (uint8_t status_byte)
{
  return (status_byte & 0x80) != 0;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  g_autoptr(GBytes) body = NULL;
  g_autoptr(SoupMessageHeaders) headers = soup_message_headers_new (SOUP_MESSAGE_HEADERS_RESPONSE);
  g_autoptr(JsonParser) parser = NULL;
  g_autoptr(GError) error = NULL;
  const KtApiParser *parsers, *parser_used;
  JsonNode *root = NULL;
  gpointer parsed;
  gsize n_parsers;
  guint status;

  if (size < 2)
    return 0;
  parsers = kt_api_parsers (&n_parsers);
  parser_used = &parsers[data[0] % n_parsers];
  status = statuses[(data[1] & 0x7f) % G_N_ELEMENTS (statuses)];
  data += 2;
  size -= 2;
  if (body_follows_header (data[-1]))
    {
      const uint8_t *end = memchr (data, '\n', size);
      g_autofree char *value = NULL;

      if (end == NULL)
        return 0;
      value = g_strndup ((const char *) data, (gsize) (end - data));
      /* libsoup warns about (and drops) a value with a line break: no server can send one. */
      if (strchr (value, '\r') == NULL)
        soup_message_headers_append (headers, "Retry-After", value);
      size -= (gsize) (end + 1 - data);
      data = end + 1;
    }
  body = g_bytes_new (data, size);

  if (!kt_api_response_read (status, headers, body, &parser, &root, &error))
    {
      /* Every refusal is a KtApiError with a message to show. */
      g_assert_error (error, KT_API_ERROR, error->code);
      g_assert_nonnull (error->message);
      (void) kt_api_error_get_server_code (error);
      (void) kt_api_error_get_retry_after (error);
      return 0;
    }

  parsed = parser_used->parse (root, &error);
  g_assert ((parsed == NULL) == (error != NULL));
  if (parsed == NULL)
    return 0;

  /* Only the parsers that return objects name a GType; the others return strings or flags. */
  if (g_str_equal (parser_used->name, "verify-response"))
    {
      KtUser *user = kt_verify_response_get_user (parsed);

      if (user != NULL)
        read_user (user);
      (void) kt_verify_response_get_expires_at (parsed);
    }
  else if (g_str_equal (parser_used->name, "user"))
    read_user (parsed);
  else if (g_str_equal (parser_used->name, "passkey"))
    read_passkey (parsed);
  else if (g_str_equal (parser_used->name, "mfa-methods"))
    {
      read_devices (kt_mfa_methods_get_devices (parsed));
      (void) kt_mfa_methods_get_has_verified_methods (parsed);
    }
  else if (g_str_equal (parser_used->name, "mfa-devices"))
    read_devices (parsed);
  else if (g_str_equal (parser_used->name, "passkeys"))
    for (guint i = 0; i < g_list_model_get_n_items (parsed); i++)
      {
        g_autoptr(KtPasskey) passkey = g_list_model_get_item (parsed, i);
        read_passkey (passkey);
      }
  else if (g_str_equal (parser_used->name, "recovery-codes"))
    g_assert_nonnull (((char **) parsed)[0]);

  if (parser_used->destroy != NULL)
    parser_used->destroy (parsed);
  return 0;
}
