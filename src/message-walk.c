/*
 * message-walk.c - the walk over a parsed message's MIME tree: every
 * part becomes a MessagePart, text parts get their UTF-8 text (HTML
 * reduced to text), archives their members, PGP parts are decrypted or
 * verified, forwarded messages give their headers as a part of their
 * own.  Bounded in depth, parts and text per part (MessageLimits).
 */
#include <gmime/gmime.h>
#include <string.h>

#include "gmime-autoptr.h"
#include "madoguchi/archive.h"
#include "madoguchi/charset.h"
#include "message-pgp.h"
#include "message-private.h"

static gboolean
is_text_type (const char *type)
{
  static const char *const text_types[] = {
    "message/delivery-status",
    "message/feedback-report",
    "message/disposition-notification",
    "message/global-delivery-status",
    "application/json",
    "application/xml",
    "application/x-yaml",
  };

  if (g_str_has_prefix (type, "text/"))
    return TRUE;
  for (gsize i = 0; i < G_N_ELEMENTS (text_types); i++)
    if (strcmp (type, text_types[i]) == 0)
      return TRUE;
  return FALSE;
}

/* Whether a part may hold text: by its type, or (logs are often
 * attached as application/octet-stream) by its file name. */
static gboolean
may_be_text (const char *type, const char *filename)
{
  static const char *const text_suffixes[] = {
    ".log", ".txt", ".csv", ".json", ".xml", ".yaml", ".eml",
  };

  if (is_text_type (type))
    return TRUE;
  for (gsize i = 0; filename && i < G_N_ELEMENTS (text_suffixes); i++)
    if (g_str_has_suffix (filename, text_suffixes[i]))
      return TRUE;
  return FALSE;
}

/* A text type is text; a text file name is trusted only when the
 * content has no NUL near its start. */
static gboolean
content_is_text (const char *type, GByteArray *bytes)
{
  gsize probe = MIN (bytes->len, 4096);

  return is_text_type (type)
         || (probe > 0 && memchr (bytes->data, '\0', probe) == NULL);
}

/* A stream of content with its transfer encoding undone. */
static GMimeStream *
decoded_stream (GMimeStream *content, GMimeContentEncoding encoding)
{
  g_autoptr (GMimeFilter) filter = NULL;
  GMimeStream *decoded;

  switch (encoding)
    {
    case GMIME_CONTENT_ENCODING_BASE64:
    case GMIME_CONTENT_ENCODING_QUOTEDPRINTABLE:
    case GMIME_CONTENT_ENCODING_UUENCODE:
      decoded = g_mime_stream_filter_new (content);
      filter = g_mime_filter_basic_new (encoding, FALSE);
      g_mime_stream_filter_add (GMIME_STREAM_FILTER (decoded), filter);
      return decoded;
    default:
      return g_object_ref (content);
    }
}

/*
 * Decodes a leaf part, keeping its first `keep` bytes in kept and only
 * counting the rest: a 50 MB attachment costs what is kept of it (the
 * text cap, or nothing for a binary), not 50 MB.  Returns the decoded
 * size.
 */
static gint64
part_decode (GMimePart *part, gsize keep, GByteArray *kept)
{
  GMimeDataWrapper *wrapper = g_mime_part_get_content (part);
  /* (transfer none) in GMime 3.2 */
  GMimeStream *content
      = wrapper ? g_mime_data_wrapper_get_stream (wrapper) : NULL;
  g_autoptr (GMimeStream) decoded = NULL;
  gint64 size = 0;
  char buf[16384];

  if (content == NULL)
    return 0;
  g_mime_stream_reset (content);
  decoded
      = decoded_stream (content, g_mime_data_wrapper_get_encoding (wrapper));
  /* A filter may yield nothing for a read before its end: loop on eos. */
  while (!g_mime_stream_eos (decoded))
    {
      ssize_t n = g_mime_stream_read (decoded, buf, sizeof buf);

      if (n < 0)
        break;
      if (kept->len < keep)
        g_byte_array_append (kept, (const guint8 *) buf,
                             (guint) MIN ((gsize) n, keep - kept->len));
      size += n;
    }
  g_mime_stream_reset (content);
  return size;
}

