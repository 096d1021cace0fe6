/* ks-attestation-fido-u2f.c: the fido-u2f attestation format (§8.6)
 *
 * Copyright 2026 Keyturn developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "ks-attestation-private.h"

#include <string.h>

#include "kt-cose.h"

gboolean
ks_attestation_verify_fido_u2f (Attestation  *att,
                                GError      **error)
{
  const AuthData *ad = att->ad;
  static const guint8 zero_aaguid[16] = { 0 };
  Statement st = { 0 };
  g_autoptr(X509) cert = NULL;
  g_autoptr(GError) local = NULL;
  guint8 base[1 + 32 + 32 + CREDENTIAL_ID_MAX_LEN + KT_P256_POINT_LEN];
  guint8 digest[SHA256_DIGEST_LENGTH];
  gsize n = 0;
  EVP_PKEY *pkey;

  if (!ks_attestation_read_statement (att->stmt, "fido-u2f", FALSE, &st, error))
    return FALSE;
  if (st.x5c == NULL || cbor_array_size (st.x5c) != 1)
    return ks_webauthn_fail (error, KS_WEBAUTHN_ERROR_ATTESTATION,
                             "The fido-u2f attestation statement must hold exactly one "
                             "certificate.");
  if ((cert = ks_attestation_parse_x5c (st.x5c, "fido-u2f", error)) == NULL)
    return FALSE;
  pkey = X509_get0_pubkey (cert);
  if (pkey == NULL || !kt_p256_key_is (pkey))
    return ks_webauthn_fail (error, KS_WEBAUTHN_ERROR_ATTESTATION,
                             "The fido-u2f attestation certificate's key is not on P-256.");
  if (ad->algorithm != KT_COSE_ALG_ES256)
    return ks_webauthn_fail (error, KS_WEBAUTHN_ERROR_ATTESTATION,
                             "A fido-u2f credential must be an ES256 key on P-256.");
  /* U2F has no AAGUID; a client converting its answer writes zeros. */
  if (memcmp (ad->aaguid, zero_aaguid, 16) != 0)
    return ks_webauthn_fail (error, KS_WEBAUTHN_ERROR_ATTESTATION,
                             "A fido-u2f credential's AAGUID is not zero.");

  base[n++] = 0x00;
  memcpy (base + n, ad->rp_id_hash, 32);
  n += 32;
  memcpy (base + n, att->client_hash, 32);
  n += 32;
  memcpy (base + n, ad->credential_id, ad->credential_id_len);
  n += ad->credential_id_len;
  if (!kt_p256_public_point (ks_webauthn_key_get_pkey (ad->key), base + n, &local))
    return ks_webauthn_fail (error, KS_WEBAUTHN_ERROR_ATTESTATION,
                             "The credential key cannot be read: %s", local->message);
  n += KT_P256_POINT_LEN;

  ks_webauthn_sha256 (base, n, digest);
  if (!ks_attestation_check_sig (&st, pkey, KT_COSE_ALG_ES256, digest))
    return ks_webauthn_fail (error, KS_WEBAUTHN_ERROR_ATTESTATION,
                             "The fido-u2f attestation signature does not verify with its "
                             "certificate.");
  att->type = "basic";
  return TRUE;
}
