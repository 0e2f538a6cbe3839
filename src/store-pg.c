/*
 * store-pg.c - the store over PostgreSQL: the driver of store-db.h over
 * libpq (store-pg-pipe.c sends its statements, store-pg-open.c makes
 * the connection).
 *
 * Statements keep SQLite's :name parameters; each is translated once
 * into PostgreSQL's $1, $2 ...  Values travel as text (integers in
 * decimal) but for blobs, which go binary, so that bytes are bytes.
 * Each parameter's type is the bound value's (int8, bytea, or left to
 * the server to infer for text), but for a NULL or a text that the
 * statement only tests with IS NULL somewhere ("(:status IS NULL OR
 * status = :status)"): the server cannot infer that one, and it is sent
 * as text.  A statement the store keeps (store_cached) is prepared on
 * the server once per set of types, the others run as the unnamed
 * statement; either way in the pipeline, so that a first use costs no
 * round trip of its own, and a write inside a transaction waits for the
 * next statement that must be answered.  Results are read whole (the
 * store's result sets are small but for export, which reads a ticket
 * at a time).
 *
 * Waiting: a lock is waited for busy_timeout at most (lock_timeout);
 * that, a lost connection, or a conflict with another transaction
 * (store-pg-pipe.c) is STORE_BUSY, which deliver turns into "leave it in
 * the spool" like SQLite's busy.
 */
#include "store-pg.h"

#include <string.h>

/* What a statement does, for the pipeline: a write's result is only
 * its success, which may be learnt later inside a transaction. */
typedef enum
{
  PG_READS,  /* rows, or an answer that must come now (COMMIT) */
  PG_WRITES, /* INSERT, UPDATE or DELETE without RETURNING */
  PG_BEGINS, /* BEGIN, SAVEPOINT */
} PgKind;

typedef struct
{
  StoreStmt base;
  char *sql;   /* with $n */
  GStrv names; /* :name of $1, $2 ... */
  guint8 *isnull_tested;
  int n;
  const char **values;
  int *lengths;
  int *formats;
  Oid *types;
  char **owned; /* copies and integers' text */
  PGresult *res;
  int row;
  guchar *blob; /* the bytea column last decoded */
  size_t blob_len;
  int blob_col;
  GHashTable *prepared; /* type signature -> statement name, if kept */
  PgKind kind;
  gboolean deferred; /* sent, its result read at the next sync */
} PgStmt;

#define PGS(s) ((PgStmt *) (s))

/* The :name at p (p[0] == ':'): its length, 0 if none. */
static gsize
param_name_len (const char *p)
{
  gsize len = 1;

  if (!g_ascii_isalpha (p[1]) && p[1] != '_')
    return 0;
  while (g_ascii_isalnum (p[len]) || p[len] == '_')
    len++;
  return len;
}

static int
name_index (GPtrArray *names, const char *name, gsize len)
{
  for (guint i = 0; i < names->len; i++)
    if (strlen (names->pdata[i]) == len
        && strncmp (names->pdata[i], name, len) == 0)
      return (int) i;
  g_ptr_array_add (names, g_strndup (name, len));
  return (int) names->len - 1;
}

/* sql with its :names made $n, outside quoted literals. */
static char *
translate (const char *sql, GPtrArray *names, GArray *tested)
{
  GString *out = g_string_new (NULL);
  gboolean quoted = FALSE;

  for (const char *p = sql; *p != '\0'; p++)
    {
      gsize len = !quoted && *p == ':' ? param_name_len (p) : 0;
      int i;
      guint8 yes = 1;

      if (*p == '\'')
        quoted = !quoted;
      if (!quoted && p[0] == ':' && p[1] == ':')
        {
          g_string_append (out, "::"); /* a cast */
          p++;
          continue;
        }
      if (len == 0)
        {
          g_string_append_c (out, *p);
          continue;
        }
      i = name_index (names, p, len);
      if (tested->len <= (guint) i)
        g_array_set_size (tested, i + 1);
      if (g_str_has_prefix (p + len, " IS NULL")
          || g_str_has_prefix (p + len, " IS NOT NULL"))
        g_array_index (tested, guint8, i) = yes;
      g_string_append_printf (out, "$%d", i + 1);
      p += len - 1;
    }
  return g_string_free (out, FALSE);
}

