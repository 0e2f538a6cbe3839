/*
 * reply.c - decide on and build the acknowledgement of a report.
 *
 * An automatic reply is the classic source of mail loops, out-of-office
 * storms and backscatter to forged senders.  RFC 3834 is the floor; the
 * rest is what ticket systems learned the hard way (RT ignores List-Id,
 * OTRS marks its own replies auto-generated).  The reply never carries
 * the report's body or attachments: an auto-reply must not be a spam
 * reflector.  Only the subject, cleaned and shortened, is quoted.
 *
 * Nor must it be a way to mail someone else: whoever writes a report
 * chooses its From and Reply-To, so a Reply-To outside From's domain
 * (the same domain, or one of them below the other) is passed over for
 * From, the store limits replies per sender and per recipient domain as
 * well as per address, and what the reply copies from the report
 * (subject, references) is bounded.
 *
 * XXX: "the same domain or below" is stricter than the registrable
 * domain (a Reply-To at support.example.co.jp from sales.example.co.jp
 * is passed over for From), and the per-domain limit counts
 * a.example.org and b.example.org apart.  The Public Suffix List
 * (libpsl) would do both right; it is not among the project's
 * dependencies, and is a decision for the owners (issue 16's note).
 */
#include "madoguchi/reply.h"

#include <gmime/gmime.h>
#include <string.h>

#include "gmime-autoptr.h"
#include "madoguchi/charset.h"
#include "madoguchi/template.h"
#include "reply-pgp.h"

#define ADDRESS_MAX 254       /* RFC 5321 path limit */
#define SUBJECT_QUOTED_MAX 60 /* characters of the report's subject */
/* A Message-ID longer than this is not copied into our headers (RFC
 * 5322 allows 998 characters a line; real ones are under 100). */
#define MESSAGE_ID_MAX 250

void
reply_decision_clear (ReplyDecision *d)
{
  g_clear_pointer (&d->reason, g_free);
  g_clear_pointer (&d->recipient, g_free);
  g_clear_pointer (&d->sender, g_free);
  g_clear_pointer (&d->domain, g_free);
}

/* Local parts that belong to machines, not to people who read replies. */
static gboolean
automated_address (const char *address)
{
  static const char *const machines[] = {
    "mailer-daemon", "postmaster",   "noreply",      "no-reply",   "no_reply",
    "donotreply",    "do-not-reply", "do_not_reply", "bounce",     "bounces",
    "daemon",        "nobody",       "autoreply",    "auto-reply", "listserv",
    "majordomo",     "mailman",
  };
  const char *at;
  g_autofree char *local = NULL;

  if (address == NULL || *address == '\0')
    return FALSE;
  at = strchr (address, '@');
  local = g_ascii_strdown (address, at ? at - address : -1);
  for (gsize i = 0; i < G_N_ELEMENTS (machines); i++)
    if (strcmp (local, machines[i]) == 0
        || (g_str_has_prefix (local, machines[i])
            && strchr ("+-_.", local[strlen (machines[i])]) != NULL))
      return TRUE;
  return FALSE;
}

/* Whether domain can name a host: not empty, no empty label.  Dotless
 * ones too (user@localhost, a team's own test address, is as
 * deliverable as the MTA makes it); which characters reach the MTA is
 * single_mailbox's business. */
static gboolean
valid_domain (const char *domain)
{
  gsize len = strlen (domain);

  return len > 0 && domain[0] != '.' && domain[len - 1] != '.'
         && strstr (domain, "..") == NULL;
}

/* The only mailbox of header value, if it is exactly one valid one. */
static char *
single_mailbox (const char *value)
{
  g_autoptr (InternetAddressList) list = NULL;
  InternetAddress *a;
  const char *addr;
  const char *at;

  if (value == NULL || strlen (value) > 2 * ADDRESS_MAX)
    return NULL;
  list = internet_address_list_parse (NULL, value);
  if (list == NULL || internet_address_list_length (list) != 1)
    return NULL;
  a = internet_address_list_get_address (list, 0);
  if (!INTERNET_ADDRESS_IS_MAILBOX (a))
    return NULL; /* group syntax: "undisclosed-recipients:;" */
  addr = internet_address_mailbox_get_addr (INTERNET_ADDRESS_MAILBOX (a));
  at = addr ? strrchr (addr, '@') : NULL;
  if (at == NULL || at == addr || !valid_domain (at + 1)
      || strlen (addr) > ADDRESS_MAX || strpbrk (addr, " \t\r\n<>,;\"") != NULL)
    return NULL;
  return g_strdup (addr);
}

