/*
 * store-db.h - private to the store's files: the connection and the
 * small driver every store file talks to instead of a database library.
 *
 * A statement is prepared from SQL with :name parameters, bound by name
 * (text, 64-bit integer, blob or NULL), stepped row by row and read by
 * column, as SQLite's API does; store-lite.c implements it over sqlite3,
 * store-pg.c over libpq.  Where the two databases need different SQL,
 * the statement is a StoreSql pair, both texts side by side where it is
 * defined, and store_sql() picks the connection's.  Nothing outside the
 * store sees either library.
 */
#ifndef MADOGUCHI_STORE_DB_H
#define MADOGUCHI_STORE_DB_H

#include "madoguchi/store.h"

#define STORE_SCHEMA_VERSION 11

/* What store_next returns besides a failure code (they are SQLite's, so
 * that its driver hands its own through). */
#define STORE_ROW 100
#define STORE_DONE 101
#define STORE_FAIL 1
#define STORE_BUSY 5

typedef enum
{
  STORE_SQLITE,
  STORE_POSTGRES,
} StoreKind;

/* The same statement in each database's words, side by side. */
typedef struct
{
  const char *sqlite;
  const char *postgres;
} StoreSql;

/* What a column of a row holds (store_column_kind). */
typedef enum
{
  STORE_VALUE_NULL,
  STORE_VALUE_INT,
  STORE_VALUE_TEXT,
  STORE_VALUE_BLOB,
} StoreValueKind;

typedef struct StoreStmt StoreStmt;
typedef struct StoreDriver StoreDriver;

struct Store
{
  const StoreDriver *driver;
  StoreKind kind;
  gpointer conn;      /* sqlite3 *, PGconn * */
  char *path;         /* the file, or the URI without its password */
  gboolean batch;     /* inside store_batch_begin: savepoints only */
  GHashTable *cached; /* SQL text -> its statement, see store_cached */
  gint64 busy_timeout_us;
  gint64 busy_since;
  char *last_error; /* the driver's last message (PostgreSQL) */
  guint serial;     /* names the server's prepared statements */
  gpointer pipe;    /* what is sent and not yet read (PostgreSQL) */
  /* The last failure lost a conflict with another transaction (a
   * deadlock, a serialization failure, a key another host took at the
   * same moment): the database rolled it back, and running the whole
   * transaction again may pass (store_retry). */
  gboolean conflict;
};

/* Every statement starts with this; the drivers add their own. */
struct StoreStmt
{
  Store *store;
};

struct StoreDriver
{
  StoreStmt *(*prepare) (Store *store, const char *sql, gboolean keep,
                         GError **error);
  void (*finalize) (StoreStmt *stmt);
  /* Back to before the first step, bindings cleared if clear. */
  void (*reset) (StoreStmt *stmt, gboolean clear);
  gboolean (*busy) (StoreStmt *stmt);
  /* The index of :name, 0 if the statement has none. */
  int (*param) (StoreStmt *stmt, const char *name);
  /* value lives until the statement is reset unless copy. */
  void (*bind_text) (StoreStmt *stmt, int idx, const char *value,
                     gboolean copy);
  void (*bind_int) (StoreStmt *stmt, int idx, gint64 value);
  void (*bind_blob) (StoreStmt *stmt, int idx, gconstpointer data, gsize len);
  void (*bind_null) (StoreStmt *stmt, int idx);
  int (*step) (StoreStmt *stmt);
  gint64 (*column_int) (StoreStmt *stmt, int col);
  const char *(*column_text) (StoreStmt *stmt, int col);
  gconstpointer (*column_blob) (StoreStmt *stmt, int col, gsize *len);
  gboolean (*column_null) (StoreStmt *stmt, int col);
  StoreValueKind (*column_kind) (StoreStmt *stmt, int col);
  gboolean (*exec) (Store *store, const char *sql, GError **error);
  /* The message of the last failure. */
  const char *(*errmsg) (Store *store, int rc);
  /* Whether rc means "try again later" (a lock, a lost connection). */
  gboolean (*temporary) (int rc);
};

extern const StoreDriver store_lite_driver;

