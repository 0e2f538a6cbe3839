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
  const GOptionEntry entries[] = {
    { "category", 0, 0, G_OPTION_ARG_STRING, &category,
      "dos, ddos, spoofing, abuse, intrusion, scan or other", "CAT" },
    { "status", 0, 0, G_OPTION_ARG_STRING, &status,
      "new, open, stalled, resolved or rejected", "STATUS" },
    G_OPTION_ENTRY_NULL,
  };
  g_autoptr (GError) error = NULL;

  if (!context_parse (ctx, entries, &argc, &argv))
    return EX_USAGE;
  if (argc != 2 || (category == NULL && status == NULL)
      || (category != NULL && report_category_index (category) < 0)
      || (status != NULL && !g_strv_contains (statuses, status)))
    {
      fprintf (stderr,
               "usage: madoguchi set NUMBER [--status new|open|"
               "stalled|resolved|rejected] [--category dos|ddos|spoofing|"
               "abuse|intrusion|scan|other]\n");
      return EX_USAGE;
    }
  if ((status != NULL
       && !store_set_status (ctx->store, argv[1], status, ctx->actor, &error))
      || (category != NULL
          && !store_set_category (ctx->store, argv[1], category, ctx->actor,
                                  &error)))
    return command_fail (error);
  return EX_OK;
}
