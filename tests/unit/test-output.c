/*
 * test-output.c - terminal cells: widths, padding, cutting, times.
 *
 * A Japanese subject must not shear a table: wide characters count two
 * cells, combining marks none, and a cut never leaves half a wide
 * character or more cells than asked.  Mail must not reach the terminal
 * as control characters, bidi overrides or bytes that are not UTF-8:
 * output_append_safe() shows them instead, and CSV fields go through it
 * too.
 */
#include <string.h>

#include "madoguchi/csv.h"
#include "madoguchi/output.h"

typedef struct
{
  const char *path;
  const char *text;
  gsize width;
} WidthCase;

static const WidthCase width_cases[] = {
  { "/output/width/empty", "", 0 },
  { "/output/width/ascii", "Port scan", 9 },
  { "/output/width/japanese", "日本語", 6 },
  { "/output/width/kana", "ポートスキャン", 14 },
  { "/output/width/halfwidth-kana", "ｱｲｳ", 3 },
  { "/output/width/fullwidth-tilde", "03:12～03:45", 12 },
  { "/output/width/mixed", "IR 不正アクセス", 15 },
  { "/output/width/hangul", "한국", 4 },
  { "/output/width/combining", "e\xCC\x81", 1 },
  { "/output/width/combining-only", "\xCC\x81\xCC\x88", 0 },
  { "/output/width/zero-width-space",
    "a\xE2\x80\x8B"
    "b",
    2 },
  { "/output/width/latin", "café", 4 },
};

static void
test_width (gconstpointer data)
{
  const WidthCase *c = data;

  g_assert_cmpuint (output_width (c->text), ==, c->width);
}

typedef struct
{
  const char *path;
  const char *text; /* may be NULL */
  gsize width;
  gboolean pad;
  const char *expected;
} CellCase;

static const CellCase cell_cases[] = {
  /* Width 0: nothing, not even the ellipsis. */
  { "/output/cell/zero", "abc", 0, FALSE, "" },
  { "/output/cell/zero-pad", "abc", 0, TRUE, "" },
  { "/output/cell/zero-wide", "日本", 0, TRUE, "" },
  { "/output/cell/zero-empty", "", 0, TRUE, "" },
  { "/output/cell/zero-null", NULL, 0, FALSE, "" },
  { "/output/cell/pad", "abc", 5, TRUE, "abc  " },
  { "/output/cell/no-pad", "abc", 5, FALSE, "abc" },
  { "/output/cell/exact", "abc", 3, TRUE, "abc" },
  { "/output/cell/cut", "abcdef", 4, TRUE, "abc…" },
  { "/output/cell/cut-no-pad", "abcdef", 4, FALSE, "abc…" },
  { "/output/cell/cut-to-one", "abc", 1, TRUE, "…" },
  { "/output/cell/empty", "", 3, TRUE, "   " },
  { "/output/cell/null", NULL, 3, TRUE, "   " },
  { "/output/cell/null-no-pad", NULL, 3, FALSE, "" },
  { "/output/cell/wide/fits", "日本語", 6, TRUE, "日本語" },
  { "/output/cell/wide/pad", "日本", 6, TRUE, "日本  " },
  { "/output/cell/wide/cut-even", "日本語", 5, TRUE, "日本…" },
  /* The cut falls inside 本: it goes whole, a space pads. */
  { "/output/cell/wide/cut-odd", "日本語", 4, TRUE, "日… " },
  { "/output/cell/wide/cut-odd-no-pad", "日本語", 4, FALSE, "日…" },
  { "/output/cell/wide/cut-after-ascii", "a日本", 3, TRUE, "a… " },
  { "/output/cell/wide/cut-first", "日本", 2, TRUE, "… " },
  { "/output/cell/combining", "e\xCC\x81", 1, TRUE, "e\xCC\x81" },
  { "/output/cell/combining-pad", "e\xCC\x81", 3, TRUE, "e\xCC\x81  " },
  /* A cell is one line: newline and tab are spaces.  Other controls are
   * shown as output_append_safe() shows them, and take their cells. */
  { "/output/cell/control/tab-newline", "a\tb\nc", 5, TRUE, "a b c" },
  { "/output/cell/control/cr", "a\rb", 4, FALSE, "a^Mb" },
  { "/output/cell/control/escape", "\033[2J", 6, TRUE, "^[[2J " },
  { "/output/cell/control/del", "a\177", 3, TRUE, "a^?" },
  { "/output/cell/control/c1",
    "a\xC2\x9B"
    "b",
    10, TRUE, "a<U+009B>b" },
  { "/output/cell/control/bidi",
    "\xE2\x80\xAE"
    "txt",
    11, TRUE, "<U+202E>txt" },
  { "/output/cell/control/invalid", "a\x9B", 5, TRUE, "a\\x9B" },
  /* A character cut short at the end: its bytes, and nothing read past
   * the NUL. */
  { "/output/cell/control/truncated", "a\xE6\x97", 9, TRUE, "a\\xE6\\x97" },
  { "/output/cell/control/cut", "\033\033\033\033\033", 3, TRUE, "^[…" },
  { "/output/cell/control/cut-escape", "ab\033", 3, TRUE, "ab…" },
};

