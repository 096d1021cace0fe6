/* kt-sign-in-service.c: the desktop's sign-in, on the session bus
 *
 * Copyright 2026 Keyturn developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "keyturn-service"

#include "kt-sign-in-service.h"

#include <glib/gi18n-lib.h>
#include <string.h>

#include "kt-caller.h"
#include "kt-dbus-generated.h"
#include "kt-service-request.h"
#include "kt-token-scope.h"
#include "kt-secret.h"

/* A caller may have this many calls waiting at once; more are refused. */
#define KT_SERVICE_CALLS_PER_CALLER 4
/* A reason longer than this is refused: the prompt quotes it whole. */
#define KT_SERVICE_REASON_MAX_CHARS 200

typedef enum {
  CALL_GET_SESSION,
  CALL_STEP_UP,
} CallKind;

/* One call, from its arrival to its answer. */
typedef struct
{
  KtSignInService  *service;        /* borrowed: the service outlives its calls */
  KtServiceRequest *request;
  CallKind          kind;
  char             *sender;
  KtCaller         *caller;         /* NULL until identified */
  GError           *identify_error;
  gboolean          interactive;
  gboolean          allowed_once;   /* the person allowed it in this call's own prompt */
  char             *scope;
  char             *reason;
} Call;

struct _KtSignInService
{
  GObject          parent_instance;

  GApplication    *app;             /* borrowed, held while calls wait */
  KtPrompter      *prompter;
  KtGrantStore    *grants;
  KtMfaController *controller;
  char            *base_url;
  char            *environment_id;
  GSignalGroup    *controller_signals;

  GDBusConnection *bus;
  KtDbusSession1  *skeleton;
  guint            name_owner_changed;

  GList           *calls;           /* every Call not yet answered */
  GQueue           queue;           /* the Calls waiting for their turn, in order */
  Call            *running;         /* the Call whose prompt is up */
  GHashTable      *callers;         /* unique name -> KtCaller, until it leaves the bus */
  GHashTable      *quiet_until;     /* caller id -> monotonic time before which no prompt */
  gboolean         signed_in;
  gboolean         grants_ready;     /* the remembered answers were read, or could not be */
};

G_DEFINE_FINAL_TYPE (KtSignInService, kt_sign_in_service, G_TYPE_OBJECT)

static void run_queue (KtSignInService *self);

/* Calls */

static void
call_free (Call *call)
{
  g_clear_object (&call->request);
  g_clear_object (&call->caller);
  g_clear_error (&call->identify_error);
  g_free (call->sender);
  g_free (call->scope);
  g_free (call->reason);
  g_free (call);
}

/* The call is done, answered or withdrawn: the next one may go. */
static void
finish_call (Call *call)
{
  KtSignInService *self = call->service;

  self->calls = g_list_remove (self->calls, call);
  g_queue_remove (&self->queue, call);
  if (self->running == call)
    self->running = NULL;
  if (self->app != NULL)
    g_application_release (self->app);
  call_free (call);
  run_queue (self);
}

static gboolean
call_withdrawn (Call *call)
{
  return g_cancellable_is_cancelled (kt_service_request_get_cancellable (call->request));
}

static void
fail_call (Call       *call,
           KtResponse  response,
           const char *reason,
           const char *message)
{
  kt_service_request_fail (call->request, response, reason, message);
  finish_call (call);
}

/* Answers @call with @results, which hold @token: the copies inside the message are GLib's,
 * @token is ours to wipe. */
static void
succeed_call (Call         *call,
              GVariantDict *results,
              char         *token)
{
  kt_service_request_respond (call->request, KT_RESPONSE_SUCCESS, g_variant_dict_end (results));
  kt_secret_free (token);
  finish_call (call);
}

/* The answers that end a call without a prompt's result. */
static void
fail_not_signed_in (Call *call)
{
  fail_call (call, KT_RESPONSE_OTHER, "not-signed-in", _("Nobody is signed in to Keyturn."));
}

static void
fail_denied (Call *call)
{
  fail_call (call, KT_RESPONSE_CANCELLED, "denied",
             _("You did not allow this app to use your sign-in."));
}

/* A call whose caller withdrew it while a prompt was up ends here, with no answer. */
static gboolean
end_if_withdrawn (Call *call)
{
  if (!call_withdrawn (call))
    return FALSE;
  finish_call (call);
  return TRUE;
}

