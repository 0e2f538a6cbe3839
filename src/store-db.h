/*
 * store-db.h - private to the store's files (store.c, store-query.c,
 * store-outbox.c): the connection and the SQLite helpers.
 */
#ifndef MADOGUCHI_STORE_DB_H
#define MADOGUCHI_STORE_DB_H

#include <sqlite3.h>

#include "madoguchi/store.h"

G_DEFINE_AUTOPTR_CLEANUP_FUNC (sqlite3_stmt, sqlite3_finalize)

struct Store
{
  sqlite3 *db;
  char *path;
  gboolean batch;     /* inside store_batch_begin: savepoints only */
  GHashTable *cached; /* SQL text -> its statement, see store_cached */
  gint64 busy_timeout_us;
  gint64 busy_since;
};

/*
 * (transfer full) text as search sees it: NFKC-normalised, so that
 * full-width letters and digits (ＤｏＳ, １９２) and half-width katakana
 * find and are found as their usual forms.  Case is FTS5's trigram
 * tokenizer's business.  NULL for NULL; text that is not UTF-8 is
 * returned as it is.
 */
char *store_fold (const char *text);

/* Registers store_fold() as the SQL function madoguchi_fold(text), which
 * feeds the full-text index and the search of the messages not in it
 * yet (store-query.c). */
gboolean store_fold_register (sqlite3 *db);

/* A statement of the connection's cache (store_cached): released, not
 * finalized, when its g_autoptr goes out of scope. */
typedef sqlite3_stmt StoreCached;

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
#define SQL_INDICATOR_LIST                                                     \
  "SELECT kind, value, scope, MAX(own), SUM(count), GROUP_CONCAT(ports), "     \
  "MIN(first_seen), MAX(last_seen), MIN(context), MAX(role), MAX(asn) "        \
  "FROM indicator "                                                            \
  "WHERE ticket_id = :ticket GROUP BY kind, value "                            \
  "ORDER BY ip IS NULL, SUM(count) DESC, value"

/* (transfer full) a StoreTicket, StoreMessage (parts not read) or
 * StoreIndicator of a row of the statements above. */
gpointer store_ticket_from_row (sqlite3_stmt *stmt);
gpointer store_message_from_row (sqlite3_stmt *stmt);
gpointer store_indicator_from_row (sqlite3_stmt *stmt);

/* Sets error from an SQLite result code (BUSY for locks) and returns
 * FALSE. */
gboolean store_db_error (GError **error, sqlite3 *db, int rc, const char *what);
sqlite3_stmt *store_prepare (Store *store, const char *sql, GError **error);
/* The statement for sql, prepared on its first use by this connection
 * and kept until store_close: filing a message runs the same score of
 * statements, and preparing them anew was 7% of an import's
 * instructions.
 * Only for statements that never run inside a use of themselves. */
StoreCached *store_cached (Store *store, const char *sql, GError **error);
/* Resets a cached statement and clears its bindings for the next use. */
void store_cached_release (StoreCached *stmt);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (StoreCached, store_cached_release)
/* Runs a cached statement that takes no parameter and returns no row. */
gboolean store_run_cached (Store *store, const char *sql, GError **error);
int store_param (sqlite3_stmt *stmt, const char *name);
/* Bind by :name; a NULL text binds NULL; a time of 0 binds NULL. */
void store_bind_text (sqlite3_stmt *stmt, const char *name, const char *value);
void store_bind_int (sqlite3_stmt *stmt, const char *name, gint64 value);
void store_bind_blob16 (sqlite3_stmt *stmt, const char *name,
                        const guint8 *bytes);
void store_bind_time (sqlite3_stmt *stmt, const char *name, gint64 t);
/* Steps a statement whose rows, if any, are not read. */
gboolean store_step (Store *store, sqlite3_stmt *stmt, const char *what,
                     GError **error);
gboolean store_exec (Store *store, const char *sql, GError **error);
char *store_column_text (sqlite3_stmt *stmt, int col);
/* A row's first column as text: a from_row for store_collect_rows. */
gpointer store_column_first (sqlite3_stmt *stmt);
/* Steps stmt to its end, each row made an element by from_row. */
GPtrArray *store_collect_rows (Store *store, sqlite3_stmt *stmt,
                               gpointer (*from_row) (sqlite3_stmt *),
                               GDestroyNotify free_fn, GError **error);
/* The rows of a query with one :ticket parameter. */
GPtrArray *store_ticket_rows (Store *store, const char *sql, gint64 ticket_id,
                              gpointer (*from_row) (sqlite3_stmt *),
                              GDestroyNotify free_fn, GError **error);
/* An audit event: who did what to a ticket at `at`, old -> new. */
gboolean store_event (Store *store, gint64 ticket, gint64 at, const char *who,
                      const char *what, const char *old_value,
                      const char *new_value, GError **error);
/* The same, now. */
gboolean store_event_now (Store *store, gint64 ticket, const char *who,
                          const char *what, const char *old_value,
                          const char *new_value, GError **error);

#endif

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
gpointer store_outbox_from_row (sqlite3_stmt *stmt);

/* Finds the ticket a message follows up, by our tag (with a valid check)
 * or by a Message-ID it replies to, and whether it may join it. */
gboolean store_find_thread (Store *store, const StoreDelivery *d,
                            StoreThread *thread, GError **error);

/* Whether a new ticket's acknowledgement may go to d->ack_recipient:
 * not bounced before, within the rate limits per recipient, per report
 * sender and per recipient domain.  Sets filed->ack. */
gboolean store_ack_allowed (Store *store, const StoreDelivery *d,
                            StoreFiled *filed, GError **error);

/* Queues the acknowledgement of d (to d->ack_recipient, counted for
 * d->ack_sender and d->ack_domain); sets filed->outbox_id. */
gboolean store_outbox_add (Store *store, const StoreDelivery *d, gint64 ticket,
                           gint64 message, const char *message_id, GBytes *raw,
                           StoreFiled *filed, GError **error);

/* Marks the notifications a follow-up answers: bounced (the outbox
 * entry a bounce names), or replied (a reply by tag or reference that
 * names one or comes from its site's domain). */
gboolean store_notification_answered (Store *store, const StoreDelivery *d,
                                      const StoreThread *thread,
                                      GError **error);

/* Records that acknowledgements to outbox entry's recipient bounce. */
gboolean store_mark_undeliverable (Store *store, gint64 outbox, gint64 ticket,
                                   GError **error);
