/*
 * prefilter-parse.c - the prefilter's walk over a pattern's syntax:
 * groups and their flags, quantifiers, sequences and alternations, into
 * the literals one of which every match of the pattern holds
 * (prefilter_literals).
 *
 * The reduction walks the pattern's syntax once and computes, for each
 * piece, either the exact set of strings it matches (while that set is
 * small) or a set of literals one of which every match contains.  A
 * sequence multiplies exact sets out while they stay small and otherwise
 * keeps its rarest set; an alternation unites its branches' sets.
 * Anything the walk does not follow (conditionals, recursion, verbs,
 * extended mode) leaves the pattern without a set, which is always safe:
 * such a pattern is simply run on every text.
 *
 * Case: ASCII letters are folded in literals and text alike, so a
 * caseful pattern is treated as caseless (more candidates, never fewer).
 * A caseless non-ASCII letter ends its literal, and a text holding one
 * of the two non-ASCII characters that fold to ASCII letters (KELVIN
 * SIGN, LATIN SMALL LETTER LONG S) makes every pattern a candidate.
 */
#include <string.h>

#include "prefilter-private.h"

static void parse_alternation (Parser *ps, Info *out);

/* (?flags) or (?flags: ...): FALSE when the flags are not followed. */
static gboolean
parse_flags (Parser *ps)
{
  while (ps->p < ps->end && *ps->p != ')' && *ps->p != ':')
    switch (*ps->p++)
      {
      case 'i':
        ps->caseless = TRUE;
        break;
      case 's':
        ps->dotall = TRUE;
        break;
      case 'm':
      case 'n':
      case 'U':
      case 'J':
      case '-':
      case '^':
        break;
      default: /* x (spaces and comments) and anything newer */
        return FALSE;
      }
  return ps->p < ps->end;
}

/* The group after "(", up to and including its ")". */
static Info
parse_group (Parser *ps)
{
  static const char *const assertions[] = {
    "?=", "?!", "?<=", "?<!", NULL,
  };
  gboolean assertion = FALSE;
  Info info;

  for (int i = 0; assertions[i] != NULL && !assertion; i++)
    if (prefilter_at (ps, assertions[i]))
      {
        ps->p += strlen (assertions[i]);
        assertion = TRUE;
      }
  if (assertion)
    ;
  else if (prefilter_at (ps, "?:") || prefilter_at (ps, "?|")
           || prefilter_at (ps, "?>"))
    ps->p += 2;
  else if (prefilter_at (ps, "?<") || prefilter_at (ps, "?'")
           || prefilter_at (ps, "?P<"))
    {
      char close = prefilter_at (ps, "?'") ? '\'' : '>';
      const char *end = memchr (ps->p, close, ps->end - ps->p);

      ps->p = end ? end + 1 : ps->end;
    }
  else if (prefilter_at (ps, "?") && ps->p + 1 < ps->end
           && (g_ascii_isalpha (ps->p[1]) || ps->p[1] == '-'
               || ps->p[1] == '^'))
    {
      ps->p++;
      if (!parse_flags (ps))
        {
          ps->failed = TRUE;
          return prefilter_info_unknown ();
        }
      if (*ps->p++ == ')')
        return prefilter_info_empty (ps);
    }
  else if (prefilter_at (ps, "?") || prefilter_at (ps, "*"))
    {
      /* conditionals, recursion, callouts, verbs */
      ps->failed = TRUE;
      return prefilter_info_unknown ();
    }
  if (++ps->depth > DEPTH_MAX)
    {
      /* PCRE2 refuses such a pattern too (parens_nest_limit) */
      ps->failed = TRUE;
      return prefilter_info_unknown ();
    }
  parse_alternation (ps, &info);
  ps->depth--;
  if (ps->p >= ps->end || *ps->p != ')')
    ps->failed = TRUE;
  else
    ps->p++;
  if (assertion)
    {
      /* A look-around consumes nothing: the rest of the match holds the
       * literals. */
      return prefilter_info_empty (ps);
    }
  return info;
}

