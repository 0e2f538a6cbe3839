/*
 * main.c - madoguchi's entry point: global options, the table of
 * subcommands (what each may find or create in the data directory is
 * datadir.c's), and the exit-code contract.
 *
 * `deliver` is run by an MTA, which bounces a report on any exit code but
 * 0 and 75 (EX_TEMPFAIL).  A bounced report is a lost report, so for
 * deliver every failure before the message is spooled, a bad config file
 * included, exits 75: the MTA keeps the mail and retries.
 */
#include <locale.h>
#include <malloc.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "madoguchi/command.h"
#include "madoguchi/intake.h"
#include "madoguchi/log.h"
#include "madoguchi/message.h"
#include "madoguchi/spool.h"

typedef struct
{
  const char *name;
  int (*run) (Context *ctx, int argc, char **argv);
  CommandMode mode;
  CommandOpt shared;   /* the shared options it takes (command.c) */
  const char *summary; /* its line in `madoguchi help` */
  const char *args;    /* its usage after "madoguchi NAME [OPTION...]" */
  const char *help;    /* what its --help says it does */
} Command;

static const Command commands[] = {
  { .name = "deliver",
    .run = cmd_deliver,
    .mode = CMD_MTA | CMD_DATA | CMD_CREATE_DB,
    .summary = "file one message from standard input (run by the MTA)",
    .help = "Reads one message from standard input and files it as a ticket." },
  /* init opens the store itself, once the data directory is made. */
  { .name = "init",
    .run = cmd_init,
    .mode = CMD_DATA | CMD_CREATE_DIR,
    .summary = "create the database and the spool",
    .help = "Creates the database and the spool." },
  { .name = "import",
    .run = cmd_import,
    .mode = CMD_WRITE,
    .shared = COMMAND_OPT_AS,
    .summary = "file a backlog: mbox files, Maildirs, folders of messages",
    .args = "PATH...",
    .help = "Files a backlog: mbox files, Maildirs or folders of messages." },
  { .name = "migrate",
    .run = cmd_migrate,
    .mode = CMD_READ,
    .summary = "copy the database into an empty one (SQLite, PostgreSQL)",
    .args = "--to TARGET",
    .help = "Copies the database into an empty one." },
  { .name = "list",
    .run = cmd_list,
    .mode = CMD_READ,
    .shared = COMMAND_OPT_FORMAT,
    .summary = "list tickets, newest first",
    .help = "Lists tickets, newest first." },
  { .name = "show",
    .run = cmd_show,
    .mode = CMD_READ,
    .shared = COMMAND_OPT_FORMAT,
    .summary = "show one ticket and its messages",
    .args = "NUMBER",
    .help = "Shows one ticket: as text, one JSON object, or CSV: the ticket's "
            "row as list prints it beside each indicator of its evidence." },
  { .name = "spool",
    .run = cmd_spool,
    .mode = CMD_DATA,
    .shared = COMMAND_OPT_FORMAT,
    .summary = "file what waits in the spool (run), list it, retry failed "
               "entries",
    .args = "run|list|retry ID...",
    .help = "run: file every message waiting in spool/new/.\nlist: show what "
            "waits in new/, failed/ and quarantine/ (with why).\nretry ID...: "
            "move failed/ID or quarantine/ID back to new/." },
  { .name = "extract",
    .run = cmd_extract,
    .mode = CMD_OPERATOR,
    .shared = COMMAND_OPT_FORMAT,
    .summary = "show what would be extracted from one message (a dry run)",
    .args = "[FILE|-]",
    .help = "Shows what would be extracted from one message, without filing "
            "it." },
  { .name = "classify",
    .run = cmd_classify,
    .mode = CMD_OPERATOR,
    .shared = COMMAND_OPT_FORMAT,
    .summary = "show the category one message would get, and why (a dry "
               "run)",
    .args = "[FILE|-]",
    .help = "Shows the category one message would get, and why, without "
            "filing it." },
  { .name = "set",
    .run = cmd_set,
    .mode = CMD_WRITE,
    .shared = COMMAND_OPT_AS,
    .summary = "change a ticket's --status or --category",
    .args = "NUMBER [--status S] [--category C]",
    .help = "Changes a ticket." },
  { .name = "assign",
    .run = cmd_assign,
    .mode = CMD_WRITE,
    .shared = COMMAND_OPT_AS,
    .summary = "give a ticket to an operator (--owner) or nobody "
               "(--unassign)",
    .args = "NUMBER --owner NAME | --unassign",
    .help = "Gives a ticket to an operator." },
  { .name = "comment",
    .run = cmd_comment,
    .mode = CMD_WRITE,
    .shared = COMMAND_OPT_AS,
    .summary = "add an internal note",
    .args = "NUMBER [TEXT]",
    .help = "Adds an internal note to a ticket (from TEXT, else $EDITOR)." },
  { .name = "merge",
    .run = cmd_merge,
    .mode = CMD_WRITE,
    .shared = COMMAND_OPT_AS,
    .summary = "merge one ticket into another",
    .args = "NUMBER INTO",
    .help = "Merges ticket NUMBER into ticket INTO." },
  { .name = "incident",
    .run = cmd_incident,
    .mode = CMD_WRITE,
    .shared = COMMAND_OPT_AS | COMMAND_OPT_FORMAT,
    .summary = "group reports into incidents: new, add, remove, show, "
               "list",
    .args = "new TITLE [NUMBER...] | add INCIDENT "
            "NUMBER... | remove NUMBER... | show INCIDENT | list",
    .help = "Groups reports (tickets) into incidents." },
  { .name = "rules",
    .run = cmd_rules,
    .mode = CMD_OPERATOR,
    .shared = COMMAND_OPT_FORMAT,
    .summary = "check or list the rule files",
    .args = "check|list [DIR]",
    .help = "check: reports every problem in the rule files of DIR (default: "
            "rules_dir).\nlist: prints every rule: file, name, kind and "
            "pattern with its {defines} expanded." },
  { .name = "outbox",
    .run = cmd_outbox,
    .mode = CMD_WRITE,
    .shared = COMMAND_OPT_FORMAT,
    .summary = "acknowledgements not sent yet (list), send them (flush)",
    .args = "list|flush",
    .help = "list: acknowledgements not sent yet.\nflush: try to send them "
            "again." },
  { .name = "stats",
    .run = cmd_stats,
    .mode = CMD_READ | CMD_CALLER_FILES,
    .shared = COMMAND_OPT_FORMAT,
    .summary = "reports and incidents per month, top sources, response "
               "times",
    .help = "Prints the statistics of a period." },
  { .name = "export",
    .run = cmd_export,
    .mode = CMD_READ,
    .shared = COMMAND_OPT_FORMAT,
    .summary = "write out tickets as JSON Lines, CSV or a table",
    .help = "Writes out tickets, oldest first: JSON Lines (the default, "
            "--format json), CSV or a table." },
  { .name = "config",
    .run = cmd_config,
    .mode = CMD_OPERATOR,
    .summary = "print the effective configuration",
    .help = "Prints the effective configuration." },
  { .name = "contacts",
    .run = cmd_contacts,
    .mode = CMD_WRITE,
    .shared = COMMAND_OPT_FORMAT,
    .summary = "the sites to notify: import a CSV, list, lookup, remove",
    .args = "import FILE | list | lookup WHAT | remove MATCH",
    .help = "The sites the team notifies: a CSV with the header "
            "match,name,email,language,pgp[,zone].\nlist and lookup print a "
            "table, JSON or CSV." },
  { .name = "notify",
    .run = cmd_notify,
    .mode = CMD_WRITE,
    .shared = COMMAND_OPT_AS | COMMAND_OPT_FORMAT,
    .summary = "tell the sites involved in a ticket (their evidence only)",
    .args = "NUMBER",
    .help = "Notifies the sites involved in a ticket, each about its own "
            "addresses." },
  { .name = "notifications",
    .run = cmd_notifications,
    .mode = CMD_READ,
    .shared = COMMAND_OPT_FORMAT,
    .summary = "notifications sent, and those still awaiting an answer",
    .help = "Lists the notifications that still await an answer (queued or "
            "sent)." },
};

