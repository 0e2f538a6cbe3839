/*
 * cmd-migrate.c - `madoguchi migrate --to TARGET`: copies the configured
 * database into an empty one, SQLite to PostgreSQL or back (TARGET is a
 * postgresql:// URI or the path of an SQLite file).  A target that holds
 * anything is refused (EX_CANTCREAT) and left alone.
 */
#include <stdio.h>

#include "madoguchi/command.h"

int
cmd_migrate (Context *ctx, int argc, char **argv)
{
  g_autofree char *to = NULL;
  const GOptionEntry entries[]
      = { { "to", 0, 0, G_OPTION_ARG_STRING, &to,
            "the empty database to copy into: a postgresql:// URI or an "
            "SQLite file",
            "TARGET" },
          G_OPTION_ENTRY_NULL };
  g_autoptr (GError) error = NULL;
  g_autoptr (Store) target = NULL;

  if (!context_parse (ctx, entries, &argc, &argv))
    return EX_USAGE;
  if (to == NULL || argc > 1)
    {
      fprintf (stderr, "madoguchi migrate: usage: madoguchi migrate --to "
                       "TARGET\n");
      return EX_USAGE;
    }
  target = store_open (to, (int) ctx->config->busy_timeout, &error);
  if (target == NULL)
    return command_fail (error);
  if (!store_copy (ctx->store, target, &error))
    {
      fprintf (stderr, "madoguchi migrate: %s\n", error->message);
      return g_error_matches (error, STORE_ERROR, STORE_ERROR_NOT_EMPTY)
                 ? EX_CANTCREAT
                 : exit_status_from_error (error);
    }
  printf ("copied into %s\n", to);
  return EX_OK;
}
