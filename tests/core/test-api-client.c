/* test-api-client.c: the API client against a raw HTTP test server that answers what we script
 *
 * A real libsoup client over loopback; the server is a GThreadedSocketService that writes canned
 * answers, so the tests can send what no good server would: broken JSON, wrong types, dropped
 * connections, silence. It runs its connections in threads, so it may block while the client's
 * main loop goes on.
 *
 * Copyright 2026 Keyturn developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <gio/gio.h>
#include <string.h>

#include "kt-api-client.h"
#include "kt-base64url.h"
#include "kt-secret.h"

typedef struct {
  GSocketService *service;
  guint16 port;
  GPtrArray *answers;      /* char *: raw HTTP answers, one per connection, "" to drop it */
  GPtrArray *requests;     /* char *: what each connection sent (headers and body) */
  guint connections;
  GMutex lock;
  GMainLoop *loop;
  GAsyncResult *result;
} Fixture;

static gboolean
on_run (GThreadedSocketService *service,
        GSocketConnection      *connection,
        GObject                *source,
        gpointer                user_data)
{
  Fixture *f = user_data;
  GInputStream *in = g_io_stream_get_input_stream (G_IO_STREAM (connection));
  GOutputStream *out = g_io_stream_get_output_stream (G_IO_STREAM (connection));
  GString *request = g_string_new (NULL);
  const char *answer;
  char buf[4096];
  gssize n;
  gsize body_len = 0;
  const char *end;

  while ((end = strstr (request->str, "\r\n\r\n")) == NULL)
    {
      n = g_input_stream_read (in, buf, sizeof buf, NULL, NULL);
      if (n <= 0)
        break;
      g_string_append_len (request, buf, n);
    }
  if (end != NULL)
    {
      const char *cl = strcasestr (request->str, "\r\nContent-Length:");
      if (cl != NULL && cl < end)
        body_len = strtoul (cl + strlen ("\r\nContent-Length:"), NULL, 10);
      while (request->len < (gsize) (end - request->str) + 4 + body_len)
        {
          n = g_input_stream_read (in, buf, sizeof buf, NULL, NULL);
          if (n <= 0)
            break;
          g_string_append_len (request, buf, n);
          end = strstr (request->str, "\r\n\r\n");
        }
    }
  g_mutex_lock (&f->lock);
  g_ptr_array_add (f->requests, g_string_free (request, FALSE));
  answer = f->connections < f->answers->len ? g_ptr_array_index (f->answers, f->connections)
                                            : g_ptr_array_index (f->answers, f->answers->len - 1);
  f->connections++;
  g_mutex_unlock (&f->lock);

  if (g_strcmp0 (answer, "silence") == 0)
    {
      /* Say nothing until the client gives up and closes: it must time out. */
      while (g_input_stream_read (in, buf, sizeof buf, NULL, NULL) > 0)
        ;
      return TRUE;
    }
  if (g_strcmp0 (answer, "drip") == 0)
    {
      /* A byte every 200 ms, each well within the read timeout: 40 s for the whole answer. */
      const char *head = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                         "Content-Length: 200\r\nConnection: close\r\n\r\n";

      g_output_stream_write_all (out, head, strlen (head), NULL, NULL, NULL);
      for (guint i = 0; i < 200; i++)
        {
          g_usleep (200 * 1000);
          if (!g_output_stream_write_all (out, i == 0 ? "{" : " ", 1, NULL, NULL, NULL))
            break;
        }
      g_io_stream_close (G_IO_STREAM (connection), NULL, NULL);
      return TRUE;
    }
  if (*answer != '\0')
    g_output_stream_write_all (out, answer, strlen (answer), NULL, NULL, NULL);
  g_io_stream_close (G_IO_STREAM (connection), NULL, NULL);
  return TRUE;
}

static char *
http_answer (guint        status,
             const char  *reason,
             const char  *body)
{
  return g_strdup_printf ("HTTP/1.1 %u %s\r\nContent-Type: application/json\r\n"
                          "Content-Length: %zu\r\nConnection: close\r\n\r\n%s",
                          status, reason, strlen (body), body);
}

static void
fixture_set_up (Fixture       *f,
                gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) address = g_inet_socket_address_new (loopback, 0);
  g_autoptr(GSocketAddress) bound = NULL;

  f->service = g_threaded_socket_service_new (4);
  g_mutex_init (&f->lock);
  f->answers = g_ptr_array_new_with_free_func (g_free);
  f->requests = g_ptr_array_new_with_free_func (g_free);
  f->loop = g_main_loop_new (NULL, FALSE);
  g_socket_listener_add_address (G_SOCKET_LISTENER (f->service), address, G_SOCKET_TYPE_STREAM,
                                 G_SOCKET_PROTOCOL_TCP, NULL, &bound, &error);
  g_assert_no_error (error);
  f->port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));
  g_signal_connect (f->service, "run", G_CALLBACK (on_run), f);
  g_socket_service_start (f->service);
}

