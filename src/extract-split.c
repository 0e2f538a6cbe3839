/*
 * extract-split.c - a source of SPLIT_MIN bytes or more is scanned by two
 * threads, each over half of its lines, when that is exact (every rule to
 * run stays within a line); what they found is merged in the order one
 * scan would have found it.
 */
#include <string.h>

#include "extract-private.h"

/*
 * Half of a split: a scan of its own over the bytes begin .. end of s's
 * source (which it shares, with its lines and log-line marks: it writes
 * only its own lines' marks), noting which rule made each indicator.
 */
static void
half_init (Scan *h, const Scan *s, gsize begin, gsize end)
{
  extract_work_init (h, s->rules, s->options);
  h->source = s->source;
  h->rule_text = s->rule_text;
  h->text = s->text;
  h->len = s->len;
  h->begin = begin;
  h->end = end;
  h->part = s->part;
  h->line_starts = s->line_starts;
  h->log_line = s->log_line;
  h->creators = g_array_new (FALSE, FALSE, sizeof (guint));
}

static void
half_clear (Scan *h)
{
  extract_work_clear (h);
  g_array_unref (h->creators);
  report_extraction_free (h->result);
}

static gpointer
half_thread (gpointer data)
{
  extract_scan_rules (data, RULES_LINE_LOCAL);
  return NULL;
}

/* Whether a rule's matches change nothing of what other rules find: it
 * neither claims text nor counts indicators, so it may run apart. */
static gboolean
runs_apart (const Rule *rule)
{
  const RuleInfo *info = rules_info (rule);
  return info->kind == RULE_KIND_SOURCE || info->kind == RULE_KIND_LOGLINE;
}

/*
 * A split is exact when every rule to run stays within a line, or may
 * run apart over the whole text, and no two address rules of one kind
 * run (each adds ports to the addresses it finds as it goes: two of them
 * would add them in another order, halves merged).  This also makes the
 * lines of the line-local ones ready for two threads at once.
 */
static gboolean
can_split (Scan *s)
{
  gboolean can = TRUE;
  guint address_rules[RULE_KIND_CLASSIFY] = { 0 };

  for (guint i = 0; i < rules_count (s->rules); i++)
    {
      const Rule *rule = rules_nth (s->rules, i);
      RuleKind kind;

      if (!extract_rule_to_run (s, rule))
        continue;
      if (!rules_text_lines_only (s->rule_text, rule) && !runs_apart (rule))
        can = FALSE;
      kind = rules_info (rule)->kind;
      if ((kind == RULE_KIND_IPV4 || kind == RULE_KIND_IPV6)
          && address_rules[kind]++ > 0)
        can = FALSE;
    }
  return can;
}

/* The start of the line nearest the middle of the source, or 0. */
static gsize
middle_line (const Scan *s)
{
  const GArray *starts = s->line_starts;
  guint lo = 0, hi = starts->len;

  while (lo < hi)
    {
      guint mid = lo + (hi - lo) / 2;

      if (g_array_index (starts, gsize, mid) < s->len / 2)
        lo = mid + 1;
      else
        hi = mid;
    }
  return lo < starts->len ? g_array_index (starts, gsize, lo) : 0;
}

/* Files one of a half's indicators into s, as if s's own scan had made
 * it at this point: counted into the same one, new, or past the cap. */
static Indicator *
merge_indicator (Scan *s, Scan *h, guint i)
{
  Indicator *ind = h->result->indicators->pdata[i];
  g_autofree char *key = g_strconcat (ind->kind, " ", ind->value, NULL);
  Indicator *into = g_hash_table_lookup (s->by_key, key);

  if (into == NULL && s->result->indicators->len >= s->options->max_indicators)
    {
      s->result->dropped += ind->count; /* each occurrence, as it would */
      return NULL;
    }
  if (into == NULL)
    {
      h->result->indicators->pdata[i] = NULL; /* s's now */
      g_hash_table_insert (s->by_key, g_steal_pointer (&key), ind);
      g_ptr_array_add (s->result->indicators, ind);
      return ind;
    }
  into->count += ind->count;
  for (guint p = 0; p < ind->ports->len; p++)
    extract_indicator_add_port (into, g_array_index (ind->ports, guint16, p));
  return into;
}

