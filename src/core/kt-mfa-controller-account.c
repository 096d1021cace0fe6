/* kt-mfa-controller-account.c: what a signed-in person does with their account through the
 * controller: their recovery codes, adding, renaming or deleting their passkeys, and signing out
 *
 * Copyright 2026 Keyturn developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "keyturn-flow"

#include "kt-mfa-controller-private.h"
#include "kt-secret.h"

#include <glib/gi18n-lib.h>

/* Each runs after a step-up when the environment enforces one, or again after the legacy
 * step-up when the server asked for it. */
static void create_recovery_codes_now (KtMfaController *self,
                                       GTask           *task);
static void rename_passkey_now        (KtMfaController *self,
                                       GTask           *task);
static void delete_passkey_now        (KtMfaController *self,
                                       GTask           *task);

/* The exit of an action the server may guard with a fresh second factor: unless @succeeded, the
 * key is touched once for an MFA token and the action runs @again, or the operation ends with
 * @error, and this returns TRUE for the caller to return at once. On success the token, if one
 * was held, was spent by the action. */
static gboolean
guarded_action_failed (KtMfaController     *self,
                       GTask               *task,
                       gboolean             succeeded,
                       GError             **error,
                       KtMfaControllerNext  again)
{
  if (!succeeded && kt_mfa_controller_step_up_once (self, task, *error, again))
    return TRUE;
  if (kt_mfa_controller_end_on_failure (self, task, succeeded, error))
    return TRUE;

  kt_session_keeper_clear_mfa_token (self->keeper);
  return FALSE;
}

/* Recovery codes */

static void
on_codes_fetched (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  GTask *task = user_data;
  KtMfaController *self = g_task_get_source_object (task);
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) codes = kt_api_client_get_recovery_codes_finish (KT_API_CLIENT (source), result,
                                                                 &error);

  if (kt_mfa_controller_end_on_failure (self, task, codes != NULL, &error))
    return;

  kt_mfa_controller_set_recovery_codes (self, codes);
  kt_mfa_controller_end_operation (self, task, NULL);
}

static void
fetch_recovery_codes_now (KtMfaController *self,
                          GTask           *task)
{
  kt_api_client_get_recovery_codes_async (self->api, g_task_get_cancellable (task),
                                          on_codes_fetched, task);
}

void
kt_mfa_controller_fetch_recovery_codes_async (KtMfaController     *self,
                                              GCancellable        *cancellable,
                                              GAsyncReadyCallback  callback,
                                              gpointer             user_data)
{
  g_return_if_fail (KT_IS_MFA_CONTROLLER (self));

  kt_mfa_controller_start (self, kt_mfa_controller_fetch_recovery_codes_async,
                           fetch_recovery_codes_now, cancellable, callback, user_data);
}

static void
on_codes_created (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  GTask *task = user_data;
  KtMfaController *self = g_task_get_source_object (task);
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) codes = kt_api_client_create_recovery_codes_finish (KT_API_CLIENT (source),
                                                                    result, &error);

  if (guarded_action_failed (self, task, codes != NULL, &error, create_recovery_codes_now))
    return;

  kt_mfa_controller_set_recovery_codes (self, codes);
  kt_mfa_controller_end_operation (self, task, NULL);
}

static void
create_recovery_codes_now (KtMfaController *self,
                           GTask           *task)
{
  kt_api_client_create_recovery_codes_async (self->api, g_task_get_cancellable (task),
                                             on_codes_created, task);
}

void
kt_mfa_controller_new_recovery_codes_async (KtMfaController     *self,
                                            GCancellable        *cancellable,
                                            GAsyncReadyCallback  callback,
                                            gpointer             user_data)
{
  g_return_if_fail (KT_IS_MFA_CONTROLLER (self));

  kt_mfa_controller_start (self, kt_mfa_controller_new_recovery_codes_async,
                           create_recovery_codes_now, cancellable, callback, user_data);
}

/* Passkeys */

static void
on_passkeys_refreshed (GObject      *source,
                       GAsyncResult *result,
                       gpointer      user_data)
{
  GTask *task = user_data;
  KtMfaController *self = g_task_get_source_object (task);
  g_autoptr(GError) error = NULL;
  g_autoptr(GListModel) passkeys = kt_api_client_list_passkeys_finish (KT_API_CLIENT (source),
                                                                      result, &error);

  if (passkeys != NULL)
    kt_mfa_controller_set_passkeys (self, passkeys);
  kt_mfa_controller_end_operation (self, task, g_steal_pointer (&error));
}

static void
refresh_passkeys_now (KtMfaController *self,
                      GTask           *task)
{
  kt_api_client_list_passkeys_async (self->api, g_task_get_cancellable (task),
                                     on_passkeys_refreshed, task);
}

void
kt_mfa_controller_refresh_passkeys_async (KtMfaController     *self,
                                          GCancellable        *cancellable,
                                          GAsyncReadyCallback  callback,
                                          gpointer             user_data)
{
  g_return_if_fail (KT_IS_MFA_CONTROLLER (self));

  kt_mfa_controller_start (self, kt_mfa_controller_refresh_passkeys_async, refresh_passkeys_now,
                           cancellable, callback, user_data);
}

