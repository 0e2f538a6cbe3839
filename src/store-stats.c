/*
 * store-stats.c - the store's side of `madoguchi stats`: what a CSIRT
 * publishes about a period, read in one read transaction so that the
 * tables agree with each other.
 *
 * A report is a ticket, counted in the local month it was created in;
 * a ticket merged into another is an empty shell (its messages, evidence
 * and history moved) and no report of its own.  Reports and incidents
 * are separate figures: an incident is the period's tickets that share
 * ticket.incident_id, or a ticket in no incident, and it counts in the
 * month and the category of its first ticket.
 *
 * An operator action is the first audit event of a ticket that neither
 * the MTA's delivery (who 'deliver') nor the intake itself ('created',
 * 'claimed', 'follow-up', whoever ran `spool run`) wrote.
 * XXX: a follow-up filed by `spool run` that reopens a resolved ticket
 * writes a 'status' event under the operator's name; it counts as an
 * action, although nobody acted.  Only resolved tickets can have one.
 */
#include "madoguchi/stats.h"

#include <string.h>

#include "madoguchi/address.h"
#include "store-db.h"

/* The local month of a time: SQLite's localtime is the process's zone,
 * PostgreSQL's the session's TimeZone, which store-pg.c sets to it. */
#define MONTH_SQLITE(t) "strftime ('%Y-%m', " t ", 'unixepoch', 'localtime')"
#define MONTH_POSTGRES(t) "to_char (to_timestamp (" t "), 'YYYY-MM')"

/* The first ticket of each incident among the period's: an incident
 * counts in its month and category (the tickets in no incident are
 * the tally's "loose" ones).  +created: from the tickets in incidents
 * (ticket_incident), not from the period's million. */
static const char SQL_STATS_INCIDENT_FIRSTS[]
    = "SELECT created, category FROM (SELECT created, category, "
      "row_number () OVER (PARTITION BY incident_id ORDER BY created, id) "
      "AS nth FROM ticket WHERE incident_id IS NOT NULL "
      "AND merged_into IS NULL AND +created >= :since "
      "AND +created < :until) AS firsts WHERE nth = 1";

/* Notifications to the sites, by the month they were made and the
 * category of their ticket (the seed's "notifications" beside
 * "reports"). */
#define SQL_STATS_NOTIFICATIONS_(month)                                        \
  "SELECT " month " AS month, "                                                \
  "t.category, COUNT(*) FROM notification n JOIN ticket t "                    \
  "ON t.id = n.ticket_id WHERE n.created >= :since AND n.created < :until "    \
  "GROUP BY month, t.category"

static const StoreSql SQL_STATS_NOTIFICATIONS = {
  .sqlite = SQL_STATS_NOTIFICATIONS_ (MONTH_SQLITE ("n.created")),
  .postgres = SQL_STATS_NOTIFICATIONS_ (MONTH_POSTGRES ("n.created")),
};

/* The acknowledgements made in the period, by what came of them (the
 * outbox's notifications have the team's envelope sender). */
static const char SQL_STATS_ACK_FATES[]
    = "SELECT CASE WHEN state = 'sent' AND via = 'maildir' THEN 1 "
      "WHEN state = 'sent' THEN 0 ELSE 2 END AS fate, COUNT(*) FROM outbox "
      "WHERE created >= :since AND created < :until "
      "AND envelope_from IS NULL GROUP BY fate"; /* not notifications */

/* Public addresses that reports name, by tickets and by reporters. */
static const char SQL_STATS_SOURCES[]
    = "SELECT i.ip, COUNT(DISTINCT i.ticket_id), "
      "COUNT(DISTINCT lower(t.reporter)) "
      "FROM indicator i JOIN ticket t ON t.id = i.ticket_id "
      "WHERE i.kind IN ('ipv4', 'ipv6') "
      "AND i.scope IN ('global', 'documentation') AND length(i.ip) = 16 "
      "AND t.merged_into IS NULL "
      "AND t.created >= :since AND t.created < :until "
      "GROUP BY i.ip ORDER BY 2 DESC, 3 DESC, i.ip LIMIT :top";

