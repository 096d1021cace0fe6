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
#include "kt-api-response-private.h"
#include "kt-device-signer.h"
#include "kt-elevated-tokens.h"
#include "kt-secret.h"

/* The sdk-api-core version whose models this client reads (API.md). */
#define KT_DYNAMIC_API_VERSION "0.40.0"
#define KT_DEFAULT_TIMEOUT_SECONDS 30
#define KT_MAX_ATTEMPTS 3
/* x-dynamic-platform: Dynamic's client sends "web" or "react-native"; Keyturn names its own. */
#define KT_PLATFORM "linux-desktop"
#define KT_READ_CHUNK_SIZE (16 * 1024)
/* A whole answer, from connecting to its last byte, may take this many times the timeout. */
#define KT_ANSWER_DEADLINE_FACTOR 2

struct _KtApiClient
{
  GObject parent_instance;

  SoupSession *session;
  char *base_url;
  char *environment_id;
  char *access_token;
  char *mfa_token;
  KtDeviceSigner *device_signer;
  KtElevatedTokens *elevated;
  char *sdk_session_id;         /* x-dyn-session-id: one per client, as Dynamic's per SDK load */
};

G_DEFINE_FINAL_TYPE (KtApiClient, kt_api_client, G_TYPE_OBJECT)

enum {
  UNAUTHORIZED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

typedef struct {
  const char *method;
  char *uri;
  char *path;                   /* for the log: no secrets in it */
  GBytes *body;
  const KtApiParser *parser;
  CallFlags flags;
  const char *elevated_scope;   /* the step-up scope the call needs, or NULL */
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
static gboolean device_headers_ready (GTask *task);

/* One attempt of a call: its message and the answer's body as it is read. */
typedef struct {
  GTask *task;                  /* the call's; it stays alive until the call returns */
  SoupMessage *message;
  GCancellable *cancellable;    /* stops this attempt; follows the call's cancellable */
  gulong cancelled_id;
  GInputStream *stream;
  GByteArray *body;             /* never more than KT_MAX_RESPONSE_SIZE + 1 bytes */
  guint8 chunk[KT_READ_CHUNK_SIZE];
  guint deadline_id;
  gboolean past_deadline;
} Attempt;

static void read_answer_chunk (Attempt *attempt);

static void
attempt_free (Attempt *attempt)
{
  g_cancellable_disconnect (g_task_get_cancellable (attempt->task), attempt->cancelled_id);
  g_clear_handle_id (&attempt->deadline_id, g_source_remove);
  if (attempt->stream != NULL)
    g_input_stream_close_async (attempt->stream, G_PRIORITY_DEFAULT, NULL, NULL, NULL);
  g_clear_object (&attempt->stream);
  g_clear_object (&attempt->message);
  g_clear_object (&attempt->cancellable);
  g_clear_pointer (&attempt->body, g_byte_array_unref);
  g_free (attempt);
}

/* Ends an attempt whose answer is refused: whatever the server still had to send is dropped
 * with its connection, never read. */
static void
attempt_abandon (Attempt *attempt)
{
  g_cancellable_cancel (attempt->cancellable);
  attempt_free (attempt);
}

static void
kt_api_client_finalize (GObject *object)
{
  KtApiClient *self = (KtApiClient *) object;

  g_clear_object (&self->session);
  g_free (self->base_url);
  g_free (self->environment_id);
  kt_secret_free (self->access_token);
  kt_secret_free (self->mfa_token);
  g_clear_object (&self->device_signer);
  g_clear_object (&self->elevated);
  g_free (self->sdk_session_id);

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
  self->elevated = kt_elevated_tokens_new ();
  self->sdk_session_id = g_uuid_string_random ();
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

  /* A user name (or password) would be sent to the server by no one and shown to everyone. */
  if (g_uri_get_userinfo (uri) != NULL)
    {
      g_set_error_literal (error, KT_API_ERROR, KT_API_ERROR_CONFIGURATION,
                           _("The server address must not contain a user name or password."));
      return FALSE;
    }
  /* Each call's path is appended to the address: after a “?” or “#” it would not be a path. */
  if (g_uri_get_query (uri) != NULL || g_uri_get_fragment (uri) != NULL)
    {
      g_set_error (error, KT_API_ERROR, KT_API_ERROR_CONFIGURATION,
                   _("The server address must not contain a “?” or “#” part: “%s”."), base_url);
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
  /* Elevated tokens belong to the session: none outlives it. */
  if (token == NULL)
    kt_elevated_tokens_clear (self->elevated);
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

static gint64
now_seconds (void)
{
  return g_get_real_time () / G_USEC_PER_SEC;
}

gboolean
kt_api_client_add_elevated_token (KtApiClient *self,
                                  const char  *token)
{
  g_return_val_if_fail (KT_IS_API_CLIENT (self), FALSE);
  g_return_val_if_fail (token != NULL, FALSE);
  return kt_elevated_tokens_add (self->elevated, token, now_seconds ());
}

gboolean
kt_api_client_has_elevated_token (KtApiClient *self,
                                  const char  *scope)
{
  g_return_val_if_fail (KT_IS_API_CLIENT (self), FALSE);
  return kt_elevated_tokens_has (self->elevated, scope, now_seconds ());
}

guint
kt_api_client_count_elevated_tokens (KtApiClient *self)
{
  g_return_val_if_fail (KT_IS_API_CLIENT (self), 0);
  return kt_elevated_tokens_count (self->elevated);
}

void
kt_api_client_set_timeout (KtApiClient *self,
                           guint        seconds)
{
  g_return_if_fail (KT_IS_API_CLIENT (self));
  g_object_set (self->session, "timeout", seconds, NULL);
}

void
kt_api_client_set_device_signer (KtApiClient    *self,
                                 KtDeviceSigner *signer)
{
  g_return_if_fail (KT_IS_API_CLIENT (self));
  g_return_if_fail (signer == NULL || KT_IS_DEVICE_SIGNER (signer));
  g_set_object (&self->device_signer, signer);
}

KtDeviceSigner *
kt_api_client_get_device_signer (KtApiClient *self)
{
  g_return_val_if_fail (KT_IS_API_CLIENT (self), NULL);
  return self->device_signer;
}

/* Errors */

static GError *
error_from_transport (KtApiClient *self,
                      GError      *error)
{
  g_autoptr(GUri) uri = g_uri_parse (self->base_url, G_URI_FLAGS_NONE, NULL);
  const char *host = uri != NULL ? g_uri_get_host (uri) : self->base_url;

  g_debug ("%s: %s (%s %d)", host, error->message, g_quark_to_string (error->domain), error->code);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return g_error_copy (error);
  /* Not a lost connection: a server that cannot prove it is the one asked for. */
  if (error->domain == G_TLS_ERROR)
    return g_error_new (KT_API_ERROR, KT_API_ERROR_NETWORK,
                        _("Could not make a secure connection to %s: its certificate is not "
                          "valid for it or not trusted."), host);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT))
    return g_error_new (KT_API_ERROR, KT_API_ERROR_TIMEOUT,
                        _("%s did not answer in time. Check your connection and try again."), host);
  return g_error_new (KT_API_ERROR, KT_API_ERROR_NETWORK,
                      _("Could not reach %s. Check your connection and try again."), host);
}

/* A redirect's target is named, never followed: the call's body and tokens were meant for this
 * server alone, and an answer from elsewhere is not its answer. */
static GError *
error_from_redirect (SoupMessage *message)
{
  const char *location = soup_message_headers_get_one (soup_message_get_response_headers (message),
                                                       "Location");
  g_autofree char *request = NULL;
  g_autofree char *target = NULL;
  g_autofree char *shown = NULL;

  if (location == NULL || *location == '\0')
    return g_error_new_literal (KT_API_ERROR, KT_API_ERROR_MALFORMED,
                                _("The server answered with a redirect, which Keyturn does not "
                                  "follow. Check the server address."));
  request = g_uri_to_string (soup_message_get_uri (message));
  target = g_uri_resolve_relative (request, location, G_URI_FLAGS_NONE, NULL);
  shown = kt_api_response_shown_text (target != NULL ? target : location);
  return g_error_new (KT_API_ERROR, KT_API_ERROR_MALFORMED,
                      _("The server answered with a redirect to “%s”, which Keyturn does not "
                        "follow. Check the server address."), shown);
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

/* Ends an attempt, and its call with @error (taken), without reading further. */
static void
attempt_refuse (Attempt *attempt,
                GError  *error)
{
  GTask *task = attempt->task;

  attempt_abandon (attempt);
  finish_with_error (task, g_task_get_task_data (task), error);
}

/* Ends an attempt that the network, the deadline or the person cancelling stopped. */
static void
attempt_fail (Attempt *attempt,
              GError  *error)
{
  GTask *task = attempt->task;
  g_autoptr(GError) timed_out = NULL;

  if (attempt->past_deadline && g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED) &&
      !g_cancellable_is_cancelled (g_task_get_cancellable (task)))
    error = timed_out = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_TIMED_OUT, "deadline");
  attempt_refuse (attempt, error_from_transport (g_task_get_source_object (task), error));
}

/* The answer's status and headers have come; its body is read in chunks from here on. */
static void
on_response (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  Attempt *attempt = user_data;
  g_autoptr(GError) error = NULL;
  guint status;

  attempt->stream = soup_session_send_finish (SOUP_SESSION (source), result, &error);
  if (attempt->stream == NULL)
    {
      attempt_fail (attempt, error);
      return;
    }

  status = soup_message_get_status (attempt->message);
  if (SOUP_STATUS_IS_REDIRECTION (status))
    {
      Call *call = g_task_get_task_data (attempt->task);

      /* Never followed: the token would go, or the answer come, from elsewhere. */
      g_debug ("%s %s → %u", call->method, call->path, status);
      attempt_refuse (attempt, error_from_redirect (attempt->message));
      return;
    }

  read_answer_chunk (attempt);
}

/* The whole answer, no larger than the cap, is read: what it means ends the call. */
static void
answer_read (Attempt *attempt)
{
  GTask *task = attempt->task;
  KtApiClient *self = g_task_get_source_object (task);
  Call *call = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) body = g_byte_array_free_to_bytes (g_steal_pointer (&attempt->body));
  g_autoptr(JsonParser) parser = NULL;
  JsonNode *root = NULL;
  gpointer parsed;
  guint status = soup_message_get_status (attempt->message);
  gboolean read_ok;

