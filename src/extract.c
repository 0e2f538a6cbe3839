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

#define EXCERPT_TEXT_MAX (2 * 1024 * 1024)
/* A source this long is scanned by two threads, each over half of its
 * lines (when every rule to run is line-local, which makes it exact). */
#define SPLIT_MIN (1024 * 1024)
#define SPLIT_PARTS 2
#define CONTEXT_MAX 160
#define SUBJECT_PART G_MAXUINT

typedef enum
{
  FAMILY_ADDRESS,
  FAMILY_NAME,
  FAMILY_TIME,
  FAMILY_COUNT,
} Family;

typedef struct
{
  gsize start;
  gsize end;
} Span;

typedef struct
{
  gsize offset;
  guint line;
  Indicator *indicator; /* addresses only */
  guint16 port;         /* ports only */
  gint64 utc;           /* times only */
} Hit;

typedef struct
{
  const RuleSet *rules;
  const ExtractOptions *options;
  TimeReference ref;
  Extraction *result;
  GHashTable *by_key; /* "kind value" -> Indicator */
  RuleMatch *md;
  gsize excerpt_bytes;
  guint source;        /* sources scanned so far */
  guint rule_index;    /* the rule running now */
  GArray *creators;    /* per indicator, the rule that made it (split
                        * scans only, else NULL) */
  char *folded;        /* the current source, fullwidth ASCII folded */
  RuleText *rule_text; /* the current source, ready for the rules */
  const char *given;   /* the current source as given, if not folded */
  /* The current source: */
  const char *text;
  gsize len;
  gsize begin; /* the bytes this scan of it searches: all, */
  gsize end;   /*   or a split's half */
  guint part;
  GArray *line_starts;           /* gsize */
  GArray *spans[FAMILY_COUNT];   /* Span, sorted, of earlier rules */
  GArray *claimed[FAMILY_COUNT]; /* Span, sorted, of the current rule */
  GArray *addresses;             /* Hit */
  GArray *ports;                 /* Hit */
  GArray *times;                 /* Hit */
  guint8 *log_line;              /* per line: a logline rule matched there */
  GPtrArray *sources;            /* addresses named as the source */
  const MessagePart *feed_part;  /* the current source's part, to be
                                  * read as a CSV feed if it is one */
} Scan;

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

/* 1-based line number of offset in the current source. */
static guint
line_of (const Scan *s, gsize offset)
{
  guint lo = 0;
  guint hi = s->line_starts->len;

  while (hi - lo > 1)
    {
      guint mid = (lo + hi) / 2;

      if (g_array_index (s->line_starts, gsize, mid) <= offset)
        lo = mid;
      else
        hi = mid;
    }
  return lo + 1;
}

/* (transfer full) the text of 1-based lines first..last. */
static char *
lines_text (const Scan *s, guint first, guint last)
{
  gsize start = g_array_index (s->line_starts, gsize, first - 1);
  gsize end = last < s->line_starts->len
                  ? g_array_index (s->line_starts, gsize, last)
                  : s->len;

  while (end > start && (s->text[end - 1] == '\n'))
    end--;
  return g_strndup (s->text + start, end - start);
}

/* Whether [start, end) overlaps a span of sorted, disjoint spans. */
static gboolean
overlaps (const GArray *spans, gsize start, gsize end)
{
  guint lo = 0;
  guint hi = spans->len;

  while (lo < hi) /* the first span that ends after start */
    {
      guint mid = (lo + hi) / 2;

      if (g_array_index (spans, Span, mid).end <= start)
        lo = mid + 1;
      else
        hi = mid;
    }
  return lo < spans->len && g_array_index (spans, Span, lo).start < end;
}

/*
 * Claims [start, end) for family; FALSE if an earlier rule's match has
 * it.  One rule's matches come in text order and do not overlap, so they
 * are appended and merged in once the rule is done (merge_claims):
 * inserting each into the sorted array would be quadratic.
 */
static gboolean
claim_span (Scan *s, Family family, gsize start, gsize end)
{
  Span span = { start, end };

  if (overlaps (s->spans[family], start, end))
    return FALSE;
  g_array_append_val (s->claimed[family], span);
  return TRUE;
}

