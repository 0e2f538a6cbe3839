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
 *
 * Each delivery is a process of its own, and SQLite's last connection
 * checkpoints the WAL into the database and deletes it when it closes:
 * every delivery would write its pages twice, make and unlink a WAL file
 * and sync four times more.  So closing does not checkpoint; the WAL is
 * kept for the next process and emptied (a TRUNCATE checkpoint) by the
 * first close that finds it past WAL_TRUNCATE_BYTES.  It is kept small
 * because the first connection of every process reads it whole to
 * rebuild its index.  The checkpoint never waits: while another
 * connection reads or writes it gives up at once and a later close does
 * it.  A delivery leaves it to a detached process of its own
 * (store_close_detached), which tries again for a moment: the MTA waits
 * for the delivery's exit, and the checkpoint's copying and two syncs
 * were what made one delivery in four the slowest (the p95).  A
 * long-running process (import) still checkpoints as SQLite does by
 * default, every 1000 pages.
 */
#include "madoguchi/store.h"

#include <fcntl.h>
#include <glib/gstdio.h>
#include <signal.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

#include "store-db.h"

G_DEFINE_QUARK (madoguchi - store - error - quark, store_error)

#define STORE_SCHEMA_VERSION 10
/* A delivery indexes the waiting messages once this many wait; until
 * then `spool run` (from cron) does it, with no MTA waiting. */
#define INDEX_BACKLOG 256
/* Four kit deliveries or so: a larger WAL is more to read back at every
 * process's start, a smaller one more checkpoints (a build timing each
 * phase: opening plus closing cost least between 1 and 2 MiB; the p95
 * of 200 deliveries was lowest at 1 MiB against 2 and 4, bench/README). */
#define WAL_TRUNCATE_BYTES (1024 * 1024)
/* A delivery's detached process emptying the WAL tries this often, this
 * far apart, while other processes use the database: the next delivery
 * is usually done with it within a few tries; a long reader (an export)
 * makes it give up after a second, leaving the WAL to a later delivery.
 * It is killed if still there after WAL_EMPTIER_SECONDS (it holds the
 * lock that keeps a second one from starting). */
#define WAL_TRIES 200
#define WAL_RETRY_US 5000
#define WAL_EMPTIER_SECONDS 30

static const char SQL_NEXT_NUMBER[]
    = "INSERT INTO counter (year, last) VALUES (:year, 1) "
      "ON CONFLICT (year) DO UPDATE SET last = last + 1 RETURNING last";

static const char SQL_FIND_DUPLICATE[]
    = "SELECT t.number FROM message m JOIN ticket t ON t.id = m.ticket_id "
      "WHERE m.dedup_key = :key";

static const char SQL_TICKET_INSERT[]
    = "INSERT INTO ticket (number, year, seq, created, updated, reporter, "
      "reporter_name, subject, category, auto_category) VALUES (:number, "
      ":year, :seq, :now, :now, :reporter, :reporter_name, :subject, "
      ":category, :category)";

static const char SQL_REASON_INSERT[]
    = "INSERT INTO reason (ticket_id, message_id, category, rule, score, "
      "place, matched) VALUES (:ticket, :message, :category, :rule, :score, "
      ":place, :matched)";

static const char SQL_FORM_INSERT[]
    = "INSERT INTO form_field (ticket_id, message_id, name, value) "
      "VALUES (:ticket, :message, :name, :value)";

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
      ":pgp_problem)";

static const char SQL_RAW_INSERT[]
    = "INSERT INTO message_raw (message_id, seq, bytes) VALUES (:message, "
      ":seq, :bytes)";

static const char SQL_REOPEN[]
    = "UPDATE ticket SET status = 'open', reply_waiting = 0, updated = :now "
      "WHERE id = :ticket AND status = 'resolved' RETURNING 1";

static const char SQL_REPLY_WAITING[]
    = "UPDATE ticket SET reply_waiting = 1, updated = :now WHERE id = :ticket "
      "AND status IN ('resolved', 'rejected') AND NOT reply_waiting "
      "RETURNING status";

