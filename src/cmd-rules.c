/*
 * cmd-rules.c - `madoguchi rules check [DIR]`: every problem in the rule
 * files, with file, line, rule and reason (`postfix check`, `fdm -n`).
 * Intake skips a broken rule and goes on; this is where it is shown.
 * `madoguchi rules list [DIR]`: every rule with its pattern as PCRE2 is
 * given it, {defines} expanded, for a site tuning or testing its rules.
 */
#include <stdio.h>

#include "madoguchi/command.h"
#include "madoguchi/csv.h"
#include "madoguchi/json.h"
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

static void
problems_json (const char *dir, const RuleSet *set, const GPtrArray *problems)
{
  JsonWriter w;
  g_autofree char *text = NULL;

  json_init (&w);
  json_begin_object (&w);
  json_member_string (&w, "dir", dir);
  json_member_int (&w, "rules", working_rules (set));
  json_member_int (&w, "top_level_domains", rules_tld_count (set));
  json_key (&w, "problems");
  json_begin_array (&w);
  for (guint i = 0; i < problems->len; i++)
    {
      const RuleProblem *p = problems->pdata[i];

      json_begin_object (&w);
      json_member_string (&w, "file", p->file);
      json_member_int (&w, "line", p->line);
      json_member_string (&w, "rule", p->rule);
      json_member_string (&w, "message", p->message);
      json_end_object (&w);
    }
  json_end_array (&w);
  json_end_object (&w);
  text = json_finish (&w);
  printf ("%s\n", text);
}

static void
problems_csv (const GPtrArray *problems)
{
  g_auto (CsvRecord) r;

  csv_init (&r);
  fputs ("file,line,rule,message\n", stdout);
  for (guint i = 0; i < problems->len; i++)
    {
      const RuleProblem *p = problems->pdata[i];

      csv_text (&r, p->file);
      csv_int (&r, p->line);
      csv_text (&r, p->rule);
      csv_text (&r, p->message);
      csv_end (&r, stdout);
    }
}

static void
problems_table (const char *dir, const RuleSet *set, const GPtrArray *problems)
{
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
}

static int
rules_check (OutputFormat format, const char *dir)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (RuleSet) set = rules_load (dir, &error);
  const GPtrArray *problems;

  if (set == NULL)
    return command_fail (error);
  rules_compile_all (set);
  problems = rules_problems (set);
  if (format == OUTPUT_FORMAT_JSON)
    problems_json (dir, set, problems);
  else if (format == OUTPUT_FORMAT_CSV)
    problems_csv (problems);
  else
    problems_table (dir, set, problems);
  return problems->len ? EX_DATAERR : EX_OK;
}

/* One a rule: file, name, kind and pattern (NULL: none).  The table is
 * tab-separated, the pattern the rest of the line ("-" for none). */
static void
rule_row (OutputFormat format, JsonWriter *w, CsvRecord *r,
          const RuleInfo *info)
{
  const char *kind = rules_kind_name (info->kind);

  if (format == OUTPUT_FORMAT_JSON)
    {
      json_begin_object (w);
      json_member_string (w, "file", info->file);
      json_member_string (w, "name", info->name);
      json_member_string (w, "kind", kind);
      json_member_string (w, "pattern", info->pattern);
      json_end_object (w);
    }
  else if (format == OUTPUT_FORMAT_CSV)
    {
      csv_text (r, info->file);
      csv_text (r, info->name);
      csv_text (r, kind);
      csv_text (r, info->pattern);
      csv_end (r, stdout);
    }
  else
    printf ("%s\t%s\t%s\t%s\n", info->file, info->name, kind,
            info->pattern != NULL ? info->pattern : "-");
}

static int
rules_list (OutputFormat format, const char *dir)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (RuleSet) set = rules_load (dir, &error);
  g_auto (CsvRecord) r;
  JsonWriter w;
  g_autofree char *text = NULL;

  if (set == NULL)
    return command_fail (error);
  csv_init (&r);
  json_init (&w);
  json_begin_array (&w);
  if (format == OUTPUT_FORMAT_CSV)
    fputs ("file,name,kind,pattern\n", stdout);
  for (guint i = 0; i < rules_count (set); i++)
    rule_row (format, &w, &r, rules_info (rules_nth (set, i)));
  json_end_array (&w);
  text = json_finish (&w);
  if (format == OUTPUT_FORMAT_JSON)
    printf ("%s\n", text);
  return EX_OK;
}

int
cmd_rules (Context *ctx, int argc, char **argv)
{
  const GOptionEntry entries[] = { G_OPTION_ENTRY_NULL };
  const char *dir;

  if (!context_parse (ctx, entries, &argc, &argv))
    return EX_USAGE;
  dir = argc == 3 ? argv[2] : ctx->config->rules_dir;
  if ((argc == 2 || argc == 3) && g_strcmp0 (argv[1], "check") == 0)
    return rules_check (ctx->format, dir);
  if ((argc == 2 || argc == 3) && g_strcmp0 (argv[1], "list") == 0)
    return rules_list (ctx->format, dir);
  fprintf (stderr, "usage: madoguchi rules check|list [--format F] [DIR]\n");
  return EX_USAGE;
}
