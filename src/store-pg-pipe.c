/*
 * store-pg-pipe.c - how the PostgreSQL store's statements travel: libpq's
 * pipeline mode, and what a failure means.
 *
 * Why a pipeline: a delivery is a process and a connection of its own
 * (the MTA starts one per message), and its filing runs a hundred
 * statements or so, most of them an INSERT of one row of evidence.
 * Sent one at a time, each waited a round trip for its answer (two on
 * first use: PQprepare, then the execution), and a round trip is two
 * wake-ups of two processes: on a busy host they doubled a delivery's
 * time against SQLite's (bench/pg-deliver.sh: 0.49).  Here a statement
 * is sent and its result read later; one sync answers all that was
 * sent before it.  The store syncs where it must read an answer (a
 * SELECT, an INSERT ... RETURNING, the COMMIT); a write whose result
 * nobody reads waits for it, and so does a PQsendPrepare.
 *
 * What that changes: a deferred write that fails is reported by the
 * next sync, as the failure of the statement that synced, with the
 * server's message (which names the table or the constraint).  Inside
 * a transaction that is all the difference, since the transaction
 * fails whole either way; outside one nothing is deferred, as each
 * write is a transaction of its own whose caller must hear how it
 * ended.
 *
 * Owns: Store.pipe, the queue of what was sent and not yet read.
 */
#include "store-pg.h"

#include <string.h>

typedef enum
{
  SENT_QUERY,    /* its result goes to the caller of the sync */
  SENT_DEFERRED, /* its result is only checked */
  SENT_PREPARE,  /* a PQsendPrepare */
  SENT_SYNC,
} SentKind;

typedef struct
{
  SentKind kind;
  GHashTable *prepared; /* SENT_PREPARE: its statement's names, */
  char *signature;      /* and the key to forget if the server refuses */
} Sent;

typedef struct
{
  GQueue sent;
  /* Whether a transaction is open, as of the last statement sent. */
  gboolean in_transaction;
} Pipe;

static Pipe *
pipe_of (Store *store)
{
  if (store->pipe == NULL)
    store->pipe = g_new0 (Pipe, 1);
  return store->pipe;
}

static void
sent_free (gpointer data)
{
  Sent *sent = data;

  g_free (sent->signature);
  g_free (sent);
}

static void
push (Store *store, SentKind kind, GHashTable *prepared, const char *signature)
{
  Sent *sent = g_new0 (Sent, 1);

  sent->kind = kind;
  sent->prepared = prepared;
  sent->signature = g_strdup (signature);
  g_queue_push_tail (&pipe_of (store)->sent, sent);
}

gboolean
store_pg_pipe_enter (Store *store)
{
  Pipe *pipe = pipe_of (store);
  PGTransactionStatusType status;

  if (g_queue_is_empty (&pipe->sent))
    {
      /* Nothing in flight: libpq knows the transaction's state. */
      status = PQtransactionStatus (PG (store));
      pipe->in_transaction
          = status == PQTRANS_INTRANS || status == PQTRANS_INERROR;
    }
  return PQpipelineStatus (PG (store)) != PQ_PIPELINE_OFF
         || PQenterPipelineMode (PG (store)) == 1;
}

void
store_pg_pipe_sent (Store *store, GHashTable *prepared, const char *signature)
{
  push (store, prepared ? SENT_PREPARE : SENT_QUERY, prepared, signature);
}

void
store_pg_pipe_deferred (Store *store, gboolean begins)
{
  Pipe *pipe = pipe_of (store);
  Sent *last = g_queue_peek_tail (&pipe->sent);

  g_assert (last != NULL && last->kind == SENT_QUERY);
  last->kind = SENT_DEFERRED;
  if (begins)
    pipe->in_transaction = TRUE;
}

gboolean
store_pg_pipe_in_transaction (Store *store)
{
  return pipe_of (store)->in_transaction;
}

/* One statement's result, with the NULL that ends it read too (a sync
 * has none).  NULL: the connection answers no more. */
static PGresult *
next_result (PGconn *conn)
{
  PGresult *res = PQgetResult (conn);
  PGresult *extra;

  if (res == NULL || PQresultStatus (res) == PGRES_PIPELINE_SYNC)
    return res;
  /* One result a statement; a lost connection ends in NULL too. */
  while ((extra = PQgetResult (conn)) != NULL)
    PQclear (extra);
  return res;
}

