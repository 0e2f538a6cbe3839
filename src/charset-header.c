/*
 * charset-header.c - header text to UTF-8: RFC 2047 encoded-words
 * (B and Q, adjacent words of one charset joined before conversion,
 * an RFC 2231 language suffix dropped), raw 8-bit text guessed as body
 * text is, all within a budget of runs and converters opened; the
 * result is one line with no control characters.
 */
#include <string.h>

#include "charset-private.h"
#include "madoguchi/charset.h"

typedef struct
{
  char *charset;     /* of the bytes pending, or NULL */
  GByteArray *bytes; /* decoded encoded-word bytes not yet converted */
  GString *out;
  guint runs;        /* runs of encoded-words that may still start */
  guint64 opens_end; /* charset_iconv_opens () that ends decoding */
  gboolean spent;    /* the rest was kept as it came */
} HeaderDecoder;

/* Converts what adjacent encoded-words of one charset accumulated. */
static void
header_flush (HeaderDecoder *d)
{
  g_autofree char *text = NULL;

  if (d->charset == NULL)
    return;
  text = charset_to_utf8 (d->charset, (const char *) d->bytes->data,
                          d->bytes->len, NULL);
  g_string_append (d->out, text);
  g_clear_pointer (&d->charset, g_free);
  g_byte_array_set_size (d->bytes, 0);
}

static void
decode_q (const char *text, gsize len, GByteArray *out)
{
  for (gsize i = 0; i < len; i++)
    {
      guchar c = (guchar) text[i];

      if (c == '_')
        c = ' ';
      else if (c == '=' && i + 2 < len && g_ascii_isxdigit (text[i + 1])
               && g_ascii_isxdigit (text[i + 2]))
        {
          c = (guchar) (g_ascii_xdigit_value (text[i + 1]) * 16
                        + g_ascii_xdigit_value (text[i + 2]));
          i += 2;
        }
      g_byte_array_append (out, &c, 1);
    }
}

static void
decode_b (const char *text, gsize len, GByteArray *out)
{
  gsize start = out->len;
  gint state = 0;
  guint save = 0;

  /* Encoded data is at most 3/4 of its base64 text, plus slack. */
  g_byte_array_set_size (out, (guint) (start + len * 3 / 4 + 3));
  out->len = (guint) (start
                      + g_base64_decode_step (text, len, out->data + start,
                                              &state, &save));
}

/*
 * Parses "=?charset?E?text?=" at p.  On success returns its length and
 * the parts; the charset loses an RFC 2231 "*language" suffix.
 */
static gsize
encoded_word (const char *p, char **charset, char *encoding, const char **text,
              gsize *text_len)
{
  const char *q1, *q2, *end;

  if (p[0] != '=' || p[1] != '?')
    return 0;
  q1 = strchr (p + 2, '?');
  if (q1 == NULL || q1 == p + 2 || q1[1] == '\0' || q1[2] != '?')
    return 0;
  *encoding = g_ascii_toupper (q1[1]);
  if (*encoding != 'B' && *encoding != 'Q')
    return 0;
  q2 = q1 + 3;
  /* Encoded text holds no space and no '?': stopping there keeps a
   * broken word from swallowing the next one, and keeps the scan linear
   * on a header full of unclosed words. */
  end = q2 + strcspn (q2, "? \t\r\n");
  if (end[0] != '?' || end[1] != '='
      || memchr (p + 2, ' ', (gsize) (q1 - p - 2)) != NULL)
    return 0;
  *charset = g_strndup (p + 2, (gsize) (q1 - p - 2));
  *strchrnul (*charset, '*') = '\0';
  *text = q2;
  *text_len = (gsize) (end - q2);
  return (gsize) (end + 2 - p);
}

static gboolean
is_encoded_word (const char *p)
{
  g_autofree char *charset = NULL;
  const char *text;
  gsize text_len;
  char encoding;

  return encoded_word (p, &charset, &encoding, &text, &text_len) > 0;
}

