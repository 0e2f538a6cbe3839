/*
 * output.h - text for operators' terminals: column widths that count East
 * Asian wide characters as two cells, padding and cutting to a width,
 * and times in the operator's local zone.
 */
#ifndef MADOGUCHI_OUTPUT_H
#define MADOGUCHI_OUTPUT_H

#include <glib.h>

/* Terminal cells the UTF-8 text takes (wide: 2, combining: 0). */
gsize output_width (const char *text);

/*
 * Appends text to out, cut (with "…") to at most width cells and padded
 * with spaces to exactly width when pad.  Control characters are shown
 * as spaces so that mail cannot move an operator's cursor.
 */
void output_cell (GString *out, const char *text, gsize width, gboolean pad);

/* (transfer full) "2026-11-26 14:05" in local time; "-" for 0. */
char *output_time (gint64 unix_time);

/* (transfer full) ISO 8601 UTC "2026-11-26T05:05:00Z". */
char *output_time_iso (gint64 unix_time);

#endif
