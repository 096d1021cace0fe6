/* ks-config.h: the environments the sandbox serves, from a JSON file or the built-in demo
 *
 * Copyright 2026 Keyturn developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define KS_CONFIG_ERROR (ks_config_error_quark ())

typedef enum {
  KS_CONFIG_ERROR_INVALID,
} KsConfigError;

GQuark ks_config_error_quark (void);

/* Actions an environment may guard with a single-use MFA token (x-mfa-auth-token). */
typedef enum {
  KS_ACTION_DELETE_PASSKEY     = 1 << 0,
  KS_ACTION_RENAME_PASSKEY     = 1 << 1,
  KS_ACTION_NEW_RECOVERY_CODES = 1 << 2,
  KS_ACTION_LINK_PASSKEY       = 1 << 3,   /* a passkey added by a signed-in user */
} KsAction;

typedef struct {
  char     *id;
  char     *display_name;
  char     *rp_id;
  char     *rp_name;
  char     *origin;                   /* NULL in the file means http://localhost:PORT */
  gboolean  mfa_required;
  gboolean  require_user_verification;
  char     *attestation;              /* "none", "indirect", "direct" or "enterprise" */
  guint     mfa_token_actions;        /* KsAction flags; legacy environments only */
  char     *min_api_version;          /* KS_API_VERSION_STEP_UP or KS_API_VERSION_LEGACY */
  gboolean  step_up;                  /* enforced: elevated access tokens, no x-mfa-auth-token */
  char    **single_use_scopes;        /* NULL: the wallet:* scopes, as Dynamic's default */
  gboolean  cookie_sessions;          /* answers carry no minifiedJwt */

  /* Lifetimes, in seconds. */
  gint64    access_token_lifetime;
  gint64    session_lifetime;
  gint64    email_code_lifetime;
  gint64    email_retry_interval;
  gint64    challenge_lifetime;
  gint64    mfa_token_lifetime;
  gint64    elevated_single_use_lifetime;
  gint64    elevated_time_bound_lifetime;

  /* Limits on email codes ("limits" in the file). */
  gint64    email_guesses_per_verification;   /* wrong guesses in all, resends included */
  gint64    email_guesses_per_address_hour;   /* wrong guesses at one address in an hour */
  gint64    email_codes_per_minute;           /* codes sent in the environment in a minute */
} KsEnvironment;

/* Dynamic's API versions (ProjectSettings.sdk.minApiVersion): step-up is enforced since the
 * second; the first keeps the legacy x-mfa-auth-token. */
#define KS_API_VERSION_LEGACY   "2026_01_01"
#define KS_API_VERSION_STEP_UP  "2026_04_01"


typedef struct {
  GPtrArray *environments;            /* of KsEnvironment, the first is the default */
} KsConfig;

KsConfig      *ks_config_new_demo        (const char     *environment_id);
KsConfig      *ks_config_load_from_data  (const char     *data,
                                          gssize          length,
                                          GError        **error);
KsConfig      *ks_config_load            (const char     *path,
                                          GError        **error);
void           ks_config_free            (KsConfig       *self);
void           ks_config_set_port        (KsConfig       *self,
                                          guint           port);
KsEnvironment *ks_config_lookup          (KsConfig       *self,
                                          const char     *environment_id);
KsEnvironment *ks_config_get_default     (KsConfig       *self);
const char    *ks_action_to_string       (KsAction        action);
/* Sets @env's API version; FALSE when @version is not one of the two above. */
gboolean       ks_environment_set_api_version (KsEnvironment *env,
                                               const char    *version);
/* Whether an elevated token for @scope is single-use in @env. */
gboolean       ks_environment_scope_is_single_use (KsEnvironment *env,
                                                   const char    *scope);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (KsConfig, ks_config_free)

G_END_DECLS
