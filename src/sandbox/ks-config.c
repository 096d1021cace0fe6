/* ks-config.c: the environments the sandbox serves, from a JSON file or the built-in demo
 *
 * Copyright 2026 Keyturn developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "ks-config.h"

#include <json-glib/json-glib.h>

#include "ks-json-strings.h"

G_DEFINE_QUARK (ks-config-error-quark, ks_config_error)

static const struct {
  KsAction    action;
  const char *name;
} action_names[] = {
  { KS_ACTION_DELETE_PASSKEY, "delete-passkey" },
  { KS_ACTION_RENAME_PASSKEY, "rename-passkey" },
  { KS_ACTION_NEW_RECOVERY_CODES, "new-recovery-codes" },
};

const char *
ks_action_to_string (KsAction action)
{
  for (guint i = 0; i < G_N_ELEMENTS (action_names); i++)
    if (action_names[i].action == action)
      return action_names[i].name;
  return "unknown";
}

static void
ks_environment_free (KsEnvironment *env)
{
  g_free (env->id);
  g_free (env->display_name);
  g_free (env->rp_id);
  g_free (env->rp_name);
  g_free (env->origin);
  g_free (env->attestation);
  g_free (env->min_api_version);
  g_strfreev (env->single_use_scopes);
  g_free (env);
}

static KsEnvironment *
ks_environment_new_default (const char *id)
{
  KsEnvironment *env = g_new0 (KsEnvironment, 1);

  env->id = g_strdup (id);
  env->display_name = g_strdup ("Keyturn demo");
  env->rp_id = g_strdup ("localhost");
  env->rp_name = g_strdup ("Keyturn demo");
  env->mfa_required = TRUE;
  env->require_user_verification = FALSE;
  env->attestation = g_strdup ("none");
  env->mfa_token_actions = KS_ACTION_DELETE_PASSKEY;
  env->access_token_lifetime = 60 * 60;
  env->session_lifetime = 7 * 24 * 60 * 60;
  env->email_code_lifetime = 10 * 60;
  env->email_retry_interval = 30;
  env->challenge_lifetime = 5 * 60;
  env->mfa_token_lifetime = 5 * 60;
  /* As Dynamic's environments created since 2026_04_01; MFASettingsActions' lifetimes. */
  ks_environment_set_api_version (env, KS_API_VERSION_STEP_UP);
  env->elevated_single_use_lifetime = 5 * 60;
  env->elevated_time_bound_lifetime = 10 * 60;
  env->email_guesses_per_verification = 10;
  env->email_guesses_per_address_hour = 20;
  env->email_codes_per_minute = 60;
  return env;
}

gboolean
ks_environment_set_api_version (KsEnvironment *env,
                                const char    *version)
{
  if (!g_str_equal (version, KS_API_VERSION_LEGACY)
      && !g_str_equal (version, KS_API_VERSION_STEP_UP))
    return FALSE;
  g_free (env->min_api_version);
  env->min_api_version = g_strdup (version);
  env->step_up = g_str_equal (version, KS_API_VERSION_STEP_UP);
  return TRUE;
}

gboolean
ks_environment_scope_is_single_use (KsEnvironment *env,
                                    const char    *scope)
{
  if (env->single_use_scopes == NULL)
    return g_str_has_prefix (scope, "wallet:");
  return g_strv_contains ((const char * const *) env->single_use_scopes, scope);
}

static KsConfig *
ks_config_new (void)
{
  KsConfig *self = g_new0 (KsConfig, 1);

  self->environments = g_ptr_array_new_with_free_func ((GDestroyNotify) ks_environment_free);
  return self;
}

KsConfig *
ks_config_new_demo (const char *environment_id)
{
  KsConfig *self = ks_config_new ();

  g_ptr_array_add (self->environments, ks_environment_new_default (environment_id));
  return self;
}

void
ks_config_free (KsConfig *self)
{
  if (self == NULL)
    return;
  g_ptr_array_unref (self->environments);
  g_free (self);
}

