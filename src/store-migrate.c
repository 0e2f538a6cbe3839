/*
 * store-migrate.c - `madoguchi migrate --to`: one store copied into
 * another, empty one, SQLite to PostgreSQL or back, row for row with
 * the same ids, so that ticket numbers, tags, threads and the audit
 * trail all stay as they were.
 *
 * Each table is one constant SELECT and one constant INSERT, made from
 * one column list (an X macro), read and written in id order, in one
 * read transaction on the source and one write transaction on the
 * target: an interrupted copy leaves the target empty.  A ticket merged
 * into a later one would break the foreign key, so merged_into is set
 * after all tickets are in.
 */
#include "madoguchi/store.h"

#include "store-db.h"

#define SELECT_COL(c) ", " #c
#define PARAM_COL(c) ", :" #c
#define NAME_COL(c) ":" #c,

/* One table: how to read it, how to write it, the :names in order. */
typedef struct
{
  const char *name;
  StoreSql select; /* the same on both but for form_field */
  const char *insert;
  const char *const *params;
} CopyTable;

/* The column lists are lists, kept as written (clang-format would break
 * them differently at each run). */
/* clang-format off */
#define SELECT_(table, first, cols, order) \
  "SELECT " #first cols (SELECT_COL) " FROM " #table " ORDER BY " order

#define COPY_TABLE(table, first, cols, order) \
  static const char *const table##_params[] \
    = { ":" #first, cols (NAME_COL) NULL }; \
  static const CopyTable copy_##table = { \
    .name = #table, \
    .select = { .sqlite = SELECT_ (table, first, cols, order), \
                .postgres = SELECT_ (table, first, cols, order) }, \
    .insert = "INSERT INTO " #table " (" #first cols (SELECT_COL) \
              ") VALUES (:" #first cols (PARAM_COL) ")", \
    .params = table##_params, \
  }

#define COUNTER_COLS(X) X (last)
COPY_TABLE (counter, year, COUNTER_COLS, "year");

#define INCIDENT_COLS(X) X (number) X (year) X (seq) X (title) X (created)
COPY_TABLE (incident, id, INCIDENT_COLS, "id");

#define TICKET_COLS(X) \
  X (number) X (year) X (seq) X (created) X (updated) X (status) \
  X (category) X (category_by) X (auto_category) X (owner) X (reporter) \
  X (reporter_name) X (subject) X (incident_id) X (reply_waiting)
COPY_TABLE (ticket, id, TICKET_COLS, "id");

#define MESSAGE_COLS(X) \
  X (ticket_id) X (direction) X (received) X (spool_id) X (envelope_from) \
  X (envelope_to) X (message_id) X (in_reply_to) X (refs) X (from_hdr) \
  X (from_addr) X (reply_to) X (to_hdr) X (cc_hdr) X (subject) X (date_hdr) \
  X (date_utc) X (size) X (flags) X (dedup_key) X (text) \
  X (indicators_dropped) X (category) X (scores) X (ack) X (thread) \
  X (timestamps_dropped) X (encryption) X (signature) X (signer) \
  X (pgp_problem)
COPY_TABLE (message, id, MESSAGE_COLS, "id");

#define MESSAGE_RAW_COLS(X) X (seq) X (bytes)
COPY_TABLE (message_raw, message_id, MESSAGE_RAW_COLS, "message_id, seq");

#define PART_COLS(X) \
  X (idx) X (depth) X (content_type) X (filename) X (charset) X (size) \
  X (is_text) X (forwarded)
COPY_TABLE (part, message_id, PART_COLS, "message_id, idx");

#define INDICATOR_COLS(X) \
  X (ticket_id) X (message_id) X (kind) X (value) X (ip) X (ip_end) \
  X (scope) X (own) X (role) X (ports) X (count) X (first_seen) \
  X (last_seen) X (context) X (asn)
COPY_TABLE (indicator, id, INDICATOR_COLS, "id");

#define TIMESTAMP_COLS(X) \
  X (ticket_id) X (message_id) X (utc) X (original) X (rule) \
  X (zone_assumed) X (part) X (line)
COPY_TABLE (timestamp, id, TIMESTAMP_COLS, "id");

#define EXCERPT_COLS(X) \
  X (ticket_id) X (message_id) X (part) X (first_line) X (last_line) X (text)
COPY_TABLE (excerpt, id, EXCERPT_COLS, "id");

#define REASON_COLS(X) \
  X (ticket_id) X (message_id) X (category) X (rule) X (score) X (place) \
  X (matched)