static void
unbind (PgStmt *s, int i)
{
  g_clear_pointer (&s->owned[i], g_free);
  s->values[i] = NULL;
  s->lengths[i] = 0;
  s->formats[i] = 0;
  s->types[i] = s->isnull_tested[i] ? TEXT_OID : 0;
}

static gboolean
starts_with_word (const char *sql, const char *word)
{
  gsize len = strlen (word);

  while (g_ascii_isspace (*sql))
    sql++;
  return g_ascii_strncasecmp (sql, word, len) == 0
         && !g_ascii_isalnum (sql[len]);
}

static PgKind
statement_kind (const char *sql)
{
  g_autofree char *upper = NULL;

  if (starts_with_word (sql, "BEGIN") || starts_with_word (sql, "SAVEPOINT"))
    return PG_BEGINS;
  if (!starts_with_word (sql, "INSERT") && !starts_with_word (sql, "UPDATE")
      && !starts_with_word (sql, "DELETE"))
    return PG_READS;
  upper = g_ascii_strup (sql, -1);
  return strstr (upper, "RETURNING") ? PG_READS : PG_WRITES;
}

static StoreStmt *
pg_prepare (Store *store, const char *sql, gboolean keep, GError **error)
{
  PgStmt *s = g_new0 (PgStmt, 1);
  g_autoptr (GPtrArray) names = g_ptr_array_new ();
  g_autoptr (GArray) tested = g_array_new (FALSE, TRUE, 1);

  s->base.store = store;
  s->sql = translate (sql, names, tested);
  s->n = (int) names->len;
  g_ptr_array_add (names, NULL);
  s->names = (GStrv) g_ptr_array_free (g_steal_pointer (&names), FALSE);
  g_array_set_size (tested, s->n);
  s->isnull_tested = g_memdup2 (tested->data, MAX (s->n, 1));
  s->values = g_new0 (const char *, s->n + 1);
  s->lengths = g_new0 (int, s->n + 1);
  s->formats = g_new0 (int, s->n + 1);
  s->types = g_new0 (Oid, s->n + 1);
  s->owned = g_new0 (char *, s->n + 1);
  s->row = -1;
  s->blob_col = -1;
  s->kind = statement_kind (sql);
  for (int i = 0; i < s->n; i++)
    unbind (s, i);
  if (keep)
    s->prepared
        = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  return &s->base;
}

static void
clear_result (PgStmt *s)
{
  g_clear_pointer (&s->res, PQclear);
  g_clear_pointer (&s->blob, PQfreemem);
  s->blob_col = -1;
  s->row = -1;
  s->deferred = FALSE;
}

static void
pg_reset (StoreStmt *stmt, gboolean clear)
{
  PgStmt *s = PGS (stmt);

  clear_result (s);
  for (int i = 0; clear && i < s->n; i++)
    unbind (s, i);
}

static void
pg_finalize (StoreStmt *stmt)
{
  PgStmt *s = PGS (stmt);

  pg_reset (stmt, TRUE);
  g_free (s->sql);
  g_strfreev (s->names);
  g_free (s->isnull_tested);
  g_free (s->values);
  g_free (s->lengths);
  g_free (s->formats);
  g_free (s->types);
  g_free (s->owned);
  if (s->prepared)
    g_hash_table_destroy (s->prepared);
  g_free (s);
}

static gboolean
pg_busy (StoreStmt *stmt)
{
  return PGS (stmt)->res != NULL;
}

static int
pg_param (StoreStmt *stmt, const char *name)
{
  PgStmt *s = PGS (stmt);

  for (int i = 0; i < s->n; i++)
    if (strcmp (s->names[i], name) == 0)
      return i + 1;
  return 0;
}

static void
pg_bind_null (StoreStmt *stmt, int idx)
{
  unbind (PGS (stmt), idx - 1);
}

static void
pg_bind_text (StoreStmt *stmt, int idx, const char *value, gboolean copy)
{
  PgStmt *s = PGS (stmt);
  int i = idx - 1;

  unbind (s, i);
  /* PostgreSQL's text is UTF-8 and nothing else, where SQLite keeps any
   * bytes: a bad sequence (a sendmail's error cut in the middle of a
   * character) becomes U+FFFD rather than fail the statement. */
  if (!g_utf8_validate (value, -1, NULL))
    value = s->owned[i] = g_utf8_make_valid (value, -1);
  else if (copy)
    value = s->owned[i] = g_strdup (value);
  s->values[i] = value;
}

