/*
 * reply-pgp.h - OpenPGP for what madoguchi sends (acknowledgements,
 * notifications), for reply.c and notify.c, which build them with GMime:
 * PGP/MIME (RFC 3156) signed with the team's key, and encrypted to a
 * site's key when the keyring has it.
 */
#ifndef MADOGUCHI_REPLY_PGP_H
#define MADOGUCHI_REPLY_PGP_H

#include <gmime/gmime.h>

#include "madoguchi/config.h"

/*
 * Replaces *part by what is sent in its place: with pgp_sign, a
 * multipart/signed by team_address's key in gnupg_home; with encrypt_to
 * (a key fingerprint, or NULL) found in that keyring, a
 * multipart/encrypted to it (signed inside, with pgp_sign).  A
 * fingerprint the keyring does not have leaves the part unencrypted.
 * FALSE with error when signing or encrypting fails: the caller sends
 * nothing rather than less than it promised.
 */
gboolean reply_pgp_protect (const Config *config, GMimeObject **part,
                            const char *encrypt_to, GError **error);

#endif
