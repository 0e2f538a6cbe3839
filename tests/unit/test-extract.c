/*
 * test-extract.c - extraction: the log-line corpus (tests/data/
 * loglines.tsv, expectations written by hand), and table-driven cases
 * per extractor, positive and negative.
 */
#include <glib/gstdio.h>
#include <string.h>

#include "madoguchi/extract.h"
#include "../support/text-message.h"

#define REPORT_TIME 1795654800 /* Thu, 26 Nov 2026 10:00:00 +0900 */
#define REPORT_OFFSET (9 * 3600)

static RuleSet *rules;

static Extraction *
extract_text (const char *text, const GArray *own)
{
  g_autoptr (Message) m = message_with_text (text);
  ExtractOptions options
      = { REPORT_TIME, REPORT_OFFSET, 10000, 1 << 24, own, FALSE, 0 };

  return extract_run (rules, m, &options);
}

static gboolean
is_address (const Indicator *ind)
{
  return ind->has_ip;
}

/* "a,b" of the address indicators, in order; "-" when none. */
static char *
addresses_of (const Extraction *x)
{
  GString *s = g_string_new (NULL);

  for (guint i = 0; i < x->indicators->len; i++)
    {
      const Indicator *ind = x->indicators->pdata[i];

      if (is_address (ind))
        g_string_append_printf (s, "%s%s", s->len ? "," : "", ind->value);
    }
  if (s->len == 0)
    g_string_append (s, "-");
  return g_string_free (s, FALSE);
}

/* The first event time in text order, ISO 8601; "-" when none. */
static char *
first_time_of (const Extraction *x)
{
  const Timestamp *first;
  g_autoptr (GDateTime) t = NULL;

  if (x->timestamps->len == 0)
    return g_strdup ("-");
  first = x->timestamps->pdata[0];
  t = g_date_time_new_from_unix_utc (first->utc);
  return g_date_time_format (t, "%Y-%m-%dT%H:%M:%SZ");
}

typedef struct
{
  char *daemon;
  char *line;
  char *addresses;
  char *utc;
} CorpusCase;

static void
test_corpus_line (gconstpointer data)
{
  const CorpusCase *c = data;
  g_autoptr (Extraction) x = extract_text (c->line, NULL);
  g_autofree char *addresses = addresses_of (x);
  g_autofree char *utc = first_time_of (x);

  if (g_strcmp0 (addresses, c->addresses) != 0 || g_strcmp0 (utc, c->utc) != 0)
    g_test_message ("line: %s", c->line);
  g_assert_cmpstr (addresses, ==, c->addresses);
  g_assert_cmpstr (utc, ==, c->utc);
}

