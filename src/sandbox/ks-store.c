/* ks-store.c: the sandbox's state in SQLite
 *
 * Copyright 2026 Keyturn developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "ks-store.h"

#include <sqlite3.h>
#include <string.h>

G_DEFINE_QUARK (ks-store-error-quark, ks_store_error)

struct _KsStore {
  sqlite3    *db;
  GHashTable *statements;             /* SQL text (a literal, by address) -> sqlite3_stmt */
};

/* Challenges and MFA tokens are looked up by their key only: WITHOUT ROWID keeps each in one
 * b-tree, one page fewer to write per ceremony. */
static const char schema[] =
  "CREATE TABLE IF NOT EXISTS meta ("
  "  key TEXT PRIMARY KEY, value TEXT NOT NULL);"
  "CREATE TABLE IF NOT EXISTS users ("
  "  id TEXT PRIMARY KEY, environment_id TEXT NOT NULL, email TEXT NOT NULL,"
  "  email_credential_id TEXT NOT NULL, mfa_acknowledgement TEXT,"
  "  created_at INTEGER NOT NULL, recovery_failures INTEGER NOT NULL DEFAULT 0,"
  "  recovery_window_start INTEGER NOT NULL DEFAULT 0,"
  "  UNIQUE (environment_id, email));"
  "CREATE TABLE IF NOT EXISTS email_verifications ("
  "  id TEXT PRIMARY KEY, environment_id TEXT NOT NULL, email TEXT NOT NULL,"
  "  code_mac BLOB NOT NULL, created_at INTEGER NOT NULL, expires_at INTEGER NOT NULL,"
  "  last_sent_at INTEGER NOT NULL, sends INTEGER NOT NULL, attempts_left INTEGER NOT NULL,"
  "  used INTEGER NOT NULL DEFAULT 0);"
  "CREATE INDEX IF NOT EXISTS email_verifications_by_email"
  "  ON email_verifications (environment_id, email, created_at);"
  "CREATE TABLE IF NOT EXISTS sessions ("
  "  id TEXT PRIMARY KEY, environment_id TEXT NOT NULL,"
  "  user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,"
  "  created_at INTEGER NOT NULL, expires_at INTEGER NOT NULL,"
  "  revoked INTEGER NOT NULL DEFAULT 0, mfa_done INTEGER NOT NULL DEFAULT 0,"
  "  last_credential_id TEXT);"
  "CREATE INDEX IF NOT EXISTS sessions_by_user ON sessions (user_id);"
  "CREATE TABLE IF NOT EXISTS passkeys ("
  "  id TEXT PRIMARY KEY, environment_id TEXT NOT NULL,"
  "  user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,"
  "  credential_id BLOB NOT NULL, public_key BLOB NOT NULL, algorithm INTEGER NOT NULL,"
  "  sign_count INTEGER NOT NULL, aaguid BLOB NOT NULL, backup_eligible INTEGER NOT NULL,"
  "  backup_state INTEGER NOT NULL, alias TEXT, origin TEXT, user_agent TEXT,"
  "  transports TEXT, attestation_format TEXT, created_at INTEGER NOT NULL,"
  "  updated_at INTEGER NOT NULL,"
  "  UNIQUE (environment_id, credential_id));"
  "CREATE INDEX IF NOT EXISTS passkeys_by_user ON passkeys (user_id, created_at);"
  "CREATE TABLE IF NOT EXISTS challenges ("   /* spent ones only */
  "  challenge TEXT PRIMARY KEY, session_id TEXT NOT NULL, kind TEXT NOT NULL,"
  "  expires_at INTEGER NOT NULL, used INTEGER NOT NULL DEFAULT 0) WITHOUT ROWID;"
  "CREATE TABLE IF NOT EXISTS recovery_codes ("
  "  user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,"
  "  position INTEGER NOT NULL, sealed BLOB NOT NULL, used INTEGER NOT NULL DEFAULT 0,"
  "  PRIMARY KEY (user_id, position));"
  "CREATE TABLE IF NOT EXISTS mfa_tokens ("
  "  token_hash BLOB PRIMARY KEY, session_id TEXT NOT NULL, expires_at INTEGER NOT NULL,"
  "  single_use INTEGER NOT NULL, used INTEGER NOT NULL DEFAULT 0) WITHOUT ROWID;";

/* One row per code sent and per wrong guess: the limits count them across resends, verifications
 * and addresses, and a restart keeps them. */
static const char email_events_schema[] =
  "CREATE TABLE IF NOT EXISTS email_events ("
  "  environment_id TEXT NOT NULL, email TEXT NOT NULL, verification_id TEXT NOT NULL,"
  "  kind INTEGER NOT NULL, at INTEGER NOT NULL);"
  "CREATE INDEX IF NOT EXISTS email_events_by_environment"
  "  ON email_events (environment_id, kind, at);"
  "CREATE INDEX IF NOT EXISTS email_events_by_email"
  "  ON email_events (environment_id, email, kind, at);"
  "CREATE INDEX IF NOT EXISTS email_events_by_verification"
  "  ON email_events (verification_id, kind, at);";

gint64
ks_now_ms (void)
{
  return g_get_real_time () / 1000;
}

void
ks_user_free (KsUser *user)
{
  if (user == NULL)
    return;
  g_free (user->id);
  g_free (user->environment_id);
  g_free (user->email);
  g_free (user->email_credential_id);
  g_free (user->mfa_acknowledgement);
  g_free (user);
}

void
ks_session_free (KsSession *session)
{
  if (session == NULL)
    return;
  g_free (session->id);
  g_free (session->environment_id);
  g_free (session->user_id);
  g_free (session->last_credential_id);
  g_free (session);
}