static gboolean
has_list_header (const Message *m)
{
  static const char *const lists[] = {
    "List-Id",   "List-Help",  "List-Unsubscribe", "List-Subscribe",
    "List-Post", "List-Owner", "List-Archive",
  };

  for (gsize i = 0; i < G_N_ELEMENTS (lists); i++)
    if (message_header (m, lists[i]) != NULL)
      return TRUE;
  return FALSE;
}

/* "dmarc=fail" in an Authentication-Results header of our own MTA (the
 * only one whose word counts: anyone can write such a header). */
gboolean
reply_dmarc_failed (const Config *config, const Message *m)
{
  gsize id_len = strlen (config->authserv_id);

  if (id_len == 0)
    return FALSE;
  for (guint i = 0; i < m->headers->len; i++)
    {
      const MessageHeader *h = m->headers->pdata[i];

      if (g_ascii_strcasecmp (h->name, "Authentication-Results") == 0
          && g_ascii_strncasecmp (h->value, config->authserv_id, id_len) == 0
          && strchr ("; \t", h->value[id_len]) != NULL
          && strstr (h->value, "dmarc=fail") != NULL)
        return TRUE;
    }
  return FALSE;
}

static gboolean
is_report (const Message *m)
{
  const MessagePart *top = m->parts->len ? m->parts->pdata[0] : NULL;

  return top != NULL && strcmp (top->content_type, "multipart/report") == 0;
}

static gboolean
loop_header_names_us (const Config *config, const Message *m)
{
  for (guint i = 0; i < m->headers->len; i++)
    {
      const MessageHeader *h = m->headers->pdata[i];

      if (g_ascii_strcasecmp (h->name, "X-Loop") == 0
          && strcasestr (h->value, config->team_address) != NULL)
        return TRUE;
    }
  return FALSE;
}

/* Why the message must not be answered automatically, or NULL. */
static const char *
suppression (const Config *config, const Message *m, const char *envelope)
{
  const char *precedence = message_header (m, "Precedence");

  if (envelope != NULL && *envelope == '\0')
    return "null envelope sender (a bounce)";
  if (automated_address (envelope) || automated_address (m->from_addr))
    return "the sender is a machine (MAILER-DAEMON, postmaster, no-reply)";
  if (message_is_automatic (m))
    return "an automatic reply (Auto-Submitted, X-Autoreply)";
  if (precedence != NULL
      && (strcasestr (precedence, "bulk") || strcasestr (precedence, "junk")
          || strcasestr (precedence, "list")))
    return "Precedence: bulk, junk or list";
  if (has_list_header (m))
    return "mailing list (List-*)";
  if (is_report (m))
    return "a delivery, disposition or feedback report";
  if (loop_header_names_us (config, m))
    return "our own loop header (X-Loop)";
  if (reply_dmarc_failed (config, m))
    return "DMARC failed at our MTA: the sender may be forged";
  return NULL;
}

char *
reply_domain (const char *address)
{
  const char *at = address ? strrchr (address, '@') : NULL;

  if (at == NULL || at[1] == '\0' || !g_utf8_validate (at + 1, -1, NULL))
    return NULL;
  return g_utf8_strdown (at + 1, -1);
}

/* Whether b's domain is a's or below it ("mail.example.org" is below
 * "example.org"; "badexample.org" is not). */
static gboolean
domain_within (const char *a, const char *b)
{
  gsize la = strlen (a);
  gsize lb = strlen (b);

  return la == lb
             ? strcmp (a, b) == 0
             : lb > la && b[lb - la - 1] == '.' && strcmp (b + lb - la, a) == 0;
}

