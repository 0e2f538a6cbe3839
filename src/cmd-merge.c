/*
 * cmd-merge.c - `madoguchi merge NUMBER INTO`: two tickets about the same
 * report become one.  Messages, evidence and history move; the old
 * number still finds the merged ticket, also for follow-up mail.
 */
#include <stdio.h>

#include "madoguchi/command.h"

int
cmd_merge (Context *ctx, int argc, char **argv)
{
  const GOptionEntry entries[] = {
    G_OPTION_ENTRY_NULL,
  };
  g_autoptr (GError) error = NULL;

  if (!context_parse (ctx, entries, &argc, &argv))
    return EX_USAGE;
  if (argc != 3)
    {
      fprintf (stderr, "usage: madoguchi merge NUMBER INTO\n");
      return EX_USAGE;
    }
  if (!store_merge (ctx->store, argv[1], argv[2], ctx->actor, &error))
    return command_fail (error);
  return EX_OK;
}
