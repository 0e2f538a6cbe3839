/*
 * test-message.c - message_parse on the corpus and on generated mail.
 *
 * tests/data/MANIFEST lists what each corpus file must yield (one test
 * per line, "contains" checks on decoded UTF-8).  The generated cases are
 * the hostile ones: random bytes must not crash (the limits:
 * test-message-limits.c).
 */
#include <glib/gstdio.h>
#include <string.h>
#include <unistd.h>

#include "../support/message-test.h"
#include "madoguchi/message.h"

static Message *
parse_data (const char *name)
{
  gsize len;
  g_autofree char *data = read_data (name, &len);

  return message_parse (data, len, &default_limits);
}

typedef struct
{
  char *file;
  char *field;
  char *expected;
} ManifestCase;

static void
manifest_case_free (gpointer data)
{
  ManifestCase *c = data;

  g_free (c->file);
  g_free (c->field);
  g_free (c->expected);
  g_free (c);
}

/* (transfer full) a field of m, by its MANIFEST name. */
static char *
message_field (const Message *m, const char *field)
{
  if (strcmp (field, "subject") == 0)
    return g_strdup (m->subject);
  if (strcmp (field, "text") == 0)
    return report_message_text (m);
  if (strcmp (field, "from") == 0)
    return g_strdup (m->from);
  if (strcmp (field, "message_id") == 0)
    return g_strdup (m->message_id);
  g_error ("MANIFEST: unknown field \"%s\"", field);
  return NULL;
}

static void
test_manifest (gconstpointer data)
{
  const ManifestCase *c = data;
  g_autoptr (Message) m = parse_data (c->file);
  g_autofree char *value = message_field (m, c->field);

  g_assert_nonnull (value);
  g_assert_true (g_utf8_validate (value, -1, NULL));
  if (strstr (value, c->expected) == NULL)
    g_error ("%s: %s \"%s\" does not contain \"%s\"", c->file, c->field, value,
             c->expected);
}

/* One test per assertion line of MANIFEST. */
static void
add_manifest_tests (void)
{
  g_autofree char *text = read_data ("MANIFEST", NULL);
  g_auto (GStrv) lines = g_strsplit (text, "\n", -1);
  guint added = 0;

  for (guint i = 0; lines[i] != NULL; i++)
    {
      g_auto (GStrv) fields = NULL;
      g_autofree char *path = NULL;
      ManifestCase *c;

      if (lines[i][0] == '#' || lines[i][0] == '\0')
        continue;
      fields = g_strsplit (lines[i], "\t", 3);
      g_assert_cmpuint (g_strv_length (fields), ==, 3);
      c = g_new0 (ManifestCase, 1);
      c->file = g_strdup (fields[0]);
      c->field = g_strdup (fields[1]);
      c->expected = g_strdup (fields[2]);
      path = g_strdup_printf ("/message/manifest/%s/%s/line%u", c->file,
                              c->field, i + 1);
      g_test_add_data_func_full (path, c, test_manifest, manifest_case_free);
      added++;
    }
  g_assert_cmpuint (added, >, 50);
}

typedef struct
{
  const char *path;
  const char *file;
  MessageFlags set;   /* flags that must be set */
  MessageFlags clear; /* flags that must not be */
} FlagCase;

static const FlagCase flag_cases[] = {
  { "/message/flags/empty", "empty.eml",
    MESSAGE_FLAG_EMPTY | MESSAGE_FLAG_NO_HEADERS, MESSAGE_FLAG_MALFORMED },
  { "/message/flags/nul-bytes", "nul-bytes.eml", MESSAGE_FLAG_NUL_BYTES,
    MESSAGE_FLAG_EMPTY },
  { "/message/flags/malformed", "malformed-mime.eml", MESSAGE_FLAG_MALFORMED,
    MESSAGE_FLAG_EMPTY | MESSAGE_FLAG_NO_HEADERS },
  { "/message/flags/headers-only", "headers-only.eml", 0,
    MESSAGE_FLAG_EMPTY | MESSAGE_FLAG_NO_HEADERS },
  { "/message/flags/plain", "plain-english.eml", 0, ~(MessageFlags) 0 },
  { "/message/flags/charset", "undeclared-8bit.eml", MESSAGE_FLAG_CHARSET,
    MESSAGE_FLAG_MALFORMED },
};

