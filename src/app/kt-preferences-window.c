/* kt-preferences-window.c: where a person points Keyturn at an environment and sees the apps
 * that may use their sign-in
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
  AdwPreferencesGroup  *apps_group;
  AdwActionRow         *no_apps_row;

  /* Owned */
  GSettings            *settings;
  KtGrantStore         *grants;
  /* The allowed apps' rows, in apps_group (which holds them). */
  GPtrArray            *app_rows;
};

G_DEFINE_FINAL_TYPE (KtPreferencesWindow, kt_preferences_window, ADW_TYPE_PREFERENCES_WINDOW)

#define CALLER_ID_KEY     "kt-caller-id"
#define REVOKE_BUTTON_KEY "kt-revoke-button"

typedef struct {
  KtPreferencesWindow *self;
  char                *caller_id;
} Revocation;

static void
revocation_free (Revocation *revocation)
{
  g_object_unref (revocation->self);
  g_free (revocation->caller_id);
  g_free (revocation);
}

static void
on_revoked (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  Revocation *revocation = user_data;
  KtPreferencesWindow *self = revocation->self;
  g_autoptr(GError) error = NULL;

  /* On success the store says ::changed, and the row goes with it. */
  if (!kt_grant_store_revoke_finish (KT_GRANT_STORE (source), result, &error) &&
      self->grants != NULL)
    {
      g_autofree char *name = kt_grant_store_describe_caller (revocation->caller_id, NULL);
      /* Translators: the app's name, then why. */
      g_autofree char *message = g_strdup_printf (_("Access for %s could not be revoked: %s"),
                                                  name, error->message);
      AdwToast *toast = adw_toast_new ("");
      /* As the main window's toasts: a label of its own, plain text (the app's name is not
       * Keyturn's, and libadwaita 1.2 reads a toast's title as markup), wrapped rather than
       * cut short, and an alert for a screen reader. */
      GtkWidget *title = g_object_new (GTK_TYPE_LABEL,
                                       "label", message,
                                       "accessible-role", GTK_ACCESSIBLE_ROLE_ALERT,
                                       "wrap", TRUE,
                                       "wrap-mode", PANGO_WRAP_WORD_CHAR,
                                       "max-width-chars", 40,
                                       "xalign", 0.0f,
                                       NULL);

      gtk_widget_add_css_class (title, "heading");
      adw_toast_set_custom_title (toast, title);
      adw_toast_set_priority (toast, ADW_TOAST_PRIORITY_HIGH);
      adw_preferences_window_add_toast (ADW_PREFERENCES_WINDOW (self), toast);
    }
  revocation_free (revocation);
}

static void
on_revoke_clicked (GtkButton           *button,
                   KtPreferencesWindow *self)
{
  Revocation *revocation;

  if (self->grants == NULL)
    return;
  revocation = g_new0 (Revocation, 1);
  revocation->self = g_object_ref (self);
  revocation->caller_id = g_strdup (g_object_get_data (G_OBJECT (button), CALLER_ID_KEY));
  /* Pressed twice, it revokes twice: the second finds nothing to remove. The button keeps the
   * focus meanwhile, for the list to pass it on when the row goes. */
  kt_grant_store_revoke_async (self->grants, revocation->caller_id, NULL, on_revoked,
                               revocation);
}

static GtkWidget *
create_app_row (KtPreferencesWindow *self,
                const char          *caller_id)
{
  g_autofree char *detail = NULL;
  g_autofree char *name = kt_grant_store_describe_caller (caller_id, &detail);
  /* Translators: the name a screen reader gives a Revoke button; %s is the app's name. */
  g_autofree char *revoke_label = g_strdup_printf (_("Revoke access for %s"), name);
  GtkWidget *row = adw_action_row_new ();
  GtkWidget *button = gtk_button_new_with_label (_("Revoke"));

  /* The name comes from the app's own desktop file: shown as it is, never as markup. */
  adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), name);
  adw_action_row_set_subtitle (ADW_ACTION_ROW (row), detail);

  gtk_widget_set_valign (button, GTK_ALIGN_CENTER);
  gtk_widget_set_tooltip_text (button, revoke_label);
  /* Every row has a Revoke button: each says whose access it revokes. */
  gtk_accessible_update_property (GTK_ACCESSIBLE (button),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, revoke_label,
                                  -1);
  g_object_set_data_full (G_OBJECT (button), CALLER_ID_KEY, g_strdup (caller_id), g_free);
  g_signal_connect (button, "clicked", G_CALLBACK (on_revoke_clicked), self);
  adw_action_row_add_suffix (ADW_ACTION_ROW (row), button);
  g_object_set_data (G_OBJECT (row), REVOKE_BUTTON_KEY, button);
  return row;
}

