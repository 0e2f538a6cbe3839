/*
 * cmd-outbox.c - `madoguchi outbox list|flush`: the acknowledgements that
 * have not gone out, and another try at sending them.
 */
#include <stdio.h>

#include "madoguchi/command.h"
#include "madoguchi/csv.h"
#include "madoguchi/json.h"
#include "madoguchi/outbox.h"
#include "madoguchi/output.h"
#include "madoguchi/print.h"

static void
outbox_table (GPtrArray *entries)
{
  printf ("%-6s %-11s %-16s %-9s %-8s  %s\n", "ID", "NUMBER", "CREATED",
          "STATE", "ATTEMPTS", "RECIPIENT");
  for (guint i = 0; i < entries->len; i++)
    {
      const StoreOutbox *e = entries->pdata[i];
      g_autofree char *created = output_time (e->created);
      g_autofree char *to = output_safe (e->recipient);
      g_autofree char *why = output_safe (e->last_error);

      printf ("%-6" G_GINT64_FORMAT " %-11s %-16s %-9s %-8d  %s%s%s\n", e->id,
              e->number, created, print_outbox_state (e), e->attempts, to,
              e->last_error ? "  " : "", why);
    }
}

static void
outbox_json (GPtrArray *entries)
{
  JsonWriter w;
  g_autofree char *text = NULL;

  json_init (&w);
  json_begin_array (&w);
  for (guint i = 0; i < entries->len; i++)
    {
      const StoreOutbox *e = entries->pdata[i];

      json_begin_object (&w);
      json_member_int (&w, "id", e->id);
      json_member_string (&w, "number", e->number);
      print_json_time (&w, "created", e->created);
      json_member_string (&w, "state", print_outbox_state (e));
      json_member_int (&w, "attempts", e->attempts);
      json_member_string (&w, "recipient", e->recipient);
      json_member_string (&w, "message_id", e->message_id);
      json_member_string (&w, "last_error", e->last_error);
      json_end_object (&w);
    }
  json_end_array (&w);
  text = json_finish (&w);
  printf ("%s\n", text);
}

static void
outbox_csv (GPtrArray *entries)
{
  g_auto (CsvRecord) r;

  csv_init (&r);
  fputs ("id,number,created,state,attempts,recipient,message_id,"
         "last_error\n",
         stdout);
  for (guint i = 0; i < entries->len; i++)
    {
      const StoreOutbox *e = entries->pdata[i];
      g_autofree char *id = g_strdup_printf ("%" G_GINT64_FORMAT, e->id);
      g_autofree char *created = output_time_iso (e->created);
      g_autofree char *attempts = g_strdup_printf ("%d", e->attempts);

      csv_text (&r, id);
      csv_text (&r, e->number);
      csv_text (&r, created);
      csv_text (&r, print_outbox_state (e));
      csv_text (&r, attempts);
      csv_text (&r, e->recipient);
      csv_text (&r, e->message_id);
      csv_text (&r, e->last_error);
      csv_end (&r, stdout);
    }
}

static int
outbox_list (Context *ctx, gboolean all)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) entries = store_outbox_list (ctx->store, all, &error);

  if (entries == NULL)
    return command_fail (error);
  if (ctx->format == OUTPUT_FORMAT_JSON)
    outbox_json (entries);
  else if (ctx->format == OUTPUT_FORMAT_CSV)
    outbox_csv (entries);
  else
    outbox_table (entries);
  return EX_OK;
}

static int
outbox_flush (Context *ctx, Store *store, gboolean stale)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) entries = store_outbox_list (store, FALSE, &error);
  guint sent = 0, failed = 0;

  if (entries == NULL)
    return command_fail (error);
  for (guint i = 0; i < entries->len; i++)
    {
      const StoreOutbox *e = entries->pdata[i];
      g_autoptr (GError) local = NULL;

      if (outbox_send (ctx->config, store, e->id, stale, &local))
        sent++;
      else if (local != NULL)
        {
          g_autofree char *to = output_safe (e->recipient);
          g_autofree char *why = output_safe (local->message);

          failed++;
          fprintf (stderr, "madoguchi: %s to %s: %s\n", e->number, to, why);
        }
    }
  printf ("%u sent, %u failed\n", sent, failed);
  return failed ? EX_TEMPFAIL : EX_OK;
}

int
cmd_outbox (Context *ctx, int argc, char **argv)
{
  gboolean all = FALSE;
  gboolean stale = FALSE;
  const GOptionEntry entries[] = {
    { "all", 'a', 0, G_OPTION_ARG_NONE, &all, "list: sent ones too", NULL },
    { "stale", 0, 0, G_OPTION_ARG_NONE, &stale,
      "flush: also resend those a crash left \"sending\" (check the mail "
      "log first: they may have gone out)",
      NULL },
    G_OPTION_ENTRY_NULL,
  };
  if (!context_parse (ctx, entries, &argc, &argv))
    return EX_USAGE;
  if (argc != 2
      || (g_strcmp0 (argv[1], "list") != 0
          && g_strcmp0 (argv[1], "flush") != 0))
    {
      fprintf (stderr, "usage: madoguchi outbox list|flush\n");
      return EX_USAGE;
    }
  if (g_strcmp0 (argv[1], "list") == 0)
    return outbox_list (ctx, all);
  return outbox_flush (ctx, ctx->store, stale);
}
