/*
 * store-query.c - what the operator commands read from the store, and
 * the changes they make (each with an audit event).
 */
#include "madoguchi/store.h"

#include <string.h>
#include <time.h>

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

/* One statement for every filter: an unset filter is NULL (or 0) and
 * its condition true, so nothing is ever spliced into the SQL.  A search
 * of three characters or more looks in the full-text index and reads
 * whole only the messages that wait to enter it (index_messages in
 * store.c: fewer than 32); a shorter one reads every message whole. */
#define SQL_TICKET_LIST_WHERE_(like, search)                                   \
  SQL_TICKET_COLUMNS                                                           \
  "WHERE merged_into IS NULL "                                                 \
  "AND (:status IS NULL OR status = :status) "                                 \
  "AND (:category IS NULL OR category = :category) "                           \
  "AND (:owner IS NULL OR owner = :owner) "                                    \
  "AND (:unassigned = 0 OR owner IS NULL) "                                    \
  "AND (:reporter IS NULL OR reporter " like " '%' || :reporter_like || '%' "  \
  "  ESCAPE '\\') "                                                            \
  "AND (:since = 0 OR created >= :since) "                                     \
  "AND (:until = 0 OR created < :until) "                                      \
  "AND (:by_ip = 0 OR id IN (SELECT ticket_id FROM indicator "                 \
  "  WHERE ip BETWEEN :first AND :last UNION SELECT ticket_id FROM "           \
  "  indicator WHERE kind IN ('cidr', 'range') AND ip <= :last "               \
  "  AND ip_end >= :first)) "                                                  \
  "AND (:search IS NULL OR id IN (" search ")) "

#define SQL_SEARCH_SQLITE                                                      \
  "SELECT ticket_id FROM message WHERE "                                       \
  "  length (:search) >= 3 AND id IN (SELECT rowid FROM message_fts "          \
  "    WHERE message_fts MATCH :phrase) "                                      \
  "  UNION SELECT ticket_id FROM message WHERE id > (CASE WHEN "               \
  "    length (:search) < 3 THEN 0 ELSE (SELECT COALESCE (max (id), 0) "       \
  "    FROM message_fts_docsize) END) "                                        \
  "  AND (madoguchi_fold (subject) LIKE '%' || :search_like || '%' "           \
  "    ESCAPE '\\' OR madoguchi_fold (text) LIKE '%' || :search_like "         \
  "    || '%' ESCAPE '\\')"

/* PostgreSQL: pg_trgm's GIN indexes on the same folded expressions
 * (schema-pg.sql) serve ILIKE, of the first 1 Mi characters as FTS5's
 * index holds; there is no backlog of messages waiting to be indexed. */
#define SQL_SEARCH_POSTGRES                                                    \
  "SELECT ticket_id FROM message WHERE "                                       \
  "  madoguchi_fold (subject) ILIKE '%' || :search_like || '%' ESCAPE '\\' "   \
  "  OR madoguchi_fold (left (text, 1048576)) ILIKE '%' || :search_like "      \
  "  || '%' ESCAPE '\\'"

#define SQL_TICKET_LIST_SQLITE                                                 \
  SQL_TICKET_LIST_WHERE_ ("LIKE", SQL_SEARCH_SQLITE)
#define SQL_TICKET_LIST_POSTGRES                                               \
  SQL_TICKET_LIST_WHERE_ ("ILIKE", SQL_SEARCH_POSTGRES)

/* One statement per order, so that each can walk its index and stop at
 * the limit (an ORDER BY expression would sort the whole table). */
#define SQL_TICKET_LIST_ORDER(order)                                           \
  {                                                                            \
    .sqlite = SQL_TICKET_LIST_SQLITE order,                                    \
    .postgres = SQL_TICKET_LIST_POSTGRES order,                                \
  }

