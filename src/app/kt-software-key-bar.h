/* kt-software-key-bar.h: the bar that marks keyturn-virtual-key as a software key, with its touch
 *
 * Copyright 2026 Keyturn developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>

G_BEGIN_DECLS

#define KT_TYPE_SOFTWARE_KEY_BAR (kt_software_key_bar_get_type ())

G_DECLARE_FINAL_TYPE (KtSoftwareKeyBar, kt_software_key_bar, KT, SOFTWARE_KEY_BAR, AdwBin)

/* The key's socket, or NULL when Keyturn uses no software key (the bar hides). */
void kt_software_key_bar_set_socket_path (KtSoftwareKeyBar *self,
                                          const char       *socket_path);

G_END_DECLS
