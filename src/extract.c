/*
 * extract.c - run the extractor rules over the text of a report.
 *
 * Sources are the subject and the text of every part (forwarded headers
 * are a part of their own); the outer message's transport headers are
 * never read, since they describe how the report reached us, not the
 * incident.  Rules run in order; within a family (addresses, names,
 * times) a match overlapping an earlier one is dropped, so that an
 * IPv4-mapped IPv6 address is one address and a URL's host is not a
 * second domain.
 */
#include "madoguchi/extract.h"

#include <string.h>

#include "madoguchi/charset.h"
#include "madoguchi/feed.h"
#include "madoguchi/timestamp.h"
#include "extract-private.h"

static void
indicator_free (gpointer data)
{
  Indicator *ind = data;

  if (ind == NULL)
    return; /* moved out of a split scan's result */
  g_free (ind->kind);
  g_free (ind->value);
  g_array_unref (ind->ports);
  g_free (ind->context);
  g_free (ind);
}

RuleText *
extract_rule_text (const Extraction *x, const char *text, gsize len)
{
  RuleText *t = g_hash_table_lookup (x->rule_texts, text);

  return t != NULL && rules_text_is (t, text, len) ? t : NULL;
}

/* A port goes with the last address before it on its line.  Both lists
 * are in text order, so one pass over each does it. */
static void
attach_ports (Scan *s)
{
  guint a = 0;

  for (guint i = 0; i < s->ports->len; i++)
    {
      const Hit *port = &g_array_index (s->ports, Hit, i);
      const Hit *before;

      while (a < s->addresses->len
             && g_array_index (s->addresses, Hit, a).offset < port->offset)
        a++;
      if (a == 0)
        continue;
      before = &g_array_index (s->addresses, Hit, a - 1);
      if (before->line == port->line)
        extract_indicator_add_port (before->indicator, port->port);
    }
}

/* An address is seen at the event times written on its line. */
static void
attach_times (Scan *s)
{
  guint t = 0;

  /* Both lists are in text order; walk them together by line. */
  for (guint i = 0; i < s->addresses->len; i++)
    {
      const Hit *a = &g_array_index (s->addresses, Hit, i);

      while (t < s->times->len
             && g_array_index (s->times, Hit, t).line < a->line)
        t++;
      for (guint k = t; k < s->times->len
                        && g_array_index (s->times, Hit, k).line == a->line;
           k++)
        {
          gint64 utc = g_array_index (s->times, Hit, k).utc;
          Indicator *ind = a->indicator;

          if (ind->first_seen == 0 || utc < ind->first_seen)
            ind->first_seen = utc;
          if (utc > ind->last_seen)
            ind->last_seen = utc;
        }
    }
}

static void
scan_reset (Scan *s, const char *text, gsize len, guint part)
{
  s->text = text;
  s->len = len;
  s->begin = 0;
  s->end = len;
  s->part = part;
  g_array_set_size (s->line_starts, 0);
  for (const char *p = text; p != NULL;)
    {
      gsize start = (gsize) (p - text);
      const char *newline = memchr (p, '\n', len - start);

      if (start < len || len == 0)
        g_array_append_val (s->line_starts, start);
      p = newline != NULL ? newline + 1 : NULL;
    }
  for (int f = 0; f < FAMILY_COUNT; f++)
    g_array_set_size (s->spans[f], 0);
  g_array_set_size (s->addresses, 0);
  g_array_set_size (s->ports, 0);
  g_array_set_size (s->times, 0);
  g_free (s->log_line);
  s->log_line = g_malloc0 (s->line_starts->len);
}

/* Whether rule is evidence to look for in the current source. */
gboolean
extract_rule_to_run (const Scan *s, const Rule *rule)
{
  const RuleInfo *info = rules_info (rule);
  /* Not evidence (classify.c runs these), or no match possible. */
  return info->kind < RULE_KIND_CLASSIFY
         && rules_text_candidate (s->rule_text, rule);
}

/* The rules of `which`, in order, over the bytes begin .. end of the
 * source. */
void
extract_scan_rules (Scan *s, RulesToRun which)
{
  for (guint i = 0; i < rules_count (s->rules); i++)
    {
      const Rule *rule = rules_nth (s->rules, i);

      if (!extract_rule_to_run (s, rule)
          || (which != RULES_ALL
              && rules_text_lines_only (s->rule_text, rule)
                     != (which == RULES_LINE_LOCAL)))
        continue;
      s->rule_index = i;
      extract_scan_rule (s, rule);
      extract_merge_claims (s);
    }
}

/* What a scan works with besides its source: its result so far, and
 * the matches of the source it is on. */
