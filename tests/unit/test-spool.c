/*
 * test-spool.c - the durable spool: what goes in comes out, limits,
 * failures leave nothing behind, and the recovery folders.
 */
#include <fcntl.h>
#include <glib/gstdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "madoguchi/spool.h"

typedef struct
{
  char *dir;
} Fixture;

static void
fixture_setup (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;

  f->dir = g_dir_make_tmp ("test-spool-XXXXXX", &error);
  g_assert_no_error (error);
  g_assert_true (spool_ensure (f->dir, &error));
  g_assert_no_error (error);
}

static void
remove_tree (const char *path)
{
  g_autofree char *cmd = g_strdup_printf ("rm -rf '%s'", path);

  g_assert_cmpint (system (cmd), ==, 0);
}

static void
fixture_teardown (Fixture *f, gconstpointer data)
{
  remove_tree (f->dir);
  g_free (f->dir);
}

/* A file descriptor reading the given bytes (a pipe, as from an MTA). */
static int
input_fd (const char *data, gsize len)
{
  g_autofree char *path
      = g_build_filename (g_get_tmp_dir (), "test-spool-input", NULL);
  int fd;

  g_assert_true (g_file_set_contents (path, data, (gssize) len, NULL));
  fd = open (path, O_RDONLY);
  g_assert_cmpint (fd, >=, 0);
  g_unlink (path);
  return fd;
}

/* Sender and recipient unknown; 1 KiB kept, no free space asked. */
static const SpoolEnvelope no_envelope = { .sender = NULL, .recipient = NULL };
static const SpoolLimits kib_limits = { .max_size = 1024, .min_free = 0 };

static guint
count_files (const char *dir, const char *sub)
{
  g_autoptr (GPtrArray) names = spool_list (dir, sub, NULL);

  g_assert_nonnull (names);
  return names->len;
}

