/*
 * store-thread.c - threads in the store: which ticket a follow-up
 * belongs to, and whether a reporter may get another acknowledgement
 * (the outbox the acknowledgements wait in is store-outbox.c's).
 *
 * A follow-up joins its ticket only on evidence that it belongs there:
 * our tag with its keyed check (so that nobody can post into a ticket by
 * guessing its number) or a Message-ID we stored or sent, and a sender
 * who took part in the ticket.  Anything less makes a new ticket that
 * records what it claimed, for an operator to judge.  A Message-ID is
 * weak evidence (anyone copied on a report knows it, and a From is easy
 * to forge): it never reopens a ticket (store.c), and a message whose
 * From our MTA found forged (DMARC) is threaded by a valid tag only.
 *
 * The check is the first 32 bits of an HMAC-SHA256 of the number, keyed
 * by the database's tag_secret: guessing it takes 2^31 tries on average,
 * each a mail.  It was 16 bits up to schema 5; the tags of the tickets
 * filed then (up to the setting tag_short_last) are honoured with their
 * 4 digits, since their reporters have them, and no others.
 */
#include <string.h>
#include <time.h>

#include "store-db.h"

#define TAG_CHECK_LEN 8     /* hex digits: 32 bits */
#define TAG_CHECK_OLD_LEN 4 /* tickets filed before schema 6 */
#define HOUR 3600
#define DAY (24 * HOUR)

static const char SQL_SECRET[]
    = "SELECT value FROM setting WHERE name = 'tag_secret'";

static const char SQL_SHORT_TAG_TICKET[]
    = "SELECT 1 FROM ticket WHERE number = :number AND id <= (SELECT CAST "
      "(value AS INTEGER) FROM setting WHERE name = 'tag_short_last')";

static const char SQL_TICKET_BY_NUMBER[]
    = "SELECT id, status FROM ticket WHERE number = :number";

static const char SQL_TICKET_BY_MESSAGE_ID[]
    = "SELECT m.ticket_id, t.number FROM message m JOIN ticket t "
      "ON t.id = m.ticket_id WHERE m.message_id = :id "
      "UNION ALL SELECT o.ticket_id, t.number FROM outbox o JOIN ticket t "
      "ON t.id = o.ticket_id WHERE o.message_id = :id LIMIT 1";

static const char SQL_OUTBOX_BY_MESSAGE_ID[]
    = "SELECT o.id, o.ticket_id, t.number FROM outbox o JOIN ticket t "
      "ON t.id = o.ticket_id WHERE o.message_id = :id";

static const char SQL_PARTICIPANT[]
    = "SELECT 1 FROM message WHERE ticket_id = :ticket AND "
      "(from_addr = :addr COLLATE NOCASE OR envelope_from = :addr COLLATE "
      "NOCASE) "
      "UNION ALL SELECT 1 FROM outbox WHERE ticket_id = :ticket AND "
      "recipient = :addr COLLATE NOCASE "
      /* A notified site answers from its abuse desk's domain, not always
       * from the address we wrote to (abuse@ -> noc@). */
      "UNION ALL SELECT 1 FROM notification WHERE ticket_id = :ticket AND "
      "lower (substr (email, instr (email, '@'))) = "
      "lower (substr (:addr, instr (:addr, '@'))) LIMIT 1";

static const char SQL_UNDELIVERABLE[]
    = "SELECT 1 FROM undeliverable WHERE address = :addr COLLATE NOCASE";

/* The acknowledgements since a time: to an address, for a report
 * sender, to a domain (both stored lower-case). */
static const char SQL_RECENT_TO[]
    = "SELECT COUNT(*) FROM outbox WHERE recipient = :key COLLATE NOCASE "
      "AND created > :since";

static const char SQL_RECENT_FOR[]
    = "SELECT COUNT(*) FROM outbox WHERE sender = :key AND created > :since";

static const char SQL_RECENT_DOMAIN[]
    = "SELECT COUNT(*) FROM outbox WHERE recipient_domain = :key "
      "AND created > :since";

void
store_thread_clear (StoreThread *thread)
{
  g_clear_pointer (&thread->claimed, g_free);
}

/* The first row's first column of a query with bound parameters. */
static gboolean
query_exists (Store *store, StoreStmt *stmt, gboolean *exists, GError **error)
{
  int rc = store_next (stmt);

  *exists = rc == STORE_ROW;
  return rc == STORE_ROW || rc == STORE_DONE
         || store_db_error (error, store, rc, "cannot read");
}

