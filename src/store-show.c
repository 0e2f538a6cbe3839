/*
 * store-show.c - one ticket in full, as `show` prints it: its messages
 * (with their parts and raw bytes), evidence, classification reasons,
 * form fields, audit trail, outbox rows and the tickets sharing its
 * addresses.
 */
#include "madoguchi/store.h"

#include <string.h>

#include "madoguchi/address.h"

#include "store-db.h"

/* SQLite takes a column outside GROUP BY from one of the group's rows;
 * PostgreSQL wants an aggregate (the scope and address are the value's,
 * the same in every row). */
const StoreSql SQL_INDICATOR_LIST = {
  .sqlite = SQL_INDICATOR_LIST_ ("scope", "GROUP_CONCAT (ports)", "ip IS NULL"),
  .postgres = SQL_INDICATOR_LIST_ ("MIN (scope)", "string_agg (ports, ',')",
                                   "bool_and (ip IS NULL)"),
};

static const char SQL_REASON_LIST[]
    = "SELECT rule, category, score, place, matched FROM reason "
      "WHERE ticket_id = :ticket ORDER BY message_id, score DESC, id";

/* In the order they were filed: PostgreSQL has no rowid, and its
 * form_field an id column for it. */
static const StoreSql SQL_FORM_LIST = {
  .sqlite = "SELECT name, value FROM form_field WHERE ticket_id = :ticket "
            "ORDER BY message_id, rowid",
  .postgres = "SELECT name, value FROM form_field WHERE ticket_id = :ticket "
              "ORDER BY message_id, id",
};

static const char SQL_TIMESTAMP_LIST[]
    = "SELECT utc, original, rule, zone_assumed, part, line FROM timestamp "
      "WHERE ticket_id = :ticket ORDER BY utc, id";

static const char SQL_EXCERPT_LIST[]
    = "SELECT part, first_line, last_line, text FROM excerpt "
      "WHERE ticket_id = :ticket ORDER BY message_id, id";

static const char SQL_PART_LIST[]
    = "SELECT depth, content_type, filename, charset, size, forwarded "
      "FROM part WHERE message_id = :message ORDER BY idx";

static const char SQL_MESSAGE_RAW[]
    = "SELECT bytes FROM message_raw WHERE message_id = :message ORDER BY seq";

void
store_message_free (StoreMessage *m)
{
  if (m == NULL)
    return;
  g_free (m->direction);
  g_free (m->envelope_from);
  g_free (m->message_id);
  g_free (m->from);
  g_free (m->from_addr);
  g_free (m->to);
  g_free (m->subject);
  g_free (m->date);
  g_free (m->flags);
  g_free (m->category);
  g_free (m->scores);
  g_free (m->ack);
  g_free (m->thread);
  g_free (m->text);
  g_free (m->encryption);
  g_free (m->signature);
  g_free (m->signer);
  g_free (m->pgp_problem);
  if (m->parts)
    g_ptr_array_unref (m->parts);
  g_free (m);
}

static gpointer
part_from_row (StoreStmt *stmt)
{
  MessagePart *p = g_new0 (MessagePart, 1);

  p->depth = (guint) store_column_int (stmt, 0);
  p->content_type = store_column_text (stmt, 1);
  p->filename = store_column_text (stmt, 2);
  p->charset = store_column_text (stmt, 3);
  p->size = store_column_int64 (stmt, 4);
  p->forwarded = store_column_int (stmt, 5);
  return p;
}

gpointer
store_message_from_row (StoreStmt *stmt)
{
  StoreMessage *m = g_new0 (StoreMessage, 1);

  m->id = store_column_int64 (stmt, 0);
  m->direction = store_column_text (stmt, 1);
  m->received = store_column_int64 (stmt, 2);
  m->envelope_from = store_column_text (stmt, 3);
  m->message_id = store_column_text (stmt, 4);
  m->from = store_column_text (stmt, 5);
  m->to = store_column_text (stmt, 6);
  m->subject = store_column_text (stmt, 7);
  m->date = store_column_text (stmt, 8);
  m->flags = store_column_text (stmt, 9);
  m->size = store_column_int64 (stmt, 10);
  m->text = store_column_text (stmt, 11);
  m->category = store_column_text (stmt, 12);
  m->scores = store_column_text (stmt, 13);
  m->ack = store_column_text (stmt, 14);
  m->thread = store_column_text (stmt, 15);
  m->indicators_dropped = store_column_int64 (stmt, 16);
  m->timestamps_dropped = store_column_int64 (stmt, 17);
  m->from_addr = store_column_text (stmt, 18);
  m->encryption = store_column_text (stmt, 19);
  m->signature = store_column_text (stmt, 20);
  m->signer = store_column_text (stmt, 21);
  m->pgp_problem = store_column_text (stmt, 22);
  return m;
}

