/*
 * csv.h - comma-separated values (RFC 4180) for --format csv.
 *
 * Fields are quoted only when they must be.  Records end with LF, as
 * Unix tools expect and spreadsheets accept; a field that holds a line
 * break is quoted and so stays one field.  Text that reporters wrote
 * (subjects, addresses) could start a spreadsheet formula; csv_text()
 * defuses that.
 */
#ifndef MADOGUCHI_CSV_H
#define MADOGUCHI_CSV_H

#include <glib.h>
#include <stdio.h>

/* One record being written. */
typedef struct {
  GString *line;
  guint fields;
} CsvRecord;

void csv_init (CsvRecord *record);
void csv_clear (CsvRecord *record);
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (CsvRecord, csv_clear)

/*
 * Appends a text field; NULL is an empty field.  Control and bidi
 * characters and invalid UTF-8 are shown as output_append_safe() shows
 * them (OUTPUT_LINES: newlines and tabs kept; a CR is "^M").  Text that
 * begins with = + - @ or a tab gets a leading apostrophe (OWASP's advice
 * against CSV injection), so that a spreadsheet shows it instead of
 * evaluating it.
 */
void csv_text (CsvRecord *record, const char *value);

/* Appends a number field. */
void csv_int (CsvRecord *record, gint64 value);

/* Appends an empty field (a missing value). */
void csv_empty (CsvRecord *record);

/* Writes the record and a LF to out, and starts the next record.
 * FALSE on a write error (errno set). */
gboolean csv_end (CsvRecord *record, FILE *out);

#endif
