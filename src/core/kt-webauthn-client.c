/* kt-webauthn-client.c
 *
 * Copyright 2026 Keyturn developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "kt-webauthn-client.h"

#include <cbor.h>
#include <fido.h>
#include <glib/gi18n-lib.h>
#include <openssl/ec.h>
#include <string.h>

#include "kt-authenticator.h"
#include "kt-cbor.h"
#include "kt-client-data.h"
#include "kt-webauthn-response.h"

/* How often the key list is read again while waiting for a key: hot-plug shows within this. */
#define KT_DISCOVERY_INTERVAL_MS 250
/* How long one poll of one key's touch status may block while several keys are offered. */
#define KT_TOUCH_POLL_MS 20
/* How often a cancel is repeated while the key has not given up its request yet. */
#define KT_CANCEL_REPEAT_MS 50

#define KT_COSE_ES256 (-7)


typedef enum {
  CEREMONY_REGISTER,
  CEREMONY_AUTHENTICATE,
  CEREMONY_SET_PIN,
} CeremonyKind;

/* One registration or authentication, shared by the caller's thread (cancel, PIN answers), the
 * worker thread (the key) and the watchdog thread (cancel and timeout reach the key through
 * fido_dev_cancel while the worker is blocked in libfido2). */
typedef struct {
  gatomicrefcount    ref_count;

  /* Set before the worker starts, then read-only. */
  KtWebauthnClient  *client;
  GMainContext      *context;
  CeremonyKind       kind;
  KtCreationOptions *creation;
  KtRequestOptions  *request;
  char              *rp_id;
  GBytes            *client_data;
  char             **socket_paths;
  gboolean           scan_hid;
  gint64             deadline;
  KtRequirement      user_verification;
  char              *new_pin;        /* CEREMONY_SET_PIN; the worker wipes it once used */

  /* Worker only: what the caller's context was last told. */
  KtWebauthnState    told_state;
  int                told_retries;
  gboolean           told_software;

  GMutex             lock;
  GCond              cond;
  gboolean           cancelled;
  GPtrArray         *waiting;        /* fido_dev_t being waited on, borrowed */
  gboolean           pin_requested;
  gboolean           pin_answered;
  char              *pin;            /* NULL when answered: declined */
} Ceremony;

struct _KtWebauthnClient {
  GObject          parent_instance;

  KtOrigin        *origin;
  char           **socket_paths;
  gboolean         scan_hid;
  GMainContext    *context;

  KtWebauthnState  state;
  int              pin_retries;
  gboolean         software_key;
  Ceremony        *ceremony;         /* the running one, main-context side */
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

/* PINs live in plain heap memory only as long as libfido2 needs them. */
typedef char KtPin;

static void
kt_pin_free (KtPin *pin)
{
  if (pin == NULL)
    return;
  explicit_bzero (pin, strlen (pin));
  g_free (pin);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (KtPin, kt_pin_free)

/* ------------------------------------------------------------------------------------------ */
/* Errors                                                                                      */

static KtWebauthnState
state_for_error (const GError *error)
{
  if (error->domain != KT_WEBAUTHN_ERROR)
    return KT_WEBAUTHN_STATE_FAILED;

  switch ((KtWebauthnError) error->code)
    {
    case KT_WEBAUTHN_ERROR_PIN_NOT_SET:
    case KT_WEBAUTHN_ERROR_INVALID_PIN:
      /* The key still has no PIN. */
      return KT_WEBAUTHN_STATE_PIN_NOT_SET;
    case KT_WEBAUTHN_ERROR_PIN_BLOCKED:
      return KT_WEBAUTHN_STATE_PIN_BLOCKED;
    case KT_WEBAUTHN_ERROR_PIN_HARD_BLOCKED:
      return KT_WEBAUTHN_STATE_PIN_HARD_BLOCKED;
    case KT_WEBAUTHN_ERROR_ALREADY_REGISTERED:
      return KT_WEBAUTHN_STATE_ALREADY_REGISTERED;
    case KT_WEBAUTHN_ERROR_NOT_REGISTERED:
      return KT_WEBAUTHN_STATE_NOT_REGISTERED;
    case KT_WEBAUTHN_ERROR_MISSING_CAPABILITY:
      return KT_WEBAUTHN_STATE_MISSING_CAPABILITY;
    case KT_WEBAUTHN_ERROR_TIMED_OUT:
      return KT_WEBAUTHN_STATE_TIMED_OUT;
    case KT_WEBAUTHN_ERROR_CANCELLED:
      return KT_WEBAUTHN_STATE_CANCELLED;
    case KT_WEBAUTHN_ERROR_INVALID_OPTIONS:
    case KT_WEBAUTHN_ERROR_INSECURE_ORIGIN:
    case KT_WEBAUTHN_ERROR_RP_ID_MISMATCH:
    case KT_WEBAUTHN_ERROR_INVALID_USER_ID:
    case KT_WEBAUTHN_ERROR_UNSUPPORTED_ALGORITHM:
    case KT_WEBAUTHN_ERROR_DENIED:
    case KT_WEBAUTHN_ERROR_BAD_RESPONSE:
    case KT_WEBAUTHN_ERROR_DEVICE:
    case KT_WEBAUTHN_ERROR_BUSY:
    default:
      return KT_WEBAUTHN_STATE_FAILED;
    }
}

static gboolean
set_error (GError          **error,
           KtWebauthnError   code)
{
  const char *message;

  switch (code)
    {
    case KT_WEBAUTHN_ERROR_PIN_NOT_SET:
      message = _("This security key has no PIN yet. Set a PIN for it, then try again.");
      break;
    case KT_WEBAUTHN_ERROR_PIN_BLOCKED:
      message = _("Too many wrong PINs. Unplug the security key, insert it again and retry.");
      break;
    case KT_WEBAUTHN_ERROR_PIN_HARD_BLOCKED:
      message = _("This security key’s PIN is blocked. The key must be reset before it can "
                  "be used again.");
      break;
    case KT_WEBAUTHN_ERROR_ALREADY_REGISTERED:
      message = _("This security key is already registered with your account.");
      break;
    case KT_WEBAUTHN_ERROR_NOT_REGISTERED:
      message = _("This security key is not registered with your account. Try another key.");
      break;
    case KT_WEBAUTHN_ERROR_MISSING_CAPABILITY:
      message = _("This security key cannot do what this sign-in needs. Try another key.");
      break;
    case KT_WEBAUTHN_ERROR_TIMED_OUT:
      message = _("The security key was not used in time. Try again.");
      break;
    case KT_WEBAUTHN_ERROR_CANCELLED:
      message = _("The security key request was cancelled.");
      break;
    case KT_WEBAUTHN_ERROR_DENIED:
      message = _("The security key refused the request.");
      break;
    case KT_WEBAUTHN_ERROR_BAD_RESPONSE:
      message = _("The security key gave an answer Keyturn cannot accept.");
      break;
    case KT_WEBAUTHN_ERROR_BUSY:
      message = _("A security key request is already in progress.");
      break;
    case KT_WEBAUTHN_ERROR_INVALID_PIN:
      message = _("The security key does not accept this PIN. Choose a longer one.");
      break;
    case KT_WEBAUTHN_ERROR_DEVICE:
    case KT_WEBAUTHN_ERROR_INVALID_OPTIONS:
    case KT_WEBAUTHN_ERROR_INSECURE_ORIGIN:
    case KT_WEBAUTHN_ERROR_RP_ID_MISMATCH:
    case KT_WEBAUTHN_ERROR_INVALID_USER_ID:
    case KT_WEBAUTHN_ERROR_UNSUPPORTED_ALGORITHM:
    default:
      message = _("Keyturn could not use the security key.");
      break;
    }

  g_set_error_literal (error, KT_WEBAUTHN_ERROR, code, message);
  return FALSE;
}

/* The outcome of a libfido2 call that is not handled where it was made. */
static gboolean
set_fido_error (GError **error,
                int      r)
{
  switch (r)
    {
    case FIDO_ERR_CREDENTIAL_EXCLUDED:
      return set_error (error, KT_WEBAUTHN_ERROR_ALREADY_REGISTERED);
    case FIDO_ERR_NO_CREDENTIALS:
      return set_error (error, KT_WEBAUTHN_ERROR_NOT_REGISTERED);
    case FIDO_ERR_ACTION_TIMEOUT:
    case FIDO_ERR_USER_ACTION_TIMEOUT:
      return set_error (error, KT_WEBAUTHN_ERROR_TIMED_OUT);
    case FIDO_ERR_KEEPALIVE_CANCEL:
      return set_error (error, KT_WEBAUTHN_ERROR_CANCELLED);
    case FIDO_ERR_OPERATION_DENIED:
      return set_error (error, KT_WEBAUTHN_ERROR_DENIED);
    case FIDO_ERR_PIN_NOT_SET:
      return set_error (error, KT_WEBAUTHN_ERROR_PIN_NOT_SET);
    case FIDO_ERR_PIN_AUTH_BLOCKED:
    case FIDO_ERR_UV_BLOCKED:
      return set_error (error, KT_WEBAUTHN_ERROR_PIN_BLOCKED);
    case FIDO_ERR_PIN_BLOCKED:
      return set_error (error, KT_WEBAUTHN_ERROR_PIN_HARD_BLOCKED);
    case FIDO_ERR_UNSUPPORTED_ALGORITHM:
    case FIDO_ERR_UNSUPPORTED_OPTION:
    case FIDO_ERR_UNSUPPORTED_EXTENSION:
    case FIDO_ERR_INVALID_OPTION:
      return set_error (error, KT_WEBAUTHN_ERROR_MISSING_CAPABILITY);
    default:
      g_set_error (error, KT_WEBAUTHN_ERROR, KT_WEBAUTHN_ERROR_DEVICE,
                   /* Translators: %s is libfido2's description of the failure */
                   _("Keyturn could not talk to the security key (%s). Unplug it and try "
                     "again."), fido_strerr (r));
      return FALSE;
    }
}

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

typedef struct {
  KtWebauthnClient *client;
  Ceremony         *ceremony;
  KtWebauthnState   state;
  int               pin_retries;
  gboolean          request_pin;
  int               software_key;    /* -1: unchanged */
} StateUpdate;

static void ceremony_unref (Ceremony *c);

static void
state_update_free (gpointer data)
{
  StateUpdate *update = data;

  g_object_unref (update->client);
  ceremony_unref (update->ceremony);
  g_free (update);
}

static gboolean
apply_state_update_cb (gpointer data)
{
  StateUpdate *update = data;
  KtWebauthnClient *self = update->client;

  /* A late update from a ceremony that is already over changes nothing. */
  if (self->ceremony != update->ceremony)
    return G_SOURCE_REMOVE;

  if (update->software_key >= 0 && self->software_key != update->software_key)
    {
      self->software_key = update->software_key;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SOFTWARE_KEY]);
    }
  set_state (self, update->state, update->pin_retries);
  if (update->request_pin)
    g_signal_emit (self, signals[PIN_REQUESTED], 0, update->pin_retries);