/* Line ends to LF in place: decoded parts keep CRLF line ends, and old
 * Mac mailers wrote CR alone. */
static void
strip_cr (char *text)
{
  char *out = text;

  for (const char *p = text; *p != '\0'; p++)
    if (*p != '\r')
      *out++ = *p;
    else if (p[1] != '\n')
      *out++ = '\n';
  *out = '\0';
}

/* UTF-8 text of what was kept of a part's bytes, HTML reduced to text. */
static char *
part_text (Walk *walk, MessagePart *mp, GByteArray *bytes)
{
  CharsetResult result;
  char *text;

  if ((gsize) mp->size > bytes->len)
    walk->message->flags |= MESSAGE_FLAG_TEXT_LIMIT;
  if (bytes->len > 0 && memchr (bytes->data, '\0', bytes->len) != NULL)
    walk->message->flags |= MESSAGE_FLAG_NUL_BYTES;
  text = charset_to_utf8 (mp->charset, (const char *) bytes->data, bytes->len,
                          &result);
  if (result != CHARSET_OK)
    walk->message->flags |= MESSAGE_FLAG_CHARSET;
  if (g_str_has_suffix (mp->content_type, "/html"))
    {
      char *stripped = html_to_text (text);

      g_free (text);
      text = stripped;
    }
  strip_cr (text);
  return text;
}

static MessagePart *
part_new (Walk *walk, GMimeObject *object, guint depth, gboolean forwarded)
{
  MessagePart *mp = g_new0 (MessagePart, 1);
  GMimeContentType *type = g_mime_object_get_content_type (object);
  g_autofree char *mime_type = type ? g_mime_content_type_get_mime_type (type)
                                    : g_strdup ("text/plain");
  const char *charset
      = g_mime_object_get_content_type_parameter (object, "charset");

  mp->depth = depth;
  mp->forwarded = forwarded;
  mp->content_type = g_ascii_strdown (mime_type, -1);
  mp->charset = charset ? g_strdup (charset) : NULL;
  if (GMIME_IS_PART (object) && g_mime_part_get_filename (GMIME_PART (object)))
    mp->filename = charset_decode_header (
        g_mime_part_get_filename (GMIME_PART (object)));
  g_ptr_array_add (walk->message->parts, mp);
  return mp;
}

/* Where the members of an archive part go: after it, one level down. */
typedef struct
{
  Walk *walk;
  const MessagePart *archive;
} MemberWalk;

/* A member of an archive is a part of its own; text is text as for any
 * attachment, a binary member only its name, size and SHA-256. */
static void
on_member (const ArchiveMember *am, gpointer data)
{
  MemberWalk *mw = data;
  Walk *walk = mw->walk;
  MessagePart *mp;
  GByteArray head
      = { .data = (guint8 *) am->head, .len = (guint) am->head_len };

  if (walk->message->parts->len >= walk->limits->max_parts)
    {
      walk->message->flags |= MESSAGE_FLAG_PARTS_LIMIT;
      return;
    }
  mp = g_new0 (MessagePart, 1);
  mp->depth = mw->archive->depth + 1 + am->depth;
  mp->forwarded = mw->archive->forwarded;
  mp->content_type = g_strdup (am->content_type);
  mp->filename = g_strdup (am->name);
  mp->size = am->size;
  mp->member = TRUE;
  mp->sha256 = g_strdup (am->sha256);
  g_ptr_array_add (walk->message->parts, mp);
  if (am->text)
    mp->text = part_text (walk, mp, &head);
}

/* archive.c's input: the part's decoded bytes, as GMime decodes them. */
static gssize
archive_input_read (gpointer data, void *buf, gsize len)
{
  GMimeStream *stream = data;
  ssize_t n = 0;

  /* A filter may yield nothing for a read before its end. */
  while (n == 0 && !g_mime_stream_eos (stream))
    n = g_mime_stream_read (stream, buf, len);
  return n;
}