/* The file is strict: a misspelt key is an error, not a silently ignored setting. */
static gboolean
check_keys (JsonObject          *object,
            const char          *where,
            const char * const  *allowed,
            GError             **error)
{
  g_autoptr(GList) members = json_object_get_members (object);

  for (GList *l = members; l != NULL; l = l->next)
    {
      if (!g_strv_contains (allowed, l->data))
        {
          g_set_error (error, KS_CONFIG_ERROR, KS_CONFIG_ERROR_INVALID,
                       "%s: unknown key \"%s\"", where, (const char *) l->data);
          return FALSE;
        }
    }
  return TRUE;
}

static gboolean
holds_type (JsonNode *node,
            GType     type)
{
  return JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == type;
}

/* The error for a value of the wrong kind: "@where.@key must be @what". */
static gboolean
must_be (const char  *where,
         const char  *key,
         const char  *what,
         GError     **error)
{
  g_set_error (error, KS_CONFIG_ERROR, KS_CONFIG_ERROR_INVALID,
               "%s.%s must be %s", where, key, what);
  return FALSE;
}

/* Every value in the file is read through the readers below: when @key is in @object, its value
 * goes to @out if it is of the reader's kind, and an error says what it must be if not. An absent
 * key leaves @out as it is. */
static gboolean
read_string (JsonObject  *object,
             const char  *where,
             const char  *key,
             char       **out,
             GError     **error)
{
  JsonNode *node = json_object_get_member (object, key);

  if (node == NULL)
    return TRUE;
  if (!holds_type (node, G_TYPE_STRING) || *json_node_get_string (node) == '\0')
    return must_be (where, key, "a non-empty string", error);
  g_free (*out);
  *out = json_node_dup_string (node);
  return TRUE;
}

static gboolean
read_boolean (JsonObject  *object,
              const char  *where,
              const char  *key,
              gboolean    *out,
              GError     **error)
{
  JsonNode *node = json_object_get_member (object, key);

  if (node == NULL)
    return TRUE;
  if (!holds_type (node, G_TYPE_BOOLEAN))
    return must_be (where, key, "true or false", error);
  *out = json_node_get_boolean (node);
  return TRUE;
}

/* An object of settings with no keys but @allowed (an error names it as @section); *@out is NULL
 * when @key is absent. */
static gboolean
read_section (JsonObject          *object,
              const char          *where,
              const char          *key,
              const char          *section,
              const char * const  *allowed,
              JsonObject         **out,
              GError             **error)
{
  JsonNode *node = json_object_get_member (object, key);

  *out = NULL;
  if (node == NULL)
    return TRUE;
  if (!JSON_NODE_HOLDS_OBJECT (node))
    return must_be (where, key, "an object", error);
  *out = json_node_get_object (node);
  return check_keys (*out, section, allowed, error);
}

/* A setting that is a whole number, and the field of the environment it sets. */
typedef struct {
  const char *key;
  gint64     *out;
} NumberSetting;

/* The section @key of @object, when it is there: no keys but the @settings', each a whole number
 * from 1 to @max, which @what words for an error. */
static gboolean
read_numbers (JsonObject          *object,
              const char          *where,
              const char          *key,
              const NumberSetting *settings,
              guint                n_settings,
              gint64               max,
              const char          *what,
              GError             **error)
{
  g_autofree char *section_where = g_strdup_printf ("%s.%s", where, key);
  g_autoptr(GPtrArray) allowed = g_ptr_array_new ();
  JsonObject *section;

  for (guint i = 0; i < n_settings; i++)
    g_ptr_array_add (allowed, (gpointer) settings[i].key);
  g_ptr_array_add (allowed, NULL);
  if (!read_section (object, where, key, section_where, (const char * const *) allowed->pdata,
                     &section, error))
    return FALSE;

  for (guint i = 0; section != NULL && i < n_settings; i++)
    {
      JsonNode *node = json_object_get_member (section, settings[i].key);

      if (node == NULL)
        continue;
      if (!holds_type (node, G_TYPE_INT64)
          || json_node_get_int (node) < 1 || json_node_get_int (node) > max)
        return must_be (section_where, settings[i].key, what, error);
      *settings[i].out = json_node_get_int (node);
    }
  return TRUE;
}

