/*
 * test-prefilter.c - patterns reduced to required literals, and the scan.
 *
 * The property that matters is soundness: searching only where the scan
 * says a rule may match finds exactly the matches that searching the
 * whole text finds.  It is checked with every shipped rule on every text
 * of the test corpus (the samples, the labelled reports, the log lines
 * one by one and all together); and the prefilter must also rule
 * something out, or it would be sound by doing nothing.
 */
#include <string.h>

#include "madoguchi/prefilter.h"
#include "madoguchi/rules.h"

typedef struct
{
  const char *pattern;
  const char *literals; /* space-separated (_ for a space), or NULL */
  gboolean line_local;
} LiteralCase;

static const LiteralCase literal_cases[] = {
  { "abc", "abc", TRUE },
  { "(?i)Port ?Scan", "port_scan portscan", TRUE },
  { "colou?r", "color colour", TRUE },
  { "a|b", "a b", TRUE },
  { "foo\\d+bar", "foo", TRUE },
  { "[abc]x", "ax bx cx", TRUE },
  { "[^a]x", "x", FALSE },
  { "[(a[:]x", "(x :x [x ax", TRUE }, /* "[:" is no POSIX class here */
  { "[[:digit:]]x", "x", TRUE },
  { "(?<=ab)cd", "cd", TRUE },
  { "(?<!x)(?:GET|POST) /", "get_/ post_/", TRUE },
  { "[a-z]+@[a-z]+", "@", TRUE },
  { "\\x41B", "ab", TRUE },
  { "a{2,}", "a", TRUE },
  { "スキャン(?:を|が)", "スキャンが スキャンを", TRUE },
  { "é", "é", TRUE },
  { "\\bno\\b|\\bnot\\b", "no", TRUE }, /* "not" starts with "no" */
  { "(?:scan|port)s?", "port scan", TRUE },
  /* What can match a newline, anywhere in the pattern. */
  { "port\\s+scan", "port", FALSE },
  { "port[ \\t]+scan", "port", TRUE },
  { "port[^x]scan", "port", FALSE },
  { "port[^\\n]scan", "port", TRUE },
  { "port(?=\\n)", "port", FALSE },
  { "(?s)port.scan", "port", FALSE },
  { "port.scan", "port", TRUE },
  { "port\\Wscan", "port", FALSE },
  { "port[\\x00-\\x1f]", "port", FALSE },
  /* Nothing every match must contain. */
  { "x*", NULL, FALSE },
  { "a|b*", NULL, FALSE },
  { ".+", NULL, FALSE },
  { "\\d+", "0 1 2 3 4 5 6 7 8 9", TRUE },
  { "\\w+", NULL, FALSE },
  /* What a reference stands for is not read; the rest is. */
  { "(a)\\1", "a", FALSE },
  { "(?<w>ab)x\\k<w>", "abx", FALSE },
  { "(ab)\\g{-1}cd", "ab", FALSE },
  { "\\Qa.b\\Ecd", "cd", FALSE },
  { "\\cJport", "port", FALSE },
  { "\\012port", "port", FALSE },
  { "a\\0'b'c", "'b'c", FALSE },    /* a quote after an octal */
  { "[\\c]x]y", "y", FALSE },       /* \c] is one character */
  { "[\\Q]\\E]z", "z", FALSE },     /* so is a quoted ] */
  { "[\\E]x]y", "]y xy", TRUE },    /* ] after \E is a member */
  { "[\\Q\\E]x]y", "]y xy", TRUE }, /* after \Q\E too */
  { "[\\E^]x]y", "y", FALSE },      /* and after \E^ (negated) */
  { "[^t\\c]]y", "y", FALSE },      /* \c] may be anything, even... */
  { "[^\\s]y", "y", TRUE },         /* ...but \s surely holds \n */
  /* PCRE2 ignores these, and a quantifier after them then applies to
   * the atom before: not followed. */
  { "x0\\E*", NULL, FALSE },
  { "x0(?#note)?y", NULL, FALSE },
  { "x0\\Q\\E*", NULL, FALSE },
  { "x0?\\E?", NULL, FALSE },
  { "x\\N{U+0041}yz", "yz", FALSE }, /* a named character */
  /* Constructs the reduction does not follow. */
  { "(?(1)a|b)", NULL, FALSE },
  { "(?x) a b", NULL, FALSE },
  { "(*UTF)abc", NULL, FALSE },
  { "(?i)é", NULL, FALSE }, /* É matches too */
  /* Broken patterns: PCRE2 reports them; here they have no literals. */
  { "(abc", NULL, FALSE },
  { "abc)", NULL, FALSE },
  { "", NULL, FALSE },
};

