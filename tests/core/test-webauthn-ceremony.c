/* test-webauthn-ceremony.c: real ceremonies through libfido2 against keyturn-virtual-key,
 * checked by the sandbox's own relying-party code
 *
 * Copyright 2026 Keyturn developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <fido.h>
#include <gio/gio.h>
#include <gio/gunixsocketaddress.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "kt-base64url.h"
#include "kt-webauthn-client.h"
#include "ks-webauthn.h"
#include "kt-test-files.h"
#include "kv-test-key.h"

#define ORIGIN "https://example.com"
#define PIN    "4711"

/* ------------------------------------------------------------------------------------------ */
/* Keys                                                                                        */

/* A running key whose user answers presence as @presence says; NULL: a key not plugged in yet. */
static KvTestKey *
start_key (const char *presence)
{
  if (presence == NULL)
    return kv_test_key_new (NULL, NULL);
  return kv_test_key_start (NULL, "--presence", presence, NULL);
}

/* `keyturn-virtual-key touch`: TRUE once a request waiting for presence took the touch. */
static gboolean
touch_key (KvTestKey *key,
           int        wait_ms)
{
  return kv_test_key_touch (key, wait_ms) == 0;
}

static void
set_pin (KvTestKey  *key,
         const char *pin)
{
  g_autoptr(fido_dev_t) dev = kv_test_key_open (key);

  g_assert_cmpint (fido_dev_set_pin (dev, pin, NULL), ==, FIDO_OK);
}

/* Whether the key holds @credential_id for the test's relying party, asked silently. */
static gboolean
key_holds (KvTestKey *key,
           GBytes    *credential_id)
{
  static const guint8 hash[32];
  g_autoptr(fido_dev_t) dev = kv_test_key_open (key);
  g_autoptr(fido_assert_t) assert = fido_assert_new ();
  int r;

  fido_assert_set_rp (assert, RP_ID);
  fido_assert_set_clientdata_hash (assert, hash, sizeof hash);
  fido_assert_set_up (assert, FIDO_OPT_FALSE);
  fido_assert_allow_cred (assert, g_bytes_get_data (credential_id, NULL),
                          g_bytes_get_size (credential_id));
  r = fido_dev_get_assert (dev, assert, NULL);
  g_assert_true (r == FIDO_OK || r == FIDO_ERR_NO_CREDENTIALS);
  return r == FIDO_OK;
}

/* ------------------------------------------------------------------------------------------ */
/* Fixture                                                                                     */

typedef struct {
  char             *dir;
  KvTestKey        *keys[2];
  KtWebauthnClient *client;
  GArray           *states;
  GPtrArray        *pin_answers;     /* char*, NULL entries decline */
  guint             pin_next;
  GArray           *pin_retries;     /* int, one per request */
  GArray           *pin_states;      /* KtWebauthnState at each request */
  GAsyncResult     *result;
  gint64            finished_at;
} Fixture;

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  g_autoptr(GError) error = NULL;

  f->dir = g_dir_make_tmp ("keyturn-ceremony-XXXXXX", &error);
  g_assert_no_error (error);
  f->states = g_array_new (FALSE, FALSE, sizeof (KtWebauthnState));
  f->pin_answers = g_ptr_array_new_with_free_func (g_free);
  f->pin_retries = g_array_new (FALSE, FALSE, sizeof (int));
  f->pin_states = g_array_new (FALSE, FALSE, sizeof (KtWebauthnState));
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  /* Keys first, so that a ceremony still running ends at once. */
  for (guint i = 0; i < G_N_ELEMENTS (f->keys); i++)
    g_clear_pointer (&f->keys[i], kv_test_key_free);
  g_clear_object (&f->result);
  if (f->client != NULL)
    {
      /* The worker thread lets go of its task (and so of the client) just after returning. */
      gint64 give_up = g_get_monotonic_time () + 2 * G_USEC_PER_SEC;
      KtWebauthnClient *client = f->client;

      g_object_add_weak_pointer (G_OBJECT (client), (gpointer *) &client);
      g_clear_object (&f->client);
      while (client != NULL && g_get_monotonic_time () < give_up)
        {
          g_main_context_iteration (NULL, FALSE);
          g_usleep (1000);
        }
      g_assert_null (client);
    }
  kt_test_remove_tree (f->dir);
  g_free (f->dir);
  g_array_unref (f->states);
  g_ptr_array_unref (f->pin_answers);
  g_array_unref (f->pin_retries);
  g_array_unref (f->pin_states);
}

static void
state_notify_cb (KtWebauthnClient *client,
                 GParamSpec       *pspec,
                 Fixture          *f)
{
  KtWebauthnState state = kt_webauthn_client_get_state (client);

  g_array_append_val (f->states, state);
}

static void
pin_requested_cb (KtWebauthnClient *client,
                  int               retries,
                  Fixture          *f)
{
  KtWebauthnState state = kt_webauthn_client_get_state (client);
  const char *answer;

  g_array_append_val (f->pin_retries, retries);
  g_array_append_val (f->pin_states, state);
  g_assert_cmpuint (f->pin_next, <, f->pin_answers->len);
  answer = g_ptr_array_index (f->pin_answers, f->pin_next++);
  if (g_strcmp0 (answer, "wait") == 0)
    return;
  if (answer != NULL)
    kt_webauthn_client_answer_pin (client, answer);
  else
    kt_webauthn_client_decline_pin (client);
}

static void
use_client (Fixture    *f,
            const char *origin_text,
            ...)
{
  g_autoptr(GStrvBuilder) sockets = g_strv_builder_new ();
  g_autoptr(KtOrigin) origin = kt_origin_new (origin_text, NULL);
  g_auto(GStrv) paths = NULL;
  const char *path;
  va_list args;

  va_start (args, origin_text);
  while ((path = va_arg (args, const char *)) != NULL)
    g_strv_builder_add (sockets, path);
  va_end (args);
  paths = g_strv_builder_end (sockets);

  g_assert_nonnull (origin);
  g_clear_object (&f->client);
  /* Only the test's own keys: a USB key on the machine must not join in. */
  f->client = g_object_new (KT_TYPE_WEBAUTHN_CLIENT,
                            "origin", origin,
                            "socket-paths", paths,
                            "scan-hid", FALSE,
                            NULL);
  g_signal_connect (f->client, "notify::state", G_CALLBACK (state_notify_cb), f);
  g_signal_connect (f->client, "pin-requested", G_CALLBACK (pin_requested_cb), f);
}

