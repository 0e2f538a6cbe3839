/*
 * test-rules.c - the rule loader: good rules load, every kind of broken
 * rule is reported with file, line, rule and reason and skipped, and the
 * rest still load.  Patterns compile on first use; a pattern that turns
 * out broken then is reported just the same.  The shipped rules/ has no
 * problem at all.
 */
#include <glib/gstdio.h>
#include <stdlib.h>
#include <string.h>

#include "madoguchi/prefilter.h"
#include "madoguchi/message.h"
#include "madoguchi/report.h"
#include "madoguchi/rules.h"
#include "../../src/rules-private.h"

typedef struct
{
  char *dir;
} Fixture;

static void
fixture_setup (Fixture *f, gconstpointer data)
{
  f->dir = g_dir_make_tmp ("test-rules-XXXXXX", NULL);
}

static void
fixture_teardown (Fixture *f, gconstpointer data)
{
  g_autofree char *cmd = g_strdup_printf ("rm -rf '%s'", f->dir);

  g_assert_cmpint (system (cmd), ==, 0);
  g_free (f->dir);
}

static void
write_file (Fixture *f, const char *name, const char *text)
{
  g_autofree char *path = g_build_filename (f->dir, name, NULL);

  g_assert_true (g_file_set_contents (path, text, -1, NULL));
}

static const RuleProblem *
problem_for (const RuleSet *set, const char *rule)
{
  for (guint i = 0; i < set->problems->len; i++)
    {
      const RuleProblem *p = set->problems->pdata[i];

      if (g_strcmp0 (p->rule, rule) == 0)
        return p;
    }
  return NULL;
}

static const char broken_rules[]
    = "# a comment\n"
      "[define]\n"
      "digit = [0-9]\n"
      "\n"
      "[rule good]\n"
      "kind = ipv4\n"
      "pattern = (?<addr>{digit}+\\.{digit}+\\.{digit}+\\.{digit}+)\n"
      "\n"
      "[rule unbalanced]\n"
      "kind = ipv4\n"
      "pattern = (?<addr>[0-9]+\n"
      "\n"
      "[rule badkind]\n"
      "kind = telepathy\n"
      "pattern = x\n"
      "\n"
      "[rule undefined]\n"
      "kind = url\n"
      "pattern = {nosuchthing}\n"
      "\n"
      "[rule nogroups]\n"
      "kind = timestamp\n"
      "pattern = \\d+:\\d+\n"
      "\n"
      "[rule badzone]\n"
      "kind = timestamp\n"
      "pattern = (?<mon>\\w+) (?<day>\\d+) (?<hour>\\d+):(?<minute>\\d+)\n"
      "assume_zone = Mars/Olympus\n"
      "\n"
      "[rule extra]\n"
      "kind = url\n"
      "pattern = x\n"
      "colour = red\n"
      "\n"
      "[rule good]\n"
      "kind = url\n"
      "pattern = y\n"
      "\n"
      "[rule fine]\n"
      "kind = url\n"
      "pattern = z\n";

/* The rules that are not broken. */
static GPtrArray *
working_rules (const RuleSet *set)
{
  GPtrArray *working = g_ptr_array_new ();

  for (guint i = 0; i < set->rules->len; i++)
    if (!((Rule *) set->rules->pdata[i])->broken)
      g_ptr_array_add (working, set->rules->pdata[i]);
  return working;
}

static void
test_broken (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (RuleSet) set = NULL;
  g_autoptr (GPtrArray) working = NULL;
  const RuleProblem *p;

  write_file (f, "a.rules", broken_rules);
  set = rules_load (f->dir, &error);
  g_assert_no_error (error);
  /* Loading does not compile: the two bad patterns are found later. */
  g_assert_null (problem_for (set, "unbalanced"));
  g_assert_cmpuint (rules_compile_all (set), ==, 2);
  working = working_rules (set);
  g_assert_cmpuint (working->len, ==, 1);
  g_assert_cmpstr (((Rule *) working->pdata[0])->info.name, ==, "fine");

  p = problem_for (set, "unbalanced");
  g_assert_nonnull (p);
  g_assert_cmpstr (p->file, ==, "a.rules");
  g_assert_cmpint (p->line, ==, 11);
  g_assert_nonnull (strstr (p->message, "offset"));
  g_assert_nonnull (strstr (p->message, "missing closing parenthesis"));

  p = problem_for (set, "badkind");
  g_assert_cmpint (p->line, ==, 14);
  g_assert_nonnull (strstr (p->message, "telepathy"));
  g_assert_nonnull (
      strstr (problem_for (set, "undefined")->message, "nosuchthing"));
  g_assert_nonnull (
      strstr (problem_for (set, "nogroups")->message, "month or mon"));
  g_assert_nonnull (
      strstr (problem_for (set, "badzone")->message, "assume_zone"));
  g_assert_nonnull (strstr (problem_for (set, "extra")->message, "colour"));
  g_assert_nonnull (problem_for (set, "good"));
  g_assert_nonnull (
      strstr (problem_for (set, "good")->message, "already exists"));
  g_assert_cmpint (problem_for (set, "good")->line, ==, 35);
  g_assert_cmpuint (set->problems->len, ==, 8); /* and tlds missing */
}