/* The halves' indicators, in the order one scan would have made them:
 * rule by rule, and within a rule the first half's first.  Returns each
 * half indicator -> s's (NULL: past the cap). */
static GHashTable *
merge_indicators (Scan *s, Scan *halves)
{
  GHashTable *moved = g_hash_table_new (g_direct_hash, g_direct_equal);
  guint next[SPLIT_PARTS] = { 0 };

  for (;;)
    {
      Indicator *ind;
      int pick = -1;

      for (int k = 0; k < SPLIT_PARTS; k++)
        if (next[k] < halves[k].creators->len
            && (pick < 0
                || g_array_index (halves[k].creators, guint, next[k])
                       < g_array_index (halves[pick].creators, guint,
                                        next[pick])))
          pick = k;
      if (pick < 0)
        return moved;
      ind = halves[pick].result->indicators->pdata[next[pick]];
      g_hash_table_insert (moved, ind,
                           merge_indicator (s, &halves[pick], next[pick]++));
    }
}

/* A half's address hits, each pointing at s's indicator (or dropped
 * with it). */
static void
remap_addresses (GArray *hits, GHashTable *moved)
{
  guint kept = 0;

  for (guint i = 0; i < hits->len; i++)
    {
      Hit hit = g_array_index (hits, Hit, i);

      hit.indicator = g_hash_table_lookup (moved, hit.indicator);
      if (hit.indicator != NULL)
        g_array_index (hits, Hit, kept++) = hit;
    }
  g_array_set_size (hits, kept);
}

/* Appends *from's hits to *into and leaves *from empty: taken whole
 * when *into is empty, freed once copied otherwise (a long log has a hit
 * on every line: no two copies of them at once). */
static void
take_hits (GArray **into, GArray **from)
{
  GArray *empty = *into;

  if (empty->len > 0)
    {
      g_array_append_vals (*into, (*from)->data, (*from)->len);
      empty = g_array_new (FALSE, FALSE, sizeof (Hit));
    }
  else
    *into = g_array_ref (*from);
  g_array_unref (*from);
  *from = empty;
}

/* Everything else the halves found, in text order, into s. */
static void
merge_matches (Scan *s, Scan *halves, GHashTable *moved)
{
  for (int k = 0; k < SPLIT_PARTS; k++)
    {
      Scan *h = &halves[k];

      remap_addresses (h->addresses, moved);
      take_hits (&s->addresses, &h->addresses);
      take_hits (&s->ports, &h->ports);
      take_hits (&s->times, &h->times);
      g_ptr_array_extend (s->result->timestamps, h->result->timestamps, NULL,
                          NULL);
      g_ptr_array_set_free_func (h->result->timestamps, NULL);
      g_ptr_array_extend (s->sources, h->sources, NULL, NULL);
      g_ptr_array_set_free_func (h->sources, NULL);
    }
}

/*
 * A long source is scanned by two threads, each over half of its lines,
 * and what they found merged as one scan would have found it.  Where that
 * cannot be told apart from one scan (a half past the indicator cap on
 * its own, or stopped by a regex limit), the halves are thrown away and
 * the source scanned whole.  Returns FALSE when s is not split.
 */
gboolean
extract_scan_split (Scan *s)
{
  Scan halves[SPLIT_PARTS];
  gsize middle
      = s->len >= SPLIT_MIN && !s->options->single_thread ? middle_line (s) : 0;
  g_autoptr (GHashTable) moved = NULL;
  GThread *thread;
  gboolean exact = TRUE;

  if (middle == 0 || !can_split (s))
    return FALSE;
  half_init (&halves[0], s, 0, middle);
  half_init (&halves[1], s, middle, s->len);
  thread = g_thread_new ("extract", half_thread, &halves[1]);
  half_thread (&halves[0]);
  g_thread_join (thread);
  for (int k = 0; k < SPLIT_PARTS; k++)
    exact = exact && !halves[k].result->limit_hit
            && halves[k].result->dropped == 0;
  if (exact)
    {
      moved = merge_indicators (s, halves);
      merge_matches (s, halves, moved);
    }
  else
    memset (s->log_line, 0, s->line_starts->len);
  for (int k = 0; k < SPLIT_PARTS; k++)
    half_clear (&halves[k]);
  if (exact)
    extract_scan_rules (s, RULES_OTHERS);
  return exact;
}
