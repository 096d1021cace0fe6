/* test-device-signer.c: KtDeviceKey and KtDeviceSigner alone, and the headers KtApiClient sends
 * with a signer, against an in-process libsoup server that records every request
 *
 * Copyright 2026 Keyturn developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <libsoup/soup.h>
#include <string.h>

#include "kt-api-client.h"
#include "kt-device-signer.h"

/* GET /users answers the user alone; the other calls a VerifyResponse. */
static const char *user_json =
  "{\"id\":\"u-1\",\"projectEnvironmentId\":\"env-1\",\"email\":\"a@example.com\","
  "\"scope\":\"user:basic\",\"verifiedCredentials\":[]}";

static const char *verify_json =
  "{\"user\":{\"id\":\"u-1\",\"projectEnvironmentId\":\"env-1\",\"email\":\"a@example.com\","
  "\"scope\":\"user:basic\",\"verifiedCredentials\":[]},\"minifiedJwt\":\"tok-1\","
  "\"expiresAt\":1900000000}";

static gboolean
is_lower_hex (const char *text,
              gsize       len)
{
  if (strlen (text) != len)
    return FALSE;
  for (gsize i = 0; i < len; i++)
    if (!g_ascii_isxdigit (text[i]) || g_ascii_isupper (text[i]))
      return FALSE;
  return TRUE;
}

static JsonObject *
parse (const char *json)
{
  g_autoptr(JsonParser) parser = json_parser_new ();

  g_assert_true (json_parser_load_from_data (parser, json, -1, NULL));
  return json_object_ref (json_node_get_object (json_parser_get_root (parser)));
}

static void
test_key_encodings (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(KtDeviceKey) key = kt_device_key_generate (&error);
  g_autoptr(KtDeviceKey) other = kt_device_key_generate (&error);
  g_autofree char *first = NULL;
  g_autofree char *second = NULL;
  const char *public_key;

  g_assert_no_error (error);
  public_key = kt_device_key_get_public_key (key);
  /* Compressed SEC1: 02 or 03, then x; lowercase hex, as Dynamic's bufferToHex writes it. */
  g_assert_true (is_lower_hex (public_key, 66));
  g_assert_true (g_str_has_prefix (public_key, "02") || g_str_has_prefix (public_key, "03"));
  g_assert_cmpstr (public_key, !=, kt_device_key_get_public_key (other));
  g_assert_false (kt_device_key_is_kept (key));

  /* Raw r || s, 64 bytes; ECDSA is randomised, so two signatures differ. */
  first = kt_device_key_sign (key, "nonce-1", &error);
  g_assert_no_error (error);
  second = kt_device_key_sign (key, "nonce-1", &error);
  g_assert_true (is_lower_hex (first, 128));
  g_assert_true (is_lower_hex (second, 128));
  g_assert_cmpstr (first, !=, second);
}

static void
test_signed_paths (void)
{
  g_assert_true (kt_device_signer_path_is_signed ("/emailVerifications/signin"));
  g_assert_true (kt_device_signer_path_is_signed ("/refresh"));
  g_assert_false (kt_device_signer_path_is_signed ("/emailVerifications/create"));
  g_assert_false (kt_device_signer_path_is_signed ("/users"));
  g_assert_false (kt_device_signer_path_is_signed ("/nonces?count=5"));
  g_assert_false (kt_device_signer_path_is_signed ("/revoke"));
}

