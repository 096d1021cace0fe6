/* test-service.c: the desktop's sign-in service without a screen
 *
 * KtSignInService over a controller signed in against the real sandbox and virtual key, exported
 * on the test's private bus and called by clients on connections of their own, with the
 * desktop's real permission store (xdg-permission-store, started by D-Bus activation). The
 * person is played by KtScriptedPrompter, a stand-in named as such: the app's real prompts are
 * GTK windows, tested over AT-SPI in tests/ui/test-service.py; here only what the service decides
 * is under test (who is asked, in which order, who gets an answer, and what it holds).
 *
 * Copyright 2026 Keyturn developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "flow-fixture.h"

#include "kt-grant-store.h"
#include "kt-prompter.h"
#include "kt-sign-in-service.h"
#include "kt-test-async.h"
#include "kt-test-bus.h"
#include "kt-secret.h"

#define SERVICE_PATH "/io/github/keyturn/Keyturn"
#define SESSION_IFACE "io.github.keyturn.Keyturn.Session1"
#define REQUEST_IFACE "io.github.keyturn.Keyturn.Request1"

/* KtScriptedPrompter: the person, as a script. Each prompt waits until the test answers it. */

#define KT_TYPE_SCRIPTED_PROMPTER (kt_scripted_prompter_get_type ())
G_DECLARE_FINAL_TYPE (KtScriptedPrompter, kt_scripted_prompter, KT, SCRIPTED_PROMPTER, GObject)

struct _KtScriptedPrompter
{
  GObject    parent_instance;
  GPtrArray *asked;       /* "consent:NAME" / "step-up:SCOPE" / "sign-in", in order */
  GTask     *pending;     /* the prompt up now */
  guint      up;          /* prompts up at once, which must never pass 1 */
  guint      most_up;
};

static void kt_scripted_prompter_iface_init (KtPrompterInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (KtScriptedPrompter, kt_scripted_prompter, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (KT_TYPE_PROMPTER,
                                                      kt_scripted_prompter_iface_init))

static void
on_prompt_cancelled (GCancellable       *cancellable,
                     KtScriptedPrompter *self)
{
  /* Only the prompt up now closes; one answered before has nothing left to close. */
  if (self->pending != NULL &&
      g_object_get_data (G_OBJECT (self->pending), "test-cancellable") == cancellable)
    {
      GTask *task = g_steal_pointer (&self->pending);

      self->up--;
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_CANCELLED, "withdrawn");
      g_object_unref (task);
    }
}

static void
prompt (KtScriptedPrompter  *self,
        char                *what,
        GCancellable        *cancellable,
        GAsyncReadyCallback  callback,
        gpointer             user_data)
{
  GTask *task = g_task_new (self, NULL, callback, user_data);

  g_ptr_array_add (self->asked, what);
  g_assert_null (self->pending);
  self->pending = task;
  self->up++;
  self->most_up = MAX (self->most_up, self->up);
  if (cancellable != NULL)
    {
      g_object_set_data (G_OBJECT (task), "test-cancellable", cancellable);
      g_signal_connect_object (cancellable, "cancelled", G_CALLBACK (on_prompt_cancelled), self,
                               0);
    }
}

static void
scripted_ask_consent (KtPrompter          *prompter,
                      KtCaller            *caller,
                      GCancellable        *cancellable,
                      GAsyncReadyCallback  callback,
                      gpointer             user_data)
{
  prompt (KT_SCRIPTED_PROMPTER (prompter),
          g_strdup_printf ("consent:%s", kt_caller_get_id (caller)), cancellable, callback,
          user_data);
}

static KtConsent
scripted_ask_consent_finish (KtPrompter    *prompter,
                             GAsyncResult  *result,
                             GError       **error)
{
  gssize consent = g_task_propagate_int (G_TASK (result), error);

  return consent < 0 ? KT_CONSENT_DENY : (KtConsent) consent;
}