/* {n}, {n,} or {n,m} at ps->p: FALSE (and nothing consumed) if the
 * brace is a literal. */
static gboolean
parse_braces (Parser *ps, guint *min, guint *max)
{
  const char *p = ps->p + 1;
  char *end;

  if (p >= ps->end || !g_ascii_isdigit (*p))
    return FALSE;
  *min = (guint) strtoul (p, &end, 10);
  *max = *min;
  if (*end == ',')
    {
      *max = G_MAXUINT;
      if (g_ascii_isdigit (end[1]))
        *max = (guint) strtoul (end + 1, &end, 10);
      else
        end++;
    }
  if (end >= ps->end || *end != '}')
    return FALSE;
  ps->p = end + 1;
  return TRUE;
}

/* What PCRE2 ignores, and a quantifier after it then applies to the
 * atom before (\E outside a quote, an empty \Q\E, a (?#comment)), is
 * not followed: a pattern holding it has no literals.  Rule files have
 * no use for them, and each is one more way to read a pattern otherwise
 * than PCRE2 does. */
static void
refuse_ignored (Parser *ps)
{
  if (prefilter_at (ps, "\\E") || prefilter_at (ps, "\\Q\\E")
      || prefilter_at (ps, "(?#"))
    ps->failed = TRUE;
}

/* A quantifier after an atom, if any, applied to info. */
static void
parse_quantifier (Parser *ps, Info *info)
{
  guint min, max;

  refuse_ignored (ps);
  if (ps->p >= ps->end || ps->failed)
    return;
  if (*ps->p == '*' || *ps->p == '+' || *ps->p == '?')
    {
      min = *ps->p == '+';
      max = *ps->p == '?' ? 1 : G_MAXUINT;
      ps->p++;
    }
  else if (*ps->p != '{' || !parse_braces (ps, &min, &max))
    return;
  if (ps->p < ps->end && (*ps->p == '+' || *ps->p == '?'))
    ps->p++; /* possessive or lazy: the same strings */
  if (min == 1 && max == 1)
    return;
  if (min == 0 && max == 1 && info->exact != NULL)
    {
      StrSet *or_empty = prefilter_set_product (ps, info->exact,
                                                prefilter_set_of (ps, "", 0));

      if (or_empty != NULL && prefilter_set_add (ps, or_empty, "", 0))
        {
          info->exact = or_empty;
          return;
        }
    }
  /* Once or more: each match holds at least one copy. */
  info->required = min > 0 ? prefilter_info_required (info) : NULL;
  info->exact = NULL;
}

static Info
parse_atom (Parser *ps)
{
  gunichar c;
  Info info;

  switch (*ps->p)
    {
    case '(':
      ps->p++;
      info = parse_group (ps);
      break;
    case '[':
      ps->p++;
      info = prefilter_parse_class (ps);
      break;
    case '\\':
      ps->p++;
      if (ps->p >= ps->end)
        {
          ps->failed = TRUE;
          return prefilter_info_unknown ();
        }
      if (prefilter_parse_escape (ps, &c, &info))
        info = prefilter_info_char (ps, c);
      break;
    case '.':
      ps->p++;
      ps->newline = ps->newline || ps->dotall;
      info = prefilter_info_unknown ();
      break;
    case '^':
    case '$':
      ps->p++;
      info = prefilter_info_empty (ps);
      break;
    case '*':
    case '+':
    case '?':
      /* a quantifier where an atom should be: PCRE2 either refuses it
       * or reads it otherwise (as a lazy or possessive mark) */
      ps->failed = TRUE;
      return prefilter_info_unknown ();
    default:
      c = prefilter_next_char (ps);
      info = prefilter_info_char (ps, c);
      break;
    }
  parse_quantifier (ps, &info);
  return info;
}

/* Whether another atom follows in this sequence. */
static gboolean
sequence_goes_on (Parser *ps)
{
  refuse_ignored (ps);
  return ps->p < ps->end && *ps->p != '|' && *ps->p != ')' && !ps->failed;
}

/* Atoms up to | or ) or the end: the exact strings they spell while
 * the product stays small, else the rarest literals of any run. */
