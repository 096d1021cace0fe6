/* ks-server.c: keyturn-sandbox's HTTP server: listening, routing, request bodies, access tokens
 *
 * Copyright 2026 Keyturn developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "ks-server-private.h"

#include <errno.h>
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>
#include <openssl/evp.h>
#include <string.h>

#include "kt-json-span.h"
#include "ks-log.h"
#include "ks-refusal.h"
#include "ks-webauthn.h"

typedef enum {
  AUTH_NONE,                          /* no token */
  AUTH_PARTIAL,                       /* a half-session (requiresAdditionalAuth) will do */
  AUTH_FULL,                          /* a fully signed-in session */
} AuthLevel;

typedef struct {
  const char *method;
  const char *path;                   /* after /sdk/{environmentId}; "*" is one segment */
  AuthLevel   auth;
  gboolean    json_body;
  gboolean    writes;                 /* FALSE: a read transaction will do */
  KsHandler   handler;
} Route;

/* method, path after /sdk/{environmentId}, token needed, JSON body, writes, handler */
static const Route routes[] = {
  { "GET",    "/settings",                    AUTH_NONE,    FALSE, FALSE, ks_api_settings },
  { "GET",    "/.well-known/jwks",            AUTH_NONE,    FALSE, FALSE, ks_api_jwks },
  { "GET",    "/jwks.json",                   AUTH_NONE,    FALSE, FALSE, ks_api_jwks },
  { "POST",   "/emailVerifications/create",   AUTH_NONE,    TRUE,  TRUE,  ks_api_email_create },
  { "POST",   "/emailVerifications/retry",    AUTH_NONE,    TRUE,  TRUE,  ks_api_email_retry },
  { "POST",   "/emailVerifications/signin",   AUTH_NONE,    TRUE,  TRUE,  ks_api_email_signin },
  { "GET",    "/users",                       AUTH_PARTIAL, FALSE, FALSE, ks_api_get_user },
  { "PUT",    "/users",                       AUTH_FULL,    TRUE,  TRUE,  ks_api_update_user },
  { "POST",   "/refresh",                     AUTH_PARTIAL, FALSE, TRUE,  ks_api_refresh },
  { "POST",   "/revoke",                      AUTH_PARTIAL, FALSE, TRUE,  ks_api_revoke },
  { "GET",    "/session",                     AUTH_PARTIAL, FALSE, FALSE, ks_api_session },
  { "GET",    "/nonces",                      AUTH_NONE,    FALSE, FALSE, ks_api_nonces },
  { "GET",    "/users/passkeys",              AUTH_PARTIAL, FALSE, FALSE, ks_api_list_passkeys },
  { "PUT",    "/users/passkeys",              AUTH_FULL,    TRUE,  TRUE,  ks_api_rename_passkey },
  { "DELETE", "/users/passkeys",              AUTH_FULL,    TRUE,  TRUE,  ks_api_delete_passkey },
  { "GET",    "/users/passkeys/register",     AUTH_PARTIAL, FALSE, FALSE, ks_api_register_options },
  { "POST",   "/users/passkeys/register",     AUTH_PARTIAL, TRUE,  TRUE,  ks_api_register_passkey },
  { "GET",    "/users/passkeys/authenticate", AUTH_PARTIAL, FALSE, FALSE, ks_api_auth_options },
  { "POST",   "/users/mfa/auth/passkey",      AUTH_PARTIAL, TRUE,  TRUE,  ks_api_mfa_auth_passkey },
  { "GET",    "/users/mfa/methods",           AUTH_PARTIAL, FALSE, FALSE, ks_api_mfa_methods },
  { "GET",    "/users/mfa",                   AUTH_PARTIAL, FALSE, FALSE, ks_api_mfa_devices },
  { "GET",    "/users/mfa/recovery",          AUTH_FULL,    FALSE, TRUE,  ks_api_recovery_codes },
  { "POST",   "/users/mfa/recovery",          AUTH_FULL,    FALSE, TRUE,  ks_api_renew_codes },
  { "POST",   "/users/mfa/auth/recovery",     AUTH_PARTIAL, TRUE,  TRUE,  ks_api_auth_recovery },
  { "DELETE", "/users/mfa/*",                 AUTH_FULL,    FALSE, TRUE,  ks_api_delete_device },
  { "POST",   "/stepUp/check",                AUTH_FULL,    TRUE,  FALSE, ks_api_step_up_check },
};

