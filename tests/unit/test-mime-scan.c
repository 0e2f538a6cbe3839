/*
 * test-mime-scan.c - the pass before GMime: a message within the limits
 * is given whole; past them, exactly the parts and header lines within
 * them are given, whatever the line ends and wherever the chunks split.
 */
#include <string.h>

#include "madoguchi/mime-scan.h"

typedef struct
{
  const char *name;
  const char *input;
  MimeScanLimits limits;
  const char *expected; /* what GMime is given; NULL: all of it */
  gboolean parts_cut;
  gboolean headers_cut;
} ScanCase;

#define HEAD "From: a@example.net\nSubject: s\n"
#define MULTI "Content-Type: multipart/mixed; boundary=x\n\n"

static const ScanCase scan_cases[] = {
  { "/mime-scan/within",
    HEAD MULTI "--x\n\none\n--x\n\ntwo\n--x--\n",
    { 3, 10, 1000, 100, 1000 },
    NULL,
    FALSE,
    FALSE },
  { "/mime-scan/parts/cut",
    HEAD MULTI "--x\n\none\n--x\n\ntwo\n--x--\n",
    { 2, 10, 1000, 100, 1000 },
    HEAD MULTI "--x\n\none\n--x\n\ntwo\n",
    TRUE,
    FALSE },
  /* "--" lines count only once a header named a boundary: a log full of
   * them is text, not parts. */
  { "/mime-scan/parts/no-boundary",
    HEAD "\n--a\n--b\n--c\n--d\n",
    { 2, 10, 1000, 100, 1000 },
    NULL,
    FALSE,
    FALSE },
  { "/mime-scan/parts/crlf",
    "Subject: s\r\nContent-Type: multipart/mixed; Boundary=\"x\"\r\n\r\n"
    "--x\r\n\r\none\r\n--x\r\n\r\ntwo\r\n--x--\r\n",
    { 1, 10, 1000, 100, 1000 },
    "Subject: s\r\nContent-Type: multipart/mixed; Boundary=\"x\"\r\n\r\n"
    "--x\r\n\r\none\r\n",
    TRUE,
    FALSE },
  { "/mime-scan/fields/cut",
    "A: 1\nB: 2\n folded\nC: 3\nD: 4\n\nbody\nE: 5\n",
    { 10, 2, 1000, 100, 1000 },
    "A: 1\nB: 2\n folded\n\nbody\nE: 5\n",
    FALSE,
    TRUE },
  { "/mime-scan/fields/crlf",
    "A: 1\r\nB: 2\r\nC: 3\r\n\r\nbody\r\n",
    { 10, 2, 1000, 100, 1000 },
    "A: 1\r\nB: 2\r\n\r\nbody\r\n",
    FALSE,
    TRUE },
  /* A part's headers count with the message's. */
  { "/mime-scan/fields/part",
    "Content-Type: multipart/mixed; boundary=x\n\n--x\nA: 1\nB: 2\n\nbody\n"
    "--x--\n",
    { 10, 2, 1000, 100, 1000 },
    "Content-Type: multipart/mixed; boundary=x\n\n--x\nA: 1\n\nbody\n"
    "--x--\n",
    FALSE,
    TRUE },
  /* A forwarded message's headers follow its part's headers. */
  { "/mime-scan/fields/rfc822",
    "Content-Type : Message/RFC822\n\nA: 1\nB: 2\n\nbody\n",
    { 10, 2, 1000, 100, 1000 },
    "Content-Type : Message/RFC822\n\nA: 1\n\nbody\n",
    FALSE,
    TRUE },
  /* In a digest, a part without headers is a message. */
  { "/mime-scan/fields/digest",
    "Content-Type: multipart/digest; boundary=x\n\n--x\n\nA: 1\nB: 2\n\n"
    "body\n--x--\n",
    { 10, 2, 1000, 100, 1000 },
    "Content-Type: multipart/digest; boundary=x\n\n--x\n\nA: 1\n\n"
    "body\n--x--\n",
    FALSE,
    TRUE },
  /* Bytes: the line past the limit is cut, its newline kept, and the
   * rest of the block is left out. */
  { "/mime-scan/size/cut",
    "A: 12345\nB: 2\n\nbody\n",
    { 10, 10, 6, 100, 1000 },
    "A: 123\n\nbody\n",
    FALSE,
    TRUE },
  /* Words: the field is cut before the word past the limit, its folds
   * left out; the next field is kept. */
  { "/mime-scan/words/cut",
    "S: a b c\n d e\nT: t\n\nbody\n",
    { 10, 10, 1000, 3, 1000 },
    "S: a b \nT: t\n\nbody\n",
    FALSE,
    TRUE },
  /* Lines: the folds past the limit are left out. */
  { "/mime-scan/lines/cut",
    "S: a\n b\n c\nT: t\n\nbody\n",
    { 10, 10, 1000, 100, 2 },
    "S: a\n b\nT: t\n\nbody\n",
    FALSE,
    TRUE },
  { "/mime-scan/words/within",
    "S: a b\n c\n\nbody\n",
    { 10, 10, 1000, 4, 1000 },
    NULL,
    FALSE,
    FALSE },
  /* The body is never counted as headers. */
  { "/mime-scan/body",
    "A: 1\n\nB: 2\nC: 3\nD: 4\n",
    { 10, 1, 1000, 100, 1000 },
    NULL,
    FALSE,
    FALSE },
};

