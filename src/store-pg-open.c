/*
 * store-pg-open.c - the PostgreSQL store's connection: the session the
 * shared statements expect, the schema's version, and its creation in
 * an empty database.
 *
 * A delivery opens a connection of its own (the MTA starts one process
 * per message), so what an open costs, every delivery pays: the
 * session's settings and the schema's version travel in one round trip
 * after the connection's own.  Not in the startup packet's options,
 * which would spare that round trip: PgBouncer, which a site may put in
 * front of PostgreSQL so that a delivery does not start a server
 * process of its own (bench/pg-deliver.sh), refuses them.
 */
#include "store-pg.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

/*
 * The schema: created in an empty database by the first process that
 * opens it, under an advisory lock so that two hosts starting at once
 * do not both create it; its version is setting.schema_version.
 */
static const char SQL_SCHEMA_LOCK[]
    = "SELECT pg_advisory_xact_lock (7123723497561)";

static const char SQL_SCHEMA_VERSION[]
    = "SELECT CAST (value AS INTEGER) FROM setting "
      "WHERE name = 'schema_version'";

static const char SQL_SETTINGS[]
    = "INSERT INTO setting (name, value) VALUES ('tag_secret', :secret), "
      "('tag_short_last', '0'), ('schema_version', :version)";

/* The schema's version that res answers: 0 for a database without
 * its tables (42P01, an undefined table), -1 on failure. */
static int
version_of (Store *store, const PGresult *res, GError **error)
{
  const char *state = PQresultErrorField (res, PG_DIAG_SQLSTATE);

  if (PQresultStatus (res) == PGRES_TUPLES_OK && PQntuples (res) == 1)
    return atoi (PQgetvalue (res, 0, 0));
  if (g_strcmp0 (state, "42P01") == 0)
    return 0;
  if (PQresultStatus (res) == PGRES_TUPLES_OK)
    store_db_error (error, store, STORE_FAIL, "no schema version");
  else
    store_db_error (error, store, store_pg_failure (store, res),
                    "cannot read the schema version");
  return -1;
}

static int
schema_version (Store *store, GError **error)
{
  PGresult *res;
  int version;

  store_pg_pipe_leave (store);
  res = PQexec (PG (store), SQL_SCHEMA_VERSION);
  version = version_of (store, res, error);
  PQclear (res);
  return version;
}

/* The same, inside the transaction that may create the schema, which an
 * undefined table would abort. */
static int
schema_version_locked (Store *store, GError **error)
{
  PGresult *res
      = PQexec (PG (store), "SELECT to_regclass ('setting') IS NOT NULL");
  gboolean exists = PQresultStatus (res) == PGRES_TUPLES_OK
                    && strcmp (PQgetvalue (res, 0, 0), "t") == 0;

  PQclear (res);
  return exists ? schema_version (store, error) : 0;
}

/* 32 random bytes in upper-case hex, as SQLite's hex (randomblob (32)). */
static char *
tag_secret (GError **error)
{
  guint8 bytes[32];
  GString *hex = g_string_new (NULL);

  if (getrandom (bytes, sizeof bytes, 0) != sizeof bytes)
    {
      g_set_error (error, STORE_ERROR, STORE_ERROR_FAILED,
                   "cannot make the tag secret: %s", g_strerror (errno));
      g_string_free (hex, TRUE);
      return NULL;
    }
  for (gsize i = 0; i < sizeof bytes; i++)
    g_string_append_printf (hex, "%02X", bytes[i]);
  return g_string_free (hex, FALSE);
}

static gboolean
create_schema (Store *store, GError **error)
{
  g_autofree char *secret = tag_secret (error);
  g_autoptr (StoreStmt) stmt = NULL;

  if (secret == NULL
      || !store_exec (store, (const char *) store_schema_pg_sql, error))
    return FALSE;
  stmt = store_prepare (store, SQL_SETTINGS, error);
  if (stmt == NULL)
    return FALSE;
  store_bind_text (stmt, ":secret", secret);
  store_bind_text (stmt, ":version", "10"); /* schema-pg.sql's */
  return store_step (store, stmt, "cannot record the schema", error);
}

/* Creates the schema if version (the database's) says there is none. */
static gboolean
pg_migrate (Store *store, int version, GError **error)
{
  if (version == STORE_SCHEMA_VERSION)
    return TRUE;
  if (version < 0 || !store_begin_write (store, error)
      || !store_exec (store, SQL_SCHEMA_LOCK, error))
    return FALSE;
  version = schema_version_locked (store, error);
  /* schema-pg.sql is version 10; store-pg-schema.c steps on from it. */
  if (version == 0 && create_schema (store, error))
    version = 10;
  if (version <= 0 || !store_pg_upgrade (store, version, error))
    {
      store_rollback (store);
      return FALSE;
    }
  return store_commit (store, error);
}

