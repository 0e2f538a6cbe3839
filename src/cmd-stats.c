/*
 * cmd-stats.c - `madoguchi stats`: the tables a CSIRT publishes about a
 * period (the last 12 months unless told): reports and incidents per
 * month and category, acknowledgements sent and suppressed, the most
 * reported source addresses and prefixes, and how soon an operator
 * acted.
 *
 * As an aligned table (the default), as CSV in long form (one header,
 * one number per record: table,row,column,value, which a spreadsheet
 * pivots and grep filters), or as one JSON document; and with --svg a
 * chart, written to a temporary file and renamed into place, so that a
 * web server never serves half of one.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "madoguchi/command.h"
#include "madoguchi/csv.h"
#include "madoguchi/json.h"
#include "madoguchi/output.h"
#include "madoguchi/stats.h"

typedef struct
{
  char *since;
  char *until;
  char *svg;
  gint top;
} StatsOptions;

/* "3d 04h" and the like: two units are enough to compare teams. */
static char *
duration (gint64 seconds)
{
  if (seconds < 0)
    return g_strdup ("-");
  if (seconds < 60)
    return g_strdup_printf ("%" G_GINT64_FORMAT "s", seconds);
  if (seconds < 3600)
    return g_strdup_printf ("%" G_GINT64_FORMAT "m %02" G_GINT64_FORMAT "s",
                            seconds / 60, seconds % 60);
  if (seconds < 86400)
    return g_strdup_printf ("%" G_GINT64_FORMAT "h %02" G_GINT64_FORMAT "m",
                            seconds / 3600, seconds / 60 % 60);
  return g_strdup_printf ("%" G_GINT64_FORMAT "d %02" G_GINT64_FORMAT "h",
                          seconds / 86400, seconds / 3600 % 24);
}

static const char *
first_month (const Stats *s)
{
  const GPtrArray *months = s->reports.months;

  return months->len ? ((StatsMonth *) months->pdata[0])->month : "-";
}

static const char *
last_month (const Stats *s)
{
  const GPtrArray *months = s->reports.months;

  return months->len ? ((StatsMonth *) months->pdata[months->len - 1])->month
                     : "-";
}

static void
table_month (const StatsMonth *m)
{
  const char *const *names = report_categories ();

  printf ("%-7s", m->month);
  for (int c = 0; c < REPORT_CATEGORIES; c++)
    printf ("  %*" G_GINT64_FORMAT, (int) MAX (strlen (names[c]), 5),
            m->counts[c]);
  printf ("  %5" G_GINT64_FORMAT "\n", m->total);
}

static void
table_counts (const char *title, const StatsTable *table)
{
  const char *const *names = report_categories ();

  printf ("%s\n\n%-7s", title, "MONTH");
  for (int c = 0; c < REPORT_CATEGORIES; c++)
    printf ("  %*s", (int) MAX (strlen (names[c]), 5), names[c]);
  printf ("  %5s\n", "total");
  for (guint i = 0; i < table->months->len; i++)
    table_month (table->months->pdata[i]);
  table_month (&table->totals);
}

static void
table_sources (const char *title, const char *head, const GPtrArray *rows)
{
  printf ("\n%s\n\n%-39s  %7s  %9s\n", title, head, "TICKETS", "REPORTERS");
  for (guint i = 0; i < rows->len; i++)
    {
      const StatsSource *src = rows->pdata[i];

      printf ("%-39s  %7" G_GINT64_FORMAT "  %9" G_GINT64_FORMAT "\n",
              src->label, src->tickets, src->reporters);
    }
  if (rows->len == 0)
    printf ("(none)\n");
}