static void
test_cell (gconstpointer data)
{
  const CellCase *c = data;
  g_autoptr (GString) out = g_string_new ("|");

  output_cell (out, c->text, c->width, c->pad);
  g_assert_true (g_str_has_prefix (out->str, "|"));
  g_assert_cmpstr (out->str + 1, ==, c->expected);
}

static const char *const cell_texts[] = {
  "",
  "a",
  "abc",
  "Port scan from 192.0.2.45",
  "日本語のテキスト",
  "a日b本c語",
  "ｱｲｳｴｵ",
  "e\xCC\x81"
  "e\xCC\x81"
  "e\xCC\x81",
  "【報告】ポートスキャンについて",
  "x\ty\nz\033[0m",
  "①㈱～",
};

/* Every text at every width: never wider than asked, exactly as wide
 * when padded, no control character, cut only with the ellipsis. */
static void
test_cell_bounds (void)
{
  for (gsize i = 0; i < G_N_ELEMENTS (cell_texts); i++)
    for (gsize width = 1; width <= 34; width++)
      for (int pad = 0; pad <= 1; pad++)
        {
          g_autoptr (GString) out = g_string_new (NULL);
          gsize used;

          output_cell (out, cell_texts[i], width, pad);
          used = output_width (out->str);
          g_assert_true (g_utf8_validate (out->str, -1, NULL));
          g_assert_cmpuint (used, <=, width);
          if (pad)
            g_assert_cmpuint (used, ==, width);
          for (const char *p = out->str; *p != '\0'; p++)
            g_assert_true ((guchar) *p >= 0x20 && *p != 0x7F);
          if (output_width (cell_texts[i]) > width)
            g_assert_nonnull (strstr (out->str, "…"));
          else if (strpbrk (cell_texts[i], "\t\n\033") == NULL)
            g_assert_true (g_str_has_prefix (out->str, cell_texts[i]));
        }
}

/* Appending keeps what the GString already holds. */
static void
test_cell_appends (void)
{
  g_autoptr (GString) out = g_string_new (NULL);

  output_cell (out, "日本", 5, TRUE);
  g_string_append_c (out, '|');
  output_cell (out, "abcdef", 3, TRUE);
  g_assert_cmpstr (out->str, ==, "日本 |ab…");
}

typedef struct
{
  const char *path;
  const char *text;
  gssize len; /* -1: up to the NUL */
  OutputLines lines;
  const char *expected;
} SafeCase;

#define LINE OUTPUT_ONE_LINE
#define LINES OUTPUT_LINES

