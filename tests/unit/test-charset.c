/*
 * test-charset.c - charset_to_utf8 and the converters it keeps
 * (header decoding: test-charset-header.c).
 *
 * Cases are tables of raw bytes and the exact UTF-8 they must give, with
 * the CharsetResult flags.  The Japanese cases are what Japanese mailers
 * really send (CP50221, CP932 with 0x5C trail bytes, eucJP-ms), not what
 * the standards name.  Random-input cases check the one promise every
 * caller relies on: the result is valid UTF-8, whatever came in.
 */
#include <string.h>

#include "../support/charset-test.h"
#include "madoguchi/charset.h"
/* White box: how many converters a thread opened. */
#include "../../src/charset-private.h"

#define FFFD "\xEF\xBF\xBD"

typedef struct
{
  const char *path;
  const char *charset; /* label, or NULL for none */
  const char *data;
  gssize len;           /* -1: strlen (data) */
  const char *expected; /* the whole result */
  CharsetResult flags;
  CharsetResult ignore; /* flags this case does not check */
} ConvertCase;

static const ConvertCase convert_cases[] = {
  /* ISO-2022-JP is CP50221: NEC row 13, ～ and half-width katakana. */
  { "/charset/iso2022jp/kanji", "ISO-2022-JP", "\033$B$3$s$K$A$O\033(B", -1,
    "こんにちは", CHARSET_OK, 0 },
  { "/charset/iso2022jp/nec-row13", "iso-2022-jp", "\033$B-!-j\033(B", -1,
    "①㈱", CHARSET_OK, 0 },
  { "/charset/iso2022jp/fullwidth-tilde", "iso-2022-jp",
    "03:12\033$B!A\033(B03:45", -1,
    "03:12\xEF\xBD\x9E"
    "03:45",
    CHARSET_OK, 0 },
  { "/charset/iso2022jp/kana-esc-i", "iso-2022-jp", "a\033(I18\033(Bb", -1,
    "aｱｸb", CHARSET_OK, 0 },
  { "/charset/iso2022jp/kana-so-si", "iso-2022-jp",
    "\033$B$3\016\061\017$s\033(B", -1, "こｱん", CHARSET_OK, 0 },
  { "/charset/iso2022jp/jis-roman", "iso-2022-jp", "\033(Jabc\033$BF|\033(B",
    -1, "abc日", CHARSET_OK, 0 },
  { "/charset/iso2022jp/newline-in-kanji", "iso-2022-jp", "\033$BF|\nK\\\033(B",
    -1, "日\n本", CHARSET_OK, 0 },
  { "/charset/iso2022jp/cp50221-label", "CP50221", "\033$B-!\033(B", -1, "①",
    CHARSET_OK, 0 },
  /* Shift_JIS is CP932: ～ is U+FF5E, and 0x5C trail bytes are not '\'. */
  { "/charset/sjis/5c-trail", "Shift_JIS", "\x83\x5C\x95\x5C", -1, "ソ表",
    CHARSET_OK, 0 },
  { "/charset/sjis/nec-row13", "shift_jis", "\x87\x40\x87\x8A", -1, "①㈱",
    CHARSET_OK, 0 },
  { "/charset/sjis/fullwidth-tilde", "Shift_JIS",
    "02:00\x81\x60"
    "02:40",
    -1,
    "02:00\xEF\xBD\x9E"
    "02:40",
    CHARSET_OK, 0 },
  { "/charset/sjis/halfwidth-kana", "Shift_JIS", "\xB1\xB8", -1, "ｱｸ",
    CHARSET_OK, 0 },
  { "/charset/sjis/windows-31j", "Windows-31J",
    "\x95s\x90\xB3\x83\x41\x83\x4E\x83\x5A\x83\x58", -1, "不正アクセス",
    CHARSET_OK, 0 },
  { "/charset/eucjp/kanji", "EUC-JP", "\xC6\xFC\xCB\xDC\xB8\xEC", -1, "日本語",
    CHARSET_OK, 0 },
  { "/charset/eucjp/halfwidth-kana", "euc-jp", "\x8E\xB1", -1, "ｱ", CHARSET_OK,
    0 },
  /* A part cut at max_part_text, inside a character: the text before the
   * cut is what the label says (not guessed), the cut character U+FFFD. */
  { "/charset/eucjp/truncated", "EUC-JP", "\xC6\xFC\xCB\xDC\xB8", -1,
    "日本" FFFD, CHARSET_LOSSY, 0 },
  { "/charset/utf8/truncated", "utf-8", "\xE6\x97\xA5\xE6\x9C\xAC\xE8\xAA", 8,
    "日本" FFFD, CHARSET_LOSSY, 0 },
  { "/charset/utf8/truncated-after-ascii", "utf-8", "abc\xE3\x81", -1,
    "abc" FFFD, CHARSET_LOSSY, 0 },
  /* Not eucJP-ms, which would take 0x83 for a C1 control. */
  { "/charset/sjis/truncated", "shift_jis", "\x83\x5C\x83", 3, "ソ" FFFD,
    CHARSET_LOSSY, 0 },
  /* UTF-16 and UTF-32: a zero byte is half a character, not a NUL. */
  { "/charset/utf16/le", "UTF-16LE", "a\0b\0", 4, "ab", CHARSET_OK, 0 },
  { "/charset/utf16/be", "UTF-16BE", "\0a\0b", 4, "ab", CHARSET_OK, 0 },
  { "/charset/utf16/bom", "utf-16",
    "\xFF\xFE"
    "a\0",
    4, "a", CHARSET_OK, 0 },
  { "/charset/utf16/utf32le", "UTF-32LE", "a\0\0\0", 4, "a", CHARSET_OK, 0 },
  /* U+0000 is a NUL all the same: U+FFFD, lossy. */
  { "/charset/utf16/nul-char", "UTF-16LE", "a\0\0\0b\0", 6, "a" FFFD "b",
    CHARSET_LOSSY, 0 },
  /* Missing or wrong labels. */
  { "/charset/unlabelled/esc-dollar-b", NULL, "\033$B$3$s\033(B", -1, "こん",
    CHARSET_GUESSED, 0 },
  { "/charset/unlabelled/us-ascii-esc-dollar-b", "us-ascii",
    "x \033$BF'$_Bf\033(B y", -1, "x 踏み台 y", CHARSET_GUESSED, 0 },
  { "/charset/unlabelled/ascii", NULL, "plain text", -1, "plain text",
    CHARSET_OK, 0 },
  { "/charset/unlabelled/us-ascii-8bit", "us-ascii", "\x93\xFA\x96\x7B\x8C\xEA",
    -1, "日本語", CHARSET_GUESSED, 0 },
  { "/charset/unlabelled/unknown-label", "x-no-such-charset",
    "hello \xE6\x97\xA5", -1, "hello 日", CHARSET_GUESSED, 0 },
  { "/charset/unlabelled/unknown-label-ascii", "x-no-such-charset", "hello", -1,
    "hello", CHARSET_GUESSED, 0 },
  { "/charset/detect/utf8", NULL, "\xE6\x97\xA5\xE6\x9C\xAC\xE8\xAA\x9E", -1,
    "日本語", CHARSET_GUESSED, 0 },
  { "/charset/detect/cp932", NULL,
    "\x95s\x90\xB3\x83\x41\x83\x4E\x83\x5A\x83\x58", -1, "不正アクセス",
    CHARSET_GUESSED, 0 },
  { "/charset/detect/cp932-5c", NULL, "\x83\x5C\x83\x74\x83\x67", -1, "ソフト",
    CHARSET_GUESSED, 0 },
  { "/charset/detect/eucjp", NULL, "\xC9\xD4\xC0\xB5\xC3\xE6\xB7\xD1", -1,
    "不正中継", CHARSET_GUESSED, 0 },
  { "/charset/detect/latin1", NULL, "caf\xE9 cr\xE8me", -1, "café crème",
    CHARSET_GUESSED, 0 },
  /* Windows-1252 curly quotes: not eucJP-ms C1 controls, not CP932. */
  { "/charset/detect/cp1252-quotes", NULL, "\x93quoted\x94", -1,
    "\xE2\x80\x9Cquoted\xE2\x80\x9D", CHARSET_GUESSED, 0 },
  { "/charset/detect/wrong-label", "utf-8",
    "\x95s\x90\xB3\x83\x41\x83\x4E\x83\x5A\x83\x58", -1, "不正アクセス",
    CHARSET_GUESSED, 0 },
  { "/charset/lossy/invalid-utf8", "utf-8", "ok \xFF end", -1,
    "ok " FFFD " end", CHARSET_GUESSED | CHARSET_LOSSY, 0 },
  /* NUL bytes: U+FFFD, and the text after them is kept. */
  { "/charset/nul/unlabelled", NULL, "a\0b\0\0c", 6, "a" FFFD "b" FFFD FFFD "c",
    CHARSET_LOSSY, 0 },
  { "/charset/nul/utf8", "utf-8", "abc\0def", 7, "abc" FFFD "def",
    CHARSET_LOSSY, 0 },
  { "/charset/nul/leading", "us-ascii", "\0tail", 5, FFFD "tail", CHARSET_LOSSY,
    0 },
  { "/charset/nul/iso2022jp", "iso-2022-jp", "\033$B$3\0$s\033(B", 11,
    "こ" FFFD "ん", CHARSET_LOSSY, 0 },
  { "/charset/nul/sjis", "shift_jis", "\x83\x5C\0\x95\x5C", 5, "ソ" FFFD "表",
    CHARSET_LOSSY, 0 },
  { "/charset/empty", "utf-8", "", 0, "", CHARSET_OK, 0 },
};

