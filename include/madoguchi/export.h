/*
 * export.h - every ticket of a period, with its messages and indicators,
 * handed over one at a time (store-export.c), so that `madoguchi export`
 * streams a database of any size in little memory.
 */
#ifndef MADOGUCHI_EXPORT_H
#define MADOGUCHI_EXPORT_H

#include <glib.h>

#include "madoguchi/store.h"

typedef struct {
  gint64 since;                /* created in [since, until), Unix seconds */
  gint64 until;
  const char *category;        /* or NULL: any */
  const char *status;          /* or NULL: any */
  gboolean messages;           /* read each ticket's messages (large) */
} ExportFilter;

typedef struct {
  char *message_id;
  char *direction;             /* "in" or "out" */
  char *from;                  /* the From header, decoded */
  char *from_addr;             /* its addr-spec */
  char *subject;
  char *date;                  /* the Date header as written */
  gint64 received;             /* Unix seconds */
  char *text;                  /* decoded UTF-8 of the text parts */
} ExportMessage;

typedef struct {
  char *kind;                  /* ipv4 ipv6 cidr range url domain email */
  char *value;
  gint64 count;                /* over the ticket's messages */
  gint64 first_seen;           /* Unix seconds; 0: unknown */
  gint64 last_seen;
} ExportIndicator;

typedef struct {
  char *number;
  gint64 created;
  gint64 updated;
  char *status;
  char *category;
  char *category_by;
  char *auto_category;
  char *owner;
  char *reporter;
  char *reporter_name;
  char *subject;
  char *merged_into;           /* the ticket it was merged into, or NULL */
  char *incident;              /* the number of its incident, or NULL */
  GPtrArray *messages;         /* of ExportMessage, oldest first; NULL
                                  unless the filter asked for them */
  GPtrArray *indicators;       /* of ExportIndicator, addresses first,
                                  most frequent first */
} ExportTicket;

/* Called for each ticket; returning FALSE (with error set) stops. */
typedef gboolean (*ExportFunc) (const ExportTicket *ticket, gpointer data,
                                GError **error);

/*
 * Calls func for every ticket the filter selects, oldest first, inside
 * one read transaction (a consistent snapshot that holds up no writer).
 * Only one ticket is in memory at a time.
 */
gboolean store_export (Store *store, const ExportFilter *filter,
                       ExportFunc func, gpointer data, GError **error);

#endif
