/*
 * rules-match.c - compile the rules' patterns (on first use: from the
 * cache's byte code when its hash holds, else from their text) and run
 * them: PCRE2 under the set's match, depth and heap limits, and the
 * texts made ready for the rules (RuleText).
 */
#include <string.h>

#include "madoguchi/keyfile.h"
#include "madoguchi/prefilter.h"
#include "rules-private.h"

#define JIT_MIN_BYTES 512 /* see rule_code */

/* By RuleGroup. */
static const char *const group_names[] = {
  "addr", "prefix", "end",  "port",   "epoch",  "year", "reiwa", "month",
  "mon",  "day",    "hour", "minute", "second", "ampm", "zone",
};

static gboolean
has_group (const pcre2_code *code, const char *name)
{
  return pcre2_substring_number_from_name (code, (PCRE2_SPTR) name) > 0;
}

/* What a timestamp pattern must capture for a time to be computed. */
static const char *
timestamp_missing_group (const pcre2_code *code)
{
  if (has_group (code, "epoch"))
    return NULL;
  if (!has_group (code, "month") && !has_group (code, "mon"))
    return "month or mon";
  if (!has_group (code, "day"))
    return "day";
  if (!has_group (code, "hour"))
    return "hour";
  if (!has_group (code, "minute"))
    return "minute";
  return NULL;
}

/* Where a problem found after loading lies: the pattern's line, read
 * again from the file (problems are rare; loading skips line numbers). */
static int
pattern_line (const RuleSet *set, const Rule *rule)
{
  g_autofree char *path = g_build_filename (set->dir, rule->info.file, NULL);
  g_autofree char *text = NULL;
  g_autofree char *group = g_strconcat ("rule ", rule->info.name, NULL);

  if (!g_file_get_contents (path, &text, NULL, NULL))
    return 0;
  return keyfile_line (text, group, "pattern");
}

static void G_GNUC_PRINTF (3, 4)
    rule_broken (RuleSet *set, Rule *rule, const char *fmt, ...)
{
  g_autofree char *message = NULL;
  va_list ap;

  va_start (ap, fmt);
  message = g_strdup_vprintf (fmt, ap);
  va_end (ap);
  rules_add_problem (set,
                     (RulePlace){ .file = rule->info.file,
                                  .line = pattern_line (set, rule),
                                  .rule = rule->info.name },
                     "%s", message);
  if (set->on_problem != NULL)
    set->on_problem (set, set->problems->pdata[set->problems->len - 1]);
  g_atomic_int_set (&rule->broken, TRUE);
}

/* Publishes rule's code, its groups' numbers first (readers take the
 * code, then the numbers).  Only evidence is read by group: the other
 * kinds are spared the look-ups, a delivery compiling dozens of them. */
static void
rule_publish (Rule *rule, pcre2_code *code)
{
  G_STATIC_ASSERT (G_N_ELEMENTS (group_names) == RULE_GROUP_COUNT);

  for (int g = 0; rule->info.kind < RULE_KIND_CLASSIFY && g < RULE_GROUP_COUNT;
       g++)
    rule->group[g]
        = pcre2_substring_number_from_name (code, (PCRE2_SPTR) group_names[g]);
  g_atomic_pointer_set (&rule->code, code);
}

/* FNV-1a over 64-bit words (and the tail bytes): enough to notice a
 * damaged cache, at a few instructions per eight bytes. */
guint64
rules_hash_bytes (const guint8 *p, gsize len)
{
  guint64 h = 0xcbf29ce484222325u;
  gsize i = 0;

  for (; i + 8 <= len; i += 8)
    {
      guint64 word;

      memcpy (&word, p + i, 8);
      h = (h ^ word) * 0x100000001b3u;
    }
  for (; i < len; i++)
    h = (h ^ p[i]) * 0x100000001b3u;
  return h;
}

/* The rule's compiled pattern from the cache, or NULL (none, damaged, or
 * from another PCRE2): then it is compiled from its text. */
static pcre2_code *
rule_decode (const Rule *rule)
{
  pcre2_code *code = NULL;

  if (rule->serialized == NULL
      || rules_hash_bytes (rule->serialized, rule->serialized_len)
             != rule->serialized_hash
      || pcre2_serialize_get_number_of_codes (rule->serialized) != 1
      || pcre2_serialize_decode (&code, 1, rule->serialized, NULL) != 1)
    return NULL;
  return code;
}

/*
 * Compiles rule's pattern, under set->lock: from the cache's compiled
 * form when there is one, else from its text.
 */
