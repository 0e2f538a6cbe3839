/*
 * feed.c - read the rows of a machine-generated CSV report.
 *
 * Written here rather than taken from a library: GLib has no CSV reader,
 * libcsv is not in Debian 12's main set of -dev packages madoguchi uses,
 * and what a feed needs (quotes, three separators, a BOM, a header to
 * map) is a small state machine.  csv.c is the writer for --format csv
 * and shares nothing with reading.  Rows are read in place from the
 * part's text, one row's fields at a time, so a 20 MB feed costs its
 * text and one row.
 */
#include "madoguchi/feed.h"

#include <string.h>

struct Feed
{
  const char *text;
  gsize len;
  gsize pos;
  guint line;
  char sep;
  int columns[FEED_COLUMNS]; /* field index of each column, or -1 */
  char *names[FEED_COLUMNS];
  char *type;
  GString *buf;   /* the current row's fields, NUL-separated */
  GArray *starts; /* guint: where each field starts in buf */
  guint row_line;
  gsize row_offset;
};

/* Header names of each column, the most telling first. */
static const char *const address_names[] = {
  "ip",          "src_ip",    "source_ip",
  "ip_address",  "src_addr",  "source_address",
  "srcip",       "sourceip",  "src_address",
  "src",         "source",    "ipaddress",
  "ipv4",        "ipv6",      "address",
  "addr",        "host_ip",   "client_ip",
  "attacker_ip", "remote_ip", "infected_ip",
  "bot_ip",      NULL,
};
static const char *const time_names[] = {
  "timestamp", "time",      "timestamp_utc", "time_utc",
  "datetime",  "date_time", "event_time",    "first_seen",
  "last_seen", "date",      "date_utc",      "time_observation",
  "seen",      "observed",  "detected",      NULL,
};
static const char *const port_names[] = {
  "port", "src_port", "source_port", "srcport", NULL,
};
static const char *const asn_names[] = {
  "asn", "src_asn", "source_asn", "as", "as_number", NULL,
};
static const char *const hostname_names[] = {
  "hostname", "host", "src_hostname", "rdns", "reverse_dns", "fqdn", NULL,
};
static const char *const type_names[] = {
  "type",           "report_type", "event_type", "category",
  "classification", "feed",        NULL,
};
static const char *const tag_names[] = {
  "tag", "tags", "infection", "malware", "threat", NULL,
};

static const char *const *const column_names[FEED_COLUMNS] = {
  address_names,  time_names, port_names, asn_names,
  hostname_names, type_names, tag_names,
};

void
feed_free (Feed *feed)
{
  if (feed == NULL)
    return;
  for (int c = 0; c < FEED_COLUMNS; c++)
    g_free (feed->names[c]);
  g_free (feed->type);
  g_string_free (feed->buf, TRUE);
  g_array_unref (feed->starts);
  g_free (feed);
}

static void
field_end (Feed *f)
{
  guint start;

  g_string_append_c (f->buf, '\0');
  start = (guint) f->buf->len;
  g_array_append_val (f->starts, start);
}

/* A quoted field's bytes up to its closing quote; "" is one quote. */
static void
read_quoted (Feed *f)
{
  while (f->pos < f->len)
    {
      char c = f->text[f->pos++];

      if (c == '"')
        {
          if (f->pos < f->len && f->text[f->pos] == '"')
            f->pos++;
          else
            return;
        }
      else if (c == '\n')
        f->line++;
      g_string_append_c (f->buf, c);
    }
}

/* The next row's fields into buf; FALSE at the end of the text. */
static gboolean
read_row (Feed *f)
{
  guint zero = 0;

  if (f->pos >= f->len)
    return FALSE;
  g_string_truncate (f->buf, 0);
  g_array_set_size (f->starts, 0);
  g_array_append_val (f->starts, zero);
  f->row_line = f->line;
  f->row_offset = f->pos;
  while (f->pos < f->len)
    {
      char c = f->text[f->pos++];
      guint start = g_array_index (f->starts, guint, f->starts->len - 1);

      if (c == '"' && f->buf->len == start)
        read_quoted (f);
      else if (c == f->sep)
        field_end (f);
      else if (c == '\n' || c == '\r')
        {
          if (c == '\r' && f->pos < f->len && f->text[f->pos] == '\n')
            f->pos++;
          f->line++;
          break;
        }
      else
        g_string_append_c (f->buf, c);
    }
  g_string_append_c (f->buf, '\0');
  return TRUE;
}

/* "Source IP" -> "source_ip" */
static char *
header_key (const char *name)
{
  char *key = g_ascii_strdown (g_strstrip ((char *) name), -1);

  for (char *p = key; *p != '\0'; p++)
    if (*p == ' ' || *p == '-' || *p == '.')
      *p = '_';
  return key;
}

static const char *
field_at (const Feed *f, guint i)
{
  return f->buf->str + g_array_index (f->starts, guint, i);
}

/* Maps the header row just read to the columns; FALSE when it names no
 * address column. */
static gboolean
map_header (Feed *f)
{
  g_autoptr (GPtrArray) keys = g_ptr_array_new_with_free_func (g_free);

  for (guint i = 0; i < f->starts->len; i++)
    g_ptr_array_add (keys, header_key ((char *) field_at (f, i)));
  for (int c = 0; c < FEED_COLUMNS; c++)
    {
      f->columns[c] = -1;
      for (const char *const *n = column_names[c];
           *n != NULL && f->columns[c] < 0; n++)
        for (guint i = 0; i < keys->len; i++)
          if (strcmp (keys->pdata[i], *n) == 0)
            {
              f->columns[c] = (int) i;
              f->names[c] = g_strdup (keys->pdata[i]);
              break;
            }
    }
  return f->columns[FEED_ADDRESS] >= 0;
}