/* The same by prefix: the first 15 bytes of an IPv4 address in its
 * 16-byte form (::ffff:a.b.c.0/120, a /24), the first 6 of IPv6 (/48).
 * The keys differ in length, so the two families never mix. */
#define SQL_STATS_PREFIXES_(v4_mapped)                                         \
  "SELECT CASE WHEN substr(i.ip, 1, 12) = " v4_mapped                          \
  " THEN substr(i.ip, 1, 15) "                                                 \
  "ELSE substr(i.ip, 1, 6) END AS prefix, "                                    \
  "COUNT(DISTINCT i.ticket_id), COUNT(DISTINCT lower(t.reporter)) "            \
  "FROM indicator i JOIN ticket t ON t.id = i.ticket_id "                      \
  "WHERE i.kind IN ('ipv4', 'ipv6') "                                          \
  "AND i.scope IN ('global', 'documentation') AND length(i.ip) = 16 "          \
  "AND t.merged_into IS NULL "                                                 \
  "AND t.created >= :since AND t.created < :until "                            \
  "GROUP BY prefix ORDER BY 2 DESC, 3 DESC, prefix LIMIT :top"

static const StoreSql SQL_STATS_PREFIXES = {
  .sqlite = SQL_STATS_PREFIXES_ ("X'00000000000000000000FFFF'"),
  .postgres = SQL_STATS_PREFIXES_ ("'\\x00000000000000000000FFFF'::bytea"),
};

/* Seconds from each ticket's creation to its first operator action,
 * for the tickets an operator acted on, shortest first, so that the
 * median is in the middle; an action stamped before its ticket counts
 * as 0.  The actions are read first, from the partial index that holds
 * only them (event_action): from the period's tickets, the planner
 * looked up the events of each of a million. */
static const char SQL_STATS_DELAYS[]
    = "SELECT CASE WHEN d < 0 THEN 0 ELSE d END AS delay FROM ("
      "SELECT a.first - t.created AS d FROM (SELECT ticket_id, "
      "MIN (at) AS first FROM event " SQL_EVENT_ACTION " GROUP BY ticket_id) "
      "AS a JOIN ticket t ON t.id = a.ticket_id WHERE t.merged_into IS NULL "
      "AND t.created >= :since AND t.created < :until) AS acted "
      "ORDER BY delay";

static StoreStmt *
prepare_range (Store *store, const char *sql, const StatsRange *range,
               GError **error)
{
  StoreStmt *stmt = store_prepare (store, sql, error);

  if (stmt == NULL)
    return NULL;
  store_bind_int (stmt, ":since", range->since);
  store_bind_int (stmt, ":until", range->until);
  return stmt;
}

/* The month's row; one missing from the layout (a time zone that SQLite
 * and GLib see differently) is added, so that no ticket goes uncounted. */
static StatsMonth *
month_row (StatsTable *table, GHashTable *index, const char *month)
{
  StatsMonth *m = g_hash_table_lookup (index, month);

  if (m != NULL)
    return m;
  m = g_new0 (StatsMonth, 1);
  m->month = g_strdup (month);
  g_ptr_array_add (table->months, m);
  g_hash_table_insert (index, m->month, m);
  return m;
}

static gint
month_compare (gconstpointer a, gconstpointer b)
{
  const StatsMonth *const *x = a;
  const StatsMonth *const *y = b;

  return strcmp ((*x)->month, (*y)->month);
}

static void
month_add (StatsTable *table, StatsMonth *m, const char *category, gint64 count)
{
  int c = report_category_index (category);

  if (c < 0)
    c = REPORT_CATEGORIES - 1; /* "other" */
  m->counts[c] += count;
  m->total += count;
  table->totals.counts[c] += count;
  table->totals.total += count;
}

/* Fills table, laid out with every month of range, from sql's rows of
 * (month, category, count). */
