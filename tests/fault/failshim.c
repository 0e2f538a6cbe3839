/*
 * failshim.c - an LD_PRELOAD fault injector for madoguchi's tests.
 *
 * Counts the calls of a few functions and makes exactly one of them fail:
 *
 *   FAIL_CALL=NAME       which function: open, openat, write, pwrite, fsync,
 *                        fdatasync, rename, close, mkdir, unlink, malloc,
 *                        sqlite3_step
 *   FAIL_AT=N            fail its Nth call, counting from 1 (0 or unset:
 *                        only count)
 *   FAIL_ERRNO=EIO       the errno of a failed system call: EIO (default)
 *                        or ENOSPC; sqlite3_step then returns SQLITE_IOERR
 *                        or SQLITE_FULL
 *   FAIL_COUNT_FILE=PATH at exit, write "NAME COUNT" for every name
 *   FAIL_HIT_FILE=PATH   when the fault fires, write "NAME N CALLER [PATH]"
 *                        there (at once, so that an abort afterwards keeps
 *                        it); PATH is the file the call was about
 *   FAIL_MARK=NAME       also record every count as it was at the first
 *                        call of NAME (that call included), written as
 *                        "mark:NAME COUNT" lines: with FAIL_MARK=rename,
 *                        where the spool commit falls in each sequence
 *   FAIL_SQL=PREFIX      count (and fail) only the sqlite3_step calls of
 *                        statements whose SQL begins with PREFIX, e.g.
 *                        "COMMIT" or "INSERT INTO message (": FAIL_AT=1
 *                        then fails the first such statement, wherever
 *                        it falls in the sequence
 *   FAIL_PATH=SUFFIX     count (and fail) only the calls about a path that
 *                        ends with SUFFIX (for a call on a descriptor, the
 *                        path it is open on), e.g. "madoguchi.db-wal":
 *                        FAIL_CALL=pwrite FAIL_AT=1 then fails the first
 *                        write to the WAL; calls about no path (malloc,
 *                        sqlite3_step) are then never counted
 *   FAIL_SYNC_FILE=PATH  append to PATH, for every fsync and fdatasync
 *                        that succeeds, the path its descriptor is open
 *                        on (one line each): what was made durable
 *
 * Only calls made after main() starts are counted (the hook is
 * __libc_start_main), so the dynamic loader and library constructors
 * never see a fault.  open/open64/openat/openat64 count only paths under
 * $MADOGUCHI_HOME (a prefix match on the path as given; a relative path
 * given to openat with a directory fd is not counted).  open and open64
 * count together as "open", openat and openat64 as "openat", pwrite and
 * pwrite64 as "pwrite" (SQLite writes with pwrite64, never write).
 * write, pwrite, fsync, fdatasync and close count every descriptor,
 * rename, mkdir and unlink every path; a failed malloc returns NULL with
 * ENOMEM (g_malloc then aborts, by design, through g_error: SIGTRAP).
 *
 * A failed close() still closes the descriptor, as Linux does when it
 * reports a late write error there.
 *
 * sqlite3_step is taken from libsqlite3 with dlsym (RTLD_NEXT).  A fault
 * there returns an error without running the statement, which is only
 * faithful to callers that act on sqlite3_step's result, so only these
 * calls count: the program's own, and sqlite3_exec's.  SQLite's internal
 * callers (FTS5 writes its index with sqlite3_step and reads the error
 * from sqlite3_reset, which a skipped step leaves at SQLITE_OK) are not
 * counted and never fail: faking them would corrupt the FTS index, a
 * fault real SQLite cannot produce.  sqlite3_exec is wrapped too: it
 * would finalize the untouched statement, see SQLITE_OK and report a
 * COMMIT that never ran as a success; the wrapper returns the error.
 *
 * With SQLite linked into madoguchi (MADOGUCHI_STATIC_DEPS, the default)
 * the program's calls never reach the shim: sqlite3_step then counts
 * nothing, and FAIL_SQL never fires.  Failing SQLite's writes instead
 * (FAIL_CALL=pwrite FAIL_PATH=madoguchi.db-wal) works with both builds.
 *
 * malloc is forwarded to __libc_malloc, so no dlsym is needed for it (and
 * dlsym's own allocations cannot recurse into the shim).
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <unistd.h>

#define SHIM_API __attribute__ ((visibility ("default")))

/* From sqlite3.h, so that the shim does not need SQLite's headers. */
#define SHIM_SQLITE_IOERR 10
#define SHIM_SQLITE_FULL 13

