/*
 * cmd-init.c - `madoguchi init`: create the data directory, the spool and
 * the database.  The only command that creates the data directory, and
 * not as root (datadir.c: datadir_check); deliver creates the spool and the
 * database on first use, in a data directory that exists and is its own.
 */
#include <stdio.h>

#include "madoguchi/command.h"
#include "madoguchi/spool.h"

int
cmd_init (Context *ctx, int argc, char **argv)
{
  const GOptionEntry entries[] = { G_OPTION_ENTRY_NULL };
  g_autoptr (GError) error = NULL;
  g_autofree char *spool_dir = config_spool_dir (ctx->config);
  g_autofree char *db_path = config_db_path (ctx->config);
  g_autoptr (Store) store = NULL;

  if (!context_parse (ctx, entries, &argc, &argv))
    return EX_USAGE;
  if (!spool_ensure (spool_dir, &error))
    return command_fail (error);
  store = context_open_store (ctx, &error);
  if (store == NULL)
    return command_fail (error);
  printf ("database: %s\nspool:    %s\n", db_path, spool_dir);
  return EX_OK;
}