static gboolean
is_ready (KtSignInService *self)
{
  return self->grants_ready && self->controller != NULL &&
         kt_mfa_controller_get_step (self->controller) != KT_MFA_STEP_STARTING;
}

static gboolean
is_signed_in (KtSignInService *self)
{
  return self->controller != NULL &&
         kt_mfa_controller_get_step (self->controller) == KT_MFA_STEP_SIGNED_IN;
}

static gboolean
is_allowed (Call *call)
{
  return call->allowed_once ||
         kt_grant_store_is_allowed (call->service->grants, kt_caller_get_id (call->caller));
}

static void
answer_session (Call *call)
{
  KtSignInService *self = call->service;
  g_auto(GVariantDict) results = G_VARIANT_DICT_INIT (NULL);
  KtUser *user = kt_mfa_controller_get_user (self->controller);
  gint64 expires_at = 0;
  char *token = kt_mfa_controller_dup_access_token (self->controller, &expires_at);

  if (token == NULL || user == NULL)
    {
      kt_secret_free (token);
      fail_not_signed_in (call);
      return;
    }

  g_variant_dict_insert (&results, "access_token", "s", token);
  g_variant_dict_insert (&results, "expires_at", "x", expires_at);
  g_variant_dict_insert (&results, "user_id", "s", kt_user_get_id (user));
  g_variant_dict_insert (&results, "email",
                         "s", kt_mfa_controller_get_email (self->controller) != NULL
                              ? kt_mfa_controller_get_email (self->controller) : "");
  g_variant_dict_insert (&results, "environment_id", "s", self->environment_id);
  g_variant_dict_insert (&results, "base_url", "s", self->base_url);
  g_debug ("Handing the session to %s (%s)", kt_caller_get_id (call->caller), call->sender);
  succeed_call (call, &results, token);
}

static void
quieten (Call *call)
{
  gint64 until = g_get_monotonic_time () + KT_SIGN_IN_SERVICE_QUIET_SECONDS * G_USEC_PER_SEC;

  g_hash_table_insert (call->service->quiet_until, g_strdup (kt_caller_get_id (call->caller)),
                       g_memdup2 (&until, sizeof until));
}

static gboolean
is_quiet (Call *call)
{
  gint64 *until = g_hash_table_lookup (call->service->quiet_until,
                                       kt_caller_get_id (call->caller));

  return until != NULL && *until > g_get_monotonic_time ();
}

/* Answers @call without asking anyone, when that is possible now. */
static gboolean
answer_without_prompt (Call *call)
{
  KtSignInService *self = call->service;

  if (!is_ready (self))
    return FALSE;
  if (!is_signed_in (self))
    {
      if (call->kind == CALL_GET_SESSION && call->interactive)
        return FALSE;
      fail_not_signed_in (call);
      return TRUE;
    }
  if (call->kind == CALL_GET_SESSION && is_allowed (call))
    {
      answer_session (call);
      return TRUE;
    }
  return FALSE;
}

/* The prompts */

static void start_step_up (Call *call);

static void
on_step_up_prompted (GObject      *source,
                     GAsyncResult *result,
                     gpointer      user_data)
{
  Call *call = user_data;
  g_autoptr(GError) error = NULL;
  gint64 expires_at = 0;
  char *token = kt_prompter_step_up_finish (KT_PROMPTER (source), result, &expires_at, &error);
  g_auto(GVariantDict) results = G_VARIANT_DICT_INIT (NULL);
  KtMfaController *controller = call->service->controller;

  if (call_withdrawn (call))
    kt_secret_free (g_steal_pointer (&token));
  if (end_if_withdrawn (call))
    return;
  if (token == NULL)
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        {
          quieten (call);
          fail_call (call, KT_RESPONSE_CANCELLED, "cancelled",
                     _("The confirmation was cancelled."));
        }
      else
        fail_call (call, KT_RESPONSE_OTHER, "failed", error->message);
      return;
    }

  g_variant_dict_insert (&results, "token", "s", token);
  g_variant_dict_insert (&results, "token_type", "s",
                         controller != NULL && kt_mfa_controller_get_uses_elevated_tokens (controller)
                         ? "elevated-access-token" : "mfa-token");
  g_variant_dict_insert (&results, "expires_at", "x", expires_at);
  g_variant_dict_insert (&results, "scope", "s", call->scope);
  g_debug ("Stepped up %s for %s", call->scope, kt_caller_get_id (call->caller));
  succeed_call (call, &results, token);
}

