/*
 * cmd-spool.c - `madoguchi spool run|list|retry`: the recovery side of
 * the durability protocol.
 *
 * `run` files every message waiting in spool/new/ (a delivery that could
 * not reach the database, or was killed after spooling); a message that
 * was already filed is recognised by its dedup key and only removed.
 * An entry that is not a spool file at all goes to spool/failed/.
 *
 * Each entry is filed by a child process of its own, under deliver's
 * watchdog (deliver_timeout): an entry that kills its process (an abort,
 * the OOM killer under a memory limit, a loop the watchdog stops) costs
 * that child only, and the entries after it are filed all the same.  It
 * is a poison entry: the attempt is counted (spool.h: per content, so
 * every MTA copy counts alike) before the child starts, so that even a
 * run killed whole counts it, and after SPOOL_MAX_ATTEMPTS it moves to
 * spool/quarantine/ with how its last attempt ended, for `spool list`
 * and `spool retry`.  Copies of a quarantined message are removed.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "madoguchi/command.h"
#include "madoguchi/csv.h"
#include "madoguchi/json.h"
#include "madoguchi/intake.h"
#include "madoguchi/log.h"
#include "madoguchi/spool.h"

#define SPOOL_TMP_MAX_AGE (36 * 60 * 60) /* Maildir's convention */

typedef struct
{
  Context *ctx;
  const char *dir;
  const RuleSet *rules;
  guint filed;
  guint left;
  guint quarantined;
} SpoolRun;

/* Files one entry; returns FALSE when it must stay for a later run. */
static gboolean
spool_run_one (const Intake *intake, const char *dir, const char *id)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (SpoolEntry) entry = spool_open (dir, id, &error);
  IntakeResult result = { 0 };
  gboolean ok;

  if (entry == NULL)
    {
      log_error ("%s: %s", id, error->message);
      return FALSE;
    }
  ok = intake_file (intake, entry, &result, &error);
  if (ok)
    printf ("%s: %s %s\n", id,
            result.filed.duplicate ? "already filed as" : "filed as",
            result.filed.number);
  else
    log_error ("%s: %s", id, error->message);
  intake_result_clear (&result);
  return ok;
}

/* The child: files id under the watchdog; exits 0 when filed, 75 when
 * it must wait.  SIGALRM's default action ends it (the parent reads
 * that), as deliver's watchdog ends a delivery. */
static G_GNUC_NORETURN void
spool_run_child (SpoolRun *run, const char *id)
{
  g_autoptr (GError) error = NULL;
  Store *store;
  Intake intake;
  gboolean ok = FALSE;
  sigset_t alrm;

  /* Whatever the caller left (cron or an MTA may pass SIGALRM ignored
   * or blocked), the watchdog must fire. */
  signal (SIGALRM, SIG_DFL);
  sigemptyset (&alrm);
  sigaddset (&alrm, SIGALRM);
  sigprocmask (SIG_UNBLOCK, &alrm, NULL);
  alarm ((unsigned) run->ctx->config->deliver_timeout);
  store = context_open_store (run->ctx, &error);
  if (store == NULL)
    log_error ("%s: %s", id, error->message);
  else
    {
      intake = (Intake){ run->ctx->config, run->rules, store,
                         g_get_user_name (), TRUE };
      ok = spool_run_one (&intake, run->dir, id);
      store_close (store);
    }
  fflush (stdout);
  _exit (ok ? EX_OK : EX_TEMPFAIL);
}

/* How a child that did not come back ended, for the record. */
static char *
spool_run_reason (const SpoolRun *run, int status)
{
  int sig;

  if (WIFEXITED (status))
    return g_strdup_printf ("exited with status %d", WEXITSTATUS (status));
  sig = WTERMSIG (status);
  if (sig == SIGALRM)
    return g_strdup_printf ("no result within deliver_timeout (%d s)",
                            (int) run->ctx->config->deliver_timeout);
  return g_strdup_printf ("killed by signal %d (%s)%s", sig, strsignal (sig),
                          sig == SIGKILL ? ": out of memory?" : "");
}