static void
on_passkey_renamed (GObject      *source,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  GTask *task = user_data;
  KtMfaController *self = g_task_get_source_object (task);
  KtPasskey *passkey = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  g_autoptr(KtPasskey) renamed = kt_api_client_rename_passkey_finish (KT_API_CLIENT (source),
                                                                     result, &error);

  if (guarded_action_failed (self, task, renamed != NULL, &error, rename_passkey_now))
    return;

  if (g_strcmp0 (kt_passkey_get_id (renamed), kt_passkey_get_id (passkey)) == 0)
    kt_passkey_update_from (passkey, renamed);
  kt_mfa_controller_end_operation (self, task, NULL);
}

static void
rename_passkey_now (KtMfaController *self,
                    GTask           *task)
{
  KtPasskey *passkey = g_task_get_task_data (task);

  kt_api_client_rename_passkey_async (self->api, kt_passkey_get_id (passkey),
                                      g_object_get_data (G_OBJECT (task), "kt-alias"),
                                      g_task_get_cancellable (task), on_passkey_renamed, task);
}

void
kt_mfa_controller_rename_passkey_async (KtMfaController     *self,
                                        KtPasskey           *passkey,
                                        const char          *alias,
                                        GCancellable        *cancellable,
                                        GAsyncReadyCallback  callback,
                                        gpointer             user_data)
{
  g_autofree char *trimmed = g_strstrip (g_strdup (alias != NULL ? alias : ""));
  GTask *task;

  g_return_if_fail (KT_IS_MFA_CONTROLLER (self));
  g_return_if_fail (KT_IS_PASSKEY (passkey));

  task = kt_mfa_controller_begin_operation (self, kt_mfa_controller_rename_passkey_async,
                                            cancellable, callback, user_data);
  if (task == NULL)
    return;

  if (kt_mfa_controller_refuse_bad_name (self, task, trimmed, TRUE))
    return;

  g_task_set_task_data (task, g_object_ref (passkey), g_object_unref);
  g_object_set_data_full (G_OBJECT (task), "kt-alias", g_steal_pointer (&trimmed), g_free);
  rename_passkey_now (self, task);
}

static void
on_passkey_deleted (GObject      *source,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  GTask *task = user_data;
  KtMfaController *self = g_task_get_source_object (task);
  KtPasskey *passkey = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  gboolean deleted = kt_api_client_delete_passkey_finish (KT_API_CLIENT (source), result, &error);
  guint position;

  if (guarded_action_failed (self, task, deleted, &error, delete_passkey_now))
    return;

  if (g_list_store_find (self->passkeys, passkey, &position))
    g_list_store_remove (self->passkeys, position);
  kt_mfa_controller_end_operation (self, task, NULL);
}

static void
delete_passkey_now (KtMfaController *self,
                    GTask           *task)
{
  KtPasskey *passkey = g_task_get_task_data (task);

  kt_api_client_delete_passkey_async (self->api, kt_passkey_get_id (passkey),
                                      g_task_get_cancellable (task), on_passkey_deleted, task);
}

void
kt_mfa_controller_delete_passkey_async (KtMfaController     *self,
                                        KtPasskey           *passkey,
                                        GCancellable        *cancellable,
                                        GAsyncReadyCallback  callback,
                                        gpointer             user_data)
{
  GTask *task;

  g_return_if_fail (KT_IS_MFA_CONTROLLER (self));
  g_return_if_fail (KT_IS_PASSKEY (passkey));

  task = kt_mfa_controller_begin_operation (self, kt_mfa_controller_delete_passkey_async,
                                            cancellable, callback, user_data);
  if (task == NULL)
    return;

  g_task_set_task_data (task, g_object_ref (passkey), g_object_unref);
  kt_mfa_controller_step_up (self, task, KT_SCOPE_CREDENTIAL_UNLINK, delete_passkey_now);
}

/* A signed-in user's next key: after the step-up (credential:link), the registration as for the
 * first, whose token it sends. */
void
kt_mfa_controller_add_passkey_async (KtMfaController     *self,
                                     const char          *alias,
                                     GCancellable        *cancellable,
                                     GAsyncReadyCallback  callback,
                                     gpointer             user_data)
{
  GTask *task;

  g_return_if_fail (KT_IS_MFA_CONTROLLER (self));

  task = kt_mfa_controller_begin_registration (self, kt_mfa_controller_add_passkey_async, alias,
                                               TRUE, KT_SCOPE_CREDENTIAL_LINK, cancellable,
                                               callback, user_data);
  if (task == NULL)
    return;

  if (self->step != KT_MFA_STEP_SIGNED_IN)
    {
      kt_mfa_controller_refuse (self, task, KT_MFA_CONTROLLER_ERROR_WRONG_STEP,
                                _("Sign in before adding another security key."));
      return;
    }

  kt_mfa_controller_step_up (self, task, KT_SCOPE_CREDENTIAL_LINK,
                             kt_mfa_controller_start_registration);
}

