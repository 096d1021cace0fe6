/* kt-token-scope.c
 *
 * Copyright 2026 Keyturn developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "kt-token-scope.h"

#include <glib/gi18n-lib.h>

/* Must agree with known_scopes in src/sandbox/ks-api-step-up.c (test-token-scope checks it). */
static const char * const known_scopes[] = {
  "credential:link", "credential:unlink", "credential:update", "user:update", "user:delete",
  "wallet:export", "wallet:delete", "wallet:refresh", "wallet:reshare", "wallet:delegate",
  "wallet:sign", "wallet:restore", NULL
};

/* In the order of known_scopes: one table would put the scopes where a translator reads. */
static const char * const descriptions[] = {
  N_("Add a passkey or other sign-in method to your account"),
  N_("Remove a passkey or other sign-in method from your account"),
  N_("Change a passkey or other sign-in method of your account"),
  N_("Change your account’s details"),
  N_("Delete your account"),
  N_("Export your wallet’s private key"),
  N_("Delete your wallet"),
  N_("Renew the shares of your wallet’s key"),
  N_("Change who holds the shares of your wallet’s key"),
  N_("Let another service act with your wallet"),
  N_("Sign with your wallet"),
  N_("Restore your wallet from its backup"),
};

G_STATIC_ASSERT (G_N_ELEMENTS (descriptions) + 1 == G_N_ELEMENTS (known_scopes));

static int
scope_index (const char *scope)
{
  for (int i = 0; scope != NULL && known_scopes[i] != NULL; i++)
    if (g_str_equal (known_scopes[i], scope))
      return i;
  return -1;
}

gboolean
kt_token_scope_is_known (const char *scope)
{
  return scope_index (scope) >= 0;
}

const char *
kt_token_scope_describe (const char *scope)
{
  int i = scope_index (scope);

  return i >= 0 ? _(descriptions[i]) : NULL;
}

const char * const *
kt_token_scope_list_known (void)
{
  return known_scopes;
}