static void
fixture_tear_down (Fixture       *f,
                   gconstpointer  data)
{
  g_socket_service_stop (f->service);
  g_socket_listener_close (G_SOCKET_LISTENER (f->service));
  g_clear_object (&f->service);
  g_ptr_array_unref (f->answers);
  g_ptr_array_unref (f->requests);
  g_main_loop_unref (f->loop);
  g_clear_object (&f->result);
}

static KtApiClient *
make_client (Fixture *f)
{
  g_autofree char *base = g_strdup_printf ("http://127.0.0.1:%u/api/v0", f->port);
  g_autoptr(GError) error = NULL;
  KtApiClient *client = kt_api_client_new (base, "env-1", &error);

  g_assert_no_error (error);
  return client;
}

static void
on_done (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  Fixture *f = user_data;

  g_set_object (&f->result, result);
  g_main_loop_quit (f->loop);
}

static GAsyncResult *
wait_for (Fixture *f)
{
  g_clear_object (&f->result);
  g_main_loop_run (f->loop);
  return f->result;
}

static const char *user_json =
  "{\"user\":{\"id\":\"u-1\",\"projectEnvironmentId\":\"env-1\",\"email\":\"a@example.com\","
  "\"scope\":\"requiresAdditionalAuth\",\"mfaBackupCodeAcknowledgement\":null,"
  "\"verifiedCredentials\":[]},\"minifiedJwt\":\"tok-1\",\"jwt\":\"id-1\",\"expiresAt\":1900000000}";

static void
test_verify_response (Fixture       *f,
                      gconstpointer  data)
{
  g_autoptr(KtApiClient) client = make_client (f);
  g_autoptr(KtVerifyResponse) response = NULL;
  g_autoptr(GError) error = NULL;
  const char *request;

  g_ptr_array_add (f->answers, http_answer (200, "OK", user_json));
  kt_api_client_sign_in_with_email_code_async (client, "uuid-1", "123456", NULL, on_done, f);
  response = kt_api_client_sign_in_with_email_code_finish (client, wait_for (f), &error);
  g_assert_no_error (error);

  g_assert_cmpstr (kt_verify_response_get_access_token (response), ==, "tok-1");
  g_assert_cmpint (kt_verify_response_get_expires_at (response), ==, 1900000000);
  g_assert_cmpstr (kt_user_get_id (kt_verify_response_get_user (response)), ==, "u-1");
  g_assert_true (kt_user_requires_additional_auth (kt_verify_response_get_user (response)));

  request = g_ptr_array_index (f->requests, 0);
  g_assert_true (g_str_has_prefix (request, "POST /api/v0/sdk/env-1/emailVerifications/signin "));
  g_assert_nonnull (strstr (request, "\"verificationToken\":\"123456\""));
  g_assert_nonnull (strcasestr (request, "\r\nx-dyn-request-id: "));
  /* Nobody is signed in yet: no bearer token may be sent. */
  g_assert_null (strcasestr (request, "\r\nAuthorization:"));
}

static void
test_malformed (Fixture       *f,
                gconstpointer  data)
{
  const char *bodies[] = {
    "{\"user\": {\"id\": ",                                   /* cut off */
    "[1, 2, 3]",                                              /* not an object */
    "{\"user\": {\"id\": 42}, \"minifiedJwt\": \"t\"}",       /* id is a number */
    "{\"minifiedJwt\": \"t\"}",                               /* no user */
    "{\"user\": {\"id\": \"u\"}, \"expiresAt\": \"soon\"}",   /* expiresAt is text */
  };

  for (gsize i = 0; i < G_N_ELEMENTS (bodies); i++)
    {
      g_autoptr(KtApiClient) client = make_client (f);
      g_autoptr(KtVerifyResponse) response = NULL;
      g_autoptr(GError) error = NULL;

      g_ptr_array_set_size (f->answers, 0);
      f->connections = 0;
      g_ptr_array_add (f->answers, http_answer (200, "OK", bodies[i]));
      kt_api_client_refresh_async (client, NULL, on_done, f);
      response = kt_api_client_refresh_finish (client, wait_for (f), &error);
      g_assert_error (error, KT_API_ERROR, KT_API_ERROR_MALFORMED);
      g_assert_null (response);
    }
}

/* What a hostile server sent: 200 KB of nesting, well under the size cap, that overflowed the
 * stack inside json-glib. */
static void
test_deep_json (Fixture       *f,
                gconstpointer  data)
{
  g_autoptr(KtApiClient) client = make_client (f);
  g_autoptr(KtUser) user = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *open = g_strnfill (100000, '[');
  g_autofree char *close = g_strnfill (100000, ']');
  g_autofree char *body = g_strconcat ("{\"user\":", open, close, "}", NULL);

  g_ptr_array_add (f->answers, http_answer (200, "OK", body));
  kt_api_client_get_user_async (client, NULL, on_done, f);
  user = kt_api_client_get_user_finish (client, wait_for (f), &error);
  g_assert_error (error, KT_API_ERROR, KT_API_ERROR_MALFORMED);
  g_assert_null (user);
}

