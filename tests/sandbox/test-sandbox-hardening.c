/* test-sandbox-hardening.c: what keyturn-sandbox does with a hostile client: forged log lines,
 * huge declared bodies, code guessing across resends and addresses, NUL inside JSON strings
 *
 * Copyright 2026 Keyturn developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <gio/gio.h>
#include <string.h>

#include "ks-test-server.h"

static char *
create_verification (KsTestServer *server,
                     const char   *email,
                     guint         expected)
{
  g_autofree char *body = g_strdup_printf ("{\"email\":\"%s\"}", email);
  g_autoptr(JsonObject) reply = NULL;

  g_assert_cmpuint (ks_test_request (server, "POST", "/emailVerifications/create", NULL, NULL, body,
                                     &reply), ==, expected);
  return expected == 200
         ? g_strdup (json_object_get_string_member (reply, "verificationUUID")) : NULL;
}

static guint
try_code (KsTestServer  *server,
          const char    *uuid,
          const char    *code,
          JsonObject   **reply)
{
  g_autofree char *body = g_strdup_printf ("{\"verificationUUID\":\"%s\","
                                           "\"verificationToken\":\"%s\"}", uuid, code);

  return ks_test_request (server, "POST", "/emailVerifications/signin", NULL, NULL, body, reply);
}

/* A NUL inside a JSON string would cut it short in C: such a body is not taken. */
static void
test_nul_in_json (void)
{
  g_autoptr(KsTestServer) server = ks_test_server_start (NULL);
  g_autofree char *email = ks_test_unique_email ("nul");
  g_autofree char *uuid = create_verification (server, email, 200);
  g_autofree char *code = ks_test_server_read_code (server, email);
  g_autofree char *with_nul = g_strdup_printf ("%s\\u0000junk", code);
  g_autofree char *escaped_backslash = g_strdup_printf ("%s\\\\u0000", code);
  JsonObject *reply = NULL;

  g_assert_cmpuint (try_code (server, uuid, with_nul, &reply), ==, 400);
  g_assert_cmpstr (ks_test_error_code (reply), ==, "invalid_json");
  g_clear_pointer (&reply, json_object_unref);

  g_assert_cmpuint (ks_test_request (server, "POST", "/emailVerifications/create", NULL, NULL,
                                     "{\"email\":\"victim@example.com\\u0000x\"}", &reply), ==,
                    400);
  g_assert_cmpstr (ks_test_error_code (reply), ==, "invalid_json");
  g_clear_pointer (&reply, json_object_unref);
  g_assert_cmpuint (ks_test_request (server, "POST", "/emailVerifications/create", NULL, NULL,
                                     "{\"email\":\"victim@example.com\\u0000\"}", &reply), ==,
                    400);
  g_assert_cmpstr (ks_test_error_code (reply), ==, "invalid_json");
  g_clear_pointer (&reply, json_object_unref);

  /* A backslash before "u0000" is text, not a NUL: an ordinary wrong code. */
  g_assert_cmpuint (try_code (server, uuid, escaped_backslash, &reply), ==, 400);
  g_assert_cmpstr (ks_test_error_code (reply), ==, "mfa_invalid_code");
  g_clear_pointer (&reply, json_object_unref);

  /* The refused bodies spent nothing. */
  g_assert_cmpuint (try_code (server, uuid, code, NULL), ==, 200);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/sandbox/hardening/nul-in-json", test_nul_in_json);

  return g_test_run ();
}