static void
merge_claims (Scan *s)
{
  for (int f = 0; f < FAMILY_COUNT; f++)
    {
      GArray *old = s->spans[f];
      GArray *add = s->claimed[f];
      GArray *merged;
      guint i = 0, j = 0;

      if (add->len == 0)
        continue;
      merged = g_array_sized_new (FALSE, FALSE, sizeof (Span),
                                  old->len + add->len);
      while (i < old->len || j < add->len)
        {
          gboolean take_old = j == add->len
                              || (i < old->len
                                  && g_array_index (old, Span, i).start
                                         < g_array_index (add, Span, j).start);

          Span next = take_old ? g_array_index (old, Span, i++)
                               : g_array_index (add, Span, j++);

          g_array_append_val (merged, next);
        }
      g_array_unref (old);
      s->spans[f] = merged;
      g_array_set_size (add, 0);
    }
}

static guint64
order_of (const Scan *s, gsize offset)
{
  return ((guint64) s->source << 32) | offset;
}

static Indicator *
indicator_get (Scan *s, const char *kind, const char *value, gsize offset)
{
  g_autofree char *key = g_strconcat (kind, " ", value, NULL);
  Indicator *ind = g_hash_table_lookup (s->by_key, key);

  if (ind != NULL)
    return ind;
  if (s->result->indicators->len >= s->options->max_indicators)
    {
      s->result->dropped++;
      return NULL;
    }
  ind = g_new0 (Indicator, 1);
  ind->kind = g_strdup (kind);
  ind->value = g_strdup (value);
  ind->ports = g_array_new (FALSE, FALSE, sizeof (guint16));
  ind->order = order_of (s, offset);
  g_hash_table_insert (s->by_key, g_steal_pointer (&key), ind);
  g_ptr_array_add (s->result->indicators, ind);
  if (s->creators != NULL)
    g_array_append_val (s->creators, s->rule_index);
  return ind;
}

/*
 * (transfer full) the line around offset, at most CONTEXT_MAX bytes of
 * it on each side: a one-line megabyte of hostile text must not be
 * copied once per indicator.
 */
static char *
context_at (const Scan *s, gsize offset)
{
  guint line = line_of (s, offset);
  gsize start = g_array_index (s->line_starts, gsize, line - 1);
  gsize window = MIN (s->len - offset, CONTEXT_MAX);
  const char *end = memchr (s->text + offset, '\n', window);
  gsize stop = end ? (gsize) (end - s->text) : offset + window;
  g_autofree char *text = NULL;

  if (offset - start > CONTEXT_MAX)
    start = offset - CONTEXT_MAX;
  text = g_strndup (s->text + start, stop - start);
  /* The window may cut a character at either end: drop the pieces. */
  return g_utf8_make_valid (g_strstrip (text), -1);
}

/* Counts one occurrence at offset; the first one gives the context. */
static void
indicator_seen (Scan *s, Indicator *ind, gsize offset)
{
  ind->count++;
  if (ind->context == NULL)
    ind->context = context_at (s, offset);
}

static void
indicator_add_port (Indicator *ind, guint16 port)
{
  for (guint i = 0; i < ind->ports->len; i++)
    if (g_array_index (ind->ports, guint16, i) == port)
      return;
  if (ind->ports->len < 1000)
    g_array_append_val (ind->ports, port);
}

static gboolean
own_address (const Scan *s, const guint8 ip[16])
{
  const GArray *nets = s->options->own_networks;

  for (guint i = 0; nets != NULL && i < nets->len; i++)
    if (address_network_contains (&g_array_index (nets, Network, i), ip))
      return TRUE;
  return FALSE;
}

static gboolean
group_text (Scan *s, const Rule *rule, RuleGroup name, char **out)
{
  const char *start;
  gsize len;

  if (!rules_group (rule, s->md, s->text, name, &start, &len))
    return FALSE;
  *out = address_refang (start, len);
  return TRUE;
}

static gboolean
group_number (Scan *s, const Rule *rule, RuleGroup name, gint64 max,
              gint64 *value)
{
  g_autofree char *text = NULL;

  return group_text (s, rule, name, &text)
         && g_ascii_string_to_signed (text, 10, 0, max, value, NULL);
}

