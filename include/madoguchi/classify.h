/*
 * classify.h - the incident category of a report, from the classify
 * rules of rules/: keyword and log-evidence patterns in English and
 * Japanese, indicator conditions, ARF and X-ARF fields and the team's
 * report form.  Every decision keeps its reasons, so an operator sees
 * why; nothing is an opaque model.
 */
#ifndef MADOGUCHI_CLASSIFY_H
#define MADOGUCHI_CLASSIFY_H

#include <glib.h>

#include "madoguchi/extract.h"
#include "madoguchi/message.h"
#include "madoguchi/rules.h"

#define CLASSIFY_CATEGORIES 7

typedef struct {
  char *rule;
  const char *category;
  int score;
  char *where;          /* "subject", "body", "log", "form:incident_type"... */
  char *matched;        /* the text that matched, shortened */
} ClassifyReason;

typedef struct {
  char *name;           /* reporter_name, organization, incident_type ... */
  char *value;
} FormField;

typedef struct {
  const char *category;             /* the decision */
  int scores[CLASSIFY_CATEGORIES];  /* per rules_categories () */
  GPtrArray *reasons;               /* of ClassifyReason, best first */
  GPtrArray *form;                  /* of FormField; empty if not a form */
} Classification;

typedef struct {
  int min_score;        /* below this the report is "other" */
} ClassifyOptions;

/* (transfer full) the category of message with its extraction. */
Classification *classify_run (const RuleSet *rules, const Message *message,
                              const Extraction *extraction,
                              const ClassifyOptions *options);
void classify_free (Classification *classification);
void classify_reason_free (ClassifyReason *reason);
void classify_form_field_free (FormField *field);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (Classification, classify_free)

/* The index of category in rules_categories (), or -1. */
int classify_category_index (const char *category);

#endif