static void
test_convert (gconstpointer data)
{
  const ConvertCase *c = data;
  gsize len = c->len < 0 ? strlen (c->data) : (gsize) c->len;
  CharsetResult result = 0xFF;
  g_autofree char *text = charset_to_utf8 (c->charset, c->data, len, &result);

  g_assert_true (g_utf8_validate (text, -1, NULL));
  g_assert_cmpstr (text, ==, c->expected);
  g_assert_cmpint (result & ~c->ignore, ==, c->flags & ~c->ignore);
}

/* result may be NULL. */
static void
test_convert_no_result (void)
{
  g_autofree char *text = charset_to_utf8 ("shift_jis", "\x83\x5C", 2, NULL);

  g_assert_cmpstr (text, ==, "ソ");
}

static void
test_convert_random (void)
{
  for (int i = 0; i < 4000; i++)
    {
      g_autoptr (GByteArray) bytes = random_bytes (64);
      const char *label = random_labels[g_test_rand_int_range (
          0, G_N_ELEMENTS (random_labels))];
      CharsetResult result;
      g_autofree char *text = charset_to_utf8 (
          label, (const char *) bytes->data, bytes->len, &result);

      g_assert_nonnull (text);
      g_assert_true (g_utf8_validate (text, -1, NULL));
      g_assert_cmpint (result & ~(CHARSET_GUESSED | CHARSET_LOSSY), ==, 0);
    }
}

