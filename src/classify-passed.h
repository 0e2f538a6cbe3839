/*
 * classify-passed.h - reading what a report passes on (private to the
 * classify module).
 */
#ifndef MADOGUCHI_CLASSIFY_PASSED_H
#define MADOGUCHI_CLASSIFY_PASSED_H

#include <glib.h>

typedef struct
{
  GString *own;       /* the reporter's lines (the others blank) */
  GString *passed_on; /* quoted, forwarded and signature lines */
} Split;

/* (transfer full) the body cut into the reporter's words and what is
 * passed on (a line each, the other blank, so that both keep the body's
 * lines); NULL when it is all the reporter's own. */
Split *classify_split_body (const char *text);
void classify_split_free (gpointer split);

/* Whether line (len bytes) is a From: of a forwarded message with the
 * address addr (lower case) in it. */
gboolean classify_from_line_is (const char *line, gsize len, const char *addr);

/* Whether a subject is a forward's or a reply's ("Fwd:", "Re:", "転送:"). */
gboolean classify_subject_passed_on (const char *subject);

#endif
