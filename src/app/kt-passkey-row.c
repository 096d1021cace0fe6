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
                      const char   *action_name,
                      const char   *description)
{
  GtkWidget *button = gtk_button_new_from_icon_name (icon_name);

  gtk_widget_set_valign (button, GTK_ALIGN_CENTER);
  gtk_widget_set_tooltip_text (button, description);
  gtk_accessible_update_property (GTK_ACCESSIBLE (button),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, description,
                                  -1);
  gtk_actionable_set_action_name (GTK_ACTIONABLE (button), action_name);
  gtk_actionable_set_action_target (GTK_ACTIONABLE (button), "s",
                                    kt_passkey_get_id (self->passkey));
  gtk_widget_add_css_class (button, "flat");
  return button;
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
  g_autofree char *title = NULL;
  g_autofree char *created = NULL;
  g_autofree char *updated = NULL;
  g_autofree char *details = NULL;
  g_autofree char *rename_label = NULL;
  g_autofree char *delete_label = NULL;
  const char *authenticator;

  g_return_val_if_fail (KT_IS_PASSKEY (passkey), NULL);

  self = g_object_new (KT_TYPE_PASSKEY_ROW, NULL);
  self->passkey = g_object_ref (passkey);

  title = kt_passkey_row_dup_title (passkey);
  created = format_time (kt_passkey_get_created_at (passkey));
  updated = format_time (kt_passkey_get_updated_at (passkey));
  authenticator = kt_passkey_get_authenticator_name (passkey);
  details = g_strdup_printf (_("Authenticator: %s\nCredential ID: %s\nOrigin: %s\n"
                               "Added: %s\nLast changed: %s"),
                             authenticator != NULL ? authenticator : _("unknown"),
                             kt_passkey_get_credential_id (passkey),
                             kt_passkey_get_origin (passkey) != NULL
                               ? kt_passkey_get_origin (passkey) : _("unknown"),
                             created, updated);

  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (self), title);
  adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (self), FALSE);
  adw_action_row_set_subtitle (ADW_ACTION_ROW (self), details);
  adw_action_row_set_subtitle_lines (ADW_ACTION_ROW (self), 0);

  rename_label = g_strdup_printf (_("Rename “%s”"), title);
  delete_label = g_strdup_printf (_("Remove “%s”"), title);
  adw_action_row_add_suffix (ADW_ACTION_ROW (self),
                             create_action_button (self, "document-edit-symbolic",
                                                   "account.rename", rename_label));
  adw_action_row_add_suffix (ADW_ACTION_ROW (self),
                             create_action_button (self, "user-trash-symbolic",
                                                   "account.delete", delete_label));
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