static void
test_literals (gconstpointer data)
{
  const LiteralCase *c = data;
  gboolean line_local;
  g_autoptr (GPtrArray) got = prefilter_literals (c->pattern, &line_local);
  g_auto (GStrv) want = NULL;

  g_assert_cmpint (line_local, ==, c->line_local);
  if (c->literals == NULL)
    {
      g_assert_null (got);
      return;
    }
  g_assert_nonnull (got);
  want = g_strsplit (c->literals, " ", -1);
  g_assert_cmpuint (got->len, ==, g_strv_length (want));
  for (guint i = 0; i < got->len; i++)
    g_assert_cmpstr (got->pdata[i], ==, g_strdelimit (want[i], "_", ' '));
}

/* Patterns a site could write by mistake, or a fuzzer: deep nesting is
 * refused (as PCRE2 refuses it) without exhausting the stack, and a huge
 * alternation keeps to the set limits. */
static void
test_hostile_patterns (void)
{
  GString *deep = g_string_new (NULL);
  GString *wide = g_string_new (NULL);
  g_autoptr (GPtrArray) none = NULL;
  g_autoptr (GPtrArray) some = NULL;

  for (int i = 0; i < 100000; i++)
    g_string_append_c (deep, '(');
  g_string_append (deep, "abc");
  for (int i = 0; i < 100000; i++)
    g_string_append_c (deep, ')');
  none = prefilter_literals (deep->str, NULL);
  g_assert_null (none);
  for (int i = 0; i < 20000; i++)
    g_string_append_printf (wide, "%sword%d", i ? "|" : "", i);
  some = prefilter_literals (wide->str, NULL);
  g_assert_nonnull (some); /* cut to prefixes: "word" */
  g_assert_cmpuint (some->len, <=, 256);
  g_string_free (deep, TRUE);
  g_string_free (wide, TRUE);
}

static gboolean
candidate (const Prefilter *p, guint n, const char *text)
{
  g_autoptr (PrefilterHits) h = prefilter_scan (p, text, strlen (text));

  return prefilter_hits_candidate (h, n);
}

/* The spans of pattern n in text, as "start-end ..." ("*": anywhere). */
static char *
spans_of (const Prefilter *p, guint n, const char *text)
{
  g_autoptr (PrefilterHits) h = prefilter_scan (p, text, strlen (text));
  const GArray *spans = prefilter_hits_spans (h, n);
  GString *out = g_string_new (NULL);

  for (guint i = 0; spans != NULL && i < spans->len; i++)
    {
      const PrefilterSpan *span = &g_array_index (spans, PrefilterSpan, i);

      g_string_append_printf (out, "%s%zu-%zu", i ? " " : "",
                              (size_t) span->start, (size_t) span->end);
    }
  if (spans == NULL)
    g_string_append_c (out, '*');
  return g_string_free (out, FALSE);
}

static void
test_scan (void)
{
  g_autoptr (Prefilter) p = prefilter_new ();
  guint scan = prefilter_add (p, "(?i)port ?scan");
  guint at = prefilter_add (p, "[a-z]+@[a-z]+");
  guint any = prefilter_add (p, "\\w+");
  guint ja = prefilter_add (p, "不正アクセス");
  guint wrapped = prefilter_add (p, "port\\s+scan");
  g_autofree char *s1 = NULL, *s2 = NULL, *s3 = NULL, *s4 = NULL;

  prefilter_build (p);
  g_assert_cmpuint (prefilter_count (p), ==, 5);
  g_assert_true (candidate (p, scan, "a PORT SCAN"));
  g_assert_true (candidate (p, scan, "portscan"));
  g_assert_false (candidate (p, scan, "a port sca"));
  g_assert_false (candidate (p, scan, "ports can"));
  g_assert_false (candidate (p, scan, "pox scan"));
  g_assert_true (candidate (p, at, "@"));
  g_assert_false (candidate (p, at, "at"));
  g_assert_true (candidate (p, any, ""));
  g_assert_true (candidate (p, ja, "サーバへの不正アクセスがありました"));
  g_assert_false (candidate (p, ja, "不正なアクセス"));
  /* KELVIN SIGN and LONG S match k and s caselessly: everything is a
   * candidate then, anywhere. */
  g_assert_true (candidate (p, scan,
                            "port \xc5\xbf"
                            "can"));
  g_assert_true (candidate (p, ja, "\xe2\x84\xaa"));
  /* Lines: each line holding a literal, with its end; neighbours join;
   * the last line may have no newline. */
  s1 = spans_of (p, at, "a\nb@c\nd\ne@f\ng@h\ni");
  g_assert_cmpstr (s1, ==, "2-6 8-16");
  s2 = spans_of (p, scan, "portscan");
  g_assert_cmpstr (s2, ==, "0-8");
  s3 = spans_of (p, wrapped, "port\nscan");
  g_assert_cmpstr (s3, ==, "*");
  s4 = spans_of (p, at, "x@\xc5\xbf");
  g_assert_cmpstr (s4, ==, "*");
}