/* Whether two addresses are in one domain, or one's below the other's. */
static gboolean
same_domain (const char *a, const char *b)
{
  g_autofree char *da = reply_domain (a);
  g_autofree char *db = reply_domain (b);

  return da != NULL && db != NULL
         && (domain_within (da, db) || domain_within (db, da));
}

/* Where the acknowledgement goes, or NULL with *why: Reply-To when it is
 * one mailbox in From's domain (or above or below it), else From. */
static char *
reply_address (const Message *m, const char *from, const char **why)
{
  const char *reply_to = message_header_raw (m, "Reply-To");
  g_autofree char *to = reply_to ? single_mailbox (reply_to) : NULL;

  *why = "no single valid reply address";
  if (from == NULL || (reply_to != NULL && to == NULL))
    return NULL;
  if (to != NULL && same_domain (to, from))
    return g_steal_pointer (&to);
  return g_strdup (from);
}

void
reply_decide (const Config *config, const Message *m, const char *envelope_from,
              ReplyDecision *d)
{
  const char *why = config->acknowledge ? suppression (config, m, envelope_from)
                                        : "acknowledgements are off";
  g_autofree char *from = NULL;

  d->send = FALSE;
  if (why != NULL)
    {
      d->reason = g_strdup (why);
      return;
    }
  from = single_mailbox (message_header_raw (m, "From"));
  d->recipient = reply_address (m, from, &why);
  if (d->recipient == NULL)
    d->reason = g_strdup (why);
  else if (g_ascii_strcasecmp (d->recipient, config->team_address) == 0)
    d->reason = g_strdup ("the sender is our own address");
  else if (automated_address (d->recipient))
    d->reason = g_strdup ("the reply address is a machine");
  else
    {
      d->send = TRUE;
      d->reason = g_strdup ("acknowledged");
      d->sender = g_ascii_strdown (from, -1);
      d->domain = reply_domain (d->recipient);
      return;
    }
  g_clear_pointer (&d->recipient, g_free);
}

static gboolean
has_japanese (const char *text, gsize max)
{
  const char *end;

  if (text == NULL)
    return FALSE;
  end = text + MIN (strlen (text), max);
  for (const char *p = text; p < end; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);

      if ((c >= 0x3040 && c <= 0x30FF) || (c >= 0x4E00 && c <= 0x9FFF))
        return TRUE;
    }
  return FALSE;
}

static gboolean
japanese_charset (const Message *m)
{
  static const char *const charsets[] = {
    "iso-2022-jp", "shift_jis", "shift-jis",   "sjis",
    "euc-jp",      "cp932",     "windows-31j",
  };

  for (guint i = 0; i < m->parts->len; i++)
    {
      const MessagePart *p = m->parts->pdata[i];

      for (gsize j = 0; p->charset != NULL && j < G_N_ELEMENTS (charsets); j++)
        if (g_ascii_strcasecmp (p->charset, charsets[j]) == 0)
          return TRUE;
    }
  return FALSE;
}

/* Japanese in the first 64 KiB of a part's text. */
static gboolean
japanese_text (const Message *m)
{
  for (guint i = 0; i < m->parts->len; i++)
    {
      const MessagePart *p = m->parts->pdata[i];

      if (has_japanese (p->text, 65536))
        return TRUE;
    }
  return FALSE;
}

static gboolean
ascii_text (const Message *m)
{
  for (guint i = 0; i < m->parts->len; i++)
    {
      const MessagePart *p = m->parts->pdata[i];

      if (p->text != NULL && !g_str_is_ascii (p->text))
        return FALSE;
    }
  return TRUE;
}

const char *
reply_language (const Config *config, const Message *m)
{
  if (strcmp (config->ack_language, "auto") != 0)
    return config->ack_language;
  if (japanese_charset (m) || has_japanese (m->subject, 4096)
      || japanese_text (m))
    return "ja";
  /* Plain English is English; anything else gets both languages. */
  if (ascii_text (m) && (m->subject == NULL || g_str_is_ascii (m->subject)))
    return "en";
  return "bilingual";
}

