/* kt-test-widgets.c: finding widgets as a person finds them, for the widget tests
 *
 * Copyright 2026 Keyturn developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "kt-test-widgets.h"

GtkWidget *
kt_test_find (GtkWidget     *root,
              KtTestMatch    match,
              gconstpointer  data)
{
  for (GtkWidget *child = gtk_widget_get_first_child (root);
       child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found;

      if (!gtk_widget_get_visible (child))
        continue;
      if (match (child, data))
        return child;
      found = kt_test_find (child, match, data);
      if (found != NULL)
        return found;
    }
  return NULL;
}

static gboolean
label_reads (GtkWidget     *widget,
             gconstpointer  text)
{
  return GTK_IS_LABEL (widget) && g_strcmp0 (gtk_label_get_text (GTK_LABEL (widget)), text) == 0;
}

static gboolean
names_field (GtkWidget     *widget,
             gconstpointer  text)
{
  return label_reads (widget, text) && gtk_label_get_mnemonic_widget (GTK_LABEL (widget)) != NULL;
}

static gboolean
button_reads (GtkWidget     *widget,
              gconstpointer  text)
{
  return GTK_IS_BUTTON (widget) && label_reads (gtk_button_get_child (GTK_BUTTON (widget)), text);
}

GtkWidget *
kt_test_find_field (GtkWidget  *root,
                    const char *text)
{
  GtkWidget *label = kt_test_find (root, names_field, text);

  return label != NULL ? gtk_label_get_mnemonic_widget (GTK_LABEL (label)) : NULL;
}

GtkLabel *
kt_test_find_label (GtkWidget  *root,
                    const char *text)
{
  return GTK_LABEL (kt_test_find (root, label_reads, text));
}

GtkWidget *
kt_test_find_button (GtkWidget  *root,
                     const char *text)
{
  return kt_test_find (root, button_reads, text);
}

AdwMessageDialog *
kt_test_find_message_dialog (void)
{
  GListModel *toplevels = gtk_window_get_toplevels ();

  for (guint i = 0; i < g_list_model_get_n_items (toplevels); i++)
    {
      g_autoptr(GObject) window = g_list_model_get_item (toplevels, i);

      if (ADW_IS_MESSAGE_DIALOG (window) && gtk_widget_get_visible (GTK_WIDGET (window)))
        return ADW_MESSAGE_DIALOG (window);
    }
  return NULL;
}

static gboolean
on_tick (gpointer user_data)
{
  return G_SOURCE_CONTINUE;
}

void
kt_test_spin_until (gboolean   (*done) (gpointer data),
                    gpointer     data,
                    const char  *what,
                    int          seconds)
{
  gint64 deadline = g_get_monotonic_time () + seconds * G_USEC_PER_SEC;
  guint tick = g_timeout_add (50, on_tick, NULL);

  while (!done (data))
    {
      if (g_get_monotonic_time () > deadline)
        g_error ("timed out waiting for %s", what);
      g_main_context_iteration (NULL, TRUE);
    }
  g_source_remove (tick);
}