/* The environment's "lifetimes" (in seconds, up to a year) and "limits". */
static gboolean
read_lifetimes_and_limits (JsonObject     *object,
                           const char     *where,
                           KsEnvironment  *env,
                           GError        **error)
{
  const NumberSetting lifetimes[] = {
    { "accessToken", &env->access_token_lifetime },
    { "session", &env->session_lifetime },
    { "emailCode", &env->email_code_lifetime },
    { "emailRetry", &env->email_retry_interval },
    { "challenge", &env->challenge_lifetime },
    { "mfaToken", &env->mfa_token_lifetime },
    { "elevatedSingleUse", &env->elevated_single_use_lifetime },
    { "elevatedTimeBound", &env->elevated_time_bound_lifetime },
  };
  const NumberSetting limits[] = {
    { "emailCodeGuessesPerVerification", &env->email_guesses_per_verification },
    { "emailCodeGuessesPerAddressPerHour", &env->email_guesses_per_address_hour },
    { "emailCodesPerMinute", &env->email_codes_per_minute },
  };

  return read_numbers (object, where, "lifetimes", lifetimes, G_N_ELEMENTS (lifetimes),
                       366 * 24 * 60 * 60, "a whole number of seconds between 1 and a year", error)
         && read_numbers (object, where, "limits", limits, G_N_ELEMENTS (limits), 1000000,
                          "a whole number between 1 and 1000000", error);
}

/* A list of strings; *@out is NULL when @key is absent, and FALSE (with no error set) means the
 * value is not such a list, which the caller words. */
static gboolean
read_string_list (JsonObject *object,
                  const char *key,
                  GStrv      *out)
{
  JsonNode *node = json_object_get_member (object, key);

  *out = node != NULL ? ks_json_dup_strings (node) : NULL;
  return node == NULL || *out != NULL;
}

static gboolean
parse_mfa (JsonObject     *mfa,
           const char     *where,
           KsEnvironment  *env,
           GError        **error)
{
  g_autofree char *uv = NULL;
  g_auto(GStrv) actions = NULL;

  if (!read_boolean (mfa, where, "required", &env->mfa_required, error)
      || !read_string (mfa, where, "userVerification", &uv, error)
      || !read_string (mfa, where, "attestation", &env->attestation, error))
    return FALSE;

  if (uv != NULL)
    {
      if (g_str_equal (uv, "required"))
        env->require_user_verification = TRUE;
      else if (g_str_equal (uv, "preferred"))
        env->require_user_verification = FALSE;
      else
        {
          g_set_error (error, KS_CONFIG_ERROR, KS_CONFIG_ERROR_INVALID,
                       "%s.userVerification must be \"required\" or \"preferred\"", where);
          return FALSE;
        }
    }

  if (!g_strv_contains ((const char * const[]) { "none", "indirect", "direct", "enterprise", NULL },
                        env->attestation))
    {
      g_set_error (error, KS_CONFIG_ERROR, KS_CONFIG_ERROR_INVALID,
                   "%s.attestation must be none, indirect, direct or enterprise", where);
      return FALSE;
    }

  if (!read_string_list (mfa, "mfaTokenRequiredFor", &actions))
    goto bad_actions;
  if (actions != NULL)
    {
      env->mfa_token_actions = 0;
      for (guint i = 0; actions[i] != NULL; i++)
        {
          guint j;

          for (j = 0; j < G_N_ELEMENTS (action_names); j++)
            if (g_str_equal (actions[i], action_names[j].name))
              break;
          if (j == G_N_ELEMENTS (action_names))
            goto bad_actions;
          env->mfa_token_actions |= action_names[j].action;
        }
    }
  return TRUE;

bad_actions:
  g_set_error (error, KS_CONFIG_ERROR, KS_CONFIG_ERROR_INVALID,
               "%s.mfaTokenRequiredFor must be a list of: delete-passkey, rename-passkey, "
               "new-recovery-codes", where);
  return FALSE;
}

