/* test-fido.c: keyturn-virtual-key driven through real libfido2, as Keyturn drives a key
 *
 * Copyright 2026 Keyturn developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <fido.h>
#include <fido/es256.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <openssl/rand.h>
#include <openssl/sha.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <string.h>

#include "kv-test-key.h"

/* getInfo */

static void
test_get_info (void)
{
  g_autoptr(KvTestKey) key = kv_test_key_start (NULL, NULL);
  g_autoptr(fido_dev_t) dev = kv_test_key_open (key);
  g_autoptr(fido_cbor_info_t) info = fido_cbor_info_new ();
  char **versions, **names;
  const bool *values;
  const uint8_t *protocols;
  gboolean v20 = FALSE, v21 = FALSE, es256 = FALSE;
  gsize n;

  g_assert_true (fido_dev_is_fido2 (dev));
  assert_fido (fido_dev_get_cbor_info (dev, info), FIDO_OK);

  versions = fido_cbor_info_versions_ptr (info);
  for (gsize i = 0; i < fido_cbor_info_versions_len (info); i++)
    {
      v20 |= g_str_equal (versions[i], "FIDO_2_0");
      v21 |= g_str_equal (versions[i], "FIDO_2_1");
    }
  g_assert_true (v20 && v21);
  g_assert_cmpuint (fido_cbor_info_aaguid_len (info), ==, 16);

  names = fido_cbor_info_options_name_ptr (info);
  values = fido_cbor_info_options_value_ptr (info);
  n = fido_cbor_info_options_len (info);
  {
    g_autoptr(GHashTable) options = g_hash_table_new (g_str_hash, g_str_equal);

    for (gsize i = 0; i < n; i++)
      g_hash_table_insert (options, names[i], GINT_TO_POINTER (values[i] ? 2 : 1));
    g_assert_cmpint (GPOINTER_TO_INT (g_hash_table_lookup (options, "rk")), ==, 2);
    g_assert_cmpint (GPOINTER_TO_INT (g_hash_table_lookup (options, "up")), ==, 2);
    g_assert_cmpint (GPOINTER_TO_INT (g_hash_table_lookup (options, "clientPin")), ==, 1);
    g_assert_cmpint (GPOINTER_TO_INT (g_hash_table_lookup (options, "pinUvAuthToken")), ==, 2);
  }

  protocols = fido_cbor_info_protocols_ptr (info);
  g_assert_cmpuint (fido_cbor_info_protocols_len (info), ==, 2);
  g_assert_cmpuint (protocols[0], ==, 2);
  g_assert_cmpuint (protocols[1], ==, 1);
  g_assert_cmpuint (fido_cbor_info_maxcredcntlst (info), ==, 8);
  g_assert_cmpuint (fido_cbor_info_maxcredidlen (info), ==, 128);
  g_assert_cmpuint (fido_cbor_info_maxmsgsiz (info), >=, 1024);
  for (gsize i = 0; i < fido_cbor_info_algorithm_count (info); i++)
    es256 |= fido_cbor_info_algorithm_cose (info, i) == COSE_ES256 &&
             g_strcmp0 (fido_cbor_info_algorithm_type (info, i), "public-key") == 0;
  g_assert_true (es256);
}

/* makeCredential */

static void
check_attestation_cert (const fido_cred_t *cred)
{
  const guint8 *der = fido_cred_x5c_ptr (cred);
  X509 *cert = d2i_X509 (NULL, &der, (long) fido_cred_x5c_len (cred));
  ASN1_OBJECT *oid = OBJ_txt2obj ("1.3.6.1.4.1.45724.1.1.4", 1);
  X509_EXTENSION *ext;
  const ASN1_OCTET_STRING *value;
  const guint8 *p;
  ASN1_OCTET_STRING *inner;
  char ou[64] = "";
  int idx;

  g_assert_nonnull (cert);
  /* WebAuthn §8.2.1: OU "Authenticator Attestation", not a CA, the AAGUID in its extension. */
  X509_NAME_get_text_by_NID (X509_get_subject_name (cert), NID_organizationalUnitName, ou,
                             sizeof ou);
  g_assert_cmpstr (ou, ==, "Authenticator Attestation");
  g_assert_cmpint (X509_check_ca (cert), ==, 0);
  idx = X509_get_ext_by_OBJ (cert, oid, -1);
  g_assert_cmpint (idx, >=, 0);
  ext = X509_get_ext (cert, idx);
  g_assert_false (X509_EXTENSION_get_critical (ext));
  value = X509_EXTENSION_get_data (ext);
  p = ASN1_STRING_get0_data (value);
  inner = d2i_ASN1_OCTET_STRING (NULL, &p, ASN1_STRING_length (value));
  g_assert_nonnull (inner);
  g_assert_cmpmem (ASN1_STRING_get0_data (inner), ASN1_STRING_length (inner),
                   fido_cred_aaguid_ptr (cred), fido_cred_aaguid_len (cred));
  ASN1_OCTET_STRING_free (inner);
  ASN1_OBJECT_free (oid);
  X509_free (cert);
}