static void
scripted_sign_in (KtPrompter          *prompter,
                  KtCaller            *caller,
                  GCancellable        *cancellable,
                  GAsyncReadyCallback  callback,
                  gpointer             user_data)
{
  prompt (KT_SCRIPTED_PROMPTER (prompter), g_strdup ("sign-in"), cancellable, callback,
          user_data);
}

static gboolean
scripted_sign_in_finish (KtPrompter    *prompter,
                         GAsyncResult  *result,
                         GError       **error)
{
  return g_task_propagate_boolean (G_TASK (result), error);
}

static void
scripted_step_up (KtPrompter          *prompter,
                  KtCaller            *caller,
                  const char          *scope,
                  const char          *reason,
                  GCancellable        *cancellable,
                  GAsyncReadyCallback  callback,
                  gpointer             user_data)
{
  prompt (KT_SCRIPTED_PROMPTER (prompter), g_strdup_printf ("step-up:%s:%s", scope, reason),
          cancellable, callback, user_data);
}

static char *
scripted_step_up_finish (KtPrompter    *prompter,
                         GAsyncResult  *result,
                         gint64        *expires_at,
                         GError       **error)
{
  *expires_at = 0;
  return g_task_propagate_pointer (G_TASK (result), error);
}

static void
kt_scripted_prompter_iface_init (KtPrompterInterface *iface)
{
  iface->ask_consent = scripted_ask_consent;
  iface->ask_consent_finish = scripted_ask_consent_finish;
  iface->sign_in = scripted_sign_in;
  iface->sign_in_finish = scripted_sign_in_finish;
  iface->step_up = scripted_step_up;
  iface->step_up_finish = scripted_step_up_finish;
}

static void
kt_scripted_prompter_finalize (GObject *object)
{
  KtScriptedPrompter *self = KT_SCRIPTED_PROMPTER (object);

  g_assert_null (self->pending);
  g_ptr_array_unref (self->asked);
  G_OBJECT_CLASS (kt_scripted_prompter_parent_class)->finalize (object);
}

static void
kt_scripted_prompter_class_init (KtScriptedPrompterClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = kt_scripted_prompter_finalize;
}

static void
kt_scripted_prompter_init (KtScriptedPrompter *self)
{
  self->asked = g_ptr_array_new_with_free_func (g_free);
}

/* The person answers the prompt that is up: a KtConsent, TRUE for a sign-in, a token. */
static GTask *
take_prompt (KtScriptedPrompter *self)
{
  GTask *task;

  g_assert_nonnull (self->pending);
  task = g_steal_pointer (&self->pending);
  self->up--;
  return task;
}

static void
answer_consent (KtScriptedPrompter *self,
                KtConsent           consent)
{
  g_autoptr(GTask) task = take_prompt (self);

  g_task_return_int (task, consent);
}

static void
answer_step_up (KtScriptedPrompter *self,
                const char         *token)
{
  g_autoptr(GTask) task = take_prompt (self);

  if (token != NULL)
    g_task_return_pointer (task, g_strdup (token), g_free);
  else
    g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_CANCELLED, "declined");
}

/* A client of the service: a connection of its own to the test's bus. */

typedef struct
{
  GDBusConnection *bus;
  char            *path;
  guint            subscription;
  gboolean         answered;
  guint32          response;
  GVariant        *results;
} Call;

typedef struct
{
  Flow                f;
  GDBusConnection    *service_bus;
  KtScriptedPrompter *person;
  KtGrantStore       *grants;
  KtSignInService    *service;
  char               *service_name;
} Fixture;

static void
on_response (GDBusConnection *bus,
             const char      *sender,
             const char      *path,
             const char      *iface,
             const char      *signal,
             GVariant        *parameters,
             gpointer         user_data)
{
  Call *call = user_data;

  g_assert_false (call->answered);
  call->answered = TRUE;
  g_variant_get (parameters, "(u@a{sv})", &call->response, &call->results);
}

static void
on_changed (GDBusConnection *bus,
            const char      *sender,
            const char      *path,
            const char      *iface,
            const char      *signal,
            GVariant        *parameters,
            gpointer         user_data)
{
  Call *call = user_data;

  call->answered = TRUE;
  g_clear_pointer (&call->results, g_variant_unref);
  call->results = g_variant_ref (parameters);
}