static const StoreSql SQL_TICKET_LIST[] = {
  SQL_TICKET_LIST_ORDER ("ORDER BY created DESC, id DESC LIMIT :limit"),
  SQL_TICKET_LIST_ORDER ("ORDER BY created, id LIMIT :limit"),
  SQL_TICKET_LIST_ORDER ("ORDER BY year DESC, seq DESC LIMIT :limit"),
  SQL_TICKET_LIST_ORDER ("ORDER BY year, seq LIMIT :limit"),
  SQL_TICKET_LIST_ORDER ("ORDER BY updated DESC, id DESC LIMIT :limit"),
  SQL_TICKET_LIST_ORDER ("ORDER BY updated, id LIMIT :limit"),
};

static const char SQL_TICKET_GET[]
    = SQL_TICKET_COLUMNS "WHERE number = :number";

static const char SQL_PART_LIST[]
    = "SELECT depth, content_type, filename, charset, size, forwarded "
      "FROM part WHERE message_id = :message ORDER BY idx";

static const char SQL_MESSAGE_RAW[]
    = "SELECT bytes FROM message_raw WHERE message_id = :message ORDER BY seq";

void
store_ticket_free (StoreTicket *t)
{
  if (t == NULL)
    return;
  g_free (t->number);
  g_free (t->status);
  g_free (t->category);
  g_free (t->category_by);
  g_free (t->auto_category);
  g_free (t->incident);
  g_free (t->owner);
  g_free (t->reporter);
  g_free (t->reporter_name);
  g_free (t->subject);
  g_free (t->merged_into);
  g_free (t->encryption);
  g_free (t->signature);
  g_free (t->signer);
  g_free (t);
}

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

gpointer
store_ticket_from_row (StoreStmt *stmt)
{
  StoreTicket *t = g_new0 (StoreTicket, 1);

  t->id = store_column_int64 (stmt, 0);
  t->number = store_column_text (stmt, 1);
  t->created = store_column_int64 (stmt, 2);
  t->status = store_column_text (stmt, 3);
  t->category = store_column_text (stmt, 4);
  t->category_by = store_column_text (stmt, 5);
  t->owner = store_column_text (stmt, 6);
  t->reporter = store_column_text (stmt, 7);
  t->reporter_name = store_column_text (stmt, 8);
  t->subject = store_column_text (stmt, 9);
  t->auto_category = store_column_text (stmt, 10);
  t->incident = store_column_text (stmt, 11);
  t->updated = store_column_int64 (stmt, 12);
  t->merged_into = store_column_text (stmt, 13);
  t->reply_waiting = store_column_int (stmt, 14) != 0;
  t->encryption = store_column_text (stmt, 15);
  t->signature = store_column_text (stmt, 16);
  t->signer = store_column_text (stmt, 17);
  return t;
}

/* text for LIKE with its wildcards (% and _) taken literally. */
static char *
like_literal (const char *text)
{
  GString *s;

  if (text == NULL)
    return NULL;
  s = g_string_new (NULL);
  for (const char *p = text; *p != '\0'; p++)
    {
      if (*p == '%' || *p == '_' || *p == '\\')
        g_string_append_c (s, '\\');
      g_string_append_c (s, *p);
    }
  return g_string_free (s, FALSE);
}

char *
store_fold (const char *text)
{
  char *folded;

  if (text == NULL)
    return NULL;
  /* ASCII is its own NFKC form: most reports are, in bulk. */
  for (const char *p = text; (guchar) *p < 0x80; p++)
    if (*p == '\0')
      return g_strdup (text);
  folded = g_utf8_normalize (text, -1, G_NORMALIZE_NFKC);
  return folded ? folded : g_strdup (text);
}

/* The search as one FTS5 phrase: quotes doubled, so that whatever the
 * operator types is text to find, never query syntax. */
static char *
fts_phrase (const char *search)
{
  g_autoptr (GString) s = g_string_new ("\"");

  if (search == NULL)
    return NULL;
  for (const char *p = search; *p != '\0'; p++)
    {
      if (*p == '"')
        g_string_append_c (s, '"');
      g_string_append_c (s, *p);
    }
  g_string_append_c (s, '"');
  return g_string_free (g_steal_pointer (&s), FALSE);
}

static const char SQL_BY_SEQ[]
    = "SELECT number FROM ticket WHERE seq = :seq ORDER BY id LIMIT 3";