static void
print_table (const Stats *s)
{
  g_autofree char *median = duration (s->median_delay);
  g_autofree char *mean = duration (s->mean_delay);
  g_autoptr (GString) line = g_string_new (NULL);

  printf ("Period: %s to %s (local time)\n\n", first_month (s), last_month (s));
  table_counts ("Reports per month and category", &s->reports);
  table_counts ("\nIncidents per month and category (the tickets of an "
                "incident count once,\nin the month and category of the "
                "first; a ticket in no incident is one)",
                &s->incidents);
  table_counts ("\nNotifications to the sites per month (by the category "
                "of their ticket)",
                &s->notifications);
  printf ("\nAcknowledgements of incoming messages\n\n"
          "  acknowledged  %7" G_GINT64_FORMAT "\n"
          "    sent        %7" G_GINT64_FORMAT "  (handed to sendmail)\n"
          "    outboxed    %7" G_GINT64_FORMAT "  (in the outbox Maildir, "
          "not sent)\n"
          "    not sent    %7" G_GINT64_FORMAT "  (queued or failed)\n"
          "  suppressed    %7" G_GINT64_FORMAT "\n",
          s->ack_sent, s->ack_delivered, s->ack_outboxed, s->ack_pending,
          s->ack_suppressed);
  for (guint i = 0; i < s->ack_reasons->len; i++)
    {
      const StatsReason *r = s->ack_reasons->pdata[i];

      g_string_truncate (line, 0);
      output_cell (line, *r->reason ? r->reason : "(not recorded)", 60, FALSE);
      printf ("    %7" G_GINT64_FORMAT "  %s\n", r->count, line->str);
    }
  table_sources ("Top source addresses (global and documentation scope)",
                 "ADDRESS", s->sources);
  table_sources ("Top source prefixes (IPv4 /24, IPv6 /48)", "PREFIX",
                 s->prefixes);
  printf ("\nTime to first operator action\n\n"
          "  tickets     %7" G_GINT64_FORMAT "\n"
          "  acted on    %7" G_GINT64_FORMAT "\n"
          "  median      %7s\n  mean        %7s\n",
          s->tickets, s->acted, median, mean);
}

static gboolean
csv_number (CsvRecord *r, const char *table, const char *row,
            const char *column, gint64 value)
{
  csv_text (r, table);
  csv_text (r, row);
  csv_text (r, column);
  if (value < 0)
    csv_empty (r); /* no such value, as for a median of nothing */
  else
    csv_int (r, value);
  return csv_end (r, stdout);
}

static void
csv_counts (CsvRecord *r, const char *name, const StatsTable *table)
{
  for (guint i = 0; i <= table->months->len; i++)
    {
      const StatsMonth *m
          = i < table->months->len ? table->months->pdata[i] : &table->totals;

      for (int c = 0; c < REPORT_CATEGORIES; c++)
        csv_number (r, name, m->month, report_categories ()[c], m->counts[c]);
      csv_number (r, name, m->month, "total", m->total);
    }
}

static void
csv_sources (CsvRecord *r, const char *table, const GPtrArray *rows)
{
  for (guint i = 0; i < rows->len; i++)
    {
      const StatsSource *src = rows->pdata[i];

      csv_number (r, table, src->label, "tickets", src->tickets);
      csv_number (r, table, src->label, "reporters", src->reporters);
    }
}

static void
print_csv (const Stats *s)
{
  g_auto (CsvRecord) r = { 0 };

  csv_init (&r);
  csv_text (&r, "table");
  csv_text (&r, "row");
  csv_text (&r, "column");
  csv_text (&r, "value");
  csv_end (&r, stdout);
  csv_counts (&r, "reports", &s->reports);
  csv_counts (&r, "incidents", &s->incidents);
  csv_number (&r, "acknowledgements", "acknowledged", "messages", s->ack_sent);
  csv_number (&r, "acknowledgements", "sent", "messages", s->ack_delivered);
  csv_number (&r, "acknowledgements", "outboxed", "messages", s->ack_outboxed);
  csv_number (&r, "acknowledgements", "not sent", "messages", s->ack_pending);
  csv_number (&r, "acknowledgements", "suppressed", "messages",
              s->ack_suppressed);
  for (guint i = 0; i < s->ack_reasons->len; i++)
    {
      const StatsReason *reason = s->ack_reasons->pdata[i];

      csv_number (&r, "suppressed", reason->reason, "messages", reason->count);
    }
  csv_sources (&r, "sources", s->sources);
  csv_sources (&r, "prefixes", s->prefixes);
  csv_number (&r, "first_action", "tickets", "tickets", s->tickets);
  csv_number (&r, "first_action", "acted", "tickets", s->acted);
  csv_number (&r, "first_action", "median", "seconds", s->median_delay);
  csv_number (&r, "first_action", "mean", "seconds", s->mean_delay);
}

