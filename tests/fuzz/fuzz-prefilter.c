/*
 * fuzz-prefilter.c - the prefilter against PCRE2 itself: the input's
 * first line is a pattern (as a site could write one), the rest a text.
 * Wherever PCRE2 finds a match, the prefilter must have said that the
 * pattern may match the text, and for a pattern it calls line-local, the
 * match must lie within one of the lines it named.  Either failure means
 * intake would skip a match: an abort here.
 */
#include <stdlib.h>
#include <string.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "fuzz-util.h"
#include "madoguchi/prefilter.h"

static pcre2_match_context *limits;

int
LLVMFuzzerInitialize (int *argc, char ***argv)
{
  fuzz_glib_setup ();
  limits = pcre2_match_context_create (NULL);
  pcre2_set_match_limit (limits, 100000);
  pcre2_set_depth_limit (limits, 1000);
  return 0;
}

static gboolean
within_a_span (const GArray *spans, gsize start, gsize end)
{
  for (guint i = 0; i < spans->len; i++)
    {
      const PrefilterSpan *span = &g_array_index (spans, PrefilterSpan, i);

      if (span->start <= start && end <= span->end)
        return TRUE;
    }
  return FALSE;
}

/* Every match of code in text must be one the prefilter allows. */
static void
check_matches (const pcre2_code *code, const char *text, gsize len,
               PrefilterHits *hits)
{
  pcre2_match_data *md = pcre2_match_data_create_from_pattern (code, NULL);
  gsize offset = 0;

  while (offset <= len
         && pcre2_match (code, (PCRE2_SPTR) text, len, offset, 0, md, limits)
                > 0)
    {
      PCRE2_SIZE *ov = pcre2_get_ovector_pointer (md);
      const GArray *spans;

      if (!prefilter_hits_candidate (hits, 0))
        {
          g_printerr ("fuzz-prefilter: a match at %zu-%zu, but no "
                      "candidate\n",
                      (size_t) ov[0], (size_t) ov[1]);
          abort ();
        }
      spans = prefilter_hits_spans (hits, 0);
      if (spans != NULL && ov[0] <= ov[1]
          && !within_a_span (spans, ov[0], ov[1]))
        {
          g_printerr ("fuzz-prefilter: a match at %zu-%zu outside the "
                      "lines named\n",
                      (size_t) ov[0], (size_t) ov[1]);
          abort ();
        }
      /* \K may report a start after the end: step past both. */
      offset = MAX (ov[0], ov[1]) + 1;
    }
  pcre2_match_data_free (md);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  const char *input = (const char *) data;
  const char *nl = memchr (input, '\n', size);
  g_autofree char *pattern = NULL;
  const char *text = nl ? nl + 1 : input + size;
  gsize len = (gsize) (input + size - text);
  pcre2_code *code;
  int code_error;
  PCRE2_SIZE offset;
  g_autoptr (Prefilter) p = prefilter_new ();
  g_autoptr (PrefilterHits) hits = NULL;

  pattern = g_strndup (input, nl ? (gsize) (nl - input) : size);
  if (strlen (pattern) != (gsize) (nl ? nl - input : (gssize) size)
      || !g_utf8_validate (pattern, -1, NULL)
      || !g_utf8_validate (text, (gssize) len, NULL))
    return 0; /* intake hands the rules valid UTF-8 without NULs */
  code
      = pcre2_compile ((PCRE2_SPTR) pattern, PCRE2_ZERO_TERMINATED,
                       PCRE2_UTF | PCRE2_MULTILINE, &code_error, &offset, NULL);
  if (code == NULL)
    return 0; /* rules check reports it; intake skips it */
  prefilter_add (p, pattern);
  prefilter_build (p);
  hits = prefilter_scan (p, text, len);
  check_matches (code, text, len, hits);
  pcre2_code_free (code);
  return 0;
}
