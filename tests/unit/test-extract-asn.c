/*
 * test-extract-asn.c - the AS number a report gives with an address:
 * as a field holds it, and as a line writes it beside the address.
 */
#include <glib.h>

#include "madoguchi/extract-asn.h"

typedef struct
{
  const char *text;
  gint64 asn; /* 0: not an AS number */
} ParseCase;

static const ParseCase parse_cases[] = {
  { "64496", 64496 },
  { "AS64496", 64496 },
  { "as64496", 64496 },
  { " AS 64496 ", 64496 },
  { "ASN64496", 64496 },
  { "4294967295", 4294967295 },
  { "4294967296", 0 },
  { "0", 0 },
  { "", 0 },
  { "AS", 0 },
  { "64496x", 0 },
  { "-1", 0 },
};

static void
test_parse (gconstpointer data)
{
  const ParseCase *c = data;
  gint64 asn = 0;
  gboolean ok = extract_asn_parse (c->text, &asn);

  g_assert_cmpint (ok, ==, c->asn != 0);
  if (ok)
    g_assert_cmpint (asn, ==, c->asn);
}

typedef struct
{
  const char *line;
  const char *address;
  gint64 asn;
} LineCase;

static const LineCase line_cases[] = {
  { "2026-12-07 198.51.100.7 (AS64496) port 22", "198.51.100.7", 64496 },
  { "198.51.100.7 as64496", "198.51.100.7", 64496 },
  { "src=198.51.100.7 ASN: 64496", "198.51.100.7", 64496 },
  { "198.51.100.7 AS 64496", "198.51.100.7", 64496 },
  /* The AS nearest to each address. */
  { "198.51.100.7 AS64496 -> 203.0.113.9 AS64511", "203.0.113.9", 64511 },
  { "198.51.100.7 AS64496 -> 203.0.113.9 AS64511", "198.51.100.7", 64496 },
  /* Prose and lookalikes are no AS. */
  { "seen as 2 hosts from 198.51.100.7", "198.51.100.7", 0 },
  { "198.51.100.7 port 64496", "198.51.100.7", 0 },
  { "GAS64496 198.51.100.7", "198.51.100.7", 0 },
  { "198.51.100.7 AS64496x", "198.51.100.7", 0 },
  { "198.51.100.7 AS99999999999", "198.51.100.7", 0 },
  /* Not on the line as written: one AS is the line's, two are no one's. */
  { "host 2001:0db8::1 AS64496", "2001:db8::1", 64496 },
  { "host 2001:0db8::1 AS64496 AS64511", "2001:db8::1", 0 },
};

static void
test_on_line (gconstpointer data)
{
  const LineCase *c = data;

  g_assert_cmpint (extract_asn_on_line (c->line, c->address), ==, c->asn);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  for (gsize i = 0; i < G_N_ELEMENTS (parse_cases); i++)
    {
      g_autofree char *path = g_strdup_printf ("/extract-asn/parse/%zu", i);

      g_test_add_data_func (path, &parse_cases[i], test_parse);
    }
  for (gsize i = 0; i < G_N_ELEMENTS (line_cases); i++)
    {
      g_autofree char *path = g_strdup_printf ("/extract-asn/line/%zu", i);

      g_test_add_data_func (path, &line_cases[i], test_on_line);
    }
  return g_test_run ();
}
