/*
 * csv.c - CSV fields and records (RFC 4180 quoting, LF record ends) with
 * a guard against spreadsheet formulas in reporters' text, and controls
 * made visible as output_append_safe() shows them on a terminal.
 */
#include "madoguchi/csv.h"

#include <string.h>

#include "madoguchi/output.h"

void
csv_init (CsvRecord *record)
{
  record->line = g_string_new (NULL);
  record->fields = 0;
}

void
csv_clear (CsvRecord *record)
{
  if (record->line != NULL)
    g_string_free (record->line, TRUE);
  record->line = NULL;
}

static void
csv_separate (CsvRecord *record)
{
  if (record->fields++ > 0)
    g_string_append_c (record->line, ',');
}

void
csv_text (CsvRecord *record, const char *value)
{
  g_autoptr (GString) safe = g_string_new (NULL);
  const char *text;
  gboolean formula;
  gboolean quote;

  /* Exports are read with cat and less as often as with a spreadsheet:
   * controls and bidi characters are shown, as on a terminal. */
  output_append_safe (safe, value, -1, OUTPUT_LINES);
  text = safe->str;
  formula = *text != '\0' && strchr ("=+-@\t", *text) != NULL;
  quote = formula || strpbrk (text, ",\"\n") != NULL;
  csv_separate (record);
  if (!quote)
    {
      g_string_append (record->line, text);
      return;
    }
  g_string_append_c (record->line, '"');
  if (formula)
    g_string_append_c (record->line, '\'');
  for (const char *p = text; *p != '\0'; p++)
    {
      if (*p == '"')
        g_string_append_c (record->line, '"');
      g_string_append_c (record->line, *p);
    }
  g_string_append_c (record->line, '"');
}

void
csv_int (CsvRecord *record, gint64 value)
{
  csv_separate (record);
  g_string_append_printf (record->line, "%" G_GINT64_FORMAT, value);
}

void
csv_empty (CsvRecord *record)
{
  csv_separate (record);
}

gboolean
csv_end (CsvRecord *record, FILE *out)
{
  gboolean ok;

  g_string_append_c (record->line, '\n');
  ok = fwrite (record->line->str, 1, record->line->len, out)
       == record->line->len;
  g_string_truncate (record->line, 0);
  record->fields = 0;
  return ok;
}

G_DEFINE_QUARK (madoguchi - csv - error - quark, csv_error)

void
csv_reader_init (CsvReader *r, const char *text, gsize len, char sep)
{
  gsize bom = len >= 3 && memcmp (text, "\357\273\277", 3) == 0 ? 3 : 0;

  r->text = text;
  r->len = len;
  r->pos = bom;
  r->line = 1;
  r->sep = sep;
  r->record_line = 0;
  r->fields = g_ptr_array_new_with_free_func (g_free);
}

void
csv_reader_clear (CsvReader *r)
{
  g_clear_pointer (&r->fields, g_ptr_array_unref);
}

/* A line end at pos (LF, CRLF or CR): its length, else 0. */
static gsize
line_end (const CsvReader *r)
{
  if (r->text[r->pos] == '\n')
    return 1;
  if (r->text[r->pos] != '\r')
    return 0;
  return r->pos + 1 < r->len && r->text[r->pos + 1] == '\n' ? 2 : 1;
}

/* A quoted field from after its opening quote to after its closing one;
 * "" is a quote.  FALSE when no closing quote comes. */
static gboolean
read_quoted (CsvReader *r, GString *field)
{
  while (r->pos < r->len)
    {
      gsize eol = line_end (r);
      char c = r->text[r->pos];

      if (c == '"' && r->pos + 1 < r->len && r->text[r->pos + 1] == '"')
        r->pos++;
      else if (c == '"')
        {
          r->pos++;
          return TRUE;
        }
      if (eol > 0)
        r->line++;
      g_string_append_len (field, r->text + r->pos, eol > 0 ? (gssize) eol : 1);
      r->pos += eol > 0 ? eol : 1;
    }
  return FALSE;
}

static gboolean
quote_error (const CsvReader *r, guint line, const char *what, GError **error)
{
  g_set_error (error, CSV_ERROR, CSV_ERROR_QUOTE, "line %u: %s", line, what);
  return FALSE;
}

/* One field, up to its separator or the record's end. */
static gboolean
read_field (CsvReader *r, GString *field, GError **error)
{
  g_string_truncate (field, 0);
  if (r->pos < r->len && r->text[r->pos] == '"')
    {
      guint start = r->line;

      r->pos++;
      if (!read_quoted (r, field))
        return quote_error (r, start, "a quoted field is never closed", error);
      if (r->pos < r->len && r->text[r->pos] != r->sep && line_end (r) == 0)
        return quote_error (r, r->line, "text after a closing quote", error);
      return TRUE;
    }
  while (r->pos < r->len && r->text[r->pos] != r->sep && line_end (r) == 0)
    g_string_append_c (field, r->text[r->pos++]);
  return TRUE;
}

gboolean
csv_reader_next (CsvReader *r, GError **error)
{
  g_autoptr (GString) field = g_string_new (NULL);

  g_ptr_array_set_size (r->fields, 0);
  if (r->pos >= r->len)
    return FALSE;
  r->record_line = r->line;
  for (;;)
    {
      gsize eol;

      if (!read_field (r, field, error))
        return FALSE;
      g_ptr_array_add (r->fields, g_strdup (field->str));
      if (r->pos >= r->len)
        return TRUE;
      eol = line_end (r);
      r->pos += eol > 0 ? eol : 1; /* the line end, or the separator */
      if (eol > 0)
        {
          r->line++;
          return TRUE;
        }
    }
}
