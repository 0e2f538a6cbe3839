/*
 * store-lite-schema.c - the SQLite database's schema: schema.sql is
 * version 1, and each later version is one migrate_to_N step of
 * constant SQL ending in PRAGMA user_version = N; and its FTS5
 * full-text index, fed by the store at the end of a transaction.
 */
#include "store-db.h"

#include "store-lite.h"

/* The messages not in the full-text index yet: they are indexed in id
 * order, so those after the last one in it (FTS5 keeps a row in
 * message_fts_docsize for each). */
#define SQL_LAST_INDEXED                                                       \
  "(SELECT COALESCE (max (id), 0) FROM message_fts_docsize)"

/* The index holds the first 1 Mi characters of each message's text: a
 * report is found by what it says, and indexing all of a 50 MB log
 * attached would take seconds and a hundred megabytes (FTS5 builds each
 * message's trigrams in memory).  The text itself is kept whole.  It is
 * indexed folded (store_fold: NFKC), as searches are. */
#define SQL_INDEX_FROM                                                         \
  "INSERT INTO message_fts (rowid, subject, text) "                            \
  "SELECT id, madoguchi_fold (subject), "                                      \
  "madoguchi_fold (substr (text, 1, 1048576)) FROM message "

static const char SQL_INDEX_MESSAGES[]
    = SQL_INDEX_FROM "WHERE id > " SQL_LAST_INDEXED;

static const char SQL_UNINDEXED[]
    = "SELECT COALESCE ((SELECT max (id) FROM message), 0) - " SQL_LAST_INDEXED;

static int
user_version (Store *store)
{
  g_autoptr (StoreStmt) stmt
      = store_prepare (store, "PRAGMA user_version", NULL);

  if (stmt == NULL || store_next (stmt) != STORE_ROW)
    return -1;
  return store_column_int (stmt, 0);
}

/* Version 0 -> 1: the first schema. */
static gboolean
migrate_to_1 (Store *store, GError **error)
{
  return store_exec (store, (const char *) store_schema_sql, error)
         && store_exec (store, "PRAGMA user_version = 1", error);
}

/*
 * Version 1 -> 2: the full-text index is no longer fed by a trigger on
 * each message but by the store at the end of each transaction
 * (index_messages): FTS5 writes its pending terms at every statement
 * savepoint, so a trigger made one index segment per message, and an
 * import of 500 messages in one transaction wrote 500 segments and
 * merged them.
 */
static gboolean
migrate_to_2 (Store *store, GError **error)
{
  return store_exec (store, "DROP TRIGGER IF EXISTS message_fts_insert", error)
         && store_exec (store, "PRAGMA user_version = 2", error);
}

/*
 * Version 2 -> 3: a message's bytes move to message_raw, in rows of at
 * most a mebibyte.  A big report is copied in from its spool file a
 * chunk at a time (one bound blob of 50 MB made SQLite build a 50 MB
 * record in memory, and incremental blob I/O would write every page
 * twice: zeros first); and a column read after a big blob in its row
 * made SQLite walk the blob's pages.
 */
static const char SQL_RAW_OWN_TABLE[]
    = "CREATE TABLE message_raw ("
      "  message_id INTEGER NOT NULL REFERENCES message (id) ON DELETE CASCADE,"
      "  seq INTEGER NOT NULL,"
      "  bytes BLOB NOT NULL,"
      "  PRIMARY KEY (message_id, seq));"
      "INSERT INTO message_raw (message_id, seq, bytes) "
      "SELECT id, 0, raw FROM message;"
      "ALTER TABLE message DROP COLUMN raw;"
      "PRAGMA user_version = 3";

static gboolean
migrate_to_3 (Store *store, GError **error)
{
  return store_exec (store, SQL_RAW_OWN_TABLE, error);
}

/* Version 3 -> 4: the event times past max_timestamps, not kept. */
static const char SQL_TIMESTAMPS_DROPPED[]
    = "ALTER TABLE message ADD COLUMN timestamps_dropped INTEGER NOT NULL "
      "DEFAULT 0;"
      "PRAGMA user_version = 4";

static gboolean
migrate_to_4 (Store *store, GError **error)
{
  return store_exec (store, SQL_TIMESTAMPS_DROPPED, error);
}

/*
 * Version 4 -> 5: FTS5 merges the full-text index's segments once 16 of
 * a level are there instead of 4.  Indexing 500 kit reports (an
 * import's transaction) made about ten segments, and merging them four
 * at a time was a third of the indexing: callgrind 1.62 G -> 1.14 G
 * instructions; an import of 10,000 took 28.0/37.5/36.4 s against
 * 31.0/38.5/44.3 s, and searches of that database 1-2 ms more (of
 * 10-64 ms).
 */
static const char SQL_FTS_AUTOMERGE[]
    = "INSERT INTO message_fts (message_fts, rank) VALUES ('automerge', 16);"
      "PRAGMA user_version = 5";

static gboolean
migrate_to_5 (Store *store, GError **error)
{
  return store_exec (store, SQL_FTS_AUTOMERGE, error);
}