static void
test_unparsable_file (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (RuleSet) set = NULL;

  write_file (f, "bad.rules", "this is not a key file\n[rule x\n");
  write_file (f, "good.rules", "[rule y]\nkind = url\npattern = y\n");
  write_file (f, "tlds", "# comment\norg\nJP\ncom\njp\n");
  set = rules_load (f->dir, &error);
  g_assert_cmpuint (set->rules->len, ==, 1);
  g_assert_cmpuint (set->problems->len, ==, 1);
  g_assert_cmpstr (((RuleProblem *) set->problems->pdata[0])->file, ==,
                   "bad.rules");
  g_assert_true (rules_known_tld (set, "jp"));
  g_assert_false (rules_known_tld (set, "# comment"));
  g_assert_true (rules_known_tld (set, "com"));
  g_assert_true (rules_known_tld (set, "org"));
  g_assert_false (rules_known_tld (set, "net"));
  g_assert_cmpuint (set->tlds->len, ==, 3); /* "jp" once */
}

static void
test_missing_dir (void)
{
  g_autoptr (GError) error = NULL;

  g_assert_null (rules_load ("/nonexistent/rules", &error));
  g_assert_nonnull (error);
}

static void
test_shipped_rules (void)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *dir
      = g_build_filename (TEST_DATA_DIR, "..", "..", "rules", NULL);
  g_autoptr (RuleSet) set = rules_load (dir, &error);

  g_assert_no_error (error);
  g_assert_cmpuint (rules_compile_all (set), ==, 0);
  g_assert_cmpuint (set->problems->len, ==, 0);
  g_assert_cmpuint (set->rules->len, >, 10);
  g_assert_true (rules_known_tld (set, "jp"));
}

/* A site rule with catastrophic backtracking stops at the match limit
 * instead of hanging intake. */
static void
test_match_limit (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (RuleSet) set = NULL;
  g_autoptr (RuleMatch) md = rules_match_new ();
  GString *subject = g_string_new (NULL);
  gint64 start;
  RulesResult rc;

  write_file (f, "bomb.rules", "[rule bomb]\nkind = url\npattern = ^(a+)+$\n");
  set = rules_load (f->dir, &error);
  for (int i = 0; i < 40; i++)
    g_string_append_c (subject, 'a');
  g_string_append_c (subject, '!');
  start = g_get_monotonic_time ();
  rc = rules_match (set, set->rules->pdata[0],
                    &(RuleSlice){ .text = subject->str, .len = subject->len },
                    0, md);
  g_assert_cmpint (rc, ==, RULES_LIMIT);
  g_assert_cmpint (g_get_monotonic_time () - start, <, 10 * G_USEC_PER_SEC);
  g_string_free (subject, TRUE);
}

static guint problems_seen;

static void
count_problem (const RuleSet *set, const RuleProblem *problem)
{
  problems_seen++;
}

/* A pattern first compiled while matching: the rule matches nothing,
 * the problem is kept with its line and handed to on_problem once, and
 * the other rules match. */
static void
test_broken_on_first_use (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (RuleSet) set = NULL;
  g_autoptr (RuleMatch) md = rules_match_new ();
  const char *text = "abc zzz";
  guint at_load;

  write_file (f, "a.rules",
              "[rule bad]\nkind = url\npattern = abc(\n\n"
              "[rule good]\nkind = url\npattern = z+\n");
  set = rules_load (f->dir, &error);
  set->on_problem = count_problem;
  problems_seen = 0;
  at_load = set->problems->len; /* tlds is missing */
  g_assert_null (problem_for (set, "bad"));
  for (int i = 0; i < 2; i++)
    g_assert_cmpint (
        rules_match (set, set->rules->pdata[0],
                     &(RuleSlice){ .text = text, .len = strlen (text) }, 0, md),
        ==, RULES_NO_MATCH);
  g_assert_cmpint (
      rules_match (set, set->rules->pdata[1],
                   &(RuleSlice){ .text = text, .len = strlen (text) }, 0, md),
      ==, RULES_MATCH);
  g_assert_cmpuint (problems_seen, ==, 1);
  g_assert_cmpuint (set->problems->len, ==, at_load + 1);
  g_assert_cmpint (problem_for (set, "bad")->line, ==, 3);
  g_assert_nonnull (strstr (problem_for (set, "bad")->message,
                            "missing closing parenthesis"));
}

