/* ks-recovery.c: MFA recovery codes
 *
 * Copyright 2026 Keyturn developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "ks-recovery.h"

#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <string.h>

#include "ks-store.h"

/* 32 symbols: no 0/o, 1/l/i, so a code read off paper is typed back right. 50 bits a code. */
static const char alphabet[] = "23456789abcdefghjkmnpqrstuvwxyz";
#define GROUP_LEN 5
#define CODE_LEN  (2 * GROUP_LEN)

char *
ks_recovery_code_generate (void)
{
  guint8 random[CODE_LEN];
  GString *code = g_string_sized_new (CODE_LEN + 2);
  const gsize n = strlen (alphabet);

  if (RAND_bytes (random, sizeof random) != 1)
    g_error ("The system has no random bytes to give");
  for (guint i = 0; i < CODE_LEN; i++)
    {
      if (i == GROUP_LEN)
        g_string_append_c (code, '-');
      /* 256 is a multiple of 32: no modulo bias. */
      g_string_append_c (code, alphabet[random[i] % n]);
    }
  OPENSSL_cleanse (random, sizeof random);
  return g_string_free (code, FALSE);
}

char *
ks_recovery_code_normalize (const char *typed)
{
  GString *code;

  if (typed == NULL || strlen (typed) > 64)
    return NULL;

  code = g_string_sized_new (CODE_LEN);
  for (const char *p = typed; *p != '\0'; p++)
    {
      char c = g_ascii_tolower (*p);

      if (c == '-' || c == ' ')
        continue;
      if (strchr (alphabet, c) == NULL || c == '\0')
        {
          g_string_free (code, TRUE);
          return NULL;
        }
      g_string_append_c (code, c);
    }
  if (code->len != CODE_LEN)
    {
      g_string_free (code, TRUE);
      return NULL;
    }
  return g_string_free (code, FALSE);
}

char *
ks_recovery_code_context (const char *user_id,
                          gint        position)
{
  return g_strdup_printf ("keyturn-sandbox recovery code %s %d", user_id, position);
}

gint
ks_recovery_code_find (KsSecret   *secret,
                       const char *user_id,
                       GPtrArray  *codes,
                       const char *typed)
{
  g_autofree char *wanted = ks_recovery_code_normalize (typed);
  gint found = -1;

  if (wanted == NULL)
    return -1;

  for (guint i = 0; i < codes->len; i++)
    {
      KsRecoveryCode *code = g_ptr_array_index (codes, i);
      g_autofree char *context = ks_recovery_code_context (user_id, code->position);
      g_autofree char *stored = NULL;
      g_autofree char *plain = NULL;

      if (code->used)
        continue;
      stored = ks_secret_open (secret, code->sealed, context);
      if (stored == NULL)
        continue;
      plain = ks_recovery_code_normalize (stored);
      if (plain != NULL && CRYPTO_memcmp (plain, wanted, CODE_LEN) == 0)
        found = code->position;
      OPENSSL_cleanse (stored, strlen (stored));
    }
  return found;
}