static void
on_unauthorized (KtApiClient *client,
                 gpointer     user_data)
{
  (*(guint *) user_data)++;
}

static void
test_error_mapping (Fixture       *f,
                    gconstpointer  data)
{
  const struct {
    guint status;
    const char *body;
    KtApiError code;
    const char *server_code;
    const char *message;
  } cases[] = {
    { 400, "{\"error\":\"Wrong code, 4 tries left\",\"code\":\"mfa_invalid_code\"}",
      KT_API_ERROR_INVALID_CODE, "mfa_invalid_code", "Wrong code, 4 tries left" },
    { 429, "{\"error\":\"Slow down\",\"code\":\"mfa_rate_limited\"}",
      KT_API_ERROR_RATE_LIMITED, "mfa_rate_limited", "Slow down" },
    { 403, "{\"error\":\"Finish MFA first\",\"code\":\"mfa_required\"}",
      KT_API_ERROR_FORBIDDEN, "mfa_required", "Finish MFA first" },
    { 404, "{\"error\":\"No such environment\",\"code\":\"environment_not_found\"}",
      KT_API_ERROR_NOT_FOUND, "environment_not_found", "No such environment" },
    { 500, "<html>oops</html>", KT_API_ERROR_SERVER, NULL, NULL },
    { 422, "{\"error\": 7}", KT_API_ERROR_BAD_REQUEST, NULL, NULL },
    /* A server's words reach a person without its control or direction-changing characters. */
    { 400, "{\"error\":\"Bad\\nline\\u001b[31m \\u202egnp.exe\",\"code\":\"x\"}",
      KT_API_ERROR_BAD_REQUEST, "x", "Bad?line?[31m ?gnp.exe" },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(KtApiClient) client = make_client (f);
      g_autoptr(GError) error = NULL;
      g_autoptr(KtUser) user = NULL;

      g_ptr_array_set_size (f->answers, 0);
      f->connections = 0;
      g_ptr_array_add (f->answers, http_answer (cases[i].status, "Nope", cases[i].body));
      kt_api_client_get_user_async (client, NULL, on_done, f);
      user = kt_api_client_get_user_finish (client, wait_for (f), &error);
      g_assert_null (user);
      g_assert_error (error, KT_API_ERROR, (gint) cases[i].code);
      g_assert_cmpstr (kt_api_error_get_server_code (error), ==, cases[i].server_code);
      if (cases[i].message != NULL)
        g_assert_cmpstr (error->message, ==, cases[i].message);
      else
        g_assert_cmpstr (error->message, !=, "");
    }
}

/* An answer of two JSON values is malformed, not taken for its last one. */
static void
test_two_values (Fixture       *f,
                 gconstpointer  data)
{
  g_autoptr(KtApiClient) client = make_client (f);
  g_autoptr(GError) error = NULL;
  g_autoptr(KtUser) user = NULL;
  g_autofree char *two = g_strconcat (user_json, "{\"user\": {}}", NULL);

  /* The first value alone is a good answer; with another after it, the answer is refused. */
  g_ptr_array_add (f->answers, http_answer (200, "OK", two));
  kt_api_client_get_user_async (client, NULL, on_done, f);
  user = kt_api_client_get_user_finish (client, wait_for (f), &error);
  g_assert_null (user);
  g_assert_error (error, KT_API_ERROR, KT_API_ERROR_MALFORMED);
}

/* A rate-limited answer says how long to wait, in its Retry-After header or its body. */
static void
test_retry_after (Fixture       *f,
                  gconstpointer  data)
{
  const char *limited = "{\"error\":\"Slow down\",\"code\":\"mfa_rate_limited\"}";
  g_autoptr(GDateTime) now = g_date_time_new_now_utc ();
  g_autoptr(GDateTime) then = g_date_time_add_seconds (now, 90);
  g_autofree char *http_date = g_date_time_format (then, "%a, %d %b %Y %H:%M:%S GMT");
  struct {
    char *answer;
    guint min_wait;
    guint max_wait;
  } cases[] = {
    { g_strdup_printf ("HTTP/1.1 429 Too Many Requests\r\nRetry-After: 42\r\n"
                       "Content-Length: %zu\r\nConnection: close\r\n\r\n%s",
                       strlen (limited), limited), 42, 42 },
    { g_strdup_printf ("HTTP/1.1 429 Too Many Requests\r\nRetry-After: %s\r\n"
                       "Content-Length: %zu\r\nConnection: close\r\n\r\n%s",
                       http_date, strlen (limited), limited), 85, 91 },
    { http_answer (429, "Too Many Requests",
                   "{\"error\":\"Slow down\",\"code\":\"mfa_rate_limited\",\"retryAfter\":17}"),
      17, 17 },
    /* A day at most, whatever the server says. */
    { g_strdup_printf ("HTTP/1.1 429 Too Many Requests\r\nRetry-After: 99999999\r\n"
                       "Content-Length: %zu\r\nConnection: close\r\n\r\n%s",
                       strlen (limited), limited), 86400, 86400 },
    { g_strdup_printf ("HTTP/1.1 429 Too Many Requests\r\nRetry-After: soon\r\n"
                       "Content-Length: %zu\r\nConnection: close\r\n\r\n%s",
                       strlen (limited), limited), 0, 0 },
    /* Dynamic's error body, as the sandbox writes it too. */
    { http_answer (429, "Too Many Requests",
                   "{\"error\":\"Slow down\",\"code\":\"mfa_rate_limited\","
                   "\"payload\":{\"retryAfter\":23}}"),
      23, 23 },
    /* Only a rate limit carries a wait. */
    { http_answer (400, "Bad Request",
                   "{\"error\":\"Wrong code\",\"code\":\"mfa_invalid_code\",\"retryAfter\":5}"),
      0, 0 },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(KtApiClient) client = make_client (f);
      g_autoptr(GError) error = NULL;
      g_autoptr(KtUser) user = NULL;
      guint wait;

      g_ptr_array_set_size (f->answers, 0);
      g_ptr_array_add (f->answers, g_steal_pointer (&cases[i].answer));
      kt_api_client_get_user_async (client, NULL, on_done, f);
      user = kt_api_client_get_user_finish (client, wait_for (f), &error);
      g_assert_null (user);
      g_assert_nonnull (error);
      wait = kt_api_error_get_retry_after (error);
      g_assert_cmpuint (wait, >=, cases[i].min_wait);
      g_assert_cmpuint (wait, <=, cases[i].max_wait);
    }
}