  return G_SOURCE_REMOVE;
}

static Ceremony *ceremony_ref (Ceremony *c);

/* From the worker: queued on the caller's context in order, before the GTask's result. */
static void
ceremony_post_state (Ceremony        *c,
                     KtWebauthnState  state,
                     int              pin_retries,
                     gboolean         request_pin)
{
  StateUpdate *update = g_new0 (StateUpdate, 1);
  g_autoptr(GSource) source = g_idle_source_new ();

  update->client = g_object_ref (c->client);
  update->ceremony = ceremony_ref (c);
  update->state = state;
  update->pin_retries = pin_retries;
  update->request_pin = request_pin;
  c->told_state = state;
  c->told_retries = pin_retries;
  update->software_key = -1;

  g_source_set_priority (source, G_PRIORITY_DEFAULT);
  g_source_set_callback (source, apply_state_update_cb, update, state_update_free);
  g_source_set_static_name (source, "[keyturn] webauthn state");
  g_source_attach (source, c->context);
}

/* From the worker: the key chosen; the caller labels a software key as such. */
static void
ceremony_post_key (Ceremony *c,
                   gboolean  software)
{
  StateUpdate *update;
  g_autoptr(GSource) source = NULL;

  /* Nothing new to tell: the caller's thread is left asleep. */
  if (c->told_state == KT_WEBAUTHN_STATE_WORKING && c->told_retries == -1
      && c->told_software == software)
    return;
  c->told_state = KT_WEBAUTHN_STATE_WORKING;
  c->told_retries = -1;
  c->told_software = software;

  update = g_new0 (StateUpdate, 1);
  source = g_idle_source_new ();

  update->client = g_object_ref (c->client);
  update->ceremony = ceremony_ref (c);
  update->state = KT_WEBAUTHN_STATE_WORKING;
  update->pin_retries = -1;
  update->software_key = software;

  g_source_set_priority (source, G_PRIORITY_DEFAULT);
  g_source_set_callback (source, apply_state_update_cb, update, state_update_free);
  g_source_set_static_name (source, "[keyturn] webauthn key");
  g_source_attach (source, c->context);
}

/* ------------------------------------------------------------------------------------------ */
/* The ceremony: cancel, timeout, PIN exchange                                                 */

static Ceremony *
ceremony_ref (Ceremony *c)
{
  g_atomic_ref_count_inc (&c->ref_count);
  return c;
}

static void
ceremony_unref (Ceremony *c)
{
  if (!g_atomic_ref_count_dec (&c->ref_count))
    return;
  g_object_unref (c->client);
  g_main_context_unref (c->context);
  g_clear_pointer (&c->creation, kt_creation_options_free);
  g_clear_pointer (&c->request, kt_request_options_free);
  g_free (c->rp_id);
  g_bytes_unref (c->client_data);
  g_strfreev (c->socket_paths);
  g_ptr_array_unref (c->waiting);
  kt_pin_free (c->pin);
  kt_pin_free (c->new_pin);
  g_mutex_clear (&c->lock);
  g_cond_clear (&c->cond);
  g_free (c);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Ceremony, ceremony_unref)

static Ceremony *
ceremony_new (KtWebauthnClient *self,
              CeremonyKind      kind,
              guint             timeout_ms)
{
  Ceremony *c = g_new0 (Ceremony, 1);

  g_atomic_ref_count_init (&c->ref_count);
  c->client = g_object_ref (self);
  c->context = g_main_context_ref (self->context);
  c->kind = kind;
  c->socket_paths = g_strdupv (self->socket_paths);
  c->scan_hid = self->scan_hid;
  c->deadline = g_get_monotonic_time () + (gint64) kt_webauthn_clamp_timeout (timeout_ms) * 1000;
  /* start_ceremony() sets the state to working. */
  c->told_state = KT_WEBAUTHN_STATE_WORKING;
  c->told_retries = -1;
  c->told_software = self->software_key;
  c->waiting = g_ptr_array_new ();
  g_mutex_init (&c->lock);
  g_cond_init (&c->cond);
  return c;
}

