/*
 * test-archive.c - archive_walk over archives written here, at run time,
 * with libarchive's writer (no archive is kept in the tree).
 */
#include <archive.h>
#include <archive_entry.h>
#include <string.h>

#include "madoguchi/archive.h"

typedef struct
{
  const char *name;
  const void *data;
  gsize len;
} Entry;

/* (transfer full) an archive of entries in format, through filter. */
static GBytes *
make_archive (int format, int filter, const Entry *entries, gsize n)
{
  struct archive *a = archive_write_new ();
  gsize cap = 64 * 1024 * 1024;
  guint8 *buf = g_malloc (cap);
  size_t used = 0;

  g_assert_cmpint (archive_write_set_format (a, format), ==, ARCHIVE_OK);
  g_assert_cmpint (archive_write_add_filter (a, filter), ==, ARCHIVE_OK);
  if (format == ARCHIVE_FORMAT_RAW)
    archive_write_set_bytes_in_last_block (a, 1);
  g_assert_cmpint (archive_write_open_memory (a, buf, cap, &used), ==,
                   ARCHIVE_OK);
  for (gsize i = 0; i < n; i++)
    {
      struct archive_entry *e = archive_entry_new ();

      archive_entry_set_pathname (e, entries[i].name);
      archive_entry_set_size (e, (la_int64_t) entries[i].len);
      archive_entry_set_filetype (e, AE_IFREG);
      archive_entry_set_perm (e, 0644);
      g_assert_cmpint (archive_write_header (a, e), ==, ARCHIVE_OK);
      g_assert_cmpint (archive_write_data (a, entries[i].data, entries[i].len),
                       ==, (la_ssize_t) entries[i].len);
      archive_entry_free (e);
    }
  archive_write_close (a);
  archive_write_free (a);
  return g_bytes_new_take (g_realloc (buf, used), used);
}

typedef struct
{
  const guint8 *data;
  gsize len;
  gsize pos;
} Input;

static gssize
input_read (gpointer data, void *buf, gsize len)
{
  Input *in = data;
  gsize n = MIN (len, in->len - in->pos);

  memcpy (buf, in->data + in->pos, n);
  in->pos += n;
  return (gssize) n;
}

typedef struct
{
  char *name;
  guint depth;
  gint64 size;
  char *type;
  char *text;
  char *sha256;
  gboolean container;
  gboolean unread;
} Seen;

static void
seen_free (Seen *s)
{
  g_free (s->name);
  g_free (s->type);
  g_free (s->text);
  g_free (s->sha256);
  g_free (s);
}

static void
on_member (const ArchiveMember *m, gpointer data)
{
  Seen *s = g_new0 (Seen, 1);

  s->name = g_strdup (m->name);
  s->depth = m->depth;
  s->size = m->size;
  s->type = g_strdup (m->content_type);
  s->text = m->text ? g_strndup ((const char *) m->head, m->head_len) : NULL;
  s->sha256 = g_strdup (m->sha256);
  s->container = m->container;
  s->unread = m->unread;
  g_ptr_array_add (data, s);
}

static ArchiveBudget
budget_default (void)
{
  static const char *const passwords[] = { "infected", NULL };
  ArchiveBudget b = { 0 };

  b.max_bytes = 256 * 1024 * 1024;
  b.max_members = 1000;
  b.max_ratio = 200;
  b.max_depth = 8;
  b.max_text = 1024 * 1024;
  b.passwords = passwords;
  return b;
}

/* Walks bytes; returns the members seen (and whether it was an archive). */
static GPtrArray *
walk (GBytes *bytes, const char *name, ArchiveBudget *b, gboolean *archive)
{
  GPtrArray *seen = g_ptr_array_new_with_free_func ((GDestroyNotify) seen_free);
  Input in = { g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes), 0 };
  ArchiveInput input = { input_read, &in, name };

  *archive = archive_walk (&input, b, on_member, seen);
  return seen;
}

static const char log_line[] = "Dec  1 01:02:03 sshd: Failed password from "
                               "198.51.100.7\n";
static const char elf[] = "\177ELF\2\1\1\0binary";