static void
test_roundtrip (Fixture *f, gconstpointer data)
{
  static const char msg[] = "Subject: x\n\nbody\0with NUL\n";
  g_autoptr (GError) error = NULL;
  int fd = input_fd (msg, sizeof msg - 1);
  g_autoptr (SpoolEntry) in = spool_receive (
      f->dir, fd,
      &(SpoolEnvelope){ .sender = "a b%c@example.net",
                        .recipient = "info@example.jp" },
      &(SpoolLimits){ .max_size = 1 << 20, .min_free = 0 }, &error);
  g_autoptr (SpoolEntry) out = NULL;
  g_autoptr (Raw) raw = NULL;
  struct stat st;

  close (fd);
  g_assert_no_error (error);
  g_assert_cmpint (in->size, ==, sizeof msg - 1);
  g_assert_cmpint (in->kept, ==, sizeof msg - 1);
  g_assert_cmpuint (count_files (f->dir, "new"), ==, 1);
  g_assert_cmpuint (count_files (f->dir, "tmp"), ==, 0);
  g_assert_cmpint (stat (in->path, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0600);

  out = spool_open (f->dir, in->id, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (out->sender, ==, "a b%c@example.net");
  g_assert_cmpstr (out->recipient, ==, "info@example.jp");
  g_assert_cmpint (out->size, ==, in->size);
  raw = spool_read_message (out, &error);
  g_assert_no_error (error);
  g_assert_cmpmem (g_bytes_get_data (raw_get_bytes (raw), NULL), raw_size (raw),
                   msg, sizeof msg - 1);

  g_assert_true (spool_done (f->dir, out, FALSE, &error));
  g_assert_cmpuint (count_files (f->dir, "new"), ==, 0);
}

static void
test_null_and_unknown_sender (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  int fd1 = input_fd ("x\n", 2);
  int fd2 = input_fd ("y\n", 2);
  g_autoptr (SpoolEntry) bounce = spool_receive (
      f->dir, fd1, &(SpoolEnvelope){ .sender = "", .recipient = NULL },
      &kib_limits, &error);
  g_autoptr (SpoolEntry) unknown
      = spool_receive (f->dir, fd2, &no_envelope, &kib_limits, &error);
  g_autoptr (SpoolEntry) b = spool_open (f->dir, bounce->id, &error);
  g_autoptr (SpoolEntry) u = spool_open (f->dir, unknown->id, &error);

  close (fd1);
  close (fd2);
  g_assert_no_error (error);
  g_assert_cmpstr (b->sender, ==, "");
  g_assert_null (u->sender);
  g_assert_null (u->recipient);
}

static void
test_truncation (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  gsize len = 300000;
  g_autofree char *big = g_malloc (len);
  int fd;
  g_autoptr (SpoolEntry) e = NULL;
  g_autoptr (Raw) raw = NULL;

  memset (big, 'x', len);
  fd = input_fd (big, len);
  e = spool_receive (f->dir, fd, &no_envelope,
                     &(SpoolLimits){ .max_size = 100000, .min_free = 0 },
                     &error);
  close (fd);
  g_assert_no_error (error);
  g_assert_cmpint (e->size, ==, 300000);
  g_assert_cmpint (e->kept, ==, 100000);
  raw = spool_read_message (e, &error);
  g_assert_cmpuint (raw_size (raw), ==, 100000);
}

static void
test_no_space (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  int fd = input_fd ("x\n", 2);
  SpoolEntry *e = spool_receive (
      f->dir, fd, &no_envelope,
      &(SpoolLimits){ .max_size = 1024, .min_free = G_MAXINT64 / 2 }, &error);

  close (fd);
  g_assert_null (e);
  g_assert_error (error, SPOOL_ERROR, SPOOL_ERROR_NOSPACE);
  g_assert_cmpuint (count_files (f->dir, "tmp"), ==, 0);
  g_assert_cmpuint (count_files (f->dir, "new"), ==, 0);
}

static void
test_corrupt_and_retry (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *path = g_build_filename (f->dir, "new", "bogus", NULL);
  g_autoptr (SpoolEntry) bad = g_new0 (SpoolEntry, 1);

  g_assert_true (g_file_set_contents (path, "From x\nnot ours\n", -1, NULL));
  g_assert_null (spool_open (f->dir, "bogus", &error));
  g_assert_error (error, SPOOL_ERROR, SPOOL_ERROR_CORRUPT);
  g_clear_error (&error);

  bad->id = g_strdup ("bogus");
  bad->path = g_strdup (path);
  g_assert_true (spool_fail (f->dir, bad, &error));
  g_assert_cmpuint (count_files (f->dir, "failed"), ==, 1);
  g_assert_cmpuint (count_files (f->dir, "new"), ==, 0);

  g_assert_false (spool_retry (f->dir, "../new/x", &error));
  g_clear_error (&error);
  g_assert_true (spool_retry (f->dir, "bogus", &error));
  g_assert_cmpuint (count_files (f->dir, "new"), ==, 1);
}

/* An entry whose length is not what its envelope line says (a crash cut
 * it short before it was synced, or something wrote to it) is refused;
 * spool_sync leaves a whole one readable. */
static void
test_length_checked (Fixture *f, gconstpointer data)
{
  static const char msg[] = "Subject: x\n\nbody of the report\n";
  g_autoptr (GError) error = NULL;
  int fd = input_fd (msg, sizeof msg - 1);
  g_autoptr (SpoolEntry) in = spool_receive (
      f->dir, fd,
      &(SpoolEnvelope){ .sender = "a@example.net", .recipient = NULL },
      &(SpoolLimits){ .max_size = 1 << 20, .min_free = 0 }, &error);
  g_autoptr (SpoolEntry) whole = NULL;
  struct stat st;

  close (fd);
  g_assert_no_error (error);
  g_assert_true (spool_sync (f->dir, in, &error));
  g_assert_no_error (error);
  whole = spool_open (f->dir, in->id, &error);
  g_assert_no_error (error);
  g_assert_cmpint (stat (in->path, &st), ==, 0);
  g_assert_cmpint (truncate (in->path, st.st_size - 5), ==, 0);
  g_assert_null (spool_open (f->dir, in->id, &error));
  g_assert_error (error, SPOOL_ERROR, SPOOL_ERROR_CORRUPT);
  g_clear_error (&error);
  g_assert_cmpint (truncate (in->path, st.st_size + 5), ==, 0);
  g_assert_null (spool_open (f->dir, in->id, &error));
  g_assert_error (error, SPOOL_ERROR, SPOOL_ERROR_CORRUPT);
}

static void
test_clean_tmp (Fixture *f, gconstpointer data)
{
  g_autofree char *old = g_build_filename (f->dir, "tmp", "old", NULL);
  g_autofree char *fresh = g_build_filename (f->dir, "tmp", "fresh", NULL);
  struct timespec times[2] = { { 0, 0 }, { 0, 0 } };

  g_assert_true (g_file_set_contents (old, "x", -1, NULL));
  g_assert_true (g_file_set_contents (fresh, "x", -1, NULL));
  times[0].tv_sec = times[1].tv_sec = time (NULL) - 3 * 24 * 3600;
  g_assert_cmpint (utimensat (AT_FDCWD, old, times, 0), ==, 0);
  g_assert_cmpuint (spool_clean_tmp (f->dir, 36 * 3600), ==, 1);
  g_assert_false (g_file_test (old, G_FILE_TEST_EXISTS));
  g_assert_true (g_file_test (fresh, G_FILE_TEST_EXISTS));
}

static void
test_keep_moves_to_cur (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  int fd = input_fd ("x\n", 2);
  g_autoptr (SpoolEntry) e
      = spool_receive (f->dir, fd, &no_envelope, &kib_limits, &error);

  close (fd);
  g_assert_true (spool_done (f->dir, e, TRUE, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (count_files (f->dir, "cur"), ==, 1);
  g_assert_cmpuint (count_files (f->dir, "new"), ==, 0);
}

/* Two copies of one message (an MTA retry) share one record of
 * attempts; a record survives as written; retry of a quarantined entry
 * forgets it. */
static void
test_attempts_and_quarantine (Fixture *f, gconstpointer data)
{
  static const char msg[] = "Subject: poison\n\nbody\n";
  g_autoptr (GError) error = NULL;
  int fd1 = input_fd (msg, sizeof msg - 1);
  int fd2 = input_fd (msg, sizeof msg - 1);
  g_autoptr (SpoolEntry) one = spool_receive (
      f->dir, fd1,
      &(SpoolEnvelope){ .sender = "a@example.net", .recipient = NULL },
      &kib_limits, &error);
  g_autoptr (SpoolEntry) two
      = spool_receive (f->dir, fd2, &no_envelope, &kib_limits, &error);
  g_autofree char *d1 = spool_entry_digest (one, &error);
  g_autofree char *d2 = spool_entry_digest (two, &error);
  g_auto (SpoolAttempts) a = { 0 };
  g_auto (SpoolAttempts) b = { 0 };

  close (fd1);
  close (fd2);
  g_assert_no_error (error);
  g_assert_cmpstr (d1, ==, d2); /* the envelope line is not hashed */
  spool_attempts_load (f->dir, d1, &a);
  g_assert_cmpuint (a.attempts, ==, 0);
  g_assert_null (a.reason);
  a.attempts = 3;
  a.reason = g_strdup ("killed by signal 6 (Aborted)\nsecond line");
  a.quarantined = g_strdup (one->id);
  a.copies = 2;
  g_assert_true (spool_attempts_save (f->dir, d1, &a, &error));
  spool_attempts_load (f->dir, d2, &b);
  g_assert_cmpuint (b.attempts, ==, 3);
  g_assert_cmpuint (b.copies, ==, 2);
  g_assert_cmpstr (b.reason, ==, a.reason);
  g_assert_cmpstr (b.quarantined, ==, one->id);

  g_assert_true (spool_quarantine (f->dir, one, &error));
  g_assert_cmpuint (count_files (f->dir, "quarantine"), ==, 1);
  g_assert_cmpuint (count_files (f->dir, "new"), ==, 1);
  g_assert_true (spool_retry (f->dir, one->id, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (count_files (f->dir, "quarantine"), ==, 0);
  g_assert_cmpuint (count_files (f->dir, "new"), ==, 2);
  g_assert_cmpuint (count_files (f->dir, "attempts"), ==, 0);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
#define ADD(path, fn)                                                          \
  g_test_add (path, Fixture, NULL, fixture_setup, fn, fixture_teardown)
  ADD ("/spool/roundtrip", test_roundtrip);
  ADD ("/spool/envelope/null-and-unknown", test_null_and_unknown_sender);
  ADD ("/spool/limit/truncation", test_truncation);
  ADD ("/spool/limit/no-space", test_no_space);
  ADD ("/spool/failed/corrupt-and-retry", test_corrupt_and_retry);
  ADD ("/spool/failed/length-checked", test_length_checked);
  ADD ("/spool/tmp/clean", test_clean_tmp);
  ADD ("/spool/done/keep", test_keep_moves_to_cur);
  ADD ("/spool/poison/attempts-and-quarantine", test_attempts_and_quarantine);
#undef ADD
  return g_test_run ();
}