/* With the lock held: whether the ceremony must stop now, and why. */
static gboolean
ceremony_aborted_locked (Ceremony  *c,
                         GError   **error)
{
  if (c->cancelled)
    return !set_error (error, KT_WEBAUTHN_ERROR_CANCELLED);
  if (g_get_monotonic_time () >= c->deadline)
    return !set_error (error, KT_WEBAUTHN_ERROR_TIMED_OUT);
  return FALSE;
}

static gboolean
ceremony_aborted (Ceremony  *c,
                  GError   **error)
{
  gboolean aborted;

  g_mutex_lock (&c->lock);
  aborted = ceremony_aborted_locked (c, error);
  g_mutex_unlock (&c->lock);
  return aborted;
}

/* The watchdog: the worker cannot notice a cancel or the deadline while libfido2 blocks, so
 * this thread sends the key CTAPHID_CANCEL for it, again every few ms until the worker is
 * out of the call (a cancel that races ahead of the request it meant is otherwise lost). One
 * thread serves every ceremony of the process and sleeps until the earliest deadline, so a
 * ceremony costs no thread and, most of the time, no wake-up. */
static GMutex watchdog_lock;
static GCond watchdog_cond;
static GPtrArray *watchdog_ceremonies;  /* Ceremony, referenced */
static gint64 watchdog_wakes_at;        /* when it wakes by itself; G_MAXINT64: never */

static gpointer
watchdog_thread (gpointer data)
{
  g_mutex_lock (&watchdog_lock);
  for (;;)
    {
      gint64 now = g_get_monotonic_time ();
      gint64 next = G_MAXINT64;

      for (guint i = 0; i < watchdog_ceremonies->len; i++)
        {
          Ceremony *c = g_ptr_array_index (watchdog_ceremonies, i);

          g_mutex_lock (&c->lock);
          if (c->cancelled || now >= c->deadline)
            {
              for (guint j = 0; j < c->waiting->len; j++)
                fido_dev_cancel (g_ptr_array_index (c->waiting, j));
              g_cond_broadcast (&c->cond);
              next = MIN (next, now + KT_CANCEL_REPEAT_MS * 1000);
            }
          else
            next = MIN (next, c->deadline);
          g_mutex_unlock (&c->lock);
        }

      /* Deadlines of ceremonies already over are not taken back: one needless wake-up at
       * worst, where recomputing would cost a wake-up per ceremony. */
      watchdog_wakes_at = MIN (next, watchdog_wakes_at > now ? watchdog_wakes_at : G_MAXINT64);
      if (watchdog_wakes_at == G_MAXINT64)
        g_cond_wait (&watchdog_cond, &watchdog_lock);
      else
        g_cond_wait_until (&watchdog_cond, &watchdog_lock, watchdog_wakes_at);
    }
  return NULL;
}

static void
watchdog_add (Ceremony *c)
{
  g_mutex_lock (&watchdog_lock);
  if (watchdog_ceremonies == NULL)
    {
      watchdog_ceremonies = g_ptr_array_new ();
      watchdog_wakes_at = G_MAXINT64;
      g_thread_unref (g_thread_new ("kt-webauthn-watchdog", watchdog_thread, NULL));
    }
  g_ptr_array_add (watchdog_ceremonies, ceremony_ref (c));
  if (c->deadline < watchdog_wakes_at)
    {
      watchdog_wakes_at = c->deadline;
      g_cond_signal (&watchdog_cond);
    }
  g_mutex_unlock (&watchdog_lock);
}

static void
watchdog_remove (Ceremony *c)
{
  gboolean removed;

  g_mutex_lock (&watchdog_lock);
  removed = g_ptr_array_remove_fast (watchdog_ceremonies, c);
  g_mutex_unlock (&watchdog_lock);
  if (removed)
    ceremony_unref (c);
}

/* Wakes the watchdog now: a cancel is due. */
static void
watchdog_poke (void)
{
  g_mutex_lock (&watchdog_lock);
  watchdog_wakes_at = g_get_monotonic_time ();
  g_cond_signal (&watchdog_cond);
  g_mutex_unlock (&watchdog_lock);
}

static void
ceremony_cancelled_cb (GCancellable *cancellable,
                       gpointer      data)
{
  Ceremony *c = data;

  g_mutex_lock (&c->lock);
  c->cancelled = TRUE;
  g_cond_broadcast (&c->cond);
  g_mutex_unlock (&c->lock);
  watchdog_poke ();
}

/* Around every libfido2 call that may wait for the user. */
static gboolean
ceremony_begin_wait (Ceremony    *c,
                     fido_dev_t  *dev,
                     GError     **error)
{
  gint64 left_ms;

  g_mutex_lock (&c->lock);
  if (ceremony_aborted_locked (c, error))
    {
      g_mutex_unlock (&c->lock);
      return FALSE;
    }
  g_ptr_array_add (c->waiting, dev);
  left_ms = (c->deadline - g_get_monotonic_time ()) / 1000;
  g_mutex_unlock (&c->lock);

  /* A last resort for a key that ignores CTAPHID_CANCEL: libfido2 gives up by itself. */
  fido_dev_set_timeout (dev, (int) MIN (left_ms + 2000, G_MAXINT));
  return TRUE;
}

static void
ceremony_end_wait (Ceremony   *c,
                   fido_dev_t *dev)
{
  g_mutex_lock (&c->lock);
  g_ptr_array_remove_fast (c->waiting, dev);
  g_mutex_unlock (&c->lock);
}

/* Sleeps up to @ms, waking early on cancel; FALSE when the ceremony must stop. */
static gboolean
ceremony_sleep (Ceremony  *c,
                guint      ms,
                GError   **error)
{
  gint64 until = MIN (g_get_monotonic_time () + (gint64) ms * 1000, c->deadline);
  gboolean ok;

  g_mutex_lock (&c->lock);
  while (!ceremony_aborted_locked (c, NULL) && g_get_monotonic_time () < until)
    g_cond_wait_until (&c->cond, &c->lock, until);
  ok = !ceremony_aborted_locked (c, error);
  g_mutex_unlock (&c->lock);
  return ok;
}

/* Asks the caller for the PIN and waits for the answer. NULL with @error when the caller
 * declined, cancelled, or the time ran out. */
static KtPin *
ceremony_ask_pin (Ceremony         *c,
                  KtWebauthnState   state,
                  int               retries,
                  GError          **error)
{
  gboolean answered = FALSE;
  KtPin *pin = NULL;

  g_mutex_lock (&c->lock);
  g_clear_pointer (&c->pin, kt_pin_free);
  c->pin_requested = TRUE;
  c->pin_answered = FALSE;
  g_mutex_unlock (&c->lock);

  ceremony_post_state (c, state, retries, TRUE);

  g_mutex_lock (&c->lock);
  while (!c->pin_answered && !ceremony_aborted_locked (c, NULL))
    g_cond_wait_until (&c->cond, &c->lock, c->deadline);
  answered = c->pin_answered;
  pin = g_steal_pointer (&c->pin);
  c->pin_requested = FALSE;
  if (!answered)
    ceremony_aborted_locked (c, error);
  g_mutex_unlock (&c->lock);

  if (!answered)
    return NULL;
  if (pin == NULL)
    {
      set_error (error, KT_WEBAUTHN_ERROR_CANCELLED);
      return NULL;
    }

  ceremony_post_state (c, KT_WEBAUTHN_STATE_WORKING, retries, FALSE);
  return pin;
}

/* ------------------------------------------------------------------------------------------ */
/* Finding the key                                                                             */

