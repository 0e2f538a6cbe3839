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
  "SELECT t.id, t.number, t.created, t.updated, t.status, t.category, "
  "t.category_by, t.auto_category, t.owner, t.reporter, t.reporter_name, "
  "t.subject, m.number, i.number FROM ticket t "
  "LEFT JOIN ticket m ON m.id = t.merged_into "
  "LEFT JOIN incident i ON i.id = t.incident_id "
  "WHERE t.created >= :since AND t.created < :until "
  "AND (:category IS NULL OR t.category = :category) "
  "AND (:status IS NULL OR t.status = :status) "
  "ORDER BY t.created, t.id";

static const char SQL_EXPORT_MESSAGES[] =
  "SELECT message_id, direction, from_hdr, from_addr, subject, date_hdr, "
  "received, text FROM message WHERE ticket_id = :ticket "
  "ORDER BY received, id";

/* As `show` lists them: addresses first, then the most frequent. */
static const char SQL_EXPORT_INDICATORS[] =
  "SELECT kind, value, SUM(count), MIN(first_seen), MAX(last_seen) "
  "FROM indicator WHERE ticket_id = :ticket GROUP BY kind, value "
  "ORDER BY MIN(ip IS NULL), SUM(count) DESC, value";

typedef struct {
  sqlite3_stmt *tickets;
  sqlite3_stmt *messages;
  sqlite3_stmt *indicators;
} ExportCursor;

static void
export_message_free (ExportMessage *m)
{
  g_free (m->message_id);
  g_free (m->direction);
  g_free (m->from);
  g_free (m->from_addr);
  g_free (m->subject);
  g_free (m->date);
  g_free (m->text);
  g_free (m);
}

static void
export_indicator_free (ExportIndicator *ind)
{
  g_free (ind->kind);
  g_free (ind->value);
  g_free (ind);
}

static void
export_ticket_free (ExportTicket *t)
{
  g_free (t->number);
  g_free (t->status);
  g_free (t->category);
  g_free (t->category_by);
  g_free (t->auto_category);
  g_free (t->owner);
  g_free (t->reporter);
  g_free (t->reporter_name);
  g_free (t->subject);
  g_free (t->merged_into);
  g_free (t->incident);
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

static gpointer
message_from_row (sqlite3_stmt *stmt)
{
  ExportMessage *m = g_new0 (ExportMessage, 1);

  m->message_id = store_column_text (stmt, 0);
  m->direction = store_column_text (stmt, 1);
  m->from = store_column_text (stmt, 2);
  m->from_addr = store_column_text (stmt, 3);
  m->subject = store_column_text (stmt, 4);
  m->date = store_column_text (stmt, 5);
  m->received = sqlite3_column_int64 (stmt, 6);
  m->text = store_column_text (stmt, 7);
  return m;
}

static gpointer
indicator_from_row (sqlite3_stmt *stmt)
{
  ExportIndicator *ind = g_new0 (ExportIndicator, 1);

  ind->kind = store_column_text (stmt, 0);
  ind->value = store_column_text (stmt, 1);
  ind->count = sqlite3_column_int64 (stmt, 2);
  ind->first_seen = sqlite3_column_int64 (stmt, 3);   /* NULL reads 0 */
  ind->last_seen = sqlite3_column_int64 (stmt, 4);
  return ind;
}

static ExportTicket *
ticket_from_row (sqlite3_stmt *stmt)
{
  ExportTicket *t = g_new0 (ExportTicket, 1);

  t->number = store_column_text (stmt, 1);
  t->created = sqlite3_column_int64 (stmt, 2);
  t->updated = sqlite3_column_int64 (stmt, 3);
  t->status = store_column_text (stmt, 4);
  t->category = store_column_text (stmt, 5);
  t->category_by = store_column_text (stmt, 6);
  t->auto_category = store_column_text (stmt, 7);
  t->owner = store_column_text (stmt, 8);
  t->reporter = store_column_text (stmt, 9);
  t->reporter_name = store_column_text (stmt, 10);
  t->subject = store_column_text (stmt, 11);
  t->merged_into = store_column_text (stmt, 12);
  t->incident = store_column_text (stmt, 13);
  return t;
}

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
  c->indicators = store_prepare (store, SQL_EXPORT_INDICATORS, error);
  if (c->indicators == NULL)
    return FALSE;
  if (filter->messages)
    {
      c->messages = store_prepare (store, SQL_EXPORT_MESSAGES, error);
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
  g_autoptr (ExportTicket) t = ticket_from_row (c->tickets);
  gint64 id = sqlite3_column_int64 (c->tickets, 0);

  t->indicators = ticket_rows (store, c->indicators, id, indicator_from_row,
                               (GDestroyNotify) export_indicator_free,
                               error);
  if (t->indicators == NULL)
    return FALSE;
  if (c->messages != NULL)
    {
      t->messages = ticket_rows (store, c->messages, id, message_from_row,
                                 (GDestroyNotify) export_message_free,
                                 error);
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
