/* kt-test-files.c: the temporary folders a test makes, removed again
 *
 * Copyright 2026 Keyturn developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "kt-test-files.h"

#include <glib/gstdio.h>

/* Written here: GLib has no recursive delete, and walking it with GFile enumerators would take
 * three times the code for the few files a test leaves. */
void
kt_test_remove_tree (const char *path)
{
  g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
  const char *name;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *child = g_build_filename (path, name, NULL);

      if (g_file_test (child, G_FILE_TEST_IS_DIR) && !g_file_test (child, G_FILE_TEST_IS_SYMLINK))
        kt_test_remove_tree (child);
      else
        g_unlink (child);
    }
  g_rmdir (path);
}