/* Runs the child for id; its wait status, or -1 when fork failed. */
static int
spool_run_fork (SpoolRun *run, const char *id)
{
  pid_t pid;
  int status;

  fflush (stdout);
  fflush (stderr);
  pid = fork ();
  if (pid < 0)
    {
      log_error ("%s: cannot fork: %s", id, g_strerror (errno));
      return -1;
    }
  if (pid == 0)
    spool_run_child (run, id);
  while (waitpid (pid, &status, 0) < 0)
    if (errno != EINTR)
      return -1;
  return status;
}

static void
spool_run_quarantine (SpoolRun *run, SpoolEntry *entry, const char *digest,
                      SpoolAttempts *a)
{
  g_autoptr (GError) error = NULL;

  if (!spool_quarantine (run->dir, entry, &error))
    {
      log_error ("%s: %s", entry->id, error->message);
      run->left++;
      return;
    }
  g_free (a->quarantined);
  a->quarantined = g_strdup (entry->id);
  if (!spool_attempts_save (run->dir, digest, a, &error))
    log_error ("%s: %s", entry->id, error->message);
  log_error ("%s: quarantined after %u attempts: %s", entry->id, a->attempts,
             a->reason ? a->reason : "?");
  printf ("%s: quarantined after %u attempts: %s\n", entry->id, a->attempts,
          a->reason ? a->reason : "?");
  run->quarantined++;
}

/* Another copy of a quarantined message: the quarantined one keeps its
 * bytes, this one goes.  TRUE when it was one. */
static gboolean
spool_run_copy (SpoolRun *run, SpoolEntry *entry, const char *digest,
                SpoolAttempts *a)
{
  g_autofree char *kept = NULL;
  g_autoptr (GError) error = NULL;

  if (a->quarantined == NULL)
    return FALSE;
  kept = g_build_filename (run->dir, "quarantine", a->quarantined, NULL);
  if (!g_file_test (kept, G_FILE_TEST_IS_REGULAR))
    return FALSE;
  if (!spool_done (run->dir, entry, FALSE, &error))
    {
      log_error ("%s: %s", entry->id, error->message);
      run->left++;
      return TRUE;
    }
  a->copies++;
  spool_attempts_save (run->dir, digest, a, NULL);
  printf ("%s: a copy of quarantined %s, removed\n", entry->id, a->quarantined);
  run->quarantined++;
  return TRUE;
}

/* What the child's end means for the entry and its record. */
static void
spool_run_after (SpoolRun *run, SpoolEntry *entry, const char *digest,
                 SpoolAttempts *before, int status)
{
  g_auto (SpoolAttempts) after = { 0 };

  if (status != -1 && WIFEXITED (status)
      && (WEXITSTATUS (status) == EX_OK || WEXITSTATUS (status) == EX_TEMPFAIL))
    {
      /* Came back: filed, or an ordinary failure (a locked database)
       * that is no poison. */
      if (WEXITSTATUS (status) == EX_OK || before->attempts == 0)
        spool_attempts_forget (run->dir, digest);
      else
        spool_attempts_save (run->dir, digest, before, NULL);
      *(WEXITSTATUS (status) == EX_OK ? &run->filed : &run->left) += 1;
      return;
    }
  if (status == -1)
    {
      run->left++;
      return;
    }
  after.attempts = before->attempts + 1;
  after.reason = spool_run_reason (run, status);
  log_error ("%s: attempt %u of %u: %s", entry->id, after.attempts,
             SPOOL_MAX_ATTEMPTS, after.reason);
  if (after.attempts >= SPOOL_MAX_ATTEMPTS)
    {
      spool_run_quarantine (run, entry, digest, &after);
      return;
    }
  spool_attempts_save (run->dir, digest, &after, NULL);
  run->left++;
}

/* An entry that cannot even be opened goes to failed/. */
static void
spool_run_unreadable (SpoolRun *run, const char *id, const GError *why)
{
  g_autoptr (SpoolEntry) bad = g_new0 (SpoolEntry, 1);
  g_autoptr (GError) error = NULL;

  log_error ("%s: %s; moved to failed/", id, why->message);
  bad->id = g_strdup (id);
  bad->path = g_build_filename (run->dir, "new", id, NULL);
  if (!spool_fail (run->dir, bad, &error))
    log_error ("%s: %s", id, error->message);
  run->left++;
}

