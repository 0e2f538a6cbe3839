/*
 * classify.c - score the categories of a report by the classify rules.
 *
 * A rule fires once (not once per match, so that a long log does not
 * drown the prose) when its pattern matches at least min_count times in
 * the places it looks and its condition on the evidence holds; it adds
 * its weight to its category.  A match next to a negation ("not a
 * scan", "スキャンではありません") does not count.
 *
 * The reporter's own words weigh more than what they pass on: a match
 * only in quoted lines ("> ..."), in a forwarded message (inline, after
 * "---------- Forwarded message", "-----Original Message-----", 転送,
 * 元のメッセージ, an Outlook "From:/Sent:" block, or attached as
 * message/rfc822, its Received headers included) or in a signature
 * (after "-- ") counts half its weight, for the rules that read the
 * reporter's words too (where = body); a rule that reads only forwarded
 * material keeps its weight.  The highest total wins; a tie goes to the
 * category with the strongest single piece of evidence (the reporter's
 * own over passed-on evidence of the same weight); a total below
 * min_score (counting passed-on evidence at its full weight, so that a
 * spam forwarded without a word is still filed as one), or a tie that
 * evidence does not break, is "other", with every score and reason kept
 * for the operator.
 */
#include "madoguchi/classify.h"

#include <string.h>

#include "madoguchi/charset.h"

#include "classify-passed.h"
#include "classify-private.h"

#define NEGATION_BEFORE 48 /* bytes a negation may stand before a match */
#define NEGATION_AFTER 24  /*   or after it (Japanese negates after) */
#define MATCHED_MAX 80

/* text, ready for the rules (one prefilter pass per text for all, and
 * none for a text extraction has read already). */
RuleText *
classify_rule_text (Classify *c, const char *text)
{
  RuleText *t = g_hash_table_lookup (c->texts, text);

  if (t == NULL)
    {
      gsize len = strlen (text);

      t = c->extraction != NULL ? extract_rule_text (c->extraction, text, len)
                                : NULL;
      if (t != NULL)
        return t;
      t = rules_text_new (c->rules, text, len);
      g_hash_table_insert (c->texts, (gpointer) text, t);
    }
  return t;
}

/* Spans of every negation rule's matches in text. */
static GArray *
negations_of (Classify *c, const char *text)
{
  GArray *spans = g_hash_table_lookup (c->negations, text);
  gsize len = strlen (text);

  if (spans != NULL)
    return spans;
  spans = g_array_new (FALSE, FALSE, sizeof (Span));
  for (guint i = 0; i < rules_count (c->rules); i++)
    {
      const Rule *rule = rules_nth (c->rules, i);
      gsize offset = 0;

      if (rules_info (rule)->kind != RULE_KIND_NEGATION)
        continue;
      while (offset <= len
             && rules_text_match (classify_rule_text (c, text), rule, offset,
                                  c->negation_md)
                    == RULES_MATCH)
        {
          Span span = { rules_match_start (c->negation_md),
                        rules_match_end (c->negation_md) };

          g_array_append_val (spans, span);
          offset = span.end > span.start ? span.end : span.start + 1;
        }
    }
  g_hash_table_insert (c->negations, (gpointer) text, spans);
  return spans;
}

static gboolean
same_line (const char *text, gsize a, gsize b)
{
  return memchr (text + MIN (a, b), '\n', MAX (a, b) - MIN (a, b)) == NULL;
}

static gboolean
negated (Classify *c, const char *text, gsize start, gsize end)
{
  GArray *spans = negations_of (c, text);

  for (guint i = 0; i < spans->len; i++)
    {
      const Span *n = &g_array_index (spans, Span, i);

      if (n->end <= start && start - n->end <= NEGATION_BEFORE
          && same_line (text, n->end, start))
        return TRUE;
      if (n->start >= end && n->start - end <= NEGATION_AFTER
          && same_line (text, end, n->start))
        return TRUE;
    }
  return FALSE;
}

static void
string_free (gpointer data)
{
  if (data != NULL)
    g_string_free (data, TRUE);
}