#define API_PREFIX "/api/v0/sdk/"

/* A chunked request body is read into our own bounded buffer, never accumulated by libsoup; one
 * with a Content-Length within the limit is left to libsoup, which reads just that much. */
typedef struct {
  GByteArray *data;
  gboolean    too_large;
} BodyBuffer;

/* The request body as the handler sees it, whichever way it was read. */
typedef struct {
  const guint8 *data;
  gsize         len;
  gboolean      too_large;
} Body;

static void
body_buffer_free (BodyBuffer *buffer)
{
  g_byte_array_unref (buffer->data);
  g_free (buffer);
}

/* Replies */

static gboolean
authenticate (KsRequest *req,
              AuthLevel  level)
{
  const char *authorization = ks_request_get_header (req, "Authorization");
  g_autoptr(GError) error = NULL;
  const char *scope, *sid;
  gint64 now = ks_now_ms ();

  if (authorization == NULL || g_ascii_strncasecmp (authorization, "Bearer ", 7) != 0)
    {
      ks_request_reply_error (req, SOUP_STATUS_UNAUTHORIZED, "unauthorized",
                              "Sign in first: this call needs Authorization: Bearer <token>");
      return FALSE;
    }

  req->claims = ks_signer_verify (req->signer, authorization + 7, now / 1000, &error);
  if (req->claims == NULL)
    {
      gboolean expired = g_error_matches (error, KS_TOKEN_ERROR, KS_TOKEN_ERROR_EXPIRED);

      ks_request_reply_error (req, SOUP_STATUS_UNAUTHORIZED,
                              expired ? "token_expired" : "invalid_token", error->message);
      return FALSE;
    }

  sid = json_object_get_string_member_with_default (req->claims, "sid", "");
  if (g_strcmp0 (json_object_get_string_member_with_default (req->claims, "environment_id", ""),
                 req->env->id) != 0)
    {
      ks_request_reply_error (req, SOUP_STATUS_UNAUTHORIZED, "invalid_token",
                              "The token is not valid");
      return FALSE;
    }

  req->session = ks_store_get_session_with_user (req->server->store, sid, &req->user, &error);
  if (error != NULL)
    {
      ks_request_reply_internal (req, error);
      return FALSE;
    }
  if (req->session == NULL || g_strcmp0 (req->session->environment_id, req->env->id) != 0)
    {
      ks_request_reply_error (req, SOUP_STATUS_UNAUTHORIZED, "invalid_token",
                              "The token is not valid");
      return FALSE;
    }
  if (req->session->revoked)
    {
      ks_request_reply_error (req, SOUP_STATUS_UNAUTHORIZED, "session_revoked",
                              "This session was signed out");
      return FALSE;
    }
  if (req->session->expires_at <= now)
    {
      ks_request_reply_error (req, SOUP_STATUS_UNAUTHORIZED, "session_expired",
                              "This session has expired: sign in again");
      return FALSE;
    }

  if (req->user == NULL)
    {
      ks_request_reply_error (req, SOUP_STATUS_UNAUTHORIZED, "invalid_token",
                              "The token is not valid");
      return FALSE;
    }

  scope = json_object_get_string_member_with_default (req->claims, "scope", "");
  {
    g_auto(GStrv) scopes = g_strsplit (scope, " ", -1);

    req->full_scope = g_strv_contains ((const char * const *) scopes, "user:basic")
                      && !g_strv_contains ((const char * const *) scopes,
                                           "requiresAdditionalAuth");
  }

  if (level == AUTH_FULL && !req->full_scope)
    {
      ks_request_reply_error (req, SOUP_STATUS_FORBIDDEN, "additional_auth_required",
                              "Finish multi-factor authentication first: this session may only "
                              "sign in, register or use a passkey, or spend a recovery code");
      return FALSE;
    }
  return TRUE;
}

