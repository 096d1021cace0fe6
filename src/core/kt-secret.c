/* kt-secret.c
 *
 * Copyright 2026 Keyturn developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "kt-secret.h"

#include <string.h>

void
kt_secret_free (char *secret)
{
  if (secret == NULL)
    return;
  /* explicit_bzero, unlike memset, is not removed as a store to memory about to be freed. */
  explicit_bzero (secret, strlen (secret));
  g_free (secret);
}
