/* kt-webauthn-client-ceremony.c: one ceremony's life across its threads
 *
 * A KtCeremony is shared by the caller's thread, the worker that drives the key and the
 * watchdog that cancels it: here are its lifetime, cancel and timeout, the PIN exchange with
 * the caller, the updates queued on the caller's context, and the worker pool. What the worker
 * does with the keys is the run function it is given.
 *
 * Copyright 2026 Keyturn developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "kt-webauthn-client-private.h"
#include "kt-secret.h"

/* How often a cancel is repeated while the key has not given up its request yet. */
#define KT_CANCEL_REPEAT_MS 50

/* ------------------------------------------------------------------------------------------ */
/* Lifetime                                                                                    */

KtCeremony *
kt_ceremony_new (GObject              *owner,
                 KtCeremonyUpdateFunc  update,
                 GMainContext         *context,
                 KtCeremonyKind        kind,
                 guint                 timeout_ms,
                 gboolean              software_key)
{
  KtCeremony *c = g_new0 (KtCeremony, 1);

  g_atomic_ref_count_init (&c->ref_count);
  c->owner = g_object_ref (owner);
  c->update = update;
  c->context = g_main_context_ref (context);
  c->kind = kind;
  c->deadline = g_get_monotonic_time () + (gint64) timeout_ms * 1000;
  /* The client sets the state to working as it starts the ceremony. */
  c->told_state = KT_WEBAUTHN_STATE_WORKING;
  c->told_retries = -1;
  c->told_software = software_key;
  c->waiting = g_ptr_array_new ();
  g_mutex_init (&c->lock);
  g_cond_init (&c->cond);
  return c;
}

KtCeremony *
kt_ceremony_ref (KtCeremony *c)
{
  g_atomic_ref_count_inc (&c->ref_count);
  return c;
}

void
kt_ceremony_unref (KtCeremony *c)
{
  if (!g_atomic_ref_count_dec (&c->ref_count))
    return;
  g_object_unref (c->owner);
  g_main_context_unref (c->context);
  g_clear_pointer (&c->creation, kt_creation_options_free);
  g_clear_pointer (&c->request, kt_request_options_free);
  g_free (c->rp_id);
  g_bytes_unref (c->client_data);
  g_strfreev (c->socket_paths);
  g_ptr_array_unref (c->waiting);
  kt_secret_free (c->pin);
  kt_secret_free (c->new_pin);
  g_mutex_clear (&c->lock);
  g_cond_clear (&c->cond);
  g_free (c);
}

/* ------------------------------------------------------------------------------------------ */
/* Updates, queued on the caller's context                                                     */

/* The last update carries the task's outcome, in the same source: the caller's thread wakes
 * once at the end of a ceremony, not once for the state and once more for a GTask returned
 * from a thread. */
typedef struct {
  KtCeremony       *ceremony;
  KtCeremonyUpdate  update;
  GTask            *task;            /* with the finished update only */
  JsonObject       *result;
  GError           *error;
} PostedUpdate;

static void
posted_update_free (gpointer data)
{
  PostedUpdate *posted = data;

  g_clear_pointer (&posted->result, json_object_unref);
  g_clear_error (&posted->error);
  g_clear_object (&posted->task);
  kt_ceremony_unref (posted->ceremony);
  g_free (posted);
}

static gboolean
deliver_update_cb (gpointer data)
{
  PostedUpdate *posted = data;
  KtCeremony *c = posted->ceremony;

  /* Before the GTask's callback runs, so the caller may start the next ceremony from it. */
  c->update (c->owner, c, &posted->update);
  if (posted->task == NULL)
    return G_SOURCE_REMOVE;

  /* In the task's own context, in a later iteration: GTask calls back at once. */
  if (posted->result != NULL)
    g_task_return_pointer (posted->task, g_steal_pointer (&posted->result),
                           (GDestroyNotify) json_object_unref);
  else
    g_task_return_error (posted->task, g_steal_pointer (&posted->error));
  return G_SOURCE_REMOVE;
}

/* In order, in one idle source each; takes @task, @result and @error; @name must be static. */
static void
post_update (KtCeremony             *c,
             const KtCeremonyUpdate *update,
             GTask                  *task,
             JsonObject             *result,
             GError                 *error,
             const char             *name)
{
  PostedUpdate *posted = g_new0 (PostedUpdate, 1);
  g_autoptr(GSource) source = g_idle_source_new ();

  posted->ceremony = kt_ceremony_ref (c);
  posted->update = *update;
  posted->task = task;
  posted->result = result;
  posted->error = error;

  g_source_set_priority (source, G_PRIORITY_DEFAULT);
  g_source_set_callback (source, deliver_update_cb, posted, posted_update_free);
  g_source_set_static_name (source, name);
  g_source_attach (source, c->context);
}

void
kt_ceremony_post_state (KtCeremony      *c,
                        KtWebauthnState  state,
                        int              pin_retries,
                        gboolean         request_pin)
{
  KtCeremonyUpdate update = { state, pin_retries, request_pin, -1, FALSE };

  c->told_state = state;
  c->told_retries = pin_retries;
  post_update (c, &update, NULL, NULL, NULL, "[keyturn] webauthn state");
}

void
kt_ceremony_post_key (KtCeremony *c,
                      gboolean    software)
{
  KtCeremonyUpdate update = { KT_WEBAUTHN_STATE_WORKING, -1, FALSE, software, FALSE };

  /* Nothing new to tell: the caller's thread is left asleep. */
  if (c->told_state == KT_WEBAUTHN_STATE_WORKING && c->told_retries == -1
      && c->told_software == software)
    return;
  c->told_state = KT_WEBAUTHN_STATE_WORKING;
  c->told_retries = -1;
  c->told_software = software;
  post_update (c, &update, NULL, NULL, NULL, "[keyturn] webauthn key");
}