static const SafeCase safe_cases[] = {
  { "/output/safe/null", NULL, -1, LINES, "" },
  { "/output/safe/empty", "", -1, LINES, "" },
  { "/output/safe/ascii", "Port scan from 192.0.2.45 ~!", -1, LINE,
    "Port scan from 192.0.2.45 ~!" },
  { "/output/safe/japanese", "【報告】不正アクセス ①㈱～ ｱｲｳ", -1, LINE,
    "【報告】不正アクセス ①㈱～ ｱｲｳ" },
  { "/output/safe/combining", "e\xCC\x81", -1, LINE, "e\xCC\x81" },
  { "/output/safe/emoji-zwj", "\xF0\x9F\x91\xA9\xE2\x80\x8D\xF0\x9F\x92\xBB",
    -1, LINE, "\xF0\x9F\x91\xA9\xE2\x80\x8D\xF0\x9F\x92\xBB" },
  /* Lines: newline and tab kept in a text, spaces in a field. */
  { "/output/safe/lines/kept", "a\tb\nc\n", -1, LINES, "a\tb\nc\n" },
  { "/output/safe/lines/one-line", "a\tb\nc\n", -1, LINE, "a b c " },
  /* C0 and DEL in caret notation, CR included. */
  { "/output/safe/c0/soh", "\001", -1, LINES, "^A" },
  { "/output/safe/c0/bel", "\007", -1, LINES, "^G" },
  { "/output/safe/c0/backspace", "ab\bc", -1, LINES, "ab^Hc" },
  { "/output/safe/c0/vt-ff", "\013\014", -1, LINES, "^K^L" },
  { "/output/safe/c0/cr", "a\r\nb", -1, LINES, "a^M\nb" },
  { "/output/safe/c0/esc", "\033[31m", -1, LINE, "^[[31m" },
  { "/output/safe/c0/us", "\037", -1, LINES, "^_" },
  { "/output/safe/c0/del", "\177", -1, LINES, "^?" },
  { "/output/safe/c0/nul", "a\0b", 3, LINES, "a^@b" },
  { "/output/safe/len", "abcdef", 3, LINE, "abc" },
  /* The reproduction: an OSC 52 clipboard write, cursor moves. */
  { "/output/safe/issue", "body \033]52;c;cHduZWQ=\007 \033[1A\033[2K\n", -1,
    LINES, "body ^[]52;c;cHduZWQ=^G ^[[1A^[[2K\n" },
  /* C1 controls, as UTF-8 characters; NBSP is the first after them. */
  { "/output/safe/c1/first", "\xC2\x80", -1, LINE, "<U+0080>" },
  { "/output/safe/c1/csi",
    "\xC2\x9B"
    "2J",
    -1, LINE, "<U+009B>2J" },
  { "/output/safe/c1/last", "\xC2\x9F", -1, LINE, "<U+009F>" },
  { "/output/safe/c1/nbsp", "\xC2\xA0", -1, LINE, "\xC2\xA0" },
  /* Bidirectional marks, embeddings, overrides and isolates, and their
   * neighbours, which are left alone. */
  { "/output/safe/bidi/alm", "\xD8\x9C", -1, LINE, "<U+061C>" },
  { "/output/safe/bidi/lrm", "\xE2\x80\x8E", -1, LINE, "<U+200E>" },
  { "/output/safe/bidi/rlm", "\xE2\x80\x8F", -1, LINE, "<U+200F>" },
  { "/output/safe/bidi/lre", "\xE2\x80\xAA", -1, LINE, "<U+202A>" },
  { "/output/safe/bidi/rlo",
    "invoice\xE2\x80\xAE"
    "fdp.exe",
    -1, LINE, "invoice<U+202E>fdp.exe" },
  { "/output/safe/bidi/lri", "\xE2\x81\xA6", -1, LINE, "<U+2066>" },
  { "/output/safe/bidi/pdi", "\xE2\x81\xA9", -1, LINE, "<U+2069>" },
  { "/output/safe/bidi/zwj", "\xE2\x80\x8D", -1, LINE, "\xE2\x80\x8D" },
  { "/output/safe/bidi/nnbsp", "\xE2\x80\xAF", -1, LINE, "\xE2\x80\xAF" },
  { "/output/safe/bidi/superscript", "\xE2\x81\xB0", -1, LINE, "\xE2\x81\xB0" },
  { "/output/safe/bidi/arabic", "\xD8\xB9", -1, LINE, "\xD8\xB9" },
  /* Bytes that are not UTF-8, C1 bytes of an 8-bit charset first. */
  { "/output/safe/invalid/c1-byte",
    "\x9B"
    "2J",
    -1, LINE, "\\x9B2J" },
  { "/output/safe/invalid/ff",
    "a\xFF"
    "b",
    -1, LINE, "a\\xFFb" },
  { "/output/safe/invalid/overlong-nul", "\xC0\x80", -1, LINE, "\\xC0\\x80" },
  { "/output/safe/invalid/overlong-esc", "\xC0\x9B", -1, LINE, "\\xC0\\x9B" },
  { "/output/safe/invalid/surrogate", "\xED\xA0\x80", -1, LINE,
    "\\xED\\xA0\\x80" },
  { "/output/safe/invalid/beyond", "\xF4\x90\x80\x80", -1, LINE,
    "\\xF4\\x90\\x80\\x80" },
  { "/output/safe/invalid/truncated-end", "a\xE6\x97", -1, LINE,
    "a\\xE6\\x97" },
  { "/output/safe/invalid/truncated-mid",
    "\xE6"
    "ab",
    -1, LINE, "\\xE6ab" },
  { "/output/safe/invalid/truncated-by-len", "\xE6\x97\xA5", 2, LINE,
    "\\xE6\\x97" },
  { "/output/safe/invalid/latin1", "caf\xE9", -1, LINE, "caf\\xE9" },
};

