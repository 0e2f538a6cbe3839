/*
 * cmd-classify.c - `madoguchi classify [FILE|-]`: the dry run of
 * classification on one message: the category, every category's score
 * and every rule that fired.  Touches neither the spool nor the database.
 */
#include <stdio.h>

#include "madoguchi/command.h"
#include "madoguchi/csv.h"
#include "madoguchi/intake.h"
#include "madoguchi/print.h"

static void
classify_print_json (const Classification *c)
{
  const char *const *names = report_categories ();
  JsonWriter w;
  g_autofree char *text = NULL;

  json_init (&w);
  json_begin_object (&w);
  json_member_string (&w, "category", c->category);
  json_key (&w, "scores");
  json_begin_object (&w);
  for (int i = 0; i < REPORT_CATEGORIES; i++)
    {
      json_key (&w, names[i]);
      json_int (&w, c->scores[i]);
    }
  json_end_object (&w);
  print_classification_json (&w, c->reasons, c->form);
  json_end_object (&w);
  text = json_finish (&w);
  printf ("%s\n", text);
}

static void
classify_print (const Classification *c)
{
  const char *const *names = report_categories ();

  print_classification (c->category, "rules", c->category, c->reasons, c->form);
  printf ("%-11s", "Scores");
  for (int i = 0; i < REPORT_CATEGORIES; i++)
    printf (" %s=%d", names[i], c->scores[i]);
  printf ("\n");
}

/* --format csv: one row a category, with its score; the chosen one
 * marked. */
static void
classify_print_csv (const Classification *c)
{
  const char *const *names = report_categories ();
  g_auto (CsvRecord) r;

  csv_init (&r);
  csv_text (&r, "category");
  csv_text (&r, "score");
  csv_text (&r, "chosen");
  csv_end (&r, stdout);
  for (int i = 0; i < REPORT_CATEGORIES; i++)
    {
      g_autofree char *score = g_strdup_printf ("%d", c->scores[i]);

      csv_text (&r, names[i]);
      csv_text (&r, score);
      csv_text (&r, g_strcmp0 (names[i], c->category) == 0 ? "yes" : "no");
      csv_end (&r, stdout);
    }
}

int
cmd_classify (Context *ctx, int argc, char **argv)
{
  const GOptionEntry entries[] = { G_OPTION_ENTRY_NULL };
  g_autoptr (GError) error = NULL;
  g_autoptr (RuleSet) rules = NULL;
  g_autoptr (IntakePrepared) p = NULL;

  if (!context_parse (ctx, entries, &argc, &argv))
    return EX_USAGE;
  p = command_dry_run (ctx, argc > 1 ? argv[1] : "-", &rules, &error);
  if (p == NULL)
    return command_fail (error);
  if (ctx->format == OUTPUT_FORMAT_JSON)
    classify_print_json (p->classification);
  else if (ctx->format == OUTPUT_FORMAT_CSV)
    classify_print_csv (p->classification);
  else
    classify_print (p->classification);
  return EX_OK;
}