enum
{
  F_OPEN,
  F_OPENAT,
  F_WRITE,
  F_PWRITE,
  F_FSYNC,
  F_FDATASYNC,
  F_RENAME,
  F_CLOSE,
  F_MKDIR,
  F_UNLINK,
  F_MALLOC,
  F_SQLITE3_STEP,
  F_COUNT
};

static const char *const names[F_COUNT] = {
  "open",   "openat", "write", "pwrite", "fsync",  "fdatasync",
  "rename", "close",  "mkdir", "unlink", "malloc", "sqlite3_step",
};

static unsigned long counts[F_COUNT];
static unsigned long mark_counts[F_COUNT];
static int mark = -1; /* index into names, or -1 */
static int marked;
static int target = -1;         /* index into names, or -1 */
static unsigned long target_at; /* FAIL_AT */
static int fail_errno = EIO;
static int started;  /* main() is running */
static int finished; /* the exit-time dump has begun */
static int configured;
static const char *home;
static size_t home_len;
static const char *hit_file;
static const char *sync_file;
static const char *fail_sql;
static const char *fail_path;

/* sqlite3_exec nesting: did a fault fire inside this level? */
#define EXEC_DEPTH_MAX 32
static int exec_depth;
static int exec_faulted[EXEC_DEPTH_MAX];

extern void *__libc_malloc (size_t size);

/* ---- raw output: no stdio, no malloc, no counted calls ---- */

static void
raw_write_file (const char *path, const char *buf, size_t len, int append)
{
  int fd = (int) syscall (
      SYS_openat, AT_FDCWD, path,
      O_WRONLY | O_CREAT | O_CLOEXEC | (append ? O_APPEND : O_TRUNC), 0644);

  if (fd < 0)
    return;
  while (len > 0)
    {
      long n = syscall (SYS_write, fd, buf, len);

      if (n <= 0)
        break;
      buf += n;
      len -= (size_t) n;
    }
  syscall (SYS_close, fd);
}

static size_t
append_str (char *buf, size_t pos, size_t size, const char *s)
{
  while (*s != '\0' && pos + 1 < size)
    buf[pos++] = *s++;
  buf[pos] = '\0';
  return pos;
}

static size_t
append_ulong (char *buf, size_t pos, size_t size, unsigned long v)
{
  char digits[24];
  int n = 0;

  do
    digits[n++] = (char) ('0' + v % 10);
  while ((v /= 10) != 0);
  while (n > 0 && pos + 1 < size)
    buf[pos++] = digits[--n];
  buf[pos] = '\0';
  return pos;
}

/* ---- configuration ---- */

static unsigned long
parse_ulong (const char *s)
{
  unsigned long v = 0;

  if (s == NULL)
    return 0;
  for (; *s >= '0' && *s <= '9'; s++)
    v = v * 10 + (unsigned long) (*s - '0');
  return v;
}

