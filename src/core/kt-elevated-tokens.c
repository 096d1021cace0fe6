/* kt-elevated-tokens.c
 *
 * Copyright 2026 Keyturn developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "keyturn-api"

#include "kt-elevated-tokens.h"

#include <json-glib/json-glib.h>
#include <string.h>

#include "kt-base64url.h"
#include "kt-json-span.h"
#include "kt-secret.h"

typedef struct {
  char *token;
  char **scopes;
  char *scope_key;              /* the scopes sorted and joined: one token per key */
  gint64 expires_at;            /* unix seconds */
  gboolean single_use;
} Entry;

struct _KtElevatedTokens
{
  GObject parent_instance;

  GPtrArray *entries;
};

G_DEFINE_FINAL_TYPE (KtElevatedTokens, kt_elevated_tokens, G_TYPE_OBJECT)

static void
entry_free (Entry *entry)
{
  kt_secret_free (entry->token);
  g_strfreev (entry->scopes);
  g_free (entry->scope_key);
  g_free (entry);
}

static void
kt_elevated_tokens_finalize (GObject *object)
{
  KtElevatedTokens *self = (KtElevatedTokens *) object;

  g_ptr_array_unref (self->entries);

  G_OBJECT_CLASS (kt_elevated_tokens_parent_class)->finalize (object);
}

static void
kt_elevated_tokens_class_init (KtElevatedTokensClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = kt_elevated_tokens_finalize;
}

static void
kt_elevated_tokens_init (KtElevatedTokens *self)
{
  self->entries = g_ptr_array_new_with_free_func ((GDestroyNotify) entry_free);
}

KtElevatedTokens *
kt_elevated_tokens_new (void)
{
  return g_object_new (KT_TYPE_ELEVATED_TOKENS, NULL);
}

static int
compare_strings (gconstpointer a,
                 gconstpointer b)
{
  return strcmp (*(char * const *) a, *(char * const *) b);
}

/* The claims a client may read without the server's key: it only decides which token to send,
 * and the server checks the signature when the token comes back. NULL unless @token is a JWT
 * whose payload is one JSON object; its root is that object. */
static JsonParser *
parse_claims (const char *token)
{
  g_auto(GStrv) parts = g_strsplit (token, ".", 4);
  g_autoptr(GBytes) payload = NULL;
  g_autoptr(JsonParser) parser = NULL;
  gsize len;

  if (g_strv_length (parts) != 3)
    return NULL;
  payload = kt_base64url_decode (parts[1], NULL);
  if (payload == NULL)
    return NULL;
  len = g_bytes_get_size (payload);
  if (!kt_json_is_one_object (g_bytes_get_data (payload, NULL), (gssize) len))
    return NULL;
  parser = json_parser_new ();
  if (!json_parser_load_from_data (parser, g_bytes_get_data (payload, NULL), (gssize) len, NULL))
    return NULL;
  return g_steal_pointer (&parser);
}

/* The exp claim, a number of seconds; FALSE when there is none. */
static gboolean
read_exp (JsonObject *claims,
          gint64     *exp)
{
  JsonNode *node = json_object_get_member (claims, "exp");

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) ||
      (json_node_get_value_type (node) != G_TYPE_INT64 &&
       json_node_get_value_type (node) != G_TYPE_DOUBLE))
    return FALSE;
  *exp = json_node_get_value_type (node) == G_TYPE_INT64
         ? json_node_get_int (node) : (gint64) json_node_get_double (node);
  return TRUE;
}

static Entry *
entry_new_from_token (const char *token)
{
  g_autoptr(JsonParser) parser = parse_claims (token);
  g_autoptr(GPtrArray) scopes = NULL;
  g_auto(GStrv) words = NULL;
  JsonObject *claims;
  JsonNode *node;
  const char *scope;
  Entry *entry;
  gint64 exp;

  if (parser == NULL)
    return NULL;
  claims = json_node_get_object (json_parser_get_root (parser));

  node = json_object_get_member (claims, "scope");
  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) ||
      json_node_get_value_type (node) != G_TYPE_STRING)
    return NULL;
  scope = json_node_get_string (node);
  words = g_strsplit_set (scope, " ", -1);
  scopes = g_ptr_array_new_with_free_func (g_free);
  for (guint i = 0; words[i] != NULL; i++)
    if (*words[i] != '\0')
      g_ptr_array_add (scopes, g_strdup (words[i]));
  if (scopes->len == 0)
    return NULL;
  g_ptr_array_sort (scopes, compare_strings);

  if (!read_exp (claims, &exp))
    return NULL;

  entry = g_new0 (Entry, 1);
  entry->expires_at = exp;
  node = json_object_get_member (claims, "singleUse");
  entry->single_use = node != NULL && JSON_NODE_HOLDS_VALUE (node) &&
                      json_node_get_value_type (node) == G_TYPE_BOOLEAN &&
                      json_node_get_boolean (node);
  g_ptr_array_add (scopes, NULL);
  entry->scopes = (char **) g_ptr_array_free (g_steal_pointer (&scopes), FALSE);
  entry->scope_key = g_strjoinv (" ", entry->scopes);
  entry->token = g_strdup (token);
  return entry;
}

