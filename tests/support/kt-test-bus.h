/* kt-test-bus.h: a connection of a test's own to the session bus
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

GDBusConnection *kt_test_bus_new_connection (void);

G_END_DECLS
