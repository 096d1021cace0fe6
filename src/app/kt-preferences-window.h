/* kt-preferences-window.h: where a person points Keyturn at an environment and sees the apps
 * that may use their sign-in
 *
 * Copyright 2026 Keyturn developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>

#include "kt-grant-store.h"

G_BEGIN_DECLS

#define KT_TYPE_PREFERENCES_WINDOW (kt_preferences_window_get_type ())

G_DECLARE_FINAL_TYPE (KtPreferencesWindow, kt_preferences_window, KT, PREFERENCES_WINDOW,
                      AdwPreferencesWindow)

/* @grants: the apps always allowed to use the sign-in, listed with a Revoke button each;
 * NULL hides the list. */
KtPreferencesWindow *kt_preferences_window_new (GSettings    *settings,
                                                KtGrantStore *grants);

G_END_DECLS
