/* kt-recovery-codes-page.c: the recovery codes, shown until the person has kept them
 *
 * Copyright 2026 Keyturn developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <glib/gi18n.h>
#include <string.h>

#include "kt-flow-status.h"
#include "kt-recovery-codes-page.h"

struct _KtRecoveryCodesPage
{
  KtFlowPage         parent_instance;

  /* Template widgets */
  GtkLabel          *codes_label;
  GtkLabel          *keep_error_label;
  GtkSwitch         *confirm_switch;

  /* Owned */
  gboolean           kept;             /* copied or saved since the codes came */
  GCancellable      *cancellable;
  GtkPrintOperation *print_operation;  /* the last one, kept while it may still be running */
};

G_DEFINE_FINAL_TYPE (KtRecoveryCodesPage, kt_recovery_codes_page, KT_TYPE_FLOW_PAGE)

static char *
dup_codes_text (KtRecoveryCodesPage *self)
{
  KtMfaController *controller = kt_flow_page_get_controller (KT_FLOW_PAGE (self));
  const char * const *codes = NULL;

  if (controller != NULL)
    codes = kt_mfa_controller_get_recovery_codes (controller);
  if (codes == NULL)
    return g_strdup ("");
  return g_strjoinv ("\n", (char **) codes);
}

/* The codes are safe, which lets the person go on. Where they went is a passing event, so it is
 * a toast; a failure stays on the page until the person tries again. */
static void
show_kept (KtRecoveryCodesPage *self,
           const char          *message)
{
  self->kept = TRUE;
  gtk_widget_set_visible (GTK_WIDGET (self->keep_error_label), FALSE);
  gtk_widget_activate_action (GTK_WIDGET (self), "win.toast", "s", message);
  kt_flow_page_update (KT_FLOW_PAGE (self));
}

static void
show_keep_error (KtRecoveryCodesPage *self,
                 const char          *text)
{
  gtk_label_set_text (self->keep_error_label, text);
  gtk_widget_set_visible (GTK_WIDGET (self->keep_error_label), TRUE);
}

static void
kt_recovery_codes_page_update (KtFlowPage *page)
{
  KtRecoveryCodesPage *self = KT_RECOVERY_CODES_PAGE (page);
  KtMfaController *controller = kt_flow_page_get_controller (page);
  gboolean idle = kt_flow_page_is_idle (page);
  gboolean kept = self->kept || gtk_switch_get_active (self->confirm_switch);
  gboolean has_codes = FALSE;

  if (controller != NULL)
    {
      const char * const *codes = kt_mfa_controller_get_recovery_codes (controller);

      has_codes = codes != NULL && codes[0] != NULL;
    }

  gtk_widget_action_set_enabled (GTK_WIDGET (self), "recovery-codes.copy", has_codes);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "recovery-codes.save", has_codes);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "recovery-codes.print", has_codes);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "recovery-codes.acknowledge", idle && kept);
}

static void
on_codes_changed (KtRecoveryCodesPage *self)
{
  g_autofree char *text = dup_codes_text (self);

  /* New codes have not been kept anywhere yet. */
  self->kept = FALSE;
  gtk_widget_set_visible (GTK_WIDGET (self->keep_error_label), FALSE);
  gtk_switch_set_active (self->confirm_switch, FALSE);
  gtk_label_set_text (self->codes_label, text);
  kt_flow_page_update (KT_FLOW_PAGE (self));
}

static void
copy_action (GtkWidget  *widget,
             const char *action_name,
             GVariant   *parameter)
{
  KtRecoveryCodesPage *self = KT_RECOVERY_CODES_PAGE (widget);
  g_autofree char *text = dup_codes_text (self);

  gdk_clipboard_set_text (gtk_widget_get_clipboard (widget), text);
  show_kept (self, _("Recovery codes copied. Paste them somewhere safe."));
}

