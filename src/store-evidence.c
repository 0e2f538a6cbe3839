/*
 * store-evidence.c - the rows a filed message brings besides itself: its
 * MIME parts, the evidence extracted (indicators, times, log excerpts)
 * and the classification's reasons and form fields, each kind one
 * cached statement run once per row, inside the filing's transaction.
 */
#include "madoguchi/store.h"

#include "store-db.h"

static const char SQL_REASON_INSERT[]
    = "INSERT INTO reason (ticket_id, message_id, category, rule, score, "
      "place, matched) VALUES (:ticket, :message, :category, :rule, :score, "
      ":place, :matched)";

static const char SQL_FORM_INSERT[]
    = "INSERT INTO form_field (ticket_id, message_id, name, value) "
      "VALUES (:ticket, :message, :name, :value)";

static const char SQL_INDICATOR_INSERT[]
    = "INSERT INTO indicator (ticket_id, message_id, kind, value, ip, ip_end, "
      "scope, own, role, ports, count, first_seen, last_seen, context, asn) "
      "VALUES (:ticket, :message, :kind, :value, :ip, :ip_end, :scope, :own, "
      ":role, :ports, :count, :first_seen, :last_seen, :context, :asn)";

static const char SQL_TIMESTAMP_INSERT[]
    = "INSERT INTO timestamp (ticket_id, message_id, utc, original, rule, "
      "zone_assumed, part, line) VALUES (:ticket, :message, :utc, :original, "
      ":rule, :assumed, :part, :line)";

static const char SQL_EXCERPT_INSERT[]
    = "INSERT INTO excerpt (ticket_id, message_id, part, first_line, "
      "last_line, text) VALUES (:ticket, :message, :part, :first, :last, "
      ":text)";

static const char SQL_PART_INSERT[]
    = "INSERT INTO part (message_id, idx, depth, content_type, filename, "
      "charset, size, is_text, forwarded) VALUES (:message, :idx, :depth, "
      ":type, :filename, :charset, :size, :is_text, :forwarded)";

/* Binds one row's own columns (the ticket's and message's are bound). */
typedef void (*BindRow) (StoreStmt *stmt, gconstpointer row, guint index);

/* One kind of row a message brings: its statement, how a row is bound,
 * and what a failure says. */
typedef struct
{
  const char *sql;
  BindRow bind;
  const char *what;
} RowKind;

/* The ticket and message the rows belong to (ticket 0: the message's
 * alone, no :ticket). */
typedef struct
{
  gint64 ticket;
  gint64 message;
} RowOwner;

/* Inserts rows of kind, one statement for all, each row bound by
 * kind->bind after :ticket (unless owner.ticket is 0) and :message. */
static gboolean
insert_rows (Store *store, const RowKind *kind, RowOwner owner,
             const GPtrArray *rows, GError **error)
{
  g_autoptr (StoreCached) stmt = NULL;

  if (rows == NULL || rows->len == 0)
    return TRUE;
  stmt = store_cached (store, kind->sql, error);
  for (guint i = 0; stmt != NULL && i < rows->len; i++)
    {
      store_cached_release (stmt);
      if (owner.ticket != 0)
        store_bind_int (stmt, ":ticket", owner.ticket);
      store_bind_int (stmt, ":message", owner.message);
      kind->bind (stmt, rows->pdata[i], i);
      if (!store_step (store, stmt, kind->what, error))
        return FALSE;
    }
  return stmt != NULL;
}

static void
bind_part_row (StoreStmt *stmt, gconstpointer row, guint index)
{
  const MessagePart *p = row;

  store_bind_int (stmt, ":idx", index);
  store_bind_int (stmt, ":depth", p->depth);
  store_bind_text (stmt, ":type", p->content_type);
  store_bind_text (stmt, ":filename", p->filename);
  store_bind_text (stmt, ":charset", p->charset);
  store_bind_int (stmt, ":size", p->size);
  store_bind_int (stmt, ":is_text", p->text != NULL);
  store_bind_int (stmt, ":forwarded", p->forwarded);
}