static void
add_corpus_tests (void)
{
  g_autofree char *path
      = g_build_filename (TEST_DATA_DIR, "loglines.tsv", NULL);
  g_autofree char *text = NULL;
  g_auto (GStrv) lines = NULL;

  g_assert_true (g_file_get_contents (path, &text, NULL, NULL));
  lines = g_strsplit (text, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    {
      g_auto (GStrv) f = g_strsplit (lines[i], "\t", -1);
      CorpusCase *c;
      g_autofree char *name = NULL;

      if (lines[i][0] == '#' || g_strv_length (f) != 4)
        continue;
      c = g_new0 (CorpusCase, 1);
      c->daemon = g_strdup (f[0]);
      c->line = g_strdup (f[1]);
      c->addresses = g_strdup (f[2]);
      c->utc = g_strdup (f[3]);
      name = g_strdup_printf ("/extract/corpus/%s/line-%u", c->daemon, i + 1);
      /* Cases live as long as the test program. */
      g_test_add_data_func (name, c, test_corpus_line);
    }
}

/* Indicators of text as "kind:value" joined by spaces, in text order. */
static char *
indicators_of (const Extraction *x)
{
  GString *s = g_string_new (NULL);

  for (guint i = 0; i < x->indicators->len; i++)
    {
      const Indicator *ind = x->indicators->pdata[i];

      g_string_append_printf (s, "%s%s:%s", s->len ? " " : "", ind->kind,
                              ind->value);
    }
  return g_string_free (s, FALSE);
}

typedef struct
{
  const char *text;
  const char *expected; /* indicators_of, "" for none */
} IndicatorCase;

static const IndicatorCase indicator_cases[] = {
  /* Defanged forms. */
  { "from 192.0.2[.]1 today", "ipv4:192.0.2.1" },
  { "from 192.0.2(.)1 today", "ipv4:192.0.2.1" },
  { "from 192[.]0[.]2[.]1 today", "ipv4:192.0.2.1" },
  { "host 198.51.100[dot]7", "ipv4:198.51.100.7" },
  { "see hxxp://evil.example.com/x.php", "url:http://evil.example.com/x.php" },
  { "see hxxps://evil[.]example[.]com/", "url:https://evil.example.com/" },
  { "mail abuse[at]example.net now", "email:abuse@example.net" },
  /* Traps: not addresses. */
  { "OpenSSH v1.2.3.4 released", "" },
  { "OID 1.3.6.1.4.1.2021 and 1.2.3.4.5", "" },
  { "on 2003.07.10 at noon", "" },
  { "call +81-3-1234-5678 or 03.1234.5678", "" },
  { "bad 999.1.1.1 and 256.256.256.256", "" },
  { "MAC 00:1a:2b:3c:4d:5e at 12:34:56", "" },
  { "Apache/2.4.57 (Debian)", "" },
  { "Chrome/120.0.0.0 Safari/537.36", "" },
  { "lookup 1.2.0.192.in-addr.arpa", "domain:1.2.0.192.in-addr.arpa" },
  /* IPv6 forms. */
  { "src 2001:DB8:0:0:0:0:0:1 end", "ipv6:2001:db8::1" },
  { "src ::1 and fe80::1%eth0", "ipv6:::1 ipv6:fe80::1" },
  { "mapped ::ffff:192.0.2.1 here", "ipv6:::ffff:192.0.2.1" },
  { "web [2001:db8::1]:443 up", "ipv6:2001:db8::1" },
  { "net 2001:db8::/32 blocked", "cidr:2001:db8::/32" },
  { "just :: and a::b:: text", "" },
  /* Prefixes, ranges, ports. */
  { "block 192.0.2.0/24 now", "cidr:192.0.2.0/24" },
  { "fw outside:192.0.2.1/4444", "ipv4:192.0.2.1" },
  { "range 192.0.2.1-192.0.2.9 and", "range:192.0.2.1-192.0.2.9" },
  { "range 192.0.2.1 - 192.0.2.9 and", "range:192.0.2.1-192.0.2.9" },
  /* Names. */
  { "visit www.example.com today", "domain:www.example.com" },
  { "run setup.sh and open report.zip", "" },
  { "open auth.log and notes.txt", "" },
  { "mail To: Abuse@Example.NET", "email:abuse@example.net" },
  { "(see http://example.com/a_(b)).", "url:http://example.com/a_(b)" },
  { "URL http://192.0.2.7/x", "url:http://192.0.2.7/x ipv4:192.0.2.7" },
  /* Fullwidth ASCII, as Japanese mail writes it. */
  { "送信元：１９２．０．２．１５０", "ipv4:192.0.2.150" },
};

static void
test_indicators (gconstpointer data)
{
  const IndicatorCase *c = data;
  g_autoptr (Extraction) x = extract_text (c->text, NULL);
  g_autofree char *got = indicators_of (x);

  g_assert_cmpstr (got, ==, c->expected);
}

static const Indicator *
only_indicator (const Extraction *x)
{
  g_assert_cmpuint (x->indicators->len, ==, 1);
  return x->indicators->pdata[0];
}

static void
test_ports (void)
{
  g_autoptr (Extraction) x = extract_text (
      "Failed password for root from 192.0.2.1 port 51234 ssh2\n"
      "SRC=192.0.2.1 DST=203.0.113.5 SPT=1 DPT=22\n"
      "conn 192.0.2.1:8080\n",
      NULL);
  const Indicator *a = x->indicators->pdata[0];
  const Indicator *b = x->indicators->pdata[1];

  g_autofree char *ports = report_ports_string (a->ports);

  g_assert_cmpstr (a->value, ==, "192.0.2.1");
  g_assert_true (g_strcmp0 (ports, "51234,8080") == 0
                 || g_strcmp0 (ports, "8080,51234") == 0);
  g_assert_cmpstr (b->value, ==, "203.0.113.5");
  g_assert_cmpuint (g_array_index (b->ports, guint16, 0), ==, 22);
}

typedef struct
{
  const char *text;
  const char *scope;
} ScopeCase;

static const ScopeCase scope_cases[] = {
  { "8.8.8.8", "global" },         { "10.1.2.3", "private" },
  { "172.16.0.1", "private" },     { "192.168.1.1", "private" },
  { "127.0.0.1", "loopback" },     { "192.0.2.1", "documentation" },
  { "169.254.1.1", "link-local" }, { "224.0.0.1", "multicast" },
  { "240.0.0.1", "reserved" },     { "2001:db8::1", "documentation" },
  { "2400:cb00::1", "global" },    { "fd00::1", "private" },
  { "fe80::1", "link-local" },     { "ff02::1", "multicast" },
};

static void
test_scope (gconstpointer data)
{
  const ScopeCase *c = data;
  g_autofree char *text = g_strdup_printf ("address %s here", c->text);
  g_autoptr (Extraction) x = extract_text (text, NULL);

  g_assert_cmpstr (only_indicator (x)->scope, ==, c->scope);
}

static void
test_own_networks (void)
{
  g_autoptr (GArray) own = g_array_new (FALSE, FALSE, sizeof (Network));
  Network net;
  g_autoptr (Extraction) x = NULL;

  g_assert_true (address_parse_network ("203.0.113.0/25", &net));
  g_array_append_val (own, net);
  x = extract_text ("from 203.0.113.9 to 203.0.113.200", own);
  g_assert_true (((Indicator *) x->indicators->pdata[0])->own);
  g_assert_false (((Indicator *) x->indicators->pdata[1])->own);
}

/* address_parse then address_format: NULL where the text is refused. */
typedef struct
{
  const char *text;
  const char *formatted;
} ParseCase;

static const ParseCase parse_cases[] = {
  { "192.0.2.1", "192.0.2.1" },
  { "0.0.0.0", "0.0.0.0" },
  { "255.255.255.255", "255.255.255.255" },
  { "192.000.002.010", "192.0.2.10" },
  { "10.20.30.40%eth0", "10.20.30.40" },
  { "256.0.0.1", NULL },
  { "1000.0.0.1", NULL },
  { "0001.2.3.4", NULL },
  { "1.2.3", NULL },
  { "1.2.3.4.", NULL },
  { "1.2.3.4.5", NULL },
  { ".1.2.3", NULL },
  { "1..2.3", NULL },
  { "1.2.3.a", NULL },
  { "1.2.3.+4", NULL },
  { "1.2.3. 4", NULL },
  { "", NULL },
  { "2001:db8::5", "2001:db8::5" },
  { "fe80::1%eth0", "fe80::1" },
  { "::ffff:192.0.2.1", "::ffff:192.0.2.1" },
  { "0000:0000:0000:0000:0000:ffff:192.000.002.001", NULL },
  { "0000:0000:0000:0000:0000:0000:0000:0001", "::1" },
  { "0000:0000:0000:0000:0000:ffff:255.255.255.255", "::ffff:255.255.255.255" },
  { "00000:0000:0000:0000:0000:ffff:255.255.255.255", NULL },
  { "22:13:23", NULL },
};

static void
test_parse (gconstpointer data)
{
  const ParseCase *c = data;
  guint8 ip[16];
  gboolean mapped;
  g_autofree char *formatted = NULL;

  if (!address_parse (c->text, ip, &mapped))
    {
      g_assert_null (c->formatted);
      return;
    }
  formatted = address_format (ip, mapped);
  g_assert_cmpstr (formatted, ==, c->formatted);
}

typedef struct
{
  const char *text;
  const char *utc;
  gboolean assumed;
} TimeCase;

static const TimeCase time_cases[] = {
  { "Jul 10 12:34:56 host sshd", "2026-07-10T03:34:56Z", TRUE },
  /* Year roll-over: December in a November report is last year. */
  { "Dec 31 23:59:59 host sshd", "2025-12-31T14:59:59Z", TRUE },
  { "Nov 27 09:00:00 host sshd", "2026-11-27T00:00:00Z", TRUE },
  { "2003-07-10T12:34:56.789+09:00", "2003-07-10T03:34:56Z", FALSE },
  { "2003-07-10T03:34:56Z", "2003-07-10T03:34:56Z", FALSE },
  { "10/Jul/2003:12:34:56 +0900", "2003-07-10T03:34:56Z", FALSE },
  { "Thu, 10 Jul 2003 12:34:56 +0900", "2003-07-10T03:34:56Z", FALSE },
  { "2003-07-10 03:34:56", "2003-07-09T18:34:56Z", TRUE },
  { "2003/07/10 12:34:56", "2003-07-10T03:34:56Z", TRUE },
  { "07/10/2003 12:34:56 PM", "2003-07-10T03:34:56Z", TRUE },
  { "07/10/2003 12:34:56 AM", "2003-07-09T15:34:56Z", TRUE },
  { "2003年7月10日 12時34分56秒", "2003-07-10T03:34:56Z", TRUE },
  { "2003年07月10日(木) 12:34", "2003-07-10T03:34:00Z", TRUE },
  { "2003年7月10日 午後3時5分", "2003-07-10T06:05:00Z", TRUE },
  { "10 Jul 2003 12:34:56 EST", "2003-07-10T17:34:56Z", FALSE },
  { "Jul 10 12:34:56 JST 2003", "2003-07-10T03:34:56Z", FALSE },
  { "1057808096.123     12 192.0.2.1 TCP_MISS/200", "2003-07-10T03:34:56Z",
    FALSE },
  /* A time of day alone: the report's date, or the day before when
   * later than the report (plus an hour). */
  { "09:15:02.118334 IP 192.0.2.1.51234 > 192.0.2.2.22: Flags [S]",
    "2026-11-26T00:15:02Z", TRUE },
  { "[10:59:59] <op> hello", "2026-11-26T01:59:59Z", TRUE },
  { "[11:00:01] <op> hello", "2026-11-25T02:00:01Z", TRUE },
  { "It began at 00:15:02 UTC.", "2026-11-26T00:15:02Z", FALSE },
  /* Two-digit years, TAI64N, one-digit offsets, zone names. */
  { "22/11/99 21:59:59 denied", "1999-11-22T12:59:59Z", TRUE },
  { "11/22/27 21:59:59 denied", "2027-11-22T12:59:59Z", TRUE },
  /* 2028 would be after the report, 1928 before any log. */
  { "11/22/28 21:59:59 denied", "", FALSE },
  { "@400000006b0365e90d3e5f10 tcpserver: ok", "2026-11-22T21:59:59Z", FALSE },
  { "2026-11-22 21:59:59 UTC+9 failed", "2026-11-22T12:59:59Z", FALSE },
  { "2026-11-22 21:59:59 GMT-5 failed", "2026-11-23T02:59:59Z", FALSE },
  { "2026/11/22 21:59:59 +9:00 failed", "2026-11-22T12:59:59Z", FALSE },
  { "2026-11-22 21:59:59 (UTC+05:30) failed", "2026-11-22T16:29:59Z", FALSE },
  { "22.11.2026 21:59:59 AEDT failed", "2026-11-22T10:59:59Z", FALSE },
  { "2026-11-22 21:59:59 ESTABLISHED", "2026-11-22T12:59:59Z", TRUE },
  /* Not times. */
  { "uptime 12:34:56 days", "", FALSE },
  { "12:34:56:78:9a:bc link up", "", FALSE },
  { "2003-13-45 25:61:00", "", FALSE },
  { "Feb 30 12:00:00 host", "", FALSE },
  { "version 12:34 build", "", FALSE },
};

static void
test_times (gconstpointer data)
{
  const TimeCase *c = data;
  g_autoptr (Extraction) x = extract_text (c->text, NULL);
  g_autofree char *utc = first_time_of (x);

  if (*c->utc == '\0')
    {
      g_assert_cmpstr (utc, ==, "-");
      return;
    }
  g_assert_cmpstr (utc, ==, c->utc);
  g_assert_cmpint (((Timestamp *) x->timestamps->pdata[0])->zone_assumed, ==,
                   c->assumed);
}

/* A report of the first minutes of a year: what the logs leave out of
 * the date comes from it, across New Year. */
static void
test_times_new_year (void)
{
  static const struct
  {
    const char *text;
    const char *utc;
  } cases[] = {
    { "Dec 31 23:59:59 host sshd", "2026-12-31T14:59:59Z" },
    { "Jan  1 00:10:00 host sshd", "2026-12-31T15:10:00Z" },
    { "23:50:00.000001 IP 192.0.2.1.53 > 192.0.2.2.53",
      "2026-12-31T14:50:00Z" },
    { "00:10:00 kernel: hello", "2026-12-31T15:10:00Z" },
    { "12/31-23:59:59.123 [**] scan", "2026-12-31T14:59:59Z" },
    { "31/12/26 23:59:59 denied", "2026-12-31T14:59:59Z" },
    { "12月31日 23時59分 不正アクセス", "2026-12-31T14:59:00Z" },
  };
  /* Fri, 1 Jan 2027 00:30:00 +0900 */
  ExtractOptions options = { .reference_time = 1798731000,
                             .reference_offset = 9 * 3600,
                             .max_indicators = 10000,
                             .max_scan_text = 1 << 24 };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr (Message) m = message_with_text (cases[i].text);
      g_autoptr (Extraction) x = extract_run (rules, m, &options);
      g_autofree char *utc = first_time_of (x);

      g_test_message ("%s", cases[i].text);
      g_assert_cmpstr (utc, ==, cases[i].utc);
    }
}

