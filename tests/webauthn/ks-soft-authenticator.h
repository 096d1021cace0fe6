/* ks-soft-authenticator.h: a stand-in WebAuthn client and authenticator for the sandbox's tests
 *
 * This is not a security key. It is a stand-in that turns creation and request options straight
 * into RegistrationResponseJSON and AuthenticationResponseJSON, so that tests can produce answers
 * no real key would: malformed, adversarial, or out of spec, one knob at a time (KsSoftTweaks).
 * Tests that need a real CTAP2 key, spoken to through libfido2, use keyturn-virtual-key instead.
 *
 * Copyright 2026 Keyturn developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib-object.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

#define KS_SOFT_AUTHENTICATOR_ERROR (ks_soft_authenticator_error_quark ())

typedef enum {
  KS_SOFT_AUTHENTICATOR_ERROR_OPTIONS,      /* the options lack what a client needs */
  KS_SOFT_AUTHENTICATOR_ERROR_EXCLUDED,     /* a credential in excludeCredentials is ours */
  KS_SOFT_AUTHENTICATOR_ERROR_NO_CREDENTIAL,/* none of ours for this rp id / allowCredentials */
  KS_SOFT_AUTHENTICATOR_ERROR_CRYPTO,       /* key generation or signing failed */
} KsSoftAuthenticatorError;

GQuark ks_soft_authenticator_error_quark (void);

typedef enum {
  KS_SOFT_ATTESTATION_NONE = 0,             /* fmt "none", empty attStmt */
  KS_SOFT_ATTESTATION_PACKED_SELF,          /* fmt "packed", signed with the credential key */
  KS_SOFT_ATTESTATION_PACKED_X5C,           /* fmt "packed" with a leaf + root chain made here */
  KS_SOFT_ATTESTATION_FIDO_U2F,             /* fmt "fido-u2f" with a certificate made here */
} KsSoftAttestation;

/* Knobs for negative tests. All-zero (or a NULL pointer) is an honest authenticator. Fields that
 * only make sense in one ceremony are ignored in the other. */
typedef struct {
  /* registration */
  KsSoftAttestation  attestation;
  const char        *format_name;           /* write this fmt instead of the format's own */
  gint64             algorithm;             /* COSE alg of the new key: -7 or -257; 0 picks the
                                             * first of pubKeyCredParams that is supported */
  gsize              credential_id_length;  /* 0 means 32 */
  gboolean           empty_credential_id;
  gboolean           none_with_statement;   /* fmt "none" with a non-empty attStmt */
  gboolean           omit_attested_data;    /* clear AT and drop the attested credential data */
  gboolean           extra_attestation_key; /* a fourth key in the attestation object */
  gboolean           trailing_attestation_bytes;
  gint64             statement_algorithm;   /* packed: the alg written in attStmt (0 = the key's) */
  gboolean           x5c_is_ca;             /* packed x5c: the leaf claims basicConstraints CA */
  gboolean           x5c_wrong_ou;          /* packed x5c: OU is not "Authenticator Attestation" */
  gboolean           x5c_wrong_aaguid;      /* packed x5c: the AAGUID extension differs */
  gboolean           x5c_version_1;         /* packed x5c: a v1 certificate */
  gboolean           x5c_no_basic_constraints; /* packed x5c: leaf without the extension */
  gboolean           zero_aaguid;

  /* both ceremonies */
  gboolean           clear_up;
  gboolean           set_uv;
  gboolean           set_be;
  gboolean           set_bs;
  gboolean           set_at;                /* on an assertion: claim attested data */
  gboolean           set_ed_without_extensions;
  gboolean           add_extensions;        /* set ED and append {"credProtect": 1} */
  gboolean           trailing_auth_data_bytes;
  gboolean           wrong_rp_id_hash;
  const char        *credential_type;       /* NULL means "public-key" */
  const char        *client_data_type;      /* NULL means the ceremony's own */
  gboolean           cross_origin;
  gboolean           token_binding_present;
  const char        *challenge;             /* NULL means the options' challenge */
  gboolean           challenge_padded;      /* append base64 padding to the challenge */
  const char        *origin;                /* NULL means the origin argument */
  const char        *client_data_json;      /* replace clientDataJSON with these exact bytes */
  gboolean           id_differs;            /* id != rawId */
  gboolean           corrupt_signature;
  gboolean           set_counter;
  guint32            counter;               /* with set_counter: the counter to report */

  /* assertion */
  GBytes            *credential_id;         /* present this credential of ours, whatever the
                                             * options allow (e.g. another user's) */
} KsSoftTweaks;

#define KS_TYPE_SOFT_AUTHENTICATOR (ks_soft_authenticator_get_type ())
G_DECLARE_FINAL_TYPE (KsSoftAuthenticator, ks_soft_authenticator, KS, SOFT_AUTHENTICATOR, GObject)

KsSoftAuthenticator *ks_soft_authenticator_new          (void);

/* Creation options (the JSON that GET /users/passkeys/register answers) -> a
 * PasskeyRegisterRequest, with response.clientDataJson copied as Dynamic's client does. */
JsonObject          *ks_soft_authenticator_register     (KsSoftAuthenticator *self,
                                                         JsonObject          *creation_options,
                                                         const char          *origin,
                                                         const KsSoftTweaks  *tweaks,
                                                         GError             **error);

/* Request options (GET /users/passkeys/authenticate) -> a PasskeyAuthRequest. */
JsonObject          *ks_soft_authenticator_authenticate (KsSoftAuthenticator *self,
                                                         JsonObject          *request_options,
                                                         const char          *origin,
                                                         const KsSoftTweaks  *tweaks,
                                                         GError             **error);

/* The AAGUID this authenticator reports (16 bytes). */
const guint8        *ks_soft_authenticator_get_aaguid   (KsSoftAuthenticator *self);

/* The COSE_Key of one of its credentials, or NULL. */
GBytes              *ks_soft_authenticator_get_public_key (KsSoftAuthenticator *self,
                                                           GBytes              *credential_id);

/* How many credentials it holds, over every rp id. */
guint                ks_soft_authenticator_get_n_credentials (KsSoftAuthenticator *self);

G_END_DECLS