static GPtrArray *
message_parts (Store *store, gint64 message_id, GError **error)
{
  g_autoptr (StoreStmt) stmt = store_prepare (store, SQL_PART_LIST, error);

  if (stmt == NULL)
    return NULL;
  store_bind_int (stmt, ":message", message_id);
  return store_collect_rows (store, stmt, part_from_row,
                             (GDestroyNotify) report_part_free, error);
}

GPtrArray *
store_ticket_messages (Store *store, gint64 ticket_id, GError **error)
{
  g_autoptr (StoreStmt) stmt = store_prepare (store, SQL_MESSAGE_LIST, error);
  g_autoptr (GPtrArray) messages = NULL;

  if (stmt == NULL)
    return NULL;
  store_bind_int (stmt, ":ticket", ticket_id);
  messages = store_collect_rows (store, stmt, store_message_from_row,
                                 (GDestroyNotify) store_message_free, error);
  for (guint i = 0; messages != NULL && i < messages->len; i++)
    {
      StoreMessage *m = messages->pdata[i];

      m->parts = message_parts (store, m->id, error);
      if (m->parts == NULL)
        return NULL;
    }
  return g_steal_pointer (&messages);
}

GBytes *
store_message_raw (Store *store, gint64 message_id, GError **error)
{
  g_autoptr (StoreStmt) stmt = store_prepare (store, SQL_MESSAGE_RAW, error);
  g_autoptr (GByteArray) bytes = g_byte_array_new ();
  gboolean found = FALSE;
  int rc;

  if (stmt == NULL)
    return NULL;
  store_bind_int (stmt, ":message", message_id);
  while ((rc = store_next (stmt)) == STORE_ROW)
    {
      found = TRUE;
      if (store_column_bytes (stmt, 0) > 0)
        g_byte_array_append (bytes, store_column_blob (stmt, 0),
                             (guint) store_column_bytes (stmt, 0));
    }
  if (rc != STORE_DONE)
    store_db_error (error, store, rc, "cannot read message");
  else if (!found)
    g_set_error (error, STORE_ERROR, STORE_ERROR_NOT_FOUND,
                 "no message %" G_GINT64_FORMAT, message_id);
  else
    return g_byte_array_free_to_bytes (g_steal_pointer (&bytes));
  return NULL;
}

void
store_indicator_free (StoreIndicator *ind)
{
  g_free (ind->kind);
  g_free (ind->value);
  g_free (ind->scope);
  g_free (ind->ports);
  g_free (ind->context);
  g_free (ind->role);
  g_free (ind);
}

gpointer
store_indicator_from_row (StoreStmt *stmt)
{
  StoreIndicator *ind = g_new0 (StoreIndicator, 1);

  ind->kind = store_column_text (stmt, 0);
  ind->value = store_column_text (stmt, 1);
  ind->scope = store_column_text (stmt, 2);
  ind->own = store_column_int (stmt, 3);
  ind->count = store_column_int64 (stmt, 4);
  ind->ports = store_column_text (stmt, 5);
  ind->first_seen = store_column_int64 (stmt, 6);
  ind->last_seen = store_column_int64 (stmt, 7);
  ind->context = store_column_text (stmt, 8);
  ind->role = store_column_text (stmt, 9);
  ind->asn = store_column_int64 (stmt, 10);
  return ind;
}

static gpointer
timestamp_from_row (StoreStmt *stmt)
{
  Timestamp *t = g_new0 (Timestamp, 1);

  t->utc = store_column_int64 (stmt, 0);
  t->original = store_column_text (stmt, 1);
  t->rule = store_column_text (stmt, 2);
  t->zone_assumed = store_column_int (stmt, 3);
  t->part = store_column_null (stmt, 4) ? G_MAXUINT
                                        : (guint) store_column_int (stmt, 4);
  t->line = (guint) store_column_int (stmt, 5);
  return t;
}

