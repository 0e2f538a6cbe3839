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

typedef enum {
  CMD_OPERATOR = 0,
  CMD_MTA = 1 << 0,      /* run by an MTA: syslog, and tempfail on trouble */
  CMD_DATA = 1 << 1,     /* works on the database: it must be there... */
  CMD_CREATE_DB = 1 << 2,   /* ...or is created, in a data directory that
                             * exists and belongs to the user */
  CMD_CREATE_DIR = 1 << 3,  /* ...or is created, data directory and all */
} CommandMode;

typedef struct {
  const char *name;
  int (*run) (Context *ctx, int argc, char **argv);
  CommandMode mode;
  const char *summary;
} Command;

static const Command commands[] = {
  { "deliver", cmd_deliver, CMD_MTA | CMD_DATA | CMD_CREATE_DB,
    "file one message from standard input (run by the MTA)" },
  { "init", cmd_init, CMD_DATA | CMD_CREATE_DIR,
    "create the database and the spool" },
  { "import", cmd_import, CMD_DATA,
    "file a backlog: mbox files, Maildirs, folders of messages" },
  { "list", cmd_list, CMD_DATA, "list tickets, newest first" },
  { "show", cmd_show, CMD_DATA, "show one ticket and its messages" },
  { "spool", cmd_spool, CMD_DATA,
    "file what waits in the spool (run), list it, retry failed entries" },
  { "extract", cmd_extract, CMD_OPERATOR,
    "show what would be extracted from one message (a dry run)" },
  { "classify", cmd_classify, CMD_OPERATOR,
    "show the category one message would get, and why (a dry run)" },
  { "set", cmd_set, CMD_DATA,
    "change a ticket's --status or --category" },
  { "assign", cmd_assign, CMD_DATA,
    "give a ticket to an operator (--owner) or nobody (--unassign)" },
  { "comment", cmd_comment, CMD_DATA, "add an internal note" },
  { "merge", cmd_merge, CMD_DATA, "merge one ticket into another" },
  { "incident", cmd_incident, CMD_DATA,
    "group reports into incidents: new, add, remove, show, list" },
  { "rules", cmd_rules, CMD_OPERATOR, "check or list the rule files" },
  { "outbox", cmd_outbox, CMD_DATA,
    "acknowledgements not sent yet (list), send them (flush)" },
  { "stats", cmd_stats, CMD_DATA,
    "reports and incidents per month, top sources, response times" },
  { "export", cmd_export, CMD_DATA,
    "write out tickets as JSON Lines or CSV" },
  { "config", cmd_config, CMD_OPERATOR,
    "print the effective configuration" },
  { "contacts", cmd_contacts, CMD_DATA,
    "the sites to notify: import a CSV, list, lookup, remove" },
  { "notify", cmd_notify, CMD_DATA,
    "tell the sites involved in a ticket (their evidence only)" },
  { "notifications", cmd_notifications, CMD_DATA,
    "notifications sent, and those still awaiting an answer" },
};

/* The error for a data directory without a database. */
static gboolean
no_database (const char *data_dir, GError **error)
{
  g_set_error (error, CONFIG_ERROR, CONFIG_ERROR_VALUE,
               "no database in %s (check MADOGUCHI_HOME and data_dir); "
               "'madoguchi init' creates one", data_dir);
  return FALSE;
}

/* Whether path is missing (and not merely unreadable: the store's open
 * then says why). */
