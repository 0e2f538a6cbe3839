/*
 * output.h - text for operators' terminals: mail made safe to show,
 * column widths that count East Asian wide characters as two cells,
 * padding and cutting to a width, and times in the operator's local
 * zone.
 *
 * Every text that came in a message (or from a reporter at all) goes to
 * a terminal through output_append_safe(), directly or through
 * output_safe() or output_cell(): nothing else in madoguchi decides what
 * a terminal may see.
 */
#ifndef MADOGUCHI_OUTPUT_H
#define MADOGUCHI_OUTPUT_H

#include <glib.h>

/* What a command prints: --format table (default), json or csv. */
typedef enum
{
  OUTPUT_FORMAT_TABLE,
  OUTPUT_FORMAT_JSON,
  OUTPUT_FORMAT_CSV,
} OutputFormat;

/*
 * The columns a table may fill: $COLUMNS when it is a number (as the
 * shell sets it, and as a user forces a width), else the width of the
 * terminal on standard output; 0 (no limit: each column keeps its own
 * maximum) when standard output is no terminal, so that a table piped
 * to grep or a file loses nothing to an invented width.
 */
gsize output_terminal_width (void);

/* What output_append_safe() does with line breaks and tabs. */
typedef enum
{
  OUTPUT_ONE_LINE, /* newline and tab become a space: one field */
  OUTPUT_LINES,    /* newline and tab kept: a message's text */
} OutputLines;

/*
 * Whether c is a character that a terminal (or a text viewer) acts on
 * instead of showing: C0 controls, DEL, C1 controls (U+0080-U+009F) and
 * the bidirectional marks, embeddings, overrides and isolates (U+061C,
 * U+200E, U+200F, U+202A-U+202E, U+2066-U+2069), which reorder what an
 * operator reads.  Newline and tab are controls too: callers that keep
 * them test for them first.  Shared with the JSON writer, so that both
 * agree on what is dangerous.
 */
gboolean output_is_control (gunichar c);

/*
 * Appends text (len bytes, or up to its NUL when len < 0; NULL appends
 * nothing) to out as it can safely reach a terminal, always valid UTF-8:
 * a C0 control or DEL in caret notation (ESC "^[", CR "^M", DEL "^?"),
 * any other character of output_is_control() as "<U+202E>", and each
 * byte that is not part of valid UTF-8 as "\x9B".  Everything else,
 * Japanese included, is copied unchanged.  lines says what becomes of
 * newlines and tabs.
 */
void output_append_safe (GString *out, const char *text, gssize len,
                         OutputLines lines);

/* (transfer full) text made safe on one line (OUTPUT_ONE_LINE); ""
 * for NULL. */
char *output_safe (const char *text);

/* Terminal cells text takes once made safe on one line (wide: 2,
 * combining: 0, "^[": 2). */
gsize output_width (const char *text);

/*
 * Appends text to out made safe on one line, cut (with "…") to at most
 * width cells and padded with spaces to exactly width when pad.
 */
void output_cell (GString *out, const char *text, gsize width, gboolean pad);

/* (transfer full) "2026-11-26 14:05" in local time; "-" for 0. */
char *output_time (gint64 unix_time);

/* (transfer full) ISO 8601 UTC "2026-11-26T05:05:00Z". */
char *output_time_iso (gint64 unix_time);

#endif
