/*
 * store.c - madoguchi's SQLite database.
 *
 * WAL lets operators read while deliveries write.  synchronous=FULL,
 * because the spool file is removed right after a commit and the commit
 * must therefore be on disk first.  Deliveries take the write lock at
 * once (BEGIN IMMEDIATE) so that two of them never deadlock upgrading
 * read locks, and the ticket counter is bumped inside that transaction:
 * numbers are unique and, since a rolled-back transaction rolls the
 * counter back too, gap-free.
 */
#include "madoguchi/store.h"

#include <sqlite3.h>
#include <string.h>
#include <time.h>

G_DEFINE_QUARK (madoguchi-store-error-quark, store_error)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (sqlite3_stmt, sqlite3_finalize)

#define STORE_SCHEMA_VERSION 1

struct Store {
  sqlite3 *db;
  char *path;
};

static const char SQL_NEXT_NUMBER[] =
  "INSERT INTO counter (year, last) VALUES (:year, 1) "
  "ON CONFLICT (year) DO UPDATE SET last = last + 1 RETURNING last";

static const char SQL_FIND_DUPLICATE[] =
  "SELECT t.number FROM message m JOIN ticket t ON t.id = m.ticket_id "
  "WHERE m.dedup_key = :key";

static const char SQL_TICKET_INSERT[] =
  "INSERT INTO ticket (number, year, seq, created, updated, reporter, "
  "reporter_name, subject, category, auto_category) VALUES (:number, "
  ":year, :seq, :now, :now, :reporter, :reporter_name, :subject, "
  ":category, :category)";

static const char SQL_REASON_INSERT[] =
  "INSERT INTO reason (ticket_id, message_id, category, rule, score, "
  "place, matched) VALUES (:ticket, :message, :category, :rule, :score, "
  ":place, :matched)";

static const char SQL_FORM_INSERT[] =
  "INSERT INTO form_field (ticket_id, message_id, name, value) "
  "VALUES (:ticket, :message, :name, :value)";

static const char SQL_REASON_LIST[] =
  "SELECT rule, category, score, place, matched FROM reason "
  "WHERE ticket_id = :ticket ORDER BY message_id, score DESC, id";

static const char SQL_FORM_LIST[] =
  "SELECT name, value FROM form_field WHERE ticket_id = :ticket "
  "ORDER BY message_id, rowid";

static const char SQL_CATEGORY_GET[] =
  "SELECT id, category FROM ticket WHERE number = :number";

static const char SQL_CATEGORY_SET[] =
  "UPDATE ticket SET category = :category, category_by = :who, "
  "updated = :now WHERE id = :ticket";

static const char SQL_MESSAGE_INSERT[] =
  "INSERT INTO message (ticket_id, received, spool_id, envelope_from, "
  "envelope_to, message_id, in_reply_to, refs, from_hdr, from_addr, "
  "reply_to, to_hdr, cc_hdr, subject, date_hdr, date_utc, size, flags, "
  "dedup_key, raw, text, indicators_dropped, category, scores) VALUES "
  "(:ticket, :received, :spool_id, :envelope_from, :envelope_to, "
  ":message_id, :in_reply_to, :refs, :from, :from_addr, :reply_to, :to, "
  ":cc, :subject, :date, :date_utc, :size, :flags, :dedup_key, :raw, "
  ":text, :dropped, :category, :scores)";

static const char SQL_INDICATOR_INSERT[] =
  "INSERT INTO indicator (ticket_id, message_id, kind, value, ip, ip_end, "
  "scope, own, role, ports, count, first_seen, last_seen, context) VALUES "
  "(:ticket, :message, :kind, :value, :ip, :ip_end, :scope, :own, :role, "
  ":ports, :count, :first_seen, :last_seen, :context)";

static const char SQL_TIMESTAMP_INSERT[] =
  "INSERT INTO timestamp (ticket_id, message_id, utc, original, rule, "
  "zone_assumed, part, line) VALUES (:ticket, :message, :utc, :original, "
  ":rule, :assumed, :part, :line)";

static const char SQL_EXCERPT_INSERT[] =
  "INSERT INTO excerpt (ticket_id, message_id, part, first_line, "
  "last_line, text) VALUES (:ticket, :message, :part, :first, :last, "
  ":text)";

static const char SQL_INDICATOR_LIST[] =
  "SELECT kind, value, scope, MAX(own), SUM(count), GROUP_CONCAT(ports), "
  "MIN(first_seen), MAX(last_seen), MIN(context), MAX(role) FROM indicator "
  "WHERE ticket_id = :ticket GROUP BY kind, value "
  "ORDER BY ip IS NULL, SUM(count) DESC, value";

static const char SQL_TIMESTAMP_LIST[] =
  "SELECT utc, original, rule, zone_assumed, part, line FROM timestamp "
  "WHERE ticket_id = :ticket ORDER BY utc, id";

static const char SQL_EXCERPT_LIST[] =
  "SELECT part, first_line, last_line, text FROM excerpt "
  "WHERE ticket_id = :ticket ORDER BY message_id, id";

