/* kt-pin-buffer.h: the text of a PIN entry, kept out of the accessibility bus
 *
 * Copyright 2026 Keyturn developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

#define KT_TYPE_PIN_BUFFER (kt_pin_buffer_get_type ())

G_DECLARE_FINAL_TYPE (KtPinBuffer, kt_pin_buffer, KT, PIN_BUFFER, GtkEntryBuffer)

GtkWidget  *kt_pin_buffer_new_entry (const char  *accessible_name);
const char *kt_pin_buffer_get_pin   (GtkEditable *entry);

G_END_DECLS