static const char SQL_INDICATOR_INSERT[]
    = "INSERT INTO indicator (ticket_id, message_id, kind, value, ip, ip_end, "
      "scope, own, role, ports, count, first_seen, last_seen, context, asn) "
      "VALUES (:ticket, :message, :kind, :value, :ip, :ip_end, :scope, :own, "
      ":role, :ports, :count, :first_seen, :last_seen, :context, :asn)";

static const char SQL_TIMESTAMP_INSERT[]
    = "INSERT INTO timestamp (ticket_id, message_id, utc, original, rule, "
      "zone_assumed, part, line) VALUES (:ticket, :message, :utc, :original, "
      ":rule, :assumed, :part, :line)";

static const char SQL_EXCERPT_INSERT[]
    = "INSERT INTO excerpt (ticket_id, message_id, part, first_line, "
      "last_line, text) VALUES (:ticket, :message, :part, :first, :last, "
      ":text)";

static const char SQL_PART_INSERT[]
    = "INSERT INTO part (message_id, idx, depth, content_type, filename, "
      "charset, size, is_text, forwarded) VALUES (:message, :idx, :depth, "
      ":type, :filename, :charset, :size, :is_text, :forwarded)";

static int
user_version (Store *store)
{
  g_autoptr (sqlite3_stmt) stmt
      = store_prepare (store, "PRAGMA user_version", NULL);

  if (stmt == NULL || sqlite3_step (stmt) != SQLITE_ROW)
    return -1;
  return sqlite3_column_int (stmt, 0);
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
  g_autoptr (sqlite3_stmt) last = store_prepare (store, SQL_INDEXED, error);
  g_autoptr (sqlite3_stmt) reindex = NULL;
  gint64 indexed;

  if (last == NULL)
    return FALSE;
  if (sqlite3_step (last) != SQLITE_ROW)
    return store_db_error (error, store->db, SQLITE_ERROR,
                           "cannot read the index");
  indexed = sqlite3_column_int64 (last, 0);
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

static gboolean
store_migrate (Store *store, GError **error)
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
      || !store_exec (store, "COMMIT", error))
    {
      store_exec (store, "ROLLBACK", NULL);
      return FALSE;
    }
  return TRUE;
}

/*
 * SQLite syncs a WAL file's directory at the first sync of every process
 * that opened it for creation, which is every process: the pager always
 * asks for the WAL with SQLITE_OPEN_CREATE.  A WAL that exists had its
 * directory synced by the process that created it, and here it outlives
 * every process (see the top of the file): this VFS, the default one but
 * for that, opens an existing WAL without SQLITE_OPEN_CREATE, which
 * spares each delivery one fsync.  Should the WAL vanish in between (the
 * sqlite3 shell deletes it when it closes last), it is created as usual.
 */
static sqlite3_vfs store_vfs;
static int (*store_vfs_default_open) (sqlite3_vfs *, const char *,
                                      sqlite3_file *, int, int *);

static int
store_vfs_open (sqlite3_vfs *vfs, const char *name, sqlite3_file *file,
                int flags, int *out_flags)
{
  GStatBuf st;

  if ((flags & SQLITE_OPEN_WAL) && (flags & SQLITE_OPEN_CREATE) && name != NULL
      && g_stat (name, &st) == 0
      && store_vfs_default_open (vfs, name, file, flags & ~SQLITE_OPEN_CREATE,
                                 out_flags)
             == SQLITE_OK)
    return SQLITE_OK;
  return store_vfs_default_open (vfs, name, file, flags, out_flags);
}

static gpointer
store_vfs_register (gpointer unused)
{
  sqlite3_vfs *unix_vfs = sqlite3_vfs_find (NULL);

  if (unix_vfs == NULL) /* SQLite could not initialise (out of memory) */
    return GINT_TO_POINTER (FALSE);
  store_vfs = *unix_vfs;
  store_vfs.zName = "madoguchi";
  store_vfs_default_open = store_vfs.xOpen;
  store_vfs.xOpen = store_vfs_open;
  return GINT_TO_POINTER (sqlite3_vfs_register (&store_vfs, 0) == SQLITE_OK);
}

