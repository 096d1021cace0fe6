/* kt-api-client.c
 *
 * Copyright 2026 Keyturn developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "keyturn-api"

#include "kt-api-client.h"

#include <glib/gi18n-lib.h>
#include <libsoup/soup.h>
#include <string.h>

#include "kt-api-client-private.h"
#include "kt-json-span.h"
#include "kt-api-error-private.h"
#include "kt-json.h"

/* The sdk-api-core version whose models this client reads (API.md). */
#define KT_DYNAMIC_API_VERSION "0.40.0"
#define KT_MAX_RESPONSE_SIZE (1024 * 1024)
#define KT_DEFAULT_TIMEOUT_SECONDS 30
#define KT_MAX_ATTEMPTS 3

struct _KtApiClient
{
  GObject parent_instance;

  SoupSession *session;
  char *base_url;
  char *environment_id;
  char *access_token;
  char *mfa_token;
};

G_DEFINE_FINAL_TYPE (KtApiClient, kt_api_client, G_TYPE_OBJECT)

enum {
  UNAUTHORIZED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

typedef KtApiParseFunc ParseFunc;

typedef enum {
  CALL_PLAIN = 0,
  CALL_IDEMPOTENT = 1 << 0,     /* safe to send again after a network error */
  CALL_AUTHENTICATED = 1 << 1,  /* carries the access token */
  CALL_STEP_UP = 1 << 2,        /* carries the MFA token when one is held; success spends it */
} CallFlags;

typedef struct {
  const char *method;
  char *uri;
  char *path;                   /* for the log: no secrets in it */
  GBytes *body;
  ParseFunc parse;
  GDestroyNotify destroy;
  CallFlags flags;
  guint attempt;
  gboolean sent_mfa_token;
} Call;

static void
call_free (Call *call)
{
  g_free (call->uri);
  g_free (call->path);
  g_clear_pointer (&call->body, g_bytes_unref);
  g_free (call);
}

static void send_attempt (GTask *task);

static void
kt_api_client_finalize (GObject *object)
{
  KtApiClient *self = (KtApiClient *) object;

  g_clear_object (&self->session);
  g_free (self->base_url);
  g_free (self->environment_id);
  kt_secret_free (self->access_token);
  kt_secret_free (self->mfa_token);

  G_OBJECT_CLASS (kt_api_client_parent_class)->finalize (object);
}

static void
kt_api_client_class_init (KtApiClientClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = kt_api_client_finalize;

  /* Emitted when the server answers 401: the session is gone and the tokens are dropped. */
  signals[UNAUTHORIZED] = g_signal_new ("unauthorized", G_TYPE_FROM_CLASS (klass),
                                        G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                                        G_TYPE_NONE, 0);
}

static void
kt_api_client_init (KtApiClient *self)
{
  g_autofree char *user_agent = g_strdup_printf ("Keyturn/%s", KT_VERSION);

  self->session = soup_session_new_with_options ("user-agent", user_agent,
                                                 "timeout", KT_DEFAULT_TIMEOUT_SECONDS,
                                                 "idle-timeout", 60,
                                                 NULL);
}

static gboolean
host_is_loopback (const char *host)
{
  g_autoptr(GInetAddress) address = NULL;

  if (host == NULL)
    return FALSE;
  if (g_ascii_strcasecmp (host, "localhost") == 0)
    return TRUE;
  address = g_inet_address_new_from_string (host);
  return address != NULL && g_inet_address_get_is_loopback (address);
}

gboolean
kt_api_base_url_is_acceptable (const char  *base_url,
                               GError     **error)
{
  g_autoptr(GUri) uri = NULL;
  const char *scheme;

  if (base_url == NULL || *base_url == '\0')
    {
      g_set_error_literal (error, KT_API_ERROR, KT_API_ERROR_CONFIGURATION,
                           _("No server address is set."));
      return FALSE;
    }

  uri = g_uri_parse (base_url, G_URI_FLAGS_NONE, NULL);
  if (uri == NULL || g_uri_get_host (uri) == NULL || *g_uri_get_host (uri) == '\0')
    {
      g_set_error (error, KT_API_ERROR, KT_API_ERROR_CONFIGURATION,
                   _("“%s” is not a server address."), base_url);
      return FALSE;
    }

  scheme = g_uri_get_scheme (uri);
  if (g_ascii_strcasecmp (scheme, "https") == 0)
    return TRUE;
  if (g_ascii_strcasecmp (scheme, "http") == 0 && host_is_loopback (g_uri_get_host (uri)))
    return TRUE;

  /* Tokens must never cross a network in the clear; plain http is for a sandbox on this machine. */
  g_set_error (error, KT_API_ERROR, KT_API_ERROR_CONFIGURATION,
               _("The server address must start with https:// (plain http is only allowed for "
                 "this computer): “%s”."), base_url);
  return FALSE;
}

static gboolean
environment_id_is_acceptable (const char *environment_id)
{
  if (environment_id == NULL || *environment_id == '\0' || strlen (environment_id) > 128)
    return FALSE;
  for (const char *p = environment_id; *p != '\0'; p++)
    if (!g_ascii_isalnum (*p) && *p != '-' && *p != '_')
      return FALSE;
  return TRUE;
}

KtApiClient *
kt_api_client_new (const char  *base_url,
                   const char  *environment_id,
                   GError     **error)
{
  KtApiClient *self;
  gsize len;

  if (!kt_api_base_url_is_acceptable (base_url, error))
    return NULL;
  if (!environment_id_is_acceptable (environment_id))
    {
      g_set_error (error, KT_API_ERROR, KT_API_ERROR_CONFIGURATION,
                   _("“%s” is not an environment ID."), environment_id ? environment_id : "");
      return NULL;
    }

  self = g_object_new (KT_TYPE_API_CLIENT, NULL);
  len = strlen (base_url);
  while (len > 0 && base_url[len - 1] == '/')
    len--;
  self->base_url = g_strndup (base_url, len);
  self->environment_id = g_strdup (environment_id);
  return self;
}

const char *
kt_api_client_get_base_url (KtApiClient *self)
{
  g_return_val_if_fail (KT_IS_API_CLIENT (self), NULL);
  return self->base_url;
}

const char *
kt_api_client_get_environment_id (KtApiClient *self)
{
  g_return_val_if_fail (KT_IS_API_CLIENT (self), NULL);
  return self->environment_id;
}

void
kt_api_client_set_access_token (KtApiClient *self,
                                const char  *token)
{
  g_return_if_fail (KT_IS_API_CLIENT (self));
  kt_secret_free (self->access_token);
  self->access_token = g_strdup (token);
}

gboolean
kt_api_client_has_access_token (KtApiClient *self)
{
  g_return_val_if_fail (KT_IS_API_CLIENT (self), FALSE);
  return self->access_token != NULL;
}

/* A copy, to free with kt_secret_free(). */
char *
kt_api_client_dup_access_token (KtApiClient *self)
{
  g_return_val_if_fail (KT_IS_API_CLIENT (self), NULL);
  return g_strdup (self->access_token);
}

void
kt_api_client_set_mfa_token (KtApiClient *self,
                             const char  *token)
{
  g_return_if_fail (KT_IS_API_CLIENT (self));
  kt_secret_free (self->mfa_token);
  self->mfa_token = g_strdup (token);
}

gboolean
kt_api_client_has_mfa_token (KtApiClient *self)
{
  g_return_val_if_fail (KT_IS_API_CLIENT (self), FALSE);
  return self->mfa_token != NULL;
}

void
kt_api_client_set_timeout (KtApiClient *self,
                           guint        seconds)
{
  g_return_if_fail (KT_IS_API_CLIENT (self));
  g_object_set (self->session, "timeout", seconds, NULL);
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
      JsonObject *object = json_node_get_object (root);
      gint64 body_wait = 0;

      /* A wrongly typed error body still tells the status: ignore what cannot be read. */
      if (!kt_json_read_string (object, "error", KT_JSON_OPTIONAL, &message, NULL))
        g_clear_pointer (&message, g_free);
      if (!kt_json_read_string (object, "code", KT_JSON_OPTIONAL, &code, NULL))
        g_clear_pointer (&code, g_free);
      if (retry_after <= 0
          && kt_json_read_int (object, "retryAfter", KT_JSON_OPTIONAL, &body_wait, NULL))
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

  error = g_error_new_literal (KT_API_ERROR, kind, message);
  kt_api_error_set_server_code (error, code);
  if (kind == KT_API_ERROR_RATE_LIMITED && retry_after > 0)
    kt_api_error_set_retry_after (error, (guint) MIN (retry_after, KT_MAX_RETRY_AFTER_SECONDS));
  return error;
}

static GError *
error_from_transport (KtApiClient *self,
                      GError      *error)
{
  g_autoptr(GUri) uri = g_uri_parse (self->base_url, G_URI_FLAGS_NONE, NULL);
  const char *host = uri != NULL ? g_uri_get_host (uri) : self->base_url;

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return g_error_copy (error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT))
    return g_error_new (KT_API_ERROR, KT_API_ERROR_TIMEOUT,
                        _("%s did not answer in time. Check your connection and try again."), host);
  return g_error_new (KT_API_ERROR, KT_API_ERROR_NETWORK,
                      _("Could not reach %s. Check your connection and try again."), host);
}

