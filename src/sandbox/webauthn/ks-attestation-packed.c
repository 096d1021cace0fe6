/* ks-attestation-packed.c: the packed attestation format (§8.2), self attestation and x5c
 *
 * Copyright 2026 Keyturn developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "ks-attestation-private.h"

#include <openssl/x509v3.h>
#include <string.h>

#include "kt-cose.h"

G_DEFINE_AUTOPTR_CLEANUP_FUNC (ASN1_OCTET_STRING, ASN1_OCTET_STRING_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (ASN1_OBJECT, ASN1_OBJECT_free)

static gboolean
name_entry (X509_NAME  *name,
            int         nid,
            char      **out)
{
  int index = X509_NAME_get_index_by_NID (name, nid, -1);
  guchar *utf8 = NULL;
  int len;

  if (index < 0)
    return FALSE;
  len = ASN1_STRING_to_UTF8 (&utf8, X509_NAME_ENTRY_get_data (X509_NAME_get_entry (name, index)));
  if (len <= 0)
    return FALSE;
  *out = g_strndup ((const char *) utf8, len);
  OPENSSL_free (utf8);
  return TRUE;
}

/* §8.2.1: what a packed attestation certificate must be. */
static gboolean
check_packed_certificate (X509         *cert,
                          const guint8 *aaguid,
                          GError      **error)
{
  X509_NAME *subject = X509_get_subject_name (cert);
  g_autofree char *c = NULL, *o = NULL, *ou = NULL, *cn = NULL, *shown = NULL;
  g_autoptr(ASN1_OBJECT) oid = OBJ_txt2obj ("1.3.6.1.4.1.45724.1.1.4", 1);
  int index;

  if (X509_get_version (cert) != X509_VERSION_3)
    return ks_webauthn_fail (error, KS_WEBAUTHN_ERROR_ATTESTATION,
                             "The attestation certificate is not X.509 version 3.");
  if (!name_entry (subject, NID_countryName, &c) || strlen (c) != 2 ||
      !name_entry (subject, NID_organizationName, &o) || *o == '\0' ||
      !name_entry (subject, NID_organizationalUnitName, &ou) ||
      !name_entry (subject, NID_commonName, &cn) || *cn == '\0')
    return ks_webauthn_fail (error, KS_WEBAUTHN_ERROR_ATTESTATION,
                             "The attestation certificate's subject lacks C, O, OU or CN.");
  if (strcmp (ou, "Authenticator Attestation") != 0)
    return ks_webauthn_fail (error, KS_WEBAUTHN_ERROR_ATTESTATION,
                             "The attestation certificate's OU is \"%s\", "
                             "not \"Authenticator Attestation\".",
                             shown = g_strescape (ou, NULL));
  if (!(X509_get_extension_flags (cert) & EXFLAG_BCONS))
    return ks_webauthn_fail (error, KS_WEBAUTHN_ERROR_ATTESTATION,
                             "The attestation certificate has no basic constraints extension.");
  if (X509_check_ca (cert) != 0)
    return ks_webauthn_fail (error, KS_WEBAUTHN_ERROR_ATTESTATION,
                             "The attestation certificate is a CA certificate.");
  if (X509_cmp_current_time (X509_get0_notBefore (cert)) >= 0 ||
      X509_cmp_current_time (X509_get0_notAfter (cert)) <= 0)
    return ks_webauthn_fail (error, KS_WEBAUTHN_ERROR_ATTESTATION,
                             "The attestation certificate is not valid now.");

  index = oid != NULL ? X509_get_ext_by_OBJ (cert, oid, -1) : -1;
  if (index >= 0)
    {
      X509_EXTENSION *ext = X509_get_ext (cert, index);
      ASN1_OCTET_STRING *outer = X509_EXTENSION_get_data (ext);
      const guint8 *p = ASN1_STRING_get0_data (outer);
      int len = ASN1_STRING_length (outer);
      g_autoptr(ASN1_OCTET_STRING) inner = d2i_ASN1_OCTET_STRING (NULL, &p, len);

      if (X509_EXTENSION_get_critical (ext))
        return ks_webauthn_fail (error, KS_WEBAUTHN_ERROR_ATTESTATION,
                                 "The attestation certificate marks its AAGUID extension "
                                 "critical.");
      if (inner == NULL || p != ASN1_STRING_get0_data (outer) + len ||
          ASN1_STRING_length (inner) != 16)
        return ks_webauthn_fail (error, KS_WEBAUTHN_ERROR_ATTESTATION,
                                 "The attestation certificate's AAGUID extension is not a 16-byte "
                                 "OCTET STRING.");
      if (memcmp (ASN1_STRING_get0_data (inner), aaguid, 16) != 0)
        return ks_webauthn_fail (error, KS_WEBAUTHN_ERROR_ATTESTATION,
                                 "The attestation certificate's AAGUID is not the authenticator "
                                 "data's.");
    }
  return TRUE;
}

gboolean
ks_attestation_verify_packed (Attestation  *att,
                              GError      **error)
{
  const AuthData *ad = att->ad;
  Statement st = { 0 };
  guint8 digest[SHA256_DIGEST_LENGTH];
  gint64 alg;

  if (!ks_attestation_read_statement (att->stmt, "packed", TRUE, &st, error))
    return FALSE;
  if (st.alg == NULL || !ks_webauthn_cbor_read_int (st.alg, &alg))
    return ks_webauthn_fail (error, KS_WEBAUTHN_ERROR_ATTESTATION,
                             "The packed attestation statement has no integer alg.");
  ks_webauthn_signed_digest (ad->data, ad->len, att->client_hash, digest);

  if (st.x5c != NULL)
    {
      g_autoptr(X509) leaf = ks_attestation_parse_x5c (st.x5c, "packed", error);
      EVP_PKEY *pkey;

      if (leaf == NULL)
        return FALSE;
      pkey = X509_get0_pubkey (leaf);
      if (pkey == NULL ||
          !((alg == KT_COSE_ALG_ES256 && kt_p256_key_is (pkey)) ||
            (alg == KT_COSE_ALG_RS256 && EVP_PKEY_is_a (pkey, "RSA"))))
        return ks_webauthn_fail (error, KS_WEBAUTHN_ERROR_ATTESTATION,
                                 "The packed statement's alg %" G_GINT64_FORMAT " does not "
                                 "match the attestation certificate's key.", alg);
      if (!ks_attestation_check_sig (&st, pkey, alg, digest))
        return ks_webauthn_fail (error, KS_WEBAUTHN_ERROR_ATTESTATION,
                                 "The packed attestation signature does not verify with the "
                                 "attestation certificate.");
      if (!check_packed_certificate (leaf, ad->aaguid, error))
        return FALSE;
      att->type = "basic";
      return TRUE;
    }

  if (alg != ad->algorithm)
    return ks_webauthn_fail (error, KS_WEBAUTHN_ERROR_ATTESTATION,
                             "The packed self-attestation's alg %" G_GINT64_FORMAT " is not the "
                             "credential key's %" G_GINT64_FORMAT ".", alg, ad->algorithm);
  if (!ks_attestation_check_sig (&st, ks_webauthn_key_get_pkey (ad->key), alg, digest))
    return ks_webauthn_fail (error, KS_WEBAUTHN_ERROR_ATTESTATION,
                             "The packed self-attestation signature does not verify with the "
                             "credential key.");
  att->type = "self";
  return TRUE;
}