/* The VFS to open the database with: ours, or SQLite's default should
 * ours not register. */
static const char *
store_vfs_name (void)
{
  static GOnce vfs_once = G_ONCE_INIT;

  return GPOINTER_TO_INT (g_once (&vfs_once, store_vfs_register, NULL))
             ? "madoguchi"
             : NULL;
}

/*
 * The busy handler: sleeps that start at 100 us and double up to 4 ms,
 * until busy_timeout has passed since the first.  SQLite's own (that of
 * sqlite3_busy_timeout) sleeps 1, 2, 5, 10, 15, 20, 25 ms and on, while
 * the locks deliveries wait for are held a few milliseconds: with two in
 * flight they overslept (300 kit reports, four rounds: 79-84 msg/s
 * against 72-76, p95 37-42 ms against 43-69).
 */
static int
wait_while_busy (gpointer data, int count)
{
  Store *store = data;
  gint64 now = g_get_monotonic_time ();

  if (count == 0)
    store->busy_since = now;
  if (now - store->busy_since >= store->busy_timeout_us)
    return 0;
  g_usleep (MIN (100 << MIN (count, 6), 4000));
  return 1;
}

static void
finalize_statement (gpointer stmt)
{
  sqlite3_finalize (stmt);
}

Store *
store_open (const char *path, int busy_timeout, GError **error)
{
  g_autoptr (Store) store = g_new0 (Store, 1);
  int rc;

  store->path = g_strdup (path);
  store->cached = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                         finalize_statement);
  rc = sqlite3_open_v2 (path, &store->db,
                        SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE
                            | SQLITE_OPEN_NOFOLLOW,
                        store_vfs_name ());
  if (rc != SQLITE_OK)
    {
      store_db_error (error, store->db, rc, path);
      return NULL;
    }
  if (!store_fold_register (store->db))
    {
      store_db_error (error, store->db, SQLITE_ERROR, path);
      return NULL;
    }
  store->busy_timeout_us = (gint64) busy_timeout * 1000;
  sqlite3_busy_handler (store->db, wait_while_busy, store);
  sqlite3_extended_result_codes (store->db, 0);
  sqlite3_db_config (store->db, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, NULL);
  if (!store_exec (store, "PRAGMA journal_mode = WAL", error)
      || !store_exec (store, "PRAGMA synchronous = FULL", error)
      || !store_exec (store, "PRAGMA foreign_keys = ON", error)
      || !store_migrate (store, error))
    {
      g_prefix_error (error, "%s: ", path);
      return NULL;
    }
  return g_steal_pointer (&store);
}

/* Whether the WAL has grown past the size it is emptied at. */
static gboolean
wal_due (const char *path)
{
  g_autofree char *wal = g_strconcat (path, "-wal", NULL);
  GStatBuf st;

  return g_stat (wal, &st) == 0 && st.st_size >= WAL_TRUNCATE_BYTES;
}

/* Empties the WAL if no other connection is using it, else gives up at
 * once (SQLITE_BUSY): it never waits for another connection.  *log (if
 * log is not NULL) is the WAL's frames, -1 when the connection knows of
 * no WAL. */
static int
truncate_wal (sqlite3 *db, int *log)
{
  sqlite3_busy_timeout (db, 0);
  return sqlite3_wal_checkpoint_v2 (db, NULL, SQLITE_CHECKPOINT_TRUNCATE, log,
                                    NULL);
}

/* truncate_wal on a connection that has not read yet: it knows of the
 * WAL only once it has, and the read itself may find the database busy
 * (another process rebuilding the WAL's index; a new connection has no
 * busy handler, so the read fails at once). */
