/*
 * store-tally.c - counts kept beside the tickets, so that `stats` and
 * `list --reporter` need not read a million rows (issue 23: every
 * operator command under 100 ms on 1,000,000 tickets, on both stores).
 *
 * tally holds, per hour and label, how many
 *   ticket  tickets not merged into another, per category;
 *   loose   ... of them in no incident;
 *   ack     incoming messages, per acknowledgement decision ('' none);
 * and reporter every reporter address a ticket ever had.  Triggers keep
 * them, in the statement that changes a ticket or a message: the counts
 * are exact in every transaction, whatever writes (filing, set, merge,
 * incident, migrate --to, a script with sqlite3), on both stores.  A
 * count of a period is the hours wholly inside it from tally, plus the
 * rows of the partial hours at its ends read from the tables (their
 * indexes on created and received): exact for any period, in any zone.
 *
 * The schema's step that adds them (version 11) is store_tally_install,
 * run by store-lite-schema.c and store-pg-schema.c.
 */
#include "store-db.h"

/* The Unix time the hour of t began (t may be negative: % truncates). */
#define HOUR(t) "(" t " - ((" t " % 3600) + 3600) % 3600)"
#define TALLY_HOUR 3600

/* The SQL is kept as written: clang-format breaks the strings of these
 * macros at other places on each run. */
/* clang-format off */

/* What both stores create alike: the tables, and the indexes the reads
 * at the ends of a period and the other stats queries walk. */
#define SQL_TALLY_TABLES_(integer, no_rowid) \
  "CREATE TABLE tally (" \
  "  kind TEXT NOT NULL," /* 'ticket', 'loose', 'ack' */ \
  "  hour " integer " NOT NULL," /* the Unix time it began */ \
  "  label TEXT NOT NULL," /* category, or decision */ \
  "  n " integer " NOT NULL," \
  "  PRIMARY KEY (kind, hour, label))" no_rowid ";" \
  "CREATE TABLE reporter (reporter TEXT PRIMARY KEY)" no_rowid ";" \
  "CREATE INDEX message_received ON message (received);" \
  "CREATE INDEX indicator_scope ON indicator (scope, kind);" \
  "CREATE INDEX event_action ON event (ticket_id, at) " SQL_EVENT_ACTION ";"

/* The counts of the rows already there. */
#define SQL_TALLY_FILL \
  "INSERT INTO tally (kind, hour, label, n) SELECT 'ticket', " \
  HOUR ("created") " AS h, category, COUNT(*) FROM ticket " \
  "WHERE merged_into IS NULL GROUP BY h, category;" \
  "INSERT INTO tally (kind, hour, label, n) SELECT 'loose', " \
  HOUR ("created") " AS h, category, COUNT(*) FROM ticket " \
  "WHERE merged_into IS NULL AND incident_id IS NULL GROUP BY h, category;" \
  "INSERT INTO tally (kind, hour, label, n) SELECT 'ack', " \
  HOUR ("received") " AS h, COALESCE (ack, '') AS decision, COUNT(*) " \
  "FROM message WHERE direction = 'in' GROUP BY h, decision;" \
  "INSERT INTO reporter (reporter) SELECT DISTINCT reporter FROM ticket " \
  "WHERE reporter IS NOT NULL;"

/* SQLite: triggers of plain statements, one upsert per count. */
#define LITE_ADD(kind, row, t, label, n, cond) \
  "INSERT INTO tally (kind, hour, label, n) SELECT '" kind "', " \
  HOUR (row "." t) ", " label ", " n " WHERE " cond \
  " ON CONFLICT (kind, hour, label) DO UPDATE SET n = n + excluded.n;"

#define LITE_TICKET(row, n) \
  LITE_ADD ("loose", row, "created", row ".category", n, \
            row ".merged_into IS NULL AND " row ".incident_id IS NULL") \
  LITE_ADD ("ticket", row, "created", row ".category", n, \
            row ".merged_into IS NULL")

#define LITE_MESSAGE(row, n) \
  LITE_ADD ("ack", row, "received", "COALESCE (" row ".ack, '')", n, \
            row ".direction = 'in'")

#define LITE_REPORTER \
  "INSERT OR IGNORE INTO reporter (reporter) SELECT NEW.reporter " \
  "WHERE NEW.reporter IS NOT NULL;"