/* Routing */

static gboolean
path_matches (const char  *pattern,
              const char  *path,
              const char **arg)
{
  const char *star = strchr (pattern, '*');

  if (star == NULL)
    return g_str_equal (pattern, path);

  /* Only one "*", as the last segment. */
  if (strncmp (pattern, path, star - pattern) != 0)
    return FALSE;
  path += star - pattern;
  if (*path == '\0' || strchr (path, '/') != NULL)
    return FALSE;
  *arg = path;
  return TRUE;
}

/* x-dyn-request-id is the client's; kept only if it is short and plain, for the log. Otherwise
 * a number of our own: request ids name log lines, they guard nothing. */
static char *
request_id_for (SoupServerMessage *msg)
{
  static guint64 counter;
  SoupMessageHeaders *headers = soup_server_message_get_request_headers (msg);
  const char *given = soup_message_headers_get_one (headers, "x-dyn-request-id");

  if (given != NULL && *given != '\0' && strlen (given) <= 64)
    {
      const char *p;

      for (p = given; *p != '\0'; p++)
        if (!g_ascii_isalnum (*p) && *p != '-' && *p != '_' && *p != '.')
          break;
      if (*p == '\0')
        return g_strdup (given);
    }
  return g_strdup_printf ("ks-%" G_GUINT64_FORMAT, ++counter);
}

/* The body as a JSON object in req->body; FALSE, having answered 400 invalid_json with what is
 * wrong, when it is not one. */
static gboolean
parse_body (KsRequest  *req,
            const Body *body)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  const char *text = (const char *) body->data;
  const char *wrong = NULL;
  JsonNode *root;

  if (body->len == 0)
    wrong = "This call needs a JSON object as its body";
  else if (!kt_json_is_one_object (text, (gssize) body->len))
    wrong = "The body must be one JSON object";
  else if (ks_json_text_has_nul (text, body->len))
    wrong = "Strings in the body may not hold NUL (\\u0000)";
  /* json-glib refuses text that is not UTF-8 itself. */
  else if (!json_parser_load_from_data (parser, text, body->len, NULL))
    wrong = "The body is not valid JSON";
  else if ((root = json_parser_get_root (parser)) == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    wrong = "The body must be a JSON object";
  if (wrong != NULL)
    {
      ks_request_reply_error (req, SOUP_STATUS_BAD_REQUEST, "invalid_json", wrong);
      return FALSE;
    }
  req->body = json_object_ref (json_node_get_object (root));
  return TRUE;
}