static gboolean
ids_contain (GPtrArray  *keys,
             const char *id)
{
  for (guint i = 0; i < keys->len; i++)
    if (g_str_equal (kt_authenticator_get_id (g_ptr_array_index (keys, i)), id))
      return TRUE;
  return FALSE;
}

/* Opens the keys present that @keys does not hold yet; returns how many were added. */
static guint
ceremony_open_new_keys (Ceremony  *c,
                        GPtrArray *keys)
{
  g_auto(GStrv) ids = kt_authenticator_discover ((const char * const *) c->socket_paths,
                                                 c->scan_hid);
  guint added = 0;

  for (guint i = 0; ids[i] != NULL; i++)
    {
      KtAuthenticator *key;

      if (ids_contain (keys, ids[i]))
        continue;
      /* A socket whose key is gone refuses the connection: not present. */
      key = kt_authenticator_open (ids[i], NULL);
      if (key != NULL)
        {
          g_ptr_array_add (keys, key);
          added++;
        }
    }
  return added;
}

/* Waits for the user to touch @key (libfido2's get-touch: a request any key answers only
 * after a touch). */
static gboolean
ceremony_wait_for_touch (Ceremony         *c,
                         KtAuthenticator  *key,
                         GError          **error)
{
  fido_dev_t *dev = kt_authenticator_get_device (key);
  int r;

  if ((r = fido_dev_get_touch_begin (dev)) != FIDO_OK)
    return set_fido_error (error, r);

  for (;;)
    {
      int touched = 0;

      if (ceremony_aborted (c, error))
        {
          fido_dev_cancel (dev);
          return FALSE;
        }
      if ((r = fido_dev_get_touch_status (dev, &touched, KT_TOUCH_POLL_MS * 5)) != FIDO_OK)
        return set_fido_error (error, r);
      if (touched)
        return TRUE;
    }
}

/* Several keys: a touch says which one the user means; the others are cancelled (as libfido2's
 * examples/select.c does). NULL without @error when every key went away meanwhile. */
static KtAuthenticator *
ceremony_select_key (Ceremony   *c,
                     GPtrArray  *keys,
                     GError    **error)
{
  gint64 next_scan = g_get_monotonic_time () + KT_DISCOVERY_INTERVAL_MS * 1000;
  guint begun = 0;

  ceremony_post_state (c, KT_WEBAUTHN_STATE_SELECT_KEY, -1, FALSE);

  for (;;)
    {
      /* Ask every key not asked yet (new ones included) for a touch. */
      for (guint i = begun; i < keys->len;)
        {
          if (fido_dev_get_touch_begin (kt_authenticator_get_device (g_ptr_array_index (keys, i)))
              != FIDO_OK)
            g_ptr_array_remove_index (keys, i);
          else
            i++;
        }
      begun = keys->len;

      if (keys->len == 0)
        return NULL;

      if (ceremony_aborted (c, error))
        {
          for (guint i = 0; i < keys->len; i++)
            fido_dev_cancel (kt_authenticator_get_device (g_ptr_array_index (keys, i)));
          return NULL;
        }

      for (guint i = 0; i < keys->len;)
        {
          fido_dev_t *dev = kt_authenticator_get_device (g_ptr_array_index (keys, i));
          int touched = 0;

          if (fido_dev_get_touch_status (dev, &touched, KT_TOUCH_POLL_MS) != FIDO_OK)
            {
              /* Unplugged, or its user refused: it is out of the choice. */
              g_ptr_array_remove_index (keys, i);
              begun--;
              continue;
            }
          if (touched)
            {
              KtAuthenticator *chosen = g_ptr_array_steal_index (keys, i);

              for (guint j = 0; j < keys->len; j++)
                fido_dev_cancel (kt_authenticator_get_device (g_ptr_array_index (keys, j)));
              return chosen;
            }
          i++;
        }

      if (g_get_monotonic_time () >= next_scan)
        {
          ceremony_open_new_keys (c, keys);
          next_scan = g_get_monotonic_time () + KT_DISCOVERY_INTERVAL_MS * 1000;
        }
    }
}

/* Waits until a key is present (noticing one within a second), and picks one. */
static KtAuthenticator *
ceremony_acquire_key (Ceremony  *c,
                      GError   **error)
{
  gboolean told = FALSE;

  for (;;)
    {
      g_autoptr(GPtrArray) keys = NULL;
      KtAuthenticator *chosen;

      keys = g_ptr_array_new_with_free_func ((GDestroyNotify) kt_authenticator_free);
      if (ceremony_aborted (c, error))
        return NULL;

      ceremony_open_new_keys (c, keys);
      if (keys->len == 1)
        return g_ptr_array_steal_index (keys, 0);

      if (keys->len > 1)
        {
          g_autoptr(GError) local_error = NULL;

          chosen = ceremony_select_key (c, keys, &local_error);
          if (chosen != NULL)
            return chosen;
          if (local_error != NULL)
            {
              g_propagate_error (error, g_steal_pointer (&local_error));
              return NULL;
            }
          told = FALSE;
          continue;
        }

      if (!told)
        {
          ceremony_post_state (c, KT_WEBAUTHN_STATE_NO_KEY, -1, FALSE);
          told = TRUE;
        }
      if (!ceremony_sleep (c, KT_DISCOVERY_INTERVAL_MS, error))
        return NULL;
    }
}

/* ------------------------------------------------------------------------------------------ */
/* On the chosen key                                                                           */

/* Which of @ids this key holds for @rp_id, asked silently (up=false) a chunk at a time, as
 * python-fido2 does, so the real request names one credential the key is known to have. */
static gboolean
ceremony_find_credential (Ceremony         *c,
                          KtAuthenticator  *key,
                          GPtrArray        *ids,
                          GBytes          **found,
                          GError          **error)
{
  static const guint8 zero_hash[32];
  fido_dev_t *dev = kt_authenticator_get_device (key);
  gsize max_len = 0;
  gsize chunk_size = 1;
  g_autoptr(GPtrArray) usable = g_ptr_array_new ();

  *found = NULL;

  /* The key's limits matter only for a list; one id goes as it is (saves a getInfo). */
  if (ids->len > 1)
    {
      max_len = kt_authenticator_max_credential_id_length (key);
      chunk_size = kt_authenticator_max_credentials_in_list (key);
    }

  for (guint i = 0; i < ids->len; i++)
    {
      GBytes *id = g_ptr_array_index (ids, i);

      /* An id longer than the key takes cannot be one of its own. */
      if (max_len == 0 || g_bytes_get_size (id) <= max_len)
        g_ptr_array_add (usable, id);
    }

  for (guint start = 0; start < usable->len; start += chunk_size)
    {
      guint end = MIN (start + chunk_size, usable->len);
      fido_assert_t *assert = fido_assert_new ();
      int r;

      if (assert == NULL || fido_assert_set_rp (assert, c->rp_id) != FIDO_OK
          || fido_assert_set_clientdata_hash (assert, zero_hash, sizeof zero_hash) != FIDO_OK
          || fido_assert_set_up (assert, FIDO_OPT_FALSE) != FIDO_OK)
        {
          fido_assert_free (&assert);
          return set_fido_error (error, FIDO_ERR_INTERNAL);
        }
      for (guint i = start; i < end; i++)
        {
          gsize len;
          const guint8 *data = g_bytes_get_data (g_ptr_array_index (usable, i), &len);

          fido_assert_allow_cred (assert, data, len);
        }

      if (!ceremony_begin_wait (c, dev, error))
        {
          fido_assert_free (&assert);
          return FALSE;
        }
      r = fido_dev_get_assert (dev, assert, NULL);
      ceremony_end_wait (c, dev);

      if (r == FIDO_OK)
        {
          const guint8 *id = fido_assert_id_ptr (assert, 0);
          gsize id_len = fido_assert_id_len (assert, 0);

          /* A key may leave the id out when the list had only one. */
          *found = g_bytes_ref (g_ptr_array_index (usable, start));
          for (guint i = start; id != NULL && id_len > 0 && i < end; i++)
            {
              GBytes *candidate = g_ptr_array_index (usable, i);

              if (g_bytes_get_size (candidate) == id_len
                  && memcmp (g_bytes_get_data (candidate, NULL), id, id_len) == 0)
                {
                  g_bytes_unref (*found);
                  *found = g_bytes_ref (candidate);
                }
            }
          fido_assert_free (&assert);
          return TRUE;
        }
      fido_assert_free (&assert);

      if (ceremony_aborted (c, error))
        return FALSE;
      if (r != FIDO_ERR_NO_CREDENTIALS)
        return set_fido_error (error, r);
    }

  return TRUE;
}

