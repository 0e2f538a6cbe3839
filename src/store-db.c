/*
 * store-db.c - the store's driver as its files see it: prepare, bind by
 * :name, step, read columns, whichever database is behind (store-lite.c,
 * store-pg.c); rows into arrays, transactions, and the audit events
 * every change writes.  Nothing outside the store sees any of it.
 */
#include "store-db.h"

#include <time.h>

static const char SQL_EVENT_INSERT[]
    = "INSERT INTO event (ticket_id, at, who, what, old, new) "
      "VALUES (:ticket, :at, :who, :what, :old, :new)";

/* BEGIN IMMEDIATE takes SQLite's write lock at once, so that two writers
 * never deadlock upgrading read locks; PostgreSQL locks rows as it goes
 * and a read transaction asks for one snapshot. */
const StoreSql SQL_BEGIN_WRITE = {
  .sqlite = "BEGIN IMMEDIATE",
  .postgres = "BEGIN",
};

static const StoreSql SQL_BEGIN_READ = {
  .sqlite = "BEGIN",
  .postgres = "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY",
};

gboolean
store_db_error (GError **error, Store *store, int rc, const char *what)
{
  int code
      = store->driver->temporary (rc) ? STORE_ERROR_BUSY : STORE_ERROR_FAILED;

  g_set_error (error, STORE_ERROR, code, "%s: %s", what,
               store->driver->errmsg (store, rc));
  return FALSE;
}

gboolean
store_begin_write (Store *store, GError **error)
{
  return store_exec (store, store_sql (store, &SQL_BEGIN_WRITE), error);
}

gboolean
store_begin_read (Store *store, GError **error)
{
  return store_exec (store, store_sql (store, &SQL_BEGIN_READ), error);
}

gboolean
store_commit (Store *store, GError **error)
{
  return store_exec (store, "COMMIT", error);
}

void
store_rollback (Store *store)
{
  store_exec (store, "ROLLBACK", NULL);
}

gboolean
store_retry (Store *store, guint *tries, GError **error)
{
  if (!store->conflict || ++*tries >= STORE_TRIES)
    return FALSE;
  store->conflict = FALSE;
  g_clear_error (error);
  /* 1-10 ms, longer each time: the two losers of a deadlock must not
   * meet again at once. */
  g_usleep ((gulong) g_random_int_range (1000, 10000) * *tries);
  return TRUE;
}

StoreStmt *
store_prepare (Store *store, const char *sql, GError **error)
{
  return store->driver->prepare (store, sql, FALSE, error);
}

void
store_finalize (StoreStmt *stmt)
{
  if (stmt != NULL)
    stmt->store->driver->finalize (stmt);
}

StoreCached *
store_cached (Store *store, const char *sql, GError **error)
{
  StoreStmt *stmt = g_hash_table_lookup (store->cached, sql);

  if (stmt != NULL)
    {
      /* A use inside a use of itself would reset the outer one. */
      g_assert (!store->driver->busy (stmt));
      return stmt;
    }
  stmt = store->driver->prepare (store, sql, TRUE, error);
  if (stmt == NULL)
    return NULL;
  g_hash_table_insert (store->cached, g_strdup (sql), stmt);
  return stmt;
}

void
store_cached_release (StoreCached *stmt)
{
  stmt->store->driver->reset (stmt, TRUE);
}

void
store_reset (StoreStmt *stmt)
{
  stmt->store->driver->reset (stmt, FALSE);
}

gboolean
store_run_cached (Store *store, const char *sql, GError **error)
{
  g_autoptr (StoreCached) stmt = store_cached (store, sql, error);

  return stmt != NULL && store_step (store, stmt, sql, error);
}

static int
store_param (StoreStmt *stmt, const char *name)
{
  int idx = stmt->store->driver->param (stmt, name);

  g_assert (idx > 0);
  return idx;
}

gboolean
store_has_param (StoreStmt *stmt, const char *name)
{
  return stmt->store->driver->param (stmt, name) > 0;
}

void
store_bind_null (StoreStmt *stmt, const char *name)
{
  stmt->store->driver->bind_null (stmt, store_param (stmt, name));
}

void
store_bind_text (StoreStmt *stmt, const char *name, const char *value)
{
  if (value == NULL)
    store_bind_null (stmt, name);
  else
    stmt->store->driver->bind_text (stmt, store_param (stmt, name), value,
                                    FALSE);
}

void
store_bind_text_copy (StoreStmt *stmt, const char *name, const char *value)
{
  if (value == NULL)
    store_bind_null (stmt, name);
  else
    stmt->store->driver->bind_text (stmt, store_param (stmt, name), value,
                                    TRUE);
}

void
store_bind_int (StoreStmt *stmt, const char *name, gint64 value)
{
  stmt->store->driver->bind_int (stmt, store_param (stmt, name), value);
}

