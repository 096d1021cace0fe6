/* ks-api-session.c: settings, keys, sign-in by email code, and the session's own endpoints
 *
 * Copyright 2026 Keyturn developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "ks-server-private.h"

#include <openssl/rand.h>
#include <string.h>

#include "ks-log.h"
#include "ks-outbox.h"

#define VERIFICATIONS_PER_HOUR  10

void
ks_api_settings (KsRequest *req)
{
  KsEnvironment *env = req->env;
  g_autoptr(JsonObject) settings = json_object_new ();
  JsonObject *general = json_object_new ();
  JsonObject *security = json_object_new ();
  JsonObject *mfa = json_object_new ();
  JsonObject *passkey = json_object_new ();
  JsonObject *sdk = json_object_new ();
  JsonArray *available = json_array_new ();
  JsonArray *methods = json_array_new ();

  json_object_set_string_member (general, "displayName", env->display_name);

  json_array_add_string_element (available, "passkey");
  json_object_set_string_member (passkey, "type", "passkey");
  json_object_set_boolean_member (passkey, "enabled", TRUE);
  json_object_set_boolean_member (passkey, "allowBackupCodes", TRUE);
  json_array_add_object_element (methods, passkey);

  json_object_set_boolean_member (mfa, "enabled", TRUE);
  json_object_set_boolean_member (mfa, "required", env->mfa_required);
  json_object_set_array_member (mfa, "availableMethods", available);
  json_object_set_array_member (mfa, "methods", methods);
  json_object_set_object_member (security, "mfa", mfa);

  /* ProjectSettings requires these; this sandbox has no chains, KYC fields or design. */
  json_object_set_string_member (sdk, "minApiVersion", env->min_api_version);
  json_object_set_array_member (settings, "chains", json_array_new ());
  json_object_set_array_member (settings, "kyc", json_array_new ());
  json_object_set_object_member (settings, "design", json_object_new ());
  json_object_set_object_member (settings, "privacy", json_object_new ());
  json_object_set_object_member (settings, "sdk", sdk);
  json_object_set_object_member (settings, "general", general);
  json_object_set_object_member (settings, "security", security);
  ks_request_reply_json (req, SOUP_STATUS_OK, settings);
}

void
ks_api_jwks (KsRequest *req)
{
  g_autoptr(JsonObject) jwks = json_object_new ();
  JsonArray *keys = json_array_new ();

  json_array_add_object_element (keys, ks_signer_get_jwk (req->signer));
  json_object_set_array_member (jwks, "keys", keys);
  ks_request_reply_json (req, SOUP_STATUS_OK, jwks);
}

/* A deliberately plain check: one "@", something on each side, nothing that could break out of
 * an email header or a log line. */
static char *
normalize_email (const char *email)
{
  g_autofree char *trimmed = g_strstrip (g_strdup (email));
  const char *at = strchr (trimmed, '@');
  gsize len = strlen (trimmed);

  if (len < 3 || len > 254 || at == NULL || at == trimmed || at[1] == '\0'
      || strchr (at + 1, '@') != NULL)
    return NULL;
  for (const char *p = trimmed; *p != '\0'; p++)
    {
      guchar c = *p;

      if (c <= ' ' || c == 0x7f || strchr ("<>()[],;:\\\"", c) != NULL)
        return NULL;
    }
  if (!g_utf8_validate (trimmed, -1, NULL))
    return NULL;
  return g_utf8_strdown (trimmed, -1);
}

static char *
new_email_code (void)
{
  guint32 value;

  /* Rejection sampling keeps the six digits uniform. */
  do
    {
      if (RAND_bytes ((guint8 *) &value, sizeof value) != 1)
        g_error ("The system has no random bytes to give");
    }
  while (value >= 4294000000u);
  return g_strdup_printf ("%06u", value % 1000000);
}

static GBytes *
email_code_mac (KsRequest  *req,
                const char *verification_id,
                const char *code)
{
  g_autofree char *context = g_strdup_printf ("email code %s", verification_id);

  return ks_secret_mac (req->server->secret, context, code);
}

static gboolean
send_code (KsRequest            *req,
           KsEmailVerification  *verification)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *code = new_email_code ();
  g_autofree char *path = NULL;

  g_clear_pointer (&verification->code_mac, g_bytes_unref);
  verification->code_mac = email_code_mac (req, verification->id, code);

  path = ks_outbox_send_code (req->server->outbox_dir, req->env->display_name,
                              verification->email, code, req->env->email_code_lifetime, &error);
  if (path == NULL)
    {
      ks_request_reply_internal (req, error);
      return FALSE;
    }
  ks_log ("req=%s email to %s: sign-in code %s (%s)", req->request_id, verification->email,
          code, path);
  return TRUE;
}