/* The SQLite connection and its schema (store-lite.c). */
Store *store_lite_open (const char *path, int busy_timeout, GError **error);
void store_lite_close (Store *store, gboolean detached, StoreChildSetup setup);
/* The PostgreSQL connection and its schema (store-pg.c). */
Store *store_pg_open (const char *uri, int busy_timeout, GError **error);
void store_pg_close (Store *store);

/* Adds the messages not in the full-text index to it, if at least
 * waiting of them wait (SQLite: FTS5; PostgreSQL indexes as it goes). */
gboolean store_lite_index (Store *store, gint64 waiting, GError **error);

/* PostgreSQL's schema steps past its first version, 10, up to
 * STORE_SCHEMA_VERSION, each recorded in setting.schema_version
 * (store-pg-schema.c; SQLite's are in store-lite-schema.c). */
gboolean store_pg_upgrade (Store *store, int version, GError **error);

/* The counts kept by triggers (store-tally.c): installs them and counts
 * the rows already there (the step to schema version 11). */
gboolean store_tally_install (Store *store, GError **error);
/* Inside a write transaction: pauses the triggers for a bulk copy, and
 * resumes them, counting all the rows anew (PostgreSQL; SQLite's go on,
 * at no cost). */
gboolean store_tally_pause (Store *store, gboolean pause, GError **error);

/* An operator's first action on a ticket, as `stats` counts it: an
 * event neither the MTA's delivery nor the intake wrote.  The partial
 * index event_action holds only those, and a query reaches it by
 * repeating these terms word for word. */
#define SQL_EVENT_ACTION                                                       \
  "WHERE who <> 'deliver' "                                                    \
  "AND what NOT IN ('created', 'claimed', 'follow-up')"

/* One count of a period from the tally: kind "ticket" (tickets not
 * merged, per category), "loose" (... in no incident) or "ack"
 * (incoming messages, per acknowledgement decision, "" for none); add
 * is called with parts of the counts in [since, until): a label may
 * come many times, and a part be 0 or less, but they add up to its
 * count. */
typedef struct
{
  const char *kind;
  gint64 since;
  gint64 until;
  void (*add) (gpointer data, const char *label, gint64 count);
  gpointer data;
} StoreTallyQuery;

gboolean store_tally_read (Store *store, const StoreTallyQuery *q,
                           GError **error);

/* The connection's text of a statement that differs. */
static inline const char *
store_sql (const Store *store, const StoreSql *sql)
{
  return store->kind == STORE_POSTGRES ? sql->postgres : sql->sqlite;
}

extern const StoreSql SQL_BEGIN_WRITE;

/* Transactions: a write transaction takes the write lock at once on
 * SQLite (BEGIN IMMEDIATE); a read one sees one snapshot on both. */
gboolean store_begin_write (Store *store, GError **error);
gboolean store_begin_read (Store *store, GError **error);
gboolean store_commit (Store *store, GError **error);
void store_rollback (Store *store);
/* After a transaction failed and was rolled back: whether to run it
 * again, because it lost a conflict (store->conflict) and has had fewer
 * than STORE_TRIES tries (*tries counts them).  Clears error and the
 * conflict for the next try, after a short pause that lets the winner
 * finish. */
#define STORE_TRIES 4
gboolean store_retry (Store *store, guint *tries, GError **error);

/*
 * (transfer full) text as search sees it: NFKC-normalised, so that
 * full-width letters and digits (ＤｏＳ, １９２) and half-width katakana
 * find and are found as their usual forms.  Case is FTS5's trigram
 * tokenizer's business.  NULL for NULL; text that is not UTF-8 is
 * returned as it is.
 */
char *store_fold (const char *text);

/* A statement of the connection's cache (store_cached): released, not
 * finalized, when its g_autoptr goes out of scope. */
typedef StoreStmt StoreCached;

/* A column of the ticket's report (its first message). */
#define SQL_REPORT_COLUMN(column)                                              \
  "(SELECT r." column " FROM message r WHERE r.ticket_id = ticket.id "         \
  "ORDER BY r.id LIMIT 1)"

/* A ticket's columns as store_ticket_from_row reads them, FROM ticket:
 * each query adds its WHERE. */