static const char SQL_PART_INSERT[] =
  "INSERT INTO part (message_id, idx, depth, content_type, filename, "
  "charset, size, is_text, forwarded) VALUES (:message, :idx, :depth, "
  ":type, :filename, :charset, :size, :is_text, :forwarded)";

static const char SQL_EVENT_INSERT[] =
  "INSERT INTO event (ticket_id, at, who, what, old, new) "
  "VALUES (:ticket, :at, :who, :what, :old, :new)";

#define SQL_TICKET_COLUMNS \
  "SELECT id, number, created, status, category, category_by, owner, " \
  "reporter, reporter_name, subject, auto_category FROM ticket "

static const char SQL_TICKET_LIST[] =
  SQL_TICKET_COLUMNS "WHERE :by_ip = 0 OR id IN (SELECT ticket_id FROM "
  "indicator WHERE ip BETWEEN :first AND :last OR (kind IN ('cidr', "
  "'range') AND ip <= :last AND ip_end >= :first)) "
  "ORDER BY created DESC, id DESC LIMIT :limit";

static const char SQL_TICKET_GET[] =
  SQL_TICKET_COLUMNS "WHERE number = :number";

static const char SQL_MESSAGE_LIST[] =
  "SELECT id, direction, received, envelope_from, message_id, from_hdr, "
  "to_hdr, subject, date_hdr, flags, size, text, category, scores "
  "FROM message "
  "WHERE ticket_id = :ticket ORDER BY received, id";

static const char SQL_PART_LIST[] =
  "SELECT depth, content_type, filename, charset, size, forwarded "
  "FROM part WHERE message_id = :message ORDER BY idx";

static const char SQL_MESSAGE_RAW[] =
  "SELECT raw FROM message WHERE id = :message";

static gboolean
set_db_error (GError **error, sqlite3 *db, int rc, const char *what)
{
  int code = rc == SQLITE_BUSY || rc == SQLITE_LOCKED ? STORE_ERROR_BUSY
                                                      : STORE_ERROR_FAILED;

  g_set_error (error, STORE_ERROR, code, "%s: %s", what,
               db ? sqlite3_errmsg (db) : sqlite3_errstr (rc));
  return FALSE;
}

static sqlite3_stmt *
prepare (Store *store, const char *sql, GError **error)
{
  sqlite3_stmt *stmt = NULL;
  int rc = sqlite3_prepare_v2 (store->db, sql, -1, &stmt, NULL);

  if (rc != SQLITE_OK)
    {
      set_db_error (error, store->db, rc, "cannot prepare statement");
      return NULL;
    }
  return stmt;
}

static int
param (sqlite3_stmt *stmt, const char *name)
{
  int idx = sqlite3_bind_parameter_index (stmt, name);

  g_assert (idx > 0);
  return idx;
}

static void
bind_text (sqlite3_stmt *stmt, const char *name, const char *value)
{
  if (value == NULL)
    sqlite3_bind_null (stmt, param (stmt, name));
  else
    sqlite3_bind_text (stmt, param (stmt, name), value, -1, SQLITE_STATIC);
}

static void
bind_int (sqlite3_stmt *stmt, const char *name, gint64 value)
{
  sqlite3_bind_int64 (stmt, param (stmt, name), value);
}

/* Steps a statement that returns no row (or whose rows are ignored). */
static gboolean
step_done (Store *store, sqlite3_stmt *stmt, const char *what,
           GError **error)
{
  int rc = sqlite3_step (stmt);

  if (rc == SQLITE_DONE || rc == SQLITE_ROW)
    return TRUE;
  return set_db_error (error, store->db, rc, what);
}

static gboolean
exec (Store *store, const char *sql, GError **error)
{
  int rc = sqlite3_exec (store->db, sql, NULL, NULL, NULL);

  if (rc == SQLITE_OK)
    return TRUE;
  return set_db_error (error, store->db, rc, sql);
}

static char *
column_text (sqlite3_stmt *stmt, int col)
{
  return g_strdup ((const char *) sqlite3_column_text (stmt, col));
}

static int
user_version (Store *store)
{
  g_autoptr (sqlite3_stmt) stmt = prepare (store, "PRAGMA user_version",
                                           NULL);

  if (stmt == NULL || sqlite3_step (stmt) != SQLITE_ROW)
    return -1;
  return sqlite3_column_int (stmt, 0);
}

/* Version 0 -> 1: the first schema. */
static gboolean
migrate_to_1 (Store *store, GError **error)
{
  return exec (store, (const char *) store_schema_sql, error)
         && exec (store, "PRAGMA user_version = 1", error);
}

static gboolean
store_migrate (Store *store, GError **error)
{
  int version;

  if (!exec (store, "BEGIN IMMEDIATE", error))
    return FALSE;
  version = user_version (store);
  if (version > STORE_SCHEMA_VERSION || version < 0)
    {
      exec (store, "ROLLBACK", NULL);
      g_set_error (error, STORE_ERROR, STORE_ERROR_FAILED,
                   "%s: schema version %d is newer than this madoguchi "
                   "(%d) or unreadable", store->path, version,
                   STORE_SCHEMA_VERSION);
      return FALSE;
    }
  if ((version < 1 && !migrate_to_1 (store, error))
      || !exec (store, "COMMIT", error))
    {
      exec (store, "ROLLBACK", NULL);
      return FALSE;
    }
  return TRUE;
}