static void
bind_indicator (StoreStmt *stmt, gconstpointer row, guint index)
{
  const Indicator *ind = row;
  g_autofree char *ports = report_ports_string (ind->ports);

  store_bind_text (stmt, ":kind", ind->kind);
  store_bind_text (stmt, ":value", ind->value);
  if (ind->has_ip)
    {
      store_bind_blob16 (stmt, ":ip", ind->ip);
      store_bind_blob16 (stmt, ":ip_end", ind->ip_end);
    }
  store_bind_text (stmt, ":scope", ind->scope);
  store_bind_int (stmt, ":own", ind->own);
  store_bind_text (stmt, ":role", ind->role);
  /* Freed on return, before the row is stepped: SQLite takes a copy
   * (store_bind_text binds the caller's string where it lies). */
  if (ports != NULL)
    store_bind_text_copy (stmt, ":ports", ports);
  store_bind_int (stmt, ":count", ind->count);
  store_bind_time (stmt, ":first_seen", ind->first_seen);
  store_bind_time (stmt, ":last_seen", ind->last_seen);
  store_bind_text (stmt, ":context", ind->context);
  if (ind->asn > 0)
    store_bind_int (stmt, ":asn", ind->asn);
}

static void
bind_part (StoreStmt *stmt, guint part)
{
  if (part == G_MAXUINT)
    store_bind_null (stmt, ":part");
  else
    store_bind_int (stmt, ":part", part);
}

static void
bind_timestamp (StoreStmt *stmt, gconstpointer row, guint index)
{
  const Timestamp *t = row;

  store_bind_int (stmt, ":utc", t->utc);
  store_bind_text (stmt, ":original", t->original);
  store_bind_text (stmt, ":rule", t->rule);
  store_bind_int (stmt, ":assumed", t->zone_assumed);
  bind_part (stmt, t->part);
  store_bind_int (stmt, ":line", t->line);
}

static void
bind_excerpt (StoreStmt *stmt, gconstpointer row, guint index)
{
  const Excerpt *e = row;

  store_bind_int (stmt, ":part", e->part);
  store_bind_int (stmt, ":first", e->first_line);
  store_bind_int (stmt, ":last", e->last_line);
  store_bind_text (stmt, ":text", e->text);
}

static void
bind_reason (StoreStmt *stmt, gconstpointer row, guint index)
{
  const ClassifyReason *r = row;

  store_bind_text (stmt, ":category", r->category);
  store_bind_text (stmt, ":rule", r->rule);
  store_bind_int (stmt, ":score", r->score);
  store_bind_text (stmt, ":place", r->where);
  store_bind_text (stmt, ":matched", r->matched);
}

static void
bind_form_field (StoreStmt *stmt, gconstpointer row, guint index)
{
  const FormField *f = row;

  store_bind_text (stmt, ":name", f->name);
  store_bind_text (stmt, ":value", f->value);
}

static const RowKind PART_ROWS = {
  .sql = SQL_PART_INSERT,
  .bind = bind_part_row,
  .what = "cannot insert part",
};
static const RowKind INDICATOR_ROWS = {
  .sql = SQL_INDICATOR_INSERT,
  .bind = bind_indicator,
  .what = "cannot insert indicator",
};
static const RowKind TIMESTAMP_ROWS = {
  .sql = SQL_TIMESTAMP_INSERT,
  .bind = bind_timestamp,
  .what = "cannot insert timestamp",
};
static const RowKind EXCERPT_ROWS = {
  .sql = SQL_EXCERPT_INSERT,
  .bind = bind_excerpt,
  .what = "cannot insert excerpt",
};
static const RowKind REASON_ROWS = {
  .sql = SQL_REASON_INSERT,
  .bind = bind_reason,
  .what = "cannot insert reason",
};
static const RowKind FORM_ROWS = {
  .sql = SQL_FORM_INSERT,
  .bind = bind_form_field,
  .what = "cannot insert form field",
};

gboolean
store_insert_details (Store *store, const StoreDelivery *d, gint64 ticket,
                      gint64 message, GError **error)
{
  const RowOwner owner = { .ticket = ticket, .message = message };
  const RowOwner message_only = { .ticket = 0, .message = message };
  const Extraction *x = d->extraction;
  const Classification *c = d->classification;

  return insert_rows (store, &PART_ROWS, message_only, d->message->parts, error)
         && (x == NULL
             || (insert_rows (store, &INDICATOR_ROWS, owner, x->indicators,
                              error)
                 && insert_rows (store, &TIMESTAMP_ROWS, owner, x->timestamps,
                                 error)
                 && insert_rows (store, &EXCERPT_ROWS, owner, x->excerpts,
                                 error)))
         && (c == NULL
             || (insert_rows (store, &REASON_ROWS, owner, c->reasons, error)
                 && insert_rows (store, &FORM_ROWS, owner, c->form, error)));
}
