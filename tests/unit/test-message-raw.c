/*
 * test-message-raw.c - a message's bytes as message_parse_raw reads
 * them: the dedup key (line ends, an mbox line and the Message-ID) and a
 * big message read from its file, which must parse as it does in memory.
 */
#include <glib/gstdio.h>
#include <string.h>
#include <unistd.h>

#include "../support/message-test.h"
#include "madoguchi/message.h"

static char *
lf_to_crlf (const char *text)
{
  g_auto (GStrv) lines = g_strsplit (text, "\n", -1);

  return g_strjoinv ("\r\n", lines);
}

static char *
dedup_key_of (const char *text)
{
  g_autoptr (Message) m = parse_string (text, &default_limits);

  return g_strdup (m->dedup_key);
}

static void
test_dedup (gconstpointer data)
{
  const char *name = data;
  g_autofree char *lf = read_data (name, NULL);
  g_autofree char *crlf = lf_to_crlf (lf);
  g_autofree char *changed = g_strconcat (lf, "one more line\n", NULL);
  g_autofree char *key_lf = dedup_key_of (lf);
  g_autofree char *key_crlf = dedup_key_of (crlf);
  g_autofree char *key_changed = dedup_key_of (changed);

  g_assert_cmpstr (key_lf, ==, key_crlf);
  g_assert_cmpstr (key_lf, !=, key_changed);
}

/* A report of a megabyte or more has its key computed while its parts
 * are decoded: the same key, SHA-256 of the Message-ID, a newline and
 * the body with LF line ends, whichever line ends it came with. */
static void
test_dedup_large (void)
{
  GString *body = g_string_new (NULL);
  g_autofree char *lf = NULL, *crlf = NULL, *key_lf = NULL, *key_crlf = NULL;
  g_autoptr (GChecksum) sum = g_checksum_new (G_CHECKSUM_SHA256);

  while (body->len < 1536 * 1024)
    g_string_append (body, "Jun 20 22:13:29 mx1 sshd[1913]: Failed password "
                           "for root from 192.0.2.7 port 34843 ssh2\n");
  lf = g_strconcat ("From: a@example.net\nSubject: big log\n"
                    "Message-ID: <big@example.net>\n\n",
                    body->str, NULL);
  crlf = lf_to_crlf (lf);
  key_lf = dedup_key_of (lf);
  key_crlf = dedup_key_of (crlf);
  g_checksum_update (sum, (const guchar *) "big@example.net\n", -1);
  g_checksum_update (sum, (const guchar *) body->str, (gssize) body->len);
  g_assert_cmpstr (key_lf, ==, g_checksum_get_string (sum));
  g_assert_cmpstr (key_crlf, ==, key_lf);
  g_string_free (body, TRUE);
}

/* Parses len bytes from a file, as deliver does a big spool entry (which
 * is read as GMime goes, never into memory whole). */
static Message *
parse_from_file (const char *bytes, gsize len, const MessageLimits *limits)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *path = NULL;
  g_autoptr (Raw) raw = NULL;
  Message *m;
  int fd = g_file_open_tmp ("test-message-XXXXXX", &path, &error);

  g_assert_no_error (error);
  close (fd);
  g_assert_true (g_file_set_contents (path, bytes, (gssize) len, &error));
  raw = raw_open (path, 0, &error);
  g_assert_no_error (error);
  g_assert_null (raw_get_bytes (raw)); /* big: read from the file */
  m = message_parse_raw (raw, limits, &error);
  g_assert_no_error (error);
  g_unlink (path);
  return m;
}

static void
assert_same_message (const Message *a, const Message *b)
{
  g_assert_cmpstr (a->dedup_key, ==, b->dedup_key);
  g_assert_cmpint (a->flags, ==, b->flags);
  g_assert_cmpstr (a->mbox_sender, ==, b->mbox_sender);
  g_assert_cmpstr (a->message_id, ==, b->message_id);
  g_assert_cmpstr (a->subject, ==, b->subject);
  g_assert_cmpstr (text_of (a), ==, text_of (b));
  g_assert_cmpuint (a->parts->len, ==, b->parts->len);
  for (guint i = 0; i < a->parts->len; i++)
    {
      const MessagePart *pa = a->parts->pdata[i], *pb = b->parts->pdata[i];

      g_assert_cmpstr (pa->content_type, ==, pb->content_type);
      g_assert_cmpint (pa->size, ==, pb->size);
      g_assert_cmpstr (pa->text, ==, pb->text);
    }
}