Store *
store_open (const char *path, int busy_timeout, GError **error)
{
  g_autoptr (Store) store = g_new0 (Store, 1);
  int rc;

  store->path = g_strdup (path);
  rc = sqlite3_open_v2 (path, &store->db,
                        SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE
                        | SQLITE_OPEN_NOFOLLOW, NULL);
  if (rc != SQLITE_OK)
    {
      set_db_error (error, store->db, rc, path);
      return NULL;
    }
  sqlite3_busy_timeout (store->db, busy_timeout);
  sqlite3_extended_result_codes (store->db, 0);
  if (!exec (store, "PRAGMA journal_mode = WAL", error)
      || !exec (store, "PRAGMA synchronous = FULL", error)
      || !exec (store, "PRAGMA foreign_keys = ON", error)
      || !store_migrate (store, error))
    {
      g_prefix_error (error, "%s: ", path);
      return NULL;
    }
  return g_steal_pointer (&store);
}

void
store_close (Store *store)
{
  if (store == NULL)
    return;
  sqlite3_close_v2 (store->db);
  g_free (store->path);
  g_free (store);
}

/* The ticket number a duplicate of this message was filed under. */
static gboolean
find_duplicate (Store *store, const char *key, StoreFiled *filed,
                GError **error)
{
  g_autoptr (sqlite3_stmt) stmt = prepare (store, SQL_FIND_DUPLICATE, error);
  int rc;

  if (stmt == NULL)
    return FALSE;
  bind_text (stmt, ":key", key);
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_ROW)
    {
      g_strlcpy (filed->number, (const char *) sqlite3_column_text (stmt, 0),
                 sizeof filed->number);
      filed->duplicate = TRUE;
      return TRUE;
    }
  if (rc != SQLITE_DONE)
    return set_db_error (error, store->db, rc, "cannot look up duplicate");
  filed->duplicate = FALSE;
  return TRUE;
}

static gint64
next_number (Store *store, int year, GError **error)
{
  g_autoptr (sqlite3_stmt) stmt = prepare (store, SQL_NEXT_NUMBER, error);
  int rc;

  if (stmt == NULL)
    return 0;
  bind_int (stmt, ":year", year);
  rc = sqlite3_step (stmt);
  if (rc != SQLITE_ROW)
    {
      set_db_error (error, store->db, rc, "cannot number the ticket");
      return 0;
    }
  return sqlite3_column_int64 (stmt, 0);
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
  g_autoptr (sqlite3_stmt) stmt = prepare (store, SQL_TICKET_INSERT, error);
  int year = local_year (d->received);
  gint64 seq = stmt ? next_number (store, year, error) : 0;
  const Message *m = d->message;

  if (seq == 0)
    return 0;
  g_snprintf (filed->number, sizeof filed->number, "%d-%06" G_GINT64_FORMAT,
              year, seq);
  bind_text (stmt, ":number", filed->number);
  bind_int (stmt, ":year", year);
  bind_int (stmt, ":seq", seq);
  bind_int (stmt, ":now", d->received);
  bind_text (stmt, ":reporter", m->from_addr);
  bind_text (stmt, ":reporter_name", m->from);
  bind_text (stmt, ":subject", m->subject ? m->subject : "");
  bind_text (stmt, ":category", d->classification
                                ? d->classification->category : "other");
  if (!step_done (store, stmt, "cannot insert ticket", error))
    return 0;
  return sqlite3_last_insert_rowid (store->db);
}

static void
bind_message_headers (sqlite3_stmt *stmt, const Message *m)
{
  bind_text (stmt, ":message_id", m->message_id);
  bind_text (stmt, ":in_reply_to", m->in_reply_to);
  bind_text (stmt, ":refs", m->references);
  bind_text (stmt, ":from", m->from);
  bind_text (stmt, ":from_addr", m->from_addr);
  bind_text (stmt, ":reply_to", m->reply_to);
  bind_text (stmt, ":to", m->to);
  bind_text (stmt, ":cc", m->cc);
  bind_text (stmt, ":subject", m->subject);
  bind_text (stmt, ":date", m->date);
  if (m->date_utc != 0)
    bind_int (stmt, ":date_utc", m->date_utc);
}

/* "scan=6 intrusion=4": the non-zero totals, for the record. */
static char *
scores_text (const Classification *c)
{
  const char *const *names = rules_categories ();
  GString *s;

  if (c == NULL)
    return NULL;
  s = g_string_new (NULL);
  for (int i = 0; i < CLASSIFY_CATEGORIES; i++)
    if (c->scores[i] != 0)
      g_string_append_printf (s, "%s%s=%d", s->len ? " " : "", names[i],
                              c->scores[i]);
  return g_string_free (s, FALSE);
}