char *
store_tag (Store *store, const char *prefix, const char *number, GError **error)
{
  g_autoptr (StoreCached) stmt = store_cached (store, SQL_SECRET, error);
  g_autofree char *mac = NULL;
  const char *secret;

  if (stmt == NULL)
    return NULL;
  if (store_next (stmt) != STORE_ROW)
    {
      store_db_error (error, store, STORE_FAIL, "no tag secret");
      return NULL;
    }
  secret = store_column_peek (stmt, 0);
  mac = g_compute_hmac_for_string (G_CHECKSUM_SHA256, (const guchar *) secret,
                                   strlen (secret), number, -1);
  return g_strdup_printf ("[%s #%s/%.*s]", prefix, number, TAG_CHECK_LEN, mac);
}

typedef struct
{
  char *prefix;
  char *number; /* canonical */
  char *check;  /* or NULL */
  char *text;   /* as written */
} Tag;

static void
tag_clear (Tag *tag)
{
  g_clear_pointer (&tag->prefix, g_free);
  g_clear_pointer (&tag->number, g_free);
  g_clear_pointer (&tag->check, g_free);
  g_clear_pointer (&tag->text, g_free);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Tag, tag_clear)

/* The first ticket tag in subject, ours (prefix) preferred. */
static gboolean
subject_tag (const char *subject, const char *prefix, Tag *tag)
{
  g_autoptr (GRegex) re
      = g_regex_new ("\\[([A-Za-z0-9-]{1,16})\\s*#\\s*(\\d{4})-(\\d{1,9})"
                     "(?:/([0-9A-Fa-f]{8}|[0-9A-Fa-f]{4}))?\\]",
                     0, 0, NULL);
  g_autoptr (GMatchInfo) match = NULL;

  if (subject == NULL || !g_regex_match (re, subject, 0, &match))
    return FALSE;
  do
    {
      g_autofree char *found = g_match_info_fetch (match, 1);
      g_autofree char *year = g_match_info_fetch (match, 2);
      g_autofree char *seq = g_match_info_fetch (match, 3);

      if (tag->text != NULL && g_ascii_strcasecmp (found, prefix) != 0)
        continue;
      tag_clear (tag);
      tag->prefix = g_steal_pointer (&found);
      tag->number = g_strdup_printf ("%s-%06" G_GINT64_FORMAT, year,
                                     g_ascii_strtoll (seq, NULL, 10));
      tag->check = g_match_info_fetch (match, 4);
      tag->text = g_match_info_fetch (match, 0);
      if (g_ascii_strcasecmp (tag->prefix, prefix) == 0)
        break;
    }
  while (g_match_info_next (match, NULL));
  return TRUE;
}

/* Whether a 4-digit check may stand for the ticket numbered number: it
 * was filed when checks had 16 bits. */
static gboolean
short_check_allowed (Store *store, const char *number, gboolean *allowed,
                     GError **error)
{
  g_autoptr (StoreCached) stmt
      = store_cached (store, SQL_SHORT_TAG_TICKET, error);

  if (stmt == NULL)
    return FALSE;
  store_bind_text (stmt, ":number", number);
  return query_exists (store, stmt, allowed, error);
}

/* Whether the tag's check is the one we would write for its number: all
 * TAG_CHECK_LEN digits, or TAG_CHECK_OLD_LEN for an old ticket. */
static gboolean
tag_check_valid (Store *store, const Tag *tag, gboolean *valid, GError **error)
{
  g_autofree char *ours = store_tag (store, tag->prefix, tag->number, error);
  const char *slash = ours ? strrchr (ours, '/') : NULL;
  gsize len = tag->check ? strlen (tag->check) : 0;
  gboolean allowed = len == TAG_CHECK_LEN;

  *valid = FALSE;
  if (ours == NULL)
    return FALSE;
  if (len == TAG_CHECK_OLD_LEN
      && !short_check_allowed (store, tag->number, &allowed, error))
    return FALSE;
  *valid = allowed && g_ascii_strncasecmp (slash + 1, tag->check, len) == 0;
  return TRUE;
}

static gboolean
ticket_by_number (Store *store, const char *number, StoreThread *thread,
                  GError **error)
{
  g_autoptr (StoreCached) stmt
      = store_cached (store, SQL_TICKET_BY_NUMBER, error);
  int rc;

  if (stmt == NULL)
    return FALSE;
  store_bind_text (stmt, ":number", number);
  rc = store_next (stmt);
  if (rc == STORE_ROW)
    {
      thread->ticket = store_column_int64 (stmt, 0);
      g_strlcpy (thread->number, number, sizeof thread->number);
    }
  return rc == STORE_ROW || rc == STORE_DONE
         || store_db_error (error, store, rc, "cannot read ticket");
}

