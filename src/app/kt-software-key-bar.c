/* kt-software-key-bar.c: the bar that marks keyturn-virtual-key as a software key, with its touch
 *
 * A real key is touched with a finger; keyturn-virtual-key in manual presence mode is touched by a
 * line on its control socket (PATH.control), which is what the Touch button sends.
 *
 * Copyright 2026 Keyturn developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <gio/gunixsocketaddress.h>
#include <glib/gi18n.h>
#include <string.h>

#include "kt-software-key-bar.h"

/* The key waits this long (ms) for a request to give the touch to, as `keyturn-virtual-key
 * touch` asks it to. */
#define TOUCH_REQUEST "touch 5000\n"

struct _KtSoftwareKeyBar
{
  AdwBin        parent_instance;

  /* Template widgets */
  GtkLabel     *result_label;

  /* Owned */
  char         *socket_path;
  GCancellable *cancellable;
};

G_DEFINE_FINAL_TYPE (KtSoftwareKeyBar, kt_software_key_bar, ADW_TYPE_BIN)

typedef struct {
  KtSoftwareKeyBar  *self;
  GSocketConnection *connection;
  GDataInputStream  *reader;
} Touch;

static void
touch_free (Touch *touch)
{
  g_clear_object (&touch->self);
  g_clear_object (&touch->connection);
  g_clear_object (&touch->reader);
  g_free (touch);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Touch, touch_free)

static void
show_result (KtSoftwareKeyBar *self,
             const char       *text)
{
  gtk_label_set_text (self->result_label, text != NULL ? text : "");
  gtk_widget_set_visible (GTK_WIDGET (self->result_label), text != NULL);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "software-key.touch", TRUE);
}

static void
on_answer_read (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(Touch) touch = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *answer = g_data_input_stream_read_line_finish_utf8 (touch->reader, result,
                                                                        NULL, &error);

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  if (g_strcmp0 (answer, "touched") == 0)
    show_result (touch->self, NULL);
  else if (g_strcmp0 (answer, "no-request") == 0)
    show_result (touch->self, _("The key was not waiting for a touch."));
  else
    show_result (touch->self, _("The software key did not answer the touch."));
}

static void
on_request_written (GObject      *source,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  g_autoptr(Touch) touch = user_data;
  g_autoptr(GError) error = NULL;
  GDataInputStream *reader;
  GCancellable *cancellable;
  GInputStream *input;

  if (!g_output_stream_write_all_finish (G_OUTPUT_STREAM (source), result, NULL, &error))
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        show_result (touch->self, _("The software key did not answer the touch."));
      return;
    }

  input = g_io_stream_get_input_stream (G_IO_STREAM (touch->connection));
  touch->reader = g_data_input_stream_new (input);
  reader = touch->reader;
  cancellable = touch->self->cancellable;
  g_data_input_stream_read_line_async (reader, G_PRIORITY_DEFAULT, cancellable, on_answer_read,
                                       g_steal_pointer (&touch));
}

static void
on_connected (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(Touch) touch = user_data;
  g_autoptr(GError) error = NULL;
  GCancellable *cancellable;
  GOutputStream *output;

  touch->connection = g_socket_client_connect_finish (G_SOCKET_CLIENT (source), result, &error);
  if (touch->connection == NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        show_result (touch->self, _("The software key is not running."));
      return;
    }

  output = g_io_stream_get_output_stream (G_IO_STREAM (touch->connection));
  cancellable = touch->self->cancellable;
  g_output_stream_write_all_async (output, TOUCH_REQUEST, strlen (TOUCH_REQUEST),
                                   G_PRIORITY_DEFAULT, cancellable, on_request_written,
                                   g_steal_pointer (&touch));
}

static void
touch_action (GtkWidget  *widget,
              const char *action_name,
              GVariant   *parameter)
{
  KtSoftwareKeyBar *self = KT_SOFTWARE_KEY_BAR (widget);
  g_autoptr(GSocketClient) client = NULL;
  g_autoptr(GSocketAddress) address = NULL;
  g_autofree char *control_path = NULL;
  Touch *touch;

  if (self->socket_path == NULL)
    return;

  control_path = g_strconcat (self->socket_path, ".control", NULL);
  address = g_unix_socket_address_new (control_path);
  client = g_socket_client_new ();
  touch = g_new0 (Touch, 1);
  touch->self = g_object_ref (self);

  gtk_widget_action_set_enabled (widget, "software-key.touch", FALSE);
  gtk_widget_set_visible (GTK_WIDGET (self->result_label), FALSE);
  g_socket_client_connect_async (client, G_SOCKET_CONNECTABLE (address), self->cancellable,
                                 on_connected, touch);
}

static void
kt_software_key_bar_dispose (GObject *object)
{
  KtSoftwareKeyBar *self = KT_SOFTWARE_KEY_BAR (object);

  g_cancellable_cancel (self->cancellable);
  gtk_widget_dispose_template (GTK_WIDGET (self), KT_TYPE_SOFTWARE_KEY_BAR);

  G_OBJECT_CLASS (kt_software_key_bar_parent_class)->dispose (object);
}

static void
kt_software_key_bar_finalize (GObject *object)
{
  KtSoftwareKeyBar *self = KT_SOFTWARE_KEY_BAR (object);

  g_clear_object (&self->cancellable);
  g_clear_pointer (&self->socket_path, g_free);

  G_OBJECT_CLASS (kt_software_key_bar_parent_class)->finalize (object);
}

static void
kt_software_key_bar_class_init (KtSoftwareKeyBarClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = kt_software_key_bar_dispose;
  object_class->finalize = kt_software_key_bar_finalize;

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/keyturn/Keyturn/"
                                               "kt-software-key-bar.ui");
  gtk_widget_class_bind_template_child (widget_class, KtSoftwareKeyBar, result_label);
  gtk_widget_class_install_action (widget_class, "software-key.touch", NULL, touch_action);
}

static void
kt_software_key_bar_init (KtSoftwareKeyBar *self)
{
  self->cancellable = g_cancellable_new ();
  gtk_widget_init_template (GTK_WIDGET (self));
  gtk_widget_set_visible (GTK_WIDGET (self), FALSE);
}

void
kt_software_key_bar_set_socket_path (KtSoftwareKeyBar *self,
                                     const char       *socket_path)
{
  g_return_if_fail (KT_IS_SOFTWARE_KEY_BAR (self));

  if (socket_path != NULL && *socket_path == '\0')
    socket_path = NULL;
  g_free (self->socket_path);
  self->socket_path = g_strdup (socket_path);
  gtk_widget_set_visible (GTK_WIDGET (self), socket_path != NULL);
  gtk_widget_set_visible (GTK_WIDGET (self->result_label), FALSE);
}