/* A merged ticket's number leads to the ticket it was merged into. */
static const char SQL_FOLLOW_MERGES[]
    = "WITH RECURSIVE chain (id, merged_into, number, depth) AS ("
      "  SELECT id, merged_into, number, 0 FROM ticket WHERE number = :number "
      "  UNION ALL SELECT t.id, t.merged_into, t.number, c.depth + 1 "
      "  FROM ticket t JOIN chain c ON t.id = c.merged_into WHERE c.depth < 32"
      ") SELECT number FROM chain WHERE merged_into IS NULL";

/* The bare sequence "123": the ticket, if only one has it. */
static char *
number_by_seq (Store *store, const char *text, GError **error)
{
  g_autoptr (StoreStmt) stmt = store_prepare (store, SQL_BY_SEQ, error);
  g_autoptr (GPtrArray) found = NULL;
  GString *list;

  if (stmt == NULL)
    return NULL;
  store_bind_int (stmt, ":seq", g_ascii_strtoll (text, NULL, 10));
  found = store_collect_rows (store, stmt, store_column_first, g_free, error);
  if (found == NULL || found->len == 1)
    return found ? g_strdup (found->pdata[0]) : NULL;
  list = g_string_new (NULL);
  for (guint i = 0; i < found->len; i++)
    g_string_append_printf (list, "%s%s", i ? ", " : "",
                            (char *) found->pdata[i]);
  g_set_error (error, STORE_ERROR, STORE_ERROR_NOT_FOUND,
               found->len ? "ticket %s is ambiguous: %s%s" : "no ticket %s",
               text, list->str, found->len > 2 ? ", ..." : "");
  g_string_free (list, TRUE);
  return NULL;
}

char *
store_resolve_number (Store *store, const char *text, GError **error)
{
  g_autofree char *canonical = store_parse_number (text);
  g_autoptr (StoreStmt) stmt = NULL;
  int rc;

  if (canonical == NULL && text[0] != '\0'
      && strspn (text, "0123456789") == strlen (text))
    canonical = number_by_seq (store, text, error);
  else if (canonical == NULL)
    g_set_error (error, STORE_ERROR, STORE_ERROR_NOT_FOUND,
                 "\"%s\" is not a ticket number (like 2026-000123)", text);
  if (canonical == NULL)
    return NULL;
  stmt = store_prepare (store, SQL_FOLLOW_MERGES, error);
  if (stmt == NULL)
    return NULL;
  store_bind_text (stmt, ":number", canonical);
  rc = store_next (stmt);
  if (rc == STORE_ROW)
    return store_column_text (stmt, 0);
  if (rc == STORE_DONE)
    g_set_error (error, STORE_ERROR, STORE_ERROR_NOT_FOUND, "no ticket %s",
                 canonical);
  else
    store_db_error (error, store, rc, "cannot read ticket");
  return NULL;
}

GPtrArray *
store_list_tickets (Store *store, const StoreFilter *filter, GError **error)
{
  g_autofree char *search = store_fold (filter->search);
  g_autofree char *phrase = fts_phrase (search);
  g_autofree char *search_like = like_literal (search);
  g_autofree char *reporter_like = like_literal (filter->reporter);
  int order = (g_strcmp0 (filter->sort, "number") == 0    ? 2
               : g_strcmp0 (filter->sort, "updated") == 0 ? 4
                                                          : 0)
              + (filter->ascending ? 1 : 0);
  const char *sql = store_sql (store, &SQL_TICKET_LIST[order]);
  g_autoptr (StoreStmt) stmt = store_prepare (store, sql, error);

  if (stmt == NULL)
    return NULL;
  store_bind_int (stmt, ":limit",
                  filter->limit ? (gint64) filter->limit : G_MAXINT64);
  store_bind_int (stmt, ":by_ip", filter->by_ip);
  store_bind_blob16 (stmt, ":first", filter->ip_first);
  store_bind_blob16 (stmt, ":last", filter->ip_last);
  store_bind_text (stmt, ":status", filter->status);
  store_bind_text (stmt, ":category", filter->category);
  store_bind_text (stmt, ":owner", filter->owner);
  store_bind_int (stmt, ":unassigned", filter->unassigned);
  store_bind_text (stmt, ":reporter", filter->reporter);
  store_bind_int (stmt, ":since", filter->since);
  store_bind_int (stmt, ":until", filter->until);
  store_bind_text (stmt, ":search", search);
  store_bind_text (stmt, ":search_like", search_like);
  store_bind_text (stmt, ":reporter_like", reporter_like);
  if (store_has_param (stmt, ":phrase"))
    store_bind_text (stmt, ":phrase", phrase);
  return store_collect_rows (store, stmt, store_ticket_from_row,
                             (GDestroyNotify) store_ticket_free, error);
}

