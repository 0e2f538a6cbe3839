/*
 * store.c - filing a delivered message: ticket, message, evidence and
 * the queued acknowledgement in one transaction, on whichever database
 * the configuration names (store_open).
 *
 * Deliveries take the write lock at once (SQLite's BEGIN IMMEDIATE; on
 * PostgreSQL the counter's row lock), and the ticket counter is bumped
 * inside that transaction: numbers are unique and, since a rolled-back
 * transaction rolls the counter back too, gap-free.
 */
#include "madoguchi/store.h"

#include <string.h>
#include <time.h>

#include "store-db.h"

G_DEFINE_QUARK (madoguchi - store - error - quark, store_error)

/* Whether where names a PostgreSQL database rather than a file. */
gboolean
store_is_uri (const char *where)
{
  return g_str_has_prefix (where, "postgresql://")
         || g_str_has_prefix (where, "postgres://");
}

Store *
store_open (const char *path, int busy_timeout, GError **error)
{
  if (store_is_uri (path))
    return store_pg_open (path, busy_timeout, error);
  return store_lite_open (path, busy_timeout, error);
}

void
store_close (Store *store)
{
  if (store == NULL)
    return;
  if (store->kind == STORE_POSTGRES)
    store_pg_close (store);
  else
    store_lite_close (store, FALSE, NULL);
}

void
store_close_detached (Store *store, StoreChildSetup setup)
{
  if (store == NULL)
    return;
  if (store->kind == STORE_POSTGRES)
    store_pg_close (store);
  else
    store_lite_close (store, TRUE, setup);
}

/* A delivery indexes the waiting messages once this many wait; until
 * then `spool run` (from cron) does it, with no MTA waiting. */
#define INDEX_BACKLOG 256

static const char SQL_NEXT_NUMBER[]
    = "INSERT INTO counter (year, last) VALUES (:year, 1) "
      "ON CONFLICT (year) DO UPDATE SET last = counter.last + 1 RETURNING last";

static const char SQL_FIND_DUPLICATE[]
    = "SELECT t.number FROM message m JOIN ticket t ON t.id = m.ticket_id "
      "WHERE m.dedup_key = :key";

static const char SQL_TICKET_INSERT[]
    = "INSERT INTO ticket (number, year, seq, created, updated, reporter, "
      "reporter_name, subject, category, auto_category) VALUES (:number, "
      ":year, :seq, :now, :now, :reporter, :reporter_name, :subject, "
      ":category, :category) RETURNING id";

static const char SQL_MESSAGE_INSERT[]
    = "INSERT INTO message (ticket_id, received, spool_id, envelope_from, "
      "envelope_to, message_id, in_reply_to, refs, from_hdr, from_addr, "
      "reply_to, to_hdr, cc_hdr, subject, date_hdr, date_utc, size, flags, "
      "dedup_key, text, indicators_dropped, timestamps_dropped, category, "
      "scores, ack, thread, encryption, signature, signer, pgp_problem) "
      "VALUES (:ticket, :received, :spool_id, "
      ":envelope_from, :envelope_to, :message_id, :in_reply_to, :refs, :from, "
      ":from_addr, :reply_to, :to, :cc, :subject, :date, :date_utc, :size, "
      ":flags, :dedup_key, :text, :dropped, :times_dropped, :category, "
      ":scores, :ack, :thread, :encryption, :signature, :signer, "
      ":pgp_problem) RETURNING id";

static const char SQL_RAW_INSERT[]
    = "INSERT INTO message_raw (message_id, seq, bytes) VALUES (:message, "
      ":seq, :bytes)";

static const char SQL_REOPEN[]
    = "UPDATE ticket SET status = 'open', reply_waiting = 0, updated = :now "
      "WHERE id = :ticket AND status = 'resolved' RETURNING 1";

static const char SQL_REPLY_WAITING[]
    = "UPDATE ticket SET reply_waiting = 1, updated = :now WHERE id = :ticket "
      "AND status IN ('resolved', 'rejected') AND reply_waiting = 0 "
      "RETURNING status";