static void
archive_flags (Walk *walk)
{
  static const struct
  {
    ArchiveProblems problem;
    MessageFlags flag;
  } map[] = {
    { ARCHIVE_PROBLEM_BYTES, MESSAGE_FLAG_ARCHIVE_BYTES },
    { ARCHIVE_PROBLEM_MEMBERS, MESSAGE_FLAG_ARCHIVE_MEMBERS },
    { ARCHIVE_PROBLEM_RATIO, MESSAGE_FLAG_ARCHIVE_RATIO },
    { ARCHIVE_PROBLEM_ENCRYPTED, MESSAGE_FLAG_ARCHIVE_ENCRYPTED },
    { ARCHIVE_PROBLEM_DAMAGED, MESSAGE_FLAG_ARCHIVE_DAMAGED },
    { ARCHIVE_PROBLEM_DEPTH, MESSAGE_FLAG_DEPTH_LIMIT },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (map); i++)
    if (walk->archive.problems & map[i].problem)
      walk->message->flags |= map[i].flag;
}

/*
 * A part that is an archive (by its bytes, whatever its type says):
 * its members become parts, read as the part is decoded (archive.c).
 * FALSE when it is no archive; the part is then read as any other.
 */
static gboolean
walk_archive (Walk *walk, GMimePart *part, MessagePart *mp)
{
  GMimeDataWrapper *wrapper = g_mime_part_get_content (part);
  GMimeStream *content
      = wrapper ? g_mime_data_wrapper_get_stream (wrapper) : NULL;
  g_autoptr (GMimeStream) decoded = NULL;
  MemberWalk mw = { .walk = walk, .archive = mp };
  ArchiveInput input = { .read = archive_input_read, .name = mp->filename };
  guint64 before = walk->archive.input;
  gboolean walked;
  char buf[16384];
  ssize_t n;

  if (content == NULL || mp->depth >= walk->limits->max_depth)
    return FALSE;
  g_mime_stream_reset (content);
  decoded
      = decoded_stream (content, g_mime_data_wrapper_get_encoding (wrapper));
  input.data = decoded;
  walk->archive.max_depth = walk->limits->max_depth - mp->depth;
  walked = archive_walk (&input, &walk->archive, on_member, &mw);
  mp->size = (gint64) (walk->archive.input - before);
  /* What the walk left unread (past a limit) still counts in the size. */
  while (walked && (n = archive_input_read (decoded, buf, sizeof buf)) > 0)
    mp->size += n;
  g_mime_stream_reset (content);
  archive_flags (walk);
  return walked;
}

static void
walk_leaf (Walk *walk, GMimePart *part, MessagePart *mp)
{
  g_autoptr (GByteArray) bytes = g_byte_array_new ();
  gboolean text = may_be_text (mp->content_type, mp->filename);

  if (!text && walk_archive (walk, part, mp))
    return;
  mp->size = part_decode (part, text ? walk->limits->max_part_text : 0, bytes);
  if (!text || !content_is_text (mp->content_type, bytes))
    return;
  if (!pgp_inline (bytes, walk->limits, &walk->message->pgp))
    walk->message->flags |= MESSAGE_FLAG_UNDECRYPTED;
  mp->text = part_text (walk, mp, bytes);
}

/* A forwarded message's headers are evidence (its Received chain, its
 * From): they become a text part of their own, marked forwarded. */