static void
test_nonces_response (void)
{
  const char *refused[] = {
    "{}", "{\"nonces\": []}", "{\"nonces\": \"abc\"}", "{\"nonces\": [\"a\", 1]}",
    "{\"nonces\": [\"a\", null]}", "{\"nonces\": [\"\"]}", "{\"nonces\": [\"a b\"]}",
    "{\"nonces\": [\"a\\r\\nx-evil: 1\"]}", "{\"nonces\": [\"caf\\u00e9\"]}",
  };
  g_autoptr(KtDeviceSigner) signer = kt_device_signer_new ();
  g_autoptr(JsonObject) good = parse ("{\"nonces\": [\"n-1\", \"n-2\"]}");
  g_autofree char *long_nonce = g_strnfill (257, 'a');
  g_autofree char *long_json = g_strdup_printf ("{\"nonces\": [\"%s\"]}", long_nonce);
  g_autoptr(JsonObject) too_long = parse (long_json);
  g_autoptr(GError) error = NULL;

  for (guint i = 0; i < G_N_ELEMENTS (refused); i++)
    {
      g_autoptr(JsonObject) response = parse (refused[i]);

      g_assert_false (kt_device_signer_add_nonces (signer, response, &error));
      g_assert_error (error, KT_API_ERROR, KT_API_ERROR_MALFORMED);
      g_clear_error (&error);
    }
  g_assert_false (kt_device_signer_add_nonces (signer, too_long, NULL));
  g_assert_cmpuint (kt_device_signer_count_nonces (signer), ==, 0);

  g_assert_true (kt_device_signer_add_nonces (signer, good, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (kt_device_signer_count_nonces (signer), ==, 2);
  /* The pool is small: a flood of nonces keeps only the newest. */
  for (guint i = 0; i < 20; i++)
    g_assert_true (kt_device_signer_add_nonces (signer, good, NULL));
  g_assert_cmpuint (kt_device_signer_count_nonces (signer), ==, 4 * KT_DEVICE_NONCE_BATCH);
}

/* The API client with a signer, against a server that records what it gets. */

typedef struct {
  SoupServer *server;
  GPtrArray *requests;                /* "METHOD path" then each device header, one a line */
  guint nonce_serial;
  GMainLoop *loop;
  GAsyncResult *result;
} Fixture;

static void
record_request (SoupServer        *server,
                SoupServerMessage *msg,
                const char        *path,
                GHashTable        *query,
                gpointer           user_data)
{
  Fixture *f = user_data;
  SoupMessageHeaders *headers = soup_server_message_get_request_headers (msg);
  const char *names[] = {
    KT_SESSION_PUBLIC_KEY_HEADER, KT_DEVICE_NONCE_HEADER, KT_DEVICE_PUBLIC_KEY_HEADER,
    KT_DEVICE_SIGNATURE_HEADER,
  };
  GString *line = g_string_new (NULL);
  const char *body;

  g_string_append_printf (line, "%s %s", soup_server_message_get_method (msg), path);
  if (query != NULL && g_hash_table_lookup (query, "count") != NULL)
    g_string_append_printf (line, "?count=%s", (char *) g_hash_table_lookup (query, "count"));
  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    g_string_append_printf (line, "\n%s", soup_message_headers_get_one (headers, names[i]) != NULL
                                            ? soup_message_headers_get_one (headers, names[i])
                                            : "-");
  g_ptr_array_add (f->requests, g_string_free (line, FALSE));

  if (g_str_has_suffix (path, "/nonces"))
    {
      g_autoptr(GString) nonces = g_string_new ("{\"nonces\":[");

      for (guint i = 0; i < KT_DEVICE_NONCE_BATCH; i++)
        g_string_append_printf (nonces, "%s\"nonce-%u\"", i > 0 ? "," : "", ++f->nonce_serial);
      g_string_append (nonces, "]}");
      body = nonces->str;
      soup_server_message_set_status (msg, 200, NULL);
      soup_server_message_set_response (msg, "application/json", SOUP_MEMORY_COPY, body,
                                        strlen (body));
      return;
    }
  if (g_str_has_suffix (path, "/revoke"))
    {
      soup_server_message_set_status (msg, 204, NULL);
      return;
    }
  body = g_str_has_suffix (path, "/users") ? user_json : verify_json;
  soup_server_message_set_status (msg, 200, NULL);
  soup_server_message_set_response (msg, "application/json", SOUP_MEMORY_STATIC, body,
                                    strlen (body));
}

static void
on_done (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  Fixture *f = user_data;

  f->result = g_object_ref (result);
  g_main_loop_quit (f->loop);
}

static GAsyncResult *
wait_for (Fixture *f)
{
  g_clear_object (&f->result);
  g_main_loop_run (f->loop);
  return f->result;
}

static char **
request_lines (Fixture *f,
               guint    index)
{
  g_assert_cmpuint (index, <, f->requests->len);
  return g_strsplit (g_ptr_array_index (f->requests, index), "\n", -1);
}

static void
test_client_headers (void)
{
  Fixture fixture = { 0 };
  Fixture *f = &fixture;
  g_autoptr(GError) error = NULL;
  g_autoptr(KtApiClient) client = NULL;
  g_autoptr(KtDeviceSigner) signer = kt_device_signer_new ();
  g_autoptr(GSList) uris = NULL;
  g_autofree char *base_url = NULL;
  g_autofree char *session_key = NULL;
  g_autofree char *device_key = NULL;
  guint signed_calls = 0;

  f->requests = g_ptr_array_new_with_free_func (g_free);
  f->loop = g_main_loop_new (NULL, FALSE);
  f->server = soup_server_new (NULL, NULL);
  soup_server_add_handler (f->server, NULL, record_request, f, NULL);
  g_assert_true (soup_server_listen_local (f->server, 0, SOUP_SERVER_LISTEN_IPV4_ONLY, &error));
  g_assert_no_error (error);
  uris = soup_server_get_uris (f->server);
  base_url = g_strdup_printf ("http://127.0.0.1:%d/api/v0", g_uri_get_port (uris->data));
  g_slist_free_full (g_steal_pointer (&uris), (GDestroyNotify) g_uri_unref);

  client = kt_api_client_new (base_url, "0c1d2e3f-4a5b-4c6d-8e7f-8091a2b3c4d5", &error);
  g_assert_no_error (error);
  kt_api_client_set_device_signer (client, signer);
  g_assert_true (kt_api_client_get_device_signer (client) == signer);

  /* Sign-in: the keys load first, then a batch of nonces, then the signed request. */
  {
    g_autoptr(KtVerifyResponse) response = NULL;

    kt_api_client_sign_in_with_email_code_async (client, "uuid-1", "123456", NULL, on_done, f);
    response = kt_api_client_sign_in_with_email_code_finish (client, wait_for (f), &error);
    g_assert_no_error (error);
    kt_api_client_set_access_token (client, kt_verify_response_get_access_token (response));
    signed_calls++;
  }
  session_key = g_strdup (kt_device_key_get_public_key (kt_device_signer_get_session_key (signer)));
  device_key = g_strdup (kt_device_key_get_public_key (kt_device_signer_get_device_key (signer)));
  g_assert_cmpstr (session_key, !=, device_key);
  g_assert_cmpuint (f->requests->len, ==, 2);
  {
    g_auto(GStrv) nonces = request_lines (f, 0);
    g_auto(GStrv) signin = request_lines (f, 1);

    g_assert_cmpstr (nonces[0], ==, "GET /api/v0/sdk/0c1d2e3f-4a5b-4c6d-8e7f-8091a2b3c4d5/nonces"
                                    "?count=5");
    /* The nonce request names the session key but signs nothing. */
    g_assert_cmpstr (nonces[1], ==, session_key);
    g_assert_cmpstr (nonces[2], ==, "-");
    g_assert_cmpstr (nonces[3], ==, "-");
    g_assert_cmpstr (nonces[4], ==, "-");

    g_assert_true (g_str_has_suffix (signin[0], "/emailVerifications/signin"));
    g_assert_cmpstr (signin[1], ==, session_key);
    g_assert_cmpstr (signin[2], ==, "nonce-1");
    g_assert_cmpstr (signin[3], ==, device_key);
    g_assert_true (is_lower_hex (signin[4], 128));
  }

  /* Unsigned endpoints carry the session key alone. */
  {
    g_autoptr(KtUser) user = NULL;
    g_auto(GStrv) users = NULL;

    kt_api_client_get_user_async (client, NULL, on_done, f);
    user = kt_api_client_get_user_finish (client, wait_for (f), &error);
    g_assert_no_error (error);
    g_assert_cmpuint (f->requests->len, ==, 3);
    users = request_lines (f, 2);
    g_assert_true (g_str_has_suffix (users[0], "/users"));
    g_assert_cmpstr (users[1], ==, session_key);
    g_assert_cmpstr (users[2], ==, "-");
  }

  /* Four refreshes use the rest of the batch; the fifth fetches a new one first. */
  for (guint i = 0; i < 5; i++)
    {
      g_autoptr(KtVerifyResponse) response = NULL;

      kt_api_client_refresh_async (client, NULL, on_done, f);
      response = kt_api_client_refresh_finish (client, wait_for (f), &error);
      g_assert_no_error (error);
      signed_calls++;
    }
  {
    guint fetches = 0;
    g_autoptr(GHashTable) used = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);

    for (guint i = 0; i < f->requests->len; i++)
      {
        g_auto(GStrv) lines = request_lines (f, i);

        if (g_str_has_suffix (lines[0], "?count=5"))
          fetches++;
        else if (!g_str_equal (lines[2], "-"))
          /* Each nonce is sent once. */
          g_assert_true (g_hash_table_add (used, g_strdup (lines[2])));
      }
    g_assert_cmpuint (fetches, ==, 2);
    g_assert_cmpuint (g_hash_table_size (used), ==, signed_calls);
    g_assert_cmpuint (kt_device_signer_count_nonces (signer), ==, 2 * KT_DEVICE_NONCE_BATCH -
                                                                   signed_calls);
  }

  /* A new session key replaces the old one on the next request. */
  kt_device_signer_replace_session_key (signer);
  g_assert_cmpstr (kt_device_key_get_public_key (kt_device_signer_get_session_key (signer)), !=,
                   session_key);
  kt_api_client_revoke_async (client, NULL, on_done, f);
  g_assert_true (kt_api_client_revoke_finish (client, wait_for (f), &error));
  g_assert_no_error (error);
  {
    g_auto(GStrv) revoke = request_lines (f, f->requests->len - 1);

    g_assert_true (g_str_has_suffix (revoke[0], "/revoke"));
    g_assert_cmpstr (revoke[1], ==,
                     kt_device_key_get_public_key (kt_device_signer_get_session_key (signer)));
  }

  g_clear_object (&f->result);
  g_clear_object (&client);
  soup_server_disconnect (f->server);
  g_clear_object (&f->server);
  g_ptr_array_unref (f->requests);
  g_main_loop_unref (f->loop);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/core/device-signer/key-encodings", test_key_encodings);
  g_test_add_func ("/core/device-signer/signed-paths", test_signed_paths);
  g_test_add_func ("/core/device-signer/nonces-response", test_nonces_response);
  g_test_add_func ("/core/device-signer/client-headers", test_client_headers);

  return g_test_run ();
}