char *
store_parse_number (const char *text)
{
  g_autoptr (GRegex) re
      = g_regex_new ("(?:^|#)\\s*(\\d{4})-(\\d{1,9})"
                     "(?:/[0-9a-fA-F]{8}|/[0-9a-fA-F]{4})?\\]?$",
                     0, 0, NULL);
  g_autoptr (GMatchInfo) match = NULL;
  g_autofree char *year = NULL;
  g_autofree char *seq = NULL;
  g_autofree char *trimmed = g_strstrip (g_strdup (text));

  if (!g_regex_match (re, trimmed, 0, &match))
    return NULL;
  year = g_match_info_fetch (match, 1);
  seq = g_match_info_fetch (match, 2);
  return g_strdup_printf ("%s-%06" G_GINT64_FORMAT, year,
                          g_ascii_strtoll (seq, NULL, 10));
}

StoreTicket *
store_get_ticket (Store *store, const char *number, GError **error)
{
  g_autofree char *canonical = store_resolve_number (store, number, error);
  g_autoptr (StoreStmt) stmt = NULL;
  int rc;

  if (canonical == NULL)
    return NULL;
  stmt = store_prepare (store, SQL_TICKET_GET, error);
  if (stmt == NULL)
    return NULL;
  store_bind_text (stmt, ":number", canonical);
  rc = store_next (stmt);
  if (rc == STORE_ROW)
    return store_ticket_from_row (stmt);
  if (rc == STORE_DONE)
    g_set_error (error, STORE_ERROR, STORE_ERROR_NOT_FOUND, "no ticket %s",
                 canonical);
  else
    store_db_error (error, store, rc, "cannot read ticket");
  return NULL;
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

/* The other tickets sharing one address, or its /24 (/48 for IPv6). */
static gboolean
sharing (Store *store, gint64 ticket, const guint8 *ip, const char *mine,
         GPtrArray *related, GHashTable *seen, GError **error)
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
  store_bind_int (stmt, ":ticket", ticket);
  while ((rc = store_next (stmt)) == STORE_ROW)
    {
      StoreRelated *r;

      if (!g_hash_table_add (seen, store_column_text (stmt, 0)))
        continue;
      r = g_new0 (StoreRelated, 1);
      r->number = store_column_text (stmt, 0);
      r->subject = store_column_text (stmt, 1);
      r->theirs = store_column_text (stmt, 2);
      r->exact = store_column_int (stmt, 3);
      r->incident = store_column_text (stmt, 4);
      r->mine = g_strdup (mine);
      r->mentions = count;
      g_ptr_array_add (related, r);
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
  int rc;

  if (stmt == NULL)
    return NULL;
  store_bind_int (stmt, ":ticket", ticket_id);
  while ((rc = store_next (stmt)) == STORE_ROW)
    if (store_column_bytes (stmt, 0) == 16
        && !sharing (store, ticket_id, store_column_blob (stmt, 0),
                     store_column_peek (stmt, 1), related, seen, error))
      return NULL;
  if (rc != STORE_DONE)
    {
      store_db_error (error, store, rc, "cannot read addresses");
      return NULL;
    }
  return g_steal_pointer (&related);
}

static const char SQL_INCIDENT_LIST[]
    = "SELECT i.number, i.title, i.created, t.number, t.status, t.category, "
      "t.subject FROM incident i LEFT JOIN ticket t ON t.incident_id = i.id "
      "AND t.merged_into IS NULL WHERE :incident IS NULL "
      "OR i.number = :incident COLLATE NOCASE ORDER BY i.id DESC, t.id";

void
store_incident_row_free (StoreIncidentRow *r)
{
  g_free (r->incident);
  g_free (r->title);
  g_free (r->number);
  g_free (r->status);
  g_free (r->category);
  g_free (r->subject);
  g_free (r);
}

static gpointer
incident_row_from_row (StoreStmt *stmt)
{
  StoreIncidentRow *r = g_new0 (StoreIncidentRow, 1);

  r->incident = store_column_text (stmt, 0);
  r->title = store_column_text (stmt, 1);
  r->created = store_column_int64 (stmt, 2);
  r->number = store_column_text (stmt, 3);
  r->status = store_column_text (stmt, 4);
  r->category = store_column_text (stmt, 5);
  r->subject = store_column_text (stmt, 6);
  return r;
}

static const char SQL_INCIDENT_RESOLVE[]
    = "SELECT number FROM incident WHERE (:seq > 0 AND seq = :seq) "
      "OR number = :number COLLATE NOCASE ORDER BY id LIMIT 3";

char *
store_resolve_incident (Store *store, const char *text, GError **error)
{
  gboolean bare
      = text[0] != '\0' && strspn (text, "0123456789") == strlen (text);
  g_autofree char *number = g_ascii_strncasecmp (text, "INC-", 4) == 0
                                ? g_strdup (text)
                                : g_strconcat ("INC-", text, NULL);
  g_autoptr (StoreStmt) stmt
      = store_prepare (store, SQL_INCIDENT_RESOLVE, error);
  g_autoptr (GPtrArray) found = NULL;

  if (stmt == NULL)
    return NULL;
  store_bind_int (stmt, ":seq", bare ? g_ascii_strtoll (text, NULL, 10) : 0);
  store_bind_text (stmt, ":number", bare ? NULL : number);
  found = store_collect_rows (store, stmt, store_column_first, g_free, error);
  if (found != NULL && found->len == 1)
    return g_strdup (found->pdata[0]);
  if (found != NULL)
    g_set_error (error, STORE_ERROR, STORE_ERROR_NOT_FOUND,
                 found->len ? "incident %s is ambiguous: %s, %s%s"
                            : "no incident %s",
                 text, found->len ? (char *) found->pdata[0] : "",
                 found->len ? (char *) found->pdata[1] : "",
                 found->len > 2 ? ", ..." : "");
  return NULL;
}

GPtrArray *
store_incident_list (Store *store, const char *incident, GError **error)
{
  g_autoptr (StoreStmt) stmt = store_prepare (store, SQL_INCIDENT_LIST, error);

  if (stmt == NULL)
    return NULL;
  store_bind_text (stmt, ":incident", incident);
  return store_collect_rows (store, stmt, incident_row_from_row,
                             (GDestroyNotify) store_incident_row_free, error);
}

static const char SQL_IMPORT_GET[]
    = "SELECT done FROM import_state WHERE source = :source";

static const char SQL_IMPORT_SET[]
    = "INSERT INTO import_state (source, done) VALUES (:source, :done) "
      "ON CONFLICT (source) DO UPDATE SET done = :done";

gint64
store_import_done (Store *store, const char *source, GError **error)
{
  g_autoptr (StoreStmt) stmt = store_prepare (store, SQL_IMPORT_GET, error);
  int rc;

  if (stmt == NULL)
    return -1;
  store_bind_text (stmt, ":source", source);
  rc = store_next (stmt);
  if (rc == STORE_ROW)
    return store_column_int64 (stmt, 0);
  if (rc == STORE_DONE)
    return 0;
  store_db_error (error, store, rc, "cannot read the import state");
  return -1;
}

gboolean
store_import_advance (Store *store, const char *source, gint64 done,
                      GError **error)
{
  g_autoptr (StoreStmt) stmt = store_prepare (store, SQL_IMPORT_SET, error);

  if (stmt == NULL)
    return FALSE;
  store_bind_text (stmt, ":source", source);
  store_bind_int (stmt, ":done", done);
  return store_step (store, stmt, "cannot record the import state", error);
}
