/*
 * message-pgp.c - OpenPGP in incoming mail (see message-pgp.h).
 *
 * Everything goes through GMime's crypto contexts (GPGME underneath),
 * never a gpg process of our own.  The one thing GMime does not bound is
 * the size of what a decryption writes: a compressed packet of a few
 * kilobytes can expand to gigabytes.  So decryption and clear-signature
 * verification write into a CappedStream, which fails the write past its
 * cap; GPGME then stops the operation and gpg with it.
 */
#include "message-pgp.h"

#include <errno.h>
#include <string.h>

#include "gmime-autoptr.h"

static const char PGP_PROTOCOL_ENCRYPTED[] = "application/pgp-encrypted";
static const char PGP_PROTOCOL_SIGNATURE[] = "application/pgp-signature";
static const char ARMOR_MESSAGE[] = "-----BEGIN PGP MESSAGE-----";
static const char ARMOR_MESSAGE_END[] = "-----END PGP MESSAGE-----";
static const char ARMOR_SIGNED[] = "-----BEGIN PGP SIGNED MESSAGE-----";
static const char ARMOR_SIGNATURE_END[] = "-----END PGP SIGNATURE-----";

/* A write-only memory stream that refuses to grow past its cap. */
typedef struct
{
  GMimeStream parent;
  GByteArray *bytes;
  gsize cap;
  gboolean overflow;
} CappedStream;

typedef struct
{
  GMimeStreamClass parent_class;
} CappedStreamClass;

G_DEFINE_TYPE (CappedStream, capped_stream, GMIME_TYPE_STREAM)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (CappedStream, g_object_unref)

static ssize_t
capped_stream_write (GMimeStream *stream, const char *buf, size_t len)
{
  CappedStream *capped = (CappedStream *) stream;

  if (len > capped->cap - capped->bytes->len)
    {
      capped->overflow = TRUE;
      errno = EFBIG;
      return -1;
    }
  g_byte_array_append (capped->bytes, (const guint8 *) buf, (guint) len);
  return (ssize_t) len;
}

static int
capped_stream_flush (GMimeStream *stream)
{
  return 0;
}

static int
capped_stream_close (GMimeStream *stream)
{
  return 0;
}

static void
capped_stream_finalize (GObject *object)
{
  g_byte_array_unref (((CappedStream *) object)->bytes);
  G_OBJECT_CLASS (capped_stream_parent_class)->finalize (object);
}

static void
capped_stream_class_init (CappedStreamClass *klass)
{
  GMimeStreamClass *stream_class = GMIME_STREAM_CLASS (klass);

  G_OBJECT_CLASS (klass)->finalize = capped_stream_finalize;
  stream_class->write = capped_stream_write;
  stream_class->flush = capped_stream_flush;
  stream_class->close = capped_stream_close;
}

static void
capped_stream_init (CappedStream *stream)
{
  stream->bytes = g_byte_array_new ();
}

static CappedStream *
capped_stream_new (gsize cap)
{
  CappedStream *stream = g_object_new (capped_stream_get_type (), NULL);

  stream->cap = cap;
  return stream;
}

/* Keeps the first problem: it is the one that explains the others. */
static void
note_problem (MessagePgp *pgp, const char *what, const GError *error,
              const CappedStream *out)
{
  if (pgp->problem != NULL)
    return;
  if (out != NULL && out->overflow)
    pgp->problem = g_strdup_printf (
        "%s: the plaintext is larger than %u "
        "bytes (a compression bomb?)",
        what, out->cap > G_MAXUINT ? G_MAXUINT : (guint) out->cap);
  else
    pgp->problem
        = g_strdup_printf ("%s: %s", what, error ? error->message : "failed");
}

static const char *
signature_status_name (GMimeSignatureStatus status)
{
  if (status & GMIME_SIGNATURE_STATUS_KEY_REVOKED)
    return "revoked";
  if (status
      & (GMIME_SIGNATURE_STATUS_KEY_EXPIRED
         | GMIME_SIGNATURE_STATUS_SIG_EXPIRED))
    return "expired";
  if (status & GMIME_SIGNATURE_STATUS_KEY_MISSING)
    return "unknown-key";
  if (status & GMIME_SIGNATURE_STATUS_RED)
    return "bad";
  if (status & GMIME_SIGNATURE_STATUS_SYS_ERROR)
    return "error";
  /* Neither red nor an error: the signature is mathematically good.
   * Whether the team trusts the key (GREEN, VALID) is the keyring's
   * business; a reporter's key is seldom certified. */
  return "good";
}

/* The first signature of a message decides; a later one (a part signed
 * again) does not overwrite it. */