/* The ticket number a duplicate of this message was filed under. */
static gboolean
find_duplicate (Store *store, const char *key, StoreFiled *filed,
                GError **error)
{
  g_autoptr (StoreCached) stmt
      = store_cached (store, SQL_FIND_DUPLICATE, error);
  int rc;

  if (stmt == NULL)
    return FALSE;
  store_bind_text (stmt, ":key", key);
  rc = store_next (stmt);
  if (rc == STORE_ROW)
    {
      g_strlcpy (filed->number, store_column_peek (stmt, 0),
                 sizeof filed->number);
      filed->duplicate = TRUE;
      return TRUE;
    }
  if (rc != STORE_DONE)
    return store_db_error (error, store, rc, "cannot look up duplicate");
  filed->duplicate = FALSE;
  return TRUE;
}

static gint64
next_number (Store *store, int year, GError **error)
{
  g_autoptr (StoreCached) stmt = store_cached (store, SQL_NEXT_NUMBER, error);
  int rc;

  if (stmt == NULL)
    return 0;
  store_bind_int (stmt, ":year", year);
  rc = store_next (stmt);
  if (rc != STORE_ROW)
    {
      store_db_error (error, store, rc, "cannot number the ticket");
      return 0;
    }
  return store_column_int64 (stmt, 0);
}

static int
local_year (gint64 when)
{
  time_t t = (time_t) when;
  struct tm tm;

  localtime_r (&t, &tm);
  return tm.tm_year + 1900;
}

static gint64
insert_ticket (Store *store, const StoreDelivery *d, StoreFiled *filed,
               GError **error)
{
  g_autoptr (StoreCached) stmt = store_cached (store, SQL_TICKET_INSERT, error);
  int year = local_year (d->received);
  gint64 seq = stmt ? next_number (store, year, error) : 0;
  const Message *m = d->message;

  if (seq == 0)
    return 0;
  g_snprintf (filed->number, sizeof filed->number, "%d-%06" G_GINT64_FORMAT,
              year, seq);
  store_bind_text (stmt, ":number", filed->number);
  store_bind_int (stmt, ":year", year);
  store_bind_int (stmt, ":seq", seq);
  store_bind_int (stmt, ":now", d->received);
  store_bind_text (stmt, ":reporter", m->from_addr);
  store_bind_text (stmt, ":reporter_name", m->from);
  store_bind_text (stmt, ":subject", m->subject ? m->subject : "");
  store_bind_text (stmt, ":category",
                   d->classification ? d->classification->category : "other");
  return store_insert_id (store, stmt, "cannot insert ticket", error);
}

static void
bind_message_headers (StoreStmt *stmt, const Message *m)
{
  store_bind_text (stmt, ":message_id", m->message_id);
  store_bind_text (stmt, ":in_reply_to", m->in_reply_to);
  store_bind_text (stmt, ":refs", m->references);
  store_bind_text (stmt, ":from", m->from);
  store_bind_text (stmt, ":from_addr", m->from_addr);
  store_bind_text (stmt, ":reply_to", m->reply_to);
  store_bind_text (stmt, ":to", m->to);
  store_bind_text (stmt, ":cc", m->cc);
  store_bind_text (stmt, ":subject", m->subject);
  store_bind_text (stmt, ":date", m->date);
  if (m->date_utc != 0)
    store_bind_int (stmt, ":date_utc", m->date_utc);
  if (m->pgp.encrypted)
    store_bind_text (stmt, ":encryption",
                     m->pgp.decrypted ? "decrypted" : "undecrypted");
  store_bind_text (stmt, ":signature", m->pgp.signature);
  store_bind_text (stmt, ":signer", m->pgp.signer);
  store_bind_text (stmt, ":pgp_problem", m->pgp.problem);
}

/* "scan=6 intrusion=4": the non-zero totals, for the record. */
static char *
scores_text (const Classification *c)
{
  const char *const *names = report_categories ();
  GString *s;

  if (c == NULL)
    return NULL;
  s = g_string_new (NULL);
  for (int i = 0; i < REPORT_CATEGORIES; i++)
    if (c->scores[i] != 0)
      g_string_append_printf (s, "%s%s=%d", s->len ? " " : "", names[i],
                              c->scores[i]);
  return g_string_free (s, FALSE);
}