void
extract_work_init (Scan *s, const RuleSet *rules, const ExtractOptions *options)
{
  memset (s, 0, sizeof *s);
  s->rules = rules;
  s->options = options;
  s->ref.time = options->reference_time;
  s->ref.offset = options->reference_offset;
  s->result = g_new0 (Extraction, 1);
  s->result->indicators = g_ptr_array_new_with_free_func (indicator_free);
  s->result->timestamps
      = g_ptr_array_new_with_free_func ((GDestroyNotify) report_timestamp_free);
  s->result->excerpts
      = g_ptr_array_new_with_free_func ((GDestroyNotify) report_excerpt_free);
  s->result->rule_texts = g_hash_table_new_full (
      g_direct_hash, g_direct_equal, NULL, (GDestroyNotify) rules_text_free);
  s->result->feed_types = g_ptr_array_new_with_free_func (g_free);
  s->by_key = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  s->md = rules_match_new ();
  for (int f = 0; f < FAMILY_COUNT; f++)
    {
      s->spans[f] = g_array_new (FALSE, FALSE, sizeof (Span));
      s->claimed[f] = g_array_new (FALSE, FALSE, sizeof (Span));
    }
  s->addresses = g_array_new (FALSE, FALSE, sizeof (Hit));
  s->ports = g_array_new (FALSE, FALSE, sizeof (Hit));
  s->times = g_array_new (FALSE, FALSE, sizeof (Hit));
  s->sources = g_ptr_array_new_with_free_func (g_free);
}

void
extract_work_clear (Scan *s)
{
  g_hash_table_unref (s->by_key);
  rules_match_free (s->md);
  for (int f = 0; f < FAMILY_COUNT; f++)
    {
      g_array_unref (s->spans[f]);
      g_array_unref (s->claimed[f]);
    }
  g_array_unref (s->addresses);
  g_array_unref (s->ports);
  g_array_unref (s->times);
  g_ptr_array_unref (s->sources);
}

/* The source just scanned is done with: its RuleText goes to the result
 * when it was made of the text as given (classify reads the same). */
static void
release_rule_text (Scan *s)
{
  GHashTable *kept = s->result->rule_texts;

  if (s->rule_text == NULL)
    return;
  if (s->given != NULL && !g_hash_table_contains (kept, s->given))
    g_hash_table_insert (kept, (gpointer) s->given, s->rule_text);
  else
    rules_text_free (s->rule_text);
  s->rule_text = NULL;
}

static void
scan_source (Scan *s, const char *text, gsize len, guint part)
{
  release_rule_text (s);
  g_clear_pointer (&s->folded, g_free);
  if (extract_has_fullwidth (text, len))
    {
      s->folded = extract_fold_fullwidth (text, len, &len);
      text = s->folded;
    }
  s->source++;
  scan_reset (s, text, len, part);
  s->given = s->folded == NULL ? text : NULL;
  s->rule_text = rules_text_new (s->rules, text, len);
  if (!extract_scan_split (s))
    extract_scan_rules (s, RULES_ALL);
  g_array_sort (s->addresses, extract_compare_hits);
  g_array_sort (s->ports, extract_compare_hits);
  g_array_sort (s->times, extract_compare_hits);
  if (s->feed_part != NULL)
    extract_scan_feed (s);
  attach_ports (s);
  attach_times (s);
  if (part != SUBJECT_PART)
    extract_find_excerpts (s);
}

static void
scan_init (Scan *s, const RuleSet *rules, const ExtractOptions *options)
{
  extract_work_init (s, rules, options);
  s->line_starts = g_array_new (FALSE, FALSE, sizeof (gsize));
}

static gint
compare_indicators (gconstpointer a, gconstpointer b)
{
  const Indicator *x = *(const Indicator *const *) a;
  const Indicator *y = *(const Indicator *const *) b;

  return x->order < y->order ? -1 : x->order > y->order;
}

static gint
compare_timestamps (gconstpointer a, gconstpointer b)
{
  const Timestamp *x = *(const Timestamp *const *) a;
  const Timestamp *y = *(const Timestamp *const *) b;

  return x->order < y->order ? -1 : x->order > y->order;
}

/* Marks the indicators named as sources. */
static void
mark_sources (Scan *s)
{
  for (guint i = 0; i < s->result->indicators->len; i++)
    {
      Indicator *ind = s->result->indicators->pdata[i];

      for (guint j = 0; ind->has_ip && j < s->sources->len; j++)
        if (strcmp (ind->value, s->sources->pdata[j]) == 0)
          ind->role = "source";
    }
}

