/*
 * test-charset.c - charset_to_utf8 and charset_decode_header.
 *
 * Cases are tables of raw bytes and the exact UTF-8 they must give, with
 * the CharsetResult flags.  The Japanese cases are what Japanese mailers
 * really send (CP50221, CP932 with 0x5C trail bytes, eucJP-ms), not what
 * the standards name.  Random-input cases check the one promise every
 * caller relies on: the result is valid UTF-8, whatever came in.
 */
#include <string.h>

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

static const char *const random_labels[] = {
  NULL,       "utf-8",      "iso-2022-jp", "shift_jis", "euc-jp",
  "us-ascii", "iso-8859-1", "x-unknown",   "UTF-16LE",
};

/* Bytes biased towards what trips decoders: escapes, SO/SI, NUL, lead
 * bytes, "=?" and "?=". */
static GByteArray *
random_bytes (gsize max_len)
{
  static const guchar special[] = {
    0x00, 0x0E, 0x0F, 0x1B, '$',  '(',  'B',  'I',  '=',  '?',  0x5C, 0x80,
    0x81, 0x8E, 0x9F, 0xA1, 0xE0, 0xEF, 0xFC, 0xFE, 0xFF, '\r', '\n',
  };
  gsize len = (gsize) g_test_rand_int_range (0, (gint32) max_len + 1);
  GByteArray *bytes = g_byte_array_sized_new ((guint) len);

  for (gsize i = 0; i < len; i++)
    {
      guchar c = g_test_rand_bit ()
                     ? special[g_test_rand_int_range (0, sizeof special)]
                     : (guchar) g_test_rand_int_range (0, 256);

      g_byte_array_append (bytes, &c, 1);
    }
  return bytes;
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
  const char *raw;
  const char *expected;
} HeaderCase;