/* Events of @kind in the @window_ms before @now are bounded: of @email when it is not NULL,
 * else of the whole environment. Answers FALSE (having replied 429 with @message, or 500) when
 * @limit of them have happened. */
static gboolean
check_event_rate (KsRequest    *req,
                  KsEmailEvent  kind,
                  const char   *email,
                  gint64        window_ms,
                  gint64        limit,
                  gint64        now,
                  const char   *message)
{
  g_autoptr(GError) error = NULL;
  gint64 oldest = now;
  gint64 count = ks_store_count_email_events (req->server->store, kind, req->env->id, email,
                                              NULL, now - window_ms, &oldest, &error);

  if (count < 0)
    {
      ks_request_reply_internal (req, error);
      return FALSE;
    }
  if (count >= limit)
    {
      ks_request_reply_rate_limited (req, (oldest + window_ms - now + 999) / 1000, message);
      return FALSE;
    }
  return TRUE;
}

/* Codes sent per minute are bounded per environment, whatever the addresses. */
static gboolean
check_send_rate (KsRequest *req,
                 gint64     now)
{
  return check_event_rate (req, KS_EMAIL_EVENT_SENT, NULL, 60 * 1000,
                           req->env->email_codes_per_minute, now,
                           "Too many sign-in codes sent from this environment this minute: "
                           "wait, then ask again");
}

/* Stores @verification (a new row when @created) and an event of @kind at @now for it; FALSE,
 * having replied 500, on error. */
static gboolean
save_verification (KsRequest           *req,
                   KsEmailVerification *verification,
                   gboolean             created,
                   KsEmailEvent         kind,
                   gint64               now)
{
  g_autoptr(GError) error = NULL;
  KsStore *store = req->server->store;

  if (!(created ? ks_store_insert_verification (store, verification, &error)
                : ks_store_update_verification (store, verification, &error))
      || !ks_store_add_email_event (store, kind, verification, now, &error))
    {
      ks_request_reply_internal (req, error);
      return FALSE;
    }
  return TRUE;
}

/* Wrong guesses at @verification in all, resends included; -1 (having replied) on error. */
static gint64
count_wrong_guesses (KsRequest                 *req,
                     const KsEmailVerification *verification)
{
  g_autoptr(GError) error = NULL;
  gint64 wrong = ks_store_count_email_events (req->server->store, KS_EMAIL_EVENT_WRONG_GUESS,
                                              req->env->id, NULL, verification->id, 0, NULL,
                                              &error);

  if (wrong < 0)
    ks_request_reply_internal (req, error);
  return wrong;
}

static void
reply_no_verification (KsRequest *req)
{
  ks_request_reply_error (req, SOUP_STATUS_NOT_FOUND, "verification_not_found",
                          "No such email verification: ask for a new code");
}

static void
reply_locked (KsRequest *req)
{
  ks_request_reply_error (req, SOUP_STATUS_BAD_REQUEST, "verification_locked",
                          "Too many wrong codes: this code no longer works; ask for a new one");
}

static void
reply_verification (KsRequest           *req,
                    KsEmailVerification *verification)
{
  g_autoptr(JsonObject) reply = json_object_new ();

  json_object_set_string_member (reply, "verificationUUID", verification->id);
  json_object_set_string_member (reply, "email", verification->email);
  ks_request_reply_json (req, SOUP_STATUS_OK, reply);
}

void
ks_api_email_create (KsRequest *req)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(KsEmailVerification) verification = NULL;
  g_autofree char *email = NULL;
  const char *given, *captcha;
  gint64 now = ks_now_ms ();
  gint64 recent;

  if (!ks_request_get_string (req, req->body, "email", TRUE, &given)
      || !ks_request_get_string (req, req->body, "captchaToken", FALSE, &captcha))
    return;

  email = normalize_email (given);
  if (email == NULL)
    {
      ks_request_reply_error (req, SOUP_STATUS_BAD_REQUEST, "invalid_email",
                              "This is not an email address the sandbox can send to");
      return;
    }

  recent = ks_store_count_verifications_since (req->server->store, req->env->id, email,
                                               now - 60 * 60 * 1000, &error);
  if (recent < 0)
    {
      ks_request_reply_internal (req, error);
      return;
    }
  if (recent >= VERIFICATIONS_PER_HOUR)
    {
      ks_request_reply_rate_limited (req, 60 * 60,
                                     "Too many sign-in codes for this address this hour");
      return;
    }
  if (!check_send_rate (req, now))
    return;

  verification = g_new0 (KsEmailVerification, 1);
  verification->id = g_uuid_string_random ();
  verification->environment_id = g_strdup (req->env->id);
  verification->email = g_steal_pointer (&email);
  verification->created_at = now;
  verification->expires_at = now + req->env->email_code_lifetime * 1000;
  verification->last_sent_at = now;
  verification->sends = 1;
  verification->attempts_left = MIN (KS_EMAIL_CODE_ATTEMPTS,
                                     req->env->email_guesses_per_verification);

  if (!send_code (req, verification)
      || !save_verification (req, verification, TRUE, KS_EMAIL_EVENT_SENT, now))
    return;

  reply_verification (req, verification);
}

