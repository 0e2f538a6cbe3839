/*
 * main.c - madoguchi's entry point: global options, the table of
 * subcommands, what each may find or create in the data directory, and
 * the exit-code contract.
 *
 * `deliver` is run by an MTA, which bounces a report on any exit code but
 * 0 and 75 (EX_TEMPFAIL).  A bounced report is a lost report, so for
 * deliver every failure before the message is spooled, a bad config file
 * included, exits 75: the MTA keeps the mail and retries.
 */
#include <errno.h>
#include <grp.h>
#include <locale.h>
#include <malloc.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "madoguchi/command.h"
#include "madoguchi/intake.h"
#include "madoguchi/log.h"
#include "madoguchi/message.h"
#include "madoguchi/spool.h"

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

/* The error for a data directory without a database. */
static gboolean
no_database (const char *data_dir, GError **error)
{
  g_set_error (error, CONFIG_ERROR, CONFIG_ERROR_VALUE,
               "no database in %s (check MADOGUCHI_HOME and data_dir); "
               "'madoguchi init' creates one",
               data_dir);
  return FALSE;
}

/* Whether path is missing (and not merely unreadable: the store's open
 * then says why). */
static gboolean
path_missing (const char *path)
{
  struct stat st;

  /* A PostgreSQL database is there or not as its server says; the
   * store creates the schema in an empty one. */
  if (store_is_uri (path))
    return FALSE;
  return lstat (path, &st) != 0 && errno == ENOENT;
}

Store *
context_open_store (Context *ctx, GError **error)
{
  g_autofree char *path = config_db_path (ctx->config);

  /* Checked before (check_data_dir); checked again here so that nothing
   * but init and deliver ever creates a database, whatever the path to
   * this call. */
  if (!ctx->create_store && path_missing (path))
    {
      no_database (ctx->config->data_dir, error);
      return NULL;
    }
  return store_open (path, (int) ctx->config->busy_timeout, error);
}

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

/*
 * As root, work as the owner of the data directory.  Otherwise a root
 * `madoguchi list` would create the database's -wal and -shm files owned
 * by root, and every later delivery (as the service user) would fail to
 * open them.  Nothing madoguchi does needs root, but writing a file
 * where root asked for it: keep_root keeps root as the saved user ID
 * for that.
 */
static gboolean
drop_to_data_owner (const Config *config, gboolean keep_root, GError **error)
{
  struct stat st;
  struct passwd *pw;
  uid_t saved;

  if (geteuid () != 0 || stat (config->data_dir, &st) != 0 || st.st_uid == 0)
    return TRUE;
  pw = getpwuid (st.st_uid);
  saved = keep_root ? 0 : st.st_uid;
  if (setresgid (st.st_gid, st.st_gid, keep_root ? 0 : st.st_gid) != 0
      || initgroups (pw ? pw->pw_name : "nobody", st.st_gid) != 0
      || setresuid (st.st_uid, st.st_uid, saved) != 0)
    {
      int errsv = errno;

      g_set_error (error, CONFIG_ERROR, CONFIG_ERROR_VALUE,
                   "cannot switch to uid %u, the owner of %s: %s",
                   (unsigned) st.st_uid, config->data_dir, g_strerror (errsv));
      return FALSE;
    }
  return TRUE;
}

/* The login of uid, for messages; else its number. */
static char *
user_name (uid_t uid)
{
  struct passwd *pw = getpwuid (uid);

  return pw ? g_strdup (pw->pw_name)
            : g_strdup_printf ("uid %u", (unsigned) uid);
}

/* check_data_dir's verdict on a data directory that stat cannot find. */
static gboolean
missing_data_dir (const Command *cmd, const char *dir, int errsv,
                  GError **error)
{
  if (errsv != ENOENT)
    g_set_error (error, CONFIG_ERROR, CONFIG_ERROR_VALUE,
                 "cannot use the data directory %s: %s", dir,
                 g_strerror (errsv));
  else if (geteuid () == 0)
    g_set_error (error, CONFIG_ERROR, CONFIG_ERROR_VALUE,
                 "no data directory %s, and root does not create it: it "
                 "must belong to the service user, the user the MTA runs "
                 "'madoguchi deliver' as; create it with 'install -d -o "
                 "SERVICE-USER -m 0700 %s', then run 'madoguchi init'",
                 dir, dir);
  else if (cmd->mode & CMD_CREATE_DIR)
    return TRUE;
  else
    g_set_error (error, CONFIG_ERROR, CONFIG_ERROR_VALUE,
                 "no data directory %s (check MADOGUCHI_HOME and "
                 "data_dir); 'madoguchi init' creates it",
                 dir);
  return FALSE;
}

/*
 * Whether cmd may go on with the data directory as it is, and whether it
 * may create the database there.  Root never creates the data directory:
 * a root-owned one locks the service user out for good, and only whoever
 * installs madoguchi knows who that user is.  A command finds the
 * database, or stops: a typo in MADOGUCHI_HOME must not leave an empty
 * database for an operator to look into, nor spool reports where nobody
 * looks.  init creates it; so does deliver, that a first delivery needs
 * no init, but only in a data directory of its own user (after
 * drop_to_data_owner, root's is its owner's) for root's reason.
 */
static gboolean
check_data_dir (const Command *cmd, Context *ctx, GError **error)
{
  const char *dir = ctx->config->data_dir;
  g_autofree char *db = config_db_path (ctx->config);
  g_autofree char *owner = NULL;
  g_autofree char *self = NULL;
  struct stat st;

  if (!(cmd->mode & CMD_DATA))
    return TRUE;
  if (stat (dir, &st) != 0)
    {
      ctx->create_store = missing_data_dir (cmd, dir, errno, error);
      return ctx->create_store;
    }
  /* On PostgreSQL what deliver would make in the data directory is the
   * spool, and the same rule holds for it. */
  if (store_is_uri (db))
    {
      g_free (db);
      db = config_spool_dir (ctx->config);
    }
  if (!path_missing (db))
    return TRUE;
  ctx->create_store
      = (cmd->mode & CMD_CREATE_DIR)
        || ((cmd->mode & CMD_CREATE_DB) && st.st_uid == geteuid ());
  if (ctx->create_store)
    return TRUE;
  if (!(cmd->mode & CMD_CREATE_DB))
    return no_database (dir, error);
  owner = user_name (st.st_uid);
  self = user_name (geteuid ());
  g_set_error (error, CONFIG_ERROR, CONFIG_ERROR_VALUE,
               "no database in %s, and deliver creates one only in a data "
               "directory of its own: this one belongs to %s, and deliver "
               "runs as %s; make %s its owner, or create the database with "
               "'madoguchi init'",
               dir, owner, self, self);
  return FALSE;
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

  if (!drop_to_data_owner (ctx->config, cmd->mode & CMD_CALLER_FILES, &error)
      || (!help && !check_data_dir (cmd, ctx, &error))
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