static gboolean
succeeded (const Sent *sent, const PGresult *res)
{
  ExecStatusType status;

  if (res == NULL)
    return FALSE;
  status = PQresultStatus (res);
  if (sent->kind == SENT_SYNC)
    return status == PGRES_PIPELINE_SYNC;
  return status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK;
}

/* Reads sent's result: the first failure is kept (those after it are
 * only the pipeline's abort), a query's result handed to *last. */
static int
settle (Store *store, Sent *sent, int rc, PGresult **last)
{
  PGresult *res = next_result (PG (store));
  gboolean ok = succeeded (sent, res);

  if (!ok && sent->kind == SENT_PREPARE)
    g_hash_table_remove (sent->prepared, sent->signature);
  if (!ok && rc == STORE_DONE)
    rc = store_pg_failure (store, res);
  if (ok && sent->kind == SENT_QUERY && last != NULL)
    *last = g_steal_pointer (&res);
  PQclear (res);
  sent_free (sent);
  return rc;
}

static void
forget (Store *store)
{
  g_queue_clear_full (&pipe_of (store)->sent, sent_free);
}

int
store_pg_pipe_sync (Store *store, PGresult **last)
{
  Pipe *pipe = pipe_of (store);
  int rc = STORE_DONE;
  Sent *sent;

  if (PQpipelineSync (PG (store)) != 1)
    {
      /* Nothing will answer what was sent: the connection is lost. */
      forget (store);
      return store_pg_failure (store, NULL);
    }
  push (store, SENT_SYNC, NULL, NULL);
  while ((sent = g_queue_pop_head (&pipe->sent)) != NULL)
    rc = settle (store, sent, rc, last);
  if (rc != STORE_DONE && last != NULL)
    g_clear_pointer (last, PQclear);
  return rc;
}

int
store_pg_pipe_leave (Store *store)
{
  int rc = STORE_DONE;

  if (PQpipelineStatus (PG (store)) == PQ_PIPELINE_OFF)
    return rc;
  if (!g_queue_is_empty (&pipe_of (store)->sent))
    rc = store_pg_pipe_sync (store, NULL);
  PQexitPipelineMode (PG (store));
  return rc;
}

void
store_pg_pipe_free (Store *store)
{
  if (store->pipe == NULL)
    return;
  forget (store);
  g_clear_pointer (&store->pipe, g_free);
}

/*
 * Unique keys that two transactions may each find free and take at the
 * same moment: a report's dedup key (the same report through two MX
 * hosts at once), a year's counter row (the year's first ticket on two
 * hosts).  The loser's retry finds the winner's row.  Any other
 * duplicate is a mistake, which no retry mends.
 */
static const char *const raced_keys[] = {
  "message_dedup_key_key",
  "counter_pkey",
  NULL,
};

static gboolean
is_conflict (const PGresult *res, const char *state)
{
  const char *key = PQresultErrorField (res, PG_DIAG_CONSTRAINT_NAME);

  /* 40001 serialization failure, 40P01 deadlock: the server rolled
   * back the loser of two transactions. */
  if (strcmp (state, "40001") == 0 || strcmp (state, "40P01") == 0)
    return TRUE;
  return strcmp (state, "23505") == 0 && key != NULL
         && g_strv_contains (raced_keys, key);
}

int
store_pg_failure (Store *store, const PGresult *res)
{
  const char *state = res ? PQresultErrorField (res, PG_DIAG_SQLSTATE) : NULL;
  const char *msg = res ? PQresultErrorMessage (res) : "";

  g_free (store->last_error);
  store->last_error
      = g_strstrip (g_strdup (*msg ? msg : PQerrorMessage (PG (store))));
  store->conflict = FALSE;
  if (state == NULL || PQstatus (PG (store)) != CONNECTION_OK)
    return STORE_BUSY; /* no answer: the connection is lost */
  if (is_conflict (res, state))
    {
      store->conflict = TRUE;
      return STORE_BUSY;
    }
  /* 55P03 lock timeout, class 08 the connection, 57P01-03 the server
   * shutting down. */
  if (strcmp (state, "55P03") == 0 || g_str_has_prefix (state, "08")
      || g_str_has_prefix (state, "57P"))
    return STORE_BUSY;
  return STORE_FAIL;
}
