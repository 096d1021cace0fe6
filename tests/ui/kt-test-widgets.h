/* kt-test-widgets.h: finding widgets as a person finds them, for the widget tests
 *
 * Copyright 2026 Keyturn developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>

G_BEGIN_DECLS

typedef gboolean (*KtTestMatch) (GtkWidget     *widget,
                                 gconstpointer  data);

/* The first widget under @root (depth first, @root itself left out) that @match accepts, among
 * those shown: a hidden widget and all it holds are passed over. */
GtkWidget        *kt_test_find         (GtkWidget     *root,
                                        KtTestMatch    match,
                                        gconstpointer  data);
/* The field that the label reading @text names, as its mnemonic widget. */
GtkWidget        *kt_test_find_field   (GtkWidget     *root,
                                        const char    *text);
/* The label reading @text. */
GtkLabel         *kt_test_find_label   (GtkWidget     *root,
                                        const char    *text);
/* The button whose own label reads @text. */
GtkWidget        *kt_test_find_button  (GtkWidget     *root,
                                        const char    *text);
/* The message dialog on screen, if any. */
AdwMessageDialog *kt_test_find_message_dialog (void);

/* Runs the main loop until @done, looking again at least every 50 ms; fails after @seconds,
 * which only a failing run waits out. */
void       kt_test_spin_until       (gboolean     (*done) (gpointer data),
                                     gpointer       data,
                                     const char    *what,
                                     int            seconds);

G_END_DECLS
