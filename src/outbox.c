/*
 * outbox.c - deliver acknowledgements from the outbox.
 *
 * The entry is claimed ("sending", committed) before anything leaves, so
 * a crash or a second flush can never send it twice; the price is that a
 * crash mid-send leaves it "sending" for an operator to look at (the mail
 * log tells whether it went) and `outbox flush --stale` to resend.
 */
#include "madoguchi/outbox.h"

#include <gio/gio.h>
#include <string.h>

#include "madoguchi/spool.h"

/* sendmail -i -f <> -- RECIPIENT: no dot-ending, a null envelope sender
 * (RFC 3834: replies to an auto-reply go nowhere), no header parsing.
 * A notification has the team's address as envelope sender instead. */
static gboolean
send_sendmail (const Config *config, GBytes *raw, const char *recipient,
               const char *envelope, GError **error)
{
  g_auto (GStrv) command = NULL;
  g_autoptr (GStrvBuilder) builder = g_strv_builder_new ();
  g_auto (GStrv) argv = NULL;
  g_autoptr (GSubprocess) proc = NULL;
  g_autoptr (GBytes) err = NULL;

  if (!g_shell_parse_argv (config->sendmail_command, NULL, &command, error))
    return FALSE;
  g_strv_builder_addv (builder, (const char **) command);
  g_strv_builder_add_many (builder, "-i", "-f", envelope ? envelope : "<>",
                           "--", recipient, NULL);
  argv = g_strv_builder_end (builder);
  proc = g_subprocess_newv ((const char *const *) argv,
                            G_SUBPROCESS_FLAGS_STDIN_PIPE
                                | G_SUBPROCESS_FLAGS_STDOUT_SILENCE
                                | G_SUBPROCESS_FLAGS_STDERR_PIPE,
                            error);
  if (proc == NULL
      || !g_subprocess_communicate (proc, raw, NULL, NULL, &err, error))
    return FALSE;
  if (g_subprocess_get_if_exited (proc)
      && g_subprocess_get_exit_status (proc) == 0)
    return TRUE;
  g_set_error (error, G_SPAWN_ERROR, G_SPAWN_ERROR_FAILED,
               "%s exited with %d: %.*s", argv[0],
               g_subprocess_get_if_exited (proc)
                   ? g_subprocess_get_exit_status (proc)
                   : -1,
               err ? (int) MIN (g_bytes_get_size (err), 200) : 0,
               err ? (const char *) g_bytes_get_data (err, NULL) : "");
  return FALSE;
}

static gboolean
send_maildir (const Config *config, GBytes *raw, GError **error)
{
  g_autofree char *dir = g_build_filename (config->data_dir, "outbox", NULL);
  g_autofree char *name = NULL;

  return spool_write_maildir (dir, raw, &name, error);
}

gboolean
outbox_send (const Config *config, Store *store, gint64 id, gboolean stale,
             GError **error)
{
  g_autofree char *recipient = NULL;
  g_autoptr (GBytes) raw
      = store_outbox_claim (store, id, stale, &recipient, error);
  g_autoptr (GError) failure = NULL;
  g_autofree char *envelope = NULL;
  const char *via;
  gboolean sent;

  if (raw == NULL)
    return FALSE;
  /* A notification's bounce must come back; an acknowledgement's never
   * (RFC 3834): the outbox entry says which it is. */
  envelope = store_outbox_envelope (store, id, NULL);
  via = *config->sendmail_command != '\0' ? "sendmail" : "maildir";
  sent = *via == 's'
             ? send_sendmail (config, raw, recipient, envelope, &failure)
             : send_maildir (config, raw, &failure);
  if (!store_outbox_finish (store, id, sent ? via : NULL,
                            failure ? failure->message : NULL, error))
    return FALSE;
  if (failure != NULL)
    g_propagate_error (error, g_steal_pointer (&failure));
  return sent;
}