void
ks_passkey_free (KsPasskey *passkey)
{
  if (passkey == NULL)
    return;
  g_free (passkey->id);
  g_free (passkey->environment_id);
  g_free (passkey->user_id);
  g_clear_pointer (&passkey->credential_id, g_bytes_unref);
  g_clear_pointer (&passkey->public_key, g_bytes_unref);
  g_free (passkey->alias);
  g_free (passkey->origin);
  g_free (passkey->user_agent);
  g_strfreev (passkey->transports);
  g_free (passkey->attestation_format);
  g_free (passkey);
}

void
ks_email_verification_free (KsEmailVerification *verification)
{
  if (verification == NULL)
    return;
  g_free (verification->id);
  g_free (verification->environment_id);
  g_free (verification->email);
  g_clear_pointer (&verification->code_mac, g_bytes_unref);
  g_free (verification);
}

void
ks_challenge_free (KsChallenge *challenge)
{
  if (challenge == NULL)
    return;
  g_free (challenge->session_id);
  g_free (challenge->kind);
  g_free (challenge);
}

void
ks_recovery_code_free (KsRecoveryCode *code)
{
  if (code == NULL)
    return;
  g_clear_pointer (&code->sealed, g_bytes_unref);
  g_free (code);
}

void
ks_mfa_token_free (KsMfaToken *token)
{
  if (token == NULL)
    return;
  g_free (token->session_id);
  g_free (token);
}

static gboolean
set_sqlite_error (KsStore     *self,
                  int          rc,
                  GError     **error)
{
  int code = (rc & 0xff) == SQLITE_CONSTRAINT ? KS_STORE_ERROR_CONSTRAINT : KS_STORE_ERROR_FAILED;

  g_set_error (error, KS_STORE_ERROR, code, "database: %s", sqlite3_errmsg (self->db));
  return FALSE;
}

/* Statements are prepared once and kept: per-request work stays small. */
static sqlite3_stmt *
statement (KsStore     *self,
           const char  *sql,
           GError     **error)
{
  sqlite3_stmt *stmt = g_hash_table_lookup (self->statements, sql);
  int rc;

  if (stmt != NULL)
    {
      sqlite3_reset (stmt);
      sqlite3_clear_bindings (stmt);
      return stmt;
    }

  rc = sqlite3_prepare_v3 (self->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &stmt, NULL);
  if (rc != SQLITE_OK)
    {
      set_sqlite_error (self, rc, error);
      return NULL;
    }
  g_hash_table_insert (self->statements, (gpointer) sql, stmt);
  return stmt;
}

static void
bind_text (sqlite3_stmt *stmt,
           int           index,
           const char   *text)
{
  if (text == NULL)
    sqlite3_bind_null (stmt, index);
  else
    sqlite3_bind_text (stmt, index, text, -1, SQLITE_TRANSIENT);
}

static void
bind_bytes (sqlite3_stmt *stmt,
            int           index,
            GBytes       *bytes)
{
  gsize len = 0;
  const guint8 *data = g_bytes_get_data (bytes, &len);

  /* An empty blob must still be a blob, not NULL. */
  sqlite3_bind_blob (stmt, index, data != NULL ? (const void *) data : (const void *) "", len,
                     SQLITE_TRANSIENT);
}

static char *
column_text (sqlite3_stmt *stmt,
             int           index)
{
  const unsigned char *text = sqlite3_column_text (stmt, index);

  return text != NULL ? g_strdup ((const char *) text) : NULL;
}

static GBytes *
column_bytes (sqlite3_stmt *stmt,
              int           index)
{
  const void *data = sqlite3_column_blob (stmt, index);
  int len = sqlite3_column_bytes (stmt, index);

  return g_bytes_new (data, len);
}

/* Runs a statement that returns no rows. */
static gboolean
run (KsStore       *self,
     sqlite3_stmt  *stmt,
     GError       **error)
{
  int rc = sqlite3_step (stmt);

  sqlite3_reset (stmt);
  if (rc != SQLITE_DONE)
    return set_sqlite_error (self, rc, error);
  return TRUE;
}

/* Steps to the first row: TRUE with a row, FALSE with no row (and no error) or on error. */
static gboolean
step_row (KsStore       *self,
          sqlite3_stmt  *stmt,
          GError       **error)
{
  int rc = sqlite3_step (stmt);

  if (rc == SQLITE_ROW)
    return TRUE;
  if (rc != SQLITE_DONE)
    set_sqlite_error (self, rc, error);
  sqlite3_reset (stmt);
  return FALSE;
}

static gboolean
exec (KsStore     *self,
      const char  *sql,
      GError     **error)
{
  char *message = NULL;

  if (sqlite3_exec (self->db, sql, NULL, NULL, &message) != SQLITE_OK)
    {
      g_set_error (error, KS_STORE_ERROR, KS_STORE_ERROR_FAILED, "database: %s", message);
      sqlite3_free (message);
      return FALSE;
    }
  return TRUE;
}

