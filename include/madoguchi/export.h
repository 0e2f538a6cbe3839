/*
 * export.h - every ticket of a period, with its messages and indicators,
 * handed over one at a time (store-export.c), so that `madoguchi export`
 * streams a database of any size in little memory.
 */
#ifndef MADOGUCHI_EXPORT_H
#define MADOGUCHI_EXPORT_H

#include <glib.h>

#include "madoguchi/store.h"

typedef struct
{
  gint64 since; /* created in [since, until), Unix seconds */
  gint64 until;
  const char *category; /* or NULL: any */
  const char *status;   /* or NULL: any */
  gboolean messages;    /* read each ticket's messages (large) */
} ExportFilter;

/* One ticket with what export writes of it. */
typedef struct
{
  StoreTicket *ticket;
  GPtrArray *messages;   /* of StoreMessage (parts not read), oldest
                            first; NULL unless the filter asked */
  GPtrArray *indicators; /* of StoreIndicator, as show lists them */
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
