/*
 * reply.h - the acknowledgement: whether a report may get one (RFC 3834
 * and every other way a desk can start a mail loop or backscatter), to
 * whom, and the message itself, built with GMime from the templates of
 * rules/.  Sending is outbox.c's.
 */
#ifndef MADOGUCHI_REPLY_H
#define MADOGUCHI_REPLY_H

#include <glib.h>

#include "madoguchi/config.h"
#include "madoguchi/message.h"

typedef struct {
  gboolean send;
  char *reason;         /* why not (or "acknowledged") */
  char *recipient;      /* addr-spec, when send */
} ReplyDecision;

void reply_decision_clear (ReplyDecision *decision);

/*
 * Decides from the message alone (the store adds follow-ups and the rate
 * limit): null or automated senders, Auto-Submitted, X-Autoreply,
 * Precedence, List-*, reports, our loop header, our own address, an
 * unusable reply address, a DMARC failure seen by our own MTA.
 */
void reply_decide (const Config *config, const Message *message,
                   const char *envelope_from, ReplyDecision *decision);

typedef struct {
  const char *number;       /* "2026-000123" */
  const char *tag;          /* "[IR #2026-000123/7f3a]" */
  const char *category;
  gint64 received;
} ReplyTicket;

/*
 * Builds the acknowledgement of message for ticket, to recipient.
 * Returns (transfer full) its bytes (CRLF-free, as sendmail wants them)
 * and its Message-ID in *message_id, or NULL with error set when the
 * templates cannot be read.
 */
GBytes *reply_build (const Config *config, const Message *message,
                     const ReplyTicket *ticket, const char *recipient,
                     char **message_id, GError **error);

/* "ja", "en" or "bilingual": the language of the acknowledgement. */
const char *reply_language (const Config *config, const Message *message);

#endif