static void
rule_compile (RuleSet *set, Rule *rule)
{
  int code_error;
  PCRE2_SIZE offset;
  pcre2_code *code = rule_decode (rule);
  PCRE2_UCHAR message[256];
  const char *missing;

  if (code != NULL)
    {
      rule_publish (rule, code);
      return;
    }
  code
      = pcre2_compile ((PCRE2_SPTR) rule->info.pattern, PCRE2_ZERO_TERMINATED,
                       PCRE2_UTF | PCRE2_MULTILINE, &code_error, &offset, NULL);
  if (code == NULL && code_error == PCRE2_ERROR_HEAP_FAILED)
    g_error ("rules: out of memory"); /* not the rule's fault */
  if (code == NULL)
    {
      pcre2_get_error_message (code_error, message, sizeof message);
      rule_broken (set, rule, "pattern error at offset %zu: %s",
                   (size_t) offset, (const char *) message);
      return;
    }
  missing = rule->info.kind == RULE_KIND_TIMESTAMP
                ? timestamp_missing_group (code)
                : NULL;
  if (missing != NULL)
    {
      pcre2_code_free (code);
      rule_broken (set, rule, "a timestamp pattern needs a (?<%s>...) group",
                   missing);
      return;
    }
  rule_publish (rule, code);
}

/*
 * Compiles rule's code to machine code, under set->lock.  Another thread
 * may be running the interpreted code: a copy is compiled and published,
 * and the old code kept until the set is freed.
 */
static void
rule_jit (RuleSet *set, Rule *rule)
{
  pcre2_code *copy = pcre2_code_copy (rule->code);

  if (copy == NULL)
    g_error ("rules: out of memory"); /* as g_malloc would */
  pcre2_jit_compile (copy, PCRE2_JIT_COMPLETE);
  g_ptr_array_add (set->retired, rule->code);
  g_atomic_pointer_set (&rule->code, copy);
  g_atomic_int_set (&rule->jit, TRUE);
}

/*
 * The rule's code for searching bytes of text, compiled on first use;
 * NULL when broken.  Compiling to machine code costs as much as
 * interpreting a few hundred bytes (50-200 us a pattern, measured on the
 * default rules), and most rules of a report search a line or two: the
 * code is interpreted until a search of JIT_MIN_BYTES or more comes.
 * Threads share a set: code is published only once complete.
 */
static const pcre2_code *
rule_code (const RuleSet *set, const Rule *rule, gsize bytes)
{
  Rule *r = (Rule *) rule;
  const pcre2_code *code = g_atomic_pointer_get (&r->code);

  if ((code != NULL && (bytes < JIT_MIN_BYTES || g_atomic_int_get (&r->jit)))
      || g_atomic_int_get (&r->broken))
    return code;
  g_mutex_lock ((GMutex *) &set->lock);
  if (r->code == NULL && !r->broken)
    rule_compile ((RuleSet *) set, r);
  if (r->code != NULL && !r->jit && bytes >= JIT_MIN_BYTES)
    rule_jit ((RuleSet *) set, r);
  g_mutex_unlock ((GMutex *) &set->lock);
  return r->code;
}

/* Texts this long that hold only ASCII are searched with codes compiled
 * without UTF: on ASCII every construct of a pattern matches as it does
 * under UTF (what differs is only how non-ASCII characters match), and
 * PCRE2's JIT runs the rules a third to two thirds faster (IPv6 709 ->
 * 252 ms, IPv4 333 -> 96 ms on a 20 MB log).  Compiling the second code
 * costs tens of microseconds: worth it only on long texts. */
#define ASCII_CODE_MIN (1024 * 1024)

static gboolean
is_ascii (const char *text, gsize len)
{
  guint64 any = 0;
  gsize i = 0;

  for (; i + 8 <= len; i += 8)
    {
      guint64 word;

      memcpy (&word, text + i, 8);
      any |= word;
    }
  for (; i < len; i++)
    any |= (guint8) text[i];
  return (any & G_GUINT64_CONSTANT (0x8080808080808080)) == 0;
}

/* Compiles rule's ASCII code, under set->lock; a pattern that is not
 * ASCII itself (its literals would be read as Latin-1) has none. */
static void
rule_compile_ascii (Rule *rule)
{
  int code_error;
  PCRE2_SIZE offset;
  pcre2_code *code = NULL;

  if (is_ascii (rule->info.pattern, strlen (rule->info.pattern)))
    code
        = pcre2_compile ((PCRE2_SPTR) rule->info.pattern, PCRE2_ZERO_TERMINATED,
                         PCRE2_MULTILINE, &code_error, &offset, NULL);
  if (code == NULL)
    {
      g_atomic_int_set (&rule->ascii_none, TRUE);
      return;
    }
  pcre2_jit_compile (code, PCRE2_JIT_COMPLETE);
  g_atomic_pointer_set (&rule->ascii_code, code);
}

