/*
 * spool-attempts.c - the record of a spool entry's processing attempts
 * (spool/attempts/DIGEST, keyed on the SHA-256 of the message): how
 * often it was tried and did not come back, and why it went to
 * quarantine/.  Written whole to a temporary file renamed into place,
 * so that the death of its writer leaves the old record or the new,
 * never half of one (spool.h says why it is not synced).
 */
#include <glib/gstdio.h>

#include "madoguchi/sha256.h"
#include "madoguchi/spool.h"

void
spool_attempts_clear (SpoolAttempts *a)
{
  g_clear_pointer (&a->reason, g_free);
  g_clear_pointer (&a->quarantined, g_free);
  a->attempts = a->copies = 0;
}

static gboolean
digest_chunk (const char *data, gsize len, gpointer user_data, GError **error)
{
  (void) error;
  sha256_update (user_data, data, len);
  return TRUE;
}

char *
spool_entry_digest (const SpoolEntry *entry, GError **error)
{
  g_autoptr (Raw) raw = spool_read_message (entry, error);
  g_autoptr (Sha256) sum = NULL;

  if (raw == NULL)
    return NULL;
  sum = sha256_new (FALSE);
  if (!raw_foreach_chunk (raw, 0, digest_chunk, sum, error))
    return NULL;
  return sha256_hex (sum);
}

#define ATTEMPTS_GROUP "poison"

static char *
attempts_path (const char *dir, const char *digest)
{
  return g_build_filename (dir, "attempts", digest, NULL);
}

void
spool_attempts_load (const char *dir, const char *digest, SpoolAttempts *a)
{
  g_autofree char *path = attempts_path (dir, digest);
  g_autoptr (GKeyFile) kf = g_key_file_new ();

  spool_attempts_clear (a);
  if (!g_key_file_load_from_file (kf, path, G_KEY_FILE_NONE, NULL))
    return;
  a->attempts = (guint) MAX (
      0, g_key_file_get_integer (kf, ATTEMPTS_GROUP, "attempts", NULL));
  a->copies = (guint) MAX (
      0, g_key_file_get_integer (kf, ATTEMPTS_GROUP, "copies", NULL));
  a->reason = g_key_file_get_string (kf, ATTEMPTS_GROUP, "reason", NULL);
  a->quarantined
      = g_key_file_get_string (kf, ATTEMPTS_GROUP, "quarantined", NULL);
}

gboolean
spool_attempts_save (const char *dir, const char *digest,
                     const SpoolAttempts *a, GError **error)
{
  g_autofree char *path = attempts_path (dir, digest);
  g_autoptr (GKeyFile) kf = g_key_file_new ();
  g_autofree char *data = NULL;
  g_autoptr (GError) local = NULL;

  g_key_file_set_integer (kf, ATTEMPTS_GROUP, "attempts", (gint) a->attempts);
  g_key_file_set_integer (kf, ATTEMPTS_GROUP, "copies", (gint) a->copies);
  if (a->reason != NULL)
    g_key_file_set_string (kf, ATTEMPTS_GROUP, "reason", a->reason);
  if (a->quarantined != NULL)
    g_key_file_set_string (kf, ATTEMPTS_GROUP, "quarantined", a->quarantined);
  data = g_key_file_to_data (kf, NULL, NULL);
  /* A temporary file renamed into place: never half a record. */
  if (g_file_set_contents_full (path, data, -1, G_FILE_SET_CONTENTS_CONSISTENT,
                                0600, &local))
    return TRUE;
  g_set_error (error, SPOOL_ERROR, SPOOL_ERROR_IO, "%s", local->message);
  return FALSE;
}

void
spool_attempts_forget (const char *dir, const char *digest)
{
  g_autofree char *path = attempts_path (dir, digest);

  g_unlink (path);
}