static int
truncate_wal_fresh (sqlite3 *db)
{
  int log = -1;
  int rc = sqlite3_exec (db, "PRAGMA user_version", NULL, NULL, NULL);

  if (rc == SQLITE_OK)
    rc = truncate_wal (db, &log);
  return rc == SQLITE_OK && log < 0 ? SQLITE_BUSY : rc;
}

/* Opens path on a connection of its own and empties its WAL, making up
 * to tries attempts WAL_RETRY_US apart while others use it. */
static void
truncate_wal_at (const char *path, guint tries)
{
  sqlite3 *db = NULL;

  if (sqlite3_open_v2 (path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOFOLLOW,
                       store_vfs_name ())
          == SQLITE_OK
      && sqlite3_db_config (db, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, NULL)
             == SQLITE_OK)
    for (guint i = 1; truncate_wal_fresh (db) == SQLITE_BUSY && i < tries; i++)
      g_usleep (WAL_RETRY_US);
  sqlite3_close (db);
}

/* Points standard input, output and error at /dev/null and closes every
 * other descriptor but keep (> 2); whether all went well. */
static gboolean
keep_only (int keep)
{
  int null = open ("/dev/null", O_RDWR);

  return null >= 0 && dup2 (null, STDIN_FILENO) >= 0
         && dup2 (null, STDOUT_FILENO) >= 0 && dup2 (null, STDERR_FILENO) >= 0
         && (keep == STDERR_FILENO + 1
             || close_range (STDERR_FILENO + 1, keep - 1, 0) == 0)
         && close_range (keep + 1, ~0U, 0) == 0;
}

/*
 * Forks a process detached from ours: in a session of its own, holding
 * no descriptor of ours but keep (standard input, output and error are
 * /dev/null), so that an MTA reading our output or signalling our
 * process group does not wait for it or stop it; killed by SIGALRM
 * after WAL_EMPTIER_SECONDS.  Our process is about to exit and does not
 * wait for it: init adopts it and reaps it.  It must not log: the
 * caller's setup closes what it opened (syslog) before its descriptors
 * are closed, and resets what would stop the kill (a SIGALRM handler).
 * Returns 1 in the detached process, 0 in ours, -1 if it could not be
 * made.
 */
static int
fork_detached (int keep, StoreChildSetup setup)
{
  pid_t pid = fork ();
  sigset_t alarm_set;

  if (pid != 0)
    return pid > 0 ? 0 : -1;
  sigemptyset (&alarm_set);
  sigaddset (&alarm_set, SIGALRM);
  if ((setup != NULL && !setup ()) || setsid () < 0 || !keep_only (keep)
      || sigprocmask (SIG_UNBLOCK, &alarm_set, NULL) != 0)
    _exit (1);
  alarm (WAL_EMPTIER_SECONDS);
  return 1;
}

/*
 * A descriptor (> 2) of the database at path holding the lock of its
 * one detached WAL emptier, or -1 when another process holds it (or the
 * file cannot be opened).  flock(2): SQLite's fcntl(2) locks do not see
 * it.  But closing any descriptor of the file drops every fcntl lock
 * the process holds on it: it is closed only when no connection is open.
 */