static void
test_unauthorized_drops_tokens (Fixture       *f,
                                gconstpointer  data)
{
  g_autoptr(KtApiClient) client = make_client (f);
  g_autoptr(GError) error = NULL;
  g_autoptr(KtUser) user = NULL;
  guint emitted = 0;

  kt_api_client_set_access_token (client, "secret-access");
  kt_api_client_set_mfa_token (client, "secret-mfa");
  g_signal_connect (client, "unauthorized", G_CALLBACK (on_unauthorized), &emitted);
  g_ptr_array_add (f->answers, http_answer (401, "Unauthorized", "{\"error\":\"expired\"}"));

  kt_api_client_get_user_async (client, NULL, on_done, f);
  user = kt_api_client_get_user_finish (client, wait_for (f), &error);
  g_assert_error (error, KT_API_ERROR, KT_API_ERROR_UNAUTHORIZED);
  g_assert_cmpuint (emitted, ==, 1);
  g_assert_false (kt_api_client_has_access_token (client));
  g_assert_false (kt_api_client_has_mfa_token (client));
  g_assert_nonnull (strstr (g_ptr_array_index (f->requests, 0),
                            "\r\nAuthorization: Bearer secret-access\r\n"));
}

static void
test_step_up_token_spent (Fixture       *f,
                          gconstpointer  data)
{
  g_autoptr(KtApiClient) client = make_client (f);
  g_autoptr(GError) error = NULL;

  kt_api_client_set_access_token (client, "secret-access");
  kt_api_client_set_mfa_token (client, "secret-mfa");
  g_ptr_array_add (f->answers, http_answer (200, "OK", "{\"passkeys\":[],\"count\":0,\"extra\":1}"));
  g_ptr_array_add (f->answers, g_strdup ("HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n"));

  /* A plain call does not carry the MFA token ... */
  kt_api_client_list_passkeys_async (client, NULL, on_done, f);
  g_object_unref (kt_api_client_list_passkeys_finish (client, wait_for (f), &error));
  g_assert_no_error (error);
  g_assert_null (strcasestr (g_ptr_array_index (f->requests, 0), "x-mfa-auth-token"));

  /* ... a step-up call does, and spends it. */
  kt_api_client_delete_passkey_async (client, "pk-1", NULL, on_done, f);
  g_assert_true (kt_api_client_delete_passkey_finish (client, wait_for (f), &error));
  g_assert_no_error (error);
  g_assert_nonnull (strcasestr (g_ptr_array_index (f->requests, 1),
                                "\r\nx-mfa-auth-token: secret-mfa\r\n"));
  g_assert_nonnull (strstr (g_ptr_array_index (f->requests, 1), "{\"passkeyId\":\"pk-1\"}"));
  g_assert_false (kt_api_client_has_mfa_token (client));
}

/* An unsigned JWT with @claims: the client reads a token's claims, the server checks it. */
static char *
fake_jwt (const char *claims)
{
  g_autofree char *header = kt_base64url_encode ((const guint8 *) "{\"alg\":\"RS256\"}", 15);
  g_autofree char *payload = kt_base64url_encode ((const guint8 *) claims, strlen (claims));

  return g_strconcat (header, ".", payload, ".c2ln", NULL);
}

static char *
claims_for (const char *scope,
            gint64      exp_from_now,
            gboolean    single_use)
{
  return g_strdup_printf ("{\"sub\":\"u\",\"scope\":\"%s\",\"exp\":%" G_GINT64_FORMAT
                          ",\"singleUse\":%s}", scope,
                          g_get_real_time () / G_USEC_PER_SEC + exp_from_now,
                          single_use ? "true" : "false");
}