static void
test_make_credential_packed (void)
{
  g_autoptr(KvTestKey) key = kv_test_key_start (NULL, NULL);
  g_autoptr(fido_dev_t) dev = kv_test_key_open (key);
  g_autoptr(fido_cbor_info_t) info = fido_cbor_info_new ();
  g_autoptr(fido_cred_t) cred = kv_test_make_cred (dev, "alice", FALSE, NULL);

  g_assert_cmpstr (fido_cred_fmt (cred), ==, "packed");
  g_assert_cmpuint (fido_cred_x5c_len (cred), >, 0);
  assert_fido (fido_cred_verify (cred), FIDO_OK);
  /* The batch certificate signs, not the credential's own key. */
  g_assert_cmpint (fido_cred_verify_self (cred), !=, FIDO_OK);
  g_assert_cmpuint (fido_cred_flags (cred) & 0x41, ==, 0x41);  /* UP and AT */
  g_assert_cmpuint (fido_cred_flags (cred) & 0x04, ==, 0);     /* no UV without a PIN */
  g_assert_cmpuint (fido_cred_id_len (cred), >, 0);
  assert_fido (fido_dev_get_cbor_info (dev, info), FIDO_OK);
  g_assert_cmpmem (fido_cred_aaguid_ptr (cred), fido_cred_aaguid_len (cred),
                   fido_cbor_info_aaguid_ptr (info), fido_cbor_info_aaguid_len (info));
  check_attestation_cert (cred);

  /* A second credential gets a new id; the attestation certificate stays the batch's. */
  {
    g_autoptr(fido_cred_t) other = kv_test_make_cred (dev, "bob", FALSE, NULL);

    g_assert_true (fido_cred_id_len (other) != fido_cred_id_len (cred) ||
                   memcmp (fido_cred_id_ptr (other), fido_cred_id_ptr (cred),
                           fido_cred_id_len (cred)) != 0);
    g_assert_cmpmem (fido_cred_x5c_ptr (other), fido_cred_x5c_len (other),
                     fido_cred_x5c_ptr (cred), fido_cred_x5c_len (cred));
  }
}

static void
test_make_credential_self (void)
{
  g_autoptr(KvTestKey) key = kv_test_key_start (NULL, "--attestation", "self", NULL);
  g_autoptr(fido_dev_t) dev = kv_test_key_open (key);
  g_autoptr(fido_cred_t) cred = kv_test_make_cred (dev, "alice", FALSE, NULL);

  g_assert_cmpstr (fido_cred_fmt (cred), ==, "packed");
  g_assert_cmpuint (fido_cred_x5c_len (cred), ==, 0);
  assert_fido (fido_cred_verify_self (cred), FIDO_OK);
  g_assert_cmpint (fido_cred_verify (cred), !=, FIDO_OK);
}

/* getAssertion */

