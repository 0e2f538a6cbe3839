/*
 * prefilter.c - reduce patterns to required literals; find them in a text.
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
#include "madoguchi/prefilter.h"

#include <string.h>

#define SET_MAX 256      /* strings in a set, else the set is dropped */
#define PRODUCT_MAX 64   /* strings a sequence multiplies out to */
#define LITERAL_MAX 32   /* bytes in a literal, else the run is cut */
#define CLASS_MAX 16     /* characters of a class taken one by one */
#define ARENA_START 4096 /* bytes of strings first allocated */
#define DEPTH_MAX 250    /* groups within groups, as PCRE2 allows */

/*
 * A set of strings, or NULL for "nothing known".  The strings live in
 * the parser's arena (offsets, since the arena grows), and so do the
 * sets: nothing is freed until the pattern is done.  A set is changed
 * only by the function that made it, before anyone else sees it.
 */
typedef struct
{
  guint n;
  guint32 offset[SET_MAX + 1];
  guint8 len[SET_MAX + 1];
} StrSet;

/* What a piece of pattern matches: exactly one string of exact, or else
 * something containing one string of required. */
typedef struct
{
  StrSet *exact;
  StrSet *required;
} Info;

typedef struct
{
  const char *p;
  const char *end;
  gboolean caseless; /* sticky: once seen, later letters are caseless */
  gboolean dotall;   /* sticky, likewise: . matches a newline */
  gboolean newline;  /* some part (look-arounds too) may match \n */
  gboolean failed;   /* a construct we do not follow */
  char *bytes;       /* the arena of strings */
  gsize bytes_len;
  gsize bytes_size;
  GPtrArray *blocks; /* the arena of sets: blocks of SETS_PER_BLOCK */
  guint used;        /* sets used in the last block */
  guint depth;       /* groups open */
} Parser;

#define SETS_PER_BLOCK 16

static StrSet *
set_new (Parser *ps)
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

static const char *
set_str (const Parser *ps, const StrSet *set, guint i)
{
  return ps->bytes + set->offset[i];
}

/* Adds s (which may lie in the arena itself); FALSE when the set is
 * full. */
static gboolean
set_append (Parser *ps, StrSet *set, const char *s, gsize len)
{
  guintptr at = (guintptr) s - (guintptr) ps->bytes;
  gboolean in_arena
      = (guintptr) s >= (guintptr) ps->bytes && at < ps->bytes_len;

  if (set->n == SET_MAX || len > LITERAL_MAX)
    return FALSE;
  if (ps->bytes_len + len > ps->bytes_size)
    {
      ps->bytes_size *= 2;
      ps->bytes = g_realloc (ps->bytes, ps->bytes_size);
      if (in_arena)
        s = ps->bytes + at; /* it moved with the arena */
    }
  memmove (ps->bytes + ps->bytes_len, s, len);
  set->offset[set->n] = (guint32) ps->bytes_len;
  set->len[set->n++] = (guint8) len;
  ps->bytes_len += len;
  return TRUE;
}

/* Adds s unless there; FALSE when the set is full. */
static gboolean
set_add (Parser *ps, StrSet *set, const char *s, gsize len)
{
  for (guint i = 0; i < set->n; i++)
    if (set->len[i] == len && memcmp (set_str (ps, set, i), s, len) == 0)
      return TRUE;
  return set_append (ps, set, s, len);
}