/* Which app row holds the keyboard focus, if one does. */
static gint
focused_app_row (KtPreferencesWindow *self)
{
  GtkWidget *focus = gtk_root_get_focus (GTK_ROOT (self));

  for (guint i = 0; focus != NULL && i < self->app_rows->len; i++)
    {
      GtkWidget *row = g_ptr_array_index (self->app_rows, i);

      if (focus == row || gtk_widget_is_ancestor (focus, row))
        return (gint) i;
    }
  return -1;
}

static void
update_apps (KtPreferencesWindow *self)
{
  g_auto(GStrv) allowed = kt_grant_store_dup_allowed (self->grants);
  gint focused = focused_app_row (self);

  for (guint i = 0; i < self->app_rows->len; i++)
    adw_preferences_group_remove (self->apps_group, g_ptr_array_index (self->app_rows, i));
  g_ptr_array_set_size (self->app_rows, 0);

  for (guint i = 0; allowed[i] != NULL; i++)
    {
      GtkWidget *row = create_app_row (self, allowed[i]);

      adw_preferences_group_add (self->apps_group, row);
      g_ptr_array_add (self->app_rows, row);
    }
  gtk_widget_set_visible (GTK_WIDGET (self->no_apps_row), allowed[0] == NULL);

  /* The focus was on a row that is gone (its app was revoked): it goes to the next row's
   * button, or to the row that says none is left, rather than back to the window's start. */
  if (focused >= 0)
    {
      if (self->app_rows->len > 0)
        {
          GtkWidget *row = g_ptr_array_index (self->app_rows,
                                              MIN ((guint) focused, self->app_rows->len - 1));

          gtk_widget_grab_focus (g_object_get_data (G_OBJECT (row), REVOKE_BUTTON_KEY));
        }
      else
        {
          gtk_widget_grab_focus (GTK_WIDGET (self->no_apps_row));
        }
    }
}

static void
kt_preferences_window_dispose (GObject *object)
{
  KtPreferencesWindow *self = KT_PREFERENCES_WINDOW (object);

  if (self->grants != NULL)
    g_signal_handlers_disconnect_by_data (self->grants, self);
  g_clear_object (&self->grants);
  gtk_widget_dispose_template (GTK_WIDGET (self), KT_TYPE_PREFERENCES_WINDOW);
  g_clear_object (&self->settings);
  g_clear_pointer (&self->app_rows, g_ptr_array_unref);

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
  gtk_widget_class_bind_template_child (widget_class, KtPreferencesWindow, apps_group);
  gtk_widget_class_bind_template_child (widget_class, KtPreferencesWindow, no_apps_row);
}

static void
kt_preferences_window_init (KtPreferencesWindow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  self->app_rows = g_ptr_array_new ();
}

KtPreferencesWindow *
kt_preferences_window_new (GSettings    *settings,
                           KtGrantStore *grants)
{
  KtPreferencesWindow *self;

  g_return_val_if_fail (G_IS_SETTINGS (settings), NULL);
  g_return_val_if_fail (grants == NULL || KT_IS_GRANT_STORE (grants), NULL);

  self = g_object_new (KT_TYPE_PREFERENCES_WINDOW, NULL);
  self->settings = g_object_ref (settings);
  /* Applied when the window closes, so a half-typed URL never reaches the controller. */
  g_settings_bind (settings, "api-base-url", self->base_url_row, "text", G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (settings, "environment-id", self->environment_id_row, "text",
                   G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (settings, "origin", self->origin_row, "text", G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (settings, "virtual-key-socket", self->virtual_key_socket_row, "text",
                   G_SETTINGS_BIND_DEFAULT);

  if (grants != NULL)
    {
      self->grants = g_object_ref (grants);
      /* Follows every change, the window's own Revoke and anyone else's alike. */
      g_signal_connect_swapped (grants, "changed", G_CALLBACK (update_apps), self);
      update_apps (self);
    }
  gtk_widget_set_visible (GTK_WIDGET (self->apps_group), grants != NULL);
  return self;
}