/*
 * Parses the addr group.  "2001:db8::5:51234" (Apache's unbracketed
 * IPv6 client) is an address and a port: a five-digit decimal last group
 * cannot be IPv6, so it is split off into *port.
 */
static gboolean
address_of_match (Scan *s, const Rule *rule, guint8 ip[16], gboolean *mapped,
                  gint64 *port)
{
  const RuleInfo *info = rules_info (rule);
  g_autofree char *addr = NULL;
  char *colon;

  if (!group_text (s, rule, RULE_GROUP_ADDR, &addr))
    return FALSE;
  if (info->kind == RULE_KIND_IPV6 && strcmp (addr, "::") == 0)
    return FALSE; /* "::" in prose is punctuation, not an address */
  if (address_parse (addr, ip, mapped))
    return info->kind == RULE_KIND_IPV4 || !address_is_v4 (ip) || *mapped;
  colon = strrchr (addr, ':');
  if (info->kind != RULE_KIND_IPV6 || colon == NULL
      || strspn (colon + 1, "0123456789") != 5 || colon[6] != '\0')
    return FALSE;
  *colon = '\0';
  *port = g_ascii_strtoll (colon + 1, NULL, 10);
  return address_parse (addr, ip, mapped) && *port <= 65535;
}

typedef struct
{
  const char *kind;
  char *value;
  guint8 ip[16];
  guint8 ip_end[16];
  gboolean mapped;
  gint64 port;
} AddressMatch;

/* A "/N" after an address: a prefix when the address is the network's
 * first (192.0.2.0/24), else a port as firewalls write it (a/4444). */
static void
address_prefix (Scan *s, const Rule *rule, AddressMatch *a)
{
  gint64 prefix;
  Network net;
  gboolean v4 = address_is_v4 (a->ip);
  g_autofree char *written = NULL;

  if (!group_number (s, rule, RULE_GROUP_PREFIX, 128, &prefix)
      || prefix > (v4 && !a->mapped ? 32 : 128))
    return;
  memcpy (net.net, a->ip, 16);
  net.prefix = (guint) prefix + (v4 && !a->mapped ? 96 : 0);
  address_network_bounds (&net, net.net, a->ip_end);
  if (memcmp (net.net, a->ip, 16) != 0)
    {
      memcpy (a->ip_end, a->ip, 16);
      a->port = prefix;
      return;
    }
  written = g_steal_pointer (&a->value);
  a->kind = "cidr";
  a->value = g_strdup_printf ("%s/%" G_GINT64_FORMAT, written, prefix);
}

static void
address_range (Scan *s, const Rule *rule, AddressMatch *a)
{
  g_autofree char *last = NULL;
  g_autofree char *first = NULL;
  g_autofree char *last_text = NULL;
  gboolean end_mapped;

  if (!group_text (s, rule, RULE_GROUP_END, &last)
      || !address_parse (last, a->ip_end, &end_mapped)
      || memcmp (a->ip_end, a->ip, 16) <= 0)
    {
      memcpy (a->ip_end, a->ip, 16);
      return;
    }
  first = g_steal_pointer (&a->value);
  last_text = address_format (a->ip_end, end_mapped);
  a->kind = "range";
  a->value = g_strdup_printf ("%s-%s", first, last_text);
}

static void
address_count (Scan *s, AddressMatch *a, gsize start)
{
  Indicator *ind = indicator_get (s, a->kind, a->value, start);

  if (ind == NULL)
    return;
  if (ind->count == 0)
    {
      ind->has_ip = TRUE;
      memcpy (ind->ip, a->ip, 16);
      memcpy (ind->ip_end, a->ip_end, 16);
      ind->mapped = a->mapped;
      ind->scope = address_scope (a->ip);
      ind->own = own_address (s, a->ip);
    }
  indicator_seen (s, ind, start);
  if (a->port > 0 && a->port <= 65535)
    indicator_add_port (ind, (guint16) a->port);
  g_array_append_val (s->addresses,
                      ((Hit){ start, line_of (s, start), ind, 0, 0 }));
}