static gboolean
read_table (Store *store, const char *sql, const StatsRange *range,
            StatsTable *table, GError **error)
{
  g_autoptr (StoreStmt) stmt = prepare_range (store, sql, range, error);
  g_autoptr (GHashTable) index = g_hash_table_new (g_str_hash, g_str_equal);
  guint laid_out;
  int rc;

  if (stmt == NULL)
    return FALSE;
  table->months = stats_months (range);
  table->totals.month = g_strdup ("total");
  laid_out = table->months->len;
  for (guint i = 0; i < laid_out; i++)
    {
      StatsMonth *m = table->months->pdata[i];

      g_hash_table_insert (index, m->month, m);
    }
  while ((rc = store_next (stmt)) == STORE_ROW)
    month_add (table, month_row (table, index, store_column_peek (stmt, 0)),
               store_column_peek (stmt, 1), store_column_int64 (stmt, 2));
  if (rc != STORE_DONE)
    return store_db_error (error, store, rc, "cannot count tickets");
  if (table->months->len != laid_out)
    g_ptr_array_sort (table->months, month_compare);
  return TRUE;
}

/* The months of a table, as stats_months lays them out, and where
 * each begins in the local time they are named in: month i is
 * [bounds[i], bounds[i + 1]), n + 1 times for n months. */
static GArray *
month_bounds (const GPtrArray *months)
{
  GArray *bounds = g_array_new (FALSE, FALSE, sizeof (gint64));

  for (guint i = 0; i <= months->len && months->len > 0; i++)
    {
      const char *name
          = ((StatsMonth *) months->pdata[MIN (i, months->len - 1)])->month;
      g_autoptr (GDateTime) first = g_date_time_new_local (
          (gint) g_ascii_strtoll (name, NULL, 10),
          (gint) g_ascii_strtoll (name + 5, NULL, 10), 1, 0, 0, 0);
      g_autoptr (GDateTime) start
          = g_date_time_add_months (first, i == months->len ? 1 : 0);
      gint64 t = g_date_time_to_unix (start);

      g_array_append_val (bounds, t);
    }
  return bounds;
}

/* The month of bounds that t falls in (the first or last if outside). */
static guint
month_of (const GArray *bounds, gint64 t)
{
  guint lo = 0, hi = bounds->len - 1; /* bounds->len >= 2 */

  while (hi - lo > 1)
    {
      guint mid = (lo + hi) / 2;

      if (g_array_index (bounds, gint64, mid) <= t)
        lo = mid;
      else
        hi = mid;
    }
  return lo;
}

/* What the monthly tables are read with. */
typedef struct
{
  Store *store;
  StatsRange range;
  GArray *bounds; /* month_bounds () of the tables' months */
} Monthly;

typedef struct
{
  StatsTable *table;
  StatsMonth *month;
} MonthCell;

static void
add_to_month (gpointer data, const char *category, gint64 count)
{
  MonthCell *cell = data;

  month_add (cell->table, cell->month, category, count);
}

static void
table_layout (StatsTable *table, const StatsRange *range)
{
  table->months = stats_months (range);
  table->totals.month = g_strdup ("total");
}

/* Adds kind's tally of each month (within the period) to table. */
static gboolean
tally_months (Monthly *mo, const char *kind, StatsTable *table, GError **error)
{
  for (guint i = 0; i < table->months->len; i++)
    {
      MonthCell cell = { .table = table, .month = table->months->pdata[i] };
      StoreTallyQuery q = {
        .kind = kind,
        .since = MAX (mo->range.since, g_array_index (mo->bounds, gint64, i)),
        .until
        = MIN (mo->range.until, g_array_index (mo->bounds, gint64, i + 1)),
        .add = add_to_month,
        .data = &cell,
      };

      if (!store_tally_read (mo->store, &q, error))
        return FALSE;
    }
  return TRUE;
}

/* Adds each incident, in the month and category of its first ticket of
 * the period, to table. */
