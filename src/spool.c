/*
 * spool.c - a Maildir-like queue (tmp/, new/, cur/, failed/) that makes a
 * message durable before madoguchi claims it.
 *
 * The order of operations is the whole point, and follows Maildir,
 * notmuch insert and Postfix's queue: create in tmp/ with O_EXCL (no
 * other writer can share the name), write everything, close and check
 * close (NFS reports late write errors there), rename into new/ (atomic:
 * readers of new/ only ever see complete files).  Any failure before the
 * rename unlinks the temporary file: the MTA still holds the message and
 * will retry.
 *
 * The file and the rename are made durable (fsync of both, spool_sync)
 * only when the spool is where the message will stay: deliver exits 0,
 * telling the MTA the message is safe, only once it is either committed
 * to the database (SQLite syncs that) or synced here.  Until then the MTA
 * still holds it, and a delivery that files it removes the entry again:
 * such a delivery syncs nothing of the spool.  A crash may therefore
 * leave in new/ an entry cut short (never acknowledged: the MTA delivers
 * the message again); spool_open refuses one whose length is not what
 * its envelope line says, and spool run moves it to failed/.
 */
#include "madoguchi/spool.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>

G_DEFINE_QUARK (madoguchi - spool - error - quark, spool_error)

#define SPOOL_MAGIC "madoguchi-spool 1 "
#define SPOOL_NUMBER_WIDTH 20
#define SPOOL_LINE_MAX 8192

static const char *const spool_subdirs[] = {
  "tmp", "new", "cur", "failed", "quarantine", "attempts",
};

void
spool_entry_free (SpoolEntry *entry)
{
  if (entry == NULL)
    return;
  g_free (entry->id);
  g_free (entry->path);
  g_free (entry->sender);
  g_free (entry->recipient);
  g_free (entry);
}

static gboolean
set_io_error (GError **error, int errsv, const char *what, const char *path)
{
  g_set_error (error, SPOOL_ERROR,
               errsv == ENOSPC || errsv == EDQUOT ? SPOOL_ERROR_NOSPACE
                                                  : SPOOL_ERROR_IO,
               "%s %s: %s", what, path, g_strerror (errsv));
  return FALSE;
}