/* What the scan gives GMime, as one string. */
static char *
given (const char *input, const MimeScan *scan)
{
  GString *out = g_string_new (NULL);

  if (scan->ranges == NULL)
    return g_string_free (out, TRUE);
  for (guint i = 0; i < scan->ranges->len; i++)
    {
      const MimeScanRange *r = &g_array_index (scan->ranges, MimeScanRange, i);

      g_string_append_len (out, input + r->from, (gssize) (r->to - r->from));
    }
  return g_string_free (out, FALSE);
}

static MimeScan *
scan_string (const char *input, gsize len, const MimeScanLimits *limits)
{
  g_autoptr (GBytes) bytes = g_bytes_new_static (input, len);
  g_autoptr (Raw) raw = raw_new_bytes (bytes);
  g_autoptr (GError) error = NULL;
  MimeScan *scan = mime_scan_raw (raw, 0, limits, &error);

  g_assert_no_error (error);
  g_assert_nonnull (scan);
  return scan;
}

static void
test_scan_case (gconstpointer data)
{
  const ScanCase *c = data;
  g_autoptr (MimeScan) scan
      = scan_string (c->input, strlen (c->input), &c->limits);
  g_autofree char *out = given (c->input, scan);

  g_assert_cmpstr (out, ==, c->expected);
  g_assert_cmpint (scan->parts_cut, ==, c->parts_cut);
  g_assert_cmpint (scan->headers_cut, ==, c->headers_cut);
}

/* Lines that straddle raw's 1 MiB chunks are counted as any other. */
static void
test_scan_chunks (void)
{
  const guint n = 300000; /* "X123456: v\n": 3.3 MB of header fields */
  const guint keep = 200001;
  GString *in = g_string_new (NULL);
  GString *want = g_string_new (NULL);
  MimeScanLimits limits = { 10, keep, 64 << 20, 100, 1000 };
  g_autoptr (MimeScan) scan = NULL;
  g_autofree char *out = NULL;
  g_autofree char *input = NULL;

  for (guint i = 0; i < n; i++)
    {
      g_string_append_printf (in, "X%06u: v\r\n", i);
      if (i == keep - 1)
        g_string_append (want, in->str);
    }
  g_string_append (in, "\r\nbody\r\n");
  g_string_append (want, "\r\nbody\r\n");
  scan = scan_string (in->str, in->len, &limits);
  input = g_string_free (in, FALSE);
  out = given (input, scan);
  g_assert_cmpuint (scan->fields, ==, keep);
  g_assert_true (strcmp (out, want->str) == 0);
  g_string_free (want, TRUE);
}

/* The 3 M parts: the scan stops at the limit. */
static void
test_scan_many_parts (void)
{
  GString *in = g_string_new (HEAD MULTI);
  MimeScanLimits limits = { 1000, 10000, 2 << 20, 200000, 30000 };
  g_autoptr (MimeScan) scan = NULL;

  for (guint i = 0; i < 3000000; i++)
    g_string_append (in, "--x\n\n");
  g_string_append (in, "--x--\n");
  scan = scan_string (in->str, in->len, &limits);
  g_assert_true (scan->parts_cut);
  g_assert_cmpuint (scan->delimiters, ==, 1001);
  g_assert_cmpuint (scan->ranges->len, ==, 1);
  g_assert_cmpuint (g_array_index (scan->ranges, MimeScanRange, 0).to, ==,
                    strlen (HEAD MULTI) + 1000 * 5);
  g_string_free (in, TRUE);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  for (gsize i = 0; i < G_N_ELEMENTS (scan_cases); i++)
    g_test_add_data_func (scan_cases[i].name, &scan_cases[i], test_scan_case);
  g_test_add_func ("/mime-scan/chunks", test_scan_chunks);
  g_test_add_func ("/mime-scan/many-parts", test_scan_many_parts);
  return g_test_run ();
}
