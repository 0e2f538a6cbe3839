/*
 * store-outbox.c - the outbox in the store: the acknowledgements queued
 * as a report is filed, claimed, sent and finished by the transport, the
 * addresses they bounced from, and the notifications a reply or a bounce
 * answers.  Which ticket a follow-up belongs to, and whether a reporter
 * may get another acknowledgement, is store-thread.c's.
 */
#include <string.h>
#include <time.h>

#include "store-db.h"

static const char SQL_OUTBOX_INSERT[]
    = "INSERT INTO outbox (ticket_id, reply_to, message_id, recipient, "
      "sender, recipient_domain, created, raw) VALUES (:ticket, :message, "
      ":message_id, :recipient, :sender, :domain, :now, :raw) RETURNING id";

static const char SQL_MARK_UNDELIVERABLE[]
    = "INSERT INTO undeliverable (address, since, ticket_id) "
      "SELECT recipient, :now, :ticket FROM outbox WHERE id = :outbox "
      "ON CONFLICT DO NOTHING";

gboolean
store_outbox_add (Store *store, const StoreDelivery *d, const StoreAck *ack,
                  StoreFiled *filed, GError **error)
{
  g_autoptr (StoreCached) stmt = store_cached (store, SQL_OUTBOX_INSERT, error);
  gsize len;
  gconstpointer data = g_bytes_get_data (ack->raw, &len);

  if (stmt == NULL)
    return FALSE;
  store_bind_int (stmt, ":ticket", ack->ticket);
  store_bind_int (stmt, ":message", ack->message);
  store_bind_text (stmt, ":message_id", ack->message_id);
  store_bind_text (stmt, ":recipient", d->ack_recipient);
  store_bind_text (stmt, ":sender", d->ack_sender);
  store_bind_text (stmt, ":domain", d->ack_domain);
  store_bind_int (stmt, ":now", (gint64) time (NULL));
  store_bind_blob (stmt, ":raw", data, len);
  filed->outbox_id = store_insert_id (
      store, stmt, "cannot queue the acknowledgement", error);
  return filed->outbox_id != 0;
}

gboolean
store_mark_undeliverable (Store *store, gint64 outbox, gint64 ticket,
                          GError **error)
{
  g_autoptr (StoreCached) stmt
      = store_cached (store, SQL_MARK_UNDELIVERABLE, error);

  if (stmt == NULL)
    return FALSE;
  store_bind_int (stmt, ":now", (gint64) time (NULL));
  store_bind_int (stmt, ":ticket", ticket);
  store_bind_int (stmt, ":outbox", outbox);
  return store_step (store, stmt, "cannot mark undeliverable", error);
}

static const char SQL_OUTBOX_LIST[]
    = "SELECT o.id, t.number, o.recipient, o.message_id, o.state, o.created, "
      "o.attempts, o.last_error, o.via FROM outbox o JOIN ticket t ON t.id = "
      "o.ticket_id WHERE :all <> 0 OR o.state != 'sent' ORDER BY o.id";

static const char SQL_OUTBOX_CLAIM[]
    = "UPDATE outbox SET state = 'sending', attempts = attempts + 1 "
      "WHERE id = :id AND (state IN ('queued', 'failed') "
      "OR (:stale <> 0 AND state = 'sending')) RETURNING raw, recipient";

static const char SQL_OUTBOX_FINISH[]
    = "UPDATE outbox SET state = :state, last_error = :why, via = :via, "
      "sent = CASE WHEN :state = 'sent' THEN :now END WHERE id = :id";

static const char SQL_NOTIFICATION_SENT[]
    = "UPDATE notification SET status = 'sent', sent = :now "
      "WHERE outbox_id = :id AND status = 'queued'";

static const char SQL_OUTBOX_ENVELOPE[]
    = "SELECT envelope_from FROM outbox WHERE id = :id";

/* A bounce of a notification (the outbox entry it names). */
static const char SQL_NOTIFICATION_BOUNCED[]
    = "UPDATE notification SET status = 'bounced', answered = :now "
      "WHERE outbox_id = :outbox";

/* A reply of a notified site: one that names the notification's
 * Message-ID, or comes from its address or domain. */
static const char SQL_NOTIFICATION_REPLIED[]
    = "UPDATE notification SET status = 'replied', answered = :now "
      "WHERE ticket_id = :ticket AND status IN ('queued', 'sent') AND "
      "(instr (:refs, '<' || message_id || '>') > 0 OR "
      "lower (substr (email, instr (email, '@'))) = "
      "lower (substr (:addr, instr (:addr, '@'))))";

void
store_outbox_free (StoreOutbox *e)
{
  g_free (e->number);
  g_free (e->recipient);
  g_free (e->message_id);
  g_free (e->state);
  g_free (e->via);
  g_free (e->last_error);
  g_free (e);
}

