/*
 * test-stats.c - the statistics and exports: periods and months (in a
 * fixed zone, JST-9, a POSIX TZ string that needs no tzdata), the
 * tables read from a store, the chart as well-formed XML, CSV quoting,
 * and the export cursor.  The store's on SQLite, and with
 * MADOGUCHI_TEST_PG=1 on PostgreSQL (unit/stats-pg, store-test.h).
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "madoguchi/csv.h"
#include "madoguchi/export.h"
#include "madoguchi/classify.h"
#include "madoguchi/extract.h"
#include "madoguchi/message.h"
#include "madoguchi/stats.h"

#include "../support/store-test.h"

#define NOW G_GINT64_CONSTANT (1795672204) /* 2026-11-26 14:50 JST */

typedef struct
{
  const char *text;
  gboolean end;
  gboolean ok;
  gint64 expected;
} TimeCase;

static const TimeCase time_cases[] = {
  { "2026-11-01", FALSE, TRUE, 1793458800 }, /* 2026-10-31T15:00Z */
  { "2026-11-30", TRUE, TRUE, 1796050800 },  /* 2026-11-30T15:00Z */
  { "2026-11", FALSE, TRUE, 1793458800 },
  { "2026-12", TRUE, TRUE, 1798729200 }, /* 2026-12-31T15:00Z */
  { "2026-02-28", TRUE, TRUE, 1772290800 },
  { "30d", FALSE, TRUE, NOW - 30 * 86400 },
  { "0d", TRUE, TRUE, NOW },
  { "12h", FALSE, TRUE, NOW - 12 * 3600 },
  { "2w", TRUE, TRUE, NOW - 14 * 86400 },
  { "2026-11-01T09:00:00", TRUE, TRUE, 1793458800 + 9 * 3600 },
  { "2026-11-01T00:00:00Z", FALSE, TRUE, 1793491200 },
  { "2026-11-01T25:00", FALSE, FALSE, 0 },
  { "12m", FALSE, FALSE, 0 },
  { "5", FALSE, FALSE, 0 },
  { "h", FALSE, FALSE, 0 },
  { "2026-02-29", FALSE, FALSE, 0 },
  { "2026-13", FALSE, FALSE, 0 },
  { "2026-00-10", FALSE, FALSE, 0 },
  { "2026-1-01", FALSE, FALSE, 0 },
  { "26-11-01", FALSE, FALSE, 0 },
  { "1969-12-31", FALSE, FALSE, 0 },
  { "2026-11-01x", FALSE, FALSE, 0 },
  { "2026-11-01-01", FALSE, FALSE, 0 },
  { "d", FALSE, FALSE, 0 },
  { "-5d", FALSE, FALSE, 0 },
  { "+5d", FALSE, FALSE, 0 },
  { "36501d", FALSE, FALSE, 0 },
  { "", FALSE, FALSE, 0 },
};

static void
test_parse_time (gconstpointer data)
{
  const TimeCase *c = data;
  gint64 t = -1;

  g_assert_cmpint (stats_parse_time (c->text, c->end, NOW, &t), ==, c->ok);
  g_assert_cmpint (t, ==, c->ok ? c->expected : -1);
}

static void
test_months (void)
{
  StatsRange year = stats_default_range (NOW);
  StatsRange three = { 1793458800 - 1, 1798729200 }; /* Oct to Dec */
  StatsRange empty = { 1798729200, 1798729200 };
  g_autoptr (GPtrArray) twelve = stats_months (&year);
  g_autoptr (GPtrArray) months = stats_months (&three);
  g_autoptr (GPtrArray) none = stats_months (&empty);

  g_assert_cmpuint (twelve->len, ==, 12);
  g_assert_cmpstr (((StatsMonth *) twelve->pdata[0])->month, ==, "2025-12");
  g_assert_cmpstr (((StatsMonth *) twelve->pdata[11])->month, ==, "2026-11");
  g_assert_cmpint (year.until, ==, 1796050800);
  g_assert_cmpuint (months->len, ==, 3);
  g_assert_cmpstr (((StatsMonth *) months->pdata[0])->month, ==, "2026-10");
  g_assert_cmpstr (((StatsMonth *) months->pdata[2])->month, ==, "2026-12");
  g_assert_cmpuint (none->len, ==, 0);
}

