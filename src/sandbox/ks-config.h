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
  guint     mfa_token_actions;        /* KsAction flags */

  /* Lifetimes, in seconds. */
  gint64    access_token_lifetime;
  gint64    session_lifetime;
  gint64    email_code_lifetime;
  gint64    email_retry_interval;
  gint64    challenge_lifetime;
  gint64    mfa_token_lifetime;

  /* Limits on email codes ("limits" in the file). */
  gint64    email_guesses_per_verification;   /* wrong guesses in all, resends included */
  gint64    email_guesses_per_address_hour;   /* wrong guesses at one address in an hour */
  gint64    email_codes_per_minute;           /* codes sent in the environment in a minute */
} KsEnvironment;

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

G_DEFINE_AUTOPTR_CLEANUP_FUNC (KsConfig, ks_config_free)

G_END_DECLS
