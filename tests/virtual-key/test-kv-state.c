/* test-kv-state.c: keyturn-virtual-key's state file and PIN protocol code, without the key
 *
 * Copyright 2026 Keyturn developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <openssl/ec.h>
#include <openssl/hmac.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <string.h>

#include "kt-cose.h"
#include "kv-pin.h"
#include "kv-state.h"

typedef struct {
  char *dir;
  char *path;
} Fixture;

static void
fixture_set_up (Fixture       *f,
                gconstpointer  data)
{
  g_autoptr(GError) error = NULL;

  f->dir = g_dir_make_tmp ("kv-unit-XXXXXX", &error);
  g_assert_no_error (error);
  f->path = g_build_filename (f->dir, "state", NULL);
}

static void
fixture_tear_down (Fixture       *f,
                   gconstpointer  data)
{
  g_unlink (f->path);
  g_rmdir (f->dir);
  g_free (f->path);
  g_free (f->dir);
}

static KvState *
load (const char *path,
      gboolean    expect_created)
{
  g_autoptr(GError) error = NULL;
  gboolean created = !expect_created;
  KvState *state = kv_state_load (path, &created, &error);

  g_assert_no_error (error);
  g_assert_nonnull (state);
  g_assert_cmpint (created, ==, expect_created);
  return state;
}

static void
test_round_trip (Fixture       *f,
                 gconstpointer  data)
{
  g_autoptr(KvState) state = load (f->path, TRUE);
  g_autoptr(KvState) back = NULL;
  g_autoptr(GError) error = NULL;
  KvCredential *cred = g_new0 (KvCredential, 1), *found;
  guint8 id[KV_CREDENTIAL_ID_LEN];
  guint8 a[KT_P256_POINT_LEN], b[KT_P256_POINT_LEN];

  g_assert_cmpuint (state->credentials->len, ==, 0);
  g_assert_false (state->pin_set);
  g_assert_cmpuint (state->pin_retries, ==, KV_PIN_MAX_RETRIES);
  g_assert_cmphex (state->aaguid[6] & 0xf0, ==, 0x40);  /* a version 4 UUID */

  memset (id, 0x5a, sizeof id);
  cred->id = g_bytes_new (id, sizeof id);
  cred->rp_id = g_strdup ("example.com");
  cred->user_id = g_bytes_new ("\x00\x01\n=", 4);  /* bytes a key file could trip over */
  cred->user_name = g_strdup ("alice\n[key]=x");
  cred->key = EVP_EC_gen ("P-256");
  cred->sign_count = 41;
  cred->resident = TRUE;
  cred->serial = state->next_serial++;
  g_ptr_array_add (state->credentials, cred);
  state->pin_set = TRUE;
  memset (state->pin_hash, 0x11, sizeof state->pin_hash);
  state->pin_retries = 3;
  g_assert_true (kv_state_save (state, &error));
  g_assert_no_error (error);

  back = load (f->path, FALSE);
  g_assert_cmpmem (back->aaguid, 16, state->aaguid, 16);
  g_assert_true (back->pin_set);
  g_assert_cmpmem (back->pin_hash, 16, state->pin_hash, 16);
  g_assert_cmpuint (back->pin_retries, ==, 3);
  g_assert_cmpuint (back->next_serial, ==, 1);
  g_assert_true (g_bytes_equal (back->attestation_cert, state->attestation_cert));
  found = kv_state_find (back, "example.com", id, sizeof id);
  g_assert_nonnull (found);
  g_assert_null (kv_state_find (back, "example.org", id, sizeof id));
  g_assert_true (g_bytes_equal (found->user_id, cred->user_id));
  g_assert_cmpstr (found->user_name, ==, "alice\n[key]=x");
  g_assert_null (found->user_display_name);
  g_assert_cmpuint (found->sign_count, ==, 41);
  g_assert_true (found->resident);
  g_assert_true (kt_p256_public_point (found->key, a, NULL));
  g_assert_true (kt_p256_public_point (cred->key, b, NULL));
  g_assert_cmpmem (a, sizeof a, b, sizeof b);

  /* A reset keeps the identity, forgets the rest. */
  kv_state_reset (back);
  g_assert_cmpuint (back->credentials->len, ==, 0);
  g_assert_false (back->pin_set);
  g_assert_cmpuint (back->pin_retries, ==, KV_PIN_MAX_RETRIES);
}

