/*
 * spool.h - the durable queue in front of everything else.
 *
 * A message is written to tmp/, fsync'ed, renamed into new/ and the
 * directory fsync'ed; only then is it ours (and only then may deliver
 * exit 0).  A filed message is removed (or moved to cur/); one that could
 * not be filed waits in new/ for `madoguchi spool run`; one that can never
 * be read goes to failed/; one whose processing killed its process
 * (an abort, the OOM killer, the watchdog) SPOOL_MAX_ATTEMPTS times goes
 * to quarantine/, and its record in attempts/ says why.
 *
 * A spool file is one envelope line of our own followed by the message
 * exactly as the MTA handed it:
 *
 *   madoguchi-spool 1 size=N kept=N from=ESCAPED to=ESCAPED\n
 *
 * size is what the MTA sent, kept what was stored (less when truncated);
 * from/to are URI-escaped and absent when unknown; "from=" alone is the
 * null sender of a bounce.
 */
#ifndef MADOGUCHI_SPOOL_H
#define MADOGUCHI_SPOOL_H

#include <glib.h>

#include "madoguchi/raw.h"

#define SPOOL_ERROR (spool_error_quark ())
GQuark spool_error_quark (void);

typedef enum
{
  SPOOL_ERROR_IO,
  SPOOL_ERROR_NOSPACE,
  SPOOL_ERROR_CORRUPT,
} SpoolError;

typedef struct
{
  char *id;         /* file name, unique; the spool ID in every log line */
  char *path;       /* where the file is now */
  gint64 size;      /* bytes the MTA sent */
  gint64 kept;      /* bytes stored: size, or the cap when truncated */
  gsize header_len; /* length of the envelope line */
  char *sender;     /* envelope sender; "" for the null sender; NULL unknown */
  char *recipient;  /* envelope recipient, or NULL */
} SpoolEntry;

void spool_entry_free (SpoolEntry *entry);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (SpoolEntry, spool_entry_free)

/* Creates dir and its tmp/ new/ cur/ failed/ (mode 0700) when missing. */
gboolean spool_ensure (const char *dir, GError **error);

/* The envelope the MTA hands over with a message. */
typedef struct
{
  const char *sender;    /* "" for the null sender; NULL unknown */
  const char *recipient; /* NULL unknown */
} SpoolEnvelope;

/* What the spool takes in: bytes of one message, and space to leave. */
typedef struct
{
  gint64 max_size; /* bytes of a message kept; the rest is dropped */
  gint64 min_free; /* bytes that must stay free on the spool's disk */
} SpoolLimits;

/*
 * Reads fd to its end into a new spool file, with envelope's sender
 * and recipient, and renames it into new/.  Keeps at most
 * limits->max_size bytes of the message (the rest is read and dropped,
 * and the entry records the real size).  Fails with
 * SPOOL_ERROR_NOSPACE when less than limits->min_free bytes are free.
 * On any error nothing is left in tmp/ or new/.  The entry survives a
 * crash only after spool_sync (spool.c says when that is needed).
 * Returns (transfer full) the entry.
 */
SpoolEntry *spool_receive (const char *dir, int fd,
                           const SpoolEnvelope *envelope,
                           const SpoolLimits *limits, GError **error);

/* Makes entry, received into dir's new/, survive a crash. */
gboolean spool_sync (const char *dir, const SpoolEntry *entry, GError **error);

/* Opens new/ID (or the path given as ID) and reads its envelope line. */
SpoolEntry *spool_open (const char *dir, const char *id, GError **error);

/*
 * The message bytes of entry (without the envelope line): in memory when
 * small, else read from the spool file as they are needed.
 * Returns (transfer full) the bytes, or NULL with error set.
 */
Raw *spool_read_message (const SpoolEntry *entry, GError **error);

/* The message is filed: remove it, or move it to cur/ when keep. */
gboolean spool_done (const char *dir, SpoolEntry *entry, gboolean keep,
                     GError **error);

/* The message can never be filed as it is: move it to failed/. */
gboolean spool_fail (const char *dir, SpoolEntry *entry, GError **error);

/* Moves failed/ID or quarantine/ID back to new/ for another try (a
 * quarantined one with its attempts forgotten). */
gboolean spool_retry (const char *dir, const char *id, GError **error);

/*
 * Poison entries.  Attempts are counted per content (the SHA-256 of the
 * message bytes), not per entry: every copy an MTA retry spools of a
 * message that kills its process is the same poison, and once one copy
 * is quarantined the others are removed as they come (their bytes are
 * the quarantined copy's).  A record is a small key file,
 * attempts/DIGEST, replaced atomically (rename), so that it survives the
 * death of the process that writes it; it is not synced (a power cut
 * costs at most an attempt).
 */
#define SPOOL_MAX_ATTEMPTS 3

typedef struct
{
  guint attempts;    /* processings that did not come back */
  char *reason;      /* how the last one ended, or NULL */
  char *quarantined; /* the ID in quarantine/, or NULL */
  guint copies;      /* copies removed since it was quarantined */
} SpoolAttempts;

void spool_attempts_clear (SpoolAttempts *a);
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (SpoolAttempts, spool_attempts_clear)

/* (transfer full) the hex SHA-256 of entry's message bytes. */
char *spool_entry_digest (const SpoolEntry *entry, GError **error);

/* Reads the record of digest into a (all zero when there is none). */
void spool_attempts_load (const char *dir, const char *digest,
                          SpoolAttempts *a);

gboolean spool_attempts_save (const char *dir, const char *digest,
                              const SpoolAttempts *a, GError **error);

/* Forgets digest's record (the content was filed, or is retried). */
void spool_attempts_forget (const char *dir, const char *digest);

/* Moves entry to quarantine/ (see spool_attempts_save for the why). */
gboolean spool_quarantine (const char *dir, SpoolEntry *entry, GError **error);

/* (transfer full) sorted names in dir/sub ("new", "failed", ...). */
GPtrArray *spool_list (const char *dir, const char *sub, GError **error);

/*
 * Delivers bytes into the Maildir dir (created when missing) the same
 * durable way: tmp/, fsync, rename into new/, fsync.  *name is the file
 * name given.
 */
gboolean spool_write_maildir (const char *dir, GBytes *bytes, char **name,
                              GError **error);

/* Removes tmp/ files older than max_age seconds (abandoned deliveries,
 * which the MTA still holds and retries).  Returns how many. */
guint spool_clean_tmp (const char *dir, gint64 max_age);

#endif