/* The code to search a long ASCII text with: the ASCII one when the rule
 * has one, else its own. */
static const pcre2_code *
rule_ascii_code (const RuleSet *set, const Rule *rule)
{
  Rule *r = (Rule *) rule;
  const pcre2_code *code = g_atomic_pointer_get (&r->ascii_code);

  if (code != NULL)
    return code;
  /* Its own code first (not JIT-compiled: only its group numbers are
   * wanted): a broken pattern stays broken, and reported. */
  if (rule_code (set, rule, 0) == NULL)
    return NULL;
  if (!g_atomic_int_get (&r->ascii_none))
    {
      g_mutex_lock ((GMutex *) &set->lock);
      if (r->ascii_code == NULL && !r->ascii_none)
        rule_compile_ascii (r);
      g_mutex_unlock ((GMutex *) &set->lock);
    }
  return r->ascii_code != NULL ? r->ascii_code
                               : rule_code (set, rule, JIT_MIN_BYTES);
}

guint
rules_compile_all (RuleSet *set)
{
  guint before = set->problems->len;

  for (guint i = 0; i < set->rules->len; i++)
    {
      const Rule *rule = set->rules->pdata[i];

      if (rule->info.pattern != NULL)
        rule_code (set, rule, 0);
    }
  return set->problems->len - before;
}

struct RuleText
{
  const RuleSet *set;
  const char *text;
  gsize len;
  PrefilterHits *hits;
  gboolean ascii; /* long and all ASCII: the ASCII codes run */
};

RuleText *
rules_text_new (const RuleSet *set, const char *text, gsize len)
{
  RuleText *t = g_new (RuleText, 1);

  t->set = set;
  t->text = text;
  t->len = len;
  t->hits = prefilter_scan (set->prefilter, text, len);
  t->ascii = len >= ASCII_CODE_MIN && !set->utf_only && is_ascii (text, len);
  return t;
}

void
rules_text_free (RuleText *t)
{
  if (t == NULL)
    return;
  prefilter_hits_free (t->hits);
  g_free (t);
}

gboolean
rules_text_is (const RuleText *t, const char *text, gsize len)
{
  return t->text == text && t->len == len;
}

gboolean
rules_text_candidate (const RuleText *t, const Rule *rule)
{
  return rule->info.pattern != NULL
         && prefilter_hits_candidate (t->hits, rule->index);
}

/* The first span that ends after offset (spans are in text order). */
static guint
span_after (const GArray *spans, gsize offset)
{
  guint lo = 0, hi = spans->len;

  while (lo < hi)
    {
      guint mid = lo + (hi - lo) / 2;

      if (g_array_index (spans, PrefilterSpan, mid).end <= offset)
        lo = mid + 1;
      else
        hi = mid;
    }
  return lo;
}

/* One search: len bytes of subject, from offset. */
typedef struct
{
  const char *subject;
  gsize len;
  gsize offset;
} Search;

/* Runs search with code: the part of rules_match past compiling. */
static int
code_match (const RuleSet *set, const pcre2_code *code, const Search *search,
            pcre2_match_data *match)
{
  if (code == NULL)
    return PCRE2_ERROR_NOMATCH;
  /* Subjects are valid UTF-8 (message.c guarantees it): skip the check,
   * which would otherwise rescan the whole text at every call. */
  return pcre2_match (code, (PCRE2_SPTR) search->subject, search->len,
                      search->offset, PCRE2_NO_UTF_CHECK, match,
                      set->match_context);
}

/* The bytes of spans from offset on, counted up to at most limit (a
 * rule searching many lines is called once per match: never sum them
 * all each time). */
static gsize
span_bytes (const GArray *spans, guint first, gsize offset, gsize limit)
{
  gsize bytes = 0;

  for (guint i = first; i < spans->len && bytes < limit; i++)
    {
      const PrefilterSpan *span = &g_array_index (spans, PrefilterSpan, i);

      bytes += span->end - MAX (offset, span->start);
    }
  return bytes;
}

/* pcre2_match's result as a search's. */
static RulesResult
result_of (int rc)
{
  if (rc > 0)
    return RULES_MATCH;
  return rc == PCRE2_ERROR_NOMATCH ? RULES_NO_MATCH : RULES_LIMIT;
}