static void
test_safe (gconstpointer data)
{
  const SafeCase *c = data;
  g_autoptr (GString) out = g_string_new ("|");

  output_append_safe (out, c->text, c->len, c->lines);
  g_assert_cmpstr (out->str + 1, ==, c->expected);
  if (c->len < 0 && c->lines == OUTPUT_ONE_LINE)
    {
      g_autofree char *safe = output_safe (c->text);

      g_assert_cmpstr (safe, ==, c->expected);
    }
}

/* What output_safe() left for a terminal to act on: the first
 * character of output_is_control() in text, newline and tab allowed
 * when lines are kept; 0 for none. */
static gunichar
first_control (const char *text, OutputLines lines)
{
  for (const char *p = text; *p != '\0'; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);

      if (lines == OUTPUT_LINES && (c == '\n' || c == '\t'))
        continue;
      if (output_is_control (c))
        return c;
    }
  return 0;
}

/* Random byte strings, heavy in the bytes that start escapes, C1 and
 * bidi characters: the output is always valid UTF-8 with no control;
 * text that needed nothing is copied unchanged. */
static void
test_safe_random (void)
{
  static const guchar alphabet[] = {
    0x00, 0x07, 0x09, 0x0A, 0x0D, 0x1B, 0x7F, 'a',  '[',  ' ',
    0x80, 0x9B, 0xC2, 0xC0, 0xD8, 0x9C, 0xE2, 0x80, 0x81, 0xAE,
    0xA6, 0xE6, 0x97, 0xA5, 0xF0, 0x9F, 0xFF, 0xBF,
  };

  for (int i = 0; i < 20000; i++)
    {
      guchar bytes[24];
      gsize len = (gsize) g_test_rand_int_range (0, sizeof bytes); /* < 24 */
      OutputLines lines = i % 2 ? OUTPUT_LINES : OUTPUT_ONE_LINE;
      g_autoptr (GString) out = g_string_new (NULL);

      for (gsize j = 0; j < len; j++)
        bytes[j] = alphabet[g_test_rand_int_range (0, sizeof alphabet)];
      bytes[len] = '\0'; /* for first_control() below, past len */
      output_append_safe (out, (const char *) bytes, (gssize) len, lines);
      g_assert_true (g_utf8_validate (out->str, (gssize) out->len, NULL));
      g_assert_cmpuint (strlen (out->str), ==, out->len);
      g_assert_cmpuint (first_control (out->str, lines), ==, 0);
      if (g_utf8_validate ((const char *) bytes, (gssize) len, NULL)
          && memchr (bytes, 0, len) == NULL
          && first_control ((const char *) bytes, lines) == 0)
        g_assert_true (out->len == len && memcmp (out->str, bytes, len) == 0);
    }
}

typedef struct
{
  gunichar c;
  gboolean control;
} ControlCase;

static const ControlCase control_cases[] = {
  { 0x00, TRUE },   { 0x09, TRUE },    { 0x0A, TRUE },    { 0x1B, TRUE },
  { 0x1F, TRUE },   { 0x20, FALSE },   { 0x7E, FALSE },   { 0x7F, TRUE },
  { 0x80, TRUE },   { 0x9F, TRUE },    { 0xA0, FALSE },   { 0x061B, FALSE },
  { 0x061C, TRUE }, { 0x061D, FALSE }, { 0x200D, FALSE }, { 0x200E, TRUE },
  { 0x200F, TRUE }, { 0x2010, FALSE }, { 0x2029, FALSE }, { 0x202A, TRUE },
  { 0x202E, TRUE }, { 0x202F, FALSE }, { 0x2065, FALSE }, { 0x2066, TRUE },
  { 0x2069, TRUE }, { 0x206A, FALSE }, { 0x3042, FALSE },
};

