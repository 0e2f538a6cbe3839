/*
 * message.c - parse one mail with GMime into a Message.
 *
 * The raw bytes are never changed here (they are evidence, kept by the
 * store); this module only reads them.  Header values are taken raw from
 * GMime and decoded by charset.c, which knows the Japanese mailers' ways
 * better than iconv does.  The part walk is bounded in depth and count,
 * and each part's text in size, so hostile mail costs bounded work.
 */
#include "madoguchi/message.h"

#include <errno.h>
#include <fcntl.h>
#include <gmime/gmime.h>
#include <string.h>
#include <unistd.h>

#include "gmime-autoptr.h"
#include "madoguchi/charset.h"
#include "madoguchi/mime-scan.h"
#include "message-private.h"

void
message_init (void)
{
  g_mime_init ();
}

static void
parser_warning (gint64 offset, GMimeParserWarning code, const char *item,
                gpointer user_data)
{
  Message *message = user_data;

  switch (code)
    {
    case GMIME_WARN_MALFORMED_MULTIPART:
    case GMIME_WARN_TRUNCATED_MESSAGE:
    case GMIME_WARN_MALFORMED_MESSAGE:
    case GMIME_WARN_INVALID_CONTENT_TYPE:
    case GMIME_CRIT_INVALID_HEADER_NAME:
    case GMIME_CRIT_CONFLICTING_HEADER:
    case GMIME_CRIT_CONFLICTING_PARAMETER:
    case GMIME_CRIT_MULTIPART_WITHOUT_BOUNDARY:
    case GMIME_CRIT_PART_WITHOUT_HEADERS_OR_CONTENT:
      message->flags |= MESSAGE_FLAG_MALFORMED;
      break;
    case GMIME_CRIT_NESTING_OVERFLOW:
      message->flags |= MESSAGE_FLAG_DEPTH_LIMIT | MESSAGE_FLAG_MALFORMED;
      break;
    default:
      break;
    }
}

/* Length of a leading mbox "From " line (with its newline), else 0. */
static gsize
mbox_line_length (const char *data, gsize len, char **sender)
{
  const char *nl;
  const char *space;

  if (len < 5 || memcmp (data, "From ", 5) != 0)
    return 0;
  nl = memchr (data, '\n', len);
  if (nl == NULL)
    return 0;
  space = memchr (data + 5, ' ', (gsize) (nl - data - 5));
  *sender = g_strndup (data + 5, (gsize) ((space ? space : nl) - data - 5));
  g_strchomp (*sender);
  if (strcmp (*sender, "MAILER-DAEMON") == 0 || strcmp (*sender, "<>") == 0)
    (*sender)[0] = '\0';
  return (gsize) (nl + 1 - data);
}

/* Frees a GByteArray's struct, never the bytes it points at. */
static void
byte_array_release (GByteArray *array)
{
  g_byte_array_free (array, FALSE);
}

/* Whether the message's lines end in CR alone (old Mac mailers), which
 * GMime does not read as line ends: a CR and no LF at its start. */
static gboolean
raw_cr_only (const Raw *raw, gsize skip)
{
  char head[4096];
  gsize n = MIN (raw_size (raw) - skip, sizeof head);

  if (n == 0 || !raw_read (raw, skip, head, n, NULL))
    return FALSE;
  return memchr (head, '\r', n) != NULL && memchr (head, '\n', n) == NULL;
}

/* A copy of the message with each lone CR made a LF, for GMime to parse
 * (the raw bytes, the evidence, stay as they came). */
static GMimeStream *
cr_stream (const Raw *raw, gsize skip, GError **error)
{
  gsize len = raw_size (raw) - skip;
  GByteArray *bytes = g_byte_array_sized_new ((guint) len);

  g_byte_array_set_size (bytes, (guint) len);
  if (!raw_read (raw, skip, (char *) bytes->data, len, error))
    {
      g_byte_array_unref (bytes);
      return NULL;
    }
  for (gsize i = 0; i < len; i++)
    if (bytes->data[i] == '\r' && (i + 1 == len || bytes->data[i + 1] != '\n'))
      bytes->data[i] = '\n';
  /* The stream owns the copy. */
  return g_mime_stream_mem_new_with_byte_array (bytes);
}

/*
 * A stream on the message after skip bytes, for GMime to parse with its
 * parts kept as windows on it (persist_stream) rather than copies.  In
 * memory: a GByteArray around the caller's bytes (which stay the
 * caller's); in a file: the file itself, read as GMime goes, so that a
 * 50 MB report costs neither 50 MB of copy nor of mapping.
 */
