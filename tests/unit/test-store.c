/*
 * test-store.c - the store: schema, numbering, filing, dedup, lookups,
 * and the raw bytes kept verbatim.  On SQLite, and with
 * MADOGUCHI_TEST_PG=1 on PostgreSQL (unit/store-pg, store-test.h), but
 * for the cases about SQLite's file (its WAL, its migrations).
 */
#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "madoguchi/classify.h"
#include "madoguchi/extract.h"
#include "madoguchi/message.h"
#include "madoguchi/store.h"

#include "../support/store-test.h"

typedef struct
{
  char *dir;
  char *path;  /* the SQLite file, for the cases about it */
  char *where; /* what the store opens: path, or a PostgreSQL URI */
  Store *store;
} Fixture;

static const MessageLimits limits
    = { .max_depth = 32, .max_parts = 1000, .max_part_text = 4 << 20 };

static void
fixture_setup (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;

  f->dir = g_dir_make_tmp ("test-store-XXXXXX", &error);
  f->path = g_build_filename (f->dir, "madoguchi.db", NULL);
  f->where = test_store_make (f->dir);
  f->store = store_open (f->where, 1000, &error);
  g_assert_no_error (error);
}

static void
fixture_teardown (Fixture *f, gconstpointer data)
{
  g_autofree char *cmd = g_strdup_printf ("rm -rf '%s'", f->dir);

  store_close (f->store);
  test_store_drop (f->where);
  g_assert_cmpint (system (cmd), ==, 0);
  g_free (f->where);
  g_free (f->path);
  g_free (f->dir);
}

/* Files raw as a delivery would; returns the result. */
static StoreFiled
file_raw (Fixture *f, const char *raw, gsize len, gint64 received)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (Message) m = message_parse (raw, len, &limits);
  g_autoptr (GBytes) bytes = g_bytes_new (raw, len);
  g_autoptr (Raw) in_memory = raw_new_bytes (bytes);
  StoreDelivery d = {
    .spool_id = "spool-id",
    .envelope_from = "sender@example.net",
    .envelope_to = "info@example.jp",
    .received = received,
    .size = (gint64) len,
    .raw = in_memory,
    .message = m,
    .who = "test",
  };
  StoreFiled filed = { 0 };

  g_assert_true (store_file (f->store, &d, &filed, &error));
  g_assert_no_error (error);
  return filed;
}

static char *
report (int n)
{
  return g_strdup_printf ("From: Reporter <r%d@example.net>\n"
                          "Subject: report %d\nMessage-ID: <m%d@x>\n\n"
                          "body %d\n",
                          n, n, n, n);
}

/* Files raw as a delivery to a team whose tags are [IR #...]. */
static StoreFiled
file_tagged (Fixture *f, const char *raw, gint64 received)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (Message) m = message_parse (raw, strlen (raw), &limits);
  g_autoptr (GBytes) bytes = g_bytes_new (raw, strlen (raw));
  g_autoptr (Raw) in_memory = raw_new_bytes (bytes);
  StoreDelivery d = {
    .spool_id = "spool-id",
    .envelope_from = "r1@example.net",
    .envelope_to = "info@example.jp",
    .received = received,
    .size = (gint64) strlen (raw),
    .raw = in_memory,
    .message = m,
    .who = "test",
    .tag_prefix = "IR",
  };
  StoreFiled filed = { 0 };

  g_assert_true (store_file (f->store, &d, &filed, &error));
  g_assert_no_error (error);
  return filed;
}

/* A reply of r1@example.net with subject and extra headers. */
static char *
reply_mail (int n, const char *subject, const char *headers)
{
  return g_strdup_printf ("From: Reporter <r1@example.net>\n"
                          "Subject: %s\nMessage-ID: <reply%d@x>\n%s\n"
                          "more %d\n",
                          subject, n, headers, n);
}

static int
year_of (gint64 t)
{
  time_t tt = (time_t) t;
  struct tm tm;

  localtime_r (&tt, &tm);
  return tm.tm_year + 1900;
}

static void
test_numbering (Fixture *f, gconstpointer data)
{
  gint64 now = 1795600000; /* November 2026 */
  g_autofree char *r1 = report (1);
  g_autofree char *r2 = report (2);
  g_autofree char *expected1 = g_strdup_printf ("%d-000001", year_of (now));
  g_autofree char *expected2 = g_strdup_printf ("%d-000002", year_of (now));
  g_autofree char *next_year = g_strdup_printf ("%d-000001", year_of (now) + 1);
  g_autofree char *r3 = report (3);
  StoreFiled a = file_raw (f, r1, strlen (r1), now);
  StoreFiled b = file_raw (f, r2, strlen (r2), now + 60);
  StoreFiled c = file_raw (f, r3, strlen (r3), now + 400 * 86400);

  g_assert_cmpstr (a.number, ==, expected1);
  g_assert_cmpstr (b.number, ==, expected2);
  g_assert_cmpstr (c.number, ==, next_year);
  g_assert_false (a.duplicate || b.duplicate || c.duplicate);
}

static void
test_duplicate (Fixture *f, gconstpointer data)
{
  g_autofree char *r1 = report (1);
  g_autoptr (GError) error = NULL;
  StoreFiled a = file_raw (f, r1, strlen (r1), 1795600000);
  StoreFiled b = file_raw (f, r1, strlen (r1), 1795600100);
  StoreFilter all = { 0 };
  g_autoptr (GPtrArray) tickets = store_list_tickets (f->store, &all, &error);

  g_assert_false (a.duplicate);
  g_assert_true (b.duplicate);
  g_assert_cmpstr (a.number, ==, b.number);
  g_assert_cmpuint (tickets->len, ==, 1);
}