static void
note_signatures (MessagePgp *pgp, GMimeSignatureList *list)
{
  GMimeSignature *sig;
  GMimeCertificate *cert;
  const char *id;

  if (pgp->signature != NULL || list == NULL
      || g_mime_signature_list_length (list) < 1)
    return;
  sig = g_mime_signature_list_get_signature (list, 0);
  pgp->signature
      = g_strdup (signature_status_name (g_mime_signature_get_status (sig)));
  cert = g_mime_signature_get_certificate (sig);
  id = cert ? g_mime_certificate_get_fingerprint (cert) : NULL;
  if (id == NULL || *id == '\0')
    id = cert ? g_mime_certificate_get_key_id (cert) : NULL;
  pgp->signer = id && *id ? g_ascii_strup (id, -1) : NULL;
}

static GMimeObject *
parse_decrypted (GByteArray *bytes)
{
  g_autoptr (GMimeStream) stream
      = g_mime_stream_mem_new_with_byte_array (g_byte_array_ref (bytes));
  g_autoptr (GMimeParser) parser = g_mime_parser_new_with_stream (stream);

  return g_mime_parser_construct_part (parser, NULL);
}

/* Encrypted content with decryption off: recorded, not attempted. */
static gboolean
pgp_is_off (const MessageLimits *limits, MessagePgp *pgp)
{
  if (limits->pgp)
    return FALSE;
  pgp->encrypted = TRUE;
  if (pgp->problem == NULL)
    pgp->problem = g_strdup ("not decrypted: PGP is off (gnupg_home is "
                             "not set)");
  return TRUE;
}

GMimeObject *
pgp_decrypt_multipart (GMimeMultipartEncrypted *part,
                       const MessageLimits *limits, MessagePgp *pgp)
{
  g_autoptr (GMimeCryptoContext) ctx = NULL;
  g_autoptr (GMimeStream) in = g_mime_stream_mem_new ();
  g_autoptr (CappedStream) out = capped_stream_new (limits->max_decrypted);
  g_autoptr (GMimeDecryptResult) result = NULL;
  g_autoptr (GError) error = NULL;
  GMimeObject *encrypted
      = g_mime_multipart_get_count (GMIME_MULTIPART (part))
                > GMIME_MULTIPART_ENCRYPTED_CONTENT
            ? g_mime_multipart_get_part (GMIME_MULTIPART (part),
                                         GMIME_MULTIPART_ENCRYPTED_CONTENT)
            : NULL;
  GMimeDataWrapper *content
      = GMIME_IS_PART (encrypted)
            ? g_mime_part_get_content (GMIME_PART (encrypted))
            : NULL;

  if (pgp_is_off (limits, pgp))
    return NULL;
  pgp->encrypted = TRUE;
  ctx = g_mime_crypto_context_new (PGP_PROTOCOL_ENCRYPTED);
  if (ctx == NULL || content == NULL)
    {
      note_problem (pgp, "decrypt", NULL, NULL);
      return NULL;
    }
  g_mime_data_wrapper_write_to_stream (content, in);
  g_mime_stream_reset (in);
  result = g_mime_crypto_context_decrypt (ctx, GMIME_DECRYPT_NONE, NULL, in,
                                          GMIME_STREAM (out), &error);
  if (result == NULL || out->overflow)
    {
      note_problem (pgp, "decrypt", error, out);
      return NULL;
    }
  note_signatures (pgp, g_mime_decrypt_result_get_signatures (result));
  return parse_decrypted (out->bytes);
}

void
pgp_verify_multipart (GMimeMultipartSigned *part, MessagePgp *pgp)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GMimeSignatureList) list = NULL;
  const char *protocol = g_mime_object_get_content_type_parameter (
      GMIME_OBJECT (part), "protocol");

  if (protocol == NULL
      || g_ascii_strcasecmp (protocol, PGP_PROTOCOL_SIGNATURE) != 0)
    return; /* S/MIME and others: not ours to judge */
  list = g_mime_multipart_signed_verify (part, GMIME_VERIFY_NONE, &error);
  if (list == NULL)
    {
      note_problem (pgp, "verify", error, NULL);
      if (pgp->signature == NULL)
        pgp->signature = g_strdup ("error");
      return;
    }
  note_signatures (pgp, list);
}

/* Where an armored block lies in a part's bytes: [start, end). */
typedef struct
{
  gsize start;
  gsize end; /* past the line end after the block's last line */
} ArmorSpan;

/* Where the armored block that starts with begin, and ends after the
 * line end, lies in bytes: *span, or FALSE. */