static gboolean
read_incident_firsts (Monthly *mo, StatsTable *table, GError **error)
{
  g_autoptr (StoreStmt) stmt
      = prepare_range (mo->store, SQL_STATS_INCIDENT_FIRSTS, &mo->range, error);
  int rc;

  if (stmt == NULL)
    return FALSE;
  while ((rc = store_next (stmt)) == STORE_ROW && mo->bounds->len >= 2)
    month_add (table,
               table->months
                   ->pdata[month_of (mo->bounds, store_column_int64 (stmt, 0))],
               store_column_peek (stmt, 1), 1);
  if (rc == STORE_ROW || rc == STORE_DONE)
    return TRUE;
  return store_db_error (error, mo->store, rc, "cannot count incidents");
}

/* Reports and incidents per month and category. */
static gboolean
read_monthly (Store *store, Stats *stats, GError **error)
{
  g_autoptr (GArray) bounds = NULL;
  Monthly mo = { .store = store, .range = stats->range };

  table_layout (&stats->reports, &stats->range);
  table_layout (&stats->incidents, &stats->range);
  mo.bounds = bounds = month_bounds (stats->reports.months);
  return tally_months (&mo, "ticket", &stats->reports, error)
         && tally_months (&mo, "loose", &stats->incidents, error)
         && read_incident_firsts (&mo, &stats->incidents, error);
}

/* Adds count to decision's row (a handful: looked for in turn). */
static void
add_reason (gpointer data, const char *decision, gint64 count)
{
  GPtrArray *rows = data;
  StatsReason *r = NULL;

  for (guint i = 0; i < rows->len && r == NULL; i++)
    if (strcmp (((StatsReason *) rows->pdata[i])->reason, decision) == 0)
      r = rows->pdata[i];
  if (r == NULL)
    {
      r = g_new0 (StatsReason, 1);
      r->reason = g_strdup (decision);
      g_ptr_array_add (rows, r);
    }
  r->count += count;
}

/* The most frequent first, then by name. */
static gint
reason_compare (gconstpointer a, gconstpointer b)
{
  const StatsReason *x = *(StatsReason *const *) a;
  const StatsReason *y = *(StatsReason *const *) b;

  if (x->count != y->count)
    return x->count > y->count ? -1 : 1;
  return strcmp (x->reason, y->reason);
}

static gboolean
read_acks (Store *store, Stats *stats, GError **error)
{
  g_autoptr (GPtrArray) rows
      = g_ptr_array_new_with_free_func ((GDestroyNotify) stats_reason_free);
  StoreTallyQuery q = {
    .kind = "ack",
    .since = stats->range.since,
    .until = stats->range.until,
    .add = add_reason,
    .data = rows,
  };

  if (!store_tally_read (store, &q, error))
    return FALSE;
  g_ptr_array_sort (rows, reason_compare);
  stats->ack_reasons
      = g_ptr_array_new_with_free_func ((GDestroyNotify) stats_reason_free);
  for (guint i = 0; i < rows->len; i++)
    {
      StatsReason *r = rows->pdata[i];

      if (r->count == 0) /* none left in the period */
        continue;
      if (strcmp (r->reason, "acknowledged") == 0)
        {
          stats->ack_sent += r->count;
          continue;
        }
      stats->ack_suppressed += r->count;
      g_ptr_array_add (stats->ack_reasons, r);
      rows->pdata[i] = NULL; /* moved */
    }
  return TRUE;
}

static gboolean
read_ack_fates (Store *store, Stats *stats, GError **error)
{
  g_autoptr (StoreStmt) stmt
      = prepare_range (store, SQL_STATS_ACK_FATES, &stats->range, error);
  gint64 *fates[]
      = { &stats->ack_delivered, &stats->ack_outboxed, &stats->ack_pending };
  int rc;

  if (stmt == NULL)
    return FALSE;
  while ((rc = store_next (stmt)) == STORE_ROW)
    *fates[store_column_int (stmt, 0)] = store_column_int64 (stmt, 1);
  if (rc == STORE_DONE)
    return TRUE;
  return store_db_error (error, store, rc, "cannot read the outbox");
}