/* How user verification will happen on this key, decided as Chromium does: "required" needs
 * UV; "preferred" uses it when the key has it configured; "discouraged" does without (the key
 * may still insist, which shows as FIDO_ERR_PIN_REQUIRED). */
typedef enum {
  UV_NONE,
  UV_BUILT_IN,
  UV_PIN,
} UvMethod;

static gboolean
ceremony_choose_uv (Ceremony         *c,
                    KtAuthenticator  *key,
                    UvMethod         *method,
                    GError          **error)
{
  fido_dev_t *dev = kt_authenticator_get_device (key);
  gboolean wanted = c->user_verification == KT_REQUIREMENT_REQUIRED
                    || (c->user_verification == KT_REQUIREMENT_PREFERRED
                        && (fido_dev_has_pin (dev) || fido_dev_has_uv (dev)));

  *method = UV_NONE;
  if (!wanted)
    return TRUE;
  if (fido_dev_has_uv (dev))
    *method = UV_BUILT_IN;
  else if (fido_dev_has_pin (dev))
    *method = UV_PIN;
  else if (fido_dev_supports_pin (dev))
    return set_error (error, KT_WEBAUTHN_ERROR_PIN_NOT_SET);
  else
    return set_error (error, KT_WEBAUTHN_ERROR_MISSING_CAPABILITY);
  return TRUE;
}

/* Asks for the PIN, first telling how many attempts are left; a key with none left is
 * hard-blocked and no PIN is asked at all. */
static KtPin *
ceremony_request_pin (Ceremony         *c,
                      KtAuthenticator  *key,
                      gboolean          after_wrong_pin,
                      GError          **error)
{
  fido_dev_t *dev = kt_authenticator_get_device (key);
  int retries = -1;
  int r;

  if (!ceremony_begin_wait (c, dev, error))
    return NULL;
  r = fido_dev_get_retry_count (dev, &retries);
  ceremony_end_wait (c, dev);

  if (r == FIDO_ERR_PIN_BLOCKED || (r == FIDO_OK && retries == 0))
    {
      set_error (error, KT_WEBAUTHN_ERROR_PIN_HARD_BLOCKED);
      return NULL;
    }
  if (r != FIDO_OK)
    retries = -1;

  return ceremony_ask_pin (c,
                           after_wrong_pin ? KT_WEBAUTHN_STATE_WRONG_PIN
                                           : KT_WEBAUTHN_STATE_PIN_NEEDED,
                           retries, error);
}

/* What to do after a request failed with @r: ask for a (new) PIN, or give up. */
static gboolean
ceremony_handle_pin_error (Ceremony         *c,
                           KtAuthenticator  *key,
                           int               r,
                           KtPin           **pin,
                           GError          **error)
{
  fido_dev_t *dev = kt_authenticator_get_device (key);
  gboolean had_pin = *pin != NULL;

  g_clear_pointer (pin, kt_pin_free);

  switch (r)
    {
    case FIDO_ERR_PIN_REQUIRED:
    case FIDO_ERR_UNAUTHORIZED_PERM:
      /* The key insists on user verification (pam-u2f's pamu2fcfg asks only then, too). */
      if (had_pin)
        return set_fido_error (error, r);
      if (!fido_dev_has_pin (dev))
        return set_error (error, fido_dev_supports_pin (dev)
                                   ? KT_WEBAUTHN_ERROR_PIN_NOT_SET
                                   : KT_WEBAUTHN_ERROR_MISSING_CAPABILITY);
      *pin = ceremony_request_pin (c, key, FALSE, error);
      return *pin != NULL;

    case FIDO_ERR_PIN_INVALID:
      *pin = ceremony_request_pin (c, key, TRUE, error);
      return *pin != NULL;

    default:
      return set_fido_error (error, r);
    }
}

/* With attestation conveyance "none", asked for or by default, a browser keeps the key's make
 * and model to itself (WebAuthn Level 3 §5.1.3): the statement is dropped unless it is already
 * self attestation, which says nothing about the key. */
static gboolean
attestation_is_withheld (const KtCreationOptions *options,
                         const fido_cred_t       *cred)
{
  const unsigned char *aaguid = fido_cred_aaguid_ptr (cred);
  gboolean zero_aaguid = aaguid != NULL && fido_cred_aaguid_len (cred) == 16;

  if (options->attestation != NULL && g_strcmp0 (options->attestation, "none") != 0)
    return FALSE;
  for (gsize i = 0; zero_aaguid && i < 16; i++)
    zero_aaguid = aaguid[i] == 0;
  return !(zero_aaguid && g_strcmp0 (fido_cred_fmt (cred), "packed") == 0 &&
           fido_cred_x5c_len (cred) == 0);
}

/* A P-256 SubjectPublicKeyInfo is this head (id-ecPublicKey, prime256v1, a bit string) and the
 * uncompressed point. Written by hand: through es256_pk_t, EVP_PKEY and i2d_PUBKEY it cost
 * ~40 µs, more than all the rest the client does with the key's answer. */
static const guint8 p256_spki_head[] = {
  0x30, 0x59, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01, 0x06, 0x08,
  0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07, 0x03, 0x42, 0x00,
};

static gpointer
p256_group_new (gpointer unused)
{
  return EC_GROUP_new_by_curve_name (NID_X9_62_prime256v1);
}

static const EC_GROUP *
p256_group (void)
{
  static GOnce once = G_ONCE_INIT;

  return g_once (&once, p256_group_new, NULL);
}

static GBytes *
encode_public_key (const fido_cred_t *cred)
{
  const EC_GROUP *group = p256_group ();
  guint8 spki[sizeof p256_spki_head + 1 + 64];
  guint8 *point = spki + sizeof p256_spki_head;
  EC_POINT *check;
  gboolean on_curve;

  /* libfido2 holds an ES256 key as x || y. */
  if (fido_cred_type (cred) != COSE_ES256 || fido_cred_pubkey_len (cred) != 64 || group == NULL)
    return NULL;
  memcpy (spki, p256_spki_head, sizeof p256_spki_head);
  point[0] = POINT_CONVERSION_UNCOMPRESSED;
  memcpy (point + 1, fido_cred_pubkey_ptr (cred), 64);

  /* A point off the curve is no key: OpenSSL refuses to decode one. */
  check = EC_POINT_new (group);
  on_curve = check != NULL && EC_POINT_oct2point (group, check, point, 1 + 64, NULL) == 1;
  EC_POINT_free (check);
  return on_curve ? g_bytes_new (spki, sizeof spki) : NULL;
}

