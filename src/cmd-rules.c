/*
 * cmd-rules.c - `madoguchi rules check [DIR]`: every problem in the rule
 * files, with file, line, rule and reason (`postfix check`, `fdm -n`).
 * Intake skips a broken rule and goes on; this is where it is shown.
 */
#include <stdio.h>

#include "madoguchi/command.h"
#include "madoguchi/rules.h"

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
  printf ("%s: %u rules, %u top-level domains, %u problem%s\n", dir,
          set->rules->len, g_hash_table_size (set->tlds), set->problems->len,
          set->problems->len == 1 ? "" : "s");
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
