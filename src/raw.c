/*
 * raw.c - a message's bytes, in memory or in a region of a file.
 */
#include "madoguchi/raw.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Smaller messages are read into memory: one read(2), and GMime parses
 * bytes in memory faster than it reads a file. */
#define RAW_MEMORY_MAX (1024 * 1024)

struct Raw
{
  GBytes *bytes;  /* in memory, or NULL */
  int fd;         /* else this file, */
  goffset offset; /* from here */
  gsize len;
};

Raw *
raw_new_bytes (GBytes *bytes)
{
  Raw *raw = g_atomic_rc_box_new0 (Raw);

  raw->bytes = g_bytes_ref (bytes);
  raw->fd = -1;
  raw->len = g_bytes_get_size (bytes);
  return raw;
}

Raw *
raw_new_file (int fd, goffset offset, gsize len)
{
  Raw *raw = g_atomic_rc_box_new0 (Raw);

  raw->fd = fd;
  raw->offset = offset;
  raw->len = len;
  return raw;
}

Raw *
raw_ref (Raw *raw)
{
  return g_atomic_rc_box_acquire (raw);
}

static void
raw_clear (gpointer data)
{
  Raw *raw = data;

  if (raw->bytes != NULL)
    g_bytes_unref (raw->bytes);
  if (raw->fd >= 0)
    close (raw->fd);
}

void
raw_unref (Raw *raw)
{
  if (raw != NULL)
    g_atomic_rc_box_release_full (raw, raw_clear);
}

gsize
raw_size (const Raw *raw)
{
  return raw->len;
}

GBytes *
raw_get_bytes (const Raw *raw)
{
  return raw->bytes;
}

int
raw_file (const Raw *raw, goffset *offset)
{
  *offset = raw->offset;
  return raw->fd;
}

gboolean
raw_read (const Raw *raw, gsize at, char *buf, gsize len, GError **error)
{
  g_return_val_if_fail (at <= raw->len && len <= raw->len - at, FALSE);
  if (len == 0)
    return TRUE;
  if (raw->bytes != NULL)
    {
      memcpy (buf, (const char *) g_bytes_get_data (raw->bytes, NULL) + at,
              len);
      return TRUE;
    }
  while (len > 0)
    {
      ssize_t n = pread (raw->fd, buf, len, raw->offset + (goffset) at);

      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        {
          int errsv = n < 0 ? errno : EIO; /* 0: the file was cut short */

          g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (errsv),
                       "cannot read the message: %s", g_strerror (errsv));
          return FALSE;
        }
      buf += n;
      len -= (gsize) n;
      at += (gsize) n;
    }
  return TRUE;
}

gboolean
raw_foreach_chunk (const Raw *raw, gsize from, RawChunkFunc func,
                   gpointer user_data, GError **error)
{
  g_autofree char *buf = NULL;

  g_return_val_if_fail (from <= raw->len, FALSE);
  if (from == raw->len)
    return TRUE;
  if (raw->bytes == NULL)
    buf = g_malloc (MIN (raw->len - from, RAW_CHUNK) + 1);
  for (gsize at = from; at < raw->len; at += RAW_CHUNK)
    {
      gsize n = MIN (RAW_CHUNK, raw->len - at);
      const char *chunk = buf;

      if (raw->bytes != NULL) /* in place */
        chunk = (const char *) g_bytes_get_data (raw->bytes, NULL) + at;
      else if (!raw_read (raw, at, buf, n, error))
        return FALSE;
      if (!func (chunk, n, user_data, error))
        return FALSE;
    }
  return TRUE;
}

static gboolean
set_errno_error (GError **error, int errsv, const char *what, const char *path)
{
  g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (errsv),
               "%s %s: %s", what, path, g_strerror (errsv));
  return FALSE;
}

/* The file ends before offset: no message after its envelope line. */
static void
set_too_short (GError **error, const char *path)
{
  g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_INVAL,
               "%s: shorter than its envelope line", path);
}

/* A pipe, a FIFO, /dev/stdin: no size to trust, read to its end. */
static Raw *
raw_open_stream (const char *path, goffset offset, GError **error)
{
  g_autoptr (GBytes) all = NULL;
  g_autoptr (GBytes) message = NULL;
  char *data;
  gsize len;

  if (!g_file_get_contents (path, &data, &len, error))
    return NULL;
  all = g_bytes_new_take (data, len);
  if ((gsize) offset > len)
    {
      set_too_short (error, path);
      return NULL;
    }
  message = g_bytes_new_from_bytes (all, (gsize) offset, len - (gsize) offset);
  return raw_new_bytes (message);
}

Raw *
raw_open (const char *path, goffset offset, GError **error)
{
  int fd = open (path, O_RDONLY | O_CLOEXEC);
  g_autoptr (Raw) file = NULL;
  g_autoptr (GBytes) in_memory = NULL;
  struct stat st;
  char *bytes;

  if (fd < 0)
    {
      set_errno_error (error, errno, "cannot open", path);
      return NULL;
    }
  if (fstat (fd, &st) != 0)
    {
      set_errno_error (error, errno, "cannot stat", path);
      close (fd);
      return NULL;
    }
  if (!S_ISREG (st.st_mode))
    {
      close (fd);
      return raw_open_stream (path, offset, error);
    }
  if (st.st_size < offset)
    {
      set_too_short (error, path);
      close (fd);
      return NULL;
    }
  file = raw_new_file (fd, offset, (gsize) (st.st_size - offset));
  if (file->len >= RAW_MEMORY_MAX)
    return g_steal_pointer (&file);
  bytes = g_malloc (file->len + 1);
  if (!raw_read (file, 0, bytes, file->len, error))
    {
      g_free (bytes);
      return NULL;
    }
  in_memory = g_bytes_new_take (bytes, file->len);
  return raw_new_bytes (in_memory);
}