typedef struct
{
  Store *store;
  StoreStmt *stmt;
  gint64 seq;
} RawInsert;

static gboolean
insert_raw_chunk (const char *data, gsize len, gpointer user_data,
                  GError **error)
{
  RawInsert *r = user_data;

  store_reset (r->stmt);
  store_bind_int (r->stmt, ":seq", r->seq++);
  store_bind_blob (r->stmt, ":bytes", data, len);
  return store_step (r->store, r->stmt, "cannot insert the message's bytes",
                     error);
}

/* The bytes as received, RAW_CHUNK at a time (read from the spool file
 * when that is where they are); an empty message is one empty row. */
static gboolean
insert_raw (Store *store, gint64 message, const Raw *raw, GError **error)
{
  g_autoptr (StoreCached) stmt = store_cached (store, SQL_RAW_INSERT, error);
  RawInsert r = { store, stmt, 0 };

  if (stmt == NULL)
    return FALSE;
  store_bind_int (stmt, ":message", message);
  if (raw_size (raw) == 0)
    return insert_raw_chunk ("", 0, &r, error);
  return raw_foreach_chunk (raw, 0, insert_raw_chunk, &r, error);
}

static gint64
insert_message (Store *store, const StoreDelivery *d, gint64 ticket,
                const StoreFiled *filed, GError **error)
{
  g_autoptr (StoreCached) stmt
      = store_cached (store, SQL_MESSAGE_INSERT, error);
  g_autofree char *flags = report_flags_to_string (d->message->flags);
  g_autofree char *scores = scores_text (d->classification);
  g_autofree char *text = report_message_text (d->message);
  gint64 id;

  if (stmt == NULL)
    return 0;
  store_bind_int (stmt, ":ticket", ticket);
  store_bind_int (stmt, ":received", d->received);
  store_bind_text (stmt, ":spool_id", d->spool_id);
  store_bind_text (stmt, ":envelope_from", d->envelope_from);
  store_bind_text (stmt, ":envelope_to", d->envelope_to);
  bind_message_headers (stmt, d->message);
  store_bind_int (stmt, ":size", d->size);
  store_bind_text (stmt, ":flags", flags);
  store_bind_text (stmt, ":dedup_key", d->message->dedup_key);
  store_bind_text (stmt, ":text", text);
  store_bind_int (stmt, ":dropped", d->extraction ? d->extraction->dropped : 0);
  store_bind_int (stmt, ":times_dropped",
                  d->extraction ? d->extraction->timestamps_dropped : 0);
  store_bind_text (stmt, ":category",
                   d->classification ? d->classification->category : NULL);
  store_bind_text (stmt, ":scores", scores);
  store_bind_text (stmt, ":ack", filed->ack);
  store_bind_text (stmt, ":thread", filed->thread);
  id = store_insert_id (store, stmt, "cannot insert message", error);
  if (id == 0)
    return 0;
  store_reset (stmt);
  return insert_raw (store, id, d->raw, error) ? id : 0;
}

/* What a delivery did to a ticket (what -> new_value), as the event the
 * ticket's history shows, at the time the report was received. */
static StoreAudit
delivery_audit (gint64 ticket, const StoreDelivery *d, const char *what,
                const char *new_value)
{
  return (StoreAudit){
    .ticket = ticket,
    .at = d->received,
    .who = d->who,
    .what = what,
    .new_value = new_value,
  };
}

/*
 * The acknowledgement of a new ticket, when allowed.  A reply that cannot
 * be built (a template missing) costs the reply, never the report: the
 * ticket is filed and the reason recorded.
 */
static GBytes *
build_ack (Store *store, const StoreDelivery *d, StoreFiled *filed,
           char **message_id, GError **error)
{
  g_autoptr (GError) local = NULL;
  g_autofree char *tag = NULL;
  GBytes *raw;

  if (!store_ack_allowed (store, d, filed, error))
    return NULL;
  if (strcmp (filed->ack, "acknowledged") != 0 || d->reply_func == NULL)
    return NULL;
  tag = store_tag (store, d->tag_prefix, filed->number, error);
  if (tag == NULL)
    return NULL;
  raw = d->reply_func (filed->number, tag, message_id, d->reply_data, &local);
  if (raw == NULL)
    g_snprintf (filed->ack, sizeof filed->ack, "not sent: %s", local->message);
  return raw;
}

