/*
 * rules.h - the site's rules: rules/NAME.rules (GKeyFile) and rules/tlds.
 *
 * A rule file holds [define] fragments, referenced as {name} inside
 * patterns, and one [rule NAME] group per rule:
 *
 *   [rule syslog]
 *   kind = timestamp
 *   pattern = (?<mon>{month_name})\s+(?<day>\d{1,2}) ...
 *   assume_zone = report
 *
 * Classify rules add: category, weight, where (subject, body, attachment,
 * forwarded, log, header:NAME, part:TYPE, form:FIELD), negatable,
 * min_count and condition ("distinct_ports >= 20"); formfield rules a
 * field name.
 *
 * Patterns are PCRE2 with UTF and MULTILINE, matched under match and
 * depth limits.  Loading only reads them: a pattern is compiled (and
 * JIT'ed) the first time a text may match it (see RuleText), so a
 * process that files one report pays for the rules that report needs.
 * Values are taken raw: a backslash is the regex's, not GKeyFile's.  A
 * broken rule is skipped and recorded as a problem; it never stops
 * intake.  Only the rules module (src/rules*.c) sees PCRE2: the others
 * match through RuleText and RuleMatch below.
 */
#ifndef MADOGUCHI_RULES_H
#define MADOGUCHI_RULES_H

#include <glib.h>

#define RULES_ERROR (rules_error_quark ())
GQuark rules_error_quark (void);

typedef enum
{
  RULE_KIND_IPV4,
  RULE_KIND_IPV6,
  RULE_KIND_URL,
  RULE_KIND_EMAIL,
  RULE_KIND_DOMAIN,
  RULE_KIND_PORT,
  RULE_KIND_TIMESTAMP,
  RULE_KIND_LOGLINE,
  RULE_KIND_SOURCE, /* marks an address as the incident's source */
  /* The kinds from here on are not evidence; classify.c runs them. */
  RULE_KIND_CLASSIFY,  /* scores a category */
  RULE_KIND_NEGATION,  /* "not a ...": cancels classify matches near it */
  RULE_KIND_FORMFIELD, /* a label of the report form */
} RuleKind;

/* Where a classify rule looks (a set of these). */
typedef enum
{
  RULE_WHERE_SUBJECT = 1 << 0,
  RULE_WHERE_BODY = 1 << 1,       /* text parts that are not attachments */
  RULE_WHERE_ATTACHMENT = 1 << 2, /* text parts with a file name */
  RULE_WHERE_FORWARDED = 1 << 3,  /* parts of forwarded messages */
  RULE_WHERE_LOG = 1 << 4,        /* the log excerpts */
  RULE_WHERE_HEADER = 1 << 5,     /* the header named by where_arg */
  RULE_WHERE_PART = 1 << 6,       /* parts of the type named by where_arg */
  RULE_WHERE_FORM = 1 << 7,       /* the form field named by where_arg */
  RULE_WHERE_FEED = 1 << 8,       /* report types of CSV feeds, a line each */
} RuleWhere;

/* The named groups extraction reads (see rules/extract.rules). */
typedef enum
{
  RULE_GROUP_ADDR,
  RULE_GROUP_PREFIX,
  RULE_GROUP_END,
  RULE_GROUP_PORT,
  RULE_GROUP_EPOCH,
  RULE_GROUP_YEAR,
  RULE_GROUP_REIWA,
  RULE_GROUP_MONTH,
  RULE_GROUP_MON,
  RULE_GROUP_DAY,
  RULE_GROUP_HOUR,
  RULE_GROUP_MINUTE,
  RULE_GROUP_SECOND,
  RULE_GROUP_AMPM,
  RULE_GROUP_ZONE,
  RULE_GROUP_COUNT,
} RuleGroup;

/* What a classify condition counts. */
typedef enum
{
  RULE_METRIC_NONE,
  RULE_METRIC_DISTINCT_PORTS, /* most ports next to one address */
  RULE_METRIC_ADDRESSES,      /* distinct addresses */
  RULE_METRIC_LOG_LINES,      /* lines in log excerpts */
} RuleMetric;

/* What a rule file says of one rule: plain data, read by extract.c and
 * classify.c.  How the rule is compiled and run is the rules module's
 * own (src/rules-private.h). */
typedef struct
{
  char *name;
  char *file; /* base name of the rule file */
  RuleKind kind;
  char *pattern;         /* {defines} expanded; NULL: a condition only */
  gboolean zone_fixed;   /* timestamps: assume_zone names a zone */
  int zone_offset;       /* its offset, seconds east of UTC */
  GStrv file_extensions; /* domains: "x.zip" is a file, not a domain */
  /* classify: */
  char *category;
  int weight;
  guint where;        /* RuleWhere bits */
  char *where_arg;    /* header name, part type or form field */
  gboolean negatable; /* a nearby negation cancels a match */
  int min_count;      /* matches needed (default 1) */
  RuleMetric metric;  /* condition: metric >= threshold */
  gint64 threshold;
  /* formfield: */
  char *field;
} RuleInfo;

typedef struct
{
  char *file;
  int line;
  char *rule; /* rule name, or NULL */
  char *message;
} RuleProblem;

/* Both opaque: the compiled patterns, the scanning database, the cache
 * and the locks are the rules module's (src/rules-private.h). */
typedef struct Rule Rule;
typedef struct RuleSet RuleSet;