gint64
kt_elevated_tokens_read_expiry (const char *token)
{
  g_autoptr(JsonParser) parser = NULL;
  gint64 exp = 0;

  g_return_val_if_fail (token != NULL, 0);

  parser = parse_claims (token);
  if (parser == NULL ||
      !read_exp (json_node_get_object (json_parser_get_root (parser)), &exp))
    return 0;
  return MAX (exp, 0);
}

/* Drops expired tokens; returns the first live one covering @scope, or NULL. */
static Entry *
find_live (KtElevatedTokens *self,
           const char       *scope,
           gint64            now,
           guint            *index)
{
  for (guint i = self->entries->len; i > 0; i--)
    {
      Entry *entry = g_ptr_array_index (self->entries, i - 1);

      if (entry->expires_at <= now)
        g_ptr_array_remove_index (self->entries, i - 1);
    }

  for (guint i = 0; i < self->entries->len; i++)
    {
      Entry *entry = g_ptr_array_index (self->entries, i);

      if (g_strv_contains ((const char * const *) entry->scopes, scope))
        {
          if (index != NULL)
            *index = i;
          return entry;
        }
    }
  return NULL;
}

gboolean
kt_elevated_tokens_add (KtElevatedTokens *self,
                        const char       *token,
                        gint64            now)
{
  Entry *entry;

  g_return_val_if_fail (KT_IS_ELEVATED_TOKENS (self), FALSE);
  g_return_val_if_fail (token != NULL, FALSE);

  entry = entry_new_from_token (token);
  if (entry == NULL || entry->expires_at <= now)
    {
      g_debug ("An elevated access token without a scope or a future exp is not kept");
      g_clear_pointer (&entry, entry_free);
      return FALSE;
    }

  for (guint i = self->entries->len; i > 0; i--)
    {
      Entry *held = g_ptr_array_index (self->entries, i - 1);

      if (strcmp (held->scope_key, entry->scope_key) == 0)
        g_ptr_array_remove_index (self->entries, i - 1);
    }
  g_debug ("Elevated access token for %s kept until %" G_GINT64_FORMAT "%s", entry->scope_key,
           entry->expires_at, entry->single_use ? ", single-use" : "");
  g_ptr_array_add (self->entries, entry);
  return TRUE;
}

gboolean
kt_elevated_tokens_has (KtElevatedTokens *self,
                        const char       *scope,
                        gint64            now)
{
  g_return_val_if_fail (KT_IS_ELEVATED_TOKENS (self), FALSE);
  g_return_val_if_fail (scope != NULL, FALSE);

  return find_live (self, scope, now, NULL) != NULL;
}

char *
kt_elevated_tokens_use (KtElevatedTokens *self,
                        const char       *scope,
                        gint64            now)
{
  Entry *entry;
  char *token;
  guint index = 0;

  g_return_val_if_fail (KT_IS_ELEVATED_TOKENS (self), NULL);
  g_return_val_if_fail (scope != NULL, NULL);

  entry = find_live (self, scope, now, &index);
  if (entry == NULL)
    return NULL;
  token = g_strdup (entry->token);
  if (entry->single_use)
    g_ptr_array_remove_index (self->entries, index);
  return token;
}

void
kt_elevated_tokens_clear (KtElevatedTokens *self)
{
  g_return_if_fail (KT_IS_ELEVATED_TOKENS (self));
  g_ptr_array_set_size (self->entries, 0);
}

guint
kt_elevated_tokens_count (KtElevatedTokens *self)
{
  g_return_val_if_fail (KT_IS_ELEVATED_TOKENS (self), 0);
  return self->entries->len;
}