/* ------------------------------------------------------------------------------------------ */
/* Cancel, timeout, PIN exchange                                                               */

/* With the lock held: whether the ceremony must stop now, and why. */
static gboolean
ceremony_aborted_locked (KtCeremony  *c,
                         GError     **error)
{
  if (c->cancelled)
    return !kt_webauthn_set_error (error, KT_WEBAUTHN_ERROR_CANCELLED);
  if (g_get_monotonic_time () >= c->deadline)
    return !kt_webauthn_set_error (error, KT_WEBAUTHN_ERROR_TIMED_OUT);
  return FALSE;
}

gboolean
kt_ceremony_aborted (KtCeremony  *c,
                     GError     **error)
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
static GPtrArray *watchdog_ceremonies;  /* KtCeremony, referenced */
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
          KtCeremony *c = g_ptr_array_index (watchdog_ceremonies, i);

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
watchdog_add (KtCeremony *c)
{
  g_mutex_lock (&watchdog_lock);
  if (watchdog_ceremonies == NULL)
    {
      watchdog_ceremonies = g_ptr_array_new ();
      watchdog_wakes_at = G_MAXINT64;
      g_thread_unref (g_thread_new ("kt-webauthn-watchdog", watchdog_thread, NULL));
    }
  g_ptr_array_add (watchdog_ceremonies, kt_ceremony_ref (c));
  if (c->deadline < watchdog_wakes_at)
    {
      watchdog_wakes_at = c->deadline;
      g_cond_signal (&watchdog_cond);
    }
  g_mutex_unlock (&watchdog_lock);
}

static void
watchdog_remove (KtCeremony *c)
{
  gboolean removed;

  g_mutex_lock (&watchdog_lock);
  removed = g_ptr_array_remove_fast (watchdog_ceremonies, c);
  g_mutex_unlock (&watchdog_lock);
  if (removed)
    kt_ceremony_unref (c);
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
  KtCeremony *c = data;

  g_mutex_lock (&c->lock);
  c->cancelled = TRUE;
  g_cond_broadcast (&c->cond);
  g_mutex_unlock (&c->lock);
  watchdog_poke ();
}

gboolean
kt_ceremony_begin_wait (KtCeremony  *c,
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

void
kt_ceremony_end_wait (KtCeremony *c,
                      fido_dev_t *dev)
{
  g_mutex_lock (&c->lock);
  g_ptr_array_remove_fast (c->waiting, dev);
  g_mutex_unlock (&c->lock);
}

gboolean
kt_ceremony_sleep (KtCeremony  *c,
                   guint        ms,
                   GError     **error)
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

KtPin *
kt_ceremony_ask_pin (KtCeremony       *c,
                     KtWebauthnState   state,
                     int               retries,
                     GError          **error)
{
  gboolean answered = FALSE;
  KtPin *pin = NULL;

  g_mutex_lock (&c->lock);
  g_clear_pointer (&c->pin, kt_secret_free);
  c->pin_requested = TRUE;
  c->pin_answered = FALSE;
  g_mutex_unlock (&c->lock);

  kt_ceremony_post_state (c, state, retries, TRUE);

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
      kt_webauthn_set_error (error, KT_WEBAUTHN_ERROR_CANCELLED);
      return NULL;
    }

  kt_ceremony_post_state (c, KT_WEBAUTHN_STATE_WORKING, retries, FALSE);
  return pin;
}

void
kt_ceremony_answer_pin (KtCeremony *c,
                        const char *pin)
{
  g_mutex_lock (&c->lock);
  if (c->pin_requested && !c->pin_answered)
    {
      c->pin = g_strdup (pin);
      c->pin_answered = TRUE;
      g_cond_broadcast (&c->cond);
    }
  g_mutex_unlock (&c->lock);
}

/* ------------------------------------------------------------------------------------------ */
/* The worker thread                                                                           */

/* The worker: takes the reference to @data's task that kt_ceremony_start() gave it. */
static void
ceremony_thread (gpointer data,
                 gpointer unused)
{
  GTask *task = data;
  KtCeremony *c = g_task_get_task_data (task);
  GCancellable *cancellable = g_task_get_cancellable (task);
  KtCeremonyUpdate finished = { KT_WEBAUTHN_STATE_IDLE, -1, FALSE, -1, TRUE };
  GError *error = NULL;
  JsonObject *result = NULL;
  gulong cancel_handler = 0;

  watchdog_add (c);
  if (cancellable != NULL)
    cancel_handler = g_cancellable_connect (cancellable, G_CALLBACK (ceremony_cancelled_cb),
                                            c, NULL);

  result = c->run (c, &error);

  if (cancellable != NULL)
    g_cancellable_disconnect (cancellable, cancel_handler);
  watchdog_remove (c);

  g_assert (result != NULL || error != NULL);
  if (result == NULL)
    finished.state = kt_webauthn_state_for_error (error);
  post_update (c, &finished, task, result, error, "[keyturn] webauthn outcome");
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

void
kt_ceremony_start (KtCeremony        *c,
                   GTask             *task,
                   KtCeremonyRunFunc  run)
{
  c->run = run;
  g_task_set_task_data (task, kt_ceremony_ref (c), (GDestroyNotify) kt_ceremony_unref);
  g_thread_pool_push (ceremony_pool (), g_object_ref (task), NULL);
}