static const HeaderCase header_cases[] = {
  { "/charset/header/plain", "Port scan from 192.0.2.45",
    "Port scan from 192.0.2.45" },
  { "/charset/header/empty", "", "" },
  { "/charset/header/b", "=?UTF-8?B?5pel5pys6Kqe?=", "日本語" },
  { "/charset/header/q", "=?iso-8859-1?Q?caf=E9_cr=E8me?=", "café crème" },
  { "/charset/header/q-lower", "=?utf-8?q?a_b=3Fc?=", "a b?c" },
  { "/charset/header/iso2022jp", "=?ISO-2022-JP?B?GyRCJDMkcxsoQg==?=", "こん" },
  { "/charset/header/sjis", "=?Shift_JIS?B?g1yVXA==?=", "ソ表" },
  /* Adjacent words that split one character are joined as bytes. */
  { "/charset/header/split/utf8", "=?UTF-8?B?5pc=?= =?UTF-8?B?pQ==?=", "日" },
  { "/charset/header/split/utf8-folded",
    "=?UTF-8?B?5pel5g==?=\r\n =?UTF-8?B?nKw=?=", "日本" },
  { "/charset/header/split/iso2022jp",
    "=?ISO-2022-JP?B?GyRCJDMk?= =?ISO-2022-JP?B?cxsoQg==?=", "こん" },
  { "/charset/header/split/q", "=?utf-8?Q?=E6=97?= =?utf-8?Q?=A5?=", "日" },
  /* Space between encoded-words goes; space next to plain text stays. */
  { "/charset/header/space/between-words",
    "=?utf-8?Q?a?=  \t =?utf-8?Q?b?=", "ab" },
  { "/charset/header/space/word-then-text", "=?utf-8?Q?a?= b", "a b" },
  { "/charset/header/space/text-then-word", "a =?utf-8?Q?b?=", "a b" },
  { "/charset/header/space/mixed",
    "Re: =?utf-8?B?5pel?= =?utf-8?B?5pys?= report", "Re: 日本 report" },
  { "/charset/header/two-charsets",
    "=?utf-8?Q?=E6=97=A5?= =?iso-8859-1?Q?=E9?=", "日é" },
  /* RFC 2231: "charset*language". */
  { "/charset/header/rfc2231-lang", "=?utf-8*ja?B?5pel?=", "日" },
  { "/charset/header/rfc2231-lang-q", "=?ISO-8859-1*en?Q?caf=E9?=", "café" },
  /* Raw 8-bit text. */
  { "/charset/header/raw/utf8", "不正アクセスの連絡", "不正アクセスの連絡" },
  { "/charset/header/raw/cp932",
    "\x95s\x90\xB3\x83\x41\x83\x4E\x83\x5A\x83\x58 report",
    "不正アクセス report" },
  { "/charset/header/raw/eucjp", "\xC9\xD4\xC0\xB5\xC3\xE6\xB7\xD1",
    "不正中継" },
  { "/charset/header/raw/then-word", "\xE6\x97\xA5 =?utf-8?B?5pys?=", "日 本" },
  /* One safe line: no CR, LF, NUL, ESC or DEL reaches the caller. */
  { "/charset/header/control/crlf-injection",
    "hello\r\nBcc: victim@example.com", "hello  Bcc: victim@example.com" },
  { "/charset/header/control/folding", "a\r\n\tb", "a   b" },
  { "/charset/header/control/tab", "a\tb", "a b" },
  { "/charset/header/control/encoded-crlf",
    "=?utf-8?Q?a=0D=0ABcc:_x@example.com?=", "a  Bcc: x@example.com" },
  { "/charset/header/control/encoded-nul", "=?utf-8?Q?a=00b?=", "a" FFFD "b" },
  { "/charset/header/control/encoded-esc",
    "=?utf-8?Q?=1B[31mred=7F?=", "[31mred" },
  { "/charset/header/control/raw-esc-del", "a\033[2Jb\177c", "a [2Jb c" },
  /* Malformed encoded-words stay as they are. */
  { "/charset/header/malformed/bad-encoding", "=?x?Z?abc?=", "=?x?Z?abc?=" },
  { "/charset/header/malformed/no-end", "=?utf-8?B?YWJj", "=?utf-8?B?YWJj" },
  { "/charset/header/malformed/empty-charset", "=??B?YWJj?=", "=??B?YWJj?=" },
  { "/charset/header/malformed/space-in-charset",
    "=?utf 8?B?YWJj?=", "=?utf 8?B?YWJj?=" },
  { "/charset/header/malformed/truncated", "x =?utf-8?", "x =?utf-8?" },
  { "/charset/header/malformed/then-good",
    "=?x?Z?abc?= =?utf-8?B?5pel?=", "=?x?Z?abc?= 日" },
  /* A broken word ends at its first space: it does not swallow the next
   * word up to that word's "?=". */
  { "/charset/header/malformed/broken-then-word",
    "=?utf-8?B?broken =?utf-8?Q?ok?=", "=?utf-8?B?broken ok" },
  { "/charset/header/malformed/unclosed-then-word",
    "=?utf-8?Q?not closed =?utf-8?B?5pel?= tail",
    "=?utf-8?Q?not closed 日 tail" },
  { "/charset/header/unknown-charset", "=?x-unknown?Q?abc?=", "abc" },
  { "/charset/header/strip", "  padded  ", "padded" },
};

static void
test_header (gconstpointer data)
{
  const HeaderCase *c = data;
  g_autofree char *text = charset_decode_header (c->raw);

  g_assert_true (g_utf8_validate (text, -1, NULL));
  g_assert_cmpstr (text, ==, c->expected);
}

static void
assert_one_safe_line (const char *text)
{
  g_assert_true (g_utf8_validate (text, -1, NULL));
  for (const char *p = text; *p != '\0'; p++)
    g_assert_true ((guchar) *p >= 0x20 && *p != 0x7F);
}

static void
test_header_random (void)
{
  for (int i = 0; i < 3000; i++)
    {
      g_autoptr (GByteArray) bytes = random_bytes (80);
      g_autofree char *raw = NULL;
      g_autofree char *text = NULL;

      g_byte_array_append (bytes, (const guchar *) "", 1);
      raw = g_strdup ((const char *) bytes->data); /* to the first NUL */
      text = charset_decode_header (raw);
      assert_one_safe_line (text);
    }
}

/* Encoded-words built from random bytes: the decoded bytes are random. */
static void
test_header_random_words (void)
{
  for (int i = 0; i < 2000; i++)
    {
      g_autoptr (GByteArray) bytes = random_bytes (30);
      g_autofree char *b64 = g_base64_encode (bytes->data, bytes->len);
      const char *label = random_labels[g_test_rand_int_range (
          1, G_N_ELEMENTS (random_labels))];
      g_autofree char *raw = g_strdup_printf ("x =?%s?B?%s?= y", label, b64);
      g_autofree char *text = charset_decode_header (raw);

      assert_one_safe_line (text);
      g_assert_true (g_str_has_prefix (text, "x"));
      g_assert_true (g_str_has_suffix (text, "y"));
    }
}

