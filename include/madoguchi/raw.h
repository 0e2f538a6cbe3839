/*
 * raw.h - the bytes of one message exactly as received, read in pieces.
 *
 * A message is either in memory (an import, a dry run, a small delivery)
 * or a region of a file (a big spool entry).  Whoever needs all of its
 * bytes (the dedup key, the database copy) reads them a chunk at a time,
 * so that a 500 MB report never has to be in memory whole; whoever can
 * use the bytes in place asks for them with raw_get_bytes.
 */
#ifndef MADOGUCHI_RAW_H
#define MADOGUCHI_RAW_H

#include <glib.h>

typedef struct Raw Raw;

/* (transfer full) a message held by bytes (a reference is taken). */
Raw *raw_new_bytes (GBytes *bytes);

/* (transfer full) len bytes of fd from offset on; takes fd (closed when
 * the last reference goes).  The file must not change meanwhile. */
Raw *raw_new_file (int fd, goffset offset, gsize len);

/*
 * (transfer full) the bytes of the file at path from offset on: read into
 * memory when small (or not a regular file: a pipe has no size to go
 * by), else read from the file as needed.
 */
Raw *raw_open (const char *path, goffset offset, GError **error);

Raw *raw_ref (Raw *raw);
void raw_unref (Raw *raw);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (Raw, raw_unref)

gsize raw_size (const Raw *raw);

/* The bytes when the message is in memory; NULL when it is in a file. */
GBytes *raw_get_bytes (const Raw *raw);

/* For a message in a file: its descriptor and where it starts. */
int raw_file (const Raw *raw, goffset *offset);

/*
 * Copies the len bytes at `at` into buf (positional reads: safe from
 * several threads at once, and they leave the descriptor's offset alone).
 */
gboolean raw_read (const Raw *raw, gsize at, char *buf, gsize len,
                   GError **error);

/* Called with each chunk in order; returns FALSE (and sets error) to stop. */
typedef gboolean (*RawChunkFunc) (const char *data, gsize len,
                                  gpointer user_data, GError **error);

/* Calls func on the bytes from `from` on, in chunks of at most RAW_CHUNK
 * (of a message in memory, its bytes in place). */
#define RAW_CHUNK (1024 * 1024)
gboolean raw_foreach_chunk (const Raw *raw, gsize from, RawChunkFunc func,
                            gpointer user_data, GError **error);

#endif