static void
start_step_up (Call *call)
{
  kt_prompter_step_up (call->service->prompter, call->caller, call->scope, call->reason,
                       kt_service_request_get_cancellable (call->request), on_step_up_prompted,
                       call);
}

static void
on_signed_in (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  Call *call = user_data;
  g_autoptr(GError) error = NULL;
  gboolean signed_in = kt_prompter_sign_in_finish (KT_PROMPTER (source), result, &error);

  if (end_if_withdrawn (call))
    return;
  if (signed_in && is_signed_in (call->service))
    answer_session (call);
  else
    fail_call (call, KT_RESPONSE_CANCELLED, "cancelled", _("Nobody signed in."));
}

/* The caller may use the sign-in: on to what it asked for. */
static void
go_on_allowed (Call *call)
{
  KtSignInService *self = call->service;

  if (call->kind == CALL_STEP_UP)
    {
      if (!is_signed_in (self))
        fail_not_signed_in (call);
      else
        start_step_up (call);
    }
  else if (is_signed_in (self))
    answer_session (call);
  else if (call->interactive)
    kt_prompter_sign_in (self->prompter, call->caller,
                         kt_service_request_get_cancellable (call->request), on_signed_in, call);
  else
    fail_not_signed_in (call);
}

static void
on_allowed_kept (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  Call *call = user_data;
  g_autoptr(GError) error = NULL;

  /* The call goes on either way; only the next one asks again. */
  if (!kt_grant_store_allow_finish (KT_GRANT_STORE (source), result, &error))
    g_warning ("The permission could not be kept: %s", error->message);
  if (!end_if_withdrawn (call))
    go_on_allowed (call);
}

static void
on_consent (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  Call *call = user_data;
  g_autoptr(GError) error = NULL;
  KtConsent consent = kt_prompter_ask_consent_finish (KT_PROMPTER (source), result, &error);

  if (end_if_withdrawn (call))
    return;
  if (error != NULL && !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      fail_call (call, KT_RESPONSE_OTHER, "failed", error->message);
      return;
    }
  if (error != NULL || consent == KT_CONSENT_DENY)
    {
      g_debug ("%s was denied the sign-in", kt_caller_get_id (call->caller));
      quieten (call);
      fail_denied (call);
      return;
    }

  call->allowed_once = TRUE;
  /* Kept before the answer, so that the caller's next call finds it kept. */
  if (consent == KT_CONSENT_ALWAYS_ALLOW)
    kt_grant_store_allow_async (call->service->grants, kt_caller_get_id (call->caller), NULL,
                                on_allowed_kept, call);
  else
    go_on_allowed (call);
}

static void
start_call (Call *call)
{
  if (is_allowed (call))
    go_on_allowed (call);
  else
    kt_prompter_ask_consent (call->service->prompter, call->caller,
                             kt_service_request_get_cancellable (call->request), on_consent, call);
}

/* Starts the next call that waits, once the last one's prompt is gone and the controller knows
 * whether anyone is signed in. */
static void
run_queue (KtSignInService *self)
{
  while (self->running == NULL && is_ready (self) && !g_queue_is_empty (&self->queue))
    {
      Call *call = g_queue_pop_head (&self->queue);

      if (end_if_withdrawn (call))
        return;   /* finish_call ran the queue */
      if (is_quiet (call))
        {
          fail_denied (call);
          return;
        }
      if (answer_without_prompt (call))
        return;
      self->running = call;
      start_call (call);
    }
}

/* A call's caller is known (or could not be): answer it, or queue it for a prompt. */
static void
call_identified (Call *call)
{
  KtSignInService *self = call->service;
  guint from_sender = 0;

  if (end_if_withdrawn (call))
    return;
  if (call->caller == NULL)
    {
      g_debug ("Could not tell who %s is: %s", call->sender, call->identify_error->message);
      fail_call (call, KT_RESPONSE_OTHER, "unidentified-caller",
                 _("Keyturn could not tell which app is asking."));
      return;
    }
  if (is_quiet (call))
    {
      fail_denied (call);
      return;
    }
  if (answer_without_prompt (call))
    return;

  for (GList *l = self->queue.head; l != NULL; l = l->next)
    from_sender += g_str_equal (((Call *) l->data)->sender, call->sender);
  if (from_sender >= KT_SERVICE_CALLS_PER_CALLER)
    {
      fail_call (call, KT_RESPONSE_OTHER, "busy",
                 _("This app has too many requests waiting already."));
      return;
    }
  g_queue_push_tail (&self->queue, call);
  run_queue (self);
}

