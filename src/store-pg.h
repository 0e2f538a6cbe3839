/*
 * store-pg.h - private to the PostgreSQL store's files: store-pg.c (the
 * statements of store-db.h's driver), store-pg-pipe.c (how they travel:
 * libpq's pipeline) and store-pg-open.c (the connection and its schema).
 */
#ifndef MADOGUCHI_STORE_PG_H
#define MADOGUCHI_STORE_PG_H

#include <libpq-fe.h>

#include "store-db.h"

#define PG(store) ((PGconn *) (store)->conn)
#define BYTEA_OID 17
#define INT8_OID 20
#define INT2_OID 21
#define INT4_OID 23
#define TEXT_OID 25

extern const StoreDriver store_pg_driver;

/*
 * The pipeline (store-pg-pipe.c).  A statement is sent without waiting
 * for the server; its result is read at the next sync, which one round
 * trip answers whole.  A statement whose result nobody reads (an INSERT,
 * UPDATE or DELETE without RETURNING inside a transaction, a BEGIN) is
 * deferred: it travels with the next statement that must be answered,
 * or with the COMMIT, and a failure of it is that statement's failure.
 * A transaction fails whole either way: only when it is reported
 * changes, and with it how many round trips a filing costs (issue 23:
 * about a hundred became about fifteen).
 */

/* Enters pipeline mode if the connection is not in it. */
gboolean store_pg_pipe_enter (Store *store);
/* Records a statement just sent (PQsendPrepare: prepared names its
 * table, from which signature is removed if the server refuses it;
 * PQsendQueryParams, PQsendQueryPrepared: prepared NULL).  A statement
 * whose result nobody waits for: begins says it opens a transaction. */
void store_pg_pipe_sent (Store *store, GHashTable *prepared,
                         const char *signature);
void store_pg_pipe_deferred (Store *store, gboolean begins);
/* Whether a write may be deferred: a transaction is open. */
gboolean store_pg_pipe_in_transaction (Store *store);
/* Sends a sync and reads every result up to it; the last statement's
 * result goes to *last (transfer full) when it succeeded.  STORE_DONE,
 * or the first failure's code. */
int store_pg_pipe_sync (Store *store, PGresult **last);
/* Reads what is pending and leaves pipeline mode (for PQexec). */
int store_pg_pipe_leave (Store *store);
/* Forgets what is pending, for a connection being closed. */
void store_pg_pipe_free (Store *store);

/* Keeps res's error (NULL: the connection's) for errmsg and says what
 * kind it is: STORE_BUSY for what may pass, setting store->conflict for
 * what a retry of the transaction may pass. */
int store_pg_failure (Store *store, const PGresult *res);

#endif
