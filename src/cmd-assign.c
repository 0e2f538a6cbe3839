/*
 * cmd-assign.c - `madoguchi assign NUMBER --owner NAME | --unassign`:
 * who works the ticket, with an audit event.
 */
#include <stdio.h>

#include "madoguchi/command.h"

int
cmd_assign (Context *ctx, int argc, char **argv)
{
  g_autofree char *owner = NULL;
  gboolean unassign = FALSE;
  const GOptionEntry entries[] = {
    { "owner", 'o', 0, G_OPTION_ARG_STRING, &owner, "the new owner", "NAME" },
    { "unassign", 0, 0, G_OPTION_ARG_NONE, &unassign, "owned by nobody", NULL },
    G_OPTION_ENTRY_NULL,
  };
  g_autoptr (GError) error = NULL;

  if (!context_parse (ctx, entries, &argc, &argv))
    return EX_USAGE;
  if (argc != 2 || (owner == NULL) == !unassign
      || (owner != NULL && *owner == '\0'))
    {
      fprintf (stderr, "usage: madoguchi assign NUMBER --owner NAME | "
                       "--unassign\n");
      return EX_USAGE;
    }
  if (!store_set_owner (ctx->store, argv[1], owner, ctx->actor, &error))
    return command_fail (error);
  return EX_OK;
}
