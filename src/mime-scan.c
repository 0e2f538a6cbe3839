/*
 * mime-scan.c - count what GMime would build, before it builds it
 * (mime-scan.h says why).
 *
 * One pass, a line at a time: a body line costs a look at its first two
 * bytes and a memchr for its end; only header lines are looked at byte
 * by byte (to count their bytes and words and to notice a boundary=, a
 * Content-Type naming a message/ type or a digest).  Lines span the
 * chunks raw hands out, so all state is kept in ScanState between them,
 * and every decision names the absolute offset it applies to.
 *
 * What GMime is given is a list of ranges: the message minus the header
 * lines left out, and up to the first delimiter line past max_parts.
 * Header lines are left out whole (a field and its folds), except a
 * line cut at the byte or word past a limit: its end of line is kept,
 * so that GMime still sees the block's structure.  The blank line that
 * ends a header block is always kept: the body after it is parsed.
 */
#include "madoguchi/mime-scan.h"

#include <string.h>

typedef enum
{
  LINE_START,  /* nothing of the line seen yet */
  LINE_FIRST,  /* one byte seen ('-' or '\r'), held in first */
  LINE_HEADER, /* a header line being kept: byte by byte */
  LINE_SKIP,   /* the rest of the line needs no look: to its end */
} LinePhase;

typedef struct
{
  const MimeScanLimits *limits;
  MimeScan *scan;
  LinePhase phase;
  gsize line_off; /* where the current line starts */
  char first;
  gboolean done;    /* the rest of the message is not given */
  gboolean keeping; /* inside a range being kept */
  gsize keep_from;
  gboolean line_cut; /* this line was cut: keep again at its end */
  /* header blocks */
  gboolean header;        /* in a header block */
  gboolean block_message; /* this block's Content-Type names message/ */
  gboolean block_part;    /* this block follows a delimiter line */
  gboolean digest;        /* a Content-Type named a digest: its parts
                           * are messages, whose headers follow theirs */
  gboolean drop_block;    /* the rest of this block is left out */
  gboolean drop_field;    /* the folds of this field are left out */
  gsize header_bytes;     /* kept, all blocks */
  /* the field being read */
  guint field_words;
  guint field_lines;
  gboolean in_word;
  int name_at; /* chars of "content-type" matched; -1 none */
  gboolean content_type;
  guint boundary_at; /* chars of "boundary" matched */
  guint message_at;  /* of "message" */
  guint digest_at;   /* of "digest" */
  gboolean boundary; /* a header named a boundary: "--" lines count */
} ScanState;

void
mime_scan_free (MimeScan *scan)
{
  if (scan == NULL)
    return;
  if (scan->ranges != NULL)
    g_array_unref (scan->ranges);
  g_free (scan);
}

static void
keep_at (ScanState *st, gsize off)
{
  if (st->keeping)
    return;
  st->keeping = TRUE;
  st->keep_from = off;
}

static void
drop_at (ScanState *st, gsize off)
{
  MimeScanRange range = { .from = st->keep_from, .to = off };

  if (!st->keeping)
    return;
  st->keeping = FALSE;
  if (off > st->keep_from)
    g_array_append_val (st->scan->ranges, range);
}

/* Advances *at over word when c continues it; TRUE when it is complete. */
static gboolean
match_word (guint *at, const char *word, char c)
{
  char lc = g_ascii_tolower (c);

  if (lc == word[*at])
    (*at)++;
  else
    *at = lc == word[0] ? 1 : 0;
  if (word[*at] != '\0')
    return FALSE;
  *at = 0;
  return TRUE;
}

/* The field name, matched against "content-type" (then blanks, ':'). */
static void
match_name (ScanState *st, char c)
{
  static const char name[] = "content-type";

  if (st->name_at < 0)
    return;
  if (st->name_at < (int) strlen (name)
      && g_ascii_tolower (c) == name[st->name_at])
    st->name_at++;
  else if (st->name_at == (int) strlen (name) && c == ':')
    {
      st->content_type = TRUE;
      st->name_at = -1;
    }
  else if (st->name_at != (int) strlen (name) || (c != ' ' && c != '\t'))
    st->name_at = -1;
}

/* A header block begins (the message's, a part's, a message part's). */
static void
block_start (ScanState *st)
{
  st->header = TRUE;
  st->block_message = FALSE;
  st->block_part = FALSE;
  st->drop_block = FALSE;
  st->drop_field = FALSE;
}

static void
cut_line (ScanState *st, gsize off)
{
  st->scan->headers_cut = TRUE;
  drop_at (st, off);
  st->line_cut = TRUE;
  st->phase = LINE_SKIP;
}

/* One byte of a kept header line, other than its newline. */
static void
header_byte (ScanState *st, gsize off, char c)
{
  if (++st->header_bytes > st->limits->max_header_size)
    {
      st->drop_block = TRUE;
      cut_line (st, off);
      return;
    }
  if (c == ' ' || c == '\t' || c == '\r')
    st->in_word = FALSE;
  else if (!st->in_word)
    {
      st->in_word = TRUE;
      if (++st->field_words > st->limits->max_field_words)
        {
          st->drop_field = TRUE;
          cut_line (st, off);
          return;
        }
    }
  match_name (st, c);
  if (match_word (&st->boundary_at, "boundary", c))
    st->boundary = TRUE;
  if (!st->content_type)
    return;
  if (match_word (&st->message_at, "message", c))
    st->block_message = TRUE;
  if (match_word (&st->digest_at, "digest", c))
    st->digest = TRUE;
}