static void
answer_pins (Fixture *f,
             ...)
{
  const char *pin;
  va_list args;

  va_start (args, f);
  while ((pin = va_arg (args, const char *)) != NULL)
    g_ptr_array_add (f->pin_answers, g_str_equal (pin, "-") ? NULL : g_strdup (pin));
  va_end (args);
}

static gboolean
saw_state (Fixture         *f,
           KtWebauthnState  state)
{
  for (guint i = 0; i < f->states->len; i++)
    if (g_array_index (f->states, KtWebauthnState, i) == state)
      return TRUE;
  return FALSE;
}

static void
ceremony_done_cb (GObject      *object,
                  GAsyncResult *result,
                  gpointer      data)
{
  Fixture *f = data;

  f->finished_at = g_get_monotonic_time ();
  f->result = g_object_ref (result);
}

static void
iterate_until_done (Fixture *f)
{
  gint64 give_up = g_get_monotonic_time () + 30 * G_USEC_PER_SEC;

  while (f->result == NULL)
    {
      g_assert_cmpint (g_get_monotonic_time (), <, give_up);
      g_main_context_iteration (NULL, TRUE);
    }
}

static gboolean
wait_for_state (Fixture         *f,
                KtWebauthnState  state,
                guint            timeout_ms)
{
  gint64 give_up = g_get_monotonic_time () + (gint64) timeout_ms * 1000;

  while (kt_webauthn_client_get_state (f->client) != state)
    {
      if (g_get_monotonic_time () >= give_up || f->result != NULL)
        return FALSE;
      g_main_context_iteration (NULL, FALSE);
      g_usleep (1000);
    }
  return TRUE;
}

static void
start_register (Fixture           *f,
                KtCreationOptions *options,
                GCancellable      *cancellable)
{
  g_clear_object (&f->result);
  g_array_set_size (f->states, 0);
  kt_webauthn_client_register_async (f->client, options, cancellable, ceremony_done_cb, f);
}

static JsonObject *
finish_register (Fixture  *f,
                 GError  **error)
{
  iterate_until_done (f);
  return kt_webauthn_client_register_finish (f->client, f->result, error);
}

static void
start_authenticate (Fixture          *f,
                    KtRequestOptions *options,
                    GCancellable     *cancellable)
{
  g_clear_object (&f->result);
  g_array_set_size (f->states, 0);
  kt_webauthn_client_authenticate_async (f->client, options, cancellable, ceremony_done_cb, f);
}

static JsonObject *
finish_authenticate (Fixture  *f,
                     GError  **error)
{
  iterate_until_done (f);
  return kt_webauthn_client_authenticate_finish (f->client, f->result, error);
}

/* ------------------------------------------------------------------------------------------ */
/* Options, as the server would send them                                                      */

static char *
random_base64url (gsize len)
{
  g_autofree guint8 *data = g_malloc (len);

  for (gsize i = 0; i < len; i++)
    data[i] = (guint8) g_random_int_range (0, 256);
  return kt_base64url_encode (data, len);
}

static KtCreationOptions *
creation_options (const char *user_verification,
                  const char *exclude_id,
                  guint       timeout_ms)
{
  g_autofree char *challenge = random_base64url (32);
  g_autofree char *user_id = random_base64url (16);
  g_autofree char *exclude = exclude_id != NULL
    ? g_strdup_printf (",\"excludeCredentials\":[{\"id\":\"%s\",\"type\":\"public-key\"}]",
                       exclude_id)
    : g_strdup ("");
  g_autofree char *json = g_strdup_printf (
    "{\"challenge\":\"%s\",\"rp\":{\"id\":\"" RP_ID "\",\"name\":\"Example\"},"
    "\"user\":{\"id\":\"%s\",\"name\":\"ann@example.com\",\"displayName\":\"Ann\"},"
    "\"pubKeyCredParams\":[{\"type\":\"public-key\",\"alg\":-7}],\"timeout\":%u,"
    "\"authenticatorSelection\":{\"residentKey\":\"discouraged\",\"userVerification\":\"%s\"},"
    "\"attestation\":\"direct\"%s}",
    challenge, user_id, timeout_ms, user_verification, exclude);
  g_autoptr(GError) error = NULL;
  KtCreationOptions *options = kt_creation_options_new_from_data (json, -1, &error);

  g_assert_no_error (error);
  return options;
}

static KtRequestOptions *
request_options (const char *user_verification,
                 const char *allow_id,
                 guint       timeout_ms)
{
  g_autofree char *challenge = random_base64url (32);
  g_autofree char *json = g_strdup_printf (
    "{\"challenge\":\"%s\",\"rpId\":\"" RP_ID "\",\"timeout\":%u,\"userVerification\":\"%s\","
    "\"allowCredentials\":[{\"id\":\"%s\",\"type\":\"public-key\",\"transports\":[\"usb\"]}]}",
    challenge, timeout_ms, user_verification, allow_id);
  g_autoptr(GError) error = NULL;
  KtRequestOptions *options = kt_request_options_new_from_data (json, -1, &error);

  g_assert_no_error (error);
  return options;
}

/* Puts ids no key holds before and after the ones in @ids. */
static void
add_unknown_ids (GPtrArray *ids,
                 guint      before,
                 guint      after)
{
  for (guint i = 0; i < before + after; i++)
    {
      guint8 data[48];

      for (gsize j = 0; j < sizeof data; j++)
        data[j] = (guint8) g_random_int_range (0, 256);
      if (i < before)
        g_ptr_array_insert (ids, 0, g_bytes_new (data, sizeof data));
      else
        g_ptr_array_add (ids, g_bytes_new (data, sizeof data));
    }
}

static const gint64 es256_only[] = { -7 };

static KsNewCredential *
verify_registration (KtCreationOptions *options,
                     JsonObject        *registration,
                     gboolean           require_uv)
{
  KsRelyingParty rp = { RP_ID, ORIGIN, require_uv, es256_only, G_N_ELEMENTS (es256_only) };
  g_autofree char *challenge = kt_base64url_encode_bytes (options->challenge);
  g_autoptr(GError) error = NULL;
  KsNewCredential *credential = NULL;

  g_assert_true (ks_webauthn_verify_registration (&rp, challenge, registration, &credential,
                                                  &error));
  g_assert_no_error (error);
  g_assert_nonnull (credential);
  return credential;
}