static void
call_free (Call *call)
{
  g_dbus_connection_signal_unsubscribe (call->bus, call->subscription);
  g_clear_pointer (&call->results, g_variant_unref);
  g_free (call->path);
  g_object_unref (call->bus);
  g_free (call);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Call, call_free)

/* A method call, with the main loop running meanwhile: the service answers in this process. */
static GVariant *
call_sync (GDBusConnection *bus,
           const char      *name,
           const char      *path,
           const char      *iface,
           const char      *method,
           GVariant        *args,
           GError         **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  g_dbus_connection_call (bus, name, path, iface, method, args, NULL, G_DBUS_CALL_FLAGS_NONE,
                          10000, NULL, kt_test_async_done, &result);
  kt_test_async_wait (&result, 0);
  return g_dbus_connection_call_finish (bus, result, error);
}

/* Calls GetSession (@scope NULL, with @interactive) or StepUp on @bus, subscribed to the
 * Response first as a client must be. */
static Call *
call_service (Fixture         *fx,
              GDBusConnection *bus,
              const char      *scope,
              const char      *reason,
              gboolean         interactive,
              GError         **error)
{
  Call *call = g_new0 (Call, 1);
  g_autoptr(GVariant) reply = NULL;
  static guint serial;
  g_autofree char *token = g_strdup_printf ("t%u", ++serial);
  g_autofree char *sender = g_strdup (g_dbus_connection_get_unique_name (bus) + 1);
  g_auto(GVariantDict) options = G_VARIANT_DICT_INIT (NULL);
  const char *path;

  g_strdelimit (sender, ".", '_');
  call->bus = g_object_ref (bus);
  call->path = g_strdup_printf ("%s/request/%s/%s", SERVICE_PATH, sender, token);
  call->subscription = g_dbus_connection_signal_subscribe (bus, NULL, REQUEST_IFACE, "Response",
                                                           call->path, NULL,
                                                           G_DBUS_SIGNAL_FLAGS_NO_MATCH_RULE,
                                                           on_response, call, NULL);
  g_variant_dict_insert (&options, "handle_token", "s", token);
  if (interactive)
    g_variant_dict_insert (&options, "interactive", "b", TRUE);
  reply = call_sync (bus, fx->service_name, SERVICE_PATH, SESSION_IFACE,
                     scope == NULL ? "GetSession" : "StepUp",
                     scope == NULL
                     ? g_variant_new ("(@a{sv})", g_variant_dict_end (&options))
                     : g_variant_new ("(ss@a{sv})", scope, reason, g_variant_dict_end (&options)),
                     error);
  if (reply == NULL)
    {
      call_free (call);
      return NULL;
    }
  g_variant_get (reply, "(&o)", &path);
  g_assert_cmpstr (path, ==, call->path);
  return call;
}

static Call *
get_session (Fixture         *fx,
             GDBusConnection *bus)
{
  g_autoptr(GError) error = NULL;
  Call *call = call_service (fx, bus, NULL, NULL, FALSE, &error);

  g_assert_no_error (error);
  return call;
}

static gboolean
call_answered (Flow *f)
{
  return ((Call *) g_object_get_data (G_OBJECT (f->controller), "test-call"))->answered;
}

static void
await_answer (Fixture *fx,
              Call    *call)
{
  g_object_set_data (G_OBJECT (fx->f.controller), "test-call", call);
  flow_spin_until (call_answered, &fx->f, 20000);
}

static gboolean
prompt_is_up (Flow *f)
{
  return KT_SCRIPTED_PROMPTER (g_object_get_data (G_OBJECT (f->controller),
                                                  "test-person"))->pending != NULL;
}

static void
await_prompt (Fixture *fx)
{
  flow_spin_until (prompt_is_up, &fx->f, 20000);
}

/* GetSession from @caller, the consent it asks for given as @consent: the call, answered. */
static Call *
get_session_with_consent (Fixture         *fx,
                          GDBusConnection *caller,
                          KtConsent        consent)
{
  Call *call = get_session (fx, caller);

  await_prompt (fx);
  answer_consent (fx->person, consent);
  await_answer (fx, call);
  return call;
}

