/* ks-attestation-statement.c: the attStmt fields the packed and fido-u2f formats share (alg, sig,
 * x5c), and the certificates of x5c
 *
 * Copyright 2026 Keyturn developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "ks-attestation-private.h"

/* Reads an attStmt whose keys must all be among the format's; anything else is refused rather
 * than ignored, so that an unknown field cannot change the meaning of a known one. */
gboolean
ks_attestation_read_statement (cbor_item_t *stmt,
                               const char  *fmt,
                               gboolean     allow_alg,
                               Statement   *out,
                               GError     **error)
{
  struct cbor_pair *pairs = cbor_map_handle (stmt);

  for (gsize i = 0; i < cbor_map_size (stmt); i++)
    {
      cbor_item_t **slot;

      if (allow_alg && ks_webauthn_cbor_text_is (pairs[i].key, "alg"))
        slot = &out->alg;
      else if (ks_webauthn_cbor_text_is (pairs[i].key, "sig"))
        slot = &out->sig;
      else if (ks_webauthn_cbor_text_is (pairs[i].key, "x5c"))
        slot = &out->x5c;
      else
        return ks_webauthn_fail (error, KS_WEBAUTHN_ERROR_ATTESTATION,
                                 "The %s attestation statement has a field the format does not "
                                 "define.", fmt);
      if (*slot != NULL)
        return ks_webauthn_fail (error, KS_WEBAUTHN_ERROR_ATTESTATION,
                                 "The %s attestation statement repeats a field.", fmt);
      *slot = pairs[i].value;
    }

  if (out->sig == NULL || !ks_webauthn_cbor_is_bytes (out->sig) ||
      cbor_bytestring_length (out->sig) == 0)
    return ks_webauthn_fail (error, KS_WEBAUTHN_ERROR_ATTESTATION,
                             "The %s attestation statement has no signature (sig).", fmt);
  if (out->x5c != NULL &&
      (!cbor_isa_array (out->x5c) || !cbor_array_is_definite (out->x5c) ||
       cbor_array_size (out->x5c) == 0))
    return ks_webauthn_fail (error, KS_WEBAUTHN_ERROR_ATTESTATION,
                             "The %s attestation statement's x5c is not a non-empty array.", fmt);
  return TRUE;
}

/* Every certificate of x5c, parsed; the first is the attestation certificate. Chain trust is
 * not checked: the sandbox has no metadata service or vendor roots to check it against. */
X509 *
ks_attestation_parse_x5c (cbor_item_t *x5c,
                          const char  *fmt,
                          GError     **error)
{
  g_autoptr(X509) leaf = NULL;

  for (gsize i = 0; i < cbor_array_size (x5c); i++)
    {
      cbor_item_t *item = cbor_array_handle (x5c)[i];
      const guint8 *p;
      gsize len;
      X509 *cert;

      if (!ks_webauthn_cbor_is_bytes (item))
        {
          ks_webauthn_fail (error, KS_WEBAUTHN_ERROR_ATTESTATION,
                            "An x5c entry of the %s statement is not bytes.", fmt);
          return NULL;
        }
      p = cbor_bytestring_handle (item);
      len = cbor_bytestring_length (item);
      cert = len <= G_MAXLONG ? d2i_X509 (NULL, &p, (long) len) : NULL;
      if (cert == NULL || p != cbor_bytestring_handle (item) + len)
        {
          X509_free (cert);
          ks_webauthn_fail (error, KS_WEBAUTHN_ERROR_ATTESTATION,
                            "An x5c entry of the %s statement is not one DER certificate.", fmt);
          return NULL;
        }
      if (i == 0)
        leaf = cert;
      else
        X509_free (cert);
    }
  return g_steal_pointer (&leaf);
}

gboolean
ks_attestation_check_sig (const Statement *st,
                          EVP_PKEY        *pkey,
                          gint64           alg,
                          const guint8     digest[SHA256_DIGEST_LENGTH])
{
  return ks_webauthn_verify_digest (pkey, alg, digest, cbor_bytestring_handle (st->sig),
                                    cbor_bytestring_length (st->sig));
}
