/*
 * print.h - evidence as operators read it: a table on a terminal, or
 * members of a JSON document.  Shared by `show` and `extract`.
 */
#ifndef MADOGUCHI_PRINT_H
#define MADOGUCHI_PRINT_H

#include <glib.h>

#include "madoguchi/extract.h"
#include "madoguchi/json.h"
#include "madoguchi/store.h"
#include "madoguchi/store-notify.h"

/* (transfer full) StoreIndicator rows of an extraction, as show has them. */
GPtrArray *print_indicator_rows (const Extraction *extraction);

/* A message's Subject, From and Date (NULL: empty), one a line, made
 * safe for the terminal. */
void print_headers (const char *subject, const char *from,
                    const char *date);

/* Indicators (StoreIndicator), times (Timestamp), excerpts (Excerpt). */
void print_evidence (GPtrArray *indicators, GPtrArray *timestamps,
                     GPtrArray *excerpts);

/* key: an ISO 8601 UTC time, or null for none (0). */
void print_json_time (JsonWriter *w, const char *key, gint64 t);

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