static StrSet *
set_of (Parser *ps, const char *s, gsize len)
{
  StrSet *set = set_new (ps);

  set_add (ps, set, s, len);
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

static Info
info_empty (Parser *ps)
{
  Info info = { set_of (ps, "", 0), NULL };

  return info;
}

static Info
info_unknown (void)
{
  Info info = { NULL, NULL };

  return info;
}

/* One string of info's that every match contains, or NULL. */
static StrSet *
info_required (const Info *info)
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
static StrSet *
set_better (StrSet *a, StrSet *b)
{
  if (a == NULL)
    return b;
  if (b == NULL)
    return a;
  return set_cost (b) < set_cost (a) ? b : a;
}

/* Every string of a followed by one of b, or NULL when too many.  Not
 * deduplicated: "a"+"bc" and "ab"+"c" are rare and only cost a slot. */
static StrSet *
set_product (Parser *ps, const StrSet *a, const StrSet *b)
{
  StrSet *product;
  char buf[2 * LITERAL_MAX];

  if ((gsize) a->n * b->n > PRODUCT_MAX && a->n > 1 && b->n > 1)
    return NULL;
  if ((gsize) a->n * b->n > SET_MAX)
    return NULL;
  product = set_new (ps);
  for (guint i = 0; i < a->n; i++)
    for (guint j = 0; j < b->n; j++)
      {
        gsize len = (gsize) a->len[i] + b->len[j];

        if (len > LITERAL_MAX)
          return NULL;
        memcpy (buf, set_str (ps, a, i), a->len[i]);
        memcpy (buf + a->len[i], set_str (ps, b, j), b->len[j]);
        set_append (ps, product, buf, len);
      }
  return product;
}

static void parse_alternation (Parser *ps, Info *out);

/* A character as it appears in the folded text, or FALSE when a
 * caseless match could be spelled otherwise, or it is NUL (\x with no
 * digits is one) or no character at all. */
static gboolean
fold_char (const Parser *ps, gunichar c, char out[7], gsize *len)
{
  if (c == 0 || c > 0x10ffff)
    return FALSE; /* literals are C strings */
  if (c < 0x80)
    {
      out[0] = g_ascii_tolower ((char) c);
      *len = 1;
      return TRUE;
    }
  if (ps->caseless
      && (g_unichar_tolower (c) != c || g_unichar_toupper (c) != c
          || g_unichar_totitle (c) != c))
    return FALSE;
  *len = (gsize) g_unichar_to_utf8 (c, out);
  return TRUE;
}

static Info
info_char (Parser *ps, gunichar c)
{
  Info info = { NULL, NULL };
  char buf[7];
  gsize len;

  ps->newline = ps->newline || c == '\n';
  if (!fold_char (ps, c, buf, &len))
    return info;
  info.exact = set_of (ps, buf, len);
  return info;
}

static Info
info_digits (Parser *ps)
{
  Info info = { set_new (ps), NULL };

  for (char c = '0'; c <= '9'; c++)
    set_add (ps, info.exact, &c, 1);
  return info;
}

static gboolean
at (const Parser *ps, const char *s)
{
  gsize n = strlen (s);

  return (gsize) (ps->end - ps->p) >= n && memcmp (ps->p, s, n) == 0;
}

/* The next UTF-8 character of the pattern. */
static gunichar
next_char (Parser *ps)
{
  gunichar c = g_utf8_get_char_validated (ps->p, ps->end - ps->p);

  if (c == (gunichar) -1 || c == (gunichar) -2)
    {
      ps->failed = TRUE;
      ps->p = ps->end;
      return 0;
    }
  ps->p = g_utf8_next_char (ps->p);
  return c;
}

/* The character of a one-letter escape (\t, \n ...), or 0. */
static gunichar
control_escape (char e)
{
  switch (e)
    {
    case 't':
      return '\t';
    case 'n':
      return '\n';
    case 'r':
      return '\r';
    case 'f':
      return '\f';
    case 'e':
      return 0x1b;
    case 'a':
      return 0x07;
    default:
      return 0;
    }
}

/* \xhh or \x{h...}, after the x. */
static gunichar
parse_hex (Parser *ps)
{
  const char *start = ps->p;
  gboolean braced = ps->p < ps->end && *ps->p == '{';
  gunichar c = 0;
  int digits = 0;

  if (braced)
    ps->p++;
  while (ps->p < ps->end && g_ascii_isxdigit (*ps->p) && (braced || digits < 2)
         && digits < 8)
    c = c * 16 + (gunichar) g_ascii_xdigit_value (*ps->p++), digits++;
  if (braced && (ps->p >= ps->end || *ps->p++ != '}'))
    {
      ps->p = start;
      ps->failed = TRUE;
    }
  return c;
}

/* Skips the {...} of \p{...} and the like. */
static void
skip_braces (Parser *ps)
{
  if (ps->p < ps->end && *ps->p == '{')
    {
      const char *close = memchr (ps->p, '}', ps->end - ps->p);

      ps->p = close ? close + 1 : ps->end;
    }
  else if (ps->p < ps->end)
    ps->p++; /* a one-letter property: \pL */
}

/* Skips the rest of an escape that stands for text we do not read: a
 * back reference or subroutine call (\1, \g{-1}, \k<name>), an octal
 * or control character (\012, \o{12}, \cJ), or quoted text (\Q...\E). */
static void
skip_reference (Parser *ps, char e)
{
  static const char *const closers[] = { "{}", "<>", "''" };

  if (e == 'Q')
    {
      const char *end = g_strstr_len (ps->p, ps->end - ps->p, "\\E");

      ps->p = end ? end + 2 : ps->end;
      return;
    }
  if (e == 'c')
    {
      ps->p += ps->p < ps->end;
      return;
    }
  /* \g{..} \g<..> \g'..' \k<..> \k'..' \k{..} \o{..}; after a digit, a
   * quote or a brace is just the next character. */
  for (gsize i = 0; strchr ("gko", e) != NULL && ps->p < ps->end
                    && i < G_N_ELEMENTS (closers);
       i++)
    if (*ps->p == closers[i][0])
      {
        const char *close
            = memchr (ps->p + 1, closers[i][1], ps->end - ps->p - 1);

        ps->p = close ? close + 1 : ps->end;
        return;
      }
  if (ps->p < ps->end && (*ps->p == '-' || *ps->p == '+'))
    ps->p++;
  while (ps->p < ps->end && g_ascii_isdigit (*ps->p))
    ps->p++;
}

/*
 * An escape outside a class, after the backslash.  Sets *c and returns
 * TRUE for a literal character; otherwise fills info.
 */
static gboolean
parse_escape (Parser *ps, gunichar *c, Info *info)
{
  char e = *ps->p++;

  if ((*c = control_escape (e)) != 0)
    return TRUE;
  switch (e)
    {
    case 'x':
      *c = parse_hex (ps);
      return TRUE;
    case 'd':
      *info = info_digits (ps);
      return FALSE;
    case 'b':
    case 'B':
    case 'A':
    case 'Z':
    case 'z':
    case 'G':
    case 'K':
      *info = info_empty (ps);
      return FALSE;
    case 'p':
    case 'P':
      skip_braces (ps);
      ps->newline = TRUE;
      *info = info_unknown ();
      return FALSE;
    case 'D':
    case 'W':
    case 's':
    case 'H':
    case 'v':
    case 'R':
    case 'X':
    case 'C':
      ps->newline = TRUE; /* these match \n too */
      *info = info_unknown ();
      return FALSE;
    case 'N':
      if (at (ps, "{"))
        skip_braces (ps); /* \N{U+hh...}: a character we do not read */
      ps->newline = TRUE;
      *info = info_unknown ();
      return FALSE;
    case 'w':
    case 'S':
    case 'h':
    case 'V':
      *info = info_unknown ();
      return FALSE;
    case 'g':
    case 'k':
    case 'o':
    case 'c':
    case 'Q':
    case '0':
    case '1':
    case '2':
    case '3':
    case '4':
    case '5':
    case '6':
    case '7':
    case '8':
    case '9':
      skip_reference (ps, e);
      ps->newline = TRUE; /* what they stand for may hold \n */
      *info = info_unknown ();
      return FALSE;
    default:
      if (g_ascii_isalnum (e))
        {
          /* no such escape: PCRE2 refuses the pattern */
          ps->failed = TRUE;
          *info = info_unknown ();
          return FALSE;
        }
      ps->p--;
      *c = next_char (ps);
      return TRUE;
    }
}

/*
 * The end of a POSIX class ("[:alpha:]") at ps->p inside a class, or
 * NULL when the "[" there is a plain character: as PCRE2 reads it, a "]"
 * before the closing ":]" means no POSIX class ("[(a[:]" is "(", "a",
 * "[" and ":").
 */
static const char *
posix_class_end (const Parser *ps)
{
  if (!at (ps, "[:"))
    return NULL;
  for (const char *q = ps->p + 2; q + 1 < ps->end; q++)
    if (*q == '\\' && (q[1] == ']' || q[1] == '\\'))
      q++;
    else if ((*q == '[' && q[1] == ':') || *q == ']')
      return NULL;
    else if (*q == ':' && q[1] == ']')
      return q + 2;
  return NULL;
}

/* What a member of a class says about \n. */
enum
{
  NEWLINE_MAYBE = 1, /* it may be or hold a \n */
  NEWLINE_SURE = 2,  /* it surely is or holds one */
};

/* One member of a class: a character, or FALSE for a set of them;
 * *newline gets NEWLINE_ bits. */
static gboolean
class_member (Parser *ps, gunichar *c, int *newline)
{
  const char *posix_end = posix_class_end (ps);

  if (posix_end != NULL)
    {
      if (at (ps, "[:space:]") || at (ps, "[:cntrl:]"))
        *newline |= NEWLINE_SURE;
      ps->p = posix_end;
      return FALSE;
    }
  if (*ps->p != '\\')
    {
      *c = next_char (ps);
      return TRUE;
    }
  ps->p++;
  if (ps->p >= ps->end)
    return FALSE;
  if ((*c = control_escape (*ps->p)) != 0)
    {
      ps->p++;
      return TRUE;
    }
  switch (*ps->p++)
    {
    case 'b':
      *c = 0x08;
      return TRUE; /* in a class, a backspace */
    case 'x':
      *c = parse_hex (ps);
      return TRUE;
    case 'p':
    case 'P':
      skip_braces (ps);
      *newline |= NEWLINE_MAYBE;
      return FALSE;
    case 'c':
    case 'o':
    case 'Q':
    case '0':
    case '1':
    case '2':
    case '3':
    case '4':
    case '5':
    case '6':
    case '7':
    case '8':
    case '9':
      /* a control or octal character, or quoted text: all of it, a
       * "]" in it included, belongs to the class */
      skip_reference (ps, ps->p[-1]);
      *newline |= NEWLINE_MAYBE;
      return FALSE;
    default:
      if (!g_ascii_isalnum (ps->p[-1]))
        break;
      /* \d \w \s ...: a set */
      if (strchr ("sWDHvR", ps->p[-1]) != NULL)
        *newline |= NEWLINE_SURE;
      return FALSE;
    }
  ps->p--;
  *c = next_char (ps);
  return TRUE;
}

/* [...], after the [: its characters while few, else unknown. */
static Info
parse_class (Parser *ps)
{
  Info info = { set_new (ps), NULL };
  gboolean negated = FALSE;
  gboolean many;
  gboolean first = TRUE;
  int newline = 0; /* NEWLINE_ bits of the members listed */

  /* As PCRE2 reads a class's start: \E and \Q\E are nothing, and a ]
   * after them (or after the ^) is still the first member, a literal. */
  for (;;)
    if (at (ps, "\\E"))
      ps->p += 2;
    else if (at (ps, "\\Q\\E"))
      ps->p += 4;
    else if (!negated && at (ps, "^"))
      {
        negated = TRUE;
        ps->p++;
      }
    else
      break;
  many = negated;
  while (ps->p < ps->end && (*ps->p != ']' || first))
    {
      gunichar lo, hi;

      first = FALSE;
      if (!class_member (ps, &lo, &newline))
        {
          many = TRUE;
          continue;
        }
      hi = lo;
      if (at (ps, "-") && ps->p + 1 < ps->end && ps->p[1] != ']')
        {
          ps->p++;
          if (!class_member (ps, &hi, &newline) || hi < lo)
            {
              many = TRUE;
              newline |= NEWLINE_MAYBE; /* a range we cannot read */
              continue;
            }
        }
      if (lo <= '\n' && '\n' <= hi)
        newline |= NEWLINE_SURE;
      for (gunichar c = lo; !many && c <= hi; c++)
        {
          char buf[7];
          gsize len;

          if (hi - lo >= 4 * CLASS_MAX || !fold_char (ps, c, buf, &len))
            many = TRUE;
          else
            set_add (ps, info.exact, buf, len);
        }
      if (info.exact->n > CLASS_MAX)
        many = TRUE;
    }
  if (ps->p >= ps->end)
    ps->failed = TRUE;
  else
    ps->p++;
  /* A negated class matches \n unless \n is surely listed. */
  if (negated ? !(newline & NEWLINE_SURE) : newline != 0)
    ps->newline = TRUE;
  return many ? info_unknown () : info;
}

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
    if (at (ps, assertions[i]))
      {
        ps->p += strlen (assertions[i]);
        assertion = TRUE;
      }
  if (assertion)
    ;
  else if (at (ps, "?:") || at (ps, "?|") || at (ps, "?>"))
    ps->p += 2;
  else if (at (ps, "?<") || at (ps, "?'") || at (ps, "?P<"))
    {
      char close = at (ps, "?'") ? '\'' : '>';
      const char *end = memchr (ps->p, close, ps->end - ps->p);

      ps->p = end ? end + 1 : ps->end;
    }
  else if (at (ps, "?") && ps->p + 1 < ps->end
           && (g_ascii_isalpha (ps->p[1]) || ps->p[1] == '-'
               || ps->p[1] == '^'))
    {
      ps->p++;
      if (!parse_flags (ps))
        {
          ps->failed = TRUE;
          return info_unknown ();
        }
      if (*ps->p++ == ')')
        return info_empty (ps);
    }
  else if (at (ps, "?") || at (ps, "*"))
    {
      /* conditionals, recursion, callouts, verbs */
      ps->failed = TRUE;
      return info_unknown ();
    }
  if (++ps->depth > DEPTH_MAX)
    {
      /* PCRE2 refuses such a pattern too (parens_nest_limit) */
      ps->failed = TRUE;
      return info_unknown ();
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
      return info_empty (ps);
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
  if (at (ps, "\\E") || at (ps, "\\Q\\E") || at (ps, "(?#"))
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
      StrSet *or_empty = set_product (ps, info->exact, set_of (ps, "", 0));

      if (or_empty != NULL && set_add (ps, or_empty, "", 0))
        {
          info->exact = or_empty;
          return;
        }
    }
  /* Once or more: each match holds at least one copy. */
  info->required = min > 0 ? info_required (info) : NULL;
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
      info = parse_class (ps);
      break;
    case '\\':
      ps->p++;
      if (ps->p >= ps->end)
        {
          ps->failed = TRUE;
          return info_unknown ();
        }
      if (parse_escape (ps, &c, &info))
        info = info_char (ps, c);
      break;
    case '.':
      ps->p++;
      ps->newline = ps->newline || ps->dotall;
      info = info_unknown ();
      break;
    case '^':
    case '$':
      ps->p++;
      info = info_empty (ps);
      break;
    case '*':
    case '+':
    case '?':
      /* a quantifier where an atom should be: PCRE2 either refuses it
       * or reads it otherwise (as a lazy or possessive mark) */
      ps->failed = TRUE;
      return info_unknown ();
    default:
      c = next_char (ps);
      info = info_char (ps, c);
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
  StrSet *run = set_of (ps, "", 0);
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
        product = set_product (ps, run, atom.exact);
      if (product != NULL)
        {
          run = product;
          continue;
        }
      exact = FALSE;
      if (run != NULL)
        {
          Info done = { run, NULL };

          best = set_better (best, info_required (&done));
        }
      run = atom.exact;
      best = set_better (best, atom.required);
    }
  out->exact = exact ? run : NULL;
  out->required = NULL;
  if (!exact && run != NULL)
    {
      Info done = { run, NULL };

      best = set_better (best, info_required (&done));
    }
  if (!exact)
    out->required = best;
}