static void
test_excerpts (void)
{
  g_autoptr (Extraction) x = extract_text (
      "Hello team,\n\nwe saw this:\n\n"
      "Nov 24 01:40:05 web1 sshd[1]: Failed password from 192.0.2.1\n"
      "Nov 24 01:40:07 web1 sshd[1]: Failed password from 192.0.2.1\n"
      "> kernel: [UFW BLOCK] IN=eth0 OUT= SRC=192.0.2.1 DST=192.0.2.2\n"
      "\nRegards,\nTaro\n",
      NULL);
  const Excerpt *e;

  g_assert_cmpuint (x->excerpts->len, ==, 1);
  e = x->excerpts->pdata[0];
  g_assert_cmpuint (e->first_line, ==, 5);
  g_assert_cmpuint (e->last_line, ==, 7);
  g_assert_true (g_str_has_prefix (e->text, "Nov 24 01:40:05"));
  g_assert_true (g_str_has_suffix (e->text, "DST=192.0.2.2"));
}

static void
test_first_last_seen (void)
{
  g_autoptr (Extraction) x
      = extract_text ("Nov 24 01:40:05 h sshd[1]: from 192.0.2.1\n"
                      "Nov 24 01:50:00 h sshd[1]: from 192.0.2.1\n",
                      NULL);
  const Indicator *ind = only_indicator (x);

  g_assert_cmpint (ind->count, ==, 2);
  g_assert_cmpint (ind->last_seen - ind->first_seen, ==, 595);
}

