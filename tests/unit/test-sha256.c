/*
 * test-sha256.c - the SHA-256 the dedup key is made with: FIPS 180-4's
 * examples, and the same digest as GLib's for every length around a
 * block and for data fed in pieces of every awkward size.
 */
#include <string.h>

#include "madoguchi/sha256.h"

static char *
digest (gboolean portable, const char *data, gsize len, gsize piece)
{
  g_autoptr (Sha256) sha = sha256_new (portable);

  for (gsize at = 0; at < len; at += piece)
    sha256_update (sha, data + at, MIN (piece, len - at));
  return sha256_hex (sha);
}

static void
test_known (void)
{
  static const struct
  {
    const char *text;
    const char *hex;
  } cases[] = {
    { "", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" },
    { "abc",
      "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad" },
    { "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
      "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1" },
  };

  g_test_message ("SHA instructions: %s", sha256_accelerated () ? "yes" : "no");
  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *hex
          = digest (FALSE, cases[i].text, strlen (cases[i].text), 64);

      g_assert_cmpstr (hex, ==, cases[i].hex);
    }
}

/* Every length from 0 to 300 (the padding's two cases, 55/56 bytes left
 * over and more), then 3 MB fed in pieces that straddle blocks. */
static void
test_same_as_glib (void)
{
  gsize len = 3 * 1024 * 1024 + 17;
  g_autofree char *data = g_malloc (len);
  const gsize pieces[] = { 1, 3, 55, 56, 63, 64, 65, 127, 4096, 1000003, len };

  for (gsize i = 0; i < len; i++)
    data[i] = (char) (i * 131 + (i >> 9));
  for (gsize n = 0; n <= 300; n++)
    {
      g_autofree char *ours = digest (FALSE, data, n, 64);
      g_autofree char *glib = digest (TRUE, data, n, 64);

      g_assert_cmpstr (ours, ==, glib);
    }
  for (gsize i = 0; i < G_N_ELEMENTS (pieces); i++)
    {
      g_autofree char *ours = digest (FALSE, data, len, pieces[i]);
      g_autofree char *glib = g_compute_checksum_for_data (
          G_CHECKSUM_SHA256, (const guchar *) data, len);

      g_assert_cmpstr (ours, ==, glib);
    }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/sha256/known", test_known);
  g_test_add_func ("/sha256/same-as-glib", test_same_as_glib);
  return g_test_run ();
}
