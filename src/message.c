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
#include "madoguchi/archive.h"
#include "madoguchi/charset.h"
#include "madoguchi/mime-scan.h"
#include "madoguchi/sha256.h"
#include "message-pgp.h"

#define MESSAGE_HEADERS_MAX 1000
/* Encoded-word decoding all the headers of one message may take (see
 * CharsetBudget); CHARSET_HEADER_*_MAX bound each header within it. */
#define MESSAGE_DECODE_RUNS 20000
#define MESSAGE_DECODE_OPENS 64

typedef struct
{
  Message *message;
  const MessageLimits *limits;
  ArchiveBudget archive; /* shared by all the archives of the message */
  char **passwords;      /* the archive passwords, split */
} Walk;

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

/* The raw value of header name in object, decoded; NULL when absent. */
static char *
header_decoded (GMimeObject *object, const char *name, CharsetBudget *budget)
{
  GMimeHeaderList *list = g_mime_object_get_header_list (object);
  GMimeHeader *header = g_mime_header_list_get_header (list, name);
  const char *raw = header ? g_mime_header_get_raw_value (header) : NULL;

  return raw ? charset_decode_header_budget (raw, budget) : NULL;
}

/*
 * Message-ids are read here from the raw header (RFC 5322, section
 * 3.6.4), never RFC 2047-decoded (no encoded-word may be in one) and not
 * taken from GMime, which keeps the spaces of "<a b@c>" in the id.  A
 * decoded "<a=?utf-8?Q?=0D=0ABcc:...?=@x>" was a line break and a Bcc in
 * the acknowledgement's In-Reply-To (issue 16).  An id is kept only as
 * id-left "@" id-right in visible ASCII without "<", ">" or a space, so
 * that it can go back out in a header as it is.
 */

/* atext (RFC 5322, section 3.2.3) or ".": dot-atom-text, loosely. */
static gboolean
is_id_char (char c)
{
  return g_ascii_isalnum (c)
         || (c != '\0' && strchr ("!#$%&'*+-/=?^_`{|}~.", c) != NULL);
}

/* The length of the id-left (or id-right, when right) at p, 0 if none:
 * dot-atom-text, or a quoted string (a domain literal) without spaces,
 * backslashes or angle brackets. */
static gsize
id_part (const char *p, gboolean right)
{
  char close = right ? ']' : '"';
  gsize n = 0;

  if (*p == (right ? '[' : '"'))
    {
      for (n = 1; p[n] > 0x20 && p[n] < 0x7F && p[n] != close; n++)
        if (strchr ("\\<>[\"", p[n]) != NULL)
          return 0;
      return p[n] == close ? n + 1 : 0;
    }
  while (is_id_char (p[n]))
    n++;
  return n;
}

/* The length of the msg-id at p ("<" seen) with its brackets, 0 if p
 * starts none. */
static gsize
msg_id_at (const char *p)
{
  gsize left = id_part (p + 1, FALSE);
  gsize right;

  if (left == 0 || p[1 + left] != '@')
    return 0;
  right = id_part (p + 2 + left, TRUE);
  if (right == 0 || p[2 + left + right] != '>')
    return 0;
  return 3 + left + right;
}

/* Past the comment at p ("(" seen): comments nest, and hold
 * quoted-pairs. */
static const char *
skip_comment (const char *p)
{
  int depth = 0;

  for (; *p != '\0'; p++)
    if (*p == '\\' && p[1] != '\0')
      p++;
    else if (*p == '(')
      depth++;
    else if (*p == ')' && --depth == 0)
      return p + 1;
  return p;
}

/* The msg-ids of raw as "a@b c@d", at most max of them; NULL when none.
 * Comments, and whatever is not a msg-id (old mailers wrote "Your
 * message of ..." in In-Reply-To), are skipped. */