static void
test_indicator_cap (void)
{
  GString *text = g_string_new (NULL);
  g_autoptr (Message) m = NULL;
  g_autoptr (Extraction) x = NULL;
  ExtractOptions options
      = { REPORT_TIME, REPORT_OFFSET, 100, 1 << 24, NULL, FALSE, 0 };

  for (int i = 0; i < 250; i++)
    g_string_append_printf (text, "10.0.%d.%d\n", i / 200, i % 200);
  m = message_with_text (text->str);
  x = extract_run (rules, m, &options);
  g_assert_cmpuint (x->indicators->len, ==, 100);
  g_assert_cmpuint (x->dropped, ==, 150);
  g_string_free (text, TRUE);
}

/* Texts of days of September 2026 (10:00, the report's zone), one a
 * line, extracted keeping at most max times. */
static Extraction *
extract_days (const guint *days, gsize n, guint max)
{
  g_autoptr (GString) text = g_string_new (NULL);
  g_autoptr (Message) m = NULL;
  ExtractOptions options
      = { REPORT_TIME, REPORT_OFFSET, 100, 1 << 24, NULL, FALSE, max };

  for (gsize i = 0; i < n; i++)
    g_string_append_printf (text, "2026-09-%02u 10:00:00 event\n", days[i]);
  m = message_with_text (text->str);
  return extract_run (rules, m, &options);
}