static void
test_is_control (void)
{
  for (gsize i = 0; i < G_N_ELEMENTS (control_cases); i++)
    {
      const ControlCase *c = &control_cases[i];

      if (output_is_control (c->c) != c->control)
        g_error ("output_is_control (U+%04X) should be %d", c->c, c->control);
    }
}

/* The width of what output_cell() would show, escapes included. */
static void
test_width_safe (void)
{
  g_assert_cmpuint (output_width ("\033[2J"), ==, 5);
  g_assert_cmpuint (output_width ("\xE2\x80\xAE"), ==, 8);
  g_assert_cmpuint (output_width ("a\x9B"), ==, 5);
  g_assert_cmpuint (output_width ("a\xE6\x97"), ==, 9);
  g_assert_cmpuint (output_width (NULL), ==, 0);
}

/* CSV fields (csv.h) go through the same function: controls shown,
 * lines and the formula guard kept. */
typedef struct
{
  const char *path;
  const char *value;
  const char *expected;
} CsvCase;

static const CsvCase csv_cases[] = {
  { "/output/csv/plain", "scan", "scan" },
  { "/output/csv/escape", "a\033]52;c;x\007", "a^[]52;c;x^G" },
  { "/output/csv/bidi",
    "x\xE2\x80\xAE"
    "fdp.exe",
    "x<U+202E>fdp.exe" },
  { "/output/csv/c1",
    "\xC2\x9B"
    "2J",
    "<U+009B>2J" },
  { "/output/csv/invalid", "caf\xE9", "caf\\xE9" },
  { "/output/csv/newline", "two\nlines", "\"two\nlines\"" },
  { "/output/csv/cr", "a\r\nb", "\"a^M\nb\"" },
  { "/output/csv/formula", "=1+1", "\"'=1+1\"" },
  { "/output/csv/escape-first", "\033=1", "^[=1" },
};

static void
test_csv (gconstpointer data)
{
  const CsvCase *c = data;
  g_auto (CsvRecord) r = { 0 };

  csv_init (&r);
  csv_text (&r, c->value);
  g_assert_cmpstr (r.line->str, ==, c->expected);
}

typedef struct
{
  const char *path;
  gint64 unix_time;
  const char *local; /* output_time in TZ=JST-9 */
  const char *iso;   /* output_time_iso */
} TimeCase;

static const TimeCase time_cases[] = {
  { "/output/time/zero", 0, "-", "1970-01-01T00:00:00Z" },
  { "/output/time/jst", 1795669500, "2026-11-26 14:05",
    "2026-11-26T05:05:00Z" },
  { "/output/time/date-change", 1795705200, "2026-11-27 00:00",
    "2026-11-26T15:00:00Z" },
};

static void
test_time (gconstpointer data)
{
  const TimeCase *c = data;
  g_autofree char *local = output_time (c->unix_time);
  g_autofree char *iso = output_time_iso (c->unix_time);

  g_assert_cmpstr (local, ==, c->local);
  g_assert_cmpstr (iso, ==, c->iso);
}

int
main (int argc, char **argv)
{
  /* Local times in the tests are Japan's, whatever the machine says. */
  g_setenv ("TZ", "JST-9", TRUE);
  g_test_init (&argc, &argv, NULL);
  for (gsize i = 0; i < G_N_ELEMENTS (width_cases); i++)
    g_test_add_data_func (width_cases[i].path, &width_cases[i], test_width);
  for (gsize i = 0; i < G_N_ELEMENTS (cell_cases); i++)
    g_test_add_data_func (cell_cases[i].path, &cell_cases[i], test_cell);
  g_test_add_func ("/output/cell/bounds", test_cell_bounds);
  g_test_add_func ("/output/cell/appends", test_cell_appends);
  for (gsize i = 0; i < G_N_ELEMENTS (safe_cases); i++)
    g_test_add_data_func (safe_cases[i].path, &safe_cases[i], test_safe);
  g_test_add_func ("/output/safe/random", test_safe_random);
  g_test_add_func ("/output/safe/is-control", test_is_control);
  g_test_add_func ("/output/width/safe", test_width_safe);
  for (gsize i = 0; i < G_N_ELEMENTS (csv_cases); i++)
    g_test_add_data_func (csv_cases[i].path, &csv_cases[i], test_csv);
  for (gsize i = 0; i < G_N_ELEMENTS (time_cases); i++)
    g_test_add_data_func (time_cases[i].path, &time_cases[i], test_time);
  return g_test_run ();
}