static Extraction *
scan_finish (Scan *s)
{
  mark_sources (s);
  /* Rules ran one after the other: put everything back in text order. */
  g_ptr_array_sort (s->result->indicators, compare_indicators);
  g_ptr_array_sort (s->result->timestamps, compare_timestamps);
  extract_cap_timestamps (s);
  release_rule_text (s);
  g_free (s->folded);
  extract_work_clear (s);
  g_array_unref (s->line_starts);
  g_free (s->log_line);
  return s->result;
}

/* Scans len bytes of text, within what is left of the scan budget. */
static void
scan_budgeted (Scan *s, const char *text, gsize len, guint part, gsize *budget)
{
  if (len > *budget)
    {
      /* Cut at a character boundary so the text stays valid UTF-8. */
      len = charset_utf8_cut (text, len, *budget);
      s->result->limit_hit = TRUE;
    }
  *budget -= len;
  scan_source (s, text, len, part);
}

/* The domain of the first address of a "To: ..." line, lower case. */
static char *
to_domain (const char *line)
{
  const char *at = strchr (line, '@');
  gsize len;

  if (at == NULL)
    return NULL;
  len = strcspn (at + 1, "> ,;\t");
  return len ? g_ascii_strdown (at + 1, (gssize) len) : NULL;
}

/* From "Received: from HOST (... [IP]) by ...": HOST and IP. */
static gboolean
received_from (const char *line, char **host, char **ip)
{
  const char *from = line + strlen ("Received: from ");
  const char *by = strstr (from, " by ");
  const char *open = NULL;
  const char *close;

  for (const char *p = from; *p != '\0' && (by == NULL || p < by); p++)
    if (*p == '[')
      open = p;
  if (open == NULL || (close = strchr (open, ']')) == NULL)
    return FALSE;
  *host = g_ascii_strdown (from, (gssize) strcspn (from, " ("));
  *ip = g_strndup (open + 1, (gsize) (close - open - 1));
  if (g_str_has_prefix (*ip, "IPv6:"))
    memmove (*ip, *ip + 5, strlen (*ip + 5) + 1);
  return TRUE;
}

/*
 * The relay that handed a forwarded message to its recipient's domain:
 * reading the Received chain from the top (newest), the first "from"
 * host outside the domain of To, with a routable address.  Spam
 * analysts call it the originating relay; it is the report's source.
 */
static char *
forwarded_relay (const char *headers)
{
  g_auto (GStrv) lines = g_strsplit (headers, "\n", -1);
  g_autofree char *domain = NULL;

  for (gsize i = 0; lines[i] != NULL && domain == NULL; i++)
    if (g_ascii_strncasecmp (lines[i], "To: ", 4) == 0)
      domain = to_domain (lines[i]);
  for (gsize i = 0; lines[i] != NULL; i++)
    {
      g_autofree char *host = NULL;
      g_autofree char *ip = NULL;
      guint8 bytes[16];
      gboolean mapped;
      const char *scope;

      if (g_ascii_strncasecmp (lines[i], "Received: from ", 15) != 0
          || !received_from (lines[i], &host, &ip)
          || !address_parse (ip, bytes, &mapped))
        continue;
      scope = address_scope (bytes);
      if (domain != NULL && g_str_has_suffix (host, domain))
        continue;
      if (strcmp (scope, "global") == 0 || strcmp (scope, "documentation") == 0)
        return address_format (bytes, mapped);
    }
  return NULL;
}

/* A binary member of an archive (never written anywhere) is evidence by
 * its SHA-256, with its name and size as the context. */
static void
member_hash (Scan *s, const MessagePart *part)
{
  Indicator *ind = extract_indicator_get (s, "sha256", part->sha256, 0);

  if (ind == NULL)
    return;
  ind->count++;
  if (ind->context == NULL)
    ind->context
        = g_strdup_printf ("%s, %" G_GINT64_FORMAT " bytes",
                           part->filename ? part->filename : "", part->size);
}

Extraction *
extract_run (const RuleSet *rules, const Message *message,
             const ExtractOptions *options)
{
  Scan s;
  gsize budget = options->max_scan_text;

  scan_init (&s, rules, options);
  if (message->subject != NULL)
    scan_budgeted (&s, message->subject, strlen (message->subject),
                   SUBJECT_PART, &budget);
  for (guint i = 0; i < message->parts->len; i++)
    {
      const MessagePart *part = message->parts->pdata[i];

      if (part->sha256 != NULL)
        member_hash (&s, part);
      s.feed_part = part;
      if (part->text != NULL && budget > 0)
        scan_budgeted (&s, part->text, strlen (part->text), i, &budget);
      s.feed_part = NULL;
      if (part->text != NULL
          && g_strcmp0 (part->content_type, "text/rfc822-headers") == 0)
        {
          char *relay = forwarded_relay (part->text);

          if (relay != NULL)
            g_ptr_array_add (s.sources, relay);
        }
    }
  return scan_finish (&s);
}