/* The odd one goes to the earliest; equal times are told apart by their
 * place, the first first. */
static void
test_timestamp_cap_small (void)
{
  const guint days[] = { 5, 1, 9, 1, 9, 3 };
  g_autoptr (Extraction) one = extract_days (days, G_N_ELEMENTS (days), 1);
  g_autoptr (Extraction) three = extract_days (days, G_N_ELEMENTS (days), 3);

  g_assert_cmpuint (one->timestamps->len, ==, 1);
  g_assert_cmpuint (one->timestamps_dropped, ==, 5);
  g_assert_cmpuint (((Timestamp *) one->timestamps->pdata[0])->line, ==, 2);
  g_assert_cmpuint (three->timestamps->len, ==, 3);
  g_assert_cmpuint (three->timestamps_dropped, ==, 3);
  /* Day 1 twice (lines 2 and 4), then the later day 9 (line 5). */
  g_assert_cmpuint (((Timestamp *) three->timestamps->pdata[0])->line, ==, 2);
  g_assert_cmpuint (((Timestamp *) three->timestamps->pdata[1])->line, ==, 4);
  g_assert_cmpuint (((Timestamp *) three->timestamps->pdata[2])->line, ==, 5);
}

/* Past max_timestamps, the earliest and the latest times stay, in text
 * order, whatever order the text has them in. */
