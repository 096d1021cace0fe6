/* test-flow-device.c: device-signed requests through KtMfaController, as the app makes them,
 * against a keyturn-sandbox that requires them
 *
 * Sign-up and refresh only succeed with valid device headers there; the device key comes back
 * from the keyring after a restart and is in no file; the session key is new after sign-out.
 *
 * Copyright 2026 Keyturn developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <libsecret/secret.h>
#include <string.h>

#include "flow-fixture.h"
#include "kt-api-client.h"

/* The schema of kt-device-key.c, by name: the test reads the keyring as any other client would. */
static const SecretSchema device_key_schema = {
  "io.github.keyturn.Keyturn.DeviceKey",
  SECRET_SCHEMA_NONE,
  {
    { "key-name", SECRET_SCHEMA_ATTRIBUTE_STRING },
    { NULL, 0 },
  },
  0, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
};

static KtDeviceSigner *
signer_of (Flow *f)
{
  g_assert_nonnull (f->controller_parts[0]);
  return kt_api_client_get_device_signer (KT_API_CLIENT (f->controller_parts[0]));
}

/* Borrowed from the key in use now. */
static const char *
public_key (Flow       *f,
            const char *name)
{
  KtDeviceSigner *signer = signer_of (f);
  KtDeviceKey *key;

  g_assert_true (kt_device_signer_is_loaded (signer));
  key = g_str_equal (name, KT_DEVICE_KEY_DEVICE) ? kt_device_signer_get_device_key (signer)
                                                  : kt_device_signer_get_session_key (signer);
  return kt_device_key_get_public_key (key);
}

static char *
keyring_secret (const char *name)
{
  g_autoptr(GError) error = NULL;
  char *secret = secret_password_lookup_sync (&device_key_schema, NULL, &error,
                                              "key-name", name, NULL);
  char *copy;

  g_assert_no_error (error);
  if (secret == NULL)
    return NULL;
  copy = g_strdup (secret);
  secret_password_free (secret);
  return copy;
}

static guint
count (const char *text,
       const char *needle)
{
  guint n = 0;

  for (const char *at = strstr (text, needle); at != NULL; at = strstr (at + 1, needle))
    n++;
  return n;
}

static gboolean
stored_token_changed (Flow *f)
{
  g_autoptr(KtStoredSession) session = flow_stored_session (f);
  const char *before = g_object_get_data (G_OBJECT (f->controller), "test-first-token");

  return session != NULL && g_strcmp0 (session->access_token, before) != 0;
}

static const FlowOptions required_short = {
  .require_device_signature = TRUE,
  .access_token_lifetime = 3,
};

static void
test_sign_in_and_refresh (Flow          *f,
                          gconstpointer  data)
{
  g_autoptr(KtStoredSession) session = NULL;
  g_autofree char *server_log_path = NULL;
  g_autofree char *server_log = NULL;
  g_autofree char *device_key = NULL;
  g_autoptr(JsonObject) reply = NULL;

  /* Nothing but Keyturn's own headers gets through this sandbox. */
  g_assert_cmpuint (ks_test_request (f->server, "POST", "/refresh", NULL, NULL, NULL, &reply),
                    ==, 401);
  g_assert_cmpstr (ks_test_error_code (reply), ==, "device_signature_missing");

  flow_sign_up (f);
  flow_spin_until (flow_is_remembered, f, 5000);
  session = flow_stored_session (f);
  g_object_set_data_full (G_OBJECT (f->controller), "test-first-token",
                          g_strdup (session->access_token), g_free);
  device_key = g_strdup (public_key (f, KT_DEVICE_KEY_DEVICE));
  g_assert_cmpuint (strlen (device_key), ==, 66);

  /* Left running, the controller refreshes its short-lived token: a signed /refresh. */
  flow_spin_until (stored_token_changed, f, 8000);
  g_assert_cmpint (kt_mfa_controller_get_step (f->controller), ==, KT_MFA_STEP_SIGNED_IN);
  g_object_set_data (G_OBJECT (f->controller), "test-first-token", NULL);

  /* And the returning user signs in again, with a nonce not used before. */
  flow_sign_in (f);
  g_assert_cmpint (kt_mfa_controller_get_step (f->controller), ==, KT_MFA_STEP_SIGNED_IN);

  /* The sandbox writes its log as it goes: wait for the last request to be in it. */
  server_log_path = g_build_filename (f->server->root, "server.log", NULL);
  for (guint tries = 0; tries < 50; tries++)
    {
      g_clear_pointer (&server_log, g_free);
      g_assert_true (g_file_get_contents (server_log_path, &server_log, NULL, NULL));
      if (count (server_log, "/users/mfa/auth/passkey -> 200") > 0)
        break;
      flow_spin (100);
    }
  g_assert_nonnull (strstr (server_log, "/nonces -> 200"));
  g_assert_nonnull (strstr (server_log, "/emailVerifications/signin -> 200"));
  g_assert_nonnull (strstr (server_log, "/refresh -> 200"));
  /* One refusal: the test's own unsigned request above. */
  g_assert_cmpuint (count (server_log, "/refresh -> 401"), ==, 1);
  g_assert_cmpuint (count (server_log, "-> 401"), ==, 1);
  g_assert_cmpuint (count (server_log, "-> 403"), ==, 0);
}

