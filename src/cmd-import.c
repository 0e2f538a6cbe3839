/*
 * cmd-import.c - `madoguchi import PATH...`: a backlog (mbox files,
 * Maildirs, folders of .eml files) filed in-process by the same pipeline
 * as deliver, with the same dedup, without acknowledgements unless
 * asked.  Parsing, extraction and classification run on every core; the
 * store files the results in input order, many per transaction, and
 * records how far each source got, so an interrupted import resumes.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "madoguchi/command.h"
#include "madoguchi/intake.h"

#define IMPORT_BATCH 500 /* messages per transaction */
#define IMPORT_WINDOW 64 /* messages prepared ahead of the store */

/* One message of a source: a piece of a mapped mbox, or a file of its
 * own, read only when its turn comes (a Maildir of 70,000 messages
 * mapped at once passed the kernel's 65,530 mappings a process). */
typedef struct
{
  GBytes *bytes;
  char *path;
} Item;

typedef struct
{
  guint seq;
  Item item;
  char *id;
} Job;

/* A job done: the message prepared, or why it could not be read. */
typedef struct
{
  IntakePrepared *prepared;
  GError *error;
  char *id;
} Ready;

/* The parsers (a thread pool) and their results, waiting to be filed
 * in order. */
typedef struct
{
  const Config *config;
  const RuleSet *rules;
  GThreadPool *pool; /* runs prepare_job */
  GMutex lock;
  GCond ready;
  GHashTable *prepared; /* seq -> IntakePrepared */
} Pipeline;

typedef struct
{
  guint filed;
  guint duplicates;
  guint failed;
  guint skipped;
  gint64 started;    /* monotonic microseconds */
  gboolean progress; /* a progress line on a terminal */
} Tally;

static void
item_clear (Item *item)
{
  g_clear_pointer (&item->bytes, g_bytes_unref);
  g_clear_pointer (&item->path, g_free);
}

static void
item_free (Item *item)
{
  item_clear (item);
  g_free (item);
}

static void
ready_free (Ready *r)
{
  intake_prepared_free (r->prepared);
  g_clear_error (&r->error);
  g_free (r->id);
  g_free (r);
}

static void
prepare_job (gpointer data, gpointer user_data)
{
  Job *job = data;
  Pipeline *pipe = user_data;
  Ready *r = g_new0 (Ready, 1);
  g_autoptr (Raw) raw = job->item.bytes != NULL
                            ? raw_new_bytes (job->item.bytes)
                            : raw_open (job->item.path, 0, &r->error);

  if (raw != NULL)
    {
      IntakeSource source = {
        .id = job->id,
        .size = (gint64) raw_size (raw),
        .kept = (gint64) raw_size (raw),
      };

      r->prepared
          = intake_prepare (pipe->config, pipe->rules, raw, &source, &r->error);
    }
  r->id = g_steal_pointer (&job->id);
  g_mutex_lock (&pipe->lock);
  g_hash_table_insert (pipe->prepared, GUINT_TO_POINTER (job->seq), r);
  g_cond_broadcast (&pipe->ready);
  g_mutex_unlock (&pipe->lock);
  item_clear (&job->item);
  g_free (job);
}

static Ready *
wait_prepared (Pipeline *pipe, guint seq)
{
  Ready *r;

  g_mutex_lock (&pipe->lock);
  while (!g_hash_table_steal_extended (pipe->prepared, GUINT_TO_POINTER (seq),
                                       NULL, (gpointer *) &r))
    g_cond_wait (&pipe->ready, &pipe->lock);
  g_mutex_unlock (&pipe->lock);
  return r;
}

/* Splits an mbox on its "From " lines (mboxo/mboxrd). */
static void
add_piece (GPtrArray *messages, GBytes *all, gsize start, gsize len)
{
  Item *item = g_new0 (Item, 1);

  item->bytes = g_bytes_new_from_bytes (all, start, len);
  g_ptr_array_add (messages, item);
}

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
        add_piece (messages, all, start, i - start);
        start = i;
      }
  if (start < len)
    add_piece (messages, all, start, len - start);
}

/* Sets *mbox to whether the file at path starts as an mbox does; FALSE
 * when it cannot be opened (a source listed must be readable). */
static gboolean
read_mbox_start (const char *path, gboolean *mbox, GError **error)
{
  char head[5];
  int fd = open (path, O_RDONLY | O_CLOEXEC);

  if (fd < 0)
    {
      int errsv = errno;

      g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (errsv),
                   "%s: %s", path, g_strerror (errsv));
      return FALSE;
    }
  *mbox = read (fd, head, 5) == 5 && memcmp (head, "From ", 5) == 0;
  close (fd);
  return TRUE;
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

/* A message that is a file of its own, read when its turn comes. */
static void
add_file (GPtrArray *messages, const char *path)
{
  Item *item = g_new0 (Item, 1);

  item->path = g_strdup (path);
  g_ptr_array_add (messages, item);
}

/*
 * The messages of path: an mbox, one message, a Maildir or a folder.  A
 * Maildir's cur/ and new/ hold a message a file whatever its first line
 * says (an mbox split would cut one at an unquoted "From " in its body);
 * the folder's own files, and path when it is one, are mboxes when they
 * start as one.
 */