static const char SQL_TALLY_SQLITE[]
  = SQL_TALLY_TABLES_ ("INTEGER", " WITHOUT ROWID")
    SQL_TALLY_FILL
    "CREATE TRIGGER tally_ticket_insert AFTER INSERT ON ticket BEGIN "
    LITE_TICKET ("NEW", "1") LITE_REPORTER "END;"
    "CREATE TRIGGER tally_ticket_delete AFTER DELETE ON ticket BEGIN "
    LITE_TICKET ("OLD", "-1") "END;"
    "CREATE TRIGGER tally_ticket_update AFTER UPDATE OF created, category, "
    "merged_into, incident_id, reporter ON ticket BEGIN "
    LITE_TICKET ("OLD", "-1") LITE_TICKET ("NEW", "1") LITE_REPORTER "END;"
    "CREATE TRIGGER tally_message_insert AFTER INSERT ON message BEGIN "
    LITE_MESSAGE ("NEW", "1") "END;"
    "CREATE TRIGGER tally_message_delete AFTER DELETE ON message BEGIN "
    LITE_MESSAGE ("OLD", "-1") "END;"
    "CREATE TRIGGER tally_message_update AFTER UPDATE OF received, ack, "
    "direction ON message BEGIN "
    LITE_MESSAGE ("OLD", "-1") LITE_MESSAGE ("NEW", "1") "END;";

/* PostgreSQL: the same counts from PL/pgSQL trigger functions. */
static const char SQL_TALLY_POSTGRES[]
  = SQL_TALLY_TABLES_ ("BIGINT", "")
    SQL_TALLY_FILL
    "CREATE FUNCTION tally_add (k TEXT, t BIGINT, l TEXT, d BIGINT) "
    "RETURNS void LANGUAGE sql AS $$ "
    "INSERT INTO tally (kind, hour, label, n) VALUES (k, " HOUR ("t") ", l, d) "
    "ON CONFLICT (kind, hour, label) DO UPDATE SET n = tally.n + EXCLUDED.n "
    "$$;"
    "CREATE FUNCTION tally_ticket () RETURNS trigger LANGUAGE plpgsql AS $$ "
    "BEGIN "
    "IF TG_OP <> 'INSERT' AND OLD.merged_into IS NULL THEN "
    "  IF OLD.incident_id IS NULL THEN "
    "    PERFORM tally_add ('loose', OLD.created, OLD.category, -1); END IF; "
    "  PERFORM tally_add ('ticket', OLD.created, OLD.category, -1); "
    "END IF; "
    "IF TG_OP <> 'DELETE' AND NEW.merged_into IS NULL THEN "
    "  IF NEW.incident_id IS NULL THEN "
    "    PERFORM tally_add ('loose', NEW.created, NEW.category, 1); END IF; "
    "  PERFORM tally_add ('ticket', NEW.created, NEW.category, 1); "
    "END IF; "
    "IF TG_OP <> 'DELETE' AND NEW.reporter IS NOT NULL THEN "
    "  INSERT INTO reporter (reporter) VALUES (NEW.reporter) "
    "  ON CONFLICT DO NOTHING; "
    "END IF; "
    "RETURN NULL; "
    "END $$;"
    "CREATE TRIGGER tally_ticket AFTER INSERT OR DELETE OR UPDATE OF "
    "created, category, merged_into, incident_id, reporter ON ticket "
    "FOR EACH ROW EXECUTE FUNCTION tally_ticket ();"
    "CREATE FUNCTION tally_message () RETURNS trigger LANGUAGE plpgsql AS $$ "
    "BEGIN "
    "IF TG_OP <> 'INSERT' AND OLD.direction = 'in' THEN "
    "  PERFORM tally_add ('ack', OLD.received, COALESCE (OLD.ack, ''), -1); "
    "END IF; "
    "IF TG_OP <> 'DELETE' AND NEW.direction = 'in' THEN "
    "  PERFORM tally_add ('ack', NEW.received, COALESCE (NEW.ack, ''), 1); "
    "END IF; "
    "RETURN NULL; "
    "END $$;"
    "CREATE TRIGGER tally_message AFTER INSERT OR DELETE OR UPDATE OF "
    "received, ack, direction ON message "
    "FOR EACH ROW EXECUTE FUNCTION tally_message ();";

/* clang-format on */

static const StoreSql SQL_TALLY = {
  .sqlite = SQL_TALLY_SQLITE,
  .postgres = SQL_TALLY_POSTGRES,
};

gboolean
store_tally_install (Store *store, GError **error)
{
  return store_exec (store, store_sql (store, &SQL_TALLY), error);
}

/*
 * PostgreSQL keeps a version of a row per update until the transaction
 * ends, and each update walks them: migrate --to, which copies a store
 * in one transaction, counted each message into its hour's row, and a
 * million received in one hour (bench/operator.sh's) made that chain a
 * million long, an hour and more.  So a copy pauses the triggers and
 * counts the rows once at the end.  (SQLite updates a row in place.)
 */
