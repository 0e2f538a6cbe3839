/*
 * test-message-limits.c - message_parse past its limits: nesting, part
 * counts, text per part and header decoding past the limits are
 * flagged, bounded and never crash; within them nothing is lost.
 */
#include <string.h>

#include "../support/message-test.h"
#include "madoguchi/charset.h"
#include "madoguchi/message.h"

/* A message nested levels deep, by multipart or by message/rfc822. */
static char *
nested_message (guint levels, gboolean rfc822)
{
  GString *s = g_string_new ("From: deep@example.com\n"
                             "Subject: deep\n"
                             "Message-ID: <deep@example.com>\n"
                             "MIME-Version: 1.0\n");

  for (guint i = 0; i < levels; i++)
    if (rfc822)
      g_string_append_printf (s,
                              "Content-Type: message/rfc822\n\n"
                              "Subject: level %u\n",
                              i);
    else
      g_string_append_printf (s,
                              "Content-Type: multipart/mixed; "
                              "boundary=\"b%u\"\n\n--b%u\n",
                              i, i);
  g_string_append (s, "Content-Type: text/plain\n\ndeepest text\n");
  for (guint i = levels; !rfc822 && i > 0; i--)
    g_string_append_printf (s, "--b%u--\n", i - 1);
  return g_string_free (s, FALSE);
}

static void
test_depth_limit (gconstpointer data)
{
  gboolean rfc822 = GPOINTER_TO_INT (data);
  g_autofree char *text = nested_message (200, rfc822);
  g_autoptr (Message) m = parse_string (text, &default_limits);

  g_assert_cmpint (m->flags & MESSAGE_FLAG_DEPTH_LIMIT, !=, 0);
  g_assert_cmpstr (m->subject, ==, "deep");
  g_assert_null (strstr (text_of (m), "deepest text"));
  g_assert_cmpuint (m->parts->len, >, 0);
  /* A forwarded level is two parts: the message and its headers. */
  g_assert_cmpuint (m->parts->len, <=,
                    (default_limits.max_depth + 1) * (rfc822 ? 2 : 1));
  for (guint i = 0; i < m->parts->len; i++)
    {
      const MessagePart *part = g_ptr_array_index (m->parts, i);

      g_assert_cmpuint (part->depth, <=, default_limits.max_depth);
    }
}

/* Within the limit, nesting is walked to the bottom. */
static void
test_depth_within (void)
{
  g_autofree char *text = nested_message (10, FALSE);
  g_autoptr (Message) m = parse_string (text, &default_limits);
  const MessagePart *last;

  g_assert_cmpint (m->flags & MESSAGE_FLAG_DEPTH_LIMIT, ==, 0);
  g_assert_nonnull (strstr (text_of (m), "deepest text"));
  g_assert_cmpuint (m->parts->len, ==, 11);
  last = g_ptr_array_index (m->parts, 10);
  g_assert_cmpuint (last->depth, ==, 10);
  g_assert_cmpstr (last->content_type, ==, "text/plain");
}

static void
test_parts_limit (void)
{
  GString *s = g_string_new ("From: many@example.com\nSubject: many\n"
                             "MIME-Version: 1.0\nContent-Type: "
                             "multipart/mixed; boundary=\"sep\"\n\n");
  g_autofree char *text = NULL;
  g_autoptr (Message) m = NULL;

  for (int i = 0; i < 5000; i++)
    g_string_append_printf (s,
                            "--sep\nContent-Type: text/plain\n\n"
                            "part %d.\n",
                            i);
  g_string_append (s, "--sep--\n");
  text = g_string_free (s, FALSE);
  m = parse_string (text, &(MessageLimits){ .max_depth = 32,
                                            .max_parts = 1000,
                                            .max_part_text = 1024 * 1024 });
  g_assert_cmpint (m->flags & MESSAGE_FLAG_PARTS_LIMIT, !=, 0);
  g_assert_cmpuint (m->parts->len, <=, 1000);
  g_assert_cmpuint (m->parts->len, >, 500);
  g_assert_nonnull (strstr (text_of (m), "part 0."));
  g_assert_nonnull (strstr (text_of (m), "part 500."));
  g_assert_null (strstr (text_of (m), "part 4999."));
}

/* A forwarded message is three parts (message/rfc822, its headers, its
 * text): every limit, whichever of the three it falls on, holds. */
static void
test_parts_limit_forwarded (void)
{
  GString *s = g_string_new ("From: many@example.com\nSubject: many\n"
                             "MIME-Version: 1.0\nContent-Type: "
                             "multipart/mixed; boundary=\"sep\"\n\n");
  g_autofree char *text = NULL;

  for (int i = 0; i < 100; i++)
    g_string_append_printf (s,
                            "--sep\nContent-Type: message/rfc822\n\n"
                            "Subject: inner %d\n\nbody %d.\n",
                            i, i);
  g_string_append (s, "--sep--\n");
  text = g_string_free (s, FALSE);
  for (guint max_parts = 1; max_parts <= 20; max_parts++)
    {
      g_autoptr (Message) m = parse_string (
          text, &(MessageLimits){ .max_depth = 32,
                                  .max_parts = max_parts,
                                  .max_part_text = 1024 * 1024 });

      g_test_message ("max_parts %u: %u parts", max_parts, m->parts->len);
      g_assert_cmpint (m->flags & MESSAGE_FLAG_PARTS_LIMIT, !=, 0);
      g_assert_cmpuint (m->parts->len, <=, max_parts);
      g_assert_null (strstr (text_of (m), "body 99."));
      g_assert_null (strstr (text_of (m), "Subject: inner 99"));
      if (max_parts >= 4)
        g_assert_nonnull (strstr (text_of (m), "body 0."));
    }
}