/* The report's subject without our tag or reply prefixes, shortened. */
static char *
quoted_subject (const Message *m)
{
  g_autofree char *s = g_strdup (m->subject ? m->subject : "");
  char *p = g_strstrip (s);
  GString *out = g_string_new (NULL);
  glong n = 0;

  while (g_ascii_strncasecmp (p, "re:", 3) == 0
         || g_ascii_strncasecmp (p, "fw:", 3) == 0
         || g_ascii_strncasecmp (p, "fwd:", 4) == 0)
    p = g_strchug (strchr (p, ':') + 1);
  for (; *p != '\0' && n < SUBJECT_QUOTED_MAX; p = g_utf8_next_char (p), n++)
    g_string_append_unichar (out, g_utf8_get_char (p));
  if (*p != '\0')
    g_string_append (out, "…");
  return g_string_free (out, FALSE);
}

static char *
fill_template (const char *text, const Config *config, const ReplyTicket *t,
               const char *subject)
{
  g_autoptr (GDateTime) received
      = g_date_time_new_from_unix_local (t->received);
  g_autofree char *when = g_date_time_format (received, "%Y-%m-%d %H:%M %z");
  const char *const names[]
      = { "{number}",    "{tag}",          "{received}", "{subject}",
          "{team_name}", "{team_address}", "{category}" };
  const char *const values[] = {
    t->number,  t->tag, when, subject, config->team_name, config->team_address,
    t->category
  };
  return template_fill (text, names, values, G_N_ELEMENTS (names));
}

/* A text/plain part of body, in ISO-2022-JP when asked and possible
 * (older Japanese readers want it), else UTF-8. */
static GMimeObject *
body_part (const Config *config, const char *body)
{
  GMimeTextPart *part = g_mime_text_part_new_with_subtype ("plain");
  g_autofree char *jis = NULL;

  if (g_ascii_strcasecmp (config->ack_charset, "iso-2022-jp") == 0)
    jis = g_convert (body, -1, "ISO-2022-JP", "UTF-8", NULL, NULL, NULL);
  if (jis != NULL)
    {
      g_autoptr (GMimeStream) stream
          = g_mime_stream_mem_new_with_buffer (jis, strlen (jis));
      g_autoptr (GMimeDataWrapper) wrapper
          = g_mime_data_wrapper_new_with_stream (stream,
                                                 GMIME_CONTENT_ENCODING_7BIT);

      g_mime_part_set_content (GMIME_PART (part), wrapper);
      g_mime_object_set_content_type_parameter (GMIME_OBJECT (part), "charset",
                                                "ISO-2022-JP");
      g_mime_part_set_content_encoding (GMIME_PART (part),
                                        GMIME_CONTENT_ENCODING_7BIT);
      return GMIME_OBJECT (part);
    }
  g_mime_text_part_set_text (part, body);
  g_mime_text_part_set_charset (part, "UTF-8");
  g_mime_part_set_content_encoding (
      GMIME_PART (part), g_str_is_ascii (body) ? GMIME_CONTENT_ENCODING_7BIT
                                               : GMIME_CONTENT_ENCODING_BASE64);
  return GMIME_OBJECT (part);
}

/* Whether id (without <>) may go into our headers as it is. */
static gboolean
usable_message_id (const char *id)
{
  gsize len = id ? strlen (id) : 0;

  if (len == 0 || len > MESSAGE_ID_MAX)
    return FALSE;
  for (const guchar *p = (const guchar *) id; *p != '\0'; p++)
    if (*p <= ' ' || *p >= 0x7F || *p == '<' || *p == '>')
      return FALSE;
  return TRUE;
}

/* In-Reply-To the report, and References: the report's last
 * REPLY_REFERENCES_KEPT references and its own Message-ID.  Enough to
 * thread the reply for the reporter; the rest of a long chain is theirs
 * (RFC 5322 3.6.4 lets a reply trim References), and copying it whole
 * made a 20,000-ID References a megabyte of acknowledgement. */