static KsEnvironment *
parse_environment (JsonNode  *node,
                   guint      index,
                   GError   **error)
{
  static const char * const keys[] = {
    "id", "displayName", "rp", "origin", "mfa", "lifetimes", "limits", "minApiVersion",
    "sessions", "stepUp", "requireDeviceSignature", NULL
  };
  static const char * const mfa_keys[] = {
    "required", "userVerification", "attestation", "mfaTokenRequiredFor", NULL
  };
  static const char * const step_up_keys[] = { "singleUseScopes", NULL };
  static const char * const rp_keys[] = { "id", "name", NULL };
  g_autofree char *where = g_strdup_printf ("environments[%u]", index);
  g_autofree char *rp_where = g_strdup_printf ("environments[%u].rp", index);
  g_autofree char *mfa_where = g_strdup_printf ("environments[%u].mfa", index);
  KsEnvironment *env;
  JsonObject *object, *rp, *mfa, *step_up;
  g_autofree char *version = NULL;
  g_autofree char *sessions = NULL;

  if (!JSON_NODE_HOLDS_OBJECT (node))
    {
      g_set_error (error, KS_CONFIG_ERROR, KS_CONFIG_ERROR_INVALID, "%s must be an object", where);
      return NULL;
    }
  object = json_node_get_object (node);
  if (!check_keys (object, where, keys, error))
    return NULL;

  env = ks_environment_new_default (NULL);
  if (!read_string (object, where, "id", &env->id, error))
    goto fail;
  if (env->id == NULL || !g_uuid_string_is_valid (env->id))
    {
      g_set_error (error, KS_CONFIG_ERROR, KS_CONFIG_ERROR_INVALID,
                   "%s.id must be a UUID such as 1b4e28ba-2fa1-41d2-883f-0016d3cca427", where);
      goto fail;
    }
  /* Ids are compared as strings in paths: keep one spelling. */
  {
    char *lower = g_ascii_strdown (env->id, -1);
    g_free (env->id);
    env->id = lower;
  }

  if (!read_string (object, where, "displayName", &env->display_name, error)
      || !read_string (object, where, "origin", &env->origin, error)
      || !read_string (object, where, "minApiVersion", &version, error)
      || !read_string (object, where, "sessions", &sessions, error)
      || !read_boolean (object, where, "requireDeviceSignature", &env->require_device_signature,
                        error))
    goto fail;
  if (version != NULL && !ks_environment_set_api_version (env, version))
    {
      g_set_error (error, KS_CONFIG_ERROR, KS_CONFIG_ERROR_INVALID,
                   "%s.minApiVersion must be \"" KS_API_VERSION_LEGACY "\" (legacy MFA token) or "
                   "\"" KS_API_VERSION_STEP_UP "\" (step-up)", where);
      goto fail;
    }
  if (sessions != NULL && !g_str_equal (sessions, "token") && !g_str_equal (sessions, "cookie"))
    {
      g_set_error (error, KS_CONFIG_ERROR, KS_CONFIG_ERROR_INVALID,
                   "%s.sessions must be \"token\" or \"cookie\"", where);
      goto fail;
    }
  env->cookie_sessions = g_strcmp0 (sessions, "cookie") == 0;

  /* An unknown key in stepUp is named as the environment's. */
  if (!read_section (object, where, "stepUp", where, step_up_keys, &step_up, error))
    goto fail;
  if (step_up != NULL && !read_string_list (step_up, "singleUseScopes", &env->single_use_scopes))
    goto bad_scopes;

  if (env->origin != NULL)
    {
      g_autoptr(GUri) uri = g_uri_parse (env->origin, G_URI_FLAGS_NONE, NULL);

      if (uri == NULL || g_uri_get_host (uri) == NULL
          || !(g_str_equal (g_uri_get_scheme (uri), "https")
               || g_str_equal (g_uri_get_scheme (uri), "http"))
          || (*g_uri_get_path (uri) != '\0' && !g_str_equal (g_uri_get_path (uri), "/"))
          || g_str_has_suffix (env->origin, "/"))
        {
          g_set_error (error, KS_CONFIG_ERROR, KS_CONFIG_ERROR_INVALID,
                       "%s.origin must be a scheme, host and optional port, such as "
                       "https://example.com", where);
          goto fail;
        }
    }

  if (!read_section (object, where, "rp", rp_where, rp_keys, &rp, error))
    goto fail;
  if (rp != NULL && (!read_string (rp, rp_where, "id", &env->rp_id, error)
                     || !read_string (rp, rp_where, "name", &env->rp_name, error)))
    goto fail;

  if (!read_section (object, where, "mfa", mfa_where, mfa_keys, &mfa, error))
    goto fail;
  if (mfa != NULL && !parse_mfa (mfa, mfa_where, env, error))
    goto fail;

  if (!read_lifetimes_and_limits (object, where, env, error))
    goto fail;

  return env;

bad_scopes:
  g_set_error (error, KS_CONFIG_ERROR, KS_CONFIG_ERROR_INVALID,
               "%s.stepUp.singleUseScopes must be a list of scopes, such as [\"credential:link\"]",
               where);
  goto fail;

fail:
  ks_environment_free (env);
  return NULL;
}