/* Candidates: a rule whose literal is not in the text is not one; a
 * rule without a pattern never is. */
static void
test_candidates (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (RuleSet) set = NULL;
  g_autoptr (RuleText) t = NULL;
  const char *text = "We saw a Port Scan from them.";

  write_file (f, "a.rules",
              "[rule scan]\nkind = classify\ncategory = scan\n"
              "weight = 3\npattern = (?i)port ?scan\n\n"
              "[rule flood]\nkind = classify\ncategory = dos\n"
              "weight = 3\npattern = (?i)flood\n\n"
              "[rule many]\nkind = classify\ncategory = ddos\n"
              "weight = 3\ncondition = addresses >= 50\n");
  set = rules_load (f->dir, &error);
  g_assert_cmpuint (set->rules->len, ==, 3);
  t = rules_text_new (set, text, strlen (text));
  g_assert_true (rules_text_candidate (t, set->rules->pdata[0]));
  g_assert_false (rules_text_candidate (t, set->rules->pdata[1]));
  g_assert_false (rules_text_candidate (t, set->rules->pdata[2]));
}

/* Everything a set holds, as text, to compare two sets. */
static char *
describe (const RuleSet *set)
{
  GString *out = g_string_new (NULL);

  for (guint i = 0; i < set->rules->len; i++)
    {
      const Rule *r = set->rules->pdata[i];
      g_autoptr (GPtrArray) literals = NULL;
      gboolean line_local = FALSE;
      const RuleInfo *ri = &r->info;
      g_autofree char *exts
          = ri->file_extensions ? g_strjoinv (";", ri->file_extensions) : NULL;

      if (r->info.pattern != NULL)
        literals = prefilter_literals (r->info.pattern, &line_local);
      g_string_append_printf (
          out,
          "%s %s %d %s %d %d %s %s %d %u %s %d %d "
          "%d %" G_GINT64_FORMAT " %s %u %d\n",
          ri->name, ri->file, ri->kind, ri->pattern, ri->zone_fixed,
          ri->zone_offset, exts, ri->category, ri->weight, ri->where,
          ri->where_arg, ri->negatable, ri->min_count, ri->metric,
          ri->threshold, ri->field, literals ? literals->len : 0, line_local);
    }
  for (guint i = 0; i < set->problems->len; i++)
    {
      const RuleProblem *p = set->problems->pdata[i];

      g_string_append_printf (out, "%s:%d: %s: %s\n", p->file, p->line, p->rule,
                              p->message);
    }
  for (guint i = 0; i < set->tlds->len; i++)
    g_string_append_printf (out, "%s ", (char *) set->tlds->pdata[i]);
  return g_string_free (out, FALSE);
}

/* The set read back from the cache is the set loaded from the files;
 * an edited rule file, or a damaged cache, makes it load the files. */