/* The call engine */

static void
on_retry_timeout (gpointer user_data)
{
  GTask *task = user_data;

  if (!g_task_return_error_if_cancelled (task))
    send_attempt (task);
}

static void
finish_with_error (GTask  *task,
                   Call   *call,
                   GError *error)
{
  KtApiClient *self = g_task_get_source_object (task);

  if ((call->flags & CALL_IDEMPOTENT) != 0 &&
      g_error_matches (error, KT_API_ERROR, KT_API_ERROR_NETWORK) &&
      call->attempt < KT_MAX_ATTEMPTS)
    {
      /* 250 ms, then 750 ms: long enough for a restarting server, short enough for a person. */
      guint delay = call->attempt == 1 ? 250 : 750;

      g_debug ("%s %s: %s; trying again in %u ms", call->method, call->path, error->message, delay);
      g_error_free (error);
      g_timeout_add_once (delay, on_retry_timeout, task);
      return;
    }

  if (g_error_matches (error, KT_API_ERROR, KT_API_ERROR_UNAUTHORIZED))
    {
      kt_api_client_set_access_token (self, NULL);
      kt_api_client_set_mfa_token (self, NULL);
      g_signal_emit (self, signals[UNAUTHORIZED], 0);
    }

  g_task_return_error (task, error);
  g_object_unref (task);
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

static void
on_response (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  GTask *task = user_data;
  KtApiClient *self = g_task_get_source_object (task);
  Call *call = g_task_get_task_data (task);
  SoupMessage *message = soup_session_get_async_result_message (SOUP_SESSION (source), result);
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) body = NULL;
  g_autoptr(JsonParser) parser = NULL;
  JsonNode *root = NULL;
  gpointer parsed;
  guint status;

  body = soup_session_send_and_read_finish (SOUP_SESSION (source), result, &error);
  if (body == NULL)
    {
      finish_with_error (task, call, error_from_transport (self, error));
      return;
    }

  status = soup_message_get_status (message);
  g_debug ("%s %s → %u", call->method, call->path, status);

  if (!kt_api_response_read (status, soup_message_get_response_headers (message), body,
                             &parser, &root, &error))
    {
      finish_with_error (task, call, g_steal_pointer (&error));
      return;
    }

  /* A single-use step-up token is spent once a call that carried it succeeds. */
  if (call->sent_mfa_token)
    kt_api_client_set_mfa_token (self, NULL);

  parsed = call->parse (root, &error);
  if (parsed == NULL)
    {
      finish_with_error (task, call, g_steal_pointer (&error));
      return;
    }

  g_task_return_pointer (task, parsed, call->destroy);
  g_object_unref (task);
}