static void
configure (void)
{
  const char *call = getenv ("FAIL_CALL");
  const char *err = getenv ("FAIL_ERRNO");

  if (configured)
    return;
  target_at = parse_ulong (getenv ("FAIL_AT"));
  const char *mark_name = getenv ("FAIL_MARK");

  for (int i = 0; i < F_COUNT; i++)
    {
      if (call != NULL && strcmp (call, names[i]) == 0)
        target = i;
      if (mark_name != NULL && strcmp (mark_name, names[i]) == 0)
        mark = i;
    }
  if (err != NULL && strcmp (err, "ENOSPC") == 0)
    fail_errno = ENOSPC;
  home = getenv ("MADOGUCHI_HOME");
  if (home != NULL && *home == '\0')
    home = NULL;
  home_len = home ? strlen (home) : 0;
  while (home_len > 1 && home[home_len - 1] == '/')
    home_len--;
  hit_file = getenv ("FAIL_HIT_FILE");
  sync_file = getenv ("FAIL_SYNC_FILE");
  fail_sql = getenv ("FAIL_SQL");
  if (fail_sql != NULL && *fail_sql == '\0')
    fail_sql = NULL;
  fail_path = getenv ("FAIL_PATH");
  if (fail_path != NULL && *fail_path == '\0')
    fail_path = NULL;
  configured = 1;
}

static void
report_hit (int which, unsigned long n, void *caller, const char *what)
{
  char line[1024];
  size_t pos = 0;
  Dl_info info;

  if (hit_file == NULL)
    return;
  pos = append_str (line, pos, sizeof line, names[which]);
  pos = append_str (line, pos, sizeof line, " ");
  pos = append_ulong (line, pos, sizeof line, n);
  pos = append_str (line, pos, sizeof line, " ");
  /* dladdr neither allocates nor calls anything the shim counts. */
  if (caller != NULL && dladdr (caller, &info) != 0)
    {
      const char *lib = info.dli_fname ? strrchr (info.dli_fname, '/') : NULL;

      pos = append_str (line, pos, sizeof line,
                        lib              ? lib + 1
                        : info.dli_fname ? info.dli_fname
                                         : "?");
      pos = append_str (line, pos, sizeof line, ":");
      pos = append_str (line, pos, sizeof line,
                        info.dli_sname ? info.dli_sname : "?");
    }
  else
    pos = append_str (line, pos, sizeof line, "?");
  if (what != NULL)
    {
      pos = append_str (line, pos, sizeof line, " ");
      pos = append_str (line, pos, sizeof line, what);
    }
  pos = append_str (line, pos, sizeof line, "\n");
  raw_write_file (hit_file, line, pos, 1);
}

/* The path fd is open on, from /proc; 0 when it cannot be read. */
static int
fd_path (int fd, char *path, size_t size)
{
  char link[64];
  size_t pos = append_str (link, 0, sizeof link, "/proc/self/fd/");
  long len;

  append_ulong (link, pos, sizeof link, (unsigned long) fd);
  len = syscall (SYS_readlink, link, path, size - 1);
  if (len <= 0)
    return 0;
  path[len] = '\0';
  return 1;
}

static int
ends_with (const char *s, const char *suffix)
{
  size_t len = s ? strlen (s) : 0;
  size_t suffix_len = strlen (suffix);

  return s != NULL && len >= suffix_len
         && strcmp (s + len - suffix_len, suffix) == 0;
}

/* Records in FAIL_SYNC_FILE that fd was synced. */
static void
report_sync (int fd)
{
  char path[1024];
  size_t len;

  if (sync_file == NULL || !started || !fd_path (fd, path, sizeof path - 1))
    return;
  len = strlen (path);
  path[len++] = '\n';
  raw_write_file (sync_file, path, len, 1);
}

/* Counts one call; true when this is the one to fail.  what: the path
 * the call is about, for the hit record (NULL: none, or see fd). */
static int
should_fail_on (int which, void *caller, const char *what, int fd)
{
  char target_path[512];
  unsigned long n;

  if (!started || finished)
    return 0;
  if (fail_path != NULL)
    {
      if (what == NULL && fd >= 0
          && fd_path (fd, target_path, sizeof target_path))
        what = target_path;
      if (!ends_with (what, fail_path))
        return 0;
    }
  n = __atomic_add_fetch (&counts[which], 1, __ATOMIC_RELAXED);
  if (which == mark && !marked)
    {
      marked = 1;
      memcpy (mark_counts, counts, sizeof counts);
    }
  if (which != target || target_at == 0 || n != target_at)
    return 0;
  if (which == F_SQLITE3_STEP && exec_depth > 0 && exec_depth <= EXEC_DEPTH_MAX)
    exec_faulted[exec_depth - 1] = 1;
  if (what == NULL && fd >= 0 && fd_path (fd, target_path, sizeof target_path))
    what = target_path;
  report_hit (which, n, caller, what);
  return 1;
}

