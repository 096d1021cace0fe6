/* kt-test-async.h: waiting, in a test, for an asynchronous call to finish
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

void          kt_test_async_done (GObject       *source,
                                  GAsyncResult  *result,
                                  gpointer       user_data);
GAsyncResult *kt_test_async_wait (GAsyncResult **result,
                                  guint          timeout_seconds);

G_END_DECLS
