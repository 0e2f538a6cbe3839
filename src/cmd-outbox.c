/*
 * cmd-outbox.c - `madoguchi outbox list|flush`: the acknowledgements that
 * have not gone out, and another try at sending them.
 */
#include <stdio.h>

#include "madoguchi/command.h"
#include "madoguchi/outbox.h"
#include "madoguchi/output.h"

static int
outbox_list (Store *store, gboolean all)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) entries = store_outbox_list (store, all, &error);

  if (entries == NULL)
    return command_fail (error);
  for (guint i = 0; i < entries->len; i++)
    {
      const StoreOutbox *e = entries->pdata[i];
      g_autofree char *created = output_time (e->created);
      g_autofree char *to = output_safe (e->recipient);
      g_autofree char *why = output_safe (e->last_error);

      printf ("%-6" G_GINT64_FORMAT " %-11s %-16s %-7s %d  %s%s%s\n", e->id,
              e->number, created, e->state, e->attempts, to,
              e->last_error ? "  " : "", why);
    }
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
      "log first: they may have gone out)", NULL },
    { NULL },
  };
  g_autoptr (GError) error = NULL;
  g_autoptr (Store) store = NULL;

  if (!command_parse ("outbox", "list|flush", "list: acknowledgements not "
                      "sent yet.\nflush: try to send them again.", entries,
                      &argc, &argv))
    return EX_USAGE;
  if (argc != 2 || (g_strcmp0 (argv[1], "list") != 0
                    && g_strcmp0 (argv[1], "flush") != 0))
    {
      fprintf (stderr, "usage: madoguchi outbox list|flush\n");
      return EX_USAGE;
    }
  store = context_open_store (ctx, &error);
  if (store == NULL)
    return command_fail (error);
  if (g_strcmp0 (argv[1], "list") == 0)
    return outbox_list (store, all);
  return outbox_flush (ctx, store, stale);
}