/* Adds every string of from to to; FALSE when to is full.  Duplicates
 * are dropped at the end (prefilter_literals). */
static gboolean
set_add_all (Parser *ps, StrSet *to, const StrSet *from)
{
  for (guint i = 0; i < from->n; i++)
    if (!set_append (ps, to, set_str (ps, from, i), from->len[i]))
      return FALSE;
  return TRUE;
}

/* A string in the arena. */
typedef struct
{
  guint32 offset;
  guint8 len;
} Piece;

/*
 * At most SET_MAX of pieces as a set: when there are more, each is cut
 * to its first bytes (a prefix of a literal is in every text the literal
 * is in) until few enough remain; NULL if even two bytes are too many.
 */
static StrSet *
set_from_pieces (Parser *ps, GArray *pieces)
{
  static const guint8 cuts[] = { LITERAL_MAX, 8, 6, 4, 3, 2 };

  for (gsize c = 0; c < G_N_ELEMENTS (cuts); c++)
    {
      StrSet *set = set_new (ps);
      guint i;

      for (i = 0; i < pieces->len; i++)
        {
          const Piece *piece = &g_array_index (pieces, Piece, i);

          if (!set_add (ps, set, ps->bytes + piece->offset,
                        MIN (piece->len, cuts[c])))
            break;
        }
      if (i == pieces->len)
        return set;
    }
  return NULL;
}