static void
on_codes_saved (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(KtRecoveryCodesPage) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *name = NULL;
  g_autofree char *text = NULL;

  if (!g_file_replace_contents_finish (G_FILE (source), result, NULL, &error))
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        return;
      text = g_strdup_printf (_("The codes could not be saved: %s"), error->message);
      show_keep_error (self, text);
      return;
    }

  name = g_file_get_parse_name (G_FILE (source));
  text = g_strdup_printf (_("Recovery codes saved in %s"), name);
  show_kept (self, text);
}

static void
on_save_chosen (GtkNativeDialog     *dialog,
                int                  response,
                KtRecoveryCodesPage *self)
{
  g_autoptr(GFile) file = NULL;
  g_autoptr(GBytes) contents = NULL;
  g_autofree char *codes = NULL;

  if (response == GTK_RESPONSE_ACCEPT)
    file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (dialog));
  gtk_native_dialog_destroy (dialog);
  g_object_unref (dialog);
  if (file == NULL)
    return;

  codes = dup_codes_text (self);
  contents = g_bytes_new_take (g_strconcat (codes, "\n", NULL), strlen (codes) + 1);
  /* Readable by this user alone: each code signs in once without the key. */
  g_file_replace_contents_bytes_async (file, contents, NULL, FALSE,
                                       G_FILE_CREATE_PRIVATE | G_FILE_CREATE_REPLACE_DESTINATION,
                                       self->cancellable, on_codes_saved, g_object_ref (self));
}

static void
save_action (GtkWidget  *widget,
             const char *action_name,
             GVariant   *parameter)
{
  KtRecoveryCodesPage *self = KT_RECOVERY_CODES_PAGE (widget);
  GtkFileChooserNative *dialog;

  dialog = gtk_file_chooser_native_new (_("Save Recovery Codes"),
                                        GTK_WINDOW (gtk_widget_get_root (widget)),
                                        GTK_FILE_CHOOSER_ACTION_SAVE,
                                        _("_Save"), _("_Cancel"));
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (dialog), TRUE);
  /* Translators: the suggested name of the file the recovery codes are saved to. */
  gtk_file_chooser_set_current_name (GTK_FILE_CHOOSER (dialog), _("keyturn-recovery-codes.txt"));
  g_signal_connect_object (dialog, "response", G_CALLBACK (on_save_chosen), self, 0);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (dialog));
}

static void
acknowledge_action (GtkWidget  *widget,
                    const char *action_name,
                    GVariant   *parameter)
{
  KtFlowPage *page = KT_FLOW_PAGE (widget);

  if (!kt_flow_page_is_idle (page))
    return;
  kt_mfa_controller_acknowledge_recovery_codes_async (kt_flow_page_get_controller (page), NULL,
                                                      NULL, NULL);
}

/* The window builds this page when its step comes, after the codes have arrived. */
static void
kt_recovery_codes_page_controller_changed (KtFlowPage *page)
{
  on_codes_changed (KT_RECOVERY_CODES_PAGE (page));
}

static void
on_draw_page (GtkPrintOperation   *operation,
              GtkPrintContext     *context,
              int                  page_nr,
              KtRecoveryCodesPage *self)
{
  cairo_t *cr = gtk_print_context_get_cairo_context (context);
  g_autoptr(PangoLayout) layout = gtk_print_context_create_pango_layout (context);
  g_autoptr(PangoFontDescription) font = pango_font_description_from_string ("Monospace 12");
  g_autofree char *codes = dup_codes_text (self);
  g_autofree char *text = g_strdup_printf ("%s\n\n%s", _("Keyturn recovery codes"), codes);

  pango_layout_set_font_description (layout, font);
  pango_layout_set_text (layout, text, -1);
  cairo_move_to (cr, 0, 0);
  pango_cairo_show_layout (cr, layout);
}