static int
lock_wal_emptier (const char *path)
{
  int opened = open (path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  int fd
      = opened >= 0 ? fcntl (opened, F_DUPFD_CLOEXEC, STDERR_FILENO + 1) : -1;

  if (opened >= 0)
    close (opened);
  if (fd >= 0 && flock (fd, LOCK_EX | LOCK_NB) != 0)
    {
      close (fd);
      return -1;
    }
  return fd;
}

/* Frees the store; whether its connection is closed for good (a
 * statement someone still holds keeps it open until finalized). */
static gboolean
store_free (Store *store)
{
  gboolean closed;

  g_hash_table_destroy (store->cached);
  closed = sqlite3_close (store->db) == SQLITE_OK;
  if (!closed)
    sqlite3_close_v2 (store->db);
  g_free (store->path);
  g_free (store);
  return closed;
}

void
store_close (Store *store)
{
  if (store == NULL)
    return;
  if (wal_due (store->path))
    truncate_wal (store->db, NULL);
  store_free (store);
}

/* In a detached process, empties the WAL of path unless another such
 * process is at it; see the top of the file. */
static void
empty_wal_detached (const char *path, StoreChildSetup setup)
{
  int lock = lock_wal_emptier (path);

  if (lock < 0)
    return;
  switch (fork_detached (lock, setup))
    {
    case 1: /* the lock is held until this process exits */
      truncate_wal_at (path, WAL_TRIES);
      _exit (0);
    case -1:
      truncate_wal_at (path, 1); /* not detached: never waiting */
      break;
    default:
      break;
    }
  close (lock);
}

void
store_close_detached (Store *store, StoreChildSetup setup)
{
  g_autofree char *path = NULL;

  if (store == NULL)
    return;
  if (wal_due (store->path))
    path = g_strdup (store->path);
  /* A connection must not be open across fork(): not even one a
   * forgotten statement keeps alive. */
  if (store_free (store) && path != NULL)
    empty_wal_detached (path, setup);
}

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
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_ROW)
    {
      g_strlcpy (filed->number, (const char *) sqlite3_column_text (stmt, 0),
                 sizeof filed->number);
      filed->duplicate = TRUE;
      return TRUE;
    }
  if (rc != SQLITE_DONE)
    return store_db_error (error, store->db, rc, "cannot look up duplicate");
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
  rc = sqlite3_step (stmt);
  if (rc != SQLITE_ROW)
    {
      store_db_error (error, store->db, rc, "cannot number the ticket");
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
  if (!store_step (store, stmt, "cannot insert ticket", error))
    return 0;
  return sqlite3_last_insert_rowid (store->db);
}

static void
bind_message_headers (sqlite3_stmt *stmt, const Message *m)
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
  sqlite3_stmt *stmt;
  gint64 seq;
} RawInsert;

