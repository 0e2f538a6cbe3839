/*
 * extract-private.h - private to the extract module (src/extract*.c):
 * the state of a scan over one source, shared by the files that run the
 * rules over it (extract.c), turn their matches into records
 * (extract-match.c), read the text as a person does and keep its log
 * lines (extract-text.c), and split a long source between two threads
 * (extract-split.c).
 */
#ifndef MADOGUCHI_EXTRACT_PRIVATE_H
#define MADOGUCHI_EXTRACT_PRIVATE_H

#include "madoguchi/extract.h"
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

typedef struct
{
  const char *kind;
  char *value;
  guint8 ip[16];
  guint8 ip_end[16];
  gboolean mapped;
  gint64 port;
} AddressMatch;

/* Which rules a pass over (part of) a source runs. */
typedef enum
{
  RULES_ALL,
  RULES_LINE_LOCAL, /* a split's halves: those within a line */
  RULES_OTHERS,     /* then, over the whole source, the others */
} RulesToRun;

/* extract.c: the sources, in order, and what runs over each. */
gboolean extract_rule_to_run (const Scan *s, const Rule *rule);
void extract_scan_rules (Scan *s, RulesToRun which);
void extract_work_init (Scan *s, const RuleSet *rules,
                        const ExtractOptions *options);
void extract_work_clear (Scan *s);

/* extract-match.c: what a rule's match becomes (indicators, times,
 * ports, log lines), and the claims that keep families apart. */
void extract_merge_claims (Scan *s);
guint64 extract_order_of (const Scan *s, gsize offset);
Indicator *extract_indicator_get (Scan *s, const char *kind, const char *value,
                                  gsize offset);
void extract_indicator_add_port (Indicator *ind, guint16 port);
void extract_address_count (Scan *s, AddressMatch *a, gsize start);
void extract_scan_rule (Scan *s, const Rule *rule);

/* extract-text.c: a source's text read as a person reads it (fullwidth
 * folded), its log lines as excerpts, CSV feeds, and the cap on times. */
gint extract_compare_hits (gconstpointer a, gconstpointer b);
void extract_find_excerpts (Scan *s);
gboolean extract_has_fullwidth (const char *text, gsize len);
char *extract_fold_fullwidth (const char *text, gsize len, gsize *out_len);
void extract_scan_feed (Scan *s);
void extract_cap_timestamps (Scan *s);

/* extract-split.c: a long source scanned by two threads, merged as one
 * scan would have found it. */
gboolean extract_scan_split (Scan *s);

#endif
