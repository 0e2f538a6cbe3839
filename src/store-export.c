/*
 * store-export.c - the store's side of `madoguchi export`: a cursor over
 * the selected tickets, and for each its messages and indicators, read
 * with statements prepared once and reset per ticket.
 *
 * Only the current ticket is held in memory; the caller writes it out
 * before the next is read.  The whole export runs in one deferred read
 * transaction: in WAL mode it sees one snapshot and blocks no delivery.
 */
#include "madoguchi/export.h"

#include "store-db.h"

static const char SQL_EXPORT_TICKETS[] =
  SQL_TICKET_COLUMNS "WHERE created >= :since AND created < :until "
  "AND (:category IS NULL OR category = :category) "
  "AND (:status IS NULL OR status = :status) "
  "ORDER BY created, id";

typedef struct {
  sqlite3_stmt *tickets;
  sqlite3_stmt *messages;
  sqlite3_stmt *indicators;
} ExportCursor;

static void
export_ticket_free (ExportTicket *t)
{
  store_ticket_free (t->ticket);
  g_clear_pointer (&t->messages, g_ptr_array_unref);
  g_clear_pointer (&t->indicators, g_ptr_array_unref);
  g_free (t);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (ExportTicket, export_ticket_free)

static void
export_cursor_clear (ExportCursor *c)
{
  g_clear_pointer (&c->tickets, sqlite3_finalize);
  g_clear_pointer (&c->messages, sqlite3_finalize);
  g_clear_pointer (&c->indicators, sqlite3_finalize);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (ExportCursor, export_cursor_clear)

/* The rows of a per-ticket statement, which is reset for the next. */
static GPtrArray *
ticket_rows (Store *store, sqlite3_stmt *stmt, gint64 ticket,
             gpointer (*from_row) (sqlite3_stmt *), GDestroyNotify free_fn,
             GError **error)
{
  GPtrArray *rows;

  sqlite3_reset (stmt);
  store_bind_int (stmt, ":ticket", ticket);
  rows = store_collect_rows (store, stmt, from_row, free_fn, error);
  sqlite3_reset (stmt);
  return rows;
}

static gboolean
export_open (Store *store, const ExportFilter *filter, ExportCursor *c,
             GError **error)
{
  c->tickets = store_prepare (store, SQL_EXPORT_TICKETS, error);
  if (c->tickets == NULL)
    return FALSE;
  c->indicators = store_prepare (store, SQL_INDICATOR_LIST, error);
  if (c->indicators == NULL)
    return FALSE;
  if (filter->messages)
    {
      c->messages = store_prepare (store, SQL_MESSAGE_LIST, error);
      if (c->messages == NULL)
        return FALSE;
    }
  store_bind_int (c->tickets, ":since", filter->since);
  store_bind_int (c->tickets, ":until", filter->until);
  store_bind_text (c->tickets, ":category", filter->category);
  store_bind_text (c->tickets, ":status", filter->status);
  return TRUE;
}

static gboolean
export_one (Store *store, ExportCursor *c, ExportFunc func, gpointer data,
            GError **error)
{
  g_autoptr (ExportTicket) t = g_new0 (ExportTicket, 1);
  gint64 id;

  t->ticket = store_ticket_from_row (c->tickets);
  id = t->ticket->id;
  t->indicators = ticket_rows (store, c->indicators, id,
                               store_indicator_from_row,
                               (GDestroyNotify) store_indicator_free, error);
  if (t->indicators == NULL)
    return FALSE;
  if (c->messages != NULL)
    {
      t->messages = ticket_rows (store, c->messages, id,
                                 store_message_from_row,
                                 (GDestroyNotify) store_message_free, error);
      if (t->messages == NULL)
        return FALSE;
    }
  return func (t, data, error);
}

static gboolean
export_all (Store *store, const ExportFilter *filter, ExportFunc func,
            gpointer data, GError **error)
{
  g_auto (ExportCursor) c = { NULL, NULL, NULL };
  int rc;

  if (!export_open (store, filter, &c, error))
    return FALSE;
  while ((rc = sqlite3_step (c.tickets)) == SQLITE_ROW)
    if (!export_one (store, &c, func, data, error))
      return FALSE;
  if (rc != SQLITE_DONE)
    return store_db_error (error, store->db, rc, "cannot read tickets");
  return TRUE;
}

gboolean
store_export (Store *store, const ExportFilter *filter, ExportFunc func,
              gpointer data, GError **error)
{
  if (!store_exec (store, "BEGIN", error))
    return FALSE;
  if (!export_all (store, filter, func, data, error)
      || !store_exec (store, "COMMIT", error))
    {
      store_exec (store, "ROLLBACK", NULL);
      return FALSE;
    }
  return TRUE;
}