COPY_TABLE (reason, id, REASON_COLS, "id");

/* No id on SQLite (its rowid orders them), one on PostgreSQL: the
 * target numbers them anew, in the source's order. */
#define FORM_FIELD_COLS(X) X (message_id) X (name) X (value)
static const char *const form_field_params[]
  = { ":ticket_id", FORM_FIELD_COLS (NAME_COL) NULL };
static const CopyTable copy_form_field = {
  .name = "form_field",
  .select = {
    .sqlite = "SELECT ticket_id" FORM_FIELD_COLS (SELECT_COL)
              " FROM form_field ORDER BY rowid",
    .postgres = "SELECT ticket_id" FORM_FIELD_COLS (SELECT_COL)
                " FROM form_field ORDER BY id",
  },
  .insert = "INSERT INTO form_field (ticket_id" FORM_FIELD_COLS (SELECT_COL)
            ") VALUES (:ticket_id" FORM_FIELD_COLS (PARAM_COL) ")",
  .params = form_field_params,
};

#define OUTBOX_COLS(X) \
  X (ticket_id) X (reply_to) X (message_id) X (recipient) X (created) \
  X (state) X (attempts) X (last_error) X (sent) X (raw) X (sender) \
  X (recipient_domain) X (envelope_from) X (via)
COPY_TABLE (outbox, id, OUTBOX_COLS, "id");

#define UNDELIVERABLE_COLS(X) X (since) X (ticket_id)
COPY_TABLE (undeliverable, address, UNDELIVERABLE_COLS, "address");

#define IMPORT_STATE_COLS(X) X (done)
COPY_TABLE (import_state, source, IMPORT_STATE_COLS, "source");

#define EVENT_COLS(X) \
  X (ticket_id) X (at) X (who) X (what) X (old) X (new)
COPY_TABLE (event, id, EVENT_COLS, "id");

#define CONTACT_COLS(X) \
  X (match) X (kind) X (ip_first) X (ip_last) X (span) X (asn) X (domain) \
  X (name) X (email) X (language) X (pgp) X (zone) X (updated)
COPY_TABLE (contact, id, CONTACT_COLS, "id");

#define NOTIFICATION_COLS(X) \
  X (ticket_id) X (contact) X (email) X (addresses) X (outbox_id) \
  X (message_id) X (status) X (created) X (sent) X (answered) X (who)
COPY_TABLE (notification, id, NOTIFICATION_COLS, "id");

static const char *const merged_params[] = { ":id", ":merged_into", NULL };
static const CopyTable copy_merged = {
  .name = "merged tickets",
  .select = {
    .sqlite = "SELECT id, merged_into FROM ticket WHERE merged_into IS NOT NULL",
    .postgres = "SELECT id, merged_into FROM ticket WHERE merged_into IS NOT NULL",
  },
  .insert = "UPDATE ticket SET merged_into = :merged_into WHERE id = :id",
  .params = merged_params,
};

/* The source's tag secret and the rest (not the target's own schema
 * version): tags already sent must check on the target. */
static const char *const setting_params[] = { ":name", ":value", NULL };
static const CopyTable copy_setting = {
  .name = "setting",
  .select = {
    .sqlite = "SELECT name, value FROM setting WHERE name <> 'schema_version'",
    .postgres = "SELECT name, value FROM setting WHERE name <> 'schema_version'",
  },
  .insert = "INSERT INTO setting (name, value) VALUES (:name, :value) "
            "ON CONFLICT (name) DO UPDATE SET value = excluded.value",
  .params = setting_params,
};
/* clang-format on */

/* In the order of their foreign keys. */
static const CopyTable *const copy_tables[] = {
  &copy_counter,       &copy_incident,     &copy_ticket,     &copy_message,
  &copy_message_raw,   &copy_part,         &copy_indicator,  &copy_timestamp,
  &copy_excerpt,       &copy_reason,       &copy_form_field, &copy_outbox,
  &copy_undeliverable, &copy_import_state, &copy_event,      &copy_contact,
  &copy_notification,
};

/* PostgreSQL's identity columns go on after the ids copied. */
/* PostgreSQL's identity columns go on after the ids copied. */
#define SETVAL(t)                                                              \
  "SELECT setval (pg_get_serial_sequence ('" t "', 'id'), "                    \
  "COALESCE ((SELECT max (id) FROM " t "), 0) + 1, false);"

