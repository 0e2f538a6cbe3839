/*
 * cmd-import.c - `madoguchi import PATH...`: a backlog (mbox files,
 * Maildirs, folders of .eml files) filed in-process by the same pipeline
 * as deliver, with the same dedup, without acknowledgements unless
 * asked.  Parsing, extraction and classification run on every core; the
 * store files the results in input order, many per transaction, and
 * records how far each source got, so an interrupted import resumes.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "madoguchi/command.h"
#include "madoguchi/intake.h"

#define IMPORT_BATCH 500     /* messages per transaction */
#define IMPORT_WINDOW 64     /* messages prepared ahead of the store */

typedef struct {
  guint seq;
  GBytes *raw;
  char *id;
} Job;

typedef struct {
  const Config *config;
  const RuleSet *rules;
  GMutex lock;
  GCond ready;
  GHashTable *prepared;     /* seq -> IntakePrepared */
} Pipeline;

typedef struct {
  guint filed;
  guint duplicates;
  guint failed;
  guint skipped;
  gint64 started;           /* monotonic microseconds */
  gboolean progress;        /* a progress line on a terminal */
} Tally;

static void
prepare_job (gpointer data, gpointer user_data)
{
  Job *job = data;
  Pipeline *pipe = user_data;
  IntakeSource source = { job->id, NULL, NULL, 0,
                          (gint64) g_bytes_get_size (job->raw),
                          (gint64) g_bytes_get_size (job->raw) };
  g_autoptr (Raw) raw = raw_new_bytes (job->raw);
  /* A message in memory is always readable: this never fails. */
  IntakePrepared *p = intake_prepare (pipe->config, pipe->rules, raw,
                                      &source, NULL);

  g_mutex_lock (&pipe->lock);
  g_hash_table_insert (pipe->prepared, GUINT_TO_POINTER (job->seq), p);
  g_cond_broadcast (&pipe->ready);
  g_mutex_unlock (&pipe->lock);
  g_bytes_unref (job->raw);
  g_free (job->id);
  g_free (job);
}

static IntakePrepared *
wait_prepared (Pipeline *pipe, guint seq)
{
  IntakePrepared *p;

  g_mutex_lock (&pipe->lock);
  while (!g_hash_table_steal_extended (pipe->prepared,
                                       GUINT_TO_POINTER (seq), NULL,
                                       (gpointer *) &p))
    g_cond_wait (&pipe->ready, &pipe->lock);
  g_mutex_unlock (&pipe->lock);
  return p;
}

/* Splits an mbox on its "From " lines (mboxo/mboxrd). */
static void
split_mbox (GBytes *all, GPtrArray *messages)
{
  gsize len;
  const char *data = g_bytes_get_data (all, &len);
  gsize start = 0;

  for (gsize i = 0; i + 5 <= len; i++)
    if ((i == 0 || data[i - 1] == '\n') && memcmp (data + i, "From ", 5) == 0
        && i > start)
      {
        g_ptr_array_add (messages, g_bytes_new_from_bytes (all, start,
                                                           i - start));
        start = i;
      }
  if (start < len)
    g_ptr_array_add (messages, g_bytes_new_from_bytes (all, start,
                                                       len - start));
}

static gint
compare_names (gconstpointer a, gconstpointer b)
{
  return strcmp (*(char *const *) a, *(char *const *) b);
}