static void
test_cache (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *rules_dir
      = g_build_filename (TEST_DATA_DIR, "..", "..", "rules", NULL);
  g_autofree char *cache = g_build_filename (f->dir, "rules.cache", NULL);
  g_autoptr (RuleSet) direct = rules_load (rules_dir, &error);
  g_autoptr (RuleSet) first = rules_load_cached (rules_dir, cache, &error);
  g_autoptr (RuleSet) cached = rules_load_cached (rules_dir, cache, &error);
  g_autofree char *want = describe (direct);
  g_autofree char *got1 = describe (first);
  g_autofree char *got2 = describe (cached);
  g_autoptr (RuleSet) edited = NULL, damaged = NULL, garbage = NULL;
  g_autofree char *contents = NULL;
  gsize len;

  g_assert_no_error (error);
  g_assert_true (g_file_test (cache, G_FILE_TEST_EXISTS));
  g_assert_cmpstr (got1, ==, want);
  g_assert_cmpstr (got2, ==, want);
  /* A rule set of its own: edit it, and the cache must not be used. */
  write_file (f, "a.rules", "[rule x]\nkind = url\npattern = abc\n");
  write_file (f, "tlds", "com\n");
  g_clear_pointer (&first, rules_free);
  first = rules_load_cached (f->dir, cache, &error);
  g_assert_cmpstr (((Rule *) first->rules->pdata[0])->info.pattern, ==, "abc");
  /* The cache is what is read while the files stay as they were. */
  g_assert_true (g_file_get_contents (cache, &contents, &len, NULL));
  g_assert_nonnull (memmem (contents, len, "\003\0\0\0\0\0\0\0abc", 11));
  memcpy (memmem (contents, len, "\003\0\0\0\0\0\0\0abc", 11),
          "\003\0\0\0"
          "\0\0\0\0xyz",
          11);
  g_assert_true (g_file_set_contents (cache, contents, (gssize) len, NULL));
  g_clear_pointer (&contents, g_free);
  g_clear_pointer (&first, rules_free);
  first = rules_load_cached (f->dir, cache, &error);
  g_assert_cmpstr (((Rule *) first->rules->pdata[0])->info.pattern, ==, "xyz");
  write_file (f, "a.rules", "[rule x]\nkind = url\npattern = abcd\n");
  edited = rules_load_cached (f->dir, cache, &error);
  g_assert_cmpstr (((Rule *) edited->rules->pdata[0])->info.pattern, ==,
                   "abcd");
  /* Cut short, then garbage: ignored, and written anew. */
  g_assert_true (g_file_get_contents (cache, &contents, &len, NULL));
  g_assert_true (g_file_set_contents (cache, contents, (gssize) len - 9, NULL));
  damaged = rules_load_cached (f->dir, cache, &error);
  g_assert_cmpuint (damaged->rules->len, ==, 1);
  g_assert_true (g_file_set_contents (cache,
                                      "\xff\xff\xff\xff\xff\xff"
                                      "\xff\x7f garbage",
                                      -1, NULL));
  garbage = rules_load_cached (f->dir, cache, &error);
  g_assert_cmpuint (garbage->rules->len, ==, 1);
  g_assert_no_error (error);
}

/* Where rule first matches text, or -1. */
static int
match_start (const RuleSet *set, const Rule *rule, const char *text)
{
  g_autoptr (RuleMatch) md = rules_match_new ();
  int start = -1;

  if (rules_match (set, rule,
                   &(RuleSlice){ .text = text, .len = strlen (text) }, 0, md)
      == RULES_MATCH)
    start = (int) rules_match_start (md);
  return start;
}

/* Replaces the first from in the file at path by to, as long. */
static void
replace_in_file (const char *path, const char *from, const char *to, gsize len)
{
  g_autofree char *contents = NULL;
  gsize size;
  char *at;

  g_assert_true (g_file_get_contents (path, &contents, &size, NULL));
  at = memmem (contents, size, from, len);
  g_assert_nonnull (at);
  memcpy (at, to, len);
  g_assert_true (g_file_set_contents (path, contents, (gssize) size, NULL));
}

/* The cache holds every pattern compiled, and a process decodes that
 * instead of compiling the text: with the text edited in the cache the
 * rule still matches what it was compiled from.  Damaged byte code is
 * noticed (PCRE2 would run it unchecked) and the text compiled instead.
 * A broken pattern, found when the cache was written, is reported as
 * soon as the set is loaded. */
