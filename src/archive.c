/*
 * archive.c - walk the members of an attached archive with libarchive.
 *
 * Everything streams: the outermost archive is pulled from the caller's
 * read function a block at a time, an archive inside it from its
 * parent's member data, so a member of any size costs one block, the
 * head kept of a text member (max_text) and a SHA-256 context.  Nothing
 * is written to disk and no member name is ever used as a path.
 *
 * The budget is checked on every block read: expanded bytes, members,
 * and the ratio of expanded bytes to input bytes (a zip of zeros
 * expands a thousandfold and is stopped after a few megabytes instead
 * of after max_bytes).  Only library-backed filters are enabled:
 * libarchive's lrzip, lzop and grzip readers run external programs,
 * and its mtree reader opens files named in the input.
 */
#include "madoguchi/archive.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <string.h>

#include "madoguchi/sha256.h"

#define BLOCK (64 * 1024)
#define SNIFF 4096
#define NAME_MAX_BYTES 1024

typedef struct Level Level;

struct Level
{
  struct archive *a;
  const ArchiveInput *input; /* the outermost level only */
  Level *parent;             /* else: read from the parent's member */
  ArchiveBudget *budget;
  ArchiveMemberFunc func;
  gpointer data;
  guint depth;
  const char *name;      /* of the archive itself, or NULL */
  const guint8 *pending; /* read ahead while sniffing: served first */
  gsize pending_len;
  /* libarchive reads its input from in (which must stay as it is until
   * the next read) while members are read out into out. */
  guint8 in[BLOCK];
  guint8 out[BLOCK];
};

typedef struct
{
  const char *magic;
  gsize len;
  gsize at;
  const char *type;
  gboolean archive;
} Magic;

static const Magic magics[] = {
  { "PK\3\4", 4, 0, "application/zip", TRUE },
  { "PK\5\6", 4, 0, "application/zip", TRUE },
  { "PK\7\10", 4, 0, "application/zip", TRUE },
  { "\37\213", 2, 0, "application/gzip", TRUE },
  { "BZh", 3, 0, "application/x-bzip2", TRUE },
  { "\3757zXZ\0", 6, 0, "application/x-xz", TRUE },
  { "\50\265\57\375", 4, 0, "application/zstd", TRUE },
  { "\4\42\115\30", 4, 0, "application/x-lz4", TRUE },
  { "7z\274\257\47\34", 6, 0, "application/x-7z-compressed", TRUE },
  { "Rar!\32\7", 6, 0, "application/vnd.rar", TRUE },
  { "ustar", 5, 257, "application/x-tar", TRUE },
  { "070707", 6, 0, "application/x-cpio", TRUE },
  { "070701", 6, 0, "application/x-cpio", TRUE },
  { "\177ELF", 4, 0, "application/x-executable", FALSE },
  { "MZ", 2, 0, "application/x-dosexec", FALSE },
  { "\312\376\272\276", 4, 0, "application/x-mach-binary", FALSE },
  { "%PDF-", 5, 0, "application/pdf", FALSE },
};

/* Suffixes of a compressed single file, dropped to name its content. */
static const char *const compressed_suffixes[] = {
  ".gz", ".tgz", ".bz2", ".xz", ".zst", ".lz4", ".z", ".Z",
};

static const Magic *
magic_of (const guint8 *data, gsize len)
{
  for (gsize i = 0; i < G_N_ELEMENTS (magics); i++)
    if (len >= magics[i].at + magics[i].len
        && memcmp (data + magics[i].at, magics[i].magic, magics[i].len) == 0)
      return &magics[i];
  return NULL;
}

gboolean
archive_sniff (const guint8 *data, gsize len)
{
  const Magic *m = magic_of (data, len);

  return m != NULL && m->archive;
}

static gboolean
stopped (const ArchiveBudget *b)
{
  return (b->problems & ARCHIVE_PROBLEMS_STOP) != 0;
}

