/*
 * test-raw.c - a message's bytes from memory or from a file region: what
 * is read is what the file holds, small files are read into memory, big
 * ones are not, and a file cut short is an error, never short data.
 */
#include <fcntl.h>
#include <glib/gstdio.h>
#include <string.h>
#include <unistd.h>

#include "madoguchi/raw.h"

typedef struct
{
  char *path;
} Fixture;

static void
fixture_setup (Fixture *f, gconstpointer data)
{
  int fd = g_file_open_tmp ("test-raw-XXXXXX", &f->path, NULL);

  g_assert_cmpint (fd, >=, 0);
  close (fd);
}

static void
fixture_teardown (Fixture *f, gconstpointer data)
{
  g_unlink (f->path);
  g_free (f->path);
}

/* len bytes that differ from chunk to chunk and from their neighbours. */
static char *
pattern (gsize len)
{
  char *bytes = g_malloc (len);

  for (gsize i = 0; i < len; i++)
    bytes[i] = (char) ((i * 7 + i / 1000) & 0xff);
  return bytes;
}

static void
write_file (Fixture *f, const char *bytes, gsize len)
{
  g_autoptr (GError) error = NULL;

  g_assert_true (g_file_set_contents (f->path, bytes, (gssize) len, &error));
  g_assert_no_error (error);
}

static gboolean
append_chunk (const char *data, gsize len, gpointer user_data, GError **error)
{
  GByteArray *all = user_data;

  g_assert_cmpuint (len, <=, RAW_CHUNK);
  g_byte_array_append (all, (const guint8 *) data, (guint) len);
  return TRUE;
}

/* Everything from `from` on, through raw_foreach_chunk. */
static GByteArray *
all_chunks (const Raw *raw, gsize from)
{
  g_autoptr (GError) error = NULL;
  GByteArray *all = g_byte_array_new ();

  g_assert_true (raw_foreach_chunk (raw, from, append_chunk, all, &error));
  g_assert_no_error (error);
  return all;
}

static void
test_small_in_memory (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (Raw) raw = NULL;
  g_autoptr (GByteArray) all = NULL;

  write_file (f, "envelope\nFrom: a\n\nbody\n", 23);
  raw = raw_open (f->path, 9, &error);
  g_assert_no_error (error);
  g_assert_nonnull (raw_get_bytes (raw));
  g_assert_cmpuint (raw_size (raw), ==, 14);
  all = all_chunks (raw, 0);
  g_assert_cmpmem (all->data, all->len, "From: a\n\nbody\n", 14);
}

/* A big file is read where it lies, in chunks, at any offset: the same
 * bytes as in the file, across chunk boundaries. */
static void
test_big_from_file (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  gsize len = 3 * RAW_CHUNK + 12345;
  g_autofree char *bytes = pattern (len);
  g_autofree char *buf = g_malloc (1000);
  g_autoptr (Raw) raw = NULL;
  g_autoptr (GByteArray) all = NULL;
  g_autoptr (GByteArray) tail = NULL;
  goffset offset = -1;

  write_file (f, bytes, len);
  raw = raw_open (f->path, 100, &error);
  g_assert_no_error (error);
  g_assert_null (raw_get_bytes (raw));
  g_assert_cmpint (raw_file (raw, &offset), >=, 0);
  g_assert_cmpint (offset, ==, 100);
  g_assert_cmpuint (raw_size (raw), ==, len - 100);
  all = all_chunks (raw, 0);
  g_assert_cmpmem (all->data, all->len, bytes + 100, len - 100);
  tail = all_chunks (raw, RAW_CHUNK - 10);
  g_assert_cmpmem (tail->data, tail->len, bytes + 100 + RAW_CHUNK - 10,
                   len - 100 - RAW_CHUNK + 10);
  g_assert_true (raw_read (raw, 2 * RAW_CHUNK - 500, buf, 1000, &error));
  g_assert_cmpmem (buf, 1000, bytes + 100 + 2 * RAW_CHUNK - 500, 1000);
}

/* The file loses its end after it was opened (a power cut, a careless
 * hand): reading fails rather than passing off a short message. */
