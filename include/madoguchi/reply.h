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

typedef struct
{
  gboolean send;
  char *reason;    /* why not (or "acknowledged") */
  char *recipient; /* addr-spec, when send */
  char *sender;    /* the report's From addr-spec, when send */
  char *domain;    /* recipient's domain, when send */
} ReplyDecision;

void reply_decision_clear (ReplyDecision *decision);

/*
 * Decides from the message alone (the store adds follow-ups and the rate
 * limits): null or automated senders, Auto-Submitted, X-Autoreply,
 * Precedence, List-*, reports, our loop header, our own address, an
 * unusable reply address, a DMARC failure seen by our own MTA.  The
 * recipient is Reply-To only when it is in From's domain (or one of the
 * two is below the other), else From: a Reply-To elsewhere is how an
 * acknowledgement is aimed at a third party.
 */
void reply_decide (const Config *config, const Message *message,
                   const char *envelope_from, ReplyDecision *decision);

#define REPLY_REFERENCES_KEPT 3

typedef struct
{
  const char *number; /* "2026-000123" */
  const char *tag;    /* "[IR #2026-000123/7f3a09c2]" */
  const char *category;
  gint64 received;
} ReplyTicket;

/* What an acknowledgement answers: the report, and the address
 * reply_decide chose for the answer. */
typedef struct
{
  const Message *message;
  const char *recipient;
} ReplyReport;

/*
 * Builds the acknowledgement of report->message for ticket, to
 * report->recipient.
 * Returns (transfer full) its bytes (CRLF-free, as sendmail wants them)
 * and its Message-ID in *message_id, or NULL with error set when the
 * templates cannot be read or the reply would weigh more than
 * REPLY_MAX_BYTES.  Nothing of the report is copied unbounded: its
 * subject is cut to 60 characters, and References carries its
 * Message-ID and at most the REPLY_REFERENCES_KEPT before it.
 */
GBytes *reply_build (const Config *config, const ReplyReport *report,
                     const ReplyTicket *ticket, char **message_id,
                     GError **error);

/* Whether our own MTA (authserv_id) wrote dmarc=fail in an
 * Authentication-Results header of message: its From may be forged.
 * FALSE when authserv_id is empty. */
gboolean reply_dmarc_failed (const Config *config, const Message *message);

/*
 * (transfer full) address's domain (the part after the last '@'),
 * lower-cased, or NULL when it has none.
 */
char *reply_domain (const char *address);

/* The most an acknowledgement may weigh, headers and body: a template
 * that makes a larger one is refused (reply_build fails). */
#define REPLY_MAX_BYTES (64 * 1024)

/* "ja", "en" or "bilingual": the language of the acknowledgement. */
const char *reply_language (const Config *config, const Message *message);

#endif
