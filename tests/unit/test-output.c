/*
 * test-output.c - terminal cells: widths, padding, cutting, times.
 *
 * A Japanese subject must not shear a table: wide characters count two
 * cells, combining marks none, and a cut never leaves half a wide
 * character or more cells than asked.  Mail must not reach the terminal
 * as control characters.
 */
#include <string.h>

#include "madoguchi/output.h"

typedef struct {
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
  { "/output/width/zero-width-space", "a\xE2\x80\x8B" "b", 2 },
  { "/output/width/latin", "café", 4 },
};

static void
test_width (gconstpointer data)
{
  const WidthCase *c = data;

  g_assert_cmpuint (output_width (c->text), ==, c->width);
}

typedef struct {
  const char *path;
  const char *text;     /* may be NULL */
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
  /* Control characters are shown as spaces. */
  { "/output/cell/control/tab-newline", "a\tb\nc", 5, TRUE, "a b c" },
  { "/output/cell/control/cr", "a\rb", 3, FALSE, "a b" },
  { "/output/cell/control/escape", "\033[2J", 4, TRUE, " [2J" },
  { "/output/cell/control/del", "a\177", 2, TRUE, "a " },
  { "/output/cell/control/c1", "a\xC2\x9B" "b", 3, TRUE, "a b" },
  { "/output/cell/control/cut", "\033\033\033\033\033", 3, TRUE, "  …" },
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
  "", "a", "abc", "Port scan from 192.0.2.45", "日本語のテキスト",
  "a日b本c語", "ｱｲｳｴｵ", "e\xCC\x81" "e\xCC\x81" "e\xCC\x81",
  "【報告】ポートスキャンについて", "x\ty\nz\033[0m", "①㈱～",
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

typedef struct {
  const char *path;
  gint64 unix_time;
  const char *local;     /* output_time in TZ=JST-9 */
  const char *iso;       /* output_time_iso */
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
  for (gsize i = 0; i < G_N_ELEMENTS (time_cases); i++)
    g_test_add_data_func (time_cases[i].path, &time_cases[i], test_time);
  return g_test_run ();
}