static void
usage (FILE *out)
{
  fprintf (out, "usage: madoguchi [--config FILE] [-v] COMMAND [ARGS...]\n"
                "       madoguchi help [COMMAND]\n"
                "       madoguchi --version\n\n"
                "commands:\n");
  for (gsize i = 0; i < G_N_ELEMENTS (commands); i++)
    fprintf (out, "  %-13s %s\n", commands[i].name, commands[i].summary);
  fprintf (out, "\n'madoguchi help COMMAND' or 'madoguchi COMMAND --help' "
                "describes each command.\n");
}

static const Command *
command_find (const char *name)
{
  for (gsize i = 0; i < G_N_ELEMENTS (commands); i++)
    if (strcmp (commands[i].name, name) == 0)
      return &commands[i];
  return NULL;
}

/* Global options stop at the first word that is not one; -1: a word
 * that is none of them. */
static int
parse_globals (int argc, char **argv, const char **config_path,
               gboolean *verbose)
{
  int i = 1;

  while (i < argc && argv[i][0] == '-')
    {
      if ((strcmp (argv[i], "-c") == 0 || strcmp (argv[i], "--config") == 0)
          && i + 1 < argc)
        *config_path = argv[++i];
      else if (g_str_has_prefix (argv[i], "--config="))
        *config_path = argv[i] + strlen ("--config=");
      else if (strcmp (argv[i], "-v") == 0
               || strcmp (argv[i], "--verbose") == 0)
        *verbose = TRUE;
      else
        return -1;
      i++;
    }
  return i;
}

