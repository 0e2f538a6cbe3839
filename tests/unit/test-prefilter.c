/*
 * test-prefilter.c - patterns reduced to required literals, and the scan.
 *
 * The property that matters is soundness: a pattern that matches a text
 * must be a candidate for it.  It is checked with every shipped rule on
 * every text of the test corpus (the samples, the labelled reports and
 * the log lines); and the prefilter must also rule something out, or it
 * would be sound by doing nothing.
 */
#include <string.h>

#include "madoguchi/message.h"
#include "madoguchi/prefilter.h"
#include "madoguchi/rules.h"

typedef struct {
  const char *pattern;
  const char *literals;   /* space-separated (_ for a space), or NULL */
} LiteralCase;

static const LiteralCase literal_cases[] = {
  { "abc", "abc" },
  { "(?i)Port ?Scan", "port_scan portscan" },
  { "colou?r", "color colour" },
  { "a|b", "a b" },
  { "foo\\d+bar", "foo" },
  { "[abc]x", "ax bx cx" },
  { "[^a]x", "x" },
  { "(?<=ab)cd", "cd" },
  { "(?<!x)(?:GET|POST) /", "get_/ post_/" },
  { "[a-z]+@[a-z]+", "@" },
  { "\\x41B", "ab" },
  { "a{2,}", "a" },
  { "スキャン(?:を|が)", "スキャンが スキャンを" },
  { "é", "é" },
  { "\\bno\\b|\\bnot\\b", "no" },          /* "not" starts with "no" */
  { "(?:scan|port)s?", "port scan" },
  /* Nothing every match must contain. */
  { "x*", NULL },
  { "a|b*", NULL },
  { ".+", NULL },
  { "\\d+", "0 1 2 3 4 5 6 7 8 9" },
  { "\\w+", NULL },
  /* Constructs the reduction does not follow. */
  { "(?(1)a|b)", NULL },
  { "(a)\\1", NULL },
  { "(?x) a b", NULL },
  { "\\Qa.b\\E", NULL },
  { "(*UTF)abc", NULL },
  { "(?i)é", NULL },          /* É matches too */
  /* Broken patterns: PCRE2 reports them; here they have no literals. */
  { "(abc", NULL },
  { "abc)", NULL },
  { "", NULL },
};

static void
test_literals (gconstpointer data)
{
  const LiteralCase *c = data;
  g_autoptr (GPtrArray) got = prefilter_literals (c->pattern);
  g_auto (GStrv) want = NULL;

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

static gboolean
candidate (const Prefilter *p, guint n, const char *text)
{
  guint8 bits[8];

  prefilter_scan (p, text, strlen (text), bits);
  return (bits[n / 8] & 1 << (n % 8)) != 0;
}

static void
test_scan (void)
{
  g_autoptr (Prefilter) p = prefilter_new ();
  guint scan = prefilter_add (p, "(?i)port ?scan");
  guint at = prefilter_add (p, "[a-z]+@[a-z]+");
  guint any = prefilter_add (p, "\\w+");
  guint ja = prefilter_add (p, "不正アクセス");

  prefilter_build (p);
  g_assert_cmpuint (prefilter_count (p), ==, 4);
  g_assert_true (candidate (p, scan, "a PORT SCAN"));
  g_assert_true (candidate (p, scan, "portscan"));
  g_assert_false (candidate (p, scan, "a port sca"));
  g_assert_false (candidate (p, scan, "ports can"));
  g_assert_true (candidate (p, at, "@"));
  g_assert_false (candidate (p, at, "at"));
  g_assert_true (candidate (p, any, ""));
  g_assert_true (candidate (p, ja, "サーバへの不正アクセスがありました"));
  g_assert_false (candidate (p, ja, "不正なアクセス"));
  /* KELVIN SIGN and LONG S match k and s caselessly: everything is a
   * candidate then. */
  g_assert_true (candidate (p, scan, "port \xc5\xbf" "can"));
  g_assert_true (candidate (p, ja, "\xe2\x84\xaa"));
}

/* Every text of the corpus: the message texts and subjects, and the
 * log lines. */
static GPtrArray *
corpus_texts (void)
{
  static const char *const dirs[] = { "", "classify" };
  GPtrArray *texts = g_ptr_array_new_with_free_func (g_free);
  MessageLimits limits = { 20, 1000, 1 << 20 };
  g_autofree char *log = NULL;
  g_auto (GStrv) lines = NULL;

  message_init ();
  for (gsize d = 0; d < G_N_ELEMENTS (dirs); d++)
    {
      g_autofree char *path = g_build_filename (TEST_DATA_DIR, dirs[d], NULL);
      g_autoptr (GDir) dir = g_dir_open (path, 0, NULL);
      const char *name;

      g_assert_nonnull (dir);
      while ((name = g_dir_read_name (dir)) != NULL)
        {
          g_autofree char *file = g_build_filename (path, name, NULL);
          g_autofree char *data = NULL;
          gsize len;
          g_autoptr (Message) m = NULL;

          if (!g_str_has_suffix (name, ".eml"))
            continue;
          g_assert_true (g_file_get_contents (file, &data, &len, NULL));
          m = message_parse (data, len, &limits);
          g_ptr_array_add (texts, g_strdup (m->text ? m->text : ""));
          g_ptr_array_add (texts, g_strdup (m->subject ? m->subject : ""));
        }
    }
  g_assert_true (g_file_get_contents (TEST_DATA_DIR "/loglines.tsv", &log,
                                      NULL, NULL));
  lines = g_strsplit (log, "\n", -1);
  for (int i = 0; lines[i] != NULL; i++)
    g_ptr_array_add (texts, g_strdup (lines[i]));
  return texts;
}

static void
test_sound_on_corpus (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (RuleSet) set = rules_load (TEST_DATA_DIR "/../../rules", &error);
  g_autoptr (GPtrArray) texts = corpus_texts ();
  pcre2_match_data *md = pcre2_match_data_create (64, NULL);
  guint ruled_out = 0, matched = 0;

  g_assert_no_error (error);
  g_assert_cmpuint (texts->len, >, 300);
  for (guint t = 0; t < texts->len; t++)
    {
      const char *text = texts->pdata[t];
      gsize len = strlen (text);
      g_autofree guint8 *candidates = rules_candidates (set, text, len);

      for (guint i = 0; i < set->rules->len; i++)
        {
          const Rule *rule = set->rules->pdata[i];

          if (rule->pattern == NULL)
            continue;
          if (rules_match (set, rule, text, len, 0, md) > 0)
            {
              matched++;
              if (!rules_is_candidate (candidates, rule))
                g_error ("rule %s matches text %u but is no candidate",
                         rule->name, t);
            }
          ruled_out += !rules_is_candidate (candidates, rule);
        }
    }
  g_test_message ("%u matches, %u rule-text pairs ruled out", matched,
                  ruled_out);
  g_assert_cmpuint (matched, >, 1000);
  g_assert_cmpuint (ruled_out, >, texts->len * set->rules->len / 2);
  pcre2_match_data_free (md);
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
  g_test_add_func ("/prefilter/sound-on-corpus", test_sound_on_corpus);
  return g_test_run ();
}
