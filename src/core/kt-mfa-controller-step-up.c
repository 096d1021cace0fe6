/* kt-mfa-controller-step-up.c: the fresh second factor some actions need: on API version
 * 2026_04_01 an elevated access token for the action's scope, asked for before the action
 * (POST /stepUp/check, then the key or a recovery code); on a legacy environment the single-use MFA
 * token, once the server refuses the action without it. Also the same proof run for another
 * application, whose token is handed out rather than kept
 *
 * Copyright 2026 Keyturn developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "keyturn-flow"

#include "kt-mfa-controller-private.h"

#include <glib/gi18n-lib.h>
#include <string.h>

#include "kt-secret.h"
#include "kt-token-scope.h"

/* The server asks for a fresh second factor before some actions (Dynamic's step-up). */
static gboolean
error_asks_for_step_up (const GError *error)
{
  const char *code = kt_api_error_get_server_code (error);

  return error != NULL && error->domain == KT_API_ERROR &&
         error->code == KT_API_ERROR_FORBIDDEN && code != NULL &&
         g_str_has_prefix (code, "mfa_token_");
}

gboolean
kt_mfa_controller_step_up_once (KtMfaController     *self,
                                GTask               *task,
                                const GError        *error,
                                KtMfaControllerNext  next)
{
  if (!error_asks_for_step_up (error) ||
      g_object_get_data (G_OBJECT (task), "kt-step-up-next") != NULL)
    return FALSE;

  g_object_set_data (G_OBJECT (task), "kt-step-up-next", (gpointer) next);
  kt_session_keeper_clear_mfa_token (self->keeper);
  kt_mfa_controller_authenticate_with_key (self, task);
  return TRUE;
}

/* Step-up with elevated access tokens (API version 2026_04_01) */

/* Dynamic's ProjectSettings.sdk.minApiVersion: "2026_04_01" and later enforce step-up with
 * scoped tokens; "2026_01_01", or no version at all, is the legacy MFA token. */
static gboolean
settings_enforce_scoped_step_up (JsonObject *settings)
{
  JsonObject *sdk = NULL;
  const char *version = NULL;

  if (json_object_has_member (settings, "sdk") &&
      JSON_NODE_HOLDS_OBJECT (json_object_get_member (settings, "sdk")))
    sdk = json_object_get_object_member (settings, "sdk");
  if (sdk != NULL && json_object_has_member (sdk, "minApiVersion") &&
      JSON_NODE_HOLDS_VALUE (json_object_get_member (sdk, "minApiVersion")) &&
      json_node_get_value_type (json_object_get_member (sdk, "minApiVersion")) == G_TYPE_STRING)
    version = json_object_get_string_member (sdk, "minApiVersion");

  /* The versions are dates written YYYY_MM_DD, so they sort as strings. */
  return version != NULL && strlen (version) == 10 && strcmp (version, "2026_04_01") >= 0;
}

static void
on_settings_for_version (GObject      *source,
                         GAsyncResult *result,
                         gpointer      user_data)
{
  GTask *task = user_data;
  KtMfaController *self = g_task_get_source_object (task);
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) settings = kt_api_client_get_settings_finish (KT_API_CLIENT (source),
                                                                      result, &error);
  KtMfaControllerNext next = (KtMfaControllerNext) g_object_get_data (G_OBJECT (task),
                                                                      "kt-version-next");

  if (kt_mfa_controller_end_on_failure (self, task, settings != NULL, &error))
    return;

  self->api_version_known = TRUE;
  self->scoped_step_up = settings_enforce_scoped_step_up (settings);
  g_debug ("The environment uses %s", self->scoped_step_up ? "elevated access tokens"
                                                           : "the legacy MFA token");
  next (self, task);
}

