/*
 * extract-match.c - what a rule's match becomes: an address, prefix or
 * range validated and normalised, a name checked against the known
 * top-level domains, a port, an event time, a log line, a named source;
 * counted into one indicator per kind and value.  Within a family a match
 * overlapping an earlier rule's is dropped (claim_span).
 */
#include <string.h>

#include "extract-private.h"

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
 * are appended and merged in once the rule is done (extract_merge_claims):
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

void
extract_merge_claims (Scan *s)
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

guint64
extract_order_of (const Scan *s, gsize offset)
{
  return ((guint64) s->source << 32) | offset;
}

Indicator *
extract_indicator_get (Scan *s, const char *kind, const char *value,
                       gsize offset)
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
  ind->order = extract_order_of (s, offset);
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

void
extract_indicator_add_port (Indicator *ind, guint16 port)
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
  RuleSlice group;

  if (!rules_group (rule, s->md, s->text, name, &group))
    return FALSE;
  *out = address_refang (group.text, group.len);
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

void
extract_address_count (Scan *s, AddressMatch *a, gsize start)
{
  Indicator *ind = extract_indicator_get (s, a->kind, a->value, start);

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
    extract_indicator_add_port (ind, (guint16) a->port);
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
  extract_address_count (s, &a, start);
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
  ind = extract_indicator_get (s, rules_kind_name (info->kind), value, start);
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

  if (!timestamp_from_match (
          &(TimestampMatch){ .rule = rule, .md = s->md, .subject = s->text },
          &s->ref, &utc, &assumed)
      || !claim_span (s, FAMILY_TIME, start, end))
    return;
  t = g_new0 (Timestamp, 1);
  t->utc = utc;
  t->original = g_strndup (s->text + start, end - start);
  t->rule = g_strdup (info->name);
  t->zone_assumed = assumed;
  t->part = s->part;
  t->line = line_of (s, start);
  t->order = extract_order_of (s, start);
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
void
extract_scan_rule (Scan *s, const Rule *rule)
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
