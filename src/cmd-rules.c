/*
 * cmd-rules.c - `madoguchi rules check [DIR]`: every problem in the rule
 * files, with file, line, rule and reason (`postfix check`, `fdm -n`).
 * Intake skips a broken rule and goes on; this is where it is shown.
 * `madoguchi rules list [DIR]`: every rule with its pattern as PCRE2 is
 * given it, {defines} expanded, for a site tuning or testing its rules.
 */
#include <stdio.h>

#include "madoguchi/command.h"
#include "madoguchi/prefilter.h"
#include "madoguchi/rules.h"

static guint
working_rules (const RuleSet *set)
{
  guint n = 0;

  for (guint i = 0; i < set->rules->len; i++)
    n += !((const Rule *) set->rules->pdata[i])->broken;
  return n;
}

/* The rules with no literal that every match holds: they are run on
 * every text, which a site tuning its rules for speed wants to know. */
static void
print_unfiltered (const RuleSet *set)
{
  for (guint i = 0; i < set->rules->len; i++)
    {
      const Rule *rule = set->rules->pdata[i];
      gboolean line_local;

      if (rule->pattern != NULL && !rule->broken
          && prefilter_pattern_literals (set->prefilter, rule->index,
                                         &line_local) == NULL)
        printf ("note: rule %s (%s) has no literal that every match holds: "
                "it is run on every text\n", rule->name, rule->file);
    }
}

static int
rules_check (const char *dir)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (RuleSet) set = rules_load (dir, &error);

  if (set == NULL)
    return command_fail (error);
  rules_compile_all (set);
  for (guint i = 0; i < set->problems->len; i++)
    {
      const RuleProblem *p = set->problems->pdata[i];

      printf ("%s/%s:%d: %s%s%s\n", dir, p->file, p->line,
              p->rule ? "rule " : "", p->rule ? p->rule : "",
              p->rule ? ": " : "");
      printf ("  %s\n", p->message);
    }
  print_unfiltered (set);
  printf ("%s: %u rules, %u top-level domains, %u problem%s\n", dir,
          working_rules (set), set->tlds->len,
          set->problems->len, set->problems->len == 1 ? "" : "s");
  return set->problems->len ? EX_DATAERR : EX_OK;
}

/* One line a rule: file, name, kind and pattern, tab-separated; the
 * pattern is the rest of the line ("-" for a rule without one). */
static int
rules_list (const char *dir)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (RuleSet) set = rules_load (dir, &error);

  if (set == NULL)
    return command_fail (error);
  for (guint i = 0; i < set->rules->len; i++)
    {
      const Rule *rule = set->rules->pdata[i];

      printf ("%s\t%s\t%s\t%s\n", rule->file, rule->name,
              rules_kind_name (rule->kind),
              rule->pattern != NULL ? rule->pattern : "-");
    }
  return EX_OK;
}

int
cmd_rules (Context *ctx, int argc, char **argv)
{
  const GOptionEntry entries[] = { { NULL } };
  const char *dir;

  if (!command_parse ("rules", "check|list [DIR]", "check: reports every "
                      "problem in the rule files of DIR (default: "
                      "rules_dir).\nlist: prints every rule: file, name, "
                      "kind and pattern with its {defines} expanded.",
                      entries, &argc, &argv))
    return EX_USAGE;
  dir = argc == 3 ? argv[2] : ctx->config->rules_dir;
  if ((argc == 2 || argc == 3) && g_strcmp0 (argv[1], "check") == 0)
    return rules_check (dir);
  if ((argc == 2 || argc == 3) && g_strcmp0 (argv[1], "list") == 0)
    return rules_list (dir);
  fprintf (stderr, "usage: madoguchi rules check|list [DIR]\n");
  return EX_USAGE;
}
