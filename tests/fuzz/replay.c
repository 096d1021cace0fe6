/* replay.c: runs a fuzz target's LLVMFuzzerTestOneInput on every file of its corpus, without
 * libFuzzer, so that the normal test suite (any compiler, valgrind, sanitizers) covers the seeds
 * and every crash once found. TAP: one test per file.
 *
 * Usage: replay-TARGET DIR-OR-FILE...
 *
 * Copyright 2026 Keyturn developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <glib.h>
#include <stdio.h>
#include <stdlib.h>

#include "fuzz.h"

static int
compare_paths (gconstpointer a,
               gconstpointer b)
{
  return g_strcmp0 (*(const char * const *) a, *(const char * const *) b);
}

static void
collect (const char *path,
         GPtrArray  *files)
{
  g_autoptr(GDir) dir = NULL;
  g_autoptr(GPtrArray) names = NULL;
  const char *name;

  if (!g_file_test (path, G_FILE_TEST_IS_DIR))
    {
      g_ptr_array_add (files, g_strdup (path));
      return;
    }
  dir = g_dir_open (path, 0, NULL);
  if (dir == NULL)
    return;
  names = g_ptr_array_new_with_free_func (g_free);
  while ((name = g_dir_read_name (dir)) != NULL)
    g_ptr_array_add (names, g_build_filename (path, name, NULL));
  g_ptr_array_sort (names, compare_paths);
  for (guint i = 0; i < names->len; i++)
    collect (g_ptr_array_index (names, i), files);
}

int
main (int    argc,
      char **argv)
{
  g_autoptr(GPtrArray) files = g_ptr_array_new_with_free_func (g_free);

  for (int i = 1; i < argc; i++)
    collect (argv[i], files);
  LLVMFuzzerInitialize (&argc, &argv);

  printf ("TAP version 13\n1..%u\n", files->len);
  if (files->len == 0)
    {
      /* An empty corpus is a mistake in the build, not a pass. */
      printf ("Bail out! no input found\n");
      return 1;
    }
  for (guint i = 0; i < files->len; i++)
    {
      const char *file = g_ptr_array_index (files, i);
      g_autofree char *contents = NULL;
      g_autoptr(GError) error = NULL;
      gsize len;

      if (!g_file_get_contents (file, &contents, &len, &error))
        {
          printf ("not ok %u - %s: %s\n", i + 1, file, error->message);
          continue;
        }
      /* A crash ends the run here, with the file named in the line before. */
      fprintf (stderr, "replaying %s\n", file);
      LLVMFuzzerTestOneInput ((const uint8_t *) contents, len);
      printf ("ok %u - %s\n", i + 1, file);
      fflush (stdout);
    }
  return 0;
}
