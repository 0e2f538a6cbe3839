/*
 * datadir.c - what each command may find or create in the data
 * directory, under whose user it works there, and opening the store.
 */

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include "madoguchi/command.h"

/* The error for a data directory without a database, or without the
 * spool when the database is on a PostgreSQL server. */
static gboolean
no_database (const Config *config, GError **error)
{
  g_autofree char *db = config_db_path (config);

  g_set_error (error, CONFIG_ERROR, CONFIG_ERROR_VALUE,
               "no %s in %s (check MADOGUCHI_HOME and data_dir); "
               "'madoguchi init' creates it",
               store_is_uri (db) ? "spool" : "database", config->data_dir);
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

  /* Checked before (datadir_check); checked again here so that nothing
   * but init and deliver ever creates a database, whatever the path to
   * this call. */
  if (!ctx->create_store && path_missing (path))
    {
      no_database (ctx->config, error);
      return NULL;
    }
  return store_open (path, (int) ctx->config->busy_timeout, error);
}

/*
 * As root, work as the owner of the data directory.  Otherwise a root
 * `madoguchi list` would create the database's -wal and -shm files owned
 * by root, and every later delivery (as the service user) would fail to
 * open them.  Nothing madoguchi does needs root, but writing a file
 * where root asked for it: keep_root keeps root as the saved user ID
 * for that.
 */
gboolean
datadir_drop_to_owner (const Config *config, gboolean keep_root, GError **error)
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

/* datadir_check's verdict on a data directory that stat cannot find. */
static gboolean
missing_data_dir (CommandMode mode, const char *dir, int errsv, GError **error)
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
  else if (mode & CMD_CREATE_DIR)
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
 * datadir_drop_to_owner, root's is its owner's) for root's reason.
 */
gboolean
datadir_check (CommandMode mode, Context *ctx, GError **error)
{
  const char *dir = ctx->config->data_dir;
  g_autofree char *db = config_db_path (ctx->config);
  g_autofree char *owner = NULL;
  g_autofree char *self = NULL;
  struct stat st;

  if (!(mode & CMD_DATA))
    return TRUE;
  if (stat (dir, &st) != 0)
    {
      ctx->create_store = missing_data_dir (mode, dir, errno, error);
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
  ctx->create_store = (mode & CMD_CREATE_DIR)
                      || ((mode & CMD_CREATE_DB) && st.st_uid == geteuid ());
  if (ctx->create_store)
    return TRUE;
  if (!(mode & CMD_CREATE_DB))
    return no_database (ctx->config, error);
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