KsStore *
ks_store_open (const char  *path,
               GError     **error)
{
  g_autoptr(KsStore) self = g_new0 (KsStore, 1);
  int rc;

  self->statements = g_hash_table_new_full (g_direct_hash, g_direct_equal, NULL,
                                            (GDestroyNotify) sqlite3_finalize);

  rc = sqlite3_open_v2 (path, &self->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL);
  if (rc != SQLITE_OK)
    {
      g_set_error (error, KS_STORE_ERROR, KS_STORE_ERROR_FAILED, "%s: %s", path,
                   self->db != NULL ? sqlite3_errmsg (self->db) : sqlite3_errstr (rc));
      return NULL;
    }

  /* WAL with synchronous=NORMAL: a commit is in the WAL file (the kernel's page cache) before
   * COMMIT returns, so a process killed with -9 loses nothing committed; only a power cut can
   * lose the last commits, which a developer's sandbox can afford for the speed. Checkpoints
   * (which do sync) come every 4000 pages rather than 1000. */
  sqlite3_busy_timeout (self->db, 5000);
  if (!exec (self, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;"
             "PRAGMA wal_autocheckpoint=4000;", error)
      || !exec (self, schema, error)
      || !exec (self, email_events_schema, error))
    return NULL;

  return g_steal_pointer (&self);
}

void
ks_store_free (KsStore *self)
{
  if (self == NULL)
    return;
  g_clear_pointer (&self->statements, g_hash_table_unref);
  if (self->db != NULL)
    sqlite3_close (self->db);
  g_free (self);
}

gboolean
ks_store_begin (KsStore  *self,
                GError  **error)
{
  /* IMMEDIATE takes the write lock up front: the admin commands may write at the same time. */
  sqlite3_stmt *stmt = statement (self, "BEGIN IMMEDIATE", error);

  return stmt != NULL && run (self, stmt, error);
}

gboolean
ks_store_begin_read (KsStore  *self,
                     GError  **error)
{
  sqlite3_stmt *stmt = statement (self, "BEGIN", error);

  return stmt != NULL && run (self, stmt, error);
}

gboolean
ks_store_commit (KsStore  *self,
                 GError  **error)
{
  sqlite3_stmt *stmt = statement (self, "COMMIT", error);

  if (stmt == NULL || !run (self, stmt, error))
    {
      ks_store_rollback (self);
      return FALSE;
    }
  return TRUE;
}

void
ks_store_rollback (KsStore *self)
{
  if (!sqlite3_get_autocommit (self->db))
    exec (self, "ROLLBACK", NULL);
}

char *
ks_store_get_meta (KsStore     *self,
                   const char  *key,
                   GError     **error)
{
  sqlite3_stmt *stmt = statement (self, "SELECT value FROM meta WHERE key = ?", error);
  char *value;

  if (stmt == NULL)
    return NULL;
  bind_text (stmt, 1, key);
  if (!step_row (self, stmt, error))
    return NULL;
  value = column_text (stmt, 0);
  sqlite3_reset (stmt);
  return value;
}

gboolean
ks_store_set_meta (KsStore     *self,
                   const char  *key,
                   const char  *value,
                   GError     **error)
{
  sqlite3_stmt *stmt = statement (self, "INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)",
                                  error);

  if (stmt == NULL)
    return FALSE;
  bind_text (stmt, 1, key);
  bind_text (stmt, 2, value);
  return run (self, stmt, error);
}

/* Users */

#define USER_COLUMNS "id, environment_id, email, email_credential_id, mfa_acknowledgement, " \
                     "created_at, recovery_failures, recovery_window_start"

/* The USER_COLUMNS from column @first on. */
static KsUser *
read_user_at (sqlite3_stmt *stmt,
              int           first)
{
  KsUser *user = g_new0 (KsUser, 1);

  user->id = column_text (stmt, first);
  user->environment_id = column_text (stmt, first + 1);
  user->email = column_text (stmt, first + 2);
  user->email_credential_id = column_text (stmt, first + 3);
  user->mfa_acknowledgement = column_text (stmt, first + 4);
  user->created_at = sqlite3_column_int64 (stmt, first + 5);
  user->recovery_failures = sqlite3_column_int (stmt, first + 6);
  user->recovery_window_start = sqlite3_column_int64 (stmt, first + 7);
  return user;
}

static KsUser *
read_user (sqlite3_stmt *stmt)
{
  return read_user_at (stmt, 0);
}

KsUser *
ks_store_get_user (KsStore     *self,
                   const char  *id,
                   GError     **error)
{
  sqlite3_stmt *stmt = statement (self, "SELECT " USER_COLUMNS " FROM users WHERE id = ?", error);
  KsUser *user;

  if (stmt == NULL)
    return NULL;
  bind_text (stmt, 1, id);
  if (!step_row (self, stmt, error))
    return NULL;
  user = read_user (stmt);
  sqlite3_reset (stmt);
  return user;
}

KsUser *
ks_store_get_user_by_email (KsStore     *self,
                            const char  *environment_id,
                            const char  *email,
                            GError     **error)
{
  sqlite3_stmt *stmt = statement (self, "SELECT " USER_COLUMNS " FROM users "
                                  "WHERE environment_id = ? AND email = ?", error);
  KsUser *user;

  if (stmt == NULL)
    return NULL;
  bind_text (stmt, 1, environment_id);
  bind_text (stmt, 2, email);
  if (!step_row (self, stmt, error))
    return NULL;
  user = read_user (stmt);
  sqlite3_reset (stmt);
  return user;
}

/* Steps @stmt to its end, making one item of each row; NULL with the error if a step fails. */
typedef gpointer (*ReadRowFunc) (sqlite3_stmt *stmt);

static GPtrArray *
collect_rows (KsStore         *self,
              sqlite3_stmt    *stmt,
              ReadRowFunc      read_row,
              GDestroyNotify   free_item,
              GError         **error)
{
  g_autoptr(GPtrArray) list = g_ptr_array_new_with_free_func (free_item);
  int rc;

  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    g_ptr_array_add (list, read_row (stmt));
  sqlite3_reset (stmt);
  if (rc != SQLITE_DONE)
    {
      set_sqlite_error (self, rc, error);
      return NULL;
    }
  return g_steal_pointer (&list);
}