static void
walk_forwarded_headers (Walk *walk, GMimeMessage *inner, guint depth)
{
  GMimeHeaderList *list = g_mime_object_get_header_list (GMIME_OBJECT (inner));
  int count = g_mime_header_list_get_count (list);
  GString *text;
  MessagePart *mp;

  if (walk->message->parts->len >= walk->limits->max_parts)
    {
      walk->message->flags |= MESSAGE_FLAG_PARTS_LIMIT;
      return;
    }
  text = g_string_new (NULL);
  mp = g_new0 (MessagePart, 1);
  for (int i = 0; i < count; i++)
    {
      GMimeHeader *header = g_mime_header_list_get_header_at (list, i);
      g_autofree char *value
          = charset_decode_header (g_mime_header_get_raw_value (header));

      g_string_append_printf (text, "%s: %s\n", g_mime_header_get_name (header),
                              value);
    }
  mp->depth = depth;
  mp->forwarded = TRUE;
  mp->content_type = g_strdup ("text/rfc822-headers");
  mp->size = (gint64) text->len;
  mp->text = g_string_free (text, FALSE);
  g_ptr_array_add (walk->message->parts, mp);
}

/* PGP/MIME: the decrypted part is walked in the encrypted one's place. */
static void
walk_encrypted (Walk *walk, GMimeMultipartEncrypted *part, guint depth,
                gboolean forwarded)
{
  g_autoptr (GMimeObject) plain
      = pgp_decrypt_multipart (part, walk->limits, &walk->message->pgp);

  if (plain == NULL)
    {
      walk->message->flags |= MESSAGE_FLAG_UNDECRYPTED;
      return;
    }
  walk_object (walk, plain, depth + 1, forwarded);
}

void
walk_object (Walk *walk, GMimeObject *object, guint depth, gboolean forwarded)
{
  MessagePart *mp;

  if (object == NULL)
    return;
  if (depth > walk->limits->max_depth)
    {
      walk->message->flags |= MESSAGE_FLAG_DEPTH_LIMIT;
      return;
    }
  if (walk->message->parts->len >= walk->limits->max_parts)
    {
      walk->message->flags |= MESSAGE_FLAG_PARTS_LIMIT;
      return;
    }
  mp = part_new (walk, object, depth, forwarded);
  if (GMIME_IS_MULTIPART_ENCRYPTED (object))
    walk_encrypted (walk, GMIME_MULTIPART_ENCRYPTED (object), depth, forwarded);
  else if (GMIME_IS_MULTIPART (object))
    {
      GMimeMultipart *multi = GMIME_MULTIPART (object);

      if (GMIME_IS_MULTIPART_SIGNED (object))
        pgp_verify_multipart (GMIME_MULTIPART_SIGNED (object),
                              &walk->message->pgp);
      for (int i = 0; i < g_mime_multipart_get_count (multi); i++)
        walk_object (walk, g_mime_multipart_get_part (multi, i), depth + 1,
                     forwarded);
    }
  else if (GMIME_IS_MESSAGE_PART (object))
    {
      GMimeMessage *inner
          = g_mime_message_part_get_message (GMIME_MESSAGE_PART (object));

      if (inner == NULL)
        return;
      walk_forwarded_headers (walk, inner, depth);
      walk_object (walk, g_mime_message_get_mime_part (inner), depth + 1, TRUE);
    }
  else if (GMIME_IS_PART (object))
    walk_leaf (walk, GMIME_PART (object), mp);
}

#define ARCHIVE_BYTES_DEFAULT (G_GUINT64_CONSTANT (256) * 1024 * 1024)
#define ARCHIVE_MEMBERS_DEFAULT 1000

void
walk_budget_init (Walk *walk)
{
  const MessageLimits *l = walk->limits;

  walk->archive.max_bytes
      = l->max_archive_bytes ? l->max_archive_bytes : ARCHIVE_BYTES_DEFAULT;
  walk->archive.max_members = l->max_archive_members ? l->max_archive_members
                                                     : ARCHIVE_MEMBERS_DEFAULT;
  walk->archive.max_ratio = l->max_archive_ratio;
  walk->archive.max_text = l->max_part_text;
  if (l->archive_passwords != NULL)
    {
      walk->passwords = g_strsplit (l->archive_passwords, ",", -1);
      for (char **p = walk->passwords; *p != NULL; p++)
        g_strstrip (*p);
    }
  walk->archive.passwords = (const char *const *) walk->passwords;
}
