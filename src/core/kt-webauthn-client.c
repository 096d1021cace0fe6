/* kt-webauthn-client.c: the KtWebauthnClient object and its asynchronous ceremonies
 *
 * Checks a request as a browser would, starts the ceremony and turns what the ceremony tells
 * into the state property, the ::pin-requested signal and the GTask's result. The work on the
 * keys lives in kt-webauthn-client-*.c.
 *
 * Copyright 2026 Keyturn developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "kt-webauthn-client.h"

#include <glib/gi18n-lib.h>
#include <string.h>

#include "kt-client-data.h"
#include "kt-webauthn-client-private.h"

struct _KtWebauthnClient {
  GObject          parent_instance;

  KtOrigin        *origin;
  char           **socket_paths;
  gboolean         scan_hid;
  GMainContext    *context;

  KtWebauthnState  state;
  int              pin_retries;
  gboolean         software_key;
  KtCeremony      *ceremony;         /* the running one, main-context side */
};

G_DEFINE_FINAL_TYPE (KtWebauthnClient, kt_webauthn_client, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_ORIGIN,
  PROP_SOCKET_PATHS,
  PROP_SCAN_HID,
  PROP_STATE,
  PROP_PIN_RETRIES,
  PROP_SOFTWARE_KEY,
  N_PROPS
};

enum {
  PIN_REQUESTED,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

/* ------------------------------------------------------------------------------------------ */
/* State, as the caller's main context sees it                                                  */

static void
set_state (KtWebauthnClient *self,
           KtWebauthnState   state,
           int               pin_retries)
{
  if (self->state != state)
    {
      self->state = state;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STATE]);
    }
  if (self->pin_retries != pin_retries)
    {
      self->pin_retries = pin_retries;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PIN_RETRIES]);
    }
}

static void
apply_ceremony_update (GObject                *owner,
                       KtCeremony             *c,
                       const KtCeremonyUpdate *update)
{
  KtWebauthnClient *self = KT_WEBAUTHN_CLIENT (owner);

  /* A late update from a ceremony that is already over changes nothing. */
  if (self->ceremony != c)
    return;

  if (update->finished)
    self->ceremony = NULL;
  if (update->software_key >= 0 && self->software_key != update->software_key)
    {
      self->software_key = update->software_key;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SOFTWARE_KEY]);
    }
  set_state (self, update->state, update->pin_retries);
  if (update->request_pin)
    g_signal_emit (self, signals[PIN_REQUESTED], 0, update->pin_retries);
}

/* ------------------------------------------------------------------------------------------ */
/* Running a ceremony                                                                          */

/* In the worker: the key first, then the request the ceremony is for. */
static JsonObject *
run_ceremony (KtCeremony  *c,
              GError     **error)
{
  KtAuthenticator *key = kt_ceremony_acquire_key (c, error);
  JsonObject *result;

  if (key == NULL)
    return NULL;

  kt_ceremony_post_key (c, kt_authenticator_is_software (key));
  if (c->kind == KT_CEREMONY_REGISTER)
    result = kt_ceremony_make_credential (c, key, error);
  else if (c->kind == KT_CEREMONY_SET_PIN)
    result = kt_ceremony_set_pin (c, key, error) ? json_object_new () : NULL;
  else
    result = kt_ceremony_get_assertion (c, key, error);

  /* Closing the key now, not later: a soft PIN block lasts until the key is opened again. */
  kt_authenticator_free (key);
  return result;
}

/* ------------------------------------------------------------------------------------------ */
/* Public API                                                                                  */

guint
kt_webauthn_clamp_timeout (guint requested_ms)
{
  if (requested_ms == 0)
    return KT_WEBAUTHN_TIMEOUT_DEFAULT_MS;
  return CLAMP (requested_ms, KT_WEBAUTHN_TIMEOUT_MIN_MS, KT_WEBAUTHN_TIMEOUT_MAX_MS);
}

KtWebauthnClient *
kt_webauthn_client_new (KtOrigin           *origin,
                        const char * const *socket_paths)
{
  g_return_val_if_fail (origin != NULL, NULL);

  return g_object_new (KT_TYPE_WEBAUTHN_CLIENT,
                       "origin", origin,
                       "socket-paths", socket_paths,
                       NULL);
}

KtOrigin *
kt_webauthn_client_get_origin (KtWebauthnClient *self)
{
  g_return_val_if_fail (KT_IS_WEBAUTHN_CLIENT (self), NULL);

  return self->origin;
}