static void
pg_bind_int (StoreStmt *stmt, int idx, gint64 value)
{
  PgStmt *s = PGS (stmt);
  int i = idx - 1;

  unbind (s, i);
  s->owned[i] = g_strdup_printf ("%" G_GINT64_FORMAT, value);
  s->values[i] = s->owned[i];
  s->types[i] = INT8_OID;
}

static void
pg_bind_blob (StoreStmt *stmt, int idx, gconstpointer data, gsize len)
{
  PgStmt *s = PGS (stmt);
  int i = idx - 1;

  g_assert (len <= G_MAXINT);
  unbind (s, i);
  /* A zero-length value must not be NULL, which would bind NULL. */
  s->values[i] = len > 0 ? data : "";
  s->lengths[i] = (int) len;
  s->formats[i] = 1;
  s->types[i] = BYTEA_OID;
}

/* The kept statement's server-side name for the bound types, its
 * PQsendPrepare sent on first use (ahead of its execution, in the same
 * round trip).  NULL if it cannot be sent. */
static const char *
prepared_name (PgStmt *s)
{
  Store *store = s->base.store;
  GString *sig = g_string_new (NULL);
  char *name;

  for (int i = 0; i < s->n; i++)
    g_string_append_printf (sig, "%u,", s->types[i]);
  name = g_hash_table_lookup (s->prepared, sig->str);
  if (name != NULL)
    {
      g_string_free (sig, TRUE);
      return name;
    }
  name = g_strdup_printf ("m%u", store->serial++);
  if (PQsendPrepare (PG (store), name, s->sql, s->n, s->types) != 1)
    {
      g_free (name);
      g_string_free (sig, TRUE);
      return NULL;
    }
  store_pg_pipe_sent (store, s->prepared, sig->str);
  g_hash_table_insert (s->prepared, g_string_free (sig, FALSE), name);
  return name;
}

/* A COMMIT of a transaction that had failed answers ROLLBACK, and
 * succeeds: it must not pass for a commit. */
static int
check_commit (PgStmt *s, int rc)
{
  const char *status = s->res ? PQcmdStatus (s->res) : "";

  if (rc != STORE_DONE || !starts_with_word (s->sql, "COMMIT")
      || strcmp (status, "COMMIT") == 0)
    return rc;
  clear_result (s);
  g_free (s->base.store->last_error);
  s->base.store->last_error = g_strdup ("the transaction was rolled back");
  return STORE_FAIL;
}

static int
execute (PgStmt *s)
{
  Store *store = s->base.store;
  PGconn *conn = PG (store);
  const char *name = NULL;
  gboolean defer;
  int sent;

  if (!store_pg_pipe_enter (store))
    return store_pg_failure (store, NULL);
  defer = s->kind == PG_BEGINS
          || (s->kind == PG_WRITES && store_pg_pipe_in_transaction (store));
  if (s->prepared != NULL && (name = prepared_name (s)) == NULL)
    return store_pg_failure (store, NULL);
  if (name != NULL)
    sent = PQsendQueryPrepared (conn, name, s->n, s->values, s->lengths,
                                s->formats, 0);
  else
    sent = PQsendQueryParams (conn, s->sql, s->n, s->types, s->values,
                              s->lengths, s->formats, 0);
  if (sent != 1)
    return store_pg_failure (store, NULL);
  store_pg_pipe_sent (store, NULL, NULL);
  if (!defer)
    return check_commit (s, store_pg_pipe_sync (store, &s->res));
  store_pg_pipe_deferred (store, s->kind == PG_BEGINS);
  s->deferred = TRUE;
  return STORE_DONE;
}

static int
pg_step (StoreStmt *stmt)
{
  PgStmt *s = PGS (stmt);
  int rc;

  if (s->res == NULL && !s->deferred && (rc = execute (s)) != STORE_DONE)
    return rc;
  g_clear_pointer (&s->blob, PQfreemem);
  s->blob_col = -1;
  if (s->res == NULL || s->row + 1 >= PQntuples (s->res))
    {
      s->row = s->res ? PQntuples (s->res) : 0;
      return STORE_DONE;
    }
  s->row++;
  return STORE_ROW;
}

