/*
 * stats.c - the periods of `madoguchi stats` and `export`, and the
 * months of the monthly table.  Pure: no store, no output.
 *
 * Dates are the operator's local time (as `list` prints them): a team
 * publishing "November" means its own November.  A date as an end takes
 * in its whole day (or month): --until 2026-11-30 means "through the
 * 30th".  Ages ("30d", "12h", "2w") are exact multiples of an hour back
 * from now, and a full ISO 8601 time is that instant, as for `list`.
 */
#include "madoguchi/stats.h"

#include <string.h>

#define DAY G_GINT64_CONSTANT (86400)
#define MAX_DAYS 36500 /* an age of more than a century is a typo */

void
stats_month_free (StatsMonth *month)
{
  if (month == NULL)
    return;
  g_free (month->month);
  g_free (month);
}

void
stats_source_free (StatsSource *source)
{
  if (source == NULL)
    return;
  g_free (source->label);
  g_free (source);
}

void
stats_reason_free (StatsReason *reason)
{
  if (reason == NULL)
    return;
  g_free (reason->reason);
  g_free (reason);
}

void
stats_free (Stats *stats)
{
  if (stats == NULL)
    return;
  g_clear_pointer (&stats->reports.months, g_ptr_array_unref);
  g_clear_pointer (&stats->incidents.months, g_ptr_array_unref);
  g_clear_pointer (&stats->notifications.months, g_ptr_array_unref);
  g_free (stats->notifications.totals.month);
  g_free (stats->reports.totals.month);
  g_free (stats->incidents.totals.month);
  g_clear_pointer (&stats->ack_reasons, g_ptr_array_unref);
  g_clear_pointer (&stats->sources, g_ptr_array_unref);
  g_clear_pointer (&stats->prefixes, g_ptr_array_unref);
  g_free (stats);
}

/* A number of exactly `digits` ASCII digits (0: one or more). */
static gboolean
parse_number (const char *text, gsize digits, guint64 max, guint64 *out)
{
  gsize len = strlen (text);

  if (len == 0 || (digits != 0 && len != digits))
    return FALSE;
  for (gsize i = 0; i < len; i++)
    if (!g_ascii_isdigit (text[i]))
      return FALSE;
  return g_ascii_string_to_unsigned (text, 10, 0, max, out, NULL);
}

/* "YYYY-MM" or "YYYY-MM-DD"; *day is 0 for the former. */
static gboolean
parse_date (const char *text, guint64 *year, guint64 *month, guint64 *day)
{
  g_auto (GStrv) parts = g_strsplit (text, "-", -1);
  guint n = g_strv_length (parts);

  *day = 0;
  if (n < 2 || n > 3 || !parse_number (parts[0], 4, 9999, year)
      || !parse_number (parts[1], 2, 12, month)
      || (n == 3 && !parse_number (parts[2], 2, 31, day)))
    return FALSE;
  if (*year < 1970 || *month < 1)
    return FALSE;
  return n == 2
         || g_date_valid_dmy ((GDateDay) *day, (GDateMonth) *month,
                              (GDateYear) *year);
}

/* "30d", "12h", "2w": that long before now. */
static gboolean
parse_age (const char *text, gint64 now, gint64 *out)
{
  static const char units[] = "hdw";
  static const gint64 seconds[] = { 3600, DAY, 7 * DAY };
  gsize len = strlen (text);
  const char *unit = len > 1 ? strchr (units, text[len - 1]) : NULL;
  g_autofree char *number = NULL;
  guint64 n;

  if (unit == NULL || *unit == '\0' || len > 16)
    return FALSE;
  number = g_strndup (text, len - 1);
  if (!parse_number (number, 0, MAX_DAYS * DAY / seconds[unit - units], &n))
    return FALSE;
  *out = now - (gint64) n * seconds[unit - units];
  return TRUE;
}