static void
send_attempt (GTask *task)
{
  KtApiClient *self = g_task_get_source_object (task);
  Call *call = g_task_get_task_data (task);
  g_autoptr(SoupMessage) message = soup_message_new (call->method, call->uri);
  g_autofree char *request_id = NULL;
  SoupMessageHeaders *headers;

  if (message == NULL)
    {
      g_task_return_new_error (task, KT_API_ERROR, KT_API_ERROR_CONFIGURATION,
                               _("“%s” is not a server address."), self->base_url);
      g_object_unref (task);
      return;
    }

  call->attempt++;
  request_id = g_uuid_string_random ();
  headers = soup_message_get_request_headers (message);
  soup_message_headers_replace (headers, "Accept", "application/json");
  soup_message_headers_replace (headers, "x-dyn-request-id", request_id);
  soup_message_headers_replace (headers, "x-dyn-version", "Keyturn/" KT_VERSION);
  soup_message_headers_replace (headers, "x-dyn-api-version", "API/" KT_DYNAMIC_API_VERSION);

  if ((call->flags & CALL_AUTHENTICATED) != 0 && self->access_token != NULL)
    {
      g_autofree char *bearer = g_strconcat ("Bearer ", self->access_token, NULL);
      soup_message_headers_replace (headers, "Authorization", bearer);
      explicit_bzero (bearer, strlen (bearer));
    }

  call->sent_mfa_token = FALSE;
  if ((call->flags & CALL_STEP_UP) != 0 && self->mfa_token != NULL)
    {
      soup_message_headers_replace (headers, "x-mfa-auth-token", self->mfa_token);
      call->sent_mfa_token = TRUE;
    }

  if (call->body != NULL)
    soup_message_set_request_body_from_bytes (message, "application/json", call->body);

  soup_session_send_and_read_async (self->session, message, G_PRIORITY_DEFAULT,
                                    g_task_get_cancellable (task), on_response, task);
}