static gboolean
is_participant (Store *store, gint64 ticket, const char *addr,
                gboolean *participant, GError **error)
{
  g_autoptr (StoreCached) stmt = store_cached (store, SQL_PARTICIPANT, error);

  *participant = FALSE;
  if (stmt == NULL)
    return FALSE;
  if (addr == NULL)
    return TRUE;
  store_bind_int (stmt, ":ticket", ticket);
  store_bind_text (stmt, ":addr", addr);
  return query_exists (store, stmt, participant, error);
}

/* The ticket of a Message-ID we stored or sent, if any. */
static gboolean
ticket_by_reference (Store *store, const char *ids, StoreThread *thread,
                     GError **error)
{
  g_auto (GStrv) list = ids ? g_strsplit (ids, " ", -1) : NULL;
  g_autoptr (StoreCached) stmt
      = store_cached (store, SQL_TICKET_BY_MESSAGE_ID, error);

  if (stmt == NULL)
    return FALSE;
  /* The last reference is the nearest ancestor: try from there. */
  for (int i = list ? (int) g_strv_length (list) - 1 : -1; i >= 0; i--)
    {
      int rc;

      store_reset (stmt);
      store_bind_text (stmt, ":id", list[i]);
      rc = store_next (stmt);
      if (rc == STORE_ROW)
        {
          thread->ticket = store_column_int64 (stmt, 0);
          g_strlcpy (thread->number, store_column_peek (stmt, 1),
                     sizeof thread->number);
          return TRUE;
        }
      if (rc != STORE_DONE)
        return store_db_error (error, store, rc, "cannot read");
    }
  return TRUE;
}

/* A delivery report about one of our acknowledgements: one of the
 * Message-IDs it returns is one we sent. */
static gboolean
bounced_ack (Store *store, const StoreDelivery *d, StoreThread *thread,
             GError **error)
{
  g_autoptr (StoreCached) stmt
      = store_cached (store, SQL_OUTBOX_BY_MESSAGE_ID, error);

  for (gsize i = 0;
       stmt != NULL && d->returned_ids != NULL && d->returned_ids[i] != NULL;
       i++)
    {
      int rc;

      store_bind_text (stmt, ":id", d->returned_ids[i]);
      rc = store_next (stmt);
      if (rc == STORE_ROW)
        {
          thread->bounced = store_column_int64 (stmt, 0);
          thread->ticket = store_column_int64 (stmt, 1);
          g_strlcpy (thread->number, store_column_peek (stmt, 2),
                     sizeof thread->number);
          return TRUE;
        }
      if (rc != STORE_DONE)
        return store_db_error (error, store, rc, "cannot read");
      store_reset (stmt);
    }
  return stmt != NULL;
}

/* By our tag: joins when the check holds and the sender took part. */
static gboolean
thread_by_tag (Store *store, const StoreDelivery *d, const Tag *tag,
               StoreThread *thread, GError **error)
{
  gboolean valid = FALSE, participant = FALSE;
  g_autofree char *live = NULL;

  if (g_ascii_strcasecmp (tag->prefix, d->tag_prefix) != 0)
    {
      thread->claimed = g_strdup (tag->text); /* another team's tag */
      return TRUE;
    }
  if (!tag_check_valid (store, tag, &valid, error))
    return FALSE;
  /* A merged ticket's tag leads to the ticket it was merged into. */
  live = store_resolve_number (store, tag->number, NULL);
  if (live != NULL && !ticket_by_number (store, live, thread, error))
    return FALSE;
  if (thread->ticket == 0)
    {
      thread->claimed = g_strdup (tag->text);
      return TRUE;
    }
  if (!is_participant (store, thread->ticket, d->message->from_addr,
                       &participant, error))
    return FALSE;
  thread->join = valid && participant;
  thread->how = !thread->join ? "new" : d->automatic ? "auto-reply" : "tag";
  if (!thread->join)
    thread->claimed
        = g_strdup_printf ("%s (%s)", tag->text,
                           valid ? "from an address new to it" : "bad check");
  return TRUE;
}

gboolean
store_find_thread (Store *store, const StoreDelivery *d, StoreThread *thread,
                   GError **error)
{
  const Message *m = d->message;
  g_auto (Tag) tag = { 0 };
  g_autofree char *refs
      = g_strjoin (" ", m->references ? m->references : "",
                   m->in_reply_to ? m->in_reply_to : "", NULL);
  gboolean participant = FALSE;

  thread->how = "new";
  if (d->delivery_report && !d->dmarc_failed)
    {
      if (!bounced_ack (store, d, thread, error))
        return FALSE;
      thread->join = thread->ticket != 0;
      thread->how = thread->join ? "bounce" : "new";
      return TRUE;
    }
  if (subject_tag (m->subject, d->tag_prefix, &tag))
    return thread_by_tag (store, d, &tag, thread, error);
  if (!ticket_by_reference (store, refs, thread, error))
    return FALSE;
  if (thread->ticket == 0)
    return TRUE;
  if (d->dmarc_failed)
    {
      thread->claimed = g_strdup_printf ("a reply in ticket %s, but DMARC "
                                         "failed at our MTA",
                                         thread->number);
      return TRUE;
    }
  if (!is_participant (store, thread->ticket, m->from_addr, &participant,
                       error))
    return FALSE;
  thread->join = participant;
  thread->how = !participant   ? "new"
                : d->automatic ? "auto-reply"
                               : "reference";
  if (!participant)
    thread->claimed = g_strdup_printf ("a reply in ticket %s from an "
                                       "address new to it",
                                       thread->number);
  return TRUE;
}

