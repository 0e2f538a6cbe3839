/*
 * store-change.c - what operators change in tickets, each change in one
 * transaction with its audit event (who, when, old -> new): owner,
 * status, category, notes, merges and incidents.
 */
#include <string.h>
#include <time.h>

#include "store-db.h"

typedef struct
{
  const char *what; /* the event's name */
  const char *get;  /* SELECT id, <field> FROM ticket WHERE number */
  const char *set;  /* UPDATE ticket SET <field> = :value ... */
} Field;

static const Field field_owner = {
  "owner",
  "SELECT id, owner FROM ticket WHERE number = :number",
  "UPDATE ticket SET owner = :value, updated = :now WHERE id = :ticket",
};

/* A reply waiting for an operator (store.c) is part of the old value,
 * so that setting the status a ticket has clears it, on the record. */
static const Field field_status = {
  "status",
  "SELECT id, status || CASE WHEN reply_waiting <> 0 THEN ' (reply waiting)' "
  "ELSE '' END FROM ticket WHERE number = :number",
  "UPDATE ticket SET status = :value, reply_waiting = 0, updated = :now "
  "WHERE id = :ticket",
};

static const Field field_category = {
  "category",
  "SELECT id, category FROM ticket WHERE number = :number",
  "UPDATE ticket SET category = :value, category_by = :who, "
  "updated = :now WHERE id = :ticket",
};

/* Runs body in one BEGIN IMMEDIATE transaction, again if it lost a
 * conflict with another's (store_retry). */
static gboolean
in_transaction (Store *store, gboolean (*body) (Store *, gpointer, GError **),
                gpointer data, GError **error)
{
  guint tries = 0;

  store->conflict = FALSE;
  for (;;)
    {
      if (!store_begin_write (store, error))
        return FALSE;
      if (body (store, data, error) && store_commit (store, error))
        return TRUE;
      store_rollback (store);
      if (!store_retry (store, &tries, error))
        return FALSE;
    }
}

/* The id (and the field's value) of the live ticket text names. */
static gint64
ticket_id (Store *store, const char *text, const char *get, char **old,
           GError **error)
{
  g_autofree char *number = store_resolve_number (store, text, error);
  g_autoptr (StoreStmt) stmt = NULL;
  int rc;

  if (number == NULL)
    return 0;
  stmt = store_prepare (store, get, error);
  if (stmt == NULL)
    return 0;
  store_bind_text (stmt, ":number", number);
  rc = store_next (stmt);
  if (rc != STORE_ROW)
    {
      store_db_error (error, store, rc, "cannot read ticket");
      return 0;
    }
  if (old != NULL)
    *old = store_column_text (stmt, 1);
  return store_column_int64 (stmt, 0);
}

typedef struct
{
  const Field *field;
  const char *number;
  const char *value;
  const char *who;
} Change;

static gboolean
change_body (Store *store, gpointer data, GError **error)
{
  const Change *c = data;
  g_autofree char *old = NULL;
  gint64 id = ticket_id (store, c->number, c->field->get, &old, error);
  g_autoptr (StoreStmt) stmt = NULL;

  if (id == 0)
    return FALSE;
  if (g_strcmp0 (old, c->value) == 0)
    return TRUE; /* nothing changes, nothing to record */
  stmt = store_prepare (store, c->field->set, error);
  if (stmt == NULL)
    return FALSE;
  store_bind_text (stmt, ":value", c->value);
  store_bind_int (stmt, ":now", (gint64) time (NULL));
  store_bind_int (stmt, ":ticket", id);
  if (store_has_param (stmt, ":who"))
    store_bind_text (stmt, ":who", c->who);
  return store_step (store, stmt, "cannot change the ticket", error)
         && store_audit (store,
                         (StoreAudit){ .ticket = id,
                                       .who = c->who,
                                       .what = c->field->what,
                                       .old_value = old,
                                       .new_value = c->value },
                         error);
}

static gboolean
change (Store *store, Change c, GError **error)
{
  return in_transaction (store, change_body, &c, error);
}

gboolean
store_set_category (Store *store, const char *number, const char *category,
                    const char *who, GError **error)
{
  return change (store,
                 (Change){ .field = &field_category,
                           .number = number,
                           .value = category,
                           .who = who },
                 error);
}

gboolean
store_set_status (Store *store, const char *number, const char *status,
                  const char *who, GError **error)
{
  return change (store,
                 (Change){ .field = &field_status,
                           .number = number,
                           .value = status,
                           .who = who },
                 error);
}

gboolean
store_set_owner (Store *store, const char *number, const char *owner,
                 const char *who, GError **error)
{
  return change (
      store,
      (Change){
          .field = &field_owner, .number = number, .value = owner, .who = who },
      error);
}

