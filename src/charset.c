/*
 * charset.c - decode mail text to UTF-8 (headers: charset-header.c).
 *
 * glibc's iconv has CP932 and EUC-JP-MS but no CP50221, and its strict
 * ISO-2022-JP rejects the NEC row 13 characters (①, ㈱) that Japanese
 * Windows mailers send every day.  So ISO-2022-JP is rewritten here to
 * Shift_JIS byte by byte (the two are arithmetic transforms of the same
 * JIS rows) and then decoded as CP932, which is exactly CP50221.
 *
 * Nothing is dropped: bytes that do not decode become U+FFFD, and when a
 * label is missing or wrong the text is decoded by the best guess.
 */
#include "madoguchi/charset.h"

#include <errno.h>
#include <string.h>

#include "charset-private.h"

typedef enum
{
  JIS_ASCII,
  JIS_KANJI,
  JIS_KANA,
  JIS_UNSUPPORTED, /* JIS X 0212 and other sets CP932 cannot show */
} JisState;

/* JIS X 0208 row/cell bytes (0x21..0x7E each) to the Shift_JIS pair. */
static void
jis_to_sjis (guchar c1, guchar c2, GByteArray *out)
{
  guchar s[2];

  s[0] = (guchar) (((c1 + 1) >> 1) + (c1 <= 0x5E ? 0x70 : 0xB0));
  if (c1 & 1)
    s[1] = (guchar) (c2 + (c2 >= 0x60 ? 0x20 : 0x1F));
  else
    s[1] = (guchar) (c2 + 0x7E);
  g_byte_array_append (out, s, 2);
}

/* Reads an escape sequence at p; returns its length, 0 if not one. */
static gsize
jis_escape (const guchar *p, gsize len, JisState *state)
{
  static const struct
  {
    const char *seq;
    JisState state;
  } escapes[] = {
    { "\033(B", JIS_ASCII },       { "\033(J", JIS_ASCII },
    { "\033(H", JIS_ASCII },       { "\033(I", JIS_KANA },
    { "\033$B", JIS_KANJI },       { "\033$@", JIS_KANJI },
    { "\033&@\033$B", JIS_KANJI }, { "\033$(B", JIS_KANJI },
    { "\033$(Q", JIS_KANJI },      { "\033$(D", JIS_UNSUPPORTED },
    { "\033$A", JIS_UNSUPPORTED }, { "\033$(C", JIS_UNSUPPORTED },
    { "\033.A", JIS_ASCII },       { "\033.F", JIS_ASCII },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (escapes); i++)
    {
      gsize n = strlen (escapes[i].seq);

      if (n <= len && memcmp (p, escapes[i].seq, n) == 0)
        {
          *state = escapes[i].state;
          return n;
        }
    }
  return 0;
}

/* One byte (or pair) in the current state; returns bytes consumed. */
static gsize
jis_char (const guchar *p, gsize len, JisState state, GByteArray *out)
{
  guchar c = p[0];

  if (c < 0x21 || c > 0x7E)
    {
      /* Controls, spaces and stray 8-bit bytes pass through unchanged. */
      g_byte_array_append (out, p, 1);
      return 1;
    }
  if (state == JIS_KANA)
    {
      guchar kana = (guchar) (c + 0x80);

      g_byte_array_append (out, c <= 0x5F ? &kana : (const guchar *) "?", 1);
      return 1;
    }
  if (state == JIS_ASCII)
    {
      g_byte_array_append (out, p, 1);
      return 1;
    }
  if (len < 2 || p[1] < 0x21 || p[1] > 0x7E)
    {
      g_byte_array_append (out, (const guchar *) "?", 1);
      return 1;
    }
  if (state == JIS_KANJI)
    jis_to_sjis (c, p[1], out);
  else
    g_byte_array_append (out, (const guchar *) "\x81\x48", 2); /* ？ */
  return 2;
}

static GByteArray *
iso2022jp_to_cp932 (const guchar *p, gsize len)
{
  GByteArray *out = g_byte_array_sized_new (len);
  JisState state = JIS_ASCII;
  JisState saved = JIS_ASCII;
  gsize i = 0;

  while (i < len)
    {
      gsize n = p[i] == 0x1B ? jis_escape (p + i, len - i, &state) : 0;

      if (n == 0 && p[i] == 0x0E) /* SO: katakana, as CP50221 allows */
        {
          saved = state;
          state = JIS_KANA;
          n = 1;
        }
      else if (n == 0 && p[i] == 0x0F && state == JIS_KANA)
        {
          state = saved;
          n = 1;
        }
      if (n == 0)
        n = jis_char (p + i, len - i, state, out);
      i += n;
    }
  return out;
}