static char *
message_ids (const char *raw, guint max)
{
  GString *ids = g_string_new (NULL);
  guint count = 0;
  const char *p = raw;

  while (*p != '\0' && count < max)
    {
      gsize n = *p == '<' ? msg_id_at (p) : 0;

      if (*p == '(')
        p = skip_comment (p);
      else if (n == 0)
        p++;
      else
        {
          g_string_append_printf (ids, "%s%.*s", count ? " " : "",
                                  (int) (n - 2), p + 1);
          count++;
          p += n;
        }
    }
  return g_string_free (ids, ids->len == 0);
}

/* The Message-ID of raw: its first msg-id, or a bare id-left "@"
 * id-right, which some mailers write without the brackets. */
static char *
message_id_of (const char *raw)
{
  g_autofree char *trimmed = NULL;
  g_autofree char *bare = NULL;
  char *id = message_ids (raw, 1);

  if (id != NULL || strchr (raw, '<') != NULL)
    return id;
  trimmed = g_strstrip (g_strdup (raw));
  bare = g_strdup_printf ("<%s>", trimmed);
  return msg_id_at (bare) == strlen (bare) ? g_steal_pointer (&trimmed) : NULL;
}

/* The raw (undecoded) value of header name, or NULL. */
static const char *
header_raw (GMimeObject *object, const char *name)
{
  GMimeHeaderList *list = g_mime_object_get_header_list (object);
  GMimeHeader *header = g_mime_header_list_get_header (list, name);

  return header ? g_mime_header_get_raw_value (header) : NULL;
}

/*
 * The addr-spec of the first mailbox in header name, or NULL.  Parsed
 * from the raw value: an encoded-word is never an address (RFC 2047,
 * section 5), and decoding first would let "=?utf-8?Q?a@b?=" be one.
 */
static char *
header_first_addr (GMimeObject *object, GMimeParserOptions *options,
                   const char *name)
{
  const char *value = header_raw (object, name);
  g_autoptr (InternetAddressList) list = NULL;
  InternetAddress *address;

  if (value == NULL)
    return NULL;
  list = internet_address_list_parse (options, value);
  if (list == NULL || internet_address_list_length (list) == 0)
    return NULL;
  address = internet_address_list_get_address (list, 0);
  if (!INTERNET_ADDRESS_IS_MAILBOX (address))
    return NULL;
  return g_strdup (
      internet_address_mailbox_get_addr (INTERNET_ADDRESS_MAILBOX (address)));
}

static char *
return_path_addr (GMimeObject *object, GMimeParserOptions *options)
{
  const char *raw = header_raw (object, "Return-Path");
  g_autofree char *value = raw ? g_strstrip (g_strdup (raw)) : NULL;

  if (value == NULL)
    return NULL;
  if (strcmp (value, "<>") == 0)
    return g_strdup ("");
  return header_first_addr (object, options, "Return-Path");
}

static const MessageHeader *
find_header (const Message *message, const char *name)
{
  for (guint i = 0; i < message->headers->len; i++)
    {
      const MessageHeader *h = message->headers->pdata[i];

      if (g_ascii_strcasecmp (h->name, name) == 0)
        return h;
    }
  return NULL;
}

const char *
message_header_raw (const Message *message, const char *name)
{
  const MessageHeader *h = find_header (message, name);

  return h ? h->raw : NULL;
}

gboolean
message_is_automatic (const Message *m)
{
  const char *value = message_header (m, "Auto-Submitted");

  /* RFC 3834: only the keyword "no" (perhaps with parameters) is not
   * automatic; "notify-ext" and the like are. */
  if (value != NULL)
    {
      gsize len = strcspn (value, "; \t(");

      if (len != 2 || g_ascii_strncasecmp (value, "no", 2) != 0)
        return TRUE;
    }
  return message_header (m, "X-Autoreply") != NULL
         || message_header (m, "X-Autorespond") != NULL;
}

gboolean
message_is_delivery_report (const Message *m)
{
  for (guint i = 0; i < m->parts->len; i++)
    {
      const MessagePart *p = m->parts->pdata[i];

      if (strcmp (p->content_type, "message/delivery-status") == 0
          || strcmp (p->content_type, "message/global-delivery-status") == 0)
        return TRUE;
    }
  return FALSE;
}

