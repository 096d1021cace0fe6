/* kt-test-bus.c: a connection of a test's own to the session bus
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "kt-test-bus.h"

/* A new connection to the session bus, not the shared one: a separate client, with its own
 * unique name, that the test may close. Fails the test if the bus cannot be reached. */
GDBusConnection *
kt_test_bus_new_connection (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *address = g_dbus_address_get_for_bus_sync (G_BUS_TYPE_SESSION, NULL, &error);
  GDBusConnection *bus;

  g_assert_no_error (error);
  bus = g_dbus_connection_new_for_address_sync (address,
                                                G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT |
                                                G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION,
                                                NULL, NULL, &error);
  g_assert_no_error (error);
  return bus;
}