/* A log of at least len bytes. */
static GString *
big_log (gsize len)
{
  GString *log = g_string_new (NULL);

  while (log->len < len)
    g_string_append_printf (log,
                            "Jun 20 22:13:%02u mx1 sshd[%u]: Failed "
                            "password for root from 192.0.2.%u port 22\n",
                            (guint) (log->len % 60), (guint) log->len,
                            (guint) (log->len % 250) + 1);
  return log;
}

/* A message with a big base64 attachment (and a NUL past the first
 * chunk, when asked), LF or CRLF, with or without an mbox line. */
static char *
big_report (gboolean crlf, gboolean mbox, gboolean nul)
{
  g_autoptr (GString) log = big_log (1500 * 1024);
  g_autofree char *b64 = NULL;
  char *lf;

  if (nul)
    log->str[RAW_CHUNK + 1000] = '\0';
  b64 = g_base64_encode ((const guchar *) log->str, log->len);
  lf = g_strdup_printf (
      "%sFrom: a@example.net\nSubject: big log\n"
      "Message-ID: <big@example.net>\nMIME-Version: 1.0\n"
      "Content-Type: multipart/mixed; boundary=b\n\n--b\n"
      "Content-Type: text/plain\n\nLogs attached.\n--b\n"
      "Content-Type: text/plain; name=big.log\n"
      "Content-Transfer-Encoding: base64\n\n%s\n--b--\n",
      mbox ? "From a@example.net Tue Nov 24 10:00:00 2026\n" : "", b64);
  if (!crlf)
    return lf;
  {
    g_autofree char *owned = lf;

    return lf_to_crlf (owned);
  }
}

/* A big message parsed from its file is the message parsed in memory:
 * the same key, flags, headers, parts and text (the text cap applied
 * the same way while the rest of a part is only counted). */
static void
test_file_same_as_memory (void)
{
  const MessageLimits small_text
      = { .max_depth = 32, .max_parts = 1000, .max_part_text = 100 * 1024 };
  const MessageLimits *limits[] = { &default_limits, &small_text };

  for (int variant = 0; variant < 8; variant++)
    for (gsize l = 0; l < G_N_ELEMENTS (limits); l++)
      {
        g_autofree char *raw
            = big_report (variant & 1, variant & 2, variant & 4);
        gsize len = strlen (raw);
        g_autoptr (Message) memory = message_parse (raw, len, limits[l]);
        g_autoptr (Message) file = parse_from_file (raw, len, limits[l]);

        assert_same_message (memory, file);
        g_assert_cmpint (!!(file->flags & MESSAGE_FLAG_TEXT_LIMIT), ==, l);
        g_assert_cmpuint (file->parts->len, ==, 3);
        g_assert_cmpint (((MessagePart *) file->parts->pdata[2])->size, >=,
                         1500 * 1024);
      }
  /* The NUL lies in the attachment's decoded text, and raw has none. */
  {
    g_autofree char *raw = big_report (FALSE, FALSE, TRUE);
    g_autoptr (Message) file
        = parse_from_file (raw, strlen (raw), &default_limits);

    g_assert_true (file->flags & MESSAGE_FLAG_NUL_BYTES);
  }
}

/* The blank line that ends the headers may straddle two chunks of the
 * file: the key is still that of the bytes in memory, for every place
 * of the split, with LF and CRLF line ends. */
static void
test_file_blank_line_split (void)
{
  for (int crlf = 0; crlf < 2; crlf++)
    for (gsize end = RAW_CHUNK - 4; end <= RAW_CHUNK + 2; end++)
      {
        const char *nl = crlf ? "\r\n" : "\n";
        GString *m = g_string_new (NULL);
        g_autoptr (Message) memory = NULL, file = NULL;

        g_string_append_printf (m,
                                "Message-ID: <split@example.net>%sX-Pad: ", nl);
        /* The headers' blank line ends at byte `end`. */
        while (m->len < end - strlen (nl) * 2)
          g_string_append_c (m, 'a');
        g_string_append_printf (m, "%s%sbody line%s", nl, nl, nl);
        g_string_append_len (m, m->str, (gssize) m->len); /* past 1 MiB */
        memory = message_parse (m->str, m->len, &default_limits);
        file = parse_from_file (m->str, m->len, &default_limits);
        g_assert_cmpstr (memory->dedup_key, ==, file->dedup_key);
        g_string_free (m, TRUE);
      }
}

/* An mbox "From " line longer than the first piece read of a message
 * is still the envelope line, in memory and from a file. */
