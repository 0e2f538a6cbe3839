/*
 * store-pg.c - the store over PostgreSQL: the driver of store-db.h over
 * libpq, and the connection.
 *
 * Statements keep SQLite's :name parameters; each is translated once
 * into PostgreSQL's $1, $2 ...  Values travel as text (integers in
 * decimal) but for blobs, which go binary, so that bytes are bytes.
 * Each parameter's type is the bound value's (int8, bytea, or left to
 * the server to infer for text), but for a NULL or a text that the
 * statement only tests with IS NULL somewhere ("(:status IS NULL OR
 * status = :status)"): the server cannot infer that one, and it is sent
 * as text.  A statement the store keeps (store_cached) is prepared on
 * the server once per set of types, the others run with PQexecParams.
 * Results are read whole (the store's result sets are small but for
 * export, which reads a ticket at a time).
 *
 * Waiting: a lock is waited for busy_timeout at most (lock_timeout);
 * that, a serialization failure, a deadlock, a duplicate key two
 * deliveries raced for, or a lost connection is STORE_BUSY, which
 * deliver turns into "leave it in the spool" like SQLite's busy.
 */
#include "store-db.h"

#include <libpq-fe.h>
#include <errno.h>
#include <string.h>
#include <sys/random.h>

#define PG(store) ((PGconn *) (store)->conn)
#define BYTEA_OID 17
#define INT8_OID 20
#define INT2_OID 21
#define INT4_OID 23
#define TEXT_OID 25

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

/* Keeps res's error for errmsg and says what kind it is. */
static int
failure (Store *store, PGresult *res)
{
  const char *state = res ? PQresultErrorField (res, PG_DIAG_SQLSTATE) : NULL;
  const char *msg = res ? PQresultErrorMessage (res) : "";

  g_free (store->last_error);
  store->last_error
      = g_strstrip (g_strdup (*msg ? msg : PQerrorMessage (PG (store))));
  if (state == NULL || PQstatus (PG (store)) != CONNECTION_OK)
    return STORE_BUSY; /* no answer: the connection is lost */
  /* 40001 serialization, 40P01 deadlock, 55P03 lock timeout, 23505 a
   * duplicate key (two deliveries of one message at once), class 08
   * the connection, 57P01-03 the server shutting down. */
  if (strcmp (state, "40001") == 0 || strcmp (state, "40P01") == 0
      || strcmp (state, "55P03") == 0 || strcmp (state, "23505") == 0
      || g_str_has_prefix (state, "08") || g_str_has_prefix (state, "57P"))
    return STORE_BUSY;
  return STORE_FAIL;
}

/* The kept statement's server-side name for the bound types, prepared
 * on first use. */
static const char *
prepared_name (PgStmt *s, int *rc)
{
  Store *store = s->base.store;
  GString *sig = g_string_new (NULL);
  char *name;
  PGresult *res;

  for (int i = 0; i < s->n; i++)
    g_string_append_printf (sig, "%u,", s->types[i]);
  name = g_hash_table_lookup (s->prepared, sig->str);
  if (name != NULL)
    {
      g_string_free (sig, TRUE);
      return name;
    }
  name = g_strdup_printf ("m%u", store->serial++);
  res = PQprepare (PG (store), name, s->sql, s->n, s->types);
  if (PQresultStatus (res) != PGRES_COMMAND_OK)
    {
      *rc = failure (store, res);
      PQclear (res);
      g_free (name);
      g_string_free (sig, TRUE);
      return NULL;
    }
  PQclear (res);
  g_hash_table_insert (s->prepared, g_string_free (sig, FALSE), name);
  return name;
}

static int
execute (PgStmt *s)
{
  PGconn *conn = PG (s->base.store);
  const char *name = NULL;
  int rc = STORE_FAIL;

  if (s->prepared != NULL && (name = prepared_name (s, &rc)) == NULL)
    return rc;
  if (name != NULL)
    s->res = PQexecPrepared (conn, name, s->n, s->values, s->lengths,
                             s->formats, 0);
  else
    s->res = PQexecParams (conn, s->sql, s->n, s->types, s->values, s->lengths,
                           s->formats, 0);
  switch (PQresultStatus (s->res))
    {
    case PGRES_COMMAND_OK:
    case PGRES_TUPLES_OK:
      return STORE_DONE;
    default:
      rc = failure (s->base.store, s->res);
      clear_result (s);
      return rc;
    }
}

