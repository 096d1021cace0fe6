/* test-token-scope.c: the step-up scopes another application may ask Keyturn for, their words in
 * a prompt, and that core and the sandbox know the same ones
 *
 * Copyright 2026 Keyturn developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <glib/gi18n-lib.h>
#include <locale.h>

#include "ks-server-private.h"
#include "kt-token-scope.h"

/* sdk-api-core's TokenScope values that a passkey account has use for. */
static const char * const expected[] = {
  "credential:link", "credential:unlink", "credential:update", "user:update", "user:delete",
  "wallet:export", "wallet:delete", "wallet:refresh", "wallet:reshare", "wallet:delegate",
  "wallet:sign", "wallet:restore",
};

static void
test_known (void)
{
  const char * const *known = kt_token_scope_list_known ();

  g_assert_cmpuint (g_strv_length ((char **) known), ==, G_N_ELEMENTS (expected));
  for (gsize i = 0; i < G_N_ELEMENTS (expected); i++)
    {
      g_assert_true (kt_token_scope_is_known (expected[i]));
      g_assert_true (g_strv_contains (known, expected[i]));
    }
}

static void
test_described (void)
{
  const char * const *known = kt_token_scope_list_known ();
  g_autoptr(GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);

  for (gsize i = 0; known[i] != NULL; i++)
    {
      const char *words = kt_token_scope_describe (known[i]);

      g_test_message ("%s: %s", known[i], words);
      g_assert_nonnull (words);
      g_assert_cmpuint (strlen (words), >, 0);
      /* A sentence a prompt can put after "The application wants to:", not the scope itself. */
      g_assert_null (strchr (words, ':'));
      g_assert_false (g_str_has_suffix (words, "."));
      g_assert_true (g_unichar_isupper (g_utf8_get_char (words)));
      /* Two scopes that read the same would let a prompt hide which one is given. */
      g_assert_true (g_hash_table_add (seen, (gpointer) words));
    }
  g_assert_cmpstr (kt_token_scope_describe ("wallet:sign"), ==, "Sign with your wallet");
  g_assert_cmpstr (kt_token_scope_describe ("user:delete"), ==, "Delete your account");
  g_assert_cmpstr (kt_token_scope_describe ("credential:link"), ==,
                   "Add a passkey or other sign-in method to your account");
}

static void
test_unknown (void)
{
  static const char * const unknown[] = {
    "", "credential", "credential:", "credential:*", "CREDENTIAL:LINK", "credential:link ",
    " credential:link", "credential:link wallet:sign", "user:basic", "requiresAdditionalAuth",
    "wallet:", "wallet:sign\n", "user:delete\t",
  };

  g_assert_false (kt_token_scope_is_known (NULL));
  g_assert_null (kt_token_scope_describe (NULL));
  for (gsize i = 0; i < G_N_ELEMENTS (unknown); i++)
    {
      g_assert_false (kt_token_scope_is_known (unknown[i]));
      g_assert_null (kt_token_scope_describe (unknown[i]));
    }
}

/* The sandbox refuses a scope it does not know, and Keyturn refuses to ask for one it does not:
 * the two lists, kept apart, must be the same. */
static void
test_sandbox_agrees (void)
{
  const char * const *core = kt_token_scope_list_known ();
  const char * const *sandbox = ks_step_up_known_scopes ();

  g_assert_cmpuint (g_strv_length ((char **) sandbox), ==, g_strv_length ((char **) core));
  for (gsize i = 0; sandbox[i] != NULL; i++)
    g_assert_true (kt_token_scope_is_known (sandbox[i]));
  for (gsize i = 0; core[i] != NULL; i++)
    g_assert_true (g_strv_contains (sandbox, core[i]));
}

/* The words reach the prompt in the person's language. */
static void
test_translated (void)
{
  const char *root = g_getenv ("KEYTURN_BUILD_ROOT");
  g_autofree char *localedir = NULL;

  g_assert_nonnull (root);
  if (setlocale (LC_ALL, "de_DE.UTF-8") == NULL)
    {
      g_test_skip ("the de_DE.UTF-8 locale is not installed (Debian: locales-all)");
      return;
    }
  localedir = g_build_filename (root, "po", NULL);
  bindtextdomain (GETTEXT_PACKAGE, localedir);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");

  g_assert_cmpstr (kt_token_scope_describe ("wallet:sign"), ==, "Mit Ihrem Wallet signieren");
  g_assert_cmpstr (kt_token_scope_describe ("user:delete"), ==, "Ihr Konto löschen");
  setlocale (LC_ALL, "C.UTF-8");
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/token-scope/known", test_known);
  g_test_add_func ("/token-scope/described", test_described);
  g_test_add_func ("/token-scope/unknown", test_unknown);
  g_test_add_func ("/token-scope/sandbox-agrees", test_sandbox_agrees);
  g_test_add_func ("/token-scope/translated", test_translated);

  return g_test_run ();
}
