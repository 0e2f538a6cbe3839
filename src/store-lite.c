/*
 * store-lite.c - the store over SQLite: the driver of store-db.h over
 * sqlite3, and the connection: opening, the busy handler, the WAL.
 *
 * WAL lets operators read while deliveries write.  synchronous=FULL,
 * because the spool file is removed right after a commit and the commit
 * must therefore be on disk first.  Deliveries take the write lock at
 * once (BEGIN IMMEDIATE) so that two of them never deadlock upgrading
 * read locks, and the ticket counter is bumped inside that transaction:
 * numbers are unique and, since a rolled-back transaction rolls the
 * counter back too, gap-free.
 *
 * Each delivery is a process of its own, and SQLite's last connection
 * checkpoints the WAL into the database and deletes it when it closes:
 * every delivery would write its pages twice, make and unlink a WAL file
 * and sync four times more.  So closing does not checkpoint; the WAL is
 * kept for the next process and emptied (a TRUNCATE checkpoint) by the
 * first close that finds it past WAL_TRUNCATE_BYTES.  It is kept small
 * because the first connection of every process reads it whole to
 * rebuild its index.  The checkpoint never waits: while another
 * connection reads or writes it gives up at once and a later close does
 * it.  A delivery leaves it to a detached process of its own
 * (store_close_detached), which tries again for a moment: the MTA waits
 * for the delivery's exit, and the checkpoint's copying and two syncs
 * were what made one delivery in four the slowest (the p95).  A
 * long-running process (import) still checkpoints as SQLite does by
 * default, every 1000 pages.
 */
#include "store-db.h"

#include <fcntl.h>
#include <glib/gstdio.h>
#include <signal.h>
#include <sqlite3.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "store-lite.h"

/* Four kit deliveries or so: a larger WAL is more to read back at every
 * process's start, a smaller one more checkpoints (a build timing each
 * phase: opening plus closing cost least between 1 and 2 MiB; the p95
 * of 200 deliveries was lowest at 1 MiB against 2 and 4, bench/README). */
#define WAL_TRUNCATE_BYTES (1024 * 1024)
/* A delivery's detached process emptying the WAL tries this often, this
 * far apart, while other processes use the database: the next delivery
 * is usually done with it within a few tries; a long reader (an export)
 * makes it give up after a second, leaving the WAL to a later delivery.
 * It is killed if still there after WAL_EMPTIER_SECONDS (it holds the
 * lock that keeps a second one from starting). */
#define WAL_TRIES 200
#define WAL_RETRY_US 5000
#define WAL_EMPTIER_SECONDS 30

#define LITE(store) ((sqlite3 *) (store)->conn)

typedef struct
{
  StoreStmt base;
  sqlite3_stmt *stmt;
} LiteStmt;

#define STMT(s) (((LiteStmt *) (s))->stmt)

G_STATIC_ASSERT (STORE_ROW == SQLITE_ROW && STORE_DONE == SQLITE_DONE);
G_STATIC_ASSERT (STORE_FAIL == SQLITE_ERROR && STORE_BUSY == SQLITE_BUSY);

/* A statement kept for the connection's life is prepared as persistent,
 * which tells SQLite to allocate it from the heap, not its lookaside. */
static StoreStmt *
lite_prepare (Store *store, const char *sql, gboolean keep, GError **error)
{
  sqlite3_stmt *stmt = NULL;
  int rc = sqlite3_prepare_v3 (
      LITE (store), sql, -1, keep ? SQLITE_PREPARE_PERSISTENT : 0, &stmt, NULL);
  LiteStmt *s;

  if (rc != SQLITE_OK)
    {
      store_db_error (error, store, rc, "cannot prepare statement");
      return NULL;
    }
  s = g_new0 (LiteStmt, 1);
  s->base.store = store;
  s->stmt = stmt;
  return &s->base;
}

static void
lite_finalize (StoreStmt *s)
{
  sqlite3_finalize (STMT (s));
  g_free (s);
}

