/*
 * cmd-extract.c - `madoguchi extract [FILE|-]`: a dry run of parsing and
 * extraction on one message, touching neither the spool nor the
 * database.  For trying rules on a real report before deploying them.
 */
#include <stdio.h>
#include <time.h>

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
  json_key (&w, "subject");
  json_string (&w, m->subject);
  json_key (&w, "from");
  json_string (&w, m->from);
  json_key (&w, "date");
  json_string (&w, m->date);
  print_evidence_json (&w, rows, x->timestamps, x->excerpts);
  json_key (&w, "indicators_dropped");
  json_int (&w, x->dropped);
  json_key (&w, "limit_hit");
  json_bool (&w, x->limit_hit);
  json_end_object (&w);
  text = json_finish (&w);
  printf ("%s\n", text);
}

int
cmd_extract (Context *ctx, int argc, char **argv)
{
  gboolean json = FALSE;
  const GOptionEntry entries[] = {
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, "one JSON object", NULL },
    { NULL },
  };
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) raw = NULL;
  g_autoptr (RuleSet) rules = NULL;
  g_autoptr (Message) message = NULL;
  g_autoptr (Extraction) x = NULL;
  g_autoptr (GPtrArray) rows = NULL;
  MessageLimits limits = intake_limits (ctx->config);

  if (!command_parse ("extract", "[FILE|-]", "Shows what would be extracted "
                      "from one message, without filing it.", entries,
                      &argc, &argv))
    return EX_USAGE;
  raw = command_read_input (argc > 1 ? argv[1] : "-", &error);
  if (raw == NULL)
    return command_fail (error);
  rules = intake_load_rules (ctx->config);
  if (rules == NULL)
    return EX_CONFIG;
  message = message_parse (g_bytes_get_data (raw, NULL),
                           g_bytes_get_size (raw), &limits);
  x = intake_extract (ctx->config, rules, message, (gint64) time (NULL));
  rows = print_indicator_rows (x);
  if (json)
    extract_print_json (message, rows, x);
  else
    {
      printf ("Subject: %s\nFrom:    %s\nDate:    %s\n",
              message->subject ? message->subject : "",
              message->from ? message->from : "",
              message->date ? message->date : "");
      print_evidence (rows, x->timestamps, x->excerpts);
      if (x->dropped > 0 || x->limit_hit)
        printf ("\n(limits hit: %u indicators dropped)\n", x->dropped);
    }
  return EX_OK;
}
