/*
 * message-private.h - shared by message.c and its helpers only
 * (message-headers.c, message-walk.c, message-html.c, message-dedup.c):
 * message.c sets up the parse and strings the jobs together; each
 * helper does one of them.
 */
#ifndef MADOGUCHI_MESSAGE_PRIVATE_H
#define MADOGUCHI_MESSAGE_PRIVATE_H

#include <gmime/gmime.h>

#include "madoguchi/archive.h"
#include "madoguchi/message.h"

typedef struct
{
  Message *message;
  const MessageLimits *limits;
  ArchiveBudget archive; /* shared by all the archives of the message */
  char **passwords;      /* the archive passwords, split */
} Walk;

/* message-walk.c */

/* Sets walk's archive budget from its limits (and splits the
 * passwords, which walk->passwords then owns). */
void walk_budget_init (Walk *walk);

/* Walks object (depth levels down; forwarded when inside a forwarded
 * message) into walk->message's parts and flags. */
void walk_object (Walk *walk, GMimeObject *object, guint depth,
                  gboolean forwarded);

/* message-headers.c */

/* Reads mime's headers into m (its named fields, every outer header,
 * decoded) and flags what was missing or past the decoding budget. */
void message_read_headers (Message *m, GMimeMessage *mime,
                           GMimeParserOptions *options);

/* message-html.c */

/* (transfer full) the text of an HTML part. */
char *html_to_text (const char *html);

/* message-dedup.c */

/* The dedup key computed by a thread of its own while the parts are
 * decoded: on a 50 MB report SHA-256 was a fifth of the delivery. */
#define DEDUP_THREAD_MIN (1024 * 1024)

typedef struct
{
  const Raw *raw;
  gsize from; /* past a leading mbox "From " line */
  const char *message_id;
  gboolean nul;  /* out: a NUL byte somewhere */
  GError *error; /* out: reading failed */
} DedupJob;

/* The thread body (or a plain call) that computes job's key:
 * (transfer full) its hex digest, or NULL with job->error set. */
gpointer dedup_job (gpointer data);

/* The dedup key, and NUL bytes flagged; NULL when raw cannot be read. */
char *finish_dedup (Message *m, GThread *hashing, DedupJob *job);

#endif
