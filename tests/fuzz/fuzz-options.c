/* fuzz-options.c: WebAuthn options JSON, as GET /users/passkeys/register and
 * GET /users/passkeys/authenticate answer it, read by core's option readers.
 *
 * Input: the JSON text of one answer; it is read both as creation and as request options.
 *
 * Copyright 2026 Keyturn developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <glib.h>

#include "fuzz.h"
#include "kt-creation-options.h"
#include "kt-request-options.h"

int
LLVMFuzzerInitialize (int    *argc,
                      char ***argv)
{
  return 0;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  g_autoptr(KtCreationOptions) creation = NULL;
  g_autoptr(KtRequestOptions) request = NULL;
  g_autoptr(GError) error = NULL;

  creation = kt_creation_options_new_from_data ((const char *) data, (gssize) size, &error);
  g_assert ((creation == NULL) == (error != NULL));
  if (creation != NULL)
    {
      /* What the WebAuthn client does next with them: copy them into its ceremony. */
      g_autoptr(KtCreationOptions) copy = kt_creation_options_copy (creation);

      g_assert_nonnull (copy->challenge);
      g_assert_cmpuint (copy->algorithms->len, ==, creation->algorithms->len);
    }
  g_clear_error (&error);

  request = kt_request_options_new_from_data ((const char *) data, (gssize) size, &error);
  g_assert ((request == NULL) == (error != NULL));
  if (request != NULL)
    {
      g_autoptr(KtRequestOptions) copy = kt_request_options_copy (request);

      g_assert_nonnull (copy->challenge);
    }
  return 0;
}