static void
on_caller_identified (GObject      *source,
                      GAsyncResult *result,
                      gpointer      user_data)
{
  Call *call = user_data;

  call->caller = kt_caller_identify_finish (result, &call->identify_error);
  /* A unique name is never used again, so what it was stays true while it is on the bus. */
  if (call->caller != NULL && call->service->bus != NULL)
    g_hash_table_replace (call->service->callers, g_strdup (call->sender),
                          g_object_ref (call->caller));
  call_identified (call);
}

/* Makes the Request, answers the method with it, and goes on to the call. */
static void
begin_call (KtSignInService       *self,
            GDBusMethodInvocation *invocation,
            GVariant              *options,
            Call                  *call)
{
  const char *sender = g_dbus_method_invocation_get_sender (invocation);
  g_autofree char *token = NULL;
  g_autofree char *path = NULL;
  g_autoptr(GError) error = NULL;
  KtCaller *known;

  if (!g_variant_lookup (options, "handle_token", "s", &token))
    token = g_strdup_printf ("keyturn%u", g_random_int ());
  path = kt_service_request_path_for (sender, token);
  if (path == NULL)
    {
      g_dbus_method_invocation_return_error_literal (invocation, G_DBUS_ERROR,
                                                     G_DBUS_ERROR_INVALID_ARGS,
                                                     "handle_token must be 1 to 64 ASCII "
                                                     "letters, digits and '_'");
      call_free (call);
      return;
    }
  call->request = kt_service_request_new (self->bus, sender, path, &error);
  if (call->request == NULL)
    {
      g_dbus_method_invocation_return_error (invocation, G_DBUS_ERROR, G_DBUS_ERROR_INVALID_ARGS,
                                             "handle_token %s is in use", token);
      call_free (call);
      return;
    }

  call->service = self;
  call->sender = g_strdup (sender);
  self->calls = g_list_prepend (self->calls, call);
  if (self->app != NULL)
    g_application_hold (self->app);

  g_dbus_method_invocation_return_value (invocation, g_variant_new ("(o)", path));
  known = g_hash_table_lookup (self->callers, sender);
  if (known != NULL)
    {
      call->caller = g_object_ref (known);
      call_identified (call);
    }
  else
    kt_caller_identify_async (self->bus, sender, NULL, on_caller_identified, call);
}

static gboolean
on_handle_get_session (KtDbusSession1        *skeleton,
                       GDBusMethodInvocation *invocation,
                       GVariant              *options,
                       KtSignInService       *self)
{
  Call *call = g_new0 (Call, 1);

  call->kind = CALL_GET_SESSION;
  g_variant_lookup (options, "interactive", "b", &call->interactive);
  begin_call (self, invocation, options, call);
  return G_DBUS_METHOD_INVOCATION_HANDLED;
}

/* The prompt quotes the reason as the app's own words: one short line of plain text, with no
 * control characters and none of the marks that reorder text (which could make the quoted
 * words read as something else). */
static gboolean
reason_is_one_plain_line (const char *reason)
{
  if (*reason == '\0' || g_utf8_strlen (reason, -1) > KT_SERVICE_REASON_MAX_CHARS)
    return FALSE;
  for (const char *p = reason; *p != '\0'; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);

      if (g_unichar_iscntrl (c) || (c >= 0x202A && c <= 0x202E) || (c >= 0x2066 && c <= 0x2069))
        return FALSE;
    }
  return TRUE;
}

static gboolean
on_handle_step_up (KtDbusSession1        *skeleton,
                   GDBusMethodInvocation *invocation,
                   const char            *scope,
                   const char            *reason,
                   GVariant              *options,
                   KtSignInService       *self)
{
  Call *call;

  if (!kt_token_scope_is_known (scope))
    {
      g_dbus_method_invocation_return_error (invocation, G_DBUS_ERROR, G_DBUS_ERROR_INVALID_ARGS,
                                             "%s is not a token scope Keyturn can ask for",
                                             scope);
      return G_DBUS_METHOD_INVOCATION_HANDLED;
    }
  if (!reason_is_one_plain_line (reason))
    {
      g_dbus_method_invocation_return_error (invocation, G_DBUS_ERROR, G_DBUS_ERROR_INVALID_ARGS,
                                             "The reason must be one line of 1 to %d "
                                             "characters of plain text",
                                             KT_SERVICE_REASON_MAX_CHARS);
      return G_DBUS_METHOD_INVOCATION_HANDLED;
    }

  call = g_new0 (Call, 1);
  call->kind = CALL_STEP_UP;
  call->scope = g_strdup (scope);
  call->reason = g_strdup (reason);
  begin_call (self, invocation, options, call);
  return G_DBUS_METHOD_INVOCATION_HANDLED;
}