static gpointer
excerpt_from_row (StoreStmt *stmt)
{
  Excerpt *e = g_new0 (Excerpt, 1);

  e->part = (guint) store_column_int (stmt, 0);
  e->first_line = (guint) store_column_int (stmt, 1);
  e->last_line = (guint) store_column_int (stmt, 2);
  e->text = store_column_text (stmt, 3);
  return e;
}

GPtrArray *
store_ticket_indicators (Store *store, gint64 ticket_id, GError **error)
{
  return store_ticket_rows (store, store_sql (store, &SQL_INDICATOR_LIST),
                            ticket_id, store_indicator_from_row,
                            (GDestroyNotify) store_indicator_free, error);
}

GPtrArray *
store_ticket_timestamps (Store *store, gint64 ticket_id, GError **error)
{
  return store_ticket_rows (store, SQL_TIMESTAMP_LIST, ticket_id,
                            timestamp_from_row,
                            (GDestroyNotify) report_timestamp_free, error);
}

GPtrArray *
store_ticket_excerpts (Store *store, gint64 ticket_id, GError **error)
{
  return store_ticket_rows (store, SQL_EXCERPT_LIST, ticket_id,
                            excerpt_from_row,
                            (GDestroyNotify) report_excerpt_free, error);
}

static gpointer
reason_from_row (StoreStmt *stmt)
{
  ClassifyReason *r = g_new0 (ClassifyReason, 1);
  const char *const *names = report_categories ();
  int index = report_category_index (store_column_peek (stmt, 1));

  r->rule = store_column_text (stmt, 0);
  r->category = names[index < 0 ? REPORT_CATEGORIES - 1 : index];
  r->score = store_column_int (stmt, 2);
  r->where = store_column_text (stmt, 3);
  r->matched = store_column_text (stmt, 4);
  return r;
}

static gpointer
form_from_row (StoreStmt *stmt)
{
  FormField *f = g_new0 (FormField, 1);

  f->name = store_column_text (stmt, 0);
  f->value = store_column_text (stmt, 1);
  return f;
}

GPtrArray *
store_ticket_reasons (Store *store, gint64 ticket_id, GError **error)
{
  return store_ticket_rows (store, SQL_REASON_LIST, ticket_id, reason_from_row,
                            (GDestroyNotify) report_reason_free, error);
}

GPtrArray *
store_ticket_form (Store *store, gint64 ticket_id, GError **error)
{
  return store_ticket_rows (store, store_sql (store, &SQL_FORM_LIST), ticket_id,
                            form_from_row,
                            (GDestroyNotify) report_form_field_free, error);
}

static const char SQL_EVENT_LIST[]
    = "SELECT at, who, what, old, new FROM event WHERE ticket_id = :ticket "
      "ORDER BY at, id";

static const char SQL_TICKET_OUTBOX[]
    = "SELECT o.id, t.number, o.recipient, o.message_id, o.state, o.created, "
      "o.attempts, o.last_error, o.via FROM outbox o JOIN ticket t ON "
      "t.id = o.ticket_id WHERE o.ticket_id = :ticket ORDER BY o.id";

static const char SQL_TICKET_ADDRESSES[]
    = "SELECT ip, value FROM indicator WHERE ticket_id = :ticket "
      "AND ip IS NOT NULL AND kind IN ('ipv4', 'ipv6') GROUP BY ip, value "
      "ORDER BY MIN (id) LIMIT 50";

/* DISTINCT in a subquery: PostgreSQL sorts DISTINCT rows only by what
 * they select (created is the ticket's, so no row more); ordered to the
 * last column, so that both databases list the same. */
static const char SQL_SHARING[]
    = "SELECT number, subject, value, exact, incident FROM (SELECT DISTINCT "
      "t.number, t.subject, i.value, i.ip = :ip AS exact, inc.number AS "
      "incident, t.created FROM indicator i JOIN ticket t "
      "ON t.id = i.ticket_id LEFT JOIN incident inc ON inc.id = t.incident_id "
      "WHERE i.ip BETWEEN :first AND :last AND i.ticket_id != :ticket "
      "AND t.merged_into IS NULL) AS sharing ORDER BY exact DESC, "
      "created DESC, number DESC, value LIMIT 20";

static const char SQL_MENTIONS[]
    = "SELECT COUNT (DISTINCT ticket_id) FROM indicator WHERE ip = :ip";

void
store_event_free (StoreEvent *e)
{
  g_free (e->who);
  g_free (e->what);
  g_free (e->old_value);
  g_free (e->new_value);
  g_free (e);
}