static void
test_cut_short (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  gsize len = 2 * RAW_CHUNK;
  g_autofree char *bytes = pattern (len);
  g_autoptr (Raw) raw = NULL;
  GByteArray *all = g_byte_array_new ();

  write_file (f, bytes, len);
  raw = raw_open (f->path, 0, &error);
  g_assert_no_error (error);
  g_assert_cmpint (truncate (f->path, RAW_CHUNK + 10), ==, 0);
  g_assert_false (raw_foreach_chunk (raw, 0, append_chunk, all, &error));
  g_assert_error (error, G_FILE_ERROR, G_FILE_ERROR_IO);
  g_byte_array_unref (all);
}

static void
test_open_errors (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *missing = g_strconcat (f->path, ".missing", NULL);

  write_file (f, "short", 5);
  g_assert_null (raw_open (f->path, 6, &error));
  g_assert_error (error, G_FILE_ERROR, G_FILE_ERROR_INVAL);
  g_clear_error (&error);
  g_assert_null (raw_open (missing, 0, &error));
  g_assert_error (error, G_FILE_ERROR, G_FILE_ERROR_NOENT);
}

/* An empty message: no chunk at all, and reading nothing succeeds. */
static void
test_empty (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) none = g_bytes_new (NULL, 0);
  g_autoptr (Raw) raw = raw_new_bytes (none);
  g_autoptr (GByteArray) all = all_chunks (raw, 0);
  char buf[1];

  g_assert_cmpuint (raw_size (raw), ==, 0);
  g_assert_cmpuint (all->len, ==, 0);
  g_assert_true (raw_read (raw, 0, buf, 0, &error));
}

/* A message in memory comes in chunks too, in place: no row or buffer
 * of the caller's is ever bigger than RAW_CHUNK. */
static void
test_memory_chunks (Fixture *f, gconstpointer data)
{
  gsize len = 2 * RAW_CHUNK + 500;
  char *bytes = pattern (len);
  g_autoptr (GBytes) held = g_bytes_new_take (bytes, len);
  g_autoptr (Raw) raw = raw_new_bytes (held);
  g_autoptr (GByteArray) all = all_chunks (raw, 0); /* asserts each size */
  g_autoptr (GByteArray) tail = all_chunks (raw, RAW_CHUNK + 7);

  g_assert_cmpmem (all->data, all->len, bytes, len);
  g_assert_cmpmem (tail->data, tail->len, bytes + RAW_CHUNK + 7,
                   len - RAW_CHUNK - 7);
}

/* A pipe (`madoguchi extract /dev/stdin`, a shell's <(...)) has no size
 * to go by: it is read to its end, never taken for an empty message. */
static void
test_pipe (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  gsize len = 10000;
  g_autofree char *bytes = pattern (len);
  g_autofree char *path = NULL;
  g_autoptr (Raw) raw = NULL;
  g_autoptr (GByteArray) all = NULL;
  int fds[2];

  g_assert_cmpint (pipe (fds), ==, 0);
  g_assert_cmpint (write (fds[1], bytes, len), ==, (gssize) len);
  close (fds[1]);
  path = g_strdup_printf ("/dev/fd/%d", fds[0]);
  raw = raw_open (path, 3, &error);
  close (fds[0]);
  g_assert_no_error (error);
  g_assert_nonnull (raw_get_bytes (raw));
  all = all_chunks (raw, 0);
  g_assert_cmpmem (all->data, all->len, bytes + 3, len - 3);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
#define ADD(path, fn)                                                          \
  g_test_add (path, Fixture, NULL, fixture_setup, fn, fixture_teardown)
  ADD ("/raw/small-in-memory", test_small_in_memory);
  ADD ("/raw/big-from-file", test_big_from_file);
  ADD ("/raw/cut-short", test_cut_short);
  ADD ("/raw/open-errors", test_open_errors);
  ADD ("/raw/empty", test_empty);
  ADD ("/raw/memory-chunks", test_memory_chunks);
  ADD ("/raw/pipe", test_pipe);
#undef ADD
  return g_test_run ();
}
