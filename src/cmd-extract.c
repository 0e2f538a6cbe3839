/*
 * cmd-extract.c - `madoguchi extract [FILE|-]`: a dry run of parsing and
 * extraction on one message, touching neither the spool nor the
 * database.  For trying rules on a real report before deploying them.
 */
#include <stdio.h>

#include "madoguchi/command.h"
#include "madoguchi/intake.h"
#include "madoguchi/print.h"

static void
extract_print_json (const Message *m, GPtrArray *rows, const Extraction *x)
{
  JsonWriter w;
  g_autofree char *text = NULL;

  json_init (&w);
  json_begin_object (&w);
  json_member_string (&w, "subject", m->subject);
  json_member_string (&w, "from", m->from);
  json_member_string (&w, "date", m->date);
  print_evidence_json (&w, rows, x->timestamps, x->excerpts);
  json_member_int (&w, "indicators_dropped", x->dropped);
  json_member_int (&w, "timestamps_dropped", x->timestamps_dropped);
  json_member_bool (&w, "limit_hit", x->limit_hit);
  json_end_object (&w);
  text = json_finish (&w);
  printf ("%s\n", text);
}

int
cmd_extract (Context *ctx, int argc, char **argv)
{
  const GOptionEntry entries[] = { G_OPTION_ENTRY_NULL };
  g_autoptr (GError) error = NULL;
  g_autoptr (RuleSet) rules = NULL;
  g_autoptr (IntakePrepared) p = NULL;
  g_autoptr (GPtrArray) rows = NULL;
  const Message *message;
  const Extraction *x;

  if (!context_parse (ctx, entries, &argc, &argv))
    return EX_USAGE;
  p = command_dry_run (ctx, argc > 1 ? argv[1] : "-", &rules, &error);
  if (p == NULL)
    return command_fail (error);
  message = p->message;
  x = p->extraction;
  rows = print_indicator_rows (x);
  if (ctx->format == OUTPUT_FORMAT_JSON)
    extract_print_json (message, rows, x);
  else if (ctx->format == OUTPUT_FORMAT_CSV)
    print_indicators_csv (NULL, rows);
  else
    {
      print_headers (message->subject, message->from, message->date);
      print_evidence (rows, x->timestamps, x->excerpts);
      if (x->dropped > 0 || x->timestamps_dropped > 0 || x->limit_hit)
        printf ("\n(limits hit: %u indicators, %u event times dropped)\n",
                x->dropped, x->timestamps_dropped);
    }
  return EX_OK;
}