/* An address, prefix or range match: validated, normalised, counted. */
static void
on_address (Scan *s, const Rule *rule, gsize start, gsize end)
{
  const RuleInfo *info = rules_info (rule);
  AddressMatch a = { .kind = info->kind == RULE_KIND_IPV6 ? "ipv6" : "ipv4" };

  if (!address_of_match (s, rule, a.ip, &a.mapped, &a.port)
      || !claim_span (s, FAMILY_ADDRESS, start, end))
    return;
  a.value = address_format (a.ip, a.mapped);
  memcpy (a.ip_end, a.ip, 16);
  address_prefix (s, rule, &a);
  if (g_strcmp0 (a.kind, "cidr") != 0)
    address_range (s, rule, &a);
  if (a.port == 0)
    group_number (s, rule, RULE_GROUP_PORT, 65535, &a.port);
  address_count (s, &a, start);
  g_free (a.value);
}

static gboolean
known_tld (const Scan *s, const char *name)
{
  const char *dot = strrchr (name, '.');
  g_autofree char *tld = g_ascii_strdown (dot ? dot + 1 : name, -1);

  return rules_known_tld (s->rules, tld);
}

/* "setup.sh" and "report.zip" are files, not domains. */
static gboolean
looks_like_file (const Rule *rule, const char *name)
{
  const RuleInfo *info = rules_info (rule);
  const char *dot = strchr (name, '.');

  if (info->file_extensions == NULL || dot == NULL
      || strchr (dot + 1, '.') != NULL)
    return FALSE;
  for (guint i = 0; info->file_extensions[i] != NULL; i++)
    if (g_ascii_strcasecmp (dot + 1, info->file_extensions[i]) == 0)
      return TRUE;
  return FALSE;
}

static gsize
count_char (const char *s, char c)
{
  gsize n = 0;

  for (; *s != '\0'; s++)
    n += *s == c;
  return n;
}

/* Drops what prose puts after a URL: "(see http://x/y)." A closing
 * bracket stays only when it closes one opened inside the URL. */
static void
trim_url (char *url)
{
  gsize len = strlen (url);

  while (len > 0 && strchr (".,;:!?'\")]>", url[len - 1]) != NULL)
    {
      char c = url[len - 1];

      if ((c == ')' && count_char (url, ')') <= count_char (url, '('))
          || (c == ']' && count_char (url, ']') <= count_char (url, '[')))
        break;
      url[--len] = '\0';
    }
}

static void
on_name (Scan *s, const Rule *rule, gsize start, gsize end)
{
  const RuleInfo *info = rules_info (rule);
  g_autofree char *value = address_refang (s->text + start, end - start);
  const char *host = value;
  Indicator *ind;

  if (info->kind == RULE_KIND_URL)
    trim_url (value);
  else
    {
      char *lower = g_ascii_strdown (value, -1);

      g_free (value);
      value = lower;
      host = strchr (value, '@') ? strchr (value, '@') + 1 : value;
      if (!known_tld (s, host)
          || (info->kind == RULE_KIND_DOMAIN && looks_like_file (rule, host)))
        return;
    }
  if (strlen (value) < 4 || !claim_span (s, FAMILY_NAME, start, end))
    return;
  ind = indicator_get (s, rules_kind_name (info->kind), value, start);
  if (ind != NULL)
    indicator_seen (s, ind, start);
}

static void
on_port (Scan *s, const Rule *rule, gsize start)
{
  gint64 port;

  if (group_number (s, rule, RULE_GROUP_PORT, 65535, &port) && port > 0)
    g_array_append_val (s->ports, ((Hit){ start, line_of (s, start), NULL,
                                          (guint16) port, 0 }));
}

static void
on_timestamp (Scan *s, const Rule *rule, gsize start, gsize end)
{
  const RuleInfo *info = rules_info (rule);
  Timestamp *t;
  gint64 utc;
  gboolean assumed;

  if (!timestamp_from_match (rule, s->text, s->md, &s->ref, &utc, &assumed)
      || !claim_span (s, FAMILY_TIME, start, end))
    return;
  t = g_new0 (Timestamp, 1);
  t->utc = utc;
  t->original = g_strndup (s->text + start, end - start);
  t->rule = g_strdup (info->name);
  t->zone_assumed = assumed;
  t->part = s->part;
  t->line = line_of (s, start);
  t->order = order_of (s, start);
  g_ptr_array_add (s->result->timestamps, t);
  g_array_append_val (s->times, ((Hit){ start, t->line, NULL, 0, utc }));
}