static gint64
insert_message (Store *store, const StoreDelivery *d, gint64 ticket,
                GError **error)
{
  g_autoptr (sqlite3_stmt) stmt = prepare (store, SQL_MESSAGE_INSERT, error);
  g_autofree char *flags = message_flags_to_string (d->message->flags);
  g_autofree char *scores = scores_text (d->classification);
  gsize raw_len = 0;
  gconstpointer raw = g_bytes_get_data (d->raw, &raw_len);

  if (stmt == NULL)
    return 0;
  bind_int (stmt, ":ticket", ticket);
  bind_int (stmt, ":received", d->received);
  bind_text (stmt, ":spool_id", d->spool_id);
  bind_text (stmt, ":envelope_from", d->envelope_from);
  bind_text (stmt, ":envelope_to", d->envelope_to);
  bind_message_headers (stmt, d->message);
  bind_int (stmt, ":size", d->size);
  bind_text (stmt, ":flags", flags);
  bind_text (stmt, ":dedup_key", d->message->dedup_key);
  sqlite3_bind_blob64 (stmt, param (stmt, ":raw"), raw_len ? raw : "",
                       raw_len, SQLITE_STATIC);
  bind_text (stmt, ":text", d->message->text);
  bind_int (stmt, ":dropped", d->extraction ? d->extraction->dropped : 0);
  bind_text (stmt, ":category", d->classification
                                ? d->classification->category : NULL);
  bind_text (stmt, ":scores", scores);
  if (!step_done (store, stmt, "cannot insert message", error))
    return 0;
  return sqlite3_last_insert_rowid (store->db);
}

static gboolean
insert_parts (Store *store, gint64 message, GPtrArray *parts, GError **error)
{
  g_autoptr (sqlite3_stmt) stmt = prepare (store, SQL_PART_INSERT, error);

  for (guint i = 0; stmt != NULL && i < parts->len; i++)
    {
      const MessagePart *p = parts->pdata[i];

      sqlite3_reset (stmt);
      bind_int (stmt, ":message", message);
      bind_int (stmt, ":idx", i);
      bind_int (stmt, ":depth", p->depth);
      bind_text (stmt, ":type", p->content_type);
      bind_text (stmt, ":filename", p->filename);
      bind_text (stmt, ":charset", p->charset);
      bind_int (stmt, ":size", p->size);
      bind_int (stmt, ":is_text", p->text != NULL);
      bind_int (stmt, ":forwarded", p->forwarded);
      if (!step_done (store, stmt, "cannot insert part", error))
        return FALSE;
    }
  return stmt != NULL;
}

static gboolean
insert_event (Store *store, gint64 ticket, gint64 at, const char *who,
              const char *what, const char *old_value, const char *new_value,
              GError **error)
{
  g_autoptr (sqlite3_stmt) stmt = prepare (store, SQL_EVENT_INSERT, error);

  if (stmt == NULL)
    return FALSE;
  bind_int (stmt, ":ticket", ticket);
  bind_int (stmt, ":at", at);
  bind_text (stmt, ":who", who);
  bind_text (stmt, ":what", what);
  bind_text (stmt, ":old", old_value);
  bind_text (stmt, ":new", new_value);
  return step_done (store, stmt, "cannot insert event", error);
}

/* An operator's change, now. */
static gboolean
insert_event_change (Store *store, gint64 ticket, const char *who,
                     const char *what, const char *old_value,
                     const char *new_value, GError **error)
{
  return insert_event (store, ticket, (gint64) time (NULL), who, what,
                       old_value, new_value, error);
}

static void
bind_blob16 (sqlite3_stmt *stmt, const char *name, const guint8 *bytes)
{
  sqlite3_bind_blob (stmt, param (stmt, name), bytes, 16, SQLITE_STATIC);
}

static void
bind_time (sqlite3_stmt *stmt, const char *name, gint64 t)
{
  if (t == 0)
    sqlite3_bind_null (stmt, param (stmt, name));
  else
    bind_int (stmt, name, t);
}

static gboolean
insert_indicators (Store *store, gint64 ticket, gint64 message,
                   GPtrArray *indicators, GError **error)
{
  g_autoptr (sqlite3_stmt) stmt = prepare (store, SQL_INDICATOR_INSERT,
                                           error);

  for (guint i = 0; stmt != NULL && i < indicators->len; i++)
    {
      const Indicator *ind = indicators->pdata[i];
      g_autofree char *ports = extract_ports_string (ind->ports);

      sqlite3_reset (stmt);
      sqlite3_clear_bindings (stmt);
      bind_int (stmt, ":ticket", ticket);
      bind_int (stmt, ":message", message);
      bind_text (stmt, ":kind", ind->kind);
      bind_text (stmt, ":value", ind->value);
      if (ind->has_ip)
        {
          bind_blob16 (stmt, ":ip", ind->ip);
          bind_blob16 (stmt, ":ip_end", ind->ip_end);
        }
      bind_text (stmt, ":scope", ind->scope);
      bind_int (stmt, ":own", ind->own);
      bind_text (stmt, ":role", ind->role);
      bind_text (stmt, ":ports", ports);
      bind_int (stmt, ":count", ind->count);
      bind_time (stmt, ":first_seen", ind->first_seen);
      bind_time (stmt, ":last_seen", ind->last_seen);
      bind_text (stmt, ":context", ind->context);
      if (!step_done (store, stmt, "cannot insert indicator", error))
        return FALSE;
    }
  return stmt != NULL;
}