static void
add_pieces (GArray *pieces, const StrSet *set)
{
  for (guint i = 0; i < set->n; i++)
    g_array_append_vals (pieces, &(Piece){ set->offset[i], set->len[i] }, 1);
}

/* Branches up to ) or the end: one of them matches. */
static void
parse_alternation (Parser *ps, Info *out)
{
  StrSet *exact = set_new (ps);
  g_autoptr (GArray) required = g_array_new (FALSE, FALSE, sizeof (Piece));
  gboolean all_required = TRUE;

  for (;;)
    {
      Info branch;
      StrSet *r;

      parse_sequence (ps, &branch);
      r = info_required (&branch);
      if (exact != NULL
          && (branch.exact == NULL || !set_add_all (ps, exact, branch.exact)))
        exact = NULL;
      all_required = all_required && r != NULL;
      if (all_required)
        add_pieces (required, r);
      if (ps->p >= ps->end || *ps->p != '|' || ps->failed)
        break;
      ps->p++;
    }
  out->exact = exact;
  out->required = NULL;
  if (exact == NULL && all_required)
    out->required = set_from_pieces (ps, required);
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
  required = ps.failed || ps.p != ps.end ? NULL : info_required (&info);
  if (required != NULL)
    {
      literals = g_ptr_array_new_with_free_func (g_free);
      for (guint i = 0; i < required->n; i++)
        g_ptr_array_add (
            literals, g_strndup (set_str (&ps, required, i), required->len[i]));
      g_ptr_array_sort (literals, compare_strings);
      drop_redundant (literals);
    }
  if (line_local != NULL)
    *line_local = literals != NULL && !ps.newline;
  g_free (ps.bytes);
  g_ptr_array_unref (ps.blocks);
  return literals;
}

/* --- the scan ---------------------------------------------------------- */

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
 * whose first two bytes, b0 and b1 folded, begin some literal. */
static void
hits_at (PrefilterHits *h, const guint8 *t, gsize left, guint line, guint8 b0,
         guint8 b1)
{
  const Prefilter *p = h->p;
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
        hits_at (h, t + i, len - i, line, b0, b1);
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
