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
typedef struct
{
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

/*
 * Reading: records of an RFC 4180 text, in place.  A leading UTF-8 BOM
 * is skipped; fields may be quoted ("a, b", "line\nline", "say ""x""");
 * records end with LF or CRLF (a lone CR too).  Unlike a feed (feed.c,
 * which reads what a machine wrote and never fails), a file an operator
 * hands in (contacts) is refused at its first broken record, so that a
 * typo is never half imported.
 */
#define CSV_ERROR (csv_error_quark ())
GQuark csv_error_quark (void);

typedef enum
{
  CSV_ERROR_QUOTE, /* a quote never closed, or text after one */
} CsvError;

typedef struct
{
  const char *text; /* (transfer none): must outlive the reader */
  gsize len;
  gsize pos;
  guint line; /* 1-based line of the next byte */
  char sep;
  guint record_line; /* where the last record read started */
  GPtrArray *fields; /* of char *: the last record's fields */
} CsvReader;

void csv_reader_init (CsvReader *reader, const char *text, gsize len, char sep);
void csv_reader_clear (CsvReader *reader);
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (CsvReader, csv_reader_clear)

/*
 * Reads the next record into reader->fields (valid until the next call)
 * and its first line into reader->record_line.  FALSE past the last
 * record (error unset) or on a broken quote (error names the line).
 * Empty lines are records of one empty field.
 */
gboolean csv_reader_next (CsvReader *reader, GError **error);

#endif