static void
dispatch (KsRequest  *req,
          const char *method,
          const char *path,
          const Body *body)
{
  KsServer *self = req->server;
  g_autoptr(GError) error = NULL;
  g_autofree char *env_id = NULL;
  const char *rest, *slash;
  const Route *route = NULL;
  gboolean path_known = FALSE;

  if (!g_str_has_prefix (path, API_PREFIX))
    {
      ks_request_reply_error (req, SOUP_STATUS_NOT_FOUND, "not_found",
                              "No such endpoint: the API lives under /api/v0/sdk/{environmentId}");
      return;
    }
  rest = path + strlen (API_PREFIX);
  slash = strchr (rest, '/');
  env_id = slash != NULL ? g_strndup (rest, slash - rest) : g_strdup (rest);
  rest = slash != NULL ? slash : "";

  req->env = ks_config_lookup (self->config, env_id);
  if (req->env == NULL)
    {
      ks_request_reply_error (req, SOUP_STATUS_NOT_FOUND, "environment_not_found",
                              "No environment with this id on this sandbox");
      return;
    }
  req->signer = g_hash_table_lookup (self->signers, req->env->id);

  for (guint i = 0; i < G_N_ELEMENTS (routes); i++)
    {
      const char *arg = NULL;

      if (!path_matches (routes[i].path, rest, &arg))
        continue;
      path_known = TRUE;
      if (g_str_equal (routes[i].method, method))
        {
          route = &routes[i];
          req->path_arg = arg;
          break;
        }
    }

  if (route == NULL)
    {
      if (path_known)
        ks_request_reply_error (req, SOUP_STATUS_METHOD_NOT_ALLOWED, "method_not_allowed",
                                "This endpoint does not take this method");
      else
        ks_request_reply_error (req, SOUP_STATUS_NOT_FOUND, "not_found", "No such endpoint");
      return;
    }

  if (body->too_large)
    {
      ks_request_reply_error (req, SOUP_STATUS_REQUEST_ENTITY_TOO_LARGE, "payload_too_large",
                              "Request bodies are limited to 64 KiB");
      return;
    }

  if (route->json_body && !parse_body (req, body))
    return;

  if (!ks_request_check_device_signature (req, ks_device_signature_route (route->path)))
    return;

  /* One request, one transaction, committed before the answer leaves. */
  if (!(route->writes ? ks_store_begin (self->store, &error)
                      : ks_store_begin_read (self->store, &error)))
    {
      ks_request_reply_internal (req, error);
      return;
    }

  if (route->auth == AUTH_NONE || authenticate (req, route->auth))
    route->handler (req);

  if (!req->replied)
    {
      g_set_error (&error, G_IO_ERROR, G_IO_ERROR_FAILED, "handler gave no answer");
      ks_request_reply_internal (req, error);
      g_clear_error (&error);
    }

  if (soup_server_message_get_status (req->msg) < 400 || req->keep_changes)
    {
      if (!ks_store_commit (self->store, &error))
        ks_request_reply_internal (req, error);
    }
  else
    ks_store_rollback (self->store);
}

static void
got_chunk_cb (SoupServerMessage *msg,
              GBytes            *chunk,
              BodyBuffer        *buffer)
{
  gsize len = 0;
  const guint8 *data = g_bytes_get_data (chunk, &len);

  if (buffer->too_large)
    return;
  if (buffer->data->len + len > KS_MAX_BODY_SIZE)
    {
      /* Keep reading (HTTP/1.1 has to) but keep nothing. */
      buffer->too_large = TRUE;
      g_byte_array_set_size (buffer->data, 0);
      return;
    }
  g_byte_array_append (buffer->data, data, len);
}

/* libsoup reads a whole body before it lets a server answer, unless the client sent "Expect:
 * 100-continue": a declared length over the limit is answered here, from the headers, on the
 * connection taken over from libsoup, before a byte of the body is read. */
static void
refuse_declared_length (SoupServerMessage *msg,
                        const char        *path,
                        goffset            length)
{
  g_autoptr(JsonObject) object = ks_error_object ("payload_too_large",
                                               "Request bodies are limited to 64 KiB", NULL);
  g_autoptr(JsonNode) node = json_node_init_object (json_node_alloc (), object);
  g_autofree char *body = json_to_string (node, FALSE);
  g_autofree char *request_id = request_id_for (msg);
  GIOStream *stream;
  char *answer;

  ks_log ("req=%s %s %s -> 413 (body of %" G_GOFFSET_FORMAT " bytes refused unread)", request_id,
          soup_server_message_get_method (msg), path, length);

  stream = soup_server_message_steal_connection (msg);
  if (stream == NULL)
    {
      /* Not ours to take: libsoup answers once the body is read, as it would anyway. */
      soup_server_message_set_status (msg, SOUP_STATUS_REQUEST_ENTITY_TOO_LARGE, NULL);
      ks_message_set_json_body (msg, object);
      soup_message_headers_replace (soup_server_message_get_response_headers (msg),
                                    "Connection", "close");
      return;
    }

  answer = g_strdup_printf ("HTTP/1.1 413 Payload Too Large\r\n"
                            "Server: keyturn-sandbox/" KT_VERSION "\r\n"
                            "Content-Type: application/json\r\n"
                            "Content-Length: %zu\r\n"
                            "Cache-Control: no-store\r\n"
                            "x-dyn-request-id: %s\r\n"
                            "Connection: close\r\n"
                            "\r\n%s", strlen (body), request_id, body);
  ks_refusal_start (stream, g_bytes_new_take (answer, strlen (answer)));
}