static void
json_counts (JsonWriter *w, const StatsMonth *m, const StatsMonth *beside)
{
  json_begin_object (w);
  json_member_string (w, "month", m->month);
  for (int c = 0; c < REPORT_CATEGORIES; c++)
    {
      json_key (w, report_categories ()[c]);
      json_int (w, m->counts[c]);
    }
  json_member_int (w, "total", m->total);
  if (beside != NULL)
    json_member_int (w, "notifications", beside->total);
  json_end_object (w);
}

static void
json_sources (JsonWriter *w, const char *key, const char *label,
              const GPtrArray *rows)
{
  json_key (w, key);
  json_begin_array (w);
  for (guint i = 0; i < rows->len; i++)
    {
      const StatsSource *src = rows->pdata[i];

      json_begin_object (w);
      json_key (w, label);
      json_string (w, src->label);
      json_member_int (w, "tickets", src->tickets);
      json_member_int (w, "reporters", src->reporters);
      json_end_object (w);
    }
  json_end_array (w);
}

/* "months": [...], "totals": {...}; with beside, each month and the
 * totals also carry beside's total as "notifications". */
static void
json_table (JsonWriter *w, const StatsTable *table, const StatsTable *beside)
{
  json_key (w, "months");
  json_begin_array (w);
  for (guint i = 0; i < table->months->len; i++)
    json_counts (w, table->months->pdata[i],
                 beside ? beside->months->pdata[i] : NULL);
  json_end_array (w);
  json_key (w, "totals");
  json_counts (w, &table->totals, beside ? &beside->totals : NULL);
}

/* A count of seconds, or null when there is none. */
static void
json_seconds (JsonWriter *w, const char *key, gint64 seconds)
{
  json_key (w, key);
  if (seconds < 0)
    json_string (w, NULL);
  else
    json_int (w, seconds);
}

static void
json_period (JsonWriter *w, const Stats *s)
{
  g_autofree char *since = output_time_iso (s->range.since);
  g_autofree char *until = output_time_iso (s->range.until);

  json_member_string (w, "since", since);
  json_member_string (w, "until", until);
  json_key (w, "categories");
  json_begin_array (w);
  for (int c = 0; c < REPORT_CATEGORIES; c++)
    json_string (w, report_categories ()[c]);
  json_end_array (w);
  json_table (w, &s->reports, &s->notifications);
  json_key (w, "incidents");
  json_begin_object (w);
  json_table (w, &s->incidents, NULL);
  json_end_object (w);
  json_key (w, "notifications");
  json_begin_object (w);
  json_table (w, &s->notifications, NULL);
  json_end_object (w);
}

static void
json_acks (JsonWriter *w, const Stats *s)
{
  json_key (w, "acknowledgements");
  json_begin_object (w);
  json_member_int (w, "acknowledged", s->ack_sent);
  json_member_int (w, "sent", s->ack_delivered);
  json_member_int (w, "outboxed", s->ack_outboxed);
  json_member_int (w, "not_sent", s->ack_pending);
  json_member_int (w, "suppressed", s->ack_suppressed);
  json_key (w, "reasons");
  json_begin_array (w);
  for (guint i = 0; i < s->ack_reasons->len; i++)
    {
      const StatsReason *r = s->ack_reasons->pdata[i];

      json_begin_object (w);
      json_member_string (w, "reason", r->reason);
      json_member_int (w, "messages", r->count);
      json_end_object (w);
    }
  json_end_array (w);
  json_end_object (w);
}