static void
test_list_and_get (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *r1 = report (1);
  g_autofree char *r2 = report (2);
  StoreFiled a = file_raw (f, r1, strlen (r1), 1795600000);
  StoreFiled b = file_raw (f, r2, strlen (r2), 1795600100);
  StoreFilter all = { 0 };
  StoreFilter first = { .limit = 1 };
  g_autoptr (GPtrArray) tickets = store_list_tickets (f->store, &all, &error);
  g_autoptr (GPtrArray) one = store_list_tickets (f->store, &first, &error);
  g_autofree char *tagged = g_strdup_printf ("[IR #%s]", a.number);
  g_autoptr (StoreTicket) t = store_get_ticket (f->store, tagged, &error);
  g_autoptr (GPtrArray) messages = NULL;
  const StoreMessage *m;

  g_assert_no_error (error);
  g_assert_cmpuint (tickets->len, ==, 2);
  g_assert_cmpuint (one->len, ==, 1);
  g_assert_cmpstr (((StoreTicket *) tickets->pdata[0])->number, ==, b.number);
  g_assert_cmpstr (t->number, ==, a.number);
  g_assert_cmpstr (t->status, ==, "new");
  g_assert_cmpstr (t->category, ==, "other");
  g_assert_cmpstr (t->reporter, ==, "r1@example.net");
  g_assert_cmpstr (t->subject, ==, "report 1");
  messages = store_ticket_messages (f->store, t->id, &error);
  g_assert_cmpuint (messages->len, ==, 1);
  m = messages->pdata[0];
  g_assert_cmpstr (m->message_id, ==, "m1@x");
  g_assert_cmpstr (m->envelope_from, ==, "sender@example.net");
  g_assert_cmpstr (m->text, ==, "body 1\n");
  g_assert_cmpuint (m->parts->len, ==, 1);
}

static void
test_not_found (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;

  g_assert_null (store_get_ticket (f->store, "2026-000042", &error));
  g_assert_error (error, STORE_ERROR, STORE_ERROR_NOT_FOUND);
  g_clear_error (&error);
  g_assert_null (
      store_get_ticket (f->store, "'; DROP TABLE ticket; --", &error));
  g_assert_error (error, STORE_ERROR, STORE_ERROR_NOT_FOUND);
}

static void
test_raw_verbatim (Fixture *f, gconstpointer data)
{
  static const char raw[] = "Subject: nul\r\nMessage-ID: <n@x>\r\n\r\na\0b\r\n";
  g_autoptr (GError) error = NULL;
  StoreFiled a = file_raw (f, raw, sizeof raw - 1, 1795600000);
  g_autoptr (StoreTicket) t = store_get_ticket (f->store, a.number, &error);
  g_autoptr (GPtrArray) messages
      = store_ticket_messages (f->store, t->id, &error);
  const StoreMessage *m = messages->pdata[0];
  g_autoptr (GBytes) bytes = store_message_raw (f->store, m->id, &error);

  g_assert_no_error (error);
  g_assert_cmpmem (g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes),
                   raw, sizeof raw - 1);
  g_assert_nonnull (strstr (m->flags, "nul-bytes"));
}

static int count_rows (Fixture *f, const char *sql);
static void exec_other (Fixture *f, const char *sql);

/* A second process opens the store as it is; a store of a later schema
 * (PRAGMA user_version on SQLite, setting.schema_version on PostgreSQL)
 * is refused, not migrated backwards nor written. */
static void
test_reopen_and_newer_schema (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (Store) again = store_open (f->where, 1000, &error);
  gboolean pg = store_is_uri (f->where);

  g_assert_no_error (error);
  g_assert_nonnull (again);
  exec_other (f, pg ? "UPDATE setting SET value = '99' "
                      "WHERE name = 'schema_version'"
                    : "PRAGMA user_version = 99");
  g_assert_null (store_open (f->where, 1000, &error));
  g_assert_error (error, STORE_ERROR, STORE_ERROR_FAILED);
  g_assert_nonnull (
      strstr (error->message, pg ? "schema version 99" : "newer"));
}

/* The schema as first released, embedded in the library. */
extern const unsigned char store_schema_sql[];

/* Replaces the fixture's store by a version 1 database holding the rows
 * that rows_sql inserts, and opens it (which migrates it). */
static void
reopen_as_version_1 (Fixture *f, const char *rows_sql)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *wal = g_strconcat (f->path, "-wal", NULL);
  g_autofree char *shm = g_strconcat (f->path, "-shm", NULL);
  g_autofree char *sql
      = g_strconcat ("PRAGMA user_version = 1; ", rows_sql, NULL);
  sqlite3 *db = NULL;

  g_clear_pointer (&f->store, store_close);
  g_unlink (f->path);
  g_unlink (wal);
  g_unlink (shm);
  g_assert_cmpint (sqlite3_open (f->path, &db), ==, SQLITE_OK);
  g_assert_cmpint (
      sqlite3_exec (db, (const char *) store_schema_sql, NULL, NULL, NULL), ==,
      SQLITE_OK);
  g_assert_cmpint (sqlite3_exec (db, sql, NULL, NULL, NULL), ==, SQLITE_OK);
  sqlite3_close (db);
  f->store = store_open (f->path, 1000, &error);
  g_assert_no_error (error);
}

/* The tag of a new ticket carries 32 bits of check: its first 16 alone
 * (what a tag had before) do not lead into the ticket, all 32 do. */
static void
test_tag_check_32_bits (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *r1 = report (1);
  StoreFiled a = file_tagged (f, r1, 1795600000);
  g_autofree char *tag = store_tag (f->store, "IR", a.number, &error);
  const char *check = tag ? strrchr (tag, '/') + 1 : "";
  g_autofree char *short_tag
      = g_strdup_printf ("Re: [IR #%s/%.4s] x", a.number, check);
  g_autofree char *long_tag = g_strdup_printf ("Re: %s x", tag);
  g_autofree char *m1 = reply_mail (1, short_tag, "");
  g_autofree char *m2 = reply_mail (2, long_tag, "");
  StoreFiled b, c;

  g_assert_no_error (error);
  g_assert_cmpuint (strlen (check), ==, 8 + 1); /* and the ']' */
  b = file_tagged (f, m1, 1795600100);
  c = file_tagged (f, m2, 1795600200);
  g_assert_false (b.followup);
  g_assert_cmpstr (b.number, !=, a.number);
  g_assert_true (c.followup);
  g_assert_cmpstr (c.number, ==, a.number);
  g_assert_cmpstr (c.thread, ==, "tag");
}

