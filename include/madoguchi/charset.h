/*
 * charset.h - bytes in whatever charset a mailer chose, to valid UTF-8.
 *
 * Japanese mail is decoded the way mail readers do it, not the way the
 * standards name it: ISO-2022-JP as CP50221 (NEC and IBM extensions, so
 * that ①, ㈱ and ～ survive), Shift_JIS as CP932, EUC-JP as eucJP-ms.
 * Undeclared 8-bit text is detected (UTF-8, else CP932 or EUC-JP, else
 * Windows-1252), never dropped.
 */
#ifndef MADOGUCHI_CHARSET_H
#define MADOGUCHI_CHARSET_H

#include <glib.h>

typedef enum
{
  CHARSET_OK = 0,
  CHARSET_GUESSED = 1 << 0, /* undeclared, unknown or wrong label */
  CHARSET_LOSSY = 1 << 1,   /* some bytes became U+FFFD */
} CharsetResult;

/*
 * Converts len bytes of data, labelled charset (NULL when the mail does
 * not say), to UTF-8.  The result is always valid UTF-8 and keeps every
 * character it could decode; NUL bytes come out as U+FFFD instead of
 * cutting the text.  *result (may be NULL) tells how it went.
 * Returns (transfer full) the UTF-8 text.
 */
char *charset_to_utf8 (const char *charset, const char *data, gsize len,
                       CharsetResult *result);

/*
 * Decodes a raw (possibly folded) header value: RFC 2047 encoded-words,
 * adjacent words joined as bytes before conversion (so a character split
 * between two words decodes), raw 8-bit text detected.  Control
 * characters become spaces, so the result is one safe line.
 * Returns (transfer full) UTF-8.
 */
char *charset_decode_header (const char *raw);

/*
 * The most decoding work one header may take.  A run is what adjacent
 * encoded-words of one charset make: converted once, in time linear in
 * its bytes.  An open is a converter to UTF-8 that the thread did not
 * already keep open (a gconv module loaded and, later, unloaded).
 */
#define CHARSET_HEADER_RUNS_MAX 1000
#define CHARSET_HEADER_OPENS_MAX 16

/* Decoding work left, shared by the headers of one message. */
typedef struct
{
  guint runs;
  guint opens;
  gboolean exhausted; /* set when a header's encoded-words were kept */
} CharsetBudget;

/*
 * As charset_decode_header, within budget and at most
 * CHARSET_HEADER_RUNS_MAX runs and CHARSET_HEADER_OPENS_MAX opens.  From
 * the first encoded-word past them on, the header is kept as it came
 * (still one safe line), and budget->exhausted is set.  The work done
 * is taken off budget.  Returns (transfer full) UTF-8.
 */
char *charset_decode_header_budget (const char *raw, CharsetBudget *budget);

/*
 * Keeps loaded, for the life of the process, the converters of every
 * charset an encoded-word in the len bytes of data names: by its label,
 * by the name charset_to_utf8 converts it with, and by iconv_name (label)
 * unless iconv_name is NULL.  For GMime, which opens and closes a
 * converter for each encoded-word it decodes while it parses: loading
 * and unloading a gconv module each time cost 0.2-2 ms a word.  At most
 * one converter per gconv module installed is kept.  Thread-safe.
 */
void charset_preload (const char *data, gsize len,
                      const char *(*iconv_name) (const char *) );

/*
 * Whether the len bytes of data hold the n bytes of seq (n >= 1).  As
 * memmem, but many times faster over a whole log for the short,
 * rarely-starting sequences looked for (escapes, fullwidth forms).
 */
gboolean charset_has_bytes (const char *data, gsize len, const char *seq,
                            gsize n);

/*
 * How many bytes of UTF-8 text (len bytes) fit in max: len itself when
 * it is no more, else the longest prefix that ends on a character
 * boundary.
 */
gsize charset_utf8_cut (const char *text, gsize len, gsize max);

#endif