  g_debug ("%s %s → %u", call->method, call->path, status);

  read_ok = kt_api_response_read (status, soup_message_get_response_headers (attempt->message),
                                  body, &parser, &root, &error);
  attempt_free (attempt);
  if (!read_ok)
    {
      finish_with_error (task, call, g_steal_pointer (&error));
      return;
    }

  /* A single-use step-up token is spent once a call that carried it succeeds. */
  if (call->sent_mfa_token)
    kt_api_client_set_mfa_token (self, NULL);

  parsed = call->parser->parse (root, &error);
  if (parsed == NULL)
    {
      finish_with_error (task, call, g_steal_pointer (&error));
      return;
    }

  g_task_return_pointer (task, parsed, call->parser->destroy);
  g_object_unref (task);
}

/* Beside Authorization; a single-use token leaves the store as it is sent. */
static void
add_elevated_token (KtApiClient        *self,
                    Call               *call,
                    SoupMessageHeaders *headers)
{
  char *token = kt_elevated_tokens_use (self->elevated, call->elevated_scope, now_seconds ());

  if (token == NULL)
    return;
  soup_message_headers_replace (headers, "x-dyn-elevated-access-token", token);
  kt_secret_free (token);
}

static void
on_answer_chunk_read (GObject      *source,
                      GAsyncResult *result,
                      gpointer      user_data)
{
  Attempt *attempt = user_data;
  g_autoptr(GError) error = NULL;
  gssize n = g_input_stream_read_finish (G_INPUT_STREAM (source), result, &error);

  if (n < 0)
    {
      attempt_fail (attempt, error);
      return;
    }
  g_byte_array_append (attempt->body, attempt->chunk, (guint) n);
  /* What is counted is what libsoup's content decoder gives: a small gzip bomb is stopped here
   * too, after at most the cap of decoded bytes. */
  if (attempt->body->len > KT_MAX_RESPONSE_SIZE)
    {
      Call *call = g_task_get_task_data (attempt->task);

      g_debug ("%s %s: answer over %d bytes; dropped", call->method, call->path,
               KT_MAX_RESPONSE_SIZE);
      attempt_refuse (attempt, g_error_new_literal (KT_API_ERROR, KT_API_ERROR_MALFORMED,
                                                    _("The server's answer is far too large.")));
      return;
    }
  if (n > 0)
    {
      read_answer_chunk (attempt);
      return;
    }
  answer_read (attempt);
}

