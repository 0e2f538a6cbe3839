/*
 * outbox.h - send the acknowledgements waiting in the store's outbox:
 * through a sendmail(1)-compatible command when sendmail_command is set
 * (exec'd from an argument vector, never a shell: null envelope sender,
 * the recipient on the command line, never -t), else into the local
 * Maildir DATA_DIR/outbox (the embedded default, for a desk without an
 * MTA).
 */
#ifndef MADOGUCHI_OUTBOX_H
#define MADOGUCHI_OUTBOX_H

#include <glib.h>

#include "madoguchi/config.h"
#include "madoguchi/store.h"

/*
 * Claims and sends outbox entry id.  A failure to send is recorded in
 * the entry (it stays for `outbox flush`) and returned; FALSE with error
 * unset means there was nothing to claim.
 */
gboolean outbox_send (const Config *config, Store *store, gint64 id,
                      gboolean stale, GError **error);

#endif
