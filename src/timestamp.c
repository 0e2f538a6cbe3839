/*
 * timestamp.c - event times from log text to UTC.
 *
 * The arithmetic is done here (days from civil, after H. Hinnant's
 * public-domain algorithm) rather than through GDateTime: a log excerpt
 * holds thousands of times, and this allocates nothing.
 */
#include "madoguchi/timestamp.h"

#include <string.h>

typedef struct
{
  const char *text;
  gsize len;
} Slice;

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
group (const Rule *rule, const RuleMatch *md, const char *subject,
       RuleGroup name, Slice *out)
{
  return rules_group (rule, md, subject, name, &out->text, &out->len);
}

/* A group of ASCII digits as a number; FALSE if absent or not digits. */
static gboolean
group_int (const Rule *rule, const RuleMatch *md, const char *subject,
           RuleGroup name, gint64 *value)
{
  Slice s;

  if (!group (rule, md, subject, name, &s) || s.len > 12)
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

static gboolean
month_from_name (Slice s, gint64 *month)
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
read_date (const Rule *rule, const RuleMatch *md, const char *subject,
           Fields *f)
{
  Slice mon;

  if (!group_int (rule, md, subject, RULE_GROUP_MONTH, &f->month)
      && !(group (rule, md, subject, RULE_GROUP_MON, &mon)
           && month_from_name (mon, &f->month)))
    return FALSE;
  return group_int (rule, md, subject, RULE_GROUP_DAY, &f->day) && f->month >= 1
         && f->month <= 12 && f->day >= 1 && f->day <= 31;
}

static gboolean
read_clock (const Rule *rule, const RuleMatch *md, const char *subject,
            Fields *f)
{
  Slice ampm;

  if (!group_int (rule, md, subject, RULE_GROUP_HOUR, &f->hour)
      || !group_int (rule, md, subject, RULE_GROUP_MINUTE, &f->minute))
    return FALSE;
  if (!group_int (rule, md, subject, RULE_GROUP_SECOND, &f->second))
    f->second = 0;
  if (group (rule, md, subject, RULE_GROUP_AMPM, &ampm))
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

/* The zone: written, else the rule's, else the report's (assumed). */
static gboolean
read_zone (const Rule *rule, const RuleMatch *md, const char *subject,
           const TimeReference *ref, int *offset, gboolean *assumed)
{
  const RuleInfo *info = rules_info (rule);
  Slice zone;

  *assumed = FALSE;
  if (group (rule, md, subject, RULE_GROUP_ZONE, &zone))
    return rules_parse_zone (zone.text, zone.len, offset);
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

gboolean
timestamp_from_match (const Rule *rule, const char *subject,
                      const RuleMatch *md, const TimeReference *ref,
                      gint64 *utc, gboolean *assumed)
{
  Fields f = { 0 };
  gint64 epoch;
  int offset;

  *assumed = FALSE;
  if (group_int (rule, md, subject, RULE_GROUP_EPOCH, &epoch))
    {
      *utc = epoch;
      return epoch > 0;
    }
  if (!read_date (rule, md, subject, &f) || !read_clock (rule, md, subject, &f)
      || !read_zone (rule, md, subject, ref, &offset, assumed))
    return FALSE;
  if (group_int (rule, md, subject, RULE_GROUP_REIWA, &f.year))
    f.year += 2018; /* 令和元年 (Reiwa 1) is 2019 */
  else if (!group_int (rule, md, subject, RULE_GROUP_YEAR, &f.year))
    {
      f.year = reference_year (ref);
      if (fields_to_utc (&f, offset) > ref->time + 86400)
        f.year--;
    }
  if (f.year < 1970 || f.year > 2100
      || !g_date_valid_dmy ((GDateDay) f.day, (GDateMonth) f.month,
                            (GDateYear) f.year))
    return FALSE;
  *utc = fields_to_utc (&f, offset);
  return TRUE;
}