static void
lite_reset (StoreStmt *s, gboolean clear)
{
  sqlite3_reset (STMT (s));
  if (clear)
    sqlite3_clear_bindings (STMT (s));
}

static gboolean
lite_busy (StoreStmt *s)
{
  return sqlite3_stmt_busy (STMT (s));
}

static int
lite_param (StoreStmt *s, const char *name)
{
  return sqlite3_bind_parameter_index (STMT (s), name);
}

/* Text is UTF-8 in both stores: where SQLite would keep any bytes, a
 * bad sequence (an MTA's envelope, an operator's argument in another
 * charset, a sendmail's error cut in the middle of a character) becomes
 * U+FFFD, as PostgreSQL's text makes it (store-pg.c's pg_bind_text). */
static void
lite_bind_text (StoreStmt *s, int idx, const char *value, gboolean copy)
{
  if (!g_utf8_validate (value, -1, NULL))
    sqlite3_bind_text (STMT (s), idx, g_utf8_make_valid (value, -1), -1,
                       g_free);
  else
    sqlite3_bind_text (STMT (s), idx, value, -1,
                       copy ? SQLITE_TRANSIENT : SQLITE_STATIC);
}

static void
lite_bind_int (StoreStmt *s, int idx, gint64 value)
{
  sqlite3_bind_int64 (STMT (s), idx, value);
}

/* SQLite copies the bytes: a blob may be a column of another store's
 * row (migrate), which that store frees when the next column is read. */
static void
lite_bind_blob (StoreStmt *s, int idx, gconstpointer data, gsize len)
{
  sqlite3_bind_blob64 (STMT (s), idx, data, len, SQLITE_TRANSIENT);
}

static void
lite_bind_null (StoreStmt *s, int idx)
{
  sqlite3_bind_null (STMT (s), idx);
}

static int
lite_step (StoreStmt *s)
{
  return sqlite3_step (STMT (s));
}

static gint64
lite_column_int (StoreStmt *s, int col)
{
  return sqlite3_column_int64 (STMT (s), col);
}

static const char *
lite_column_text (StoreStmt *s, int col)
{
  return (const char *) sqlite3_column_text (STMT (s), col);
}

static gconstpointer
lite_column_blob (StoreStmt *s, int col, gsize *len)
{
  gconstpointer data = sqlite3_column_blob (STMT (s), col);

  *len = (gsize) sqlite3_column_bytes (STMT (s), col);
  return data;
}

static gboolean
lite_column_null (StoreStmt *s, int col)
{
  return sqlite3_column_type (STMT (s), col) == SQLITE_NULL;
}

static StoreValueKind
lite_column_kind (StoreStmt *s, int col)
{
  switch (sqlite3_column_type (STMT (s), col))
    {
    case SQLITE_NULL:
      return STORE_VALUE_NULL;
    case SQLITE_INTEGER:
      return STORE_VALUE_INT;
    case SQLITE_BLOB:
      return STORE_VALUE_BLOB;
    default: /* and SQLITE_FLOAT, which the schema has none of */
      return STORE_VALUE_TEXT;
    }
}

static gboolean
lite_exec (Store *store, const char *sql, GError **error)
{
  int rc = sqlite3_exec (LITE (store), sql, NULL, NULL, NULL);

  if (rc == SQLITE_OK)
    return TRUE;
  return store_db_error (error, store, rc, sql);
}

static const char *
lite_errmsg (Store *store, int rc)
{
  return LITE (store) ? sqlite3_errmsg (LITE (store)) : sqlite3_errstr (rc);
}

static gboolean
lite_temporary (int rc)
{
  return rc == SQLITE_BUSY || rc == SQLITE_LOCKED;
}