/* Elevated access tokens: one per scope set, kept while live, a single-use one handed out once. */
static void
test_elevated_tokens (void)
{
  g_autoptr(KtElevatedTokens) tokens = kt_elevated_tokens_new ();
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  g_autofree char *claims = NULL;
  g_autofree char *unlink_token = NULL;
  g_autofree char *link_token = NULL;
  g_autofree char *both_token = NULL;
  char *used;

  claims = claims_for ("credential:unlink", 600, FALSE);
  unlink_token = fake_jwt (claims);
  g_clear_pointer (&claims, g_free);
  claims = claims_for ("credential:link", 300, TRUE);
  link_token = fake_jwt (claims);
  g_clear_pointer (&claims, g_free);
  claims = claims_for ("credential:unlink  credential:link", 600, FALSE);
  both_token = fake_jwt (claims);
  g_clear_pointer (&claims, g_free);

  /* Refused: not a JWT, no scope, no exp, expired. */
  g_assert_false (kt_elevated_tokens_add (tokens, "not-a-jwt", now));
  {
    g_autofree char *no_scope = fake_jwt ("{\"exp\":99999999999}");
    g_autofree char *no_exp = fake_jwt ("{\"scope\":\"credential:link\"}");
    g_autofree char *expired_claims = claims_for ("credential:link", -1, FALSE);
    g_autofree char *expired = fake_jwt (expired_claims);

    g_assert_false (kt_elevated_tokens_add (tokens, no_scope, now));
    g_assert_false (kt_elevated_tokens_add (tokens, no_exp, now));
    g_assert_false (kt_elevated_tokens_add (tokens, expired, now));
  }
  g_assert_cmpuint (kt_elevated_tokens_count (tokens), ==, 0);

  /* A time-bound token serves until its exp. */
  g_assert_true (kt_elevated_tokens_add (tokens, unlink_token, now));
  g_assert_false (kt_elevated_tokens_has (tokens, KT_SCOPE_CREDENTIAL_LINK, now));
  g_assert_null (kt_elevated_tokens_use (tokens, KT_SCOPE_CREDENTIAL_LINK, now));
  for (int i = 0; i < 2; i++)
    {
      used = kt_elevated_tokens_use (tokens, KT_SCOPE_CREDENTIAL_UNLINK, now);
      g_assert_cmpstr (used, ==, unlink_token);
      kt_secret_free (used);
    }
  g_assert_false (kt_elevated_tokens_has (tokens, KT_SCOPE_CREDENTIAL_UNLINK, now + 600));
  g_assert_cmpuint (kt_elevated_tokens_count (tokens), ==, 0);

  /* A single-use one is handed out once. */
  g_assert_true (kt_elevated_tokens_add (tokens, link_token, now));
  g_assert_true (kt_elevated_tokens_has (tokens, KT_SCOPE_CREDENTIAL_LINK, now));
  used = kt_elevated_tokens_use (tokens, KT_SCOPE_CREDENTIAL_LINK, now);
  g_assert_cmpstr (used, ==, link_token);
  kt_secret_free (used);
  g_assert_false (kt_elevated_tokens_has (tokens, KT_SCOPE_CREDENTIAL_LINK, now));

  /* One token per scope set, whatever the order or spacing of its scopes. */
  g_assert_true (kt_elevated_tokens_add (tokens, both_token, now));
  g_assert_true (kt_elevated_tokens_add (tokens, both_token, now));
  g_assert_cmpuint (kt_elevated_tokens_count (tokens), ==, 1);
  g_assert_true (kt_elevated_tokens_has (tokens, KT_SCOPE_CREDENTIAL_LINK, now));
  g_assert_true (kt_elevated_tokens_has (tokens, KT_SCOPE_CREDENTIAL_UNLINK, now));
  kt_elevated_tokens_clear (tokens);
  g_assert_cmpuint (kt_elevated_tokens_count (tokens), ==, 0);
}

/* A token handed to another application carries its expiry in its claims, when it has one. */
static void
test_token_expiry (void)
{
  g_autofree char *scoped = fake_jwt ("{\"scope\":\"wallet:sign\",\"exp\":1900000000}");
  g_autofree char *bare = fake_jwt ("{\"exp\":1900000001.5}");
  g_autofree char *no_exp = fake_jwt ("{\"scope\":\"credential:link\"}");
  g_autofree char *text_exp = fake_jwt ("{\"exp\":\"1900000000\"}");
  g_autofree char *array = fake_jwt ("[1900000000]");

  g_assert_cmpint (kt_elevated_tokens_read_expiry (scoped), ==, 1900000000);
  g_assert_cmpint (kt_elevated_tokens_read_expiry (bare), ==, 1900000001);
  g_assert_cmpint (kt_elevated_tokens_read_expiry (no_exp), ==, 0);
  g_assert_cmpint (kt_elevated_tokens_read_expiry (text_exp), ==, 0);
  g_assert_cmpint (kt_elevated_tokens_read_expiry (array), ==, 0);
  /* The legacy MFA token is opaque. */
  g_assert_cmpint (kt_elevated_tokens_read_expiry ("0f3c9a51d2e84b7a"), ==, 0);
  g_assert_cmpint (kt_elevated_tokens_read_expiry ("a.b.c"), ==, 0);
  g_assert_cmpint (kt_elevated_tokens_read_expiry (""), ==, 0);
}

