/* ks-test-authenticator.c: a real keyturn-virtual-key behind Keyturn's WebAuthn client
 *
 * Copyright 2026 Keyturn developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "ks-test-authenticator.h"

#include <stdarg.h>

#include "kt-test-async.h"

KtWebauthnClient *
ks_test_client_new (const char *origin,
                    KvTestKey  *key)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(KtOrigin) parsed = kt_origin_new (origin, &error);
  const char *sockets[] = { key->socket, NULL };

  g_assert_no_error (error);
  /* Only the test's own key: a USB key on the machine must not join in. */
  return g_object_new (KT_TYPE_WEBAUTHN_CLIENT,
                       "origin", parsed,
                       "socket-paths", sockets,
                       "scan-hid", FALSE,
                       NULL);
}

void
ks_test_client_free (KtWebauthnClient *client)
{
  gint64 give_up = g_get_monotonic_time () + 2 * G_USEC_PER_SEC;

  if (client == NULL)
    return;
  /* The worker thread lets go of its task, and so of the client, just after it answers. */
  g_object_add_weak_pointer (G_OBJECT (client), (gpointer *) &client);
  g_object_unref (client);
  while (client != NULL && g_get_monotonic_time () < give_up)
    {
      g_main_context_iteration (NULL, FALSE);
      g_usleep (1000);
    }
  g_assert_null (client);
}

KsTestAuthenticator *
ks_test_authenticator_new (const char *origin,
                           ...)
{
  KsTestAuthenticator *self = g_new0 (KsTestAuthenticator, 1);
  g_autoptr(GStrvBuilder) args = g_strv_builder_new ();
  const char *arg;
  va_list ap;

  va_start (ap, origin);
  while ((arg = va_arg (ap, const char *)) != NULL)
    g_strv_builder_add (args, arg);
  va_end (ap);
  self->key_args = g_strv_builder_end (args);

  self->key = kv_test_key_new (NULL, NULL);
  kv_test_key_launchv (self->key, (const char * const *) self->key_args);
  self->client = ks_test_client_new (origin, self->key);
  return self;
}

void
ks_test_authenticator_free (KsTestAuthenticator *self)
{
  if (self == NULL)
    return;
  g_clear_pointer (&self->client, ks_test_client_free);
  g_clear_pointer (&self->key, kv_test_key_free);
  g_strfreev (self->key_args);
  g_free (self->pin);
  g_free (self);
}

void
ks_test_authenticator_set_pin (KsTestAuthenticator *self,
                               const char          *pin)
{
  g_autoptr(fido_dev_t) dev = NULL;

  fido_init (0);
  dev = kv_test_key_open (self->key);
  assert_fido (fido_dev_set_pin (dev, pin, NULL), FIDO_OK);
  g_free (self->pin);
  self->pin = g_strdup (pin);
}

GBytes *
ks_test_authenticator_save_state (KsTestAuthenticator *self)
{
  g_autoptr(GError) error = NULL;
  char *contents = NULL;
  gsize len = 0;

  kv_test_key_stop (self->key);
  g_file_get_contents (self->key->state, &contents, &len, &error);
  g_assert_no_error (error);
  kv_test_key_launchv (self->key, (const char * const *) self->key_args);
  return g_bytes_new_take (contents, len);
}

void
ks_test_authenticator_restore_state (KsTestAuthenticator *self,
                                     GBytes              *state)
{
  g_autoptr(GError) error = NULL;

  kv_test_key_stop (self->key);
  g_file_set_contents (self->key->state, g_bytes_get_data (state, NULL),
                       (gssize) g_bytes_get_size (state), &error);
  g_assert_no_error (error);
  kv_test_key_launchv (self->key, (const char * const *) self->key_args);
}

static void
answer_pin_cb (KtWebauthnClient *client,
               int               retries,
               const char       *pin)
{
  if (pin != NULL)
    kt_webauthn_client_answer_pin (client, pin);
  else
    kt_webauthn_client_decline_pin (client);
}

/* Registers (@creation) or authenticates (@request) with the key behind @client, answering
 * its PIN requests with @pin (NULL: declined). */
static JsonObject *
run_ceremony (KtWebauthnClient   *client,
              KtCreationOptions  *creation,
              KtRequestOptions   *request,
              const char         *pin,
              GError            **error)
{
  g_autoptr(GAsyncResult) result = NULL;
  gulong handler;

  handler = g_signal_connect_data (client, "pin-requested", G_CALLBACK (answer_pin_cb),
                                   g_strdup (pin), (GClosureNotify) g_free, 0);
  if (creation != NULL)
    kt_webauthn_client_register_async (client, creation, NULL, kt_test_async_done, &result);
  else
    kt_webauthn_client_authenticate_async (client, request, NULL, kt_test_async_done, &result);
  /* The client answers on the default main context: run it until the ceremony is over. */
  kt_test_async_wait (&result, 30);
  g_signal_handler_disconnect (client, handler);
  if (creation != NULL)
    return kt_webauthn_client_register_finish (client, result, error);
  return kt_webauthn_client_authenticate_finish (client, result, error);
}

JsonObject *
ks_test_client_register (KtWebauthnClient  *client,
                         JsonObject        *creation_options,
                         const char        *pin,
                         GError           **error)
{
  g_autoptr(KtCreationOptions) options = NULL;

  options = kt_creation_options_new_from_json (creation_options, error);
  if (options == NULL)
    return NULL;
  return run_ceremony (client, options, NULL, pin, error);
}

JsonObject *
ks_test_client_authenticate (KtWebauthnClient  *client,
                             JsonObject        *request_options,
                             const char        *pin,
                             GError           **error)
{
  g_autoptr(KtRequestOptions) options = NULL;

  options = kt_request_options_new_from_json (request_options, error);
  if (options == NULL)
    return NULL;
  return run_ceremony (client, NULL, options, pin, error);
}

JsonObject *
ks_test_authenticator_register (KsTestAuthenticator *self,
                                JsonObject          *creation_options)
{
  g_autoptr(GError) error = NULL;
  JsonObject *registration;

  registration = ks_test_client_register (self->client, creation_options, self->pin, &error);
  g_assert_no_error (error);
  g_assert_nonnull (registration);
  return registration;
}

JsonObject *
ks_test_authenticator_authenticate (KsTestAuthenticator *self,
                                    JsonObject          *request_options)
{
  g_autoptr(GError) error = NULL;
  JsonObject *assertion;

  assertion = ks_test_client_authenticate (self->client, request_options, self->pin, &error);
  g_assert_no_error (error);
  g_assert_nonnull (assertion);
  return assertion;
}

char *
ks_test_origin_other_port (const char *origin)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GUri) uri = g_uri_parse (origin, G_URI_FLAGS_NONE, &error);
  int port;

  g_assert_no_error (error);
  port = g_uri_get_port (uri);
  if (port < 0)
    port = g_str_equal (g_uri_get_scheme (uri), "https") ? 443 : 80;
  port = port < 65535 ? port + 1 : port - 1;
  return g_strdup_printf ("%s://%s:%d", g_uri_get_scheme (uri), g_uri_get_host (uri), port);
}
