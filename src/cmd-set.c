/*
 * cmd-set.c - `madoguchi set NUMBER --status S --category C`: an
 * operator's decisions, each recorded with an audit event (who, when,
 * old -> new).  The rules' category and its reasons stay visible.
 */
#include <stdio.h>

#include "madoguchi/command.h"

static const char *const statuses[] = {
  "new", "open", "stalled", "resolved", "rejected", NULL,
};

int
cmd_set (Context *ctx, int argc, char **argv)
{
  g_autofree char *category = NULL;
  g_autofree char *status = NULL;
  g_autofree char *as = NULL;
  const GOptionEntry entries[] = {
    { "category", 0, 0, G_OPTION_ARG_STRING, &category,
      "dos, ddos, spoofing, abuse, intrusion, scan or other", "CAT" },
    { "status", 0, 0, G_OPTION_ARG_STRING, &status,
      "new, open, stalled, resolved or rejected", "STATUS" },
    { "as", 0, 0, G_OPTION_ARG_STRING, &as,
      "the operator to record (default: your user name)", "NAME" },
    { NULL },
  };
  g_autoptr (GError) error = NULL;
  g_autoptr (Store) store = NULL;
  const char *who;

  if (!command_parse ("set", "NUMBER [--status S] [--category C]",
                      "Changes a ticket.", entries, &argc, &argv))
    return EX_USAGE;
  if (argc != 2 || (category == NULL && status == NULL)
      || (category != NULL && report_category_index (category) < 0)
      || (status != NULL && !g_strv_contains (statuses, status)))
    {
      fprintf (stderr, "usage: madoguchi set NUMBER [--status new|open|"
               "stalled|resolved|rejected] [--category dos|ddos|spoofing|"
               "abuse|intrusion|scan|other]\n");
      return EX_USAGE;
    }
  who = as ? as : g_get_user_name ();
  store = context_open_store (ctx, &error);
  if (store == NULL
      || (status != NULL
          && !store_set_status (store, argv[1], status, who, &error))
      || (category != NULL
          && !store_set_category (store, argv[1], category, who, &error)))
    return command_fail (error);
  return EX_OK;
}
