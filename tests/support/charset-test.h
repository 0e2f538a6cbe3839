/*
 * charset-test.h - for test-charset.c and test-charset-header.c: random
 * input biased towards what trips decoders.
 */
#ifndef MADOGUCHI_TEST_CHARSET_TEST_H
#define MADOGUCHI_TEST_CHARSET_TEST_H

#include <glib.h>

static const char *const random_labels[] = {
  NULL,       "utf-8",      "iso-2022-jp", "shift_jis", "euc-jp",
  "us-ascii", "iso-8859-1", "x-unknown",   "UTF-16LE",
};

/* Bytes biased towards what trips decoders: escapes, SO/SI, NUL, lead
 * bytes, "=?" and "?=". */
static inline GByteArray *
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

#endif