static gpointer
event_from_row (StoreStmt *stmt)
{
  StoreEvent *e = g_new0 (StoreEvent, 1);

  e->at = store_column_int64 (stmt, 0);
  e->who = store_column_text (stmt, 1);
  e->what = store_column_text (stmt, 2);
  e->old_value = store_column_text (stmt, 3);
  e->new_value = store_column_text (stmt, 4);
  return e;
}

GPtrArray *
store_ticket_events (Store *store, gint64 ticket_id, GError **error)
{
  return store_ticket_rows (store, SQL_EVENT_LIST, ticket_id, event_from_row,
                            (GDestroyNotify) store_event_free, error);
}

GPtrArray *
store_ticket_outbox (Store *store, gint64 ticket_id, GError **error)
{
  return store_ticket_rows (store, SQL_TICKET_OUTBOX, ticket_id,
                            store_outbox_from_row,
                            (GDestroyNotify) store_outbox_free, error);
}

void
store_related_free (StoreRelated *r)
{
  g_free (r->number);
  g_free (r->subject);
  g_free (r->theirs);
  g_free (r->mine);
  g_free (r->incident);
  g_free (r);
}

static gint64
mentions (Store *store, const void *ip, GError **error)
{
  g_autoptr (StoreStmt) stmt = store_prepare (store, SQL_MENTIONS, error);

  if (stmt == NULL)
    return -1;
  store_bind_blob16 (stmt, ":ip", ip);
  return store_next (stmt) == STORE_ROW ? store_column_int64 (stmt, 0) : -1;
}

/* The related tickets found so far: each once (seen holds their
 * numbers), for the ticket they are related to. */
typedef struct
{
  gint64 ticket;
  GPtrArray *related;
  GHashTable *seen;
} Relatives;

/* The other tickets sharing one address, or its /24 (/48 for IPv6);
 * mine is the address as the ticket wrote it. */
static gboolean
sharing (Store *store, Relatives *found, const guint8 *ip, const char *mine,
         GError **error)
{
  g_autoptr (StoreStmt) stmt = store_prepare (store, SQL_SHARING, error);
  Network net;
  guint8 first[16], last[16];
  gint64 count = mentions (store, ip, error);
  int rc;

  if (stmt == NULL || count < 0)
    return FALSE;
  memcpy (net.net, ip, 16);
  net.prefix = address_is_v4 (ip) ? 96 + 24 : 48;
  address_network_bounds (&net, first, last);
  store_bind_blob16 (stmt, ":ip", ip);
  store_bind_blob16 (stmt, ":first", first);
  store_bind_blob16 (stmt, ":last", last);
  store_bind_int (stmt, ":ticket", found->ticket);
  while ((rc = store_next (stmt)) == STORE_ROW)
    {
      StoreRelated *r;

      if (!g_hash_table_add (found->seen, store_column_text (stmt, 0)))
        continue;
      r = g_new0 (StoreRelated, 1);
      r->number = store_column_text (stmt, 0);
      r->subject = store_column_text (stmt, 1);
      r->theirs = store_column_text (stmt, 2);
      r->exact = store_column_int (stmt, 3);
      r->incident = store_column_text (stmt, 4);
      r->mine = g_strdup (mine);
      r->mentions = count;
      g_ptr_array_add (found->related, r);
    }
  return rc == STORE_DONE
         || store_db_error (error, store, rc, "cannot read related");
}

GPtrArray *
store_ticket_related (Store *store, gint64 ticket_id, GError **error)
{
  g_autoptr (StoreStmt) stmt
      = store_prepare (store, SQL_TICKET_ADDRESSES, error);
  g_autoptr (GPtrArray) related
      = g_ptr_array_new_with_free_func ((GDestroyNotify) store_related_free);
  g_autoptr (GHashTable) seen
      = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  Relatives found = { .ticket = ticket_id, .related = related, .seen = seen };
  int rc;

  if (stmt == NULL)
    return NULL;
  store_bind_int (stmt, ":ticket", ticket_id);
  while ((rc = store_next (stmt)) == STORE_ROW)
    if (store_column_bytes (stmt, 0) == 16
        && !sharing (store, &found, store_column_blob (stmt, 0),
                     store_column_peek (stmt, 1), error))
      return NULL;
  if (rc != STORE_DONE)
    {
      store_db_error (error, store, rc, "cannot read addresses");
      return NULL;
    }
  return g_steal_pointer (&related);
}