static void
verify_assertion (KtRequestOptions  *options,
                  JsonObject        *assertion,
                  KsNewCredential   *credential,
                  gboolean           require_uv,
                  KsAssertionResult *result)
{
  KsRelyingParty rp = { RP_ID, ORIGIN, require_uv, es256_only, G_N_ELEMENTS (es256_only) };
  KsStoredCredential stored = {
    credential->credential_id, credential->public_key, credential->algorithm,
    credential->sign_count, credential->backup_eligible,
  };
  g_autofree char *challenge = kt_base64url_encode_bytes (options->challenge);
  g_autoptr(GError) error = NULL;

  g_assert_true (ks_webauthn_verify_assertion (&rp, challenge, assertion, &stored, result,
                                               &error));
  g_assert_no_error (error);
}

static KsNewCredential *
register_auto (Fixture *f)
{
  g_autoptr(KtCreationOptions) options = creation_options ("discouraged", NULL, 30000);
  g_autoptr(JsonObject) registration = NULL;
  g_autoptr(GError) error = NULL;

  start_register (f, options, NULL);
  registration = finish_register (f, &error);
  g_assert_no_error (error);
  return verify_registration (options, registration, FALSE);
}

/* ------------------------------------------------------------------------------------------ */
/* Tests                                                                                       */

static void
test_register_and_authenticate (Fixture       *f,
                                gconstpointer  data)
{
  g_autoptr(KtCreationOptions) creation = creation_options ("discouraged", NULL, 30000);
  g_autoptr(KtRequestOptions) request = NULL;
  g_autoptr(JsonObject) registration = NULL;
  g_autoptr(JsonObject) assertion = NULL;
  g_autoptr(KsNewCredential) credential = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) client_data = NULL;
  g_autofree char *id = NULL;
  KsAssertionResult result = { 0 };
  JsonObject *response;
  JsonArray *transports;
  const char *expected_prefix = "{\"type\":\"webauthn.create\",\"challenge\":\"";

  f->keys[0] = start_key ("auto");
  use_client (f, ORIGIN, f->keys[0]->socket, NULL);

  start_register (f, creation, NULL);
  registration = finish_register (f, &error);
  g_assert_no_error (error);
  g_assert_nonnull (registration);
  g_assert_true (saw_state (f, KT_WEBAUTHN_STATE_TOUCH_NEEDED));
  g_assert_cmpint (kt_webauthn_client_get_state (f->client), ==, KT_WEBAUTHN_STATE_IDLE);
  g_assert_true (kt_webauthn_client_get_software_key (f->client));

  /* The shape API.md's PasskeyRegisterRequest takes. */
  g_assert_cmpstr (json_object_get_string_member (registration, "type"), ==, "public-key");
  g_assert_cmpstr (json_object_get_string_member (registration, "id"), ==,
                   json_object_get_string_member (registration, "rawId"));
  g_assert_cmpstr (json_object_get_string_member (registration, "authenticatorAttachment"), ==,
                   "cross-platform");
  g_assert_cmpuint (json_object_get_size (json_object_get_object_member (registration,
                                                                         "clientExtensionResults")),
                    ==, 0);
  response = json_object_get_object_member (registration, "response");
  g_assert_cmpstr (json_object_get_string_member (response, "clientDataJson"), ==,
                   json_object_get_string_member (response, "clientDataJSON"));
  transports = json_object_get_array_member (response, "transports");
  g_assert_cmpuint (json_array_get_length (transports), ==, 1);
  g_assert_cmpstr (json_array_get_string_element (transports, 0), ==, "usb");
  g_assert_cmpint (json_object_get_int_member (response, "publicKeyAlgorithm"), ==, -7);
  {
    g_autoptr(GBytes) spki = kt_base64url_decode (json_object_get_string_member (response,
                                                                                 "publicKey"),
                                                  &error);
    const unsigned char *der = g_bytes_get_data (spki, NULL);
    EVP_PKEY *pkey;

    g_assert_no_error (error);
    /* A SubjectPublicKeyInfo of a P-256 key, as WebAuthn's getPublicKey() gives. */
    pkey = d2i_PUBKEY (NULL, &der, (long) g_bytes_get_size (spki));
    g_assert_nonnull (pkey);
    g_assert_true (EVP_PKEY_is_a (pkey, "EC"));
    g_assert_cmpint (EVP_PKEY_get_bits (pkey), ==, 256);
    EVP_PKEY_free (pkey);
  }
  g_assert_true (json_object_has_member (response, "authenticatorData"));
  client_data = kt_base64url_decode (json_object_get_string_member (response, "clientDataJSON"),
                                     &error);
  g_assert_no_error (error);
  g_assert_cmpint (memcmp (g_bytes_get_data (client_data, NULL), expected_prefix,
                           strlen (expected_prefix)), ==, 0);

  credential = verify_registration (creation, registration, FALSE);
  g_assert_cmpstr (credential->attestation_format, ==, "packed");
  g_assert_cmpstr (credential->transports[0], ==, "usb");

  id = kt_base64url_encode_bytes (credential->credential_id);
  request = request_options ("discouraged", id, 30000);
  /* Ids of other keys around it: the pre-flight finds which one this key holds. */
  add_unknown_ids (request->allow_credentials, 2, 3);
  start_authenticate (f, request, NULL);
  assertion = finish_authenticate (f, &error);
  g_assert_no_error (error);
  g_assert_true (saw_state (f, KT_WEBAUTHN_STATE_TOUCH_NEEDED));

  response = json_object_get_object_member (assertion, "response");
  g_assert_cmpstr (json_object_get_string_member (assertion, "id"), ==, id);
  g_assert_cmpstr (json_object_get_string_member (response, "clientDataJson"), ==,
                   json_object_get_string_member (response, "clientDataJSON"));
  g_assert_cmpstr (json_object_get_string_member (assertion, "authenticatorAttachment"), ==,
                   "cross-platform");

  verify_assertion (request, assertion, credential, FALSE, &result);
  g_assert_cmpuint (result.sign_count, >, credential->sign_count);
  g_assert_false (result.user_verified);
}