static void
test_range (void)
{
  g_autoptr (GError) error = NULL;
  StatsRange r;

  g_assert_true (stats_parse_range (NULL, NULL, FALSE, &r, &error));
  g_assert_cmpint (r.since, ==, G_MININT64);
  g_assert_cmpint (r.until, ==, G_MAXINT64);
  g_assert_true (stats_parse_range (NULL, "2026-06", TRUE, &r, &error));
  g_assert_cmpint (r.until - r.since, >, 360 * 86400);
  g_assert_cmpint (r.until - r.since, <, 370 * 86400);
  g_assert_false (stats_parse_range ("2026-06", "2026-05", TRUE, &r, &error));
  g_assert_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE);
  g_clear_error (&error);
  g_assert_false (stats_parse_range ("yesterday", NULL, TRUE, &r, &error));
  g_assert_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE);
}

typedef struct
{
  const char *value;
  const char *expected;
} CsvCase;

static const CsvCase csv_cases[] = {
  { "plain", "plain" },
  { NULL, "" },
  { "a,b", "\"a,b\"" },
  { "say \"hi\"", "\"say \"\"hi\"\"\"" },
  { "two\nlines", "\"two\nlines\"" },
  { "=HYPERLINK(\"http://x\")", "\"'=HYPERLINK(\"\"http://x\"\")\"" },
  { "+1", "\"'+1\"" },
  { "-1", "\"'-1\"" },
  { "@SUM(A1)", "\"'@SUM(A1)\"" },
  { "ポートスキャン", "ポートスキャン" },
};

static void
test_csv (gconstpointer data)
{
  const CsvCase *c = data;
  g_auto (CsvRecord) r = { 0 };
  g_autofree char *expected
      = g_strdup_printf ("%s,%s,7", c->expected, c->expected);

  csv_init (&r);
  csv_text (&r, c->value);
  csv_text (&r, c->value);
  csv_int (&r, 7);
  g_assert_cmpstr (r.line->str, ==, expected);
}

static void
test_csv_empty_first (void)
{
  g_auto (CsvRecord) r = { 0 };

  csv_init (&r);
  csv_empty (&r);
  csv_empty (&r);
  csv_text (&r, "x");
  g_assert_cmpstr (r.line->str, ==, ",,x");
}

/* A Stats with the given monthly totals, all of them scans but one
 * "other" per month. */
static Stats *
fake_stats (const gint64 *scans, guint n)
{
  Stats *s = g_new0 (Stats, 1);

  s->reports.months
      = g_ptr_array_new_with_free_func ((GDestroyNotify) stats_month_free);
  s->reports.totals.month = g_strdup ("total");
  for (guint i = 0; i < n; i++)
    {
      StatsMonth *m = g_new0 (StatsMonth, 1);

      m->month = g_strdup_printf ("2026-%02u", i + 1);
      m->counts[5] = scans[i];
      m->counts[6] = 1;
      m->total = scans[i] + 1;
      s->reports.totals.counts[5] += scans[i];
      s->reports.totals.counts[6] += 1;
      s->reports.totals.total += m->total;
      g_ptr_array_add (s->reports.months, m);
    }
  return s;
}

/* GMarkup parses the XML subset SVG needs, and refuses what is not
 * well-formed: unescaped text, unbalanced elements. */
static void
assert_well_formed (const char *xml)
{
  static const GMarkupParser parser = { NULL, NULL, NULL, NULL, NULL };
  g_autoptr (GMarkupParseContext) ctx
      = g_markup_parse_context_new (&parser, 0, NULL, NULL);
  g_autoptr (GError) error = NULL;
  const char *body = strstr (xml, "?>");

  g_assert_nonnull (body);
  g_assert_true (g_markup_parse_context_parse (ctx, body + 2, -1, &error)
                 && g_markup_parse_context_end_parse (ctx, &error));
  g_assert_no_error (error);
}

static void
test_svg (void)
{
  const gint64 scans[] = { 0, 7, 1234, 15, 3, 0, 0, 0, 0, 0, 0, 0, 0, 42 };
  g_autoptr (Stats) s = fake_stats (scans, G_N_ELEMENTS (scans));
  g_autoptr (Stats) empty = fake_stats (scans, 0);
  g_autofree char *svg = stats_svg (s);
  g_autofree char *none = stats_svg (empty);

  assert_well_formed (svg);
  assert_well_formed (none);
  g_assert_true (g_str_has_prefix (svg, "<?xml version=\"1.0\""));
  g_assert_nonnull (strstr (svg, ">1235</text>")); /* a total */
  g_assert_nonnull (strstr (svg, ">1234</text>")); /* a segment */
  g_assert_nonnull (strstr (svg, ">scan (1301)</text>"));
  g_assert_nonnull (strstr (svg, "rotate(-45")); /* 14 months */
  g_assert_null (strstr (svg, ".5"));            /* whole pixels */
}