GPtrArray *
ks_store_list_users (KsStore  *self,
                     GError  **error)
{
  sqlite3_stmt *stmt = statement (self, "SELECT " USER_COLUMNS " FROM users "
                                  "ORDER BY environment_id, email", error);

  if (stmt == NULL)
    return NULL;
  return collect_rows (self, stmt, (ReadRowFunc) read_user, (GDestroyNotify) ks_user_free, error);
}

gboolean
ks_store_insert_user (KsStore       *self,
                      const KsUser  *user,
                      GError       **error)
{
  sqlite3_stmt *stmt = statement (self, "INSERT INTO users (" USER_COLUMNS ") "
                                  "VALUES (?, ?, ?, ?, ?, ?, ?, ?)", error);

  if (stmt == NULL)
    return FALSE;
  bind_text (stmt, 1, user->id);
  bind_text (stmt, 2, user->environment_id);
  bind_text (stmt, 3, user->email);
  bind_text (stmt, 4, user->email_credential_id);
  bind_text (stmt, 5, user->mfa_acknowledgement);
  sqlite3_bind_int64 (stmt, 6, user->created_at);
  sqlite3_bind_int (stmt, 7, user->recovery_failures);
  sqlite3_bind_int64 (stmt, 8, user->recovery_window_start);
  return run (self, stmt, error);
}

gboolean
ks_store_set_acknowledgement (KsStore     *self,
                              const char  *user_id,
                              const char  *value,
                              GError     **error)
{
  sqlite3_stmt *stmt = statement (self, "UPDATE users SET mfa_acknowledgement = ? WHERE id = ?",
                                  error);

  if (stmt == NULL)
    return FALSE;
  bind_text (stmt, 1, value);
  bind_text (stmt, 2, user_id);
  return run (self, stmt, error);
}

gboolean
ks_store_set_recovery_failures (KsStore     *self,
                                const char  *user_id,
                                gint         failures,
                                gint64       window_start,
                                GError     **error)
{
  sqlite3_stmt *stmt = statement (self, "UPDATE users SET recovery_failures = ?, "
                                  "recovery_window_start = ? WHERE id = ?", error);

  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int (stmt, 1, failures);
  sqlite3_bind_int64 (stmt, 2, window_start);
  bind_text (stmt, 3, user_id);
  return run (self, stmt, error);
}

gboolean
ks_store_reset_mfa (KsStore     *self,
                    const char  *user_id,
                    GError     **error)
{
  static const char * const sql[] = {
    "DELETE FROM passkeys WHERE user_id = ?",
    "DELETE FROM recovery_codes WHERE user_id = ?",
    "UPDATE users SET mfa_acknowledgement = NULL, recovery_failures = 0 WHERE id = ?",
    "UPDATE sessions SET revoked = 1 WHERE user_id = ?",
  };

  for (guint i = 0; i < G_N_ELEMENTS (sql); i++)
    {
      sqlite3_stmt *stmt = statement (self, sql[i], error);

      if (stmt == NULL)
        return FALSE;
      bind_text (stmt, 1, user_id);
      if (!run (self, stmt, error))
        return FALSE;
    }
  return TRUE;
}

/* Email verifications */

#define VERIFICATION_COLUMNS "id, environment_id, email, code_mac, created_at, expires_at, " \
                             "last_sent_at, sends, attempts_left, used"