static void
early_handler_cb (SoupServer        *soup,
                  SoupServerMessage *msg,
                  const char        *path,
                  GHashTable        *query,
                  gpointer           user_data)
{
  SoupMessageHeaders *headers = soup_server_message_get_request_headers (msg);
  SoupEncoding encoding = soup_message_headers_get_encoding (headers);
  BodyBuffer *buffer;

  /* No body, or a declared length within the limit: libsoup keeps exactly that. */
  if (encoding == SOUP_ENCODING_NONE
      || (encoding == SOUP_ENCODING_CONTENT_LENGTH
          && soup_message_headers_get_content_length (headers) <= KS_MAX_BODY_SIZE))
    return;

  soup_message_body_set_accumulate (soup_server_message_get_request_body (msg), FALSE);

  if (encoding == SOUP_ENCODING_CONTENT_LENGTH)
    {
      refuse_declared_length (msg, path, soup_message_headers_get_content_length (headers));
      return;
    }

  buffer = g_new0 (BodyBuffer, 1);
  buffer->data = g_byte_array_new ();
  g_object_set_data_full (G_OBJECT (msg), "ks-body", buffer, (GDestroyNotify) body_buffer_free);
  g_signal_connect (msg, "got-chunk", G_CALLBACK (got_chunk_cb), buffer);
}

/* libsoup writes a response's headers and its body in two sends: corked, they leave as one
 * segment, which halves the packets (and the client's wake-ups) per answer. */
static void
set_cork (SoupServerMessage *msg,
          gboolean           cork)
{
  GSocket *socket = soup_server_message_get_socket (msg);

  /* Accepted sockets report no protocol; the sandbox listens on TCP only. */
  if (socket != NULL && g_socket_get_family (socket) != G_SOCKET_FAMILY_UNIX)
    g_socket_set_option (socket, IPPROTO_TCP, TCP_CORK, cork, NULL);
}

/* The whole answer is in the socket: let it go. */
static void
request_finished_cb (SoupServer        *soup,
                     SoupServerMessage *msg,
                     gpointer           user_data)
{
  set_cork (msg, FALSE);
}

static void
handler_cb (SoupServer        *soup,
            SoupServerMessage *msg,
            const char        *path,
            GHashTable        *query,
            gpointer           user_data)
{
  KsServer *self = user_data;
  gint64 start = g_get_monotonic_time ();
  const char *method = soup_server_message_get_method (msg);
  BodyBuffer *buffer = g_object_get_data (G_OBJECT (msg), "ks-body");
  g_autoptr(GBytes) accumulated = NULL;
  Body body = { 0 };
  KsRequest req = { 0 };

  if (buffer != NULL)
    {
      body.data = buffer->data->data;
      body.len = buffer->data->len;
      body.too_large = buffer->too_large;
    }
  else
    {
      accumulated = soup_message_body_flatten (soup_server_message_get_request_body (msg));
      body.data = g_bytes_get_data (accumulated, &body.len);
    }

  req.server = self;
  req.msg = msg;
  req.request_id = request_id_for (msg);

  dispatch (&req, method, path, &body);

  soup_message_headers_replace (soup_server_message_get_response_headers (msg),
                                "x-dyn-request-id", req.request_id);
  soup_message_headers_replace (soup_server_message_get_response_headers (msg),
                                "Cache-Control", "no-store");
  ks_log ("req=%s %s %s -> %u (%.1f ms)", req.request_id, method, path,
          soup_server_message_get_status (msg), (g_get_monotonic_time () - start) / 1000.0);

  set_cork (msg, TRUE);

  g_free (req.request_id);
  g_free (req.elevated_token);
  g_clear_pointer (&req.body, json_object_unref);
  g_clear_pointer (&req.claims, json_object_unref);
  g_clear_pointer (&req.session, ks_session_free);
  g_clear_pointer (&req.user, ks_user_free);
}