static void
spool_run_entry (SpoolRun *run, const char *id)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (SpoolEntry) entry = spool_open (run->dir, id, &error);
  g_autofree char *digest = NULL;
  g_auto (SpoolAttempts) a = { 0 };
  g_auto (SpoolAttempts) pending = { 0 };

  if (entry == NULL)
    {
      spool_run_unreadable (run, id, error);
      return;
    }
  digest = spool_entry_digest (entry, &error);
  if (digest == NULL)
    {
      log_error ("%s: %s", id, error->message);
      run->left++;
      return;
    }
  spool_attempts_load (run->dir, digest, &a);
  if (spool_run_copy (run, entry, digest, &a))
    return;
  if (a.attempts >= SPOOL_MAX_ATTEMPTS)
    {
      spool_run_quarantine (run, entry, digest, &a);
      return;
    }
  /* Counted before it starts: should the whole run be killed by this
   * entry, the next run knows. */
  pending.attempts = a.attempts + 1;
  pending.reason = g_strdup ("the run ended during the attempt");
  if (!spool_attempts_save (run->dir, digest, &pending, &error))
    log_warn ("%s: %s", id, error->message);
  spool_run_after (run, entry, digest, &a, spool_run_fork (run, id));
}

static int
spool_run (Context *ctx, const char *dir)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (Store) store = NULL;
  g_autoptr (GPtrArray) ids = NULL;
  g_autoptr (RuleSet) rules = NULL;
  SpoolRun run = { .ctx = ctx, .dir = dir };

  if (spool_ensure (dir, &error))
    ids = spool_list (dir, "new", &error);
  if (ids == NULL)
    return command_fail (error);
  store = context_open_store (ctx, &error);
  if (store == NULL)
    {
      /* Everything stays spooled: a later run will do it. */
      command_fail (error);
      return EX_TEMPFAIL;
    }
  /* The children open their own: a SQLite connection must not cross a
   * fork. */
  g_clear_pointer (&store, store_close);
  rules = intake_load_rules (ctx->config);
  run.rules = rules;
  spool_clean_tmp (dir, SPOOL_TMP_MAX_AGE);
  for (guint i = 0; i < ids->len; i++)
    spool_run_entry (&run, ids->pdata[i]);
  printf ("%u filed, %u left in the spool", run.filed, run.left);
  if (run.quarantined > 0)
    printf (", %u quarantined", run.quarantined);
  printf ("\n");
  /* Deliveries leave their messages to wait for the search index. */
  store = context_open_store (ctx, &error);
  if (store == NULL || !store_index_waiting (store, &error))
    log_warn ("cannot bring the search index up to date: %s", error->message);
  return run.left ? EX_TEMPFAIL : EX_OK;
}

/* (transfer full) quarantined ID -> "N attempts, ...: REASON". */
static GHashTable *
spool_quarantine_reasons (const char *dir)
{
  GHashTable *why
      = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  g_autoptr (GPtrArray) digests = spool_list (dir, "attempts", NULL);

  for (guint i = 0; digests != NULL && i < digests->len; i++)
    {
      g_auto (SpoolAttempts) a = { 0 };

      spool_attempts_load (dir, digests->pdata[i], &a);
      if (a.quarantined == NULL)
        continue;
      g_hash_table_replace (why, g_strdup (a.quarantined),
                            g_strdup_printf ("%u attempts, %u copies "
                                             "removed: %s",
                                             a.attempts, a.copies,
                                             a.reason ? a.reason : "?"));
    }
  return why;
}

/* A line of `spool list`. */
typedef struct
{
  const char *state; /* new, failed, quarantine */
  const char *id;
  gint64 size;
  const char *sender; /* NULL: unknown */
  const char *reason; /* why it was quarantined, or NULL */
} SpoolRow;

/* One entry of `spool list`, as ctx->format asks (JSON: a member of the
 * array w holds). */