static gboolean
second_prompt_is_up (Flow *f)
{
  KtScriptedPrompter *person = g_object_get_data (G_OBJECT (f->controller), "test-person");

  return person->pending != NULL && person->asked->len >= 2;
}

static const char *
result_string (Call       *call,
               const char *key)
{
  const char *value = NULL;

  g_assert_true (g_variant_lookup (call->results, key, "&s", &value));
  return value;
}

static const char *
own_id (void)
{
  static char *id;

  if (id == NULL)
    id = g_file_read_link ("/proc/self/exe", NULL);
  return id;
}

static const char *
consent_of_own (void)
{
  static char *asked;

  if (asked == NULL)
    asked = g_strconcat ("consent:", own_id (), NULL);
  return asked;
}

static void
fixture_setup (Fixture       *fx,
               gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GAsyncResult) result = NULL;

  flow_setup (&fx->f, data);
  flow_sign_up (&fx->f);

  fx->service_bus = kt_test_bus_new_connection ();
  fx->service_name = g_strdup (g_dbus_connection_get_unique_name (fx->service_bus));
  fx->person = g_object_new (KT_TYPE_SCRIPTED_PROMPTER, NULL);
  g_object_set_data (G_OBJECT (fx->f.controller), "test-person", fx->person);
  fx->grants = kt_grant_store_new (fx->service_bus, NULL);
  kt_grant_store_load_async (fx->grants, NULL, flow_store_result, &result);
  g_assert_true (kt_grant_store_load_finish (fx->grants, kt_test_async_wait (&result, 0), &error));
  g_assert_no_error (error);
  g_clear_object (&result);
  g_assert_true (kt_grant_store_uses_permission_store (fx->grants));
  /* Each test starts with nobody allowed. */
  if (kt_grant_store_is_allowed (fx->grants, own_id ()))
    {
      kt_grant_store_revoke_async (fx->grants, own_id (), NULL, flow_store_result, &result);
      g_assert_true (kt_grant_store_revoke_finish (fx->grants, kt_test_async_wait (&result, 0),
                                                   &error));
      g_clear_object (&result);
    }

  fx->service = kt_sign_in_service_new (NULL, KT_PROMPTER (fx->person), fx->grants);
  kt_sign_in_service_set_controller (fx->service, fx->f.controller, fx->f.base_url,
                                     "test-environment");
  g_assert_true (kt_sign_in_service_export (fx->service, fx->service_bus, SERVICE_PATH, &error));
  g_assert_no_error (error);
}

static void
fixture_teardown (Fixture       *fx,
                  gconstpointer  data)
{
  kt_sign_in_service_unexport (fx->service);
  flow_spin (50);
  g_clear_object (&fx->service);
  g_clear_object (&fx->grants);
  g_clear_object (&fx->person);
  g_dbus_connection_close_sync (fx->service_bus, NULL, NULL);
  g_clear_object (&fx->service_bus);
  g_free (fx->service_name);
  flow_teardown (&fx->f, data);
}

/* The answer, token and all, goes to the caller alone: another client listening for every
 * Response on the bus hears nothing. */
