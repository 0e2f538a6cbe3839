/*
 * message-headers.c - a message's headers, read from GMime: the ones
 * madoguchi names (From, Subject, the message-ids, Return-Path, Date)
 * and every outer header, decoded within a budget; and what the rest of
 * the house asks of a parsed Message's headers (automatic? a delivery
 * report? which of our Message-IDs came back?).
 */
#include <gmime/gmime.h>
#include <string.h>

#include "gmime-autoptr.h"
#include "madoguchi/charset.h"
#include "madoguchi/message.h"
#include "message-private.h"

#define MESSAGE_HEADERS_MAX 1000
/* Encoded-word decoding all the headers of one message may take (see
 * CharsetBudget); CHARSET_HEADER_*_MAX bound each header within it. */
#define MESSAGE_DECODE_RUNS 20000
#define MESSAGE_DECODE_OPENS 64

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

void
message_read_headers (Message *m, GMimeMessage *mime,
                      GMimeParserOptions *options)
{
  GMimeObject *object = GMIME_OBJECT (mime);
  GDateTime *date = g_mime_message_get_date (mime);
  const char *id = header_raw (object, "Message-ID");
  CharsetBudget budget = {
    .runs = MESSAGE_DECODE_RUNS,
    .opens = MESSAGE_DECODE_OPENS,
  };

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