/* Appends plain (not encoded) header text, detecting raw 8-bit. */
static void
header_plain (HeaderDecoder *d, const char *p, gsize len)
{
  g_autofree char *text = NULL;

  header_flush (d);
  text = charset_to_utf8 (NULL, p, len, NULL);
  g_string_append (d->out, text);
}

static gsize
skip_space (const char *p)
{
  gsize n = 0;

  while (p[n] == ' ' || p[n] == '\t' || p[n] == '\r' || p[n] == '\n')
    n++;
  return n;
}

/*
 * Whether the budget lets an encoded-word in charset be decoded.  One
 * that continues the pending run always may: the run is converted once,
 * in time linear in its bytes.  A new run (the pending one converted
 * first) needs a run left, and the converters opened so far within the
 * budget: a converter not kept open costs a gconv module's load and
 * unload, and a header can name a new charset every 20 bytes.
 */
static gboolean
header_may_decode (HeaderDecoder *d, const char *charset)
{
  if (d->charset != NULL && g_ascii_strcasecmp (d->charset, charset) == 0)
    return TRUE;
  header_flush (d);
  return d->runs > 0 && charset_iconv_opens () < d->opens_end;
}

static void
header_word (HeaderDecoder *d, char *charset, char encoding, const char *text,
             gsize len)
{
  if (d->charset == NULL)
    {
      d->charset = g_strdup (charset);
      d->runs--;
    }
  if (encoding == 'B')
    decode_b (text, len, d->bytes);
  else
    decode_q (text, len, d->bytes);
}

static char *
sanitize_line (GString *s)
{
  char *text = g_utf8_make_valid (s->str, (gssize) s->len);

  /* A header is one line: folding, NULs and other controls must never
   * reach a terminal, a CSV file or the Subject of a reply. */
  for (char *p = text; *p != '\0'; p++)
    if ((guchar) *p < 0x20 || *p == 0x7F)
      *p = ' ';
  return g_strstrip (text);
}

static void
header_decode (HeaderDecoder *d, const char *raw)
{
  const char *p = raw;

  while (*p != '\0')
    {
      g_autofree char *charset = NULL;
      const char *text, *next;
      char encoding;
      gsize text_len;
      gsize n = encoded_word (p, &charset, &encoding, &text, &text_len);

      if (n > 0 && !header_may_decode (d, charset))
        {
          /* Past the budget the rest stays as it came: still all there,
           * only not decoded. */
          header_plain (d, p, strlen (p));
          d->spent = TRUE;
          return;
        }
      if (n > 0)
        {
          header_word (d, charset, encoding, text, text_len);
          p += n;
          /* Space between two encoded-words is not part of the text. */
          if (is_encoded_word (p + skip_space (p)))
            p += skip_space (p);
          continue;
        }
      next = strstr (p + 1, "=?");
      n = next ? (gsize) (next - p) : strlen (p);
      header_plain (d, p, n);
      p += n;
    }
  header_flush (d);
}

char *
charset_decode_header_budget (const char *raw, CharsetBudget *budget)
{
  guint runs = MIN (budget->runs, CHARSET_HEADER_RUNS_MAX);
  guint64 opens = charset_iconv_opens ();
  HeaderDecoder d = {
    .bytes = g_byte_array_new (),
    .out = g_string_new (NULL),
    .runs = runs,
    .opens_end = opens + MIN (budget->opens, CHARSET_HEADER_OPENS_MAX),
  };
  char *result;

  header_decode (&d, raw);
  opens = charset_iconv_opens () - opens;
  budget->runs -= runs - d.runs;
  budget->opens -= (guint) MIN (budget->opens, opens);
  budget->exhausted |= d.spent;
  result = sanitize_line (d.out);
  g_string_free (d.out, TRUE);
  g_byte_array_unref (d.bytes);
  return result;
}

char *
charset_decode_header (const char *raw)
{
  CharsetBudget budget = {
    .runs = CHARSET_HEADER_RUNS_MAX,
    .opens = CHARSET_HEADER_OPENS_MAX,
  };

  return charset_decode_header_budget (raw, &budget);
}
