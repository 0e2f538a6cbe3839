/*
 * rules-private.h - private to the rule files' code (rules.c and
 * rules-cache.c): building a RuleSet piece by piece.
 */
#ifndef MADOGUCHI_RULES_PRIVATE_H
#define MADOGUCHI_RULES_PRIVATE_H

#include "madoguchi/rules.h"

/* An empty set for the rules of dir, with the match limits. */
RuleSet *rules_set_new (const char *dir);

void rules_rule_free (gpointer rule);
/* Takes text, top-level domains in lower case one per line, as the
 * set's. */
void rules_set_tlds (RuleSet *set, char *text);
void rules_problem_free (gpointer problem);

/* The rule's compiled pattern from the cache, or NULL (none, damaged, or
 * from another PCRE2): then it is compiled from its text. */
pcre2_code *rules_decode_serialized (const Rule *rule);

/* The NAME.rules files of dir, sorted; NULL (and error) if unreadable. */
GPtrArray *rules_files (const char *dir, GError **error);

#endif