/* Notifications per month beside reports per month (issue 21), as the
 * table and the JSON count them. */
static void
test_svg_notifications (void)
{
  const gint64 scans[] = { 10, 20, 30 };
  g_autoptr (Stats) s = fake_stats (scans, G_N_ELEMENTS (scans));
  g_autofree char *svg = NULL;

  s->notifications.months
      = g_ptr_array_new_with_free_func ((GDestroyNotify) stats_month_free);
  s->notifications.totals.month = g_strdup ("total");
  for (guint i = 0; i < 3; i++)
    {
      StatsMonth *n = g_new0 (StatsMonth, 1);

      n->month = g_strdup_printf ("2026-%02u", i + 1);
      n->total = i == 1 ? 57 : 0;
      g_ptr_array_add (s->notifications.months, n);
    }
  s->notifications.totals.total = 57;
  svg = stats_svg (s);
  assert_well_formed (svg);
  g_assert_nonnull (strstr (svg, "<title>2026-02 notifications: 57</title>"));
  g_assert_null (strstr (svg, "2026-01 notifications"));
  g_assert_nonnull (strstr (svg, ">notifications (57)</text>"));
  g_assert_nonnull (strstr (svg, ">57</text>")); /* above its bar */
  g_assert_nonnull (strstr (svg, ">31</text>")); /* reports still there */
  g_assert_nonnull (strstr (svg, ">60</text>")); /* the axis fits 57 */
  g_assert_nonnull (strstr (svg, "57 notifications"));
}

typedef struct
{
  char *dir;
  char *where; /* the store's file, or its PostgreSQL URI */
  Store *store;
  TestConn *db; /* a second connection, to plant rows */
} Fixture;

static const MessageLimits limits
    = { .max_depth = 32, .max_parts = 1000, .max_part_text = 1 << 20 };

static void
fixture_setup (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;

  f->dir = g_dir_make_tmp ("test-stats-XXXXXX", &error);
  g_assert_no_error (error);
  f->where = test_store_make (f->dir);
  f->store = store_open (f->where, 1000, &error);
  g_assert_no_error (error);
  f->db = test_conn_open (f->where);
}

static void
fixture_teardown (Fixture *f, gconstpointer data)
{
  g_autofree char *cmd = g_strdup_printf ("rm -rf '%s'", f->dir);

  test_conn_close (f->db);
  store_close (f->store);
  test_store_drop (f->where);
  g_assert_cmpint (system (cmd), ==, 0);
  g_free (f->where);
  g_free (f->dir);
}

static void
plant (Fixture *f, const char *sql)
{
  test_conn_exec (f->db, sql);
}

/* Files report n from reporter r at received; returns its number. */
static char *
file_report (Fixture *f, int n, int r, gint64 received)
{
  g_autofree char *raw = g_strdup_printf (
      "From: R <r%d@example.net>\nSubject: report %d\nMessage-ID: <m%d@x>\n\n"
      "body %d\n",
      r, n, n, n);
  g_autoptr (GError) error = NULL;
  g_autoptr (Message) m = message_parse (raw, strlen (raw), &limits);
  g_autoptr (GBytes) bytes = g_bytes_new (raw, strlen (raw));
  g_autoptr (Raw) in_memory = raw_new_bytes (bytes);
  StoreDelivery d = {
    .spool_id = "spool-id",
    .envelope_from = "r@example.net",
    .envelope_to = "info@example.jp",
    .received = received,
    .size = (gint64) strlen (raw),
    .raw = in_memory,
    .message = m,
    .who = "deliver",
  };
  StoreFiled filed = { 0 };

  g_assert_true (store_file (f->store, &d, &filed, &error));
  g_assert_no_error (error);
  return g_strdup (filed.number);
}

/* An address as the store keeps it (16 bytes), in f's SQL: SQLite's
 * blob literal, or PostgreSQL's bytea from hex. */
static char *
ip_literal (Fixture *f, const char *hex)
{
  if (store_is_uri (f->where))
    return g_strdup_printf ("decode ('%s', 'hex')", hex);
  return g_strdup_printf ("X'%s'", hex);
}

/* Three tickets name 192.0.2.45 (two reporters), one 2001:db8:4a2f::45;
 * 10.0.0.1 is private. */
