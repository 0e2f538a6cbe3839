/*
 * classify-passed.c - what of a report its sender passes on rather than
 * writes: quoted lines, a forwarded message (inline, after a forward
 * marker or an Outlook From:/Sent: block), a signature, a forward's or
 * a reply's subject.  classify.c weighs a match there at half (see
 * there); this file only reads the text.
 */
#include "classify-passed.h"

#include <string.h>

void
classify_split_free (gpointer data)
{
  Split *split = data;

  if (split == NULL)
    return;
  g_string_free (split->own, TRUE);
  g_string_free (split->passed_on, TRUE);
  g_free (split);
}

/* Whether the line (len bytes, no newline) holds, caselessly, one of
 * the words. */
static gboolean
line_has (const char *line, gsize len, const char *const *words)
{
  g_autofree char *lower = g_ascii_strdown (line, (gssize) len);

  for (guint i = 0; words[i] != NULL; i++)
    if (strstr (lower, words[i]) != NULL)
      return TRUE;
  return FALSE;
}

static gboolean
starts_with (const char *p, const char *prefix)
{
  return strncmp (p, prefix, strlen (prefix)) == 0;
}

/*
 * Whether a forwarded message, a reply's quoted original or a signature
 * starts at line p (len bytes; next: the line after it): everything from
 * there on is passed on, not the reporter's own words.
 */
static gboolean
passed_on_starts (const char *p, gsize len, const char *next)
{
  static const char *const markers[]
      = { "forwarded message", "original message",     "begin forwarded",
          "転送メッセージ",    "転送されたメッセージ", "元のメッセージ",
          "転送済みメール",    "オリジナルメッセージ", NULL };

  while (len > 0 && (*p == ' ' || *p == '\t'))
    p++, len--;
  if ((len == 3 && starts_with (p, "-- "))
      || (len == 2 && starts_with (p, "--")))
    return TRUE; /* a signature */
  if (len >= 5 && strchr ("-=_*", *p) != NULL && line_has (p, len, markers))
    return TRUE;
  if (len >= 15 && starts_with (p, "Begin forwarded message"))
    return TRUE;
  /* Outlook: a rule of underscores, or From: right above Sent:. */
  if (len >= 20 && strspn (p, "_") == len)
    return TRUE;
  return (starts_with (p, "From:") || starts_with (p, "差出人:")
          || starts_with (p, "送信者:"))
         && next != NULL
         && (starts_with (next, "Sent:") || starts_with (next, "送信日時:")
             || starts_with (next, "Date:"));
}

/* A quoted line: "> ...", "＞ ..." (full width), or the line above a
 * quote: "On ... X wrote:", "... 書きました:", Gmail's "2026年11月23日(月)
 * 9:00 X <x@example.jp>:". */
static gboolean
quoted_line (const char *p, gsize len)
{
  static const char *const wrote[]
      = { "wrote:", "writes:", "書きました", "のメッセージ", NULL };
  const char *q = p;

  while (q < p + len && (*q == ' ' || *q == '\t'))
    q++;
  if (q < p + len
      && (*q == '>' || starts_with (q, "＞") || starts_with (q, "｜")))
    return TRUE;
  if (len < 7 || len > 200)
    return FALSE;
  if (p[len - 1] == ':' && p[len - 2] == '>' && memchr (p, '@', len) != NULL)
    return TRUE;
  return (p[len - 1] == ':' || memcmp (p + len - 3, "：", 3) == 0)
         && line_has (p, len, wrote);
}

/* The body cut into the reporter's words and what is passed on (a line
 * each, the other blank, so that both keep the body's lines).  NULL
 * when it is all the reporter's own. */
Split *
classify_split_body (const char *text)
{
  Split *split = g_new0 (Split, 1);
  gboolean rest = FALSE, any = FALSE;

  split->own = g_string_sized_new (strlen (text));
  split->passed_on = g_string_sized_new (64);
  for (const char *p = text; *p != '\0';)
    {
      const char *nl = strchrnul (p, '\n');
      gsize len = (gsize) (nl - p) - (nl > p && nl[-1] == '\r');

      rest = rest || passed_on_starts (p, len, *nl ? nl + 1 : NULL);
      if (rest || quoted_line (p, len))
        {
          g_string_append_len (split->passed_on, p, nl - p);
          any = TRUE;
        }
      else
        g_string_append_len (split->own, p, nl - p);
      g_string_append_c (split->own, '\n');
      g_string_append_c (split->passed_on, '\n');
      p = *nl ? nl + 1 : nl;
    }
  if (!any)
    {
      classify_split_free (split);
      return NULL;
    }
  return split;
}

/* Whether line (len bytes) is a From: of a forwarded message with the
 * address addr in it. */
gboolean
classify_from_line_is (const char *line, gsize len, const char *addr)
{
  g_autofree char *lower = NULL;

  if (!starts_with (line, "From:") && !starts_with (line, "差出人:")
      && !starts_with (line, "送信者:") && !starts_with (line, "差出人："))
    return FALSE;
  lower = g_ascii_strdown (line, (gssize) len);
  for (const char *p = strstr (lower, addr); p != NULL;
       p = strstr (p + 1, addr))
    if ((p == lower || strchr ("<: \t\"'(", p[-1]) != NULL)
        && strchr (">\" \t)'", p[strlen (addr)]) != NULL)
      return TRUE;
  return FALSE;
}

/* Whether the subject is a forwarded message's or a thread's ("Fwd:",
 * "FW:", "転送:", "Re:", "RE:", "AW:", "返信:"): passed on, not the
 * reporter's words for this mail. */
gboolean
classify_subject_passed_on (const char *subject)
{
  static const char *const prefixes[]
      = { "fwd:",  "fw:",    "re:",    "aw:",    "wg:",
          "tr:",   "rv:",    "sv:",    "転送:",  "転送：",
          "返信:", "返信：", "ｒｅ：", "ｆｗ：", NULL };
  const char *p = subject;

  if (p == NULL)
    return FALSE;
  while (*p == ' ' || *p == '\t')
    p++;
  for (guint i = 0; prefixes[i] != NULL; i++)
    if (g_ascii_strncasecmp (p, prefixes[i], strlen (prefixes[i])) == 0)
      return TRUE;
  return FALSE;
}