static void
test_assertion_and_counter (void)
{
  g_autoptr(KvTestKey) key = kv_test_key_start (NULL, NULL);
  g_autoptr(fido_dev_t) dev = kv_test_key_open (key);
  g_autoptr(fido_cred_t) cred = kv_test_make_cred (dev, "alice", FALSE, NULL);
  g_autoptr(fido_cred_t) other = kv_test_make_cred (dev, "bob", FALSE, NULL);
  guint32 last = 0;

  for (int i = 0; i < 3; i++)
    {
      g_autoptr(fido_assert_t) a = kv_test_assert_request (cred);

      assert_fido (fido_dev_get_assert (dev, a, NULL), FIDO_OK);
      g_assert_cmpuint (fido_assert_count (a), ==, 1);
      g_assert_cmpmem (fido_assert_id_ptr (a, 0), fido_assert_id_len (a, 0),
                       fido_cred_id_ptr (cred), fido_cred_id_len (cred));
      kv_test_verify_assertion (a, 0, cred);
      g_assert_cmpuint (fido_assert_flags (a, 0) & 0x01, ==, 0x01);
      g_assert_cmpuint (fido_assert_sigcount (a, 0), >, last);
      last = fido_assert_sigcount (a, 0);
    }

  /* Counters are per credential: bob's starts afresh. */
  {
    g_autoptr(fido_assert_t) a = kv_test_assert_request (other);

    assert_fido (fido_dev_get_assert (dev, a, NULL), FIDO_OK);
    kv_test_verify_assertion (a, 0, other);
    g_assert_cmpuint (fido_assert_sigcount (a, 0), ==, 1);
  }

  /* The other credential's key does not verify alice's signature. */
  {
    g_autoptr(fido_assert_t) a = kv_test_assert_request (cred);
    es256_pk_t *pk = es256_pk_new ();

    assert_fido (fido_dev_get_assert (dev, a, NULL), FIDO_OK);
    es256_pk_from_ptr (pk, fido_cred_pubkey_ptr (other), fido_cred_pubkey_len (other));
    g_assert_cmpint (fido_assert_verify (a, 0, COSE_ES256, pk), !=, FIDO_OK);
    es256_pk_free (&pk);
  }
}

static void
test_not_registered (void)
{
  g_autoptr(KvTestKey) key = kv_test_key_start (NULL, NULL);
  g_autoptr(fido_dev_t) dev = kv_test_key_open (key);
  g_autoptr(fido_cred_t) cred = kv_test_make_cred (dev, "alice", FALSE, NULL);
  g_autoptr(fido_assert_t) a = fido_assert_new ();
  guint8 cdh[32] = { 1 }, unknown[32];

  kv_test_random (unknown, sizeof unknown);
  assert_fido (fido_assert_set_rp (a, RP_ID), FIDO_OK);
  assert_fido (fido_assert_set_clientdata_hash (a, cdh, sizeof cdh), FIDO_OK);
  assert_fido (fido_assert_allow_cred (a, unknown, sizeof unknown), FIDO_OK);
  assert_fido (fido_dev_get_assert (dev, a, NULL), FIDO_ERR_NO_CREDENTIALS);

  /* An id changed in one byte, or made by another key, is not this key's. */
  {
    g_autoptr(fido_assert_t) b = fido_assert_new ();
    g_autofree guint8 *id = g_memdup2 (fido_cred_id_ptr (cred), fido_cred_id_len (cred));

    id[fido_cred_id_len (cred) / 2] ^= 0x01;
    assert_fido (fido_assert_set_rp (b, RP_ID), FIDO_OK);
    assert_fido (fido_assert_set_clientdata_hash (b, cdh, sizeof cdh), FIDO_OK);
    assert_fido (fido_assert_allow_cred (b, id, fido_cred_id_len (cred)), FIDO_OK);
    assert_fido (fido_dev_get_assert (dev, b, NULL), FIDO_ERR_NO_CREDENTIALS);
  }
  {
    g_autoptr(KvTestKey) other_key = kv_test_key_start (NULL, NULL);
    g_autoptr(fido_dev_t) other_dev = kv_test_key_open (other_key);
    g_autoptr(fido_assert_t) b = kv_test_assert_request (cred);

    assert_fido (fido_dev_get_assert (other_dev, b, NULL), FIDO_ERR_NO_CREDENTIALS);
  }

  /* The right id under another relying party is not this credential either. */
  {
    g_autoptr(fido_assert_t) b = fido_assert_new ();

    assert_fido (fido_assert_set_rp (b, "evil-example.com"), FIDO_OK);
    assert_fido (fido_assert_set_clientdata_hash (b, cdh, sizeof cdh), FIDO_OK);
    assert_fido (fido_assert_allow_cred (b, fido_cred_id_ptr (cred), fido_cred_id_len (cred)),
                 FIDO_OK);
    assert_fido (fido_dev_get_assert (dev, b, NULL), FIDO_ERR_NO_CREDENTIALS);
  }
}

