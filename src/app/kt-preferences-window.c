/* kt-preferences-window.c: where a person points Keyturn at an environment
 *
 * Copyright 2026 Keyturn developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <glib/gi18n.h>

#include "kt-preferences-window.h"

struct _KtPreferencesWindow
{
  AdwPreferencesWindow  parent_instance;

  /* Template widgets */
  AdwEntryRow          *base_url_row;
  AdwEntryRow          *environment_id_row;
  AdwEntryRow          *origin_row;
  AdwEntryRow          *virtual_key_socket_row;

  /* Owned */
  GSettings            *settings;
};

G_DEFINE_FINAL_TYPE (KtPreferencesWindow, kt_preferences_window, ADW_TYPE_PREFERENCES_WINDOW)

static void
kt_preferences_window_dispose (GObject *object)
{
  KtPreferencesWindow *self = KT_PREFERENCES_WINDOW (object);

  gtk_widget_dispose_template (GTK_WIDGET (self), KT_TYPE_PREFERENCES_WINDOW);
  g_clear_object (&self->settings);

  G_OBJECT_CLASS (kt_preferences_window_parent_class)->dispose (object);
}

static void
kt_preferences_window_class_init (KtPreferencesWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = kt_preferences_window_dispose;

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/keyturn/Keyturn/"
                                               "kt-preferences-window.ui");
  gtk_widget_class_bind_template_child (widget_class, KtPreferencesWindow, base_url_row);
  gtk_widget_class_bind_template_child (widget_class, KtPreferencesWindow, environment_id_row);
  gtk_widget_class_bind_template_child (widget_class, KtPreferencesWindow, origin_row);
  gtk_widget_class_bind_template_child (widget_class, KtPreferencesWindow,
                                        virtual_key_socket_row);
}

static void
kt_preferences_window_init (KtPreferencesWindow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}

KtPreferencesWindow *
kt_preferences_window_new (GSettings *settings)
{
  KtPreferencesWindow *self;

  g_return_val_if_fail (G_IS_SETTINGS (settings), NULL);

  self = g_object_new (KT_TYPE_PREFERENCES_WINDOW, NULL);
  self->settings = g_object_ref (settings);
  /* Applied when the window closes, so a half-typed URL never reaches the controller. */
  g_settings_bind (settings, "api-base-url", self->base_url_row, "text", G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (settings, "environment-id", self->environment_id_row, "text",
                   G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (settings, "origin", self->origin_row, "text", G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (settings, "virtual-key-socket", self->virtual_key_socket_row, "text",
                   G_SETTINGS_BIND_DEFAULT);
  return self;
}