static void
spool_show_entry (Context *ctx, JsonWriter *w, CsvRecord *r, const SpoolRow *e)
{
  const char *sender = e->sender;
  const char *state = e->state;

  if (ctx->format == OUTPUT_FORMAT_JSON)
    {
      json_begin_object (w);
      json_member_string (w, "state", state);
      json_member_string (w, "id", e->id);
      json_member_int (w, "size", e->size);
      json_member_string (w, "sender", sender);
      json_member_string (w, "reason", e->reason);
      json_end_object (w);
      return;
    }
  if (ctx->format == OUTPUT_FORMAT_CSV)
    {
      csv_text (r, state);
      csv_text (r, e->id);
      csv_int (r, e->size);
      csv_text (r, sender);
      csv_text (r, e->reason);
      csv_end (r, stdout);
      return;
    }
  printf ("%-10s %s  %" G_GINT64_FORMAT " bytes  from=<%s>%s%s\n", state, e->id,
          e->size, sender ? sender : "?", e->reason ? "  " : "",
          e->reason ? e->reason : "");
}

/* What `spool list` goes through and writes to. */
typedef struct
{
  Context *ctx;
  const char *dir;
  GHashTable *why; /* id -> why it was quarantined */
  JsonWriter *w;
  CsvRecord *r;
} SpoolListing;

/* The entries of spool/SUB, each with why it was quarantined. */
static gboolean
spool_show_sub (const SpoolListing *l, const char *sub, GError **error)
{
  const char *dir = l->dir;
  g_autoptr (GPtrArray) ids = spool_list (dir, sub, error);

  if (ids == NULL)
    return FALSE;
  for (guint i = 0; i < ids->len; i++)
    {
      g_autofree char *path = g_build_filename (dir, sub, ids->pdata[i], NULL);
      g_autoptr (SpoolEntry) e = spool_open (dir, path, NULL);
      SpoolRow row = {
        .state = sub,
        .id = ids->pdata[i],
        .size = e ? e->size : 0,
        .sender = e ? e->sender : NULL,
        .reason = g_hash_table_lookup (l->why, ids->pdata[i]),
      };

      spool_show_entry (l->ctx, l->w, l->r, &row);
    }
  return TRUE;
}

static int
spool_show_list (Context *ctx, const char *dir)
{
  static const char *const subs[] = { "new", "failed", "quarantine" };
  g_autoptr (GError) error = NULL;
  g_autoptr (GHashTable) why = NULL;
  g_auto (CsvRecord) r;
  JsonWriter w;
  g_autofree char *text = NULL;

  if (!spool_ensure (dir, &error))
    return command_fail (error);
  why = spool_quarantine_reasons (dir);
  csv_init (&r);
  json_init (&w);
  json_begin_array (&w);
  if (ctx->format == OUTPUT_FORMAT_CSV)
    fputs ("state,id,size,sender,reason\n", stdout);
  else if (ctx->format == OUTPUT_FORMAT_TABLE)
    printf ("%-10s %s\n", "STATE", "ID  SIZE  SENDER  REASON");
  for (gsize s = 0; s < G_N_ELEMENTS (subs); s++)
    if (!spool_show_sub (
            &(SpoolListing){
                .ctx = ctx, .dir = dir, .why = why, .w = &w, .r = &r },
            subs[s], &error))
      return command_fail (error);
  json_end_array (&w);
  text = json_finish (&w);
  if (ctx->format == OUTPUT_FORMAT_JSON)
    printf ("%s\n", text);
  return EX_OK;
}

int
cmd_spool (Context *ctx, int argc, char **argv)
{
  const GOptionEntry entries[] = { { NULL } };
  g_autoptr (GError) error = NULL;
  g_autofree char *dir = config_spool_dir (ctx->config);

  if (!context_parse (ctx, entries, &argc, &argv))
    return EX_USAGE;
  if (argc == 2 && g_strcmp0 (argv[1], "list") == 0)
    return spool_show_list (ctx, dir);
  if (ctx->json || ctx->format_name != NULL)
    {
      fprintf (stderr, "madoguchi spool: only list takes --format\n");
      return EX_USAGE;
    }
  if (argc == 2 && g_strcmp0 (argv[1], "run") == 0)
    return spool_run (ctx, dir);
  if (argc >= 3 && g_strcmp0 (argv[1], "retry") == 0)
    {
      for (int i = 2; i < argc; i++)
        if (!spool_retry (dir, argv[i], &error))
          return command_fail (error);
      return EX_OK;
    }
  fprintf (stderr, "usage: madoguchi spool run|list|retry ID...\n");
  return EX_USAGE;
}
