/* kt-test-files.h: the temporary folders a test makes, removed again
 *
 * Copyright 2026 Keyturn developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Removes @path and everything below it; a link is removed, never followed. A path that does
 * not exist is no error. */
void kt_test_remove_tree (const char *path);

G_END_DECLS