/* Literals of two bytes and of one, several to a line or at the very
 * end of the text; and a prefilter with no pattern at all. */
static void
test_scan_short_literals (void)
{
  g_autoptr (Prefilter) p = prefilter_new ();
  g_autoptr (Prefilter) empty = prefilter_new ();
  guint two = prefilter_add (p, "ab|cd");
  guint one = prefilter_add (p, "x[.]y|\\.");
  g_autofree char *s1 = NULL;
  PrefilterHits *h;

  prefilter_build (p);
  g_assert_true (candidate (p, two, "zab"));
  g_assert_true (candidate (p, two, "cd"));
  g_assert_false (candidate (p, two, "ac bd"));
  g_assert_true (candidate (p, one, "end."));
  g_assert_false (candidate (p, one, "no dot"));
  s1 = spans_of (p, one, "a.b.c\nnone\n.\nx");
  g_assert_cmpstr (s1, ==, "0-6 11-13");
  prefilter_build (empty);
  g_assert_cmpuint (prefilter_count (empty), ==, 0);
  h = prefilter_scan (empty, "", 0);
  prefilter_hits_free (h);
  h = prefilter_scan (empty, "text", 4);
  prefilter_hits_free (h);
}

/* Literals are compared eight bytes at a time, folded: a difference
 * in any of the eight, or past them, a literal longer than the text
 * left, capitals and non-ASCII bytes. */
static void
test_scan_long_literals (void)
{
  g_autoptr (Prefilter) p = prefilter_new ();
  guint eight = prefilter_add (p, "abcdefgh");
  guint long_ = prefilter_add (p, "(?i)failed password");
  guint ja = prefilter_add (p, "ab不正");
  g_autofree char *s1 = NULL;

  prefilter_build (p);
  g_assert_true (candidate (p, eight, "abcdefgh"));
  g_assert_true (candidate (p, eight, "xABCDEFGHx"));
  g_assert_false (candidate (p, eight, "abcdefg"));
  g_assert_false (candidate (p, eight, "abcdefgX"));
  g_assert_false (candidate (p, eight, "bbcdefgh"));
  g_assert_false (candidate (p, eight,
                             "abcd\x85"
                             "fgh"));
  g_assert_true (candidate (p, long_, "Failed Password for root"));
  g_assert_true (candidate (p, long_, "FAILED PASSWORD"));
  g_assert_false (candidate (p, long_, "FAILED PASSWORe"));
  g_assert_false (candidate (p, long_, "failed passwor"));
  g_assert_false (candidate (p, long_, "failed\npassword"));
  g_assert_false (candidate (p, long_, "failez password"));
  g_assert_false (candidate (p, long_, "[ailed password"));
  g_assert_true (candidate (p, ja, "xAB不正"));
  g_assert_false (candidate (p, ja, "ab不"));
  s1 = spans_of (p, long_, "x\nFailed password\ny\nfailed passwords");
  g_assert_cmpstr (s1, ==, "2-18 20-36");
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  for (gsize i = 0; i < G_N_ELEMENTS (literal_cases); i++)
    {
      g_autofree char *path = g_strdup_printf ("/prefilter/literals/%zu", i);

      g_test_add_data_func (path, &literal_cases[i], test_literals);
    }
  g_test_add_func ("/prefilter/scan", test_scan);
  g_test_add_func ("/prefilter/scan-short-literals", test_scan_short_literals);
  g_test_add_func ("/prefilter/scan-long-literals", test_scan_long_literals);
  g_test_add_func ("/prefilter/hostile-patterns", test_hostile_patterns);
  return g_test_run ();
}