/* The URI for messages: without its password. */
static char *
uri_for_messages (const char *uri)
{
  g_autoptr (GUri) parsed = g_uri_parse (
      uri, G_URI_FLAGS_HAS_PASSWORD | G_URI_FLAGS_PARSE_RELAXED, NULL);

  if (parsed == NULL)
    return g_strdup ("postgresql://...");
  return g_uri_to_string_partial (parsed, G_URI_HIDE_PASSWORD);
}

/* And no JIT: it compiled incident list's plan (a million rows
 * estimated, none there) for 70 of its 120 ms; every query is short. */
static const char SQL_LOCK_TIMEOUT[]
    = "SELECT set_config ('lock_timeout', $1, false), "
      "set_config ('jit', 'off', false)";

static const char SQL_TIME_ZONE[] = "SELECT set_config ('TimeZone', $1, false)";

/* Sends sql (one parameter, or none) and a sync of its own, so that its
 * failure is its own. */
static gboolean
send_alone (PGconn *conn, const char *sql, const char *value)
{
  return PQsendQueryParams (conn, sql, value ? 1 : 0, NULL,
                            value ? &value : NULL, NULL, NULL, 0)
             == 1
         && PQpipelineSync (conn) == 1;
}

/* One statement's result (transfer full), its end and its sync read. */
static PGresult *
read_alone (PGconn *conn)
{
  PGresult *res = PQgetResult (conn);
  PGresult *rest = NULL;

  /* The NULL that ends the statement, then the sync; a few more reads
   * at most if the connection is lost meanwhile. */
  for (int i = 0; i < 4 && PQresultStatus (rest) != PGRES_PIPELINE_SYNC; i++)
    {
      PQclear (rest);
      rest = PQgetResult (conn);
    }
  PQclear (rest);
  return res;
}

/*
 * The session as the shared statements expect it, and the schema's
 * version (-1: failure), in one round trip: lock waits bounded by
 * busy_timeout, months in the process's local time zone (SQLite's
 * 'localtime').  UTF-8 is the connection's client_encoding.
 */
static int
set_session (Store *store, int busy_timeout, GError **error)
{
  PGconn *conn = PG (store);
  g_autofree char *ms = g_strdup_printf ("%d", MAX (busy_timeout, 1));
  g_autoptr (GTimeZone) zone = g_time_zone_new_local ();
  PGresult *res[3] = { NULL };
  int version = -1;

  if (PQenterPipelineMode (conn) != 1
      || !send_alone (conn, SQL_LOCK_TIMEOUT, ms)
      || !send_alone (conn, SQL_TIME_ZONE, g_time_zone_get_identifier (zone))
      || !send_alone (conn, SQL_SCHEMA_VERSION, NULL))
    {
      store_db_error (error, store, store_pg_failure (store, NULL),
                      "cannot set the session");
      return -1;
    }
  for (int i = 0; i < 3; i++)
    res[i] = read_alone (conn);
  PQexitPipelineMode (conn);
  /* A zone the server does not know (GLib may name a file) leaves the
   * server's (res[1]): months may then differ from SQLite's near
   * midnight. */
  if (PQresultStatus (res[0]) != PGRES_TUPLES_OK)
    store_db_error (error, store, store_pg_failure (store, res[0]),
                    "cannot set lock_timeout");
  else
    version = version_of (store, res[2], error);
  for (int i = 0; i < 3; i++)
    PQclear (res[i]);
  return version;
}

static void
finalize_statement (gpointer stmt)
{
  store_finalize (stmt);
}

Store *
store_pg_open (const char *uri, int busy_timeout, GError **error)
{
  g_autoptr (Store) store = g_new0 (Store, 1);
  const char *const keys[] = { "dbname", "client_encoding", NULL };
  const char *const values[] = { uri, "UTF8", NULL };
  int version;

  store->driver = &store_pg_driver;
  store->kind = STORE_POSTGRES;
  store->path = uri_for_messages (uri);
  store->cached = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                         finalize_statement);
  store->conn = PQconnectdbParams (keys, values, 1);
  if (PQstatus (PG (store)) != CONNECTION_OK)
    {
      /* Unreachable is temporary: the report waits in the spool. */
      g_set_error (error, STORE_ERROR, STORE_ERROR_BUSY, "%s: %s", store->path,
                   g_strstrip (PQerrorMessage (PG (store))));
      return NULL;
    }
  version = set_session (store, busy_timeout, error);
  if (version < 0 || !pg_migrate (store, version, error))
    {
      g_prefix_error (error, "%s: ", store->path);
      return NULL;
    }
  return g_steal_pointer (&store);
}

void
store_pg_close (Store *store)
{
  /* Nothing is pending (a transaction ends in a sync), but a failed
   * one may have left it so. */
  store_pg_pipe_free (store);
  g_hash_table_destroy (store->cached);
  PQfinish (PG (store));
  g_free (store->path);
  g_free (store->last_error);
  g_free (store);
}