/* One rate limit: acknowledgements per key and hour, and per day. */
typedef struct
{
  const char *sql;
  const char *key; /* NULL: not limited */
  int hour;
  int day;
  const char *what; /* for the reason: "rate limit%s (...)" */
} AckLimit;

/* The acknowledgements l counts since a time, into *count. */
static gboolean
count_recent (Store *store, const AckLimit *l, gint64 since, gint64 *count,
              GError **error)
{
  const char *sql = l->sql; /* an SQL_RECENT_ constant (t180) */
  g_autoptr (StoreCached) stmt = store_cached (store, sql, error);
  int rc;

  if (stmt == NULL)
    return FALSE;
  store_bind_text (stmt, ":key", l->key);
  store_bind_int (stmt, ":since", since);
  rc = store_next (stmt);
  if (rc != STORE_ROW)
    return store_db_error (error, store, rc, "cannot count replies");
  *count = store_column_int64 (stmt, 0);
  return TRUE;
}

/* A sliding window over the outbox itself: the acknowledgements of the
 * last hour and of the last day that l counts.  Sets *over. */
static gboolean
over_limit (Store *store, const AckLimit *l, gint64 now, gboolean *over,
            GError **error)
{
  gint64 hour = 0, day = 0;

  *over = FALSE;
  if (l->key == NULL)
    return TRUE;
  if (!count_recent (store, l, now - HOUR, &hour, error)
      || !count_recent (store, l, now - DAY, &day, error))
    return FALSE;
  *over = hour >= l->hour || day >= l->day;
  return TRUE;
}

/* The rate limits d is within; sets filed->ack to the first it is not. */
static gboolean
within_limits (Store *store, const StoreDelivery *d, StoreFiled *filed,
               gboolean *within, GError **error)
{
  /* Per address (a reporter), per report sender (one From aiming
   * replies at many addresses), per domain (many addresses at one). */
  const AckLimit limits[] = {
    { .sql = SQL_RECENT_TO,
      .key = d->ack_recipient,
      .hour = d->rate_hour,
      .day = d->rate_day,
      .what = "" },
    { .sql = SQL_RECENT_FOR,
      .key = d->ack_sender,
      .hour = d->rate_sender_hour,
      .day = d->rate_sender_day,
      .what = " per sender" },
    { .sql = SQL_RECENT_DOMAIN,
      .key = d->ack_domain,
      .hour = d->rate_domain_hour,
      .day = d->rate_domain_day,
      .what = " per domain" },
  };
  gint64 now = (gint64) time (NULL);
  gboolean over = FALSE;

  *within = TRUE;
  for (gsize i = 0; i < G_N_ELEMENTS (limits) && !over; i++)
    {
      if (!over_limit (store, &limits[i], now, &over, error))
        return FALSE;
      if (over)
        g_snprintf (filed->ack, sizeof filed->ack,
                    "rate limit%s (%d per "
                    "hour, %d per day)",
                    limits[i].what, limits[i].hour, limits[i].day);
    }
  *within = !over;
  return TRUE;
}

gboolean
store_ack_allowed (Store *store, const StoreDelivery *d, StoreFiled *filed,
                   GError **error)
{
  g_autoptr (StoreCached) stmt = store_cached (store, SQL_UNDELIVERABLE, error);
  gboolean bounced = FALSE, within = FALSE;

  g_strlcpy (filed->ack, d->ack_reason ? d->ack_reason : "not acknowledged",
             sizeof filed->ack);
  if (d->ack_recipient == NULL)
    return TRUE;
  if (stmt == NULL)
    return FALSE;
  store_bind_text (stmt, ":addr", d->ack_recipient);
  if (!query_exists (store, stmt, &bounced, error))
    return FALSE;
  if (bounced)
    {
      g_strlcpy (filed->ack, "our acknowledgements to this address bounced",
                 sizeof filed->ack);
      return TRUE;
    }
  if (!within_limits (store, d, filed, &within, error))
    return FALSE;
  if (within)
    g_strlcpy (filed->ack, "acknowledged", sizeof filed->ack);
  return TRUE;
}