static void
test_timestamp_cap (void)
{
  GString *text = g_string_new (NULL);
  g_autoptr (Message) m = NULL;
  g_autoptr (Extraction) x = NULL;
  ExtractOptions options
      = { REPORT_TIME, REPORT_OFFSET, 100, 1 << 24, NULL, FALSE, 10 };
  guint days[10], n = 0;

  /* Days 1-30 of September 2026, out of order (7 is prime to 30). */
  for (guint i = 0; i < 30; i++)
    g_string_append_printf (text, "2026-09-%02u 10:00:00 event %u\n",
                            i * 7 % 30 + 1, i);
  m = message_with_text (text->str);
  x = extract_run (rules, m, &options);
  g_assert_cmpuint (x->timestamps->len, ==, 10);
  g_assert_cmpuint (x->timestamps_dropped, ==, 20);
  for (guint i = 0; i < 30; i++)
    {
      guint day = i * 7 % 30 + 1;

      if (day <= 5 || day >= 26)
        days[n++] = day;
    }
  for (guint i = 0; i < 10; i++)
    {
      const Timestamp *t = x->timestamps->pdata[i];
      g_autofree char *want
          = g_strdup_printf ("2026-09-%02u 10:00:00", days[i]);

      g_assert_cmpstr (t->original, ==, want);
    }
  g_string_free (text, TRUE);
}

static void
test_scan_cap (void)
{
  g_autoptr (Message) m = message_with_text ("192.0.2.1 then 192.0.2.2");
  ExtractOptions options
      = { REPORT_TIME, REPORT_OFFSET, 100, 10, NULL, FALSE, 0 };
  g_autoptr (Extraction) x = extract_run (rules, m, &options);

  g_assert_cmpuint (x->indicators->len, ==, 1);
  g_assert_true (x->limit_hit);
}

/* A million IP-looking tokens and a catastrophic-backtracking candidate
 * for every default rule: bounded, no crash. */
static void
test_hostile_text (void)
{
  GString *text = g_string_new (NULL);
  g_autoptr (Message) m = NULL;
  g_autoptr (Extraction) x = NULL;
  ExtractOptions options
      = { REPORT_TIME, REPORT_OFFSET, 10000, 1 << 26, NULL, FALSE, 0 };

  for (int i = 0; i < 200000; i++)
    g_string_append_printf (text, "1.%d.%d.%d ", i % 250, i / 250 % 250,
                            i / 62500);
  for (int i = 0; i < 5000; i++)
    g_string_append (text, "1:1:1:1:1:1:1:1:1:a.a.a.a-a-a-a-a.");
  m = message_with_text (text->str);
  x = extract_run (rules, m, &options);
  g_assert_cmpuint (x->indicators->len, ==, 10000);
  g_assert_cmpuint (x->dropped, >, 0);
  g_string_free (text, TRUE);
}

/* A long text of log lines: the corpus's lines again and again, with
 * addresses seen in one half only, in both, and with ports written
 * both ways (after a colon, and as "port N") on either side. */
/* Event times kept of it: fewer than it has, so that the cap is taken
 * on a split text too. */
#define LONG_LOG_TIMES 1001

static char *
long_log (void)
{
  g_autofree char *path
      = g_build_filename (TEST_DATA_DIR, "loglines.tsv", NULL);
  g_autofree char *corpus = NULL;
  g_auto (GStrv) lines = NULL;
  GString *text = g_string_new (NULL);

  g_assert_true (g_file_get_contents (path, &corpus, NULL, NULL));
  lines = g_strsplit (corpus, "\n", -1);
  for (guint round = 0; text->len < 3 * 1024 * 1024 / 2; round++)
    {
      for (guint k = 0; k < 4; k++)
        g_string_append_printf (text,
                                "Nov 26 10:%02u:00 fw kernel: DROP "
                                "SRC=10.1.%u.%u DPT=%u\n",
                                round % 60, k, round, 1000 + round);
      g_string_append_printf (text, "192.0.2.77%s%u\n",
                              round % 2 ? " port " : ":", 20 + round % 7);
      for (guint i = 0; lines[i] != NULL; i++)
        {
          g_auto (GStrv) f = g_strsplit (lines[i], "\t", -1);

          if (lines[i][0] != '#' && g_strv_length (f) == 4)
            g_string_append_printf (text, "%s\n", f[1]);
        }
    }
  return g_string_free (text, FALSE);
}

static Extraction *
extract_long (const char *text, guint max_indicators, gboolean single)
{
  g_autoptr (Message) m = message_with_text (text);
  ExtractOptions options
      = { REPORT_TIME, REPORT_OFFSET, max_indicators, 1 << 24,
          NULL,        single,        LONG_LOG_TIMES };

  return extract_run (rules, m, &options);
}