/*
 * Version 5 -> 6, against acknowledgements aimed at third parties and
 * forged follow-ups (issue 16): each acknowledgement records the report's
 * From and its recipient's domain, which have rate limits of their own;
 * a ticket can show that a reply waits for an operator; and tags get a
 * 32-bit check, while the tickets filed so far (up to tag_short_last)
 * keep honouring the 16-bit one their reporters were sent.  The domain
 * of the acknowledgements already sent is their whole domain: those rows
 * only count for a day.
 */
static const char SQL_ACK_LIMITS[]
    = "ALTER TABLE outbox ADD COLUMN sender TEXT;"
      "ALTER TABLE outbox ADD COLUMN recipient_domain TEXT;"
      "UPDATE outbox SET sender = lower ((SELECT from_addr FROM message "
      "  WHERE message.id = outbox.reply_to)),"
      "  recipient_domain = lower (substr (recipient, instr (recipient, '@')"
      "  + 1));"
      "CREATE INDEX outbox_sender ON outbox (sender, created);"
      "CREATE INDEX outbox_domain ON outbox (recipient_domain, created);"
      "ALTER TABLE ticket ADD COLUMN reply_waiting INTEGER NOT NULL DEFAULT 0;"
      "INSERT INTO setting (name, value) SELECT 'tag_short_last', "
      "  COALESCE (max (id), 0) FROM ticket;"
      "PRAGMA user_version = 6";

static gboolean
migrate_to_6 (Store *store, GError **error)
{
  return store_exec (store, SQL_ACK_LIMITS, error);
}

/* Version 6 -> 7: what OpenPGP a message carried and what came of it. */
static const char SQL_PGP[]
    = "ALTER TABLE message ADD COLUMN encryption TEXT;" /* NULL, 'decrypted',
                                                         * 'undecrypted' */
      "ALTER TABLE message ADD COLUMN signature TEXT;"  /* NULL: unsigned */
      "ALTER TABLE message ADD COLUMN signer TEXT;"     /* key fingerprint */
      "ALTER TABLE message ADD COLUMN pgp_problem TEXT;"
      "PRAGMA user_version = 7";

static gboolean
migrate_to_7 (Store *store, GError **error)
{
  return store_exec (store, SQL_PGP, error);
}

/*
 * Version 7 -> 8: the sites to notify (contact) and what was sent to
 * them (notification), issue 21.  A contact's match is kept as written
 * after normalising (a prefix without host bits, a range, AS64496, a
 * lower-case domain); a network also as its first and last address in
 * the 16-byte form, and span, the bits it leaves free (0 for one
 * address), so that the most specific match is the first by span.
 * Notifications go out through the outbox, from the team's address as
 * envelope sender (acknowledgements keep the null one): a bounce must
 * come back to mark it.
 */
static const char SQL_NOTIFY[]
    = "CREATE TABLE contact ("
      "  id INTEGER PRIMARY KEY,"
      "  match TEXT NOT NULL UNIQUE,"
      "  kind TEXT NOT NULL CHECK (kind IN ('network', 'asn', 'domain')),"
      "  ip_first BLOB, ip_last BLOB, span INTEGER,"
      "  asn INTEGER, domain TEXT,"
      "  name TEXT NOT NULL DEFAULT '', email TEXT NOT NULL DEFAULT '',"
      "  language TEXT NOT NULL DEFAULT 'en' CHECK (language IN ('ja', 'en')),"
      "  pgp TEXT, zone TEXT, updated INTEGER NOT NULL);"
      "CREATE INDEX contact_ip ON contact (ip_first, ip_last);"
      "CREATE INDEX contact_domain ON contact (domain);"
      "CREATE TABLE notification ("
      "  id INTEGER PRIMARY KEY,"
      "  ticket_id INTEGER NOT NULL REFERENCES ticket (id),"
      "  contact TEXT," /* its match; NULL: --to */
      "  email TEXT NOT NULL,"
      "  addresses TEXT NOT NULL," /* sorted, comma-separated */
      "  outbox_id INTEGER REFERENCES outbox (id),"
      "  message_id TEXT NOT NULL,"
      "  status TEXT NOT NULL DEFAULT 'queued' CHECK (status IN ('queued', "
      "    'sent', 'replied', 'bounced')),"
      "  created INTEGER NOT NULL, sent INTEGER, answered INTEGER,"
      "  who TEXT);"
      "CREATE INDEX notification_ticket ON notification (ticket_id);"
      "CREATE INDEX notification_created ON notification (created);"
      "CREATE INDEX notification_outbox ON notification (outbox_id);"
      "ALTER TABLE outbox ADD COLUMN envelope_from TEXT;"
      "PRAGMA user_version = 8";

static gboolean
migrate_to_8 (Store *store, GError **error)
{
  return store_exec (store, SQL_NOTIFY, error);
}

/*
 * Version 8 -> 9: an acknowledgement records how it left (via: sendmail,
 * or maildir, the outbox Maildir, where it is not sent yet); and the
 * full-text index is rebuilt from folded text (store_fold), so that
 * ＤｏＳ finds DoS.  The messages indexed before are indexed again, the
 * others wait as before.
 */