/*
 * Loads every NAME.rules file of dir and dir/tlds.  Problems in rules are
 * collected in the set, not returned as errors; error is set only when
 * dir itself cannot be read.  Returns (transfer full) the set.
 */
RuleSet *rules_load (const char *dir, GError **error);
/*
 * As rules_load, through the cache file cache (rules-cache.c): when no
 * rule file has changed since the cache was written, the set is read
 * from it instead of from the rule files; otherwise the files are loaded
 * and the cache written anew.  A cache that cannot be read or written is
 * ignored: it is only a speed-up.
 */
RuleSet *rules_load_cached (const char *dir, const char *cache, GError **error);

void rules_free (RuleSet *set);
/* Whether tld (lower case, no dot) is a known top-level domain. */
gboolean rules_known_tld (const RuleSet *set, const char *tld);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (RuleSet, rules_free)

/* The set's rules, in file name then file order: rules_count of them,
 * numbered from 0 (transfer none). */
guint rules_count (const RuleSet *set);
const Rule *rules_nth (const RuleSet *set, guint i);
/* What the rule file says of rule (transfer none). */
const RuleInfo *rules_info (const Rule *rule);
/* Whether rule's pattern failed to compile. */
gboolean rules_broken (const Rule *rule);
/* The problems found so far, of RuleProblem (transfer none). */
const GPtrArray *rules_problems (const RuleSet *set);
/* Whether long ASCII texts are searched as any other (never with the
 * patterns compiled without UTF): to compare the two, in tests. */
void rules_set_utf_only (RuleSet *set, gboolean utf_only);
/* The rule directory the set was loaded from (transfer none). */
const char *rules_dir (const RuleSet *set);
/* The number of known top-level domains. */
guint rules_tld_count (const RuleSet *set);
/* Calls on_problem with each problem found after loading (a pattern that
 * does not compile), or no one when NULL. */
void rules_set_on_problem (RuleSet *set,
                           void (*on_problem) (const RuleSet *set,
                                               const RuleProblem *problem));

/*
 * Compiles every pattern now, as `rules check` must, instead of on first
 * use.  Returns the number of problems it found.
 */
guint rules_compile_all (RuleSet *set);

/*
 * What one search found: the span of the match and its groups.  Made
 * once and reused for many searches (aborts when out of memory, as
 * g_malloc does).
 */
typedef struct RuleMatch RuleMatch;

RuleMatch *rules_match_new (void);
void rules_match_free (RuleMatch *m);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (RuleMatch, rules_match_free)

/* The bytes of the last match, start .. end of the subject. */
gsize rules_match_start (const RuleMatch *m);
gsize rules_match_end (const RuleMatch *m);

/* What a search returns. */
typedef enum
{
  RULES_LIMIT = -1,   /* a match, depth or heap limit was hit */
  RULES_NO_MATCH = 0, /* also for a broken rule */
  RULES_MATCH = 1,
} RulesResult;

/*
 * A text made ready for the rules: one pass over it (prefilter.h) finds
 * which rules may match it, and for the rules that cannot match across a
 * line end, which lines to search.  The text must outlive it.
 */
typedef struct RuleText RuleText;

RuleText *rules_text_new (const RuleSet *set, const char *text, gsize len);
void rules_text_free (RuleText *t);
/* Whether t was made from exactly these bytes (the same text, as long). */
gboolean rules_text_is (const RuleText *t, const char *text, gsize len);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (RuleText, rules_text_free)

/* Whether rule may match the text: if not, it need not be run. */
gboolean rules_text_candidate (const RuleText *t, const Rule *rule);

/*
 * The first match of rule in the text at or after offset, found like
 * rules_match, without searching where the rule cannot match.
 */
RulesResult rules_text_match (RuleText *t, const Rule *rule, gsize offset,
                              RuleMatch *match);

/* The same within the text's first `end` bytes (a rule that can match
 * across lines sees no further than end either). */
RulesResult rules_text_match_until (RuleText *t, const Rule *rule, gsize offset,
                                    gsize end, RuleMatch *match);

/*
 * Whether rule (a candidate) can only match within a line, so that its
 * matches in two parts of the text split at a line start are its
 * matches in the whole.  Also makes its lines ready: once it has been
 * asked for each rule to run, several threads may search t at once.
 */
gboolean rules_text_lines_only (RuleText *t, const Rule *rule);

/* Whether rule has no literal every match holds, so that it is run on
 * every text. */
gboolean rules_runs_on_every_text (const RuleSet *set, const Rule *rule);

/* The rule kind's name ("ipv4", "timestamp", ...). */
const char *rules_kind_name (RuleKind kind);

/* A stretch of text: len bytes from text. */
typedef struct
{
  const char *text;
  gsize len;
} RuleSlice;

/*
 * Matches rule against subject (UTF-8) from offset, under the set's
 * limits.  Safe to call from several threads on one set.
 */
RulesResult rules_match (const RuleSet *set, const Rule *rule,
                         const RuleSlice *subject, gsize offset,
                         RuleMatch *match);

/*
 * The text of the named group of the last match in m (of rule, on
 * subject), into *out.  FALSE when the pattern has no such group or it
 * is unset or empty.
 */
gboolean rules_group (const Rule *rule, const RuleMatch *m, const char *subject,
                      RuleGroup group, RuleSlice *out);

/* Parses a zone ("UTC", "JST", "+0900", "+09:00", "Z"); FALSE if none. */
gboolean rules_parse_zone (const char *text, gsize len, int *offset);

#endif