/* Counts n more expanded bytes; FALSE when that stops the walk. */
static gboolean
budget_count (ArchiveBudget *b, gsize n)
{
  b->bytes += n;
  if (b->max_bytes > 0 && b->bytes > b->max_bytes)
    b->problems |= ARCHIVE_PROBLEM_BYTES;
  else if (b->max_ratio > 0 && b->bytes > ARCHIVE_RATIO_FLOOR
           && b->bytes / MAX (b->input, 1) > b->max_ratio)
    b->problems |= ARCHIVE_PROBLEM_RATIO;
  return !stopped (b);
}

/* The current member's next bytes: a count, 0 at its end or when the
 * budget is spent, or a libarchive error code (< 0). */
static gssize
member_read (Level *lv, void *buf, gsize len)
{
  la_ssize_t n;

  if (stopped (lv->budget))
    return 0;
  n = archive_read_data (lv->a, buf, len);
  if (n > 0 && !budget_count (lv->budget, (gsize) n))
    return 0;
  return n;
}

/* libarchive's read callback: what was sniffed, then more input. */
static la_ssize_t
level_read (struct archive *a, void *data, const void **buf)
{
  Level *lv = data;
  gssize n;

  if (lv->pending_len > 0)
    {
      *buf = lv->pending;
      n = (gssize) lv->pending_len;
      lv->pending_len = 0;
      return n;
    }
  *buf = lv->in;
  if (lv->parent != NULL)
    n = member_read (lv->parent, lv->in, BLOCK);
  else
    {
      n = lv->input->read (lv->input->data, lv->in, BLOCK);
      if (n > 0)
        lv->budget->input += (guint64) n;
    }
  if (n < 0)
    archive_set_error (a, EIO, "the archive's input ends in an error");
  return n < 0 ? ARCHIVE_FATAL : n;
}

static struct archive *
reader_new (const ArchiveBudget *budget)
{
  struct archive *a = archive_read_new ();

  archive_read_support_filter_gzip (a);
  archive_read_support_filter_bzip2 (a);
  archive_read_support_filter_xz (a);
  archive_read_support_filter_lzma (a);
  archive_read_support_filter_zstd (a);
  archive_read_support_filter_lz4 (a);
  archive_read_support_filter_compress (a);
  archive_read_support_format_zip (a);
  archive_read_support_format_tar (a);
  archive_read_support_format_cpio (a);
  archive_read_support_format_7zip (a);
  archive_read_support_format_rar (a);
  archive_read_support_format_rar5 (a);
  archive_read_support_format_raw (a);
  for (gsize i = 0; budget->passwords != NULL && budget->passwords[i]; i++)
    archive_read_add_passphrase (a, budget->passwords[i]);
  return a;
}

/* name without its compression suffix, for the one file it holds. */
static char *
uncompressed_name (const char *name)
{
  if (name == NULL)
    return g_strdup ("data");
  for (gsize i = 0; i < G_N_ELEMENTS (compressed_suffixes); i++)
    if (g_str_has_suffix (name, compressed_suffixes[i])
        && strlen (name) > strlen (compressed_suffixes[i]))
      {
        char *base
            = g_strndup (name, strlen (name) - strlen (compressed_suffixes[i]));

        /* foo.tgz holds foo.tar */
        if (strcmp (compressed_suffixes[i], ".tgz") == 0)
          {
            char *tar = g_strconcat (base, ".tar", NULL);

            g_free (base);
            return tar;
          }
        return base;
      }
  return g_strdup (name);
}

/* A member's name as data: valid UTF-8, no control characters, cut. */
static char *
member_name (Level *lv, struct archive_entry *entry)
{
  const char *name = archive_entry_pathname_utf8 (entry);
  char *clean;
  gsize len;

  if (archive_format (lv->a) == ARCHIVE_FORMAT_RAW)
    return uncompressed_name (lv->name);
  if (name == NULL)
    name = archive_entry_pathname (entry);
  clean = g_utf8_make_valid (name != NULL ? name : "", -1);
  for (char *p = clean; *p != '\0'; p++)
    if ((guchar) *p < 0x20 || *p == 0x7f)
      *p = '?';
  len = strlen (clean);
  if (len > NAME_MAX_BYTES)
    {
      const char *end
          = g_utf8_find_prev_char (clean, clean + NAME_MAX_BYTES + 1);

      clean[end != NULL ? end - clean : 0] = '\0';
    }
  return clean;
}

