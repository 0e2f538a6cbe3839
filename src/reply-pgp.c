/*
 * reply-pgp.c - OpenPGP for what madoguchi sends (see reply-pgp.h),
 * through GMime's GPGME context: no gpg process of our own.  Keys are
 * trusted as the team imported them (ALWAYS_TRUST): a site's key is in
 * the team's keyring because an operator put it there, and the web of
 * trust would otherwise refuse every key nobody certified.
 */
#include "reply-pgp.h"

#include "gmime-autoptr.h"

static GMimeCryptoContext *
pgp_context (const Config *config, const char *protocol, GError **error)
{
  GMimeCryptoContext *ctx;

  if (config->gnupg_home[0] == '\0')
    {
      g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_FAILED,
                   "PGP is asked for but gnupg_home is empty");
      return NULL;
    }
  g_setenv ("GNUPGHOME", config->gnupg_home, TRUE);
  ctx = g_mime_crypto_context_new (protocol);
  if (ctx == NULL)
    g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_FAILED,
                 "GMime has no OpenPGP context");
  return ctx;
}

/* Whether the keyring has the public key of fingerprint: exporting an
 * unknown key succeeds too, and writes nothing. */
static gboolean
has_key (GMimeCryptoContext *ctx, const char *fingerprint)
{
  const char *keys[] = { fingerprint, NULL };
  g_autoptr (GMimeStream) out = g_mime_stream_mem_new ();

  return g_mime_crypto_context_export_keys (ctx, keys, out, NULL) >= 0
         && g_mime_stream_length (out) > 0;
}

static gboolean
sign (const Config *config, GMimeObject **part, GError **error)
{
  g_autoptr (GMimeCryptoContext) ctx
      = pgp_context (config, "application/pgp-signature", error);
  GMimeMultipartSigned *signed_part;

  signed_part = ctx ? g_mime_multipart_signed_sign (ctx, *part,
                                                    config->team_address, error)
                    : NULL;
  if (signed_part == NULL)
    {
      g_prefix_error (error,
                      "cannot sign with %s's key: ", config->team_address);
      return FALSE;
    }
  g_object_unref (*part);
  *part = GMIME_OBJECT (signed_part);
  return TRUE;
}

/* FALSE with error only when encryption was possible and failed. */
static gboolean
encrypt (const Config *config, GMimeObject **part, const char *to,
         gboolean *done, GError **error)
{
  g_autoptr (GMimeCryptoContext) ctx
      = pgp_context (config, "application/pgp-encrypted", error);
  g_autoptr (GPtrArray) recipients = g_ptr_array_new ();
  GMimeMultipartEncrypted *encrypted;

  *done = FALSE;
  if (ctx == NULL)
    return FALSE;
  if (!has_key (ctx, to))
    return TRUE;
  g_ptr_array_add (recipients, (gpointer) to);
  encrypted = g_mime_multipart_encrypted_encrypt (
      ctx, *part, config->pgp_sign, config->team_address,
      GMIME_ENCRYPT_ALWAYS_TRUST, recipients, error);
  if (encrypted == NULL)
    {
      g_prefix_error (error, "cannot encrypt to %s: ", to);
      return FALSE;
    }
  g_object_unref (*part);
  *part = GMIME_OBJECT (encrypted);
  *done = TRUE;
  return TRUE;
}

gboolean
reply_pgp_protect (const Config *config, GMimeObject **part,
                   const char *encrypt_to, GError **error)
{
  gboolean encrypted = FALSE;

  if (encrypt_to != NULL && *encrypt_to != '\0' && config->gnupg_home[0]
      && !encrypt (config, part, encrypt_to, &encrypted, error))
    return FALSE;
  /* An encrypted part is signed inside already, when pgp_sign asks. */
  if (config->pgp_sign && !encrypted)
    return sign (config, part, error);
  return TRUE;
}
