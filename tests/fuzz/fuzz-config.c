/*
 * fuzz-config.c - a madoguchi.conf as an administrator might get it
 * wrong: the input is written to a private file and loaded with
 * config_load.  Any content must give a Config or an error naming the
 * file, never a crash; a Config that loads is printed (to /dev/null) as
 * `madoguchi config` would.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz-util.h"
#include "madoguchi/config.h"

static char *path;
static FILE *devnull;

int
LLVMFuzzerInitialize (int *argc, char ***argv)
{
  fuzz_glib_setup ();
  /* Only the file given may count: no $MADOGUCHI_HOME, no system file. */
  g_unsetenv ("MADOGUCHI_HOME");
  g_unsetenv ("MADOGUCHI_CONFIG");
  path = g_build_filename (fuzz_temp_dir ("madoguchi-fuzz-config"),
                           "madoguchi.conf", NULL);
  devnull = fopen ("/dev/null", "w");
  if (devnull == NULL)
    abort ();
  return 0;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (Config) config = NULL;

  fuzz_write_file (path, data, size);
  config = config_load (path, &error);
  if (config == NULL)
    {
      if (error == NULL || error->domain != CONFIG_ERROR
          || strstr (error->message, path) == NULL)
        g_error ("config_load failed without naming the file");
      return 0;
    }
  config_print (config, devnull);
  g_free (config_db_path (config));
  g_free (config_spool_dir (config));
  return 0;
}