/* The Message-ID in one part's text of returned headers, or NULL. */
static char *
returned_id (const MessagePart *p)
{
  const char *id = p->text ? strcasestr (p->text, "\nMessage-ID:") : NULL;
  const char *end;

  if (id == NULL || g_strcmp0 (p->content_type, "text/rfc822-headers") != 0)
    return NULL;
  id = strchr (id, '<');
  end = id ? strchr (id, '>') : NULL;
  return end ? g_strndup (id + 1, (gsize) (end - id - 1)) : NULL;
}

char **
message_returned_ids (const Message *m)
{
  GPtrArray *ids = g_ptr_array_new ();

  for (guint i = 0; i < m->parts->len; i++)
    {
      char *id = returned_id (m->parts->pdata[i]);

      if (id != NULL)
        g_ptr_array_add (ids, id);
    }
  if (ids->len == 0)
    {
      g_ptr_array_free (ids, TRUE);
      return NULL;
    }
  g_ptr_array_add (ids, NULL);
  return (char **) g_ptr_array_free (ids, FALSE);
}

const char *
message_header (const Message *message, const char *name)
{
  const MessageHeader *h = find_header (message, name);

  return h ? h->value : NULL;
}

/* Every outer header, decoded, up to a sane count. */
static void
message_read_all_headers (Message *m, GMimeObject *object,
                          CharsetBudget *budget)
{
  GMimeHeaderList *list = g_mime_object_get_header_list (object);
  int count = MIN (g_mime_header_list_get_count (list), MESSAGE_HEADERS_MAX);

  for (int i = 0; i < count; i++)
    {
      GMimeHeader *header = g_mime_header_list_get_header_at (list, i);
      MessageHeader *h = g_new0 (MessageHeader, 1);

      h->name = g_strdup (g_mime_header_get_name (header));
      h->raw = g_strdup (g_mime_header_get_raw_value (header));
      h->value = charset_decode_header_budget (h->raw, budget);
      g_ptr_array_add (m->headers, h);
    }
}

/* The message-ids of header name, parsed from its raw value. */
static char *
header_message_ids (GMimeObject *object, const char *name)
{
  const char *raw = header_raw (object, name);

  return raw ? message_ids (raw, G_MAXUINT) : NULL;
}

static void
message_read_headers (Message *m, GMimeMessage *mime,
                      GMimeParserOptions *options)
{
  GMimeObject *object = GMIME_OBJECT (mime);
  GDateTime *date = g_mime_message_get_date (mime);
  const char *id = header_raw (object, "Message-ID");
  CharsetBudget budget = { MESSAGE_DECODE_RUNS, MESSAGE_DECODE_OPENS, 0 };

  m->message_id = id ? message_id_of (id) : NULL;
  m->in_reply_to = header_message_ids (object, "In-Reply-To");
  m->references = header_message_ids (object, "References");
  m->from = header_decoded (object, "From", &budget);
  m->from_addr = header_first_addr (object, options, "From");
  m->reply_to = header_decoded (object, "Reply-To", &budget);
  m->to = header_decoded (object, "To", &budget);
  m->cc = header_decoded (object, "Cc", &budget);
  m->subject = header_decoded (object, "Subject", &budget);
  m->date = header_decoded (object, "Date", &budget);
  m->date_utc = date ? g_date_time_to_unix (date) : 0;
  m->date_offset
      = date ? (int) (g_date_time_get_utc_offset (date) / G_USEC_PER_SEC) : 0;
  m->return_path = return_path_addr (object, options);
  message_read_all_headers (m, object, &budget);
  if (budget.exhausted)
    m->flags |= MESSAGE_FLAG_DECODE_LIMIT;
  if (m->from == NULL && m->date == NULL && m->message_id == NULL)
    m->flags |= MESSAGE_FLAG_NO_HEADERS;
}

