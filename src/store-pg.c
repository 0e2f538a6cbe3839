/*
 * store-pg.c - the store over PostgreSQL (libpq).
 */
#include "store-db.h"

Store *
store_pg_open (const char *uri, int busy_timeout, GError **error)
{
  g_set_error (error, STORE_ERROR, STORE_ERROR_FAILED,
               "PostgreSQL is not supported yet");
  return NULL;
}

void
store_pg_close (Store *store)
{
}