Feed *
feed_open (const char *text, gsize len, const char *filename)
{
  static const char seps[] = { ',', ';', '\t' };
  g_autoptr (Feed) f = g_new0 (Feed, 1);
  gsize bom = len >= 3 && memcmp (text, "\357\273\277", 3) == 0 ? 3 : 0;

  f->text = text;
  f->len = len;
  f->buf = g_string_new (NULL);
  f->starts = g_array_new (FALSE, FALSE, sizeof (guint));
  for (gsize s = 0; s < G_N_ELEMENTS (seps); s++)
    {
      f->sep = seps[s];
      f->pos = bom;
      f->line = 1;
      for (int c = 0; c < FEED_COLUMNS; c++)
        g_clear_pointer (&f->names[c], g_free);
      if (read_row (f) && f->starts->len >= 2 && map_header (f))
        {
          f->type = feed_type_from_name (filename);
          return g_steal_pointer (&f);
        }
    }
  return NULL;
}

/* Trims spaces around the field in place. */
static const char *
field_trimmed (Feed *f, guint i)
{
  char *value = f->buf->str + g_array_index (f->starts, guint, i);

  return g_strstrip (value);
}

gboolean
feed_next (Feed *feed, FeedRow *row)
{
  do
    if (!read_row (feed))
      return FALSE;
  while (feed->starts->len == 1 && feed->buf->len == 1); /* empty line */
  row->line = feed->row_line;
  row->last_line
      = feed->line > feed->row_line ? feed->line - 1 : feed->row_line;
  row->offset = feed->row_offset;
  for (int c = 0; c < FEED_COLUMNS; c++)
    {
      int i = feed->columns[c];

      row->fields[c] = i >= 0 && (guint) i < feed->starts->len
                           ? field_trimmed (feed, (guint) i)
                           : NULL;
      if (row->fields[c] != NULL && *row->fields[c] == '\0')
        row->fields[c] = NULL;
    }
  return TRUE;
}

const char *
feed_column_name (const Feed *feed, FeedColumn column)
{
  return feed->names[column];
}

const char *
feed_type (const Feed *feed)
{
  return feed->type;
}

/* Where a date begins in a file name: "-2026-12-01", "_20261201". */
static gboolean
date_at (const char *p)
{
  return strchr ("-_.", p[0]) != NULL && (p[1] == '1' || p[1] == '2')
         && g_ascii_isdigit (p[2]) && g_ascii_isdigit (p[3])
         && g_ascii_isdigit (p[4]);
}

char *
feed_type_from_name (const char *filename)
{
  const char *base;
  g_autofree char *type = NULL;
  gsize len;

  if (filename == NULL)
    return NULL;
  base = strrchr (filename, '/');
  base = base != NULL ? base + 1 : filename;
  if (strrchr (base, '\\') != NULL)
    base = strrchr (base, '\\') + 1;
  len = strcspn (base, ".");
  for (gsize i = 0; i < len && base[i] != '\0'; i++)
    if (i > 0 && date_at (base + i))
      {
        len = i;
        break;
      }
  type = g_ascii_strdown (base, (gssize) len);
  g_strdelimit (type, " ", '_');
  return *type != '\0' ? g_steal_pointer (&type) : NULL;
}

/* "2026-12-01 10:00:00 UTC" -> "2026-12-01T10:00:00Z", a date alone at
 * midnight, " +0900" without its space: what GLib's ISO 8601 reads. */
static char *
iso_form (const char *value)
{
  GString *s = g_string_new (value);

  if (s->len >= 11 && s->str[10] == ' ')
    s->str[10] = 'T';
  if (s->len == 10)
    g_string_append (s, "T00:00:00");
  if (g_str_has_suffix (s->str, " UTC") || g_str_has_suffix (s->str, " GMT"))
    g_string_append_c (g_string_truncate (s, s->len - 4), 'Z');
  else if (g_str_has_suffix (s->str, "UTC"))
    g_string_append_c (g_string_truncate (s, s->len - 3), 'Z');
  if (s->len > 6 && s->str[s->len - 6] == ' '
      && strchr ("+-", s->str[s->len - 5]) != NULL)
    g_string_erase (s, (gssize) s->len - 6, 1);
  return g_string_free (s, FALSE);
}

gboolean
feed_time (const Feed *feed, const char *value, int offset, gint64 *utc,
           gboolean *assumed)
{
  const char *name = feed->names[FEED_TIME];
  gboolean column_utc = name != NULL && strstr (name, "utc") != NULL;
  g_autofree char *iso = NULL;
  g_autoptr (GTimeZone) zone = NULL;
  g_autoptr (GDateTime) dt = NULL;
  gsize len = strlen (value);

  if ((len == 10 || len == 13) && strspn (value, "0123456789") == len)
    {
      *utc = g_ascii_strtoll (value, NULL, 10) / (len == 13 ? 1000 : 1);
      *assumed = FALSE;
      return TRUE;
    }
  iso = iso_form (value);
  dt = g_date_time_new_from_iso8601 (iso, NULL);
  *assumed = FALSE;
  if (dt == NULL)
    {
      zone = column_utc ? g_time_zone_new_utc ()
                        : g_time_zone_new_offset (offset);
      dt = g_date_time_new_from_iso8601 (iso, zone);
      *assumed = !column_utc;
    }
  if (dt == NULL)
    return FALSE;
  *utc = g_date_time_to_unix (dt);
  return TRUE;
}
