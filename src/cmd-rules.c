/*
 * cmd-rules.c - `madoguchi rules check [DIR]`: every problem in the rule
 * files, with file, line, rule and reason (`postfix check`, `fdm -n`).
 * Intake skips a broken rule and goes on; this is where it is shown.
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

int
cmd_rules (Context *ctx, int argc, char **argv)
{
  const GOptionEntry entries[] = { { NULL } };

  if (!command_parse ("rules", "check [DIR]", "check: reports every problem "
                      "in the rule files of DIR (default: rules_dir).",
                      entries, &argc, &argv))
    return EX_USAGE;
  if ((argc == 2 || argc == 3) && g_strcmp0 (argv[1], "check") == 0)
    return rules_check (argc == 3 ? argv[2] : ctx->config->rules_dir);
  fprintf (stderr, "usage: madoguchi rules check [DIR]\n");
  return EX_USAGE;
}
