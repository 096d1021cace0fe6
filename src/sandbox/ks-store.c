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

/* A value for one ? of a statement: write TEXT (s), BYTES (b), BLOB (data, len) or INT (n). */
typedef struct {
  enum { PARAM_TEXT, PARAM_BYTES, PARAM_BLOB, PARAM_INT } kind;
  const char   *text;                   /* NULL binds NULL */
  GBytes       *bytes;
  const void   *blob;
  gsize         blob_len;
  gint64        number;
} Param;

#define TEXT(value)        ((Param) { .kind = PARAM_TEXT, .text = (value) })
#define BYTES(value)       ((Param) { .kind = PARAM_BYTES, .bytes = (value) })
#define BLOB(value, len)   ((Param) { .kind = PARAM_BLOB, .blob = (value), .blob_len = (len) })
#define INT(value)         ((Param) { .kind = PARAM_INT, .number = (value) })

/* The parameters of one statement in the order of its ?s: the array and its length, as the
 * helpers below take them. */
#define PARAMS(...) \
  (const Param[]) { __VA_ARGS__ }, G_N_ELEMENTS (((const Param[]) { __VA_ARGS__ }))

/* The kept statement for @sql with @params bound; NULL with the error. */
static sqlite3_stmt *
prepare (KsStore      *self,
         const char   *sql,
         const Param  *params,
         gsize         n_params,
         GError      **error)
{
  sqlite3_stmt *stmt = statement (self, sql, error);

  if (stmt == NULL)
    return NULL;
  for (gsize i = 0; i < n_params; i++)
    {
      const Param *param = &params[i];
      int index = (int) i + 1;

      switch (param->kind)
        {
        case PARAM_TEXT:
          bind_text (stmt, index, param->text);
          break;
        case PARAM_BYTES:
          bind_bytes (stmt, index, param->bytes);
          break;
        case PARAM_BLOB:
          sqlite3_bind_blob (stmt, index, param->blob, param->blob_len, SQLITE_TRANSIENT);
          break;
        case PARAM_INT:
          sqlite3_bind_int64 (stmt, index, param->number);
          break;
        default:
          g_assert_not_reached ();
        }
    }
  return stmt;
}

/* Runs @sql, which returns no rows, with @params. */
static gboolean
execute (KsStore      *self,
         const char   *sql,
         const Param  *params,
         gsize         n_params,
         GError      **error)
{
  sqlite3_stmt *stmt = prepare (self, sql, params, n_params, error);

  return stmt != NULL && run (self, stmt, error);
}

typedef gpointer (*ReadRowFunc) (sqlite3_stmt *stmt);

/* The first row of @sql with @params, made by @read_row: NULL with no row (and no error) or on
 * error. */
static gpointer
lookup (KsStore      *self,
        const char   *sql,
        const Param  *params,
        gsize         n_params,
        ReadRowFunc   read_row,
        GError      **error)
{
  sqlite3_stmt *stmt = prepare (self, sql, params, n_params, error);
  gpointer item;

  if (stmt == NULL || !step_row (self, stmt, error))
    return NULL;
  item = read_row (stmt);
  sqlite3_reset (stmt);
  return item;
}