#define SQL_TICKET_COLUMNS                                                     \
  "SELECT id, number, created, status, category, category_by, owner, "         \
  "reporter, reporter_name, subject, auto_category, (SELECT number FROM "      \
  "incident WHERE incident.id = incident_id), updated, (SELECT m.number "      \
  "FROM ticket m WHERE m.id = ticket.merged_into), "                           \
  "reply_waiting, " SQL_REPORT_COLUMN ("encryption") ", " SQL_REPORT_COLUMN (  \
      "signature") ", " SQL_REPORT_COLUMN ("signer") " FROM ticket "

/* A ticket's messages, oldest first, as store_message_from_row reads
 * them. */
#define SQL_MESSAGE_LIST                                                       \
  "SELECT id, direction, received, envelope_from, message_id, from_hdr, "      \
  "to_hdr, subject, date_hdr, flags, size, text, category, scores, ack, "      \
  "thread, indicators_dropped, timestamps_dropped, from_addr, encryption, "    \
  "signature, signer, pgp_problem FROM message "                               \
  "WHERE ticket_id = :ticket ORDER BY received, id"

/* A ticket's indicators summed over its messages, addresses first, then
 * the most frequent, as store_indicator_from_row reads them. */
#define SQL_INDICATOR_LIST_(scope, concat, no_ip)                              \
  "SELECT kind, value, " scope ", MAX(own), SUM(count), " concat ", "          \
  "MIN(first_seen), MAX(last_seen), MIN(context), MAX(role), MAX(asn) "        \
  "FROM indicator "                                                            \
  "WHERE ticket_id = :ticket GROUP BY kind, value "                            \
  "ORDER BY " no_ip ", SUM(count) DESC, value"
extern const StoreSql SQL_INDICATOR_LIST;

/* (transfer full) a StoreTicket, StoreMessage (parts not read) or
 * StoreIndicator of a row of the statements above. */
gpointer store_ticket_from_row (StoreStmt *stmt);
gpointer store_message_from_row (StoreStmt *stmt);
gpointer store_indicator_from_row (StoreStmt *stmt);

/* Sets error from a driver's result code (BUSY for what may pass) and
 * returns FALSE. */
gboolean store_db_error (GError **error, Store *store, int rc,
                         const char *what);
StoreStmt *store_prepare (Store *store, const char *sql, GError **error);
void store_finalize (StoreStmt *stmt);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (StoreStmt, store_finalize)
/* The statement for sql, prepared on its first use by this connection
 * and kept until store_close: filing a message runs the same score of
 * statements, and preparing them anew was 7% of an import's
 * instructions.
 * Only for statements that never run inside a use of themselves. */
StoreCached *store_cached (Store *store, const char *sql, GError **error);
/* Resets a cached statement and clears its bindings for the next use. */
void store_cached_release (StoreCached *stmt);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (StoreCached, store_cached_release)
/* Back to before the first step; the bindings are kept. */
void store_reset (StoreStmt *stmt);
/* Runs a cached statement that takes no parameter and returns no row. */
gboolean store_run_cached (Store *store, const char *sql, GError **error);
gboolean store_has_param (StoreStmt *stmt, const char *name);
/* Bind by :name; a NULL text binds NULL; a time of 0 binds NULL. */
void store_bind_text (StoreStmt *stmt, const char *name, const char *value);
/* The same, value copied: it may be freed before the statement runs. */
void store_bind_text_copy (StoreStmt *stmt, const char *name,
                           const char *value);
void store_bind_int (StoreStmt *stmt, const char *name, gint64 value);
void store_bind_null (StoreStmt *stmt, const char *name);
void store_bind_blob (StoreStmt *stmt, const char *name, gconstpointer data,
                      gsize len);
void store_bind_blob16 (StoreStmt *stmt, const char *name, const guint8 *bytes);
void store_bind_time (StoreStmt *stmt, const char *name, gint64 t);
/* The next row: STORE_ROW, STORE_DONE, or a failure for store_db_error. */
int store_next (StoreStmt *stmt);
/* Steps an INSERT ... RETURNING id: the new row's id, 0 on failure. */
gint64 store_insert_id (Store *store, StoreStmt *stmt, const char *what,
                        GError **error);