static gboolean
cleanup_cb (gpointer user_data)
{
  KsServer *self = user_data;
  g_autoptr(GError) error = NULL;

  if (!ks_store_begin (self->store, &error)
      || !ks_store_delete_expired (self->store, ks_now_ms (), &error)
      || !ks_store_delete_old_email_events (self->store, ks_now_ms () - 60 * 60 * 1000, &error)
      || !ks_store_commit (self->store, &error))
    {
      ks_store_rollback (self->store);
      ks_log ("cleanup failed: %s", error->message);
    }
  return G_SOURCE_CONTINUE;
}

/* Life cycle */

static char *
demo_environment_id (KsStore  *store,
                     GError  **error)
{
  g_autoptr(GError) local_error = NULL;
  char *id = ks_store_get_meta (store, "demo-environment-id", &local_error);

  if (local_error != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return NULL;
    }
  if (id != NULL)
    return id;

  /* Made once, then kept: the demo's id is the same from one run to the next. */
  id = g_uuid_string_random ();
  if (!ks_store_set_meta (store, "demo-environment-id", id, error))
    g_clear_pointer (&id, g_free);
  return id;
}

KsServer *
ks_server_new (const char  *data_dir,
               const char  *config_path,
               GError     **error)
{
  g_autoptr(KsServer) self = g_new0 (KsServer, 1);
  g_autofree char *db_path = NULL;
  g_autofree char *secret_path = NULL;
  g_autofree char *keys_dir = NULL;
  g_autofree char *stale = NULL;

  self->data_dir = g_canonicalize_filename (data_dir, NULL);
  if (g_mkdir_with_parents (self->data_dir, 0700) != 0)
    {
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errno), "cannot create %s: %s",
                   self->data_dir, g_strerror (errno));
      return NULL;
    }

  /* A sandbox.json left by an earlier run must not be mistaken for this one's. */
  stale = g_build_filename (self->data_dir, "sandbox.json", NULL);
  g_unlink (stale);

  self->outbox_dir = g_build_filename (self->data_dir, "outbox", NULL);
  keys_dir = g_build_filename (self->data_dir, "keys", NULL);
  if (g_mkdir_with_parents (self->outbox_dir, 0700) != 0
      || g_mkdir_with_parents (keys_dir, 0700) != 0)
    {
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errno), "cannot create %s: %s",
                   keys_dir, g_strerror (errno));
      return NULL;
    }

  db_path = g_build_filename (self->data_dir, "sandbox.db", NULL);
  self->store = ks_store_open (db_path, error);
  if (self->store == NULL)
    return NULL;

  if (config_path != NULL)
    self->config = ks_config_load (config_path, error);
  else
    {
      g_autofree char *id = demo_environment_id (self->store, error);

      if (id != NULL)
        self->config = ks_config_new_demo (id);
    }
  if (self->config == NULL)
    return NULL;

  secret_path = g_build_filename (self->data_dir, "data.key", NULL);
  self->secret = ks_secret_load_or_create (secret_path, error);
  if (self->secret == NULL)
    return NULL;

  self->signers = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                         (GDestroyNotify) ks_signer_free);
  for (guint i = 0; i < self->config->environments->len; i++)
    {
      KsEnvironment *env = g_ptr_array_index (self->config->environments, i);
      g_autofree char *name = g_strdup_printf ("%s.pem", env->id);
      g_autofree char *path = g_build_filename (keys_dir, name, NULL);
      KsSigner *signer = ks_signer_load_or_create (path, error);

      if (signer == NULL)
        return NULL;
      g_hash_table_insert (self->signers, g_strdup (env->id), signer);
    }

  self->prepared_keys = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                               (GDestroyNotify) ks_webauthn_key_unref);

  self->soup = soup_server_new ("server-header", "keyturn-sandbox/" KT_VERSION " ", NULL);
  soup_server_add_early_handler (self->soup, NULL, early_handler_cb, self, NULL);
  soup_server_add_handler (self->soup, NULL, handler_cb, self, NULL);
  g_signal_connect (self->soup, "request-finished", G_CALLBACK (request_finished_cb), NULL);

  return g_steal_pointer (&self);
}