static void
test_answer_goes_to_caller_alone (Fixture       *fx,
                                  gconstpointer  data)
{
  g_autoptr(GDBusConnection) caller = kt_test_bus_new_connection ();
  g_autoptr(GDBusConnection) listener = kt_test_bus_new_connection ();
  g_autoptr(Call) call = NULL;
  g_autoptr(Call) overheard = g_new0 (Call, 1);
  g_autofree char *token = NULL;
  gint64 expires_at = 0;
  gint64 got_expiry = 0;

  overheard->bus = g_object_ref (listener);
  overheard->path = g_strdup ("");
  /* With a match rule: a broadcast Response would be delivered to this connection. */
  overheard->subscription = g_dbus_connection_signal_subscribe (listener, NULL, REQUEST_IFACE,
                                                                "Response", NULL, NULL,
                                                                G_DBUS_SIGNAL_FLAGS_NONE,
                                                                on_response, overheard, NULL);

  call = get_session (fx, caller);
  await_prompt (fx);
  g_assert_cmpstr (g_ptr_array_index (fx->person->asked, 0), ==, consent_of_own ());
  answer_consent (fx->person, KT_CONSENT_ALLOW_ONCE);
  await_answer (fx, call);
  flow_spin (200);

  g_assert_cmpuint (call->response, ==, 0);
  token = kt_mfa_controller_dup_access_token (fx->f.controller, &expires_at);
  g_assert_cmpstr (result_string (call, "access_token"), ==, token);
  g_assert_true (g_variant_lookup (call->results, "expires_at", "x", &got_expiry));
  g_assert_cmpint (got_expiry, ==, expires_at);
  g_assert_cmpstr (result_string (call, "email"), ==, fx->f.email);
  g_assert_cmpstr (result_string (call, "user_id"), ==,
                   kt_user_get_id (kt_mfa_controller_get_user (fx->f.controller)));
  g_assert_cmpstr (result_string (call, "base_url"), ==, fx->f.base_url);
  g_assert_cmpstr (result_string (call, "environment_id"), ==, "test-environment");
  g_assert_false (overheard->answered);
  kt_secret_free (g_steal_pointer (&token));
}

/* Always allow is kept in the permission store: the next call is answered with no prompt, and
 * a new store reads it back. Allow once is not kept. */
static void
test_consent_is_kept_only_when_always (Fixture       *fx,
                                       gconstpointer  data)
{
  g_autoptr(GDBusConnection) caller = kt_test_bus_new_connection ();
  g_autoptr(KtGrantStore) reread = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  Call *call;

  call = get_session_with_consent (fx, caller, KT_CONSENT_ALLOW_ONCE);
  g_assert_cmpuint (call->response, ==, 0);
  call_free (call);
  g_assert_false (kt_grant_store_is_allowed (fx->grants, own_id ()));

  call = get_session_with_consent (fx, caller, KT_CONSENT_ALWAYS_ALLOW);
  g_assert_cmpuint (call->response, ==, 0);
  call_free (call);
  g_assert_cmpuint (fx->person->asked->len, ==, 2);

  call = get_session (fx, caller);
  await_answer (fx, call);
  g_assert_cmpuint (call->response, ==, 0);
  g_assert_cmpuint (fx->person->asked->len, ==, 2);
  call_free (call);

  reread = kt_grant_store_new (fx->service_bus, NULL);
  kt_grant_store_load_async (reread, NULL, flow_store_result, &result);
  g_assert_true (kt_grant_store_load_finish (reread, kt_test_async_wait (&result, 0), &error));
  g_assert_true (kt_grant_store_is_allowed (reread, own_id ()));
}

/* Deny answers 1, and the same caller asking again at once is answered 1 without a prompt. */
static void
test_denied_caller_cannot_flood (Fixture       *fx,
                                 gconstpointer  data)
{
  g_autoptr(GDBusConnection) caller = kt_test_bus_new_connection ();
  Call *call;

  call = get_session_with_consent (fx, caller, KT_CONSENT_DENY);
  g_assert_cmpuint (call->response, ==, 1);
  g_assert_cmpstr (result_string (call, "error"), ==, "denied");
  g_assert_false (g_variant_lookup (call->results, "access_token", "&s", NULL));
  call_free (call);

  for (int i = 0; i < 5; i++)
    {
      call = get_session (fx, caller);
      await_answer (fx, call);
      g_assert_cmpuint (call->response, ==, 1);
      call_free (call);
    }
  g_assert_cmpuint (fx->person->asked->len, ==, 1);
}

/* Two callers at once: one prompt at a time, in the order they came; a caller that leaves the
 * bus takes its prompt with it, and one that closes its Request gets no answer. */
