/*
 * prefilter.c - the prefilter's patterns and its scan: find the literals
 * of every pattern in a text in one pass, and say which patterns may
 * match it and on which lines.  Reducing a pattern to its literals is
 * prefilter-parse.c's (with prefilter-atom.c and prefilter-set.c).
 */
#include "madoguchi/prefilter.h"

#include <string.h>

/* A literal of two bytes or more, its first eight bytes kept here so
 * that the scan compares them at once and rarely follows the pointer to
 * the rest. */
typedef struct
{
  union
  {
    guint64 word; /* folded, in text order; zeros past the end */
    guint8 bytes[8];
  } head;
  guint64 mask; /* 0xff for each byte of head in the literal */
  guint len;
  guint pattern;
  const char *text; /* folded */
} Literal;

typedef struct
{
  GPtrArray *literals; /* or NULL: a candidate for every text */
  gboolean line_local; /* no match crosses a line end */
} Pattern;

struct Prefilter
{
  GArray *patterns; /* of Pattern */
  GArray *literals; /* of Literal, by first then second byte */
  guint first[257]; /* literals[first[b] .. first[b + 1]) */
  GArray *singles;  /* of guint (pattern), by byte */
  guint single_first[257];
  guint64 single_bytes[4];       /* bytes with a one-byte literal */
  guint8 pairs[65536 / 8];       /* first two bytes of some literal */
  guint8 whole_pairs[65536 / 8]; /* ... of a literal of two bytes */
  guint8 triples[65536 / 8];     /* first three bytes of some literal, hashed */
  gboolean built;
};

/* Lines first .. last (0-based), while scanning. */
typedef struct
{
  guint first;
  guint last;
} LineRun;

struct PrefilterHits
{
  const Prefilter *p;
  guint8 *candidates;  /* a bit per pattern */
  gboolean everywhere; /* every pattern may match anywhere */
  GArray **runs;       /* per line-local pattern with hits: of
                        * LineRun; else NULL */
  GArray **spans;      /* the same as PrefilterSpan, made on demand */
  GArray *line_starts; /* of gsize */
  gsize len;
};

static void
pattern_clear (gpointer data)
{
  Pattern *pattern = data;

  if (pattern->literals != NULL)
    g_ptr_array_unref (pattern->literals);
}

Prefilter *
prefilter_new (void)
{
  Prefilter *p = g_new0 (Prefilter, 1);

  p->patterns = g_array_new (FALSE, FALSE, sizeof (Pattern));
  g_array_set_clear_func (p->patterns, pattern_clear);
  p->literals = g_array_new (FALSE, FALSE, sizeof (Literal));
  p->singles = g_array_new (FALSE, FALSE, sizeof (guint));
  return p;
}

void
prefilter_free (Prefilter *p)
{
  if (p == NULL)
    return;
  g_array_unref (p->patterns);
  g_array_unref (p->literals);
  g_array_unref (p->singles);
  g_free (p);
}

guint
prefilter_add (Prefilter *p, const char *pattern)
{
  Pattern added;

  added.literals = prefilter_literals (pattern, &added.line_local);
  g_array_append_val (p->patterns, added);
  return p->patterns->len - 1;
}

guint
prefilter_add_literals (Prefilter *p, GPtrArray *literals, gboolean line_local)
{
  Pattern added = { literals, literals != NULL && line_local };

  g_array_append_val (p->patterns, added);
  return p->patterns->len - 1;
}

const GPtrArray *
prefilter_pattern_literals (const Prefilter *p, guint n, gboolean *line_local)
{
  const Pattern *pattern = &g_array_index (p->patterns, Pattern, n);

  *line_local = pattern->line_local;
  return pattern->literals;
}

guint
prefilter_count (const Prefilter *p)
{
  return p->patterns->len;
}

/* Orders the literals by their first two bytes, ties kept in order: two
 * stable counting passes, second byte then first.  Linear: a comparison
 * sort of the ~1,700 literals of the default rules was a third of what a
 * delivery spent loading its rules. */
