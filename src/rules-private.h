/*
 * rules-private.h - private to the rules module (src/rules*.c): how a
 * rule is compiled and run.  Only these files see PCRE2.
 */
#ifndef MADOGUCHI_RULES_PRIVATE_H
#define MADOGUCHI_RULES_PRIVATE_H

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "madoguchi/rules.h"

struct Rule
{
  RuleInfo info;     /* first: what the rule file says */
  guint index;       /* the pattern's number in the prefilter */
  gboolean borrowed; /* its strings lie in the set's cache file */
  pcre2_code *code;  /* compiled on first use, or NULL */
  gint jit;          /* code is compiled to machine code as well */
  /* The compiled pattern as the cache holds it (pcre2_serialize), inside
   * the set's mapped cache file; NULL when loaded from the rule files. */
  const guint8 *serialized;
  gsize serialized_len;
  guint64 serialized_hash;
  gint broken; /* the pattern failed to compile */
  /* For long ASCII texts: the pattern compiled without UTF (same
   * matches on ASCII, JIT code a third to two thirds faster), made on
   * first use; NULL until then, or when it cannot be (ascii_none). */
  pcre2_code *ascii_code;
  gint ascii_none;
  /* The number of each RuleGroup in code (<= 0: none), set before code
   * is: looking a name up at every match cost as much as reading it. */
  int group[RULE_GROUP_COUNT];
};

struct RuleSet
{
  char *dir;
  GPtrArray *rules;    /* of Rule, in file name then file order */
  GPtrArray *problems; /* of RuleProblem */
  GPtrArray *tlds;     /* lower-case top-level domains, sorted, each
                        * once; they point into tld_text */
  char *tld_text;
  pcre2_match_context *match_context;
  struct Prefilter *prefilter;
  GMutex lock;        /* taken to compile */
  GPtrArray *retired; /* codes replaced by a JIT-compiled copy */
  gboolean utf_only;  /* never the ASCII codes (to compare, in tests) */
  GMappedFile *cache; /* the cache file it was read from, or NULL */
  /* Called with each problem found after loading (a pattern that does
   * not compile), or NULL. */
  void (*on_problem) (const RuleSet *set, const RuleProblem *problem);
};

struct RuleMatch
{
  pcre2_match_data *md;
};

/* An empty set for the rules of dir, with the match limits. */
RuleSet *rules_set_new (const char *dir);

void rules_rule_free (gpointer rule);
/* Takes text, top-level domains in lower case one per line, as the
 * set's. */
void rules_set_tlds (RuleSet *set, char *text);
void rules_problem_free (gpointer problem);

/* Where a problem lies: file:line, and the rule (NULL: the file's). */
typedef struct
{
  const char *file;
  int line;
  const char *rule;
} RulePlace;

/* Records a problem at `at`. */
void rules_add_problem (RuleSet *set, RulePlace at, const char *fmt, ...)
    G_GNUC_PRINTF (3, 4);

/* FNV-1a over 64-bit words (and the tail bytes) of len bytes at p: the
 * check the cache keeps of each compiled pattern (rules-match.c reads
 * it back). */
guint64 rules_hash_bytes (const guint8 *p, gsize len);

/* The kind named text ("ipv4", ...) into *kind; FALSE if none is. */
gboolean rules_kind_parse (const char *text, RuleKind *kind);

/* Loads the rules of dir/name into set (rules-file.c); defines (name ->
 * expanded fragment) and names (rule names seen) span the files. */
void rules_load_file (RuleSet *set, const char *dir, const char *name,
                      GHashTable *defines, GHashTable *names);

/* The NAME.rules files of dir, sorted; NULL (and error) if unreadable. */
GPtrArray *rules_files (const char *dir, GError **error);

#endif