/* Callers leaving the bus */

static void
on_name_owner_changed (GDBusConnection *bus,
                       const char      *sender_name,
                       const char      *object_path,
                       const char      *interface_name,
                       const char      *signal_name,
                       GVariant        *parameters,
                       gpointer         user_data)
{
  KtSignInService *self = user_data;
  const char *name, *old_owner, *new_owner;
  GList *gone = NULL;

  g_variant_get (parameters, "(&s&s&s)", &name, &old_owner, &new_owner);
  if (name[0] != ':' || new_owner[0] != '\0')
    return;

  g_hash_table_remove (self->callers, name);
  for (GList *l = self->calls; l != NULL; l = l->next)
    if (g_str_equal (((Call *) l->data)->sender, name))
      gone = g_list_prepend (gone, l->data);
  for (GList *l = gone; l != NULL; l = l->next)
    {
      Call *call = l->data;

      g_debug ("%s left the bus; its call is withdrawn", name);
      kt_service_request_withdraw (call->request);
      /* A call waiting in the queue or for its caller's identity ends when it is next looked
       * at; one with its prompt up ends as the prompt sees the cancellation. */
    }
  g_list_free (gone);
}

/* The session */

static void
set_signed_in (KtSignInService *self,
               gboolean         signed_in)
{
  if (self->signed_in == signed_in)
    return;
  self->signed_in = signed_in;
  if (self->skeleton == NULL)
    return;
  kt_dbus_session1_set_signed_in (self->skeleton, signed_in);
  kt_dbus_session1_emit_session_changed (self->skeleton, signed_in ? "signed-in" : "signed-out");
}

static void
on_step_changed (KtSignInService *self)
{
  set_signed_in (self, is_signed_in (self));
  run_queue (self);
}

static void
on_session_refreshed (KtSignInService *self)
{
  if (self->skeleton != NULL && self->signed_in)
    kt_dbus_session1_emit_session_changed (self->skeleton, "refreshed");
}

/* GObject */

static void
withdraw_all (KtSignInService *self)
{
  for (GList *l = self->calls; l != NULL; l = l->next)
    kt_service_request_withdraw (((Call *) l->data)->request);
}

static void
kt_sign_in_service_dispose (GObject *object)
{
  KtSignInService *self = KT_SIGN_IN_SERVICE (object);

  kt_sign_in_service_unexport (self);
  g_clear_object (&self->controller_signals);
  g_clear_object (&self->controller);
  g_clear_object (&self->prompter);
  g_clear_object (&self->grants);

  G_OBJECT_CLASS (kt_sign_in_service_parent_class)->dispose (object);
}

static void
kt_sign_in_service_finalize (GObject *object)
{
  KtSignInService *self = KT_SIGN_IN_SERVICE (object);

  g_free (self->base_url);
  g_free (self->environment_id);
  g_hash_table_unref (self->callers);
  g_hash_table_unref (self->quiet_until);

  G_OBJECT_CLASS (kt_sign_in_service_parent_class)->finalize (object);
}

static void
kt_sign_in_service_class_init (KtSignInServiceClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = kt_sign_in_service_dispose;
  object_class->finalize = kt_sign_in_service_finalize;
}

static void
kt_sign_in_service_init (KtSignInService *self)
{
  g_queue_init (&self->queue);
  self->callers = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_object_unref);
  self->quiet_until = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  self->controller_signals = g_signal_group_new (KT_TYPE_MFA_CONTROLLER);
  g_signal_group_connect_swapped (self->controller_signals, "notify::step",
                                  G_CALLBACK (on_step_changed), self);
  g_signal_group_connect_swapped (self->controller_signals, "session-refreshed",
                                  G_CALLBACK (on_session_refreshed), self);
}

static void
on_grants_loaded (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(KtSignInService) self = user_data;
  g_autoptr(GError) error = NULL;

  /* Unread, nobody counts as allowed: every caller is asked, which is safe. */
  if (!kt_grant_store_load_finish (KT_GRANT_STORE (source), result, &error))
    g_warning ("The apps allowed to use the sign-in could not be read: %s", error->message);
  self->grants_ready = TRUE;
  run_queue (self);
}

