/*
 * timestamp.c - event times from log text to UTC.
 *
 * The arithmetic is done here (days from civil, after H. Hinnant's
 * public-domain algorithm) rather than through GDateTime: a log excerpt
 * holds thousands of times, and this allocates nothing.
 *
 * What a log leaves out comes from the report (its Date, else its
 * arrival): a two-digit year is put in the century that makes it nearest
 * the report's year and not after the next one (99 is 1999, 25 is 2025
 * for a report of 2026); a time without a year takes the report's year,
 * or the year before when it would lie more than a day after the report
 * (a December log reported in January); a time of day alone (tcpdump's
 * 21:59:59.123456, "[21:59:59]") takes the report's date, or the day
 * before when it would lie more than an hour after the report (a log of
 * last night sent in the morning; an hour of slack for a sender's clock);
 * a time without a zone takes the report's zone, and says so.
 */
#include "madoguchi/timestamp.h"

#include <string.h>

gint64
timestamp_days_from_civil (int year, int month, int day)
{
  gint64 y = year - (month <= 2);
  gint64 era = (y >= 0 ? y : y - 399) / 400;
  gint64 yoe = y - era * 400;
  gint64 doy = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1;
  gint64 doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;

  return era * 146097 + doe - 719468;
}

/* Named group name of the match, as a slice of subject. */
static gboolean
group (const TimestampMatch *m, RuleGroup name, RuleSlice *out)
{
  return rules_group (m->rule, m->md, m->subject, name, out);
}

/* A group of ASCII digits as a number; FALSE if absent or not digits. */
static gboolean
group_int (const TimestampMatch *m, RuleGroup name, gint64 *value)
{
  RuleSlice s;

  if (!group (m, name, &s) || s.len > 12)
    return FALSE;
  *value = 0;
  for (gsize i = 0; i < s.len; i++)
    {
      if (!g_ascii_isdigit (s.text[i]))
        return FALSE;
      *value = *value * 10 + (s.text[i] - '0');
    }
  return TRUE;
}

/* A TAI64 label in hex (daemontools, qmail, s6: "@4000000065a1b2c3"
 * and 8 hex digits of nanoseconds) as Unix seconds: 2^62 + 10 + seconds,
 * as tai64nlocal reads it. */
static gboolean
tai64_to_unix (RuleSlice s, gint64 *unix_time)
{
  guint64 label = 0;

  if (s.len != 16 || s.text[0] != '4')
    return FALSE;
  for (gsize i = 0; i < s.len; i++)
    {
      if (!g_ascii_isxdigit (s.text[i]))
        return FALSE;
      label = label << 4 | (guint64) g_ascii_xdigit_value (s.text[i]);
    }
  if (label < (G_GUINT64_CONSTANT (1) << 62) + 10)
    return FALSE;
  *unix_time = (gint64) (label - (G_GUINT64_CONSTANT (1) << 62) - 10);
  return TRUE;
}

/* The epoch group: Unix seconds in decimal, or a TAI64 label. */
static gboolean
read_epoch (const TimestampMatch *m, gint64 *epoch)
{
  RuleSlice s;

  if (group_int (m, RULE_GROUP_EPOCH, epoch))
    return TRUE;
  return group (m, RULE_GROUP_EPOCH, &s) && tai64_to_unix (s, epoch);
}

static gboolean
month_from_name (RuleSlice s, gint64 *month)
{
  static const char names[] = "janfebmaraprmayjunjulaugsepoctnovdec";

  for (int i = 0; i < 12 && s.len >= 3; i++)
    if (g_ascii_strncasecmp (s.text, names + i * 3, 3) == 0)
      {
        *month = i + 1;
        return TRUE;
      }
  return FALSE;
}

typedef struct
{
  gint64 year, month, day, hour, minute, second;
} Fields;