static void
assert_same_indicator (const Indicator *a, const Indicator *b)
{
  g_autofree char *ports_a = report_ports_string (a->ports);
  g_autofree char *ports_b = report_ports_string (b->ports);

  g_assert_cmpstr (a->kind, ==, b->kind);
  g_assert_cmpstr (a->value, ==, b->value);
  g_assert_cmpuint (a->count, ==, b->count);
  g_assert_cmpstr (ports_a, ==, ports_b);
  g_assert_cmpint (a->first_seen, ==, b->first_seen);
  g_assert_cmpint (a->last_seen, ==, b->last_seen);
  g_assert_cmpstr (a->context, ==, b->context);
  g_assert_cmpuint (a->order, ==, b->order);
  g_assert_cmpstr (a->scope, ==, b->scope);
  g_assert_cmpstr (a->role, ==, b->role);
  g_assert_cmpmem (a->ip, 16, b->ip, 16);
  g_assert_cmpmem (a->ip_end, 16, b->ip_end, 16);
}

static void
assert_same_extraction (const Extraction *a, const Extraction *b)
{
  g_assert_cmpuint (a->indicators->len, ==, b->indicators->len);
  for (guint i = 0; i < a->indicators->len; i++)
    assert_same_indicator (a->indicators->pdata[i], b->indicators->pdata[i]);
  g_assert_cmpuint (a->timestamps->len, ==, b->timestamps->len);
  for (guint i = 0; i < a->timestamps->len; i++)
    {
      const Timestamp *x = a->timestamps->pdata[i],
                      *y = b->timestamps->pdata[i];

      g_assert_cmpint (x->utc, ==, y->utc);
      g_assert_cmpstr (x->original, ==, y->original);
      g_assert_cmpstr (x->rule, ==, y->rule);
      g_assert_cmpuint (x->line, ==, y->line);
      g_assert_cmpuint (x->order, ==, y->order);
    }
  g_assert_cmpuint (a->excerpts->len, ==, b->excerpts->len);
  for (guint i = 0; i < a->excerpts->len; i++)
    {
      const Excerpt *x = a->excerpts->pdata[i], *y = b->excerpts->pdata[i];

      g_assert_cmpuint (x->first_line, ==, y->first_line);
      g_assert_cmpuint (x->last_line, ==, y->last_line);
      g_assert_cmpstr (x->text, ==, y->text);
    }
  g_assert_cmpuint (a->dropped, ==, b->dropped);
  g_assert_cmpuint (a->timestamps_dropped, ==, b->timestamps_dropped);
  g_assert_cmpint (a->limit_hit, ==, b->limit_hit);
}

/*
 * A text of a mebibyte or more is scanned by two threads, half of its
 * lines each: the result is the one scan's to the last field.  With no
 * cap reached; with the cap reached only once the halves are put
 * together (which half's indicators are kept, and the occurrences
 * dropped, must be one scan's); and with each half past the cap on its
 * own (then the text is scanned again whole).
 */
static void
test_split_same (void)
{
  g_autofree char *text = long_log ();
  g_autoptr (Extraction) all = extract_long (text, 10000, TRUE);
  /* Each half holds the corpus's addresses and half of the others. */
  const guint caps[] = { 10000, all->indicators->len - 40, 40 };

  g_assert_cmpuint (strlen (text), >=, 1024 * 1024);
  g_assert_cmpuint (all->indicators->len, >, 300);
  for (gsize i = 0; i < G_N_ELEMENTS (caps); i++)
    {
      g_autoptr (Extraction) one = extract_long (text, caps[i], TRUE);
      g_autoptr (Extraction) split = extract_long (text, caps[i], FALSE);

      assert_same_extraction (one, split);
      g_assert_cmpuint (one->dropped > 0, ==, caps[i] < 10000);
      g_assert_cmpuint (one->timestamps->len, ==, LONG_LOG_TIMES);
      g_assert_cmpuint (one->timestamps_dropped, >, 0);
    }
}

/*
 * A long ASCII text is searched with the rules compiled without UTF:
 * the same result as with their UTF codes, to the last field (the long
 * log without its lines of Japanese or fullwidth forms).
 */
static void
test_ascii_same (void)
{
  g_autofree char *log = long_log ();
  g_auto (GStrv) lines = g_strsplit (log, "\n", -1);
  GString *ascii = g_string_new (NULL);
  g_autoptr (Extraction) utf = NULL;
  g_autoptr (Extraction) fast = NULL;

  for (guint i = 0; lines[i] != NULL; i++)
    if (g_str_is_ascii (lines[i]))
      g_string_append_printf (ascii, "%s\n", lines[i]);
  g_assert_cmpuint (ascii->len, >=, 1024 * 1024);
  rules_set_utf_only (rules, TRUE);
  utf = extract_long (ascii->str, 10000, TRUE);
  rules_set_utf_only (rules, FALSE);
  fast = extract_long (ascii->str, 10000, TRUE);
  g_assert_cmpuint (utf->indicators->len, >, 300);
  assert_same_extraction (utf, fast);
  g_string_free (ascii, TRUE);
}