/* A resolved ticket filed before schema 6, when a tag's check had 16
 * bits; returns its number.  On SQLite a version 1 database migrated;
 * on PostgreSQL one that `migrate --to` copied from such a file, which
 * brings the setting tag_short_last (the last ticket filed then). */
static char *
old_resolved_ticket (Fixture *f)
{
  g_autofree char *r1 = NULL;
  StoreFiled a;

  if (!store_is_uri (f->where))
    {
      reopen_as_version_1 (
          f, "INSERT INTO ticket (id, number, year, seq, "
             "created, updated, status) VALUES (1, '2025-000001', "
             "2025, 1, 0, 0, 'resolved'); INSERT INTO message (id, "
             "ticket_id, received, size, dedup_key, raw, from_addr) "
             "VALUES (1, 1, 0, 5, 'old', X'00', 'r1@example.net')");
      return g_strdup ("2025-000001");
    }
  r1 = report (1);
  a = file_tagged (f, r1, 1795500000);
  exec_other (f, "UPDATE setting SET value = '1' "
                 "WHERE name = 'tag_short_last'; "
                 "UPDATE ticket SET status = 'resolved' WHERE id = 1");
  return g_strdup (a.number);
}

/* A ticket filed before schema 6 keeps honouring its 4-digit tag. */
static void
test_tag_check_old_16_bits (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *number = old_resolved_ticket (f);
  g_autofree char *tag = store_tag (f->store, "IR", number, &error);
  g_autofree char *subject = NULL;
  g_autofree char *m1 = NULL;
  StoreFiled b;

  g_assert_no_error (error);
  subject
      = g_strdup_printf ("Re: [IR #%s/%.4s] x", number, strrchr (tag, '/') + 1);
  m1 = reply_mail (1, subject, "");
  b = file_tagged (f, m1, 1795600100);
  g_assert_true (b.followup);
  g_assert_cmpstr (b.number, ==, number);
  g_assert_cmpint (count_rows (f, "SELECT count(*) FROM ticket "
                                  "WHERE id = 1 AND status = 'open'"),
                   ==, 1);
}

/* A reply that joins by the Message-ID it answers (no tag) does not
 * reopen a resolved ticket: anyone copied on the report knows that ID
 * and can forge the reporter's From.  It marks the ticket instead. */
static void
test_reply_without_tag_no_reopen (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *r1 = report (1);
  g_autofree char *m1 = reply_mail (1, "more", "In-Reply-To: <m1@x>\n");
  StoreFiled a = file_tagged (f, r1, 1795600000);
  StoreFiled b;

  g_assert_true (
      store_set_status (f->store, a.number, "resolved", "op", &error));
  g_assert_no_error (error);
  b = file_tagged (f, m1, 1795600100);
  g_assert_true (b.followup);
  g_assert_cmpstr (b.thread, ==, "reference");
  g_assert_cmpint (count_rows (f, "SELECT COUNT(*) FROM ticket WHERE "
                                  "status = 'resolved'"),
                   ==, 1);
  g_assert_cmpint (count_rows (f, "SELECT count(*) FROM ticket WHERE "
                                  "status = 'resolved' AND reply_waiting <> 0"),
                   ==, 1);
  /* Setting the status, even the one it has, is the operator's answer. */
  g_assert_true (
      store_set_status (f->store, a.number, "resolved", "op", &error));
  g_assert_cmpint (count_rows (f, "SELECT reply_waiting FROM ticket"), ==, 0);
}

static guint
count_search (Fixture *f, const char *text)
{
  g_autoptr (GError) error = NULL;
  StoreFilter filter = { .search = text };
  g_autoptr (GPtrArray) found = store_list_tickets (f->store, &filter, &error);

  g_assert_no_error (error);
  return found->len;
}

/* Every message is searchable: filed alone, or many in a batch (indexed
 * together when the batch commits). */