/* Calls @next once the environment's API version is known: its settings are read once. */
static void
with_api_version (KtMfaController     *self,
                  GTask               *task,
                  KtMfaControllerNext  next)
{
  if (self->api_version_known)
    {
      next (self, task);
      return;
    }
  g_object_set_data (G_OBJECT (task), "kt-version-next", (gpointer) next);
  kt_api_client_get_settings_async (self->api, g_task_get_cancellable (task),
                                    on_settings_for_version, task);
}

/* No proof is needed: the action waiting for the step-up goes ahead, and its task no longer
 * asks for one. */
static void
go_ahead (KtMfaController *self,
          GTask           *task)
{
  KtMfaControllerNext next = (KtMfaControllerNext) g_object_get_data (G_OBJECT (task),
                                                                      "kt-step-up-next");

  g_object_set_data (G_OBJECT (task), "kt-step-up-next", NULL);
  g_object_set_data (G_OBJECT (task), "kt-step-up-scope", NULL);
  next (self, task);
}

static void
on_step_up_checked (GObject      *source,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  GTask *task = user_data;
  KtMfaController *self = g_task_get_source_object (task);
  g_autoptr(GError) error = NULL;
  gboolean required = TRUE;

  if (!kt_api_client_check_step_up_finish (KT_API_CLIENT (source), result, &required, &error))
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED) ||
          g_error_matches (error, KT_API_ERROR, KT_API_ERROR_UNAUTHORIZED))
        {
          kt_mfa_controller_end_operation (self, task, g_steal_pointer (&error));
          return;
        }
      /* As Dynamic's client does: a check that failed counts as "required". */
      g_debug ("The step-up check failed (%s); asking for the key", error->message);
      required = TRUE;
    }

  if (!required)
    {
      go_ahead (self, task);
      return;
    }
  kt_mfa_controller_authenticate_with_key (self, task);
}

static void
step_up_with_version (KtMfaController *self,
                      GTask           *task)
{
  const char *scope = g_object_get_data (G_OBJECT (task), "kt-step-up-scope");

  /* A token held for the scope spares both the check and the key, until it expires. */
  if (!self->scoped_step_up || kt_api_client_has_elevated_token (self->api, scope))
    {
      go_ahead (self, task);
      return;
    }

  kt_api_client_check_step_up_async (self->api, scope, g_task_get_cancellable (task),
                                     on_step_up_checked, task);
}

void
kt_mfa_controller_step_up (KtMfaController     *self,
                           GTask               *task,
                           const char          *scope,
                           KtMfaControllerNext  next)
{
  g_object_set_data (G_OBJECT (task), "kt-step-up-next", (gpointer) next);
  g_object_set_data (G_OBJECT (task), "kt-step-up-scope", (gpointer) scope);
  with_api_version (self, task, step_up_with_version);
}

static void
end_stepped_up (KtMfaController *self,
                GTask           *task)
{
  kt_mfa_controller_end_operation (self, task, NULL);
}

void
kt_mfa_controller_step_up_async (KtMfaController     *self,
                                 const char          *scope,
                                 GCancellable        *cancellable,
                                 GAsyncReadyCallback  callback,
                                 gpointer             user_data)
{
  GTask *task;

  g_return_if_fail (KT_IS_MFA_CONTROLLER (self));
  g_return_if_fail (scope != NULL);

  task = kt_mfa_controller_begin_operation (self, kt_mfa_controller_step_up_async, cancellable,
                                            callback, user_data);
  if (task == NULL)
    return;
  g_object_set_data_full (G_OBJECT (task), "kt-scope-copy", g_strdup (scope), g_free);
  kt_mfa_controller_step_up (self, task, g_object_get_data (G_OBJECT (task), "kt-scope-copy"),
                             end_stepped_up);
}

static void hand_out (KtMfaController *self,
                      GTask           *task);

/* A recovery code in place of the key: earns the token for @scope and ends, and the action
 * asked again then finds it held; or, for another application, hands it out. */