static gboolean
fsync_dir (const char *path, GError **error)
{
  int fd = open (path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  int errsv;

  if (fd < 0)
    return set_io_error (error, errno, "cannot open", path);
  if (fsync (fd) == 0)
    {
      close (fd);
      return TRUE;
    }
  errsv = errno;
  close (fd);
  return set_io_error (error, errsv, "cannot fsync", path);
}

gboolean
spool_ensure (const char *dir, GError **error)
{
  if (g_mkdir_with_parents (dir, 0700) != 0)
    return set_io_error (error, errno, "cannot create", dir);
  for (gsize i = 0; i < G_N_ELEMENTS (spool_subdirs); i++)
    {
      g_autofree char *sub = g_build_filename (dir, spool_subdirs[i], NULL);

      if (mkdir (sub, 0700) != 0 && errno != EEXIST)
        return set_io_error (error, errno, "cannot create", sub);
    }
  return TRUE;
}

static gboolean
write_all (int fd, const char *buf, gsize len, const char *path, GError **error)
{
  while (len > 0)
    {
      ssize_t n = write (fd, buf, len);

      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        return set_io_error (error, errno, "cannot write", path);
      buf += n;
      len -= (gsize) n;
    }
  return TRUE;
}

/* The temporary file a message is written to, open. */
typedef struct
{
  int fd;
  const char *path;
} SpoolTmp;

/* Copies fd to tmp, keeping at most max_size bytes; counts all of them. */
static gboolean
spool_copy (int fd, const SpoolTmp *tmp, gint64 max_size, SpoolEntry *entry,
            GError **error)
{
  char buf[65536];

  for (;;)
    {
      ssize_t n = read (fd, buf, sizeof buf);
      gint64 room = max_size - entry->kept;
      gsize keep;

      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        return set_io_error (error, errno, "cannot read", "standard input");
      if (n == 0)
        return TRUE;
      keep = (gsize) MIN ((gint64) n, MAX (room, 0));
      if (keep > 0 && !write_all (tmp->fd, buf, keep, tmp->path, error))
        return FALSE;
      entry->kept += (gint64) keep;
      entry->size += n;
    }
}

static char *
escape_or_null (const char *key, const char *value)
{
  g_autofree char *escaped = NULL;

  if (value == NULL)
    return g_strdup ("");
  escaped = g_uri_escape_string (value, NULL, FALSE);
  return g_strdup_printf (" %s=%s", key, escaped);
}

/* The envelope line with fixed-width sizes, rewritten once they are known. */
static char *
spool_header (const SpoolEntry *entry)
{
  g_autofree char *from = escape_or_null ("from", entry->sender);
  g_autofree char *to = escape_or_null ("to", entry->recipient);

  return g_strdup_printf (SPOOL_MAGIC "size=%0*" G_GINT64_FORMAT
                                      " kept=%0*" G_GINT64_FORMAT "%s%s\n",
                          SPOOL_NUMBER_WIDTH, entry->size, SPOOL_NUMBER_WIDTH,
                          entry->kept, from, to);
}

static gboolean
check_free_space (int dirfd_, const char *path, gint64 min_free, GError **error)
{
  struct statvfs st;

  if (fstatvfs (dirfd_, &st) != 0)
    return set_io_error (error, errno, "cannot stat", path);
  if ((gint64) st.f_bavail * (gint64) st.f_frsize >= min_free)
    return TRUE;
  g_set_error (error, SPOOL_ERROR, SPOOL_ERROR_NOSPACE,
               "less than %" G_GINT64_FORMAT " bytes free in %s", min_free,
               path);
  return FALSE;
}

static char *
spool_unique_name (void)
{
  gint64 now = g_get_real_time ();

  return g_strdup_printf ("%" G_GINT64_FORMAT ".M%06dP%dR%08" PRIx32,
                          now / G_USEC_PER_SEC, (int) (now % G_USEC_PER_SEC),
                          (int) getpid (), g_random_int ());
}

/* Writes the whole file: header placeholder, message, final header. */
static gboolean
spool_write (int fd, const SpoolTmp *tmp, gint64 max_size, SpoolEntry *entry,
             GError **error)
{
  g_autofree char *header = spool_header (entry);
  g_autofree char *final = NULL;

  entry->header_len = strlen (header);
  if (!write_all (tmp->fd, header, entry->header_len, tmp->path, error)
      || !spool_copy (fd, tmp, max_size, entry, error))
    return FALSE;
  final = spool_header (entry);
  g_assert (strlen (final) == entry->header_len);
  if (pwrite (tmp->fd, final, entry->header_len, 0)
      != (ssize_t) entry->header_len)
    return set_io_error (error, errno, "cannot write", tmp->path);
  return TRUE;
}

static gboolean
spool_commit (const char *dir, const char *tmp, SpoolEntry *entry,
              GError **error)
{
  g_autofree char *new_dir = g_build_filename (dir, "new", NULL);

  entry->path = g_build_filename (new_dir, entry->id, NULL);
  if (rename (tmp, entry->path) != 0)
    return set_io_error (error, errno, "cannot rename", tmp);
  return TRUE;
}

gboolean
spool_sync (const char *dir, const SpoolEntry *entry, GError **error)
{
  g_autofree char *new_dir = g_build_filename (dir, "new", NULL);
  int fd = open (entry->path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  int errsv;

  if (fd < 0)
    return set_io_error (error, errno, "cannot open", entry->path);
  if (fsync (fd) != 0)
    {
      errsv = errno;
      close (fd);
      return set_io_error (error, errsv, "cannot fsync", entry->path);
    }
  close (fd);
  return fsync_dir (new_dir, error);
}

SpoolEntry *
spool_receive (const char *dir, int fd, const SpoolEnvelope *envelope,
               const SpoolLimits *limits, GError **error)
{
  g_autoptr (SpoolEntry) entry = g_new0 (SpoolEntry, 1);
  g_autofree char *tmp_dir = g_build_filename (dir, "tmp", NULL);
  g_autofree char *tmp = NULL;
  gboolean ok;
  int out;

  entry->id = spool_unique_name ();
  entry->sender = g_strdup (envelope->sender);
  entry->recipient = g_strdup (envelope->recipient);
  tmp = g_build_filename (tmp_dir, entry->id, NULL);
  out = open (tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (out < 0)
    {
      set_io_error (error, errno, "cannot create", tmp);
      return NULL;
    }
  ok = check_free_space (out, tmp_dir, limits->min_free, error)
       && spool_write (fd, &(SpoolTmp){ .fd = out, .path = tmp },
                       limits->max_size, entry, error);
  if (close (out) != 0 && ok)
    ok = set_io_error (error, errno, "cannot close", tmp);
  if (ok)
    ok = spool_commit (dir, tmp, entry, error);
  if (!ok)
    {
      unlink (tmp);
      return NULL;
    }
  return g_steal_pointer (&entry);
}

static gboolean
spool_parse_field (SpoolEntry *entry, const char *field)
{
  const char *eq = strchr (field, '=');
  g_autofree char *key = NULL;

  if (eq == NULL)
    return FALSE;
  key = g_strndup (field, (gsize) (eq - field));
  if (strcmp (key, "size") == 0)
    return g_ascii_string_to_signed (eq + 1, 10, 0, G_MAXINT64, &entry->size,
                                     NULL);
  if (strcmp (key, "kept") == 0)
    return g_ascii_string_to_signed (eq + 1, 10, 0, G_MAXINT64, &entry->kept,
                                     NULL);
  if (strcmp (key, "from") == 0)
    entry->sender = g_uri_unescape_string (eq + 1, NULL);
  else if (strcmp (key, "to") == 0)
    entry->recipient = g_uri_unescape_string (eq + 1, NULL);
  return TRUE; /* unknown fields are for newer versions: ignore */
}

static gboolean
spool_parse_header (SpoolEntry *entry, const char *line, GError **error)
{
  g_auto (GStrv) fields = NULL;

  if (!g_str_has_prefix (line, SPOOL_MAGIC))
    goto corrupt;
  fields = g_strsplit (line + strlen (SPOOL_MAGIC), " ", -1);
  for (gsize i = 0; fields[i] != NULL; i++)
    if (!spool_parse_field (entry, fields[i]))
      goto corrupt;
  return TRUE;
corrupt:
  g_set_error (error, SPOOL_ERROR, SPOOL_ERROR_CORRUPT,
               "%s: not a madoguchi spool file", entry->path);
  return FALSE;
}

/* Reads the first line, at most SPOOL_LINE_MAX bytes. */
static char *
read_first_line (const char *path, GError **error)
{
  FILE *fp = fopen (path, "re");
  char line[SPOOL_LINE_MAX];
  char *nl;

  if (fp == NULL)
    {
      set_io_error (error, errno, "cannot open", path);
      return NULL;
    }
  if (fgets (line, sizeof line, fp) == NULL)
    line[0] = '\0';
  fclose (fp);
  nl = strchr (line, '\n');
  if (nl == NULL)
    {
      g_set_error (error, SPOOL_ERROR, SPOOL_ERROR_CORRUPT,
                   "%s: not a madoguchi spool file", path);
      return NULL;
    }
  *nl = '\0';
  return g_strdup (line);
}

SpoolEntry *
spool_open (const char *dir, const char *id, GError **error)
{
  g_autoptr (SpoolEntry) entry = g_new0 (SpoolEntry, 1);
  g_autofree char *line = NULL;
  GStatBuf st;

  if (strchr (id, '/') != NULL)
    {
      entry->path = g_strdup (id);
      entry->id = g_path_get_basename (id);
    }
  else
    {
      entry->path = g_build_filename (dir, "new", id, NULL);
      entry->id = g_strdup (id);
    }
  line = read_first_line (entry->path, error);
  if (line == NULL || !spool_parse_header (entry, line, error))
    return NULL;
  entry->header_len = strlen (line) + 1;
  if (g_stat (entry->path, &st) != 0)
    {
      set_io_error (error, errno, "cannot stat", entry->path);
      return NULL;
    }
  if ((gint64) st.st_size != (gint64) entry->header_len + entry->kept)
    {
      /* Written but never synced, then a crash (see the top). */
      g_set_error (error, SPOOL_ERROR, SPOOL_ERROR_CORRUPT,
                   "%s: %" G_GINT64_FORMAT " bytes where its envelope line "
                   "says %" G_GINT64_FORMAT,
                   entry->path, (gint64) st.st_size,
                   (gint64) entry->header_len + entry->kept);
      return NULL;
    }
  return g_steal_pointer (&entry);
}

Raw *
spool_read_message (const SpoolEntry *entry, GError **error)
{
  g_autoptr (GError) local = NULL;
  Raw *raw = raw_open (entry->path, (goffset) entry->header_len, &local);

  if (raw == NULL)
    g_set_error (error, SPOOL_ERROR,
                 g_error_matches (local, G_FILE_ERROR, G_FILE_ERROR_INVAL)
                     ? SPOOL_ERROR_CORRUPT
                     : SPOOL_ERROR_IO,
                 "%s", local->message);
  return raw;
}

/* Moves entry to dir/sub/ and makes the move durable. */
static gboolean
spool_move (const char *dir, SpoolEntry *entry, const char *sub, GError **error)
{
  g_autofree char *sub_dir = g_build_filename (dir, sub, NULL);
  g_autofree char *target = g_build_filename (sub_dir, entry->id, NULL);

  if (rename (entry->path, target) != 0)
    return set_io_error (error, errno, "cannot rename", entry->path);
  g_free (entry->path);
  entry->path = g_steal_pointer (&target);
  return fsync_dir (sub_dir, error);
}

gboolean
spool_done (const char *dir, SpoolEntry *entry, gboolean keep, GError **error)
{
  if (keep)
    return spool_move (dir, entry, "cur", error);
  if (unlink (entry->path) != 0 && errno != ENOENT)
    return set_io_error (error, errno, "cannot remove", entry->path);
  /* Should this unlink be lost in a crash, spool run finds the message
   * already filed and removes it again: no fsync needed. */
  return TRUE;
}

gboolean
spool_fail (const char *dir, SpoolEntry *entry, GError **error)
{
  return spool_move (dir, entry, "failed", error);
}

/* The record of the quarantined entry at path is forgotten: the entry
 * gets its attempts anew. */
static void
forget_quarantined (const char *dir, const char *path)
{
  g_autoptr (SpoolEntry) entry = spool_open (dir, path, NULL);
  g_autofree char *digest = entry ? spool_entry_digest (entry, NULL) : NULL;

  if (digest != NULL)
    spool_attempts_forget (dir, digest);
}

gboolean
spool_retry (const char *dir, const char *id, GError **error)
{
  g_autoptr (SpoolEntry) entry = g_new0 (SpoolEntry, 1);

  if (strchr (id, '/') != NULL || id[0] == '.')
    {
      g_set_error (error, SPOOL_ERROR, SPOOL_ERROR_IO, "%s: not a spool ID",
                   id);
      return FALSE;
    }
  entry->id = g_strdup (id);
  entry->path = g_build_filename (dir, "failed", id, NULL);
  if (!g_file_test (entry->path, G_FILE_TEST_EXISTS))
    {
      g_free (entry->path);
      entry->path = g_build_filename (dir, "quarantine", id, NULL);
      if (g_file_test (entry->path, G_FILE_TEST_EXISTS))
        forget_quarantined (dir, entry->path);
    }
  return spool_move (dir, entry, "new", error);
}

gboolean
spool_quarantine (const char *dir, SpoolEntry *entry, GError **error)
{
  return spool_move (dir, entry, "quarantine", error);
}

static gint
compare_names (gconstpointer a, gconstpointer b)
{
  return strcmp (*(char *const *) a, *(char *const *) b);
}

GPtrArray *
spool_list (const char *dir, const char *sub, GError **error)
{
  g_autofree char *path = g_build_filename (dir, sub, NULL);
  g_autoptr (GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  DIR *d = opendir (path);
  struct dirent *de;

  if (d == NULL)
    {
      set_io_error (error, errno, "cannot open", path);
      return NULL;
    }
  while ((de = readdir (d)) != NULL)
    if (de->d_name[0] != '.')
      g_ptr_array_add (names, g_strdup (de->d_name));
  closedir (d);
  g_ptr_array_sort (names, compare_names);
  return g_steal_pointer (&names);
}

guint
spool_clean_tmp (const char *dir, gint64 max_age)
{
  g_autoptr (GPtrArray) names = spool_list (dir, "tmp", NULL);
  time_t now = time (NULL);
  guint removed = 0;

  for (guint i = 0; names != NULL && i < names->len; i++)
    {
      g_autofree char *path
          = g_build_filename (dir, "tmp", names->pdata[i], NULL);
      struct stat st;

      if (lstat (path, &st) == 0 && now - st.st_mtime > max_age
          && unlink (path) == 0)
        removed++;
    }
  return removed;
}

gboolean
spool_write_maildir (const char *dir, GBytes *bytes, char **name,
                     GError **error)
{
  g_autofree char *tmp_dir = g_build_filename (dir, "tmp", NULL);
  g_autofree char *new_dir = g_build_filename (dir, "new", NULL);
  g_autofree char *tmp = NULL;
  g_autofree char *target = NULL;
  gsize len;
  const char *data = g_bytes_get_data (bytes, &len);
  gboolean ok;
  int out;

  if (!spool_ensure (dir, error))
    return FALSE;
  *name = spool_unique_name ();
  tmp = g_build_filename (tmp_dir, *name, NULL);
  target = g_build_filename (new_dir, *name, NULL);
  out = open (tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (out < 0)
    return set_io_error (error, errno, "cannot create", tmp);
  ok = write_all (out, data, len, tmp, error);
  if (ok && fsync (out) != 0)
    ok = set_io_error (error, errno, "cannot fsync", tmp);
  if (close (out) != 0 && ok)
    ok = set_io_error (error, errno, "cannot close", tmp);
  if (ok && rename (tmp, target) != 0)
    ok = set_io_error (error, errno, "cannot rename", tmp);
  if (!ok)
    {
      unlink (tmp);
      return FALSE;
    }
  return fsync_dir (new_dir, error);
}