/* Signing out */

/* Dynamic's client makes a new session key at sign-out, so the next session is not tied to this
 * one. */
static void
replace_session_key (KtMfaController *self)
{
  KtDeviceSigner *signer = kt_api_client_get_device_signer (self->api);

  if (signer != NULL)
    kt_device_signer_replace_session_key (signer);
}

/* A session the server could not be told to end is dropped here all the same; a client of its
 * own keeps its token, in memory only, for kt_mfa_controller_revoke_again_async(). */
#define PENDING_REVOCATION "kt-pending-revocation"

static GError *
revocation_failed (void)
{
  return g_error_new_literal (KT_MFA_CONTROLLER_ERROR, KT_MFA_CONTROLLER_ERROR_NOT_REVOKED,
                              _("Signed out on this computer only: the server could not be "
                                "reached, so the session stays valid until it expires. Try "
                                "again to end it there."));
}

/* Whether the server has ended the session, or never will take it again. */
static gboolean
revoked (KtApiClient   *api,
         GAsyncResult  *result)
{
  g_autoptr(GError) error = NULL;

  if (kt_api_client_revoke_finish (api, result, &error)
      || g_error_matches (error, KT_API_ERROR, KT_API_ERROR_UNAUTHORIZED))
    return TRUE;
  g_message ("Could not revoke the session on the server: %s", error->message);
  return FALSE;
}

/* Signing out always removes the session from this computer: ends the operation behind @task
 * with @error, which says whether the server ended it too. */
static void
end_signed_out (KtMfaController *self,
                GTask           *task,
                GError          *error)
{
  kt_mfa_controller_drop_session (self);
  kt_mfa_controller_end_operation (self, task, error);
}

static void
on_revoked (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  GTask *task = user_data;
  KtMfaController *self = g_task_get_source_object (task);
  KtApiClient *api = KT_API_CLIENT (source);

  replace_session_key (self);
  if (revoked (api, result))
    {
      end_signed_out (self, task, NULL);
      return;
    }

  /* What stays is the token the server needs to end the session, for a second try. */
  if (kt_api_client_has_access_token (api))
    {
      g_autoptr(KtApiClient) revoker =
        kt_api_client_new (kt_api_client_get_base_url (api),
                           kt_api_client_get_environment_id (api), NULL);
      char *token = kt_api_client_dup_access_token (api);

      if (revoker != NULL)
        {
          kt_api_client_set_access_token (revoker, token);
          g_object_set_data_full (G_OBJECT (self), PENDING_REVOCATION,
                                  g_steal_pointer (&revoker), g_object_unref);
        }
      kt_secret_free (token);
    }
  end_signed_out (self, task, revocation_failed ());
}

static void
sign_out_now (KtMfaController *self,
              GTask           *task)
{
  if (!kt_api_client_has_access_token (self->api))
    {
      replace_session_key (self);
      end_signed_out (self, task, NULL);
      return;
    }

  kt_api_client_revoke_async (self->api, g_task_get_cancellable (task), on_revoked, task);
}

void
kt_mfa_controller_sign_out_async (KtMfaController     *self,
                                  GCancellable        *cancellable,
                                  GAsyncReadyCallback  callback,
                                  gpointer             user_data)
{
  g_return_if_fail (KT_IS_MFA_CONTROLLER (self));

  kt_mfa_controller_start (self, kt_mfa_controller_sign_out_async, sign_out_now, cancellable,
                           callback, user_data);
}

gboolean
kt_mfa_controller_get_revocation_pending (KtMfaController *self)
{
  g_return_val_if_fail (KT_IS_MFA_CONTROLLER (self), FALSE);

  return g_object_get_data (G_OBJECT (self), PENDING_REVOCATION) != NULL;
}

static void
on_revoked_again (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  GTask *task = user_data;
  KtMfaController *self = g_task_get_source_object (task);

  if (!revoked (KT_API_CLIENT (source), result))
    {
      kt_mfa_controller_end_operation (self, task, revocation_failed ());
      return;
    }
  g_object_set_data (G_OBJECT (self), PENDING_REVOCATION, NULL);
  kt_mfa_controller_end_operation (self, task, NULL);
}

static void
revoke_again_now (KtMfaController *self,
                  GTask           *task)
{
  KtApiClient *revoker = g_object_get_data (G_OBJECT (self), PENDING_REVOCATION);

  if (revoker == NULL)
    {
      kt_mfa_controller_end_operation (self, task, NULL);
      return;
    }
  kt_api_client_revoke_async (revoker, g_task_get_cancellable (task), on_revoked_again, task);
}

/* Asks the server again to end the session a sign-out could not end there. */
void
kt_mfa_controller_revoke_again_async (KtMfaController     *self,
                                      GCancellable        *cancellable,
                                      GAsyncReadyCallback  callback,
                                      gpointer             user_data)
{
  g_return_if_fail (KT_IS_MFA_CONTROLLER (self));

  kt_mfa_controller_start (self, kt_mfa_controller_revoke_again_async, revoke_again_now,
                           cancellable, callback, user_data);
}
