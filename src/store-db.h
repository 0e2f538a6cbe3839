/*
 * store-db.h - private to the store's files (store.c, store-query.c,
 * store-outbox.c): the connection and the SQLite helpers.
 */
#ifndef MADOGUCHI_STORE_DB_H
#define MADOGUCHI_STORE_DB_H

#include <sqlite3.h>

#include "madoguchi/store.h"

G_DEFINE_AUTOPTR_CLEANUP_FUNC (sqlite3_stmt, sqlite3_finalize)

struct Store {
  sqlite3 *db;
  char *path;
};

/* Sets error from an SQLite result code (BUSY for locks) and returns
 * FALSE. */
gboolean store_db_error (GError **error, sqlite3 *db, int rc,
                         const char *what);
sqlite3_stmt *store_prepare (Store *store, const char *sql, GError **error);
int store_param (sqlite3_stmt *stmt, const char *name);
/* Bind by :name; a NULL text binds NULL; a time of 0 binds NULL. */
void store_bind_text (sqlite3_stmt *stmt, const char *name,
                      const char *value);
void store_bind_int (sqlite3_stmt *stmt, const char *name, gint64 value);
void store_bind_blob16 (sqlite3_stmt *stmt, const char *name,
                        const guint8 *bytes);
void store_bind_time (sqlite3_stmt *stmt, const char *name, gint64 t);
/* Steps a statement whose rows, if any, are not read. */
gboolean store_step (Store *store, sqlite3_stmt *stmt, const char *what,
                     GError **error);
gboolean store_exec (Store *store, const char *sql, GError **error);
char *store_column_text (sqlite3_stmt *stmt, int col);
/* Steps stmt to its end, each row made an element by from_row. */
GPtrArray *store_collect_rows (Store *store, sqlite3_stmt *stmt,
                               gpointer (*from_row) (sqlite3_stmt *),
                               GDestroyNotify free_fn, GError **error);
/* The rows of a query with one :ticket parameter. */
GPtrArray *store_ticket_rows (Store *store, const char *sql,
                              gint64 ticket_id,
                              gpointer (*from_row) (sqlite3_stmt *),
                              GDestroyNotify free_fn, GError **error);
/* An audit event: who did what to a ticket at `at`, old -> new. */
gboolean store_event (Store *store, gint64 ticket, gint64 at,
                      const char *who, const char *what,
                      const char *old_value, const char *new_value,
                      GError **error);
/* The same, now. */
gboolean store_event_now (Store *store, gint64 ticket, const char *who,
                          const char *what, const char *old_value,
                          const char *new_value, GError **error);

#endif
