/*
 * prefilter.h - which of many patterns can match a text, in one pass.
 *
 * Each pattern is reduced to a set of literals such that every match of
 * the pattern contains one of them (ASCII letters folded to lower case).
 * A text that contains none of a pattern's literals cannot match it, so
 * the pattern need not be compiled or run on that text.  A pattern whose
 * syntax the reduction does not follow, or that can match without any
 * literal, has no set: it is a candidate for every text.
 *
 * Scanning a text for the literals of every pattern is one pass over the
 * text, however many patterns there are.
 */
#ifndef MADOGUCHI_PREFILTER_H
#define MADOGUCHI_PREFILTER_H

#include <glib.h>

typedef struct Prefilter Prefilter;

Prefilter *prefilter_new (void);
void prefilter_free (Prefilter *p);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (Prefilter, prefilter_free)

/*
 * Adds a PCRE2 pattern (UTF-8, compiled elsewhere with PCRE2_UTF) as the
 * next number, counting from 0, and returns that number.
 */
guint prefilter_add (Prefilter *p, const char *pattern);

/* Makes the added patterns ready to scan for; call it once, after the
 * last prefilter_add. */
void prefilter_build (Prefilter *p);

/* How many patterns were added. */
guint prefilter_count (const Prefilter *p);

/*
 * Sets bit n (candidates[n / 8] & 1 << n % 8) for every pattern n that
 * may match text; other bits are cleared.  candidates holds
 * (prefilter_count () + 7) / 8 bytes.
 */
void prefilter_scan (const Prefilter *p, const char *text, gsize len,
                     guint8 *candidates);

/*
 * The literals of pattern (lower-case ASCII, sorted), or NULL when it has
 * none and is a candidate for every text.  For tests and `rules check`.
 */
GPtrArray *prefilter_literals (const char *pattern);

#endif