static void
test_zip_members (void)
{
  Entry entries[] = {
    { "logs/auth.log", log_line, strlen (log_line) },
    { "../../evil", elf, sizeof elf },
    { "feed.csv", "ip,time\n", 8 },
  };
  g_autoptr (GBytes) zip
      = make_archive (ARCHIVE_FORMAT_ZIP, ARCHIVE_FILTER_NONE, entries, 3);
  ArchiveBudget b = budget_default ();
  gboolean is_archive;
  g_autoptr (GPtrArray) seen = walk (zip, "x.zip", &b, &is_archive);
  g_autofree char *sum = g_compute_checksum_for_data (
      G_CHECKSUM_SHA256, (const guchar *) elf, sizeof elf);
  Seen *s;

  g_assert_true (is_archive);
  g_assert_cmpuint (seen->len, ==, 3);
  s = seen->pdata[0];
  g_assert_cmpstr (s->name, ==, "logs/auth.log");
  g_assert_cmpstr (s->type, ==, "text/plain");
  g_assert_cmpstr (s->text, ==, log_line);
  g_assert_null (s->sha256);
  s = seen->pdata[1];
  g_assert_cmpstr (s->name, ==, "../../evil");
  g_assert_cmpstr (s->type, ==, "application/x-executable");
  g_assert_null (s->text);
  g_assert_cmpstr (s->sha256, ==, sum);
  g_assert_cmpint (s->size, ==, sizeof elf);
  g_assert_cmpstr (((Seen *) seen->pdata[2])->type, ==, "text/csv");
  g_assert_cmpint (b.problems, ==, 0);
  g_assert_cmpuint (b.members, ==, 3);
}

static void
test_not_archive (void)
{
  g_autoptr (GBytes) text = g_bytes_new_static (log_line, strlen (log_line));
  ArchiveBudget b = budget_default ();
  gboolean is_archive;
  g_autoptr (GPtrArray) seen = walk (text, "a.bin", &b, &is_archive);

  g_assert_false (is_archive);
  g_assert_cmpuint (seen->len, ==, 0);
}

/* A .gz of one file: its member is named after the attachment. */
static void
test_gzip_single (void)
{
  Entry entry = { "data", log_line, strlen (log_line) };
  g_autoptr (GBytes) gz
      = make_archive (ARCHIVE_FORMAT_RAW, ARCHIVE_FILTER_GZIP, &entry, 1);
  ArchiveBudget b = budget_default ();
  gboolean is_archive;
  g_autoptr (GPtrArray) seen = walk (gz, "auth.log.gz", &b, &is_archive);

  g_assert_true (is_archive);
  g_assert_cmpuint (seen->len, ==, 1);
  g_assert_cmpstr (((Seen *) seen->pdata[0])->name, ==, "auth.log");
  g_assert_cmpstr (((Seen *) seen->pdata[0])->text, ==, log_line);
}

/* A zip inside a tar.xz: the container, then its member one level down;
 * with max_depth 1 the inner zip is not opened and that is said. */
static void
test_nested (void)
{
  Entry inner = { "deep.log", log_line, strlen (log_line) };
  g_autoptr (GBytes) zip
      = make_archive (ARCHIVE_FORMAT_ZIP, ARCHIVE_FILTER_NONE, &inner, 1);
  Entry outer
      = { "inner.zip", g_bytes_get_data (zip, NULL), g_bytes_get_size (zip) };
  g_autoptr (GBytes) tar = make_archive (ARCHIVE_FORMAT_TAR_PAX_RESTRICTED,
                                         ARCHIVE_FILTER_XZ, &outer, 1);
  ArchiveBudget b = budget_default ();
  gboolean is_archive;
  g_autoptr (GPtrArray) seen = walk (tar, "o.tar.xz", &b, &is_archive);
  g_autoptr (GPtrArray) shallow = NULL;

  g_assert_cmpuint (seen->len, ==, 2);
  g_assert_true (((Seen *) seen->pdata[0])->container);
  g_assert_cmpstr (((Seen *) seen->pdata[0])->type, ==, "application/zip");
  g_assert_cmpuint (((Seen *) seen->pdata[1])->depth, ==, 1);
  g_assert_cmpstr (((Seen *) seen->pdata[1])->text, ==, log_line);
  b = budget_default ();
  b.max_depth = 1;
  shallow = walk (tar, "o.tar.xz", &b, &is_archive);
  g_assert_cmpuint (shallow->len, ==, 1);
  g_assert_false (((Seen *) shallow->pdata[0])->container);
  g_assert_nonnull (((Seen *) shallow->pdata[0])->sha256);
  g_assert_cmpint (b.problems, ==, ARCHIVE_PROBLEM_DEPTH);
}

