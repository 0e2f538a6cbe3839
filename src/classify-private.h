/*
 * classify-private.h - private to the classify module (src/classify*.c):
 * the state of one classification, shared by the files that score the
 * rules (classify.c), gather the texts each rule looks at
 * (classify-sources.c) and read a report form's fields (classify-form.c).
 */
#ifndef MADOGUCHI_CLASSIFY_PRIVATE_H
#define MADOGUCHI_CLASSIFY_PRIVATE_H

#include "madoguchi/classify.h"

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

typedef struct
{
  const char *where; /* for the reason */
  const char *text;
  gboolean passed_on; /* quoted, forwarded or a signature: weighs less */
} Source;

/*
 * The first CLASSIFY_TEXT_MAX bytes of text (cut at a character): what a
 * report is about shows at its start, and a 50 MB log attached need not
 * be searched for "flood" from end to end (extraction still reads it
 * whole, and the conditions on addresses, ports and log lines count all
 * of it).  Computed once per text.
 */
const char *classify_capped (Classify *c, const char *text);

/* The texts a rule looks at, each with the name of where it comes from. */
GArray *classify_rule_sources (Classify *c, const Rule *rule);

/* The report form's fields, when a body part carries enough labels. */
void classify_read_form (Classify *c);

/* text, ready for the rules (one prefilter pass per text for all, and
 * none for a text extraction has read already). */
RuleText *classify_rule_text (Classify *c, const char *text);

#endif
