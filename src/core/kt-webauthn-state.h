/* kt-webauthn-state.h: what the user must do now, while a security-key ceremony runs
 *
 * Copyright 2026 Keyturn developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

/**
 * KtWebauthnState:
 * @KT_WEBAUTHN_STATE_IDLE: no ceremony runs (or the last one succeeded)
 * @KT_WEBAUTHN_STATE_WORKING: talking to the key; nothing for the user to do
 * @KT_WEBAUTHN_STATE_NO_KEY: insert a security key
 * @KT_WEBAUTHN_STATE_SELECT_KEY: several keys are present; touch the one to use
 * @KT_WEBAUTHN_STATE_TOUCH_NEEDED: touch the key
 * @KT_WEBAUTHN_STATE_PIN_NEEDED: enter the key's PIN (the pin-retries property says how many
 *   attempts are left)
 * @KT_WEBAUTHN_STATE_WRONG_PIN: the PIN was wrong; enter it again
 * @KT_WEBAUTHN_STATE_PIN_NOT_SET: the key needs a PIN first; set one
 * @KT_WEBAUTHN_STATE_PIN_BLOCKED: too many wrong PINs; unplug the key and insert it again
 * @KT_WEBAUTHN_STATE_PIN_HARD_BLOCKED: the PIN is blocked for good; the key must be reset
 * @KT_WEBAUTHN_STATE_ALREADY_REGISTERED: this key is already registered
 * @KT_WEBAUTHN_STATE_NOT_REGISTERED: this key is not registered with the account
 * @KT_WEBAUTHN_STATE_MISSING_CAPABILITY: this key cannot do what the request needs
 * @KT_WEBAUTHN_STATE_TIMED_OUT: the ceremony took too long
 * @KT_WEBAUTHN_STATE_CANCELLED: the ceremony was cancelled
 * @KT_WEBAUTHN_STATE_FAILED: the ceremony failed otherwise (refused request, key error); the
 *   GError says why
 */
typedef enum {
  KT_WEBAUTHN_STATE_IDLE,
  KT_WEBAUTHN_STATE_WORKING,
  KT_WEBAUTHN_STATE_NO_KEY,
  KT_WEBAUTHN_STATE_SELECT_KEY,
  KT_WEBAUTHN_STATE_TOUCH_NEEDED,
  KT_WEBAUTHN_STATE_PIN_NEEDED,
  KT_WEBAUTHN_STATE_WRONG_PIN,
  KT_WEBAUTHN_STATE_PIN_NOT_SET,
  KT_WEBAUTHN_STATE_PIN_BLOCKED,
  KT_WEBAUTHN_STATE_PIN_HARD_BLOCKED,
  KT_WEBAUTHN_STATE_ALREADY_REGISTERED,
  KT_WEBAUTHN_STATE_NOT_REGISTERED,
  KT_WEBAUTHN_STATE_MISSING_CAPABILITY,
  KT_WEBAUTHN_STATE_TIMED_OUT,
  KT_WEBAUTHN_STATE_CANCELLED,
  KT_WEBAUTHN_STATE_FAILED,
} KtWebauthnState;

GType kt_webauthn_state_get_type (void) G_GNUC_CONST;
#define KT_TYPE_WEBAUTHN_STATE (kt_webauthn_state_get_type ())

G_END_DECLS