gboolean
ks_store_insert_verification (KsStore                    *self,
                              const KsEmailVerification  *v,
                              GError                    **error)
{
  sqlite3_stmt *stmt = statement (self, "INSERT INTO email_verifications (" VERIFICATION_COLUMNS
                                  ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", error);

  if (stmt == NULL)
    return FALSE;
  bind_text (stmt, 1, v->id);
  bind_text (stmt, 2, v->environment_id);
  bind_text (stmt, 3, v->email);
  bind_bytes (stmt, 4, v->code_mac);
  sqlite3_bind_int64 (stmt, 5, v->created_at);
  sqlite3_bind_int64 (stmt, 6, v->expires_at);
  sqlite3_bind_int64 (stmt, 7, v->last_sent_at);
  sqlite3_bind_int (stmt, 8, v->sends);
  sqlite3_bind_int (stmt, 9, v->attempts_left);
  sqlite3_bind_int (stmt, 10, v->used);
  return run (self, stmt, error);
}

gboolean
ks_store_update_verification (KsStore                    *self,
                              const KsEmailVerification  *v,
                              GError                    **error)
{
  sqlite3_stmt *stmt = statement (self, "UPDATE email_verifications SET code_mac = ?, "
                                  "expires_at = ?, last_sent_at = ?, sends = ?, "
                                  "attempts_left = ?, used = ? WHERE id = ?", error);

  if (stmt == NULL)
    return FALSE;
  bind_bytes (stmt, 1, v->code_mac);
  sqlite3_bind_int64 (stmt, 2, v->expires_at);
  sqlite3_bind_int64 (stmt, 3, v->last_sent_at);
  sqlite3_bind_int (stmt, 4, v->sends);
  sqlite3_bind_int (stmt, 5, v->attempts_left);
  sqlite3_bind_int (stmt, 6, v->used);
  bind_text (stmt, 7, v->id);
  return run (self, stmt, error);
}

KsEmailVerification *
ks_store_get_verification (KsStore     *self,
                           const char  *id,
                           GError     **error)
{
  sqlite3_stmt *stmt = statement (self, "SELECT " VERIFICATION_COLUMNS
                                  " FROM email_verifications WHERE id = ?", error);
  KsEmailVerification *v;

  if (stmt == NULL)
    return NULL;
  bind_text (stmt, 1, id);
  if (!step_row (self, stmt, error))
    return NULL;
  v = g_new0 (KsEmailVerification, 1);
  v->id = column_text (stmt, 0);
  v->environment_id = column_text (stmt, 1);
  v->email = column_text (stmt, 2);
  v->code_mac = column_bytes (stmt, 3);
  v->created_at = sqlite3_column_int64 (stmt, 4);
  v->expires_at = sqlite3_column_int64 (stmt, 5);
  v->last_sent_at = sqlite3_column_int64 (stmt, 6);
  v->sends = sqlite3_column_int (stmt, 7);
  v->attempts_left = sqlite3_column_int (stmt, 8);
  v->used = sqlite3_column_int (stmt, 9);
  sqlite3_reset (stmt);
  return v;
}

gint64
ks_store_count_verifications_since (KsStore     *self,
                                    const char  *environment_id,
                                    const char  *email,
                                    gint64       since,
                                    GError     **error)
{
  sqlite3_stmt *stmt = statement (self, "SELECT count(*) FROM email_verifications "
                                  "WHERE environment_id = ? AND email = ? AND created_at >= ?",
                                  error);
  gint64 count;

  if (stmt == NULL)
    return -1;
  bind_text (stmt, 1, environment_id);
  bind_text (stmt, 2, email);
  sqlite3_bind_int64 (stmt, 3, since);
  if (!step_row (self, stmt, error))
    return -1;
  count = sqlite3_column_int64 (stmt, 0);
  sqlite3_reset (stmt);
  return count;
}

/* Email events */

gboolean
ks_store_add_email_event (KsStore                    *self,
                          KsEmailEvent                kind,
                          const KsEmailVerification  *verification,
                          gint64                      at,
                          GError                    **error)
{
  sqlite3_stmt *stmt = statement (self, "INSERT INTO email_events (environment_id, email, "
                                  "verification_id, kind, at) VALUES (?, ?, ?, ?, ?)", error);

  if (stmt == NULL)
    return FALSE;
  bind_text (stmt, 1, verification->environment_id);
  bind_text (stmt, 2, verification->email);
  bind_text (stmt, 3, verification->id);
  sqlite3_bind_int (stmt, 4, kind);
  sqlite3_bind_int64 (stmt, 5, at);
  return run (self, stmt, error);
}

gint64
ks_store_count_email_events (KsStore     *self,
                             KsEmailEvent kind,
                             const char  *environment_id,
                             const char  *email,
                             const char  *verification_id,
                             gint64       since,
                             gint64      *oldest,
                             GError     **error)
{
  sqlite3_stmt *stmt;
  gint64 count;

  /* One statement per scope, each served by its own index. */
  if (verification_id != NULL)
    {
      stmt = statement (self, "SELECT count(*), min(at) FROM email_events "
                        "WHERE verification_id = ? AND kind = ? AND at >= ?", error);
      if (stmt != NULL)
        bind_text (stmt, 1, verification_id);
    }
  else if (email != NULL)
    {
      stmt = statement (self, "SELECT count(*), min(at) FROM email_events "
                        "WHERE environment_id = ? AND email = ? AND kind = ? AND at >= ?",
                        error);
      if (stmt != NULL)
        {
          bind_text (stmt, 1, environment_id);
          bind_text (stmt, 2, email);
        }
    }
  else
    {
      stmt = statement (self, "SELECT count(*), min(at) FROM email_events "
                        "WHERE environment_id = ? AND kind = ? AND at >= ?", error);
      if (stmt != NULL)
        bind_text (stmt, 1, environment_id);
    }
  if (stmt == NULL)
    return -1;
  sqlite3_bind_int (stmt, sqlite3_bind_parameter_count (stmt) - 1, kind);
  sqlite3_bind_int64 (stmt, sqlite3_bind_parameter_count (stmt), since);
  if (!step_row (self, stmt, error))
    return -1;
  count = sqlite3_column_int64 (stmt, 0);
  if (oldest != NULL)
    *oldest = sqlite3_column_int64 (stmt, 1);
  sqlite3_reset (stmt);
  return count;
}

gboolean
ks_store_delete_old_email_events (KsStore  *self,
                                  gint64    before,
                                  GError  **error)
{
  sqlite3_stmt *stmt = statement (self, "DELETE FROM email_events WHERE at < ? AND "
                                  "verification_id NOT IN (SELECT id FROM email_verifications)",
                                  error);

  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, before);
  return run (self, stmt, error);
}

/* Sessions */

gboolean
ks_store_insert_session (KsStore          *self,
                         const KsSession  *session,
                         GError          **error)
{
  sqlite3_stmt *stmt = statement (self, "INSERT INTO sessions (id, environment_id, user_id, "
                                  "created_at, expires_at, revoked, mfa_done, last_credential_id) "
                                  "VALUES (?, ?, ?, ?, ?, ?, ?, ?)", error);

  if (stmt == NULL)
    return FALSE;
  bind_text (stmt, 1, session->id);
  bind_text (stmt, 2, session->environment_id);
  bind_text (stmt, 3, session->user_id);
  sqlite3_bind_int64 (stmt, 4, session->created_at);
  sqlite3_bind_int64 (stmt, 5, session->expires_at);
  sqlite3_bind_int (stmt, 6, session->revoked);
  sqlite3_bind_int (stmt, 7, session->mfa_done);
  bind_text (stmt, 8, session->last_credential_id);
  return run (self, stmt, error);
}