static GMimeStream *
raw_stream (const Raw *raw, gsize skip, GError **error)
{
  GBytes *bytes = raw_get_bytes (raw);
  GMimeStream *stream;
  GByteArray *wrap;
  goffset offset;
  int fd;

  if (raw_cr_only (raw, skip))
    return cr_stream (raw, skip, error);
  if (bytes == NULL)
    {
      /* The stream closes a descriptor of its own; its reads move the
       * offset, which raw_read's positional reads ignore. */
      fd = fcntl (raw_file (raw, &offset), F_DUPFD_CLOEXEC, 0);
      if (fd < 0)
        {
          int errsv = errno;

          g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (errsv),
                       "cannot read the message: %s", g_strerror (errsv));
          return NULL;
        }
      return g_mime_stream_fs_new_with_bounds (
          fd, offset + (goffset) skip, offset + (goffset) raw_size (raw));
    }
  wrap = g_byte_array_new_take (
      (guint8 *) g_bytes_get_data (bytes, NULL) + skip, raw_size (raw) - skip);
  stream = g_mime_stream_mem_new_with_byte_array (wrap);
  g_mime_stream_mem_set_owner (GMIME_STREAM_MEM (stream), FALSE);
  /* The parts hold the stream until the message goes: the wrapper goes
   * with the stream (not its bytes). */
  g_object_set_data_full (G_OBJECT (stream), "madoguchi-wrap", wrap,
                          (GDestroyNotify) byte_array_release);
  return stream;
}

/* GMime decodes headers as it parses, opening and closing a converter
 * for each encoded-word: their gconv modules must be loaded already.
 * (A read error here shows again when GMime reads.) */
static gboolean
preload_chunk (const char *data, gsize len, gpointer user_data, GError **error)
{
  charset_preload (data, len, g_mime_charset_iconv_name);
  return TRUE;
}

/*
 * Header limits, fixed: real mail, even a forwarded bounce storm, stays
 * far below them; past them GMime would cost hundreds of MB (mime-scan.h).
 */
#define MESSAGE_HEADER_FIELDS 10000
#define MESSAGE_HEADER_SIZE (2 * 1024 * 1024)

/*
 * What of the message GMime may see: all of it, unless the scan found
 * more than the limits, which it would build whole before the walk
 * could stop (mime-scan.h).  Flags what is left out.
 */
static MimeScan *
scan_limits (Message *m, const Raw *raw, gsize skip,
             const MessageLimits *limits, GError **error)
{
  MimeScanLimits l = {
    .max_parts = limits->max_parts,
    .max_fields = MESSAGE_HEADER_FIELDS,
    .max_header_size = MESSAGE_HEADER_SIZE,
    .max_field_words = MIME_SCAN_FIELD_WORDS,
    .max_field_lines = MIME_SCAN_FIELD_LINES,
  };
  MimeScan *scan = mime_scan_raw (raw, skip, &l, error);

  if (scan != NULL && scan->parts_cut)
    m->flags |= MESSAGE_FLAG_PARTS_LIMIT;
  if (scan != NULL && scan->headers_cut)
    m->flags |= MESSAGE_FLAG_HEADER_LIMIT;
  return scan;
}

/* (transfer full) the ranges of stream (raw from skip on) in one. */
static GMimeStream *
ranges_stream (GMimeStream *stream, const MimeScan *scan, gsize skip)
{
  GMimeStream *cat = g_mime_stream_cat_new ();

  for (guint i = 0; i < scan->ranges->len; i++)
    {
      const MimeScanRange *r = &g_array_index (scan->ranges, MimeScanRange, i);
      g_autoptr (GMimeStream) sub = g_mime_stream_substream (
          stream, stream->bound_start + (gint64) (r->from - skip),
          stream->bound_start + (gint64) (r->to - skip));

      g_mime_stream_cat_add_source (GMIME_STREAM_CAT (cat), sub);
    }
  return cat;
}

/* GMime reads CRLF and LF line ends alike; decoded text loses its CRs
 * later. */
static GMimeMessage *
parse_mime (GMimeStream *stream, GMimeParserOptions *options)
{
  g_autoptr (GMimeParser) parser = g_mime_parser_new_with_stream (stream);

  g_mime_parser_set_format (parser, GMIME_FORMAT_MESSAGE);
  g_mime_parser_set_persist_stream (parser, TRUE);
  return g_mime_parser_construct_message (parser, options);
}

/* Parses what the scan gives GMime of stream (raw from skip on). */
static GMimeMessage *
parse_within (const Raw *raw, gsize skip, GMimeStream *stream,
              const MimeScan *scan, GMimeParserOptions *options)
{
  g_autoptr (GMimeStream) part = NULL;

  raw_foreach_chunk (raw, skip, preload_chunk, NULL, NULL);
  if (scan->ranges == NULL)
    return parse_mime (stream, options);
  part = ranges_stream (stream, scan, skip);
  return parse_mime (part, options);
}

/* How far a leading "From " line is looked for its end: a longer one is
 * no mbox separator (GMime reads it as a broken header). */
#define MBOX_LINE_MAX (1024 * 1024)

