/*
 * command.c - what the subcommands share: option parsing with the shared
 * option group (--as, --format, --json), the operator to record, the exit
 * code of an error, reading a message for a dry run.
 *
 * main.c holds the table of commands and opens what each needs; a
 * subcommand parses its own options here, so that every command spells
 * the same option the same way and prints its usage the same way.
 */
#include <errno.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "madoguchi/command.h"
#include "madoguchi/spool.h"

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

/* The shared options ctx->shared asks for, then the command's own. */
static GArray *
shared_entries (Context *ctx, const GOptionEntry *own)
{
  GArray *all = g_array_new (TRUE, TRUE, sizeof (GOptionEntry));
  const GOptionEntry as = {
    .long_name = "as",
    .arg = G_OPTION_ARG_STRING,
    .arg_data = &ctx->as,
    .description = "the operator to record (default: your user name, or "
                   "the one who ran sudo)",
    .arg_description = "NAME",
  };
  const GOptionEntry format[] = {
    { .long_name = "format",
      .arg = G_OPTION_ARG_STRING,
      .arg_data = &ctx->format_name,
      .description = "table (default), json or csv",
      .arg_description = "FORMAT" },
    { .long_name = "json",
      .arg = G_OPTION_ARG_NONE,
      .arg_data = &ctx->json,
      .description = "the same as --format json" },
  };

  if (ctx->shared & COMMAND_OPT_FORMAT)
    g_array_append_vals (all, format, G_N_ELEMENTS (format));
  for (; own != NULL && own->long_name != NULL; own++)
    g_array_append_val (all, *own);
  if (ctx->shared & COMMAND_OPT_AS)
    g_array_append_val (all, as);
  return all;
}

/* ctx->format from --format and --json; FALSE (and why) when they are
 * not one of the formats or disagree. */
static gboolean
resolve_format (Context *ctx, GError **error)
{
  static const char *const names[] = { "table", "json", "csv", NULL };
  const char *name = ctx->format_name;

  if (name == NULL)
    name = ctx->json ? "json" : "table";
  if (strcmp (name, "jsonl") == 0) /* export's name before 0.2 */
    name = "json";
  for (int i = 0; names[i] != NULL; i++)
    if (strcmp (name, names[i]) == 0)
      {
        ctx->format = (OutputFormat) i;
        if (!ctx->json || ctx->format == OUTPUT_FORMAT_JSON)
          return TRUE;
        g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                     "--json and --format %s conflict", name);
        return FALSE;
      }
  g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
               "--format is table, json or csv, not \"%s\"", name);
  return FALSE;
}

gboolean
context_parse (Context *ctx, const GOptionEntry *entries, int *argc,
               char ***argv)
{
  g_autoptr (GArray) all = shared_entries (ctx, entries);
  /* "" for a command without operands: GLib ends the usage line with a
   * space for it, and --help prints what it always printed. */
  g_autoptr (GOptionContext) octx
      = g_option_context_new (ctx->args != NULL ? ctx->args : "");
  g_autoptr (GError) error = NULL;

  g_option_context_set_summary (octx, ctx->help);
  g_option_context_add_main_entries (octx, (GOptionEntry *) all->data, NULL);
  if (g_option_context_parse (octx, argc, argv, &error)
      && resolve_format (ctx, &error))
    {
      /* Only for a command that records changes: deliver must not look
       * up users (glibc's NSS crashes when an allocation fails inside
       * getpwuid, which t160 does to deliver). */
      if (ctx->shared & COMMAND_OPT_AS)
        ctx->actor = ctx->as ? g_strdup (ctx->as) : command_invoking_user ();
      return TRUE;
    }
  fprintf (stderr, "madoguchi %s: %s\n", ctx->name, error->message);
  return FALSE;
}

/* The login of the audit uid the kernel keeps across su, sudo and
 * runuser, when it is set and is not uid; else NULL. */
static char *
login_user (uid_t uid)
{
  g_autofree char *text = NULL;
  struct passwd *pw;
  guint64 login;

  if (!g_file_get_contents ("/proc/self/loginuid", &text, NULL, NULL)
      || !g_ascii_string_to_unsigned (g_strstrip (text), 10, 0, G_MAXUINT32 - 1,
                                      &login, NULL)
      || (uid_t) login == uid)
    return NULL;
  pw = getpwuid ((uid_t) login);
  return pw ? g_strdup (pw->pw_name) : NULL;
}

/*
 * The person behind this run, for the audit trail: an operator who types
 * `sudo -u madoguchi madoguchi set ...` or works as root is the one who
 * changed the ticket, not "madoguchi" or "root".  sudo names them in
 * SUDO_USER; runuser and su name nobody, but the kernel's login uid
 * still does.  Neither is proof of identity (--as is free-form too):
 * this is the record of who did what, not access control.
 */
char *
command_invoking_user (void)
{
  const char *sudo_user = g_getenv ("SUDO_USER");
  uid_t uid = getuid ();
  struct passwd *pw = getpwuid (uid);
  char *login;

  if (sudo_user != NULL && *sudo_user != '\0')
    return g_strdup (sudo_user);
  login = login_user (uid);
  if (login != NULL)
    return login;
  return g_strdup (pw ? pw->pw_name : g_get_user_name ());
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
  IntakeSource source = { .id = "dry-run" };

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

/* Back to root, whom main left for the data directory's owner while
 * keeping root as the saved user ID (for command_write_file only). */
static gboolean
regain_root (uid_t *euid, gid_t *egid)
{
  uid_t ruid, suid;
  gid_t rgid, sgid;

  if (getresuid (&ruid, euid, &suid) != 0 || getresgid (&rgid, egid, &sgid) != 0
      || suid != 0 || *euid == 0)
    return FALSE;
  return seteuid (0) == 0 && setegid (0) == 0;
}

gboolean
command_write_file (Context *ctx, const char *path, const char *text,
                    GError **error)
{
  uid_t euid;
  gid_t egid;
  gboolean root = regain_root (&euid, &egid);
  mode_t mask = umask (ctx->umask);
  gboolean ok;

  ok = g_file_set_contents_full (path, text, -1,
                                 G_FILE_SET_CONTENTS_CONSISTENT
                                     | G_FILE_SET_CONTENTS_DURABLE,
                                 0666, error);
  umask (mask);
  if (root && (setegid (egid) != 0 || seteuid (euid) != 0))
    g_error ("cannot drop back to uid %u", (unsigned) euid);
  return ok;
}
