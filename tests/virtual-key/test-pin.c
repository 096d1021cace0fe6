/* test-pin.c: keyturn-virtual-key's PIN through libfido2: set, change, wrong, retries, soft
 * and hard block, user verification with a PIN token, in both PIN/UV auth protocols
 *
 * Copyright 2026 Keyturn developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <fido.h>
#include <glib.h>
#include <string.h>

#include "kv-test-key.h"

#define PIN "4711"

static const char *
protocol_arg (gconstpointer data)
{
  return data;
}

static int
retries (fido_dev_t *dev)
{
  int n = -1;

  assert_fido (fido_dev_get_retry_count (dev, &n), FIDO_OK);
  return n;
}

static gboolean
client_pin_option (fido_dev_t *dev)
{
  g_autoptr(fido_cbor_info_t) info = fido_cbor_info_new ();
  char **names;
  const bool *values;

  assert_fido (fido_dev_get_cbor_info (dev, info), FIDO_OK);
  names = fido_cbor_info_options_name_ptr (info);
  values = fido_cbor_info_options_value_ptr (info);
  for (gsize i = 0; i < fido_cbor_info_options_len (info); i++)
    if (g_str_equal (names[i], "clientPin"))
      return values[i];
  g_assert_not_reached ();
}

/* Runs an assertion for @cred with @pin and returns libfido2's answer. */
static int
assert_with_pin (fido_dev_t        *dev,
                 const fido_cred_t *cred,
                 const char        *pin)
{
  g_autoptr(fido_assert_t) a = kv_test_assert_request (cred);

  return fido_dev_get_assert (dev, a, pin);
}

static void
test_set_and_use (gconstpointer data)
{
  g_autoptr(KvTestKey) key = kv_test_key_start (NULL, "--pin-protocols", protocol_arg (data), NULL);
  g_autoptr(fido_dev_t) dev = kv_test_key_open (key);
  g_autoptr(fido_cred_t) plain = kv_test_make_cred (dev, "alice", FALSE, NULL);
  g_autoptr(fido_cred_t) verified = NULL;
  g_autoptr(fido_assert_t) a = NULL;

  g_assert_false (client_pin_option (dev));
  g_assert_cmpint (retries (dev), ==, 8);
  assert_fido (fido_dev_set_pin (dev, PIN, NULL), FIDO_OK);
  g_assert_true (client_pin_option (dev));
  /* A PIN cannot be set twice; it is changed. */
  assert_fido (fido_dev_set_pin (dev, "0000", NULL), FIDO_ERR_NOT_ALLOWED);

  /* With the PIN: UV in the flags, and libfido2 checks it. */
  verified = kv_test_cred_request ("alice", FALSE);
  assert_fido (fido_dev_make_cred (dev, verified, PIN), FIDO_OK);
  g_assert_cmpuint (fido_cred_flags (verified) & 0x05, ==, 0x05);
  assert_fido (fido_cred_set_uv (verified, FIDO_OPT_TRUE), FIDO_OK);
  assert_fido (fido_cred_verify (verified), FIDO_OK);

  a = kv_test_assert_request (plain);
  assert_fido (fido_dev_get_assert (dev, a, PIN), FIDO_OK);
  g_assert_cmpuint (fido_assert_flags (a, 0) & 0x05, ==, 0x05);
  assert_fido (fido_assert_set_uv (a, FIDO_OPT_TRUE), FIDO_OK);
  kv_test_verify_assertion (a, 0, plain);

  /* Without it: UP only; and a discoverable credential needs the PIN once one is set. */
  {
    g_autoptr(fido_assert_t) b = kv_test_assert_request (plain);
    g_autoptr(fido_cred_t) rk = kv_test_cred_request ("bob", TRUE);

    assert_fido (fido_dev_get_assert (dev, b, NULL), FIDO_OK);
    g_assert_cmpuint (fido_assert_flags (b, 0) & 0x05, ==, 0x01);
    assert_fido (fido_dev_make_cred (dev, rk, NULL), FIDO_ERR_PIN_REQUIRED);
    assert_fido (fido_dev_make_cred (dev, rk, PIN), FIDO_OK);
  }
  g_assert_cmpint (retries (dev), ==, 8);
}

static void
test_change (gconstpointer data)
{
  g_autoptr(KvTestKey) key = kv_test_key_start (NULL, "--pin-protocols", protocol_arg (data), NULL);
  g_autoptr(fido_dev_t) dev = kv_test_key_open (key);
  g_autoptr(fido_cred_t) cred = kv_test_make_cred (dev, "alice", FALSE, NULL);

  assert_fido (fido_dev_set_pin (dev, PIN, NULL), FIDO_OK);
  assert_fido (fido_dev_set_pin (dev, "new-pin", "wrong"), FIDO_ERR_PIN_INVALID);
  g_assert_cmpint (retries (dev), ==, 7);
  assert_fido (fido_dev_set_pin (dev, "new-pin", PIN), FIDO_OK);
  g_assert_cmpint (retries (dev), ==, 8);
  assert_fido (assert_with_pin (dev, cred, PIN), FIDO_ERR_PIN_INVALID);
  assert_fido (assert_with_pin (dev, cred, "new-pin"), FIDO_OK);
  /* Four bytes but three code points: libfido2 lets it through, the key's policy does not. */
  assert_fido (fido_dev_set_pin (dev, "\xc3\xa9\xc3\xa9\xc3\xa9", "new-pin"),
               FIDO_ERR_PIN_POLICY_VIOLATION);
  assert_fido (assert_with_pin (dev, cred, "new-pin"), FIDO_OK);
}