static GPtrArray *
read_source (const char *path, GError **error)
{
  GPtrArray *messages
      = g_ptr_array_new_with_free_func ((GDestroyNotify) item_free);
  g_autoptr (GPtrArray) maildir = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GPtrArray) files = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *cur = g_build_filename (path, "cur", NULL);
  g_autofree char *new_dir = g_build_filename (path, "new", NULL);

  if (g_file_test (path, G_FILE_TEST_IS_DIR))
    {
      list_files (cur, maildir);
      list_files (new_dir, maildir);
      list_files (path, files);
    }
  else
    g_ptr_array_add (files, g_strdup (path));
  for (guint i = 0; i < maildir->len; i++)
    add_file (messages, maildir->pdata[i]);
  for (guint i = 0; i < files->len; i++)
    {
      g_autoptr (GMappedFile) map = NULL;
      g_autoptr (GBytes) all = NULL;
      gboolean mbox;

      if (!read_mbox_start (files->pdata[i], &mbox, error))
        {
          g_ptr_array_unref (messages);
          return NULL;
        }
      if (!mbox)
        {
          add_file (messages, files->pdata[i]);
          continue;
        }
      map = g_mapped_file_new (files->pdata[i], FALSE, error);
      if (map == NULL)
        {
          g_ptr_array_unref (messages);
          return NULL;
        }
      all = g_mapped_file_get_bytes (map);
      split_mbox (all, messages);
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

/* Counts the result and reports a failure; returns ok. */
static gboolean
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
  return ok;
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
submit (Pipeline *pipe, GPtrArray *messages, const char *path, guint seq)
{
  Job *job = g_new0 (Job, 1);
  const Item *item = messages->pdata[seq];

  job->seq = seq;
  job->item.bytes = item->bytes ? g_bytes_ref (item->bytes) : NULL;
  job->item.path = g_strdup (item->path);
  job->id = g_strdup_printf ("import:%s#%u", path, seq + 1);
  g_thread_pool_push (pipe->pool, job, NULL);
}

static gboolean
import_source (const Intake *intake, Pipeline *pipe, const char *path, Tally *t,
               GError **error)
{
  g_autofree char *source = g_canonicalize_filename (path, NULL);
  g_autoptr (GPtrArray) messages = read_source (path, error);
  gint64 start
      = messages ? store_import_done (intake->store, source, error) : -1;
  guint next = start > 0 ? (guint) start : 0;
  guint stored = next;
  /* The messages filed before the first that failed: what is recorded
   * as done, so that the import run again tries that one again (those
   * after it that were filed are then found already filed). */
  guint done = next;
  gboolean failed = FALSE;

  if (start < 0 || !store_batch_begin (intake->store, error))
    return FALSE;
  t->skipped += next;
  while (stored < messages->len)
    {
      Ready *ready;
      g_autoptr (GError) local = NULL;
      IntakeResult r = { 0 };

      for (; next < messages->len && next - stored < IMPORT_WINDOW; next++)
        submit (pipe, messages, path, next);
      ready = wait_prepared (pipe, stored);
      if (ready->prepared == NULL)
        failed |= !count_result (t, FALSE, &r, ready->id, ready->error);
      else
        failed |= !count_result (
            t, intake_store (intake, ready->prepared, &r, &local), &r,
            ready->id, local);
      intake_result_clear (&r);
      ready_free (ready);
      stored++;
      if (!failed)
        done = stored;
      if (stored % IMPORT_BATCH == 0)
        {
          if (!checkpoint (intake->store, source, done, TRUE, error))
            return FALSE;
          show_progress (t, stored, messages->len);
        }
    }
  show_progress (t, stored, messages->len);
  return checkpoint (intake->store, source, done, FALSE, error);
}

static void
print_summary (const Tally *t)
{
  double seconds = (g_get_monotonic_time () - t->started) / 1e6;
  guint done = t->filed + t->duplicates;

  if (t->progress)
    fputc ('\n', stderr);
  printf ("%u filed, %u already filed, %u failed, %u skipped (done before); "
          "%.1f s, %.0f messages/s\n",
          t->filed, t->duplicates, t->failed, t->skipped, seconds,
          seconds > 0 ? done / seconds : 0.0);
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
    G_OPTION_ENTRY_NULL,
  };
  g_autoptr (GError) error = NULL;
  Store *store = ctx->store;
  g_autoptr (RuleSet) rules = NULL;
  Pipeline pipe = { 0 };
  Tally tally = { 0 };
  Intake intake;
  int status = EX_OK;

  if (!context_parse (ctx, entries, &argc, &argv))
    return EX_USAGE;
  if (argc < 2 || threads < 1 || threads > 64)
    {
      fprintf (stderr, "usage: madoguchi import [--ack] [-j N] PATH...\n");
      return EX_USAGE;
    }
  rules = intake_load_rules (ctx->config);
  intake = (Intake){ .config = ctx->config,
                     .rules = rules,
                     .store = store,
                     .who = ctx->actor,
                     .acknowledge = ack };
  pipe.config = ctx->config;
  pipe.rules = rules;
  g_mutex_init (&pipe.lock);
  g_cond_init (&pipe.ready);
  pipe.prepared = g_hash_table_new (g_direct_hash, g_direct_equal);
  pipe.pool = g_thread_pool_new (prepare_job, &pipe, threads, TRUE, NULL);
  tally.started = g_get_monotonic_time ();
  tally.progress = isatty (STDERR_FILENO);
  for (int i = 1; i < argc && status == EX_OK; i++)
    if (!import_source (&intake, &pipe, argv[i], &tally, &error))
      status = command_fail (error);
  g_thread_pool_free (pipe.pool, FALSE, TRUE);
  g_hash_table_unref (pipe.prepared);
  print_summary (&tally);
  return status != EX_OK ? status : tally.failed ? EX_TEMPFAIL : EX_OK;
}