static JsonObject *
ceremony_make_credential (Ceremony         *c,
                          KtAuthenticator  *key,
                          GError          **error)
{
  const KtCreationOptions *options = c->creation;
  fido_dev_t *dev = kt_authenticator_get_device (key);
  g_autoptr(GBytes) excluded = NULL;
  g_autoptr(KtPin) pin = NULL;
  g_autoptr(GBytes) auth_data = NULL;
  g_autoptr(GBytes) statement = NULL;
  g_autoptr(GBytes) attestation_object = NULL;
  const char *format;
  g_autoptr(GBytes) credential_id = NULL;
  g_autoptr(GBytes) public_key = NULL;
  fido_cred_t *cred = NULL;
  gboolean resident_key;
  UvMethod uv;
  JsonObject *result;
  int r;

  /* A key without ES256 answers FIDO_ERR_UNSUPPORTED_ALGORITHM: a missing capability. */
  switch (options->resident_key)
    {
    case KT_REQUIREMENT_REQUIRED:
      if (!kt_authenticator_supports_resident_keys (key))
        return set_error (error, KT_WEBAUTHN_ERROR_MISSING_CAPABILITY), NULL;
      resident_key = TRUE;
      break;
    case KT_REQUIREMENT_PREFERRED:
      resident_key = kt_authenticator_supports_resident_keys (key);
      break;
    case KT_REQUIREMENT_DISCOURAGED:
    default:
      resident_key = FALSE;
      break;
    }

  /* A key already registered shows after a touch, as browsers do, so that a page cannot
   * probe silently which keys someone holds. */
  if (!ceremony_find_credential (c, key, options->exclude_credentials, &excluded, error))
    return NULL;
  if (excluded != NULL)
    {
      ceremony_post_state (c, KT_WEBAUTHN_STATE_TOUCH_NEEDED, -1, FALSE);
      if (!ceremony_wait_for_touch (c, key, error))
        return NULL;
      return set_error (error, KT_WEBAUTHN_ERROR_ALREADY_REGISTERED), NULL;
    }

  if (!ceremony_choose_uv (c, key, &uv, error))
    return NULL;
  if (uv == UV_PIN && (pin = ceremony_request_pin (c, key, FALSE, error)) == NULL)
    return NULL;

  for (;;)
    {
      gsize user_id_len;
      const guint8 *user_id = g_bytes_get_data (options->user_id, &user_id_len);
      gsize client_data_len;
      const guint8 *client_data = g_bytes_get_data (c->client_data, &client_data_len);

      cred = fido_cred_new ();
      if (cred == NULL
          || fido_cred_set_type (cred, COSE_ES256) != FIDO_OK
          || fido_cred_set_clientdata (cred, client_data, client_data_len) != FIDO_OK
          || fido_cred_set_rp (cred, c->rp_id, options->rp_name) != FIDO_OK
          || fido_cred_set_user (cred, user_id, user_id_len, options->user_name,
                                 options->user_display_name, NULL) != FIDO_OK
          || fido_cred_set_rk (cred, resident_key ? FIDO_OPT_TRUE : FIDO_OPT_OMIT) != FIDO_OK
          || fido_cred_set_uv (cred, uv == UV_BUILT_IN ? FIDO_OPT_TRUE : FIDO_OPT_OMIT) != FIDO_OK)
        {
          fido_cred_free (&cred);
          return set_fido_error (error, FIDO_ERR_INTERNAL), NULL;
        }

      ceremony_post_state (c, KT_WEBAUTHN_STATE_TOUCH_NEEDED, -1, FALSE);
      if (!ceremony_begin_wait (c, dev, error))
        {
          fido_cred_free (&cred);
          return NULL;
        }
      r = fido_dev_make_cred (dev, cred, pin);
      ceremony_end_wait (c, dev);
      g_clear_pointer (&pin, kt_pin_free);

      if (r == FIDO_OK)
        break;
      fido_cred_free (&cred);
      if (ceremony_aborted (c, error) || !ceremony_handle_pin_error (c, key, r, &pin, error))
        return NULL;
    }

  auth_data = g_bytes_new (fido_cred_authdata_raw_ptr (cred), fido_cred_authdata_raw_len (cred));
  credential_id = g_bytes_new (fido_cred_id_ptr (cred), fido_cred_id_len (cred));
  public_key = encode_public_key (cred);
  format = fido_cred_fmt (cred);
  if (attestation_is_withheld (c->creation, cred))
    {
      static const guint8 empty_map[] = { 0xa0 };

      format = "none";
      statement = g_bytes_new_static (empty_map, sizeof empty_map);
    }
  else
    statement = g_bytes_new (fido_cred_attstmt_ptr (cred), fido_cred_attstmt_len (cred));
  if (format != NULL)
    attestation_object = kt_webauthn_response_encode_attestation_object (format, statement,
                                                                         auth_data);
  fido_cred_free (&cred);

  if (!kt_webauthn_response_check_authenticator_data (auth_data, c->rp_id, TRUE,
                                                      c->user_verification
                                                        == KT_REQUIREMENT_REQUIRED, error))
    return NULL;
  if (attestation_object == NULL || g_bytes_get_size (credential_id) == 0 || public_key == NULL)
    return set_error (error, KT_WEBAUTHN_ERROR_BAD_RESPONSE), NULL;

  result = kt_webauthn_response_new_registration (credential_id, c->client_data,
                                                  attestation_object, auth_data, public_key,
                                                  KT_COSE_ES256);
  return result;
}

/* libfido2 1.12 hands assertion authenticator data back CBOR-wrapped (a byte string). */
static GBytes *
unwrap_byte_string (const guint8 *data,
                    gsize         len)
{
  gsize consumed = 0;
  cbor_item_t *item;
  GBytes *bytes = NULL;

  if (data == NULL || len == 0)
    return NULL;
  item = kt_cbor_load (data, len, &consumed, NULL);
  if (item == NULL)
    return NULL;
  if (consumed == len && cbor_isa_bytestring (item) && cbor_bytestring_is_definite (item))
    bytes = g_bytes_new (cbor_bytestring_handle (item), cbor_bytestring_length (item));
  cbor_decref (&item);
  return bytes;
}

