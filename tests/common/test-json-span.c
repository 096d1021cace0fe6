/* test-json-span.c: one JSON object and nothing after it
 *
 * Copyright 2026 Keyturn developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <glib.h>

#include "kt-json-span.h"

static void
test_one_object (void)
{
  const char *one[] = {
    "{}",
    " \n{\"a\": 1}\r\n ",
    "{\"a\": {\"b\": [1, {\"c\": 2}]}}",
    "{\"a\": \"}{\"}",
    "{\"a\": \"\\\"}\"}",
  };
  const char *not_one[] = {
    "",
    "   ",
    "[]",
    "\"text\"",
    "{\"a\":1}{\"b\":2}",
    "{\"a\":1} x",
    "{\"a\":1}}",
    "{\"a\": [1, 2}",
    "{\"a\": \"unterminated}",
  };

  for (gsize i = 0; i < G_N_ELEMENTS (one); i++)
    g_assert_true (kt_json_is_one_object (one[i], -1));
  for (gsize i = 0; i < G_N_ELEMENTS (not_one); i++)
    g_assert_false (kt_json_is_one_object (not_one[i], -1));
  /* The length given is what counts, not a NUL within or after it. */
  g_assert_true (kt_json_is_one_object ("{}{}", 2));
  g_assert_false (kt_json_is_one_object ("{\"a\"", 4));
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/json-span/one-object", test_one_object);
  return g_test_run ();
}