static int
should_fail (int which, void *caller)
{
  return should_fail_on (which, caller, NULL, -1);
}

static int
under_home (const char *path)
{
  if (home == NULL || path == NULL || strncmp (path, home, home_len) != 0)
    return 0;
  return path[home_len] == '/' || path[home_len] == '\0';
}

static void
dump_counts (void)
{
  const char *path = getenv ("FAIL_COUNT_FILE");
  char buf[2048];
  size_t pos = 0;

  finished = 1;
  if (path == NULL || !started)
    return;
  for (int i = 0; i < F_COUNT; i++)
    {
      pos = append_str (buf, pos, sizeof buf, names[i]);
      pos = append_str (buf, pos, sizeof buf, " ");
      pos = append_ulong (buf, pos, sizeof buf, counts[i]);
      pos = append_str (buf, pos, sizeof buf, "\n");
    }
  for (int i = 0; marked && i < F_COUNT; i++)
    {
      pos = append_str (buf, pos, sizeof buf, "mark:");
      pos = append_str (buf, pos, sizeof buf, names[i]);
      pos = append_str (buf, pos, sizeof buf, " ");
      pos = append_ulong (buf, pos, sizeof buf, mark_counts[i]);
      pos = append_str (buf, pos, sizeof buf, "\n");
    }
  raw_write_file (path, buf, pos, 0);
}

static void *
next_symbol (const char *name)
{
  void *sym = dlsym (RTLD_NEXT, name);

  if (sym == NULL)
    {
      static const char msg[] = "failshim: a symbol is missing: ";

      syscall (SYS_write, 2, msg, sizeof msg - 1);
      syscall (SYS_write, 2, name, strlen (name));
      syscall (SYS_write, 2, "\n", 1);
      abort ();
    }
  return sym;
}