/* Skips from p past the end of the current tag or to the end of text. */
static const char *
html_skip_tag (const char *p)
{
  const char *end = strchr (p, '>');

  return end ? end + 1 : p + strlen (p);
}

/* Skips the contents of <script> and <style>, which are not text. */
static const char *
html_skip_element (const char *p)
{
  static const char *const hidden[] = { "script", "style" };

  for (gsize i = 0; i < G_N_ELEMENTS (hidden); i++)
    {
      gsize n = strlen (hidden[i]);

      if (g_ascii_strncasecmp (p + 1, hidden[i], n) == 0)
        {
          g_autofree char *close = g_strdup_printf ("</%s", hidden[i]);
          const char *end = strcasestr (p, close);

          return end ? html_skip_tag (end) : p + strlen (p);
        }
    }
  return html_skip_tag (p);
}

/* Appends the character an HTML entity at p names; returns its length. */
static gsize
html_entity (const char *p, GString *out)
{
  static const struct
  {
    const char *name;
    const char *text;
  } entities[] = {
    { "&amp;", "&" },  { "&lt;", "<" },   { "&gt;", ">" },  { "&quot;", "\"" },
    { "&apos;", "'" }, { "&nbsp;", " " }, { "&#39;", "'" },
  };
  gint64 code;
  char *end = NULL;

  for (gsize i = 0; i < G_N_ELEMENTS (entities); i++)
    if (g_str_has_prefix (p, entities[i].name))
      {
        g_string_append (out, entities[i].text);
        return strlen (entities[i].name);
      }
  if (p[1] == '#')
    {
      gboolean hex = p[2] == 'x' || p[2] == 'X';

      code = g_ascii_strtoll (p + (hex ? 3 : 2), &end, hex ? 16 : 10);
      if (end != NULL && *end == ';' && code > 0 && code <= 0x10FFFF
          && g_unichar_validate ((gunichar) code))
        {
          g_string_append_unichar (out, (gunichar) code);
          return (gsize) (end + 1 - p);
        }
    }
  g_string_append_c (out, '&');
  return 1;
}

/* Text of an HTML part: tags, scripts and styles out, entities decoded. */
static char *
html_to_text (const char *html)
{
  GString *out = g_string_sized_new (strlen (html));
  const char *p = html;

  while (*p != '\0')
    {
      if (*p == '<')
        {
          gboolean block = g_ascii_strncasecmp (p, "<br", 3) == 0
                           || g_ascii_strncasecmp (p, "<p", 2) == 0
                           || g_ascii_strncasecmp (p, "</p", 3) == 0
                           || g_ascii_strncasecmp (p, "<div", 4) == 0
                           || g_ascii_strncasecmp (p, "<tr", 3) == 0;

          p = html_skip_element (p);
          if (block)
            g_string_append_c (out, '\n');
        }
      else if (*p == '&')
        p += html_entity (p, out);
      else
        g_string_append_c (out, *p++);
    }
  return g_string_free (out, FALSE);
}

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
  GByteArray head = { (guint8 *) am->head, (guint) am->head_len };

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
  MemberWalk mw = { walk, mp };
  ArchiveInput input = { archive_input_read, NULL, mp->filename };
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

static void walk_object (Walk *walk, GMimeObject *object, guint depth,
                         gboolean forwarded);

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

static void
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

/* Feeds a checksum with data minus carriage returns. */
static void
checksum_update_lf (Sha256 *sum, const char *data, gsize len)
{
  const char *end = data + len;

  while (data < end)
    {
      const char *cr = memchr (data, '\r', (gsize) (end - data));
      const char *stop = cr ? cr : end;

      sha256_update (sum, data, (gsize) (stop - data));
      data = stop + (cr != NULL);
    }
}

/*
 * What makes two deliveries the same message: its Message-ID and the
 * body (after the first blank line), line ends normalised; without a
 * Message-ID, all of its bytes.  An MTA retry repeats both exactly.
 * The bytes come a chunk at a time (a big message is read from its
 * spool file, never whole in memory), and the same pass looks for NULs.
 */