void
ks_server_free (KsServer *self)
{
  if (self == NULL)
    return;
  g_clear_handle_id (&self->cleanup_source, g_source_remove);
  if (self->soup != NULL)
    soup_server_disconnect (self->soup);
  g_clear_object (&self->soup);
  g_clear_pointer (&self->signers, g_hash_table_unref);
  g_clear_pointer (&self->prepared_keys, g_hash_table_unref);
  g_clear_pointer (&self->secret, ks_secret_free);
  g_clear_pointer (&self->store, ks_store_free);
  g_clear_pointer (&self->config, ks_config_free);
  g_free (self->data_dir);
  g_free (self->outbox_dir);
  g_free (self->base_url);
  g_free (self);
}

static GSocketAddress *
parse_address (const char  *address,
               GError     **error)
{
  g_autofree char *host = NULL;
  const char *colon = strrchr (address, ':');
  g_autoptr(GInetAddress) inet = NULL;
  guint64 port;
  char *end = NULL;

  if (colon == NULL || colon == address)
    goto bad;
  if (address[0] == '[' && colon[-1] == ']')
    host = g_strndup (address + 1, colon - address - 2);
  else
    host = g_strndup (address, colon - address);
  if (g_str_equal (host, "localhost"))
    {
      g_free (host);
      host = g_strdup ("127.0.0.1");
    }

  port = g_ascii_strtoull (colon + 1, &end, 10);
  if (end == colon + 1 || *end != '\0' || port > 65535)
    goto bad;
  inet = g_inet_address_new_from_string (host);
  if (inet == NULL)
    goto bad;
  return g_inet_socket_address_new (inet, port);

bad:
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
               "--listen wants HOST:PORT with a numeric address, such as 127.0.0.1:8765, "
               "not \"%s\"", address);
  return NULL;
}

static void
add_string_member (JsonBuilder *builder,
                   const char  *name,
                   const char  *value)
{
  json_builder_set_member_name (builder, name);
  json_builder_add_string_value (builder, value);
}

char *
ks_server_describe (KsServer *self)
{
  KsEnvironment *env = ks_config_get_default (self->config);
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonNode) root = NULL;

  json_builder_begin_object (builder);
  add_string_member (builder, "baseUrl", self->base_url);
  add_string_member (builder, "environmentId", env->id);
  add_string_member (builder, "rpId", env->rp_id);
  add_string_member (builder, "origin", env->origin);
  add_string_member (builder, "outbox", self->outbox_dir);
  json_builder_set_member_name (builder, "pid");
  json_builder_add_int_value (builder, getpid ());
  json_builder_set_member_name (builder, "environments");
  json_builder_begin_array (builder);
  for (guint i = 0; i < self->config->environments->len; i++)
    {
      KsEnvironment *e = g_ptr_array_index (self->config->environments, i);

      json_builder_begin_object (builder);
      add_string_member (builder, "id", e->id);
      add_string_member (builder, "displayName", e->display_name);
      add_string_member (builder, "rpId", e->rp_id);
      add_string_member (builder, "origin", e->origin);
      json_builder_end_object (builder);
    }
  json_builder_end_array (builder);
  json_builder_end_object (builder);

  root = json_builder_get_root (builder);
  return json_to_string (root, TRUE);
}