/* The regular files of dir, sorted by name. */
static void
list_files (const char *dir, GPtrArray *paths)
{
  g_autoptr (GDir) d = g_dir_open (dir, 0, NULL);
  g_autoptr (GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  const char *name;

  while (d != NULL && (name = g_dir_read_name (d)) != NULL)
    if (name[0] != '.')
      g_ptr_array_add (names, g_build_filename (dir, name, NULL));
  g_ptr_array_sort (names, compare_names);
  for (guint i = 0; i < names->len; i++)
    if (g_file_test (names->pdata[i], G_FILE_TEST_IS_REGULAR))
      g_ptr_array_add (paths, g_strdup (names->pdata[i]));
}

/* The messages of path: an mbox, one message, a Maildir or a folder. */
static GPtrArray *
read_source (const char *path, GError **error)
{
  GPtrArray *messages = g_ptr_array_new_with_free_func (
    (GDestroyNotify) g_bytes_unref);
  g_autoptr (GPtrArray) files = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *cur = g_build_filename (path, "cur", NULL);
  g_autofree char *new_dir = g_build_filename (path, "new", NULL);

  if (g_file_test (path, G_FILE_TEST_IS_DIR))
    {
      list_files (cur, files);
      list_files (new_dir, files);
      list_files (path, files);
    }
  else
    g_ptr_array_add (files, g_strdup (path));
  for (guint i = 0; i < files->len; i++)
    {
      g_autoptr (GMappedFile) map = g_mapped_file_new (files->pdata[i], FALSE,
                                                       error);
      g_autoptr (GBytes) all = NULL;

      if (map == NULL)
        {
          g_ptr_array_unref (messages);
          return NULL;
        }
      all = g_mapped_file_get_bytes (map);
      if (g_bytes_get_size (all) >= 5
          && memcmp (g_bytes_get_data (all, NULL), "From ", 5) == 0)
        split_mbox (all, messages);
      else
        g_ptr_array_add (messages, g_bytes_ref (all));
    }
  return messages;
}

static void
show_progress (const Tally *t, guint done, guint total)
{
  double seconds = (g_get_monotonic_time () - t->started) / 1e6;

  if (!t->progress)
    return;
  fprintf (stderr, "\r  %u/%u  %.0f/s  ", done, total,
           seconds > 0 ? (t->filed + t->duplicates) / seconds : 0.0);
  fflush (stderr);
}

static void
count_result (Tally *t, gboolean ok, const IntakeResult *r, const char *id,
              const GError *error)
{
  if (!ok)
    {
      t->failed++;
      fprintf (stderr, "madoguchi import: %s: %s\n", id, error->message);
    }
  else if (r->filed.duplicate)
    t->duplicates++;
  else
    t->filed++;
}

/* Commits the batch with the source's progress, and opens the next. */
static gboolean
checkpoint (Store *store, const char *source, guint done, gboolean again,
            GError **error)
{
  return store_import_advance (store, source, done, error)
         && store_batch_commit (store, error)
         && (!again || store_batch_begin (store, error));
}

static void
submit (GThreadPool *pool, GPtrArray *messages, const char *path, guint seq)
{
  Job *job = g_new0 (Job, 1);

  job->seq = seq;
  job->raw = g_bytes_ref (messages->pdata[seq]);
  job->id = g_strdup_printf ("import:%s#%u", path, seq + 1);
  g_thread_pool_push (pool, job, NULL);
}

static gboolean
import_source (const Intake *intake, GThreadPool *pool, Pipeline *pipe,
               const char *path, Tally *t, GError **error)
{
  g_autofree char *source = g_canonicalize_filename (path, NULL);
  g_autoptr (GPtrArray) messages = read_source (path, error);
  gint64 start = messages ? store_import_done (intake->store, source, error)
                          : -1;
  guint next = start > 0 ? (guint) start : 0;
  guint stored = next;

  if (start < 0 || !store_batch_begin (intake->store, error))
    return FALSE;
  t->skipped += next;
  while (stored < messages->len)
    {
      g_autoptr (IntakePrepared) p = NULL;
      g_autoptr (GError) local = NULL;
      IntakeResult r = { 0 };

      for (; next < messages->len && next - stored < IMPORT_WINDOW; next++)
        submit (pool, messages, path, next);
      p = wait_prepared (pipe, stored);
      count_result (t, intake_store (intake, p, &r, &local), &r,
                    p->source_id, local);
      intake_result_clear (&r);
      stored++;
      if (stored % IMPORT_BATCH == 0)
        {
          if (!checkpoint (intake->store, source, stored, TRUE, error))
            return FALSE;
          show_progress (t, stored, messages->len);
        }
    }
  show_progress (t, stored, messages->len);
  return checkpoint (intake->store, source, stored, FALSE, error);
}

static void
print_summary (const Tally *t)
{
  double seconds = (g_get_monotonic_time () - t->started) / 1e6;
  guint done = t->filed + t->duplicates;

  if (t->progress)
    fputc ('\n', stderr);
  printf ("%u filed, %u already filed, %u failed, %u skipped (done before); "
          "%.1f s, %.0f messages/s\n", t->filed, t->duplicates, t->failed,
          t->skipped, seconds, seconds > 0 ? done / seconds : 0.0);
}

int
cmd_import (Context *ctx, int argc, char **argv)
{
  gboolean ack = FALSE;
  gint threads = (gint) g_get_num_processors ();
  const GOptionEntry entries[] = {
    { "ack", 0, 0, G_OPTION_ARG_NONE, &ack,
      "acknowledge the reports too (as deliver would)", NULL },
    { "threads", 'j', 0, G_OPTION_ARG_INT, &threads,
      "parse with N threads (default: the number of cores)", "N" },
    { NULL },
  };
  g_autoptr (GError) error = NULL;
  g_autoptr (Store) store = NULL;
  g_autoptr (RuleSet) rules = NULL;
  Pipeline pipe = { 0 };
  Tally tally = { 0 };
  GThreadPool *pool;
  Intake intake;
  int status = EX_OK;

  if (!command_parse ("import", "PATH...", "Files a backlog: mbox files, "
                      "Maildirs or folders of messages.", entries, &argc,
                      &argv))
    return EX_USAGE;
  if (argc < 2 || threads < 1 || threads > 64)
    {
      fprintf (stderr, "usage: madoguchi import [--ack] [-j N] PATH...\n");
      return EX_USAGE;
    }
  store = context_open_store (ctx, &error);
  if (store == NULL)
    return command_fail (error);
  rules = intake_load_rules (ctx->config);
  intake = (Intake) { ctx->config, rules, store, g_get_user_name (), ack };
  pipe.config = ctx->config;
  pipe.rules = rules;
  g_mutex_init (&pipe.lock);
  g_cond_init (&pipe.ready);
  pipe.prepared = g_hash_table_new (g_direct_hash, g_direct_equal);
  pool = g_thread_pool_new (prepare_job, &pipe, threads, TRUE, NULL);
  tally.started = g_get_monotonic_time ();
  tally.progress = isatty (STDERR_FILENO);
  for (int i = 1; i < argc && status == EX_OK; i++)
    if (!import_source (&intake, pool, &pipe, argv[i], &tally, &error))
      status = command_fail (error);
  g_thread_pool_free (pool, FALSE, TRUE);
  g_hash_table_unref (pipe.prepared);
  print_summary (&tally);
  return status != EX_OK ? status : tally.failed ? EX_TEMPFAIL : EX_OK;
}