static void
sort_literals (GArray *literals)
{
  Literal *sorted;

  if (literals->len < 2)
    return;
  sorted = g_new (Literal, literals->len);

  for (int byte = 1; byte >= 0; byte--)
    {
      const Literal *from = (const Literal *) literals->data;
      guint start[257] = { 0 };

      for (guint i = 0; i < literals->len; i++)
        start[from[i].head.bytes[byte] + 1]++;
      for (guint b = 0; b < 256; b++)
        start[b + 1] += start[b];
      for (guint i = 0; i < literals->len; i++)
        sorted[start[from[i].head.bytes[byte]]++] = from[i];
      memcpy (literals->data, sorted, literals->len * sizeof (Literal));
    }
  g_free (sorted);
}

static const GPtrArray *
literals_of (const Prefilter *p, guint n)
{
  return g_array_index (p->patterns, Pattern, n).literals;
}

/* A bit of the triples bitmap for three (folded) bytes. */
static inline guint
triple_bit (guint8 b0, guint8 b1, guint8 b2)
{
  return ((guint) b0 << 8 | b1) ^ ((guint) b2 * 0x9e3bu & 0xffff);
}

void
prefilter_build (Prefilter *p)
{
  guint counts[256] = { 0 };

  g_array_set_size (p->literals, 0);
  memset (p->pairs, 0, sizeof p->pairs);
  memset (p->whole_pairs, 0, sizeof p->whole_pairs);
  memset (p->triples, 0, sizeof p->triples);
  for (guint n = 0; n < p->patterns->len; n++)
    {
      const GPtrArray *set = literals_of (p, n);

      for (guint i = 0; set != NULL && i < set->len; i++)
        {
          const guint8 *s = set->pdata[i];
          Literal literal
              = { { 0 }, 0, (guint) strlen (set->pdata[i]), n, set->pdata[i] };

          memcpy (literal.head.bytes, s, MIN (literal.len, 8));
          memset (&literal.mask, 0xff, MIN (literal.len, 8));

          if (literal.len == 1)
            counts[s[0]]++;
          else
            {
              g_array_append_val (p->literals, literal);
              p->pairs[(s[0] << 8 | s[1]) / 8] |= 1 << (s[1] % 8);
              if (literal.len == 2)
                p->whole_pairs[(s[0] << 8 | s[1]) / 8] |= 1 << (s[1] % 8);
              else
                {
                  guint bit = triple_bit (s[0], s[1], s[2]);

                  p->triples[bit / 8] |= 1 << (bit % 8);
                }
            }
        }
    }
  sort_literals (p->literals);
  memset (p->first, 0, sizeof p->first);
  for (guint i = 0; i < p->literals->len; i++)
    p->first[(guint8) g_array_index (p->literals, Literal, i).text[0] + 1]++;
  p->single_first[0] = 0;
  for (guint b = 0; b < 256; b++)
    {
      p->first[b + 1] += p->first[b];
      p->single_first[b + 1] = p->single_first[b] + counts[b];
    }
  g_array_set_size (p->singles, p->single_first[256]);
  memset (p->single_bytes, 0, sizeof p->single_bytes);
  for (guint b = 0; b < 256; b++)
    if (p->single_first[b + 1] > p->single_first[b])
      p->single_bytes[b / 64] |= (guint64) 1 << (b % 64);
  memset (counts, 0, sizeof counts);
  for (guint n = 0; n < p->patterns->len; n++)
    {
      const GPtrArray *set = literals_of (p, n);

      for (guint i = 0; set != NULL && i < set->len; i++)
        {
          const guint8 *s = set->pdata[i];

          if (s[0] != '\0' && s[1] == '\0')
            g_array_index (p->singles, guint,
                           p->single_first[s[0]] + counts[s[0]]++)
                = n;
        }
    }
  p->built = TRUE;
}

static inline guint8
fold (guint8 c)
{
  /* Without a branch: it runs for every byte of a text. */
  return (guint8) (c + (((guint8) (c - 'A') < 26) << 5));
}

/* Pattern n has a literal on line: a candidate, and for a line-local
 * pattern that line is one to search. */
