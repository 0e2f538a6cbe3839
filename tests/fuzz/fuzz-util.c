/*
 * fuzz-util.c - helpers shared by the fuzz targets (see fuzz-util.h).
 * The temporary directory is flat: the targets write plain files into it
 * and nothing else.
 */
#include "fuzz-util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <glib/gstdio.h>

static char *temp_dir;

static GLogWriterOutput
quiet_writer (GLogLevelFlags level, const GLogField *fields, gsize n_fields,
              gpointer user_data)
{
  if (level & (G_LOG_LEVEL_ERROR | G_LOG_LEVEL_CRITICAL))
    return g_log_writer_standard_streams (level, fields, n_fields, user_data);
  return G_LOG_WRITER_HANDLED;
}

void
fuzz_glib_setup (void)
{
  g_log_set_always_fatal (G_LOG_FATAL_MASK | G_LOG_LEVEL_CRITICAL);
  g_log_set_writer_func (quiet_writer, NULL, NULL);
}

static void
remove_temp_dir (void)
{
  g_autoptr (GDir) dir = NULL;
  const char *name;

  if (temp_dir == NULL)
    return;
  dir = g_dir_open (temp_dir, 0, NULL);
  name = dir != NULL ? g_dir_read_name (dir) : NULL;
  for (; name != NULL; name = g_dir_read_name (dir))
    {
      g_autofree char *path = g_build_filename (temp_dir, name, NULL);

      g_unlink (path);
    }
  g_rmdir (temp_dir);
  g_clear_pointer (&temp_dir, g_free);
}

const char *
fuzz_temp_dir (const char *prefix)
{
  g_autofree char *tmpl = g_strdup_printf ("%s-XXXXXX", prefix);
  g_autoptr (GError) error = NULL;

  g_assert (temp_dir == NULL);
  temp_dir = g_dir_make_tmp (tmpl, &error);
  if (temp_dir == NULL)
    {
      fprintf (stderr, "fuzz: %s\n", error->message);
      abort ();
    }
  atexit (remove_temp_dir);
  return temp_dir;
}

void
fuzz_write_file (const char *path, const uint8_t *data, size_t size)
{
  /* Neither atomic nor synced: the fuzzer writes thousands a second.
   * Not g_file_set_contents_full (G_FILE_SET_CONTENTS_NONE) either: in
   * GLib 2.74 it does not truncate, so a short input would keep the tail
   * of the one before and a crash would not reproduce alone. */
  int fd = open (path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  size_t done = 0;

  if (fd < 0)
    {
      perror (path);
      abort ();
    }
  while (done < size)
    {
      ssize_t n = write (fd, data + done, size - done);

      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        {
          perror (path);
          abort ();
        }
      done += (size_t) n;
    }
  if (close (fd) != 0)
    {
      perror (path);
      abort ();
    }
}