/* "Source-IP: 192.0.2.1" (ARF), "Source: ..." (X-ARF): the address the
 * report is about.  Applied when the source is done, whichever rule
 * found the address. */
static void
on_source (Scan *s, const Rule *rule)
{
  g_autofree char *addr = NULL;
  guint8 ip[16];
  gboolean mapped;

  if (group_text (s, rule, RULE_GROUP_ADDR, &addr)
      && address_parse (addr, ip, &mapped))
    g_ptr_array_add (s->sources, address_format (ip, mapped));
}

static void
on_match (Scan *s, const Rule *rule, gsize start, gsize end)
{
  const RuleInfo *info = rules_info (rule);
  switch (info->kind)
    {
    case RULE_KIND_IPV4:
    case RULE_KIND_IPV6:
      on_address (s, rule, start, end);
      break;
    case RULE_KIND_URL:
    case RULE_KIND_EMAIL:
    case RULE_KIND_DOMAIN:
      on_name (s, rule, start, end);
      break;
    case RULE_KIND_PORT:
      on_port (s, rule, start);
      break;
    case RULE_KIND_TIMESTAMP:
      on_timestamp (s, rule, start, end);
      break;
    case RULE_KIND_LOGLINE:
      s->log_line[line_of (s, start) - 1] = 1;
      break;
    case RULE_KIND_SOURCE:
      on_source (s, rule);
      break;
    case RULE_KIND_CLASSIFY:
    case RULE_KIND_NEGATION:
    case RULE_KIND_FORMFIELD:
      break; /* classify.c runs these */
    }
}