static gboolean
pg_column_null (StoreStmt *stmt, int col)
{
  PgStmt *s = PGS (stmt);

  return s->res == NULL || s->row < 0 || s->row >= PQntuples (s->res)
         || col >= PQnfields (s->res) || PQgetisnull (s->res, s->row, col);
}

static const char *
pg_column_text (StoreStmt *stmt, int col)
{
  PgStmt *s = PGS (stmt);

  if (pg_column_null (stmt, col))
    return NULL;
  return PQgetvalue (s->res, s->row, col);
}

/* Integers, and booleans (t/f) where SQLite's comparisons gave 1/0. */
static gint64
pg_column_int (StoreStmt *stmt, int col)
{
  const char *text = pg_column_text (stmt, col);

  if (text == NULL)
    return 0;
  if (text[0] == 't' || text[0] == 'f')
    return text[0] == 't';
  return g_ascii_strtoll (text, NULL, 10);
}

static gconstpointer
pg_column_blob (StoreStmt *stmt, int col, gsize *len)
{
  PgStmt *s = PGS (stmt);
  const char *text = pg_column_text (stmt, col);

  *len = 0;
  if (text == NULL)
    return NULL;
  if (PQftype (s->res, col) != BYTEA_OID)
    {
      *len = (gsize) PQgetlength (s->res, s->row, col);
      return text;
    }
  if (s->blob_col != col)
    {
      g_clear_pointer (&s->blob, PQfreemem);
      s->blob = PQunescapeBytea ((const guchar *) text, &s->blob_len);
      s->blob_col = s->blob ? col : -1;
    }
  *len = s->blob ? s->blob_len : 0;
  return s->blob;
}

static StoreValueKind
pg_column_kind (StoreStmt *stmt, int col)
{
  PgStmt *s = PGS (stmt);

  if (pg_column_null (stmt, col))
    return STORE_VALUE_NULL;
  switch (PQftype (s->res, col))
    {
    case INT8_OID:
    case INT4_OID:
    case INT2_OID:
      return STORE_VALUE_INT;
    case BYTEA_OID:
      return STORE_VALUE_BLOB;
    default:
      return STORE_VALUE_TEXT;
    }
}

/* SQL of any kind, several statements too (the schema, "ROLLBACK TO
 * file; RELEASE file"), outside the pipeline: what is pending is read
 * first, and a failure of it is this one's (a COMMIT must not pass). */
static gboolean
pg_exec (Store *store, const char *sql, GError **error)
{
  int rc = store_pg_pipe_leave (store);
  PGresult *res = PQexec (PG (store), sql);
  ExecStatusType status = PQresultStatus (res);

  if (rc == STORE_DONE && status != PGRES_COMMAND_OK
      && status != PGRES_TUPLES_OK)
    rc = store_pg_failure (store, res);
  else if (rc == STORE_DONE && starts_with_word (sql, "COMMIT")
           && strcmp (PQcmdStatus (res), "COMMIT") != 0)
    {
      g_free (store->last_error);
      store->last_error = g_strdup ("the transaction was rolled back");
      rc = STORE_FAIL;
    }
  PQclear (res);
  return rc == STORE_DONE || store_db_error (error, store, rc, sql);
}

static const char *
pg_errmsg (Store *store, int rc)
{
  return store->last_error ? store->last_error : "PostgreSQL failed";
}

static gboolean
pg_temporary (int rc)
{
  return rc == STORE_BUSY;
}

const StoreDriver store_pg_driver = {
  .prepare = pg_prepare,
  .finalize = pg_finalize,
  .reset = pg_reset,
  .busy = pg_busy,
  .param = pg_param,
  .bind_text = pg_bind_text,
  .bind_int = pg_bind_int,
  .bind_blob = pg_bind_blob,
  .bind_null = pg_bind_null,
  .step = pg_step,
  .column_int = pg_column_int,
  .column_text = pg_column_text,
  .column_blob = pg_column_blob,
  .column_null = pg_column_null,
  .column_kind = pg_column_kind,
  .exec = pg_exec,
  .errmsg = pg_errmsg,
  .temporary = pg_temporary,
};