void
store_bind_blob (StoreStmt *stmt, const char *name, gconstpointer data,
                 gsize len)
{
  stmt->store->driver->bind_blob (stmt, store_param (stmt, name), data, len);
}

void
store_bind_blob16 (StoreStmt *stmt, const char *name, const guint8 *bytes)
{
  store_bind_blob (stmt, name, bytes, 16);
}

void
store_bind_time (StoreStmt *stmt, const char *name, gint64 t)
{
  if (t == 0)
    store_bind_null (stmt, name);
  else
    store_bind_int (stmt, name, t);
}

int
store_next (StoreStmt *stmt)
{
  return stmt->store->driver->step (stmt);
}

/* Steps a statement that returns no row (or whose rows are ignored). */
gboolean
store_step (Store *store, StoreStmt *stmt, const char *what, GError **error)
{
  int rc = store_next (stmt);

  if (rc == STORE_DONE || rc == STORE_ROW)
    return TRUE;
  return store_db_error (error, store, rc, what);
}

gint64
store_insert_id (Store *store, StoreStmt *stmt, const char *what,
                 GError **error)
{
  int rc = store_next (stmt);

  if (rc == STORE_ROW)
    return store_column_int64 (stmt, 0);
  if (rc == STORE_DONE)
    rc = STORE_FAIL;
  store_db_error (error, store, rc, what);
  return 0;
}

gboolean
store_exec (Store *store, const char *sql, GError **error)
{
  return store->driver->exec (store, sql, error);
}

gint64
store_column_int64 (StoreStmt *stmt, int col)
{
  return stmt->store->driver->column_int (stmt, col);
}

int
store_column_int (StoreStmt *stmt, int col)
{
  return (int) stmt->store->driver->column_int (stmt, col);
}

gboolean
store_column_null (StoreStmt *stmt, int col)
{
  return stmt->store->driver->column_null (stmt, col);
}

StoreValueKind
store_column_kind (StoreStmt *stmt, int col)
{
  return stmt->store->driver->column_kind (stmt, col);
}

const char *
store_column_peek (StoreStmt *stmt, int col)
{
  return stmt->store->driver->column_text (stmt, col);
}

gconstpointer
store_column_blob (StoreStmt *stmt, int col)
{
  gsize len;

  return stmt->store->driver->column_blob (stmt, col, &len);
}

gsize
store_column_bytes (StoreStmt *stmt, int col)
{
  gsize len = 0;

  stmt->store->driver->column_blob (stmt, col, &len);
  return len;
}

gpointer
store_column_first (StoreStmt *stmt)
{
  return store_column_text (stmt, 0);
}

char *
store_column_text (StoreStmt *stmt, int col)
{
  return g_strdup (store_column_peek (stmt, col));
}

/* Steps stmt to its end, turning each row into an element. */
GPtrArray *
store_collect_rows (Store *store, StoreStmt *stmt,
                    gpointer (*from_row) (StoreStmt *), GDestroyNotify free_fn,
                    GError **error)
{
  g_autoptr (GPtrArray) rows = g_ptr_array_new_with_free_func (free_fn);
  int rc;

  while ((rc = store_next (stmt)) == STORE_ROW)
    g_ptr_array_add (rows, from_row (stmt));
  if (rc != STORE_DONE)
    {
      store_db_error (error, store, rc, "cannot read");
      return NULL;
    }
  return g_steal_pointer (&rows);
}

/* Rows of a per-ticket query, each made by from_row; the statement is
 * kept for the next ticket (export reads every ticket's). */
GPtrArray *
store_ticket_rows (Store *store, const char *sql, gint64 ticket_id,
                   gpointer (*from_row) (StoreStmt *), GDestroyNotify free_fn,
                   GError **error)
{
  g_autoptr (StoreCached) stmt = store_cached (store, sql, error);

  if (stmt == NULL)
    return NULL;
  store_bind_int (stmt, ":ticket", ticket_id);
  return store_collect_rows (store, stmt, from_row, free_fn, error);
}

gboolean
store_audit (Store *store, StoreAudit event, GError **error)
{
  g_autoptr (StoreCached) stmt = store_cached (store, SQL_EVENT_INSERT, error);

  if (stmt == NULL)
    return FALSE;
  store_bind_int (stmt, ":ticket", event.ticket);
  store_bind_int (stmt, ":at", event.at != 0 ? event.at : (gint64) time (NULL));
  store_bind_text (stmt, ":who", event.who);
  store_bind_text (stmt, ":what", event.what);
  store_bind_text (stmt, ":old", event.old_value);
  store_bind_text (stmt, ":new", event.new_value);
  return store_step (store, stmt, "cannot insert event", error);
}
