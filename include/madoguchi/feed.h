/*
 * feed.h - machine-generated CSV reports ("feeds"): the per-network
 * reports that scanning, sinkhole and honeypot services mail to network
 * owners, one CSV per report type (scan_ssh-2026-12-01.csv, ...).
 *
 * A text is a feed when its first line (after a BOM) is a header naming
 * an address column; the separator is the one of ',', ';' and tab that
 * makes such a header.  Fields may be quoted ("a, b", "line\nline",
 * "say ""x"""), as RFC 4180 has it.  Reading never fails: a short row
 * lacks fields, a broken quote ends its row at the end of the text.
 */
#ifndef MADOGUCHI_FEED_H
#define MADOGUCHI_FEED_H

#include <glib.h>

/* The columns a feed may have that madoguchi reads. */
typedef enum
{
  FEED_ADDRESS, /* ip, src_ip, source_ip, src, source, ... */
  FEED_TIME,    /* timestamp, time, first_seen, last_seen, date */
  FEED_PORT,
  FEED_ASN,
  FEED_HOSTNAME,
  FEED_TYPE, /* the report type, per row */
  FEED_TAG,
  FEED_COLUMNS,
} FeedColumn;

typedef struct
{
  guint line;      /* 1-based line of the text where the row starts */
  guint last_line; /* and where it ends (quoted newlines) */
  gsize offset;    /* byte offset of its start */
  /* The value of each column, unquoted; NULL when the feed or the row
   * has none.  Valid until the next feed_next. */
  const char *fields[FEED_COLUMNS];
} FeedRow;

typedef struct Feed Feed;

/*
 * (transfer full) a reader of the rows of text (len bytes, which must
 * outlive it), or NULL when text is not a feed.  filename (or NULL), the
 * name the text came with, gives the report type.
 */
Feed *feed_open (const char *text, gsize len, const char *filename);

/* The next data row; FALSE past the last. */
gboolean feed_next (Feed *feed, FeedRow *row);

/* The header's name of a column, or NULL when the feed has none. */
const char *feed_column_name (const Feed *feed, FeedColumn column);

/*
 * The report type from a file name, lower case, without its extensions
 * and date ("scan_ssh-2026-12-01.csv" -> "scan_ssh"); NULL when none.
 */
char *feed_type_from_name (const char *filename);

/* The report type of the feed's file name (transfer none), or NULL. */
const char *feed_type (const Feed *feed);

/*
 * The UTC time of a time column's value: ISO 8601 with 'T' or a space,
 * a date alone, a "Z", "UTC" or numeric zone, or Unix seconds.  Without
 * a zone the time is UTC when the column's name says so (timestamp_utc),
 * else in the zone offset seconds east of UTC, and *assumed is TRUE.
 * FALSE when value is no time.
 */
gboolean feed_time (const Feed *feed, const char *value, int offset,
                    gint64 *utc, gboolean *assumed);

void feed_free (Feed *feed);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (Feed, feed_free)

#endif