typedef struct
{
  const char *path;
  const char *unit; /* repeated to 1 MB */
} LargeCase;

static const LargeCase large_cases[] = {
  { "/charset/header/large/plain", "abcdefgh " },
  { "/charset/header/large/words", "=?utf-8?B?5pel5pys?= " },
  { "/charset/header/large/q-words", "=?utf-8?Q?=E6=97=A5?=" },
  { "/charset/header/large/one-word", NULL },
  { "/charset/header/large/starts", "=?" },
  { "/charset/header/large/raw-utf8", "\xE6\x97\xA5 " },
  { "/charset/header/large/raw-cp932", "\x93\xFA =?" },
  { "/charset/header/large/charset-switch",
    "=?utf-8?Q?a?= =?iso-8859-1?Q?b?= " },
  /* Unclosed words with no "?=" anywhere after them: a decoder that looks
   * for each word's end in the rest of the value is quadratic. */
  { "/charset/header/large/unclosed", "=?utf-8?B?x" },
};

/* ASan's strchr and strstr interceptors check the whole rest of the
 * string on every call, which makes the decoder's many short searches
 * quadratic there (minutes for 1 MB): sanitizer builds decode 64 KB. */
#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define LARGE_SIZE (64 * 1024)
#endif
#endif
#if !defined(LARGE_SIZE) && defined(__SANITIZE_ADDRESS__)
#define LARGE_SIZE (64 * 1024)
#endif
#ifndef LARGE_SIZE
#define LARGE_SIZE (1024 * 1024)
#endif

/* Decodes size bytes of the case's value; returns microseconds taken. */
static gint64
decode_large (const LargeCase *c, gsize size)
{
  g_autoptr (GString) raw = g_string_sized_new (size + 64);
  g_autofree char *text = NULL;
  gint64 start;

  if (c->unit == NULL)
    {
      /* A single encoded-word of the whole size. */
      g_string_append (raw, "=?utf-8?B?");
      while (raw->len < size)
        g_string_append (raw, "YWJj");
      g_string_append (raw, "?=");
    }
  while (c->unit != NULL && raw->len < size)
    g_string_append (raw, c->unit);
  start = g_get_monotonic_time ();
  text = charset_decode_header (raw->str);
  start = g_get_monotonic_time () - start;
  assert_one_safe_line (text);
  g_assert_cmpuint (strlen (text), >, 0);
  return start;
}

/*
 * Bounded time means linear: eight times the input may take at most 32
 * times as long (quadratic work takes 64 times), plus a second for a
 * busy machine.  A ratio, not a fixed limit, so that the case holds
 * under valgrind, which is 100 times slower on the iconv path.
 */
