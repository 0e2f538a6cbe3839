/*
 * message-dedup.c - the dedup key of a delivery, read from the raw
 * bytes a chunk at a time (in a thread of its own for a big message),
 * and whether the bytes hold a NUL.
 */
#include <string.h>

#include "madoguchi/sha256.h"
#include "message-private.h"

/* Feeds a checksum with data minus carriage returns. */
static void
checksum_update_lf (Sha256 *sum, const char *data, gsize len)
{
  const char *end = data + len;

  while (data < end)
    {
      const char *cr = memchr (data, '\r', (gsize) (end - data));
      const char *stop = cr ? cr : end;

      sha256_update (sum, data, (gsize) (stop - data));
      data = stop + (cr != NULL);
    }
}

/*
 * What makes two deliveries the same message: its Message-ID and the
 * body (after the first blank line), line ends normalised; without a
 * Message-ID, all of its bytes.  An MTA retry repeats both exactly.
 * The bytes come a chunk at a time (a big message is read from its
 * spool file, never whole in memory), and the same pass looks for NULs.
 */
typedef struct
{
  Sha256 *sum;
  gboolean in_body; /* the headers' blank line is behind */
  guint32 tail;     /* the last three bytes of the headers so far */
  gboolean nul;
} DedupPass;

/* The byte k places before data[i], reaching back into earlier chunks. */
static guint8
byte_before (const DedupPass *d, const char *data, gsize i, gsize k)
{
  return i >= k ? (guint8) data[i - k]
                : (guint8) (d->tail >> (8 * (k - i - 1)));
}

/* Where the body starts in this chunk of headers: past the first LF
 * that ends "\n\n" or "\r\n\r\n" (the earliest to end is the earliest to
 * start), or len when the headers go on. */
static gsize
body_start (DedupPass *d, const char *data, gsize len)
{
  for (const char *lf = memchr (data, '\n', len); lf != NULL;
       lf = memchr (lf + 1, '\n', len - (gsize) (lf + 1 - data)))
    {
      gsize i = (gsize) (lf - data);

      if (byte_before (d, data, i, 1) == '\n'
          || (byte_before (d, data, i, 1) == '\r'
              && byte_before (d, data, i, 2) == '\n'
              && byte_before (d, data, i, 3) == '\r'))
        {
          d->in_body = TRUE;
          return i + 1;
        }
    }
  for (gsize i = len > 3 ? len - 3 : 0; i < len; i++)
    d->tail = ((d->tail << 8) | (guint8) data[i]) & 0xffffff;
  return len;
}

static gboolean
dedup_chunk (const char *data, gsize len, gpointer user_data, GError **error)
{
  DedupPass *d = user_data;
  gsize body = d->in_body ? 0 : body_start (d, data, len);

  (void) error;
  if (!d->nul && len > 0 && memchr (data, '\0', len) != NULL)
    d->nul = TRUE;
  if (d->in_body)
    checksum_update_lf (d->sum, data + body, len - body);
  return TRUE;
}

gpointer
dedup_job (gpointer data)
{
  DedupJob *job = data;
  g_autoptr (Sha256) sum = sha256_new (FALSE);
  DedupPass d = { .sum = sum, .in_body = job->message_id == NULL };

  if (job->message_id != NULL)
    {
      sha256_update (sum, job->message_id, strlen (job->message_id));
      sha256_update (sum, "\n", 1);
    }
  if (!raw_foreach_chunk (job->raw, job->from, dedup_chunk, &d, &job->error))
    return NULL;
  job->nul = d.nul;
  return sha256_hex (sum);
}

/* The dedup key, and NUL bytes flagged; NULL when raw cannot be read. */
char *
finish_dedup (Message *m, GThread *hashing, DedupJob *job)
{
  char *key = hashing != NULL ? g_thread_join (hashing) : dedup_job (job);

  if (job->nul)
    m->flags |= MESSAGE_FLAG_NUL_BYTES;
  return key;
}
