/*
 * sha256.h - SHA-256 of a stream of bytes, with the x86 SHA instructions
 * when the processor has them (about ten times GLib's speed: a 50 MB
 * report's dedup key was a third of its delivery), else with GChecksum.
 */
#ifndef MADOGUCHI_SHA256_H
#define MADOGUCHI_SHA256_H

#include <glib.h>

typedef struct Sha256 Sha256;

/* force_portable: GChecksum even where the SHA instructions exist. */
Sha256 *sha256_new (gboolean force_portable);
void sha256_update (Sha256 *sha, const void *data, gsize len);
/* (transfer full) the digest, 64 lower-case hex digits; ends sha's use. */
char *sha256_hex (Sha256 *sha);
void sha256_free (Sha256 *sha);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (Sha256, sha256_free)

/* Whether sha256_new (FALSE) uses the SHA instructions here. */
gboolean sha256_accelerated (void);

#endif
