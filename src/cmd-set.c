/*
 * cmd-set.c - `madoguchi set NUMBER --category CAT`: an operator's
 * decision, recorded with an audit event (who, when, old -> new).  The
 * rules' own decision and its reasons stay visible in `show`.
 */
#include <stdio.h>

#include "madoguchi/command.h"

int
cmd_set (Context *ctx, int argc, char **argv)
{
  g_autofree char *category = NULL;
  g_autofree char *as = NULL;
  const GOptionEntry entries[] = {
    { "category", 0, 0, G_OPTION_ARG_STRING, &category,
      "dos, ddos, spoofing, abuse, intrusion, scan or other", "CAT" },
    { "as", 0, 0, G_OPTION_ARG_STRING, &as,
      "the operator to record (default: your user name)", "NAME" },
    { NULL },
  };
  g_autoptr (GError) error = NULL;
  g_autoptr (Store) store = NULL;

  if (!command_parse ("set", "NUMBER --category CAT", "Changes a ticket.",
                      entries, &argc, &argv))
    return EX_USAGE;
  if (argc != 2 || category == NULL)
    {
      fprintf (stderr, "usage: madoguchi set NUMBER --category CAT\n");
      return EX_USAGE;
    }
  if (classify_category_index (category) < 0)
    {
      fprintf (stderr, "madoguchi set: \"%s\" is not a category (dos, ddos, "
               "spoofing, abuse, intrusion, scan, other)\n", category);
      return EX_USAGE;
    }
  store = context_open_store (ctx, &error);
  if (store == NULL
      || !store_set_category (store, argv[1], category,
                              as ? as : g_get_user_name (), &error))
    return command_fail (error);
  return EX_OK;
}