/* Every row of @sql with @params, each made by @read_row; NULL with the error if a step fails. */
static GPtrArray *
select_rows (KsStore         *self,
             const char      *sql,
             const Param     *params,
             gsize            n_params,
             ReadRowFunc      read_row,
             GDestroyNotify   free_item,
             GError         **error)
{
  sqlite3_stmt *stmt = prepare (self, sql, params, n_params, error);
  g_autoptr(GPtrArray) list = NULL;
  int rc;

  if (stmt == NULL)
    return NULL;
  list = g_ptr_array_new_with_free_func (free_item);
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

/* The count that @sql with @params selects as its first column, and its second column in
 * *@second when that is not NULL; -1 with the error. */
static gint64
select_count (KsStore      *self,
              const char   *sql,
              const Param  *params,
              gsize         n_params,
              gint64       *second,
              GError      **error)
{
  sqlite3_stmt *stmt = prepare (self, sql, params, n_params, error);
  gint64 count;

  if (stmt == NULL || !step_row (self, stmt, error))
    return -1;
  count = sqlite3_column_int64 (stmt, 0);
  if (second != NULL)
    *second = sqlite3_column_int64 (stmt, 1);
  sqlite3_reset (stmt);
  return count;
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
  return execute (self, "BEGIN IMMEDIATE", NULL, 0, error);
}

gboolean
ks_store_begin_read (KsStore  *self,
                     GError  **error)
{
  return execute (self, "BEGIN", NULL, 0, error);
}

gboolean
ks_store_commit (KsStore  *self,
                 GError  **error)
{
  if (!execute (self, "COMMIT", NULL, 0, error))
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

static char *
read_text (sqlite3_stmt *stmt)
{
  return column_text (stmt, 0);
}

char *
ks_store_get_meta (KsStore     *self,
                   const char  *key,
                   GError     **error)
{
  return lookup (self, "SELECT value FROM meta WHERE key = ?", PARAMS (TEXT (key)),
                 (ReadRowFunc) read_text, error);
}

gboolean
ks_store_set_meta (KsStore     *self,
                   const char  *key,
                   const char  *value,
                   GError     **error)
{
  return execute (self, "INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)",
                  PARAMS (TEXT (key), TEXT (value)), error);
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
  return lookup (self, "SELECT " USER_COLUMNS " FROM users WHERE id = ?", PARAMS (TEXT (id)),
                 (ReadRowFunc) read_user, error);
}

KsUser *
ks_store_get_user_by_email (KsStore     *self,
                            const char  *environment_id,
                            const char  *email,
                            GError     **error)
{
  return lookup (self, "SELECT " USER_COLUMNS " FROM users WHERE environment_id = ? AND email = ?",
                 PARAMS (TEXT (environment_id), TEXT (email)), (ReadRowFunc) read_user, error);
}

GPtrArray *
ks_store_list_users (KsStore  *self,
                     GError  **error)
{
  return select_rows (self, "SELECT " USER_COLUMNS " FROM users ORDER BY environment_id, email",
                      NULL, 0, (ReadRowFunc) read_user, (GDestroyNotify) ks_user_free, error);
}

gboolean
ks_store_insert_user (KsStore       *self,
                      const KsUser  *user,
                      GError       **error)
{
  return execute (self, "INSERT INTO users (" USER_COLUMNS ") VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                  PARAMS (TEXT (user->id), TEXT (user->environment_id), TEXT (user->email),
                          TEXT (user->email_credential_id), TEXT (user->mfa_acknowledgement),
                          INT (user->created_at), INT (user->recovery_failures),
                          INT (user->recovery_window_start)), error);
}

gboolean
ks_store_set_acknowledgement (KsStore     *self,
                              const char  *user_id,
                              const char  *value,
                              GError     **error)
{
  return execute (self, "UPDATE users SET mfa_acknowledgement = ? WHERE id = ?",
                  PARAMS (TEXT (value), TEXT (user_id)), error);
}

gboolean
ks_store_set_recovery_failures (KsStore     *self,
                                const char  *user_id,
                                gint         failures,
                                gint64       window_start,
                                GError     **error)
{
  return execute (self, "UPDATE users SET recovery_failures = ?, recovery_window_start = ? "
                  "WHERE id = ?", PARAMS (INT (failures), INT (window_start), TEXT (user_id)),
                  error);
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
    if (!execute (self, sql[i], PARAMS (TEXT (user_id)), error))
      return FALSE;
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
  return execute (self, "INSERT INTO email_verifications (" VERIFICATION_COLUMNS ") "
                  "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                  PARAMS (TEXT (v->id), TEXT (v->environment_id), TEXT (v->email),
                          BYTES (v->code_mac), INT (v->created_at), INT (v->expires_at),
                          INT (v->last_sent_at), INT (v->sends), INT (v->attempts_left),
                          INT (v->used)), error);
}