static void
test_long_mbox_line (void)
{
  GString *m = g_string_new ("From ");
  g_autoptr (Message) memory = NULL, file = NULL;

  for (int i = 0; i < 5000; i++)
    g_string_append_c (m, 'x');
  g_string_append (m, " Tue Nov 24 10:00:00 2026\nFrom: a@example.net\n"
                      "Subject: long line\n\n");
  while (m->len < 1200 * 1024)
    g_string_append (m, "body line\n");
  memory = message_parse (m->str, m->len, &default_limits);
  file = parse_from_file (m->str, m->len, &default_limits);
  g_assert_cmpstr (memory->from_addr, ==, "a@example.net");
  g_assert_cmpuint (strlen (memory->mbox_sender), ==, 5000);
  assert_same_message (memory, file);
  g_string_free (m, TRUE);
}

/* The spool file cut short once opened (a careless hand, a disk error):
 * parsing fails and says why, it never files a shorter message. */
static void
test_file_cut_short (void)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *raw = big_report (FALSE, FALSE, FALSE);
  g_autofree char *path = NULL;
  g_autoptr (Raw) opened = NULL;
  int fd = g_file_open_tmp ("test-message-XXXXXX", &path, &error);

  close (fd);
  g_assert_true (g_file_set_contents (path, raw, -1, &error));
  opened = raw_open (path, 0, &error);
  g_assert_no_error (error);
  g_assert_cmpint (truncate (path, 1000), ==, 0);
  g_assert_null (message_parse_raw (opened, &default_limits, &error));
  g_assert_error (error, G_FILE_ERROR, G_FILE_ERROR_IO);
  g_unlink (path);
}

static const char dedup_message[]
    = "Received: from a.example.net by mx.example.jp; %s\n"
      "From: a@example.net\n"
      "%s"
      "Subject: scan\n"
      "\n"
      "%s\n";

static void
test_dedup_message_id (void)
{
  g_autofree char *one
      = g_strdup_printf (dedup_message, "Tue, 24 Nov 2026 10:00:00 +0900",
                         "Message-ID: <id1@example.net>\n", "body");
  g_autofree char *retry
      = g_strdup_printf (dedup_message, "Tue, 24 Nov 2026 10:05:00 +0900",
                         "Message-ID: <id1@example.net>\n", "body");
  g_autofree char *other_id
      = g_strdup_printf (dedup_message, "Tue, 24 Nov 2026 10:00:00 +0900",
                         "Message-ID: <id2@example.net>\n", "body");
  g_autofree char *no_id = g_strdup_printf (
      dedup_message, "Tue, 24 Nov 2026 10:00:00 +0900", "", "body");
  g_autofree char *no_id_crlf = lf_to_crlf (no_id);
  g_autofree char *no_id_body = g_strdup_printf (
      dedup_message, "Tue, 24 Nov 2026 10:00:00 +0900", "", "other body");
  g_autofree char *key_one = dedup_key_of (one);
  g_autofree char *key_retry = dedup_key_of (retry);
  g_autofree char *key_other_id = dedup_key_of (other_id);
  g_autofree char *key_no_id = dedup_key_of (no_id);
  g_autofree char *key_no_id_crlf = dedup_key_of (no_id_crlf);
  g_autofree char *key_no_id_body = dedup_key_of (no_id_body);

  /* With a Message-ID, the id and the body decide. */
  g_assert_cmpstr (key_one, ==, key_retry);
  g_assert_cmpstr (key_one, !=, key_other_id);
  /* Without one, all the bytes do, line ends normalised. */
  g_assert_cmpstr (key_no_id, ==, key_no_id_crlf);
  g_assert_cmpstr (key_no_id, !=, key_no_id_body);
  g_assert_cmpstr (key_no_id, !=, key_one);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  message_init ();
  g_test_add_data_func ("/message/dedup/plain", "plain-english.eml",
                        test_dedup);
  g_test_add_data_func ("/message/dedup/multipart", "multipart-log.eml",
                        test_dedup);
  g_test_add_func ("/message/dedup/message-id", test_dedup_message_id);
  g_test_add_func ("/message/dedup/large", test_dedup_large);
  g_test_add_func ("/message/file/same-as-memory", test_file_same_as_memory);
  g_test_add_func ("/message/file/blank-line-split",
                   test_file_blank_line_split);
  g_test_add_func ("/message/file/long-mbox-line", test_long_mbox_line);
  g_test_add_func ("/message/file/cut-short", test_file_cut_short);
  return g_test_run ();
}
