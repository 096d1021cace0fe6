/* test-base64url.c: the strict unpadded base64url every WebAuthn binary value travels in
 *
 * Copyright 2026 Keyturn developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <gio/gio.h>
#include <string.h>

#include "kt-base64url.h"

/* RFC 4648 §10 vectors, unpadded, plus the two characters where base64url differs. */
static const struct {
  const char *raw;
  gsize       len;
  const char *encoded;
} vectors[] = {
  { "", 0, "" },
  { "f", 1, "Zg" },
  { "fo", 2, "Zm8" },
  { "foo", 3, "Zm9v" },
  { "foob", 4, "Zm9vYg" },
  { "fooba", 5, "Zm9vYmE" },
  { "foobar", 6, "Zm9vYmFy" },
  { "\xfb\xff\xbf", 3, "-_-_" },
};

static void
test_round_trip (void)
{
  for (gsize i = 0; i < G_N_ELEMENTS (vectors); i++)
    {
      g_autofree char *encoded = kt_base64url_encode ((const guint8 *) vectors[i].raw, vectors[i].len);
      g_autoptr(GError) error = NULL;
      g_autoptr(GBytes) decoded = NULL;

      g_assert_cmpstr (encoded, ==, vectors[i].encoded);
      decoded = kt_base64url_decode (vectors[i].encoded, &error);
      g_assert_no_error (error);
      g_assert_cmpmem (g_bytes_get_data (decoded, NULL), g_bytes_get_size (decoded),
                       vectors[i].raw, vectors[i].len);
    }
}

static void
test_refuses (void)
{
  /* Padding, plain base64's alphabet, white space, impossible lengths, stray trailing bits
   * ("Zh" and "Zm9" are one bit off the canonical "Zg" and "Zm8"). */
  const char *bad[] = { "Zg==", "Zm8=", "+/+/", "Zm9v Yg", "Z", "Zm9vY", "Zh", "Zm9", };

  for (gsize i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(GBytes) decoded = kt_base64url_decode (bad[i], &error);

      g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
      g_assert_null (decoded);
    }
}

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/base64url/round-trip", test_round_trip);
  g_test_add_func ("/base64url/refuses", test_refuses);
  return g_test_run ();
}
