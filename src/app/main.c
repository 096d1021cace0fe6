/* main.c: the keyturn program
 *
 * Copyright 2026 Keyturn developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <glib/gi18n.h>
#include <locale.h>

#include "kt-application.h"
#include "kt-command-line.h"

/* The translations installed with this program. A tree installed somewhere other than its
 * prefix (staged with DESTDIR, or moved) finds its own beside the program, not none. */
static char *
locale_dir (void)
{
  /* Run from the build tree (meson devenv, keyturn-dev run, the tests), Keyturn is not
   * installed at all: KEYTURN_UNINSTALLED_LOCALEDIR names the build's po folder, whose
   * catalogs sit as in an installed locale folder (LL/LC_MESSAGES/keyturn.mo). */
  const char *uninstalled = g_getenv ("KEYTURN_UNINSTALLED_LOCALEDIR");
#ifdef KT_LOCALEDIR_FROM_BINDIR
  g_autofree char *program = NULL;
#endif

  if (uninstalled != NULL && *uninstalled != '\0')
    return g_strdup (uninstalled);

#ifdef KT_LOCALEDIR_FROM_BINDIR
  program = g_file_read_link ("/proc/self/exe", NULL);

  if (program != NULL)
    {
      g_autofree char *bindir = g_path_get_dirname (program);
      g_autofree char *dir = g_canonicalize_filename (KT_LOCALEDIR_FROM_BINDIR, bindir);

      if (g_file_test (dir, G_FILE_TEST_IS_DIR))
        return g_steal_pointer (&dir);
    }
#endif
  return g_strdup (KT_LOCALEDIR);
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(KtApplication) app = NULL;
  g_autofree char *localedir = locale_dir ();

  /* Screen readers and the UI tests find the application by this name. */
  g_set_prgname ("keyturn");

  setlocale (LC_ALL, "");
  bindtextdomain (GETTEXT_PACKAGE, localedir);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);

  /* `keyturn token` and `keyturn step-up` are clients of the running Keyturn, with no window. */
  if (kt_command_line_handles (argc, argv))
    return kt_command_line_run (argc, argv);

  app = kt_application_new ();
  return g_application_run (G_APPLICATION (app), argc, argv);
}
