/*
 * charset-private.h - private to charset.c and charset-iconv.c: the
 * iconv converters to UTF-8 each thread keeps open.
 */
#ifndef MADOGUCHI_CHARSET_PRIVATE_H
#define MADOGUCHI_CHARSET_PRIVATE_H

#include <glib.h>

/* How many converters one thread keeps open at most. */
#define CHARSET_ICONV_CACHE_MAX 24

/*
 * A converter from charset (an iconv name) to UTF-8, in its initial
 * state, or (GIConv) -1 when iconv does not know the charset.  Returns
 * (transfer none) a converter the calling thread may use until its next
 * call here, and must not close.
 */
GIConv charset_iconv_get (const char *charset);

/*
 * The label a fresh converter would read data with, for labels whose
 * glibc converter reads a byte-order mark and remembers it: UTF-16,
 * UTF-32 and UNICODE become their explicit-order forms, and *data and
 * *len lose the mark.  Any other label is returned as it is.
 * Returns (transfer none) a static string or charset.
 */
const char *charset_iconv_resolve (const char *charset, const char **data,
                                   gsize *len);

/*
 * Keeps charset's gconv module loaded for the life of the process (one
 * converter per module, whatever label names it), so that opening and
 * closing converters for it, here or in GMime, never loads or unloads
 * it again.  Unknown and malformed labels are ignored.  Thread-safe.
 */
void charset_iconv_pin (const char *charset);

/* How many converters the calling thread has opened, or tried to. */
guint64 charset_iconv_opens (void);

#endif