static void
test_header_large (gconstpointer data)
{
  const LargeCase *c = data;
  gint64 small = decode_large (c, LARGE_SIZE / 8);
  gint64 large = decode_large (c, LARGE_SIZE);

  g_assert_cmpint (large, <, 32 * small + G_USEC_PER_SEC);
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

/* The reproduction of issue 16, smaller: words cycling through five
 * charsets open each converter once, not once a word. */
static char *
cycling_header (int words)
{
  static const char *const labels[] = {
    "iso-2022-jp", "shift_jis", "euc-jp", "utf-7", "utf-32",
  };
  GString *raw = g_string_new (NULL);

  for (int i = 0; i < words; i++)
    g_string_append_printf (raw, "=?%s?B?GyRCJCIbKEI=?=%s", labels[i % 5],
                            i % 4 == 3 ? "\r\n " : " ");
  return g_string_free (raw, FALSE);
}

static gpointer
cycle_thread (gpointer data)
{
  g_autofree char *raw = cycling_header (GPOINTER_TO_INT (data));
  g_autofree char *first = NULL;
  g_autofree char *second = NULL;
  guint64 start = charset_iconv_opens ();

  first = charset_decode_header (raw);
  g_assert_cmpuint (charset_iconv_opens () - start, <=, 10);
  start = charset_iconv_opens ();
  second = charset_decode_header (raw);
  g_assert_cmpuint (charset_iconv_opens () - start, ==, 0);
  g_assert_cmpstr (first, ==, second);
  g_assert_true (g_str_has_prefix (first, "\xE3\x81\x82")); /* あ */
  return NULL;
}

static void
test_cycle_opens (void)
{
  g_thread_join (g_thread_new ("cycle", cycle_thread, GINT_TO_POINTER (500)));
}

/* The budget: runs past it are kept as they came, one safe line. */
static void
test_budget_runs (void)
{
  g_autofree char *raw = g_strdup ("=?utf-8?Q?a?= =?iso-8859-1?Q?b?= "
                                   "=?utf-8?Q?c?= =?iso-8859-1?Q?d?=");
  CharsetBudget budget = { 3, 100, FALSE };
  g_autofree char *text = charset_decode_header_budget (raw, &budget);

  g_assert_cmpstr (text, ==, "abc=?iso-8859-1?Q?d?=");
  g_assert_cmpuint (budget.runs, ==, 0);
  g_assert_true (budget.exhausted);
}

/* Adjacent words of one charset are one run, however many. */
static void
test_budget_one_run (void)
{
  g_autoptr (GString) raw = g_string_new (NULL);
  CharsetBudget budget = { 1, 100, FALSE };
  g_autofree char *text = NULL;

  for (int i = 0; i < 10000; i++)
    g_string_append (raw, "=?UTF-8?Q?a?= ");
  text = charset_decode_header_budget (raw->str, &budget);
  g_assert_cmpuint (strlen (text), ==, 10000);
  g_assert_false (budget.exhausted);
}

/* The per-header cap holds within a larger budget, and charset_decode_
 * header has it: the issue's header keeps all its bytes, one line. */
static void
test_budget_header_cap (void)
{
  g_autofree char *raw = cycling_header (3 * CHARSET_HEADER_RUNS_MAX);
  g_autofree char *plain = charset_decode_header (raw);
  CharsetBudget budget = { G_MAXUINT, G_MAXUINT, FALSE };
  g_autofree char *text = charset_decode_header_budget (raw, &budget);

  g_assert_cmpstr (text, ==, plain);
  g_assert_true (budget.exhausted);
  g_assert_cmpuint (budget.runs, ==, G_MAXUINT - CHARSET_HEADER_RUNS_MAX);
  assert_one_safe_line (text);
  g_assert_nonnull (strstr (text, "=?utf-32?B?GyRCJCIbKEI=?="));
}

/* No converter may be opened: a charset not yet open stays encoded. */
static gpointer
opens_thread (gpointer data)
{
  CharsetBudget budget = { 100, 0, FALSE };
  g_autofree char *text
      = charset_decode_header_budget ("x =?koi8-r?Q?a?=", &budget);

  (void) data;
  g_assert_cmpstr (text, ==, "x =?koi8-r?Q?a?=");
  g_assert_true (budget.exhausted);
  return NULL;
}

static void
test_budget_opens (void)
{
  g_thread_join (g_thread_new ("opens", opens_thread, NULL));
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
  for (gsize i = 0; i < G_N_ELEMENTS (header_cases); i++)
    g_test_add_data_func (header_cases[i].path, &header_cases[i], test_header);
  g_test_add_func ("/charset/header/random", test_header_random);
  g_test_add_func ("/charset/header/random-words", test_header_random_words);
  for (gsize i = 0; i < G_N_ELEMENTS (large_cases); i++)
    g_test_add_data_func (large_cases[i].path, &large_cases[i],
                          test_header_large);
  g_test_add_func ("/charset/cache/reuse", test_reuse);
  g_test_add_func ("/charset/cache/cycle-opens", test_cycle_opens);
  g_test_add_func ("/charset/cache/label-plain", test_label_plain);
  g_test_add_func ("/charset/cache/preload", test_preload);
  g_test_add_func ("/charset/budget/runs", test_budget_runs);
  g_test_add_func ("/charset/budget/one-run", test_budget_one_run);
  g_test_add_func ("/charset/budget/header-cap", test_budget_header_cap);
  g_test_add_func ("/charset/budget/opens", test_budget_opens);
  return g_test_run ();
}