static void
parse_sequence (Parser *ps, Info *out)
{
  StrSet *run = prefilter_set_of (ps, "", 0);
  StrSet *best = NULL;
  gboolean exact = TRUE;

  while (sequence_goes_on (ps))
    {
      Info atom = parse_atom (ps);
      StrSet *product = NULL;

      if (atom.exact != NULL && run != NULL && run->n == 1 && atom.exact->n == 1
          && run->offset[0] + run->len[0] == atom.exact->offset[0]
          && run->len[0] + atom.exact->len[0] <= LITERAL_MAX)
        {
          /* One string then the next: they already lie side by side in
           * the arena (the common case of plain text). */
          run->len[0] += atom.exact->len[0];
          continue;
        }
      if (atom.exact != NULL && run != NULL)
        product = prefilter_set_product (ps, run, atom.exact);
      if (product != NULL)
        {
          run = product;
          continue;
        }
      exact = FALSE;
      if (run != NULL)
        {
          Info done = { run, NULL };

          best = prefilter_set_better (best, prefilter_info_required (&done));
        }
      run = atom.exact;
      best = prefilter_set_better (best, atom.required);
    }
  out->exact = exact ? run : NULL;
  out->required = NULL;
  if (!exact && run != NULL)
    {
      Info done = { run, NULL };

      best = prefilter_set_better (best, prefilter_info_required (&done));
    }
  if (!exact)
    out->required = best;
}

/* Branches up to ) or the end: one of them matches. */
static void
parse_alternation (Parser *ps, Info *out)
{
  StrSet *exact = prefilter_set_new (ps);
  g_autoptr (GArray) required = g_array_new (FALSE, FALSE, sizeof (Piece));
  gboolean all_required = TRUE;

  for (;;)
    {
      Info branch;
      StrSet *r;

      parse_sequence (ps, &branch);
      r = prefilter_info_required (&branch);
      if (exact != NULL
          && (branch.exact == NULL
              || !prefilter_set_add_all (ps, exact, branch.exact)))
        exact = NULL;
      all_required = all_required && r != NULL;
      if (all_required)
        prefilter_add_pieces (required, r);
      if (ps->p >= ps->end || *ps->p != '|' || ps->failed)
        break;
      ps->p++;
    }
  out->exact = exact;
  out->required = NULL;
  if (exact == NULL && all_required)
    out->required = prefilter_set_from_pieces (ps, required);
}

static gint
compare_strings (gconstpointer a, gconstpointer b)
{
  return strcmp (*(const char *const *) a, *(const char *const *) b);
}

/* Drops duplicates, and literals that start with another one (sorted,
 * it comes just before them): wherever they occur, so does it. */
static void
drop_redundant (GPtrArray *literals)
{
  for (guint i = 1; i < literals->len; i++)
    if (g_str_has_prefix (literals->pdata[i], literals->pdata[i - 1]))
      g_ptr_array_remove_index (literals, i--);
}

GPtrArray *
prefilter_literals (const char *pattern, gboolean *line_local)
{
  Parser ps = { pattern,
                pattern + strlen (pattern),
                FALSE,
                FALSE,
                FALSE,
                FALSE,
                g_malloc (ARENA_START),
                0,
                ARENA_START,
                g_ptr_array_new_with_free_func (g_free),
                0,
                0 };
  Info info;
  const StrSet *required;
  GPtrArray *literals = NULL;

  parse_alternation (&ps, &info);
  required
      = ps.failed || ps.p != ps.end ? NULL : prefilter_info_required (&info);
  if (required != NULL)
    {
      literals = g_ptr_array_new_with_free_func (g_free);
      for (guint i = 0; i < required->n; i++)
        g_ptr_array_add (
            literals,
            g_strndup (prefilter_set_str (&ps, required, i), required->len[i]));
      g_ptr_array_sort (literals, compare_strings);
      drop_redundant (literals);
    }
  if (line_local != NULL)
    *line_local = literals != NULL && !ps.newline;
  g_free (ps.bytes);
  g_ptr_array_unref (ps.blocks);
  return literals;
}