static void
test_flags (gconstpointer data)
{
  const FlagCase *c = data;
  g_autoptr (Message) m = parse_data (c->file);

  g_assert_cmpint (m->flags & c->set, ==, c->set);
  g_assert_cmpint (m->flags & c->clear, ==, 0);
  g_assert_nonnull (m->dedup_key);
  g_assert_cmpuint (strlen (m->dedup_key), ==, 64);
}

static void
test_empty (void)
{
  g_autoptr (Message) m = parse_data ("empty.eml");
  g_autofree char *text = report_message_text (m);

  g_assert_cmpstr (text, ==, "");
  g_assert_cmpuint (m->parts->len, ==, 0);
  g_assert_null (m->subject);
  g_assert_null (m->message_id);
}

static void
test_headers_only (void)
{
  g_autoptr (Message) m = parse_data ("headers-only.eml");

  g_assert_cmpstr (m->subject, ==, "Heartbeat: sensor 203.0.113.5 alive");
  g_assert_cmpstr (m->from_addr, ==, "monitor@example.org");
  g_assert_cmpint (m->date_utc, ==, 1795507200);
}

static void
test_flags_to_string (void)
{
  g_autofree char *none = report_flags_to_string (0);
  g_autofree char *two
      = report_flags_to_string (MESSAGE_FLAG_EMPTY | MESSAGE_FLAG_NUL_BYTES);
  g_autofree char *last = report_flags_to_string (MESSAGE_FLAG_NO_HEADERS);

  g_assert_cmpstr (none, ==, "");
  g_assert_cmpstr (two, ==, "nul-bytes,empty");
  g_assert_cmpstr (last, ==, "no-headers");
}

static void
test_mbox_sender (void)
{
  g_autoptr (Message) m = parse_data ("crlf-mbox.eml");
  g_autoptr (Message) daemon = parse_string (
      "From MAILER-DAEMON Tue Nov 24 10:00:00 2026\n"
      "From: <postmaster@example.net>\nSubject: bounce\n\nbody\n",
      &default_limits);
  g_autoptr (Message) none = parse_data ("plain-english.eml");

  g_assert_cmpstr (m->mbox_sender, ==, "reporter@example.net");
  g_assert_cmpstr (m->from_addr, ==, "reporter@example.net");
  g_assert_false (g_str_has_prefix (text_of (m), "From "));
  g_assert_cmpstr (daemon->mbox_sender, ==, "");
  g_assert_cmpstr (daemon->subject, ==, "bounce");
  g_assert_null (none->mbox_sender);
}

/* UTF-16 text keeps its zero bytes for decoding. */
static void
test_utf16_part (void)
{
  g_autoptr (Message) m = parse_string (
      "From: a@example.com\nSubject: utf-16\nMIME-Version: 1.0\n"
      "Content-Type: text/plain; charset=utf-16le\n"
      "Content-Transfer-Encoding: base64\n\n"
      "YQBiAGMA\n",
      &default_limits);
  const MessagePart *part;

  g_assert_cmpuint (m->parts->len, ==, 1);
  part = g_ptr_array_index (m->parts, 0);
  g_assert_cmpstr (part->text, ==, "abc");
  g_assert_nonnull (strstr (text_of (m), "abc"));
}

static void
test_html_corpus (void)
{
  g_autoptr (Message) m = parse_data ("html-only.eml");
  static const char *const present[] = {
    "Dear CERT,",
    "R&D",
    "<admin>",
    "\"test\"",
    "あいう",
    "192.0.2.77",
    "Security Operations, Example Corp",
  };
  static const char *const absent[] = {
    "tracking", "document.title", "font-family", "<p>",
    "<span",    "&amp;",          "&#12354;",    "<table",
  };

  for (gsize i = 0; i < G_N_ELEMENTS (present); i++)
    g_assert_nonnull (strstr (text_of (m), present[i]));
  for (gsize i = 0; i < G_N_ELEMENTS (absent); i++)
    g_assert_null (strstr (text_of (m), absent[i]));
}

