/*
 * message.h - one incoming mail, parsed with GMime into what the rest of
 * madoguchi needs: decoded headers and the UTF-8 text of every textual
 * part, walking multipart parts and forwarded message/rfc822 parts.
 *
 * Parsing never fails on bad mail: malformed MIME, NUL bytes, an empty
 * input or a message past the limits are parsed as far as they go and
 * flagged.  Only this module sees GMime.
 */
#ifndef MADOGUCHI_MESSAGE_H
#define MADOGUCHI_MESSAGE_H

#include <glib.h>

#include "madoguchi/raw.h"

typedef enum {
  MESSAGE_FLAG_TRUNCATED = 1 << 0,   /* bigger than max_message_size */
  MESSAGE_FLAG_MALFORMED = 1 << 1,   /* GMime could not build a message */
  MESSAGE_FLAG_NUL_BYTES = 1 << 2,
  MESSAGE_FLAG_EMPTY = 1 << 3,
  MESSAGE_FLAG_DEPTH_LIMIT = 1 << 4, /* parts nested deeper were skipped */
  MESSAGE_FLAG_PARTS_LIMIT = 1 << 5, /* parts past the count were skipped */
  MESSAGE_FLAG_CHARSET = 1 << 6,     /* a charset was missing or wrong */
  MESSAGE_FLAG_TEXT_LIMIT = 1 << 7,  /* a part's text was cut */
  MESSAGE_FLAG_NO_HEADERS = 1 << 8,  /* no From, Date or Message-ID */
  MESSAGE_FLAG_DECODE_LIMIT = 1 << 9, /* encoded-words kept undecoded */
  MESSAGE_FLAG_UNDECRYPTED = 1 << 10, /* PGP-encrypted, not decrypted */
  /* Archives: the rest of their members were skipped past a limit
   * (max_archive_bytes, max_archive_members, max_archive_ratio), or a
   * member could not be read (no password fitted; damaged, truncated). */
  MESSAGE_FLAG_ARCHIVE_BYTES = 1 << 11,
  MESSAGE_FLAG_ARCHIVE_MEMBERS = 1 << 12,
  MESSAGE_FLAG_ARCHIVE_RATIO = 1 << 13,
  MESSAGE_FLAG_ARCHIVE_ENCRYPTED = 1 << 14,
  MESSAGE_FLAG_ARCHIVE_DAMAGED = 1 << 15,
} MessageFlags;

/* Flag names, in bit order, for storage and display. */
char *message_flags_to_string (MessageFlags flags);

typedef struct {
  guint depth;          /* 0 for the top-level body */
  char *content_type;   /* "type/subtype", lower case */
  char *filename;       /* decoded, or NULL */
  char *charset;        /* as declared, or NULL */
  gint64 size;          /* decoded bytes */
  gboolean forwarded;   /* inside a message/rfc822 part */
  char *text;           /* UTF-8 text, or NULL when the part is not text */
  gboolean member;      /* a member of an archive (filename: its path in
                         * it, only data; depth: below the archive) */
  char *sha256;         /* a binary member's hex SHA-256, or NULL */
} MessagePart;

typedef struct {
  char *name;
  char *raw;            /* as written (folded, encoded) */
  char *value;          /* decoded, one line */
} MessageHeader;

void message_part_free (MessagePart *part);

/* What OpenPGP the message carried (PGP/MIME or inline), and what came of
 * it.  All zero for a message without any. */
typedef struct {
  gboolean encrypted;   /* some of it was encrypted */
  gboolean decrypted;   /* and all of that was decrypted */
  char *signature;      /* "good", "bad", "unknown-key", "expired",
                         * "revoked" or "error"; NULL: not signed */
  char *signer;         /* the signing key's fingerprint, or NULL */
  char *problem;        /* why decrypting or verifying failed, or NULL */
} MessagePgp;

typedef struct {
  MessageFlags flags;
  MessagePgp pgp;
  char *mbox_sender;    /* sender of a leading "From " line, or NULL */
  char *message_id;     /* without angle brackets, or NULL */
  char *in_reply_to;    /* message-ids, space separated, or NULL */
  char *references;     /* message-ids, space separated, or NULL */
  char *from;           /* decoded display form, or NULL */
  char *from_addr;      /* addr-spec of the first From mailbox, or NULL */
  char *reply_to;
  char *to;
  char *cc;
  char *subject;
  char *date;           /* the Date header, decoded, or NULL */
  gint64 date_utc;      /* seconds since the epoch; 0 when unknown */
  int date_offset;      /* the Date's zone, seconds east of UTC */
  char *return_path;    /* addr-spec, "" for <>, or NULL */
  GPtrArray *headers;   /* of MessageHeader: the outer headers, in order */
  GPtrArray *parts;     /* of MessagePart */
  char *dedup_key;      /* hex SHA-256 identifying this message */
} Message;

typedef struct {
  guint max_depth;
  guint max_parts;
  gsize max_part_text;
  gboolean pgp;         /* decrypt and verify (the keyring is GNUPGHOME) */
  gsize max_decrypted;  /* bytes one decryption may produce */
  /* Archives attached: expanded bytes of all of them (0: 256 MiB),
   * members (0: 1000), expanded bytes per byte (0: no ratio guard) and
   * the passwords tried on encrypted members (NULL: none). */
  guint64 max_archive_bytes;
  guint max_archive_members;
  guint max_archive_ratio;
  const char *archive_passwords;   /* separated by commas */
} MessageLimits;

/* Call once before message_parse (it initialises GMime). */
void message_init (void);

/*
 * Parses len bytes of data, exactly as received (a leading mbox "From "
 * line and CRLF line ends are handled).  Never fails.
 * Returns (transfer full) the message.
 */
Message *message_parse (const char *data, gsize len,
                        const MessageLimits *limits);

/*
 * The same for a message that may be in a file: parsed from it as GMime
 * reads, never mapped or copied whole; only each part's text (up to
 * max_part_text) is kept.  Fails only when the file cannot be read.
 */
Message *message_parse_raw (const Raw *raw, const MessageLimits *limits,
                            GError **error);

/*
 * (transfer full) the text of all textual parts, in order, a newline
 * between two: the message's text as filed.  Made when asked for, not
 * kept: while its evidence is extracted, a big report's text is in
 * memory once (in its part), not twice.
 */
char *message_text (const Message *message);

/* The decoded value of the first header called name (any case). */
const char *message_header (const Message *message, const char *name);

/* The raw value of the first header called name (any case). */
const char *message_header_raw (const Message *message, const char *name);

/* An auto-reply or other automatic mail: Auto-Submitted other than
 * "no", X-Autoreply, X-Autorespond. */
gboolean message_is_automatic (const Message *message);

void message_free (Message *message);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (Message, message_free)

#endif