static void
test_one_prompt_at_a_time (Fixture       *fx,
                           gconstpointer  data)
{
  GDBusConnection *leaving = kt_test_bus_new_connection ();
  g_autoptr(GDBusConnection) second = kt_test_bus_new_connection ();
  g_autoptr(GDBusConnection) third = kt_test_bus_new_connection ();
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) closed = NULL;
  Call *gone, *waiting, *closing;

  gone = get_session (fx, leaving);
  await_prompt (fx);
  waiting = get_session (fx, second);
  closing = get_session (fx, third);
  flow_spin (300);
  g_assert_cmpuint (fx->person->most_up, ==, 1);
  g_assert_cmpuint (fx->person->asked->len, ==, 1);

  /* The first caller leaves: its prompt closes, and the next one comes up. */
  call_free (gone);
  g_dbus_connection_close_sync (leaving, NULL, NULL);
  g_object_unref (leaving);
  flow_spin_until (second_prompt_is_up, &fx->f, 20000);
  g_assert_cmpuint (fx->person->asked->len, ==, 2);

  /* Only the caller may close its request. */
  g_assert_null (call_sync (second, fx->service_name, closing->path, REQUEST_IFACE, "Close",
                            NULL, &error));
  g_assert_error (error, G_DBUS_ERROR, G_DBUS_ERROR_ACCESS_DENIED);
  g_clear_error (&error);
  closed = call_sync (third, fx->service_name, closing->path, REQUEST_IFACE, "Close", NULL,
                      &error);
  g_assert_no_error (error);
  g_assert_nonnull (closed);

  answer_consent (fx->person, KT_CONSENT_ALLOW_ONCE);
  await_answer (fx, waiting);
  g_assert_cmpuint (waiting->response, ==, 0);
  flow_spin (300);
  g_assert_false (closing->answered);
  g_assert_null (fx->person->pending);
  g_assert_cmpuint (fx->person->most_up, ==, 1);
  g_assert_cmpuint (kt_sign_in_service_get_pending (fx->service), ==, 0);

  call_free (waiting);
  call_free (closing);
}

/* StepUp: refused at once for a scope Keyturn does not know or a reason that is not one short
 * line; otherwise asked every time, even of an app always allowed, and the prompter's token is
 * the answer. */
static void
test_step_up (Fixture       *fx,
              gconstpointer  data)
{
  g_autoptr(GDBusConnection) caller = kt_test_bus_new_connection ();
  g_autoptr(GError) error = NULL;
  g_autofree char *long_reason = g_strnfill (201, 'a');
  const char *bad[][2] = {
    { "console:project:delete", "Delete it" },
    { "credential:unlink", "" },
    { "credential:unlink", "Two\nlines" },
    { "credential:unlink", "Sign \u202Eefil" },
    { "credential:unlink", "Escape \x1b[2J" },
    { "credential:unlink", long_reason },
  };
  Call *call;

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      call = call_service (fx, caller, bad[i][0], bad[i][1], FALSE, &error);
      g_assert_null (call);
      g_assert_error (error, G_DBUS_ERROR, G_DBUS_ERROR_INVALID_ARGS);
      g_clear_error (&error);
    }
  g_assert_cmpuint (fx->person->asked->len, ==, 0);

  for (int i = 0; i < 2; i++)
    {
      call = call_service (fx, caller, "wallet:sign", "Sign the transfer", FALSE, &error);
      g_assert_no_error (error);
      await_prompt (fx);
      if (i == 0)
        {
          /* Not yet allowed to use the sign-in at all: that is asked first. */
          answer_consent (fx->person, KT_CONSENT_ALWAYS_ALLOW);
          await_prompt (fx);
        }
      g_assert_cmpstr (g_ptr_array_index (fx->person->asked, fx->person->asked->len - 1), ==,
                       "step-up:wallet:sign:Sign the transfer");
      answer_step_up (fx->person, "scripted-token");
      await_answer (fx, call);
      g_assert_cmpuint (call->response, ==, 0);
      g_assert_cmpstr (result_string (call, "token"), ==, "scripted-token");
      g_assert_cmpstr (result_string (call, "scope"), ==, "wallet:sign");
      call_free (call);
    }
  g_assert_cmpuint (fx->person->asked->len, ==, 3);

  call = call_service (fx, caller, "wallet:sign", "Sign another", FALSE, &error);
  g_assert_no_error (error);
  await_prompt (fx);
  answer_step_up (fx->person, NULL);
  await_answer (fx, call);
  g_assert_cmpuint (call->response, ==, 1);
  g_assert_cmpstr (result_string (call, "error"), ==, "cancelled");
  g_assert_false (g_variant_lookup (call->results, "token", "&s", NULL));
  call_free (call);
}