typedef struct
{
  Sha256 *sum;
  gboolean in_body; /* the headers' blank line is behind */
  guint32 tail;     /* the last three bytes of the headers so far */
  gboolean nul;
} DedupPass;

/* The byte k places before data[i], reaching back into earlier chunks. */
static guint8
byte_before (const DedupPass *d, const char *data, gsize i, gsize k)
{
  return i >= k ? (guint8) data[i - k]
                : (guint8) (d->tail >> (8 * (k - i - 1)));
}

/* Where the body starts in this chunk of headers: past the first LF
 * that ends "\n\n" or "\r\n\r\n" (the earliest to end is the earliest to
 * start), or len when the headers go on. */
static gsize
body_start (DedupPass *d, const char *data, gsize len)
{
  for (const char *lf = memchr (data, '\n', len); lf != NULL;
       lf = memchr (lf + 1, '\n', len - (gsize) (lf + 1 - data)))
    {
      gsize i = (gsize) (lf - data);

      if (byte_before (d, data, i, 1) == '\n'
          || (byte_before (d, data, i, 1) == '\r'
              && byte_before (d, data, i, 2) == '\n'
              && byte_before (d, data, i, 3) == '\r'))
        {
          d->in_body = TRUE;
          return i + 1;
        }
    }
  for (gsize i = len > 3 ? len - 3 : 0; i < len; i++)
    d->tail = ((d->tail << 8) | (guint8) data[i]) & 0xffffff;
  return len;
}

static gboolean
dedup_chunk (const char *data, gsize len, gpointer user_data, GError **error)
{
  DedupPass *d = user_data;
  gsize body = d->in_body ? 0 : body_start (d, data, len);

  (void) error;
  if (!d->nul && len > 0 && memchr (data, '\0', len) != NULL)
    d->nul = TRUE;
  if (d->in_body)
    checksum_update_lf (d->sum, data + body, len - body);
  return TRUE;
}

/* The dedup key computed by a thread of its own while the parts are
 * decoded: on a 50 MB report SHA-256 was a fifth of the delivery. */
#define DEDUP_THREAD_MIN (1024 * 1024)

typedef struct
{
  const Raw *raw;
  gsize from; /* past a leading mbox "From " line */
  const char *message_id;
  gboolean nul;  /* out: a NUL byte somewhere */
  GError *error; /* out: reading failed */
} DedupJob;

static gpointer
dedup_job (gpointer data)
{
  DedupJob *job = data;
  g_autoptr (Sha256) sum = sha256_new (FALSE);
  DedupPass d = { sum, job->message_id == NULL, 0, FALSE };

  if (job->message_id != NULL)
    {
      sha256_update (sum, job->message_id, strlen (job->message_id));
      sha256_update (sum, "\n", 1);
    }
  if (!raw_foreach_chunk (job->raw, job->from, dedup_chunk, &d, &job->error))
    return NULL;
  job->nul = d.nul;
  return sha256_hex (sum);
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
    limits->max_parts,     MESSAGE_HEADER_FIELDS, MESSAGE_HEADER_SIZE,
    MIME_SCAN_FIELD_WORDS, MIME_SCAN_FIELD_LINES,
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

#define ARCHIVE_BYTES_DEFAULT (G_GUINT64_CONSTANT (256) * 1024 * 1024)
#define ARCHIVE_MEMBERS_DEFAULT 1000

static void
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

/* The dedup key, and NUL bytes flagged; NULL when raw cannot be read. */
static char *
finish_dedup (Message *m, GThread *hashing, DedupJob *job)
{
  char *key = hashing != NULL ? g_thread_join (hashing) : dedup_job (job);

  if (job->nul)
    m->flags |= MESSAGE_FLAG_NUL_BYTES;
  return key;
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
  Walk walk = { m, limits, { 0 }, NULL };
  gboolean nul_in_line = FALSE;
  gsize skip = raw_mbox_line (raw, &m->mbox_sender, &nul_in_line);
  DedupJob job = { raw, skip, NULL, FALSE, NULL };
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
