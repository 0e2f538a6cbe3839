/*
 * fuzz-timestamp.c - log lines as a reporter pastes them: the input is
 * the text of a message's only part, scanned by the evidence rules of
 * the shipped extract.rules (timestamps, log lines and the addresses
 * whose first and last seen times come from them).
 *
 * Each input is scanned against three reference times: the usual one,
 * one just after New Year (a year-less time may fall in the year before)
 * and the ends of what a Date header can say (years 1 and 9999), where
 * the date arithmetic is closest to overflowing.
 */
#include <stdlib.h>

#include "fuzz-util.h"
#include "madoguchi/charset.h"
#include "madoguchi/extract.h"
#include "madoguchi/message.h"
#include "madoguchi/rules.h"
#include "../support/text-message.h"

static const struct
{
  gint64 time;
  int offset;
} references[] = {
  { 1795654800, 9 * 3600 },                /* 2026-11-26 10:00 +0900 */
  { 1798761600 + 1800, -10 * 3600 },       /* 2027-01-01 00:30 UTC, -1000 */
  { G_GINT64_CONSTANT (-62135596800), 0 }, /* 0001-01-01 */
  { G_GINT64_CONSTANT (253402300799), 14 * 3600 }, /* 9999-12-31 */
};

static RuleSet *shipped; /* extract_run applies its evidence rules */

int
LLVMFuzzerInitialize (int *argc, char ***argv)
{
  g_autoptr (GError) error = NULL;

  fuzz_glib_setup ();
  shipped = rules_load (MADOGUCHI_SOURCE_DIR "/rules", &error);
  if (shipped == NULL || rules_problems (shipped)->len > 0)
    {
      g_printerr ("fuzz-timestamp: the shipped rules do not load\n");
      abort ();
    }
  return 0;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  /* message.c hands extract valid UTF-8 without NULs; so do we. */
  g_autofree char *text
      = charset_to_utf8 ("utf-8", (const char *) data, size, NULL);
  g_autoptr (Message) m = message_with_text (text);

  for (gsize i = 0; i < G_N_ELEMENTS (references); i++)
    {
      ExtractOptions options = { references[i].time,
                                 references[i].offset,
                                 10000,
                                 1 << 20,
                                 NULL,
                                 FALSE,
                                 10000 };

      report_extraction_free (extract_run (shipped, m, &options));
    }
  return 0;
}