/* Appends converted bytes, NUL (from UTF-16 text) made SUB: the result
 * is a C string, and show_substitutes makes SUB visible. */
static void
append_converted (GString *out, const char *buf, gsize len)
{
  gsize start = out->len;

  g_string_append_len (out, buf, (gssize) len);
  for (gsize i = start; i < out->len; i++)
    if (out->str[i] == '\0')
      out->str[i] = 0x1A;
}

/*
 * iconv with every undecodable byte replaced by U+FFFD.  Returns NULL
 * when iconv does not know the charset; *bad counts replacements.  A
 * character cut at the very end (a part cut at max_part_text) becomes
 * one U+FFFD but does not count: the text is what its label says.
 */
static char *
iconv_to_utf8_cut (const char *charset, const char *data, gsize len, gsize *bad,
                   gboolean *cut)
{
  const char *label = charset_iconv_resolve (charset, &data, &len);
  GIConv cd = charset_iconv_get (label);
  GString *out;
  char buf[4096];
  char *in = (char *) data;
  gsize in_left = len;

  *bad = 0;
  *cut = FALSE;
  if (cd == (GIConv) -1)
    return NULL;
  out = g_string_sized_new (len + len / 2);
  while (in_left > 0)
    {
      char *o = buf;
      gsize o_left = sizeof buf;
      gsize r = g_iconv (cd, &in, &in_left, &o, &o_left);
      int errsv = errno;

      append_converted (out, buf, (gsize) (o - buf));
      if (r == (gsize) -1 && errsv == EINVAL)
        {
          g_string_append (out, "\xEF\xBF\xBD");
          *cut = TRUE;
          break;
        }
      if (r == (gsize) -1 && errsv != E2BIG)
        {
          /* EILSEQ: skip one byte. */
          g_string_append (out, "\xEF\xBF\xBD");
          in++;
          in_left--;
          (*bad)++;
          g_iconv (cd, NULL, NULL, NULL, NULL);
        }
    }
  return g_string_free (out, FALSE);
}

/* Whether UTF-8 text has a C1 control (U+0080..U+009F). */
/* For guessing: a decoding is clean only if every byte decodes, the
 * last one included. */
static char *
iconv_to_utf8 (const char *charset, const char *data, gsize len, gsize *bad)
{
  gboolean cut;
  char *text = iconv_to_utf8_cut (charset, data, len, bad, &cut);

  *bad += cut;
  return text;
}

static gboolean
has_c1 (const char *text)
{
  for (const char *p = text; *p != '\0'; p++)
    if ((guchar) p[0] == 0xC2 && (guchar) p[1] >= 0x80 && (guchar) p[1] <= 0x9F)
      return TRUE;
  return FALSE;
}

static gboolean
has_8bit (const char *data, gsize len)
{
  for (gsize i = 0; i < len; i++)
    if ((guchar) data[i] >= 0x80)
      return TRUE;
  return FALSE;
}

gboolean
charset_has_bytes (const char *data, gsize len, const char *seq, gsize n)
{
  const char *end = data + len;
  const char *p = data;

  /* memchr finds the first byte with vector instructions; glibc's memmem
   * steps through a log byte by byte. */
  while ((gsize) (end - p) >= n
         && (p = memchr (p, seq[0], (gsize) (end - p) - n + 1)) != NULL)
    {
      if (memcmp (p + 1, seq + 1, n - 1) == 0)
        return TRUE;
      p++;
    }
  return FALSE;
}

static gboolean
looks_iso2022jp (const char *data, gsize len)
{
  return charset_has_bytes (data, len, "\033$B", 3)
         || charset_has_bytes (data, len, "\033$@", 3)
         || charset_has_bytes (data, len, "\033(I", 3);
}

static char *
decode_iso2022jp (const char *data, gsize len, gsize *bad, gboolean *cut)
{
  g_autoptr (GByteArray) sjis = iso2022jp_to_cp932 ((const guchar *) data, len);

  return iconv_to_utf8_cut ("CP932", (const char *) sjis->data, sjis->len, bad,
                            cut);
}

static gsize
count_halfwidth_kana (const char *utf8)
{
  gsize n = 0;

  for (const char *p = utf8; *p != '\0'; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);

      n += c >= 0xFF61 && c <= 0xFF9F;
    }
  return n;
}

