/*
 * test-feed.c - CSV reports: which texts are feeds, their rows, their
 * times and their report types.
 */
#include <string.h>

#include "madoguchi/feed.h"

static Feed *
open_text (const char *text, const char *name)
{
  return feed_open (text, strlen (text), name);
}

static void
test_not_feeds (void)
{
  static const char *const texts[] = {
    "",
    "Hello,\nI saw a scan from 192.0.2.1.\n",
    "ip\n192.0.2.1\n",
    "name,value\nx,1\n",
    "\"unterminated, ip\n",
  };

  for (gsize i = 0; i < G_N_ELEMENTS (texts); i++)
    {
      g_autoptr (Feed) feed = open_text (texts[i], NULL);

      g_assert_null (feed);
    }
}

typedef struct
{
  const char *text;
  const char *address[3]; /* of each row */
  const char *time[3];
  guint line[3];
} RowCase;

static const RowCase row_cases[] = {
  { "timestamp,ip,port\n2026-12-01 00:00:01,192.0.2.1,22\n"
    "2026-12-01 00:00:02,192.0.2.2,23\n",
    { "192.0.2.1", "192.0.2.2" },
    { "2026-12-01 00:00:01", "2026-12-01 00:00:02" },
    { 2, 3 } },
  /* A BOM; quoted fields with the separator, a newline, "" */
  { "\357\273\277\"Source IP\",\"Time\",note\n"
    "\"192.0.2.3\",\"2026-12-01\",\"a, b\nc \"\"d\"\"\"\n"
    "192.0.2.4,2026-12-02,x\n",
    { "192.0.2.3", "192.0.2.4" },
    { "2026-12-01", "2026-12-02" },
    { 2, 4 } },
  /* ';' and CRLF, an empty line, a short row */
  { "src_ip;first_seen\r\n192.0.2.5;t1\r\n\r\n192.0.2.6\r\n",
    { "192.0.2.5", "192.0.2.6" },
    { "t1", NULL },
    { 2, 4 } },
  /* tabs, spaces around values */
  { "date\tsrc\n t2 \t 2001:db8::1 \n", { "2001:db8::1" }, { "t2" }, { 2 } },
};

static void
test_rows (gconstpointer data)
{
  const RowCase *c = data;
  g_autoptr (Feed) feed = open_text (c->text, NULL);
  FeedRow row;
  guint n = 0;

  g_assert_nonnull (feed);
  while (feed_next (feed, &row))
    {
      g_assert_cmpuint (n, <, 3);
      g_assert_cmpstr (row.fields[FEED_ADDRESS], ==, c->address[n]);
      g_assert_cmpstr (row.fields[FEED_TIME], ==, c->time[n]);
      g_assert_cmpuint (row.line, ==, c->line[n]);
      n++;
    }
  g_assert_nonnull (c->address[n - 1]);
  g_assert_true (n == 3 || c->address[n] == NULL);
}

static void
test_columns (void)
{
  g_autoptr (Feed) feed = open_text (
      "timestamp,protocol,src_ip,src_port,src_asn,dst_ip,dst_port,type,"
      "infection\n2026-12-01T00:00:00Z,tcp,192.0.2.9,5555,64500,198.51.100.1,"
      "80,sinkhole,mirai\n",
      "event4_sinkhole_http-2026-12-01.csv");
  FeedRow row;

  g_assert_nonnull (feed);
  g_assert_cmpstr (feed_column_name (feed, FEED_ADDRESS), ==, "src_ip");
  g_assert_cmpstr (feed_column_name (feed, FEED_PORT), ==, "src_port");
  g_assert_cmpstr (feed_type (feed), ==, "event4_sinkhole_http");
  g_assert_true (feed_next (feed, &row));
  g_assert_cmpstr (row.fields[FEED_ADDRESS], ==, "192.0.2.9");
  g_assert_cmpstr (row.fields[FEED_ASN], ==, "64500");
  g_assert_cmpstr (row.fields[FEED_TYPE], ==, "sinkhole");
  g_assert_cmpstr (row.fields[FEED_TAG], ==, "mirai");
  g_assert_null (row.fields[FEED_HOSTNAME]);
  g_assert_false (feed_next (feed, &row));
}

static void
test_type_from_name (void)
{
  static const char *const cases[][2] = {
    { "scan_ssh-2026-12-01.csv", "scan_ssh" },
    { "2026-12-01-scan_rdp.csv", "2026-12-01-scan_rdp" },
    { "event4_sinkhole_http-2026-12-01.csv.zip", "event4_sinkhole_http" },
    { "../x/Open_Resolver_20261201.csv", "open_resolver" },
    { "report.csv", "report" },
    { ".csv", NULL },
    { NULL, NULL },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *type = feed_type_from_name (cases[i][0]);

      g_assert_cmpstr (type, ==, cases[i][1]);
    }
}

typedef struct
{
  const char *header;
  const char *value;
  gint64 utc; /* 0: not a time */
  gboolean assumed;
} TimeCase;

/* 2026-12-01T00:00:00Z is 1796083200; the report's zone is +0900. */
static const TimeCase time_cases[] = {
  { "time", "2026-12-01T00:00:00Z", 1796083200, FALSE },
  { "time", "2026-12-01 00:00:00 UTC", 1796083200, FALSE },
  { "time", "2026-12-01 09:00:00 +0900", 1796083200, FALSE },
  { "time", "2026-12-01T09:00:00+09:00", 1796083200, FALSE },
  { "time", "2026-12-01 09:00:00", 1796083200, TRUE },
  { "time", "2026-12-01 09:00:00.250", 1796083200, TRUE },
  { "timestamp_utc", "2026-12-01 00:00:00", 1796083200, FALSE },
  { "date", "2026-12-02", 1796083200 + 15 * 3600, TRUE },
  { "time", "1796083200", 1796083200, FALSE },
  { "time", "1796083200000", 1796083200, FALSE },
  { "time", "yesterday", 0, FALSE },
  { "time", "2026-13-01 00:00:00", 0, FALSE },
};

static void
test_time (gconstpointer data)
{
  const TimeCase *c = data;
  g_autofree char *text = g_strdup_printf ("ip,%s\n192.0.2.1,x\n", c->header);
  g_autoptr (Feed) feed = open_text (text, NULL);
  gint64 utc = 0;
  gboolean assumed = FALSE;
  gboolean ok = feed_time (feed, c->value, 9 * 3600, &utc, &assumed);

  g_assert_cmpint (ok, ==, c->utc != 0);
  if (!ok)
    return;
  g_assert_cmpint (utc, ==, c->utc);
  g_assert_cmpint (assumed, ==, c->assumed);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/feed/not-feeds", test_not_feeds);
  for (gsize i = 0; i < G_N_ELEMENTS (row_cases); i++)
    {
      g_autofree char *path = g_strdup_printf ("/feed/rows/%zu", i);

      g_test_add_data_func (path, &row_cases[i], test_rows);
    }
  g_test_add_func ("/feed/columns", test_columns);
  g_test_add_func ("/feed/type-from-name", test_type_from_name);
  for (gsize i = 0; i < G_N_ELEMENTS (time_cases); i++)
    {
      g_autofree char *path = g_strdup_printf ("/feed/time/%zu", i);

      g_test_add_data_func (path, &time_cases[i], test_time);
    }
  return g_test_run ();
}