static KsEmailVerification *
find_verification (KsRequest  *req,
                   const char *id)
{
  g_autoptr(GError) error = NULL;
  KsEmailVerification *verification;

  verification = ks_store_get_verification (req->server->store, id, &error);
  if (error != NULL)
    {
      ks_request_reply_internal (req, error);
      return NULL;
    }
  if (verification == NULL || g_strcmp0 (verification->environment_id, req->env->id) != 0)
    {
      reply_no_verification (req);
      ks_email_verification_free (verification);
      return NULL;
    }
  return verification;
}

void
ks_api_email_retry (KsRequest *req)
{
  g_autoptr(KsEmailVerification) verification = NULL;
  g_autofree char *email = NULL;
  const char *given, *id;
  gint64 now = ks_now_ms ();
  gint64 wait_ms, wrong;

  if (!ks_request_get_string (req, req->body, "email", TRUE, &given)
      || !ks_request_get_string (req, req->body, "verificationUUID", TRUE, &id))
    return;

  verification = find_verification (req, id);
  if (verification == NULL)
    return;
  email = normalize_email (given);
  if (g_strcmp0 (email, verification->email) != 0)
    {
      reply_no_verification (req);
      return;
    }
  if (verification->used)
    {
      ks_request_reply_error (req, SOUP_STATUS_BAD_REQUEST, "verification_used",
                              "This sign-in code was already used");
      return;
    }

  /* Resends give the new code its own tries, but never past the verification's total. */
  wrong = count_wrong_guesses (req, verification);
  if (wrong < 0)
    return;
  if (wrong >= req->env->email_guesses_per_verification)
    {
      reply_locked (req);
      return;
    }

  wait_ms = verification->last_sent_at + req->env->email_retry_interval * 1000 - now;
  if (wait_ms > 0)
    {
      ks_request_reply_rate_limited (req, (wait_ms + 999) / 1000,
                                     "A code was sent moments ago: wait before asking again");
      return;
    }
  if (verification->sends >= KS_EMAIL_MAX_SENDS)
    {
      ks_request_reply_rate_limited (req, 60 * 60,
                                     "Too many codes for this sign-in: start again later");
      return;
    }

  if (!check_send_rate (req, now))
    return;

  /* A new code replaces the old one, with a fresh life and fresh tries, within the total. */
  verification->sends++;
  verification->last_sent_at = now;
  verification->expires_at = now + req->env->email_code_lifetime * 1000;
  verification->attempts_left = MIN (KS_EMAIL_CODE_ATTEMPTS,
                                     req->env->email_guesses_per_verification - wrong);
  if (!send_code (req, verification)
      || !save_verification (req, verification, FALSE, KS_EMAIL_EVENT_SENT, now))
    return;

  reply_verification (req, verification);
}

static KsUser *
find_or_create_user (KsRequest   *req,
                     const char  *email,
                     gboolean    *created,
                     GError     **error)
{
  g_autoptr(GError) local_error = NULL;
  KsUser *user;

  *created = FALSE;
  user = ks_store_get_user_by_email (req->server->store, req->env->id, email, &local_error);
  if (user != NULL || local_error != NULL)
    {
      if (local_error != NULL)
        g_propagate_error (error, g_steal_pointer (&local_error));
      return user;
    }

  user = g_new0 (KsUser, 1);
  user->id = g_uuid_string_random ();
  user->environment_id = g_strdup (req->env->id);
  user->email = g_strdup (email);
  user->email_credential_id = g_uuid_string_random ();
  user->created_at = ks_now_ms ();
  if (!ks_store_insert_user (req->server->store, user, error))
    {
      ks_user_free (user);
      return NULL;
    }
  *created = TRUE;
  return user;
}

