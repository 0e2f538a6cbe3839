/*
 * test-json.c - the streaming JSON writer: commas, nesting, escaping.
 *
 * Each case drives a writer and compares the whole text, so that a stray
 * comma or a missing escape fails.  Escaped strings are also checked to
 * be valid UTF-8 with no raw control character, which is what a JSON
 * parser on the other end of --json needs; C1 controls and bidi
 * characters are escaped too, for the operator who reads it in a
 * terminal.
 */
#include <string.h>

#include "madoguchi/json.h"
#include "madoguchi/output.h"

typedef void (*JsonBuild) (JsonWriter *w);

typedef struct
{
  const char *path;
  JsonBuild build;
  const char *expected;
} JsonCase;

static void
build_empty_object (JsonWriter *w)
{
  json_begin_object (w);
  json_end_object (w);
}

static void
build_empty_array (JsonWriter *w)
{
  json_begin_array (w);
  json_end_array (w);
}

static void
build_scalars (JsonWriter *w)
{
  json_begin_object (w);
  json_key (w, "id");
  json_int (w, 42);
  json_key (w, "negative");
  json_int (w, G_MININT64);
  json_key (w, "open");
  json_bool (w, TRUE);
  json_key (w, "spam");
  json_bool (w, FALSE);
  json_key (w, "subject");
  json_string (w, "scan");
  json_key (w, "closed");
  json_string (w, NULL);
  json_end_object (w);
}

static void
build_array_values (JsonWriter *w)
{
  json_begin_array (w);
  json_int (w, 1);
  json_string (w, "two");
  json_string (w, NULL);
  json_bool (w, TRUE);
  json_end_array (w);
}

static void
build_nested (JsonWriter *w)
{
  json_begin_object (w);
  json_key (w, "a");
  json_begin_array (w);
  json_begin_object (w);
  json_key (w, "x");
  json_int (w, 1);
  json_end_object (w);
  json_begin_object (w);
  json_end_object (w);
  json_begin_array (w);
  json_end_array (w);
  json_end_array (w);
  json_key (w, "b");
  json_begin_object (w);
  json_key (w, "c");
  json_begin_array (w);
  json_int (w, 2);
  json_int (w, 3);
  json_end_array (w);
  json_end_object (w);
  json_key (w, "d");
  json_int (w, 4);
  json_end_object (w);
}

static void
build_top_level_array_of_objects (JsonWriter *w)
{
  json_begin_array (w);
  for (int i = 0; i < 3; i++)
    {
      json_begin_object (w);
      json_key (w, "n");
      json_int (w, i);
      json_key (w, "s");
      json_string (w, "v");
      json_end_object (w);
    }
  json_end_array (w);
}

static void
build_escapes (JsonWriter *w)
{
  json_begin_array (w);
  json_string (w, "say \"hi\"");
  json_string (w, "C:\\temp\\x");
  json_string (w, "a\nb\rc\td");
  json_string (w, "\001\037\177");
  json_string (w, "\033[31m");
  json_string (w, "");
  json_end_array (w);
}

static void
build_escaped_key (JsonWriter *w)
{
  json_begin_object (w);
  json_key (w, "k\"\\\n");
  json_string (w, "v");
  json_end_object (w);
}

static void
build_utf8 (JsonWriter *w)
{
  json_begin_object (w);
  json_key (w, "件名");
  json_string (w, "不正アクセス ①㈱ ～ é €");
  json_end_object (w);
}

/* Controls beyond ASCII and bidi characters: escaped, so that a JSON
 * document read in a terminal is as safe as the table. */
static void
build_unicode_escapes (JsonWriter *w)
{
  json_begin_array (w);
  json_string (w, "\xC2\x80|\xC2\x9B"
                  "2J|\xC2\x9F|\xC2\xA0");
  json_string (w, "a\xE2\x80\xAE"
                  "fdp.exe");
  json_string (w, "\xD8\x9C\xE2\x80\x8E\xE2\x80\x8F\xE2\x80\xAA\xE2\x81\xA6"
                  "\xE2\x81\xA9");
  json_string (w, "\xE2\x80\xA8\xE2\x80\xA9");
  json_string (w, "\xE2\x80\x8D\xE2\x80\xAF");
  json_end_array (w);
}

/* Bytes that are not UTF-8 cannot be in JSON: U+FFFD, one per byte. */
static void
build_invalid_utf8 (JsonWriter *w)
{
  json_begin_array (w);
  json_string (w, "\x9B[2J");
  json_string (w, "caf\xE9");
  json_string (w, "a\xE6\x97");
  json_string (w, "\xC0\x80\xED\xA0\x80");
  json_string (w, "\xE6\x97\xA5\xFF");
  json_end_array (w);
}