/* 32 MiB of zeros deflated: stopped by the ratio, or by max_bytes. */
static void
test_bomb (void)
{
  gsize len = 32 * 1024 * 1024;
  g_autofree char *zeros = g_malloc0 (len);
  Entry entry = { "zeros", zeros, len };
  g_autoptr (GBytes) zip
      = make_archive (ARCHIVE_FORMAT_ZIP, ARCHIVE_FILTER_NONE, &entry, 1);
  ArchiveBudget b = budget_default ();
  gboolean is_archive;
  g_autoptr (GPtrArray) seen = walk (zip, "z.zip", &b, &is_archive);
  g_autoptr (GPtrArray) capped = NULL;

  g_assert_cmpint (b.problems, ==, ARCHIVE_PROBLEM_RATIO);
  g_assert_true (((Seen *) seen->pdata[0])->unread);
  g_assert_cmpuint (b.bytes, <, len);
  b = budget_default ();
  b.max_ratio = 0;
  b.max_bytes = 1024 * 1024;
  capped = walk (zip, "z.zip", &b, &is_archive);
  g_assert_cmpint (b.problems, ==, ARCHIVE_PROBLEM_BYTES);
  g_assert_cmpuint (b.bytes, <=, 1024 * 1024 + 64 * 1024);
}

static void
test_members_limit (void)
{
  Entry entries[20];
  char names[20][8];
  g_autoptr (GBytes) zip = NULL;
  ArchiveBudget b = budget_default ();
  gboolean is_archive;
  g_autoptr (GPtrArray) seen = NULL;

  for (int i = 0; i < 20; i++)
    {
      g_snprintf (names[i], sizeof names[i], "m%d", i);
      entries[i] = (Entry){ names[i], "x\n", 2 };
    }
  zip = make_archive (ARCHIVE_FORMAT_ZIP, ARCHIVE_FILTER_NONE, entries, 20);
  b.max_members = 5;
  seen = walk (zip, "m.zip", &b, &is_archive);
  g_assert_cmpuint (seen->len, ==, 5);
  g_assert_cmpint (b.problems, ==, ARCHIVE_PROBLEM_MEMBERS);
}

/* Cut anywhere, an archive is read as far as it goes, never more. */
static void
test_truncated (void)
{
  g_autofree char *noise = g_malloc (100000);
  Entry entries[] = {
    { "a.log", log_line, strlen (log_line) },
    { "b.bin", noise, 100000 },
  };
  g_autoptr (GBytes) zip = NULL;

  for (gsize i = 0; i < 100000; i++)
    noise[i] = (char) (i * 7919 % 251);
  zip = make_archive (ARCHIVE_FORMAT_ZIP, ARCHIVE_FILTER_NONE, entries, 2);
  for (gsize cut = 10; cut < g_bytes_get_size (zip); cut += 997)
    {
      g_autoptr (GBytes) part = g_bytes_new_from_bytes (zip, 0, cut);
      ArchiveBudget b = budget_default ();
      gboolean is_archive;
      g_autoptr (GPtrArray) seen = walk (part, "t.zip", &b, &is_archive);

      g_assert_true (is_archive);
      g_assert_cmpuint (seen->len, <=, 2);
      /* Cut in the central directory, after every member whole, a
       * streamed zip has all it needs; anywhere else it is damaged. */
      if (!(b.problems & ARCHIVE_PROBLEM_DAMAGED))
        {
          g_assert_cmpuint (seen->len, ==, 2);
          g_assert_false (((Seen *) seen->pdata[1])->unread);
          g_assert_cmpint (((Seen *) seen->pdata[1])->size, ==, 100000);
        }
    }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/archive/zip/members", test_zip_members);
  g_test_add_func ("/archive/not-an-archive", test_not_archive);
  g_test_add_func ("/archive/gzip/single", test_gzip_single);
  g_test_add_func ("/archive/nested", test_nested);
  g_test_add_func ("/archive/bomb", test_bomb);
  g_test_add_func ("/archive/members-limit", test_members_limit);
  g_test_add_func ("/archive/truncated", test_truncated);
  return g_test_run ();
}