/* The kernel's limit on a listen queue, or SOMAXCONN when it cannot be read. */
static int
listen_backlog (void)
{
  g_autofree char *text = NULL;
  gint64 value = 0;

  if (g_file_get_contents ("/proc/sys/net/core/somaxconn", &text, NULL, NULL))
    value = g_ascii_strtoll (text, NULL, 10);
  return value > 0 ? (int) MIN (value, 65535) : SOMAXCONN;
}

/* libsoup listens with a queue of 10: a burst of clients connecting at once overflowed it, and
 * the kernel dropped their handshakes (resets, or a retry seconds later). The socket is made
 * here with a queue as long as the kernel allows. */
static GSocket *
listen_socket (GSocketAddress  *address,
               GError         **error)
{
  GSocketFamily family = g_socket_address_get_family (address);
  g_autoptr(GSocket) socket = g_socket_new (family, G_SOCKET_TYPE_STREAM,
                                            G_SOCKET_PROTOCOL_DEFAULT, error);

  if (socket == NULL)
    return NULL;
  if (family == G_SOCKET_FAMILY_IPV6)
    g_socket_set_option (socket, IPPROTO_IPV6, IPV6_V6ONLY, TRUE, NULL);
  g_socket_set_listen_backlog (socket, listen_backlog ());
  if (!g_socket_bind (socket, address, TRUE, error) || !g_socket_listen (socket, error))
    return NULL;
  return g_steal_pointer (&socket);
}

gboolean
ks_server_listen (KsServer    *self,
                  const char  *address,
                  GError     **error)
{
  g_autoptr(GSocketAddress) socket_address = parse_address (address, error);
  g_autoptr(GSocket) listener = NULL;
  g_autofree char *json = NULL;
  g_autofree char *path = NULL;
  GSList *uris;

  if (socket_address == NULL)
    return FALSE;
  listener = listen_socket (socket_address, error);
  if (listener == NULL || !soup_server_listen_socket (self->soup, listener, 0, error))
    return FALSE;

  uris = soup_server_get_uris (self->soup);
  g_assert (uris != NULL);
  self->port = g_uri_get_port (uris->data);
  g_slist_free_full (uris, (GDestroyNotify) g_uri_unref);

  {
    GInetAddress *inet = g_inet_socket_address_get_address (G_INET_SOCKET_ADDRESS (socket_address));
    g_autofree char *host = g_inet_address_to_string (inet);

    if (g_inet_address_get_family (inet) == G_SOCKET_FAMILY_IPV6)
      self->base_url = g_strdup_printf ("http://[%s]:%u/api/v0", host, self->port);
    else
      self->base_url = g_strdup_printf ("http://%s:%u/api/v0", host, self->port);
  }
  ks_config_set_port (self->config, self->port);

  self->cleanup_source = g_timeout_add_seconds (60, cleanup_cb, self);

  /* Written whole or not at all: a test polling for it never reads half a file. */
  json = ks_server_describe (self);
  path = g_build_filename (self->data_dir, "sandbox.json", NULL);
  return g_file_set_contents_full (path, json, -1, G_FILE_SET_CONTENTS_CONSISTENT, 0644, error);
}

guint
ks_server_get_port (KsServer *self)
{
  return self->port;
}

const char *
ks_server_get_base_url (KsServer *self)
{
  return self->base_url;
}

KsConfig *
ks_server_get_config (KsServer *self)
{
  return self->config;
}

const char *
ks_server_get_outbox_dir (KsServer *self)
{
  return self->outbox_dir;
}