#define SESSION_COLUMNS "s.id, s.environment_id, s.user_id, s.created_at, s.expires_at, " \
                        "s.revoked, s.mfa_done, s.last_credential_id"
#define SESSION_N_COLUMNS 8

static KsSession *
read_session (sqlite3_stmt *stmt)
{
  KsSession *session = g_new0 (KsSession, 1);

  session->id = column_text (stmt, 0);
  session->environment_id = column_text (stmt, 1);
  session->user_id = column_text (stmt, 2);
  session->created_at = sqlite3_column_int64 (stmt, 3);
  session->expires_at = sqlite3_column_int64 (stmt, 4);
  session->revoked = sqlite3_column_int (stmt, 5);
  session->mfa_done = sqlite3_column_int (stmt, 6);
  session->last_credential_id = column_text (stmt, 7);
  return session;
}

KsSession *
ks_store_get_session (KsStore     *self,
                      const char  *id,
                      GError     **error)
{
  sqlite3_stmt *stmt = statement (self, "SELECT " SESSION_COLUMNS " FROM sessions s "
                                  "WHERE s.id = ?", error);
  KsSession *session;

  if (stmt == NULL)
    return NULL;
  bind_text (stmt, 1, id);
  if (!step_row (self, stmt, error))
    return NULL;
  session = read_session (stmt);
  sqlite3_reset (stmt);
  return session;
}

KsSession *
ks_store_get_session_with_user (KsStore     *self,
                                const char  *id,
                                KsUser     **out_user,
                                GError     **error)
{
  /* Every authenticated request reads both: one statement rather than two. */
  sqlite3_stmt *stmt = statement (self, "SELECT " SESSION_COLUMNS ", u.id, u.environment_id, "
                                  "u.email, u.email_credential_id, u.mfa_acknowledgement, "
                                  "u.created_at, u.recovery_failures, u.recovery_window_start "
                                  "FROM sessions s LEFT JOIN users u ON u.id = s.user_id "
                                  "WHERE s.id = ?", error);
  KsSession *session;

  *out_user = NULL;
  if (stmt == NULL)
    return NULL;
  bind_text (stmt, 1, id);
  if (!step_row (self, stmt, error))
    return NULL;
  session = read_session (stmt);
  if (sqlite3_column_type (stmt, SESSION_N_COLUMNS) != SQLITE_NULL)
    *out_user = read_user_at (stmt, SESSION_N_COLUMNS);
  sqlite3_reset (stmt);
  return session;
}

gboolean
ks_store_complete_session_mfa (KsStore     *self,
                               const char  *session_id,
                               const char  *credential_id,
                               GError     **error)
{
  sqlite3_stmt *stmt = statement (self, "UPDATE sessions SET mfa_done = 1, "
                                  "last_credential_id = ? WHERE id = ?", error);

  if (stmt == NULL)
    return FALSE;
  bind_text (stmt, 1, credential_id);
  bind_text (stmt, 2, session_id);
  return run (self, stmt, error);
}

gboolean
ks_store_revoke_session (KsStore     *self,
                         const char  *session_id,
                         GError     **error)
{
  sqlite3_stmt *stmt = statement (self, "UPDATE sessions SET revoked = 1 WHERE id = ?", error);

  if (stmt == NULL)
    return FALSE;
  bind_text (stmt, 1, session_id);
  return run (self, stmt, error);
}

/* Passkeys */

#define PASSKEY_COLUMNS "id, environment_id, user_id, credential_id, public_key, algorithm, " \
                        "sign_count, aaguid, backup_eligible, backup_state, alias, origin, "   \
                        "user_agent, transports, attestation_format, created_at, updated_at"

/* Transports are stored comma-separated; none is NULL. */
static char **
read_transports (sqlite3_stmt *stmt,
                 int           index)
{
  const char *text = (const char *) sqlite3_column_text (stmt, index);

  return text != NULL && *text != '\0' ? g_strsplit (text, ",", -1) : NULL;
}

static KsPasskey *
read_passkey (sqlite3_stmt *stmt)
{
  KsPasskey *passkey = g_new0 (KsPasskey, 1);

  passkey->id = column_text (stmt, 0);
  passkey->environment_id = column_text (stmt, 1);
  passkey->user_id = column_text (stmt, 2);
  passkey->credential_id = column_bytes (stmt, 3);
  passkey->public_key = column_bytes (stmt, 4);
  passkey->algorithm = sqlite3_column_int64 (stmt, 5);
  passkey->sign_count = (guint32) sqlite3_column_int64 (stmt, 6);
  if (sqlite3_column_bytes (stmt, 7) == sizeof passkey->aaguid)
    memcpy (passkey->aaguid, sqlite3_column_blob (stmt, 7), sizeof passkey->aaguid);
  passkey->backup_eligible = sqlite3_column_int (stmt, 8);
  passkey->backup_state = sqlite3_column_int (stmt, 9);
  passkey->alias = column_text (stmt, 10);
  passkey->origin = column_text (stmt, 11);
  passkey->user_agent = column_text (stmt, 12);
  passkey->transports = read_transports (stmt, 13);
  passkey->attestation_format = column_text (stmt, 14);
  passkey->created_at = sqlite3_column_int64 (stmt, 15);
  passkey->updated_at = sqlite3_column_int64 (stmt, 16);
  return passkey;
}

