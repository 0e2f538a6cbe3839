/*
 * cmd-rules.c - `madoguchi rules check [DIR]`: every problem in the rule
 * files, with file, line, rule and reason (`postfix check`, `fdm -n`).
 * Intake skips a broken rule and goes on; this is where it is shown.
 * `madoguchi rules list [DIR]`: every rule with its pattern as PCRE2 is
 * given it, {defines} expanded, for a site tuning or testing its rules.
 */
#include <stdio.h>

#include "madoguchi/command.h"
#include "madoguchi/rules.h"

static guint
working_rules (const RuleSet *set)
{
  guint n = 0;

  for (guint i = 0; i < rules_count (set); i++)
    n += !rules_broken (rules_nth (set, i));
  return n;
}

/* The rules with no literal that every match holds: they are run on
 * every text, which a site tuning its rules for speed wants to know. */
static void
print_unfiltered (const RuleSet *set)
{
  for (guint i = 0; i < rules_count (set); i++)
    {
      const Rule *rule = rules_nth (set, i);
      const RuleInfo *info = rules_info (rule);

      if (info->pattern != NULL && !rules_broken (rule)
          && rules_runs_on_every_text (set, rule))
        printf ("note: rule %s (%s) has no literal that every match holds: "
                "it is run on every text\n",
                info->name, info->file);
    }
}

static int
rules_check (const char *dir)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (RuleSet) set = rules_load (dir, &error);
  const GPtrArray *problems;

  if (set == NULL)
    return command_fail (error);
  rules_compile_all (set);
  problems = rules_problems (set);
  for (guint i = 0; i < problems->len; i++)
    {
      const RuleProblem *p = problems->pdata[i];

      printf ("%s/%s:%d: %s%s%s\n", dir, p->file, p->line,
              p->rule ? "rule " : "", p->rule ? p->rule : "",
              p->rule ? ": " : "");
      printf ("  %s\n", p->message);
    }
  print_unfiltered (set);
  printf ("%s: %u rules, %u top-level domains, %u problem%s\n", dir,
          working_rules (set), rules_tld_count (set), problems->len,
          problems->len == 1 ? "" : "s");
  return problems->len ? EX_DATAERR : EX_OK;
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
  for (guint i = 0; i < rules_count (set); i++)
    {
      const RuleInfo *info = rules_info (rules_nth (set, i));

      printf ("%s\t%s\t%s\t%s\n", info->file, info->name,
              rules_kind_name (info->kind),
              info->pattern != NULL ? info->pattern : "-");
    }
  return EX_OK;
}

int
cmd_rules (Context *ctx, int argc, char **argv)
{
  const GOptionEntry entries[] = { G_OPTION_ENTRY_NULL };
  const char *dir;

  if (!context_parse (ctx, "check|list [DIR]",
                      "check: reports every "
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
