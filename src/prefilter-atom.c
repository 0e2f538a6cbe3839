/*
 * prefilter-atom.c - the prefilter's reading of a pattern's characters:
 * literal characters folded as the scan folds the text, escapes, and
 * character classes (a few characters taken one by one, or nothing
 * known).
 */
#include <string.h>

#include "prefilter-private.h"

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

Info
prefilter_info_char (Parser *ps, gunichar c)
{
  Info info = { NULL, NULL };
  char buf[7];
  gsize len;

  ps->newline = ps->newline || c == '\n';
  if (!fold_char (ps, c, buf, &len))
    return info;
  info.exact = prefilter_set_of (ps, buf, len);
  return info;
}

static Info
info_digits (Parser *ps)
{
  Info info = { prefilter_set_new (ps), NULL };

  for (char c = '0'; c <= '9'; c++)
    prefilter_set_add (ps, info.exact, &c, 1);
  return info;
}

gboolean
prefilter_at (const Parser *ps, const char *s)
{
  gsize n = strlen (s);

  return (gsize) (ps->end - ps->p) >= n && memcmp (ps->p, s, n) == 0;
}

/* The next UTF-8 character of the pattern. */
gunichar
prefilter_next_char (Parser *ps)
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
gboolean
prefilter_parse_escape (Parser *ps, gunichar *c, Info *info)
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
      *info = prefilter_info_empty (ps);
      return FALSE;
    case 'p':
    case 'P':
      skip_braces (ps);
      ps->newline = TRUE;
      *info = prefilter_info_unknown ();
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
      *info = prefilter_info_unknown ();
      return FALSE;
    case 'N':
      if (prefilter_at (ps, "{"))
        skip_braces (ps); /* \N{U+hh...}: a character we do not read */
      ps->newline = TRUE;
      *info = prefilter_info_unknown ();
      return FALSE;
    case 'w':
    case 'S':
    case 'h':
    case 'V':
      *info = prefilter_info_unknown ();
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
      *info = prefilter_info_unknown ();
      return FALSE;
    default:
      if (g_ascii_isalnum (e))
        {
          /* no such escape: PCRE2 refuses the pattern */
          ps->failed = TRUE;
          *info = prefilter_info_unknown ();
          return FALSE;
        }
      ps->p--;
      *c = prefilter_next_char (ps);
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
  if (!prefilter_at (ps, "[:"))
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
      if (prefilter_at (ps, "[:space:]") || prefilter_at (ps, "[:cntrl:]"))
        *newline |= NEWLINE_SURE;
      ps->p = posix_end;
      return FALSE;
    }
  if (*ps->p != '\\')
    {
      *c = prefilter_next_char (ps);
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
  *c = prefilter_next_char (ps);
  return TRUE;
}

/* [...], after the [: its characters while few, else unknown. */
Info
prefilter_parse_class (Parser *ps)
{
  Info info = { prefilter_set_new (ps), NULL };
  gboolean negated = FALSE;
  gboolean many;
  gboolean first = TRUE;
  int newline = 0; /* NEWLINE_ bits of the members listed */

  /* As PCRE2 reads a class's start: \E and \Q\E are nothing, and a ]
   * after them (or after the ^) is still the first member, a literal. */
  for (;;)
    if (prefilter_at (ps, "\\E"))
      ps->p += 2;
    else if (prefilter_at (ps, "\\Q\\E"))
      ps->p += 4;
    else if (!negated && prefilter_at (ps, "^"))
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
      if (prefilter_at (ps, "-") && ps->p + 1 < ps->end && ps->p[1] != ']')
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
            prefilter_set_add (ps, info.exact, buf, len);
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
  return many ? prefilter_info_unknown () : info;
}
