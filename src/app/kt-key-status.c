/* kt-key-status.c: what the security key needs from the person now, in words and a picture
 *
 * Copyright 2026 Keyturn developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <glib/gi18n.h>

#include "kt-key-status.h"
#include "kt-mfa-controller.h"

struct _KtKeyStatus
{
  AdwBin           parent_instance;

  /* Template widgets */
  GtkImage         *image;
  GtkLabel         *label;

  /* Owned */
  KtMfaController *controller;
  GSignalGroup    *controller_signals;
};

G_DEFINE_FINAL_TYPE (KtKeyStatus, kt_key_status, ADW_TYPE_BIN)

enum {
  PROP_0,
  PROP_CONTROLLER,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

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
update_key_status (KtKeyStatus *self)
{
  KtWebauthnState state = KT_WEBAUTHN_STATE_IDLE;
  int retries = -1;
  g_autofree char *text = NULL;

  if (self->controller != NULL)
    {
      state = kt_mfa_controller_get_authenticator_state (self->controller);
      retries = kt_mfa_controller_get_pin_retries (self->controller);
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
  gtk_image_set_from_icon_name (self->image, icon_for_state (state));
}

static void
kt_key_status_set_controller (KtKeyStatus     *self,
                              KtMfaController *controller)
{
  if (!g_set_object (&self->controller, controller))
    return;

  g_signal_group_set_target (self->controller_signals, controller);
  update_key_status (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CONTROLLER]);
}

static void
kt_key_status_dispose (GObject *object)
{
  KtKeyStatus *self = KT_KEY_STATUS (object);

  gtk_widget_dispose_template (GTK_WIDGET (self), KT_TYPE_KEY_STATUS);
  g_clear_object (&self->controller_signals);
  g_clear_object (&self->controller);

  G_OBJECT_CLASS (kt_key_status_parent_class)->dispose (object);
}

static void
kt_key_status_get_property (GObject    *object,
                            guint       prop_id,
                            GValue     *value,
                            GParamSpec *pspec)
{
  KtKeyStatus *self = KT_KEY_STATUS (object);

  switch (prop_id)
    {
    case PROP_CONTROLLER:
      g_value_set_object (value, self->controller);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
kt_key_status_set_property (GObject      *object,
                            guint         prop_id,
                            const GValue *value,
                            GParamSpec   *pspec)
{
  KtKeyStatus *self = KT_KEY_STATUS (object);

  switch (prop_id)
    {
    case PROP_CONTROLLER:
      kt_key_status_set_controller (self, g_value_get_object (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
kt_key_status_class_init (KtKeyStatusClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = kt_key_status_dispose;
  object_class->get_property = kt_key_status_get_property;
  object_class->set_property = kt_key_status_set_property;

  properties[PROP_CONTROLLER] =
    g_param_spec_object ("controller", NULL, NULL, KT_TYPE_MFA_CONTROLLER,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/keyturn/Keyturn/kt-key-status.ui");
  gtk_widget_class_bind_template_child (widget_class, KtKeyStatus, image);
  gtk_widget_class_bind_template_child (widget_class, KtKeyStatus, label);
}

static void
kt_key_status_init (KtKeyStatus *self)
{
  self->controller_signals = g_signal_group_new (KT_TYPE_MFA_CONTROLLER);
  g_signal_group_connect_swapped (self->controller_signals, "notify::authenticator-state",
                                  G_CALLBACK (update_key_status), self);
  g_signal_group_connect_swapped (self->controller_signals, "notify::pin-retries",
                                  G_CALLBACK (update_key_status), self);

  gtk_widget_init_template (GTK_WIDGET (self));

  update_key_status (self);
}