/* Nobody signed in: 2 at once, with no prompt, unless the caller asks for the sign-in; the
 * SignedIn property and SessionChanged follow the session. */
static void
test_signed_out (Fixture       *fx,
                 gconstpointer  data)
{
  g_autoptr(GDBusConnection) caller = kt_test_bus_new_connection ();
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) signed_in = NULL;
  g_autoptr(Call) changed = g_new0 (Call, 1);
  g_autofree char *printed = NULL;
  Call *call;

  signed_in = call_sync (caller, fx->service_name, SERVICE_PATH,
                         "org.freedesktop.DBus.Properties", "Get",
                         g_variant_new ("(ss)", SESSION_IFACE, "SignedIn"), &error);
  g_assert_no_error (error);
  printed = g_variant_print (signed_in, FALSE);
  g_assert_cmpstr (printed, ==, "(<true>,)");

  /* SessionChanged goes to everyone, and says only what changed. */
  changed->bus = g_object_ref (caller);
  changed->path = g_strdup ("");
  changed->subscription = g_dbus_connection_signal_subscribe (caller, NULL, SESSION_IFACE,
                                                              "SessionChanged", SERVICE_PATH,
                                                              NULL, G_DBUS_SIGNAL_FLAGS_NONE,
                                                              on_changed, changed, NULL);
  flow_sign_out (&fx->f);
  await_answer (fx, changed);
  g_assert_cmpstr (g_variant_get_type_string (changed->results), ==, "(s)");
  {
    const char *what;

    g_variant_get (changed->results, "(&s)", &what);
    g_assert_cmpstr (what, ==, "signed-out");
  }

  call = get_session (fx, caller);
  await_answer (fx, call);
  g_assert_cmpuint (call->response, ==, 2);
  g_assert_cmpstr (result_string (call, "error"), ==, "not-signed-in");
  g_assert_cmpuint (fx->person->asked->len, ==, 0);
  call_free (call);

  call = call_service (fx, caller, NULL, NULL, TRUE, &error);
  g_assert_no_error (error);
  await_prompt (fx);
  g_assert_cmpstr (g_ptr_array_index (fx->person->asked, 0), ==, consent_of_own ());
  answer_consent (fx->person, KT_CONSENT_ALLOW_ONCE);
  await_prompt (fx);
  g_assert_cmpstr (g_ptr_array_index (fx->person->asked, 1), ==, "sign-in");
  {
    g_autoptr(GTask) task = take_prompt (fx->person);

    g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_CANCELLED, "closed");
  }
  await_answer (fx, call);
  g_assert_cmpuint (call->response, ==, 1);
  call_free (call);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add ("/service/answer-goes-to-caller-alone", Fixture, NULL, fixture_setup,
              test_answer_goes_to_caller_alone, fixture_teardown);
  g_test_add ("/service/consent-kept-only-when-always", Fixture, NULL, fixture_setup,
              test_consent_is_kept_only_when_always, fixture_teardown);
  g_test_add ("/service/denied-caller-cannot-flood", Fixture, NULL, fixture_setup,
              test_denied_caller_cannot_flood, fixture_teardown);
  g_test_add ("/service/one-prompt-at-a-time", Fixture, NULL, fixture_setup,
              test_one_prompt_at_a_time, fixture_teardown);
  g_test_add ("/service/step-up", Fixture, NULL, fixture_setup, test_step_up, fixture_teardown);
  g_test_add ("/service/signed-out", Fixture, NULL, fixture_setup, test_signed_out,
              fixture_teardown);

  return g_test_run ();
}
