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

#define NEGATION_BEFORE 48 /* bytes a negation may stand before a match */
#define NEGATION_AFTER 24  /*   or after it (Japanese negates after) */
#define MATCHED_MAX 80
#define CLASSIFY_TEXT_MAX (512 * 1024) /* bytes of each text searched */
#define FORM_MIN_FIELDS 3              /* labels that make a report a form */
/* where = header:Madoguchi-Forwarded-From: no header of the mail, but
 * "self" when the reporter passes on a message from their own address. */
#define FORWARDED_FROM "Madoguchi-Forwarded-From"

typedef struct
{
  gsize start;
  gsize end;
} Span;

typedef struct
{
  const RuleSet *rules;
  const Message *message;
  const Extraction *extraction;
  Classification *result;
  RuleMatch *md;
  RuleMatch *negation_md;      /* its own: a negation check must not
                                * overwrite the match being judged */
  GHashTable *negations;       /* text -> GArray of Span, computed once */
  GHashTable *texts;           /* text -> its RuleText, made once */
  GHashTable *capped;          /* text -> GString of its first bytes */
  GHashTable *own;             /* body text -> its Split, or NULL: all own */
  char *feed_types;            /* the CSV feeds' report types, a line each */
  int full[REPORT_CATEGORIES]; /* scores with passed-on evidence whole */
  /* The strongest single reason of each category, doubled, plus one
   * when it is the reporter's own: a tie goes to it. */
  int strongest[REPORT_CATEGORIES];
} Classify;

/* text, ready for the rules (one prefilter pass per text for all, and
 * none for a text extraction has read already). */
