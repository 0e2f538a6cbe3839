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