static void
test_search_index (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *one = report (1);

  file_raw (f, one, strlen (one), 1700000000);
  g_assert_cmpuint (count_search (f, "body 1"), ==, 1);
  g_assert_true (store_batch_begin (f->store, &error));
  for (int n = 2; n < 12; n++)
    {
      g_autofree char *raw = report (n);

      file_raw (f, raw, strlen (raw), 1700000000 + n);
    }
  g_assert_true (store_batch_commit (f->store, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (count_search (f, "body"), ==, 11);
  g_assert_cmpuint (count_search (f, "body 11"), ==, 1);
  g_assert_cmpuint (count_search (f, "report 7"), ==, 1);
}

/* Search folds full-width letters and digits (NFKC) in what it is asked
 * and in what it searches, waiting messages and indexed ones alike. */
static void
test_search_fold (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  const char *raw = "From: r@example.net\nSubject: =?UTF-8?B?"
                    "77yk772P77yzIGF0dGFjaw==?=\nMessage-ID: <w@x>\n"
                    "Content-Type: text/plain; charset=UTF-8\n\n"
                    "a DoS from 192.0.2.1\n";

  /* Subject: "ＤｏＳ attack" (full-width letters). */
  file_raw (f, raw, strlen (raw), 1700000000);
  for (int indexed = 0; indexed < 2; indexed++)
    {
      g_assert_cmpuint (count_search (f, "ＤｏＳ"), ==, 1);
      g_assert_cmpuint (count_search (f, "ＤｏＳ ａｔｔａｃｋ"), ==, 1);
      g_assert_cmpuint (count_search (f, "dos attack"), ==, 1);
      g_assert_cmpuint (count_search (f, "１９２.０.２.１"), ==, 1);
      g_assert_cmpuint (count_search (f, "ＤｏＳ ｘ"), ==, 0);
      g_assert_true (store_index_waiting (f->store, &error));
      g_assert_no_error (error);
    }
}

static int
count_rows (Fixture *f, const char *sql)
{
  return (int) test_store_count (f->where, sql);
}

/* Files raw as file_raw does, expecting the filing to fail because of
 * why; returns what store_file left in a result that held a stale
 * number before. */
static StoreFiled
file_raw_failing (Fixture *f, const char *raw, gint64 received, const char *why)
{
  g_autoptr (GError) error = NULL;
  gsize len = strlen (raw);
  g_autoptr (Message) m = message_parse (raw, len, &limits);
  g_autoptr (GBytes) bytes = g_bytes_new (raw, len);
  g_autoptr (Raw) in_memory = raw_new_bytes (bytes);
  StoreDelivery d = {
    .spool_id = "spool-id",
    .envelope_from = "sender@example.net",
    .envelope_to = "info@example.jp",
    .received = received,
    .size = (gint64) len,
    .raw = in_memory,
    .message = m,
    .who = "test",
  };
  StoreFiled filed = { .number = "stale", .outbox_id = 7 };

  g_assert_false (store_file (f->store, &d, &filed, &error));
  g_assert_error (error, STORE_ERROR, STORE_ERROR_FAILED);
  g_assert_nonnull (strstr (error->message, why));
  return filed;
}

/* Another connection's DDL: a fault the store meets as a real one. */
static void
exec_other (Fixture *f, const char *sql)
{
  test_store_exec (f->where, sql);
}

/* Faults after the ticket is numbered: the message's INSERT fails, or the
 * COMMIT (where a deferred foreign key is checked).  Each in SQLite's
 * words and in PostgreSQL's (a trigger runs a function there). */
typedef struct
{
  const char *lite;
  const char *pg;
} Fault;

static const Fault FAIL_INSERT = {
  .lite = "CREATE TRIGGER fail BEFORE INSERT ON message "
          "BEGIN SELECT RAISE (ABORT, 'injected'); END",
  .pg = "CREATE FUNCTION fail () RETURNS trigger LANGUAGE plpgsql AS "
        "$$ BEGIN RAISE EXCEPTION 'injected'; END $$; "
        "CREATE TRIGGER fail BEFORE INSERT ON message "
        "FOR EACH ROW EXECUTE FUNCTION fail ()",
};
static const Fault FAIL_COMMIT = {
  .lite = "CREATE TABLE fail_commit (ticket INTEGER REFERENCES ticket (id) "
          "DEFERRABLE INITIALLY DEFERRED); CREATE TRIGGER fail AFTER INSERT ON "
          "message BEGIN INSERT INTO fail_commit VALUES (-1); END",
  .pg = "CREATE TABLE fail_commit (ticket BIGINT REFERENCES ticket (id) "
        "DEFERRABLE INITIALLY DEFERRED); CREATE FUNCTION fail () RETURNS "
        "trigger LANGUAGE plpgsql AS $$ BEGIN INSERT INTO fail_commit "
        "VALUES (-1); RETURN NULL; END $$; CREATE TRIGGER fail AFTER INSERT "
        "ON message FOR EACH ROW EXECUTE FUNCTION fail ()",
};
static const Fault NO_FAULT = {
  .lite = "DROP TRIGGER fail; DROP TABLE IF EXISTS fail_commit",
  .pg = "DROP TRIGGER fail ON message; DROP FUNCTION fail; "
        "DROP TABLE IF EXISTS fail_commit",
};

static void
exec_fault (Fixture *f, const Fault *fault)
{
  exec_other (f, store_is_uri (f->where) ? fault->pg : fault->lite);
}

/* Files raw with fault in place: it fails because of why, and hands back
 * nothing it numbered or queued. */
static void
assert_fails_unnumbered (Fixture *f, const char *raw, const Fault *fault,
                         const char *why)
{
  StoreFiled failed;

  exec_fault (f, fault);
  failed = file_raw_failing (f, raw, 1795600060, why);
  g_assert_cmpstr (failed.number, ==, "");
  g_assert_false (failed.followup || failed.duplicate);
  g_assert_cmpint (failed.outbox_id, ==, 0);
  exec_fault (f, &NO_FAULT);
}

/*
 * A filing that fails after the ticket was numbered hands back no number,
 * for a new ticket and for a follow-up; the number is given again.
 */
static void
test_failed_filing_no_number (Fixture *f, gconstpointer data)
{
  gint64 now = 1795600000;
  g_autofree char *r1 = report (1);
  g_autofree char *r2 = report (2);
  g_autofree char *reply = g_strdup ("From: Reporter <r1@example.net>\n"
                                     "Subject: Re: report 1\n"
                                     "Message-ID: <m1-reply@x>\n"
                                     "In-Reply-To: <m1@x>\n\nmore\n");
  g_autofree char *expected = g_strdup_printf ("%d-000002", year_of (now));
  StoreFiled a = file_raw (f, r1, strlen (r1), now);
  StoreFiled b;

  assert_fails_unnumbered (f, r2, &FAIL_INSERT, "cannot insert message");
  assert_fails_unnumbered (f, r2, &FAIL_COMMIT, "COMMIT");
  assert_fails_unnumbered (f, reply, &FAIL_INSERT, "cannot insert message");
  assert_fails_unnumbered (f, reply, &FAIL_COMMIT, "COMMIT");
  g_assert_cmpint (count_rows (f, "SELECT COUNT(*) FROM ticket"), ==, 1);
  g_assert_cmpint (count_rows (f, "SELECT COUNT(*) FROM message"), ==, 1);
  b = file_raw (f, r2, strlen (r2), now + 60);
  g_assert_cmpstr (b.number, ==, expected);
  b = file_raw (f, reply, strlen (reply), now + 120);
  g_assert_true (b.followup);
  g_assert_cmpstr (b.number, ==, a.number);
}

/* How many messages the full-text index holds (SQLite's FTS5). */
static gint64
indexed_messages (Fixture *f)
{
  return count_rows (f, "SELECT count(*) FROM message_fts_docsize");
}

/* The full-text index holds n messages: SQLite's, which messages wait to
 * enter.  PostgreSQL's (pg_trgm) takes each as it is filed and has no
 * count to check. */
static void
assert_indexed (Fixture *f, gint64 n)
{
  if (!store_is_uri (f->where))
    g_assert_cmpint (indexed_messages (f), ==, n);
}

/* What version 11 added (store-tally.c), taken away again. */
#define SQL_UNDO_11                                                            \
  "DROP TRIGGER tally_ticket_insert; DROP TRIGGER tally_ticket_delete; "       \
  "DROP TRIGGER tally_ticket_update; DROP TRIGGER tally_message_insert; "      \
  "DROP TRIGGER tally_message_delete; DROP TRIGGER tally_message_update; "     \
  "DROP TABLE tally; DROP TABLE reporter; DROP INDEX message_received; "       \
  "DROP INDEX indicator_scope; DROP INDEX event_action; "

/* Migration 9 rebuilds an index of version 8 (unfolded text) folded:
 * a message indexed before it is found by its usual letters. */
static void
test_migrate_fold (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  const char *raw = "From: r@example.net\nSubject: =?UTF-8?B?"
                    "77yk772P77yzIGF0dGFjaw==?=\nMessage-ID: <w@x>\n\n"
                    "body\n";
  sqlite3 *db = NULL;

  file_raw (f, raw, strlen (raw), 1700000000);
  g_assert_true (store_index_waiting (f->store, &error));
  store_close (f->store);
  /* As version 8 indexed it: the subject as it was. */
  g_assert_cmpint (sqlite3_open (f->path, &db), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_exec (db,
                                 "INSERT INTO message_fts (message_fts) "
                                 "VALUES ('delete-all'); INSERT INTO "
                                 "message_fts (rowid, subject, text) SELECT "
                                 "id, subject, text FROM message; ALTER TABLE "
                                 "outbox DROP COLUMN via; ALTER TABLE "
                                 "indicator DROP COLUMN asn; " SQL_UNDO_11
                                 "PRAGMA user_version = 8",
                                 NULL, NULL, NULL),
                   ==, SQLITE_OK);
  sqlite3_close (db);
  f->store = store_open (f->path, 1000, &error);
  g_assert_no_error (error);
  g_assert_cmpint (count_rows (f, "SELECT user_version FROM "
                                  "pragma_user_version"),
                   ==, 11);
  g_assert_cmpint (indexed_messages (f), ==, 1);
  g_assert_cmpuint (count_search (f, "dos attack"), ==, 1);
  g_assert_cmpint (count_rows (f, "SELECT count(*) FROM "
                                  "pragma_table_info ('outbox') WHERE name = "
                                  "'via'"),
                   ==, 1);
}

/* Deliveries leave their messages to wait for the index, and index them
 * once 256 wait; store_index_waiting (spool run) indexes them whenever.
 * A search reads the ones still waiting whole, so every message is found
 * all along. */
static void
test_search_waiting (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;

  for (int n = 1; n <= 360; n++)
    {
      g_autofree char *raw = report (n);

      file_raw (f, raw, strlen (raw), 1700000000 + n);
      if (n % 20 == 0 || (n > 350 && n < 360))
        {
          g_assert_cmpuint (count_search (f, "body"), ==, (guint) n);
          g_assert_cmpuint (count_search (f, "report 137"), ==,
                            n < 137 ? 0 : 1);
        }
      if (n == 100)
        {
          assert_indexed (f, 0);
          g_assert_true (store_index_waiting (f->store, &error));
          g_assert_no_error (error);
          assert_indexed (f, 100);
          g_assert_cmpuint (count_search (f, "body"), ==, 100);
        }
      if (n == 355)
        assert_indexed (f, 100);
    }
  /* The 356th: 256 waited. */
  assert_indexed (f, 356);
}

/* The index holds the first 1 Mi characters of a message's text: a word
 * there is found, one only deeper is not (as the man page says); while
 * the message waits to enter the index, it is read whole. */
static void
test_search_index_limit (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  GString *raw = g_string_new ("From: r@example.net\nSubject: big log\n"
                               "Message-ID: <big@x>\n\nneedle\n");

  while (raw->len < 1100 * 1024)
    g_string_append (raw, "Jun 20 22:17:07 db3 sshd[53011]: Connection "
                          "closed by 192.0.2.1 port 22 [preauth]\n");
  g_string_append (raw, "deepword\n");
  file_raw (f, raw->str, raw->len, 1700000000);
  assert_indexed (f, 0);
  /* PostgreSQL searches the first 1 Mi characters only, from the start. */
  g_assert_cmpuint (count_search (f, "deepword"), ==,
                    store_is_uri (f->where) ? 0 : 1);
  g_assert_true (store_batch_begin (f->store, &error));
  g_assert_true (store_batch_commit (f->store, &error)); /* indexes it */
  assert_indexed (f, 1);
  g_assert_cmpuint (count_search (f, "needle"), ==, 1);
  g_assert_cmpuint (count_search (f, "deepword"), ==, 0);
  g_string_free (raw, TRUE);
}

/* A version 1 database (a trigger fed the index; a message's bytes in
 * message.raw) is migrated: the trigger goes, the bytes move to
 * message_raw, and messages filed after are indexed (once: a second
 * insert of the same rowid would fail the filing). */
static void
test_migrate_from_1 (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *first = report (1), *second = report (2);
  g_autoptr (GBytes) old = NULL;

  reopen_as_version_1 (f,
                       "INSERT INTO ticket (id, number, year, seq, "
                       "created, updated) VALUES (1, '2025-000001', 2025, 1, "
                       "0, 0); INSERT INTO message (id, ticket_id, received, "
                       "size, dedup_key, raw) VALUES (1, 1, 0, 5, 'old', "
                       "X'6f6c640a00')");
  g_assert_cmpint (count_rows (f, "SELECT count(*) FROM sqlite_schema "
                                  "WHERE name = 'message_fts_insert'"),
                   ==, 0);
  g_assert_cmpint (count_rows (f, "SELECT user_version FROM "
                                  "pragma_user_version"),
                   ==, 11);
  g_assert_cmpint (count_rows (f, "SELECT count(*) FROM message "
                                  "WHERE id = 1 AND encryption IS NULL "
                                  "AND signature IS NULL"),
                   ==, 1);
  g_assert_cmpint (count_rows (f, "SELECT v FROM message_fts_config "
                                  "WHERE k = 'automerge'"),
                   ==, 16);
  g_assert_cmpint (count_rows (f, "SELECT timestamps_dropped FROM "
                                  "message WHERE id = 1"),
                   ==, 0);
  /* Version 10: an indicator's AS, none for the old ones. */
  g_assert_cmpint (count_rows (f, "SELECT count(*) FROM pragma_table_info "
                                  "('indicator') WHERE name = 'asn'"),
                   ==, 1);
  old = store_message_raw (f->store, 1, &error);
  g_assert_no_error (error);
  g_assert_cmpmem (g_bytes_get_data (old, NULL), g_bytes_get_size (old),
                   "old\n\0", 5);
  file_raw (f, first, strlen (first), 1700000000);
  file_raw (f, second, strlen (second), 1700000001);
  g_assert_cmpuint (count_search (f, "body 1"), ==, 1);
  g_assert_cmpuint (count_search (f, "body"), ==, 2);
}

static gint64
wal_size (Fixture *f)
{
  g_autofree char *wal = g_strconcat (f->path, "-wal", NULL);
  GStatBuf st;

  return g_stat (wal, &st) == 0 ? (gint64) st.st_size : -1;
}

/* Files a report of a 1.3 MB log: the WAL passes the megabyte at which
 * it is emptied. */
static void
file_long_log (Fixture *f, const char *message_id)
{
  g_autoptr (GString) raw = g_string_new (NULL);

  g_string_printf (raw,
                   "From: r@example.net\nSubject: long log\n"
                   "Message-ID: <%s>\n\n",
                   message_id);
  while (raw->len < 1300 * 1024)
    g_string_append (raw, "Jun 20 22:17:07 db3 sshd[53011]: Connection "
                          "closed by 192.0.2.1 port 22 [preauth]\n");
  file_raw (f, raw->str, raw->len, 1700000000);
}

/* store_close_detached as a delivery would, without its syslog. */
static void
close_detached (Store *store)
{
  store_close_detached (store, NULL);
}

/* Waits for the process store_close_detached started (a child of the
 * test's, which no longer exits): it must exit 0, having emptied the
 * WAL; an AddressSanitizer report of its own would make it exit 1. */
static void
wait_emptier (Fixture *f)
{
  int status = -1;

  g_assert_cmpint (waitpid (-1, &status, 0), >, 0);
  g_assert_true (WIFEXITED (status));
  g_assert_cmpint (WEXITSTATUS (status), ==, 0);
  g_assert_cmpint (wal_size (f), ==, 0);
}

/* Whether store_close_detached started no process. */
static gboolean
no_emptier (void)
{
  return waitpid (-1, NULL, WNOHANG) == -1 && errno == ECHILD;
}

/* Each delivery is a process: closing keeps the WAL (no checkpoint, no
 * unlink) and a close that finds it grown past a megabyte empties it.
 * Whatever the WAL holds is the database's: another connection sees
 * every ticket; and the store opens the WAL it finds (without creating
 * it, store_vfs_open) or makes one when there is none. */
static void
test_wal_kept_then_truncated (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  gint64 largest = 0;
  gboolean kept = FALSE, emptied = FALSE;

  for (int n = 1; n <= 40; n++)
    {
      g_autofree char *raw = report (n);
      gint64 size;

      file_raw (f, raw, strlen (raw), 1700000000 + n);
      store_close (f->store);
      size = wal_size (f);
      kept |= size > 0;
      emptied |= size == 0;
      largest = MAX (largest, size);
      f->store = store_open (f->path, 1000, &error);
      g_assert_no_error (error);
    }
  g_assert_true (kept);
  g_assert_true (emptied);
  g_assert_cmpint (largest, <, 2 * 1024 * 1024);
  g_assert_cmpint (count_rows (f, "SELECT count(*) FROM ticket"), ==, 40);
  /* A connection of SQLite's own (the sqlite3 shell) closing last
   * checkpoints and deletes the WAL: the next filing makes a new one. */
  store_close (f->store);
  g_assert_cmpint (count_rows (f, "SELECT count(*) FROM ticket"), ==, 40);
  g_assert_cmpint (wal_size (f), ==, -1);
  f->store = store_open (f->path, 1000, &error);
  g_assert_no_error (error);
  {
    g_autofree char *raw = report (41);

    file_raw (f, raw, strlen (raw), 1700000041);
  }
  g_assert_cmpint (wal_size (f), >, 0);
  g_assert_cmpint (count_rows (f, "SELECT count(*) FROM ticket"), ==, 41);
}

/* Emptying the WAL never waits for another connection (a delivery must
 * not sit behind an operator's long read, for as long as the busy
 * timeout): while a reader holds its snapshot the WAL stays, and the
 * next close after the reader is gone empties it. */
static void
test_wal_truncate_never_waits (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  sqlite3 *reader = NULL;
  sqlite3_stmt *stmt = NULL;

  store_close (f->store);
  f->store = store_open (f->path, 3600 * 1000, &error); /* an hour */
  g_assert_no_error (error);
  file_long_log (f, "long@x");
  g_assert_cmpint (sqlite3_open (f->path, &reader), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_exec (reader, "BEGIN", NULL, NULL, NULL), ==,
                   SQLITE_OK);
  g_assert_cmpint (sqlite3_prepare_v2 (reader, "SELECT count(*) FROM ticket",
                                       -1, &stmt, NULL),
                   ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
  g_clear_pointer (&f->store, store_close);
  g_assert_cmpint (wal_size (f), >, 1024 * 1024);
  sqlite3_finalize (stmt);
  sqlite3_exec (reader, "COMMIT", NULL, NULL, NULL);
  f->store = store_open (f->path, 1000, &error);
  g_assert_no_error (error);
  g_clear_pointer (&f->store, store_close);
  g_assert_cmpint (wal_size (f), ==, 0);
  sqlite3_close (reader);
  f->store = store_open (f->path, 1000, &error);
  g_assert_no_error (error);
}

/* A delivery leaves emptying the WAL to a process it starts
 * (store_close_detached returns without waiting for it), which empties
 * it and exits 0; every ticket is in the database.  A WAL not yet due
 * starts none. */
static void
test_wal_truncated_detached (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  gint64 before;

  file_long_log (f, "detached@x");
  g_clear_pointer (&f->store, close_detached);
  wait_emptier (f);
  g_assert_cmpint (count_rows (f, "SELECT count(*) FROM ticket"), ==, 1);

  f->store = store_open (f->path, 1000, &error);
  g_assert_no_error (error);
  {
    g_autofree char *small = report (2);

    file_raw (f, small, strlen (small), 1700000002);
  }
  before = wal_size (f);
  g_assert_cmpint (before, >, 0);
  g_clear_pointer (&f->store, close_detached);
  g_assert_true (no_emptier ());
  g_assert_cmpint (wal_size (f), ==, before);
  g_assert_cmpint (count_rows (f, "SELECT count(*) FROM ticket"), ==, 2);
  f->store = store_open (f->path, 1000, &error);
  g_assert_no_error (error);
}

/* One detached process empties the WAL at a time: while one holds its
 * lock (flock on the database file) a close starts none and the WAL
 * stays; a close after the lock is gone starts one. */
static void
test_wal_one_emptier (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  int lock = open (f->path, O_RDONLY);

  file_long_log (f, "one@x");
  g_assert_cmpint (flock (lock, LOCK_EX), ==, 0);
  g_clear_pointer (&f->store, close_detached);
  g_assert_true (no_emptier ());
  g_assert_cmpint (wal_size (f), >, 1024 * 1024);
  close (lock); /* no connection of this process is open */

  f->store = store_open (f->path, 1000, &error);
  g_assert_no_error (error);
  g_clear_pointer (&f->store, close_detached);
  wait_emptier (f);
  f->store = store_open (f->path, 1000, &error);
  g_assert_no_error (error);
}

static gpointer
commit_later (gpointer other)
{
  g_usleep (50000);
  test_conn_exec (other, "COMMIT");
  return NULL;
}

/* Another connection takes the lock a filing needs: SQLite's write lock,
 * or on PostgreSQL the message table's (a filing inserts there). */
static void
lock_other (Fixture *f, TestConn *other)
{
  test_conn_exec (other, store_is_uri (f->where)
                             ? "BEGIN; LOCK TABLE message IN EXCLUSIVE MODE"
                             : "BEGIN IMMEDIATE");
}

/* While another connection holds the write lock a filing waits: it goes
 * on once the lock is released (here 50 ms later), and once busy_timeout
 * has passed it gives up with STORE_ERROR_BUSY, not a hang. */
static void
test_busy_waits_then_gives_up (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *first = report (1);
  g_autofree char *second = report (2);
  g_autoptr (Message) m = message_parse (second, strlen (second), &limits);
  g_autoptr (GBytes) bytes = g_bytes_new (second, strlen (second));
  g_autoptr (Raw) in_memory = raw_new_bytes (bytes);
  StoreDelivery d = {
    .spool_id = "spool-id",
    .envelope_from = "sender@example.net",
    .envelope_to = "info@example.jp",
    .received = 1700000002,
    .size = (gint64) strlen (second),
    .raw = in_memory,
    .message = m,
    .who = "test",
  };
  StoreFiled filed = { 0 };
  TestConn *other = test_conn_open (f->where);
  GThread *thread;

  lock_other (f, other);
  thread = g_thread_new ("commit", commit_later, other);
  file_raw (f, first, strlen (first), 1700000001); /* busy_timeout 1 s */
  g_thread_join (thread);

  store_close (f->store);
  f->store = store_open (f->where, 200, &error);
  g_assert_no_error (error);
  lock_other (f, other);
  g_assert_false (store_file (f->store, &d, &filed, &error));
  g_assert_error (error, STORE_ERROR, STORE_ERROR_BUSY);
  test_conn_exec (other, "COMMIT");
  test_conn_close (other);
  g_assert_cmpint (count_rows (f, "SELECT count(*) FROM ticket"), ==, 1);
}

/* The text of one event of ticket id: what (an event's kind) came with. */
static char *
event_value (Fixture *f, gint64 id, const char *what)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) events = store_ticket_events (f->store, id, &error);

  g_assert_no_error (error);
  for (guint i = 0; i < events->len; i++)
    {
      const StoreEvent *e = events->pdata[i];

      if (strcmp (e->what, what) == 0)
        return g_strdup (e->new_value);
    }
  return NULL;
}

/* Text that is not UTF-8 from outside the mail (an MTA's envelope, an
 * operator's argument in another charset, a sendmail's error cut in the
 * middle of a character) is stored as UTF-8 on both stores, each bad
 * byte U+FFFD, as PostgreSQL's text must be; the raw bytes stay exact. */
static void
test_text_utf8 (Fixture *f, gconstpointer data)
{
  static const char raw[] = "Subject: s\nMessage-ID: <u@x>\n\nbody \377\n";
  g_autoptr (GError) error = NULL;
  g_autoptr (Message) m = message_parse (raw, sizeof raw - 1, &limits);
  g_autoptr (GBytes) bytes = g_bytes_new_static (raw, sizeof raw - 1);
  g_autoptr (Raw) in_memory = raw_new_bytes (bytes);
  StoreDelivery d = { .spool_id = "spool-id",
                      .envelope_from = "env\377@example.net",
                      .received = 1795600000,
                      .size = sizeof raw - 1,
                      .raw = in_memory,
                      .message = m,
                      .who = "test" };
  StoreFiled filed = { 0 };
  const char *numbers[] = { filed.number, NULL };
  g_autoptr (StoreTicket) t = NULL;
  g_autoptr (GPtrArray) messages = NULL;
  g_autoptr (GPtrArray) incidents = NULL;
  g_autoptr (GBytes) back = NULL;
  g_autofree char *incident = NULL;
  g_autofree char *note = NULL;

  g_assert_true (store_file (f->store, &d, &filed, &error));
  t = store_get_ticket (f->store, filed.number, &error);
  g_assert_no_error (error);
  g_assert_true (
      store_comment (f->store, filed.number, "note \342\200", "op", &error));
  incident = store_incident_new (f->store, "title \377", numbers, "op", &error);
  g_assert_no_error (error);
  messages = store_ticket_messages (f->store, t->id, &error);
  incidents = store_incident_list (f->store, incident, &error);
  note = event_value (f, t->id, "comment");
  back = store_message_raw (f->store, ((StoreMessage *) messages->pdata[0])->id,
                            &error);
  g_assert_no_error (error);
  g_assert_cmpstr (((StoreMessage *) messages->pdata[0])->envelope_from, ==,
                   "env\357\277\275@example.net");
  g_assert_cmpstr (note, ==, "note \357\277\275\357\277\275");
  g_assert_cmpstr (((StoreIncidentRow *) incidents->pdata[0])->title, ==,
                   "title \357\277\275");
  g_assert_cmpmem (g_bytes_get_data (back, NULL), g_bytes_get_size (back), raw,
                   sizeof raw - 1);
}

typedef struct
{
  const char *input;
  const char *canonical;
} NumberCase;

static const NumberCase number_cases[] = {
  { "2026-000123", "2026-000123" },
  { "2026-123", "2026-000123" },
  { "#2026-123", "2026-000123" },
  { "[IR #2026-000123]", "2026-000123" },
  { " 2026-7 ", "2026-000007" },
  { "[CERT-JP #2027-1]", "2027-000001" },
  { "123", NULL },
  { "2026-", NULL },
  { "abc", NULL },
  { "", NULL },
  { "2026-1234567890", NULL },
  { "[IR #2026-000123/7f3a]", "2026-000123" },
};

static void
test_parse_number (gconstpointer data)
{
  const NumberCase *c = data;
  g_autofree char *got = store_parse_number (c->input);

  g_assert_cmpstr (got, ==, c->canonical);
}

/* A big message read from its spool file goes in as rows of at most a
 * mebibyte and comes out as it went in. */
static void
test_raw_from_file (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  GString *text = g_string_new ("Message-ID: <big@x>\nSubject: big\n\n");
  g_autofree char *path = g_build_filename (f->dir, "spooled", NULL);
  g_autoptr (Raw) raw = NULL;
  g_autoptr (Message) m = NULL;
  g_autoptr (GBytes) back = NULL;
  StoreDelivery d
      = { .spool_id = "spool-id", .received = 1795600000, .who = "test" };
  StoreFiled filed = { 0 };

  for (guint i = 0; text->len < 2 * 1024 * 1024 + 1000; i++)
    g_string_append_printf (text, "line %u: 192.0.2.%u\n", i, i % 250);
  g_assert_true (
      g_file_set_contents (path, text->str, (gssize) text->len, &error));
  raw = raw_open (path, 0, &error);
  g_assert_null (raw_get_bytes (raw)); /* read from the file */
  m = message_parse_raw (raw, &limits, &error);
  g_assert_no_error (error);
  d.size = (gint64) text->len;
  d.raw = raw;
  d.message = m;
  g_assert_true (store_file (f->store, &d, &filed, &error));
  g_assert_no_error (error);
  g_assert_cmpint (count_rows (f, "SELECT count(*) FROM message_raw"), ==, 3);
  g_assert_cmpint (count_rows (f, "SELECT max(length(bytes)) FROM "
                                  "message_raw"),
                   ==, RAW_CHUNK);
  back = store_message_raw (f->store, 1, &error);
  g_assert_no_error (error);
  g_assert_cmpmem (g_bytes_get_data (back, NULL), g_bytes_get_size (back),
                   text->str, text->len);
  g_string_free (text, TRUE);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  test_store_init ();
  message_init ();
#define ADD(path, fn)                                                          \
  g_test_add (path, Fixture, NULL, fixture_setup, fn, fixture_teardown)
  ADD ("/store/numbering", test_numbering);
  ADD ("/store/search-index", test_search_index);
  ADD ("/store/search-fold", test_search_fold);
  ADD ("/store/search-index-limit", test_search_index_limit);
  ADD ("/store/search-waiting", test_search_waiting);
  ADD ("/store/busy-waits-then-gives-up", test_busy_waits_then_gives_up);
  ADD ("/store/duplicate", test_duplicate);
  ADD ("/store/failed-filing-no-number", test_failed_filing_no_number);
  ADD ("/store/list-and-get", test_list_and_get);
  ADD ("/store/not-found", test_not_found);
  ADD ("/store/raw-verbatim", test_raw_verbatim);
  ADD ("/store/raw-from-file", test_raw_from_file);
  ADD ("/store/text/utf8", test_text_utf8);
  ADD ("/store/schema/newer", test_reopen_and_newer_schema);
  ADD ("/store/tag/check-32-bits", test_tag_check_32_bits);
  ADD ("/store/tag/check-old-16-bits", test_tag_check_old_16_bits);
  ADD ("/store/followup/no-reopen-without-tag",
       test_reply_without_tag_no_reopen);
  /* SQLite's own: its file's WAL, and its migrations from older schemas
   * (PostgreSQL's schema begins at the current version). */
  if (!test_store_on_pg ())
    {
      ADD ("/store/migrate-fold", test_migrate_fold);
      ADD ("/store/migrate-from-1", test_migrate_from_1);
      ADD ("/store/wal-kept-then-truncated", test_wal_kept_then_truncated);
      ADD ("/store/wal-truncate-never-waits", test_wal_truncate_never_waits);
      ADD ("/store/wal-truncated-detached", test_wal_truncated_detached);
      ADD ("/store/wal-one-emptier", test_wal_one_emptier);
    }
#undef ADD
  for (gsize i = 0; i < G_N_ELEMENTS (number_cases); i++)
    {
      g_autofree char *path = g_strdup_printf ("/store/number/%zu", i);

      g_test_add_data_func (path, &number_cases[i], test_parse_number);
    }
  return g_test_run ();
}
