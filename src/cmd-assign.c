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
  g_autofree char *as = NULL;
  gboolean unassign = FALSE;
  const GOptionEntry entries[] = {
    { "owner", 'o', 0, G_OPTION_ARG_STRING, &owner, "the new owner",
      "NAME" },
    { "unassign", 0, 0, G_OPTION_ARG_NONE, &unassign, "owned by nobody",
      NULL },
    { "as", 0, 0, G_OPTION_ARG_STRING, &as,
      "the operator to record (default: your user name)", "NAME" },
    { NULL },
  };
  g_autoptr (GError) error = NULL;
  g_autoptr (Store) store = NULL;

  if (!command_parse ("assign", "NUMBER --owner NAME | --unassign",
                      "Gives a ticket to an operator.", entries, &argc,
                      &argv))
    return EX_USAGE;
  if (argc != 2 || (owner == NULL) == !unassign
      || (owner != NULL && *owner == '\0'))
    {
      fprintf (stderr, "usage: madoguchi assign NUMBER --owner NAME | "
               "--unassign\n");
      return EX_USAGE;
    }
  store = context_open_store (ctx, &error);
  if (store == NULL
      || !store_set_owner (store, argv[1], owner,
                           as ? as : g_get_user_name (), &error))
    return command_fail (error);
  return EX_OK;
}