static gboolean
read_date (const TimestampMatch *m, Fields *f)
{
  RuleSlice mon;

  if (!group_int (m, RULE_GROUP_MONTH, &f->month)
      && !(group (m, RULE_GROUP_MON, &mon) && month_from_name (mon, &f->month)))
    return FALSE;
  return group_int (m, RULE_GROUP_DAY, &f->day) && f->month >= 1
         && f->month <= 12 && f->day >= 1 && f->day <= 31;
}

static gboolean
read_clock (const TimestampMatch *m, Fields *f)
{
  RuleSlice ampm;

  if (!group_int (m, RULE_GROUP_HOUR, &f->hour)
      || !group_int (m, RULE_GROUP_MINUTE, &f->minute))
    return FALSE;
  if (!group_int (m, RULE_GROUP_SECOND, &f->second))
    f->second = 0;
  if (group (m, RULE_GROUP_AMPM, &ampm))
    {
      /* "PM", "p.m." or Japanese 午後 (afternoon; 午前 is morning). */
      gboolean pm = g_ascii_tolower (ampm.text[0]) == 'p'
                    || (ampm.len == strlen ("午後")
                        && memcmp (ampm.text, "午後", ampm.len) == 0);

      if (f->hour < 1 || f->hour > 12)
        return FALSE;
      f->hour = f->hour % 12 + (pm ? 12 : 0);
    }
  /* A leap second is kept in its minute. */
  f->second = MIN (f->second, 59);
  return f->hour <= 23 && f->minute <= 59;
}

static gint64
fields_to_utc (const Fields *f, int offset)
{
  return timestamp_days_from_civil ((int) f->year, (int) f->month, (int) f->day)
             * 86400
         + f->hour * 3600 + f->minute * 60 + f->second - offset;
}

/* Zone names reports use that rules_parse_zone does not know (in
 * minutes east of UTC).  The US reading of CST (-0600) is kept there. */
static gboolean
extra_zone (RuleSlice s, int *offset)
{
  static const struct
  {
    const char *name;
    int minutes;
  } zones[] = {
    { "BST", 60 },   { "WEST", 60 },   { "MEZ", 60 },    { "MESZ", 120 },
    { "EEST", 180 }, { "MSK", 180 },   { "ICT", 420 },   { "WIB", 420 },
    { "PHT", 480 },  { "AWST", 480 },  { "ACST", 570 },  { "AEST", 600 },
    { "ACDT", 630 }, { "AEDT", 660 },  { "NZST", 720 },  { "NZDT", 780 },
    { "HST", -600 }, { "AKST", -540 }, { "AKDT", -480 }, { "AST", -240 },
    { "ADT", -180 }, { "NST", -210 },  { "NDT", -150 },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (zones); i++)
    if (strlen (zones[i].name) == s.len
        && g_ascii_strncasecmp (s.text, zones[i].name, s.len) == 0)
      {
        *offset = zones[i].minutes * 60;
        return TRUE;
      }
  return FALSE;
}

/*
 * A zone as reports write it: a name, "+0900", "+09:00", and also "UTC+9",
 * "GMT-5", "+9:00", "UTC+5:30" (one-digit hours, a UTC or GMT before the
 * offset), which are made "+09", "-05", "+09:00" for rules_parse_zone.
 */
static gboolean
parse_zone (RuleSlice s, int *offset)
{
  char buf[8];

  if (extra_zone (s, offset))
    return TRUE;
  for (gsize n = 3; n >= 2; n--)
    if (s.len > n && (s.text[n] == '+' || s.text[n] == '-')
        && (g_ascii_strncasecmp (s.text, "UTC", n) == 0
            || (n == 3 && g_ascii_strncasecmp (s.text, "GMT", 3) == 0)))
      {
        s.text += n;
        s.len -= n;
        break;
      }
  if (s.len >= 2 && (s.text[0] == '+' || s.text[0] == '-')
      && g_ascii_isdigit (s.text[1])
      && (s.len == 2 || !g_ascii_isdigit (s.text[2])) && s.len <= 5)
    {
      /* One digit of hours: "+9", "+9:00". */
      buf[0] = s.text[0];
      buf[1] = '0';
      memcpy (buf + 2, s.text + 1, s.len - 1);
      return rules_parse_zone (buf, s.len + 1, offset);
    }
  return rules_parse_zone (s.text, s.len, offset);
}