/* Every match of rule in the current source. */
static void
scan_rule (Scan *s, const Rule *rule)
{
  gsize offset = s->begin;

  while (offset <= s->end)
    {
      RulesResult rc
          = rules_text_match_until (s->rule_text, rule, offset, s->end, s->md);
      gsize start = rules_match_start (s->md);
      gsize end = rules_match_end (s->md);

      if (rc == RULES_NO_MATCH)
        return;
      if (rc == RULES_LIMIT)
        {
          /* A match or depth limit: this rule stops here, others go on. */
          s->result->limit_hit = TRUE;
          return;
        }
      on_match (s, rule, start, end);
      offset = end;
      if (end == start) /* empty match: step one UTF-8 character */
        offset = (gsize) (g_utf8_next_char (s->text + start) - s->text);
    }
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
        indicator_add_port (before->indicator, port->port);
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

static gint
compare_hits (gconstpointer a, gconstpointer b)
{
  const Hit *x = a;
  const Hit *y = b;

  return x->offset < y->offset ? -1 : x->offset > y->offset;
}

/* Lines that begin (after indentation or quoting) with an event time. */
static void
mark_timed_lines (Scan *s)
{
  for (guint i = 0; i < s->times->len; i++)
    {
      const Hit *t = &g_array_index (s->times, Hit, i);
      gsize p = g_array_index (s->line_starts, gsize, t->line - 1);

      while (p < t->offset && strchr (" \t>[<", s->text[p]) != NULL)
        p++;
      if (p == t->offset)
        s->log_line[t->line - 1] = 1;
    }
}

static void
add_excerpt (Scan *s, guint first, guint last)
{
  Excerpt *e;
  char *text;

  if (s->excerpt_bytes >= EXCERPT_TEXT_MAX)
    {
      s->result->limit_hit = TRUE;
      return;
    }
  text = lines_text (s, first, last);
  if (strlen (text) > EXCERPT_TEXT_MAX - s->excerpt_bytes)
    {
      /* Cut at a character boundary, and say so. */
      text[charset_utf8_cut (text, strlen (text),
                             EXCERPT_TEXT_MAX - s->excerpt_bytes)]
          = '\0';
      s->result->limit_hit = TRUE;
    }
  s->excerpt_bytes += strlen (text);
  e = g_new0 (Excerpt, 1);
  e->part = s->part;
  e->first_line = first;
  e->last_line = last;
  e->text = text;
  g_ptr_array_add (s->result->excerpts, e);
}

/* Runs of consecutive log lines become excerpts. */
static void
find_excerpts (Scan *s)
{
  guint lines = s->line_starts->len;
  guint first = 0;

  mark_timed_lines (s);
  for (guint i = 0; i <= lines; i++)
    {
      gboolean log = i < lines && s->log_line[i];

      if (log && first == 0)
        first = i + 1;
      else if (!log && first != 0)
        {
          add_excerpt (s, first, i);
          first = 0;
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

/* Whether text has fullwidth forms (U+FF01..U+FF5D) or U+3000. */
static gboolean
has_fullwidth (const char *text, gsize len)
{
  return charset_has_bytes (text, len, "\xEF\xBC", 2)
         || charset_has_bytes (text, len, "\xEF\xBD", 2)
         || charset_has_bytes (text, len, "\xE3\x80\x80", 3);
}

/*
 * (transfer full) text with fullwidth ASCII (１９２．０．２．１) written
 * as ASCII and the ideographic space as a space, as a Japanese reader
 * reads it.  The fullwidth tilde ～ stays: it is a Japanese character.
 */
static char *
fold_fullwidth (const char *text, gsize len, gsize *out_len)
{
  GString *out = g_string_sized_new (len);

  for (const char *p = text; p < text + len; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);

      if (c >= 0xFF01 && c <= 0xFF5D)
        g_string_append_c (out, (char) (c - 0xFF01 + 0x21));
      else if (c == 0x3000)
        g_string_append_c (out, ' ');
      else
        g_string_append_len (out, p, g_utf8_next_char (p) - p);
    }
  *out_len = out->len;
  return g_string_free (out, FALSE);
}

/* Whether rule is evidence to look for in the current source. */
static gboolean
rule_to_run (const Scan *s, const Rule *rule)
{
  const RuleInfo *info = rules_info (rule);
  /* Not evidence (classify.c runs these), or no match possible. */
  return info->kind < RULE_KIND_CLASSIFY
         && rules_text_candidate (s->rule_text, rule);
}

/* Which rules a pass over (part of) a source runs. */
typedef enum
{
  RULES_ALL,
  RULES_LINE_LOCAL, /* a split's halves: those within a line */
  RULES_OTHERS,     /* then, over the whole source, the others */
} RulesToRun;

/* The rules of `which`, in order, over the bytes begin .. end of the
 * source. */
static void
scan_rules (Scan *s, RulesToRun which)
{
  for (guint i = 0; i < rules_count (s->rules); i++)
    {
      const Rule *rule = rules_nth (s->rules, i);

      if (!rule_to_run (s, rule)
          || (which != RULES_ALL
              && rules_text_lines_only (s->rule_text, rule)
                     != (which == RULES_LINE_LOCAL)))
        continue;
      s->rule_index = i;
      scan_rule (s, rule);
      merge_claims (s);
    }
}

/* What a scan works with besides its source: its result so far, and
 * the matches of the source it is on. */
static void
work_init (Scan *s, const RuleSet *rules, const ExtractOptions *options)
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

static void
work_clear (Scan *s)
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

/*
 * Half of a split: a scan of its own over the bytes begin .. end of s's
 * source (which it shares, with its lines and log-line marks: it writes
 * only its own lines' marks), noting which rule made each indicator.
 */
static void
half_init (Scan *h, const Scan *s, gsize begin, gsize end)
{
  work_init (h, s->rules, s->options);
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
  work_clear (h);
  g_array_unref (h->creators);
  report_extraction_free (h->result);
}

static gpointer
half_thread (gpointer data)
{
  scan_rules (data, RULES_LINE_LOCAL);
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

      if (!rule_to_run (s, rule))
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
    indicator_add_port (into, g_array_index (ind->ports, guint16, p));
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
static gboolean
scan_split (Scan *s)
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
    scan_rules (s, RULES_OTHERS);
  return exact;
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

/* A report type of a CSV feed, kept once (and at most FEED_TYPES_MAX). */
#define FEED_TYPES_MAX 32

static void
feed_note_type (Scan *s, const char *type)
{
  GPtrArray *types = s->result->feed_types;
  g_autofree char *lower = NULL;

  if (type == NULL || types->len >= FEED_TYPES_MAX)
    return;
  lower = g_utf8_make_valid (type, MIN (strlen (type), 128));
  g_strdelimit (lower, "\n\r", ' ');
  for (guint i = 0; i < types->len; i++)
    if (g_ascii_strcasecmp (types->pdata[i], lower) == 0)
      return;
  g_ptr_array_add (types, g_ascii_strdown (lower, -1));
}

/* A feed's time column is its event time: what the timestamp rules made
 * of its rows (in the report's zone, where the column may say UTC) goes. */
static void
drop_row_times (Scan *s)
{
  GPtrArray *all = s->result->timestamps;
  guint n = 0;
  guint k = 0;

  for (guint i = 0; i < s->times->len; i++)
    if (g_array_index (s->times, Hit, i).line < 2)
      g_array_index (s->times, Hit, k++) = g_array_index (s->times, Hit, i);
  g_array_set_size (s->times, k);
  g_ptr_array_set_free_func (all, NULL);
  for (guint i = 0; i < all->len; i++)
    {
      Timestamp *t = all->pdata[i];

      if (t->part == s->part && t->line >= 2)
        report_timestamp_free (t);
      else
        all->pdata[n++] = t;
    }
  g_ptr_array_set_size (all, n);
  g_ptr_array_set_free_func (all, (GDestroyNotify) report_timestamp_free);
}

/* The row's address; counted here only if no rule found it. */
static Indicator *
feed_indicator (Scan *s, const char *text, gsize offset)
{
  g_autofree char *clean = address_refang (text, strlen (text));
  g_autofree char *key = NULL;
  AddressMatch a = { 0 };
  Indicator *ind;

  if (!address_parse (clean, a.ip, &a.mapped))
    return NULL;
  a.kind = address_is_v4 (a.ip) && !a.mapped ? "ipv4" : "ipv6";
  a.value = address_format (a.ip, a.mapped);
  memcpy (a.ip_end, a.ip, 16);
  key = g_strconcat (a.kind, " ", a.value, NULL);
  ind = g_hash_table_lookup (s->by_key, key);
  if (ind == NULL || ind->count == 0)
    address_count (s, &a, offset);
  ind = g_hash_table_lookup (s->by_key, key);
  g_free (a.value);
  return ind;
}

static void
feed_time_of (Scan *s, const Feed *feed, const FeedRow *row)
{
  const char *value = row->fields[FEED_TIME];
  Timestamp *t;
  gint64 utc;
  gboolean assumed;

  if (value == NULL || row->line > s->line_starts->len
      || !feed_time (feed, value, s->ref.offset, &utc, &assumed))
    return;
  t = g_new0 (Timestamp, 1);
  t->utc = utc;
  t->original = g_utf8_make_valid (value, MIN (strlen (value), 64));
  t->rule = g_strconcat ("feed:", feed_column_name (feed, FEED_TIME), NULL);
  t->zone_assumed = assumed;
  t->part = s->part;
  t->line = row->line;
  t->order = order_of (s, row->offset);
  g_ptr_array_add (s->result->timestamps, t);
  g_array_append_val (s->times,
                      ((Hit){ row->offset, row->line, NULL, 0, utc }));
}

/* One row: its lines an excerpt, its address the report's source, with
 * the row's port and event time. */
static void
feed_row (Scan *s, const Feed *feed, const FeedRow *row)
{
  const char *port = row->fields[FEED_PORT];
  Indicator *ind;
  gint64 number;

  for (guint l = row->line; l <= row->last_line && l <= s->line_starts->len;
       l++)
    s->log_line[l - 1] = 1;
  feed_note_type (s, row->fields[FEED_TYPE]);
  feed_time_of (s, feed, row);
  if (row->fields[FEED_ADDRESS] == NULL
      || (ind = feed_indicator (s, row->fields[FEED_ADDRESS], row->offset))
             == NULL)
    return;
  ind->role = "source";
  if (port != NULL
      && g_ascii_string_to_signed (port, 10, 1, 65535, &number, NULL))
    indicator_add_port (ind, (guint16) number);
}

/*
 * The current source read as a CSV feed, if it is one: each row's
 * address, port and time (its own zone, else as feed_time says) and the
 * rows as an excerpt under their header; the feed's report type (file
 * name, type column) for classify.
 */
static void
scan_feed (Scan *s)
{
  g_autoptr (Feed) feed = feed_open (s->text, s->len, s->feed_part->filename);
  FeedRow row;

  if (feed == NULL)
    return;
  feed_note_type (s, feed_type (feed));
  if (feed_column_name (feed, FEED_TIME) != NULL)
    drop_row_times (s);
  s->log_line[0] = 1;
  while (feed_next (feed, &row))
    feed_row (s, feed, &row);
  g_array_sort (s->addresses, compare_hits);
  g_array_sort (s->times, compare_hits);
}

static void
scan_source (Scan *s, const char *text, gsize len, guint part)
{
  release_rule_text (s);
  g_clear_pointer (&s->folded, g_free);
  if (has_fullwidth (text, len))
    {
      s->folded = fold_fullwidth (text, len, &len);
      text = s->folded;
    }
  s->source++;
  scan_reset (s, text, len, part);
  s->given = s->folded == NULL ? text : NULL;
  s->rule_text = rules_text_new (s->rules, text, len);
  if (!scan_split (s))
    scan_rules (s, RULES_ALL);
  g_array_sort (s->addresses, compare_hits);
  g_array_sort (s->ports, compare_hits);
  g_array_sort (s->times, compare_hits);
  if (s->feed_part != NULL)
    scan_feed (s);
  attach_ports (s);
  attach_times (s);
  if (part != SUBJECT_PART)
    find_excerpts (s);
}

static void
scan_init (Scan *s, const RuleSet *rules, const ExtractOptions *options)
{
  work_init (s, rules, options);
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

/* Orders timestamps by time, then by place. */
static gint
compare_times (gconstpointer a, gconstpointer b)
{
  const Timestamp *x = *(const Timestamp *const *) a;
  const Timestamp *y = *(const Timestamp *const *) b;

  if (x->utc != y->utc)
    return x->utc < y->utc ? -1 : 1;
  return x->order < y->order ? -1 : x->order > y->order;
}

/*
 * Past max_timestamps, keeps the earliest half and the latest half of
 * the times (in text order still; the earliest half has the odd one)
 * and counts the rest: a log of 250,000 timed lines made as many rows,
 * 0.7 s of filing (bench/hostile.sh many-times), while what an operator
 * reads is when it began and when it ended (show prints the first and
 * last five).
 */
static void
cap_timestamps (Scan *s)
{
  GPtrArray *all = s->result->timestamps;
  guint max = s->options->max_timestamps;
  g_autoptr (GPtrArray) by_time = NULL;
  g_autoptr (GHashTable) kept = NULL;
  guint n = 0;

  if (max == 0 || all->len <= max)
    return;
  by_time = g_ptr_array_copy (all, NULL, NULL);
  g_ptr_array_set_free_func (by_time, NULL); /* the copy owns none */
  g_ptr_array_sort (by_time, compare_times);
  kept = g_hash_table_new (NULL, NULL);
  for (guint i = 0; i < max; i++)
    g_hash_table_add (
        kept, by_time->pdata[i < (max + 1) / 2 ? i : by_time->len - (max - i)]);
  for (guint i = 0; i < all->len; i++)
    if (g_hash_table_contains (kept, all->pdata[i]))
      all->pdata[n++] = all->pdata[i];
    else
      report_timestamp_free (all->pdata[i]);
  s->result->timestamps_dropped = all->len - n;
  /* Their elements are moved or freed already: only shorten. */
  g_ptr_array_set_free_func (all, NULL);
  g_ptr_array_set_size (all, n);
  g_ptr_array_set_free_func (all, (GDestroyNotify) report_timestamp_free);
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
  cap_timestamps (s);
  release_rule_text (s);
  g_free (s->folded);
  work_clear (s);
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
  Indicator *ind = indicator_get (s, "sha256", part->sha256, 0);

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