static void
plant_indicators (Fixture *f)
{
  g_autofree char *a = ip_literal (f, "00000000000000000000FFFFC000022D");
  g_autofree char *b = ip_literal (f, "00000000000000000000FFFFC0000263");
  g_autofree char *c = ip_literal (f, "00000000000000000000FFFF0A000001");
  g_autofree char *d = ip_literal (f, "20010DB84A2F00000000000000000045");
  g_autofree char *sql = g_strdup_printf (
      "INSERT INTO indicator (ticket_id, message_id, kind, value, ip, "
      "scope, count) VALUES "
      "(1, 1, 'ipv4', '192.0.2.45', %s, 'documentation', 3), "
      "(3, 3, 'ipv4', '192.0.2.45', %s, 'documentation', 1), "
      "(2, 2, 'ipv4', '192.0.2.45', %s, 'documentation', 1), "
      "(2, 2, 'ipv4', '192.0.2.99', %s, 'documentation', 1), "
      "(2, 2, 'ipv4', '10.0.0.1', %s, 'private', 9), "
      "(4, 4, 'ipv6', '2001:db8:4a2f::45', %s, 'documentation', 1)",
      a, a, a, b, c, d);

  plant (f, sql);
}

/* Four reports and a merged one: one in October, three in November
 * (JST: the second is still October in UTC), two of them one incident;
 * three name 192.0.2.45 (from two reporters), one 2001:db8:4a2f::45. */
static void
fill (Fixture *f)
{
  gint64 oct = 1793458800 - 86400; /* 2026-10-31 00:00 JST */

  g_free (file_report (f, 1, 1, oct));
  g_free (file_report (f, 2, 1, oct + 86400 + 1800));
  g_free (file_report (f, 3, 2, NOW));
  g_free (file_report (f, 4, 3, NOW + 60));
  g_free (file_report (f, 5, 3, NOW + 120));
  /* 3 and 4 are one incident; 5 was merged into 1. */
  plant (f, "INSERT INTO incident (number, year, seq, title, created) "
            "VALUES ('INC-2026-0001', 2026, 1, 'one', 1795672204)");
  plant (f, "UPDATE ticket SET incident_id = 1 WHERE id IN (3, 4)");
  plant (f, "UPDATE ticket SET merged_into = 1 WHERE id = 5");
  plant (f, "UPDATE ticket SET category = 'scan' WHERE id IN (1, 3)");
  plant (f, "UPDATE message SET ack = 'acknowledged' WHERE id NOT IN (4, 5)");
  plant_indicators (f);
  /* An operator acts on ticket 1 an hour in, on ticket 2 three hours in;
   * delivery's own events do not count. */
  plant (f, "INSERT INTO event (ticket_id, at, who, what) VALUES "
            "(1, 1793458800 - 86400 + 3600, 'alice', 'category'), "
            "(1, 1793458800 - 86400 + 7200, 'bob', 'status'), "
            "(2, 1793458800 + 1800 + 10800, 'alice', 'owner'), "
            "(3, 1795672204 + 5, 'deliver', 'status'), "
            "(4, 1795672204 + 70, 'alice', 'follow-up')");
}

static void
test_store_stats (Fixture *f, gconstpointer data)
{
  StatsRange range = { 1793458800 - 86400 * 31, 1796050800 };
  g_autoptr (GError) error = NULL;
  g_autoptr (Stats) s = NULL;
  const StatsSource *top;

  fill (f);
  s = store_stats (f->store, &range, 10, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (s->reports.months->len, ==, 2);
  g_assert_cmpstr (((StatsMonth *) s->reports.months->pdata[0])->month, ==,
                   "2026-10");
  g_assert_cmpint (((StatsMonth *) s->reports.months->pdata[0])->total, ==, 1);
  g_assert_cmpint (((StatsMonth *) s->reports.months->pdata[1])->total, ==, 3);
  g_assert_cmpint (((StatsMonth *) s->reports.months->pdata[0])->counts[5], ==,
                   1);
  g_assert_cmpint (s->reports.totals.total, ==, 4);
  g_assert_cmpint (s->reports.totals.counts[5], ==, 2);
  g_assert_cmpint (s->reports.totals.counts[6], ==, 2);
  g_assert_cmpuint (s->incidents.months->len, ==, 2);
  g_assert_cmpint (((StatsMonth *) s->incidents.months->pdata[1])->total, ==,
                   2);
  g_assert_cmpint (s->incidents.totals.total, ==, 3);
  g_assert_cmpint (s->incidents.totals.counts[5], ==, 2); /* 1, {3, 4} */
  g_assert_cmpint (s->incidents.totals.counts[6], ==, 1);
  g_assert_cmpint (s->ack_sent, ==, 3);
  g_assert_cmpint (s->ack_suppressed, ==, 2);
  g_assert_cmpuint (s->sources->len, ==, 3); /* 10.0.0.1 is private */
  top = s->sources->pdata[0];
  g_assert_cmpstr (top->label, ==, "192.0.2.45");
  g_assert_cmpint (top->tickets, ==, 3);
  g_assert_cmpint (top->reporters, ==, 2);
  g_assert_cmpuint (s->prefixes->len, ==, 2);
  top = s->prefixes->pdata[0];
  g_assert_cmpstr (top->label, ==, "192.0.2.0/24");
  g_assert_cmpint (top->tickets, ==, 3);
  g_assert_cmpstr (((StatsSource *) s->prefixes->pdata[1])->label, ==,
                   "2001:db8:4a2f::/48");
  g_assert_cmpint (s->tickets, ==, 4);
  g_assert_cmpint (s->acted, ==, 2);
  g_assert_cmpint (s->median_delay, ==, (3600 + 10800) / 2);
  g_assert_cmpint (s->mean_delay, ==, (3600 + 10800) / 2);
}

typedef struct
{
  GPtrArray *seen;  /* numbers, in the order handed over */
  const char *stop; /* fail at this number */
} Seen;

static gboolean
collect_ticket (const ExportTicket *t, gpointer data, GError **error)
{
  Seen *seen = data;

  g_ptr_array_add (seen->seen, g_strdup (t->ticket->number));
  g_assert_nonnull (t->indicators);
  if (t->messages != NULL)
    g_assert_cmpuint (t->messages->len, ==, 1);
  if (g_strcmp0 (t->ticket->number, seen->stop) != 0)
    return TRUE;
  g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_IO, "stopped");
  return FALSE;
}