/* The client sends an elevated token beside the access token on the calls of its scope only,
 * and drops a single-use one once sent; every request carries Dynamic's client headers. */
static void
test_elevated_token_sent (Fixture       *f,
                          gconstpointer  data)
{
  g_autoptr(KtApiClient) client = make_client (f);
  g_autoptr(GError) error = NULL;
  g_autofree char *claims = claims_for ("credential:unlink", 300, TRUE);
  g_autofree char *token = fake_jwt (claims);
  g_autofree char *header = g_strdup_printf ("\r\nx-dyn-elevated-access-token: %s\r\n", token);
  gboolean required = FALSE;

  kt_api_client_set_access_token (client, "secret-access");
  g_assert_true (kt_api_client_add_elevated_token (client, token));
  g_assert_true (kt_api_client_has_elevated_token (client, KT_SCOPE_CREDENTIAL_UNLINK));
  g_ptr_array_add (f->answers, http_answer (200, "OK",
                                            "{\"isRequired\":true,\"credentials\":[]}"));
  g_ptr_array_add (f->answers, http_answer (200, "OK", "{\"passkeys\":[],\"count\":0}"));
  g_ptr_array_add (f->answers, g_strdup ("HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n"));
  g_ptr_array_add (f->answers, g_strdup ("HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n"));

  kt_api_client_check_step_up_async (client, KT_SCOPE_CREDENTIAL_UNLINK, NULL, on_done, f);
  g_assert_true (kt_api_client_check_step_up_finish (client, wait_for (f), &required, &error));
  g_assert_no_error (error);
  g_assert_true (required);
  g_assert_nonnull (strstr (g_ptr_array_index (f->requests, 0),
                            "{\"scope\":\"credential:unlink\"}"));

  kt_api_client_list_passkeys_async (client, NULL, on_done, f);
  g_object_unref (kt_api_client_list_passkeys_finish (client, wait_for (f), &error));
  g_assert_no_error (error);
  g_assert_null (strcasestr (g_ptr_array_index (f->requests, 1), "x-dyn-elevated-access-token"));
  for (guint i = 0; i < 2; i++)
    {
      const char *request = g_ptr_array_index (f->requests, i);

      g_assert_nonnull (strcasestr (request, "\r\nx-dyn-version: Keyturn/"));
      g_assert_nonnull (strcasestr (request, "\r\nx-dyn-api-version: API/"));
      g_assert_nonnull (strcasestr (request, "\r\nx-dyn-request-id: "));
      g_assert_nonnull (strcasestr (request, "\r\nx-dynamic-platform: "));
      g_assert_nonnull (strcasestr (request, "\r\nx-dyn-session-id: "));
    }

  kt_api_client_delete_passkey_async (client, "pk-1", NULL, on_done, f);
  g_assert_true (kt_api_client_delete_passkey_finish (client, wait_for (f), &error));
  g_assert_no_error (error);
  g_assert_nonnull (strcasestr (g_ptr_array_index (f->requests, 2), header));
  g_assert_nonnull (strstr (g_ptr_array_index (f->requests, 2),
                            "\r\nAuthorization: Bearer secret-access\r\n"));
  g_assert_false (kt_api_client_has_elevated_token (client, KT_SCOPE_CREDENTIAL_UNLINK));

  /* Spent: the next deletion goes without. */
  kt_api_client_delete_passkey_async (client, "pk-2", NULL, on_done, f);
  g_assert_true (kt_api_client_delete_passkey_finish (client, wait_for (f), &error));
  g_assert_null (strcasestr (g_ptr_array_index (f->requests, 3), "x-dyn-elevated-access-token"));
}

static void
test_get_retried_post_not (Fixture       *f,
                           gconstpointer  data)
{
  g_autoptr(KtApiClient) client = make_client (f);
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) codes = NULL;
  g_autoptr(KtVerifyResponse) response = NULL;

  /* The first connection is dropped without a word, the second answers. */
  g_ptr_array_add (f->answers, g_strdup (""));
  g_ptr_array_add (f->answers, http_answer (200, "OK", "{\"recoveryCodes\":[\"a\",\"b\"],\"count\":2}"));
  kt_api_client_set_access_token (client, "secret-access");
  kt_api_client_get_recovery_codes_async (client, NULL, on_done, f);
  codes = kt_api_client_get_recovery_codes_finish (client, wait_for (f), &error);
  g_assert_no_error (error);
  g_assert_cmpuint (g_strv_length (codes), ==, 2);
  g_assert_cmpuint (f->connections, ==, 2);

  /* A POST is never sent twice on its own: the person decides. */
  f->connections = 0;
  g_ptr_array_set_size (f->answers, 0);
  g_ptr_array_add (f->answers, g_strdup (""));
  g_ptr_array_add (f->answers, http_answer (200, "OK", user_json));
  kt_api_client_refresh_async (client, NULL, on_done, f);
  response = kt_api_client_refresh_finish (client, wait_for (f), &error);
  g_assert_error (error, KT_API_ERROR, KT_API_ERROR_NETWORK);
  g_assert_cmpuint (f->connections, ==, 1);
}

