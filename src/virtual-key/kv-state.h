/* kv-state.h: what keyturn-virtual-key remembers across restarts, and its state file
 *
 * Copyright 2026 Keyturn developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>
#include <openssl/evp.h>

G_BEGIN_DECLS

#define KV_AAGUID_LEN         16
#define KV_PIN_HASH_LEN       16
#define KV_PIN_MAX_RETRIES    8
#define KV_CREDENTIAL_ID_LEN  32
#define KV_WRAPPING_KEY_LEN   32

/* A discoverable credential is stored and its id is 32 random bytes naming the entry. A
 * non-discoverable one is not stored: its private key travels inside its id, encrypted under
 * the state's wrapping key (see kv_state_wrap_credential), and only its counter is kept. */
typedef struct {
  GBytes   *id;
  char     *rp_id;
  GBytes   *user_id;
  char     *user_name;          /* nullable */
  char     *user_display_name;  /* nullable */
  EVP_PKEY *key;
  guint32   sign_count;         /* the last counter value signed */
  guint32   counter_ceiling;    /* what the file holds: no value above it was ever signed */
  gboolean  resident;
  guint64   serial;             /* creation order: newest resident credential answers first */
  char     *key_text;           /* the private key as the file holds it, encoded once */
  gboolean  wrapped;            /* unwrapped from its id for one request, not stored */
} KvCredential;

/* The signature counter of a wrapped credential, kept once it has signed. */
typedef struct {
  GBytes  *id;
  guint32  sign_count;
  guint32  counter_ceiling;
} KvCounter;

typedef struct {
  char      *path;
  guint8     aaguid[KV_AAGUID_LEN];
  EVP_PKEY  *attestation_key;
  GBytes    *attestation_cert;  /* DER; its issuer is attestation_root */
  GBytes    *attestation_root;  /* DER, self-signed; a relying party may trust it */
  gboolean   pin_set;
  guint8     pin_hash[KV_PIN_HASH_LEN];
  guint      pin_retries;
  guint64    next_serial;
  guint8     wrapping_key[KV_WRAPPING_KEY_LEN];
  GPtrArray *credentials;       /* KvCredential: the stored ones */
  GPtrArray *counters;          /* KvCounter: for wrapped credentials */
} KvState;

KvState      *kv_state_load           (const char    *path,
                                       gboolean      *created,
                                       GError       **error);
gboolean      kv_state_save           (KvState       *state,
                                       GError       **error);
void          kv_state_free           (KvState       *state);

/* Forgets credentials and PIN and changes the wrapping key, so wrapped credentials die too;
 * keeps the AAGUID and the attestation key, as a real reset does. */
void          kv_state_reset          (KvState       *state);

KvCredential *kv_state_find           (KvState       *state,
                                       const char    *rp_id,
                                       const guint8  *id,
                                       gsize          id_len);
/* The id of a non-discoverable credential: its private key sealed for @rp_id. */
GBytes       *kv_state_wrap_credential   (KvState      *state,
                                          const char   *rp_id,
                                          EVP_PKEY     *key);
/* A new credential (wrapped = TRUE) if @id was sealed by this key for @rp_id, else NULL. */
KvCredential *kv_state_unwrap_credential (KvState      *state,
                                          const char   *rp_id,
                                          const guint8 *id,
                                          gsize         id_len);
guint         kv_state_count_resident (KvState       *state);
/* The next signature counter of @cred; saves the state only when a new block of values must be
 * reserved, so a counter never repeats even if the key dies between saves. */
gboolean      kv_state_next_counter   (KvState       *state,
                                       KvCredential  *cred,
                                       guint32       *count,
                                       GError       **error);
void          kv_credential_free      (KvCredential  *cred);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (KvCredential, kv_credential_free)

/* Generates the attestation root and the batch certificate naming @aaguid (WebAuthn §8.2.1). */
gboolean      kv_attestation_generate (const guint8   aaguid[KV_AAGUID_LEN],
                                       EVP_PKEY     **batch_key,
                                       GBytes       **batch_cert,
                                       GBytes       **root_cert,
                                       GError       **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (KvState, kv_state_free)

G_END_DECLS