static guint
export_count (Fixture *f, const ExportFilter *filter, const char *stop)
{
  g_autoptr (GPtrArray) numbers = g_ptr_array_new_with_free_func (g_free);
  Seen seen = { numbers, stop };
  g_autoptr (GError) error = NULL;
  gboolean ok = store_export (f->store, filter, collect_ticket, &seen, &error);

  g_assert_cmpint (ok, ==, stop == NULL);
  if (stop != NULL)
    g_assert_error (error, G_FILE_ERROR, G_FILE_ERROR_IO);
  return numbers->len;
}

static void
test_export (Fixture *f, gconstpointer data)
{
  ExportFilter all = { G_MININT64, G_MAXINT64, NULL, NULL, TRUE };
  ExportFilter scans = { G_MININT64, G_MAXINT64, "scan", "new", FALSE };
  ExportFilter open = { G_MININT64, G_MAXINT64, NULL, "open", FALSE };
  ExportFilter late = { NOW, G_MAXINT64, NULL, NULL, FALSE };

  fill (f);
  g_assert_cmpuint (export_count (f, &all, NULL), ==, 5);
  /* The callback's error stops the export there, and is returned. */
  g_assert_cmpuint (export_count (f, &all, "2026-000003"), ==, 3);
  g_assert_cmpuint (export_count (f, &scans, NULL), ==, 2);
  g_assert_cmpuint (export_count (f, &open, NULL), ==, 0);
  g_assert_cmpuint (export_count (f, &late, NULL), ==, 3);
}

int
main (int argc, char **argv)
{
  /* Before any time function runs: GLib and SQLite read it then. */
  g_setenv ("TZ", "JST-9", TRUE);
  tzset ();
  g_test_init (&argc, &argv, NULL);
  test_store_init ();
  message_init ();
  for (gsize i = 0; i < G_N_ELEMENTS (time_cases); i++)
    {
      g_autofree char *path = g_strdup_printf ("/stats/parse-time/%zu", i);

      g_test_add_data_func (path, &time_cases[i], test_parse_time);
    }
  for (gsize i = 0; i < G_N_ELEMENTS (csv_cases); i++)
    {
      g_autofree char *path = g_strdup_printf ("/stats/csv/%zu", i);

      g_test_add_data_func (path, &csv_cases[i], test_csv);
    }
  g_test_add_func ("/stats/csv/empty-first", test_csv_empty_first);
  g_test_add_func ("/stats/months", test_months);
  g_test_add_func ("/stats/range", test_range);
  g_test_add_func ("/stats/svg", test_svg);
  g_test_add_func ("/stats/svg-notifications", test_svg_notifications);
  g_test_add ("/stats/store", Fixture, NULL, fixture_setup, test_store_stats,
              fixture_teardown);
  g_test_add ("/stats/export", Fixture, NULL, fixture_setup, test_export,
              fixture_teardown);
  return g_test_run ();
}