void
ks_api_email_signin (KsRequest *req)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(KsEmailVerification) verification = NULL;
  g_autoptr(GBytes) mac = NULL;
  g_autoptr(KsUser) user = NULL;
  g_autoptr(KsSession) session = NULL;
  const char *id, *code;
  gboolean created = FALSE;
  gint64 now = ks_now_ms ();
  gint64 wrong;

  if (!ks_request_get_string (req, req->body, "verificationUUID", TRUE, &id)
      || !ks_request_get_string (req, req->body, "verificationToken", TRUE, &code))
    return;

  verification = find_verification (req, id);
  if (verification == NULL)
    return;
  if (verification->used)
    {
      ks_request_reply_error (req, SOUP_STATUS_BAD_REQUEST, "verification_used",
                              "This sign-in code was already used: ask for a new one");
      return;
    }
  wrong = count_wrong_guesses (req, verification);
  if (wrong < 0)
    return;
  if (verification->attempts_left <= 0 || wrong >= req->env->email_guesses_per_verification)
    {
      reply_locked (req);
      return;
    }
  if (verification->expires_at <= now)
    {
      ks_request_reply_error (req, SOUP_STATUS_BAD_REQUEST, "verification_expired",
                              "This sign-in code has expired: ask for a new one");
      return;
    }

  /* Guesses at one address are bounded per hour across all its verifications: past the limit,
   * no code is even checked. */
  if (!check_event_rate (req, KS_EMAIL_EVENT_WRONG_GUESS, verification->email, 60 * 60 * 1000,
                         req->env->email_guesses_per_address_hour, now,
                         "Too many wrong codes for this address this hour: wait, then try again"))
    return;

  mac = email_code_mac (req, verification->id, code);
  if (strlen (code) != 6 || !ks_secret_mac_equal (mac, verification->code_mac))
    {
      g_autoptr(JsonObject) payload = json_object_new ();

      /* A wrong try is spent even though the answer is an error. */
      verification->attempts_left--;
      if (wrong + 1 >= req->env->email_guesses_per_verification)
        verification->attempts_left = 0;
      req->keep_changes = TRUE;
      if (!save_verification (req, verification, FALSE, KS_EMAIL_EVENT_WRONG_GUESS, now))
        return;
      if (verification->attempts_left <= 0)
        {
          reply_locked (req);
          return;
        }
      json_object_set_int_member (payload, "attemptsLeft", verification->attempts_left);
      ks_request_reply_error_payload (req, SOUP_STATUS_BAD_REQUEST, "mfa_invalid_code",
                                      "That code is not right", payload);
      return;
    }

  verification->used = TRUE;
  if (!ks_store_update_verification (req->server->store, verification, &error))
    {
      ks_request_reply_internal (req, error);
      return;
    }

  user = find_or_create_user (req, verification->email, &created, &error);
  if (user == NULL)
    {
      ks_request_reply_internal (req, error);
      return;
    }

  session = g_new0 (KsSession, 1);
  session->id = g_uuid_string_random ();
  session->environment_id = g_strdup (req->env->id);
  session->user_id = g_strdup (user->id);
  session->created_at = now;
  session->expires_at = now + req->env->session_lifetime * 1000;
  session->last_credential_id = g_strdup (user->email_credential_id);
  if (!ks_store_insert_session (req->server->store, session, &error))
    {
      ks_request_reply_internal (req, error);
      return;
    }

  if (ks_request_reply_verify_response (req, session, user, created, NULL, NULL))
    ks_log ("req=%s %s signed in by email code (%s user)", req->request_id, user->email,
            created ? "new" : "returning");
}

void
ks_api_get_user (KsRequest *req)
{
  const char *scope = json_object_get_string_member_with_default (req->claims, "scope", "");
  GString *user = g_string_sized_new (1024);

  ks_request_write_user (user, req->user, req->session, scope, FALSE);
  ks_request_reply_text (req, SOUP_STATUS_OK, user);
}

void
ks_api_update_user (KsRequest *req)
{
  g_autoptr(GError) error = NULL;
  const char *ack;

  if (!ks_request_get_string (req, req->body, "mfaBackupCodeAcknowledgement", FALSE, &ack))
    return;
  if (ack != NULL)
    {
      if (!g_str_equal (ack, "complete"))
        {
          ks_request_reply_error (req, SOUP_STATUS_BAD_REQUEST, "invalid_field",
                                  "\"mfaBackupCodeAcknowledgement\" can only be set to "
                                  "\"complete\"");
          return;
        }
      if (!ks_store_set_acknowledgement (req->server->store, req->user->id, "complete", &error))
        {
          ks_request_reply_internal (req, error);
          return;
        }
      g_free (req->user->mfa_acknowledgement);
      req->user->mfa_acknowledgement = g_strdup ("complete");
    }
  ks_request_reply_verify_response (req, req->session, req->user, FALSE, NULL, "done");
}

void
ks_api_refresh (KsRequest *req)
{
  ks_request_reply_verify_response (req, req->session, req->user, FALSE, NULL, NULL);
}

void
ks_api_revoke (KsRequest *req)
{
  g_autoptr(GError) error = NULL;

  if (!ks_store_revoke_session (req->server->store, req->session->id, &error))
    {
      ks_request_reply_internal (req, error);
      return;
    }
  ks_log ("req=%s %s signed out", req->request_id, req->user->email);
  ks_request_reply_empty (req);
}

void
ks_api_session (KsRequest *req)
{
  ks_request_reply_empty (req);
}