static const JsonCase json_cases[] = {
  { "/json/empty/object", build_empty_object, "{}" },
  { "/json/empty/array", build_empty_array, "[]" },
  { "/json/object/scalars", build_scalars,
    "{\"id\":42,\"negative\":-9223372036854775808,\"open\":true,"
    "\"spam\":false,\"subject\":\"scan\",\"closed\":null}" },
  { "/json/array/values", build_array_values, "[1,\"two\",null,true]" },
  { "/json/nesting/mixed", build_nested,
    "{\"a\":[{\"x\":1},{},[]],\"b\":{\"c\":[2,3]},\"d\":4}" },
  { "/json/nesting/array-of-objects", build_top_level_array_of_objects,
    "[{\"n\":0,\"s\":\"v\"},{\"n\":1,\"s\":\"v\"},{\"n\":2,\"s\":\"v\"}]" },
  { "/json/escape/strings", build_escapes,
    "[\"say \\\"hi\\\"\",\"C:\\\\temp\\\\x\",\"a\\nb\\rc\\td\","
    "\"\\u0001\\u001f\\u007f\",\"\\u001b[31m\",\"\"]" },
  { "/json/escape/key", build_escaped_key, "{\"k\\\"\\\\\\n\":\"v\"}" },
  { "/json/escape/unicode", build_unicode_escapes,
    "[\"\\u0080|\\u009b2J|\\u009f|\xC2\xA0\",\"a\\u202efdp.exe\","
    "\"\\u061c\\u200e\\u200f\\u202a\\u2066\\u2069\",\"\\u2028\\u2029\","
    "\"\xE2\x80\x8D\xE2\x80\xAF\"]" },
  { "/json/escape/invalid-utf8", build_invalid_utf8,
    "[\"\\ufffd[2J\",\"caf\\ufffd\",\"a\\ufffd\\ufffd\","
    "\"\\ufffd\\ufffd\\ufffd\\ufffd\\ufffd\",\"\xE6\x97\xA5\\ufffd\"]" },
  { "/json/utf8/passthrough", build_utf8,
    "{\"件名\":\"不正アクセス ①㈱ ～ é €\"}" },
};

static void
test_json (gconstpointer data)
{
  const JsonCase *c = data;
  JsonWriter w;
  g_autofree char *text = NULL;

  json_init (&w);
  c->build (&w);
  text = json_finish (&w);
  g_assert_cmpstr (text, ==, c->expected);
}

/* Every byte 0x01..0x7F in one string: no raw control character and no
 * unescaped quote may come out. */
static void
test_json_all_ascii (void)
{
  char input[128];
  JsonWriter w;
  g_autofree char *text = NULL;
  gsize len;

  for (int i = 1; i < 128; i++)
    input[i - 1] = (char) i;
  input[127] = '\0';
  json_init (&w);
  json_string (&w, input);
  text = json_finish (&w);
  len = strlen (text);
  g_assert_cmpuint (len, >, 2);
  g_assert_cmpint (text[0], ==, '"');
  g_assert_cmpint (text[len - 1], ==, '"');
  for (gsize i = 1; i + 1 < len; i++)
    {
      g_assert_cmpint ((guchar) text[i], >=, 0x20);
      g_assert_cmpint (text[i], !=, 0x7F);
      if (text[i] == '\\')
        {
          g_assert_nonnull (strchr ("\"\\nrtu", text[i + 1]));
          i++;
        }
      else
        g_assert_cmpint (text[i], !=, '"');
    }
  g_assert_nonnull (strstr (text, "\\u0001"));
  g_assert_nonnull (strstr (text, "\\u007f"));
}

/* Random byte strings, heavy in escapes, C1, bidi and broken UTF-8:
 * always valid UTF-8 out, with no control or bidi character left raw. */
static void
test_json_random (void)
{
  static const guchar alphabet[] = {
    0x01, 0x07, 0x0A, 0x1B, 0x22, 0x5C, 0x7F, 'a',  0x80, 0x9B, 0xC2, 0xC0,
    0xD8, 0x9C, 0xE2, 0x80, 0x81, 0xAE, 0xA6, 0xA8, 0xE6, 0x97, 0xFF,
  };

  for (int i = 0; i < 20000; i++)
    {
      char bytes[24];
      gsize len = (gsize) g_test_rand_int_range (0, sizeof bytes);
      JsonWriter w;
      g_autofree char *text = NULL;

      for (gsize j = 0; j < len; j++)
        bytes[j] = (char) alphabet[g_test_rand_int_range (0, sizeof alphabet)];
      bytes[len] = '\0';
      json_init (&w);
      json_string (&w, bytes);
      text = json_finish (&w);
      g_assert_true (g_utf8_validate (text, -1, NULL));
      for (const char *p = text; *p != '\0'; p = g_utf8_next_char (p))
        {
          gunichar c = g_utf8_get_char (p);

          g_assert_false (output_is_control (c) || c == 0x2028 || c == 0x2029);
        }
    }
}

/* A second writer after json_finish starts clean. */
static void
test_json_reuse (void)
{
  JsonWriter w;
  g_autofree char *first = NULL;
  g_autofree char *second = NULL;

  json_init (&w);
  build_array_values (&w);
  first = json_finish (&w);
  json_init (&w);
  build_empty_object (&w);
  second = json_finish (&w);
  g_assert_cmpstr (first, ==, "[1,\"two\",null,true]");
  g_assert_cmpstr (second, ==, "{}");
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  for (gsize i = 0; i < G_N_ELEMENTS (json_cases); i++)
    g_test_add_data_func (json_cases[i].path, &json_cases[i], test_json);
  g_test_add_func ("/json/escape/all-ascii", test_json_all_ascii);
  g_test_add_func ("/json/escape/random", test_json_random);
  g_test_add_func ("/json/reuse", test_json_reuse);
  return g_test_run ();
}