static gboolean
comment_body (Store *store, gpointer data, GError **error)
{
  const Change *c = data;
  gint64 id = ticket_id (store, c->number, field_owner.get, NULL, error);

  return id != 0
         && store_audit (store,
                         (StoreAudit){ .ticket = id,
                                       .who = c->who,
                                       .what = "comment",
                                       .new_value = c->value },
                         error);
}

gboolean
store_comment (Store *store, const char *number, const char *text,
               const char *who, GError **error)
{
  Change c = { .number = number, .value = text, .who = who };

  return in_transaction (store, comment_body, &c, error);
}

/* Tables whose rows belong to a ticket and move with a merge. */
static const char *const SQL_MERGE_MOVES[] = {
  "UPDATE message SET ticket_id = :into WHERE ticket_id = :from",
  "UPDATE indicator SET ticket_id = :into WHERE ticket_id = :from",
  "UPDATE timestamp SET ticket_id = :into WHERE ticket_id = :from",
  "UPDATE excerpt SET ticket_id = :into WHERE ticket_id = :from",
  "UPDATE reason SET ticket_id = :into WHERE ticket_id = :from",
  "UPDATE form_field SET ticket_id = :into WHERE ticket_id = :from",
  "UPDATE outbox SET ticket_id = :into WHERE ticket_id = :from",
  "UPDATE notification SET ticket_id = :into WHERE ticket_id = :from",
  "UPDATE event SET ticket_id = :into WHERE ticket_id = :from",
  "UPDATE ticket SET merged_into = :into, updated = :now WHERE id = :from",
};

static const char SQL_TICKET_NUMBER_GET[]
    = "SELECT id, number FROM ticket WHERE number = :number";

typedef struct
{
  const char *from;
  const char *into;
  const char *who;
} Merge;

static gboolean
move_rows (Store *store, gint64 from, gint64 into, GError **error)
{
  for (gsize i = 0; i < G_N_ELEMENTS (SQL_MERGE_MOVES); i++)
    {
      g_autoptr (StoreStmt) stmt
          = store_prepare (store, SQL_MERGE_MOVES[i], error);

      if (stmt == NULL)
        return FALSE;
      store_bind_int (stmt, ":into", into);
      store_bind_int (stmt, ":from", from);
      if (store_has_param (stmt, ":now"))
        store_bind_int (stmt, ":now", (gint64) time (NULL));
      if (!store_step (store, stmt, "cannot merge", error))
        return FALSE;
    }
  return TRUE;
}

static gboolean
merge_body (Store *store, gpointer data, GError **error)
{
  const Merge *m = data;
  g_autofree char *from_number = NULL;
  g_autofree char *into_number = NULL;
  gint64 from
      = ticket_id (store, m->from, SQL_TICKET_NUMBER_GET, &from_number, error);
  gint64 into = from ? ticket_id (store, m->into, SQL_TICKET_NUMBER_GET,
                                  &into_number, error)
                     : 0;

  if (into == 0)
    return FALSE;
  if (from == into)
    {
      g_set_error (error, STORE_ERROR, STORE_ERROR_NOT_FOUND,
                   "%s is %s already", m->from, into_number);
      return FALSE;
    }
  /* The history moves too, so record the merge after the move: both
   * events end up in the ticket that remains. */
  return move_rows (store, from, into, error)
         && store_audit (store,
                         (StoreAudit){ .ticket = into,
                                       .who = m->who,
                                       .what = "merged",
                                       .old_value = from_number,
                                       .new_value = into_number },
                         error);
}

gboolean
store_merge (Store *store, const char *from, const char *into, const char *who,
             GError **error)
{
  Merge m = { from, into, who };

  return in_transaction (store, merge_body, &m, error);
}

/* An incident's number is the year's MAX (seq) + 1, read under a lock
 * that lets one taker at a time: on SQLite BEGIN IMMEDIATE is that lock;
 * on PostgreSQL two operators' transactions would both read the same
 * MAX, and the second would fail on the unique (year, seq).  EXCLUSIVE
 * leaves the table to readers. */
static const StoreSql SQL_INCIDENT_LOCK = {
  .sqlite = NULL,
  .postgres = "LOCK TABLE incident IN EXCLUSIVE MODE",
};

static const char SQL_INCIDENT_NEXT[]
    = "SELECT COALESCE (MAX (seq), 0) + 1 FROM incident WHERE year = :year";

static const char SQL_INCIDENT_INSERT[]
    = "INSERT INTO incident (number, year, seq, title, created) "
      "VALUES (:number, :year, :seq, :title, :now)";

static const char SQL_INCIDENT_GET[]
    = "SELECT id FROM incident WHERE number = :number COLLATE NOCASE";

static const char SQL_TICKET_INCIDENT_GET[]
    = "SELECT t.id, i.number FROM ticket t LEFT JOIN incident i "
      "ON i.id = t.incident_id WHERE t.number = :number";

