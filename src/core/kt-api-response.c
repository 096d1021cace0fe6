/* kt-api-response.c
 *
 * Copyright 2026 Keyturn developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "kt-api-response-private.h"

#include <glib/gi18n-lib.h>

#include "kt-api-error-private.h"
#include "kt-json-private.h"
#include "kt-json-span.h"
#include "kt-mfa-device-private.h"
#include "kt-passkey-private.h"
#include "kt-user-private.h"
#include "kt-verify-response-private.h"

char *
kt_api_response_shown_text (const char *text)
{
  g_autofree char *valid = g_utf8_make_valid (text, -1);
  GString *shown = g_string_new (NULL);
  guint n = 0;

  for (const char *p = valid; *p != '\0' && n < 200; p = g_utf8_next_char (p), n++)
    {
      gunichar c = g_utf8_get_char (p);
      GUnicodeType type = g_unichar_type (c);

      if (type == G_UNICODE_CONTROL || type == G_UNICODE_FORMAT)
        g_string_append_c (shown, '?');
      else
        g_string_append_unichar (shown, c);
    }
  if (*valid != '\0' && g_utf8_strlen (valid, -1) > 200)
    g_string_append (shown, "…");
  return g_string_free (shown, FALSE);
}

static char *
malformed_message (const char *detail)
{
  return g_strconcat ("The server's answer is not valid: ", detail, NULL);
}

/* A reader of an answer, whose errors are KT_API_ERROR_MALFORMED. */
static void
answer_reader_init (KtJsonReader *reader,
                    JsonObject   *object)
{
  kt_json_reader_init (reader, object, KT_API_ERROR, KT_API_ERROR_MALFORMED, malformed_message);
}

/* Errors */

/* No wait a server asks for is taken to be longer than this. */
#define KT_MAX_RETRY_AFTER_SECONDS (24 * 60 * 60)

/* Retry-After (RFC 9110 §10.2.3) is either a number of seconds or an HTTP date. */
static gint64
retry_after_from_header (SoupMessageHeaders *headers)
{
  const char *value = soup_message_headers_get_one (headers, "Retry-After");
  g_autoptr(GDateTime) date = NULL;
  g_autoptr(GDateTime) now = NULL;
  guint64 seconds;

  if (value == NULL)
    return 0;
  if (g_ascii_string_to_unsigned (value, 10, 0, G_MAXUINT32, &seconds, NULL))
    return (gint64) seconds;
  date = soup_date_time_new_from_http_string (value);
  if (date == NULL)
    return 0;
  now = g_date_time_new_now_utc ();
  return (g_date_time_difference (date, now) + G_USEC_PER_SEC - 1) / G_USEC_PER_SEC;
}

static GError *
error_from_status (guint               status,
                   SoupMessageHeaders *headers,
                   JsonNode           *root)
{
  g_autofree char *message = NULL;
  g_autofree char *code = NULL;
  gint64 retry_after = retry_after_from_header (headers);
  KtApiError kind;
  GError *error;

  if (root != NULL && JSON_NODE_HOLDS_OBJECT (root))
    {
      KtJsonReader body;
      gint64 body_wait = 0;

      /* A wrongly typed error body still tells the status: ignore what cannot be read. */
      answer_reader_init (&body, json_node_get_object (root));
      if (!kt_json_read_string (&body, "error", KT_JSON_OPTIONAL, &message, NULL))
        g_clear_pointer (&message, g_free);
      if (!kt_json_read_string (&body, "code", KT_JSON_OPTIONAL, &code, NULL))
        g_clear_pointer (&code, g_free);
      if (retry_after <= 0
          && kt_json_read_int (&body, "retryAfter", KT_JSON_OPTIONAL, &body_wait, NULL))
        retry_after = body_wait;
    }

  if (g_strcmp0 (code, "mfa_invalid_code") == 0)
    kind = KT_API_ERROR_INVALID_CODE;
  else if (g_strcmp0 (code, "mfa_rate_limited") == 0 || status == 429 /* Too Many Requests */)
    kind = KT_API_ERROR_RATE_LIMITED;
  else if (status == SOUP_STATUS_UNAUTHORIZED)
    kind = KT_API_ERROR_UNAUTHORIZED;
  else if (status == SOUP_STATUS_FORBIDDEN)
    kind = KT_API_ERROR_FORBIDDEN;
  else if (status == SOUP_STATUS_NOT_FOUND)
    kind = KT_API_ERROR_NOT_FOUND;
  else if (status >= 500)
    kind = KT_API_ERROR_SERVER;
  else
    kind = KT_API_ERROR_BAD_REQUEST;

  if (message == NULL || *message == '\0')
    {
      const char *fallback;

      switch (kind)
        {
        case KT_API_ERROR_INVALID_CODE:
          fallback = _("That code is not right.");
          break;
        case KT_API_ERROR_RATE_LIMITED:
          fallback = _("Too many attempts. Wait a little, then try again.");
          break;
        case KT_API_ERROR_UNAUTHORIZED:
          fallback = _("Your session has ended. Sign in again.");
          break;
        case KT_API_ERROR_FORBIDDEN:
          fallback = _("The server does not allow this with your current sign-in.");
          break;
        case KT_API_ERROR_NOT_FOUND:
          fallback = _("The server does not know this environment or item.");
          break;
        case KT_API_ERROR_SERVER:
          fallback = _("The server had a problem. Try again later.");
          break;
        case KT_API_ERROR_NETWORK:
        case KT_API_ERROR_TIMEOUT:
        case KT_API_ERROR_BAD_REQUEST:
        case KT_API_ERROR_MALFORMED:
        case KT_API_ERROR_CONFIGURATION:
        default:
          fallback = _("The server refused the request.");
          break;
        }
      g_free (message);
      message = g_strdup (fallback);
    }
  else
    {
      /* The server's own words are shown to a person: never its control characters. */
      char *shown = kt_api_response_shown_text (message);

      g_free (message);
      message = shown;
    }

  error = g_error_new_literal (KT_API_ERROR, kind, message);
  kt_api_error_set_server_code (error, code);
  if (kind == KT_API_ERROR_RATE_LIMITED && retry_after > 0)
    kt_api_error_set_retry_after (error, (guint) MIN (retry_after, KT_MAX_RETRY_AFTER_SECONDS));
  return error;
}

