/* ks-refusal.c: writing an answer on a connection taken over from libsoup, then letting it go
 *
 * The server refuses a body it will not read by answering before the body arrives; this file
 * only sees the connection and the bytes of the answer, never the request.
 *
 * Copyright 2026 Keyturn developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "ks-refusal.h"

/* A refused body's connection, after the 413 is written: what the client still sends is read
 * and dropped for a moment, so that its end of the connection sees the answer rather than a
 * reset (closing a socket with unread data resets it); then it closes. */
typedef struct {
  GIOStream    *stream;
  GSocket      *socket;
  GCancellable *cancellable;
  GBytes       *answer;
  guint         timeout;
  gsize         drained;
  guint8        scratch[16 * 1024];
} Refusal;

#define REFUSAL_DRAIN_BYTES   (1024 * 1024)
#define REFUSAL_DRAIN_SECONDS 2

static void
refusal_free (Refusal *refusal)
{
  g_clear_handle_id (&refusal->timeout, g_source_remove);
  g_io_stream_close (refusal->stream, NULL, NULL);
  g_object_unref (refusal->stream);
  g_clear_object (&refusal->socket);
  g_object_unref (refusal->cancellable);
  g_bytes_unref (refusal->answer);
  g_free (refusal);
}

static gboolean
refusal_timeout_cb (gpointer user_data)
{
  Refusal *refusal = user_data;

  refusal->timeout = 0;
  g_cancellable_cancel (refusal->cancellable);
  return G_SOURCE_REMOVE;
}

static void
refusal_drained_cb (GObject      *source,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  Refusal *refusal = user_data;
  gssize n = g_input_stream_read_finish (G_INPUT_STREAM (source), result, NULL);

  if (n <= 0 || g_cancellable_is_cancelled (refusal->cancellable))
    {
      refusal_free (refusal);
      return;
    }
  refusal->drained += n;
  if (refusal->drained >= REFUSAL_DRAIN_BYTES)
    {
      refusal_free (refusal);
      return;
    }
  g_input_stream_read_async (G_INPUT_STREAM (source), refusal->scratch, sizeof refusal->scratch,
                             G_PRIORITY_LOW, refusal->cancellable, refusal_drained_cb, refusal);
}

static void
refusal_written_cb (GObject      *source,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  Refusal *refusal = user_data;

  if (!g_output_stream_write_all_finish (G_OUTPUT_STREAM (source), result, NULL, NULL))
    {
      refusal_free (refusal);
      return;
    }
  /* The answer is whole: the client reads it, then the end of the stream. */
  if (refusal->socket != NULL)
    g_socket_shutdown (refusal->socket, FALSE, TRUE, NULL);
  refusal->timeout = g_timeout_add_seconds (REFUSAL_DRAIN_SECONDS, refusal_timeout_cb, refusal);
  g_input_stream_read_async (g_io_stream_get_input_stream (refusal->stream), refusal->scratch,
                             sizeof refusal->scratch, G_PRIORITY_LOW, refusal->cancellable,
                             refusal_drained_cb, refusal);
}

void
ks_refusal_start (GIOStream *stream,
                  GBytes    *answer)
{
  Refusal *refusal;

  g_return_if_fail (G_IS_IO_STREAM (stream));
  g_return_if_fail (answer != NULL);

  refusal = g_new0 (Refusal, 1);
  refusal->stream = stream;
  /* libsoup hands the socket over with the stream. */
  refusal->socket = g_object_get_data (G_OBJECT (stream), "GSocket");
  if (refusal->socket != NULL)
    g_object_ref (refusal->socket);
  refusal->cancellable = g_cancellable_new ();
  refusal->answer = answer;
  g_output_stream_write_all_async (g_io_stream_get_output_stream (stream),
                                   g_bytes_get_data (refusal->answer, NULL),
                                   g_bytes_get_size (refusal->answer), G_PRIORITY_DEFAULT,
                                   refusal->cancellable, refusal_written_cb, refusal);
}