static gboolean
find_armor (const GByteArray *bytes, const char *begin, const char *end_line,
            ArmorSpan *span)
{
  const char *data = (const char *) bytes->data;
  const char *b = g_strstr_len (data, bytes->len, begin);
  const char *e;
  const char *nl;

  if (b == NULL)
    return FALSE;
  e = g_strstr_len (b, bytes->len - (gsize) (b - data), end_line);
  if (e == NULL)
    return FALSE;
  e += strlen (end_line);
  nl = memchr (e, '\n', bytes->len - (gsize) (e - data));
  span->start = (gsize) (b - data);
  span->end = nl ? (gsize) (nl + 1 - data) : bytes->len;
  return TRUE;
}

/* Runs decrypt (or verify) on the span of bytes and returns what it
 * wrote, or NULL (pgp->problem says why). */
static GByteArray *
inline_run (const GByteArray *bytes, const ArmorSpan *span, gsize max_bytes,
            MessagePgp *pgp, gboolean decrypt)
{
  g_autoptr (GMimeCryptoContext) ctx
      = g_mime_crypto_context_new (PGP_PROTOCOL_ENCRYPTED);
  g_autoptr (GMimeStream) in = g_mime_stream_mem_new ();
  g_autoptr (CappedStream) out = capped_stream_new (max_bytes);
  g_autoptr (GError) error = NULL;
  gboolean ok;

  if (ctx == NULL)
    {
      note_problem (pgp, decrypt ? "decrypt" : "verify", NULL, NULL);
      return NULL;
    }
  g_mime_stream_write (in, (const char *) bytes->data + span->start,
                       span->end - span->start);
  g_mime_stream_reset (in);
  if (decrypt)
    {
      g_autoptr (GMimeDecryptResult) result = g_mime_crypto_context_decrypt (
          ctx, GMIME_DECRYPT_NONE, NULL, in, GMIME_STREAM (out), &error);

      ok = result != NULL;
      if (ok)
        note_signatures (pgp, g_mime_decrypt_result_get_signatures (result));
    }
  else
    {
      g_autoptr (GMimeSignatureList) list = g_mime_crypto_context_verify (
          ctx, GMIME_VERIFY_NONE, in, NULL, GMIME_STREAM (out), &error);

      ok = list != NULL;
      note_signatures (pgp, list);
    }
  if (!ok || out->overflow)
    {
      note_problem (pgp, decrypt ? "decrypt" : "verify", error, out);
      return NULL;
    }
  return g_byte_array_ref (out->bytes);
}

/* Replaces the span of bytes with what. */
static void
splice (GByteArray *bytes, const ArmorSpan *span, const GByteArray *with)
{
  g_autoptr (GByteArray) joined = g_byte_array_sized_new (
      (guint) (bytes->len - (span->end - span->start) + with->len));

  g_byte_array_append (joined, bytes->data, (guint) span->start);
  g_byte_array_append (joined, with->data, with->len);
  g_byte_array_append (joined, bytes->data + span->end,
                       (guint) (bytes->len - span->end));
  g_byte_array_set_size (bytes, 0);
  g_byte_array_append (bytes, joined->data, joined->len);
}

/* FALSE when an armored block was found and could not be processed. */
static gboolean
inline_block (GByteArray *bytes, gsize max_bytes, MessagePgp *pgp,
              gboolean decrypt)
{
  ArmorSpan span;
  g_autoptr (GByteArray) plain = NULL;

  if (!find_armor (bytes, decrypt ? ARMOR_MESSAGE : ARMOR_SIGNED,
                   decrypt ? ARMOR_MESSAGE_END : ARMOR_SIGNATURE_END, &span))
    return TRUE;
  if (decrypt)
    pgp->encrypted = TRUE;
  plain = inline_run (bytes, &span, max_bytes, pgp, decrypt);
  if (plain == NULL)
    return FALSE;
  splice (bytes, &span, plain);
  return TRUE;
}

gboolean
pgp_inline (GByteArray *bytes, const MessageLimits *limits, MessagePgp *pgp)
{
  gboolean decrypted;

  if (bytes->len == 0
      || g_strstr_len ((const char *) bytes->data, bytes->len,
                       "-----BEGIN PGP ")
             == NULL)
    return TRUE;
  if (!limits->pgp)
    return g_strstr_len ((const char *) bytes->data, bytes->len, ARMOR_MESSAGE)
               == NULL
           || !pgp_is_off (limits, pgp);
  decrypted = inline_block (bytes, limits->max_decrypted, pgp, TRUE);
  inline_block (bytes, limits->max_decrypted, pgp, FALSE);
  return decrypted;
}
