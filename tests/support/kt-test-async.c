/* kt-test-async.c: waiting, in a test, for an asynchronous call to finish
 *
 * A test starts the call with kt_test_async_done as its callback and a pointer to a NULL
 * GAsyncResult as its data, then waits with kt_test_async_wait and passes the result on to the
 * call's _finish function.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "kt-test-async.h"

/* A GAsyncReadyCallback: keeps a reference to @result where @user_data (a GAsyncResult **)
 * points. */
void
kt_test_async_done (GObject      *source,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  *(GAsyncResult **) user_data = g_object_ref (result);
}

/* Runs the default main context until *@result is set, and returns it. With a @timeout_seconds
 * other than 0 the test fails if that takes longer; with 0 it waits as long as the test may run. */
GAsyncResult *
kt_test_async_wait (GAsyncResult **result,
                    guint          timeout_seconds)
{
  gint64 give_up = g_get_monotonic_time () + (gint64) timeout_seconds * G_USEC_PER_SEC;

  while (*result == NULL)
    {
      if (timeout_seconds != 0)
        g_assert_cmpint (g_get_monotonic_time (), <, give_up);
      g_main_context_iteration (NULL, TRUE);
    }
  return *result;
}
