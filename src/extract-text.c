/*
 * extract-text.c - a source as a person reads it: fullwidth ASCII folded,
 * runs of log lines kept as excerpts (within EXCERPT_TEXT_MAX), a CSV feed
 * read row by row, and the times capped to the earliest and the latest.
 */
#include <string.h>

#include "extract-private.h"
#include "madoguchi/charset.h"
#include "madoguchi/feed.h"

/* (transfer full) the text of 1-based lines first..last. */
static char *
lines_text (const Scan *s, guint first, guint last)
{
  gsize start = g_array_index (s->line_starts, gsize, first - 1);
  gsize end = last < s->line_starts->len
                  ? g_array_index (s->line_starts, gsize, last)
                  : s->len;

  while (end > start && (s->text[end - 1] == '\n'))
    end--;
  return g_strndup (s->text + start, end - start);
}

gint
extract_compare_hits (gconstpointer a, gconstpointer b)
{
  const Hit *x = a;
  const Hit *y = b;

  return x->offset < y->offset ? -1 : x->offset > y->offset;
}

/* Lines that begin (after indentation or quoting) with an event time. */
static void
mark_timed_lines (Scan *s)
{
  for (guint i = 0; i < s->times->len; i++)
    {
      const Hit *t = &g_array_index (s->times, Hit, i);
      gsize p = g_array_index (s->line_starts, gsize, t->line - 1);

      while (p < t->offset && strchr (" \t>[<", s->text[p]) != NULL)
        p++;
      if (p == t->offset)
        s->log_line[t->line - 1] = 1;
    }
}

static void
add_excerpt (Scan *s, guint first, guint last)
{
  Excerpt *e;
  char *text;

  if (s->excerpt_bytes >= EXCERPT_TEXT_MAX)
    {
      s->result->limit_hit = TRUE;
      return;
    }
  text = lines_text (s, first, last);
  if (strlen (text) > EXCERPT_TEXT_MAX - s->excerpt_bytes)
    {
      /* Cut at a character boundary, and say so. */
      text[charset_utf8_cut (text, strlen (text),
                             EXCERPT_TEXT_MAX - s->excerpt_bytes)]
          = '\0';
      s->result->limit_hit = TRUE;
    }
  s->excerpt_bytes += strlen (text);
  e = g_new0 (Excerpt, 1);
  e->part = s->part;
  e->first_line = first;
  e->last_line = last;
  e->text = text;
  g_ptr_array_add (s->result->excerpts, e);
}

/* Runs of consecutive log lines become excerpts. */
void
extract_find_excerpts (Scan *s)
{
  guint lines = s->line_starts->len;
  guint first = 0;

  mark_timed_lines (s);
  for (guint i = 0; i <= lines; i++)
    {
      gboolean log = i < lines && s->log_line[i];

      if (log && first == 0)
        first = i + 1;
      else if (!log && first != 0)
        {
          add_excerpt (s, first, i);
          first = 0;
        }
    }
}

/* Whether text has fullwidth forms (U+FF01..U+FF5D) or U+3000. */
gboolean
extract_has_fullwidth (const char *text, gsize len)
{
  return charset_has_bytes (text, len, "\xEF\xBC", 2)
         || charset_has_bytes (text, len, "\xEF\xBD", 2)
         || charset_has_bytes (text, len, "\xE3\x80\x80", 3);
}

/*
 * (transfer full) text with fullwidth ASCII (１９２．０．２．１) written
 * as ASCII and the ideographic space as a space, as a Japanese reader
 * reads it.  The fullwidth tilde ～ stays: it is a Japanese character.
 */
char *
extract_fold_fullwidth (const char *text, gsize len, gsize *out_len)
{
  GString *out = g_string_sized_new (len);

  for (const char *p = text; p < text + len; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);

      if (c >= 0xFF01 && c <= 0xFF5D)
        g_string_append_c (out, (char) (c - 0xFF01 + 0x21));
      else if (c == 0x3000)
        g_string_append_c (out, ' ');
      else
        g_string_append_len (out, p, g_utf8_next_char (p) - p);
    }
  *out_len = out->len;
  return g_string_free (out, FALSE);
}

/* A report type of a CSV feed, kept once (and at most FEED_TYPES_MAX). */
#define FEED_TYPES_MAX 32

static void
feed_note_type (Scan *s, const char *type)
{
  GPtrArray *types = s->result->feed_types;
  g_autofree char *lower = NULL;

  if (type == NULL || types->len >= FEED_TYPES_MAX)
    return;
  lower = g_utf8_make_valid (type, MIN (strlen (type), 128));
  g_strdelimit (lower, "\n\r", ' ');
  for (guint i = 0; i < types->len; i++)
    if (g_ascii_strcasecmp (types->pdata[i], lower) == 0)
      return;
  g_ptr_array_add (types, g_ascii_strdown (lower, -1));
}

/* A feed's time column is its event time: what the timestamp rules made
 * of its rows (in the report's zone, where the column may say UTC) goes. */
static void
drop_row_times (Scan *s)
{
  GPtrArray *all = s->result->timestamps;
  guint n = 0;
  guint k = 0;

  for (guint i = 0; i < s->times->len; i++)
    if (g_array_index (s->times, Hit, i).line < 2)
      g_array_index (s->times, Hit, k++) = g_array_index (s->times, Hit, i);
  g_array_set_size (s->times, k);
  g_ptr_array_set_free_func (all, NULL);
  for (guint i = 0; i < all->len; i++)
    {
      Timestamp *t = all->pdata[i];

      if (t->part == s->part && t->line >= 2)
        report_timestamp_free (t);
      else
        all->pdata[n++] = t;
    }
  g_ptr_array_set_size (all, n);
  g_ptr_array_set_free_func (all, (GDestroyNotify) report_timestamp_free);
}