/* A whole ISO 8601 time, "2026-11-01T09:00" or with a zone: exact. */
static gboolean
parse_instant (const char *text, gint64 *out)
{
  g_autoptr (GTimeZone) local = g_time_zone_new_local ();
  g_autoptr (GDateTime) t = NULL;

  if (strchr (text, 'T') == NULL)
    return FALSE;
  t = g_date_time_new_from_iso8601 (text, local);
  if (t == NULL || g_date_time_get_year (t) < 1970)
    return FALSE;
  *out = g_date_time_to_unix (t);
  return TRUE;
}

gboolean
stats_parse_time (const char *text, gboolean end, gint64 now, gint64 *out)
{
  guint64 year, month, day;
  g_autoptr (GDateTime) start = NULL;
  g_autoptr (GDateTime) after = NULL;

  if (text == NULL)
    return FALSE;
  if (parse_age (text, now, out) || parse_instant (text, out))
    return TRUE;
  if (!parse_date (text, &year, &month, &day))
    return FALSE;
  start = g_date_time_new_local ((int) year, (int) month, day ? (int) day : 1,
                                 0, 0, 0);
  if (start == NULL)
    return FALSE;
  if (end)
    after = day ? g_date_time_add_days (start, 1)
                : g_date_time_add_months (start, 1);
  *out = g_date_time_to_unix (end ? after : start);
  return TRUE;
}

/* The first second of the local month of t, moved by `months`. */
static GDateTime *
month_start (gint64 t, int months)
{
  g_autoptr (GDateTime) local = g_date_time_new_from_unix_local (t);
  g_autoptr (GDateTime) first = NULL;

  first = g_date_time_new_local (g_date_time_get_year (local),
                                 g_date_time_get_month (local), 1, 0, 0, 0);
  return g_date_time_add_months (first, months);
}

StatsRange
stats_default_range (gint64 now)
{
  g_autoptr (GDateTime) first = month_start (now, -11);
  g_autoptr (GDateTime) next = month_start (now, 1);
  StatsRange range
      = { g_date_time_to_unix (first), g_date_time_to_unix (next) };

  return range;
}

GPtrArray *
stats_months (const StatsRange *range)
{
  GPtrArray *months
      = g_ptr_array_new_with_free_func ((GDestroyNotify) stats_month_free);
  g_autoptr (GDateTime) month = NULL;

  if (range->until <= range->since)
    return months;
  month = month_start (range->since, 0);
  while (g_date_time_to_unix (month) < range->until)
    {
      StatsMonth *m = g_new0 (StatsMonth, 1);
      GDateTime *next = g_date_time_add_months (month, 1);

      m->month = g_date_time_format (month, "%Y-%m");
      g_ptr_array_add (months, m);
      g_date_time_unref (month);
      month = next;
    }
  return months;
}

/* A bound of the period (option's text) that is not a time: FALSE. */
static gboolean
bad_bound (const char *option, const char *text, GError **error)
{
  g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
               "%s: \"%s\" is not a date (2026-11-01, 2026-11, "
               "2026-11-01T09:00) or an age (30d, 12h, 2w)",
               option, text);
  return FALSE;
}

gboolean
stats_parse_range (const char *since, const char *until, gboolean last_year,
                   StatsRange *range, GError **error)
{
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  StatsRange year = stats_default_range (now);

  range->since = last_year ? year.since : G_MININT64;
  range->until = last_year ? year.until : G_MAXINT64;
  if (until != NULL)
    {
      if (!stats_parse_time (until, TRUE, now, &range->until))
        return bad_bound ("--until", until, error);
      if (last_year && since == NULL)
        range->since = stats_default_range (range->until - 1).since;
    }
  if (since != NULL && !stats_parse_time (since, FALSE, now, &range->since))
    return bad_bound ("--since", since, error);
  if (range->since < range->until)
    return TRUE;
  g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
               "the period is empty: --since must come before --until");
  return FALSE;
}
