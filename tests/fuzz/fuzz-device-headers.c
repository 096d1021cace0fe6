/* fuzz-device-headers.c: the device-signature headers as the sandbox reads them, and the
 * NoncesResponse as Keyturn reads it
 *
 * Input: byte 0 even: the rest is "public key\nsignature\nnonce", read and verified as
 * keyturn-sandbox does; byte 0 odd: the rest is the body of a GET /nonces answer, read into
 * KtDeviceSigner's pool. The property: nothing crashes or leaks, what is accepted has the exact
 * encoding (66 and 128 hex digits), and a pool takes only printable nonces.
 *
 * Copyright 2026 Keyturn developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <json-glib/json-glib.h>
#include <string.h>

#include "fuzz.h"
#include "ks-device-signature.h"
#include "kt-device-signer.h"

int
LLVMFuzzerInitialize (int    *argc,
                      char ***argv)
{
  return 0;
}

static void
fuzz_headers (const char *text)
{
  g_auto(GStrv) fields = g_strsplit (text, "\n", 3);
  EVP_PKEY *key;
  guint8 raw[64];

  if (g_strv_length (fields) < 3)
    return;
  key = ks_device_public_key_parse (fields[0]);
  if (key != NULL)
    g_assert_cmpuint (strlen (fields[0]), ==, 66);
  if (ks_device_signature_parse (fields[1], raw))
    {
      g_assert_cmpuint (strlen (fields[1]), ==, 128);
      if (key != NULL)
        (void) ks_device_signature_verify (key, raw, fields[2]);
    }
  EVP_PKEY_free (key);
}

static void
fuzz_nonces (const char *text)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(KtDeviceSigner) signer = kt_device_signer_new ();
  g_autoptr(GError) error = NULL;
  JsonNode *root;

  if (!json_parser_load_from_data (parser, text, -1, NULL) ||
      (root = json_parser_get_root (parser)) == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    return;
  if (kt_device_signer_add_nonces (signer, json_node_get_object (root), &error))
    g_assert_cmpuint (kt_device_signer_count_nonces (signer), >, 0);
  else
    g_assert_cmpuint (kt_device_signer_count_nonces (signer), ==, 0);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  g_autofree char *text = NULL;

  if (size < 1)
    return 0;
  text = g_strndup ((const char *) data + 1, size - 1);
  if (data[0] % 2 == 0)
    fuzz_headers (text);
  else
    fuzz_nonces (text);
  return 0;
}