#define REAL(type, name)                                                       \
  static type real_##name;                                                     \
  if (real_##name == NULL)                                                     \
  real_##name = (type) next_symbol (#name)

/* ---- the hook on main ---- */

typedef int (*main_fn) (int, char **, char **);
static main_fn real_main;

static int
shim_main (int argc, char **argv, char **envp)
{
  configure ();
  atexit (dump_counts);
  started = 1;
  return real_main (argc, argv, envp);
}

SHIM_API int
__libc_start_main (main_fn main_, int argc, char **argv, void (*init) (void),
                   void (*fini) (void), void (*rtld_fini) (void),
                   void *stack_end)
{
  typedef int (*start_fn) (main_fn, int, char **, void (*) (void),
                           void (*) (void), void (*) (void), void *);
  REAL (start_fn, __libc_start_main);

  real_main = main_;
  return real___libc_start_main (shim_main, argc, argv, init, fini, rtld_fini,
                                 stack_end);
}

/* ---- malloc ---- */

SHIM_API void *
malloc (size_t size)
{
  if (started && should_fail (F_MALLOC, __builtin_return_address (0)))
    {
      errno = ENOMEM;
      return NULL;
    }
  return __libc_malloc (size);
}

/* ---- open and friends ---- */

static int
open_mode_needed (int flags)
{
#ifdef O_TMPFILE
  if ((flags & O_TMPFILE) == O_TMPFILE)
    return 1;
#endif
  return (flags & O_CREAT) != 0;
}

static int
fail_open (const char *path, int which, void *caller)
{
  if (!started || !under_home (path))
    return 0;
  return should_fail_on (which, caller, path, -1);
}

#define DEFINE_OPEN(fn, which)                                                 \
  SHIM_API int fn (const char *path, int flags, ...)                           \
  {                                                                            \
    typedef int (*open_fn) (const char *, int, ...);                           \
    mode_t mode = 0;                                                           \
    REAL (open_fn, fn);                                                        \
    if (open_mode_needed (flags))                                              \
      {                                                                        \
        va_list ap;                                                            \
        va_start (ap, flags);                                                  \
        mode = (mode_t) va_arg (ap, int);                                      \
        va_end (ap);                                                           \
      }                                                                        \
    if (fail_open (path, which, __builtin_return_address (0)))                 \
      {                                                                        \
        errno = fail_errno;                                                    \
        return -1;                                                             \
      }                                                                        \
    return real_##fn (path, flags, mode);                                      \
  }

#define DEFINE_OPENAT(fn, which)                                               \
  SHIM_API int fn (int dirfd, const char *path, int flags, ...)                \
  {                                                                            \
    typedef int (*openat_fn) (int, const char *, int, ...);                    \
    mode_t mode = 0;                                                           \
    REAL (openat_fn, fn);                                                      \
    if (open_mode_needed (flags))                                              \
      {                                                                        \
        va_list ap;                                                            \
        va_start (ap, flags);                                                  \
        mode = (mode_t) va_arg (ap, int);                                      \
        va_end (ap);                                                           \
      }                                                                        \
    if ((path[0] == '/' || dirfd == AT_FDCWD)                                  \
        && fail_open (path, which, __builtin_return_address (0)))              \
      {                                                                        \
        errno = fail_errno;                                                    \
        return -1;                                                             \
      }                                                                        \
    return real_##fn (dirfd, path, flags, mode);                               \
  }

DEFINE_OPEN (open, F_OPEN)
DEFINE_OPEN (open64, F_OPEN)
DEFINE_OPENAT (openat, F_OPENAT)
DEFINE_OPENAT (openat64, F_OPENAT)

/* ---- descriptors ---- */

SHIM_API ssize_t
write (int fd, const void *buf, size_t len)
{
  typedef ssize_t (*write_fn) (int, const void *, size_t);
  REAL (write_fn, write);

  if (should_fail_on (F_WRITE, __builtin_return_address (0), NULL, fd))
    {
      errno = fail_errno;
      return -1;
    }
  return real_write (fd, buf, len);
}

SHIM_API ssize_t
pwrite (int fd, const void *buf, size_t len, off_t off)
{
  typedef ssize_t (*pwrite_fn) (int, const void *, size_t, off_t);
  REAL (pwrite_fn, pwrite);

  if (should_fail_on (F_PWRITE, __builtin_return_address (0), NULL, fd))
    {
      errno = fail_errno;
      return -1;
    }
  return real_pwrite (fd, buf, len, off);
}

SHIM_API ssize_t
pwrite64 (int fd, const void *buf, size_t len, off_t off)
{
  typedef ssize_t (*pwrite_fn) (int, const void *, size_t, off_t);
  REAL (pwrite_fn, pwrite64);

  if (should_fail_on (F_PWRITE, __builtin_return_address (0), NULL, fd))
    {
      errno = fail_errno;
      return -1;
    }
  return real_pwrite64 (fd, buf, len, off);
}

SHIM_API int
fsync (int fd)
{
  typedef int (*fd_fn) (int);
  REAL (fd_fn, fsync);

  if (should_fail_on (F_FSYNC, __builtin_return_address (0), NULL, fd))
    {
      errno = fail_errno;
      return -1;
    }
  if (real_fsync (fd) != 0)
    return -1;
  report_sync (fd);
  return 0;
}

SHIM_API int
fdatasync (int fd)
{
  typedef int (*fd_fn) (int);
  REAL (fd_fn, fdatasync);

  if (should_fail_on (F_FDATASYNC, __builtin_return_address (0), NULL, fd))
    {
      errno = fail_errno;
      return -1;
    }
  if (real_fdatasync (fd) != 0)
    return -1;
  report_sync (fd);
  return 0;
}

SHIM_API int
close (int fd)
{
  typedef int (*fd_fn) (int);
  REAL (fd_fn, close);

  if (should_fail_on (F_CLOSE, __builtin_return_address (0), NULL, fd))
    {
      /* The descriptor is released all the same (Linux semantics). */
      real_close (fd);
      errno = fail_errno;
      return -1;
    }
  return real_close (fd);
}

/* ---- paths ---- */

SHIM_API int
rename (const char *from, const char *to)
{
  typedef int (*rename_fn) (const char *, const char *);
  REAL (rename_fn, rename);

  if (should_fail_on (F_RENAME, __builtin_return_address (0), from, -1))
    {
      errno = fail_errno;
      return -1;
    }
  return real_rename (from, to);
}

SHIM_API int
mkdir (const char *path, mode_t mode)
{
  typedef int (*mkdir_fn) (const char *, mode_t);
  REAL (mkdir_fn, mkdir);

  if (should_fail_on (F_MKDIR, __builtin_return_address (0), path, -1))
    {
      errno = fail_errno;
      return -1;
    }
  return real_mkdir (path, mode);
}

SHIM_API int
unlink (const char *path)
{
  typedef int (*unlink_fn) (const char *);
  REAL (unlink_fn, unlink);

  if (should_fail_on (F_UNLINK, __builtin_return_address (0), path, -1))
    {
      errno = fail_errno;
      return -1;
    }
  return real_unlink (path);
}

/* ---- SQLite ---- */

/* Is this call of sqlite3_step from the program (or another library), or
 * from sqlite3_exec, rather than from SQLite's own internals? */
static int
step_counts (void *caller, void *real_step)
{
  static void *sqlite_base;
  Dl_info info;

  if (sqlite_base == NULL)
    {
      if (dladdr (real_step, &info) == 0)
        return 1;
      sqlite_base = info.dli_fbase;
    }
  if (dladdr (caller, &info) == 0 || info.dli_fbase != sqlite_base)
    return 1;
  return info.dli_sname != NULL && strcmp (info.dli_sname, "sqlite3_exec") == 0;
}

/* Is stmt one of the statements FAIL_SQL selects (all, without it)? */
static int
step_selected (void *stmt)
{
  typedef const char *(*sql_fn) (void *);
  const char *sql;
  REAL (sql_fn, sqlite3_sql);

  if (fail_sql == NULL)
    return 1;
  sql = real_sqlite3_sql (stmt);
  if (sql == NULL)
    return 0;
  while (*sql == ' ' || *sql == '\t' || *sql == '\n')
    sql++;
  return strncmp (sql, fail_sql, strlen (fail_sql)) == 0;
}

SHIM_API int
sqlite3_step (void *stmt)
{
  typedef int (*step_fn) (void *);
  REAL (step_fn, sqlite3_step);

  if (started && !finished
      && step_counts (__builtin_return_address (0), (void *) real_sqlite3_step)
      && step_selected (stmt)
      && should_fail (F_SQLITE3_STEP, __builtin_return_address (0)))
    return fail_errno == ENOSPC ? SHIM_SQLITE_FULL : SHIM_SQLITE_IOERR;
  return real_sqlite3_step (stmt);
}

SHIM_API int
sqlite3_exec (void *db, const char *sql,
              int (*callback) (void *, int, char **, char **), void *arg,
              char **errmsg)
{
  typedef int (*exec_fn) (void *, const char *,
                          int (*) (void *, int, char **, char **), void *,
                          char **);
  int rc;
  int faulted = 0;
  REAL (exec_fn, sqlite3_exec);

  if (exec_depth < EXEC_DEPTH_MAX)
    exec_faulted[exec_depth] = 0;
  exec_depth++;
  rc = real_sqlite3_exec (db, sql, callback, arg, errmsg);
  exec_depth--;
  if (exec_depth < EXEC_DEPTH_MAX)
    faulted = exec_faulted[exec_depth];
  if (faulted && rc == 0)
    return fail_errno == ENOSPC ? SHIM_SQLITE_FULL : SHIM_SQLITE_IOERR;
  return rc;
}