static void
bind_part (sqlite3_stmt *stmt, guint part)
{
  if (part == G_MAXUINT)
    sqlite3_bind_null (stmt, param (stmt, ":part"));
  else
    bind_int (stmt, ":part", part);
}

static gboolean
insert_timestamps (Store *store, gint64 ticket, gint64 message,
                   GPtrArray *timestamps, GError **error)
{
  g_autoptr (sqlite3_stmt) stmt = prepare (store, SQL_TIMESTAMP_INSERT,
                                           error);

  for (guint i = 0; stmt != NULL && i < timestamps->len; i++)
    {
      const Timestamp *t = timestamps->pdata[i];

      sqlite3_reset (stmt);
      bind_int (stmt, ":ticket", ticket);
      bind_int (stmt, ":message", message);
      bind_int (stmt, ":utc", t->utc);
      bind_text (stmt, ":original", t->original);
      bind_text (stmt, ":rule", t->rule);
      bind_int (stmt, ":assumed", t->zone_assumed);
      bind_part (stmt, t->part);
      bind_int (stmt, ":line", t->line);
      if (!step_done (store, stmt, "cannot insert timestamp", error))
        return FALSE;
    }
  return stmt != NULL;
}

static gboolean
insert_excerpts (Store *store, gint64 ticket, gint64 message,
                 GPtrArray *excerpts, GError **error)
{
  g_autoptr (sqlite3_stmt) stmt = prepare (store, SQL_EXCERPT_INSERT, error);

  for (guint i = 0; stmt != NULL && i < excerpts->len; i++)
    {
      const Excerpt *e = excerpts->pdata[i];

      sqlite3_reset (stmt);
      bind_int (stmt, ":ticket", ticket);
      bind_int (stmt, ":message", message);
      bind_int (stmt, ":part", e->part);
      bind_int (stmt, ":first", e->first_line);
      bind_int (stmt, ":last", e->last_line);
      bind_text (stmt, ":text", e->text);
      if (!step_done (store, stmt, "cannot insert excerpt", error))
        return FALSE;
    }
  return stmt != NULL;
}

static gboolean
insert_reasons (Store *store, gint64 ticket, gint64 message,
                const Classification *c, GError **error)
{
  g_autoptr (sqlite3_stmt) stmt = NULL;

  if (c == NULL)
    return TRUE;
  stmt = prepare (store, SQL_REASON_INSERT, error);
  for (guint i = 0; stmt != NULL && i < c->reasons->len; i++)
    {
      const ClassifyReason *r = c->reasons->pdata[i];

      sqlite3_reset (stmt);
      bind_int (stmt, ":ticket", ticket);
      bind_int (stmt, ":message", message);
      bind_text (stmt, ":category", r->category);
      bind_text (stmt, ":rule", r->rule);
      bind_int (stmt, ":score", r->score);
      bind_text (stmt, ":place", r->where);
      bind_text (stmt, ":matched", r->matched);
      if (!step_done (store, stmt, "cannot insert reason", error))
        return FALSE;
    }
  return stmt != NULL;
}

static gboolean
insert_form (Store *store, gint64 ticket, gint64 message,
             const Classification *c, GError **error)
{
  g_autoptr (sqlite3_stmt) stmt = NULL;

  if (c == NULL || c->form->len == 0)
    return TRUE;
  stmt = prepare (store, SQL_FORM_INSERT, error);
  for (guint i = 0; stmt != NULL && i < c->form->len; i++)
    {
      const FormField *f = c->form->pdata[i];

      sqlite3_reset (stmt);
      bind_int (stmt, ":ticket", ticket);
      bind_int (stmt, ":message", message);
      bind_text (stmt, ":name", f->name);
      bind_text (stmt, ":value", f->value);
      if (!step_done (store, stmt, "cannot insert form field", error))
        return FALSE;
    }
  return stmt != NULL;
}

static gboolean
insert_extraction (Store *store, gint64 ticket, gint64 message,
                   const Extraction *x, GError **error)
{
  if (x == NULL)
    return TRUE;
  return insert_indicators (store, ticket, message, x->indicators, error)
         && insert_timestamps (store, ticket, message, x->timestamps, error)
         && insert_excerpts (store, ticket, message, x->excerpts, error);
}

static gboolean
file_new_ticket (Store *store, const StoreDelivery *d, StoreFiled *filed,
                 GError **error)
{
  gint64 ticket = insert_ticket (store, d, filed, error);
  gint64 message = ticket ? insert_message (store, d, ticket, error) : 0;

  return message != 0
         && insert_parts (store, message, d->message->parts, error)
         && insert_extraction (store, ticket, message, d->extraction, error)
         && insert_reasons (store, ticket, message, d->classification, error)
         && insert_form (store, ticket, message, d->classification, error)
         && insert_event (store, ticket, d->received, d->who, "created",
                          NULL, d->spool_id, error);
}

