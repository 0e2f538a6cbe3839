/*
 * command.h - what main() hands every subcommand, and the subcommands.
 *
 * Each subcommand is one src/cmd-NAME.c with its own GOptionEntry array;
 * it returns a <sysexits.h> code.
 */
#ifndef MADOGUCHI_COMMAND_H
#define MADOGUCHI_COMMAND_H

#include <glib.h>
#include <sysexits.h>

#include "madoguchi/config.h"
#include "madoguchi/intake.h"
#include "madoguchi/store.h"

typedef struct {
  Config *config;
  gboolean verbose;
  gboolean create_store;   /* init, or deliver in its own data directory */
} Context;

/* Opens the database of ctx; creates it only when ctx->create_store, and
 * otherwise fails (CONFIG_ERROR) if it is missing. */
Store *context_open_store (Context *ctx, GError **error);

/* The sysexits code for an error (notmuch's status_to_exit). */
int exit_status_from_error (const GError *error);

/*
 * Parses a subcommand's options; on failure prints the reason and
 * returns FALSE.  argv[0] is the subcommand name.
 */
gboolean command_parse (const char *name, const char *args,
                        const char *summary, const GOptionEntry *entries,
                        int *argc, char ***argv);

/* (transfer full) the bytes of FILE (read as needed when big), or of
 * standard input for "-". */
Raw *command_read_input (const char *path, GError **error);

/*
 * The dry run of `extract` and `classify`: the message of path ("-":
 * standard input) parsed, its evidence extracted and its category
 * decided, touching neither spool nor database.  *rules (transfer full)
 * are the rules used.  Returns (transfer full) the result.
 */
IntakePrepared *command_dry_run (Context *ctx, const char *path,
                                 RuleSet **rules, GError **error);

/* Prints "madoguchi: MESSAGE" to stderr and returns the exit code. */
int command_fail (const GError *error);

int cmd_deliver (Context *ctx, int argc, char **argv);
int cmd_init (Context *ctx, int argc, char **argv);
int cmd_list (Context *ctx, int argc, char **argv);
int cmd_show (Context *ctx, int argc, char **argv);
int cmd_spool (Context *ctx, int argc, char **argv);
int cmd_config (Context *ctx, int argc, char **argv);
int cmd_extract (Context *ctx, int argc, char **argv);
int cmd_rules (Context *ctx, int argc, char **argv);
int cmd_classify (Context *ctx, int argc, char **argv);
int cmd_set (Context *ctx, int argc, char **argv);
int cmd_outbox (Context *ctx, int argc, char **argv);
int cmd_stats (Context *ctx, int argc, char **argv);
int cmd_export (Context *ctx, int argc, char **argv);
int cmd_assign (Context *ctx, int argc, char **argv);
int cmd_comment (Context *ctx, int argc, char **argv);
int cmd_merge (Context *ctx, int argc, char **argv);
int cmd_import (Context *ctx, int argc, char **argv);
int cmd_incident (Context *ctx, int argc, char **argv);
int cmd_contacts (Context *ctx, int argc, char **argv);
int cmd_notify (Context *ctx, int argc, char **argv);
int cmd_notifications (Context *ctx, int argc, char **argv);

#endif