static void
test_wrong_and_soft_block (void)
{
  g_autoptr(KvTestKey) key = kv_test_key_start (NULL, NULL);
  g_autoptr(fido_dev_t) dev = kv_test_key_open (key);
  g_autoptr(fido_cred_t) cred = kv_test_make_cred (dev, "alice", FALSE, NULL);

  assert_fido (fido_dev_set_pin (dev, PIN, NULL), FIDO_OK);
  assert_fido (assert_with_pin (dev, cred, "0000"), FIDO_ERR_PIN_INVALID);
  g_assert_cmpint (retries (dev), ==, 7);
  assert_fido (assert_with_pin (dev, cred, "0001"), FIDO_ERR_PIN_INVALID);
  g_assert_cmpint (retries (dev), ==, 6);
  /* The third wrong PIN in a row blocks PIN use until the key is unplugged (re-opened)... */
  assert_fido (assert_with_pin (dev, cred, "0002"), FIDO_ERR_PIN_AUTH_BLOCKED);
  g_assert_cmpint (retries (dev), ==, 5);
  /* ... even the right PIN, which does not cost a retry then. */
  assert_fido (assert_with_pin (dev, cred, PIN), FIDO_ERR_PIN_AUTH_BLOCKED);
  g_assert_cmpint (retries (dev), ==, 5);

  /* Another device handle on the same key is a re-plug. */
  kv_test_dev_close (g_steal_pointer (&dev));
  dev = kv_test_key_open (key);
  assert_fido (assert_with_pin (dev, cred, PIN), FIDO_OK);
  g_assert_cmpint (retries (dev), ==, 8);

  /* A right PIN in between starts the count again. */
  assert_fido (assert_with_pin (dev, cred, "0000"), FIDO_ERR_PIN_INVALID);
  assert_fido (assert_with_pin (dev, cred, "0000"), FIDO_ERR_PIN_INVALID);
  assert_fido (assert_with_pin (dev, cred, PIN), FIDO_OK);
  assert_fido (assert_with_pin (dev, cred, "0000"), FIDO_ERR_PIN_INVALID);
}

static void
test_hard_block (void)
{
  g_autoptr(KvTestKey) key = kv_test_key_start (NULL, NULL);
  g_autoptr(fido_dev_t) dev = kv_test_key_open (key);
  g_autoptr(fido_cred_t) cred = kv_test_make_cred (dev, "alice", FALSE, NULL);
  int expected = 8;

  assert_fido (fido_dev_set_pin (dev, PIN, NULL), FIDO_OK);
  while (expected > 0)
    {
      int r = assert_with_pin (dev, cred, "0000");

      expected--;
      g_assert_cmpint (retries (dev), ==, expected);
      if (expected == 0)
        assert_fido (r, FIDO_ERR_PIN_BLOCKED);
      else if (r == FIDO_ERR_PIN_AUTH_BLOCKED)
        {
          kv_test_dev_close (g_steal_pointer (&dev));
          dev = kv_test_key_open (key);
        }
      else
        assert_fido (r, FIDO_ERR_PIN_INVALID);
    }

  /* Blocked for good: the right PIN, a new handle, a restart; only a reset helps. */
  assert_fido (assert_with_pin (dev, cred, PIN), FIDO_ERR_PIN_BLOCKED);
  kv_test_dev_close (g_steal_pointer (&dev));
  kv_test_key_stop (key);
  {
    g_autoptr(KvTestKey) again = kv_test_key_start (key->state, NULL);
    g_autoptr(fido_dev_t) dev2 = kv_test_key_open (again);

    g_assert_cmpint (retries (dev2), ==, 0);
    assert_fido (assert_with_pin (dev2, cred, PIN), FIDO_ERR_PIN_BLOCKED);
    assert_fido (fido_dev_set_pin (dev2, "other", PIN), FIDO_ERR_PIN_BLOCKED);
    /* Presence alone still works. */
    assert_fido (assert_with_pin (dev2, cred, NULL), FIDO_OK);
  }
}

static void
test_pin_not_set (void)
{
  g_autoptr(KvTestKey) key = kv_test_key_start (NULL, NULL);
  g_autoptr(fido_dev_t) dev = kv_test_key_open (key);
  g_autoptr(fido_cred_t) cred = kv_test_cred_request ("alice", FALSE);

  assert_fido (fido_dev_make_cred (dev, cred, PIN), FIDO_ERR_PIN_NOT_SET);
  assert_fido (fido_dev_set_pin (dev, "other", PIN), FIDO_ERR_PIN_NOT_SET);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);
  fido_init (0);

  g_test_add_data_func ("/virtual-key/pin/protocol-2/set-and-use", "2", test_set_and_use);
  g_test_add_data_func ("/virtual-key/pin/protocol-1/set-and-use", "1", test_set_and_use);
  g_test_add_data_func ("/virtual-key/pin/protocol-2/change", "2", test_change);
  g_test_add_data_func ("/virtual-key/pin/protocol-1/change", "1", test_change);
  g_test_add_func ("/virtual-key/pin/soft-block", test_wrong_and_soft_block);
  g_test_add_func ("/virtual-key/pin/hard-block", test_hard_block);
  g_test_add_func ("/virtual-key/pin/not-set", test_pin_not_set);

  return g_test_run ();
}