/* Length of raw's leading mbox "From " line, else 0; *nul when it holds
 * a NUL byte. */
static gsize
raw_mbox_line (const Raw *raw, char **sender, gboolean *nul)
{
  gsize size = MIN (raw_size (raw), 4096);
  g_autofree char *head = g_malloc (size + 1);
  gsize skip;

  /* Read more until the line ends: the first piece is almost always
   * enough. */
  for (;;)
    {
      if (!raw_read (raw, 0, head, size, NULL))
        return 0;
      if (size < 5 || memcmp (head, "From ", 5) != 0
          || memchr (head, '\n', size) != NULL
          || size >= MIN (raw_size (raw), MBOX_LINE_MAX))
        break;
      size = MIN (MIN (raw_size (raw), MBOX_LINE_MAX), size * 2);
      head = g_realloc (head, size + 1);
    }
  skip = mbox_line_length (head, size, sender);
  *nul = skip > 0 && memchr (head, '\0', skip) != NULL;
  return skip;
}

/* Nothing GMime could use: (the start of) the bytes, made readable, are
 * the message's one part. */
static void
unparsed_part (Walk *walk, const Raw *raw, gsize skip)
{
  gsize len = MIN (raw_size (raw) - skip, walk->limits->max_part_text);
  g_autofree char *bytes = g_malloc (len + 1);
  MessagePart *mp = g_new0 (MessagePart, 1);

  walk->message->flags |= MESSAGE_FLAG_MALFORMED | MESSAGE_FLAG_NO_HEADERS;
  if (len < raw_size (raw) - skip)
    walk->message->flags |= MESSAGE_FLAG_TEXT_LIMIT;
  mp->content_type = g_strdup ("text/plain");
  mp->size = (gint64) (raw_size (raw) - skip);
  mp->text = raw_read (raw, skip, bytes, len, NULL)
                 ? charset_to_utf8 (NULL, bytes, len, NULL)
                 : g_strdup ("");
  g_ptr_array_add (walk->message->parts, mp);
}

Message *
message_parse_raw (const Raw *raw, const MessageLimits *limits, GError **error)
{
  g_autoptr (Message) m = g_new0 (Message, 1);
  GMimeParserOptions *options = g_mime_parser_options_new ();
  g_autoptr (GMimeMessage) mime = NULL;
  g_autoptr (GMimeStream) stream = NULL;
  g_autoptr (MimeScan) scan = NULL;
  g_auto (GStrv) passwords = NULL;
  Walk walk = { .message = m, .limits = limits };
  gboolean nul_in_line = FALSE;
  gsize skip = raw_mbox_line (raw, &m->mbox_sender, &nul_in_line);
  DedupJob job = { .raw = raw, .from = skip };
  GThread *hashing = NULL;

  m->headers
      = g_ptr_array_new_with_free_func ((GDestroyNotify) report_header_free);
  m->parts = g_ptr_array_new_with_free_func ((GDestroyNotify) report_part_free);
  walk_budget_init (&walk);
  passwords = walk.passwords;
  g_mime_parser_options_set_warning_callback (options, parser_warning, m);
  if (nul_in_line)
    m->flags |= MESSAGE_FLAG_NUL_BYTES;
  if (raw_size (raw) == skip)
    m->flags |= MESSAGE_FLAG_EMPTY | MESSAGE_FLAG_NO_HEADERS;
  else if ((scan = scan_limits (m, raw, skip, limits, error)) == NULL
           || (stream = raw_stream (raw, skip, error)) == NULL)
    {
      g_mime_parser_options_free (options);
      return NULL;
    }
  else
    mime = parse_within (raw, skip, stream, scan, options);
  if (mime != NULL)
    {
      message_read_headers (m, mime, options);
      job.message_id = m->message_id;
      if (raw_size (raw) - skip >= DEDUP_THREAD_MIN)
        hashing = g_thread_new ("dedup-key", dedup_job, &job);
      walk_object (&walk, g_mime_message_get_mime_part (mime), 0, FALSE);
    }
  else if (raw_size (raw) > skip)
    unparsed_part (&walk, raw, skip);
  g_mime_parser_options_free (options);
  m->pgp.decrypted = m->pgp.encrypted && !(m->flags & MESSAGE_FLAG_UNDECRYPTED);
  m->dedup_key = finish_dedup (m, hashing, &job);
  if (m->dedup_key == NULL)
    {
      g_propagate_error (error, job.error);
      return NULL;
    }
  return g_steal_pointer (&m);
}

Message *
message_parse (const char *data, gsize len, const MessageLimits *limits)
{
  g_autoptr (GBytes) bytes = g_bytes_new_static (data, len);
  g_autoptr (Raw) raw = raw_new_bytes (bytes);

  /* Bytes in memory are always readable. */
  return message_parse_raw (raw, limits, NULL);
}