/* Public */

KtSignInService *
kt_sign_in_service_new (GApplication *app,
                        KtPrompter   *prompter,
                        KtGrantStore *grants)
{
  KtSignInService *self;

  g_return_val_if_fail (app == NULL || G_IS_APPLICATION (app), NULL);
  g_return_val_if_fail (KT_IS_PROMPTER (prompter), NULL);
  g_return_val_if_fail (KT_IS_GRANT_STORE (grants), NULL);

  self = g_object_new (KT_TYPE_SIGN_IN_SERVICE, NULL);
  self->app = app;
  self->prompter = g_object_ref (prompter);
  self->grants = g_object_ref (grants);
  if (kt_grant_store_get_loaded (grants))
    self->grants_ready = TRUE;
  else
    kt_grant_store_load_async (grants, NULL, on_grants_loaded, g_object_ref (self));
  return self;
}

gboolean
kt_sign_in_service_export (KtSignInService  *self,
                           GDBusConnection  *bus,
                           const char       *object_path,
                           GError          **error)
{
  g_autoptr(KtDbusSession1) skeleton = NULL;

  g_return_val_if_fail (KT_IS_SIGN_IN_SERVICE (self), FALSE);
  g_return_val_if_fail (G_IS_DBUS_CONNECTION (bus), FALSE);
  g_return_val_if_fail (self->skeleton == NULL, FALSE);

  skeleton = kt_dbus_session1_skeleton_new ();
  kt_dbus_session1_set_version (skeleton, 1);
  kt_dbus_session1_set_signed_in (skeleton, self->signed_in);
  g_signal_connect (skeleton, "handle-get-session", G_CALLBACK (on_handle_get_session), self);
  g_signal_connect (skeleton, "handle-step-up", G_CALLBACK (on_handle_step_up), self);
  if (!g_dbus_interface_skeleton_export (G_DBUS_INTERFACE_SKELETON (skeleton), bus, object_path,
                                         error))
    return FALSE;

  self->skeleton = g_steal_pointer (&skeleton);
  self->bus = g_object_ref (bus);
  self->name_owner_changed =
    g_dbus_connection_signal_subscribe (bus, "org.freedesktop.DBus", "org.freedesktop.DBus",
                                        "NameOwnerChanged", "/org/freedesktop/DBus", NULL,
                                        G_DBUS_SIGNAL_FLAGS_NONE, on_name_owner_changed, self,
                                        NULL);
  return TRUE;
}

void
kt_sign_in_service_unexport (KtSignInService *self)
{
  g_return_if_fail (KT_IS_SIGN_IN_SERVICE (self));

  withdraw_all (self);
  if (self->skeleton != NULL)
    {
      g_dbus_interface_skeleton_unexport (G_DBUS_INTERFACE_SKELETON (self->skeleton));
      g_clear_object (&self->skeleton);
    }
  if (self->bus != NULL)
    {
      g_dbus_connection_signal_unsubscribe (self->bus, self->name_owner_changed);
      self->name_owner_changed = 0;
      g_clear_object (&self->bus);
    }
  g_hash_table_remove_all (self->callers);
}

void
kt_sign_in_service_set_controller (KtSignInService *self,
                                   KtMfaController *controller,
                                   const char      *base_url,
                                   const char      *environment_id)
{
  g_return_if_fail (KT_IS_SIGN_IN_SERVICE (self));
  g_return_if_fail (controller == NULL || KT_IS_MFA_CONTROLLER (controller));

  if (self->controller != controller)
    {
      /* A prompt for the old configuration's session answers for nothing now. */
      if (self->running != NULL)
        {
          kt_service_request_fail (self->running->request, KT_RESPONSE_OTHER, "failed",
                                   _("Keyturn's configuration changed while you were asked."));
          kt_service_request_withdraw (self->running->request);
        }
      g_set_object (&self->controller, controller);
      g_signal_group_set_target (self->controller_signals, controller);
    }
  g_free (self->base_url);
  self->base_url = g_strdup (base_url != NULL ? base_url : "");
  g_free (self->environment_id);
  self->environment_id = g_strdup (environment_id != NULL ? environment_id : "");
  on_step_changed (self);
}

guint
kt_sign_in_service_get_pending (KtSignInService *self)
{
  g_return_val_if_fail (KT_IS_SIGN_IN_SERVICE (self), 0);
  return g_list_length (self->calls);
}