static const char SQL_TICKET_INCIDENT_SET[]
    = "UPDATE ticket SET incident_id = :incident, updated = :now "
      "WHERE id = :ticket";

typedef struct
{
  const char *incident; /* number, or NULL to remove */
  const char *const *tickets;
  const char *title; /* for a new incident */
  const char *who;
  char *created; /* the new incident's number */
} Grouping;

static gint64
incident_id (Store *store, const char *number, GError **error)
{
  g_autoptr (StoreStmt) stmt = store_prepare (store, SQL_INCIDENT_GET, error);
  int rc;

  if (stmt == NULL)
    return 0;
  store_bind_text (stmt, ":number", number);
  rc = store_next (stmt);
  if (rc == STORE_ROW)
    return store_column_int64 (stmt, 0);
  if (rc == STORE_DONE)
    g_set_error (error, STORE_ERROR, STORE_ERROR_NOT_FOUND, "no incident %s",
                 number);
  else
    store_db_error (error, store, rc, "cannot read incident");
  return 0;
}

/* Puts a ticket into g's incident, whose row is incident (0: out of
 * any), with an audit event.  Only the grouping changes: messages stay
 * in their tickets. */
static gboolean
group_ticket (Store *store, const Grouping *g, const char *ticket,
              gint64 incident, GError **error)
{
  const char *incident_number = g->incident;
  g_autofree char *old = NULL;
  gint64 id = ticket_id (store, ticket, SQL_TICKET_INCIDENT_GET, &old, error);
  g_autoptr (StoreStmt) stmt = NULL;

  if (id == 0)
    return FALSE;
  if (g_strcmp0 (old, incident_number) == 0)
    return TRUE;
  stmt = store_prepare (store, SQL_TICKET_INCIDENT_SET, error);
  if (stmt == NULL)
    return FALSE;
  if (incident != 0)
    store_bind_int (stmt, ":incident", incident);
  store_bind_int (stmt, ":now", (gint64) time (NULL));
  store_bind_int (stmt, ":ticket", id);
  return store_step (store, stmt, "cannot group the ticket", error)
         && store_audit (store,
                         (StoreAudit){ .ticket = id,
                                       .who = g->who,
                                       .what = "incident",
                                       .old_value = old,
                                       .new_value = incident_number },
                         error);
}

static gboolean
grouping_body (Store *store, gpointer data, GError **error)
{
  const Grouping *g = data;
  gint64 incident = g->incident ? incident_id (store, g->incident, error) : 0;

  if (g->incident != NULL && incident == 0)
    return FALSE;
  for (guint i = 0; g->tickets[i] != NULL; i++)
    if (!group_ticket (store, g, g->tickets[i], incident, error))
      return FALSE;
  return TRUE;
}

gboolean
store_incident_add (Store *store, const char *incident,
                    const char *const *tickets, const char *who, GError **error)
{
  Grouping g = { .incident = incident, .tickets = tickets, .who = who };

  return in_transaction (store, grouping_body, &g, error);
}

static gboolean
incident_new_body (Store *store, gpointer data, GError **error)
{
  Grouping *g = data;
  g_autoptr (StoreStmt) next = NULL;
  g_autoptr (StoreStmt) insert = NULL;
  g_autoptr (GDateTime) now = g_date_time_new_now_local ();
  int year = g_date_time_get_year (now);
  gint64 seq;

  if (store_sql (store, &SQL_INCIDENT_LOCK) != NULL
      && !store_exec (store, store_sql (store, &SQL_INCIDENT_LOCK), error))
    return FALSE;
  next = store_prepare (store, SQL_INCIDENT_NEXT, error);
  if (next == NULL)
    return FALSE;
  store_bind_int (next, ":year", year);
  if (store_next (next) != STORE_ROW)
    return store_db_error (error, store, STORE_FAIL, "no number");
  seq = store_column_int64 (next, 0);
  g_free (g->created); /* a try before lost a conflict */
  g->created = g_strdup_printf ("INC-%d-%04" G_GINT64_FORMAT, year, seq);
  insert = store_prepare (store, SQL_INCIDENT_INSERT, error);
  if (insert == NULL)
    return FALSE;
  store_bind_text (insert, ":number", g->created);
  store_bind_int (insert, ":year", year);
  store_bind_int (insert, ":seq", seq);
  store_bind_text (insert, ":title", g->title);
  store_bind_int (insert, ":now", g_date_time_to_unix (now));
  if (!store_step (store, insert, "cannot create the incident", error))
    return FALSE;
  g->incident = g->created;
  return grouping_body (store, g, error);
}

char *
store_incident_new (Store *store, const char *title, const char *const *tickets,
                    const char *who, GError **error)
{
  Grouping g = { .tickets = tickets, .title = title, .who = who };

  if (!in_transaction (store, incident_new_body, &g, error))
    {
      g_free (g.created);
      return NULL;
    }
  return g.created;
}
