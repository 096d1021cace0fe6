/* test-hex.c: kt-hex, lowercase out, either case in, exact lengths only
 *
 * Copyright 2026 Keyturn developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <string.h>

#include "kt-hex.h"

static void
test_round_trip (void)
{
  guint8 all[256];
  guint8 back[256];
  g_autofree char *hex = NULL;
  g_autofree char *empty = kt_hex_encode (NULL, 0);

  for (guint i = 0; i < sizeof all; i++)
    all[i] = i;
  hex = kt_hex_encode (all, sizeof all);
  g_assert_cmpuint (strlen (hex), ==, 512);
  g_assert_true (g_str_has_prefix (hex, "000102"));
  g_assert_true (g_str_has_suffix (hex, "fdfeff"));
  g_assert_true (kt_hex_decode (hex, back, sizeof back));
  g_assert_cmpmem (all, sizeof all, back, sizeof back);
  g_assert_cmpstr (empty, ==, "");
}

static void
test_refuses (void)
{
  guint8 out[2];
  const char *refused[] = { NULL, "", "abc", "abcdef", "ab c", "0g12", "+1ab", "ab\n1" };

  g_assert_true (kt_hex_decode ("AbCd", out, 2));
  g_assert_cmpuint (out[0], ==, 0xab);
  g_assert_cmpuint (out[1], ==, 0xcd);
  for (guint i = 0; i < G_N_ELEMENTS (refused); i++)
    g_assert_false (kt_hex_decode (refused[i], out, 2));
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/hex/round-trip", test_round_trip);
  g_test_add_func ("/hex/refuses", test_refuses);

  return g_test_run ();
}