/* The metric of a condition, from the evidence. */
static gint64
metric_value (const Classify *c, RuleMetric metric)
{
  const Extraction *x = c->extraction;
  gint64 value = 0;

  for (guint i = 0; metric != RULE_METRIC_LOG_LINES && i < x->indicators->len;
       i++)
    {
      const Indicator *ind = x->indicators->pdata[i];

      if (!ind->has_ip)
        continue;
      if (metric == RULE_METRIC_ADDRESSES)
        value++;
      else if (metric == RULE_METRIC_DISTINCT_PORTS)
        value = MAX (value, (gint64) ind->ports->len);
    }
  for (guint i = 0; metric == RULE_METRIC_LOG_LINES && i < x->excerpts->len;
       i++)
    {
      const Excerpt *e = x->excerpts->pdata[i];

      value += e->last_line - e->first_line + 1;
    }
  return value;
}

/* Half a weight, away from zero for evidence for (3 -> 2), towards it
 * for evidence against (-3 -> -1). */
static int
half (int weight)
{
  return weight > 0 ? (weight + 1) / 2 : weight / 2;
}

static void
add_reason (Classify *c, const Rule *rule, const Source *where,
            const char *matched, gsize len)
{
  const RuleInfo *info = rules_info (rule);
  int score = where->passed_on ? half (info->weight) : info->weight;
  int index = report_category_index (info->category);
  ClassifyReason *r = g_new0 (ClassifyReason, 1);
  /* Cut on a character boundary and keep it one line. */
  const char *end = matched + charset_utf8_cut (matched, len, MATCHED_MAX);

  r->rule = g_strdup (info->name);
  r->category = info->category;
  r->score = score;
  r->where = g_strdup (where->where);
  r->matched = g_strdelimit (g_strndup (matched, (gsize) (end - matched)),
                             "\r\n\t", ' ');
  g_ptr_array_add (c->result->reasons, r);
  c->result->scores[index] += score;
  c->full[index] += info->weight;
  c->strongest[index]
      = MAX (c->strongest[index], score * 2 + (where->passed_on ? 0 : 1));
}

/* The first match that counts: where it is, and its bytes there. */
typedef struct
{
  Source source;
  gsize start;
  gsize len;
} FirstMatch;

/* Counts rule's matches that no negation cancels, up to min_count;
 * the first one is kept in *first. */
static int
count_matches (Classify *c, const Rule *rule, GArray *sources,
               FirstMatch *first)
{
  const RuleInfo *info = rules_info (rule);
  int count = 0;

  for (guint i = 0; i < sources->len && count < info->min_count; i++)
    {
      const Source *s = &g_array_index (sources, Source, i);
      gsize len = strlen (s->text);
      gsize offset = 0;

      while (count < info->min_count && offset <= len
             && rules_text_match (classify_rule_text (c, s->text), rule, offset,
                                  c->md)
                    == RULES_MATCH)
        {
          gsize start = rules_match_start (c->md);
          gsize end = rules_match_end (c->md);

          offset = end > start ? end : start + 1;
          if (info->negatable && negated (c, s->text, start, end))
            continue;
          if (count++ == 0)
            {
              first->source = *s;
              first->start = start;
              first->len = end - start;
            }
        }
    }
  return count;
}

static void
apply_rule (Classify *c, const Rule *rule)
{
  const RuleInfo *info = rules_info (rule);
  g_autoptr (GArray) sources = NULL;
  FirstMatch first = {
    .source = { .where = NULL, .text = NULL, .passed_on = FALSE },
    .start = 0,
    .len = 0,
  };
  g_autofree char *condition = NULL;

  if (info->metric != RULE_METRIC_NONE
      && metric_value (c, info->metric) < info->threshold)
    return;
  if (info->pattern == NULL)
    {
      Source evidence
          = { .where = "evidence", .text = NULL, .passed_on = FALSE };

      condition
          = g_strdup_printf ("%" G_GINT64_FORMAT " or more", info->threshold);
      add_reason (c, rule, &evidence, condition, strlen (condition));
      return;
    }
  sources = classify_rule_sources (c, rule);
  if (count_matches (c, rule, sources, &first) < info->min_count)
    return;
  add_reason (c, rule, &first.source, first.source.text + first.start,
              first.len);
}