static void
test_mfa_methods (Fixture       *f,
                  gconstpointer  data)
{
  g_autoptr(KtApiClient) client = make_client (f);
  g_autoptr(GError) error = NULL;
  g_autoptr(KtMfaMethods) methods = NULL;
  g_autoptr(KtMfaMethods) refused = NULL;
  g_autoptr(KtMfaDevice) device = NULL;

  g_ptr_array_add (f->answers, http_answer (200, "OK",
    "{\"devices\":[{\"id\":\"d-1\",\"type\":\"passkey\",\"verified\":true,\"default\":true,"
    "\"createdAt\":\"2026-11-27T10:00:00.000Z\",\"alias\":\"Blue key\"}],"
    "\"passkeys\":[{\"id\":\"p-1\",\"credentialId\":\"abc\",\"createdAt\":\"2026-11-27T10:00:00Z\"}],"
    "\"userHasVerifiedMfaMethods\":true}"));
  /* A device whose "verified" is text is refused whole, not half read. */
  g_ptr_array_add (f->answers, http_answer (200, "OK",
    "{\"devices\":[{\"id\":\"d-1\",\"verified\":\"yes\"}],\"userHasVerifiedMfaMethods\":true}"));
  kt_api_client_set_access_token (client, "secret-access");

  kt_api_client_get_mfa_methods_async (client, NULL, on_done, f);
  methods = kt_api_client_get_mfa_methods_finish (client, wait_for (f), &error);
  g_assert_no_error (error);
  g_assert_true (kt_mfa_methods_get_has_verified_methods (methods));
  g_assert_cmpuint (g_list_model_get_n_items (kt_mfa_methods_get_devices (methods)), ==, 1);
  g_assert_cmpuint (g_list_model_get_n_items (kt_mfa_methods_get_passkeys (methods)), ==, 1);
  device = g_list_model_get_item (kt_mfa_methods_get_devices (methods), 0);
  g_assert_cmpstr (kt_mfa_device_get_id (device), ==, "d-1");
  g_assert_cmpstr (kt_mfa_device_get_kind (device), ==, "passkey");
  g_assert_cmpstr (kt_mfa_device_get_alias (device), ==, "Blue key");
  g_assert_true (kt_mfa_device_get_verified (device));
  g_assert_true (kt_mfa_device_get_is_default (device));
  g_assert_nonnull (kt_mfa_device_get_created_at (device));
  g_assert_null (kt_mfa_device_get_verified_at (device));

  kt_api_client_get_mfa_methods_async (client, NULL, on_done, f);
  refused = kt_api_client_get_mfa_methods_finish (client, wait_for (f), &error);
  g_assert_error (error, KT_API_ERROR, KT_API_ERROR_MALFORMED);
  g_assert_null (refused);
}

static void
test_timeout (Fixture       *f,
              gconstpointer  data)
{
  g_autoptr(KtApiClient) client = make_client (f);
  g_autoptr(GError) error = NULL;
  g_autoptr(KtVerifyResponse) response = NULL;
  gint64 start = g_get_monotonic_time ();

  g_ptr_array_add (f->answers, g_strdup ("silence"));
  kt_api_client_set_timeout (client, 1);
  kt_api_client_refresh_async (client, NULL, on_done, f);
  response = kt_api_client_refresh_finish (client, wait_for (f), &error);
  g_assert_error (error, KT_API_ERROR, KT_API_ERROR_TIMEOUT);
  g_assert_cmpint (g_get_monotonic_time () - start, <, 5 * G_USEC_PER_SEC);
}

/* The timeout bounds the whole answer, not only each read of it. */
static void
test_slow_drip (Fixture       *f,
                gconstpointer  data)
{
  g_autoptr(KtApiClient) client = make_client (f);
  g_autoptr(GError) error = NULL;
  g_autoptr(KtVerifyResponse) response = NULL;
  gint64 start = g_get_monotonic_time ();

  g_ptr_array_add (f->answers, g_strdup ("drip"));
  kt_api_client_set_timeout (client, 1);
  kt_api_client_refresh_async (client, NULL, on_done, f);
  response = kt_api_client_refresh_finish (client, wait_for (f), &error);
  g_assert_error (error, KT_API_ERROR, KT_API_ERROR_TIMEOUT);
  g_assert_cmpint (g_get_monotonic_time () - start, <, 10 * G_USEC_PER_SEC);
}

