/*
 * fuzz-replay.c - a main for the fuzz targets where libFuzzer is not
 * linked (gcc, or a build without MADOGUCHI_FUZZ): runs
 * LLVMFuzzerTestOneInput once on every file named, or on every file of
 * every directory named, so that CTest replays the seed corpora and the
 * minimised crashers of tests/data/fuzz-* under the ordinary and the
 * sanitizer builds.  A crash is the test failing.
 */
#include <stdio.h>
#include <stdlib.h>

#include "fuzz-util.h"

static void
replay_file (const char *path, guint *count)
{
  g_autofree char *data = NULL;
  gsize len;
  g_autoptr (GError) error = NULL;

  if (!g_file_get_contents (path, &data, &len, &error))
    {
      fprintf (stderr, "fuzz-replay: %s\n", error->message);
      exit (EXIT_FAILURE);
    }
  LLVMFuzzerTestOneInput ((const uint8_t *) data, len);
  (*count)++;
}

static void
replay_dir (const char *path, guint *count)
{
  g_autoptr (GDir) dir = g_dir_open (path, 0, NULL);
  const char *name = dir != NULL ? g_dir_read_name (dir) : NULL;

  for (; name != NULL; name = g_dir_read_name (dir))
    {
      g_autofree char *file = g_build_filename (path, name, NULL);

      if (g_file_test (file, G_FILE_TEST_IS_REGULAR))
        replay_file (file, count);
    }
}

int
main (int argc, char **argv)
{
  guint count = 0;

  LLVMFuzzerInitialize (&argc, &argv);
  for (int i = 1; i < argc; i++)
    {
      if (g_file_test (argv[i], G_FILE_TEST_IS_DIR))
        replay_dir (argv[i], &count);
      else
        replay_file (argv[i], &count);
    }
  printf ("%s: replayed %u inputs\n", argv[0], count);
  return count > 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