static RuleText *
rule_text (Classify *c, const char *text)
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
             && rules_text_match (rule_text (c, text), rule, offset,
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

typedef struct
{
  const char *where; /* for the reason */
  const char *text;
  gboolean passed_on; /* quoted, forwarded or a signature: weighs less */
} Source;

static gboolean
part_is_attachment (const MessagePart *p)
{
  return p->filename != NULL;
}

static void
string_free (gpointer data)
{
  if (data != NULL)
    g_string_free (data, TRUE);
}

/*
 * The first CLASSIFY_TEXT_MAX bytes of text (cut at a character): what a
 * report is about shows at its start, and a 50 MB log attached need not
 * be searched for "flood" from end to end (extraction still reads it
 * whole, and the conditions on addresses, ports and log lines count all
 * of it).  Computed once per text.
 */
static const char *
capped (Classify *c, const char *text)
{
  gsize len = strnlen (text, CLASSIFY_TEXT_MAX + 1);
  GString *out;

  if (len <= CLASSIFY_TEXT_MAX)
    return text;
  out = g_hash_table_lookup (c->capped, text);
  if (out != NULL)
    return out->str;
  out = g_string_new_len (
      text, (gssize) charset_utf8_cut (text, len, CLASSIFY_TEXT_MAX));
  g_hash_table_insert (c->capped, (gpointer) text, out);
  return out->str;
}

static void
add_source (Classify *c, GArray *sources, const char *where, const char *text)
{
  Source s = { where, NULL, FALSE };

  if (text == NULL || *text == '\0')
    return;
  s.text = capped (c, text);
  g_array_append_val (sources, s);
}

/* The body's Split, made once per part (NULL: all the reporter's). */
static const Split *
body_split (Classify *c, const char *text)
{
  Split *split;

  if (g_hash_table_lookup_extended (c->own, text, NULL, (gpointer *) &split))
    return split;
  split = classify_split_body (text);
  g_hash_table_insert (c->own, (gpointer) text, split);
  return split;
}

static void
add_passed_on (Classify *c, GArray *sources, const char *where,
               const char *text)
{
  guint n = sources->len;

  add_source (c, sources, where, text);
  if (sources->len > n)
    g_array_index (sources, Source, n).passed_on = TRUE;
}

/* The body part's texts: the reporter's own, then what is passed on. */
static void
add_body_sources (Classify *c, GArray *sources, const char *text)
{
  const Split *split = body_split (c, text);

  if (split == NULL)
    {
      add_source (c, sources, "body", text);
      return;
    }
  add_source (c, sources, "body", split->own->str);
  add_passed_on (c, sources, "quoted", split->passed_on->str);
}

static void
add_part_sources (Classify *c, const Rule *rule, GArray *sources)
{
  const RuleInfo *info = rules_info (rule);
  for (guint i = 0; i < c->message->parts->len; i++)
    {
      const MessagePart *p = c->message->parts->pdata[i];

      if (p->text == NULL)
        continue;
      if ((info->where & RULE_WHERE_PART)
          && g_strcmp0 (p->content_type, info->where_arg) == 0)
        add_source (c, sources, p->content_type, p->text);
      else if (p->forwarded)
        {
          /* Passed on, for a rule that reads the reporter's words too. */
          if ((info->where & RULE_WHERE_FORWARDED)
              && (info->where & RULE_WHERE_BODY))
            add_passed_on (c, sources, "forwarded", p->text);
          else if (info->where & RULE_WHERE_FORWARDED)
            add_source (c, sources, "forwarded", p->text);
        }
      else if (part_is_attachment (p))
        {
          if (info->where & RULE_WHERE_ATTACHMENT)
            add_source (c, sources, "attachment", p->text);
        }
      else if (info->where & RULE_WHERE_BODY)
        add_body_sources (c, sources, p->text);
    }
}

/*
 * The pseudo-header FORWARDED_FROM: "self" when a message the reporter
 * passes on (attached, or inline after a forward marker) says it is from
 * the reporter's own address: a forgery in their name, sent to them or
 * bounced back.  NULL otherwise.
 */
static const char *
forwarded_from (Classify *c)
{
  g_autofree char *addr = NULL;

  if (c->message->from_addr == NULL
      || strchr (c->message->from_addr, '@') == NULL)
    return NULL;
  addr = g_ascii_strdown (c->message->from_addr, -1);
  for (guint i = 0; i < c->message->parts->len; i++)
    {
      const MessagePart *part = c->message->parts->pdata[i];
      const Split *split;
      const char *text = part->text;

      if (text == NULL || part_is_attachment (part))
        continue;
      if (!part->forwarded)
        {
          split = body_split (c, text);
          text = split != NULL ? split->passed_on->str : "";
        }
      for (const char *p = text; *p != '\0';)
        {
          const char *nl = strchrnul (p, '\n');

          if (classify_from_line_is (p, (gsize) (nl - p), addr))
            return "self\n";
          p = *nl ? nl + 1 : nl;
        }
    }
  return NULL;
}

/* A log excerpt: passed on when quoted ("> ...") or in a forwarded
 * message, for a rule that reads the reporter's words too. */
static void
add_log_source (Classify *c, const Rule *rule, GArray *sources,
                const Excerpt *e)
{
  const MessagePart *part = e->part < c->message->parts->len
                                ? c->message->parts->pdata[e->part]
                                : NULL;
  const char *p = e->text + strspn (e->text, " \t");

  if ((rules_info (rule)->where & RULE_WHERE_BODY)
      && (*p == '>' || (part != NULL && part->forwarded)))
    add_passed_on (c, sources, "log", e->text);
  else
    add_source (c, sources, "log", e->text);
}

/* The sources, the reporter's own first: a rule's first match, which
 * sets its weight, is then in the reporter's words when it can be. */
static GArray *
own_first (GArray *sources)
{
  GArray *sorted
      = g_array_sized_new (FALSE, FALSE, sizeof (Source), sources->len);

  for (int passed_on = 0; passed_on <= 1; passed_on++)
    for (guint i = 0; i < sources->len; i++)
      if (g_array_index (sources, Source, i).passed_on == passed_on)
        g_array_append_val (sorted, g_array_index (sources, Source, i));
  g_array_unref (sources);
  return sorted;
}

/* The texts a rule looks at, each with the name of where it comes from. */
static GArray *
rule_sources (Classify *c, const Rule *rule)
{
  const RuleInfo *info = rules_info (rule);
  GArray *sources = g_array_new (FALSE, FALSE, sizeof (Source));

  if ((info->where & RULE_WHERE_SUBJECT)
      && classify_subject_passed_on (c->message->subject)
      && (info->where & RULE_WHERE_BODY))
    add_passed_on (c, sources, "subject", c->message->subject);
  else if (info->where & RULE_WHERE_SUBJECT)
    add_source (c, sources, "subject", c->message->subject);
  add_part_sources (c, rule, sources);
  for (guint i = 0;
       (info->where & RULE_WHERE_LOG) && i < c->extraction->excerpts->len; i++)
    add_log_source (c, rule, sources, c->extraction->excerpts->pdata[i]);
  if ((info->where & RULE_WHERE_HEADER)
      && g_ascii_strcasecmp (info->where_arg, FORWARDED_FROM) == 0)
    add_source (c, sources, "forwarded", forwarded_from (c));
  else if (info->where & RULE_WHERE_HEADER)
    add_source (c, sources, "header",
                message_header (c->message, info->where_arg));
  if ((info->where & RULE_WHERE_FEED) && c->feed_types != NULL)
    add_source (c, sources, "feed", c->feed_types);
  for (guint i = 0; (info->where & RULE_WHERE_FORM) && i < c->result->form->len;
       i++)
    {
      const FormField *f = c->result->form->pdata[i];

      if (strcmp (f->name, info->where_arg) == 0)
        add_source (c, sources, "form", f->value);
    }
  return own_first (sources);
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

/* Counts rule's matches that no negation cancels, up to min_count;
 * the first one is kept in *first (where, offset, length). */
static int
count_matches (Classify *c, const Rule *rule, GArray *sources, Source *first,
               gsize *first_start, gsize *first_len)
{
  const RuleInfo *info = rules_info (rule);
  int count = 0;

  for (guint i = 0; i < sources->len && count < info->min_count; i++)
    {
      const Source *s = &g_array_index (sources, Source, i);
      gsize len = strlen (s->text);
      gsize offset = 0;

      while (count < info->min_count && offset <= len
             && rules_text_match (rule_text (c, s->text), rule, offset, c->md)
                    == RULES_MATCH)
        {
          gsize start = rules_match_start (c->md);
          gsize end = rules_match_end (c->md);

          offset = end > start ? end : start + 1;
          if (info->negatable && negated (c, s->text, start, end))
            continue;
          if (count++ == 0)
            {
              *first = *s;
              *first_start = start;
              *first_len = end - start;
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
  Source first = { NULL, NULL, FALSE };
  gsize start = 0, len = 0;
  g_autofree char *condition = NULL;

  if (info->metric != RULE_METRIC_NONE
      && metric_value (c, info->metric) < info->threshold)
    return;
  if (info->pattern == NULL)
    {
      Source evidence = { "evidence", NULL, FALSE };

      condition
          = g_strdup_printf ("%" G_GINT64_FORMAT " or more", info->threshold);
      add_reason (c, rule, &evidence, condition, strlen (condition));
      return;
    }
  sources = rule_sources (c, rule);
  if (count_matches (c, rule, sources, &first, &start, &len) < info->min_count)
    return;
  add_reason (c, rule, &first, first.text + start, len);
}

typedef struct
{
  gsize start;
  gsize end;
  const char *field;
} Label;

static gint
compare_labels (gconstpointer a, gconstpointer b)
{
  const Label *x = a;
  const Label *y = b;

  return x->start < y->start ? -1 : x->start > y->start;
}

/* Every form label in text, in text order. */
static GArray *
find_labels (Classify *c, const char *text)
{
  GArray *labels = g_array_new (FALSE, FALSE, sizeof (Label));
  gsize len = strlen (text);

  for (guint i = 0; i < rules_count (c->rules); i++)
    {
      const Rule *rule = rules_nth (c->rules, i);
      gsize offset = 0;

      if (rules_info (rule)->kind != RULE_KIND_FORMFIELD)
        continue;
      while (offset <= len
             && rules_text_match (rule_text (c, text), rule, offset, c->md)
                    == RULES_MATCH)
        {
          Label label = { rules_match_start (c->md), rules_match_end (c->md),
                          rules_info (rule)->field };

          g_array_append_val (labels, label);
          offset = label.end > label.start ? label.end : label.start + 1;
        }
    }
  g_array_sort (labels, compare_labels);
  /* Labels of a site's own rules may overlap: the later one is no label
   * (a value runs from one label's end to the next one's start). */
  for (guint i = 1; i < labels->len; i++)
    if (g_array_index (labels, Label, i).start
        < g_array_index (labels, Label, i - 1).end)
      g_array_remove_index (labels, i--);
  return labels;
}

/*
 * The value after a label: the rest of its line, else (for a label
 * alone on its line) what follows up to the next label.  A one-line
 * field keeps its first line, skipping the form's "(...)" hints.
 */
static char *
label_value (const char *text, gsize start, gsize end, const char *field)
{
  g_autofree char *value = g_strstrip (g_strndup (text + start, end - start));
  g_auto (GStrv) lines = NULL;
  gboolean multi_line
      = g_strcmp0 (field, "observed") == 0 || g_strcmp0 (field, "logs") == 0;

  if (multi_line)
    return g_steal_pointer (&value);
  lines = g_strsplit (value, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    {
      char *line = g_strstrip (lines[i]);

      if (*line != '\0' && *line != '(')
        return g_strdup (line);
    }
  return g_strdup ("");
}

/* The report form's fields, when a body part carries enough labels. */
static void
read_form (Classify *c)
{
  for (guint i = 0; i < c->message->parts->len; i++)
    {
      const MessagePart *p = c->message->parts->pdata[i];
      g_autoptr (GArray) labels = NULL;

      if (p->text == NULL || p->forwarded)
        continue;
      labels = find_labels (c, p->text);
      if (labels->len < FORM_MIN_FIELDS)
        continue;
      for (guint j = 0; j < labels->len; j++)
        {
          const Label *l = &g_array_index (labels, Label, j);
          gsize stop = j + 1 < labels->len
                           ? g_array_index (labels, Label, j + 1).start
                           : strlen (p->text);
          FormField *f = g_new0 (FormField, 1);

          f->name = g_strdup (l->field);
          f->value = label_value (p->text, l->end, stop, l->field);
          g_ptr_array_add (c->result->form, f);
        }
      return;
    }
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
  read_form (&c);
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