static void
on_recovery_code_stepped_up (GObject      *source,
                             GAsyncResult *result,
                             gpointer      user_data)
{
  GTask *task = user_data;
  KtMfaController *self = g_task_get_source_object (task);
  g_autoptr(GError) error = NULL;
  g_autoptr(KtVerifyResponse) response =
    kt_api_client_authenticate_recovery_code_finish (KT_API_CLIENT (source), result, &error);

  if (kt_mfa_controller_end_on_failure (self, task, response != NULL, &error))
    return;

  if (kt_mfa_controller_keep_proof (self, task, response))
    hand_out (self, task);
  else
    kt_mfa_controller_end_operation (self, task, NULL);
}

/* Sends @code to earn the elevated token for @scope; a legacy environment has no scopes, and
 * the MFA token is asked for instead. */
static void
prove_with_recovery_code (KtMfaController *self,
                          GTask           *task,
                          const char      *code,
                          const char      *scope)
{
  const char *elevated_scope = self->scoped_step_up ? scope : NULL;

  kt_api_client_authenticate_recovery_code_async (self->api, code, elevated_scope == NULL,
                                                  elevated_scope, g_task_get_cancellable (task),
                                                  on_recovery_code_stepped_up, task);
}

static void
step_up_with_recovery_code_now (KtMfaController *self,
                                GTask           *task)
{
  prove_with_recovery_code (self, task, g_task_get_task_data (task),
                            g_object_get_data (G_OBJECT (task), "kt-recovery-scope"));
}

void
kt_mfa_controller_step_up_with_recovery_code_async (KtMfaController     *self,
                                                    const char          *scope,
                                                    const char          *code,
                                                    GCancellable        *cancellable,
                                                    GAsyncReadyCallback  callback,
                                                    gpointer             user_data)
{
  g_autoptr(KtSecret) trimmed = g_strstrip (g_strdup (code != NULL ? code : ""));
  GTask *task;

  g_return_if_fail (KT_IS_MFA_CONTROLLER (self));
  g_return_if_fail (scope != NULL);

  task = kt_mfa_controller_begin_operation (self,
                                            kt_mfa_controller_step_up_with_recovery_code_async,
                                            cancellable, callback, user_data);
  if (task == NULL)
    return;

  if (kt_mfa_controller_refuse_missing_code (self, task, trimmed))
    return;

  g_task_set_task_data (task, g_steal_pointer (&trimmed), (GDestroyNotify) kt_secret_free);
  g_object_set_data_full (G_OBJECT (task), "kt-recovery-scope", g_strdup (scope), g_free);
  /* The version decides what the code is asked to earn. */
  with_api_version (self, task, step_up_with_recovery_code_now);
}

gboolean
kt_mfa_controller_get_uses_elevated_tokens (KtMfaController *self)
{
  g_return_val_if_fail (KT_IS_MFA_CONTROLLER (self), FALSE);

  return self->api_version_known && self->scoped_step_up;
}

/* An elevated token for another application: always a fresh proof, never a token held here,
 * and what it earns leaves with the caller. */

typedef struct {
  char *scope;
  char *recovery_code;          /* NULL: the key */
  char *token;                  /* what the proof earned, until the caller takes it */
  gint64 expires_at;
} HandOut;

static void
hand_out_free (HandOut *data)
{
  g_free (data->scope);
  kt_secret_free (data->recovery_code);
  kt_secret_free (data->token);
  g_free (data);
}

/* Ends the operation with the token the proof's answer ("kt-step-up-response") carries for the
 * caller: the elevated access token on an enforced environment, the MFA token on a legacy one.
 * The session's own token in it has been taken already. */
