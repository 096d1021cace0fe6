/* kt-pin-buffer.c: the text of a PIN entry, kept out of the accessibility bus
 *
 * GTK 4.8 answers a client of the accessibility bus that reads a password entry's text (its
 * AT-SPI Text interface, which reads the entry's buffer) with the text in clear, whether or not
 * it is shown: any process on the desktop's bus could read a PIN as it is typed. So the PIN
 * entries hold a KtPinBuffer, which keeps the PIN itself and gives GTK, for the screen and the
 * bus alike, a bullet for each of its characters, whatever a GTK version does with the text; the
 * peek toggle, which puts the PIN on screen, puts it in the entry's text too while it shows.
 *
 * Copyright 2026 Keyturn developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <string.h>

#include "kt-pin-buffer.h"

#define BULLET "\xe2\x80\xa2"

struct _KtPinBuffer
{
  GtkEntryBuffer  parent_instance;

  char           *pin;     /* UTF-8; wiped before it is freed */
  gboolean        clear;   /* the entry shows the PIN: its text is the PIN */
};

G_DEFINE_FINAL_TYPE (KtPinBuffer, kt_pin_buffer, GTK_TYPE_ENTRY_BUFFER)

static void
wipe_free (char *secret)
{
  if (secret == NULL)
    return;
  /* Not optimized away: the block is freed through a call the compiler cannot see into. */
  memset (secret, 0, strlen (secret));
  g_free (secret);
}

/* What GTK holds for @n_chars characters of the PIN from @chars: bullets, unless shown. */
static char *
shown_text (KtPinBuffer *self,
            const char  *chars,
            guint        n_chars)
{
  GString *shown;

  if (self->clear)
    return g_strndup (chars, g_utf8_offset_to_pointer (chars, n_chars) - chars);
  shown = g_string_sized_new (n_chars * strlen (BULLET));
  for (guint i = 0; i < n_chars; i++)
    g_string_append (shown, BULLET);
  return g_string_free (shown, FALSE);
}

static guint
kt_pin_buffer_insert_text (GtkEntryBuffer *buffer,
                           guint           position,
                           const char     *chars,
                           guint           n_chars)
{
  KtPinBuffer *self = KT_PIN_BUFFER (buffer);
  glong length = g_utf8_strlen (self->pin, -1);
  gsize at = g_utf8_offset_to_pointer (self->pin, MIN ((glong) position, length)) - self->pin;
  gsize n_bytes = g_utf8_offset_to_pointer (chars, n_chars) - chars;
  gsize old_bytes = strlen (self->pin);
  char *pin = g_malloc (old_bytes + n_bytes + 1);
  char *shown;
  guint inserted;

  memcpy (pin, self->pin, at);
  memcpy (pin + at, chars, n_bytes);
  memcpy (pin + at + n_bytes, self->pin + at, old_bytes - at + 1);
  wipe_free (self->pin);
  self->pin = pin;

  shown = shown_text (self, chars, n_chars);
  inserted = GTK_ENTRY_BUFFER_CLASS (kt_pin_buffer_parent_class)->insert_text (buffer, position,
                                                                              shown, n_chars);
  wipe_free (shown);
  return inserted;
}

static guint
kt_pin_buffer_delete_text (GtkEntryBuffer *buffer,
                           guint           position,
                           guint           n_chars)
{
  KtPinBuffer *self = KT_PIN_BUFFER (buffer);
  glong length = g_utf8_strlen (self->pin, -1);
  char *start = g_utf8_offset_to_pointer (self->pin, MIN ((glong) position, length));
  char *end = g_utf8_offset_to_pointer (start, MIN ((glong) n_chars,
                                                    length - MIN ((glong) position, length)));
  gsize tail = strlen (end);

  memmove (start, end, tail + 1);
  memset (start + tail + 1, 0, end - start);
  return GTK_ENTRY_BUFFER_CLASS (kt_pin_buffer_parent_class)->delete_text (buffer, position,
                                                                          n_chars);
}

/* The peek toggle shows the PIN or hides it again: the entry's text follows. */
static void
on_visibility (GtkText     *text,
               GParamSpec  *pspec,
               KtPinBuffer *self)
{
  GtkEntryBufferClass *parent = GTK_ENTRY_BUFFER_CLASS (kt_pin_buffer_parent_class);
  guint n_chars = g_utf8_strlen (self->pin, -1);
  int cursor = gtk_editable_get_position (GTK_EDITABLE (text));
  char *shown;

  self->clear = gtk_text_get_visibility (text);
  parent->delete_text (GTK_ENTRY_BUFFER (self), 0, n_chars);
  shown = shown_text (self, self->pin, n_chars);
  parent->insert_text (GTK_ENTRY_BUFFER (self), 0, shown, n_chars);
  wipe_free (shown);
  gtk_editable_set_position (GTK_EDITABLE (text), cursor);
}

static void
kt_pin_buffer_finalize (GObject *object)
{
  wipe_free (KT_PIN_BUFFER (object)->pin);

  G_OBJECT_CLASS (kt_pin_buffer_parent_class)->finalize (object);
}

static void
kt_pin_buffer_class_init (KtPinBufferClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkEntryBufferClass *buffer_class = GTK_ENTRY_BUFFER_CLASS (klass);

  object_class->finalize = kt_pin_buffer_finalize;
  buffer_class->insert_text = kt_pin_buffer_insert_text;
  buffer_class->delete_text = kt_pin_buffer_delete_text;
}

static void
kt_pin_buffer_init (KtPinBuffer *self)
{
  self->pin = g_strdup ("");
}

/* A password entry named @accessible_name, with a peek toggle, that holds its PIN in a
 * KtPinBuffer. */
GtkWidget *
kt_pin_buffer_new_entry (const char *accessible_name)
{
  GtkWidget *entry = gtk_password_entry_new ();
  GtkText *text = GTK_TEXT (gtk_editable_get_delegate (GTK_EDITABLE (entry)));
  g_autoptr(KtPinBuffer) buffer = g_object_new (KT_TYPE_PIN_BUFFER, NULL);

  gtk_text_set_buffer (text, GTK_ENTRY_BUFFER (buffer));
  g_signal_connect_object (text, "notify::visibility", G_CALLBACK (on_visibility), buffer, 0);
  gtk_password_entry_set_show_peek_icon (GTK_PASSWORD_ENTRY (entry), TRUE);
  gtk_accessible_update_property (GTK_ACCESSIBLE (entry),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, accessible_name,
                                  -1);
  return entry;
}

/* The PIN in an entry made by kt_pin_buffer_new_entry(). */
const char *
kt_pin_buffer_get_pin (GtkEditable *entry)
{
  GtkEditable *text;
  GtkEntryBuffer *buffer;

  g_return_val_if_fail (GTK_IS_EDITABLE (entry), NULL);

  text = gtk_editable_get_delegate (entry);
  buffer = GTK_IS_TEXT (text) ? gtk_text_get_buffer (GTK_TEXT (text)) : NULL;
  g_return_val_if_fail (KT_IS_PIN_BUFFER (buffer), gtk_editable_get_text (entry));
  return KT_PIN_BUFFER (buffer)->pin;
}