static void
start_call (KtApiClient         *self,
            const char          *method,
            const char          *path,
            JsonNode            *body,
            CallFlags            flags,
            ParseFunc            parse,
            GDestroyNotify       destroy,
            gpointer             source_tag,
            GCancellable        *cancellable,
            GAsyncReadyCallback  callback,
            gpointer             user_data)
{
  GTask *task = g_task_new (self, cancellable, callback, user_data);
  Call *call = g_new0 (Call, 1);

  g_task_set_source_tag (task, source_tag);

  call->method = method;
  call->path = g_strdup (path);
  call->uri = g_strconcat (self->base_url, "/sdk/", self->environment_id, path, NULL);
  call->flags = flags;
  call->parse = parse;
  call->destroy = destroy;
  if (body != NULL)
    {
      g_autoptr(JsonGenerator) generator = json_generator_new ();
      gsize len = 0;
      char *text;

      json_generator_set_root (generator, body);
      text = json_generator_to_data (generator, &len);
      call->body = g_bytes_new_take (text, len);
    }
  g_task_set_task_data (task, call, (GDestroyNotify) call_free);

  send_attempt (task);
}

static gpointer
finish_call (KtApiClient   *self,
             GAsyncResult  *result,
             gpointer       source_tag,
             GError       **error)
{
  g_return_val_if_fail (KT_IS_API_CLIENT (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == source_tag, NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

/* Parsers: each turns a successful answer into the call's result, or refuses it whole. */

static gpointer
malformed (GError     **error,
           const char  *what)
{
  g_set_error (error, KT_API_ERROR, KT_API_ERROR_MALFORMED,
               "The server's answer is not valid: %s", what);
  return NULL;
}

static JsonObject *
root_object (JsonNode  *root,
             GError   **error)
{
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    return malformed (error, "expected a JSON object");
  return json_node_get_object (root);
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
  JsonObject *object = root_object (root, error);

  return object != NULL ? json_object_ref (object) : NULL;
}

static gpointer
parse_verification_uuid (JsonNode  *root,
                         GError   **error)
{
  JsonObject *object = root_object (root, error);
  char *uuid = NULL;

  if (object == NULL ||
      !kt_json_read_string (object, "verificationUUID", KT_JSON_REQUIRED, &uuid, error))
    return NULL;
  return uuid;
}

static gpointer
parse_verify_response (JsonNode  *root,
                       GError   **error)
{
  JsonObject *object = root_object (root, error);

  return object != NULL ? kt_verify_response_new_from_json (object, error) : NULL;
}

static gpointer
parse_user (JsonNode  *root,
            GError   **error)
{
  JsonObject *object = root_object (root, error);
  JsonObject *user = NULL;

  if (object == NULL)
    return NULL;
  /* GET /users answers {user: SdkUser}; accept a bare SdkUser as well. */
  if (!kt_json_read_object (object, "user", KT_JSON_OPTIONAL, &user, error))
    return NULL;
  return kt_user_new_from_json (user != NULL ? user : object, error);
}

static gpointer
parse_passkey (JsonNode  *root,
               GError   **error)
{
  JsonObject *object = root_object (root, error);

  return object != NULL ? kt_passkey_new_from_json (object, error) : NULL;
}

static gpointer
parse_passkeys (JsonNode  *root,
                GError   **error)
{
  JsonObject *object = root_object (root, error);
  GListModel *passkeys = NULL;

  if (object == NULL ||
      !kt_json_read_list (object, "passkeys", KT_JSON_REQUIRED, KT_TYPE_PASSKEY,
                          (KtJsonItemFunc) kt_passkey_new_from_json, &passkeys, error))
    return NULL;
  return passkeys;
}

static gpointer
parse_mfa_devices (JsonNode  *root,
                   GError   **error)
{
  JsonObject *object = root_object (root, error);

  return object != NULL ? kt_mfa_device_list_from_json (object, "devices", error) : NULL;
}

static gpointer
parse_mfa_methods (JsonNode  *root,
                   GError   **error)
{
  JsonObject *object = root_object (root, error);

  return object != NULL ? kt_mfa_methods_new_from_json (object, error) : NULL;
}

static gpointer
parse_recovery_codes (JsonNode  *root,
                      GError   **error)
{
  JsonObject *object = root_object (root, error);
  g_auto(GStrv) codes = NULL;

  if (object == NULL ||
      !kt_json_read_strv (object, "recoveryCodes", KT_JSON_REQUIRED, &codes, error))
    return NULL;
  if (codes[0] == NULL)
    return malformed (error, "the list of recovery codes is empty");
  for (guint i = 0; codes[i] != NULL; i++)
    if (codes[i][0] == '\0')
      return malformed (error, "a recovery code is empty");
  return g_steal_pointer (&codes);
}

static void unref_object (gpointer object);

/* Every parser a call may use, for readers of answers outside a call (the fuzz targets). */
static const KtApiParser parsers[] = {
  { "nothing", parse_nothing, NULL },
  { "object", parse_object, unref_object },
  { "verification-uuid", parse_verification_uuid, g_free },
  { "verify-response", parse_verify_response, g_object_unref },
  { "user", parse_user, g_object_unref },
  { "passkey", parse_passkey, g_object_unref },
  { "passkeys", parse_passkeys, g_object_unref },
  { "mfa-devices", parse_mfa_devices, g_object_unref },
  { "mfa-methods", parse_mfa_methods, g_object_unref },
  { "recovery-codes", parse_recovery_codes, (GDestroyNotify) g_strfreev },
};

const KtApiParser *
kt_api_parsers (gsize *n_parsers)
{
  *n_parsers = G_N_ELEMENTS (parsers);
  return parsers;
}

static JsonNode *
build_object (const char *first_member,
              ...)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  const char *member;
  va_list args;

  json_builder_begin_object (builder);
  va_start (args, first_member);
  for (member = first_member; member != NULL; member = va_arg (args, const char *))
    {
      json_builder_set_member_name (builder, member);
      json_builder_add_string_value (builder, va_arg (args, const char *));
    }
  va_end (args);
  json_builder_end_object (builder);

  return json_builder_get_root (builder);
}

static void
unref_object (gpointer object)
{
  json_object_unref (object);
}

/* The calls */

void
kt_api_client_get_settings_async (KtApiClient         *self,
                                  GCancellable        *cancellable,
                                  GAsyncReadyCallback  callback,
                                  gpointer             user_data)
{
  start_call (self, "GET", "/settings", NULL, CALL_IDEMPOTENT,
              parse_object, unref_object, kt_api_client_get_settings_async,
              cancellable, callback, user_data);
}

JsonObject *
kt_api_client_get_settings_finish (KtApiClient   *self,
                                   GAsyncResult  *result,
                                   GError       **error)
{
  return finish_call (self, result, kt_api_client_get_settings_async, error);
}

void
kt_api_client_create_email_verification_async (KtApiClient         *self,
                                               const char          *email,
                                               GCancellable        *cancellable,
                                               GAsyncReadyCallback  callback,
                                               gpointer             user_data)
{
  g_autoptr(JsonNode) body = build_object ("email", email, NULL);

  start_call (self, "POST", "/emailVerifications/create", body, CALL_PLAIN,
              parse_verification_uuid, g_free, kt_api_client_create_email_verification_async,
              cancellable, callback, user_data);
}

char *
kt_api_client_create_email_verification_finish (KtApiClient   *self,
                                                GAsyncResult  *result,
                                                GError       **error)
{
  return finish_call (self, result, kt_api_client_create_email_verification_async, error);
}

void
kt_api_client_retry_email_verification_async (KtApiClient         *self,
                                              const char          *email,
                                              const char          *verification_uuid,
                                              GCancellable        *cancellable,
                                              GAsyncReadyCallback  callback,
                                              gpointer             user_data)
{
  g_autoptr(JsonNode) body = build_object ("email", email,
                                           "verificationUUID", verification_uuid, NULL);

  start_call (self, "POST", "/emailVerifications/retry", body, CALL_PLAIN,
              parse_verification_uuid, g_free, kt_api_client_retry_email_verification_async,
              cancellable, callback, user_data);
}

char *
kt_api_client_retry_email_verification_finish (KtApiClient   *self,
                                               GAsyncResult  *result,
                                               GError       **error)
{
  return finish_call (self, result, kt_api_client_retry_email_verification_async, error);
}

void
kt_api_client_sign_in_with_email_code_async (KtApiClient         *self,
                                             const char          *verification_uuid,
                                             const char          *code,
                                             GCancellable        *cancellable,
                                             GAsyncReadyCallback  callback,
                                             gpointer             user_data)
{
  g_autoptr(JsonNode) body = build_object ("verificationUUID", verification_uuid,
                                           "verificationToken", code, NULL);

  start_call (self, "POST", "/emailVerifications/signin", body, CALL_PLAIN,
              parse_verify_response, g_object_unref, kt_api_client_sign_in_with_email_code_async,
              cancellable, callback, user_data);
}

KtVerifyResponse *
kt_api_client_sign_in_with_email_code_finish (KtApiClient   *self,
                                              GAsyncResult  *result,
                                              GError       **error)
{
  return finish_call (self, result, kt_api_client_sign_in_with_email_code_async, error);
}

void
kt_api_client_get_user_async (KtApiClient         *self,
                              GCancellable        *cancellable,
                              GAsyncReadyCallback  callback,
                              gpointer             user_data)
{
  start_call (self, "GET", "/users", NULL, CALL_IDEMPOTENT | CALL_AUTHENTICATED,
              parse_user, g_object_unref, kt_api_client_get_user_async,
              cancellable, callback, user_data);
}

KtUser *
kt_api_client_get_user_finish (KtApiClient   *self,
                               GAsyncResult  *result,
                               GError       **error)
{
  return finish_call (self, result, kt_api_client_get_user_async, error);
}

void
kt_api_client_refresh_async (KtApiClient         *self,
                             GCancellable        *cancellable,
                             GAsyncReadyCallback  callback,
                             gpointer             user_data)
{
  start_call (self, "POST", "/refresh", NULL, CALL_AUTHENTICATED,
              parse_verify_response, g_object_unref, kt_api_client_refresh_async,
              cancellable, callback, user_data);
}

KtVerifyResponse *
kt_api_client_refresh_finish (KtApiClient   *self,
                              GAsyncResult  *result,
                              GError       **error)
{
  return finish_call (self, result, kt_api_client_refresh_async, error);
}

void
kt_api_client_revoke_async (KtApiClient         *self,
                            GCancellable        *cancellable,
                            GAsyncReadyCallback  callback,
                            gpointer             user_data)
{
  start_call (self, "POST", "/revoke", NULL, CALL_AUTHENTICATED,
              parse_nothing, NULL, kt_api_client_revoke_async,
              cancellable, callback, user_data);
}

gboolean
kt_api_client_revoke_finish (KtApiClient   *self,
                             GAsyncResult  *result,
                             GError       **error)
{
  return finish_call (self, result, kt_api_client_revoke_async, error) != NULL;
}

void
kt_api_client_check_session_async (KtApiClient         *self,
                                   GCancellable        *cancellable,
                                   GAsyncReadyCallback  callback,
                                   gpointer             user_data)
{
  start_call (self, "GET", "/session", NULL, CALL_IDEMPOTENT | CALL_AUTHENTICATED,
              parse_nothing, NULL, kt_api_client_check_session_async,
              cancellable, callback, user_data);
}

gboolean
kt_api_client_check_session_finish (KtApiClient   *self,
                                    GAsyncResult  *result,
                                    GError       **error)
{
  return finish_call (self, result, kt_api_client_check_session_async, error) != NULL;
}

void
kt_api_client_list_passkeys_async (KtApiClient         *self,
                                   GCancellable        *cancellable,
                                   GAsyncReadyCallback  callback,
                                   gpointer             user_data)
{
  start_call (self, "GET", "/users/passkeys", NULL, CALL_IDEMPOTENT | CALL_AUTHENTICATED,
              parse_passkeys, g_object_unref, kt_api_client_list_passkeys_async,
              cancellable, callback, user_data);
}

GListModel *
kt_api_client_list_passkeys_finish (KtApiClient   *self,
                                    GAsyncResult  *result,
                                    GError       **error)
{
  return finish_call (self, result, kt_api_client_list_passkeys_async, error);
}

void
kt_api_client_get_passkey_registration_options_async (KtApiClient         *self,
                                                      GCancellable        *cancellable,
                                                      GAsyncReadyCallback  callback,
                                                      gpointer             user_data)
{
  start_call (self, "GET", "/users/passkeys/register", NULL, CALL_IDEMPOTENT | CALL_AUTHENTICATED,
              parse_object, unref_object, kt_api_client_get_passkey_registration_options_async,
              cancellable, callback, user_data);
}

JsonObject *
kt_api_client_get_passkey_registration_options_finish (KtApiClient   *self,
                                                       GAsyncResult  *result,
                                                       GError       **error)
{
  return finish_call (self, result, kt_api_client_get_passkey_registration_options_async, error);
}

/* A copy of @request with createMfaToken {singleUse: true} added when asked for. */
static JsonNode *
with_mfa_token_request (JsonObject *request,
                        gboolean    create_mfa_token)
{
  g_autoptr(JsonNode) original = json_node_init_object (json_node_alloc (), request);
  g_autoptr(JsonNode) copy = json_node_copy (original);

  if (create_mfa_token)
    {
      JsonObject *create = json_object_new ();

      json_object_set_boolean_member (create, "singleUse", TRUE);
      json_object_set_object_member (json_node_get_object (copy), "createMfaToken", create);
    }
  return g_steal_pointer (&copy);
}

void
kt_api_client_register_passkey_async (KtApiClient         *self,
                                      JsonObject          *registration,
                                      gboolean             create_mfa_token,
                                      GCancellable        *cancellable,
                                      GAsyncReadyCallback  callback,
                                      gpointer             user_data)
{
  g_autoptr(JsonNode) body = with_mfa_token_request (registration, create_mfa_token);

  start_call (self, "POST", "/users/passkeys/register", body, CALL_AUTHENTICATED,
              parse_verify_response, g_object_unref, kt_api_client_register_passkey_async,
              cancellable, callback, user_data);
}

KtVerifyResponse *
kt_api_client_register_passkey_finish (KtApiClient   *self,
                                       GAsyncResult  *result,
                                       GError       **error)
{
  return finish_call (self, result, kt_api_client_register_passkey_async, error);
}

void
kt_api_client_get_passkey_authentication_options_async (KtApiClient         *self,
                                                        GCancellable        *cancellable,
                                                        GAsyncReadyCallback  callback,
                                                        gpointer             user_data)
{
  start_call (self, "GET", "/users/passkeys/authenticate", NULL,
              CALL_IDEMPOTENT | CALL_AUTHENTICATED,
              parse_object, unref_object, kt_api_client_get_passkey_authentication_options_async,
              cancellable, callback, user_data);
}

JsonObject *
kt_api_client_get_passkey_authentication_options_finish (KtApiClient   *self,
                                                         GAsyncResult  *result,
                                                         GError       **error)
{
  return finish_call (self, result, kt_api_client_get_passkey_authentication_options_async, error);
}

void
kt_api_client_authenticate_passkey_async (KtApiClient         *self,
                                          JsonObject          *assertion,
                                          gboolean             create_mfa_token,
                                          GCancellable        *cancellable,
                                          GAsyncReadyCallback  callback,
                                          gpointer             user_data)
{
  g_autoptr(JsonNode) body = with_mfa_token_request (assertion, create_mfa_token);

  start_call (self, "POST", "/users/mfa/auth/passkey", body, CALL_AUTHENTICATED,
              parse_verify_response, g_object_unref, kt_api_client_authenticate_passkey_async,
              cancellable, callback, user_data);
}

KtVerifyResponse *
kt_api_client_authenticate_passkey_finish (KtApiClient   *self,
                                           GAsyncResult  *result,
                                           GError       **error)
{
  return finish_call (self, result, kt_api_client_authenticate_passkey_async, error);
}

void
kt_api_client_rename_passkey_async (KtApiClient         *self,
                                    const char          *passkey_id,
                                    const char          *alias,
                                    GCancellable        *cancellable,
                                    GAsyncReadyCallback  callback,
                                    gpointer             user_data)
{
  g_autoptr(JsonNode) body = build_object ("id", passkey_id, "alias", alias, NULL);

  start_call (self, "PUT", "/users/passkeys", body, CALL_AUTHENTICATED | CALL_STEP_UP,
              parse_passkey, g_object_unref, kt_api_client_rename_passkey_async,
              cancellable, callback, user_data);
}

KtPasskey *
kt_api_client_rename_passkey_finish (KtApiClient   *self,
                                     GAsyncResult  *result,
                                     GError       **error)
{
  return finish_call (self, result, kt_api_client_rename_passkey_async, error);
}

void
kt_api_client_delete_passkey_async (KtApiClient         *self,
                                    const char          *passkey_id,
                                    GCancellable        *cancellable,
                                    GAsyncReadyCallback  callback,
                                    gpointer             user_data)
{
  g_autoptr(JsonNode) body = build_object ("passkeyId", passkey_id, NULL);

  start_call (self, "DELETE", "/users/passkeys", body, CALL_AUTHENTICATED | CALL_STEP_UP,
              parse_nothing, NULL, kt_api_client_delete_passkey_async,
              cancellable, callback, user_data);
}

gboolean
kt_api_client_delete_passkey_finish (KtApiClient   *self,
                                     GAsyncResult  *result,
                                     GError       **error)
{
  return finish_call (self, result, kt_api_client_delete_passkey_async, error) != NULL;
}

void
kt_api_client_get_recovery_codes_async (KtApiClient         *self,
                                        GCancellable        *cancellable,
                                        GAsyncReadyCallback  callback,
                                        gpointer             user_data)
{
  /* Not idempotent on the server's side (the first call creates the codes), but a repeat
   * returns the same codes, so sending it again after a network error is safe. */
  start_call (self, "GET", "/users/mfa/recovery", NULL, CALL_IDEMPOTENT | CALL_AUTHENTICATED,
              parse_recovery_codes, (GDestroyNotify) g_strfreev,
              kt_api_client_get_recovery_codes_async, cancellable, callback, user_data);
}

char **
kt_api_client_get_recovery_codes_finish (KtApiClient   *self,
                                         GAsyncResult  *result,
                                         GError       **error)
{
  return finish_call (self, result, kt_api_client_get_recovery_codes_async, error);
}

void
kt_api_client_create_recovery_codes_async (KtApiClient         *self,
                                           GCancellable        *cancellable,
                                           GAsyncReadyCallback  callback,
                                           gpointer             user_data)
{
  start_call (self, "POST", "/users/mfa/recovery", NULL, CALL_AUTHENTICATED | CALL_STEP_UP,
              parse_recovery_codes, (GDestroyNotify) g_strfreev,
              kt_api_client_create_recovery_codes_async, cancellable, callback, user_data);
}

char **
kt_api_client_create_recovery_codes_finish (KtApiClient   *self,
                                            GAsyncResult  *result,
                                            GError       **error)
{
  return finish_call (self, result, kt_api_client_create_recovery_codes_async, error);
}

void
kt_api_client_authenticate_recovery_code_async (KtApiClient         *self,
                                                const char          *code,
                                                gboolean             create_mfa_token,
                                                GCancellable        *cancellable,
                                                GAsyncReadyCallback  callback,
                                                gpointer             user_data)
{
  g_autoptr(JsonNode) plain = build_object ("code", code, NULL);
  g_autoptr(JsonNode) body = with_mfa_token_request (json_node_get_object (plain),
                                                     create_mfa_token);

  start_call (self, "POST", "/users/mfa/auth/recovery", body, CALL_AUTHENTICATED,
              parse_verify_response, g_object_unref,
              kt_api_client_authenticate_recovery_code_async, cancellable, callback, user_data);
}

KtVerifyResponse *
kt_api_client_authenticate_recovery_code_finish (KtApiClient   *self,
                                                 GAsyncResult  *result,
                                                 GError       **error)
{
  return finish_call (self, result, kt_api_client_authenticate_recovery_code_async, error);
}

void
kt_api_client_acknowledge_recovery_codes_async (KtApiClient         *self,
                                                GCancellable        *cancellable,
                                                GAsyncReadyCallback  callback,
                                                gpointer             user_data)
{
  g_autoptr(JsonNode) body = build_object ("mfaBackupCodeAcknowledgement", "complete", NULL);

  start_call (self, "PUT", "/users", body, CALL_AUTHENTICATED,
              parse_verify_response, g_object_unref,
              kt_api_client_acknowledge_recovery_codes_async, cancellable, callback, user_data);
}

KtVerifyResponse *
kt_api_client_acknowledge_recovery_codes_finish (KtApiClient   *self,
                                                 GAsyncResult  *result,
                                                 GError       **error)
{
  return finish_call (self, result, kt_api_client_acknowledge_recovery_codes_async, error);
}

void
kt_api_client_get_mfa_methods_async (KtApiClient         *self,
                                     GCancellable        *cancellable,
                                     GAsyncReadyCallback  callback,
                                     gpointer             user_data)
{
  start_call (self, "GET", "/users/mfa/methods", NULL, CALL_IDEMPOTENT | CALL_AUTHENTICATED,
              parse_mfa_methods, g_object_unref, kt_api_client_get_mfa_methods_async,
              cancellable, callback, user_data);
}

KtMfaMethods *
kt_api_client_get_mfa_methods_finish (KtApiClient   *self,
                                      GAsyncResult  *result,
                                      GError       **error)
{
  return finish_call (self, result, kt_api_client_get_mfa_methods_async, error);
}

void
kt_api_client_list_mfa_devices_async (KtApiClient         *self,
                                      GCancellable        *cancellable,
                                      GAsyncReadyCallback  callback,
                                      gpointer             user_data)
{
  start_call (self, "GET", "/users/mfa", NULL, CALL_IDEMPOTENT | CALL_AUTHENTICATED,
              parse_mfa_devices, g_object_unref, kt_api_client_list_mfa_devices_async,
              cancellable, callback, user_data);
}

GListModel *
kt_api_client_list_mfa_devices_finish (KtApiClient   *self,
                                       GAsyncResult  *result,
                                       GError       **error)
{
  return finish_call (self, result, kt_api_client_list_mfa_devices_async, error);
}

void
kt_api_client_delete_mfa_device_async (KtApiClient         *self,
                                       const char          *device_id,
                                       GCancellable        *cancellable,
                                       GAsyncReadyCallback  callback,
                                       gpointer             user_data)
{
  g_autofree char *escaped = g_uri_escape_string (device_id, NULL, FALSE);
  g_autofree char *path = g_strconcat ("/users/mfa/", escaped, NULL);

  start_call (self, "DELETE", path, NULL, CALL_AUTHENTICATED | CALL_STEP_UP,
              parse_nothing, NULL, kt_api_client_delete_mfa_device_async,
              cancellable, callback, user_data);
}

gboolean
kt_api_client_delete_mfa_device_finish (KtApiClient   *self,
                                        GAsyncResult  *result,
                                        GError       **error)
{
  return finish_call (self, result, kt_api_client_delete_mfa_device_async, error) != NULL;
}