typedef struct
{
  const char *path;
  const char *data;
  const char *seq;
  gboolean found;
} BytesCase;

static const BytesCase bytes_cases[] = {
  { "/charset/has-bytes/start", "\033$Babc", "\033$B", TRUE },
  { "/charset/has-bytes/end", "abc\033$B", "\033$B", TRUE },
  { "/charset/has-bytes/after-false-start", "\033$\033$B", "\033$B", TRUE },
  { "/charset/has-bytes/one-byte", "abc", "c", TRUE },
  { "/charset/has-bytes/cut-at-end", "abc\033$", "\033$B", FALSE },
  { "/charset/has-bytes/first-byte-only", "\033\033\033", "\033$B", FALSE },
  { "/charset/has-bytes/shorter-text", "\033", "\033$B", FALSE },
  { "/charset/has-bytes/empty", "", "\033$B", FALSE },
  { "/charset/has-bytes/fullwidth", "IP \xEF\xBC\x91", "\xEF\xBC", TRUE },
  { "/charset/has-bytes/other-lead", "\xEF\xBE\x80", "\xEF\xBC", FALSE },
};

/* The same answer as memmem, which it replaces. */
static void
test_has_bytes (gconstpointer data)
{
  const BytesCase *c = data;
  gsize len = strlen (c->data);
  gsize n = strlen (c->seq);

  g_assert_cmpint (charset_has_bytes (c->data, len, c->seq, n), ==, c->found);
  g_assert_cmpint (memmem (c->data, len, c->seq, n) != NULL, ==, c->found);
}

/*
 * Converters are kept open per thread and reused (issue 16: opening and
 * closing one per encoded-word cost 0.18 ms a word).  A kept converter
 * must read as a fresh one would: the shift state of UTF-7 and
 * ISO-2022-KR is reset, and the byte order a UTF-16 or UTF-32 mark set
 * does not carry over to the next text.  Each sequence runs in a thread
 * of its own, so that it starts with no converter open.
 */