/* The JSON that answers a call (NULL for an empty body), or the error that its status, its
 * headers or its body mean. */
gboolean
kt_api_response_read (guint                status,
                      SoupMessageHeaders  *headers,
                      GBytes              *body,
                      JsonParser         **parser_out,
                      JsonNode           **root_out,
                      GError             **error)
{
  g_autoptr(JsonParser) parser = NULL;
  JsonNode *root = NULL;

  if (g_bytes_get_size (body) > KT_MAX_RESPONSE_SIZE)
    {
      g_set_error_literal (error, KT_API_ERROR, KT_API_ERROR_MALFORMED,
                           _("The server's answer is far too large."));
      return FALSE;
    }

  if (g_bytes_get_size (body) > 0)
    {
      parser = json_parser_new_immutable ();
      /* Several values in one answer are malformed, not the last of them. */
      if (kt_json_is_one_object (g_bytes_get_data (body, NULL), (gssize) g_bytes_get_size (body))
          && json_parser_load_from_data (parser, g_bytes_get_data (body, NULL),
                                      (gssize) g_bytes_get_size (body), NULL))
        root = json_parser_get_root (parser);
    }

  if (!SOUP_STATUS_IS_SUCCESSFUL (status))
    {
      g_propagate_error (error, error_from_status (status, headers, root));
      return FALSE;
    }

  if (g_bytes_get_size (body) > 0 && root == NULL)
    {
      g_set_error_literal (error, KT_API_ERROR, KT_API_ERROR_MALFORMED,
                           _("The server's answer is not valid JSON."));
      return FALSE;
    }

  *root_out = root;
  *parser_out = g_steal_pointer (&parser);
  return TRUE;
}

/* Parsers: each turns a successful answer into the call's result, or refuses it whole. */

static void
unref_object (gpointer object)
{
  json_object_unref (object);
}

/* A reader of the answer's object; FALSE when the answer is not one. */
static gboolean
read_document (JsonNode      *root,
               KtJsonReader  *document,
               GError       **error)
{
  answer_reader_init (document, NULL);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    return kt_json_fail (document, NULL, error, "expected a JSON object");
  document->object = json_node_get_object (root);
  return TRUE;
}

static gpointer
parse_nothing (JsonNode  *root,
               GError   **error)
{
  return GINT_TO_POINTER (TRUE);
}

static gpointer
parse_object (JsonNode  *root,
              GError   **error)
{
  KtJsonReader document;

  return read_document (root, &document, error) ? json_object_ref (document.object) : NULL;
}

static gpointer
parse_verification_uuid (JsonNode  *root,
                         GError   **error)
{
  KtJsonReader document;
  char *uuid = NULL;

  if (!read_document (root, &document, error) ||
      !kt_json_read_string (&document, "verificationUUID", KT_JSON_REQUIRED, &uuid, error))
    return NULL;
  return uuid;
}