static void
test_cache_compiled (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *cache = g_build_filename (f->dir, "rules.cache", NULL);
  g_autoptr (RuleSet) written = NULL, cached = NULL, damaged = NULL;
  g_autoptr (GMappedFile) map = NULL;
  const Rule *rule;
  gsize at;
  guint8 code_byte;

  write_file (f, "a.rules",
              "[rule x]\nkind = url\npattern = abc\n\n"
              "[rule y]\nkind = url\npattern = a(\n");
  write_file (f, "tlds", "com\n");
  written = rules_load_cached (f->dir, cache, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (written->problems->len, ==, 1);
  g_assert_cmpstr (((RuleProblem *) written->problems->pdata[0])->rule, ==,
                   "y");
  replace_in_file (cache, "\003\0\0\0\0\0\0\0abc", "\003\0\0\0\0\0\0\0xyz", 11);
  cached = rules_load_cached (f->dir, cache, &error);
  g_assert_cmpuint (cached->problems->len, ==, 1);
  rule = cached->rules->pdata[0];
  g_assert_cmpstr (rule->info.pattern, ==, "xyz");
  g_assert_nonnull (rule->serialized);
  g_assert_cmpint (match_start (cached, rule, "xyz abc"), ==, 4);
  /* One byte of the byte code changed. */
  at = (gsize) (rule->serialized
                - (const guint8 *) g_mapped_file_get_contents (cached->cache))
       + rule->serialized_len - 1;
  map = g_mapped_file_new (cache, FALSE, &error);
  g_assert_no_error (error);
  code_byte = (guint8) g_mapped_file_get_contents (map)[at];
  {
    g_autofree char *contents = g_memdup2 (g_mapped_file_get_contents (map),
                                           g_mapped_file_get_length (map));

    contents[at] = (char) (code_byte ^ 0x55);
    g_assert_true (g_file_set_contents (
        cache, contents, (gssize) g_mapped_file_get_length (map), NULL));
  }
  damaged = rules_load_cached (f->dir, cache, &error);
  g_assert_no_error (error);
  g_assert_cmpint (match_start (damaged, damaged->rules->pdata[0], "xyz abc"),
                   ==, 0);
}

/* A rule is interpreted while it searches little text and compiled to
 * machine code once it searches more, finding the same either way. */
static void
test_jit_when_long (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (RuleSet) set = NULL;
  g_autofree char *filler = g_strnfill (4000, 'a');
  g_autofree char *text = NULL;
  const Rule *rule;

  write_file (f, "a.rules", "[rule x]\nkind = url\npattern = b+c\n");
  set = rules_load (f->dir, &error);
  rule = set->rules->pdata[0];
  g_assert_cmpint (match_start (set, rule, "abbc"), ==, 1);
  g_assert_false (rule->jit);
  text = g_strconcat (filler, "bbbc", NULL);
  g_assert_cmpint (match_start (set, rule, text), ==, 4000);
  g_assert_true (rule->jit);
  g_assert_cmpint (match_start (set, rule, "abbc"), ==, 1);
  g_assert_cmpint (match_start (set, rule, filler), ==, -1);
}

/* A cache that cannot be written is only a speed-up lost. */
static void
test_cache_unwritable (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (RuleSet) set = NULL;

  write_file (f, "a.rules", "[rule x]\nkind = url\npattern = abc\n");
  set = rules_load_cached (f->dir, "/nonexistent/dir/rules.cache", &error);
  g_assert_no_error (error);
  g_assert_cmpuint (set->rules->len, ==, 1);
}

typedef struct
{
  const char *text;
  gboolean ok;
  int offset;
} ZoneCase;

static const ZoneCase zone_cases[] = {
  { "UTC", TRUE, 0 },        { "Z", TRUE, 0 },
  { "JST", TRUE, 32400 },    { "+0900", TRUE, 32400 },
  { "+09:00", TRUE, 32400 }, { "-0530", TRUE, -19800 },
  { "EDT", TRUE, -14400 },   { "+09", TRUE, 32400 },
  { "+2500", FALSE, 0 },     { "XYZ", FALSE, 0 },
  { "+0", FALSE, 0 },
};

static void
test_zone (gconstpointer data)
{
  const ZoneCase *c = data;
  int offset = 0;

  g_assert_cmpint (rules_parse_zone (c->text, strlen (c->text), &offset), ==,
                   c->ok);
  if (c->ok)
    g_assert_cmpint (offset, ==, c->offset);
}

/* Every text of the corpus: the message texts and subjects, and the
 * log lines. */
static GPtrArray *
corpus_texts (void)
{
  static const char *const dirs[] = { "", "classify" };
  GPtrArray *texts = g_ptr_array_new_with_free_func (g_free);
  MessageLimits limits
      = { .max_depth = 20, .max_parts = 1000, .max_part_text = 1 << 20 };
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
          g_ptr_array_add (texts, report_message_text (m));
          g_ptr_array_add (texts, g_strdup (m->subject ? m->subject : ""));
        }
    }
  g_assert_true (
      g_file_get_contents (TEST_DATA_DIR "/loglines.tsv", &log, NULL, NULL));
  lines = g_strsplit (log, "\n", -1);
  for (int i = 0; lines[i] != NULL; i++)
    g_ptr_array_add (texts, g_strdup (lines[i]));
  return texts;
}

/* The matches of rule in text, "start-end ...": over the whole text, or
 * only where the scan says.
 *
 * The property that matters is soundness: searching only where the scan
 * says a rule may match finds exactly the matches that searching the
 * whole text finds.  It is checked with every shipped rule on every text
 * of the test corpus (the samples, the labelled reports, the log lines
 * one by one and all together); and the scan must also rule something
 * out, or it would be sound by doing nothing. */