static void
read_answer_chunk (Attempt *attempt)
{
  /* One byte more than the cap is asked for, so that an answer of exactly the cap is read whole
   * and a larger one is known to be larger without reading further. */
  gsize room = KT_MAX_RESPONSE_SIZE + 1 - attempt->body->len;

  g_input_stream_read_async (attempt->stream, attempt->chunk, MIN (room, sizeof attempt->chunk),
                             G_PRIORITY_DEFAULT, attempt->cancellable, on_answer_chunk_read,
                             attempt);
}

static void
on_call_cancelled (GCancellable *cancellable,
                   gpointer      user_data)
{
  g_cancellable_cancel (G_CANCELLABLE (user_data));
}

/* The session's timeout bounds each read, not a whole answer: a server that sends a byte just
 * before each read would time out could keep a call going for days. */
static void
on_attempt_deadline (gpointer user_data)
{
  Attempt *attempt = user_data;

  attempt->deadline_id = 0;
  attempt->past_deadline = TRUE;
  g_cancellable_cancel (attempt->cancellable);
}

static void
send_attempt (GTask *task)
{
  KtApiClient *self = g_task_get_source_object (task);
  Call *call = g_task_get_task_data (task);
  g_autoptr(SoupMessage) message = soup_message_new (call->method, call->uri);
  g_autofree char *request_id = NULL;
  SoupMessageHeaders *headers;
  Attempt *attempt;
  guint timeout = 0;

  if (message == NULL)
    {
      g_task_return_new_error (task, KT_API_ERROR, KT_API_ERROR_CONFIGURATION,
                               _("“%s” is not a server address."), self->base_url);
      g_object_unref (task);
      return;
    }
  if (self->device_signer != NULL && !device_headers_ready (task))
    return;

  call->attempt++;
  /* A redirect is an answer like any other, refused in on_response: libsoup must not follow it
   * with the call's body to another origin, or from https to http. */
  soup_message_add_flags (message, SOUP_MESSAGE_NO_REDIRECT);
  request_id = g_uuid_string_random ();
  headers = soup_message_get_request_headers (message);
  soup_message_headers_replace (headers, "Accept", "application/json");
  soup_message_headers_replace (headers, "x-dyn-request-id", request_id);
  soup_message_headers_replace (headers, "x-dyn-version", "Keyturn/" KT_VERSION);
  soup_message_headers_replace (headers, "x-dyn-api-version", "API/" KT_DYNAMIC_API_VERSION);
  soup_message_headers_replace (headers, "x-dynamic-platform", KT_PLATFORM);
  soup_message_headers_replace (headers, "x-dyn-session-id", self->sdk_session_id);

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

  if (self->device_signer != NULL)
    {
      GError *error = NULL;

      if (!kt_device_signer_add_headers (self->device_signer, call->path, headers, &error))
        {
          finish_with_error (task, call, error);
          return;
        }
    }

  if (call->elevated_scope != NULL)
    add_elevated_token (self, call, headers);

  if (call->body != NULL)
    soup_message_set_request_body_from_bytes (message, "application/json", call->body);

  attempt = g_new0 (Attempt, 1);
  attempt->task = task;
  attempt->message = g_object_ref (message);
  attempt->body = g_byte_array_new ();
  attempt->cancellable = g_cancellable_new ();
  if (g_task_get_cancellable (task) != NULL)
    attempt->cancelled_id = g_cancellable_connect (g_task_get_cancellable (task),
                                                   G_CALLBACK (on_call_cancelled),
                                                   g_object_ref (attempt->cancellable),
                                                   g_object_unref);
  g_object_get (self->session, "timeout", &timeout, NULL);
  if (timeout > 0)
    attempt->deadline_id = g_timeout_add_once (timeout * KT_ANSWER_DEADLINE_FACTOR * 1000,
                                               on_attempt_deadline, attempt);
  soup_session_send_async (self->session, message, G_PRIORITY_DEFAULT, attempt->cancellable,
                           on_response, attempt);
}

