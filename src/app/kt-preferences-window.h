/* kt-preferences-window.h: where a person points Keyturn at an environment
 *
 * Copyright 2026 Keyturn developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>

G_BEGIN_DECLS

#define KT_TYPE_PREFERENCES_WINDOW (kt_preferences_window_get_type ())

G_DECLARE_FINAL_TYPE (KtPreferencesWindow, kt_preferences_window, KT, PREFERENCES_WINDOW,
                      AdwPreferencesWindow)

KtPreferencesWindow *kt_preferences_window_new (GSettings *settings);

G_END_DECLS