/*
 * Undeclared or mislabelled 8-bit text: UTF-8 if valid; else whichever of
 * CP932 and EUC-JP decodes cleanly (EUC-JP read as CP932 turns into
 * half-width katakana, so the one with fewer wins).  Only when
 * single_byte: else Windows-1252, and Latin-1 (which decodes any byte) as
 * the last resort.  Returns NULL when nothing fits.
 */
static char *
guess_to_utf8 (const char *data, gsize len, gboolean single_byte)
{
  g_autofree char *sjis = NULL;
  g_autofree char *euc = NULL;
  gsize sjis_bad, euc_bad, bad;
  char *text;

  if (g_utf8_validate_len (data, len, NULL))
    return g_strndup (data, len);
  sjis = iconv_to_utf8 ("CP932", data, len, &sjis_bad);
  euc = iconv_to_utf8 ("EUC-JP-MS", data, len, &euc_bad);
  /* eucJP-ms maps 0x80-0x9F to C1 controls: no Japanese text has them. */
  euc_bad += euc != NULL && has_c1 (euc);
  if (sjis_bad == 0 && euc_bad == 0)
    return count_halfwidth_kana (euc) < count_halfwidth_kana (sjis)
               ? g_steal_pointer (&euc)
               : g_steal_pointer (&sjis);
  if (sjis_bad == 0)
    return g_steal_pointer (&sjis);
  if (euc_bad == 0)
    return g_steal_pointer (&euc);
  if (!single_byte)
    return NULL;
  text = iconv_to_utf8 ("WINDOWS-1252", data, len, &bad);
  if (text != NULL && bad == 0)
    return text;
  g_free (text);
  return iconv_to_utf8 ("ISO-8859-1", data, len, &bad);
}

/* Labels as mail readers treat them (WHATWG's encoding table, in part). */
static const char *
charset_canonical (const char *label)
{
  static const struct
  {
    const char *label;
    const char *iconv;
  } aliases[] = {
    { "shift_jis", "CP932" },
    { "shift-jis", "CP932" },
    { "sjis", "CP932" },
    { "x-sjis", "CP932" },
    { "ms_kanji", "CP932" },
    { "csshiftjis", "CP932" },
    { "windows-31j", "CP932" },
    { "cp932", "CP932" },
    { "ms932", "CP932" },
    { "x-ms-cp932", "CP932" },
    { "euc-jp", "EUC-JP-MS" },
    { "x-euc-jp", "EUC-JP-MS" },
    { "eucjp", "EUC-JP-MS" },
    { "cseucpkdfmtjapanese", "EUC-JP-MS" },
    { "iso-8859-1", "WINDOWS-1252" },
    { "latin1", "WINDOWS-1252" },
    { "us-ascii", "WINDOWS-1252" },
    { "ascii", "WINDOWS-1252" },
    { "utf8", "UTF-8" },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (aliases); i++)
    if (g_ascii_strcasecmp (label, aliases[i].label) == 0)
      return aliases[i].iconv;
  return label;
}

static gboolean
is_iso2022jp_label (const char *label)
{
  return label != NULL
         && (g_ascii_strcasecmp (label, "iso-2022-jp") == 0
             || g_ascii_strcasecmp (label, "csiso2022jp") == 0
             || g_ascii_strcasecmp (label, "iso-2022-jp-1") == 0
             || g_ascii_strcasecmp (label, "cp50220") == 0
             || g_ascii_strcasecmp (label, "cp50221") == 0
             || g_ascii_strcasecmp (label, "cp50222") == 0);
}

static gboolean
is_unlabelled (const char *label)
{
  return label == NULL || *label == '\0'
         || g_ascii_strcasecmp (label, "us-ascii") == 0
         || g_ascii_strcasecmp (label, "ascii") == 0
         || g_ascii_strcasecmp (label, "unknown-8bit") == 0
         || g_ascii_strcasecmp (label, "x-unknown") == 0;
}