const StoreDriver store_lite_driver = {
  .prepare = lite_prepare,
  .finalize = lite_finalize,
  .reset = lite_reset,
  .busy = lite_busy,
  .param = lite_param,
  .bind_text = lite_bind_text,
  .bind_int = lite_bind_int,
  .bind_blob = lite_bind_blob,
  .bind_null = lite_bind_null,
  .step = lite_step,
  .column_int = lite_column_int,
  .column_text = lite_column_text,
  .column_blob = lite_column_blob,
  .column_null = lite_column_null,
  .column_kind = lite_column_kind,
  .exec = lite_exec,
  .errmsg = lite_errmsg,
  .temporary = lite_temporary,
};

static void
fold_function (sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
  const char *text = (const char *) sqlite3_value_text (argv[0]);
  char *folded;

  g_assert (argc == 1);
  if (text == NULL)
    {
      sqlite3_result_null (ctx);
      return;
    }
  folded = store_fold (text);
  sqlite3_result_text (ctx, folded, -1, g_free);
}

/* store_fold() as the SQL function madoguchi_fold(text), which feeds
 * the full-text index and the search of the messages not in it yet
 * (store-query.c). */
static gboolean
fold_register (sqlite3 *db)
{
  return sqlite3_create_function_v2 (db, "madoguchi_fold", 1,
                                     SQLITE_UTF8 | SQLITE_DETERMINISTIC, NULL,
                                     fold_function, NULL, NULL, NULL)
         == SQLITE_OK;
}

/*
 * SQLite syncs a WAL file's directory at the first sync of every process
 * that opened it for creation, which is every process: the pager always
 * asks for the WAL with SQLITE_OPEN_CREATE.  A WAL that exists had its
 * directory synced by the process that created it, and here it outlives
 * every process (see the top of the file): this VFS, the default one but
 * for that, opens an existing WAL without SQLITE_OPEN_CREATE, which
 * spares each delivery one fsync.  Should the WAL vanish in between (the
 * sqlite3 shell deletes it when it closes last), it is created as usual.
 */
static sqlite3_vfs store_vfs;
static int (*store_vfs_default_open) (sqlite3_vfs *, const char *,
                                      sqlite3_file *, int, int *);

static int
store_vfs_open (sqlite3_vfs *vfs, const char *name, sqlite3_file *file,
                int flags, int *out_flags)
{
  GStatBuf st;

  if ((flags & SQLITE_OPEN_WAL) && (flags & SQLITE_OPEN_CREATE) && name != NULL
      && g_stat (name, &st) == 0
      && store_vfs_default_open (vfs, name, file, flags & ~SQLITE_OPEN_CREATE,
                                 out_flags)
             == SQLITE_OK)
    return SQLITE_OK;
  return store_vfs_default_open (vfs, name, file, flags, out_flags);
}

static gpointer
store_vfs_register (gpointer unused)
{
  sqlite3_vfs *unix_vfs = sqlite3_vfs_find (NULL);

  if (unix_vfs == NULL) /* SQLite could not initialise (out of memory) */
    return GINT_TO_POINTER (FALSE);
  store_vfs = *unix_vfs;
  store_vfs.zName = "madoguchi";
  store_vfs_default_open = store_vfs.xOpen;
  store_vfs.xOpen = store_vfs_open;
  return GINT_TO_POINTER (sqlite3_vfs_register (&store_vfs, 0) == SQLITE_OK);
}

/* The VFS to open the database with: ours, or SQLite's default should
 * ours not register. */
static const char *
store_vfs_name (void)
{
  static GOnce vfs_once = G_ONCE_INIT;

  return GPOINTER_TO_INT (g_once (&vfs_once, store_vfs_register, NULL))
             ? "madoguchi"
             : NULL;
}

/*
 * The busy handler: sleeps that start at 100 us and double up to 4 ms,
 * until busy_timeout has passed since the first.  SQLite's own (that of
 * sqlite3_busy_timeout) sleeps 1, 2, 5, 10, 15, 20, 25 ms and on, while
 * the locks deliveries wait for are held a few milliseconds: with two in
 * flight they overslept (300 kit reports, four rounds: 79-84 msg/s
 * against 72-76, p95 37-42 ms against 43-69).
 */