static JsonObject *
ceremony_get_assertion (Ceremony         *c,
                        KtAuthenticator  *key,
                        GError          **error)
{
  const KtRequestOptions *options = c->request;
  fido_dev_t *dev = kt_authenticator_get_device (key);
  g_autoptr(GBytes) allowed = NULL;
  g_autoptr(KtPin) pin = NULL;
  g_autoptr(GBytes) auth_data = NULL;
  g_autoptr(GBytes) credential_id = NULL;
  g_autoptr(GBytes) signature = NULL;
  g_autoptr(GBytes) user_handle = NULL;
  fido_assert_t *assert = NULL;
  UvMethod uv;
  int r;

  if (!ceremony_find_credential (c, key, options->allow_credentials, &allowed, error))
    return NULL;
  if (allowed == NULL)
    {
      /* As browsers do: a touch first, so the user knows which key was meant. */
      ceremony_post_state (c, KT_WEBAUTHN_STATE_TOUCH_NEEDED, -1, FALSE);
      if (!ceremony_wait_for_touch (c, key, error))
        return NULL;
      return set_error (error, KT_WEBAUTHN_ERROR_NOT_REGISTERED), NULL;
    }

  if (!ceremony_choose_uv (c, key, &uv, error))
    return NULL;
  if (uv == UV_PIN && (pin = ceremony_request_pin (c, key, FALSE, error)) == NULL)
    return NULL;

  for (;;)
    {
      gsize client_data_len;
      const guint8 *client_data = g_bytes_get_data (c->client_data, &client_data_len);
      gsize allowed_len;
      const guint8 *allowed_data = g_bytes_get_data (allowed, &allowed_len);

      assert = fido_assert_new ();
      if (assert == NULL
          || fido_assert_set_rp (assert, c->rp_id) != FIDO_OK
          || fido_assert_set_clientdata (assert, client_data, client_data_len) != FIDO_OK
          || fido_assert_allow_cred (assert, allowed_data, allowed_len) != FIDO_OK
          || fido_assert_set_uv (assert, uv == UV_BUILT_IN ? FIDO_OPT_TRUE : FIDO_OPT_OMIT)
             != FIDO_OK)
        {
          fido_assert_free (&assert);
          return set_fido_error (error, FIDO_ERR_INTERNAL), NULL;
        }

      ceremony_post_state (c, KT_WEBAUTHN_STATE_TOUCH_NEEDED, -1, FALSE);
      if (!ceremony_begin_wait (c, dev, error))
        {
          fido_assert_free (&assert);
          return NULL;
        }
      r = fido_dev_get_assert (dev, assert, pin);
      ceremony_end_wait (c, dev);
      g_clear_pointer (&pin, kt_pin_free);

      if (r == FIDO_OK)
        break;
      fido_assert_free (&assert);
      if (ceremony_aborted (c, error) || !ceremony_handle_pin_error (c, key, r, &pin, error))
        return NULL;
    }

  if (fido_assert_count (assert) != 1)
    {
      fido_assert_free (&assert);
      return set_error (error, KT_WEBAUTHN_ERROR_BAD_RESPONSE), NULL;
    }

  auth_data = unwrap_byte_string (fido_assert_authdata_ptr (assert, 0),
                                  fido_assert_authdata_len (assert, 0));
  if (fido_assert_id_len (assert, 0) > 0)
    credential_id = g_bytes_new (fido_assert_id_ptr (assert, 0), fido_assert_id_len (assert, 0));
  else
    credential_id = g_bytes_ref (allowed);
  signature = g_bytes_new (fido_assert_sig_ptr (assert, 0), fido_assert_sig_len (assert, 0));
  if (fido_assert_user_id_len (assert, 0) > 0)
    user_handle = g_bytes_new (fido_assert_user_id_ptr (assert, 0),
                               fido_assert_user_id_len (assert, 0));
  fido_assert_free (&assert);

  if (auth_data == NULL)
    return set_error (error, KT_WEBAUTHN_ERROR_BAD_RESPONSE), NULL;
  if (!kt_webauthn_response_check_authenticator_data (auth_data, c->rp_id, FALSE,
                                                      c->user_verification
                                                        == KT_REQUIREMENT_REQUIRED, error))
    return NULL;
  /* The key must answer for the credential it was asked about. */
  if (!g_bytes_equal (credential_id, allowed) || g_bytes_get_size (signature) == 0)
    return set_error (error, KT_WEBAUTHN_ERROR_BAD_RESPONSE), NULL;

  return kt_webauthn_response_new_authentication (credential_id, c->client_data, auth_data,
                                                  signature, user_handle);
}

/* Gives a key with no PIN its first one. The rules every key shares were checked before any
 * key was opened; here the key's own minimum too, before it is asked. */
static gboolean
ceremony_set_pin (Ceremony         *c,
                  KtAuthenticator  *key,
                  GError          **error)
{
  fido_dev_t *dev = kt_authenticator_get_device (key);
  g_autoptr(KtPin) pin = g_steal_pointer (&c->new_pin);
  guint min_length = kt_authenticator_min_pin_length (key);
  int r;

  if (!fido_dev_supports_pin (dev))
    return set_error (error, KT_WEBAUTHN_ERROR_MISSING_CAPABILITY);
  if (fido_dev_has_pin (dev))
    {
      g_set_error_literal (error, KT_WEBAUTHN_ERROR, KT_WEBAUTHN_ERROR_DENIED,
                           _("This security key already has a PIN. Use that PIN instead."));
      return FALSE;
    }
  if (g_utf8_strlen (pin, -1) < (glong) min_length)
    {
      g_set_error (error, KT_WEBAUTHN_ERROR, KT_WEBAUTHN_ERROR_INVALID_PIN,
                   g_dngettext (GETTEXT_PACKAGE,
                                "This security key needs a PIN of at least %u character.",
                                "This security key needs a PIN of at least %u characters.",
                                min_length),
                   min_length);
      return FALSE;
    }

  ceremony_post_state (c, KT_WEBAUTHN_STATE_WORKING, -1, FALSE);
  r = fido_dev_set_pin (dev, pin, NULL);
  g_clear_pointer (&pin, kt_pin_free);

  if (r == FIDO_OK)
    return TRUE;
  if (ceremony_aborted (c, error))
    return FALSE;
  if (r == FIDO_ERR_PIN_POLICY_VIOLATION)
    return set_error (error, KT_WEBAUTHN_ERROR_INVALID_PIN);
  if (r == FIDO_ERR_PIN_AUTH_INVALID || r == FIDO_ERR_NOT_ALLOWED)
    {
      g_set_error_literal (error, KT_WEBAUTHN_ERROR, KT_WEBAUTHN_ERROR_DENIED,
                           _("This security key already has a PIN. Use that PIN instead."));
      return FALSE;
    }
  return set_fido_error (error, r);
}

/* ------------------------------------------------------------------------------------------ */
/* The worker thread                                                                           */

/* The outcome, taken to the caller's context in one source with the state it leaves: the
 * caller's thread wakes once at the end of a ceremony, not once for the state and once more
 * for a GTask returned from a thread. */
typedef struct {
  GTask           *task;
  Ceremony        *ceremony;
  JsonObject      *result;
  GError          *error;
  KtWebauthnState  state;
} Outcome;

static void
outcome_free (gpointer data)
{
  Outcome *outcome = data;

  g_clear_pointer (&outcome->result, json_object_unref);
  g_clear_error (&outcome->error);
  ceremony_unref (outcome->ceremony);
  g_object_unref (outcome->task);
  g_free (outcome);
}

static gboolean
ceremony_complete_cb (gpointer data)
{
  Outcome *outcome = data;
  KtWebauthnClient *self = g_task_get_source_object (outcome->task);

  /* Cleared before the GTask's callback runs, so the caller may start the next ceremony
   * from it. */
  if (self->ceremony == outcome->ceremony)
    {
      self->ceremony = NULL;
      set_state (self, outcome->state, -1);
    }

  /* In the task's own context, in a later iteration: GTask calls back at once. */
  if (outcome->result != NULL)
    g_task_return_pointer (outcome->task, g_steal_pointer (&outcome->result),
                           (GDestroyNotify) json_object_unref);
  else
    g_task_return_error (outcome->task, g_steal_pointer (&outcome->error));
  return G_SOURCE_REMOVE;
}