static char *
convert_declared (const char *label, const char *data, gsize len,
                  CharsetResult *result)
{
  gsize bad = 0;
  gboolean cut = FALSE;
  g_autofree char *text = NULL;
  char *guess;

  if (is_iso2022jp_label (label))
    text = decode_iso2022jp (data, len, &bad, &cut);
  else if (is_unlabelled (label) && looks_iso2022jp (data, len))
    {
      *result |= CHARSET_GUESSED;
      text = decode_iso2022jp (data, len, &bad, &cut);
    }
  else if (is_unlabelled (label))
    {
      if (!has_8bit (data, len))
        return g_strndup (data, len);
      *result |= CHARSET_GUESSED;
      return guess_to_utf8 (data, len, TRUE);
    }
  else
    text = iconv_to_utf8_cut (charset_canonical (label), data, len, &bad, &cut);
  if (cut)
    *result |= CHARSET_LOSSY;
  if (text != NULL && bad == 0)
    return g_steal_pointer (&text);
  /* An unknown label, or text that is not what its label says: a clean
   * guess beats a lossy decoding; any guess beats no decoding at all. */
  *result |= CHARSET_GUESSED;
  guess = guess_to_utf8 (data, len, text == NULL);
  if (guess != NULL)
    return guess;
  *result |= CHARSET_LOSSY;
  return g_steal_pointer (&text);
}

/* A copy of data with each NUL byte replaced by SUB (0x1A): the result is
 * a C string, and a NUL would silently cut the text after it. */
static char *
replace_nul (const char *data, gsize len)
{
  char *copy = g_memdup2 (data, len);

  for (gsize i = 0; i < len; i++)
    if (copy[i] == '\0')
      copy[i] = 0x1A;
  return copy;
}

/* SUB (from NUL bytes or the mail itself) becomes U+FFFD, visibly. */
static char *
show_substitutes (char *text)
{
  GString *out;

  if (strchr (text, 0x1A) == NULL)
    return text;
  out = g_string_sized_new (strlen (text) + 16);
  for (const char *p = text; *p != '\0'; p++)
    if (*p == 0x1A)
      g_string_append (out, "\xEF\xBF\xBD");
    else
      g_string_append_c (out, *p);
  g_free (text);
  return g_string_free (out, FALSE);
}

static gboolean
is_wide_charset (const char *label)
{
  static const char *const prefixes[] = {
    "utf-16", "utf16", "utf-32", "utf32",   "ucs-2",
    "ucs2",   "ucs-4", "ucs4",   "unicode", "csunicode",
  };

  for (gsize i = 0; label != NULL && i < G_N_ELEMENTS (prefixes); i++)
    if (g_ascii_strncasecmp (label, prefixes[i], strlen (prefixes[i])) == 0)
      return TRUE;
  return FALSE;
}

char *
charset_to_utf8 (const char *charset, const char *data, gsize len,
                 CharsetResult *result)
{
  CharsetResult ignored = CHARSET_OK;
  g_autofree char *copy = NULL;
  char *text;

  if (result == NULL)
    result = &ignored;
  *result = CHARSET_OK;
  if (len == 0)
    return g_strdup ("");
  /* In UTF-16 and UTF-32 a zero byte is half a character, not a NUL. */
  if (!is_wide_charset (charset) && memchr (data, '\0', len) != NULL)
    {
      copy = replace_nul (data, len);
      data = copy;
    }
  text = convert_declared (charset, data, len, result);
  if (!g_utf8_validate (text, -1, NULL))
    {
      char *valid = g_utf8_make_valid (text, -1);

      g_free (text);
      text = valid;
      *result |= CHARSET_LOSSY;
    }
  if (strchr (text, 0x1A) != NULL)
    *result |= CHARSET_LOSSY; /* NUL bytes or characters, now visible */
  return show_substitutes (text);
}

/* The charset of an encoded-word starting at p ("=?" seen), into buf;
 * FALSE when it is none. */
static gboolean
preload_label (const char *p, const char *end, char *buf, gsize size)
{
  gsize n = 0;

  for (p += 2; p < end && *p != '?' && *p != '*'; p++)
    {
      if (n + 1 >= size || *p == '\n' || *p == ' ')
        return FALSE;
      buf[n++] = *p;
    }
  buf[n] = '\0';
  return p < end && n > 0;
}

void
charset_preload (const char *data, gsize len,
                 const char *(*iconv_name) (const char *) )
{
  const char *end = data + len;
  const char *p = data;
  char label[72];

  while (end - p >= 2 && (p = memchr (p, '=', (gsize) (end - p - 1))) != NULL)
    {
      if (p[1] == '?' && preload_label (p, end, label, sizeof label))
        {
          charset_iconv_pin (label);
          charset_iconv_pin (charset_canonical (label));
          if (iconv_name != NULL)
            charset_iconv_pin (iconv_name (label));
        }
      p++;
    }
}

gsize
charset_utf8_cut (const char *text, gsize len, gsize max)
{
  const char *cut;

  if (len <= max)
    return len;
  cut = g_utf8_find_prev_char (text, text + max + 1);
  return cut ? (gsize) (cut - text) : 0;
}
