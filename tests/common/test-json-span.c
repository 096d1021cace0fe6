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

/* {"a":[[...[]...]]}: one object whose brackets nest @depth levels in all. */
static char *
nested (guint depth)
{
  GString *text = g_string_new ("{\"a\":");

  for (guint i = 1; i < depth; i++)
    g_string_append_c (text, '[');
  for (guint i = 1; i < depth; i++)
    g_string_append_c (text, ']');
  g_string_append_c (text, '}');
  return g_string_free (text, FALSE);
}

static void
test_depth (void)
{
  g_autofree char *deepest = nested (KT_JSON_MAX_DEPTH);
  g_autofree char *too_deep = nested (KT_JSON_MAX_DEPTH + 1);
  g_autofree char *hostile = nested (100000);
  g_autofree char *brackets = g_strnfill (100000, '[');
  g_autofree char *in_string = NULL;
  GString *objects = g_string_new (NULL);

  g_assert_true (kt_json_is_one_object (deepest, -1));
  g_assert_false (kt_json_is_one_object (too_deep, -1));
  /* What a hostile server sent to crash json-glib: 200 KB, well under the answer size cap. */
  g_assert_false (kt_json_is_one_object (hostile, -1));

  /* Objects count as arrays do. */
  for (guint i = 0; i <= KT_JSON_MAX_DEPTH; i++)
    g_string_append (objects, "{\"a\":");
  g_string_append (objects, "1");
  for (guint i = 0; i <= KT_JSON_MAX_DEPTH; i++)
    g_string_append_c (objects, '}');
  g_assert_false (kt_json_is_one_object (objects->str, -1));
  g_string_free (objects, TRUE);

  /* Brackets inside a string are text, not nesting. */
  in_string = g_strconcat ("{\"a\":\"", brackets, "\"}", NULL);
  g_assert_true (kt_json_is_one_object (in_string, -1));
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/json-span/one-object", test_one_object);
  g_test_add_func ("/json-span/depth", test_depth);
  return g_test_run ();
}
