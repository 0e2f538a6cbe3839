/*
 * archive.h - the members of an archive attached to a report (zip, tar,
 * 7z, rar, cpio, and gzip, bzip2, xz, zstd, lz4 around them or around
 * one file), read with libarchive from a stream, never from a file:
 * nothing of an archive is ever written anywhere.
 *
 * One job: walk the members, archives inside archives included, within
 * a budget shared by all the archives of one message (expanded bytes,
 * member count, expansion ratio, nesting depth), and hand each member's
 * name, size, sniffed type, first bytes and SHA-256 to a callback.  A
 * member's name is only data (shown and stored, never used as a path).
 */
#ifndef MADOGUCHI_ARCHIVE_H
#define MADOGUCHI_ARCHIVE_H

#include <glib.h>

/* Why a walk read less than everything; flags, several may be set. */
typedef enum
{
  ARCHIVE_PROBLEM_BYTES = 1 << 0,     /* past max_bytes expanded */
  ARCHIVE_PROBLEM_MEMBERS = 1 << 1,   /* past max_members */
  ARCHIVE_PROBLEM_RATIO = 1 << 2,     /* expanding past max_ratio */
  ARCHIVE_PROBLEM_ENCRYPTED = 1 << 3, /* no password opened a member */
  ARCHIVE_PROBLEM_DAMAGED = 1 << 4,   /* truncated or corrupt */
  ARCHIVE_PROBLEM_DEPTH = 1 << 5,     /* an archive nested too deep */
} ArchiveProblems;

/* The three problems that stop a walk: nothing more is read. */
#define ARCHIVE_PROBLEMS_STOP                                                  \
  (ARCHIVE_PROBLEM_BYTES | ARCHIVE_PROBLEM_MEMBERS | ARCHIVE_PROBLEM_RATIO)

/* Below this many expanded bytes the ratio is not looked at: a small
 * archive of a repetitive log may expand a thousandfold harmlessly. */
#define ARCHIVE_RATIO_FLOOR (8 * 1024 * 1024)

/*
 * Limits and running totals, for all the archives of one message: set
 * the limits (0: none, for max_ratio only), zero the totals, and pass
 * the same budget to each archive_walk.
 */
typedef struct
{
  guint64 max_bytes; /* expanded bytes, all members of all levels */
  guint max_members;
  guint max_ratio;              /* expanded bytes per byte of input; 0: none */
  guint max_depth;              /* 1: members only, no archive inside opened */
  gsize max_text;               /* bytes of a text member handed over */
  const char *const *passwords; /* NULL-terminated, tried in order */
  /* Totals, updated by archive_walk: */
  guint64 bytes; /* expanded bytes read */
  guint64 input; /* bytes of the outermost inputs read */
  guint members;
  ArchiveProblems problems;
} ArchiveBudget;

typedef struct
{
  const char *name;         /* path in the archive: valid UTF-8, control
                             * characters as '?', at most 1024 bytes */
  guint depth;              /* 0: a member of the outermost archive */
  gint64 size;              /* expanded bytes (a container: as declared) */
  const char *content_type; /* sniffed from the bytes and the name */
  gboolean text;            /* text: head holds its first bytes */
  const guint8 *head;       /* up to max_text bytes, text members only */
  gsize head_len;
  gboolean container; /* an archive whose members follow it */
  gboolean unread;    /* encrypted or damaged: size is what was read */
  const char *sha256; /* hex digest of its bytes; NULL for a
                       * container or a member not read whole */
} ArchiveMember;

typedef void (*ArchiveMemberFunc) (const ArchiveMember *member, gpointer data);

/* Reads up to len bytes into buf: the count, 0 at the end, -1 on error. */
typedef gssize (*ArchiveReadFunc) (gpointer data, void *buf, gsize len);

typedef struct
{
  ArchiveReadFunc read;
  gpointer data;
  const char *name; /* the attachment's file name, or NULL: names
                     * the one member of a .gz, .bz2, .xz, .zst */
} ArchiveInput;

/*
 * Whether the first len bytes of some data (a few hundred are enough)
 * start an archive or a compressed file that archive_walk reads.
 */
gboolean archive_sniff (const guint8 *data, gsize len);

/*
 * Walks the archive read from input, calling func for each member in
 * order (a container before its own members), within budget.  Returns
 * FALSE when the input does not start like an archive: then nothing was
 * reported and the caller may read its input again as something else.
 * Returns TRUE otherwise, whatever the problems (in budget->problems).
 */
gboolean archive_walk (const ArchiveInput *input, ArchiveBudget *budget,
                       ArchiveMemberFunc func, gpointer data);

#endif