static const char SQL_TALLY_PAUSE[]
    = "ALTER TABLE ticket DISABLE TRIGGER tally_ticket;"
      "ALTER TABLE message DISABLE TRIGGER tally_message;";

static const char SQL_TALLY_RESUME[]
    = "ALTER TABLE ticket ENABLE TRIGGER tally_ticket;"
      "ALTER TABLE message ENABLE TRIGGER tally_message;"
      "DELETE FROM tally; DELETE FROM reporter;" SQL_TALLY_FILL;

gboolean
store_tally_pause (Store *store, gboolean pause, GError **error)
{
  const char *sql = pause ? SQL_TALLY_PAUSE : SQL_TALLY_RESUME;

  if (store->kind != STORE_POSTGRES)
    return TRUE;
  return store_exec (store, sql, error);
}

/* A period's count per label: the whole hours [:hlo, :hhi) from tally,
 * the partial ones [:lo, :hlo) and [:hhi, :hi) from the rows.  SQLite
 * returns the rows as they are, and the caller adds them up: its GROUP
 * BY sorted them, three quarters of the time of `stats` (8 ms to read a
 * year of a million tickets' hours, 25 ms to group them); PostgreSQL
 * groups them by hashing, which costs less than sending them. */
/* clang-format off */
#define SQL_TALLY_ROWS_(rows) \
  "SELECT label, n FROM tally WHERE kind = :kind " \
  "AND hour >= :hlo AND hour < :hhi " \
  "UNION ALL " rows (":lo", ":hlo") \
  " UNION ALL " rows (":hhi", ":hi")
#define SQL_TALLY_GROUPED_(rows) \
  "SELECT label, CAST (SUM (n) AS BIGINT) FROM (" SQL_TALLY_ROWS_ (rows) \
  ") AS counted GROUP BY label"
/* clang-format on */

#define TICKET_ROWS(from, to)                                                  \
  "SELECT category, 1 FROM ticket WHERE merged_into IS NULL "                  \
  "AND (:kind = 'ticket' OR incident_id IS NULL) "                             \
  "AND created >= " from " AND created < " to

#define ACK_ROWS(from, to)                                                     \
  "SELECT COALESCE (ack, ''), 1 FROM message WHERE direction = 'in' "          \
  "AND received >= " from " AND received < " to

static const StoreSql SQL_TALLY_TICKETS = {
  .sqlite = SQL_TALLY_ROWS_ (TICKET_ROWS),
  .postgres = SQL_TALLY_GROUPED_ (TICKET_ROWS),
};

static const StoreSql SQL_TALLY_ACKS = {
  .sqlite = SQL_TALLY_ROWS_ (ACK_ROWS),
  .postgres = SQL_TALLY_GROUPED_ (ACK_ROWS),
};

/* t rounded up (ceil) or down to a whole hour. */
static gint64
hour_bound (gint64 t, gboolean up)
{
  gint64 down = t - ((t % TALLY_HOUR) + TALLY_HOUR) % TALLY_HOUR;

  return up && down < t ? down + TALLY_HOUR : down;
}

gboolean
store_tally_read (Store *store, const StoreTallyQuery *q, GError **error)
{
  const char *sql
      = store_sql (store, g_str_equal (q->kind, "ack") ? &SQL_TALLY_ACKS
                                                       : &SQL_TALLY_TICKETS);
  /* Prepared once for the months of a stats (26 uses). */
  g_autoptr (StoreCached) stmt = store_cached (store, sql, error);
  gint64 hlo = hour_bound (q->since, TRUE);
  gint64 hhi = hour_bound (q->until, FALSE);
  int rc;

  if (stmt == NULL)
    return FALSE;
  if (q->until <= q->since)
    return TRUE;
  if (hlo > hhi) /* within one hour: all of it from the rows */
    hlo = hhi = q->since;
  store_bind_text (stmt, ":kind", q->kind);
  store_bind_int (stmt, ":lo", q->since);
  store_bind_int (stmt, ":hlo", hlo);
  store_bind_int (stmt, ":hhi", hhi);
  store_bind_int (stmt, ":hi", q->until);
  while ((rc = store_next (stmt)) == STORE_ROW)
    q->add (q->data, store_column_peek (stmt, 0), store_column_int64 (stmt, 1));
  return rc == STORE_DONE
         || store_db_error (error, store, rc, "cannot read the counts");
}
