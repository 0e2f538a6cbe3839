/*
 * intake-notify.h - notify the sites of a ticket: read its evidence from
 * the store, find each address's contact, build each site's notification
 * (notify.c) and queue it with its record in one transaction, then send
 * it through the outbox.  For `notify` and for deliver's auto_notify.
 */
#ifndef MADOGUCHI_INTAKE_NOTIFY_H
#define MADOGUCHI_INTAKE_NOTIFY_H

#include <glib.h>

#include "madoguchi/config.h"
#include "madoguchi/store.h"

typedef struct
{
  gboolean dry_run;     /* build, queue nothing */
  gboolean again;       /* send what was sent before */
  gboolean automatic;   /* by deliver (auto_notify) */
  const char *to;       /* one address for all, or NULL: the contacts */
  const char *language; /* of --to: "ja" or "en" */
  const char *who;      /* for the audit trail */
} NotifyOptions;

/* What became of one site. */
typedef struct
{
  char *contact; /* its match, or NULL (--to) */
  char *name;
  char *email;
  char *language;
  char *addresses;    /* "192.0.2.1,192.0.2.7" */
  const char *status; /* "queued", "sent", "would queue",
                       * "already notified", "no email", "failed" */
  char *message_id;
  char *why;  /* for failed */
  char *text; /* the notification's text, when built */
} NotifyOutcome;

typedef struct
{
  char *number;
  GPtrArray *outcomes;     /* of NotifyOutcome */
  GPtrArray *not_notified; /* of char *: addresses without a contact */
} NotifyReport;

void notify_report_free (NotifyReport *report);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (NotifyReport, notify_report_free)

/*
 * Notifies the sites of ticket number.  Returns (transfer full) what was
 * done, or NULL with STORE_ERROR_NOT_FOUND (no such ticket),
 * NOTIFY_ERROR_NO_ADDRESSES (nothing to notify about) or a store error.
 */
NotifyReport *intake_notify (const Config *config, Store *store,
                             const char *number, const NotifyOptions *opt,
                             GError **error);

/* Whether deliver notifies for category (auto_notify and its list). */
gboolean intake_notify_wanted (const Config *config, const char *category);

#endif