RulesResult
rules_text_match (RuleText *t, const Rule *rule, gsize offset, RuleMatch *match)
{
  return rules_text_match_until (t, rule, offset, t->len, match);
}

/* rules_text_match_until with PCRE2's result. */
static int
text_match_until (RuleText *t, const Rule *rule, gsize offset, gsize end,
                  pcre2_match_data *match)
{
  const GArray *spans;
  const pcre2_code *code;
  guint first;

  if (!rules_text_candidate (t, rule))
    return PCRE2_ERROR_NOMATCH;
  spans = prefilter_hits_spans (t->hits, rule->index);
  if (spans == NULL)
    return code_match (
        t->set,
        t->ascii ? rule_ascii_code (t->set, rule)
                 : rule_code (t->set, rule, end - MIN (offset, end)),
        &(Search){ .subject = t->text, .len = end, .offset = offset }, match);
  /* The rule cannot match across a line end: search only its lines,
   * each as if it were the whole subject (look-behinds still see what
   * lies before). */
  first = span_after (spans, offset);
  /* Once it is machine code, the bytes to search no longer matter. */
  code = t->ascii ? rule_ascii_code (t->set, rule)
                  : rule_code (
                      t->set, rule,
                      g_atomic_int_get (&rule->jit)
                          ? 0
                          : span_bytes (spans, first, offset, JIT_MIN_BYTES));
  for (guint i = first; i < spans->len; i++)
    {
      const PrefilterSpan *span = &g_array_index (spans, PrefilterSpan, i);
      int rc;

      if (span->start >= end)
        break;
      rc = code_match (t->set, code,
                       &(Search){ .subject = t->text,
                                  .len = MIN (span->end, end),
                                  .offset = MAX (offset, span->start) },
                       match);
      if (rc != PCRE2_ERROR_NOMATCH)
        return rc;
    }
  if (offset == end && spans->len > 0
      && g_array_index (spans, PrefilterSpan, spans->len - 1).end == end)
    return code_match (
        t->set, code,
        &(Search){ .subject = t->text, .len = end, .offset = offset }, match);
  return PCRE2_ERROR_NOMATCH;
}

RulesResult
rules_text_match_until (RuleText *t, const Rule *rule, gsize offset, gsize end,
                        RuleMatch *match)
{
  return result_of (text_match_until (t, rule, offset, end, match->md));
}

gboolean
rules_text_lines_only (RuleText *t, const Rule *rule)
{
  return prefilter_hits_spans (t->hits, rule->index) != NULL;
}

RuleMatch *
rules_match_new (void)
{
  RuleMatch *m = g_new (RuleMatch, 1);

  /* Enough pairs for any rule's groups: past them PCRE2 still matches,
   * and only the groups beyond read as unset. */
  m->md = pcre2_match_data_create (64, NULL);
  if (m->md == NULL)
    g_error ("rules: out of memory"); /* as g_malloc would */
  return m;
}

void
rules_match_free (RuleMatch *m)
{
  if (m == NULL)
    return;
  pcre2_match_data_free (m->md);
  g_free (m);
}

gsize
rules_match_start (const RuleMatch *m)
{
  return pcre2_get_ovector_pointer (m->md)[0];
}

gsize
rules_match_end (const RuleMatch *m)
{
  return pcre2_get_ovector_pointer (m->md)[1];
}

RulesResult
rules_match (const RuleSet *set, const Rule *rule, const RuleSlice *subject,
             gsize offset, RuleMatch *match)
{
  gsize len = subject->len;

  return result_of (code_match (
      set, rule_code (set, rule, len - MIN (offset, len)),
      &(Search){ .subject = subject->text, .len = len, .offset = offset },
      match->md));
}

gboolean
rules_group (const Rule *rule, const RuleMatch *m, const char *subject,
             RuleGroup group, RuleSlice *out)
{
  int n = rule->group[group];
  PCRE2_SIZE *ov = pcre2_get_ovector_pointer (m->md);

  if (n <= 0 || (guint32) n >= pcre2_get_ovector_count (m->md)
      || ov[2 * n] == PCRE2_UNSET)
    return FALSE;
  out->text = subject + ov[2 * n];
  out->len = ov[2 * n + 1] - ov[2 * n];
  return out->len > 0;
}

gboolean
rules_runs_on_every_text (const RuleSet *set, const Rule *rule)
{
  gboolean line_local;

  return prefilter_pattern_literals (set->prefilter, rule->index, &line_local)
         == NULL;
}
