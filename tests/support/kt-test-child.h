/* kt-test-child.h: the programs a test starts (keyturn-sandbox, keyturn-virtual-key), as child
 * processes that die with the test and are stopped only once they can stop cleanly
 *
 * Copyright 2026 Keyturn developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* A GSpawnChildSetupFunc: the kernel kills the child when the test dies, so that a failed
 * assertion (an abort) never leaves a server or a key running. */
void     kt_test_child_setup           (gpointer user_data);

/* Whether @pid has set its own SIGTERM handler yet. Until it has, a SIGTERM kills it outright,
 * and the test could not tell a clean stop from a crash. */
gboolean kt_test_child_catches_sigterm (GPid     pid);

G_END_DECLS
