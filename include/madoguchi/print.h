/*
 * print.h - evidence as operators read it: a table on a terminal, or
 * members of a JSON document.  Shared by `show` and `extract`.
 */
#ifndef MADOGUCHI_PRINT_H
#define MADOGUCHI_PRINT_H

#include <glib.h>

#include "madoguchi/extract.h"
#include "madoguchi/json.h"
#include "madoguchi/output.h"
#include "madoguchi/store.h"
#include "madoguchi/store-notify.h"

/* (transfer full) StoreIndicator rows of an extraction, as show has them. */
GPtrArray *print_indicator_rows (const Extraction *extraction);

/* A message's Subject, From and Date (NULL: empty), one a line, made
 * safe for the terminal. */
void print_headers (const char *subject, const char *from, const char *date);

/* Indicators (StoreIndicator), times (Timestamp), excerpts (Excerpt). */
void print_evidence (GPtrArray *indicators, GPtrArray *timestamps,
                     GPtrArray *excerpts);

/* key: an ISO 8601 UTC time, or null for none (0). */
void print_json_time (JsonWriter *w, const char *key, gint64 t);

/*
 * Tickets (StoreTicket) as `list` prints them: an aligned table that fits
 * output_terminal_width() (the subject, reporter and owner cut first),
 * one JSON array, or CSV with a header (number, created, status,
 * category, owner, reporter, subject).
 */
void print_tickets (GPtrArray *tickets, OutputFormat format);

/* Indicators (StoreIndicator) as CSV with a header, one a row; number
 * (NULL: a dry run's, none) in the first column. */
void print_indicators_csv (const char *number, GPtrArray *indicators);

/*
 * A ticket and its evidence as CSV with a header: list's columns of the
 * ticket (the same as print_tickets' CSV) then an indicator's (kind,
 * value, scope, role, count, ports, first_seen, last_seen, asn), one row an
 * indicator; one row with the indicator's columns empty when there is
 * none, so that the ticket is always there.  `show --format csv`.
 */
void print_ticket_evidence_csv (const StoreTicket *ticket,
                                GPtrArray *indicators);

/* An acknowledgement's state as operators read it: "sent" only for what
 * went to sendmail; one written to the outbox Maildir (sendmail_command
 * empty) waits there for whoever collects it, and is "outboxed". */
const char *print_outbox_state (const StoreOutbox *e);

/* The members every ticket's JSON has: number, created, status,
 * category, owner, reporter, subject, incident. */
void print_ticket_json (JsonWriter *w, const StoreTicket *t);

/* One notification as a JSON object: its ticket, contact, email,
 * addresses, Message-ID, status and times. */
void print_notification_json (JsonWriter *w, const StoreNotification *n);

/* The category with its scores' reasons (ClassifyReason) and the form
 * fields (FormField) of a report. */
void print_classification (const char *category, const char *set_by,
                           const char *auto_category, GPtrArray *reasons,
                           GPtrArray *form);

/* The same as "reasons" and "form" members of a JSON object. */
void print_classification_json (JsonWriter *w, GPtrArray *reasons,
                                GPtrArray *form);

/* The same as "indicators", "timestamps" and "excerpts" members of the
 * JSON object being written. */
void print_evidence_json (JsonWriter *w, GPtrArray *indicators,
                          GPtrArray *timestamps, GPtrArray *excerpts);

#endif