KsConfig *
ks_config_load_from_data (const char  *data,
                          gssize       length,
                          GError     **error)
{
  static const char * const keys[] = { "environments", NULL };
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(KsConfig) self = NULL;
  g_autoptr(GError) local_error = NULL;
  JsonNode *root, *list;
  JsonArray *array;

  if (!json_parser_load_from_data (parser, data, length, &local_error))
    {
      g_set_error (error, KS_CONFIG_ERROR, KS_CONFIG_ERROR_INVALID,
                   "not valid JSON: %s", local_error->message);
      return NULL;
    }

  root = json_parser_get_root (parser);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root)
      || !check_keys (json_node_get_object (root), "the file", keys, error))
    {
      if (error != NULL && *error == NULL)
        g_set_error (error, KS_CONFIG_ERROR, KS_CONFIG_ERROR_INVALID,
                     "the file must hold a JSON object");
      return NULL;
    }

  list = json_object_get_member (json_node_get_object (root), "environments");
  if (list == NULL || !JSON_NODE_HOLDS_ARRAY (list)
      || json_array_get_length (json_node_get_array (list)) == 0)
    {
      g_set_error (error, KS_CONFIG_ERROR, KS_CONFIG_ERROR_INVALID,
                   "\"environments\" must be a non-empty list");
      return NULL;
    }

  self = ks_config_new ();
  array = json_node_get_array (list);
  for (guint i = 0; i < json_array_get_length (array); i++)
    {
      KsEnvironment *env = parse_environment (json_array_get_element (array, i), i, error);

      if (env == NULL)
        return NULL;
      if (ks_config_lookup (self, env->id) != NULL)
        {
          g_set_error (error, KS_CONFIG_ERROR, KS_CONFIG_ERROR_INVALID,
                       "environments[%u].id %s appears twice", i, env->id);
          ks_environment_free (env);
          return NULL;
        }
      g_ptr_array_add (self->environments, env);
    }

  return g_steal_pointer (&self);
}

KsConfig *
ks_config_load (const char  *path,
                GError     **error)
{
  g_autofree char *data = NULL;
  gsize length = 0;
  KsConfig *self;

  if (!g_file_get_contents (path, &data, &length, error))
    return NULL;

  self = ks_config_load_from_data (data, length, error);
  if (self == NULL)
    g_prefix_error (error, "%s: ", path);
  return self;
}

/* Environments with no origin of their own trust the sandbox's own port on localhost. */
void
ks_config_set_port (KsConfig *self,
                    guint     port)
{
  for (guint i = 0; i < self->environments->len; i++)
    {
      KsEnvironment *env = g_ptr_array_index (self->environments, i);

      if (env->origin == NULL)
        env->origin = g_strdup_printf ("http://localhost:%u", port);
    }
}

KsEnvironment *
ks_config_lookup (KsConfig   *self,
                  const char *environment_id)
{
  for (guint i = 0; i < self->environments->len; i++)
    {
      KsEnvironment *env = g_ptr_array_index (self->environments, i);

      if (g_strcmp0 (env->id, environment_id) == 0)
        return env;
    }
  return NULL;
}

KsEnvironment *
ks_config_get_default (KsConfig *self)
{
  return g_ptr_array_index (self->environments, 0);
}