static void
test_damaged (Fixture       *f,
              gconstpointer  data)
{
  g_autoptr(KvState) state = load (f->path, TRUE);
  g_autofree char *contents = NULL;
  gsize len = 0;
  const gsize cuts[] = { 0, 1, 100, 0 };

  g_assert_true (g_file_get_contents (f->path, &contents, &len, NULL));
  for (guint i = 0; i < G_N_ELEMENTS (cuts); i++)
    {
      g_autoptr(GError) error = NULL;
      gboolean created = TRUE;
      gsize keep = i == G_N_ELEMENTS (cuts) - 1 ? len - 2 : cuts[i];
      g_autoptr(KvState) back = NULL;

      g_assert_true (g_file_set_contents (f->path, contents, (gssize) keep, NULL));
      back = kv_state_load (f->path, &created, &error);
      g_assert_null (back);
      g_assert_false (created);
      g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
    }

  /* The checksum is right but a field is not: written by something else, still refused. */
  {
    g_autoptr(GError) error = NULL;
    g_autoptr(GString) forged = g_string_new ("[key]\nformat=1\naaguid=zz\n");
    g_autofree char *digest = NULL;
    g_autoptr(KvState) back = NULL;
    gboolean created;

    digest = g_compute_checksum_for_string (G_CHECKSUM_SHA256, forged->str, -1);
    g_string_append_printf (forged, "\n[checksum]\nsha256=%s\n", digest);
    g_assert_true (g_file_set_contents (f->path, forged->str, -1, NULL));
    back = kv_state_load (f->path, &created, &error);
    g_assert_null (back);
    g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
    g_assert_nonnull (strstr (error->message, "AAGUID"));
  }
}

static void
test_wrapped_credentials (Fixture       *f,
                          gconstpointer  data)
{
  g_autoptr(KvState) state = load (f->path, TRUE);
  g_autoptr(EVP_PKEY) key = EVP_EC_gen ("P-256");
  g_autoptr(GBytes) id = kv_state_wrap_credential (state, "example.com", key);
  g_autoptr(KvCredential) cred = NULL;
  g_autofree guint8 *tampered = NULL;
  guint8 a[KT_P256_POINT_LEN], b[KT_P256_POINT_LEN];
  gsize len;

  g_assert_nonnull (id);
  len = g_bytes_get_size (id);
  g_assert_cmpuint (len, <=, 128);  /* maxCredentialIdLength in getInfo */
  cred = kv_state_unwrap_credential (state, "example.com", g_bytes_get_data (id, NULL), len);
  g_assert_nonnull (cred);
  g_assert_true (cred->wrapped);
  g_assert_false (cred->resident);
  g_assert_true (kt_p256_public_point (cred->key, a, NULL));
  g_assert_true (kt_p256_public_point (key, b, NULL));
  g_assert_cmpmem (a, sizeof a, b, sizeof b);

  /* Another relying party, a changed byte, a cut id: nothing. */
  g_assert_null (kv_state_unwrap_credential (state, "example.org", g_bytes_get_data (id, NULL),
                                             len));
  tampered = g_memdup2 (g_bytes_get_data (id, NULL), len);
  for (gsize i = 0; i < len; i += 7)
    {
      tampered[i] ^= 0x80;
      g_assert_null (kv_state_unwrap_credential (state, "example.com", tampered, len));
      tampered[i] ^= 0x80;
    }
  g_assert_null (kv_state_unwrap_credential (state, "example.com", tampered, len - 1));

  /* Counters of wrapped credentials: growing, saved once per block, never repeated. */
  {
    g_autoptr(GError) error = NULL;
    g_autoptr(KvState) back = NULL;
    g_autoptr(KvCredential) again = NULL;
    GStatBuf before, after;
    guint32 count = 0, last = 0;

    for (int i = 0; i < 10; i++)
      {
        g_assert_true (kv_state_next_counter (state, cred, &count, &error));
        g_assert_no_error (error);
        g_assert_cmpuint (count, ==, last + 1);
        last = count;
        if (i == 0)
          g_assert_cmpint (g_stat (f->path, &before), ==, 0);
      }
    g_assert_cmpint (g_stat (f->path, &after), ==, 0);
    g_assert_cmpuint (before.st_ino, ==, after.st_ino);  /* no save since the first */

    back = load (f->path, FALSE);
    again = kv_state_unwrap_credential (back, "example.com", g_bytes_get_data (id, NULL), len);
    g_assert_nonnull (again);
    g_assert_true (kv_state_next_counter (back, again, &count, &error));
    g_assert_cmpuint (count, >, last);

    /* A reset changes the wrapping key: the old id opens no more. */
    kv_state_reset (back);
    g_assert_null (kv_state_unwrap_credential (back, "example.com", g_bytes_get_data (id, NULL),
                                               len));
  }
}