gboolean
store_file (Store *store, const StoreDelivery *delivery, StoreFiled *filed,
            GError **error)
{
  if (!exec (store, "BEGIN IMMEDIATE", error))
    return FALSE;
  if (!find_duplicate (store, delivery->message->dedup_key, filed, error)
      || (!filed->duplicate
          && !file_new_ticket (store, delivery, filed, error))
      || !exec (store, "COMMIT", error))
    {
      exec (store, "ROLLBACK", NULL);
      return FALSE;
    }
  return TRUE;
}

void
store_ticket_free (StoreTicket *t)
{
  if (t == NULL)
    return;
  g_free (t->number);
  g_free (t->status);
  g_free (t->category);
  g_free (t->category_by);
  g_free (t->auto_category);
  g_free (t->owner);
  g_free (t->reporter);
  g_free (t->reporter_name);
  g_free (t->subject);
  g_free (t);
}

void
store_message_free (StoreMessage *m)
{
  if (m == NULL)
    return;
  g_free (m->direction);
  g_free (m->envelope_from);
  g_free (m->message_id);
  g_free (m->from);
  g_free (m->to);
  g_free (m->subject);
  g_free (m->date);
  g_free (m->flags);
  g_free (m->category);
  g_free (m->scores);
  g_free (m->text);
  if (m->parts)
    g_ptr_array_unref (m->parts);
  g_free (m);
}

static StoreTicket *
ticket_from_row (sqlite3_stmt *stmt)
{
  StoreTicket *t = g_new0 (StoreTicket, 1);

  t->id = sqlite3_column_int64 (stmt, 0);
  t->number = column_text (stmt, 1);
  t->created = sqlite3_column_int64 (stmt, 2);
  t->status = column_text (stmt, 3);
  t->category = column_text (stmt, 4);
  t->category_by = column_text (stmt, 5);
  t->owner = column_text (stmt, 6);
  t->reporter = column_text (stmt, 7);
  t->reporter_name = column_text (stmt, 8);
  t->subject = column_text (stmt, 9);
  t->auto_category = column_text (stmt, 10);
  return t;
}

/* Steps stmt to its end, turning each row into an element. */
static GPtrArray *
collect_rows (Store *store, sqlite3_stmt *stmt,
              gpointer (*from_row) (sqlite3_stmt *), GDestroyNotify free_fn,
              GError **error)
{
  g_autoptr (GPtrArray) rows = g_ptr_array_new_with_free_func (free_fn);
  int rc;

  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    g_ptr_array_add (rows, from_row (stmt));
  if (rc != SQLITE_DONE)
    {
      set_db_error (error, store->db, rc, "cannot read");
      return NULL;
    }
  return g_steal_pointer (&rows);
}

GPtrArray *
store_list_tickets (Store *store, const StoreFilter *filter, GError **error)
{
  g_autoptr (sqlite3_stmt) stmt = prepare (store, SQL_TICKET_LIST, error);

  if (stmt == NULL)
    return NULL;
  bind_int (stmt, ":limit", filter->limit ? (gint64) filter->limit : -1);
  bind_int (stmt, ":by_ip", filter->by_ip);
  bind_blob16 (stmt, ":first", filter->ip_first);
  bind_blob16 (stmt, ":last", filter->ip_last);
  return collect_rows (store, stmt, (gpointer) ticket_from_row,
                       (GDestroyNotify) store_ticket_free, error);
}

char *
store_parse_number (const char *text)
{
  g_autoptr (GRegex) re = g_regex_new ("(?:^|#)\\s*(\\d{4})-(\\d{1,9})\\]?$",
                                       0, 0, NULL);
  g_autoptr (GMatchInfo) match = NULL;
  g_autofree char *year = NULL;
  g_autofree char *seq = NULL;
  g_autofree char *trimmed = g_strstrip (g_strdup (text));

  if (!g_regex_match (re, trimmed, 0, &match))
    return NULL;
  year = g_match_info_fetch (match, 1);
  seq = g_match_info_fetch (match, 2);
  return g_strdup_printf ("%s-%06" G_GINT64_FORMAT, year,
                          g_ascii_strtoll (seq, NULL, 10));
}

StoreTicket *
store_get_ticket (Store *store, const char *number, GError **error)
{
  g_autofree char *canonical = store_parse_number (number);
  g_autoptr (sqlite3_stmt) stmt = NULL;
  int rc;

  if (canonical == NULL)
    {
      g_set_error (error, STORE_ERROR, STORE_ERROR_NOT_FOUND,
                   "\"%s\" is not a ticket number (like 2026-000123)",
                   number);
      return NULL;
    }
  stmt = prepare (store, SQL_TICKET_GET, error);
  if (stmt == NULL)
    return NULL;
  bind_text (stmt, ":number", canonical);
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_ROW)
    return ticket_from_row (stmt);
  if (rc == SQLITE_DONE)
    g_set_error (error, STORE_ERROR, STORE_ERROR_NOT_FOUND,
                 "no ticket %s", canonical);
  else
    set_db_error (error, store->db, rc, "cannot read ticket");
  return NULL;
}

