/*
 * prefilter-set.c - the prefilter's sets of strings: what a piece of a
 * pattern matches exactly, or the literals one of which its every match
 * holds, kept in the parser's arena; their products, unions and costs.
 */
#include <string.h>

#include "prefilter-private.h"

StrSet *
prefilter_set_new (Parser *ps)
{
  StrSet *set;

  if (ps->blocks->len == 0 || ps->used == SETS_PER_BLOCK)
    {
      g_ptr_array_add (ps->blocks, g_new (StrSet, SETS_PER_BLOCK));
      ps->used = 0;
    }
  set = (StrSet *) ps->blocks->pdata[ps->blocks->len - 1] + ps->used++;
  set->n = 0;
  return set;
}

const char *
prefilter_set_str (const Parser *ps, const StrSet *set, guint i)
{
  return ps->bytes + set->offset[i];
}

/* Adds s (which may lie in the arena itself); FALSE when the set is
 * full. */
static gboolean
set_append (Parser *ps, StrSet *set, const char *s, gsize len)
{
  guintptr prefilter_at = (guintptr) s - (guintptr) ps->bytes;
  gboolean in_arena
      = (guintptr) s >= (guintptr) ps->bytes && prefilter_at < ps->bytes_len;

  if (set->n == SET_MAX || len > LITERAL_MAX)
    return FALSE;
  if (ps->bytes_len + len > ps->bytes_size)
    {
      ps->bytes_size *= 2;
      ps->bytes = g_realloc (ps->bytes, ps->bytes_size);
      if (in_arena)
        s = ps->bytes + prefilter_at; /* it moved with the arena */
    }
  memmove (ps->bytes + ps->bytes_len, s, len);
  set->offset[set->n] = (guint32) ps->bytes_len;
  set->len[set->n++] = (guint8) len;
  ps->bytes_len += len;
  return TRUE;
}

/* Adds s unless there; FALSE when the set is full. */
gboolean
prefilter_set_add (Parser *ps, StrSet *set, const char *s, gsize len)
{
  for (guint i = 0; i < set->n; i++)
    if (set->len[i] == len
        && memcmp (prefilter_set_str (ps, set, i), s, len) == 0)
      return TRUE;
  return set_append (ps, set, s, len);
}

StrSet *
prefilter_set_of (Parser *ps, const char *s, gsize len)
{
  StrSet *set = prefilter_set_new (ps);

  prefilter_set_add (ps, set, s, len);
  return set;
}

static gboolean
set_has_empty (const StrSet *set)
{
  for (guint i = 0; i < set->n; i++)
    if (set->len[i] == 0)
      return TRUE;
  return FALSE;
}

Info
prefilter_info_empty (Parser *ps)
{
  Info info = { prefilter_set_of (ps, "", 0), NULL };

  return info;
}

Info
prefilter_info_unknown (void)
{
  Info info = { NULL, NULL };

  return info;
}

/* One string of info's that every match contains, or NULL. */
StrSet *
prefilter_info_required (const Info *info)
{
  if (info->exact != NULL)
    return set_has_empty (info->exact) ? NULL : info->exact;
  return info->required;
}

/* How often some literal of set turns up in text, roughly: lower is
 * better.  Each byte is taken as one in four likely. */
static double
set_cost (const StrSet *set)
{
  double cost = 0;

  for (guint i = 0; i < set->n; i++)
    cost += 1.0 / (double) (1u << (2 * MIN (set->len[i], 8)));
  return cost;
}

/* The better of two required sets. */
StrSet *
prefilter_set_better (StrSet *a, StrSet *b)
{
  if (a == NULL)
    return b;
  if (b == NULL)
    return a;
  return set_cost (b) < set_cost (a) ? b : a;
}

/* Every string of a followed by one of b, or NULL when too many.  Not
 * deduplicated: "a"+"bc" and "ab"+"c" are rare and only cost a slot. */
StrSet *
prefilter_set_product (Parser *ps, const StrSet *a, const StrSet *b)
{
  StrSet *product;
  char buf[2 * LITERAL_MAX];

  if ((gsize) a->n * b->n > PRODUCT_MAX && a->n > 1 && b->n > 1)
    return NULL;
  if ((gsize) a->n * b->n > SET_MAX)
    return NULL;
  product = prefilter_set_new (ps);
  for (guint i = 0; i < a->n; i++)
    for (guint j = 0; j < b->n; j++)
      {
        gsize len = (gsize) a->len[i] + b->len[j];

        if (len > LITERAL_MAX)
          return NULL;
        memcpy (buf, prefilter_set_str (ps, a, i), a->len[i]);
        memcpy (buf + a->len[i], prefilter_set_str (ps, b, j), b->len[j]);
        set_append (ps, product, buf, len);
      }
  return product;
}

/* Adds every string of from to to; FALSE when to is full.  Duplicates
 * are dropped at the end (prefilter_literals). */
gboolean
prefilter_set_add_all (Parser *ps, StrSet *to, const StrSet *from)
{
  for (guint i = 0; i < from->n; i++)
    if (!set_append (ps, to, prefilter_set_str (ps, from, i), from->len[i]))
      return FALSE;
  return TRUE;
}

/*
 * At most SET_MAX of pieces as a set: when there are more, each is cut
 * to its first bytes (a prefix of a literal is in every text the literal
 * is in) until few enough remain; NULL if even two bytes are too many.
 */
StrSet *
prefilter_set_from_pieces (Parser *ps, GArray *pieces)
{
  static const guint8 cuts[] = { LITERAL_MAX, 8, 6, 4, 3, 2 };

  for (gsize c = 0; c < G_N_ELEMENTS (cuts); c++)
    {
      StrSet *set = prefilter_set_new (ps);
      guint i;

      for (i = 0; i < pieces->len; i++)
        {
          const Piece *piece = &g_array_index (pieces, Piece, i);

          if (!prefilter_set_add (ps, set, ps->bytes + piece->offset,
                                  MIN (piece->len, cuts[c])))
            break;
        }
      if (i == pieces->len)
        return set;
    }
  return NULL;
}

void
prefilter_add_pieces (GArray *pieces, const StrSet *set)
{
  for (guint i = 0; i < set->n; i++)
    g_array_append_vals (pieces, &(Piece){ set->offset[i], set->len[i] }, 1);
}