static void
test_html_generated (void)
{
  g_autoptr (Message) m = parse_string (
      "From: a@example.com\nSubject: html\nMIME-Version: 1.0\n"
      "Content-Type: text/html; charset=utf-8\n\n"
      "<HTML><HEAD><STYLE>p { color: red }</STYLE>\n"
      "<Script type=\"text/javascript\">alert('x')</SCRIPT></HEAD>\n"
      "<BODY><P>before</P><SCRIPT>var hidden = 1;</SCRIPT>"
      "<div>after &lt;b&gt; &#x3042;</div></BODY></HTML>\n",
      &default_limits);
  const MessagePart *part;

  g_assert_nonnull (strstr (text_of (m), "before"));
  g_assert_nonnull (strstr (text_of (m), "after <b> あ"));
  g_assert_null (strstr (text_of (m), "color"));
  g_assert_null (strstr (text_of (m), "alert"));
  g_assert_null (strstr (text_of (m), "hidden"));
  g_assert_null (strstr (text_of (m), "<div"));
  g_assert_null (strchr (text_of (m), '{'));
  part = g_ptr_array_index (m->parts, 0);
  g_assert_cmpstr (part->content_type, ==, "text/html");
}

/* A closing tag in another case than its opening tag: the text between
 * one script and the next stays. */
static void
test_html_mixed_case (void)
{
  g_autoptr (Message) m
      = parse_string ("From: a@example.com\nSubject: html\nMIME-Version: 1.0\n"
                      "Content-Type: text/html; charset=utf-8\n\n"
                      "<SCRIPT>x()</SCRIPT><p>EVIDENCE 192.0.2.1</p>"
                      "<script>y()</script>tail\n",
                      &default_limits);

  g_assert_nonnull (strstr (text_of (m), "EVIDENCE 192.0.2.1"));
  g_assert_nonnull (strstr (text_of (m), "tail"));
  g_assert_null (strstr (text_of (m), "x()"));
  g_assert_null (strstr (text_of (m), "y()"));
}

static void
test_forwarded (void)
{
  g_autoptr (Message) m = parse_data ("forwarded.eml");
  gboolean outer_text = FALSE;
  gboolean inner_text = FALSE;
  gboolean rfc822 = FALSE;
  gboolean headers = FALSE;

  g_assert_nonnull (strstr (text_of (m),
                            "Received: from relay.lucky.example.com"
                            " (unknown [198.51.100.23])"));
  g_assert_nonnull (strstr (text_of (m), "Subject: 【重要】当選のお知らせ"));
  g_assert_nonnull (strstr (text_of (m), "From: \"Lucky Prize Center\" "
                                         "<campaign@lucky.example.com>"));
  for (guint i = 0; i < m->parts->len; i++)
    {
      const MessagePart *part = g_ptr_array_index (m->parts, i);

      if (strcmp (part->content_type, "message/rfc822") == 0)
        {
          rfc822 = TRUE;
          g_assert_false (part->forwarded);
        }
      else if (strcmp (part->content_type, "text/rfc822-headers") == 0)
        {
          headers = TRUE;
          g_assert_true (part->forwarded);
          g_assert_nonnull (strstr (part->text, "Received: from relay."
                                                "lucky.example.com"));
        }
      else if (part->text != NULL && strstr (part->text, "forwarding"))
        {
          outer_text = TRUE;
          g_assert_false (part->forwarded);
        }
      else if (part->text != NULL && strstr (part->text, "Congratulations"))
        {
          inner_text = TRUE;
          g_assert_true (part->forwarded);
          g_assert_cmpuint (part->depth, ==, 2);
        }
    }
  g_assert_true (rfc822 && headers && outer_text && inner_text);
  /* The outer message's own headers stay the outer ones. */
  g_assert_cmpstr (m->from_addr, ==, "tanaka@example.org");
}

/* Random bytes, and a real message cut at every length: never a crash,
 * always valid UTF-8 text and a key. */
static void
test_random (void)
{
  gsize len;
  g_autofree char *mail = read_data ("multipart-log.eml", &len);

  for (gsize cut = 0; cut <= len; cut += 97)
    {
      g_autoptr (Message) m = message_parse (mail, cut, &default_limits);

      g_assert_true (g_utf8_validate (text_of (m), -1, NULL));
      g_assert_nonnull (m->dedup_key);
    }
  for (int i = 0; i < 300; i++)
    {
      gsize n = (gsize) g_test_rand_int_range (0, 2048);
      g_autofree guchar *bytes = g_malloc (n + 1);
      g_autoptr (Message) m = NULL;

      for (gsize j = 0; j < n; j++)
        bytes[j] = (guchar) g_test_rand_int_range (0, 256);
      m = message_parse ((const char *) bytes, n, &default_limits);
      g_assert_true (g_utf8_validate (text_of (m), -1, NULL));
      g_assert_nonnull (m->dedup_key);
    }
}