static void
set_threading (GMimeMessage *msg, const Message *m)
{
  g_auto (GStrv) old
      = m->references ? g_strsplit (m->references, " ", -1) : NULL;
  GPtrArray *kept = g_ptr_array_new ();
  g_autofree char *id = NULL;
  GString *refs;

  if (!usable_message_id (m->message_id))
    {
      g_ptr_array_free (kept, TRUE);
      return;
    }
  for (int i = old ? (int) g_strv_length (old) - 1 : -1;
       i >= 0 && kept->len < REPLY_REFERENCES_KEPT; i--)
    if (usable_message_id (old[i]) && strcmp (old[i], m->message_id) != 0)
      g_ptr_array_add (kept, old[i]);
  refs = g_string_new (NULL);
  for (guint i = kept->len; i > 0; i--)
    g_string_append_printf (refs, "<%s> ", (char *) kept->pdata[i - 1]);
  id = g_strdup_printf ("<%s>", m->message_id);
  g_string_append (refs, id);
  g_mime_object_set_header (GMIME_OBJECT (msg), "In-Reply-To", id, NULL);
  g_mime_object_set_header (GMIME_OBJECT (msg), "References", refs->str, NULL);
  g_string_free (refs, TRUE);
  g_ptr_array_free (kept, TRUE);
}

static void
set_headers (GMimeMessage *msg, const Config *config, const char *recipient,
             const char *subject, const char *message_id)
{
  GMimeObject *obj = GMIME_OBJECT (msg);
  g_autoptr (GDateTime) now = g_date_time_new_now_local ();
  const char *charset
      = g_ascii_strcasecmp (config->ack_charset, "iso-2022-jp") == 0
            ? "iso-2022-jp"
            : "utf-8";

  g_mime_message_add_mailbox (msg, GMIME_ADDRESS_TYPE_FROM, config->team_name,
                              config->team_address);
  g_mime_message_add_mailbox (msg, GMIME_ADDRESS_TYPE_TO, NULL, recipient);
  g_mime_message_set_subject (msg, subject, charset);
  g_mime_message_set_date (msg, now);
  g_mime_message_set_message_id (msg, message_id);
  g_mime_object_set_header (obj, "Auto-Submitted", "auto-replied", NULL);
  g_mime_object_set_header (obj, "Precedence", "bulk", NULL);
  g_mime_object_set_header (obj, "X-Auto-Response-Suppress", "All", NULL);
  g_mime_object_set_header (obj, "X-Loop", config->team_address, NULL);
}

GBytes *
reply_build (const Config *config, const ReplyReport *report,
             const ReplyTicket *t, char **message_id, GError **error)
{
  const Message *m = report->message;
  const char *language = reply_language (config, m);
  g_autofree char *template
      = template_read (config->rules_dir, "ack", language, error);
  g_autofree char *quoted = quoted_subject (m);
  g_autofree char *body = NULL;
  g_autofree char *subject = NULL;
  g_autoptr (GMimeMessage) msg = NULL;
  g_autoptr (GMimeObject) part = NULL;
  const char *at = strrchr (config->team_address, '@');
  char *text;

  if (template == NULL)
    return NULL;
  body = fill_template (template, config, t, quoted);
  subject = g_strdup_printf ("Re: %s %s", t->tag, quoted);
  *message_id = g_mime_utils_generate_message_id (at ? at + 1 : "localhost");
  msg = g_mime_message_new (TRUE);
  set_headers (msg, config, report->recipient, subject, *message_id);
  set_threading (msg, m);
  part = body_part (config, body);
  if (config->pgp_sign && !reply_pgp_protect (config, &part, NULL, error))
    {
      g_clear_pointer (message_id, g_free);
      return NULL;
    }
  g_mime_message_set_mime_part (msg, part);
  text = g_mime_object_to_string (GMIME_OBJECT (msg), NULL);
  if (strlen (text) > REPLY_MAX_BYTES)
    {
      g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_FAILED,
                   "the acknowledgement would be %zu bytes (at most %d)",
                   strlen (text), REPLY_MAX_BYTES);
      g_free (text);
      g_clear_pointer (message_id, g_free);
      return NULL;
    }
  return g_bytes_new_take (text, strlen (text));
}
