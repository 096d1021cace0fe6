/* kt-first-frame.c: preloaded into a GTK program by bench-startup, reports when its first window
 * shows its first frame, then makes the program quit
 *
 * The same object goes into keyturn and into the bare window, so neither program carries any
 * code of its own for the benchmark. With KT_BENCH_FRAME_FD set, it watches the first toplevel
 * GtkWindow: after each paint of that window's frame clock it waits for the X server to have
 * drawn the frame (a round trip), then writes "first TIME" for the first frame and "ready TIME"
 * for the first frame in which a widget of type KT_BENCH_READY_TYPE (any frame when unset) was
 * on screen, TIME being CLOCK_MONOTONIC in microseconds. Then it quits the default
 * GApplication, as the program's own Quit action would.
 *
 * Copyright 2026 Keyturn developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <errno.h>
#include <fcntl.h>
#include <gtk/gtk.h>
#include <stdlib.h>
#include <unistd.h>

static int report_fd = -1;
static char *ready_type_name;
static GtkWidget *watched;
static gboolean first_reported;

static void
report (const char *what,
        gint64      when)
{
  char line[64];
  int length = g_snprintf (line, sizeof line, "%s %" G_GINT64_FORMAT "\n", what, when);
  ssize_t written;

  do
    written = write (report_fd, line, length);
  while (written < 0 && errno == EINTR);
}

static gboolean
shows_type (GtkWidget *widget,
            GType      type)
{
  if (!gtk_widget_get_mapped (widget))
    return FALSE;
  if (G_TYPE_CHECK_INSTANCE_TYPE (widget, type))
    return TRUE;
  for (GtkWidget *child = gtk_widget_get_first_child (widget);
       child != NULL;
       child = gtk_widget_get_next_sibling (child))
    if (shows_type (child, type))
      return TRUE;
  return FALSE;
}

static void
on_after_paint (GdkFrameClock *clock,
                GtkWidget     *window)
{
  gboolean ready = TRUE;
  gint64 now;

  gdk_display_sync (gtk_widget_get_display (window));
  now = g_get_monotonic_time ();

  if (!first_reported)
    {
      first_reported = TRUE;
      report ("first", now);
    }
  if (ready_type_name != NULL)
    {
      GType type = g_type_from_name (ready_type_name);

      ready = type != G_TYPE_INVALID && shows_type (window, type);
    }
  if (!ready)
    return;

  report ("ready", now);
  g_signal_handlers_disconnect_by_func (clock, on_after_paint, window);
  g_application_quit (g_application_get_default ());
}

static void
on_realized (GtkWidget *window)
{
  g_signal_connect (gtk_widget_get_frame_clock (window), "after-paint",
                    G_CALLBACK (on_after_paint), window);
}

static void
on_toplevels_changed (GListModel *toplevels,
                      guint       position,
                      guint       removed,
                      guint       added)
{
  g_autoptr(GtkWidget) window = NULL;

  if (watched != NULL || added == 0)
    return;
  window = g_list_model_get_item (toplevels, position);
  watched = window;
  g_signal_connect_after (window, "realize", G_CALLBACK (on_realized), NULL);
}

__attribute__ ((constructor)) static void
kt_first_frame_init (void)
{
  const char *fd_text = g_getenv ("KT_BENCH_FRAME_FD");

  if (fd_text == NULL)
    return;
  report_fd = atoi (fd_text);
  /* Nothing the program starts holds the report open. */
  fcntl (report_fd, F_SETFD, FD_CLOEXEC);
  ready_type_name = g_strdup (g_getenv ("KT_BENCH_READY_TYPE"));
  /* Nor is it watched. */
  g_unsetenv ("LD_PRELOAD");
  g_unsetenv ("KT_BENCH_FRAME_FD");
  g_unsetenv ("KT_BENCH_READY_TYPE");

  /* A list GTK keeps without needing a display: the first window is caught as it is made. */
  g_signal_connect (gtk_window_get_toplevels (), "items-changed",
                    G_CALLBACK (on_toplevels_changed), NULL);
}
