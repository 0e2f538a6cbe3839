/*
 * store-export.c - the store's side of `madoguchi export`: a cursor over
 * the selected tickets, and for each its messages and indicators, read
 * with show's statements (store_ticket_rows keeps them for the next
 * ticket).
 *
 * Only the current ticket is held in memory; the caller writes it out
 * before the next is read.  The whole export runs in one deferred read
 * transaction: in WAL mode it sees one snapshot and blocks no delivery.
 */
#include "madoguchi/export.h"

#include "store-db.h"

static const char SQL_EXPORT_TICKETS[]
    = SQL_TICKET_COLUMNS "WHERE created >= :since AND created < :until "
                         "AND (:category IS NULL OR category = :category) "
                         "AND (:status IS NULL OR status = :status) "
                         "ORDER BY created, id";

static void
export_ticket_free (ExportTicket *t)
{
  store_ticket_free (t->ticket);
  g_clear_pointer (&t->messages, g_ptr_array_unref);
  g_clear_pointer (&t->indicators, g_ptr_array_unref);
  g_free (t);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (ExportTicket, export_ticket_free)

/* The selected tickets, oldest first. */
static StoreStmt *
export_tickets (Store *store, const ExportFilter *filter, GError **error)
{
  StoreStmt *stmt = store_prepare (store, SQL_EXPORT_TICKETS, error);

  if (stmt == NULL)
    return NULL;
  store_bind_int (stmt, ":since", filter->since);
  store_bind_int (stmt, ":until", filter->until);
  store_bind_text (stmt, ":category", filter->category);
  store_bind_text (stmt, ":status", filter->status);
  return stmt;
}

static gboolean
export_one (Store *store, StoreStmt *tickets, const ExportFilter *filter,
            ExportFunc func, gpointer data, GError **error)
{
  g_autoptr (ExportTicket) t = g_new0 (ExportTicket, 1);

  t->ticket = store_ticket_from_row (tickets);
  t->indicators = store_ticket_indicators (store, t->ticket->id, error);
  if (t->indicators == NULL)
    return FALSE;
  if (filter->messages)
    {
      t->messages = store_ticket_rows (
          store, SQL_MESSAGE_LIST, t->ticket->id, store_message_from_row,
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
  g_autoptr (StoreStmt) tickets = export_tickets (store, filter, error);
  int rc;

  if (tickets == NULL)
    return FALSE;
  while ((rc = store_next (tickets)) == STORE_ROW)
    if (!export_one (store, tickets, filter, func, data, error))
      return FALSE;
  if (rc != STORE_DONE)
    return store_db_error (error, store, rc, "cannot read tickets");
  return TRUE;
}

gboolean
store_export (Store *store, const ExportFilter *filter, ExportFunc func,
              gpointer data, GError **error)
{
  if (!store_begin_read (store, error))
    return FALSE;
  if (!export_all (store, filter, func, data, error)
      || !store_commit (store, error))
    {
      store_rollback (store);
      return FALSE;
    }
  return TRUE;
}