typedef struct
{
  Level *lv;
  struct archive_entry *entry;
  char *name;
  GByteArray *head;
  Sha256 *sum; /* NULL while only sniffing, and for text */
  gint64 size;
  int error; /* the libarchive code that ended the read, or 0 */
} Member;

/* Reads into m->head until it holds want bytes or the member ends;
 * FALSE at its end (or an error, in m->error). */
static gboolean
member_fill (Member *m, gsize want)
{
  while (m->head->len < want)
    {
      guint8 *buf = m->lv->out;
      gssize n = member_read (m->lv, buf, MIN (BLOCK, want - m->head->len));

      if (n <= 0)
        {
          m->error = n < 0 ? (int) n : 0;
          return FALSE;
        }
      g_byte_array_append (m->head, buf, (guint) n);
      m->size += n;
    }
  return TRUE;
}

/* Reads the rest of the member, hashing it when m->sum is set. */
static void
member_drain (Member *m)
{
  for (;;)
    {
      gssize n = member_read (m->lv, m->lv->out, BLOCK);

      if (n <= 0)
        {
          m->error = n < 0 ? (int) n : 0;
          return;
        }
      if (m->sum != NULL)
        sha256_update (m->sum, m->lv->out, (gsize) n);
      m->size += n;
    }
}

static gboolean
looks_like_text (const GByteArray *head)
{
  gsize probe = MIN (head->len, SNIFF);

  return probe == 0 || memchr (head->data, '\0', probe) == NULL;
}

static const char *
text_type (const char *name)
{
  if (g_str_has_suffix (name, ".csv") || g_str_has_suffix (name, ".CSV"))
    return "text/csv";
  if (g_str_has_suffix (name, ".json"))
    return "application/json";
  if (g_str_has_suffix (name, ".xml"))
    return "application/xml";
  if (g_str_has_suffix (name, ".html") || g_str_has_suffix (name, ".htm"))
    return "text/html";
  return "text/plain";
}

static void level_walk (Level *lv);

static void
level_init (Level *lv, ArchiveBudget *budget, ArchiveMemberFunc func,
            gpointer data)
{
  lv->budget = budget;
  lv->func = func;
  lv->data = data;
}

/* A member that is an archive itself: reported, then its members. */
static void
member_container (Member *m, const Magic *magic)
{
  Level *lv = m->lv;
  ArchiveMember am = {
    .name = m->name,
    .depth = lv->depth,
    .content_type = magic->type,
    .container = TRUE,
  };
  Level *child = g_new0 (Level, 1);

  am.size = archive_entry_size_is_set (m->entry) ? archive_entry_size (m->entry)
                                                 : m->size;
  lv->func (&am, lv->data);
  level_init (child, lv->budget, lv->func, lv->data);
  child->parent = lv;
  child->depth = lv->depth + 1;
  child->name = m->name;
  child->pending = m->head->data;
  child->pending_len = m->head->len;
  level_walk (child);
  g_free (child);
  /* What the inner archive left unread (a damaged end) is skipped. */
  if (!stopped (lv->budget))
    archive_read_data_skip (lv->a);
}

static void
member_problem (Member *m)
{
  if (m->error == 0)
    return;
  m->lv->budget->problems |= archive_entry_is_encrypted (m->entry)
                                 ? ARCHIVE_PROBLEM_ENCRYPTED
                                 : ARCHIVE_PROBLEM_DAMAGED;
}