static gint
compare_reasons (gconstpointer a, gconstpointer b)
{
  const ClassifyReason *x = *(const ClassifyReason *const *) a;
  const ClassifyReason *y = *(const ClassifyReason *const *) b;

  return y->score - x->score;
}

/* Whether category i beats best: a higher total, or the same total with
 * stronger single evidence (of the reporter's own, at the same weight);
 * *tie when neither wins. */
static gboolean
beats (const Classify *c, int i, int best, gboolean *tie)
{
  const Classification *result = c->result;

  if (result->scores[i] != result->scores[best])
    return result->scores[i] > result->scores[best];
  if (c->strongest[i] == c->strongest[best])
    *tie = TRUE;
  return c->strongest[i] > c->strongest[best];
}

static void
decide (Classify *c, int min_score)
{
  Classification *result = c->result;
  const char *const *names = report_categories ();
  int best = 0;
  gboolean tie = FALSE;

  for (int i = 1; i < REPORT_CATEGORIES; i++)
    {
      gboolean this_tie = FALSE;

      if (beats (c, i, best, &this_tie))
        {
          best = i;
          tie = FALSE;
        }
      else if (this_tie)
        tie = TRUE;
    }
  result->category = names[best];
  if (tie || c->full[best] < min_score || result->scores[best] <= 0)
    result->category = "other";
  g_ptr_array_sort (result->reasons, compare_reasons);
}

/* "scan_ssh\nsinkhole": what "where = feed" rules match; NULL if none. */
static char *
feed_types_text (const Extraction *extraction)
{
  GString *text;

  if (extraction == NULL || extraction->feed_types == NULL
      || extraction->feed_types->len == 0)
    return NULL;
  text = g_string_new (NULL);
  for (guint i = 0; i < extraction->feed_types->len; i++)
    g_string_append_printf (text, "%s\n",
                            (char *) extraction->feed_types->pdata[i]);
  return g_string_free (text, FALSE);
}

Classification *
classify_run (const RuleSet *rules, const Message *message,
              const Extraction *extraction, const ClassifyOptions *options)
{
  Classify c = { .rules = rules, .message = message, .extraction = extraction };

  for (int i = 0; i < REPORT_CATEGORIES; i++)
    c.strongest[i] = G_MININT / 4; /* no reason at all */

  c.result = g_new0 (Classification, 1);
  c.result->reasons
      = g_ptr_array_new_with_free_func ((GDestroyNotify) report_reason_free);
  c.result->form = g_ptr_array_new_with_free_func (
      (GDestroyNotify) report_form_field_free);
  c.md = rules_match_new ();
  c.negation_md = rules_match_new ();
  c.negations = g_hash_table_new_full (g_direct_hash, g_direct_equal, NULL,
                                       (GDestroyNotify) g_array_unref);
  c.texts = g_hash_table_new_full (g_direct_hash, g_direct_equal, NULL,
                                   (GDestroyNotify) rules_text_free);
  c.capped = g_hash_table_new_full (g_direct_hash, g_direct_equal, NULL,
                                    string_free);
  c.own = g_hash_table_new_full (g_direct_hash, g_direct_equal, NULL,
                                 classify_split_free);
  c.feed_types = feed_types_text (extraction);
  classify_read_form (&c);
  for (guint i = 0; i < rules_count (rules); i++)
    {
      const Rule *rule = rules_nth (rules, i);

      if (rules_info (rule)->kind == RULE_KIND_CLASSIFY)
        apply_rule (&c, rule);
    }
  decide (&c, options->min_score);
  rules_match_free (c.md);
  rules_match_free (c.negation_md);
  g_hash_table_unref (c.negations);
  g_hash_table_unref (c.texts);
  g_hash_table_unref (c.own);
  g_hash_table_unref (c.capped);
  g_free (c.feed_types);
  return c.result;
}
