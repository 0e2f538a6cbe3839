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
 * text, however many patterns there are.  For a pattern that cannot
 * match a newline, the scan also says which lines hold its literals: the
 * pattern need only be run on those.
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

/*
 * Adds a pattern by its literals as prefilter_literals found them (NULL:
 * none), taking them; for a cache that saves reducing the pattern again.
 */
guint prefilter_add_literals (Prefilter *p, GPtrArray *literals,
                              gboolean line_local);

/* Pattern n's literals (NULL: none) and whether it is line-local. */
const GPtrArray *prefilter_pattern_literals (const Prefilter *p, guint n,
                                             gboolean *line_local);

/* Makes the added patterns ready to scan for; call it once, after the
 * last prefilter_add. */
void prefilter_build (Prefilter *p);

/* How many patterns were added. */
guint prefilter_count (const Prefilter *p);

/* What one pass over a text found. */
typedef struct PrefilterHits PrefilterHits;

/* A part of the text: bytes start .. end. */
typedef struct
{
  gsize start;
  gsize end;
} PrefilterSpan;

/* Looks for the literals of every pattern in text (which must outlive
 * the result). */
PrefilterHits *prefilter_scan (const Prefilter *p, const char *text, gsize len);
void prefilter_hits_free (PrefilterHits *h);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (PrefilterHits, prefilter_hits_free)

/* Whether pattern n may match the text. */
gboolean prefilter_hits_candidate (const PrefilterHits *h, guint n);

/*
 * Where pattern n may match: the runs of whole lines (each with its line
 * end) that hold one of its literals, in text order; or NULL when the
 * pattern can match across lines, and so anywhere.  Only for a
 * candidate.
 */
const GArray *prefilter_hits_spans (PrefilterHits *h, guint n);

/*
 * The literals of pattern (lower-case ASCII, sorted), or NULL when it has
 * none and is a candidate for every text.  *line_local (if not NULL):
 * no part of the pattern, look-arounds included, can match a newline,
 * so a match lies within one line.  For tests and the scan.
 */
GPtrArray *prefilter_literals (const char *pattern, gboolean *line_local);

#endif
