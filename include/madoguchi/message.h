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
#include "madoguchi/report.h"

typedef struct
{
  guint max_depth;
  guint max_parts;
  gsize max_part_text;
  gboolean pgp;        /* decrypt and verify (the keyring is GNUPGHOME) */
  gsize max_decrypted; /* bytes one decryption may produce */
  /* Archives attached: expanded bytes of all of them (0: 256 MiB),
   * members (0: 1000), expanded bytes per byte (0: no ratio guard) and
   * the passwords tried on encrypted members (NULL: none). */
  guint64 max_archive_bytes;
  guint max_archive_members;
  guint max_archive_ratio;
  const char *archive_passwords; /* separated by commas */
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

/* The decoded value of the first header called name (any case). */
const char *message_header (const Message *message, const char *name);

/* The raw value of the first header called name (any case). */
const char *message_header_raw (const Message *message, const char *name);

/* An auto-reply or other automatic mail: Auto-Submitted other than
 * "no", X-Autoreply, X-Autorespond. */
gboolean message_is_automatic (const Message *message);

/* A delivery status notification (message/delivery-status or its
 * global form): a bounce. */
gboolean message_is_delivery_report (const Message *message);

/*
 * (transfer full) the Message-IDs (without angle brackets) of the mail a
 * bounce returns, from its text/rfc822-headers parts, or NULL when there
 * are none.
 */
char **message_returned_ids (const Message *message);

#endif