static int
pg_step (StoreStmt *stmt)
{
  PgStmt *s = PGS (stmt);
  int rc;

  if (s->res == NULL && (rc = execute (s)) != STORE_DONE)
    return rc;
  g_clear_pointer (&s->blob, PQfreemem);
  s->blob_col = -1;
  if (s->row + 1 >= PQntuples (s->res))
    {
      s->row = PQntuples (s->res);
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

static gboolean
pg_exec (Store *store, const char *sql, GError **error)
{
  PGresult *res = PQexec (PG (store), sql);
  ExecStatusType status = PQresultStatus (res);
  int rc;

  if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK)
    {
      PQclear (res);
      return TRUE;
    }
  rc = failure (store, res);
  PQclear (res);
  return store_db_error (error, store, rc, sql);
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

static const StoreDriver store_pg_driver = {
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

/*
 * The schema: created in an empty database by the first process that
 * opens it, under an advisory lock so that two hosts starting at once
 * do not both create it; its version is setting.schema_version.
 */
static const char SQL_SCHEMA_LOCK[]
    = "SELECT pg_advisory_xact_lock (7123723497561)";

static const char SQL_SCHEMA_VERSION[]
    = "SELECT CAST (value AS INTEGER) FROM setting "
      "WHERE name = 'schema_version'";

static const char SQL_SETTINGS[]
    = "INSERT INTO setting (name, value) VALUES ('tag_secret', :secret), "
      "('tag_short_last', '0'), ('schema_version', :version)";

/* The schema's version, 0 for a database without one, -1 on failure. */
static int
schema_version (Store *store, GError **error)
{
  g_autoptr (StoreStmt) stmt = NULL;
  PGresult *res
      = PQexec (PG (store), "SELECT to_regclass ('setting') IS NOT NULL");
  gboolean exists = PQresultStatus (res) == PGRES_TUPLES_OK
                    && strcmp (PQgetvalue (res, 0, 0), "t") == 0;
  int rc;

  PQclear (res);
  if (!exists)
    return 0;
  stmt = store_prepare (store, SQL_SCHEMA_VERSION, error);
  if (stmt == NULL)
    return -1;
  rc = store_next (stmt);
  if (rc == STORE_ROW)
    return store_column_int (stmt, 0);
  store_db_error (error, store, rc == STORE_DONE ? STORE_FAIL : rc,
                  "no schema version");
  return -1;
}

/* 32 random bytes in upper-case hex, as SQLite's hex (randomblob (32)). */
static char *
tag_secret (GError **error)
{
  guint8 bytes[32];
  GString *hex = g_string_new (NULL);

  if (getrandom (bytes, sizeof bytes, 0) != sizeof bytes)
    {
      g_set_error (error, STORE_ERROR, STORE_ERROR_FAILED,
                   "cannot make the tag secret: %s", g_strerror (errno));
      g_string_free (hex, TRUE);
      return NULL;
    }
  for (gsize i = 0; i < sizeof bytes; i++)
    g_string_append_printf (hex, "%02X", bytes[i]);
  return g_string_free (hex, FALSE);
}

static gboolean
create_schema (Store *store, GError **error)
{
  g_autofree char *secret = tag_secret (error);
  g_autofree char *version = g_strdup_printf ("%d", STORE_SCHEMA_VERSION);
  g_autoptr (StoreStmt) stmt = NULL;

  if (secret == NULL
      || !store_exec (store, (const char *) store_schema_pg_sql, error))
    return FALSE;
  stmt = store_prepare (store, SQL_SETTINGS, error);
  if (stmt == NULL)
    return FALSE;
  store_bind_text (stmt, ":secret", secret);
  store_bind_text (stmt, ":version", version);
  return store_step (store, stmt, "cannot record the schema", error);
}

static gboolean
pg_migrate (Store *store, GError **error)
{
  int version = schema_version (store, error);

  if (version == STORE_SCHEMA_VERSION)
    return TRUE;
  if (version < 0 || !store_begin_write (store, error)
      || !store_exec (store, SQL_SCHEMA_LOCK, error))
    return FALSE;
  version = schema_version (store, error);
  if (version == 0 && !create_schema (store, error))
    version = -1;
  else if (version != 0 && version != STORE_SCHEMA_VERSION)
    /* PostgreSQL's schema begins at version 10: a database of another
     * version is newer than this madoguchi, and the steps of a later
     * version go here, beside SQLite's in store-lite-schema.c. */
    g_set_error (error, STORE_ERROR, STORE_ERROR_FAILED,
                 "schema version %d is not this madoguchi's (%d)", version,
                 STORE_SCHEMA_VERSION);
  if (version < 0 || (version != 0 && version != STORE_SCHEMA_VERSION))
    {
      store_rollback (store);
      return FALSE;
    }
  return store_commit (store, error);
}

static const char SQL_SET[] = "SELECT set_config (:name, :value, false)";

/* The URI for messages: without its password. */
static char *
uri_for_messages (const char *uri)
{
  g_autoptr (GUri) parsed = g_uri_parse (
      uri, G_URI_FLAGS_HAS_PASSWORD | G_URI_FLAGS_PARSE_RELAXED, NULL);

  if (parsed == NULL)
    return g_strdup ("postgresql://...");
  return g_uri_to_string_partial (parsed, G_URI_HIDE_PASSWORD);
}

/* The session as the shared statements expect it: UTF-8, months in the
 * process's local time zone (SQLite's 'localtime'), and lock waits
 * bounded by busy_timeout. */
static gboolean
set_session (Store *store, int busy_timeout, GError **error)
{
  g_autoptr (GTimeZone) zone = g_time_zone_new_local ();
  const char *name = g_time_zone_get_identifier (zone);
  g_autofree char *ms = g_strdup_printf ("%d", MAX (busy_timeout, 1));
  g_autoptr (StoreStmt) tz = store_prepare (store, SQL_SET, error);
  g_autoptr (StoreStmt) lock = store_prepare (store, SQL_SET, error);

  if (PQsetClientEncoding (PG (store), "UTF8") != 0)
    return store_db_error (error, store, failure (store, NULL),
                           "cannot set the encoding");
  /* A zone the server does not know (GLib may name a file) leaves the
   * server's: months may then differ from SQLite's near midnight. */
  store_bind_text (tz, ":name", "TimeZone");
  store_bind_text (tz, ":value", name);
  store_next (tz);
  store_bind_text (lock, ":name", "lock_timeout");
  store_bind_text (lock, ":value", ms);
  return store_step (store, lock, "cannot set lock_timeout", error);
}

static void
finalize_statement (gpointer stmt)
{
  store_finalize (stmt);
}

Store *
store_pg_open (const char *uri, int busy_timeout, GError **error)
{
  g_autoptr (Store) store = g_new0 (Store, 1);

  store->driver = &store_pg_driver;
  store->kind = STORE_POSTGRES;
  store->path = uri_for_messages (uri);
  store->cached = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                         finalize_statement);
  store->conn = PQconnectdb (uri);
  if (PQstatus (PG (store)) != CONNECTION_OK)
    {
      /* Unreachable is temporary: the report waits in the spool. */
      g_set_error (error, STORE_ERROR, STORE_ERROR_BUSY, "%s: %s", store->path,
                   g_strstrip (PQerrorMessage (PG (store))));
      return NULL;
    }
  if (!set_session (store, busy_timeout, error) || !pg_migrate (store, error))
    {
      g_prefix_error (error, "%s: ", store->path);
      return NULL;
    }
  return g_steal_pointer (&store);
}

void
store_pg_close (Store *store)
{
  g_hash_table_destroy (store->cached);
  PQfinish (PG (store));
  g_free (store->path);
  g_free (store->last_error);
  g_free (store);
}