gboolean
ks_store_update_verification (KsStore                    *self,
                              const KsEmailVerification  *v,
                              GError                    **error)
{
  return execute (self, "UPDATE email_verifications SET code_mac = ?, expires_at = ?, "
                  "last_sent_at = ?, sends = ?, attempts_left = ?, used = ? WHERE id = ?",
                  PARAMS (BYTES (v->code_mac), INT (v->expires_at), INT (v->last_sent_at),
                          INT (v->sends), INT (v->attempts_left), INT (v->used), TEXT (v->id)),
                  error);
}

static KsEmailVerification *
read_verification (sqlite3_stmt *stmt)
{
  KsEmailVerification *v = g_new0 (KsEmailVerification, 1);

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
  return v;
}

KsEmailVerification *
ks_store_get_verification (KsStore     *self,
                           const char  *id,
                           GError     **error)
{
  return lookup (self, "SELECT " VERIFICATION_COLUMNS " FROM email_verifications WHERE id = ?",
                 PARAMS (TEXT (id)), (ReadRowFunc) read_verification, error);
}

gint64
ks_store_count_verifications_since (KsStore     *self,
                                    const char  *environment_id,
                                    const char  *email,
                                    gint64       since,
                                    GError     **error)
{
  return select_count (self, "SELECT count(*) FROM email_verifications "
                       "WHERE environment_id = ? AND email = ? AND created_at >= ?",
                       PARAMS (TEXT (environment_id), TEXT (email), INT (since)), NULL, error);
}

/* Email events */

gboolean
ks_store_add_email_event (KsStore                    *self,
                          KsEmailEvent                kind,
                          const KsEmailVerification  *verification,
                          gint64                      at,
                          GError                    **error)
{
  return execute (self, "INSERT INTO email_events (environment_id, email, verification_id, kind, "
                  "at) VALUES (?, ?, ?, ?, ?)",
                  PARAMS (TEXT (verification->environment_id), TEXT (verification->email),
                          TEXT (verification->id), INT (kind), INT (at)), error);
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
  /* One statement per scope, each served by its own index. */
  if (verification_id != NULL)
    return select_count (self, "SELECT count(*), min(at) FROM email_events "
                         "WHERE verification_id = ? AND kind = ? AND at >= ?",
                         PARAMS (TEXT (verification_id), INT (kind), INT (since)), oldest, error);
  if (email != NULL)
    return select_count (self, "SELECT count(*), min(at) FROM email_events "
                         "WHERE environment_id = ? AND email = ? AND kind = ? AND at >= ?",
                         PARAMS (TEXT (environment_id), TEXT (email), INT (kind), INT (since)),
                         oldest, error);
  return select_count (self, "SELECT count(*), min(at) FROM email_events "
                       "WHERE environment_id = ? AND kind = ? AND at >= ?",
                       PARAMS (TEXT (environment_id), INT (kind), INT (since)), oldest, error);
}

gboolean
ks_store_delete_old_email_events (KsStore  *self,
                                  gint64    before,
                                  GError  **error)
{
  return execute (self, "DELETE FROM email_events WHERE at < ? AND "
                  "verification_id NOT IN (SELECT id FROM email_verifications)",
                  PARAMS (INT (before)), error);
}

/* Sessions */

gboolean
ks_store_insert_session (KsStore          *self,
                         const KsSession  *session,
                         GError          **error)
{
  return execute (self, "INSERT INTO sessions (id, environment_id, user_id, created_at, "
                  "expires_at, revoked, mfa_done, last_credential_id) "
                  "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                  PARAMS (TEXT (session->id), TEXT (session->environment_id),
                          TEXT (session->user_id), INT (session->created_at),
                          INT (session->expires_at), INT (session->revoked),
                          INT (session->mfa_done), TEXT (session->last_credential_id)), error);
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
  return lookup (self, "SELECT " SESSION_COLUMNS " FROM sessions s WHERE s.id = ?",
                 PARAMS (TEXT (id)), (ReadRowFunc) read_session, error);
}