KtWebauthnState
kt_webauthn_client_get_state (KtWebauthnClient *self)
{
  g_return_val_if_fail (KT_IS_WEBAUTHN_CLIENT (self), KT_WEBAUTHN_STATE_IDLE);

  return self->state;
}

int
kt_webauthn_client_get_pin_retries (KtWebauthnClient *self)
{
  g_return_val_if_fail (KT_IS_WEBAUTHN_CLIENT (self), -1);

  return self->pin_retries;
}

gboolean
kt_webauthn_client_get_software_key (KtWebauthnClient *self)
{
  g_return_val_if_fail (KT_IS_WEBAUTHN_CLIENT (self), FALSE);

  return self->software_key;
}

static gboolean
check_rp_id (KtWebauthnClient  *self,
             const char        *requested,
             char             **rp_id,
             GError           **error)
{
  /* No rp.id means the origin's own host (WebAuthn §5.1.3 step 8). */
  const char *effective = requested != NULL ? requested : kt_origin_get_host (self->origin);

  if (!kt_origin_check_rp_id (self->origin, effective, error))
    return FALSE;
  if (rp_id != NULL)
    *rp_id = g_strdup (effective);
  return TRUE;
}

gboolean
kt_webauthn_client_check_creation_options (KtWebauthnClient         *self,
                                           const KtCreationOptions  *options,
                                           char                    **rp_id,
                                           GError                  **error)
{
  gboolean es256 = FALSE;
  gsize user_id_len;

  g_return_val_if_fail (KT_IS_WEBAUTHN_CLIENT (self), FALSE);
  g_return_val_if_fail (options != NULL, FALSE);

  if (options->challenge == NULL || g_bytes_get_size (options->challenge) == 0
      || options->user_id == NULL || options->rp_name == NULL || options->user_name == NULL
      || options->user_display_name == NULL || options->algorithms == NULL
      || options->exclude_credentials == NULL)
    {
      g_set_error_literal (error, KT_WEBAUTHN_ERROR, KT_WEBAUTHN_ERROR_INVALID_OPTIONS,
                           _("The server sent an incomplete security key request."));
      return FALSE;
    }

  /* Keys take user handles of 1 to 64 bytes (WebAuthn §5.4.3). */
  user_id_len = g_bytes_get_size (options->user_id);
  if (user_id_len < 1 || user_id_len > 64)
    {
      g_set_error (error, KT_WEBAUTHN_ERROR, KT_WEBAUTHN_ERROR_INVALID_USER_ID,
                   _("The server sent a user id of %lu bytes; a security key takes 1 to 64."),
                   (unsigned long) user_id_len);
      return FALSE;
    }

  for (guint i = 0; i < options->algorithms->len; i++)
    es256 |= g_array_index (options->algorithms, gint64, i) == KT_COSE_ES256;
  if (!es256)
    {
      g_set_error_literal (error, KT_WEBAUTHN_ERROR, KT_WEBAUTHN_ERROR_UNSUPPORTED_ALGORITHM,
                           _("The server asks for a kind of key Keyturn cannot make."));
      return FALSE;
    }

  if (g_strcmp0 (options->authenticator_attachment, "platform") == 0)
    {
      g_set_error_literal (error, KT_WEBAUTHN_ERROR, KT_WEBAUTHN_ERROR_MISSING_CAPABILITY,
                           _("The server asks for a built-in authenticator; Keyturn uses "
                             "security keys."));
      return FALSE;
    }

  return check_rp_id (self, options->rp_id, rp_id, error);
}

gboolean
kt_webauthn_client_check_request_options (KtWebauthnClient        *self,
                                          const KtRequestOptions  *options,
                                          char                   **rp_id,
                                          GError                 **error)
{
  g_return_val_if_fail (KT_IS_WEBAUTHN_CLIENT (self), FALSE);
  g_return_val_if_fail (options != NULL, FALSE);

  if (options->challenge == NULL || g_bytes_get_size (options->challenge) == 0
      || options->allow_credentials == NULL)
    {
      g_set_error_literal (error, KT_WEBAUTHN_ERROR, KT_WEBAUTHN_ERROR_INVALID_OPTIONS,
                           _("The server sent an incomplete security key request."));
      return FALSE;
    }

  /* Dynamic's own client stops here too: with no credential named there is nothing to ask. */
  if (options->allow_credentials->len == 0)
    {
      g_set_error_literal (error, KT_WEBAUTHN_ERROR, KT_WEBAUTHN_ERROR_INVALID_OPTIONS,
                           _("The server named no passkey to sign in with."));
      return FALSE;
    }

  return check_rp_id (self, options->rp_id, rp_id, error);
}