static inline void
hit (PrefilterHits *h, guint n, guint line)
{
  GArray *runs = h->runs[n];

  h->candidates[n / 8] |= (guint8) (1 << (n % 8));
  if (runs == NULL)
    {
      if (!g_array_index (h->p->patterns, Pattern, n).line_local)
        return;
      runs = h->runs[n] = g_array_new (FALSE, FALSE, sizeof (LineRun));
    }
  if (runs->len > 0)
    {
      LineRun *last = &g_array_index (runs, LineRun, runs->len - 1);

      if (last->last + 1 >= line)
        {
          last->last = line;
          return;
        }
    }
  g_array_append_vals (runs, &(LineRun){ line, line }, 1);
}

/* KELVIN SIGN or LONG S at t: they match k and s caselessly. */
static inline gboolean
folds_to_ascii (const guint8 *t, gsize left)
{
  return (left >= 3 && t[0] == 0xe2 && t[1] == 0x84 && t[2] == 0xaa)
         || (left >= 2 && t[0] == 0xc5 && t[1] == 0xbf);
}

/* The first literal that starts with b0 b1 (they are sorted). */
static inline guint
literal_pair (const Prefilter *p, guint8 b0, guint8 b1)
{
  guint lo = p->first[b0], hi = p->first[b0 + 1];

  while (lo < hi)
    {
      guint mid = lo + (hi - lo) / 2;

      if (g_array_index (p->literals, Literal, mid).head.bytes[1] < b1)
        lo = mid + 1;
      else
        hi = mid;
    }
  return lo;
}

/* Eight bytes folded at once: ASCII capitals (bytes 0x41 to 0x5a) get
 * 0x20 added, the rest stay. */
static inline guint64
fold_word (guint64 w)
{
  const guint64 ones = G_GUINT64_CONSTANT (0x0101010101010101);
  guint64 low = w & (0x7f * ones); /* no byte carries into the next */
  guint64 from_a = low + (0x80 - 'A') * ones;     /* top bit: >= 'A' */
  guint64 past_z = low + (0x80 - 'Z' - 1) * ones; /* top bit: > 'Z' */
  guint64 upper = from_a & ~past_z & ~w & (0x80 * ones);

  return w | upper >> 2;
}

/* The patterns of the literals of two bytes or more starting at t,
 * whose first two bytes folded (pair: the first, then the second) begin
 * some literal. */
static void
hits_at (PrefilterHits *h, const guint8 *t, gsize left, guint line, guint pair)
{
  const Prefilter *p = h->p;
  guint8 b0 = (guint8) (pair >> 8);
  guint8 b1 = (guint8) pair;
  guint64 word = 0; /* the text's next eight bytes, folded */
  guint8 b2;

  b2 = left > 2 ? fold (t[2]) : 0;
  /* Most pairs that begin a literal (th, in, 20) are followed by a byte
   * that continues none: the triples tell before the literals are read. */
  if (left > 2 && !(p->whole_pairs[(b0 << 8 | b1) / 8] & 1 << (b1 % 8)))
    {
      guint bit = triple_bit (b0, b1, b2);

      if (!(p->triples[bit / 8] & 1 << (bit % 8)))
        return;
    }
  memcpy (&word, t, MIN (left, 8));
  word = fold_word (word);
  for (guint i = literal_pair (p, b0, b1); i < p->first[b0 + 1]; i++)
    {
      const Literal *l = &g_array_index (p->literals, Literal, i);
      guint j;

      if (l->head.bytes[1] != b1)
        break;
      if (l->len > left || ((word ^ l->head.word) & l->mask) != 0)
        continue;
      for (j = 8; j < l->len && fold (t[j]) == (guint8) l->text[j]; j++)
        ;
      if (j >= l->len)
        hit (h, l->pattern, line);
    }
}

/*
 * The patterns of the one-byte literals among the bytes of a line.  A
 * byte such as ' ' or '.' is a literal of several patterns and occurs
 * all along a text: the bytes of a line are noted as it is read, and
 * each pattern is told once per line rather than once per byte.
 */