static char *
matches_of (const RuleSet *set, const Rule *rule, RuleText *t, const char *text,
            RuleMatch *md)
{
  GString *out = g_string_new (NULL);
  gsize len = strlen (text);
  gsize offset = 0;

  while (offset <= len)
    {
      RulesResult rc
          = t ? rules_text_match (t, rule, offset, md)
              : rules_match (set, rule,
                             &(RuleSlice){ .text = text, .len = len }, offset,
                             md);
      gsize start = rules_match_start (md), end = rules_match_end (md);

      if (rc != RULES_MATCH)
        break;
      g_string_append_printf (out, "%zu-%zu ", (size_t) start, (size_t) end);
      offset = end > start ? end : start + 1;
    }
  return g_string_free (out, FALSE);
}

static void
test_sound_on_corpus (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (RuleSet) set = rules_load (TEST_DATA_DIR "/../../rules", &error);
  g_autoptr (GPtrArray) texts = corpus_texts ();
  g_autoptr (RuleMatch) md = rules_match_new ();
  guint ruled_out = 0, matched = 0;
  GString *all = g_string_new (NULL);

  g_assert_no_error (error);
  g_assert_cmpuint (texts->len, >, 300);
  /* Everything at once too: many lines, so that spans matter. */
  for (guint t = 0; t < texts->len; t++)
    g_string_append_printf (all, "%s\n", (const char *) texts->pdata[t]);
  g_ptr_array_add (texts, g_string_free (all, FALSE));
  for (guint t = 0; t < texts->len; t++)
    {
      const char *text = texts->pdata[t];
      g_autoptr (RuleText) rt = rules_text_new (set, text, strlen (text));

      for (guint i = 0; i < rules_count (set); i++)
        {
          const Rule *rule = rules_nth (set, i);
          g_autofree char *whole = NULL, *scanned = NULL;

          if (rules_info (rule)->pattern == NULL)
            continue;
          whole = matches_of (set, rule, NULL, text, md);
          scanned = matches_of (set, rule, rt, text, md);
          if (strcmp (whole, scanned) != 0)
            g_error ("rule %s on text %u: matches %s, but %s where the scan "
                     "says",
                     rules_info (rule)->name, t, whole, scanned);
          matched += *whole != '\0';
          ruled_out += !rules_text_candidate (rt, rule);
        }
    }
  g_test_message ("%u rule-text pairs matched, %u ruled out", matched,
                  ruled_out);
  g_assert_cmpuint (matched, >, 1000);
  g_assert_cmpuint (ruled_out, >, texts->len * rules_count (set) / 2);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add ("/rules/broken", Fixture, NULL, fixture_setup, test_broken,
              fixture_teardown);
  g_test_add ("/rules/unparsable-file", Fixture, NULL, fixture_setup,
              test_unparsable_file, fixture_teardown);
  g_test_add ("/rules/match-limit", Fixture, NULL, fixture_setup,
              test_match_limit, fixture_teardown);
  g_test_add ("/rules/broken-on-first-use", Fixture, NULL, fixture_setup,
              test_broken_on_first_use, fixture_teardown);
  g_test_add ("/rules/candidates", Fixture, NULL, fixture_setup,
              test_candidates, fixture_teardown);
  g_test_add ("/rules/jit-when-long", Fixture, NULL, fixture_setup,
              test_jit_when_long, fixture_teardown);
  g_test_add ("/rules/cache-compiled", Fixture, NULL, fixture_setup,
              test_cache_compiled, fixture_teardown);
  g_test_add ("/rules/cache", Fixture, NULL, fixture_setup, test_cache,
              fixture_teardown);
  g_test_add ("/rules/cache-unwritable", Fixture, NULL, fixture_setup,
              test_cache_unwritable, fixture_teardown);
  g_test_add_func ("/rules/missing-dir", test_missing_dir);
  g_test_add_func ("/rules/shipped", test_shipped_rules);
  g_test_add_func ("/rules/sound-on-corpus", test_sound_on_corpus);
  for (gsize i = 0; i < G_N_ELEMENTS (zone_cases); i++)
    {
      g_autofree char *path
          = g_strdup_printf ("/rules/zone/%s", zone_cases[i].text);

      g_test_add_data_func (path, &zone_cases[i], test_zone);
    }
  return g_test_run ();
}