/*
 * Message-ids are parsed as msg-ids (RFC 5322, section 3.6.4) from the
 * raw header: never RFC 2047-decoded, never holding a space or a
 * control, so that the acknowledgement's In-Reply-To is a clean <id>
 * (issue 16: "=?utf-8?Q?=0D=0ABcc:...?=" inside an id became a line
 * break and a Bcc).  expected NULL: no id kept.
 */
typedef struct
{
  const char *path;
  const char *header;   /* "Name: value", without the line end */
  const char *expected; /* of the field the header name gives */
} MsgIdCase;

static const MsgIdCase msg_id_cases[] = {
  { "/message/msg-id/plain", "Message-ID: <a.1@example.net>",
    "a.1@example.net" },
  { "/message/msg-id/folded-comment",
    "Message-ID: (c <no@pe>)\n <a@example.net> (tail)", "a@example.net" },
  { "/message/msg-id/bare", "Message-ID:  bare@example.net ",
    "bare@example.net" },
  { "/message/msg-id/quoted-and-literal", "Message-ID: <\"q.1\"@[192.0.2.1]>",
    "\"q.1\"@[192.0.2.1]" },
  { "/message/msg-id/encoded-crlf",
    "Message-ID: <a=?utf-8?Q?=0D=0ABcc:_victim2@evil.example?=@x>", NULL },
  { "/message/msg-id/encoded-literal",
    "Message-ID: <=?utf-8?Q?abc?=@x.example>", "=?utf-8?Q?abc?=@x.example" },
  { "/message/msg-id/encoded-whole",
    "Message-ID: =?utf-8?Q?=3Ca=40b=3E?=", NULL },
  { "/message/msg-id/space", "Message-ID: <a b@example.net>", NULL },
  { "/message/msg-id/folded-inside", "Message-ID: <a\n @example.net>", NULL },
  { "/message/msg-id/no-at", "Message-ID: <no-at-sign>", NULL },
  { "/message/msg-id/8bit", "Message-ID: <\xE6\x97\xA5@example.net>", NULL },
  { "/message/in-reply-to/two",
    "In-Reply-To: <x@y.example>\n =?utf-8?Q?=0D=0ABcc:_v@e.example?=\n"
    " <z@w.example>",
    "x@y.example z@w.example" },
  { "/message/in-reply-to/old-style",
    "In-Reply-To: Your message of \"Mon, 1 Jan\" <old@host.example>",
    "old@host.example" },
  { "/message/references/encoded-kept",
    "References: <a=?utf-8?Q?_b?=@x.example> <c@d.example>",
    "a=?utf-8?Q?_b?=@x.example c@d.example" },
  { "/message/references/bad-skipped",
    "References: <a b@x> <ok@x.example> <c@d\n>", "ok@x.example" },
};

static void
test_msg_id (gconstpointer data)
{
  const MsgIdCase *c = data;
  g_autofree char *mail = g_strdup_printf (
      "From: r@example.org\n%s\nSubject: ids\n\nbody\n", c->header);
  g_autoptr (Message) m = parse_string (mail, &default_limits);
  const char *value = m->message_id;

  if (g_str_has_prefix (c->header, "In-Reply-To:"))
    value = m->in_reply_to;
  else if (g_str_has_prefix (c->header, "References:"))
    value = m->references;
  g_assert_cmpstr (value, ==, c->expected);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  message_init ();
  add_manifest_tests ();
  for (gsize i = 0; i < G_N_ELEMENTS (flag_cases); i++)
    g_test_add_data_func (flag_cases[i].path, &flag_cases[i], test_flags);
  g_test_add_func ("/message/flags/to-string", test_flags_to_string);
  g_test_add_func ("/message/empty", test_empty);
  g_test_add_func ("/message/headers-only", test_headers_only);
  g_test_add_func ("/message/mbox-sender", test_mbox_sender);
  g_test_add_func ("/message/charset/utf-16", test_utf16_part);
  g_test_add_func ("/message/html/corpus", test_html_corpus);
  g_test_add_func ("/message/html/generated", test_html_generated);
  g_test_add_func ("/message/html/mixed-case", test_html_mixed_case);
  g_test_add_func ("/message/forwarded", test_forwarded);
  g_test_add_func ("/message/random", test_random);
  for (gsize i = 0; i < G_N_ELEMENTS (msg_id_cases); i++)
    g_test_add_data_func (msg_id_cases[i].path, &msg_id_cases[i], test_msg_id);
  return g_test_run ();
}