static void
print_json (const Stats *s)
{
  JsonWriter w;
  g_autofree char *text = NULL;

  json_init (&w);
  json_begin_object (&w);
  json_period (&w, s);
  json_acks (&w, s);
  json_sources (&w, "top_sources", "address", s->sources);
  json_sources (&w, "top_prefixes", "prefix", s->prefixes);
  json_key (&w, "first_action");
  json_begin_object (&w);
  json_member_int (&w, "tickets", s->tickets);
  json_member_int (&w, "acted", s->acted);
  json_seconds (&w, "median_seconds", s->median_delay);
  json_seconds (&w, "mean_seconds", s->mean_delay);
  json_end_object (&w);
  json_end_object (&w);
  text = json_finish (&w);
  printf ("%s\n", text);
}

/* Temporary file, fsync, rename: a reader sees the old chart or the new
 * one, never a torn one (GLib does the O_EXCL temporary file). */
static int
write_svg (Context *ctx, const Stats *s, const char *path)
{
  g_autofree char *svg = stats_svg (s);
  g_autoptr (GError) error = NULL;

  if (command_write_file (ctx, path, svg, &error))
    return EX_OK;
  fprintf (stderr, "madoguchi stats: %s\n", error->message);
  return EX_CANTCREAT;
}

static int
print_stats (Context *ctx, const Stats *s, const StatsOptions *o)
{
  if (ctx->format == OUTPUT_FORMAT_JSON)
    print_json (s);
  else if (ctx->format == OUTPUT_FORMAT_CSV)
    print_csv (s);
  else
    print_table (s);
  if (fflush (stdout) != 0 || ferror (stdout))
    {
      fprintf (stderr, "madoguchi stats: cannot write: %s\n",
               g_strerror (errno));
      return EX_IOERR;
    }
  return o->svg ? write_svg (ctx, s, o->svg) : EX_OK;
}

static gboolean
check_options (const StatsOptions *o)
{
  if (o->top < 1 || o->top > 1000)
    fprintf (stderr, "madoguchi stats: --top is 1 to 1000\n");
  else if (o->svg != NULL && *o->svg == '\0')
    fprintf (stderr, "madoguchi stats: --svg needs a file name\n");
  else
    return TRUE;
  return FALSE;
}

static void
stats_options_clear (StatsOptions *o)
{
  g_free (o->since);
  g_free (o->until);
  g_free (o->svg);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (StatsOptions, stats_options_clear)

int
cmd_stats (Context *ctx, int argc, char **argv)
{
  g_auto (StatsOptions) o = { .top = 10 };
  const GOptionEntry entries[] = {
    { "since", 0, 0, G_OPTION_ARG_STRING, &o.since,
      "from DATE (2026-11-01 or 2026-11, local time) or AGE (30d, 12h, 2w); "
      "default: 12 months back",
      "WHEN" },
    { "until", 0, 0, G_OPTION_ARG_STRING, &o.until,
      "through DATE (that day or month included), or up to AGE", "WHEN" },
    { "svg", 0, 0, G_OPTION_ARG_FILENAME, &o.svg,
      "also write a chart of the monthly reports to FILE", "FILE" },
    { "top", 0, 0, G_OPTION_ARG_INT, &o.top,
      "addresses and prefixes to show (default 10)", "N" },
    G_OPTION_ENTRY_NULL,
  };
  g_autoptr (GError) error = NULL;
  g_autoptr (Stats) stats = NULL;
  StatsRange range;

  if (!context_parse (ctx, entries, &argc, &argv))
    return EX_USAGE;
  if (argc != 1)
    fprintf (stderr, "madoguchi stats: unexpected argument \"%s\"\n", argv[1]);
  if (argc != 1 || !check_options (&o))
    return EX_USAGE;
  if (!stats_parse_range (o.since, o.until, TRUE, &range, &error))
    return command_fail (error);
  stats = store_stats (ctx->store, &range, (guint) o.top, &error);
  if (stats == NULL)
    return command_fail (error);
  return print_stats (ctx, stats, &o);
}