/* A plain member: its head kept if text, every byte hashed if not. */
static void
member_plain (Member *m, const Magic *magic)
{
  ArchiveBudget *b = m->lv->budget;
  gboolean text = m->error == 0 && magic == NULL && looks_like_text (m->head);
  g_autoptr (Sha256) sum = sha256_new (FALSE);
  g_autofree char *hex = NULL;
  ArchiveMember am = { .name = m->name, .depth = m->lv->depth, .text = text };

  if (text)
    member_fill (m, b->max_text);
  else
    {
      sha256_update (sum, m->head->data, m->head->len);
      m->sum = sum;
    }
  if (m->error == 0 && !stopped (b))
    member_drain (m);
  am.unread = m->error != 0 || stopped (b);
  member_problem (m);
  if (!text && !am.unread)
    am.sha256 = hex = sha256_hex (sum);
  am.content_type = magic != NULL ? magic->type
                    : text        ? text_type (m->name)
                                  : "application/octet-stream";
  am.size = m->size;
  am.head = text ? m->head->data : NULL;
  am.head_len = text ? MIN (m->head->len, b->max_text) : 0;
  m->lv->func (&am, m->lv->data);
}

/* FALSE when the archive cannot go on (a fatal error in a member). */
static gboolean
member_walk (Level *lv, struct archive_entry *entry)
{
  Member m = {
    .lv = lv,
    .entry = entry,
    .name = member_name (lv, entry),
    .head = g_byte_array_new (),
  };
  const Magic *magic;

  member_fill (&m, SNIFF);
  magic = m.error == 0 ? magic_of (m.head->data, m.head->len) : NULL;
  if (magic != NULL && magic->archive && lv->depth + 1 < lv->budget->max_depth)
    member_container (&m, magic);
  else
    {
      if (magic != NULL && magic->archive)
        lv->budget->problems |= ARCHIVE_PROBLEM_DEPTH;
      member_plain (&m, magic);
    }
  g_free (m.name);
  g_byte_array_unref (m.head);
  return m.error != ARCHIVE_FATAL;
}

/* Whether the level read something that is no archive: libarchive's raw
 * format with no filter under it takes any bytes at all. */
static gboolean
level_is_plain (Level *lv)
{
  return archive_format (lv->a) == ARCHIVE_FORMAT_RAW
         && archive_filter_code (lv->a, 0) == ARCHIVE_FILTER_NONE;
}

static void
level_walk (Level *lv)
{
  ArchiveBudget *b = lv->budget;
  struct archive_entry *entry;

  lv->a = reader_new (b);
  if (archive_read_open (lv->a, lv, NULL, level_read, NULL) != ARCHIVE_OK)
    {
      b->problems |= ARCHIVE_PROBLEM_DAMAGED;
      archive_read_free (lv->a);
      return;
    }
  while (!stopped (b))
    {
      int rc = archive_read_next_header (lv->a, &entry);

      if (rc == ARCHIVE_EOF)
        break;
      if (rc < ARCHIVE_WARN || level_is_plain (lv))
        {
          b->problems |= ARCHIVE_PROBLEM_DAMAGED;
          break;
        }
      if (b->max_members > 0 && ++b->members > b->max_members)
        {
          b->problems |= ARCHIVE_PROBLEM_MEMBERS;
          break;
        }
      if (archive_entry_filetype (entry) == AE_IFREG
          && !member_walk (lv, entry))
        {
          b->problems |= ARCHIVE_PROBLEM_DAMAGED;
          break;
        }
    }
  archive_read_free (lv->a);
}

gboolean
archive_walk (const ArchiveInput *input, ArchiveBudget *budget,
              ArchiveMemberFunc func, gpointer data)
{
  g_autoptr (GByteArray) head = g_byte_array_new ();
  Level *lv;
  guint8 buf[SNIFF];

  /* Enough of the start to know an archive (tar's magic is at 257). */
  while (head->len < SNIFF)
    {
      gssize n = input->read (input->data, buf, SNIFF - head->len);

      if (n <= 0)
        break;
      g_byte_array_append (head, buf, (guint) n);
    }
  if (!archive_sniff (head->data, head->len))
    return FALSE;
  budget->input += head->len;
  lv = g_new0 (Level, 1);
  level_init (lv, budget, func, data);
  lv->input = input;
  lv->name = input->name;
  lv->pending = head->data;
  lv->pending_len = head->len;
  level_walk (lv);
  g_free (lv);
  return TRUE;
}