static void
test_attestation_certificate (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(EVP_PKEY) key = NULL;
  g_autoptr(GBytes) cert_der = NULL;
  g_autoptr(GBytes) root_der = NULL;
  const guint8 aaguid[16] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16 };
  const guint8 *p;
  X509 *cert, *root;
  EVP_PKEY *root_key;
  char cn[128] = "", country[8] = "", org[64] = "";
  ASN1_OBJECT *oid = OBJ_txt2obj ("1.3.6.1.4.1.45724.1.1.4", 1);
  const ASN1_OCTET_STRING *value;
  int idx;
  guint8 expected[18] = { 0x04, 0x10 };

  g_assert_true (kv_attestation_generate (aaguid, &key, &cert_der, &root_der, &error));
  g_assert_no_error (error);
  p = g_bytes_get_data (cert_der, NULL);
  cert = d2i_X509 (NULL, &p, (long) g_bytes_get_size (cert_der));
  p = g_bytes_get_data (root_der, NULL);
  root = d2i_X509 (NULL, &p, (long) g_bytes_get_size (root_der));
  g_assert_nonnull (cert);
  g_assert_nonnull (root);

  /* Signed by the root, which is a CA; the batch certificate is not. */
  root_key = X509_get0_pubkey (root);
  g_assert_cmpint (X509_verify (cert, root_key), ==, 1);
  g_assert_cmpint (X509_check_ca (root), >, 0);
  g_assert_cmpint (X509_check_ca (cert), ==, 0);
  g_assert_cmpint (X509_get_version (cert), ==, 2);
  g_assert_true (EVP_PKEY_eq (X509_get0_pubkey (cert), key) == 1);

  X509_NAME_get_text_by_NID (X509_get_subject_name (cert), NID_commonName, cn, sizeof cn);
  X509_NAME_get_text_by_NID (X509_get_subject_name (cert), NID_countryName, country,
                             sizeof country);
  X509_NAME_get_text_by_NID (X509_get_subject_name (cert), NID_organizationName, org, sizeof org);
  g_assert_cmpstr (cn, !=, "");
  g_assert_cmpuint (strlen (country), ==, 2);
  g_assert_cmpstr (org, ==, "Keyturn");

  /* id-fido-gen-ce-aaguid: OCTET STRING { OCTET STRING (16 bytes) }, not critical. */
  idx = X509_get_ext_by_OBJ (cert, oid, -1);
  g_assert_cmpint (idx, >=, 0);
  value = X509_EXTENSION_get_data (X509_get_ext (cert, idx));
  memcpy (expected + 2, aaguid, 16);
  g_assert_cmpmem (ASN1_STRING_get0_data (value), ASN1_STRING_length (value), expected,
                   sizeof expected);

  ASN1_OBJECT_free (oid);
  X509_free (cert);
  X509_free (root);
}

static void
test_pin_protocols (void)
{
  g_autoptr(EVP_PKEY) a = EVP_EC_gen ("P-256");
  g_autoptr(EVP_PKEY) b = EVP_EC_gen ("P-256");
  const guint8 block[32] = "sixteen bytes...sixteen bytes..";

  for (guint protocol = 1; protocol <= 2; protocol++)
    {
      KvPinSecret ours, theirs;
      g_autoptr(GBytes) enc = NULL;
      g_autoptr(GBytes) enc2 = NULL;
      g_autoptr(GBytes) dec = NULL;
      gsize key_len;
      const guint8 *key;
      guint8 tag[32];
      unsigned int tag_len = sizeof tag;

      /* Both ends of the ECDH reach the same secret. */
      g_assert_true (kv_pin_derive (protocol, a, b, &ours));
      g_assert_true (kv_pin_derive (protocol, b, a, &theirs));
      g_assert_cmpmem (ours.bytes, ours.len, theirs.bytes, theirs.len);
      g_assert_cmpuint (ours.len, ==, protocol == 1 ? 32 : 64);

      enc = kv_pin_encrypt (&ours, block, sizeof block);
      enc2 = kv_pin_encrypt (&ours, block, sizeof block);
      g_assert_cmpuint (g_bytes_get_size (enc), ==, protocol == 1 ? 32 : 48);
      /* Protocol 2 draws a new IV each time; protocol 1's IV is zero. */
      g_assert_cmpint (g_bytes_equal (enc, enc2), ==, protocol == 1);
      dec = kv_pin_decrypt (&theirs, g_bytes_get_data (enc, NULL), g_bytes_get_size (enc));
      g_assert_cmpmem (g_bytes_get_data (dec, NULL), g_bytes_get_size (dec), block, sizeof block);
      g_assert_null (kv_pin_decrypt (&theirs, block, 15));

      key = kv_pin_hmac_key (&ours, &key_len);
      HMAC (EVP_sha256 (), key, (int) key_len, block, sizeof block, tag, &tag_len);
      g_assert_true (kv_pin_verify (protocol, key, key_len, block, sizeof block, tag,
                                    protocol == 1 ? 16 : 32));
      /* The tag's length is the protocol's, and every byte counts. */
      g_assert_false (kv_pin_verify (protocol, key, key_len, block, sizeof block, tag,
                                     protocol == 1 ? 32 : 16));
      tag[3] ^= 1;
      g_assert_false (kv_pin_verify (protocol, key, key_len, block, sizeof block, tag,
                                     protocol == 1 ? 16 : 32));
    }
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add ("/virtual-key/unit/state/round-trip", Fixture, NULL, fixture_set_up,
              test_round_trip, fixture_tear_down);
  g_test_add ("/virtual-key/unit/state/damaged", Fixture, NULL, fixture_set_up,
              test_damaged, fixture_tear_down);
  g_test_add ("/virtual-key/unit/state/wrapped-credentials", Fixture, NULL, fixture_set_up,
              test_wrapped_credentials, fixture_tear_down);
  g_test_add_func ("/virtual-key/unit/attestation-certificate", test_attestation_certificate);
  g_test_add_func ("/virtual-key/unit/pin-protocols", test_pin_protocols);

  return g_test_run ();
}