/* Steps a statement whose rows, if any, are not read. */
gboolean store_step (Store *store, StoreStmt *stmt, const char *what,
                     GError **error);
gboolean store_exec (Store *store, const char *sql, GError **error);
gint64 store_column_int64 (StoreStmt *stmt, int col);
int store_column_int (StoreStmt *stmt, int col);
gboolean store_column_null (StoreStmt *stmt, int col);
StoreValueKind store_column_kind (StoreStmt *stmt, int col);
/* (transfer none) valid until the next step. */
const char *store_column_peek (StoreStmt *stmt, int col);
gconstpointer store_column_blob (StoreStmt *stmt, int col);
gsize store_column_bytes (StoreStmt *stmt, int col);
char *store_column_text (StoreStmt *stmt, int col);
/* A row's first column as text: a from_row for store_collect_rows. */
gpointer store_column_first (StoreStmt *stmt);
/* Steps stmt to its end, each row made an element by from_row. */
GPtrArray *store_collect_rows (Store *store, StoreStmt *stmt,
                               gpointer (*from_row) (StoreStmt *),
                               GDestroyNotify free_fn, GError **error);
/* The rows of a query with one :ticket parameter. */
GPtrArray *store_ticket_rows (Store *store, const char *sql, gint64 ticket_id,
                              gpointer (*from_row) (StoreStmt *),
                              GDestroyNotify free_fn, GError **error);
/* An audit event: who did what to a ticket at `at`, old -> new. */
typedef struct
{
  gint64 ticket;
  gint64 at; /* 0: now (an operator's change) */
  const char *who;
  const char *what;
  const char *old_value;
  const char *new_value;
} StoreAudit;

gboolean store_audit (Store *store, StoreAudit event, GError **error);

/* Where a delivered message belongs (store-outbox.c finds it). */
typedef struct
{
  gint64 ticket; /* the ticket it names, or 0 */
  char number[32];
  gboolean join;   /* it joins that ticket */
  const char *how; /* "new", "tag", "reference", "bounce", ... */
  char *claimed;   /* a tag we did not follow, for the record */
  gint64 bounced;  /* the outbox entry a bounce names, or 0 */
} StoreThread;

void store_thread_clear (StoreThread *thread);

/* A StoreOutbox of a row of the outbox queries. */
gpointer store_outbox_from_row (StoreStmt *stmt);

/* Finds the ticket a message follows up, by our tag (with a valid check)
 * or by a Message-ID it replies to, and whether it may join it. */
gboolean store_find_thread (Store *store, const StoreDelivery *d,
                            StoreThread *thread, GError **error);

/* Whether a new ticket's acknowledgement may go to d->ack_recipient:
 * not bounced before, within the rate limits per recipient, per report
 * sender and per recipient domain.  Sets filed->ack. */
gboolean store_ack_allowed (Store *store, const StoreDelivery *d,
                            StoreFiled *filed, GError **error);

/* store-evidence.c: inserts the parts, evidence and reasons of d's
 * message, just inserted as message, of ticket. */
gboolean store_insert_details (Store *store, const StoreDelivery *d,
                               gint64 ticket, gint64 message, GError **error);

/* An acknowledgement built for a new ticket: the ticket and message it
 * answers, its own Message-ID and its bytes. */
typedef struct
{
  gint64 ticket;
  gint64 message;
  const char *message_id;
  GBytes *raw;
} StoreAck;

/* Queues ack, the acknowledgement of d (to d->ack_recipient, counted for
 * d->ack_sender and d->ack_domain); sets filed->outbox_id. */
gboolean store_outbox_add (Store *store, const StoreDelivery *d,
                           const StoreAck *ack, StoreFiled *filed,
                           GError **error);

/* Marks the notifications a follow-up answers: bounced (the outbox
 * entry a bounce names), or replied (a reply by tag or reference that
 * names one or comes from its site's domain). */
gboolean store_notification_answered (Store *store, const StoreDelivery *d,
                                      const StoreThread *thread,
                                      GError **error);

/* Records that acknowledgements to outbox entry's recipient bounce. */
gboolean store_mark_undeliverable (Store *store, gint64 outbox, gint64 ticket,
                                   GError **error);

#endif
