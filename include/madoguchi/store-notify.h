/*
 * store-notify.h - the store's contacts and notifications (issue 21):
 * who answers for which addresses, what was sent to them about which
 * ticket, and what came of it (queued, sent, replied, bounced).
 */
#ifndef MADOGUCHI_STORE_NOTIFY_H
#define MADOGUCHI_STORE_NOTIFY_H

#include <glib.h>

#include "madoguchi/contact.h"
#include "madoguchi/store.h"

/* Adds or (same match) updates contacts, all in one transaction;
 * *added and *updated count them. */
gboolean store_contacts_import (Store *store, GPtrArray *contacts, guint *added,
                                guint *updated, GError **error);

/* (transfer full) Contact, by kind and match. */
GPtrArray *store_contacts_list (Store *store, GError **error);

/*
 * (transfer full) the contact that answers for what: an address (the
 * smallest network holding it; else, when a report gave its AS, that
 * AS's contact), an AS number (AS64496) or a domain (the longest domain
 * it is or is below).  NULL with error unset when none.
 */
Contact *store_contact_lookup (Store *store, const char *what, GError **error);

/* The contact for a range of addresses: the smallest network holding
 * all of first..last.  NULL with error unset when none. */
Contact *store_contact_for_range (Store *store, const guint8 first[16],
                                  const guint8 last[16], GError **error);

/* The contact for a range of addresses whose AS is asn (0: unknown):
 * the smallest network holding all of first..last, else the contact of
 * the AS, the least specific match.  NULL with error unset when none. */
Contact *store_contact_for_addresses (Store *store, const guint8 first[16],
                                      const guint8 last[16], gint64 asn,
                                      GError **error);

/* The AS number the latest report gave with address ip, or 0 when none
 * did (or on error, which is set). */
gint64 store_address_asn (Store *store, const guint8 ip[16], GError **error);

/* Removes the contact of match (as written or normalised);
 * STORE_ERROR_NOT_FOUND when there is none. */
gboolean store_contact_remove (Store *store, const char *match, GError **error);

typedef struct
{
  gint64 id;
  char *number;  /* the ticket's */
  char *contact; /* its match, or NULL (--to) */
  char *email;
  char *addresses; /* "192.0.2.1,192.0.2.7" */
  char *message_id;
  char *status; /* queued sent replied bounced */
  gint64 created;
  gint64 sent;     /* 0: not yet */
  gint64 answered; /* replied or bounced, 0: not yet */
} StoreNotification;

void store_notification_free (StoreNotification *n);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (StoreNotification, store_notification_free)

/* (transfer full) StoreNotification of a ticket, oldest first. */
GPtrArray *store_ticket_notifications (Store *store, gint64 ticket_id,
                                       GError **error);

/* (transfer full) StoreNotification still awaiting an answer (queued or
 * sent), created at or before `before` (0: any), oldest first. */
GPtrArray *store_notifications_awaiting (Store *store, gint64 before,
                                         GError **error);

/* (transfer full) the notification of ticket to email about exactly
 * addresses, if one was made; NULL with error unset when none. */
StoreNotification *store_notification_find (Store *store, gint64 ticket_id,
                                            const char *email,
                                            const char *addresses,
                                            GError **error);

/* One notification to queue. */
typedef struct
{
  gint64 ticket_id;
  const char *contact; /* match, or NULL */
  const char *email;
  const char *addresses;
  const char *message_id;
  const char *envelope_from; /* bounces come back here */
  GBytes *raw;
  const char *who;
} StoreNotificationNew;

/* Queues n in the outbox and records it, with an audit event, in one
 * transaction.  Sets *outbox_id. */
gboolean store_notification_queue (Store *store, const StoreNotificationNew *n,
                                   gint64 *outbox_id, GError **error);

#endif