gboolean
ks_store_insert_passkey (KsStore          *self,
                         const KsPasskey  *p,
                         GError          **error)
{
  sqlite3_stmt *stmt = statement (self, "INSERT INTO passkeys (" PASSKEY_COLUMNS ") VALUES "
                                  "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", error);
  g_autofree char *transports = NULL;

  if (stmt == NULL)
    return FALSE;
  if (p->transports != NULL)
    transports = g_strjoinv (",", p->transports);
  bind_text (stmt, 1, p->id);
  bind_text (stmt, 2, p->environment_id);
  bind_text (stmt, 3, p->user_id);
  bind_bytes (stmt, 4, p->credential_id);
  bind_bytes (stmt, 5, p->public_key);
  sqlite3_bind_int64 (stmt, 6, p->algorithm);
  sqlite3_bind_int64 (stmt, 7, p->sign_count);
  sqlite3_bind_blob (stmt, 8, p->aaguid, sizeof p->aaguid, SQLITE_TRANSIENT);
  sqlite3_bind_int (stmt, 9, p->backup_eligible);
  sqlite3_bind_int (stmt, 10, p->backup_state);
  bind_text (stmt, 11, p->alias);
  bind_text (stmt, 12, p->origin);
  bind_text (stmt, 13, p->user_agent);
  bind_text (stmt, 14, transports);
  bind_text (stmt, 15, p->attestation_format);
  sqlite3_bind_int64 (stmt, 16, p->created_at);
  sqlite3_bind_int64 (stmt, 17, p->updated_at);
  return run (self, stmt, error);
}

KsPasskey *
ks_store_get_passkey (KsStore     *self,
                      const char  *id,
                      GError     **error)
{
  sqlite3_stmt *stmt = statement (self, "SELECT " PASSKEY_COLUMNS " FROM passkeys WHERE id = ?",
                                  error);
  KsPasskey *passkey;

  if (stmt == NULL)
    return NULL;
  bind_text (stmt, 1, id);
  if (!step_row (self, stmt, error))
    return NULL;
  passkey = read_passkey (stmt);
  sqlite3_reset (stmt);
  return passkey;
}

KsPasskey *
ks_store_get_passkey_by_credential (KsStore     *self,
                                    const char  *environment_id,
                                    GBytes      *credential_id,
                                    GError     **error)
{
  sqlite3_stmt *stmt = statement (self, "SELECT " PASSKEY_COLUMNS " FROM passkeys "
                                  "WHERE environment_id = ? AND credential_id = ?", error);
  KsPasskey *passkey;

  if (stmt == NULL)
    return NULL;
  bind_text (stmt, 1, environment_id);
  bind_bytes (stmt, 2, credential_id);
  if (!step_row (self, stmt, error))
    return NULL;
  passkey = read_passkey (stmt);
  sqlite3_reset (stmt);
  return passkey;
}

GPtrArray *
ks_store_list_passkeys (KsStore     *self,
                        const char  *user_id,
                        GError     **error)
{
  sqlite3_stmt *stmt = statement (self, "SELECT " PASSKEY_COLUMNS " FROM passkeys "
                                  "WHERE user_id = ? ORDER BY created_at, id", error);

  if (stmt == NULL)
    return NULL;
  bind_text (stmt, 1, user_id);
  return collect_rows (self, stmt, (ReadRowFunc) read_passkey, (GDestroyNotify) ks_passkey_free,
                       error);
}

/* Only what WebAuthn options list: the credential id and its transports. */
static KsPasskey *
read_credential (sqlite3_stmt *stmt)
{
  KsPasskey *passkey = g_new0 (KsPasskey, 1);

  passkey->credential_id = column_bytes (stmt, 0);
  passkey->transports = read_transports (stmt, 1);
  return passkey;
}

GPtrArray *
ks_store_list_credentials (KsStore     *self,
                           const char  *user_id,
                           GError     **error)
{
  sqlite3_stmt *stmt = statement (self, "SELECT credential_id, transports FROM passkeys "
                                  "WHERE user_id = ? ORDER BY created_at, id", error);

  if (stmt == NULL)
    return NULL;
  bind_text (stmt, 1, user_id);
  return collect_rows (self, stmt, (ReadRowFunc) read_credential, (GDestroyNotify) ks_passkey_free,
                       error);
}

gboolean
ks_store_update_passkey_use (KsStore     *self,
                             const char  *id,
                             guint32      sign_count,
                             gboolean     backup_state,
                             GError     **error)
{
  sqlite3_stmt *stmt = statement (self, "UPDATE passkeys SET sign_count = ?, backup_state = ? "
                                  "WHERE id = ?", error);

  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, sign_count);
  sqlite3_bind_int (stmt, 2, backup_state);
  bind_text (stmt, 3, id);
  return run (self, stmt, error);
}

gboolean
ks_store_rename_passkey (KsStore     *self,
                         const char  *id,
                         const char  *alias,
                         GError     **error)
{
  sqlite3_stmt *stmt = statement (self, "UPDATE passkeys SET alias = ?, updated_at = ? "
                                  "WHERE id = ?", error);

  if (stmt == NULL)
    return FALSE;
  bind_text (stmt, 1, alias);
  sqlite3_bind_int64 (stmt, 2, ks_now_ms ());
  bind_text (stmt, 3, id);
  return run (self, stmt, error);
}

gboolean
ks_store_delete_passkey (KsStore     *self,
                         const char  *id,
                         GError     **error)
{
  sqlite3_stmt *stmt = statement (self, "DELETE FROM passkeys WHERE id = ?", error);

  if (stmt == NULL)
    return FALSE;
  bind_text (stmt, 1, id);
  return run (self, stmt, error);
}

/* Challenges */

