/*
 * stats.h - the tables a CSIRT publishes about the reports it received:
 * reports and incidents per month and category, acknowledgements sent
 * and suppressed, the most reported source addresses and prefixes, and
 * the time to the first operator action; plus the period they cover and
 * a chart of the reports.
 *
 * store_stats() (store-stats.c) reads them from the store; stats.c parses
 * periods and lays out months; stats-svg.c draws the chart.  Times are
 * Unix seconds; months are the operator's local time, as `list` shows.
 */
#ifndef MADOGUCHI_STATS_H
#define MADOGUCHI_STATS_H

#include <glib.h>

#include "madoguchi/report.h"
#include "madoguchi/store.h"

/* The period of a report: [since, until), Unix seconds. */
typedef struct
{
  gint64 since;
  gint64 until;
} StatsRange;

/* One row of the monthly table. */
typedef struct
{
  char *month;                      /* "2026-11", local time */
  gint64 counts[REPORT_CATEGORIES]; /* per report_categories () */
  gint64 total;
} StatsMonth;

/* One address or prefix, by the tickets and reporters that name it. */
typedef struct
{
  char *label; /* "192.0.2.45", "192.0.2.0/24" */
  gint64 tickets;
  gint64 reporters;
} StatsSource;

/* Why incoming messages were not acknowledged, and how many. */
typedef struct
{
  char *reason;
  gint64 count;
} StatsReason;

/* A monthly table: its rows, and their column sums. */
typedef struct
{
  GPtrArray *months; /* of StatsMonth, every month, oldest first */
  StatsMonth totals; /* month "total" */
} StatsTable;

typedef struct
{
  StatsRange range;
  StatsTable reports;       /* tickets, by the month they came in */
  StatsTable incidents;     /* tickets grouped by incident: see below */
  StatsTable notifications; /* notifications made, by month and the
                             * category of their ticket */
  gint64 ack_sent;          /* incoming messages acknowledged */
  gint64 ack_suppressed;    /* ... and not */
  /* What came of the acknowledgements made in the period: */
  gint64 ack_delivered;   /* handed to sendmail */
  gint64 ack_outboxed;    /* written to the outbox Maildir only */
  gint64 ack_pending;     /* queued, sending or failed */
  GPtrArray *ack_reasons; /* of StatsReason, most frequent first */
  GPtrArray *sources;     /* of StatsSource, addresses, top first */
  GPtrArray *prefixes;    /* of StatsSource, /24 and /48, top first */
  gint64 tickets;         /* tickets created in the period */
  gint64 acted;           /* ... that an operator acted on */
  gint64 median_delay;    /* seconds to the first action; -1: none */
  gint64 mean_delay;      /* rounded to the second; -1: none */
} Stats;

void stats_free (Stats *stats);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (Stats, stats_free)

/*
 * Reads the statistics of the tickets created in range (messages
 * received in it, for acknowledgements), with the top `top` addresses
 * and prefixes.  A ticket merged into another is no report of its own.
 * An incident is the tickets of the period that share an incident, or
 * one ticket that has none; it counts in the month and category of its
 * first ticket.  An operator action is the first audit event that
 * neither delivery nor intake wrote (see store-stats.c).
 * Returns (transfer full) them, or NULL with error set.
 */
Stats *store_stats (Store *store, const StatsRange *range, guint top,
                    GError **error);

/*
 * Parses a period bound: "YYYY-MM-DD" or "YYYY-MM" (local time), a full
 * ISO 8601 time ("2026-11-01T09:00", local unless it has a zone), or an
 * age "Nh", "Nd" or "Nw" (that long before now).  A date is its first
 * second, or with end the first second after it (so that --until
 * 2026-11-30 takes in that day); a time or an age is exact.
 * Returns FALSE, with *out untouched, when text is none of those.
 */
gboolean stats_parse_time (const char *text, gboolean end, gint64 now,
                           gint64 *out);

/* The default period: the last 12 months, this one included. */
StatsRange stats_default_range (gint64 now);

/*
 * The period of --since and --until (either may be NULL).  With neither,
 * the last 12 months when last_year, else all time; with only --since,
 * up to now (the end of this month when last_year).  Sets a
 * G_OPTION_ERROR (a usage error) for a bad bound or an empty period.
 */
gboolean stats_parse_range (const char *since, const char *until,
                            gboolean last_year, StatsRange *range,
                            GError **error);

/* (transfer full) StatsMonth of every local month that range touches,
 * zeroed, oldest first (none when the range is empty). */
GPtrArray *stats_months (const StatsRange *range);

void stats_month_free (StatsMonth *month);
void stats_source_free (StatsSource *source);
void stats_reason_free (StatsReason *reason);

/*
 * (transfer full) a standalone SVG document (UTF-8) of the monthly
 * reports as stacked bars per category, with a legend, axis labels and
 * the counts.  Coordinates are whole pixels: no locale's decimal comma
 * can break it.
 */
char *stats_svg (const Stats *stats);

#endif