static gboolean
insert_raw_chunk (const char *data, gsize len, gpointer user_data,
                  GError **error)
{
  RawInsert *r = user_data;

  sqlite3_reset (r->stmt);
  store_bind_int (r->stmt, ":seq", r->seq++);
  sqlite3_bind_blob64 (r->stmt, store_param (r->stmt, ":bytes"), data, len,
                       SQLITE_STATIC);
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
  if (!store_step (store, stmt, "cannot insert message", error))
    return 0;
  id = sqlite3_last_insert_rowid (store->db);
  return insert_raw (store, id, d->raw, error) ? id : 0;
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
static gboolean
index_messages (Store *store, gint64 waiting, GError **error)
{
  g_autoptr (StoreCached) count = store_cached (store, SQL_UNINDEXED, error);
  g_autoptr (StoreCached) stmt = NULL;

  if (count == NULL)
    return FALSE;
  if (sqlite3_step (count) == SQLITE_ROW
      && sqlite3_column_int64 (count, 0) < waiting)
    return TRUE;
  stmt = store_cached (store, SQL_INDEX_MESSAGES, error);
  return stmt != NULL
         && store_step (store, stmt, "cannot index messages", error);
}

/* Binds one row's own columns (the ticket's and message's are bound). */
typedef void (*BindRow) (sqlite3_stmt *stmt, gconstpointer row, guint index);

/* Inserts rows with sql, one statement for all, each row bound by bind
 * after :ticket (unless ticket is 0) and :message. */
static gboolean
insert_rows (Store *store, const char *sql, gint64 ticket, gint64 message,
             const GPtrArray *rows, BindRow bind, const char *what,
             GError **error)
{
  g_autoptr (StoreCached) stmt = NULL;

  if (rows == NULL || rows->len == 0)
    return TRUE;
  stmt = store_cached (store, sql, error);
  for (guint i = 0; stmt != NULL && i < rows->len; i++)
    {
      store_cached_release (stmt);
      if (ticket != 0)
        store_bind_int (stmt, ":ticket", ticket);
      store_bind_int (stmt, ":message", message);
      bind (stmt, rows->pdata[i], i);
      if (!store_step (store, stmt, what, error))
        return FALSE;
    }
  return stmt != NULL;
}

static void
bind_part_row (sqlite3_stmt *stmt, gconstpointer row, guint index)
{
  const MessagePart *p = row;

  store_bind_int (stmt, ":idx", index);
  store_bind_int (stmt, ":depth", p->depth);
  store_bind_text (stmt, ":type", p->content_type);
  store_bind_text (stmt, ":filename", p->filename);
  store_bind_text (stmt, ":charset", p->charset);
  store_bind_int (stmt, ":size", p->size);
  store_bind_int (stmt, ":is_text", p->text != NULL);
  store_bind_int (stmt, ":forwarded", p->forwarded);
}

static void
bind_indicator (sqlite3_stmt *stmt, gconstpointer row, guint index)
{
  const Indicator *ind = row;
  g_autofree char *ports = report_ports_string (ind->ports);

  store_bind_text (stmt, ":kind", ind->kind);
  store_bind_text (stmt, ":value", ind->value);
  if (ind->has_ip)
    {
      store_bind_blob16 (stmt, ":ip", ind->ip);
      store_bind_blob16 (stmt, ":ip_end", ind->ip_end);
    }
  store_bind_text (stmt, ":scope", ind->scope);
  store_bind_int (stmt, ":own", ind->own);
  store_bind_text (stmt, ":role", ind->role);
  /* Freed on return, before the row is stepped: SQLite takes a copy
   * (store_bind_text binds the caller's string where it lies). */
  if (ports != NULL)
    sqlite3_bind_text (stmt, store_param (stmt, ":ports"), ports, -1,
                       SQLITE_TRANSIENT);
  store_bind_int (stmt, ":count", ind->count);
  store_bind_time (stmt, ":first_seen", ind->first_seen);
  store_bind_time (stmt, ":last_seen", ind->last_seen);
  store_bind_text (stmt, ":context", ind->context);
  if (ind->asn > 0)
    store_bind_int (stmt, ":asn", ind->asn);
}

static void
bind_part (sqlite3_stmt *stmt, guint part)
{
  if (part == G_MAXUINT)
    sqlite3_bind_null (stmt, store_param (stmt, ":part"));
  else
    store_bind_int (stmt, ":part", part);
}

static void
bind_timestamp (sqlite3_stmt *stmt, gconstpointer row, guint index)
{
  const Timestamp *t = row;

  store_bind_int (stmt, ":utc", t->utc);
  store_bind_text (stmt, ":original", t->original);
  store_bind_text (stmt, ":rule", t->rule);
  store_bind_int (stmt, ":assumed", t->zone_assumed);
  bind_part (stmt, t->part);
  store_bind_int (stmt, ":line", t->line);
}

static void
bind_excerpt (sqlite3_stmt *stmt, gconstpointer row, guint index)
{
  const Excerpt *e = row;

  store_bind_int (stmt, ":part", e->part);
  store_bind_int (stmt, ":first", e->first_line);
  store_bind_int (stmt, ":last", e->last_line);
  store_bind_text (stmt, ":text", e->text);
}

static void
bind_reason (sqlite3_stmt *stmt, gconstpointer row, guint index)
{
  const ClassifyReason *r = row;

  store_bind_text (stmt, ":category", r->category);
  store_bind_text (stmt, ":rule", r->rule);
  store_bind_int (stmt, ":score", r->score);
  store_bind_text (stmt, ":place", r->where);
  store_bind_text (stmt, ":matched", r->matched);
}

static void
bind_form_field (sqlite3_stmt *stmt, gconstpointer row, guint index)
{
  const FormField *f = row;

  store_bind_text (stmt, ":name", f->name);
  store_bind_text (stmt, ":value", f->value);
}

static gboolean
insert_extraction (Store *store, gint64 ticket, gint64 message,
                   const Extraction *x, GError **error)
{
  if (x == NULL)
    return TRUE;
  return insert_rows (store, SQL_INDICATOR_INSERT, ticket, message,
                      x->indicators, bind_indicator, "cannot insert indicator",
                      error)
         && insert_rows (store, SQL_TIMESTAMP_INSERT, ticket, message,
                         x->timestamps, bind_timestamp,
                         "cannot insert timestamp", error)
         && insert_rows (store, SQL_EXCERPT_INSERT, ticket, message,
                         x->excerpts, bind_excerpt, "cannot insert excerpt",
                         error);
}

/* The parts, evidence and reasons of a message just inserted. */
static gboolean
insert_details (Store *store, const StoreDelivery *d, gint64 ticket,
                gint64 message, GError **error)
{
  const Classification *c = d->classification;

  return insert_rows (store, SQL_PART_INSERT, 0, message, d->message->parts,
                      bind_part_row, "cannot insert part", error)
         && insert_extraction (store, ticket, message, d->extraction, error)
         && (c == NULL
             || (insert_rows (store, SQL_REASON_INSERT, ticket, message,
                              c->reasons, bind_reason, "cannot insert reason",
                              error)
                 && insert_rows (store, SQL_FORM_INSERT, ticket, message,
                                 c->form, bind_form_field,
                                 "cannot insert form field", error)));
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
  return message != 0 && insert_details (store, d, ticket, message, error)
         && store_event (store, ticket, d->received, d->who, "created", NULL,
                         d->spool_id, error)
         && (thread->claimed == NULL
             || store_event (store, ticket, d->received, d->who, "claimed",
                             NULL, thread->claimed, error))
         && (reply == NULL
             || store_outbox_add (store, d, ticket, message, reply_id, reply,
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
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_DONE)
    return TRUE;
  if (rc != SQLITE_ROW)
    return store_db_error (error, store->db, rc, "cannot reopen");
  status = reopen ? NULL : store_column_text (stmt, 0);
  sqlite3_step (stmt); /* to its end: the UPDATE is done */
  sqlite3_reset (stmt);
  if (reopen)
    return store_event (store, ticket, d->received, d->who, "status",
                        "resolved", "open", error);
  return store_event (store, ticket, d->received, d->who, "waiting", status,
                      "a reply without the tag: not reopened", error);
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
         && insert_details (store, &quiet, thread->ticket, message, error)
         && store_event (store, thread->ticket, d->received, d->who,
                         "follow-up", NULL, thread->how, error)
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
gboolean
store_file (Store *store, const StoreDelivery *delivery, StoreFiled *filed,
            GError **error)
{
  /* In a batch, one message is a savepoint of the batch's transaction:
   * a message that fails leaves the others of the batch alone. */
  const char *begin = store->batch ? "SAVEPOINT file" : "BEGIN IMMEDIATE";
  const char *commit = store->batch ? "RELEASE file" : "COMMIT";
  const char *rollback
      = store->batch ? "ROLLBACK TO file; RELEASE file" : "ROLLBACK";
  StoreFiled work = { 0 };

  *filed = (StoreFiled){ 0 };
  if (!store_run_cached (store, begin, error))
    return FALSE;
  if (!find_duplicate (store, delivery->message->dedup_key, &work, error)
      || (!work.duplicate && !file_message (store, delivery, &work, error))
      || (!store->batch && !index_messages (store, INDEX_BACKLOG, error))
      || !store_run_cached (store, commit, error))
    {
      store_exec (store, rollback, NULL);
      return FALSE;
    }
  *filed = work;
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
  if (!store_exec (store, "BEGIN IMMEDIATE", error))
    return FALSE;
  store->batch = TRUE;
  return TRUE;
}

gboolean
store_batch_commit (Store *store, GError **error)
{
  store->batch = FALSE;
  if (index_messages (store, 1, error) && store_exec (store, "COMMIT", error))
    return TRUE;
  store_exec (store, "ROLLBACK", NULL);
  return FALSE;
}