/* The worker: takes the reference to @data's task that start_ceremony() gave it. */
static void
ceremony_thread (gpointer data,
                 gpointer unused)
{
  GTask *task = data;
  Ceremony *c = g_task_get_task_data (task);
  GCancellable *cancellable = g_task_get_cancellable (task);
  g_autoptr(KtAuthenticator) key = NULL;
  g_autoptr(GSource) source = NULL;
  GError *error = NULL;
  JsonObject *result = NULL;
  gulong cancel_handler = 0;
  Outcome *outcome;

  watchdog_add (c);
  if (cancellable != NULL)
    cancel_handler = g_cancellable_connect (cancellable, G_CALLBACK (ceremony_cancelled_cb),
                                            c, NULL);

  key = ceremony_acquire_key (c, &error);
  if (key != NULL)
    {
      ceremony_post_key (c, kt_authenticator_is_software (key));
      if (c->kind == CEREMONY_REGISTER)
        result = ceremony_make_credential (c, key, &error);
      else if (c->kind == CEREMONY_SET_PIN)
        result = ceremony_set_pin (c, key, &error) ? json_object_new () : NULL;
      else
        result = ceremony_get_assertion (c, key, &error);
    }
  /* Closing the key now, not later: a soft PIN block lasts until the key is opened again. */
  g_clear_pointer (&key, kt_authenticator_free);

  if (cancellable != NULL)
    g_cancellable_disconnect (cancellable, cancel_handler);
  watchdog_remove (c);

  g_assert (result != NULL || error != NULL);
  outcome = g_new0 (Outcome, 1);
  outcome->task = task;
  outcome->ceremony = ceremony_ref (c);
  outcome->result = result;
  outcome->error = error;
  outcome->state = result != NULL ? KT_WEBAUTHN_STATE_IDLE : state_for_error (error);

  source = g_idle_source_new ();
  g_source_set_priority (source, G_PRIORITY_DEFAULT);
  g_source_set_callback (source, ceremony_complete_cb, outcome, outcome_free);
  g_source_set_static_name (source, "[keyturn] webauthn outcome");
  g_source_attach (source, c->context);
}

/* Workers kept between ceremonies; a ceremony may wait minutes for a touch, so no limit. */
static GThreadPool *
ceremony_pool (void)
{
  static GThreadPool *pool;

  if (g_once_init_enter (&pool))
    g_once_init_leave (&pool, g_thread_pool_new (ceremony_thread, NULL, -1, FALSE, NULL));
  return pool;
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

static void
start_ceremony (KtWebauthnClient *self,
                GTask            *task,
                Ceremony         *c,
                const char       *client_data_type,
                GBytes           *challenge)
{
  g_autoptr(GError) error = NULL;

  c->client_data = kt_client_data_serialize (client_data_type, challenge,
                                             kt_origin_to_string (self->origin), &error);
  if (c->client_data == NULL)
    {
      set_state (self, state_for_error (error), -1);
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  self->ceremony = c;
  set_state (self, KT_WEBAUTHN_STATE_WORKING, -1);
  g_task_set_task_data (task, ceremony_ref (c), (GDestroyNotify) ceremony_unref);
  g_thread_pool_push (ceremony_pool (), g_object_ref (task), NULL);
}

void
kt_webauthn_client_register_async (KtWebauthnClient        *self,
                                   const KtCreationOptions *options,
                                   GCancellable            *cancellable,
                                   GAsyncReadyCallback      callback,
                                   gpointer                 user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(Ceremony) c = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *rp_id = NULL;

  g_return_if_fail (KT_IS_WEBAUTHN_CLIENT (self));
  g_return_if_fail (options != NULL);
  g_return_if_fail (!cancellable || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, kt_webauthn_client_register_async);
  /* Our own CANCELLED error says it better than G_IO_ERROR_CANCELLED would. */
  g_task_set_check_cancellable (task, FALSE);

  if (self->ceremony != NULL)
    {
      set_error (&error, KT_WEBAUTHN_ERROR_BUSY);
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  /* Everything a browser refuses is refused here, before any key is opened. */
  if (!kt_webauthn_client_check_creation_options (self, options, &rp_id, &error))
    {
      set_state (self, state_for_error (error), -1);
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  c = ceremony_new (self, CEREMONY_REGISTER, options->timeout_ms);
  c->creation = kt_creation_options_copy (options);
  c->rp_id = g_steal_pointer (&rp_id);
  c->user_verification = options->user_verification;
  start_ceremony (self, task, c, KT_CLIENT_DATA_TYPE_CREATE, options->challenge);
}

JsonObject *
kt_webauthn_client_register_finish (KtWebauthnClient  *self,
                                    GAsyncResult      *result,
                                    GError           **error)
{
  g_return_val_if_fail (KT_IS_WEBAUTHN_CLIENT (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result))
                        == kt_webauthn_client_register_async, NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

void
kt_webauthn_client_authenticate_async (KtWebauthnClient       *self,
                                       const KtRequestOptions *options,
                                       GCancellable           *cancellable,
                                       GAsyncReadyCallback     callback,
                                       gpointer                user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(Ceremony) c = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *rp_id = NULL;

  g_return_if_fail (KT_IS_WEBAUTHN_CLIENT (self));
  g_return_if_fail (options != NULL);
  g_return_if_fail (!cancellable || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, kt_webauthn_client_authenticate_async);
  g_task_set_check_cancellable (task, FALSE);

  if (self->ceremony != NULL)
    {
      set_error (&error, KT_WEBAUTHN_ERROR_BUSY);
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  if (!kt_webauthn_client_check_request_options (self, options, &rp_id, &error))
    {
      set_state (self, state_for_error (error), -1);
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  c = ceremony_new (self, CEREMONY_AUTHENTICATE, options->timeout_ms);
  c->request = kt_request_options_copy (options);
  c->rp_id = g_steal_pointer (&rp_id);
  c->user_verification = options->user_verification;
  start_ceremony (self, task, c, KT_CLIENT_DATA_TYPE_GET, options->challenge);
}

JsonObject *
kt_webauthn_client_authenticate_finish (KtWebauthnClient  *self,
                                        GAsyncResult      *result,
                                        GError           **error)
{
  g_return_val_if_fail (KT_IS_WEBAUTHN_CLIENT (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result))
                        == kt_webauthn_client_authenticate_async, NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
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
  g_autoptr(Ceremony) c = NULL;
  g_autoptr(GError) error = NULL;

  g_return_if_fail (KT_IS_WEBAUTHN_CLIENT (self));
  g_return_if_fail (pin != NULL);
  g_return_if_fail (!cancellable || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, kt_webauthn_client_set_pin_async);
  g_task_set_check_cancellable (task, FALSE);

  if (self->ceremony != NULL)
    {
      set_error (&error, KT_WEBAUTHN_ERROR_BUSY);
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  /* Refused before any key is opened; the state stays what it was (PIN not set). */
  if (!kt_webauthn_check_new_pin (pin, &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  c = ceremony_new (self, CEREMONY_SET_PIN, 0);
  c->new_pin = g_strdup (pin);
  self->ceremony = c;
  set_state (self, KT_WEBAUTHN_STATE_WORKING, -1);
  g_task_set_task_data (task, ceremony_ref (c), (GDestroyNotify) ceremony_unref);
  g_thread_pool_push (ceremony_pool (), g_object_ref (task), NULL);
}

gboolean
kt_webauthn_client_set_pin_finish (KtWebauthnClient  *self,
                                   GAsyncResult      *result,
                                   GError           **error)
{
  g_autoptr(JsonObject) done = NULL;

  g_return_val_if_fail (KT_IS_WEBAUTHN_CLIENT (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result))
                        == kt_webauthn_client_set_pin_async, FALSE);

  /* The worker hands back an empty object for success. */
  done = g_task_propagate_pointer (G_TASK (result), error);
  return done != NULL;
}

static void
give_pin (KtWebauthnClient *self,
          const char       *pin)
{
  Ceremony *c = self->ceremony;

  if (c == NULL)
    return;

  g_mutex_lock (&c->lock);
  if (c->pin_requested && !c->pin_answered)
    {
      c->pin = g_strdup (pin);
      c->pin_answered = TRUE;
      g_cond_broadcast (&c->cond);
    }
  g_mutex_unlock (&c->lock);
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
