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

#include <gmime/gmime.h>
#include <string.h>

#include "madoguchi/charset.h"

G_DEFINE_AUTOPTR_CLEANUP_FUNC (GMimeParser, g_object_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (GMimeStream, g_object_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (GMimeFilter, g_object_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (GMimeMessage, g_object_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (InternetAddressList, g_object_unref)

#define MESSAGE_HEADERS_MAX 1000

static const char *const message_flag_names[] = {
  "truncated", "malformed", "nul-bytes", "empty", "depth-limit",
  "parts-limit", "charset", "text-limit", "no-headers",
};

typedef struct {
  Message *message;
  const MessageLimits *limits;
  GString *text;
} Walk;

void
message_init (void)
{
  g_mime_init ();
}

char *
message_flags_to_string (MessageFlags flags)
{
  GString *s = g_string_new (NULL);

  for (gsize i = 0; i < G_N_ELEMENTS (message_flag_names); i++)
    if (flags & (1u << i))
      g_string_append_printf (s, "%s%s", s->len ? "," : "",
                              message_flag_names[i]);
  return g_string_free (s, FALSE);
}

void
message_part_free (MessagePart *part)
{
  if (part == NULL)
    return;
  g_free (part->content_type);
  g_free (part->filename);
  g_free (part->charset);
  g_free (part->text);
  g_free (part);
}

void
message_free (Message *message)
{
  if (message == NULL)
    return;
  g_free (message->mbox_sender);
  g_free (message->message_id);
  g_free (message->in_reply_to);
  g_free (message->references);
  g_free (message->from);
  g_free (message->from_addr);
  g_free (message->reply_to);
  g_free (message->to);
  g_free (message->cc);
  g_free (message->subject);
  g_free (message->date);
  g_free (message->return_path);
  g_ptr_array_unref (message->headers);
  g_ptr_array_unref (message->parts);
  g_free (message->text);
  g_free (message->dedup_key);
  g_free (message);
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
header_decoded (GMimeObject *object, const char *name)
{
  GMimeHeaderList *list = g_mime_object_get_header_list (object);
  GMimeHeader *header = g_mime_header_list_get_header (list, name);
  const char *raw = header ? g_mime_header_get_raw_value (header) : NULL;

  return raw ? charset_decode_header (raw) : NULL;
}

/* Message-ids of a header as "a@b c@d", or NULL. */
static char *
header_message_ids (GMimeObject *object, GMimeParserOptions *options,
                    const char *name)
{
  g_autofree char *value = header_decoded (object, name);
  GMimeReferences *refs;
  GString *ids;

  if (value == NULL)
    return NULL;
  refs = g_mime_references_parse (options, value);
  if (refs == NULL)
    return NULL;
  ids = g_string_new (NULL);
  for (int i = 0; i < g_mime_references_length (refs); i++)
    g_string_append_printf (ids, "%s%s", i ? " " : "",
                            g_mime_references_get_message_id (refs, i));
  g_mime_references_free (refs);
  return g_string_free (ids, ids->len == 0);
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
  return g_strdup (internet_address_mailbox_get_addr (
    INTERNET_ADDRESS_MAILBOX (address)));
}

static char *
return_path_addr (GMimeObject *object, GMimeParserOptions *options)
{
  g_autofree char *value = header_decoded (object, "Return-Path");

  if (value == NULL)
    return NULL;
  if (strcmp (value, "<>") == 0)
    return g_strdup ("");
  return header_first_addr (object, options, "Return-Path");
}

static void
message_header_free (MessageHeader *h)
{
  g_free (h->name);
  g_free (h->raw);
  g_free (h->value);
  g_free (h);
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

const char *
message_header (const Message *message, const char *name)
{
  const MessageHeader *h = find_header (message, name);

  return h ? h->value : NULL;
}

/* Every outer header, decoded, up to a sane count. */
static void
message_read_all_headers (Message *m, GMimeObject *object)
{
  GMimeHeaderList *list = g_mime_object_get_header_list (object);
  int count = MIN (g_mime_header_list_get_count (list), MESSAGE_HEADERS_MAX);

  for (int i = 0; i < count; i++)
    {
      GMimeHeader *header = g_mime_header_list_get_header_at (list, i);
      MessageHeader *h = g_new0 (MessageHeader, 1);

      h->name = g_strdup (g_mime_header_get_name (header));
      h->raw = g_strdup (g_mime_header_get_raw_value (header));
      h->value = charset_decode_header (h->raw);
      g_ptr_array_add (m->headers, h);
    }
}

static void
message_read_headers (Message *m, GMimeMessage *mime,
                      GMimeParserOptions *options)
{
  GMimeObject *object = GMIME_OBJECT (mime);
  GDateTime *date = g_mime_message_get_date (mime);
  const char *id = g_mime_message_get_message_id (mime);

  m->message_id = id && *id ? charset_decode_header (id) : NULL;
  m->in_reply_to = header_message_ids (object, options, "In-Reply-To");
  m->references = header_message_ids (object, options, "References");
  m->from = header_decoded (object, "From");
  m->from_addr = header_first_addr (object, options, "From");
  m->reply_to = header_decoded (object, "Reply-To");
  m->to = header_decoded (object, "To");
  m->cc = header_decoded (object, "Cc");
  m->subject = header_decoded (object, "Subject");
  m->date = header_decoded (object, "Date");
  m->date_utc = date ? g_date_time_to_unix (date) : 0;
  m->date_offset = date ? (int) (g_date_time_get_utc_offset (date)
                                 / G_USEC_PER_SEC) : 0;
  m->return_path = return_path_addr (object, options);
  message_read_all_headers (m, object);
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
  static const struct {
    const char *name;
    const char *text;
  } entities[] = {
    { "&amp;", "&" }, { "&lt;", "<" }, { "&gt;", ">" }, { "&quot;", "\"" },
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
    "message/delivery-status", "message/feedback-report",
    "message/disposition-notification", "message/global-delivery-status",
    "application/json", "application/xml", "application/x-yaml",
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

/* The decoded size of a part that is not text: counted, not kept (a
 * 50 MB binary attachment must not cost 50 MB of memory). */
static gint64
part_size (GMimePart *part)
{
  GMimeDataWrapper *wrapper = g_mime_part_get_content (part);
  g_autoptr (GMimeStream) null = g_mime_stream_null_new ();

  if (wrapper == NULL)
    return 0;
  g_mime_data_wrapper_write_to_stream (wrapper, null);
  return (gint64) GMIME_STREAM_NULL (null)->written;
}

/* Decoded (transfer-encoding undone) content of a leaf part. */
static GByteArray *
part_content (GMimePart *part)
{
  GMimeDataWrapper *wrapper = g_mime_part_get_content (part);
  g_autoptr (GMimeStream) mem = g_mime_stream_mem_new ();
  GByteArray *bytes;

  if (wrapper != NULL)
    g_mime_data_wrapper_write_to_stream (wrapper, mem);
  bytes = g_mime_stream_mem_get_byte_array (GMIME_STREAM_MEM (mem));
  g_mime_stream_mem_set_owner (GMIME_STREAM_MEM (mem), FALSE);
  return bytes;
}

/* Removes carriage returns in place: decoded parts keep CRLF line ends. */
static void
strip_cr (char *text)
{
  char *out = text;

  for (const char *p = text; *p != '\0'; p++)
    if (*p != '\r')
      *out++ = *p;
  *out = '\0';
}

/* UTF-8 text of a part's bytes, within the cap, HTML reduced to text. */
static char *
part_text (Walk *walk, MessagePart *mp, GByteArray *bytes)
{
  CharsetResult result;
  gsize len = bytes->len;
  char *text;

  if (len > walk->limits->max_part_text)
    {
      len = walk->limits->max_part_text;
      walk->message->flags |= MESSAGE_FLAG_TEXT_LIMIT;
    }
  if (len > 0 && memchr (bytes->data, '\0', len) != NULL)
    walk->message->flags |= MESSAGE_FLAG_NUL_BYTES;
  text = charset_to_utf8 (mp->charset, (const char *) bytes->data, len,
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
  const char *charset = g_mime_object_get_content_type_parameter (object,
                                                                  "charset");

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

static void
walk_leaf (Walk *walk, GMimePart *part, MessagePart *mp)
{
  g_autoptr (GByteArray) bytes = NULL;

  if (!may_be_text (mp->content_type, mp->filename))
    {
      mp->size = part_size (part);
      return;
    }
  bytes = part_content (part);
  mp->size = bytes->len;
  if (!content_is_text (mp->content_type, bytes))
    return;
  mp->text = part_text (walk, mp, bytes);
  if (walk->text->len > 0)
    g_string_append_c (walk->text, '\n');
  g_string_append (walk->text, mp->text);
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
      g_autofree char *value = charset_decode_header (
        g_mime_header_get_raw_value (header));

      g_string_append_printf (text, "%s: %s\n",
                              g_mime_header_get_name (header), value);
    }
  mp->depth = depth;
  mp->forwarded = TRUE;
  mp->content_type = g_strdup ("text/rfc822-headers");
  mp->size = (gint64) text->len;
  mp->text = g_string_free (text, FALSE);
  g_ptr_array_add (walk->message->parts, mp);
  if (walk->text->len > 0)
    g_string_append_c (walk->text, '\n');
  g_string_append (walk->text, mp->text);
}

static void
walk_object (Walk *walk, GMimeObject *object, guint depth,
             gboolean forwarded)
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
  if (GMIME_IS_MULTIPART (object))
    {
      GMimeMultipart *multi = GMIME_MULTIPART (object);

      for (int i = 0; i < g_mime_multipart_get_count (multi); i++)
        walk_object (walk, g_mime_multipart_get_part (multi, i), depth + 1,
                     forwarded);
    }
  else if (GMIME_IS_MESSAGE_PART (object))
    {
      GMimeMessage *inner =
        g_mime_message_part_get_message (GMIME_MESSAGE_PART (object));

      if (inner == NULL)
        return;
      walk_forwarded_headers (walk, inner, depth);
      walk_object (walk, g_mime_message_get_mime_part (inner), depth + 1,
                   TRUE);
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
checksum_update_lf (GChecksum *sum, const char *data, gsize len)
{
  const char *end = data + len;

  while (data < end)
    {
      const char *cr = memchr (data, '\r', (gsize) (end - data));
      const char *stop = cr ? cr : end;

      g_checksum_update (sum, (const guchar *) data, stop - data);
      data = stop + (cr != NULL);
    }
}

/*
 * What makes two deliveries the same message: its Message-ID and the
 * body (after the first blank line), line ends normalised; without a
 * Message-ID, all of its bytes.  An MTA retry repeats both exactly.
 */
static char *
dedup_key (const char *message_id, const char *data, gsize len)
{
  g_autoptr (GChecksum) sum = g_checksum_new (G_CHECKSUM_SHA256);
  const char *body = data;

  if (message_id != NULL)
    {
      const char *lf = g_strstr_len (data, (gssize) len, "\n\n");
      /* A CRLF blank line counts only before the first LF one (which it
       * may overlap): no search of a whole 50 MB body for one. */
      const char *crlf = g_strstr_len (data, lf ? MIN ((gssize) (lf - data)
                                                       + 3, (gssize) len)
                                                : (gssize) len,
                                       "\r\n\r\n");

      body = lf && (!crlf || lf < crlf) ? lf + 2 : crlf ? crlf + 4 : data + len;
      g_checksum_update (sum, (const guchar *) message_id, -1);
      g_checksum_update (sum, (const guchar *) "\n", 1);
    }
  checksum_update_lf (sum, body, (gsize) (data + len - body));
  return g_strdup (g_checksum_get_string (sum));
}

/* The dedup key computed by a thread of its own while the parts are
 * decoded: on a 50 MB report SHA-256 was a fifth of the delivery. */
#define DEDUP_THREAD_MIN (1024 * 1024)

typedef struct {
  const char *message_id;
  const char *data;
  gsize len;
} DedupJob;

static gpointer
dedup_job (gpointer data)
{
  const DedupJob *job = data;

  return dedup_key (job->message_id, job->data, job->len);
}

/* Frees a GByteArray's struct, never the bytes it points at. */
static void
byte_array_release (GByteArray *array)
{
  g_byte_array_free (array, FALSE);
}

/*
 * Parses data in place: a GByteArray around the caller's bytes (which
 * stay the caller's: the stream does not own them) makes a seekable
 * stream, so GMime keeps each part as a window on it instead of a copy.
 * A 50 MB report then costs its 50 MB once, not three times.  GMime
 * reads CRLF and LF line ends alike; decoded text loses its CRs later.
 */
static GMimeMessage *
parse_mime (const char *data, gsize len, GMimeParserOptions *options)
{
  GByteArray *wrap = g_byte_array_new_take ((guint8 *) data, len);
  g_autoptr (GMimeStream) mem = g_mime_stream_mem_new_with_byte_array (wrap);
  g_autoptr (GMimeParser) parser = NULL;
  GMimeMessage *message;

  g_mime_stream_mem_set_owner (GMIME_STREAM_MEM (mem), FALSE);
  parser = g_mime_parser_new_with_stream (mem);
  g_mime_parser_set_format (parser, GMIME_FORMAT_MESSAGE);
  g_mime_parser_set_persist_stream (parser, TRUE);
  message = g_mime_parser_construct_message (parser, options);
  /* The parts hold the stream until the message goes: the wrapper is
   * freed (not its bytes) by message_parse when it is done with it. */
  g_object_set_data_full (G_OBJECT (mem), "madoguchi-wrap", wrap,
                          (GDestroyNotify) byte_array_release);
  return message;
}

Message *
message_parse (const char *data, gsize len, const MessageLimits *limits)
{
  g_autoptr (Message) m = g_new0 (Message, 1);
  GMimeParserOptions *options = g_mime_parser_options_new ();
  g_autoptr (GMimeMessage) mime = NULL;
  Walk walk = { m, limits, g_string_new (NULL) };
  gsize skip = mbox_line_length (data, len, &m->mbox_sender);
  DedupJob job = { NULL, data + skip, len - skip };
  GThread *hashing = NULL;

  m->headers = g_ptr_array_new_with_free_func (
    (GDestroyNotify) message_header_free);
  m->parts = g_ptr_array_new_with_free_func (
    (GDestroyNotify) message_part_free);
  g_mime_parser_options_set_warning_callback (options, parser_warning, m);
  if (len > 0 && memchr (data, '\0', len) != NULL)
    m->flags |= MESSAGE_FLAG_NUL_BYTES;
  if (len == skip)
    m->flags |= MESSAGE_FLAG_EMPTY | MESSAGE_FLAG_NO_HEADERS;
  else
    mime = parse_mime (data + skip, len - skip, options);
  if (mime != NULL)
    {
      message_read_headers (m, mime, options);
      job.message_id = m->message_id;
      if (job.len >= DEDUP_THREAD_MIN)
        hashing = g_thread_new ("dedup-key", dedup_job, &job);
      walk_object (&walk, g_mime_message_get_mime_part (mime), 0, FALSE);
    }
  else if (len > skip)
    {
      /* Nothing GMime could use: keep the bytes readable, at least. */
      g_autofree char *raw = charset_to_utf8 (NULL, data + skip, len - skip,
                                              NULL);

      m->flags |= MESSAGE_FLAG_MALFORMED | MESSAGE_FLAG_NO_HEADERS;
      g_string_append (walk.text, raw);
    }
  g_mime_parser_options_free (options);
  m->text = g_string_free (walk.text, FALSE);
  m->dedup_key = hashing != NULL ? g_thread_join (hashing)
                 : dedup_key (m->message_id, job.data, job.len);
  return g_steal_pointer (&m);
}
