/*
 * store-test.h - for the store's unit tests (test-store.c, test-stats.c):
 * where the store under test lives, and a connection of the test's own
 * (another process, an operator's shell) to plant rows and count them.
 *
 * On SQLite (the default) the store is a file in the test's scratch
 * folder.  With MADOGUCHI_TEST_PG=1 (CTest's unit/store-pg and
 * unit/stats-pg, through tests/pg/unit-pg.sh) it is PostgreSQL: each
 * test case gets a fresh database on the server whose socket folder is
 * PG_TEST_HOST, owned by the unprivileged role PG_ROLE (madoguchi), as
 * a site's would be (tests/pg/pg-lib.sh), and dropped after it.  Without
 * a server to reach the test exits 77 (skipped).
 *
 * A "where" is what store_open takes: an SQLite path or a URI; the
 * helpers below tell the two apart as the store does (store_is_uri).
 */
#ifndef MADOGUCHI_TEST_STORE_TEST_H
#define MADOGUCHI_TEST_STORE_TEST_H

#include <libpq-fe.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "madoguchi/store.h"

/* The superuser's session on the server, which makes and drops the
 * databases (the role madoguchi may not). */
static PGconn *test_store_admin;

static inline gboolean
test_store_on_pg (void)
{
  return g_strcmp0 (g_getenv ("MADOGUCHI_TEST_PG"), "1") == 0;
}

static inline const char *
test_store_role (void)
{
  const char *role = g_getenv ("PG_ROLE");

  return role != NULL && *role != '\0' ? role : "madoguchi";
}

/* The server's notices to the test's own sessions ("table fail_commit
 * does not exist, skipping") are not the store's: not shown. */
static inline void
test_conn_quiet (void *arg, const char *message)
{
}

/* Called first in main: on PostgreSQL, connects to the server or exits
 * 77 when there is none to reach. */
static inline void
test_store_init (void)
{
  const char *host = g_getenv ("PG_TEST_HOST");
  const char *const keys[] = { "host", "user", "dbname", NULL };
  const char *const values[] = { host, "postgres", "postgres", NULL };

  if (!test_store_on_pg ())
    return;
  if (host == NULL || *host == '\0')
    {
      printf ("1..0 # SKIP PG_TEST_HOST is not set (tests/pg/start.sh)\n");
      exit (77);
    }
  test_store_admin = PQconnectdbParams (keys, values, 0);
  if (PQstatus (test_store_admin) != CONNECTION_OK)
    {
      printf ("1..0 # SKIP no PostgreSQL in %s: %s", host,
              PQerrorMessage (test_store_admin));
      exit (77);
    }
  PQsetNoticeProcessor (test_store_admin, test_conn_quiet, NULL);
}

static inline void
test_store_admin_exec (const char *sql)
{
  PGresult *res = PQexec (test_store_admin, sql);

  if (PQresultStatus (res) != PGRES_COMMAND_OK)
    g_error ("%s: %s", sql, PQerrorMessage (test_store_admin));
  PQclear (res);
}

/* Where a test case's store is: dir/madoguchi.db, or a fresh database
 * (transfer full). */
static inline char *
test_store_make (const char *dir)
{
  static int made;
  g_autofree char *name = NULL;
  g_autofree char *sql = NULL;

  if (!test_store_on_pg ())
    return g_build_filename (dir, "madoguchi.db", NULL);
  /* Unique per process: the other store tests may run beside. */
  name = g_strdup_printf ("unit_%ld_%d", (long) getpid (), ++made);
  sql = g_strdup_printf ("CREATE DATABASE %s OWNER %s TEMPLATE template0 "
                         "ENCODING 'UTF8'",
                         name, test_store_role ());
  test_store_admin_exec (sql);
  return g_strdup_printf ("postgresql:///%s?host=%s&user=%s", name,
                          g_getenv ("PG_TEST_HOST"), test_store_role ());
}

/* Removes what test_store_make made in the server (a folder's file goes
 * with the folder). */
static inline void
test_store_drop (const char *where)
{
  const char *name;
  g_autofree char *sql = NULL;

  if (!store_is_uri (where))
    return;
  name = where + strlen ("postgresql:///"); /* as test_store_make made it */
  sql = g_strdup_printf ("DROP DATABASE IF EXISTS %.*s WITH (FORCE)",
                         (int) strcspn (name, "?"), name);
  test_store_admin_exec (sql);
}

/* A connection of the test's own, to either store. */
typedef struct
{
  sqlite3 *lite;
  PGconn *pg;
} TestConn;

static inline TestConn *
test_conn_open (const char *where)
{
  TestConn *c = g_new0 (TestConn, 1);

  if (store_is_uri (where))
    {
      c->pg = PQconnectdb (where);
      g_assert_cmpint (PQstatus (c->pg), ==, CONNECTION_OK);
      PQsetNoticeProcessor (c->pg, test_conn_quiet, NULL);
      return c;
    }
  g_assert_cmpint (sqlite3_open (where, &c->lite), ==, SQLITE_OK);
  /* A detached process emptying the WAL may still hold a lock. */
  sqlite3_busy_timeout (c->lite, 10000);
  return c;
}

static inline void
test_conn_close (TestConn *c)
{
  if (c->pg != NULL)
    PQfinish (c->pg);
  else
    sqlite3_close (c->lite);
  g_free (c);
}

/* Runs sql (statements separated by ';'); fails the test if it fails. */
static inline void
test_conn_exec (TestConn *c, const char *sql)
{
  char *message = NULL;
  PGresult *res;

  if (c->lite != NULL)
    {
      if (sqlite3_exec (c->lite, sql, NULL, NULL, &message) != SQLITE_OK)
        g_error ("%s: %s", sql, message);
      return;
    }
  res = PQexec (c->pg, sql);
  if (PQresultStatus (res) != PGRES_COMMAND_OK
      && PQresultStatus (res) != PGRES_TUPLES_OK)
    g_error ("%s: %s", sql, PQerrorMessage (c->pg));
  PQclear (res);
}

/* The integer in the first column of sql's first row. */
static inline gint64
test_conn_int (TestConn *c, const char *sql)
{
  sqlite3_stmt *stmt = NULL;
  PGresult *res;
  gint64 n;

  if (c->lite != NULL)
    {
      g_assert_cmpint (sqlite3_prepare_v2 (c->lite, sql, -1, &stmt, NULL), ==,
                       SQLITE_OK);
      g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
      n = sqlite3_column_int64 (stmt, 0);
      sqlite3_finalize (stmt);
      return n;
    }
  res = PQexec (c->pg, sql);
  if (PQresultStatus (res) != PGRES_TUPLES_OK || PQntuples (res) < 1)
    g_error ("%s: %s", sql, PQerrorMessage (c->pg));
  n = g_ascii_strtoll (PQgetvalue (res, 0, 0), NULL, 10);
  PQclear (res);
  return n;
}

/* sql run once on a connection of its own. */
static inline void
test_store_exec (const char *where, const char *sql)
{
  TestConn *c = test_conn_open (where);

  test_conn_exec (c, sql);
  test_conn_close (c);
}

/* The integer sql counts, on a connection of its own. */
static inline gint64
test_store_count (const char *where, const char *sql)
{
  TestConn *c = test_conn_open (where);
  gint64 n = test_conn_int (c, sql);

  test_conn_close (c);
  return n;
}

#endif
