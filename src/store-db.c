/*
 * store-db.c - the store's SQLite helpers: prepare, bind by :name, step,
 * rows into arrays, and the audit events every change writes.  Shared by
 * the store's files; nothing outside the store sees them.
 */
#include "store-db.h"

#include <time.h>

static const char SQL_EVENT_INSERT[]
    = "INSERT INTO event (ticket_id, at, who, what, old, new) "
      "VALUES (:ticket, :at, :who, :what, :old, :new)";

gboolean
store_db_error (GError **error, sqlite3 *db, int rc, const char *what)
{
  int code = rc == SQLITE_BUSY || rc == SQLITE_LOCKED ? STORE_ERROR_BUSY
                                                      : STORE_ERROR_FAILED;

  g_set_error (error, STORE_ERROR, code, "%s: %s", what,
               db ? sqlite3_errmsg (db) : sqlite3_errstr (rc));
  return FALSE;
}

sqlite3_stmt *
store_prepare (Store *store, const char *sql, GError **error)
{
  sqlite3_stmt *stmt = NULL;
  int rc = sqlite3_prepare_v2 (store->db, sql, -1, &stmt, NULL);

  if (rc != SQLITE_OK)
    {
      store_db_error (error, store->db, rc, "cannot prepare statement");
      return NULL;
    }
  return stmt;
}

StoreCached *
store_cached (Store *store, const char *sql, GError **error)
{
  sqlite3_stmt *stmt = g_hash_table_lookup (store->cached, sql);
  int rc;

  if (stmt != NULL)
    {
      /* A use inside a use of itself would reset the outer one. */
      g_assert (!sqlite3_stmt_busy (stmt));
      return stmt;
    }
  rc = sqlite3_prepare_v3 (store->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &stmt,
                           NULL);
  if (rc != SQLITE_OK)
    {
      store_db_error (error, store->db, rc, "cannot prepare statement");
      return NULL;
    }
  g_hash_table_insert (store->cached, g_strdup (sql), stmt);
  return stmt;
}

void
store_cached_release (StoreCached *stmt)
{
  sqlite3_reset (stmt);
  sqlite3_clear_bindings (stmt);
}

gboolean
store_run_cached (Store *store, const char *sql, GError **error)
{
  g_autoptr (StoreCached) stmt = store_cached (store, sql, error);

  return stmt != NULL && store_step (store, stmt, sql, error);
}

int
store_param (sqlite3_stmt *stmt, const char *name)
{
  int idx = sqlite3_bind_parameter_index (stmt, name);

  g_assert (idx > 0);
  return idx;
}

void
store_bind_text (sqlite3_stmt *stmt, const char *name, const char *value)
{
  if (value == NULL)
    sqlite3_bind_null (stmt, store_param (stmt, name));
  else
    sqlite3_bind_text (stmt, store_param (stmt, name), value, -1,
                       SQLITE_STATIC);
}

void
store_bind_int (sqlite3_stmt *stmt, const char *name, gint64 value)
{
  sqlite3_bind_int64 (stmt, store_param (stmt, name), value);
}

/* Steps a statement that returns no row (or whose rows are ignored). */
gboolean
store_step (Store *store, sqlite3_stmt *stmt, const char *what, GError **error)
{
  int rc = sqlite3_step (stmt);

  if (rc == SQLITE_DONE || rc == SQLITE_ROW)
    return TRUE;
  return store_db_error (error, store->db, rc, what);
}

gboolean
store_exec (Store *store, const char *sql, GError **error)
{
  int rc = sqlite3_exec (store->db, sql, NULL, NULL, NULL);

  if (rc == SQLITE_OK)
    return TRUE;
  return store_db_error (error, store->db, rc, sql);
}

gpointer
store_column_first (sqlite3_stmt *stmt)
{
  return store_column_text (stmt, 0);
}

char *
store_column_text (sqlite3_stmt *stmt, int col)
{
  return g_strdup ((const char *) sqlite3_column_text (stmt, col));
}

void
store_bind_blob16 (sqlite3_stmt *stmt, const char *name, const guint8 *bytes)
{
  sqlite3_bind_blob (stmt, store_param (stmt, name), bytes, 16, SQLITE_STATIC);
}

void
store_bind_time (sqlite3_stmt *stmt, const char *name, gint64 t)
{
  if (t == 0)
    sqlite3_bind_null (stmt, store_param (stmt, name));
  else
    store_bind_int (stmt, name, t);
}

/* Steps stmt to its end, turning each row into an element. */
GPtrArray *
store_collect_rows (Store *store, sqlite3_stmt *stmt,
                    gpointer (*from_row) (sqlite3_stmt *),
                    GDestroyNotify free_fn, GError **error)
{
  g_autoptr (GPtrArray) rows = g_ptr_array_new_with_free_func (free_fn);
  int rc;

  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    g_ptr_array_add (rows, from_row (stmt));
  if (rc != SQLITE_DONE)
    {
      store_db_error (error, store->db, rc, "cannot read");
      return NULL;
    }
  return g_steal_pointer (&rows);
}

/* Rows of a per-ticket query, each made by from_row; the statement is
 * kept for the next ticket (export reads every ticket's). */
GPtrArray *
store_ticket_rows (Store *store, const char *sql, gint64 ticket_id,
                   gpointer (*from_row) (sqlite3_stmt *),
                   GDestroyNotify free_fn, GError **error)
{
  g_autoptr (StoreCached) stmt = store_cached (store, sql, error);

  if (stmt == NULL)
    return NULL;
  store_bind_int (stmt, ":ticket", ticket_id);
  return store_collect_rows (store, stmt, from_row, free_fn, error);
}

gboolean
store_event (Store *store, gint64 ticket, gint64 at, const char *who,
             const char *what, const char *old_value, const char *new_value,
             GError **error)
{
  g_autoptr (StoreCached) stmt = store_cached (store, SQL_EVENT_INSERT, error);

  if (stmt == NULL)
    return FALSE;
  store_bind_int (stmt, ":ticket", ticket);
  store_bind_int (stmt, ":at", at);
  store_bind_text (stmt, ":who", who);
  store_bind_text (stmt, ":what", what);
  store_bind_text (stmt, ":old", old_value);
  store_bind_text (stmt, ":new", new_value);
  return store_step (store, stmt, "cannot insert event", error);
}

/* An operator's change, now. */
gboolean
store_event_now (Store *store, gint64 ticket, const char *who, const char *what,
                 const char *old_value, const char *new_value, GError **error)
{
  return store_event (store, ticket, (gint64) time (NULL), who, what, old_value,
                      new_value, error);
}