static void
single_hits (PrefilterHits *h, guint64 seen[4], guint line)
{
  const Prefilter *p = h->p;

  for (guint w = 0; w < 4; w++)
    {
      guint64 bits = seen[w] & p->single_bytes[w];

      while (bits != 0)
        {
          guint b = w * 64 + (guint) __builtin_ctzll (bits);

          for (guint i = p->single_first[b]; i < p->single_first[b + 1]; i++)
            hit (h, g_array_index (p->singles, guint, i), line);
          bits &= bits - 1;
        }
      seen[w] = 0;
    }
}

PrefilterHits *
prefilter_scan (const Prefilter *p, const char *text, gsize len)
{
  const guint8 *t = (const guint8 *) text;
  PrefilterHits *h = g_new0 (PrefilterHits, 1);
  guint n_patterns = p->patterns->len;
  guint line = 0;
  gsize start = 0;
  guint64 seen[4] = { 0 }; /* the bytes of the line so far */
  guint8 b1 = len > 0 ? fold (t[0]) : 0;

  g_return_val_if_fail (p->built, NULL);
  h->p = p;
  h->len = len;
  h->candidates = g_malloc0 (n_patterns / 8 + 1);
  h->runs = g_new0 (GArray *, n_patterns);
  h->spans = g_new0 (GArray *, n_patterns);
  h->line_starts = g_array_new (FALSE, FALSE, sizeof (gsize));
  g_array_append_val (h->line_starts, start);
  for (guint n = 0; n < n_patterns; n++)
    if (g_array_index (p->patterns, Pattern, n).literals == NULL)
      h->candidates[n / 8] |= (guint8) (1 << (n % 8));
  for (gsize i = 0; i < len; i++)
    {
      guint8 b0 = b1;

      if (t[i] >= 0xc5 && folds_to_ascii (t + i, len - i))
        {
          /* Everything is a candidate, everywhere. */
          memset (h->candidates, 0xff, (n_patterns + 7) / 8);
          h->everywhere = TRUE;
          break;
        }
      /* Each byte is folded once, as the second of a pair and then the
       * first; past the end comes a NUL, which no literal holds. */
      b1 = i + 1 < len ? fold (t[i + 1]) : 0;
      seen[b0 / 64] |= (guint64) 1 << (b0 % 64);
      if (p->pairs[(b0 << 8 | b1) / 8] & 1 << (b1 % 8))
        hits_at (h, t + i, len - i, line, (guint) (b0 << 8 | b1));
      if (t[i] == '\n' || i + 1 == len)
        single_hits (h, seen, line);
      if (t[i] == '\n')
        {
          start = i + 1;
          g_array_append_val (h->line_starts, start);
          line++;
        }
    }
  return h;
}

void
prefilter_hits_free (PrefilterHits *h)
{
  guint n_patterns;

  if (h == NULL)
    return;
  n_patterns = h->p->patterns->len;
  for (guint n = 0; n < n_patterns; n++)
    {
      if (h->runs[n] != NULL)
        g_array_unref (h->runs[n]);
      if (h->spans[n] != NULL)
        g_array_unref (h->spans[n]);
    }
  g_free (h->runs);
  g_free (h->spans);
  g_free (h->candidates);
  g_array_unref (h->line_starts);
  g_free (h);
}

gboolean
prefilter_hits_candidate (const PrefilterHits *h, guint n)
{
  return (h->candidates[n / 8] & 1 << (n % 8)) != 0;
}

const GArray *
prefilter_hits_spans (PrefilterHits *h, guint n)
{
  const GArray *runs = h->runs[n];

  if (h->everywhere || runs == NULL || h->spans[n] != NULL)
    return h->everywhere ? NULL : h->spans[n];
  h->spans[n]
      = g_array_sized_new (FALSE, FALSE, sizeof (PrefilterSpan), runs->len);
  for (guint i = 0; i < runs->len; i++)
    {
      const LineRun *run = &g_array_index (runs, LineRun, i);
      PrefilterSpan span = {
        g_array_index (h->line_starts, gsize, run->first),
        run->last + 1 < h->line_starts->len
            ? g_array_index (h->line_starts, gsize, run->last + 1)
            : h->len,
      };

      g_array_append_val (h->spans[n], span);
    }
  return h->spans[n];
}