/* Device-signed requests (kt-device-signer.h): the keys come from the keyring and, for a signed
 * endpoint, a nonce from GET /nonces before the request is built. */

static void
on_device_keys_loaded (GObject      *source,
                       GAsyncResult *result,
                       gpointer      user_data)
{
  GTask *task = user_data;
  GError *error = NULL;

  if (!kt_device_signer_load_finish (KT_DEVICE_SIGNER (source), result, &error))
    finish_with_error (task, g_task_get_task_data (task), error);
  else if (!g_task_return_error_if_cancelled (task))
    send_attempt (task);
  else
    g_object_unref (task);
}

static void
on_device_nonces (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  GTask *task = user_data;
  KtApiClient *self = KT_API_CLIENT (source);
  GError *error = NULL;
  g_autoptr(JsonObject) nonces = g_task_propagate_pointer (G_TASK (result), &error);

  if (nonces == NULL || !kt_device_signer_add_nonces (self->device_signer, nonces, &error))
    finish_with_error (task, g_task_get_task_data (task), error);
  else
    send_attempt (task);
}

/* FALSE when the keys or a nonce are on their way; send_attempt() runs again when they are in. */
static gboolean
device_headers_ready (GTask *task)
{
  KtApiClient *self = g_task_get_source_object (task);
  Call *call = g_task_get_task_data (task);

  if (!kt_device_signer_is_loaded (self->device_signer))
    {
      kt_device_signer_load_async (self->device_signer, g_task_get_cancellable (task),
                                   on_device_keys_loaded, task);
      return FALSE;
    }
  if (kt_device_signer_path_is_signed (call->path) &&
      kt_device_signer_count_nonces (self->device_signer) == 0)
    {
      g_autofree char *path = g_strdup_printf ("/nonces?count=%d", KT_DEVICE_NONCE_BATCH);
      const KtApiCallSpec nonces = { "GET", path, CALL_IDEMPOTENT, NULL, KT_API_PARSER_OBJECT };

      kt_api_client_start_call (self, &nonces, NULL, device_headers_ready,
                                g_task_get_cancellable (task), on_device_nonces, task);
      return FALSE;
    }
  return TRUE;
}

void
kt_api_client_start_call (KtApiClient          *self,
                          const KtApiCallSpec  *spec,
                          JsonNode             *body,
                          gpointer              source_tag,
                          GCancellable         *cancellable,
                          GAsyncReadyCallback   callback,
                          gpointer              user_data)
{
  GTask *task = g_task_new (self, cancellable, callback, user_data);
  Call *call = g_new0 (Call, 1);

  g_task_set_source_tag (task, source_tag);

  call->method = spec->method;
  call->path = g_strdup (spec->path);
  call->uri = g_strconcat (self->base_url, "/sdk/", self->environment_id, spec->path, NULL);
  call->flags = spec->flags;
  call->elevated_scope = spec->elevated_scope;
  call->parser = kt_api_parser (spec->parser);
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

gpointer
kt_api_client_finish_call (KtApiClient   *self,
                           GAsyncResult  *result,
                           gpointer       source_tag,
                           GError       **error)
{
  g_return_val_if_fail (KT_IS_API_CLIENT (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == source_tag, NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}