KsSession *
ks_store_get_session_with_user (KsStore     *self,
                                const char  *id,
                                KsUser     **out_user,
                                GError     **error)
{
  /* Every authenticated request reads both: one statement rather than two. */
  sqlite3_stmt *stmt = prepare (self, "SELECT " SESSION_COLUMNS ", u.id, u.environment_id, "
                                "u.email, u.email_credential_id, u.mfa_acknowledgement, "
                                "u.created_at, u.recovery_failures, u.recovery_window_start "
                                "FROM sessions s LEFT JOIN users u ON u.id = s.user_id "
                                "WHERE s.id = ?", PARAMS (TEXT (id)), error);
  KsSession *session;

  *out_user = NULL;
  if (stmt == NULL || !step_row (self, stmt, error))
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
  return execute (self, "UPDATE sessions SET mfa_done = 1, last_credential_id = ? WHERE id = ?",
                  PARAMS (TEXT (credential_id), TEXT (session_id)), error);
}

gboolean
ks_store_revoke_session (KsStore     *self,
                         const char  *session_id,
                         GError     **error)
{
  return execute (self, "UPDATE sessions SET revoked = 1 WHERE id = ?", PARAMS (TEXT (session_id)),
                  error);
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
  g_autofree char *transports = NULL;

  if (p->transports != NULL)
    transports = g_strjoinv (",", p->transports);
  return execute (self, "INSERT INTO passkeys (" PASSKEY_COLUMNS ") VALUES "
                  "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                  PARAMS (TEXT (p->id), TEXT (p->environment_id), TEXT (p->user_id),
                          BYTES (p->credential_id), BYTES (p->public_key), INT (p->algorithm),
                          INT (p->sign_count), BLOB (p->aaguid, sizeof p->aaguid),
                          INT (p->backup_eligible), INT (p->backup_state), TEXT (p->alias),
                          TEXT (p->origin), TEXT (p->user_agent), TEXT (transports),
                          TEXT (p->attestation_format), INT (p->created_at),
                          INT (p->updated_at)), error);
}

KsPasskey *
ks_store_get_passkey (KsStore     *self,
                      const char  *id,
                      GError     **error)
{
  return lookup (self, "SELECT " PASSKEY_COLUMNS " FROM passkeys WHERE id = ?",
                 PARAMS (TEXT (id)), (ReadRowFunc) read_passkey, error);
}

KsPasskey *
ks_store_get_passkey_by_credential (KsStore     *self,
                                    const char  *environment_id,
                                    GBytes      *credential_id,
                                    GError     **error)
{
  return lookup (self, "SELECT " PASSKEY_COLUMNS " FROM passkeys "
                 "WHERE environment_id = ? AND credential_id = ?",
                 PARAMS (TEXT (environment_id), BYTES (credential_id)),
                 (ReadRowFunc) read_passkey, error);
}

GPtrArray *
ks_store_list_passkeys (KsStore     *self,
                        const char  *user_id,
                        GError     **error)
{
  return select_rows (self, "SELECT " PASSKEY_COLUMNS " FROM passkeys "
                      "WHERE user_id = ? ORDER BY created_at, id", PARAMS (TEXT (user_id)),
                      (ReadRowFunc) read_passkey, (GDestroyNotify) ks_passkey_free, error);
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
  return select_rows (self, "SELECT credential_id, transports FROM passkeys "
                      "WHERE user_id = ? ORDER BY created_at, id", PARAMS (TEXT (user_id)),
                      (ReadRowFunc) read_credential, (GDestroyNotify) ks_passkey_free, error);
}

gboolean
ks_store_update_passkey_use (KsStore     *self,
                             const char  *id,
                             guint32      sign_count,
                             gboolean     backup_state,
                             GError     **error)
{
  return execute (self, "UPDATE passkeys SET sign_count = ?, backup_state = ? WHERE id = ?",
                  PARAMS (INT (sign_count), INT (backup_state), TEXT (id)), error);
}