/* The zone: written, else the rule's, else the report's (assumed). */
static gboolean
read_zone (const TimestampMatch *m, const TimeReference *ref, int *offset,
           gboolean *assumed)
{
  const RuleInfo *info = rules_info (m->rule);
  RuleSlice zone;

  *assumed = FALSE;
  if (group (m, RULE_GROUP_ZONE, &zone))
    return parse_zone (zone, offset);
  if (info->zone_fixed)
    {
      *offset = info->zone_offset;
      return TRUE;
    }
  *offset = ref->offset;
  *assumed = TRUE;
  return TRUE;
}

/* The reference's calendar year in its own zone. */
static int
reference_year (const TimeReference *ref)
{
  gint64 days = (ref->time + ref->offset) / 86400;
  int year = 1970 + (int) (days / 366);

  while (timestamp_days_from_civil (year + 1, 1, 1) <= days)
    year++;
  return year;
}

/* Whether the match names no date at all: a time of day alone. */
static gboolean
time_only (const TimestampMatch *m)
{
  RuleSlice s;

  return !group (m, RULE_GROUP_MONTH, &s) && !group (m, RULE_GROUP_MON, &s)
         && !group (m, RULE_GROUP_DAY, &s);
}

/* A time of day on the report's date in its zone (offset), or on the day
 * before when that would put it more than an hour after the report. */
static gint64
on_report_day (const Fields *f, int offset, const TimeReference *ref)
{
  gint64 local = ref->time + offset;
  gint64 day = (local >= 0 ? local : local - 86399) / 86400;
  gint64 utc
      = day * 86400 + f->hour * 3600 + f->minute * 60 + f->second - offset;

  return utc > ref->time + 3600 ? utc - 86400 : utc;
}

/*
 * The year: written (four digits, two, or a Reiwa year), else the
 * report's, or the one before it when the time would lie more than a day
 * after the report.
 */
static void
read_year (const TimestampMatch *m, const TimeReference *ref, Fields *f,
           int offset)
{
  RuleSlice y;
  int ref_year = reference_year (ref);

  if (group_int (m, RULE_GROUP_REIWA, &f->year))
    f->year += 2018; /* 令和元年 (Reiwa 1) is 2019 */
  else if (group_int (m, RULE_GROUP_YEAR, &f->year))
    {
      /* Two digits: the century that puts it nearest the report's year,
       * at most a year after it. */
      if (group (m, RULE_GROUP_YEAR, &y) && y.len == 2)
        {
          f->year += ref_year - ref_year % 100;
          if (f->year > ref_year + 1)
            f->year -= 100;
        }
    }
  else
    {
      f->year = ref_year;
      if (fields_to_utc (f, offset) > ref->time + 86400)
        f->year--;
    }
}

gboolean
timestamp_from_match (const TimestampMatch *m, const TimeReference *ref,
                      gint64 *utc, gboolean *assumed)
{
  Fields f = { 0 };
  gint64 epoch;
  int offset;

  *assumed = FALSE;
  if (read_epoch (m, &epoch))
    {
      *utc = epoch;
      return epoch > 0;
    }
  if (!read_clock (m, &f) || !read_zone (m, ref, &offset, assumed))
    return FALSE;
  if (time_only (m))
    {
      *utc = on_report_day (&f, offset, ref);
      return TRUE;
    }
  if (!read_date (m, &f))
    return FALSE;
  read_year (m, ref, &f, offset);
  if (f.year < 1970 || f.year > 2100
      || !g_date_valid_dmy ((GDateDay) f.day, (GDateMonth) f.month,
                            (GDateYear) f.year))
    return FALSE;
  *utc = fields_to_utc (&f, offset);
  return TRUE;
}