static const char SQL_PG_IDENTITIES[]
    = SETVAL ("incident") SETVAL ("ticket") SETVAL ("message")
        SETVAL ("indicator") SETVAL ("timestamp") SETVAL ("excerpt")
            SETVAL ("reason") SETVAL ("form_field") SETVAL ("outbox")
                SETVAL ("event") SETVAL ("contact") SETVAL ("notification");

static const char SQL_COUNT_TICKETS[]
    = "SELECT (SELECT COUNT(*) FROM ticket) + (SELECT COUNT(*) FROM contact) "
      "+ (SELECT COUNT(*) FROM import_state) + (SELECT COUNT(*) FROM outbox)";

gboolean
store_is_empty (Store *store, gboolean *empty, GError **error)
{
  g_autoptr (StoreStmt) stmt = store_prepare (store, SQL_COUNT_TICKETS, error);
  int rc;

  if (stmt == NULL)
    return FALSE;
  rc = store_next (stmt);
  if (rc != STORE_ROW)
    return store_db_error (error, store, rc, "cannot count the tickets");
  *empty = store_column_int64 (stmt, 0) == 0;
  return TRUE;
}

/* Binds the source row's column i to the target's parameter. */
static void
copy_value (StoreStmt *from, int i, StoreStmt *to, const char *param)
{
  /* SQLite reads an empty blob as a NULL pointer, and binds a NULL
   * pointer as NULL: a message's empty chunk failed message_raw's NOT
   * NULL.  An empty blob is bound from a pointer that is not NULL. */
  static const guint8 empty[1];
  gconstpointer blob;

  switch (store_column_kind (from, i))
    {
    case STORE_VALUE_NULL:
      store_bind_null (to, param);
      break;
    case STORE_VALUE_INT:
      store_bind_int (to, param, store_column_int64 (from, i));
      break;
    case STORE_VALUE_BLOB:
      blob = store_column_blob (from, i);
      store_bind_blob (to, param, blob ? blob : empty,
                       store_column_bytes (from, i));
      break;
    default:
      store_bind_text (to, param, store_column_peek (from, i));
      break;
    }
}

/* Every row of copy's select on from, inserted on to. */
static gboolean
copy_rows (Store *from, Store *to, const CopyTable *copy, GError **error)
{
  g_autoptr (StoreStmt) read
      = store_prepare (from, store_sql (from, &copy->select), error);
  g_autoptr (StoreCached) write = NULL;
  int rc;

  if (read == NULL || (write = store_cached (to, copy->insert, error)) == NULL)
    return FALSE;
  while ((rc = store_next (read)) == STORE_ROW)
    {
      store_cached_release (write);
      for (int i = 0; copy->params[i] != NULL; i++)
        copy_value (read, i, write, copy->params[i]);
      if (!store_step (to, write, copy->insert, error))
        break;
    }
  if (rc != STORE_ROW && rc != STORE_DONE)
    store_db_error (error, from, rc, "cannot read");
  if (rc == STORE_DONE)
    return TRUE;
  g_prefix_error (error, "%s: ", copy->name);
  return FALSE;
}

static gboolean
copy_all (Store *from, Store *to, GError **error)
{
  if (!store_tally_pause (to, TRUE, error))
    return FALSE;
  for (gsize i = 0; i < G_N_ELEMENTS (copy_tables); i++)
    if (!copy_rows (from, to, copy_tables[i], error))
      return FALSE;
  return copy_rows (from, to, &copy_merged, error)
         && copy_rows (from, to, &copy_setting, error)
         && store_tally_pause (to, FALSE, error)
         && (to->kind != STORE_POSTGRES
             || store_exec (to, SQL_PG_IDENTITIES, error));
}

gboolean
store_copy (Store *from, Store *to, GError **error)
{
  gboolean empty = FALSE;

  if (!store_is_empty (to, &empty, error))
    return FALSE;
  if (!empty)
    {
      g_set_error (error, STORE_ERROR, STORE_ERROR_NOT_EMPTY,
                   "%s is not empty: it has tickets, contacts or an outbox",
                   to->path);
      return FALSE;
    }
  if (!store_begin_read (from, error))
    return FALSE;
  if (!store_begin_write (to, error))
    {
      store_rollback (from);
      return FALSE;
    }
  if (!copy_all (from, to, error) || !store_lite_index (to, 1, error)
      || !store_commit (to, error))
    {
      store_rollback (to);
      store_rollback (from);
      return FALSE;
    }
  store_rollback (from); /* read only */
  return TRUE;
}