/* A 16-byte address, or the key of a prefix, padded with zeros. */
static StatsSource *
source_from_row (StoreStmt *stmt, gboolean prefix)
{
  StatsSource *s = g_new0 (StatsSource, 1);
  guint8 ip[16] = { 0 };
  int len = MIN (store_column_bytes (stmt, 0), 16);
  g_autofree char *text = NULL;

  memcpy (ip, store_column_blob (stmt, 0), (gsize) len);
  text = address_format (ip, FALSE);
  if (!prefix)
    s->label = g_steal_pointer (&text);
  else
    s->label = g_strdup_printf ("%s/%s", text, len == 15 ? "24" : "48");
  s->tickets = store_column_int64 (stmt, 1);
  s->reporters = store_column_int64 (stmt, 2);
  return s;
}

static gpointer
address_from_row (StoreStmt *stmt)
{
  return source_from_row (stmt, FALSE);
}

static gpointer
prefix_from_row (StoreStmt *stmt)
{
  return source_from_row (stmt, TRUE);
}

static GPtrArray *
read_sources (Store *store, const StatsRange *range, guint top, gboolean prefix,
              GError **error)
{
  g_autoptr (StoreStmt) stmt = prepare_range (
      store,
      prefix ? store_sql (store, &SQL_STATS_PREFIXES) : SQL_STATS_SOURCES,
      range, error);

  if (stmt == NULL)
    return NULL;
  store_bind_int (stmt, ":top", top);
  return store_collect_rows (store, stmt,
                             prefix ? prefix_from_row : address_from_row,
                             (GDestroyNotify) stats_source_free, error);
}

static gboolean
read_delays (Store *store, Stats *stats, GError **error)
{
  g_autoptr (StoreStmt) stmt
      = prepare_range (store, SQL_STATS_DELAYS, &stats->range, error);
  g_autoptr (GArray) delays = g_array_new (FALSE, FALSE, sizeof (gint64));
  gint64 sum = 0;
  guint n;
  int rc;

  if (stmt == NULL)
    return FALSE;
  while ((rc = store_next (stmt)) == STORE_ROW)
    {
      gint64 delay = store_column_int64 (stmt, 0);

      g_array_append_val (delays, delay);
      sum += delay;
    }
  if (rc != STORE_DONE)
    return store_db_error (error, store, rc, "cannot read events");
  n = delays->len;
  stats->tickets = stats->reports.totals.total;
  stats->acted = n;
  stats->median_delay = n == 0  ? -1
                        : n % 2 ? g_array_index (delays, gint64, n / 2)
                                : (g_array_index (delays, gint64, n / 2 - 1)
                                   + g_array_index (delays, gint64, n / 2))
                                      / 2;
  stats->mean_delay = n == 0 ? -1 : (sum + n / 2) / n;
  return TRUE;
}

static gboolean
read_all (Store *store, Stats *stats, guint top, GError **error)
{
  if (!read_monthly (store, stats, error)
      || !read_table (store, store_sql (store, &SQL_STATS_NOTIFICATIONS),
                      &stats->range, &stats->notifications, error)
      || !read_acks (store, stats, error)
      || !read_ack_fates (store, stats, error))
    return FALSE;
  stats->sources = read_sources (store, &stats->range, top, FALSE, error);
  if (stats->sources == NULL)
    return FALSE;
  stats->prefixes = read_sources (store, &stats->range, top, TRUE, error);
  return stats->prefixes != NULL && read_delays (store, stats, error);
}

Stats *
store_stats (Store *store, const StatsRange *range, guint top, GError **error)
{
  g_autoptr (Stats) stats = g_new0 (Stats, 1);
  gboolean ok;

  stats->range = *range;
  /* One snapshot: a delivery between two queries must not make the
   * tables disagree.  Deferred, so that writers are not held up. */
  if (!store_begin_read (store, error))
    return NULL;
  ok = read_all (store, stats, top, error) && store_commit (store, error);
  if (!ok)
    {
      store_rollback (store);
      return NULL;
    }
  return g_steal_pointer (&stats);
}