static gboolean
path_missing (const char *path)
{
  struct stat st;

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

int
exit_status_from_error (const GError *error)
{
  if (error == NULL)
    return EX_OK;
  if (error->domain == CONFIG_ERROR)
    return EX_CONFIG;
  if (error->domain == SPOOL_ERROR)
    return error->code == SPOOL_ERROR_NOSPACE ? EX_TEMPFAIL : EX_IOERR;
  if (error->domain == STORE_ERROR && error->code == STORE_ERROR_BUSY)
    return EX_TEMPFAIL;
  /* Not found: 1, with the reason on one line (not a sysexits case). */
  if (error->domain == STORE_ERROR && error->code == STORE_ERROR_NOT_FOUND)
    return 1;
  if (error->domain == STORE_ERROR)
    return EX_IOERR;
  if (error->domain == G_OPTION_ERROR)
    return EX_USAGE;
  /* An editor or other program that failed: a refused operation. */
  if (error->domain == G_SPAWN_ERROR || error->domain == G_SPAWN_EXIT_ERROR)
    return 1;
  return EX_SOFTWARE;
}

int
command_fail (const GError *error)
{
  fprintf (stderr, "madoguchi: %s\n", error->message);
  return exit_status_from_error (error);
}

gboolean
command_parse (const char *name, const char *args, const char *summary,
               const GOptionEntry *entries, int *argc, char ***argv)
{
  g_autofree char *usage = g_strdup_printf ("%s %s", name, args);
  g_autoptr (GOptionContext) octx = g_option_context_new (usage);
  g_autoptr (GError) error = NULL;

  g_option_context_set_summary (octx, summary);
  g_option_context_add_main_entries (octx, entries, NULL);
  if (g_option_context_parse (octx, argc, argv, &error))
    return TRUE;
  fprintf (stderr, "madoguchi %s: %s\n", name, error->message);
  return FALSE;
}

Raw *
command_read_input (const char *path, GError **error)
{
  g_autoptr (GIOChannel) in = NULL;
  g_autoptr (GBytes) bytes = NULL;
  char *data = NULL;
  gsize len = 0;

  if (g_strcmp0 (path, "-") != 0)
    return raw_open (path, 0, error);
  in = g_io_channel_unix_new (STDIN_FILENO);
  g_io_channel_set_encoding (in, NULL, NULL);
  if (g_io_channel_read_to_end (in, &data, &len, error) != G_IO_STATUS_NORMAL)
    return NULL;
  bytes = g_bytes_new_take (data, len);
  return raw_new_bytes (bytes);
}

IntakePrepared *
command_dry_run (Context *ctx, const char *path, RuleSet **rules,
                 GError **error)
{
  g_autoptr (Raw) raw = command_read_input (path, error);
  IntakeSource source = { "dry-run", NULL, NULL, 0, 0, 0 };

  if (raw == NULL)
    return NULL;
  *rules = intake_load_rules (ctx->config);
  if (*rules == NULL)
    {
      g_set_error (error, CONFIG_ERROR, CONFIG_ERROR_READ,
                   "%s: no rules to apply", ctx->config->rules_dir);
      return NULL;
    }
  source.size = source.kept = (gint64) raw_size (raw);
  return intake_prepare (ctx->config, *rules, raw, &source, error);
}

static void
usage (FILE *out)
{
  fprintf (out, "usage: madoguchi [-c FILE] [-v] COMMAND [ARGS...]\n\n"
                "commands:\n");
  for (gsize i = 0; i < G_N_ELEMENTS (commands); i++)
    fprintf (out, "  %-13s %s\n", commands[i].name, commands[i].summary);
  fprintf (out, "\n'madoguchi COMMAND --help' describes each command.\n");
}

static const Command *
command_find (const char *name)
{
  for (gsize i = 0; i < G_N_ELEMENTS (commands); i++)
    if (strcmp (commands[i].name, name) == 0)
      return &commands[i];
  return NULL;
}

/* Global options stop at the first word that is not one. */
static int
parse_globals (int argc, char **argv, const char **config_path,
               gboolean *verbose)
{
  int i = 1;

  while (i < argc && argv[i][0] == '-')
    {
      if (strcmp (argv[i], "-c") == 0 && i + 1 < argc)
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
 * open them.  Nothing madoguchi does needs root.
 */
static gboolean
drop_to_data_owner (const Config *config, GError **error)
{
  struct stat st;
  struct passwd *pw;

  if (geteuid () != 0 || stat (config->data_dir, &st) != 0 || st.st_uid == 0)
    return TRUE;
  pw = getpwuid (st.st_uid);
  if (setgid (st.st_gid) != 0
      || initgroups (pw ? pw->pw_name : "nobody", st.st_gid) != 0
      || setuid (st.st_uid) != 0)
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

  return pw ? g_strdup (pw->pw_name) : g_strdup_printf ("uid %u",
                                                        (unsigned) uid);
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
                 "data_dir); 'madoguchi init' creates it", dir);
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
  if (!path_missing (db))
    return TRUE;
  ctx->create_store = (cmd->mode & CMD_CREATE_DIR)
                      || ((cmd->mode & CMD_CREATE_DB)
                          && st.st_uid == geteuid ());
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
               "'madoguchi init'", dir, owner, self, self);
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

static int
run (const Command *cmd, const char *config_path, gboolean verbose,
     int argc, char **argv)
{
  g_autoptr (GError) error = NULL;
  Context ctx = { NULL, verbose, FALSE };
  int status;

  ctx.config = config_load (config_path, &error);
  if (ctx.config != NULL
      && (!drop_to_data_owner (ctx.config, &error)
          || (!asks_for_help (argc, argv)
              && !check_data_dir (cmd, &ctx, &error))))
    g_clear_pointer (&ctx.config, config_free);
  if (ctx.config == NULL)
    {
      if (cmd->mode & CMD_MTA)
        {
          log_error ("%s", error->message);
          fprintf (stderr, "madoguchi: configuration error\n");
          return EX_TEMPFAIL;
        }
      return command_fail (error);
    }
  status = cmd->run (&ctx, argc, argv);
  config_free (ctx.config);
  return status;
}

int
main (int argc, char **argv)
{
  const char *config_path = NULL;
  gboolean verbose = FALSE;
  const Command *cmd;
  int first;

  setlocale (LC_ALL, "");
  /* A big report's text, decoded bytes and matches are megabytes each,
   * for a moment: such blocks get pages of their own, given back when
   * freed, instead of glibc raising this threshold after the first one
   * and keeping every later one in a heap that never shrinks (the 50 MB
   * report's peak RSS 63 -> 57 MB). */
  mallopt (M_MMAP_THRESHOLD, 256 * 1024);
  umask (077);   /* reports are confidential: files 0600, folders 0700 */
  first = parse_globals (argc, argv, &config_path, &verbose);
  if (first < 0 || first >= argc)
    {
      usage (stderr);
      return EX_USAGE;
    }
  if (strcmp (argv[first], "help") == 0 || strcmp (argv[first], "--help") == 0)
    {
      usage (stdout);
      return EX_OK;
    }
  cmd = command_find (argv[first]);
  if (cmd == NULL)
    {
      fprintf (stderr, "madoguchi: unknown command \"%s\"\n", argv[first]);
      usage (stderr);
      return EX_USAGE;
    }
  log_open ((cmd->mode & CMD_MTA) && !verbose ? LOG_SINK_SYSLOG
                                              : LOG_SINK_STDERR, verbose);
  message_init ();
  return run (cmd, config_path, verbose, argc - first, argv + first);
}
