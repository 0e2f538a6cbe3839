/*
 * timestamp.h - turn a timestamp rule's match into UTC seconds, by the
 * rule's recipe: named groups year (or reiwa, a year of Japan's Reiwa
 * era), month or mon, day, hour, minute, second, ampm (AM/PM, 午前/午後),
 * zone, or epoch.
 */
#ifndef MADOGUCHI_TIMESTAMP_H
#define MADOGUCHI_TIMESTAMP_H

#include <glib.h>

#include "madoguchi/rules.h"

typedef struct
{
  gint64 time; /* the report's Date (else arrival), UTC seconds */
  int offset;  /* the zone of that Date, seconds east of UTC */
} TimeReference;

/* A timestamp rule's match: the last match in md of rule, on subject. */
typedef struct
{
  const Rule *rule;
  const RuleMatch *md;
  const char *subject;
} TimestampMatch;

/*
 * Computes the UTC time of the match m.  A time without a zone takes the
 * rule's zone, else the reference's (and then *assumed is TRUE); a time
 * without a year takes the reference's year, or the year before when it
 * would lie more than a day after it.  Returns FALSE when the fields do
 * not make a real time.
 */
gboolean timestamp_from_match (const TimestampMatch *m,
                               const TimeReference *ref, gint64 *utc,
                               gboolean *assumed);

/* Days since 1970-01-01 of a proleptic Gregorian date. */
gint64 timestamp_days_from_civil (int year, int month, int day);

#endif