static gpointer
part_from_row (sqlite3_stmt *stmt)
{
  MessagePart *p = g_new0 (MessagePart, 1);

  p->depth = (guint) sqlite3_column_int (stmt, 0);
  p->content_type = column_text (stmt, 1);
  p->filename = column_text (stmt, 2);
  p->charset = column_text (stmt, 3);
  p->size = sqlite3_column_int64 (stmt, 4);
  p->forwarded = sqlite3_column_int (stmt, 5);
  return p;
}

static gpointer
message_from_row (sqlite3_stmt *stmt)
{
  StoreMessage *m = g_new0 (StoreMessage, 1);

  m->id = sqlite3_column_int64 (stmt, 0);
  m->direction = column_text (stmt, 1);
  m->received = sqlite3_column_int64 (stmt, 2);
  m->envelope_from = column_text (stmt, 3);
  m->message_id = column_text (stmt, 4);
  m->from = column_text (stmt, 5);
  m->to = column_text (stmt, 6);
  m->subject = column_text (stmt, 7);
  m->date = column_text (stmt, 8);
  m->flags = column_text (stmt, 9);
  m->size = sqlite3_column_int64 (stmt, 10);
  m->text = column_text (stmt, 11);
  m->category = column_text (stmt, 12);
  m->scores = column_text (stmt, 13);
  return m;
}

static GPtrArray *
message_parts (Store *store, gint64 message_id, GError **error)
{
  g_autoptr (sqlite3_stmt) stmt = prepare (store, SQL_PART_LIST, error);

  if (stmt == NULL)
    return NULL;
  bind_int (stmt, ":message", message_id);
  return collect_rows (store, stmt, part_from_row,
                       (GDestroyNotify) message_part_free, error);
}

GPtrArray *
store_ticket_messages (Store *store, gint64 ticket_id, GError **error)
{
  g_autoptr (sqlite3_stmt) stmt = prepare (store, SQL_MESSAGE_LIST, error);
  g_autoptr (GPtrArray) messages = NULL;

  if (stmt == NULL)
    return NULL;
  bind_int (stmt, ":ticket", ticket_id);
  messages = collect_rows (store, stmt, message_from_row,
                           (GDestroyNotify) store_message_free, error);
  for (guint i = 0; messages != NULL && i < messages->len; i++)
    {
      StoreMessage *m = messages->pdata[i];

      m->parts = message_parts (store, m->id, error);
      if (m->parts == NULL)
        return NULL;
    }
  return g_steal_pointer (&messages);
}

GBytes *
store_message_raw (Store *store, gint64 message_id, GError **error)
{
  g_autoptr (sqlite3_stmt) stmt = prepare (store, SQL_MESSAGE_RAW, error);
  int rc;

  if (stmt == NULL)
    return NULL;
  bind_int (stmt, ":message", message_id);
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_ROW)
    return g_bytes_new (sqlite3_column_blob (stmt, 0),
                        (gsize) sqlite3_column_bytes (stmt, 0));
  if (rc == SQLITE_DONE)
    g_set_error (error, STORE_ERROR, STORE_ERROR_NOT_FOUND,
                 "no message %" G_GINT64_FORMAT, message_id);
  else
    set_db_error (error, store->db, rc, "cannot read message");
  return NULL;
}

void
store_indicator_free (StoreIndicator *ind)
{
  g_free (ind->kind);
  g_free (ind->value);
  g_free (ind->scope);
  g_free (ind->ports);
  g_free (ind->context);
  g_free (ind->role);
  g_free (ind);
}

static gpointer
indicator_from_row (sqlite3_stmt *stmt)
{
  StoreIndicator *ind = g_new0 (StoreIndicator, 1);

  ind->kind = column_text (stmt, 0);
  ind->value = column_text (stmt, 1);
  ind->scope = column_text (stmt, 2);
  ind->own = sqlite3_column_int (stmt, 3);
  ind->count = sqlite3_column_int64 (stmt, 4);
  ind->ports = column_text (stmt, 5);
  ind->first_seen = sqlite3_column_int64 (stmt, 6);
  ind->last_seen = sqlite3_column_int64 (stmt, 7);
  ind->context = column_text (stmt, 8);
  ind->role = column_text (stmt, 9);
  return ind;
}

static gpointer
timestamp_from_row (sqlite3_stmt *stmt)
{
  Timestamp *t = g_new0 (Timestamp, 1);

  t->utc = sqlite3_column_int64 (stmt, 0);
  t->original = column_text (stmt, 1);
  t->rule = column_text (stmt, 2);
  t->zone_assumed = sqlite3_column_int (stmt, 3);
  t->part = sqlite3_column_type (stmt, 4) == SQLITE_NULL
            ? G_MAXUINT : (guint) sqlite3_column_int (stmt, 4);
  t->line = (guint) sqlite3_column_int (stmt, 5);
  return t;
}