gboolean
ks_store_spend_challenge (KsStore            *self,
                          const char         *challenge,
                          const KsChallenge  *record,
                          GError            **error)
{
  sqlite3_stmt *stmt = statement (self, "INSERT INTO challenges (challenge, session_id, kind, "
                                  "expires_at, used) VALUES (?, ?, ?, ?, 1)", error);

  if (stmt == NULL)
    return FALSE;
  bind_text (stmt, 1, challenge);
  bind_text (stmt, 2, record->session_id);
  bind_text (stmt, 3, record->kind);
  sqlite3_bind_int64 (stmt, 4, record->expires_at);
  return run (self, stmt, error);
}

gboolean
ks_store_delete_expired (KsStore  *self,
                         gint64    now,
                         GError  **error)
{
  /* Used challenges and tokens linger an hour past expiry so a late replay still reads as one. */
  static const char * const sql[] = {
    "DELETE FROM challenges WHERE expires_at < ?",
    "DELETE FROM mfa_tokens WHERE expires_at < ?",
    "DELETE FROM email_verifications WHERE expires_at < ?",
  };

  for (guint i = 0; i < G_N_ELEMENTS (sql); i++)
    {
      sqlite3_stmt *stmt = statement (self, sql[i], error);

      if (stmt == NULL)
        return FALSE;
      sqlite3_bind_int64 (stmt, 1, now - 60 * 60 * 1000);
      if (!run (self, stmt, error))
        return FALSE;
    }
  return TRUE;
}

/* Recovery codes */

gboolean
ks_store_replace_recovery_codes (KsStore     *self,
                                 const char  *user_id,
                                 GPtrArray   *sealed,
                                 GError     **error)
{
  sqlite3_stmt *stmt = statement (self, "DELETE FROM recovery_codes WHERE user_id = ?", error);

  if (stmt == NULL)
    return FALSE;
  bind_text (stmt, 1, user_id);
  if (!run (self, stmt, error))
    return FALSE;

  for (guint i = 0; i < sealed->len; i++)
    {
      stmt = statement (self, "INSERT INTO recovery_codes (user_id, position, sealed, used) "
                        "VALUES (?, ?, ?, 0)", error);
      if (stmt == NULL)
        return FALSE;
      bind_text (stmt, 1, user_id);
      sqlite3_bind_int (stmt, 2, i);
      bind_bytes (stmt, 3, g_ptr_array_index (sealed, i));
      if (!run (self, stmt, error))
        return FALSE;
    }
  return TRUE;
}

static KsRecoveryCode *
read_recovery_code (sqlite3_stmt *stmt)
{
  KsRecoveryCode *code = g_new0 (KsRecoveryCode, 1);

  code->position = sqlite3_column_int (stmt, 0);
  code->sealed = column_bytes (stmt, 1);
  code->used = sqlite3_column_int (stmt, 2);
  return code;
}

GPtrArray *
ks_store_list_recovery_codes (KsStore     *self,
                              const char  *user_id,
                              GError     **error)
{
  sqlite3_stmt *stmt = statement (self, "SELECT position, sealed, used FROM recovery_codes "
                                  "WHERE user_id = ? ORDER BY position", error);

  if (stmt == NULL)
    return NULL;
  bind_text (stmt, 1, user_id);
  return collect_rows (self, stmt, (ReadRowFunc) read_recovery_code,
                       (GDestroyNotify) ks_recovery_code_free, error);
}

gboolean
ks_store_spend_recovery_code (KsStore     *self,
                              const char  *user_id,
                              gint         position,
                              GError     **error)
{
  sqlite3_stmt *stmt = statement (self, "UPDATE recovery_codes SET used = 1 "
                                  "WHERE user_id = ? AND position = ?", error);

  if (stmt == NULL)
    return FALSE;
  bind_text (stmt, 1, user_id);
  sqlite3_bind_int (stmt, 2, position);
  return run (self, stmt, error);
}

/* MFA tokens */

gboolean
ks_store_insert_mfa_token (KsStore           *self,
                           GBytes            *token_hash,
                           const KsMfaToken  *token,
                           GError           **error)
{
  sqlite3_stmt *stmt = statement (self, "INSERT INTO mfa_tokens (token_hash, session_id, "
                                  "expires_at, single_use, used) VALUES (?, ?, ?, ?, 0)", error);

  if (stmt == NULL)
    return FALSE;
  bind_bytes (stmt, 1, token_hash);
  bind_text (stmt, 2, token->session_id);
  sqlite3_bind_int64 (stmt, 3, token->expires_at);
  sqlite3_bind_int (stmt, 4, token->single_use);
  return run (self, stmt, error);
}

KsMfaToken *
ks_store_get_mfa_token (KsStore  *self,
                        GBytes   *token_hash,
                        GError  **error)
{
  sqlite3_stmt *stmt = statement (self, "SELECT session_id, expires_at, single_use, used "
                                  "FROM mfa_tokens WHERE token_hash = ?", error);
  KsMfaToken *token;

  if (stmt == NULL)
    return NULL;
  bind_bytes (stmt, 1, token_hash);
  if (!step_row (self, stmt, error))
    return NULL;
  token = g_new0 (KsMfaToken, 1);
  token->session_id = column_text (stmt, 0);
  token->expires_at = sqlite3_column_int64 (stmt, 1);
  token->single_use = sqlite3_column_int (stmt, 2);
  token->used = sqlite3_column_int (stmt, 3);
  sqlite3_reset (stmt);
  return token;
}

gboolean
ks_store_spend_mfa_token (KsStore  *self,
                          GBytes   *token_hash,
                          GError  **error)
{
  sqlite3_stmt *stmt = statement (self, "UPDATE mfa_tokens SET used = 1 WHERE token_hash = ?",
                                  error);

  if (stmt == NULL)
    return FALSE;
  bind_bytes (stmt, 1, token_hash);
  return run (self, stmt, error);
}