/* The answer's object, read by @new_from_json. */
static gpointer
parse_model (JsonNode        *root,
             KtJsonItemFunc   new_from_json,
             GError         **error)
{
  KtJsonReader document;

  return read_document (root, &document, error) ? new_from_json (&document, error) : NULL;
}

static gpointer
parse_verify_response (JsonNode  *root,
                       GError   **error)
{
  return parse_model (root, (KtJsonItemFunc) kt_verify_response_new_from_json, error);
}

static gpointer
parse_user (JsonNode  *root,
            GError   **error)
{
  KtJsonReader document, user;

  /* GET /users answers {user: SdkUser}; accept a bare SdkUser as well. */
  if (!read_document (root, &document, error) ||
      !kt_json_read_object (&document, "user", KT_JSON_OPTIONAL, &user, error))
    return NULL;
  return kt_user_new_from_json (user.object != NULL ? &user : &document, error);
}

static gpointer
parse_passkey (JsonNode  *root,
               GError   **error)
{
  return parse_model (root, (KtJsonItemFunc) kt_passkey_new_from_json, error);
}

static gpointer
parse_passkeys (JsonNode  *root,
                GError   **error)
{
  KtJsonReader document;
  GListModel *passkeys = NULL;

  if (!read_document (root, &document, error) ||
      !kt_json_read_list (&document, "passkeys", KT_JSON_REQUIRED, KT_TYPE_PASSKEY,
                          (KtJsonItemFunc) kt_passkey_new_from_json, &passkeys, error))
    return NULL;
  return passkeys;
}

static gpointer
parse_mfa_devices (JsonNode  *root,
                   GError   **error)
{
  KtJsonReader document;

  return read_document (root, &document, error)
         ? kt_mfa_device_list_from_json (&document, "devices", error) : NULL;
}

static gpointer
parse_mfa_methods (JsonNode  *root,
                   GError   **error)
{
  return parse_model (root, (KtJsonItemFunc) kt_mfa_methods_new_from_json, error);
}

static gpointer
parse_recovery_codes (JsonNode  *root,
                      GError   **error)
{
  KtJsonReader document;
  g_auto(GStrv) codes = NULL;

  if (!read_document (root, &document, error) ||
      !kt_json_read_strv (&document, "recoveryCodes", KT_JSON_REQUIRED, &codes, error))
    return NULL;
  if (codes[0] == NULL)
    {
      kt_json_fail (&document, "recoveryCodes", error, "is empty");
      return NULL;
    }
  for (guint i = 0; codes[i] != NULL; i++)
    if (codes[i][0] == '\0')
      {
        kt_json_fail (&document, "recoveryCodes", error, "has an empty code");
        return NULL;
      }
  return g_steal_pointer (&codes);
}

/* Every parser a call may use, for readers of answers outside a call (the fuzz targets). */
static const KtApiParser parsers[] = {
  [KT_API_PARSER_NOTHING] = { "nothing", parse_nothing, NULL },
  [KT_API_PARSER_OBJECT] = { "object", parse_object, unref_object },
  [KT_API_PARSER_VERIFICATION_UUID] = { "verification-uuid", parse_verification_uuid, g_free },
  [KT_API_PARSER_VERIFY_RESPONSE] = { "verify-response", parse_verify_response, g_object_unref },
  [KT_API_PARSER_USER] = { "user", parse_user, g_object_unref },
  [KT_API_PARSER_PASSKEY] = { "passkey", parse_passkey, g_object_unref },
  [KT_API_PARSER_PASSKEYS] = { "passkeys", parse_passkeys, g_object_unref },
  [KT_API_PARSER_MFA_DEVICES] = { "mfa-devices", parse_mfa_devices, g_object_unref },
  [KT_API_PARSER_MFA_METHODS] = { "mfa-methods", parse_mfa_methods, g_object_unref },
  [KT_API_PARSER_RECOVERY_CODES] = { "recovery-codes", parse_recovery_codes,
                                     (GDestroyNotify) g_strfreev },
};

const KtApiParser *
kt_api_parser (KtApiParserKind kind)
{
  g_return_val_if_fail (kind < G_N_ELEMENTS (parsers), NULL);
  return &parsers[kind];
}

const KtApiParser *
kt_api_parsers (gsize *n_parsers)
{
  *n_parsers = G_N_ELEMENTS (parsers);
  return parsers;
}