static gpointer
excerpt_from_row (sqlite3_stmt *stmt)
{
  Excerpt *e = g_new0 (Excerpt, 1);

  e->part = (guint) sqlite3_column_int (stmt, 0);
  e->first_line = (guint) sqlite3_column_int (stmt, 1);
  e->last_line = (guint) sqlite3_column_int (stmt, 2);
  e->text = column_text (stmt, 3);
  return e;
}

/* Rows of a per-ticket query, each made by from_row. */
static GPtrArray *
ticket_rows (Store *store, const char *sql, gint64 ticket_id,
             gpointer (*from_row) (sqlite3_stmt *), GDestroyNotify free_fn,
             GError **error)
{
  g_autoptr (sqlite3_stmt) stmt = prepare (store, sql, error);

  if (stmt == NULL)
    return NULL;
  bind_int (stmt, ":ticket", ticket_id);
  return collect_rows (store, stmt, from_row, free_fn, error);
}

GPtrArray *
store_ticket_indicators (Store *store, gint64 ticket_id, GError **error)
{
  return ticket_rows (store, SQL_INDICATOR_LIST, ticket_id,
                      indicator_from_row,
                      (GDestroyNotify) store_indicator_free, error);
}

GPtrArray *
store_ticket_timestamps (Store *store, gint64 ticket_id, GError **error)
{
  return ticket_rows (store, SQL_TIMESTAMP_LIST, ticket_id,
                      timestamp_from_row,
                      (GDestroyNotify) extract_timestamp_free, error);
}

GPtrArray *
store_ticket_excerpts (Store *store, gint64 ticket_id, GError **error)
{
  return ticket_rows (store, SQL_EXCERPT_LIST, ticket_id, excerpt_from_row,
                      (GDestroyNotify) extract_excerpt_free, error);
}

static gpointer
reason_from_row (sqlite3_stmt *stmt)
{
  ClassifyReason *r = g_new0 (ClassifyReason, 1);
  const char *const *names = rules_categories ();
  int index = classify_category_index ((const char *)
                                       sqlite3_column_text (stmt, 1));

  r->rule = column_text (stmt, 0);
  r->category = names[index < 0 ? CLASSIFY_CATEGORIES - 1 : index];
  r->score = sqlite3_column_int (stmt, 2);
  r->where = column_text (stmt, 3);
  r->matched = column_text (stmt, 4);
  return r;
}

static gpointer
form_from_row (sqlite3_stmt *stmt)
{
  FormField *f = g_new0 (FormField, 1);

  f->name = column_text (stmt, 0);
  f->value = column_text (stmt, 1);
  return f;
}

GPtrArray *
store_ticket_reasons (Store *store, gint64 ticket_id, GError **error)
{
  return ticket_rows (store, SQL_REASON_LIST, ticket_id, reason_from_row,
                      (GDestroyNotify) classify_reason_free, error);
}

GPtrArray *
store_ticket_form (Store *store, gint64 ticket_id, GError **error)
{
  return ticket_rows (store, SQL_FORM_LIST, ticket_id, form_from_row,
                      (GDestroyNotify) classify_form_field_free, error);
}

static gboolean
update_category (Store *store, gint64 ticket, const char *category,
                 const char *who, GError **error)
{
  g_autoptr (sqlite3_stmt) stmt = prepare (store, SQL_CATEGORY_SET, error);

  if (stmt == NULL)
    return FALSE;
  bind_text (stmt, ":category", category);
  bind_text (stmt, ":who", who);
  bind_int (stmt, ":now", (gint64) time (NULL));
  bind_int (stmt, ":ticket", ticket);
  return step_done (store, stmt, "cannot set category", error);
}

static gboolean
change_category (Store *store, const char *number, const char *category,
                 const char *who, GError **error)
{
  g_autoptr (sqlite3_stmt) stmt = prepare (store, SQL_CATEGORY_GET, error);
  g_autofree char *canonical = store_parse_number (number);
  g_autofree char *old = NULL;
  gint64 ticket;
  int rc;

  if (stmt == NULL)
    return FALSE;
  bind_text (stmt, ":number", canonical ? canonical : "");
  rc = sqlite3_step (stmt);
  if (rc != SQLITE_ROW)
    {
      if (rc != SQLITE_DONE)
        return set_db_error (error, store->db, rc, "cannot read ticket");
      g_set_error (error, STORE_ERROR, STORE_ERROR_NOT_FOUND, "no ticket %s",
                   canonical ? canonical : number);
      return FALSE;
    }
  ticket = sqlite3_column_int64 (stmt, 0);
  old = column_text (stmt, 1);
  return update_category (store, ticket, category, who, error)
         && insert_event_change (store, ticket, who, "category", old,
                                 category, error);
}

gboolean
store_set_category (Store *store, const char *number, const char *category,
                    const char *who, GError **error)
{
  if (!exec (store, "BEGIN IMMEDIATE", error))
    return FALSE;
  if (!change_category (store, number, category, who, error)
      || !exec (store, "COMMIT", error))
    {
      exec (store, "ROLLBACK", NULL);
      return FALSE;
    }
  return TRUE;
}