/* Whether a subcommand's arguments ask for its usage, which needs no data
 * directory (GOption's help options). */
static gboolean
asks_for_help (int argc, char **argv)
{
  for (int i = 1; i < argc && strcmp (argv[i], "--") != 0; i++)
    if (strcmp (argv[i], "-h") == 0 || strcmp (argv[i], "-?") == 0
        || g_str_has_prefix (argv[i], "--help"))
      return TRUE;
  return FALSE;
}

/* Opens the store for a command whose table entry reads or writes it,
 * once, for the command to use (notmuch's mode flags). */
static gboolean
open_store (const Command *cmd, Context *ctx, GError **error)
{
  if (!(cmd->mode & (CMD_READ & ~CMD_DATA))
      && !(cmd->mode & (CMD_WRITE & ~CMD_DATA)))
    return TRUE;
  ctx->store = context_open_store (ctx, error);
  return ctx->store != NULL;
}

static int
run_with (const Command *cmd, Context *ctx, int argc, char **argv)
{
  g_autoptr (GError) error = NULL;
  gboolean help = asks_for_help (argc, argv);

  if (!datadir_drop_to_owner (ctx->config, cmd->mode & CMD_CALLER_FILES, &error)
      || (!help && !datadir_check (cmd->mode, ctx, &error))
      || (!help && !open_store (cmd, ctx, &error)))
    {
      if (cmd->mode & CMD_MTA)
        {
          log_error ("%s", error->message);
          fprintf (stderr, "madoguchi: configuration error\n");
          return EX_TEMPFAIL;
        }
      return command_fail (error);
    }
  return cmd->run (ctx, argc, argv);
}