static void
on_print_done (GtkPrintOperation       *operation,
               GtkPrintOperationResult  result,
               KtRecoveryCodesPage     *self)
{
  g_autoptr(GError) error = NULL;

  if (result == GTK_PRINT_OPERATION_RESULT_APPLY)
    show_kept (self, _("Recovery codes sent to the printer"));
  else if (result == GTK_PRINT_OPERATION_RESULT_ERROR)
    {
      g_autofree char *text = NULL;

      gtk_print_operation_get_error (operation, &error);
      text = g_strdup_printf (_("The codes could not be printed: %s"),
                              error != NULL ? error->message : _("unknown error"));
      show_keep_error (self, text);
    }
}

static void
print_action (GtkWidget  *widget,
              const char *action_name,
              GVariant   *parameter)
{
  KtRecoveryCodesPage *self = KT_RECOVERY_CODES_PAGE (widget);
  GtkPrintOperation *operation = gtk_print_operation_new ();
  g_autoptr(GError) error = NULL;

  g_set_object (&self->print_operation, operation);
  g_object_unref (operation);

  gtk_print_operation_set_n_pages (operation, 1);
  gtk_print_operation_set_allow_async (operation, TRUE);
  gtk_print_operation_set_job_name (operation, _("Keyturn recovery codes"));
  g_signal_connect_object (operation, "draw-page", G_CALLBACK (on_draw_page), self, 0);
  g_signal_connect_object (operation, "done", G_CALLBACK (on_print_done), self, 0);
  if (gtk_print_operation_run (operation, GTK_PRINT_OPERATION_ACTION_PRINT_DIALOG,
                               GTK_WINDOW (gtk_widget_get_root (widget)), &error)
      == GTK_PRINT_OPERATION_RESULT_ERROR)
    {
      g_autofree char *text = g_strdup_printf (_("The codes could not be printed: %s"),
                                               error->message);

      show_keep_error (self, text);
    }
}

static void
kt_recovery_codes_page_dispose (GObject *object)
{
  KtRecoveryCodesPage *self = KT_RECOVERY_CODES_PAGE (object);

  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  if (self->print_operation != NULL)
    g_signal_handlers_disconnect_by_data (self->print_operation, self);
  g_clear_object (&self->print_operation);

  G_OBJECT_CLASS (kt_recovery_codes_page_parent_class)->dispose (object);
}

static void
kt_recovery_codes_page_class_init (KtRecoveryCodesPageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  KtFlowPageClass *page_class = KT_FLOW_PAGE_CLASS (klass);

  object_class->dispose = kt_recovery_codes_page_dispose;

  page_class->update = kt_recovery_codes_page_update;
  page_class->controller_changed = kt_recovery_codes_page_controller_changed;
  kt_flow_page_class_set_primary_control (page_class, "confirm_switch");

  g_type_ensure (KT_TYPE_FLOW_STATUS);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/keyturn/Keyturn/kt-recovery-codes-page.ui");
  gtk_widget_class_bind_template_child (widget_class, KtRecoveryCodesPage, codes_label);
  gtk_widget_class_bind_template_child (widget_class, KtRecoveryCodesPage, keep_error_label);
  gtk_widget_class_bind_template_child (widget_class, KtRecoveryCodesPage, confirm_switch);
  gtk_widget_class_bind_template_callback (widget_class, kt_flow_page_update);
  gtk_widget_class_install_action (widget_class, "recovery-codes.copy", NULL, copy_action);
  gtk_widget_class_install_action (widget_class, "recovery-codes.save", NULL, save_action);
  gtk_widget_class_install_action (widget_class, "recovery-codes.print", NULL, print_action);
  gtk_widget_class_install_action (widget_class, "recovery-codes.acknowledge", NULL, acknowledge_action);
}

static void
kt_recovery_codes_page_init (KtRecoveryCodesPage *self)
{
  self->cancellable = g_cancellable_new ();
  kt_flow_page_connect (KT_FLOW_PAGE (self), "notify::recovery-codes",
                        G_CALLBACK (on_codes_changed));

  gtk_widget_init_template (GTK_WIDGET (self));

  on_codes_changed (self);
}
