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
  g_autofree char *as = NULL;
  const GOptionEntry entries[] = {
    { "as", 0, 0, G_OPTION_ARG_STRING, &as,
      "the operator to record (default: your user name)", "NAME" },
    { NULL },
  };
  g_autoptr (GError) error = NULL;
  g_autoptr (Store) store = NULL;

  if (!command_parse ("merge", "NUMBER INTO", "Merges ticket NUMBER into "
                      "ticket INTO.", entries, &argc, &argv))
    return EX_USAGE;
  if (argc != 3)
    {
      fprintf (stderr, "usage: madoguchi merge NUMBER INTO\n");
      return EX_USAGE;
    }
  store = context_open_store (ctx, &error);
  if (store == NULL
      || !store_merge (store, argv[1], argv[2], as ? as : g_get_user_name (),
                       &error))
    return command_fail (error);
  return EX_OK;
}
