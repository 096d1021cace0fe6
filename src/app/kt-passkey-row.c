/* kt-passkey-row.c: one passkey in the account's list, with its details and its actions
 *
 * Copyright 2026 Keyturn developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <glib/gi18n.h>

#include "kt-passkey-row.h"

struct _KtPasskeyRow
{
  AdwActionRow  parent_instance;

  /* Owned */
  KtPasskey    *passkey;
  GtkWidget    *rename_button;
  GtkWidget    *delete_button;
};

G_DEFINE_FINAL_TYPE (KtPasskeyRow, kt_passkey_row, ADW_TYPE_ACTION_ROW)

static char *
format_time (GDateTime *time)
{
  g_autoptr(GDateTime) local = NULL;

  if (time == NULL)
    return g_strdup (_("unknown"));
  local = g_date_time_to_local (time);
  /* Translators: a date and time, see g_date_time_format(). */
  return g_date_time_format (local, _("%x %X"));
}

static GtkWidget *
create_action_button (KtPasskeyRow *self,
                      const char   *icon_name,
                      const char   *action_name)
{
  GtkWidget *button = gtk_button_new_from_icon_name (icon_name);

  gtk_widget_set_valign (button, GTK_ALIGN_CENTER);
  gtk_actionable_set_action_name (GTK_ACTIONABLE (button), action_name);
  gtk_actionable_set_action_target (GTK_ACTIONABLE (button), "s",
                                    kt_passkey_get_id (self->passkey));
  gtk_widget_add_css_class (button, "flat");
  return button;
}

static void
describe_button (GtkWidget  *button,
                 const char *description)
{
  gtk_widget_set_tooltip_text (button, description);
  gtk_accessible_update_property (GTK_ACCESSIBLE (button),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, description,
                                  -1);
}

static void
update_passkey_row (KtPasskeyRow *self)
{
  KtPasskey *passkey = self->passkey;
  g_autofree char *title = kt_passkey_row_dup_title (passkey);
  g_autofree char *created = format_time (kt_passkey_get_created_at (passkey));
  g_autofree char *updated = format_time (kt_passkey_get_updated_at (passkey));
  g_autofree char *details = NULL;
  g_autofree char *rename_label = NULL;
  g_autofree char *delete_label = NULL;
  const char *authenticator = kt_passkey_get_authenticator_name (passkey);
  const char *origin = kt_passkey_get_origin (passkey);

  details = g_strdup_printf (_("Authenticator: %s\nCredential ID: %s\nOrigin: %s\n"
                               "Added: %s\nLast changed: %s"),
                             authenticator != NULL ? authenticator : _("unknown"),
                             kt_passkey_get_credential_id (passkey),
                             origin != NULL ? origin : _("unknown"),
                             created, updated);
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (self), title);
  adw_action_row_set_subtitle (ADW_ACTION_ROW (self), details);

  rename_label = g_strdup_printf (_("Rename “%s”"), title);
  delete_label = g_strdup_printf (_("Remove “%s”"), title);
  describe_button (self->rename_button, rename_label);
  describe_button (self->delete_button, delete_label);
}

static void
kt_passkey_row_dispose (GObject *object)
{
  KtPasskeyRow *self = KT_PASSKEY_ROW (object);

  g_clear_object (&self->passkey);

  G_OBJECT_CLASS (kt_passkey_row_parent_class)->dispose (object);
}

static void
kt_passkey_row_class_init (KtPasskeyRowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = kt_passkey_row_dispose;
}

static void
kt_passkey_row_init (KtPasskeyRow *self)
{
}

KtPasskeyRow *
kt_passkey_row_new (KtPasskey *passkey)
{
  KtPasskeyRow *self;

  g_return_val_if_fail (KT_IS_PASSKEY (passkey), NULL);

  self = g_object_new (KT_TYPE_PASSKEY_ROW, NULL);
  self->passkey = g_object_ref (passkey);
  self->rename_button = create_action_button (self, "document-edit-symbolic", "account.rename");
  self->delete_button = create_action_button (self, "user-trash-symbolic", "account.delete");
  adw_action_row_add_suffix (ADW_ACTION_ROW (self), self->rename_button);
  adw_action_row_add_suffix (ADW_ACTION_ROW (self), self->delete_button);
  adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (self), FALSE);
  adw_action_row_set_subtitle_lines (ADW_ACTION_ROW (self), 0);

  /* A rename updates the passkey in place. */
  g_signal_connect_object (passkey, "notify", G_CALLBACK (update_passkey_row), self,
                           G_CONNECT_SWAPPED);
  update_passkey_row (self);
  return self;
}

char *
kt_passkey_row_dup_title (KtPasskey *passkey)
{
  const char *alias = kt_passkey_get_alias (passkey);
  const char *authenticator = kt_passkey_get_authenticator_name (passkey);

  if (alias != NULL && *alias != '\0')
    return g_strdup (alias);
  if (authenticator != NULL && *authenticator != '\0')
    return g_strdup (authenticator);
  return g_strdup (_("Security key"));
}