/* With attestation "none" the key's make and model stay private; with "direct" they are sent. */
static void
test_attestation_conveyance (Fixture       *f,
                             gconstpointer  data)
{
  const struct {
    const char *conveyance;
    const char *format;
    const char *type;
  } cases[] = {
    { "none", "none", "none" },
    { "direct", "packed", "basic" },
  };

  f->keys[0] = start_key ("auto");
  use_client (f, ORIGIN, f->keys[0]->socket, NULL);

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(KtCreationOptions) options = creation_options ("discouraged", NULL, 30000);
      g_autoptr(JsonObject) registration = NULL;
      g_autoptr(KsNewCredential) credential = NULL;
      g_autoptr(GError) error = NULL;

      g_free (options->attestation);
      options->attestation = g_strdup (cases[i].conveyance);
      start_register (f, options, NULL);
      registration = finish_register (f, &error);
      g_assert_no_error (error);

      credential = verify_registration (options, registration, FALSE);
      g_assert_cmpstr (credential->attestation_format, ==, cases[i].format);
      g_assert_cmpstr (credential->attestation_type, ==, cases[i].type);
    }
}

static void
test_pin_wrong_then_right (Fixture       *f,
                           gconstpointer  data)
{
  g_autoptr(KtCreationOptions) creation = creation_options ("required", NULL, 30000);
  g_autoptr(KtRequestOptions) request = NULL;
  g_autoptr(JsonObject) registration = NULL;
  g_autoptr(JsonObject) assertion = NULL;
  g_autoptr(KsNewCredential) credential = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *id = NULL;
  KsAssertionResult result = { 0 };

  f->keys[0] = start_key ("auto");
  set_pin (f->keys[0], PIN);
  use_client (f, ORIGIN, f->keys[0]->socket, NULL);

  answer_pins (f, "0000", PIN, NULL);
  start_register (f, creation, NULL);
  registration = finish_register (f, &error);
  g_assert_no_error (error);

  g_assert_cmpuint (f->pin_retries->len, ==, 2);
  g_assert_cmpint (g_array_index (f->pin_states, KtWebauthnState, 0), ==,
                   KT_WEBAUTHN_STATE_PIN_NEEDED);
  g_assert_cmpint (g_array_index (f->pin_retries, int, 0), ==, 8);
  g_assert_cmpint (g_array_index (f->pin_states, KtWebauthnState, 1), ==,
                   KT_WEBAUTHN_STATE_WRONG_PIN);
  g_assert_cmpint (g_array_index (f->pin_retries, int, 1), ==, 7);

  /* Verified user: the sandbox would refuse the registration otherwise. */
  credential = verify_registration (creation, registration, TRUE);
  g_assert_true (credential->user_verified);

  /* A right PIN resets the count; "preferred" uses the PIN the key has. */
  id = kt_base64url_encode_bytes (credential->credential_id);
  request = request_options ("preferred", id, 30000);
  answer_pins (f, PIN, NULL);
  start_authenticate (f, request, NULL);
  assertion = finish_authenticate (f, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (f->pin_retries->len, ==, 3);
  g_assert_cmpint (g_array_index (f->pin_retries, int, 2), ==, 8);
  verify_assertion (request, assertion, credential, TRUE, &result);
  g_assert_true (result.user_verified);
}

static void
test_pin_only_when_needed (Fixture       *f,
                           gconstpointer  data)
{
  g_autoptr(KsNewCredential) credential = NULL;
  g_autoptr(KtRequestOptions) request = NULL;
  g_autoptr(JsonObject) assertion = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *id = NULL;
  KsAssertionResult result = { 0 };

  f->keys[0] = start_key ("auto");
  use_client (f, ORIGIN, f->keys[0]->socket, NULL);
  credential = register_auto (f);

  /* With a PIN set later, a discouraged sign-in does not ask for it... */
  set_pin (f->keys[0], PIN);
  id = kt_base64url_encode_bytes (credential->credential_id);
  request = request_options ("discouraged", id, 30000);
  start_authenticate (f, request, NULL);
  assertion = finish_authenticate (f, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (f->pin_retries->len, ==, 0);
  verify_assertion (request, assertion, credential, FALSE, &result);
  g_assert_false (result.user_verified);
  g_clear_pointer (&assertion, json_object_unref);

  /* ...nor a discouraged registration of a server-side credential (the key says
   * makeCredUvNotRqd), but a discoverable one needs it: the key insists
   * (FIDO_ERR_PIN_REQUIRED), and only then the PIN is asked, as pam-u2f does. */
  {
    g_autoptr(KtCreationOptions) creation = creation_options ("discouraged", NULL, 30000);
    g_autoptr(JsonObject) registration = NULL;

    start_register (f, creation, NULL);
    registration = finish_register (f, &error);
    g_assert_no_error (error);
    g_assert_cmpuint (f->pin_retries->len, ==, 0);
    g_clear_pointer (&registration, json_object_unref);
    creation->resident_key = KT_REQUIREMENT_REQUIRED;

    answer_pins (f, PIN, NULL);
    start_register (f, creation, NULL);
    registration = finish_register (f, &error);
    g_assert_no_error (error);
    g_assert_cmpuint (f->pin_retries->len, ==, 1);
    g_assert_cmpint (g_array_index (f->pin_states, KtWebauthnState, 0), ==,
                     KT_WEBAUTHN_STATE_PIN_NEEDED);
    g_clear_pointer (&credential, ks_new_credential_free);
    credential = verify_registration (creation, registration, TRUE);
  }
}

static void
test_pin_not_set (Fixture       *f,
                  gconstpointer  data)
{
  g_autoptr(KtCreationOptions) creation = creation_options ("required", NULL, 30000);
  g_autoptr(JsonObject) registration = NULL;
  g_autoptr(GError) error = NULL;

  f->keys[0] = start_key ("manual");
  use_client (f, ORIGIN, f->keys[0]->socket, NULL);

  start_register (f, creation, NULL);
  registration = finish_register (f, &error);
  g_assert_null (registration);
  g_assert_error (error, KT_WEBAUTHN_ERROR, KT_WEBAUTHN_ERROR_PIN_NOT_SET);
  g_assert_cmpint (kt_webauthn_client_get_state (f->client), ==, KT_WEBAUTHN_STATE_PIN_NOT_SET);
  g_assert_cmpuint (f->pin_retries->len, ==, 0);
  g_assert_false (saw_state (f, KT_WEBAUTHN_STATE_TOUCH_NEEDED));
}

static gboolean
client_set_pin (Fixture     *f,
                const char  *pin,
                GError     **error)
{
  g_clear_object (&f->result);
  g_array_set_size (f->states, 0);
  kt_webauthn_client_set_pin_async (f->client, pin, NULL, ceremony_done_cb, f);
  iterate_until_done (f);
  return kt_webauthn_client_set_pin_finish (f->client, f->result, error);
}

static void
test_pin_set_then_used (Fixture       *f,
                        gconstpointer  data)
{
  g_autoptr(KtCreationOptions) creation = creation_options ("required", NULL, 30000);
  g_autoptr(JsonObject) registration = NULL;
  g_autoptr(KsNewCredential) credential = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *too_long = g_strnfill (KT_WEBAUTHN_PIN_MAX_BYTES + 1, '7');

  f->keys[0] = start_key ("auto");
  use_client (f, ORIGIN, f->keys[0]->socket, NULL);

  start_register (f, creation, NULL);
  registration = finish_register (f, &error);
  g_assert_null (registration);
  g_assert_error (error, KT_WEBAUTHN_ERROR, KT_WEBAUTHN_ERROR_PIN_NOT_SET);
  g_assert_cmpint (kt_webauthn_client_get_state (f->client), ==, KT_WEBAUTHN_STATE_PIN_NOT_SET);
  g_clear_error (&error);

  /* Too short (three characters, though six bytes) or too long: refused before any key is
   * opened, and the state still says the key has no PIN. */
  g_assert_false (client_set_pin (f, "\xc3\xa4\xc3\xb6\xc3\xbc", &error));
  g_assert_error (error, KT_WEBAUTHN_ERROR, KT_WEBAUTHN_ERROR_INVALID_PIN);
  g_clear_error (&error);
  g_assert_false (client_set_pin (f, too_long, &error));
  g_assert_error (error, KT_WEBAUTHN_ERROR, KT_WEBAUTHN_ERROR_INVALID_PIN);
  g_clear_error (&error);
  g_assert_cmpuint (f->states->len, ==, 0);
  g_assert_cmpint (kt_webauthn_client_get_state (f->client), ==, KT_WEBAUTHN_STATE_PIN_NOT_SET);

  g_assert_true (client_set_pin (f, PIN, &error));
  g_assert_no_error (error);
  g_assert_true (saw_state (f, KT_WEBAUTHN_STATE_WORKING));
  g_assert_cmpint (kt_webauthn_client_get_state (f->client), ==, KT_WEBAUTHN_STATE_IDLE);

  /* A second time the key refuses: it has a PIN now. */
  g_assert_false (client_set_pin (f, "1234", &error));
  g_assert_error (error, KT_WEBAUTHN_ERROR, KT_WEBAUTHN_ERROR_DENIED);
  g_clear_error (&error);

  /* The same registration now goes through with the new PIN, and the user is verified. */
  answer_pins (f, PIN, NULL);
  start_register (f, creation, NULL);
  registration = finish_register (f, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (f->pin_retries->len, ==, 1);
  g_assert_cmpint (g_array_index (f->pin_states, KtWebauthnState, 0), ==,
                   KT_WEBAUTHN_STATE_PIN_NEEDED);
  credential = verify_registration (creation, registration, TRUE);
  g_assert_true (credential->user_verified);
}

static void
test_pin_declined (Fixture       *f,
                   gconstpointer  data)
{
  g_autoptr(KtCreationOptions) creation = creation_options ("required", NULL, 30000);
  g_autoptr(JsonObject) registration = NULL;
  g_autoptr(GError) error = NULL;

  f->keys[0] = start_key ("auto");
  set_pin (f->keys[0], PIN);
  use_client (f, ORIGIN, f->keys[0]->socket, NULL);

  answer_pins (f, "-", NULL);
  start_register (f, creation, NULL);
  registration = finish_register (f, &error);
  g_assert_null (registration);
  g_assert_error (error, KT_WEBAUTHN_ERROR, KT_WEBAUTHN_ERROR_CANCELLED);
  g_assert_cmpint (kt_webauthn_client_get_state (f->client), ==, KT_WEBAUTHN_STATE_CANCELLED);
}

/* Three wrong in a row: blocked until the key is opened again; eight in all: blocked for good. */
static void
test_pin_blocked (Fixture       *f,
                  gconstpointer  data)
{
  static const KtWebauthnError expected[] = {
    KT_WEBAUTHN_ERROR_PIN_BLOCKED,        /* wrong 1-3 */
    KT_WEBAUTHN_ERROR_PIN_BLOCKED,        /* wrong 4-6 */
    KT_WEBAUTHN_ERROR_PIN_HARD_BLOCKED,   /* wrong 7-8 */
    KT_WEBAUTHN_ERROR_PIN_HARD_BLOCKED,   /* no PIN asked any more */
  };
  static const int first_retries[] = { 8, 5, 2, -1 };

  f->keys[0] = start_key ("auto");
  set_pin (f->keys[0], PIN);
  use_client (f, ORIGIN, f->keys[0]->socket, NULL);

  for (gsize round = 0; round < G_N_ELEMENTS (expected); round++)
    {
      g_autoptr(KtCreationOptions) creation = creation_options ("required", NULL, 30000);
      g_autoptr(JsonObject) registration = NULL;
      g_autoptr(GError) error = NULL;
      guint asked_before = f->pin_retries->len;

      for (guint i = 0; i < 3; i++)
        answer_pins (f, "0000", NULL);
      start_register (f, creation, NULL);
      registration = finish_register (f, &error);
      g_assert_null (registration);
      g_assert_error (error, KT_WEBAUTHN_ERROR, (int) expected[round]);
      g_assert_cmpint (kt_webauthn_client_get_state (f->client), ==,
                       expected[round] == KT_WEBAUTHN_ERROR_PIN_BLOCKED
                         ? KT_WEBAUTHN_STATE_PIN_BLOCKED : KT_WEBAUTHN_STATE_PIN_HARD_BLOCKED);
      if (first_retries[round] < 0)
        g_assert_cmpuint (f->pin_retries->len, ==, asked_before);
      else
        g_assert_cmpint (g_array_index (f->pin_retries, int, asked_before), ==,
                         first_retries[round]);
      /* Unused answers do not carry over. */
      f->pin_next = f->pin_answers->len;
    }
}

static void
test_excluded (Fixture       *f,
               gconstpointer  data)
{
  g_autoptr(KsNewCredential) credential = NULL;
  g_autoptr(KtCreationOptions) creation = NULL;
  g_autoptr(JsonObject) registration = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *id = NULL;

  f->keys[0] = start_key ("auto");
  use_client (f, ORIGIN, f->keys[0]->socket, NULL);
  credential = register_auto (f);

  /* Now a person's touch decides: nothing is said until the key is touched. */
  kv_test_key_stop (f->keys[0]);
  kv_test_key_launch (f->keys[0], "--presence", "manual", NULL);
  id = kt_base64url_encode_bytes (credential->credential_id);
  creation = creation_options ("discouraged", id, 30000);
  /* More than the key takes in one list (8): found in the second chunk. */
  add_unknown_ids (creation->exclude_credentials, 10, 2);
  start_register (f, creation, NULL);
  g_assert_true (wait_for_state (f, KT_WEBAUTHN_STATE_TOUCH_NEEDED, 5000));
  g_usleep (100 * 1000);
  g_main_context_iteration (NULL, FALSE);
  g_assert_null (f->result);
  g_assert_true (touch_key (f->keys[0], 5000));

  registration = finish_register (f, &error);
  g_assert_null (registration);
  g_assert_error (error, KT_WEBAUTHN_ERROR, KT_WEBAUTHN_ERROR_ALREADY_REGISTERED);
  g_assert_cmpint (kt_webauthn_client_get_state (f->client), ==,
                   KT_WEBAUTHN_STATE_ALREADY_REGISTERED);
}

static void
test_not_registered (Fixture       *f,
                     gconstpointer  data)
{
  g_autofree char *unknown = random_base64url (32);
  g_autoptr(KtRequestOptions) request = request_options ("discouraged", unknown, 30000);
  g_autoptr(JsonObject) assertion = NULL;
  g_autoptr(GError) error = NULL;

  f->keys[0] = start_key ("manual");
  use_client (f, ORIGIN, f->keys[0]->socket, NULL);

  start_authenticate (f, request, NULL);
  g_assert_true (wait_for_state (f, KT_WEBAUTHN_STATE_TOUCH_NEEDED, 5000));
  g_assert_true (touch_key (f->keys[0], 5000));
  assertion = finish_authenticate (f, &error);
  g_assert_null (assertion);
  g_assert_error (error, KT_WEBAUTHN_ERROR, KT_WEBAUTHN_ERROR_NOT_REGISTERED);
  g_assert_cmpint (kt_webauthn_client_get_state (f->client), ==, KT_WEBAUTHN_STATE_NOT_REGISTERED);
}

static void
test_two_keys_touch_to_select (Fixture       *f,
                               gconstpointer  data)
{
  g_autoptr(KtCreationOptions) creation = creation_options ("discouraged", NULL, 30000);
  g_autoptr(JsonObject) registration = NULL;
  g_autoptr(KsNewCredential) credential = NULL;
  g_autoptr(GError) error = NULL;

  f->keys[0] = start_key ("manual");
  f->keys[1] = start_key ("manual");
  use_client (f, ORIGIN, f->keys[0]->socket, f->keys[1]->socket, NULL);

  start_register (f, creation, NULL);
  g_assert_true (wait_for_state (f, KT_WEBAUTHN_STATE_SELECT_KEY, 5000));
  /* The second key is the one chosen... */
  g_assert_true (touch_key (f->keys[1], 5000));
  g_assert_true (wait_for_state (f, KT_WEBAUTHN_STATE_TOUCH_NEEDED, 5000));
  /* ...the first one's request was cancelled: a touch there finds nothing waiting... */
  g_assert_false (touch_key (f->keys[0], 300));
  /* ...and the second one is touched again to make the credential. */
  g_assert_true (touch_key (f->keys[1], 5000));
  registration = finish_register (f, &error);
  g_assert_no_error (error);

  credential = verify_registration (creation, registration, FALSE);
  g_assert_true (key_holds (f->keys[1], credential->credential_id));
  g_assert_false (key_holds (f->keys[0], credential->credential_id));
}

static void
test_denied (Fixture       *f,
             gconstpointer  data)
{
  g_autoptr(KtCreationOptions) creation = creation_options ("discouraged", NULL, 30000);
  g_autoptr(JsonObject) registration = NULL;
  g_autoptr(GError) error = NULL;

  f->keys[0] = start_key ("deny");
  use_client (f, ORIGIN, f->keys[0]->socket, NULL);

  start_register (f, creation, NULL);
  registration = finish_register (f, &error);
  g_assert_null (registration);
  g_assert_error (error, KT_WEBAUTHN_ERROR, KT_WEBAUTHN_ERROR_DENIED);
  g_assert_cmpint (kt_webauthn_client_get_state (f->client), ==, KT_WEBAUTHN_STATE_FAILED);
}

static void
test_timeout (Fixture       *f,
              gconstpointer  data)
{
  /* 1 ms asked: clamped up to the 10 s floor, so the wait lasts 10 s and no less. */
  g_autoptr(KtCreationOptions) creation = creation_options ("discouraged", NULL, 1);
  g_autoptr(JsonObject) registration = NULL;
  g_autoptr(GError) error = NULL;
  gint64 started;

  f->keys[0] = start_key ("manual");
  use_client (f, ORIGIN, f->keys[0]->socket, NULL);

  started = g_get_monotonic_time ();
  start_register (f, creation, NULL);
  registration = finish_register (f, &error);
  g_assert_null (registration);
  g_assert_error (error, KT_WEBAUTHN_ERROR, KT_WEBAUTHN_ERROR_TIMED_OUT);
  g_assert_cmpint (kt_webauthn_client_get_state (f->client), ==, KT_WEBAUTHN_STATE_TIMED_OUT);
  g_assert_cmpint (f->finished_at - started, >=, 10 * G_USEC_PER_SEC);
  g_assert_cmpint (f->finished_at - started, <, 12 * G_USEC_PER_SEC);
  /* The key was told to stop waiting, too. */
  g_assert_false (touch_key (f->keys[0], 300));
}

static void
test_cancel (Fixture       *f,
             gconstpointer  data)
{
  g_autoptr(KtCreationOptions) creation = creation_options ("discouraged", NULL, 60000);
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(JsonObject) registration = NULL;
  g_autoptr(GError) error = NULL;
  gint64 cancelled_at;

  f->keys[0] = start_key ("manual");
  use_client (f, ORIGIN, f->keys[0]->socket, NULL);

  start_register (f, creation, cancellable);
  g_assert_true (wait_for_state (f, KT_WEBAUTHN_STATE_TOUCH_NEEDED, 5000));
  /* Let the request reach the key and the key start waiting for a touch. */
  g_usleep (200 * 1000);
  cancelled_at = g_get_monotonic_time ();
  g_cancellable_cancel (cancellable);
  registration = finish_register (f, &error);
  g_assert_null (registration);
  g_assert_error (error, KT_WEBAUTHN_ERROR, KT_WEBAUTHN_ERROR_CANCELLED);
  g_assert_cmpint (kt_webauthn_client_get_state (f->client), ==, KT_WEBAUTHN_STATE_CANCELLED);
  g_test_message ("cancel took %" G_GINT64_FORMAT " ms", (f->finished_at - cancelled_at) / 1000);
  g_assert_cmpint (f->finished_at - cancelled_at, <=, 200 * 1000);
  /* The key itself stopped waiting: a touch now finds no request. */
  g_assert_false (touch_key (f->keys[0], 300));
}

/* Cancel reaches every place a ceremony waits: for the PIN, and for a touch among keys. */
static void
test_cancel_while_asking_pin (Fixture       *f,
                              gconstpointer  data)
{
  g_autoptr(KtCreationOptions) creation = creation_options ("required", NULL, 60000);
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(JsonObject) registration = NULL;
  g_autoptr(GError) error = NULL;
  gint64 cancelled_at;

  f->keys[0] = start_key ("auto");
  set_pin (f->keys[0], PIN);
  use_client (f, ORIGIN, f->keys[0]->socket, NULL);

  answer_pins (f, "wait", NULL);
  start_register (f, creation, cancellable);
  g_assert_true (wait_for_state (f, KT_WEBAUTHN_STATE_PIN_NEEDED, 5000));
  g_assert_cmpint (kt_webauthn_client_get_pin_retries (f->client), ==, 8);
  cancelled_at = g_get_monotonic_time ();
  g_cancellable_cancel (cancellable);
  registration = finish_register (f, &error);
  g_assert_error (error, KT_WEBAUTHN_ERROR, KT_WEBAUTHN_ERROR_CANCELLED);
  g_assert_cmpint (f->finished_at - cancelled_at, <=, 200 * 1000);
  /* A late answer goes nowhere. */
  kt_webauthn_client_answer_pin (f->client, PIN);
}

static void
test_cancel_while_selecting (Fixture       *f,
                             gconstpointer  data)
{
  g_autoptr(KtCreationOptions) creation = creation_options ("discouraged", NULL, 60000);
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(JsonObject) registration = NULL;
  g_autoptr(GError) error = NULL;
  gint64 cancelled_at;

  f->keys[0] = start_key ("manual");
  f->keys[1] = start_key ("manual");
  use_client (f, ORIGIN, f->keys[0]->socket, f->keys[1]->socket, NULL);

  start_register (f, creation, cancellable);
  g_assert_true (wait_for_state (f, KT_WEBAUTHN_STATE_SELECT_KEY, 5000));
  g_usleep (200 * 1000);
  cancelled_at = g_get_monotonic_time ();
  g_cancellable_cancel (cancellable);
  registration = finish_register (f, &error);
  g_assert_error (error, KT_WEBAUTHN_ERROR, KT_WEBAUTHN_ERROR_CANCELLED);
  g_test_message ("cancel took %" G_GINT64_FORMAT " ms", (f->finished_at - cancelled_at) / 1000);
  g_assert_cmpint (f->finished_at - cancelled_at, <=, 200 * 1000);
  /* Neither key still waits for a touch. */
  g_assert_false (touch_key (f->keys[0], 300));
  g_assert_false (touch_key (f->keys[1], 300));
}

/* A listening socket that is no key: it only shows whether anyone connected. */
static GSocket *
listen_on (const char *path)
{
  g_autoptr(GSocketAddress) address = g_unix_socket_address_new (path);
  g_autoptr(GError) error = NULL;
  GSocket *sock = g_socket_new (G_SOCKET_FAMILY_UNIX, G_SOCKET_TYPE_STREAM,
                                G_SOCKET_PROTOCOL_DEFAULT, &error);

  g_assert_no_error (error);
  g_assert_true (g_socket_bind (sock, address, TRUE, &error));
  g_assert_true (g_socket_listen (sock, &error));
  g_socket_set_blocking (sock, FALSE);
  return sock;
}

static gboolean
someone_connected (GSocket *sock)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GSocket) peer = g_socket_accept (sock, NULL, &error);

  if (peer == NULL)
    g_assert_error (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK);
  return peer != NULL;
}

static void
test_refused_before_any_key (Fixture       *f,
                             gconstpointer  data)
{
  g_autofree char *path = g_build_filename (f->dir, "watch.sock", NULL);
  g_autoptr(GSocket) watch = listen_on (path);
  static const char *bad_rp_ids[] = {
    "com", "evil-example.com", "example.org", "login.example.com",
  };

  use_client (f, ORIGIN, path, NULL);

  for (gsize i = 0; i < G_N_ELEMENTS (bad_rp_ids); i++)
    {
      g_autoptr(KtCreationOptions) creation = creation_options ("discouraged", NULL, 30000);
      g_autoptr(KtRequestOptions) request = request_options ("discouraged", "AQID", 30000);
      g_autoptr(GError) error = NULL;
      g_autoptr(JsonObject) result = NULL;

      g_free (creation->rp_id);
      creation->rp_id = g_strdup (bad_rp_ids[i]);
      start_register (f, creation, NULL);
      result = finish_register (f, &error);
      g_assert_null (result);
      g_assert_error (error, KT_WEBAUTHN_ERROR, KT_WEBAUTHN_ERROR_RP_ID_MISMATCH);
      g_assert_cmpint (kt_webauthn_client_get_state (f->client), ==, KT_WEBAUTHN_STATE_FAILED);
      g_clear_error (&error);

      g_free (request->rp_id);
      request->rp_id = g_strdup (bad_rp_ids[i]);
      start_authenticate (f, request, NULL);
      result = finish_authenticate (f, &error);
      g_assert_null (result);
      g_assert_error (error, KT_WEBAUTHN_ERROR, KT_WEBAUTHN_ERROR_RP_ID_MISMATCH);
    }

  {
    g_autoptr(KtCreationOptions) creation = creation_options ("discouraged", NULL, 30000);
    g_autoptr(GError) error = NULL;
    g_autoptr(JsonObject) result = NULL;
    guint8 long_id[65] = { 1 };

    g_bytes_unref (creation->user_id);
    creation->user_id = g_bytes_new (long_id, sizeof long_id);
    start_register (f, creation, NULL);
    result = finish_register (f, &error);
    g_assert_error (error, KT_WEBAUTHN_ERROR, KT_WEBAUTHN_ERROR_INVALID_USER_ID);
  }

  {
    g_autoptr(KtCreationOptions) creation = creation_options ("discouraged", NULL, 30000);
    g_autoptr(GError) error = NULL;
    g_autoptr(JsonObject) result = NULL;

    g_free (creation->authenticator_attachment);
    creation->authenticator_attachment = g_strdup ("platform");
    start_register (f, creation, NULL);
    result = finish_register (f, &error);
    g_assert_error (error, KT_WEBAUTHN_ERROR, KT_WEBAUTHN_ERROR_MISSING_CAPABILITY);
    g_assert_cmpint (kt_webauthn_client_get_state (f->client), ==,
                     KT_WEBAUTHN_STATE_MISSING_CAPABILITY);
  }

  g_assert_false (someone_connected (watch));

  /* The control: an acceptable request does reach for the key at once. */
  {
    g_autoptr(KtCreationOptions) creation = creation_options ("discouraged", NULL, 30000);
    g_autoptr(GCancellable) cancellable = g_cancellable_new ();
    g_autoptr(GError) error = NULL;
    g_autoptr(JsonObject) result = NULL;
    gint64 give_up = g_get_monotonic_time () + 2 * G_USEC_PER_SEC;
    gboolean connected = FALSE;

    start_register (f, creation, cancellable);
    while (!connected && g_get_monotonic_time () < give_up)
      {
        g_main_context_iteration (NULL, FALSE);
        connected = someone_connected (watch);
        g_usleep (5000);
      }
    g_assert_true (connected);
    g_cancellable_cancel (cancellable);
    result = finish_register (f, &error);
    g_assert_error (error, KT_WEBAUTHN_ERROR, KT_WEBAUTHN_ERROR_CANCELLED);
  }
}

/* A key pulled out while it waits for a touch ends the ceremony at once, with a clear error. */
static void
test_unplugged (Fixture       *f,
                gconstpointer  data)
{
  g_autoptr(KtCreationOptions) creation = creation_options ("discouraged", NULL, 30000);
  g_autoptr(JsonObject) registration = NULL;
  g_autoptr(GError) error = NULL;
  gint64 unplugged_at;

  f->keys[0] = start_key ("manual");
  use_client (f, ORIGIN, f->keys[0]->socket, NULL);

  start_register (f, creation, NULL);
  g_assert_true (wait_for_state (f, KT_WEBAUTHN_STATE_TOUCH_NEEDED, 5000));
  g_usleep (100 * 1000);
  unplugged_at = g_get_monotonic_time ();
  kv_test_key_stop (f->keys[0]);
  registration = finish_register (f, &error);
  g_assert_null (registration);
  g_assert_error (error, KT_WEBAUTHN_ERROR, KT_WEBAUTHN_ERROR_DEVICE);
  g_assert_cmpint (kt_webauthn_client_get_state (f->client), ==, KT_WEBAUTHN_STATE_FAILED);
  g_assert_cmpint (f->finished_at - unplugged_at, <, G_USEC_PER_SEC);
}

static void
test_hot_plug (Fixture       *f,
               gconstpointer  data)
{
  g_autoptr(KtCreationOptions) creation = creation_options ("discouraged", NULL, 30000);
  g_autoptr(JsonObject) registration = NULL;
  g_autoptr(GError) error = NULL;
  gint64 plugged_at;

  f->keys[0] = start_key (NULL);
  use_client (f, ORIGIN, f->keys[0]->socket, NULL);

  start_register (f, creation, NULL);
  g_assert_true (wait_for_state (f, KT_WEBAUTHN_STATE_NO_KEY, 5000));
  g_usleep (300 * 1000);
  g_main_context_iteration (NULL, FALSE);
  g_assert_cmpint (kt_webauthn_client_get_state (f->client), ==, KT_WEBAUTHN_STATE_NO_KEY);

  kv_test_key_launch (f->keys[0], "--presence", "auto", NULL);
  plugged_at = g_get_monotonic_time ();
  registration = finish_register (f, &error);
  g_assert_no_error (error);
  g_test_message ("key noticed and used within %" G_GINT64_FORMAT " ms",
                  (f->finished_at - plugged_at) / 1000);
  g_assert_cmpint (f->finished_at - plugged_at, <, G_USEC_PER_SEC);
  ks_new_credential_free (verify_registration (creation, registration, FALSE));
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  fido_init (0);

#define ADD(path, func) \
  g_test_add (path, Fixture, NULL, fixture_setup, func, fixture_teardown)

  ADD ("/ceremony/register-and-authenticate", test_register_and_authenticate);
  ADD ("/ceremony/attestation-conveyance", test_attestation_conveyance);
  ADD ("/ceremony/pin/wrong-then-right", test_pin_wrong_then_right);
  ADD ("/ceremony/pin/only-when-needed", test_pin_only_when_needed);
  ADD ("/ceremony/pin/not-set", test_pin_not_set);
  ADD ("/ceremony/pin/set-then-used", test_pin_set_then_used);
  ADD ("/ceremony/pin/declined", test_pin_declined);
  ADD ("/ceremony/pin/blocked", test_pin_blocked);
  ADD ("/ceremony/excluded", test_excluded);
  ADD ("/ceremony/not-registered", test_not_registered);
  ADD ("/ceremony/two-keys", test_two_keys_touch_to_select);
  ADD ("/ceremony/denied", test_denied);
  ADD ("/ceremony/timeout", test_timeout);
  ADD ("/ceremony/cancel", test_cancel);
  ADD ("/ceremony/cancel-while-asking-pin", test_cancel_while_asking_pin);
  ADD ("/ceremony/cancel-while-selecting", test_cancel_while_selecting);
  ADD ("/ceremony/refused-before-any-key", test_refused_before_any_key);
  ADD ("/ceremony/hot-plug", test_hot_plug);
  ADD ("/ceremony/unplugged", test_unplugged);

#undef ADD

  return g_test_run ();
}