gpointer
store_outbox_from_row (StoreStmt *stmt)
{
  StoreOutbox *e = g_new0 (StoreOutbox, 1);

  e->id = store_column_int64 (stmt, 0);
  e->number = store_column_text (stmt, 1);
  e->recipient = store_column_text (stmt, 2);
  e->message_id = store_column_text (stmt, 3);
  e->state = store_column_text (stmt, 4);
  e->created = store_column_int64 (stmt, 5);
  e->attempts = store_column_int (stmt, 6);
  e->last_error = store_column_text (stmt, 7);
  e->via = store_column_text (stmt, 8);
  return e;
}

GPtrArray *
store_outbox_list (Store *store, gboolean all, GError **error)
{
  g_autoptr (StoreStmt) stmt = store_prepare (store, SQL_OUTBOX_LIST, error);

  if (stmt == NULL)
    return NULL;
  store_bind_int (stmt, ":all", all);
  return store_collect_rows (store, stmt, store_outbox_from_row,
                             (GDestroyNotify) store_outbox_free, error);
}

GBytes *
store_outbox_claim (Store *store, gint64 id, gboolean stale, char **recipient,
                    GError **error)
{
  g_autoptr (StoreStmt) stmt = store_prepare (store, SQL_OUTBOX_CLAIM, error);
  GBytes *raw;
  int rc;

  if (stmt == NULL)
    return NULL;
  store_bind_int (stmt, ":id", id);
  store_bind_int (stmt, ":stale", stale);
  rc = store_next (stmt);
  if (rc != STORE_ROW)
    {
      if (rc != STORE_DONE)
        store_db_error (error, store, rc, "cannot claim the reply");
      return NULL;
    }
  raw = g_bytes_new (store_column_blob (stmt, 0),
                     (gsize) store_column_bytes (stmt, 0));
  *recipient = store_column_text (stmt, 1);
  /* Autocommit: the claim is durable before anything is sent. */
  store_next (stmt);
  return raw;
}

gboolean
store_outbox_finish (Store *store, gint64 id, const char *via, const char *why,
                     GError **error)
{
  g_autoptr (StoreStmt) stmt = store_prepare (store, SQL_OUTBOX_FINISH, error);

  if (stmt == NULL)
    return FALSE;
  store_bind_text (stmt, ":state", via ? "sent" : "failed");
  store_bind_text (stmt, ":via", via);
  store_bind_text (stmt, ":why", why);
  store_bind_int (stmt, ":now", (gint64) time (NULL));
  store_bind_int (stmt, ":id", id);
  if (!store_step (store, stmt, "cannot record the send", error))
    return FALSE;
  if (via == NULL)
    return TRUE;
  g_clear_pointer (&stmt, store_finalize);
  stmt = store_prepare (store, SQL_NOTIFICATION_SENT, error);
  if (stmt == NULL)
    return FALSE;
  store_bind_int (stmt, ":now", (gint64) time (NULL));
  store_bind_int (stmt, ":id", id);
  return store_step (store, stmt, "cannot record the send", error);
}

char *
store_outbox_envelope (Store *store, gint64 id, GError **error)
{
  g_autoptr (StoreStmt) stmt
      = store_prepare (store, SQL_OUTBOX_ENVELOPE, error);

  if (stmt == NULL)
    return NULL;
  store_bind_int (stmt, ":id", id);
  if (store_next (stmt) != STORE_ROW)
    return NULL;
  return store_column_text (stmt, 0);
}

/* "<a> <b> <c>" of two space-separated lists of Message-IDs. */
static char *
bracketed_ids (const char *first, const char *second)
{
  g_autofree char *all
      = g_strjoin (" ", first ? first : "", second ? second : "", NULL);
  g_auto (GStrv) ids = g_strsplit (all, " ", -1);
  GString *out = g_string_new (NULL);

  for (guint i = 0; ids[i] != NULL; i++)
    if (*ids[i] != '\0')
      g_string_append_printf (out, "<%s> ", ids[i]);
  return g_string_free (out, FALSE);
}

gboolean
store_notification_answered (Store *store, const StoreDelivery *d,
                             const StoreThread *thread, GError **error)
{
  const Message *m = d->message;
  gboolean bounce = thread->bounced != 0;
  g_autoptr (StoreCached) stmt = NULL;
  g_autofree char *refs = NULL;

  if (!bounce && strcmp (thread->how, "tag") != 0
      && strcmp (thread->how, "reference") != 0)
    return TRUE; /* an auto-reply answers nothing */
  if (bounce)
    stmt = store_cached (store, SQL_NOTIFICATION_BOUNCED, error);
  else
    stmt = store_cached (store, SQL_NOTIFICATION_REPLIED, error);
  if (stmt == NULL)
    return FALSE;
  store_bind_int (stmt, ":now", d->received);
  if (bounce)
    store_bind_int (stmt, ":outbox", thread->bounced);
  else
    {
      refs = bracketed_ids (m->in_reply_to, m->references);
      store_bind_int (stmt, ":ticket", thread->ticket);
      store_bind_text (stmt, ":refs", refs);
      store_bind_text (stmt, ":addr", m->from_addr ? m->from_addr : "");
    }
  return store_step (store, stmt, "cannot mark the notification", error);
}
