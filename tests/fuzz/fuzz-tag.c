/*
 * fuzz-tag.c - ticket numbers and header values as typed or received:
 * store_parse_number on the input ("[IR #2026-000123/7f3a09c2]", the
 * old "[IR #2026-000123/7f3a]", "2026-123" ...), charset_decode_header on
 * the same bytes (RFC 2047 words, raw 8-bit text, folding), and
 * reply_domain on them as an address (the domain that decides where an
 * acknowledgement may go).  Both take a C string, so the input is
 * copied with a terminating NUL and cut at its first NUL, as a header
 * value or an argument would be.
 */
#include <string.h>

#include "fuzz-util.h"
#include "madoguchi/charset.h"
#include "madoguchi/reply.h"
#include "madoguchi/store.h"

int
LLVMFuzzerInitialize (int *argc, char ***argv)
{
  fuzz_glib_setup ();
  return 0;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  g_autofree char *text = g_strndup ((const char *) data, size);
  g_autofree char *number = store_parse_number (text);
  g_autofree char *decoded = charset_decode_header (text);
  g_autofree char *domain = reply_domain (text);

  /* The promise of charset.h: valid UTF-8, one line, no controls. */
  if (!g_utf8_validate (decoded, -1, NULL))
    g_error ("charset_decode_header returned invalid UTF-8");
  for (const char *p = decoded; *p != '\0'; p++)
    if ((guchar) *p < 0x20 || *p == 0x7F)
      g_error ("charset_decode_header left control 0x%02x", (guchar) *p);
  if (number != NULL && strlen (number) < strlen ("2026-000001"))
    g_error ("store_parse_number returned \"%s\"", number);
  /* Only an address has a domain, and it is valid UTF-8. */
  if (domain != NULL
      && (strchr (text, '@') == NULL || !g_utf8_validate (domain, -1, NULL)))
    g_error ("reply_registrable_domain returned \"%s\"", domain);
  return 0;
}