typedef struct
{
  const char *charset;
  const char *data;
  gsize len;
  const char *expected;
} ReuseStep;

/* "a" as UTF-16 and UTF-32 in the host's order, which glibc assumes
 * when there is no byte-order mark. */
#if G_BYTE_ORDER == G_LITTLE_ENDIAN
#define HOST16_A "a\0"
#define HOST32_A "a\0\0\0"
#else
#define HOST16_A "\0a"
#define HOST32_A "\0\0\0a"
#endif

static const ReuseStep reuse_steps[] = {
  { "UTF-7", "+AGEAYg", 7, "ab" }, /* ends inside base64 */
  { "UTF-7", "c+-d", 4, "c+d" },
  { "ISO-2022-KR", "\033$)C\016!!", 7, "\xE3\x80\x80" }, /* SO left on */
  { "ISO-2022-KR", "\033$)Cxy", 6, "xy" },
  { "utf-16", "\xFE\xFF\0b", 4, "b" }, /* big-endian mark */
  { "utf-16", HOST16_A, 2, "a" },      /* no mark: the host's order */
  { "UTF16",
    "\xFF\xFE"
    "c\0",
    4, "c" },
  { "unicode", "\xFE\xFF\0d", 4, "d" },
  { "utf-16", HOST16_A, 2, "a" },
  { "utf-32", "\0\0\xFE\xFF\0\0\0e", 8, "e" },
  { "utf-32", HOST32_A, 4, "a" },
};

static gpointer
reuse_thread (gpointer data)
{
  guint64 opened;

  (void) data;
  for (int round = 0; round < 2; round++)
    {
      opened = charset_iconv_opens ();
      for (gsize i = 0; i < G_N_ELEMENTS (reuse_steps); i++)
        {
          const ReuseStep *c = &reuse_steps[i];
          g_autofree char *text
              = charset_to_utf8 (c->charset, c->data, c->len, NULL);

          g_assert_cmpstr (text, ==, c->expected);
        }
    }
  /* The second round opened nothing: every converter was kept. */
  g_assert_cmpuint (charset_iconv_opens () - opened, ==, 0);
  return NULL;
}

static void
test_reuse (void)
{
  g_thread_join (g_thread_new ("reuse", reuse_thread, NULL));
}

/* Labels that are no charset name are never handed to iconv (which
 * would read "UTF-8//IGNORE" and "UTF-8!" as UTF-8, each a converter
 * of its own); the text is guessed instead. */
static void
test_label_plain (void)
{
  static const char *const labels[] = {
    "UTF-8//IGNORE",
    "utf-8!",
    "utf 8",
    "",
  };

  for (gsize i = 0; i < G_N_ELEMENTS (labels); i++)
    {
      CharsetResult result;
      g_autofree char *text
          = charset_to_utf8 (labels[i], "\xE6\x97\xA5", 3, &result);

      g_assert_cmpstr (text, ==, "日");
      g_assert_true (result & CHARSET_GUESSED || *labels[i] == '\0');
      g_assert_true (charset_iconv_get (labels[i]) == (GIConv) -1);
    }
}

/* Preloading reads every encoded-word's label and never fails. */
static void
test_preload (void)
{
  static const char data[] = "Subject: =?koi8-r?Q?a?= =?x-bogus?B?YQ==?= "
                             "=?=?utf-8?= =?\n=?utf-8*en?Q?a?= =?";

  charset_preload (data, sizeof data - 1, NULL);
  charset_preload (data, 3, NULL);
  charset_preload ("", 0, NULL);
  charset_iconv_pin ("KOI8-R");
  charset_iconv_pin ("no-such-charset");
  charset_iconv_pin (NULL);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  for (gsize i = 0; i < G_N_ELEMENTS (convert_cases); i++)
    g_test_add_data_func (convert_cases[i].path, &convert_cases[i],
                          test_convert);
  g_test_add_func ("/charset/no-result", test_convert_no_result);
  for (gsize i = 0; i < G_N_ELEMENTS (bytes_cases); i++)
    g_test_add_data_func (bytes_cases[i].path, &bytes_cases[i], test_has_bytes);
  g_test_add_func ("/charset/random", test_convert_random);
  g_test_add_func ("/charset/cache/reuse", test_reuse);
  g_test_add_func ("/charset/cache/label-plain", test_label_plain);
  g_test_add_func ("/charset/cache/preload", test_preload);
  return g_test_run ();
}
