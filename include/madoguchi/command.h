/*
 * command.h - what main() hands every subcommand, and the subcommands.
 *
 * Each subcommand is one src/cmd-NAME.c with its own GOptionEntry array;
 * it returns a <sysexits.h> code.  main.c's table says which shared
 * options a command takes and whether it reads or writes the store; main
 * opens the store once and hands it over in the Context.  The helpers
 * are in command.c.
 */
#ifndef MADOGUCHI_COMMAND_H
#define MADOGUCHI_COMMAND_H

#include <glib.h>
#include <sys/types.h>
#include <sysexits.h>

#include "madoguchi/config.h"
#include "madoguchi/intake.h"
#include "madoguchi/output.h"
#include "madoguchi/store.h"

/* The shared options a command takes (main.c's table). */
typedef enum
{
  COMMAND_OPT_AS = 1 << 0,     /* --as NAME: it records changes */
  COMMAND_OPT_FORMAT = 1 << 1, /* --format table|json|csv, --json */
} CommandOpt;

typedef struct
{
  Config *config;
  gboolean verbose;
  gboolean create_store; /* init, or deliver in its own data directory */
  const char *name;      /* the command's name */
  const char *args;      /* its usage after "madoguchi NAME [OPTION...]" */
  const char *help;      /* what its --help says it does */
  CommandOpt shared;     /* the shared options it takes */
  /* (transfer none) the store, opened by main for a command that reads
   * or writes it; NULL for the others and for deliver and spool, which
   * open it themselves (after spooling) */
  Store *store;
  /* Set by context_parse(): */
  char *as;            /* --as */
  char *format_name;   /* --format */
  gboolean json;       /* --json */
  OutputFormat format; /* what --format and --json ask for */
  mode_t umask;        /* the caller's, before main's 077 */
  char *actor;         /* who changes things, for a command that takes
                        * --as: --as, else the invoking user
                        * (command_invoking_user()); else NULL */
} Context;

/*
 * Parses a subcommand's options (entries), with the shared ones of
 * ctx->shared (--as, --format, --json) added, and fills the Context's
 * fields for them; its --help is ctx->args and ctx->help (main.c's
 * table).  On failure prints the reason and returns FALSE.
 */
gboolean context_parse (Context *ctx, const GOptionEntry *entries, int *argc,
                        char ***argv);

/*
 * Writes text to path for the person running madoguchi, not for the data
 * directory's owner: with their umask (a chart is for sharing, not a
 * report: 0644 under umask 022), and as root again when main dropped
 * from root to the data directory's owner, so that root's chart lands
 * in root's directory.  Temporary file, fsync, rename: a reader sees
 * the old file or the new one.
 */
gboolean command_write_file (Context *ctx, const char *path, const char *text,
                             GError **error);

/* (transfer full) the person running madoguchi, for the audit trail:
 * SUDO_USER under sudo, the login user under runuser or su, else the
 * user. */
char *command_invoking_user (void);

/* What a command of main.c's table may find or create in the data
 * directory, and how main runs it. */
typedef enum
{
  CMD_OPERATOR = 0,
  CMD_MTA = 1 << 0,        /* run by an MTA: syslog, and tempfail on trouble */
  CMD_DATA = 1 << 1,       /* works on the database: it must be there... */
  CMD_CREATE_DB = 1 << 2,  /* ...or is created, in a data directory that
                            * exists and belongs to the user */
  CMD_CREATE_DIR = 1 << 3, /* ...or is created, data directory and all */
  /* main opens the store for the command, which reads it or changes it.
   * deliver and spool are CMD_DATA without either: they open it
   * themselves, after the message is safe in the spool, so that a
   * broken database does not bounce a report. */
  CMD_READ = 1 << 4 | CMD_DATA,
  CMD_WRITE = 1 << 5 | CMD_DATA,
  /* As root, keeps root as the saved user ID when it works as the data
   * directory's owner, to write a file of the caller's where the caller
   * asked (command_write_file: stats --svg). */
  CMD_CALLER_FILES = 1 << 6,
} CommandMode;

/* Opens the database of ctx; creates it only when ctx->create_store, and
 * otherwise fails (CONFIG_ERROR) if it is missing. */
Store *context_open_store (Context *ctx, GError **error);

/* datadir.c: as root, become the owner of the data directory (keep_root:
 * with root kept as the saved user ID, to write a file where root asked
 * for it).  FALSE and CONFIG_ERROR when the switch fails. */
gboolean datadir_drop_to_owner (const Config *config, gboolean keep_root,
                                GError **error);

/* datadir.c: whether a command of that mode may go on with the data directory
 * as it is; sets ctx->create_store when it may create the database there. */
gboolean datadir_check (CommandMode mode, Context *ctx, GError **error);

/* The sysexits code for an error (notmuch's status_to_exit). */
int exit_status_from_error (const GError *error);

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
int cmd_migrate (Context *ctx, int argc, char **argv);
int cmd_incident (Context *ctx, int argc, char **argv);
int cmd_contacts (Context *ctx, int argc, char **argv);
int cmd_notify (Context *ctx, int argc, char **argv);
int cmd_notifications (Context *ctx, int argc, char **argv);

#endif