static int
wait_while_busy (gpointer data, int count)
{
  Store *store = data;
  gint64 now = g_get_monotonic_time ();

  if (count == 0)
    store->busy_since = now;
  if (now - store->busy_since >= store->busy_timeout_us)
    return 0;
  g_usleep (MIN (100 << MIN (count, 6), 4000));
  return 1;
}

static void
finalize_statement (gpointer stmt)
{
  store_finalize (stmt);
}

Store *
store_lite_open (const char *path, int busy_timeout, GError **error)
{
  g_autoptr (Store) store = g_new0 (Store, 1);
  sqlite3 *db = NULL;
  int rc;

  store->driver = &store_lite_driver;
  store->kind = STORE_SQLITE;
  store->path = g_strdup (path);
  store->cached = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                         finalize_statement);
  rc = sqlite3_open_v2 (path, &db,
                        SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE
                            | SQLITE_OPEN_NOFOLLOW,
                        store_vfs_name ());
  store->conn = db;
  if (rc != SQLITE_OK)
    {
      store_db_error (error, store, rc, path);
      return NULL;
    }
  if (!fold_register (db))
    {
      store_db_error (error, store, SQLITE_ERROR, path);
      return NULL;
    }
  store->busy_timeout_us = (gint64) busy_timeout * 1000;
  sqlite3_busy_handler (db, wait_while_busy, store);
  sqlite3_extended_result_codes (db, 0);
  sqlite3_db_config (db, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, NULL);
  if (!store_exec (store, "PRAGMA journal_mode = WAL", error)
      || !store_exec (store, "PRAGMA synchronous = FULL", error)
      || !store_exec (store, "PRAGMA foreign_keys = ON", error)
      || !store_lite_migrate (store, error))
    {
      g_prefix_error (error, "%s: ", path);
      return NULL;
    }
  return g_steal_pointer (&store);
}

/* Whether the WAL has grown past the size it is emptied at. */
static gboolean
wal_due (const char *path)
{
  g_autofree char *wal = g_strconcat (path, "-wal", NULL);
  GStatBuf st;

  return g_stat (wal, &st) == 0 && st.st_size >= WAL_TRUNCATE_BYTES;
}

/* Empties the WAL if no other connection is using it, else gives up at
 * once (SQLITE_BUSY): it never waits for another connection.  *log (if
 * log is not NULL) is the WAL's frames, -1 when the connection knows of
 * no WAL. */
static int
truncate_wal (sqlite3 *db, int *log)
{
  sqlite3_busy_timeout (db, 0);
  return sqlite3_wal_checkpoint_v2 (db, NULL, SQLITE_CHECKPOINT_TRUNCATE, log,
                                    NULL);
}

/* truncate_wal on a connection that has not read yet: it knows of the
 * WAL only once it has, and the read itself may find the database busy
 * (another process rebuilding the WAL's index; a new connection has no
 * busy handler, so the read fails at once). */
static int
truncate_wal_fresh (sqlite3 *db)
{
  int log = -1;
  int rc = sqlite3_exec (db, "PRAGMA user_version", NULL, NULL, NULL);

  if (rc == SQLITE_OK)
    rc = truncate_wal (db, &log);
  return rc == SQLITE_OK && log < 0 ? SQLITE_BUSY : rc;
}

/* Opens path on a connection of its own and empties its WAL, making up
 * to tries attempts WAL_RETRY_US apart while others use it. */
static void
truncate_wal_at (const char *path, guint tries)
{
  sqlite3 *db = NULL;

  if (sqlite3_open_v2 (path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOFOLLOW,
                       store_vfs_name ())
          == SQLITE_OK
      && sqlite3_db_config (db, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, NULL)
             == SQLITE_OK)
    for (guint i = 1; truncate_wal_fresh (db) == SQLITE_BUSY && i < tries; i++)
      g_usleep (WAL_RETRY_US);
  sqlite3_close (db);
}

/* Points standard input, output and error at /dev/null and closes every
 * other descriptor but keep (> 2); whether all went well. */