static void
test_text_limit (void)
{
  g_autoptr (Message) m = parse_string (
      "From: a@example.com\nSubject: long\n\n"
      "0123456789abcdefghij KEEP-OUT\n",
      &(MessageLimits){
          .max_depth = 32, .max_parts = 1000, .max_part_text = 16 });
  g_autoptr (Message) fits = parse_string (
      "From: a@example.com\nSubject: short\n\n0123456789abcde\n",
      &(MessageLimits){
          .max_depth = 32, .max_parts = 1000, .max_part_text = 16 });
  const MessagePart *part;

  g_assert_cmpint (m->flags & MESSAGE_FLAG_TEXT_LIMIT, !=, 0);
  g_assert_cmpuint (m->parts->len, ==, 1);
  part = g_ptr_array_index (m->parts, 0);
  g_assert_cmpstr (part->text, ==, "0123456789abcdef");
  g_assert_cmpint (part->size, >, 16);
  g_assert_null (strstr (text_of (m), "KEEP-OUT"));
  g_assert_cmpint (fits->flags & MESSAGE_FLAG_TEXT_LIMIT, ==, 0);
  g_assert_nonnull (strstr (text_of (fits), "0123456789abcde"));
}

/* A UTF-8 part cut inside a character: one U+FFFD, not mojibake. */
static void
test_text_limit_utf8 (void)
{
  g_autoptr (Message) m = parse_string (
      "From: a@example.com\nSubject: cut\nMIME-Version: 1.0\n"
      "Content-Type: text/plain; charset=utf-8\n"
      "Content-Transfer-Encoding: 8bit\n\n"
      "日本語\n",
      &(MessageLimits){
          .max_depth = 32, .max_parts = 1000, .max_part_text = 8 });
  const MessagePart *part;

  g_assert_cmpint (m->flags & MESSAGE_FLAG_TEXT_LIMIT, !=, 0);
  g_assert_cmpuint (m->parts->len, ==, 1);
  part = g_ptr_array_index (m->parts, 0);
  g_assert_cmpstr (part->text, ==, "日本\xEF\xBF\xBD");
}

/*
 * A Subject whose charset changes at every encoded-word: the first
 * CHARSET_HEADER_RUNS_MAX runs decode, the rest is kept as it came, and
 * the message says so (issue 16: 270,000 such words took 47 s).
 */
static void
test_decode_limit (void)
{
  g_autoptr (GString) mail = g_string_new ("From: r@example.org\n"
                                           "Subject:");
  g_autoptr (Message) m = NULL;
  g_autofree char *flags = NULL;

  for (int i = 0; i < 3 * CHARSET_HEADER_RUNS_MAX; i++)
    g_string_append (mail, i % 2 ? " =?iso-8859-1?Q?b?=\n" : " =?utf-8?Q?a?=");
  g_string_append (mail, "\n\nbody\n");
  m = parse_string (mail->str, &default_limits);
  g_assert_true (m->flags & MESSAGE_FLAG_DECODE_LIMIT);
  g_assert_cmpuint (strspn (m->subject, "ab"), ==, CHARSET_HEADER_RUNS_MAX);
  g_assert_true (
      g_str_has_prefix (m->subject + CHARSET_HEADER_RUNS_MAX, "=?utf-8?Q?a?="));
  flags = report_flags_to_string (m->flags);
  g_assert_nonnull (strstr (flags, "decode-limit"));
}

/* A long Subject of one charset is one run: all decoded, no flag. */
static void
test_decode_one_run (void)
{
  g_autoptr (GString) mail = g_string_new ("From: r@example.org\n"
                                           "Subject:");
  g_autoptr (Message) m = NULL;

  for (int i = 0; i < 5 * CHARSET_HEADER_RUNS_MAX; i++)
    g_string_append (mail, " =?utf-8?B?YQ==?=\n");
  g_string_append (mail, "\nbody\n");
  m = parse_string (mail->str, &default_limits);
  g_assert_false (m->flags & MESSAGE_FLAG_DECODE_LIMIT);
  g_assert_cmpuint (strlen (m->subject), ==, 5 * CHARSET_HEADER_RUNS_MAX);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  message_init ();
  g_test_add_data_func ("/message/limits/depth/multipart",
                        GINT_TO_POINTER (FALSE), test_depth_limit);
  g_test_add_data_func ("/message/limits/depth/rfc822", GINT_TO_POINTER (TRUE),
                        test_depth_limit);
  g_test_add_func ("/message/limits/depth/within", test_depth_within);
  g_test_add_func ("/message/limits/parts", test_parts_limit);
  g_test_add_func ("/message/limits/parts-forwarded",
                   test_parts_limit_forwarded);
  g_test_add_func ("/message/limits/text", test_text_limit);
  g_test_add_func ("/message/limits/text-utf8", test_text_limit_utf8);
  g_test_add_func ("/message/decode-limit/cycle", test_decode_limit);
  g_test_add_func ("/message/decode-limit/one-run", test_decode_one_run);
  return g_test_run ();
}
