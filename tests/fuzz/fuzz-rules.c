/*
 * fuzz-rules.c - a rule file as a careless site might write it: the
 * input is written as the only NAME.rules of a private directory (with
 * the shipped tlds beside it) and loaded with rules_load.  Whatever the
 * file holds, loading must not crash: a broken rule is a problem in the
 * set, never a failure.  The rules that do load are then run over a
 * shipped sample report, so that a pattern which compiles but matches
 * oddly (a timestamp rule without a day, a group that can be empty)
 * reaches extract and classify too.
 */
#include <stdlib.h>

#include "fuzz-util.h"
#include "madoguchi/classify.h"
#include "madoguchi/extract.h"
#include "madoguchi/message.h"
#include "madoguchi/rules.h"

#define REPORT_TIME 1795654800 /* Thu, 26 Nov 2026 10:00:00 +0900 */
#define REPORT_OFFSET (9 * 3600)
#define SAMPLE MADOGUCHI_SOURCE_DIR "/tests/data/multipart-log.eml"

static const char *dir;
static char *rule_file;
static Message *sample;

static void
read_or_die (const char *path, char **text, gsize *len)
{
  g_autoptr (GError) error = NULL;

  if (!g_file_get_contents (path, text, len, &error))
    {
      g_printerr ("fuzz-rules: %s\n", error->message);
      abort ();
    }
}

int
LLVMFuzzerInitialize (int *argc, char ***argv)
{
  g_autofree char *tlds = NULL;
  g_autofree char *tlds_path = NULL;
  g_autofree char *mail = NULL;
  gsize len;
  MessageLimits limits = { .max_depth = 32,
                           .max_parts = 1000,
                           .max_part_text = 8 * 1024 * 1024 };

  fuzz_glib_setup ();
  message_init ();
  dir = fuzz_temp_dir ("madoguchi-fuzz-rules");
  rule_file = g_build_filename (dir, "fuzz.rules", NULL);
  read_or_die (MADOGUCHI_SOURCE_DIR "/rules/tlds", &tlds, &len);
  tlds_path = g_build_filename (dir, "tlds", NULL);
  fuzz_write_file (tlds_path, (const uint8_t *) tlds, len);
  read_or_die (SAMPLE, &mail, &len);
  sample = message_parse (mail, len, &limits);
  return 0;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (RuleSet) set = NULL;
  g_autoptr (Extraction) extraction = NULL;
  g_autoptr (Classification) classification = NULL;
  ExtractOptions extract_options
      = { REPORT_TIME, REPORT_OFFSET, 10000, 1 << 20, NULL, FALSE, 10000 };
  ClassifyOptions classify_options = { 3 };

  fuzz_write_file (rule_file, data, size);
  set = rules_load (dir, &error);
  if (set == NULL)
    {
      /* Only an unreadable directory may fail, and ours is readable. */
      g_printerr ("fuzz-rules: %s\n", error->message);
      abort ();
    }
  extraction = extract_run (set, sample, &extract_options);
  classification = classify_run (set, sample, extraction, &classify_options);
  return 0;
}
