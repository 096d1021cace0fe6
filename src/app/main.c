/* main.c: the keyturn program
 *
 * Copyright 2026 Keyturn developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <glib/gi18n.h>
#include <locale.h>

#include "kt-application.h"

int
main (int   argc,
      char *argv[])
{
  g_autoptr(KtApplication) app = NULL;

  /* Screen readers and the UI tests find the application by this name. */
  g_set_prgname ("keyturn");

  setlocale (LC_ALL, "");
  bindtextdomain (GETTEXT_PACKAGE, KT_LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);

  app = kt_application_new ();
  return g_application_run (G_APPLICATION (app), argc, argv);
}