/* The task a ceremony answers, or NULL when one is running already: then the task has been
 * answered with KT_WEBAUTHN_ERROR_BUSY. */
static GTask *
ceremony_task_new (KtWebauthnClient    *self,
                   GCancellable        *cancellable,
                   GAsyncReadyCallback  callback,
                   gpointer             user_data,
                   gpointer             source_tag)
{
  g_autoptr(GTask) task = g_task_new (self, cancellable, callback, user_data);
  GError *error = NULL;

  g_task_set_source_tag (task, source_tag);
  /* Our own CANCELLED error says it better than G_IO_ERROR_CANCELLED would. */
  g_task_set_check_cancellable (task, FALSE);

  if (self->ceremony != NULL)
    {
      kt_webauthn_set_error (&error, KT_WEBAUTHN_ERROR_BUSY);
      g_task_return_error (task, error);
      return NULL;
    }
  return g_steal_pointer (&task);
}

static gpointer
ceremony_task_propagate (KtWebauthnClient  *self,
                         GAsyncResult      *result,
                         gpointer           source_tag,
                         GError           **error)
{
  g_return_val_if_fail (KT_IS_WEBAUTHN_CLIENT (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == source_tag, NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

static KtCeremony *
ceremony_new (KtWebauthnClient *self,
              KtCeremonyKind    kind,
              guint             timeout_ms)
{
  KtCeremony *c = kt_ceremony_new (G_OBJECT (self), apply_ceremony_update, self->context, kind,
                                   kt_webauthn_clamp_timeout (timeout_ms), self->software_key);

  c->socket_paths = g_strdupv (self->socket_paths);
  c->scan_hid = self->scan_hid;
  return c;
}

/* @c is the running ceremony from now on, and the state says so. */
static void
launch_ceremony (KtWebauthnClient *self,
                 GTask            *task,
                 KtCeremony       *c)
{
  self->ceremony = c;
  set_state (self, KT_WEBAUTHN_STATE_WORKING, -1);
  kt_ceremony_start (c, task, run_ceremony);
}

/* Registration (@creation) or authentication (@request): everything a browser refuses is
 * refused here, before any key is opened, and the state tells why. */
static void
start_webauthn_ceremony (KtWebauthnClient        *self,
                         const KtCreationOptions *creation,
                         const KtRequestOptions  *request,
                         GCancellable            *cancellable,
                         GAsyncReadyCallback      callback,
                         gpointer                 user_data,
                         gpointer                 source_tag)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(KtCeremony) c = NULL;
  g_autofree char *rp_id = NULL;
  GError *error = NULL;
  gboolean valid;

  task = ceremony_task_new (self, cancellable, callback, user_data, source_tag);
  if (task == NULL)
    return;

  if (creation != NULL)
    {
      valid = kt_webauthn_client_check_creation_options (self, creation, &rp_id, &error);
      if (valid)
        {
          c = ceremony_new (self, KT_CEREMONY_REGISTER, creation->timeout_ms);
          c->creation = kt_creation_options_copy (creation);
          c->user_verification = creation->user_verification;
          c->client_data = kt_client_data_serialize (KT_CLIENT_DATA_TYPE_CREATE,
                                                     creation->challenge,
                                                     kt_origin_to_string (self->origin), &error);
        }
    }
  else
    {
      valid = kt_webauthn_client_check_request_options (self, request, &rp_id, &error);
      if (valid)
        {
          c = ceremony_new (self, KT_CEREMONY_AUTHENTICATE, request->timeout_ms);
          c->request = kt_request_options_copy (request);
          c->user_verification = request->user_verification;
          c->client_data = kt_client_data_serialize (KT_CLIENT_DATA_TYPE_GET, request->challenge,
                                                     kt_origin_to_string (self->origin), &error);
        }
    }

  if (!valid || c->client_data == NULL)
    {
      set_state (self, kt_webauthn_state_for_error (error), -1);
      g_task_return_error (task, error);
      return;
    }

  c->rp_id = g_steal_pointer (&rp_id);
  launch_ceremony (self, task, c);
}

void
kt_webauthn_client_register_async (KtWebauthnClient        *self,
                                   const KtCreationOptions *options,
                                   GCancellable            *cancellable,
                                   GAsyncReadyCallback      callback,
                                   gpointer                 user_data)
{
  g_return_if_fail (KT_IS_WEBAUTHN_CLIENT (self));
  g_return_if_fail (options != NULL);
  g_return_if_fail (!cancellable || G_IS_CANCELLABLE (cancellable));

  start_webauthn_ceremony (self, options, NULL, cancellable, callback, user_data,
                           kt_webauthn_client_register_async);
}

JsonObject *
kt_webauthn_client_register_finish (KtWebauthnClient  *self,
                                    GAsyncResult      *result,
                                    GError           **error)
{
  return ceremony_task_propagate (self, result, kt_webauthn_client_register_async, error);
}

void
kt_webauthn_client_authenticate_async (KtWebauthnClient       *self,
                                       const KtRequestOptions *options,
                                       GCancellable           *cancellable,
                                       GAsyncReadyCallback     callback,
                                       gpointer                user_data)
{
  g_return_if_fail (KT_IS_WEBAUTHN_CLIENT (self));
  g_return_if_fail (options != NULL);
  g_return_if_fail (!cancellable || G_IS_CANCELLABLE (cancellable));

  start_webauthn_ceremony (self, NULL, options, cancellable, callback, user_data,
                           kt_webauthn_client_authenticate_async);
}

JsonObject *
kt_webauthn_client_authenticate_finish (KtWebauthnClient  *self,
                                        GAsyncResult      *result,
                                        GError           **error)
{
  return ceremony_task_propagate (self, result, kt_webauthn_client_authenticate_async, error);
}

gboolean
kt_webauthn_check_new_pin (const char  *pin,
                           GError     **error)
{
  g_return_val_if_fail (pin != NULL, FALSE);

  /* CTAP 2.1 §6.5.5.5: at least 4 Unicode characters, at most 63 bytes of UTF-8. A C string
   * holds no NUL by construction. */
  if (!g_utf8_validate (pin, -1, NULL) || g_utf8_strlen (pin, -1) < KT_WEBAUTHN_PIN_MIN_CHARS)
    {
      g_set_error (error, KT_WEBAUTHN_ERROR, KT_WEBAUTHN_ERROR_INVALID_PIN,
                   _("A PIN needs at least %d characters."), KT_WEBAUTHN_PIN_MIN_CHARS);
      return FALSE;
    }
  if (strlen (pin) > KT_WEBAUTHN_PIN_MAX_BYTES)
    {
      g_set_error_literal (error, KT_WEBAUTHN_ERROR, KT_WEBAUTHN_ERROR_INVALID_PIN,
                           _("This PIN is too long for a security key. Choose a shorter one."));
      return FALSE;
    }
  return TRUE;
}

void
kt_webauthn_client_set_pin_async (KtWebauthnClient    *self,
                                  const char          *pin,
                                  GCancellable        *cancellable,
                                  GAsyncReadyCallback  callback,
                                  gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(KtCeremony) c = NULL;
  GError *error = NULL;

  g_return_if_fail (KT_IS_WEBAUTHN_CLIENT (self));
  g_return_if_fail (pin != NULL);
  g_return_if_fail (!cancellable || G_IS_CANCELLABLE (cancellable));

  task = ceremony_task_new (self, cancellable, callback, user_data,
                            kt_webauthn_client_set_pin_async);
  if (task == NULL)
    return;

  /* Refused before any key is opened; the state stays what it was (PIN not set). */
  if (!kt_webauthn_check_new_pin (pin, &error))
    {
      g_task_return_error (task, error);
      return;
    }

  c = ceremony_new (self, KT_CEREMONY_SET_PIN, 0);
  c->new_pin = g_strdup (pin);
  launch_ceremony (self, task, c);
}

gboolean
kt_webauthn_client_set_pin_finish (KtWebauthnClient  *self,
                                   GAsyncResult      *result,
                                   GError           **error)
{
  /* The worker hands back an empty object for success. */
  g_autoptr(JsonObject) done = ceremony_task_propagate (self, result,
                                                        kt_webauthn_client_set_pin_async,
                                                        error);

  return done != NULL;
}

static void
give_pin (KtWebauthnClient *self,
          const char       *pin)
{
  if (self->ceremony != NULL)
    kt_ceremony_answer_pin (self->ceremony, pin);
}

void
kt_webauthn_client_answer_pin (KtWebauthnClient *self,
                               const char       *pin)
{
  g_return_if_fail (KT_IS_WEBAUTHN_CLIENT (self));
  g_return_if_fail (pin != NULL);

  give_pin (self, pin);
}

void
kt_webauthn_client_decline_pin (KtWebauthnClient *self)
{
  g_return_if_fail (KT_IS_WEBAUTHN_CLIENT (self));

  give_pin (self, NULL);
}

/* ------------------------------------------------------------------------------------------ */
/* GObject                                                                                     */

static void
kt_webauthn_client_finalize (GObject *object)
{
  KtWebauthnClient *self = (KtWebauthnClient *) object;

  g_clear_pointer (&self->origin, kt_origin_unref);
  g_strfreev (self->socket_paths);
  g_main_context_unref (self->context);

  G_OBJECT_CLASS (kt_webauthn_client_parent_class)->finalize (object);
}

static void
kt_webauthn_client_get_property (GObject    *object,
                                 guint       prop_id,
                                 GValue     *value,
                                 GParamSpec *pspec)
{
  KtWebauthnClient *self = KT_WEBAUTHN_CLIENT (object);

  switch (prop_id)
    {
    case PROP_ORIGIN:
      g_value_set_boxed (value, self->origin);
      break;
    case PROP_SOCKET_PATHS:
      g_value_set_boxed (value, self->socket_paths);
      break;
    case PROP_SCAN_HID:
      g_value_set_boolean (value, self->scan_hid);
      break;
    case PROP_STATE:
      g_value_set_enum (value, self->state);
      break;
    case PROP_PIN_RETRIES:
      g_value_set_int (value, self->pin_retries);
      break;
    case PROP_SOFTWARE_KEY:
      g_value_set_boolean (value, self->software_key);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
kt_webauthn_client_set_property (GObject      *object,
                                 guint         prop_id,
                                 const GValue *value,
                                 GParamSpec   *pspec)
{
  KtWebauthnClient *self = KT_WEBAUTHN_CLIENT (object);

  switch (prop_id)
    {
    case PROP_ORIGIN:
      self->origin = g_value_dup_boxed (value);
      break;
    case PROP_SOCKET_PATHS:
      self->socket_paths = g_value_dup_boxed (value);
      if (self->socket_paths == NULL)
        self->socket_paths = g_new0 (char *, 1);
      break;
    case PROP_SCAN_HID:
      self->scan_hid = g_value_get_boolean (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
kt_webauthn_client_class_init (KtWebauthnClientClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = kt_webauthn_client_finalize;
  object_class->get_property = kt_webauthn_client_get_property;
  object_class->set_property = kt_webauthn_client_set_property;

  /* The web origin Keyturn signs in to; from configuration, never from the server. */
  properties[PROP_ORIGIN] =
    g_param_spec_boxed ("origin", NULL, NULL,
                        KT_TYPE_ORIGIN,
                        G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);

  /* keyturn-virtual-key sockets to offer beside USB keys. */
  properties[PROP_SOCKET_PATHS] =
    g_param_spec_boxed ("socket-paths", NULL, NULL,
                        G_TYPE_STRV,
                        G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);

  /* Whether USB (hidraw) keys are looked for; off in tests that must see only their own keys. */
  properties[PROP_SCAN_HID] =
    g_param_spec_boolean ("scan-hid", NULL, NULL,
                          TRUE,
                          G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);

  properties[PROP_STATE] =
    g_param_spec_enum ("state", NULL, NULL,
                       KT_TYPE_WEBAUTHN_STATE,
                       KT_WEBAUTHN_STATE_IDLE,
                       G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  properties[PROP_PIN_RETRIES] =
    g_param_spec_int ("pin-retries", NULL, NULL,
                      -1, G_MAXINT, -1,
                      G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  /* Whether the key in use is keyturn-virtual-key, which the UI labels as a software key. */
  properties[PROP_SOFTWARE_KEY] =
    g_param_spec_boolean ("software-key", NULL, NULL,
                          FALSE,
                          G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);

  /**
   * KtWebauthnClient::pin-requested:
   * @retries: PIN attempts left, or -1 when the key did not say
   *
   * The key needs its PIN: answer with kt_webauthn_client_answer_pin() or
   * kt_webauthn_client_decline_pin(). The state property tells whether the last PIN was wrong.
   */
  signals[PIN_REQUESTED] =
    g_signal_new ("pin-requested",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL,
                  G_TYPE_NONE, 1, G_TYPE_INT);
}

static void
kt_webauthn_client_init (KtWebauthnClient *self)
{
  self->state = KT_WEBAUTHN_STATE_IDLE;
  self->pin_retries = -1;
  self->scan_hid = TRUE;
  self->context = g_main_context_ref_thread_default ();
}