static gboolean
session_key_stored (Flow *f)
{
  g_autofree char *secret = keyring_secret (KT_DEVICE_KEY_SESSION);
  const char *before = g_object_get_data (G_OBJECT (f->controller), "test-old-session-secret");

  return secret != NULL && g_strcmp0 (secret, before) != 0;
}

static const FlowOptions required = { .require_device_signature = TRUE };

static void
test_keys_in_keyring (Flow          *f,
                      gconstpointer  data)
{
  g_autoptr(GPtrArray) needles = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  g_autofree char *device_key = NULL;
  g_autofree char *session_key = NULL;
  g_autofree char *after_restart = NULL;
  g_autofree char *session_after_restart = NULL;
  g_autofree char *new_session_key = NULL;
  g_autofree char *secret = NULL;
  g_autofree char *session_secret = NULL;
  g_autofree guint8 *der = NULL;
  g_autofree char *scalar_hex = NULL;
  gsize der_len = 0;

  flow_restart (f);
  flow_sign_up (f);
  flow_spin_until (flow_is_remembered, f, 5000);
  device_key = g_strdup (public_key (f, KT_DEVICE_KEY_DEVICE));
  session_key = g_strdup (public_key (f, KT_DEVICE_KEY_SESSION));
  g_assert_cmpstr (device_key, !=, session_key);

  /* Keyturn restarts: both keys come back from the keyring, the same. */
  g_assert_cmpint (flow_restart (f), ==, KT_MFA_STEP_SIGNED_IN);
  after_restart = g_strdup (public_key (f, KT_DEVICE_KEY_DEVICE));
  session_after_restart = g_strdup (public_key (f, KT_DEVICE_KEY_SESSION));
  g_assert_cmpstr (after_restart, ==, device_key);
  g_assert_cmpstr (session_after_restart, ==, session_key);

  /* The private key is in the keyring, and in no file in any form. */
  secret = keyring_secret (KT_DEVICE_KEY_DEVICE);
  g_assert_nonnull (secret);
  der = g_base64_decode (secret, &der_len);
  /* RFC 5915 for P-256: 30 77 02 01 01 04 20, then the 32-byte private scalar. */
  g_assert_cmpuint (der_len, >, 39);
  g_assert_cmpuint (der[5], ==, 0x04);
  g_assert_cmpuint (der[6], ==, 32);
  scalar_hex = g_malloc0 (65);
  for (guint i = 0; i < 32; i++)
    g_snprintf (scalar_hex + 2 * i, 3, "%02x", der[7 + i]);
  g_ptr_array_add (needles, g_bytes_new (secret, strlen (secret)));
  g_ptr_array_add (needles, g_bytes_new (der, der_len));
  g_ptr_array_add (needles, g_bytes_new (der + 7, 32));
  g_ptr_array_add (needles, g_bytes_new (scalar_hex, 64));

  /* Sign-out: a new session key, kept in the keyring in place of the old; the device key stays. */
  session_secret = keyring_secret (KT_DEVICE_KEY_SESSION);
  g_object_set_data_full (G_OBJECT (f->controller), "test-old-session-secret",
                          g_strdup (session_secret), g_free);
  flow_sign_out (f);
  new_session_key = g_strdup (public_key (f, KT_DEVICE_KEY_SESSION));
  g_assert_cmpstr (new_session_key, !=, session_key);
  g_assert_cmpstr (public_key (f, KT_DEVICE_KEY_DEVICE), ==, device_key);
  flow_spin_until (session_key_stored, f, 5000);

  g_assert_cmpint (flow_restart (f), ==, KT_MFA_STEP_SIGNED_OUT);
  flow_sign_in (f);
  g_assert_cmpstr (public_key (f, KT_DEVICE_KEY_SESSION), ==, new_session_key);
  g_assert_cmpstr (public_key (f, KT_DEVICE_KEY_DEVICE), ==, device_key);
  flow_drop_controller (f);

  /* The keyring's own file is there, and holds the keys, sealed. */
  flow_assert_not_in_files (needles, "the device key");
  explicit_bzero (der, der_len);
  explicit_bzero (scalar_hex, 64);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  ADD_FLOW_TEST ("/flow/device/sign-in-and-refresh", &required_short, test_sign_in_and_refresh);
  ADD_FLOW_TEST ("/flow/device/keys-in-keyring", &required, test_keys_in_keyring);

  return g_test_run ();
}
