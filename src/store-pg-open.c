/*
 * store-pg-open.c - the PostgreSQL store's connection: the session the
 * shared statements expect, the schema's version, and its creation in
 * an empty database.
 *
 * A delivery opens a connection of its own (the MTA starts one process
 * per message), so what an open costs, every delivery pays: the session
 * is asked for in the startup packet (libpq's client_encoding and
 * options), and the schema's version is one query, so that an open is
 * the connection's own round trip and one more.
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

/* The schema's version: 0 for a database without its tables (42P01,
 * an undefined table: asking answers that too), -1 on failure. */
static int
schema_version (Store *store, GError **error)
{
  PGresult *res;
  const char *state;
  int version = -1;
  int rc;

  store_pg_pipe_leave (store);
  res = PQexec (PG (store), SQL_SCHEMA_VERSION);
  state = PQresultErrorField (res, PG_DIAG_SQLSTATE);
  if (PQresultStatus (res) == PGRES_TUPLES_OK && PQntuples (res) == 1)
    version = atoi (PQgetvalue (res, 0, 0));
  else if (PQresultStatus (res) == PGRES_TUPLES_OK)
    store_db_error (error, store, STORE_FAIL, "no schema version");
  else if (g_strcmp0 (state, "42P01") == 0)
    version = 0;
  else
    {
      rc = store_pg_failure (store, res);
      store_db_error (error, store, rc, "cannot read the schema version");
    }
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
  g_autofree char *version = g_strdup_printf ("%d", STORE_SCHEMA_VERSION);
  g_autoptr (StoreStmt) stmt = NULL;

  if (secret == NULL
      || !store_exec (store, (const char *) store_schema_pg_sql, error))
    return FALSE;
  stmt = store_prepare (store, SQL_SETTINGS, error);
  if (stmt == NULL)
    return FALSE;
  store_bind_text (stmt, ":secret", secret);
  store_bind_text (stmt, ":version", version);
  return store_step (store, stmt, "cannot record the schema", error);
}

static gboolean
pg_migrate (Store *store, GError **error)
{
  int version = schema_version (store, error);

  if (version == STORE_SCHEMA_VERSION)
    return TRUE;
  if (version < 0 || !store_begin_write (store, error)
      || !store_exec (store, SQL_SCHEMA_LOCK, error))
    return FALSE;
  version = schema_version_locked (store, error);
  if (version == 0 && !create_schema (store, error))
    version = -1;
  else if (version != 0 && version != STORE_SCHEMA_VERSION)
    /* PostgreSQL's schema begins at version 10: a database of another
     * version is newer than this madoguchi, and the steps of a later
     * version go here, beside SQLite's in store-lite-schema.c. */
    g_set_error (error, STORE_ERROR, STORE_ERROR_FAILED,
                 "schema version %d is not this madoguchi's (%d)", version,
                 STORE_SCHEMA_VERSION);
  if (version < 0 || (version != 0 && version != STORE_SCHEMA_VERSION))
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

/* value as one word of libpq's options: spaces and backslashes escaped. */
static void
append_option_word (GString *options, const char *value)
{
  for (const char *p = value; *p != '\0'; p++)
    {
      if (*p == ' ' || *p == '\\')
        g_string_append_c (options, '\\');
      g_string_append_c (options, *p);
    }
}

/* The options the URI gives (else PGOPTIONS: giving ours overrides
 * both), then ours: lock waits bounded by busy_timeout, and, if zone,
 * months in the process's local time zone (SQLite's 'localtime'). */
static char *
session_options (const char *uri, int busy_timeout, gboolean zone)
{
  PQconninfoOption *given = PQconninfoParse (uri, NULL);
  const char *theirs = g_getenv ("PGOPTIONS");
  GString *options = g_string_new (NULL);
  g_autoptr (GTimeZone) local = g_time_zone_new_local ();

  for (PQconninfoOption *o = given; o != NULL && o->keyword != NULL; o++)
    if (strcmp (o->keyword, "options") == 0 && o->val != NULL)
      theirs = o->val;
  if (theirs != NULL && *theirs != '\0')
    g_string_append_printf (options, "%s ", theirs);
  g_string_append_printf (options, "-c lock_timeout=%d", MAX (busy_timeout, 1));
  if (zone)
    {
      g_string_append (options, " -c TimeZone=");
      append_option_word (options, g_time_zone_get_identifier (local));
    }
  PQconninfoFree (given);
  return g_string_free (options, FALSE);
}

/* Connects with the session in the startup packet, UTF-8 and options. */
static PGconn *
connect_with (const char *uri, int busy_timeout, gboolean zone)
{
  g_autofree char *options = session_options (uri, busy_timeout, zone);
  const char *const keys[] = { "dbname", "client_encoding", "options", NULL };
  const char *const values[] = { uri, "UTF8", options, NULL };

  return PQconnectdbParams (keys, values, 1);
}

static gboolean
pg_connect (Store *store, const char *uri, int busy_timeout)
{
  store->conn = connect_with (uri, busy_timeout, TRUE);
  if (PQstatus (PG (store)) != CONNECTION_OK
      && strstr (PQerrorMessage (PG (store)), "\"TimeZone\"") != NULL)
    {
      /* A zone the server does not know (GLib may name a file) leaves
       * the server's: months may then differ from SQLite's near
       * midnight. */
      PQfinish (PG (store));
      store->conn = connect_with (uri, busy_timeout, FALSE);
    }
  return PQstatus (PG (store)) == CONNECTION_OK;
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

  store->driver = &store_pg_driver;
  store->kind = STORE_POSTGRES;
  store->path = uri_for_messages (uri);
  store->cached = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                         finalize_statement);
  if (!pg_connect (store, uri, busy_timeout))
    {
      /* Unreachable is temporary: the report waits in the spool. */
      g_set_error (error, STORE_ERROR, STORE_ERROR_BUSY, "%s: %s", store->path,
                   g_strstrip (PQerrorMessage (PG (store))));
      return NULL;
    }
  if (!pg_migrate (store, error))
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