static gboolean
file_new_ticket (Store *store, const StoreDelivery *d, StoreThread *thread,
                 StoreFiled *filed, GError **error)
{
  gint64 ticket = insert_ticket (store, d, filed, error);
  g_autofree char *reply_id = NULL;
  g_autoptr (GBytes) reply = NULL;
  g_autoptr (GError) local = NULL;
  gint64 message;

  if (ticket == 0)
    return FALSE;
  reply = build_ack (store, d, filed, &reply_id, &local);
  if (local != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&local));
      return FALSE;
    }
  message = insert_message (store, d, ticket, filed, error);
  return message != 0 && store_insert_details (store, d, ticket, message, error)
         && store_audit (
             store, delivery_audit (ticket, d, "created", d->spool_id), error)
         && (thread->claimed == NULL
             || store_audit (
                 store, delivery_audit (ticket, d, "claimed", thread->claimed),
                 error))
         && (reply == NULL
             || store_outbox_add (store, d,
                                  &(StoreAck){ .ticket = ticket,
                                               .message = message,
                                               .message_id = reply_id,
                                               .raw = reply },
                                  filed, error));
}

/*
 * A closed ticket that a reply joins.  Only a reply with our tag (its
 * keyed check) reopens it: one that joined by a Message-ID it quotes may
 * come from anyone who was copied on the report and forged its From, so
 * it leaves the status alone and marks the ticket as waiting for an
 * operator (reply_waiting, until its status is next set), with an event
 * that says why.  sql is SQL_REOPEN or SQL_REPLY_WAITING.
 */
static gboolean
reply_to_closed (Store *store, const StoreDelivery *d, gint64 ticket,
                 const char *sql, GError **error)
{
  g_autoptr (StoreCached) stmt = store_cached (store, sql, error);
  gboolean reopen = sql == SQL_REOPEN;
  g_autofree char *status = NULL;
  int rc;

  if (stmt == NULL)
    return FALSE;
  store_bind_int (stmt, ":now", d->received);
  store_bind_int (stmt, ":ticket", ticket);
  rc = store_next (stmt);
  if (rc == STORE_DONE)
    return TRUE;
  if (rc != STORE_ROW)
    return store_db_error (error, store, rc, "cannot reopen");
  status = reopen ? NULL : store_column_text (stmt, 0);
  store_next (stmt); /* to its end: the UPDATE is done */
  store_reset (stmt);
  if (reopen)
    return store_audit (store,
                        (StoreAudit){ .ticket = ticket,
                                      .at = d->received,
                                      .who = d->who,
                                      .what = "status",
                                      .old_value = "resolved",
                                      .new_value = "open" },
                        error);
  return store_audit (store,
                      (StoreAudit){ .ticket = ticket,
                                    .at = d->received,
                                    .who = d->who,
                                    .what = "waiting",
                                    .old_value = status,
                                    .new_value = "a reply without the tag: "
                                                 "not reopened" },
                      error);
}

/*
 * A bounce or an auto-reply that joins a ticket is kept, parts and all,
 * but is no evidence: the addresses, host names and times in it are its
 * MTA's and those of our own acknowledgement's headers.  Extracted and
 * scored, they would add the bouncing MX to the ticket's sources and to
 * stats' top sources, score other/spoofing (backscatter), and relate
 * every ticket whose acknowledgement bounced through the same MX.
 */
static gboolean
is_noise (const StoreThread *thread)
{
  return strcmp (thread->how, "bounce") == 0
         || strcmp (thread->how, "auto-reply") == 0;
}