static gboolean
keep_only (int keep)
{
  int null = open ("/dev/null", O_RDWR);

  return null >= 0 && dup2 (null, STDIN_FILENO) >= 0
         && dup2 (null, STDOUT_FILENO) >= 0 && dup2 (null, STDERR_FILENO) >= 0
         && (keep == STDERR_FILENO + 1
             || close_range (STDERR_FILENO + 1, keep - 1, 0) == 0)
         && close_range (keep + 1, ~0U, 0) == 0;
}

/*
 * Forks a process detached from ours: in a session of its own, holding
 * no descriptor of ours but keep (standard input, output and error are
 * /dev/null), so that an MTA reading our output or signalling our
 * process group does not wait for it or stop it; killed by SIGALRM
 * after WAL_EMPTIER_SECONDS.  Our process is about to exit and does not
 * wait for it: init adopts it and reaps it.  It must not log: the
 * caller's setup closes what it opened (syslog) before its descriptors
 * are closed, and resets what would stop the kill (a SIGALRM handler).
 * Returns 1 in the detached process, 0 in ours, -1 if it could not be
 * made.
 */
static int
fork_detached (int keep, StoreChildSetup setup)
{
  pid_t pid = fork ();
  sigset_t alarm_set;

  if (pid != 0)
    return pid > 0 ? 0 : -1;
  sigemptyset (&alarm_set);
  sigaddset (&alarm_set, SIGALRM);
  if ((setup != NULL && !setup ()) || setsid () < 0 || !keep_only (keep)
      || sigprocmask (SIG_UNBLOCK, &alarm_set, NULL) != 0)
    _exit (1);
  alarm (WAL_EMPTIER_SECONDS);
  return 1;
}

/*
 * A descriptor (> 2) of the database at path holding the lock of its
 * one detached WAL emptier, or -1 when another process holds it (or the
 * file cannot be opened).  flock(2): SQLite's fcntl(2) locks do not see
 * it.  But closing any descriptor of the file drops every fcntl lock
 * the process holds on it: it is closed only when no connection is open.
 */
static int
lock_wal_emptier (const char *path)
{
  int opened = open (path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  int fd
      = opened >= 0 ? fcntl (opened, F_DUPFD_CLOEXEC, STDERR_FILENO + 1) : -1;

  if (opened >= 0)
    close (opened);
  if (fd >= 0 && flock (fd, LOCK_EX | LOCK_NB) != 0)
    {
      close (fd);
      return -1;
    }
  return fd;
}

/* Frees the store; whether its connection is closed for good (a
 * statement someone still holds keeps it open until finalized). */
static gboolean
store_free (Store *store)
{
  gboolean closed;

  g_hash_table_destroy (store->cached);
  closed = sqlite3_close (LITE (store)) == SQLITE_OK;
  if (!closed)
    sqlite3_close_v2 (LITE (store));
  g_free (store->path);
  g_free (store->last_error);
  g_free (store);
  return closed;
}

/* In a detached process, empties the WAL of path unless another such
 * process is at it; see the top of the file. */
static void
empty_wal_detached (const char *path, StoreChildSetup setup)
{
  int lock = lock_wal_emptier (path);

  if (lock < 0)
    return;
  switch (fork_detached (lock, setup))
    {
    case 1: /* the lock is held until this process exits */
      truncate_wal_at (path, WAL_TRIES);
      _exit (0);
    case -1:
      truncate_wal_at (path, 1); /* not detached: never waiting */
      break;
    default:
      break;
    }
  close (lock);
}

void
store_lite_close (Store *store, gboolean detached, StoreChildSetup setup)
{
  g_autofree char *path = NULL;

  if (!detached)
    {
      if (wal_due (store->path))
        truncate_wal (LITE (store), NULL);
      store_free (store);
      return;
    }
  if (wal_due (store->path))
    path = g_strdup (store->path);
  /* A connection must not be open across fork(): not even one a
   * forgotten statement keeps alive. */
  if (store_free (store) && path != NULL)
    empty_wal_detached (path, setup);
}