static const char SQL_FOLD_REINDEX[] = SQL_INDEX_FROM "WHERE id <= :last";

static const char SQL_INDEXED[] = "SELECT " SQL_LAST_INDEXED;

static const char SQL_OUTBOX_VIA_UNINDEX[]
    = "ALTER TABLE outbox ADD COLUMN via TEXT;"
      "INSERT INTO message_fts (message_fts) VALUES ('delete-all')";

static gboolean
migrate_to_9 (Store *store, GError **error)
{
  g_autoptr (StoreStmt) last = store_prepare (store, SQL_INDEXED, error);
  g_autoptr (StoreStmt) reindex = NULL;
  gint64 indexed;

  if (last == NULL)
    return FALSE;
  if (store_next (last) != STORE_ROW)
    return store_db_error (error, store, STORE_FAIL, "cannot read the index");
  indexed = store_column_int64 (last, 0);
  if (!store_exec (store, SQL_OUTBOX_VIA_UNINDEX, error))
    return FALSE;
  reindex = store_prepare (store, SQL_FOLD_REINDEX, error);
  if (reindex == NULL)
    return FALSE;
  store_bind_int (reindex, ":last", indexed);
  return store_step (store, reindex, "cannot rebuild the index", error)
         && store_exec (store, "PRAGMA user_version = 9", error);
}

/* Version 9 -> 10: the AS number a report gives with an address
 * (extract-asn.h), for contacts by AS; NULL where none was given. */
static const char SQL_INDICATOR_ASN[]
    = "ALTER TABLE indicator ADD COLUMN asn INTEGER;"
      "PRAGMA user_version = 10";

static gboolean
migrate_to_10 (Store *store, GError **error)
{
  return store_exec (store, SQL_INDICATOR_ASN, error);
}

/*
 * Version 10 -> 11: counts kept by triggers beside the tickets and
 * messages, and the reporters seen (store-tally.c), so that `stats` and
 * `list --reporter` need not read every ticket; and the indexes the
 * other stats queries walk.  At 1,000,000 tickets stats took 37 s.
 */
static gboolean
migrate_to_11 (Store *store, GError **error)
{
  return store_tally_install (store, error)
         && store_exec (store, "PRAGMA user_version = 11", error);
}

gboolean
store_lite_migrate (Store *store, GError **error)
{
  int version;

  /* The common case, an up-to-date database, needs no write lock: every
   * delivery opens the store, and they must not queue up for nothing. */
  if (user_version (store) == STORE_SCHEMA_VERSION)
    return TRUE;
  if (!store_exec (store, "BEGIN IMMEDIATE", error))
    return FALSE;
  version = user_version (store);
  if (version > STORE_SCHEMA_VERSION || version < 0)
    {
      store_exec (store, "ROLLBACK", NULL);
      g_set_error (error, STORE_ERROR, STORE_ERROR_FAILED,
                   "%s: schema version %d is newer than this madoguchi "
                   "(%d) or unreadable",
                   store->path, version, STORE_SCHEMA_VERSION);
      return FALSE;
    }
  if ((version < 1 && !migrate_to_1 (store, error))
      || (version < 2 && !migrate_to_2 (store, error))
      || (version < 3 && !migrate_to_3 (store, error))
      || (version < 4 && !migrate_to_4 (store, error))
      || (version < 5 && !migrate_to_5 (store, error))
      || (version < 6 && !migrate_to_6 (store, error))
      || (version < 7 && !migrate_to_7 (store, error))
      || (version < 8 && !migrate_to_8 (store, error))
      || (version < 9 && !migrate_to_9 (store, error))
      || (version < 10 && !migrate_to_10 (store, error))
      || (version < 11 && !migrate_to_11 (store, error))
      || !store_exec (store, "COMMIT", error))
    {
      store_exec (store, "ROLLBACK", NULL);
      return FALSE;
    }
  return TRUE;
}

/*
 * Adds the messages not in the full-text index to it, if at least
 * waiting of them wait, in one statement: the last of a transaction, so
 * that FTS5 writes one index segment for all of them.  A delivery leaves
 * its message to wait (searches read the waiting ones whole, see
 * store-query.c): indexing one message alone costs about as much as the
 * rest of filing it, and a batch of 32 still a tenth of the time of the
 * delivery that makes it.  store_index_waiting indexes them, and
 * deliveries do only past INDEX_BACKLOG, which keeps the searches of the
 * waiting ones short when no cron job runs.
 */
gboolean
store_lite_index (Store *store, gint64 waiting, GError **error)
{
  g_autoptr (StoreCached) count = NULL;
  g_autoptr (StoreCached) stmt = NULL;

  /* PostgreSQL indexes each message as it is inserted. */
  if (store->kind != STORE_SQLITE)
    return TRUE;
  count = store_cached (store, SQL_UNINDEXED, error);
  if (count == NULL)
    return FALSE;
  if (store_next (count) == STORE_ROW
      && store_column_int64 (count, 0) < waiting)
    return TRUE;
  stmt = store_cached (store, SQL_INDEX_MESSAGES, error);
  return stmt != NULL
         && store_step (store, stmt, "cannot index messages", error);
}
