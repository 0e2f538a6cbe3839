/*
 * test-charset-header.c - charset_decode_header and its budget: encoded
 * words (RFC 2047) to one safe line of UTF-8, whatever the words and
 * however many, with the converters a header may open bounded.
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
 * header has it: the header keeps all its bytes, one line. */
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

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  for (gsize i = 0; i < G_N_ELEMENTS (header_cases); i++)
    g_test_add_data_func (header_cases[i].path, &header_cases[i], test_header);
  g_test_add_func ("/charset/header/random", test_header_random);
  g_test_add_func ("/charset/header/random-words", test_header_random_words);
  g_test_add_func ("/charset/cache/cycle-opens", test_cycle_opens);
  g_test_add_func ("/charset/budget/runs", test_budget_runs);
  for (gsize i = 0; i < G_N_ELEMENTS (large_cases); i++)
    g_test_add_data_func (large_cases[i].path, &large_cases[i],
                          test_header_large);
  g_test_add_func ("/charset/budget/one-run", test_budget_one_run);
  g_test_add_func ("/charset/budget/header-cap", test_budget_header_cap);
  g_test_add_func ("/charset/budget/opens", test_budget_opens);
  return g_test_run ();
}