/* The row's address; counted here only if no rule found it. */
static Indicator *
feed_indicator (Scan *s, const char *text, gsize offset)
{
  g_autofree char *clean = address_refang (text, strlen (text));
  g_autofree char *key = NULL;
  AddressMatch a = { 0 };
  Indicator *ind;

  if (!address_parse (clean, a.ip, &a.mapped))
    return NULL;
  a.kind = address_is_v4 (a.ip) && !a.mapped ? "ipv4" : "ipv6";
  a.value = address_format (a.ip, a.mapped);
  memcpy (a.ip_end, a.ip, 16);
  key = g_strconcat (a.kind, " ", a.value, NULL);
  ind = g_hash_table_lookup (s->by_key, key);
  if (ind == NULL || ind->count == 0)
    extract_address_count (s, &a, offset);
  ind = g_hash_table_lookup (s->by_key, key);
  g_free (a.value);
  return ind;
}

static void
feed_time_of (Scan *s, const Feed *feed, const FeedRow *row)
{
  const char *value = row->fields[FEED_TIME];
  Timestamp *t;
  gint64 utc;
  gboolean assumed;

  if (value == NULL || row->line > s->line_starts->len
      || !feed_time (feed, value, s->ref.offset, &utc, &assumed))
    return;
  t = g_new0 (Timestamp, 1);
  t->utc = utc;
  t->original = g_utf8_make_valid (value, MIN (strlen (value), 64));
  t->rule = g_strconcat ("feed:", feed_column_name (feed, FEED_TIME), NULL);
  t->zone_assumed = assumed;
  t->part = s->part;
  t->line = row->line;
  t->order = extract_order_of (s, row->offset);
  g_ptr_array_add (s->result->timestamps, t);
  g_array_append_val (s->times,
                      ((Hit){ row->offset, row->line, NULL, 0, utc }));
}

/* One row: its lines an excerpt, its address the report's source, with
 * the row's port and event time. */
static void
feed_row (Scan *s, const Feed *feed, const FeedRow *row)
{
  const char *port = row->fields[FEED_PORT];
  Indicator *ind;
  gint64 number;

  for (guint l = row->line; l <= row->last_line && l <= s->line_starts->len;
       l++)
    s->log_line[l - 1] = 1;
  feed_note_type (s, row->fields[FEED_TYPE]);
  feed_time_of (s, feed, row);
  if (row->fields[FEED_ADDRESS] == NULL
      || (ind = feed_indicator (s, row->fields[FEED_ADDRESS], row->offset))
             == NULL)
    return;
  ind->role = "source";
  if (port != NULL
      && g_ascii_string_to_signed (port, 10, 1, 65535, &number, NULL))
    extract_indicator_add_port (ind, (guint16) number);
}

/*
 * The current source read as a CSV feed, if it is one: each row's
 * address, port and time (its own zone, else as feed_time says) and the
 * rows as an excerpt under their header; the feed's report type (file
 * name, type column) for classify.
 */
void
extract_scan_feed (Scan *s)
{
  g_autoptr (Feed) feed = feed_open (s->text, s->len, s->feed_part->filename);
  FeedRow row;

  if (feed == NULL)
    return;
  feed_note_type (s, feed_type (feed));
  if (feed_column_name (feed, FEED_TIME) != NULL)
    drop_row_times (s);
  s->log_line[0] = 1;
  while (feed_next (feed, &row))
    feed_row (s, feed, &row);
  g_array_sort (s->addresses, extract_compare_hits);
  g_array_sort (s->times, extract_compare_hits);
}

/* Orders timestamps by time, then by place. */
static gint
compare_times (gconstpointer a, gconstpointer b)
{
  const Timestamp *x = *(const Timestamp *const *) a;
  const Timestamp *y = *(const Timestamp *const *) b;

  if (x->utc != y->utc)
    return x->utc < y->utc ? -1 : 1;
  return x->order < y->order ? -1 : x->order > y->order;
}

/*
 * Past max_timestamps, keeps the earliest half and the latest half of
 * the times (in text order still; the earliest half has the odd one)
 * and counts the rest: a log of 250,000 timed lines made as many rows,
 * 0.7 s of filing (bench/hostile.sh many-times), while what an operator
 * reads is when it began and when it ended (show prints the first and
 * last five).
 */
void
extract_cap_timestamps (Scan *s)
{
  GPtrArray *all = s->result->timestamps;
  guint max = s->options->max_timestamps;
  g_autoptr (GPtrArray) by_time = NULL;
  g_autoptr (GHashTable) kept = NULL;
  guint n = 0;

  if (max == 0 || all->len <= max)
    return;
  by_time = g_ptr_array_copy (all, NULL, NULL);
  g_ptr_array_set_free_func (by_time, NULL); /* the copy owns none */
  g_ptr_array_sort (by_time, compare_times);
  kept = g_hash_table_new (NULL, NULL);
  for (guint i = 0; i < max; i++)
    g_hash_table_add (
        kept, by_time->pdata[i < (max + 1) / 2 ? i : by_time->len - (max - i)]);
  for (guint i = 0; i < all->len; i++)
    if (g_hash_table_contains (kept, all->pdata[i]))
      all->pdata[n++] = all->pdata[i];
    else
      report_timestamp_free (all->pdata[i]);
  s->result->timestamps_dropped = all->len - n;
  /* Their elements are moved or freed already: only shorten. */
  g_ptr_array_set_free_func (all, NULL);
  g_ptr_array_set_size (all, n);
  g_ptr_array_set_free_func (all, (GDestroyNotify) report_timestamp_free);
}