/* Rules whose second one backtracks without end on "aaa...a y" but
 * matches "aax22": the port it finds goes with the address of its
 * line. */
static const char bomb_rules[]
    = "[rule ipv4]\n"
      "kind = ipv4\n"
      "pattern = (?<addr>(?:[0-9]{1,3}\\.){3}[0-9]{1,3})\n"
      "\n"
      "[rule bomb]\n"
      "kind = port\n"
      "pattern = (?:a|aa)+x(?<port>[0-9]{2})\n";

/*
 * A rule stopped by PCRE2's match limit stops for the rest of the text
 * (its other matches are not found): on a long text split between two
 * threads the second half would go on finding them, so the text is
 * scanned again whole.  Hostile lines first, then lines the rule matches.
 */
static void
test_split_limit (void)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("test-extract-XXXXXX", &error);
  g_autofree char *file = g_build_filename (dir, "bomb.rules", NULL);
  g_autoptr (RuleSet) bomb = NULL;
  g_autoptr (Message) m = NULL;
  g_autoptr (Extraction) one = NULL, split = NULL;
  GString *text = g_string_new (NULL);
  ExtractOptions options
      = { REPORT_TIME, REPORT_OFFSET, 10000, 1 << 24, NULL, TRUE, 0 };

  g_assert_true (g_file_set_contents (file, bomb_rules, -1, &error));
  bomb = rules_load (dir, &error);
  g_assert_no_error (error);
  for (guint i = 0; text->len < 1536 * 1024; i++)
    g_string_append_printf (text,
                            i < 200 ? "192.0.2.%u aaaaaaaaaaaaaaaaaaaa"
                                      "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa y x\n"
                                    : "192.0.2.%u aax22\n",
                            i % 250);
  m = message_with_text (text->str);
  one = extract_run (bomb, m, &options);
  options.single_thread = FALSE;
  split = extract_run (bomb, m, &options);
  g_assert_true (one->limit_hit);
  assert_same_extraction (one, split);
  g_unlink (file);
  g_rmdir (dir);
  g_string_free (text, TRUE);
}

int
main (int argc, char **argv)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *dir
      = g_build_filename (TEST_DATA_DIR, "..", "..", "rules", NULL);

  g_test_init (&argc, &argv, NULL);
  /* Report every corpus line that fails, not only the first. */
  g_test_set_nonfatal_assertions ();
  rules = rules_load (dir, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (rules_problems (rules)->len, ==, 0);
  add_corpus_tests ();
  for (gsize i = 0; i < G_N_ELEMENTS (indicator_cases); i++)
    {
      g_autofree char *path = g_strdup_printf ("/extract/indicators/%zu", i);

      g_test_add_data_func (path, &indicator_cases[i], test_indicators);
    }
  for (gsize i = 0; i < G_N_ELEMENTS (scope_cases); i++)
    {
      g_autofree char *path
          = g_strdup_printf ("/extract/scope/%s", scope_cases[i].text);

      g_test_add_data_func (path, &scope_cases[i], test_scope);
    }
  for (gsize i = 0; i < G_N_ELEMENTS (parse_cases); i++)
    {
      g_autofree char *path = g_strdup_printf ("/extract/address/parse/%zu", i);

      g_test_add_data_func (path, &parse_cases[i], test_parse);
    }
  for (gsize i = 0; i < G_N_ELEMENTS (time_cases); i++)
    {
      g_autofree char *path = g_strdup_printf ("/extract/time/%zu", i);

      g_test_add_data_func (path, &time_cases[i], test_times);
    }
  g_test_add_func ("/extract/times/new-year", test_times_new_year);
  g_test_add_func ("/extract/ports", test_ports);
  g_test_add_func ("/extract/own-networks", test_own_networks);
  g_test_add_func ("/extract/excerpts", test_excerpts);
  g_test_add_func ("/extract/first-last-seen", test_first_last_seen);
  g_test_add_func ("/extract/limits/indicators", test_indicator_cap);
  g_test_add_func ("/extract/limits/timestamps", test_timestamp_cap);
  g_test_add_func ("/extract/limits/timestamps-small",
                   test_timestamp_cap_small);
  g_test_add_func ("/extract/limits/scan", test_scan_cap);
  g_test_add_func ("/extract/limits/hostile", test_hostile_text);
  g_test_add_func ("/extract/split/same", test_split_same);
  g_test_add_func ("/extract/split/limit", test_split_limit);
  g_test_add_func ("/extract/ascii/same", test_ascii_same);
  return g_test_run ();
}
