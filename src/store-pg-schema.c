/*
 * store-pg-schema.c - PostgreSQL's schema steps past its first version:
 * schema-pg.sql is version 10 (SQLite's schema after its first ten
 * steps), and each later version is one step here, as for SQLite in
 * store-lite-schema.c, run by store-pg.c under its schema lock in the
 * transaction that checked the version.
 */
#include "store-db.h"

static const char SQL_RECORD_VERSION[]
    = "UPDATE setting SET value = :version WHERE name = 'schema_version'";

static gboolean
record_version (Store *store, int version, GError **error)
{
  g_autoptr (StoreStmt) stmt = store_prepare (store, SQL_RECORD_VERSION, error);
  g_autofree char *text = g_strdup_printf ("%d", version);

  if (stmt == NULL)
    return FALSE;
  store_bind_text (stmt, ":version", text);
  return store_step (store, stmt, "cannot record the schema version", error);
}

/* Version 10 -> 11: the counts kept by triggers (store-tally.c). */
static gboolean
upgrade_to_11 (Store *store, GError **error)
{
  return store_tally_install (store, error)
         && record_version (store, 11, error);
}

gboolean
store_pg_upgrade (Store *store, int version, GError **error)
{
  if (version < 10 || version > STORE_SCHEMA_VERSION)
    {
      g_set_error (error, STORE_ERROR, STORE_ERROR_FAILED,
                   "schema version %d is not this madoguchi's (%d)", version,
                   STORE_SCHEMA_VERSION);
      return FALSE;
    }
  return version >= 11 || upgrade_to_11 (store, error);
}
