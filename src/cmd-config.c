/*
 * cmd-config.c - `madoguchi config`: the effective configuration, after
 * the file, the defaults and $MADOGUCHI_HOME (as `postconf` shows it).
 */
#include <stdio.h>

#include "madoguchi/command.h"

int
cmd_config (Context *ctx, int argc, char **argv)
{
  const GOptionEntry entries[] = { G_OPTION_ENTRY_NULL };

  if (!context_parse (ctx, entries, &argc, &argv))
    return EX_USAGE;
  config_print (ctx->config, stdout);
  return EX_OK;
}
