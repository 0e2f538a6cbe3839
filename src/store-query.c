/*
 * store-query.c - what the operator commands look up in the store: the
 * tickets a `list` filters, a ticket by its number, incidents, and how
 * far an import got.
 */
#include "madoguchi/store.h"

#include <string.h>

#include "store-db.h"

/* One statement for every filter: an unset filter is NULL (or 0) and
 * its condition true, so nothing is ever spliced into the SQL.  A search
 * of three characters or more looks in the full-text index and reads
 * whole only the messages that wait to enter it (index_messages in
 * store.c: fewer than 32); a shorter one reads every message whole.
 *
 * "(:x IS NULL OR ...)" keeps the planner from starting at the tickets
 * a filter names: it walks the order's index, as it should for most
 * filters, but an address or a reporter names a few tickets of a
 * million, and walking to the oldest ticket took 350 ms.  So each has
 * a statement of its own, where its condition is plain ("id IN ...")
 * and the planner starts from it: the addresses' index, or the tickets
 * of the reporters (table reporter, store-tally.c) that match. */
#define SQL_TICKET_LIST_WHERE_(like, search, by_reporter, by_ip)               \
  SQL_TICKET_COLUMNS                                                           \
  "WHERE merged_into IS NULL "                                                 \
  "AND (:status IS NULL OR status = :status) "                                 \
  "AND (:category IS NULL OR category = :category) "                           \
  "AND (:owner IS NULL OR owner = :owner) "                                    \
  "AND (:unassigned = 0 OR owner IS NULL) "                                    \
  "AND " by_reporter (like) "AND (:since = 0 OR created >= :since) "           \
                            "AND (:until = 0 OR created < :until) "            \
                            "AND " by_ip                                       \
                            "AND (:search IS NULL OR id IN (" search ")) "

#define REPORTER_LIKE(like) like " '%' || :reporter_like || '%' ESCAPE '\\'"

#define REPORTER_ANY(like)                                                     \
  "(:reporter IS NULL OR reporter " REPORTER_LIKE (like) ") "
#define REPORTER_FIRST(like)                                                   \
  "(:reporter IS NOT NULL AND reporter IN (SELECT r.reporter FROM "            \
  "  reporter r WHERE r.reporter " REPORTER_LIKE (like) ")) "

#define IP_TICKETS                                                             \
  "id IN (SELECT ticket_id FROM indicator "                                    \
  "  WHERE ip BETWEEN :first AND :last UNION SELECT ticket_id FROM "           \
  "  indicator WHERE kind IN ('cidr', 'range') AND ip <= :last "               \
  "  AND ip_end >= :first)"
#define IP_ANY "(:by_ip = 0 OR " IP_TICKETS ") "
#define IP_FIRST "(:by_ip = 1 AND " IP_TICKETS ") "

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

#define SQL_TICKET_LIST_SQLITE(by_reporter, by_ip)                             \
  SQL_TICKET_LIST_WHERE_ ("LIKE", SQL_SEARCH_SQLITE, by_reporter, by_ip)
#define SQL_TICKET_LIST_POSTGRES(by_reporter, by_ip)                           \
  SQL_TICKET_LIST_WHERE_ ("ILIKE", SQL_SEARCH_POSTGRES, by_reporter, by_ip)

/* One statement per order, so that each can walk its index and stop at
 * the limit (an ORDER BY expression would sort the whole table). */
#define SQL_TICKET_LIST_ORDER(by_reporter, by_ip, order)                       \
  {                                                                            \
    .sqlite = SQL_TICKET_LIST_SQLITE (by_reporter, by_ip) order,               \
    .postgres = SQL_TICKET_LIST_POSTGRES (by_reporter, by_ip) order,           \
  }

#define SQL_TICKET_LIST_ORDERS(by_reporter, by_ip)                             \
  {                                                                            \
    SQL_TICKET_LIST_ORDER (by_reporter, by_ip,                                 \
                           "ORDER BY created DESC, id DESC LIMIT :limit"),     \
        SQL_TICKET_LIST_ORDER (by_reporter, by_ip,                             \
                               "ORDER BY created, id LIMIT :limit"),           \
        SQL_TICKET_LIST_ORDER (by_reporter, by_ip,                             \
                               "ORDER BY year DESC, seq DESC LIMIT :limit"),   \
        SQL_TICKET_LIST_ORDER (by_reporter, by_ip,                             \
                               "ORDER BY year, seq LIMIT :limit"),             \
        SQL_TICKET_LIST_ORDER (by_reporter, by_ip,                             \
                               "ORDER BY updated DESC, id DESC LIMIT :limit"), \
        SQL_TICKET_LIST_ORDER (by_reporter, by_ip,                             \
                               "ORDER BY updated, id LIMIT :limit"),           \
  }

/* [0] any filter; [1] by address; [2] by reporter, not by address. */
static const StoreSql SQL_TICKET_LIST[3][6] = {
  SQL_TICKET_LIST_ORDERS (REPORTER_ANY, IP_ANY),
  SQL_TICKET_LIST_ORDERS (REPORTER_ANY, IP_FIRST),
  SQL_TICKET_LIST_ORDERS (REPORTER_FIRST, IP_ANY),
};

static const char SQL_TICKET_GET[]
    = SQL_TICKET_COLUMNS "WHERE number = :number";

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

/* Up to IP_FEW addresses in the range, list --ip starts from them;
 * past it, from the order's index: a /16 of bench/operator.sh's store
 * names 3,900 tickets, and looking each up took longer than walking the
 * 12,800 newest to the 50th (the lookups jump about the table, the walk
 * reads its pages in order). */
#define IP_FEW 1000

static const char SQL_IP_FEW[]
    = "SELECT COUNT(*) FROM (SELECT 1 FROM indicator WHERE ip BETWEEN "
      ":first AND :last LIMIT :cap) AS found";

/* The statement list --ip starts from: few addresses (1), or many (0). */
static int
ip_start (Store *store, const StoreFilter *filter, GError **error)
{
  g_autoptr (StoreStmt) stmt = store_prepare (store, SQL_IP_FEW, error);

  if (stmt == NULL)
    return -1;
  store_bind_blob16 (stmt, ":first", filter->ip_first);
  store_bind_blob16 (stmt, ":last", filter->ip_last);
  store_bind_int (stmt, ":cap", IP_FEW + 1);
  if (store_next (stmt) != STORE_ROW)
    {
      store_db_error (error, store, STORE_FAIL, "cannot read addresses");
      return -1;
    }
  return store_column_int64 (stmt, 0) <= IP_FEW ? 1 : 0;
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
  int start = filter->by_ip              ? ip_start (store, filter, error)
              : filter->reporter != NULL ? 2
                                         : 0;
  const char *sql = NULL;
  g_autoptr (StoreStmt) stmt = NULL;

  if (start < 0)
    return NULL;
  sql = store_sql (store, &SQL_TICKET_LIST[start][order]);
  stmt = store_prepare (store, sql, error);
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
