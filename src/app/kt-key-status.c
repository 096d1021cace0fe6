/* kt-key-status.c: what the security key needs from the person now, in words and a picture
 *
 * Copyright 2026 Keyturn developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <glib/gi18n.h>

#include "kt-key-status.h"

struct _KtKeyStatus
{
  KtFlowPage  parent_instance;

  /* Template widgets */
  GtkImage   *image;
  GtkLabel   *label;
};

G_DEFINE_FINAL_TYPE (KtKeyStatus, kt_key_status, KT_TYPE_FLOW_PAGE)

static const char *
describe_state (KtWebauthnState state)
{
  switch (state)
    {
    case KT_WEBAUTHN_STATE_IDLE:
      return _("Have your security key at hand.");
    case KT_WEBAUTHN_STATE_WORKING:
      return _("Talking to your security key…");
    case KT_WEBAUTHN_STATE_NO_KEY:
      return _("Insert your security key.");
    case KT_WEBAUTHN_STATE_SELECT_KEY:
      return _("More than one key is inserted. Touch the one you want to use.");
    case KT_WEBAUTHN_STATE_TOUCH_NEEDED:
      return _("Touch your security key.");
    case KT_WEBAUTHN_STATE_PIN_NEEDED:
      return _("Enter your security key's PIN.");
    case KT_WEBAUTHN_STATE_WRONG_PIN:
      return _("That PIN is not right. Try again.");
    case KT_WEBAUTHN_STATE_PIN_NOT_SET:
      return _("This key needs a PIN before it can be used here. Set one, then try again.");
    case KT_WEBAUTHN_STATE_PIN_BLOCKED:
      return _("Too many wrong PINs. Remove the key, insert it again, and try again.");
    case KT_WEBAUTHN_STATE_PIN_HARD_BLOCKED:
      return _("This key's PIN is locked for good. The key must be reset, which erases its passkeys.");
    case KT_WEBAUTHN_STATE_ALREADY_REGISTERED:
      return _("This key is already registered. Use another key.");
    case KT_WEBAUTHN_STATE_NOT_REGISTERED:
      return _("This key is not registered with your account. Try another key.");
    case KT_WEBAUTHN_STATE_MISSING_CAPABILITY:
      return _("This key cannot be used here: it lacks a feature this sign-in needs.");
    case KT_WEBAUTHN_STATE_TIMED_OUT:
      return _("The key was not used in time. Try again.");
    case KT_WEBAUTHN_STATE_CANCELLED:
      return _("Cancelled. Try again when you are ready.");
    case KT_WEBAUTHN_STATE_FAILED:
      return _("The security key could not be used.");
    default:
      g_return_val_if_reached ("");
    }
}

static const char *
icon_for_state (KtWebauthnState state)
{
  switch (state)
    {
    /* Keyturn's own drawings of the key (src/app/icons) for what the person does next. */
    case KT_WEBAUTHN_STATE_IDLE:
    case KT_WEBAUTHN_STATE_WORKING:
    case KT_WEBAUTHN_STATE_NO_KEY:
      return "kt-key-insert-symbolic";
    case KT_WEBAUTHN_STATE_SELECT_KEY:
      return "kt-key-several-symbolic";
    case KT_WEBAUTHN_STATE_TOUCH_NEEDED:
      return "kt-key-touch-symbolic";
    case KT_WEBAUTHN_STATE_PIN_NEEDED:
    case KT_WEBAUTHN_STATE_WRONG_PIN:
    case KT_WEBAUTHN_STATE_PIN_NOT_SET:
      return "kt-key-pin-symbolic";
    case KT_WEBAUTHN_STATE_TIMED_OUT:
      return "alarm-symbolic";
    case KT_WEBAUTHN_STATE_CANCELLED:
      return "process-stop-symbolic";
    case KT_WEBAUTHN_STATE_PIN_BLOCKED:
    case KT_WEBAUTHN_STATE_PIN_HARD_BLOCKED:
    case KT_WEBAUTHN_STATE_ALREADY_REGISTERED:
    case KT_WEBAUTHN_STATE_NOT_REGISTERED:
    case KT_WEBAUTHN_STATE_MISSING_CAPABILITY:
    case KT_WEBAUTHN_STATE_FAILED:
      return "dialog-warning-symbolic";
    default:
      g_return_val_if_reached ("kt-key-insert-symbolic");
    }
}

static void
kt_key_status_update (KtFlowPage *page)
{
  KtKeyStatus *self = KT_KEY_STATUS (page);
  KtMfaController *controller = kt_flow_page_get_controller (page);
  KtWebauthnState state = KT_WEBAUTHN_STATE_IDLE;
  int retries = -1;
  g_autofree char *text = NULL;
  gboolean resting;
  const char *icon;

  if (controller != NULL)
    {
      state = kt_mfa_controller_get_authenticator_state (controller);
      retries = kt_mfa_controller_get_pin_retries (controller);
    }

  if ((state == KT_WEBAUTHN_STATE_PIN_NEEDED || state == KT_WEBAUTHN_STATE_WRONG_PIN)
      && retries >= 0 && retries <= 3)
    {
      g_autofree char *left = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                                            "%d attempt left.",
                                                            "%d attempts left.",
                                                            retries),
                                               retries);
      text = g_strdup_printf ("%s %s", describe_state (state), left);
    }
  else
    text = g_strdup (describe_state (state));

  gtk_label_set_text (self->label, text);
  /* What the key waits for is said wherever the focus is, as it changes: the status is off it.
   * The resting states ask nothing of the person. */
  resting = state == KT_WEBAUTHN_STATE_IDLE || state == KT_WEBAUTHN_STATE_WORKING;
  kt_flow_page_announce_once (page, resting ? NULL : text);
  /* Called on every change of the controller's busy state too, which changes no picture. */
  icon = icon_for_state (state);
  if (g_strcmp0 (gtk_image_get_icon_name (self->image), icon) != 0)
    gtk_image_set_from_icon_name (self->image, icon);
}

static void
kt_key_status_class_init (KtKeyStatusClass *klass)
{
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  KtFlowPageClass *page_class = KT_FLOW_PAGE_CLASS (klass);

  page_class->update = kt_key_status_update;

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/keyturn/Keyturn/kt-key-status.ui");
  gtk_widget_class_bind_template_child (widget_class, KtKeyStatus, image);
  gtk_widget_class_bind_template_child (widget_class, KtKeyStatus, label);
}

static void
kt_key_status_init (KtKeyStatus *self)
{
  kt_flow_page_watch (KT_FLOW_PAGE (self), "authenticator-state", "pin-retries", NULL);

  gtk_widget_init_template (GTK_WIDGET (self));
}
