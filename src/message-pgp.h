/*
 * message-pgp.h - OpenPGP in incoming mail, for message.c only (it
 * speaks GMime): PGP/MIME (RFC 3156) encrypted and signed parts, and
 * inline armor in a text part, decrypted and verified through GMime's
 * GPGME contexts, with the team's keyring (GNUPGHOME, from gnupg_home).
 *
 * Nothing here fails the message: what cannot be decrypted or verified
 * is recorded in MessagePgp (problem) and the part is walked as it is.
 * Decrypted output is capped (a compressed packet can expand without
 * limit): past the cap the decryption is stopped and reported.
 */
#ifndef MADOGUCHI_MESSAGE_PGP_H
#define MADOGUCHI_MESSAGE_PGP_H

#include <gmime/gmime.h>

#include "madoguchi/message.h"

/*
 * Decrypts a multipart/encrypted part into at most limits->max_decrypted
 * bytes of MIME (nothing is tried when limits->pgp is off).
 * Returns (transfer full) the decrypted part, or NULL (pgp->problem
 * says why).  A signature inside the encryption is verified too.
 */
GMimeObject *pgp_decrypt_multipart (GMimeMultipartEncrypted *part,
                                    const MessageLimits *limits,
                                    MessagePgp *pgp);

/* Verifies a multipart/signed part; the result goes to pgp. */
void pgp_verify_multipart (GMimeMultipartSigned *part, MessagePgp *pgp);

/*
 * Inline PGP in the bytes of a text part (before any charset
 * conversion: the armor is ASCII in every charset a text part may have,
 * and a clear signature covers those bytes): the first armored message
 * is replaced by its plaintext, at most limits->max_decrypted bytes of
 * it (nothing is tried when limits->pgp is off), and the first
 * clear-signed block by its verified text.  Bytes without armor are
 * left alone.  Returns FALSE when an encrypted block could not be
 * decrypted (pgp->problem says why).
 */
gboolean pgp_inline (GByteArray *bytes, const MessageLimits *limits,
                     MessagePgp *pgp);

#endif