static void
test_server_down (Fixture       *f,
                  gconstpointer  data)
{
  g_autoptr(KtApiClient) client = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(KtUser) user = NULL;

  /* Stop listening: the port refuses connections, as a server that is down does. */
  g_socket_service_stop (f->service);
  g_socket_listener_close (G_SOCKET_LISTENER (f->service));
  client = make_client (f);

  kt_api_client_get_user_async (client, NULL, on_done, f);
  user = kt_api_client_get_user_finish (client, wait_for (f), &error);
  g_assert_error (error, KT_API_ERROR, KT_API_ERROR_NETWORK);
  g_assert_null (user);
  g_assert_nonnull (strstr (error->message, "127.0.0.1"));
}

static void
test_base_url_rules (void)
{
  const struct {
    const char *url;
    gboolean ok;
  } cases[] = {
    { "https://app.dynamicauth.com/api/v0", TRUE },
    { "http://127.0.0.1:8765/api/v0", TRUE },
    { "http://localhost:8765/api/v0", TRUE },
    { "http://[::1]:8765/api/v0", TRUE },
    { "http://app.dynamicauth.com/api/v0", FALSE },
    { "http://192.168.1.4/api/v0", FALSE },
    { "ftp://example.com/", FALSE },
    { "not a url", FALSE },
    { "", FALSE },
    /* Nothing but a scheme, a host, a port and a path. */
    { "http://user@localhost:8765/api/v0", FALSE },
    { "https://user:secret@app.dynamicauth.com/api/v0", FALSE },
    { "https://app.dynamicauth.com/api/v0#top", FALSE },
    { "https://app.dynamicauth.com/api/v0?env=1", FALSE },
    { "http://localhost:8765/api/v0#", FALSE },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GError) error = NULL;
      gboolean ok = kt_api_base_url_is_acceptable (cases[i].url, &error);

      g_assert_cmpint (ok, ==, cases[i].ok);
      if (!ok)
        g_assert_error (error, KT_API_ERROR, KT_API_ERROR_CONFIGURATION);
    }
}

/* Each refusal says what is wrong, and never shows a password it was given. */
static void
test_base_url_refusals (void)
{
  const struct {
    const char *url;
    const char *said;
  } cases[] = {
    { "http://user@localhost:8765/api/v0", "user name or password" },
    { "https://user:secret@app.dynamicauth.com/api/v0", "user name or password" },
    { "https://app.dynamicauth.com/api/v0#top", "“#”" },
    { "https://app.dynamicauth.com/api/v0?env=1", "“?”" },
    { "http://app.dynamicauth.com/api/v0", "https://" },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(KtApiClient) client = kt_api_client_new (cases[i].url, "env-1", &error);

      g_assert_null (client);
      g_assert_error (error, KT_API_ERROR, KT_API_ERROR_CONFIGURATION);
      g_assert_nonnull (strstr (error->message, cases[i].said));
      g_assert_null (strstr (error->message, "secret"));
    }
}

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/api-client/base-url-rules", test_base_url_rules);
  g_test_add_func ("/api-client/base-url-refusals", test_base_url_refusals);
  g_test_add ("/api-client/verify-response", Fixture, NULL,
              fixture_set_up, test_verify_response, fixture_tear_down);
  g_test_add ("/api-client/malformed", Fixture, NULL,
              fixture_set_up, test_malformed, fixture_tear_down);
  g_test_add ("/api-client/deep-json", Fixture, NULL,
              fixture_set_up, test_deep_json, fixture_tear_down);
  g_test_add ("/api-client/two-values", Fixture, NULL,
              fixture_set_up, test_two_values, fixture_tear_down);
  g_test_add ("/api-client/retry-after", Fixture, NULL,
              fixture_set_up, test_retry_after, fixture_tear_down);
  g_test_add ("/api-client/error-mapping", Fixture, NULL,
              fixture_set_up, test_error_mapping, fixture_tear_down);
  g_test_add ("/api-client/unauthorized-drops-tokens", Fixture, NULL,
              fixture_set_up, test_unauthorized_drops_tokens, fixture_tear_down);
  g_test_add ("/api-client/step-up-token-spent", Fixture, NULL,
              fixture_set_up, test_step_up_token_spent, fixture_tear_down);
  g_test_add_func ("/api-client/elevated-tokens", test_elevated_tokens);
  g_test_add_func ("/api-client/token-expiry", test_token_expiry);
  g_test_add ("/api-client/elevated-token-sent", Fixture, NULL,
              fixture_set_up, test_elevated_token_sent, fixture_tear_down);
  g_test_add ("/api-client/get-retried-post-not", Fixture, NULL,
              fixture_set_up, test_get_retried_post_not, fixture_tear_down);
  g_test_add ("/api-client/mfa-methods", Fixture, NULL,
              fixture_set_up, test_mfa_methods, fixture_tear_down);
  g_test_add ("/api-client/timeout", Fixture, NULL,
              fixture_set_up, test_timeout, fixture_tear_down);
  g_test_add ("/api-client/slow-drip", Fixture, NULL,
              fixture_set_up, test_slow_drip, fixture_tear_down);
  g_test_add ("/api-client/server-down", Fixture, NULL,
              fixture_set_up, test_server_down, fixture_tear_down);

  return g_test_run ();
}