static void
test_resident_credentials (void)
{
  g_autoptr(KvTestKey) key = kv_test_key_start (NULL, NULL);
  g_autoptr(fido_dev_t) dev = kv_test_key_open (key);
  const char *users[] = { "alice", "bob", "carol" };
  fido_cred_t *creds[3];
  g_autoptr(fido_assert_t) a = kv_test_assert_request (NULL);

  for (int i = 0; i < 3; i++)
    creds[i] = kv_test_make_cred (dev, users[i], TRUE, NULL);
  /* A non-discoverable one is never listed. */
  {
    g_autoptr(fido_cred_t) hidden = kv_test_make_cred (dev, "dave", FALSE, NULL);
  }

  assert_fido (fido_dev_get_assert (dev, a, NULL), FIDO_OK);
  g_assert_cmpuint (fido_assert_count (a), ==, 3);
  /* Newest first, each one through getNextAssertion after the first. */
  for (int i = 0; i < 3; i++)
    {
      const fido_cred_t *cred = creds[2 - i];

      g_assert_cmpmem (fido_assert_user_id_ptr (a, i), fido_assert_user_id_len (a, i),
                       users[2 - i], strlen (users[2 - i]));
      g_assert_cmpmem (fido_assert_id_ptr (a, i), fido_assert_id_len (a, i),
                       fido_cred_id_ptr (cred), fido_cred_id_len (cred));
      kv_test_verify_assertion (a, i, cred);
    }

  /* A new discoverable credential for the same user replaces the old one. */
  {
    g_autoptr(fido_cred_t) again = kv_test_make_cred (dev, "alice", TRUE, NULL);
    g_autoptr(fido_assert_t) b = kv_test_assert_request (NULL);

    assert_fido (fido_dev_get_assert (dev, b, NULL), FIDO_OK);
    g_assert_cmpuint (fido_assert_count (b), ==, 3);
    g_assert_cmpmem (fido_assert_id_ptr (b, 0), fido_assert_id_len (b, 0),
                     fido_cred_id_ptr (again), fido_cred_id_len (again));
  }

  for (int i = 0; i < 3; i++)
    fido_cred_free (&creds[i]);
}

static void
test_exclusion (void)
{
  g_autoptr(KvTestKey) key = kv_test_key_start (NULL, NULL);
  g_autoptr(fido_dev_t) dev = kv_test_key_open (key);
  g_autoptr(fido_cred_t) cred = kv_test_make_cred (dev, "alice", FALSE, NULL);
  g_autoptr(fido_cred_t) again = kv_test_cred_request ("alice", FALSE);
  g_autoptr(fido_cred_t) elsewhere = kv_test_cred_request ("alice", FALSE);
  guint8 unknown[32];

  kv_test_random (unknown, sizeof unknown);
  assert_fido (fido_cred_exclude (again, unknown, sizeof unknown), FIDO_OK);
  assert_fido (fido_cred_exclude (again, fido_cred_id_ptr (cred), fido_cred_id_len (cred)),
               FIDO_OK);
  assert_fido (fido_dev_make_cred (dev, again, NULL), FIDO_ERR_CREDENTIAL_EXCLUDED);

  /* Only ids this key knows exclude it. */
  assert_fido (fido_cred_exclude (elsewhere, unknown, sizeof unknown), FIDO_OK);
  assert_fido (fido_dev_make_cred (dev, elsewhere, NULL), FIDO_OK);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);
  fido_init (0);

  g_test_add_func ("/virtual-key/fido/get-info", test_get_info);
  g_test_add_func ("/virtual-key/fido/make-credential/packed", test_make_credential_packed);
  g_test_add_func ("/virtual-key/fido/make-credential/self", test_make_credential_self);
  g_test_add_func ("/virtual-key/fido/assertion/counter", test_assertion_and_counter);
  g_test_add_func ("/virtual-key/fido/assertion/not-registered", test_not_registered);
  g_test_add_func ("/virtual-key/fido/resident", test_resident_credentials);
  g_test_add_func ("/virtual-key/fido/exclusion", test_exclusion);

  return g_test_run ();
}