gboolean
ks_store_rename_passkey (KsStore     *self,
                         const char  *id,
                         const char  *alias,
                         GError     **error)
{
  gint64 now = ks_now_ms ();

  return execute (self, "UPDATE passkeys SET alias = ?, updated_at = ? WHERE id = ?",
                  PARAMS (TEXT (alias), INT (now), TEXT (id)), error);
}

gboolean
ks_store_delete_passkey (KsStore     *self,
                         const char  *id,
                         GError     **error)
{
  return execute (self, "DELETE FROM passkeys WHERE id = ?", PARAMS (TEXT (id)), error);
}

/* Challenges */

gboolean
ks_store_spend_challenge (KsStore            *self,
                          const char         *challenge,
                          const KsChallenge  *record,
                          GError            **error)
{
  return execute (self, "INSERT INTO challenges (challenge, session_id, kind, expires_at, used) "
                  "VALUES (?, ?, ?, ?, 1)",
                  PARAMS (TEXT (challenge), TEXT (record->session_id), TEXT (record->kind),
                          INT (record->expires_at)), error);
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
    if (!execute (self, sql[i], PARAMS (INT (now - 60 * 60 * 1000)), error))
      return FALSE;
  return TRUE;
}

/* Recovery codes */

gboolean
ks_store_replace_recovery_codes (KsStore     *self,
                                 const char  *user_id,
                                 GPtrArray   *sealed,
                                 GError     **error)
{
  if (!execute (self, "DELETE FROM recovery_codes WHERE user_id = ?", PARAMS (TEXT (user_id)),
                error))
    return FALSE;

  for (guint i = 0; i < sealed->len; i++)
    if (!execute (self, "INSERT INTO recovery_codes (user_id, position, sealed, used) "
                  "VALUES (?, ?, ?, 0)",
                  PARAMS (TEXT (user_id), INT (i), BYTES (g_ptr_array_index (sealed, i))), error))
      return FALSE;
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
  return select_rows (self, "SELECT position, sealed, used FROM recovery_codes "
                      "WHERE user_id = ? ORDER BY position", PARAMS (TEXT (user_id)),
                      (ReadRowFunc) read_recovery_code, (GDestroyNotify) ks_recovery_code_free,
                      error);
}

gboolean
ks_store_spend_recovery_code (KsStore     *self,
                              const char  *user_id,
                              gint         position,
                              GError     **error)
{
  return execute (self, "UPDATE recovery_codes SET used = 1 WHERE user_id = ? AND position = ?",
                  PARAMS (TEXT (user_id), INT (position)), error);
}

/* MFA tokens */

gboolean
ks_store_insert_mfa_token (KsStore           *self,
                           GBytes            *token_hash,
                           const KsMfaToken  *token,
                           GError           **error)
{
  return execute (self, "INSERT INTO mfa_tokens (token_hash, session_id, expires_at, single_use, "
                  "used) VALUES (?, ?, ?, ?, 0)",
                  PARAMS (BYTES (token_hash), TEXT (token->session_id), INT (token->expires_at),
                          INT (token->single_use)), error);
}

static KsMfaToken *
read_mfa_token (sqlite3_stmt *stmt)
{
  KsMfaToken *token = g_new0 (KsMfaToken, 1);

  token->session_id = column_text (stmt, 0);
  token->expires_at = sqlite3_column_int64 (stmt, 1);
  token->single_use = sqlite3_column_int (stmt, 2);
  token->used = sqlite3_column_int (stmt, 3);
  return token;
}

KsMfaToken *
ks_store_get_mfa_token (KsStore  *self,
                        GBytes   *token_hash,
                        GError  **error)
{
  return lookup (self, "SELECT session_id, expires_at, single_use, used FROM mfa_tokens "
                 "WHERE token_hash = ?", PARAMS (BYTES (token_hash)),
                 (ReadRowFunc) read_mfa_token, error);
}

gboolean
ks_store_spend_mfa_token (KsStore  *self,
                          GBytes   *token_hash,
                          GError  **error)
{
  return execute (self, "UPDATE mfa_tokens SET used = 1 WHERE token_hash = ?",
                  PARAMS (BYTES (token_hash)), error);
}