static gboolean
file_followup (Store *store, const StoreDelivery *d, StoreThread *thread,
               StoreFiled *filed, GError **error)
{
  StoreDelivery quiet = *d;
  gint64 message;
  const char *closed = strcmp (thread->how, "tag") == 0 ? SQL_REOPEN
                       : strcmp (thread->how, "reference") == 0
                           ? SQL_REPLY_WAITING
                           : NULL;

  g_strlcpy (filed->number, thread->number, sizeof filed->number);
  g_snprintf (filed->ack, sizeof filed->ack,
              "a follow-up: no "
              "acknowledgement");
  filed->followup = TRUE;
  if (is_noise (thread))
    {
      quiet.extraction = NULL;
      quiet.classification = NULL;
    }
  message = insert_message (store, d, thread->ticket, filed, error);
  return message != 0
         && store_insert_details (store, &quiet, thread->ticket, message, error)
         && store_audit (
             store,
             delivery_audit (thread->ticket, d, "follow-up", thread->how),
             error)
         && (thread->bounced == 0
             || store_mark_undeliverable (store, thread->bounced,
                                          thread->ticket, error))
         && store_notification_answered (store, d, thread, error)
         && (closed == NULL
             || reply_to_closed (store, d, thread->ticket, closed, error));
}

static gboolean
file_message (Store *store, const StoreDelivery *d, StoreFiled *filed,
              GError **error)
{
  StoreThread thread = { 0 };
  gboolean ok = store_find_thread (store, d, &thread, error);

  if (ok)
    {
      g_strlcpy (filed->thread, thread.how, sizeof filed->thread);
      ok = thread.join ? file_followup (store, d, &thread, filed, error)
                       : file_new_ticket (store, d, &thread, filed, error);
    }
  store_thread_clear (&thread);
  return ok;
}

/*
 * The filing works on a StoreFiled of its own and hands it over only once
 * the COMMIT has succeeded: a ticket number is taken, and the follow-up's
 * copied, long before that, and a COMMIT or INSERT that fails after it
 * (a full disk) rolls the number back.  A caller that took a number seen
 * in a failed filing for "filed" told the MTA a report was safe that was
 * neither in the database nor synced in the spool.
 */
static gboolean
file_once (Store *store, const StoreDelivery *delivery, StoreFiled *filed,
           GError **error)
{
  /* In a batch, one message is a savepoint of the batch's transaction:
   * a message that fails leaves the others of the batch alone. */
  const char *begin
      = store->batch ? "SAVEPOINT file" : store_sql (store, &SQL_BEGIN_WRITE);
  const char *commit = store->batch ? "RELEASE file" : "COMMIT";
  const char *rollback
      = store->batch ? "ROLLBACK TO file; RELEASE file" : "ROLLBACK";
  StoreFiled work = { 0 };

  *filed = (StoreFiled){ 0 };
  if (!store_run_cached (store, begin, error))
    return FALSE;
  if (!find_duplicate (store, delivery->message->dedup_key, &work, error)
      || (!work.duplicate && !file_message (store, delivery, &work, error))
      || (!store->batch && !store_lite_index (store, INDEX_BACKLOG, error))
      || !store_run_cached (store, commit, error))
    {
      store_exec (store, rollback, NULL);
      return FALSE;
    }
  *filed = work;
  return TRUE;
}

/* A filing that lost a conflict with another host's (a deadlock, a dedup
 * key taken at the same moment) is run again: the second time it sees
 * what the winner committed. */
gboolean
store_file (Store *store, const StoreDelivery *delivery, StoreFiled *filed,
            GError **error)
{
  guint tries = 0;

  store->conflict = FALSE;
  while (!file_once (store, delivery, filed, error))
    if (!store_retry (store, &tries, error))
      return FALSE;
  return TRUE;
}

gboolean
store_index_waiting (Store *store, GError **error)
{
  /* An empty batch: committing one indexes what waits. */
  return store_batch_begin (store, error) && store_batch_commit (store, error);
}

gboolean
store_batch_begin (Store *store, GError **error)
{
  if (!store_begin_write (store, error))
    return FALSE;
  store->batch = TRUE;
  return TRUE;
}

gboolean
store_batch_commit (Store *store, GError **error)
{
  store->batch = FALSE;
  if (store_lite_index (store, 1, error) && store_commit (store, error))
    return TRUE;
  store_rollback (store);
  return FALSE;
}
