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
#include "madoguchi/report.h"
#include "madoguchi/rules.h"

typedef struct
{
  int min_score; /* below this the report is "other" */
} ClassifyOptions;

/* (transfer full) the category of message with its extraction. */
Classification *classify_run (const RuleSet *rules, const Message *message,
                              const Extraction *extraction,
                              const ClassifyOptions *options);

#endif