static void
field_start (ScanState *st)
{
  st->field_words = 0;
  st->field_lines = 0;
  st->in_word = FALSE;
  st->name_at = 0;
  st->content_type = FALSE;
  st->boundary_at = st->message_at = st->digest_at = 0;
  st->drop_field = FALSE;
}

/* A line (not blank, not a delimiter) whose first byte is f. */
static void
line_decide (ScanState *st, char f)
{
  gboolean fold = f == ' ' || f == '\t';

  st->phase = LINE_SKIP;
  if (!st->header)
    return;
  if (st->drop_block || (fold && st->drop_field))
    {
      drop_at (st, st->line_off);
      return;
    }
  if (fold && st->field_lines >= st->limits->max_field_lines)
    {
      st->scan->headers_cut = TRUE;
      st->drop_field = TRUE;
      drop_at (st, st->line_off);
      return;
    }
  if (!fold
      && (st->scan->fields >= st->limits->max_fields
          || st->header_bytes >= st->limits->max_header_size))
    {
      st->scan->headers_cut = TRUE;
      st->drop_block = TRUE;
      drop_at (st, st->line_off);
      return;
    }
  keep_at (st, st->line_off);
  if (!fold)
    {
      st->scan->fields++;
      field_start (st);
    }
  st->field_lines++;
  st->in_word = FALSE;
  st->phase = LINE_HEADER;
}

static void
blank_line (ScanState *st)
{
  st->phase = LINE_START;
  if (!st->header)
    return;
  keep_at (st, st->line_off);
  st->header = FALSE;
  if (st->block_message || (st->digest && st->block_part))
    block_start (st); /* a message's own headers follow */
}

/* A line starting "--" once a boundary was named: a part follows. */
static void
delimiter_line (ScanState *st)
{
  if (++st->scan->delimiters > st->limits->max_parts)
    {
      st->scan->parts_cut = TRUE;
      drop_at (st, st->line_off);
      st->done = TRUE;
      return;
    }
  keep_at (st, st->line_off);
  block_start (st);
  st->block_part = TRUE;
  st->phase = LINE_SKIP;
}

static void
line_end (ScanState *st, gsize off)
{
  if (st->line_cut)
    keep_at (st, off);
  st->line_cut = FALSE;
  st->phase = LINE_START;
}

/* The second byte of a line whose first was '-' or '\r'; returns
 * whether it was used up. */
static gboolean
second_byte (ScanState *st, char c)
{
  if (st->first == '\r' && c == '\n')
    {
      blank_line (st);
      return TRUE;
    }
  if (st->first == '-' && c == '-' && st->boundary)
    {
      delimiter_line (st);
      return FALSE;
    }
  line_decide (st, st->first);
  if (st->phase == LINE_HEADER)
    header_byte (st, st->line_off, st->first);
  return FALSE;
}

/* Handles the byte at data[i]; returns how many bytes were used up. */
static gsize
scan_step (ScanState *st, const char *data, gsize i, gsize len, gsize base)
{
  const char *nl;

  switch (st->phase)
    {
    case LINE_SKIP:
      nl = memchr (data + i, '\n', len - i);
      if (nl == NULL)
        return len - i;
      line_end (st, base + (gsize) (nl - data));
      return (gsize) (nl - data) - i + 1;
    case LINE_HEADER:
      if (data[i] == '\n')
        line_end (st, base + i);
      else
        header_byte (st, base + i, data[i]);
      return 1;
    case LINE_FIRST:
      return second_byte (st, data[i]) ? 1 : 0;
    case LINE_START:
    default:
      st->line_off = base + i;
      st->first = data[i];
      if (data[i] == '\n')
        blank_line (st);
      else if (data[i] == '-' || data[i] == '\r')
        st->phase = LINE_FIRST;
      else
        line_decide (st, data[i]);
      return st->phase == LINE_HEADER ? 0 : 1;
    }
}

typedef struct
{
  ScanState *st;
  gsize base;
} ScanChunk;

static gboolean
scan_chunk (const char *data, gsize len, gpointer user_data, GError **error)
{
  ScanChunk *c = user_data;
  gsize i = 0;

  (void) error;
  while (i < len && !c->st->done)
    i += scan_step (c->st, data, i, len, c->base);
  c->base += len;
  return !c->st->done; /* FALSE without an error: seen enough */
}

MimeScan *
mime_scan_raw (const Raw *raw, gsize from, const MimeScanLimits *limits,
               GError **error)
{
  g_autoptr (MimeScan) scan = g_new0 (MimeScan, 1);
  ScanState st = { 0 };
  ScanChunk chunk = { .st = &st, .base = from };
  GError *local = NULL;

  scan->ranges = g_array_new (FALSE, FALSE, sizeof (MimeScanRange));
  st.limits = limits;
  st.scan = scan;
  st.phase = LINE_START;
  block_start (&st);
  keep_at (&st, from);
  if (!raw_foreach_chunk (raw, from, scan_chunk, &chunk, &local)
      && local != NULL)
    {
      g_propagate_error (error, local);
      return NULL;
    }
  /* A line still held at the end is kept as it is. */
  if (st.phase == LINE_FIRST && st.header && !st.drop_block)
    keep_at (&st, st.line_off);
  drop_at (&st, raw_size (raw));
  if (!scan->parts_cut && !scan->headers_cut)
    g_clear_pointer (&scan->ranges, g_array_unref);
  return g_steal_pointer (&scan);
}