static void
hand_out (KtMfaController *self,
          GTask           *task)
{
  HandOut *data = g_task_get_task_data (task);
  KtVerifyResponse *response = g_object_get_data (G_OBJECT (task), "kt-step-up-response");
  const char *token = self->scoped_step_up
                      ? kt_verify_response_get_elevated_access_token (response)
                      : kt_verify_response_get_mfa_token (response);

  if (token == NULL)
    {
      kt_mfa_controller_end_operation (self, task,
                                       g_error_new_literal (KT_API_ERROR, KT_API_ERROR_MALFORMED,
                                                            _("The server accepted the proof "
                                                              "but gave no token for it.")));
      return;
    }
  data->token = g_strdup (token);
  data->expires_at = kt_elevated_tokens_read_expiry (token);
  g_debug ("A %s was handed out", self->scoped_step_up ? "elevated access token"
                                                       : "single-use MFA token");
  kt_mfa_controller_end_operation (self, task, NULL);
}

static void
request_elevated_token_now (KtMfaController *self,
                            GTask           *task)
{
  HandOut *data = g_task_get_task_data (task);

  g_object_set_data (G_OBJECT (task), "kt-step-up-hand-out", GINT_TO_POINTER (TRUE));
  if (data->recovery_code != NULL)
    {
      prove_with_recovery_code (self, task, data->recovery_code, data->scope);
      return;
    }

  /* No POST /stepUp/check and no token held for the scope: the caller wants a proof now. A
   * legacy environment has no scopes: the MFA token is asked for instead. */
  g_object_set_data (G_OBJECT (task), "kt-step-up-next", (gpointer) hand_out);
  g_object_set_data (G_OBJECT (task), "kt-step-up-scope",
                     self->scoped_step_up ? data->scope : NULL);
  kt_mfa_controller_authenticate_with_key (self, task);
}

void
kt_mfa_controller_request_elevated_token_async (KtMfaController     *self,
                                                const char          *scope,
                                                const char          *recovery_code,
                                                GCancellable        *cancellable,
                                                GAsyncReadyCallback  callback,
                                                gpointer             user_data)
{
  char *code = recovery_code != NULL ? g_strstrip (g_strdup (recovery_code)) : NULL;
  HandOut *data;
  GTask *task;

  g_return_if_fail (KT_IS_MFA_CONTROLLER (self));

  task = kt_mfa_controller_begin_operation (self, kt_mfa_controller_request_elevated_token_async,
                                            cancellable, callback, user_data);
  if (task == NULL)
    {
      kt_secret_free (code);
      return;
    }

  data = g_new0 (HandOut, 1);
  data->scope = g_strdup (scope);
  data->recovery_code = code;
  g_task_set_task_data (task, data, (GDestroyNotify) hand_out_free);

  /* What another application asks is checked before anything is sent. */
  if (self->step != KT_MFA_STEP_SIGNED_IN)
    kt_mfa_controller_refuse (self, task, KT_MFA_CONTROLLER_ERROR_WRONG_STEP,
                              _("Nobody is signed in to Keyturn."));
  else if (!kt_token_scope_is_known (scope))
    kt_mfa_controller_refuse (self, task, KT_MFA_CONTROLLER_ERROR_INVALID_INPUT,
                              _("Keyturn does not know the permission that was asked for."));
  /* A code, when one is given, must hold something; without one the proof is the key's. */
  else if (code == NULL || !kt_mfa_controller_refuse_missing_code (self, task, code))
    /* The version decides what the proof is asked to earn. */
    with_api_version (self, task, request_elevated_token_now);
}

char *
kt_mfa_controller_request_elevated_token_finish (KtMfaController  *self,
                                                 GAsyncResult     *result,
                                                 gint64           *expires_at,
                                                 GError          **error)
{
  HandOut *data;

  if (expires_at != NULL)
    *expires_at = 0;
  g_return_val_if_fail (KT_IS_MFA_CONTROLLER (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) ==
                        kt_mfa_controller_request_elevated_token_async, NULL);

  if (!g_task_propagate_boolean (G_TASK (result), error))
    return NULL;
  data = g_task_get_task_data (G_TASK (result));
  if (expires_at != NULL)
    *expires_at = data->expires_at;
  return g_steal_pointer (&data->token);
}