static int
run (const Command *cmd, const char *config_path, gboolean verbose, int argc,
     char **argv)
{
  g_autoptr (GError) error = NULL;
  Context ctx = {
    .verbose = verbose,
    .name = cmd->name,
    .args = cmd->args,
    .help = cmd->help,
    .shared = cmd->shared,
  };
  int status;

  /* Reports are confidential: files 0600, folders 0700.  The caller's
   * umask is kept for what the caller asked for (stats --svg). */
  ctx.umask = umask (077);
  ctx.config = config_load (config_path, &error);
  if (ctx.config == NULL && asks_for_help (argc, argv))
    ctx.config = config_new_defaults (); /* help needs no config */
  if (ctx.config == NULL)
    {
      if (!(cmd->mode & CMD_MTA))
        return command_fail (error);
      log_error ("%s", error->message);
      fprintf (stderr, "madoguchi: configuration error\n");
      return EX_TEMPFAIL;
    }
  status = run_with (cmd, &ctx, argc, argv);
  g_clear_pointer (&ctx.store, store_close);
  config_free (ctx.config);
  g_free (ctx.as);
  g_free (ctx.format_name);
  g_free (ctx.actor);
  return status;
}

/* `madoguchi help [COMMAND]`, `--help`, `--version`: on standard output,
 * exit 0.  -1: none of them. */
static int
help_or_version (int argc, char **argv, int first)
{
  const char *word = first < argc ? argv[first] : NULL;
  const Command *cmd;

  if (g_strcmp0 (word, "--version") == 0 || g_strcmp0 (word, "-V") == 0)
    {
      printf ("madoguchi %s\n", MADOGUCHI_VERSION);
      return EX_OK;
    }
  if (g_strcmp0 (word, "help") != 0 && g_strcmp0 (word, "--help") != 0
      && g_strcmp0 (word, "-h") != 0)
    return -1;
  if (first + 1 >= argc)
    {
      usage (stdout);
      return EX_OK;
    }
  cmd = command_find (argv[first + 1]);
  if (cmd != NULL)
    return -2; /* the command's own --help */
  fprintf (stderr, "madoguchi: unknown command \"%s\"\n", argv[first + 1]);
  usage (stderr);
  return EX_USAGE;
}

static int
start (const Command *cmd, const char *config_path, gboolean verbose, int argc,
       char **argv)
{
  g_autofree char *prgname = g_strconcat ("madoguchi ", cmd->name, NULL);

  /* GOption's usage line: "madoguchi NAME [OPTION...] ARGS". */
  g_set_prgname (prgname);
  log_open ((cmd->mode & CMD_MTA) && !verbose ? LOG_SINK_SYSLOG
                                              : LOG_SINK_STDERR,
            verbose);
  message_init ();
  return run (cmd, config_path, verbose, argc, argv);
}

int
main (int argc, char **argv)
{
  const char *config_path = NULL;
  gboolean verbose = FALSE;
  const Command *cmd;
  int first;
  int status;
  char *help_argv[3] = { NULL, (char *) "--help", NULL };

  setlocale (LC_ALL, "");
  /* A big report's text, decoded bytes and matches are megabytes each,
   * for a moment: such blocks get pages of their own, given back when
   * freed, instead of glibc raising this threshold after the first one
   * and keeping every later one in a heap that never shrinks (the 50 MB
   * report's peak RSS 63 -> 57 MB). */
  mallopt (M_MMAP_THRESHOLD, 256 * 1024);
  first = parse_globals (argc, argv, &config_path, &verbose);
  if (first < 0)
    first = 1; /* the word is --help, --version or wrong */
  status = help_or_version (argc, argv, first);
  if (status == -2)
    {
      help_argv[0] = argv[first + 1];
      return start (command_find (help_argv[0]), config_path, verbose, 2,
                    help_argv);
    }
  if (status >= 0)
    return status;
  cmd = first < argc ? command_find (argv[first]) : NULL;
  if (cmd == NULL)
    {
      if (first < argc && argv[first][0] != '-')
        fprintf (stderr, "madoguchi: unknown command \"%s\"\n", argv[first]);
      usage (stderr);
      return EX_USAGE;
    }
  return start (cmd, config_path, verbose, argc - first, argv + first);
}
