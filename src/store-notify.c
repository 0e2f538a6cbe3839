/*
 * store-notify.c - contacts and notifications in the store (issue 21).
 *
 * A contact is found by an index range scan: networks holding an address
 * have ip_first <= it <= ip_last, and the smallest (span) wins, so a /28
 * of a customer beats its provider's /16.  A domain contact covers its
 * subdomains; the longest wins.  A notification is queued in the outbox
 * and recorded in the same transaction, as an acknowledgement is with
 * its ticket: either both are there or neither.
 */
#include <string.h>
#include <time.h>

#include "madoguchi/address.h"
#include "madoguchi/store-notify.h"
#include "store-db.h"

static const char SQL_CONTACT_UPSERT[]
    = "INSERT INTO contact (match, kind, ip_first, ip_last, span, asn, domain, "
      "name, email, language, pgp, zone, updated) VALUES (:match, :kind, "
      ":first, :last, :span, :asn, :domain, :name, :email, :language, :pgp, "
      ":zone, :now) ON CONFLICT (match) DO UPDATE SET name = excluded.name, "
      "email = excluded.email, language = excluded.language, "
      "pgp = excluded.pgp, zone = excluded.zone, updated = excluded.updated";

static const char SQL_CONTACT_EXISTS[]
    = "SELECT 1 FROM contact WHERE match = :match";

#define SQL_CONTACT_COLUMNS                                                    \
  "SELECT match, kind, ip_first, ip_last, span, asn, name, email, "            \
  "language, pgp, zone FROM contact "

static const char SQL_CONTACT_LIST[]
    = SQL_CONTACT_COLUMNS "ORDER BY kind, ip_first, asn, domain";

/* The networks holding first..last, smallest first. */
static const char SQL_CONTACT_NETWORK[] = SQL_CONTACT_COLUMNS
    "WHERE kind = 'network' AND ip_first <= :first "
    "AND ip_last >= :last ORDER BY span, ip_first DESC LIMIT 1";

static const char SQL_CONTACT_ASN[]
    = SQL_CONTACT_COLUMNS "WHERE kind = 'asn' AND asn = :asn";

/* The name's last characters: SQLite's substr counts a negative start
 * from the end, PostgreSQL's has right (). */
#define SQL_CONTACT_DOMAIN_(tail)                                              \
  SQL_CONTACT_COLUMNS                                                          \
  "WHERE kind = 'domain' AND (domain = :name OR " tail " = '.' || domain) "    \
  "ORDER BY length (domain) DESC LIMIT 1"
static const StoreSql SQL_CONTACT_DOMAIN = {
  .sqlite = SQL_CONTACT_DOMAIN_ ("substr (:name, -length (domain) - 1)"),
  .postgres = SQL_CONTACT_DOMAIN_ ("right (:name, length (domain) + 1)"),
};

/* The AS the latest report gave with one address. */
static const char SQL_ADDRESS_ASN[]
    = "SELECT asn FROM indicator WHERE ip = :ip AND ip_end = :ip "
      "AND asn IS NOT NULL ORDER BY id DESC LIMIT 1";

static const char SQL_CONTACT_REMOVE[]
    = "DELETE FROM contact WHERE match = :match RETURNING id";

#define SQL_NOTIFICATION_COLUMNS                                               \
  "SELECT n.id, t.number, n.contact, n.email, n.addresses, n.message_id, "     \
  "n.status, n.created, n.sent, n.answered FROM notification n JOIN "          \
  "ticket t ON t.id = n.ticket_id "

static const char SQL_NOTIFICATION_OF_TICKET[]
    = SQL_NOTIFICATION_COLUMNS "WHERE n.ticket_id = :ticket ORDER BY n.id";

static const char SQL_NOTIFICATION_AWAITING[] = SQL_NOTIFICATION_COLUMNS
    "WHERE n.status IN ('queued', 'sent') "
    "AND (:before = 0 OR n.created <= :before) ORDER BY n.created, n.id";

static const char SQL_NOTIFICATION_FIND[] = SQL_NOTIFICATION_COLUMNS
    "WHERE n.ticket_id = :ticket AND n.email = "
    ":email COLLATE NOCASE AND n.addresses = :addresses "
    "ORDER BY n.id DESC LIMIT 1";

static const char SQL_NOTIFY_OUTBOX[]
    = "INSERT INTO outbox (ticket_id, message_id, recipient, recipient_domain, "
      "created, raw, envelope_from) VALUES (:ticket, :message_id, :email, "
      "lower (substr (:email, instr (:email, '@') + 1)), :now, :raw, "
      ":envelope) RETURNING id";

static const char SQL_NOTIFICATION_INSERT[]
    = "INSERT INTO notification (ticket_id, contact, email, addresses, "
      "outbox_id, message_id, created, who) VALUES (:ticket, :contact, "
      ":email, :addresses, :outbox, :message_id, :now, :who)";

static void
bind_contact (StoreStmt *stmt, const Contact *c, gint64 now)
{
  static const char *const kinds[] = { "network", "asn", "domain" };

  store_bind_text (stmt, ":match", c->match);
  store_bind_text (stmt, ":kind", kinds[c->kind]);
  if (c->kind == CONTACT_NETWORK)
    {
      store_bind_blob16 (stmt, ":first", c->first);
      store_bind_blob16 (stmt, ":last", c->last);
      store_bind_int (stmt, ":span", c->span);
    }
  if (c->kind == CONTACT_ASN)
    store_bind_int (stmt, ":asn", c->asn);
  if (c->kind == CONTACT_DOMAIN)
    store_bind_text (stmt, ":domain", c->match);
  store_bind_text (stmt, ":name", c->name);
  store_bind_text (stmt, ":email", c->email);
  store_bind_text (stmt, ":language", c->language);
  store_bind_text (stmt, ":pgp", c->pgp);
  store_bind_text (stmt, ":zone", c->zone);
  store_bind_int (stmt, ":now", now);
}

static gboolean
contact_exists (Store *store, const char *match, gboolean *exists,
                GError **error)
{
  g_autoptr (StoreCached) stmt
      = store_cached (store, SQL_CONTACT_EXISTS, error);
  int rc;

  if (stmt == NULL)
    return FALSE;
  store_bind_text (stmt, ":match", match);
  rc = store_next (stmt);
  *exists = rc == STORE_ROW;
  return rc == STORE_ROW || rc == STORE_DONE
         || store_db_error (error, store, rc, "cannot read contacts");
}

static gboolean
import_all (Store *store, GPtrArray *contacts, guint *added, guint *updated,
            GError **error)
{
  gint64 now = (gint64) time (NULL);

  for (guint i = 0; i < contacts->len; i++)
    {
      g_autoptr (StoreCached) stmt = NULL;
      gboolean exists = FALSE;

      if (!contact_exists (store, ((Contact *) contacts->pdata[i])->match,
                           &exists, error))
        return FALSE;
      stmt = store_cached (store, SQL_CONTACT_UPSERT, error);
      if (stmt == NULL)
        return FALSE;
      bind_contact (stmt, contacts->pdata[i], now);
      if (!store_step (store, stmt, "cannot import a contact", error))
        return FALSE;
      (*(exists ? updated : added))++;
    }
  return TRUE;
}

gboolean
store_contacts_import (Store *store, GPtrArray *contacts, guint *added,
                       guint *updated, GError **error)
{
  *added = *updated = 0;
  if (!store_begin_write (store, error))
    return FALSE;
  if (import_all (store, contacts, added, updated, error)
      && store_commit (store, error))
    return TRUE;
  store_rollback (store);
  *added = *updated = 0;
  return FALSE;
}

static gpointer
contact_from_row (StoreStmt *stmt)
{
  Contact *c = contact_new ();
  g_autofree char *kind = store_column_text (stmt, 1);

  c->match = store_column_text (stmt, 0);
  c->kind = g_strcmp0 (kind, "asn") == 0      ? CONTACT_ASN
            : g_strcmp0 (kind, "domain") == 0 ? CONTACT_DOMAIN
                                              : CONTACT_NETWORK;
  if (store_column_bytes (stmt, 2) == 16)
    memcpy (c->first, store_column_blob (stmt, 2), 16);
  if (store_column_bytes (stmt, 3) == 16)
    memcpy (c->last, store_column_blob (stmt, 3), 16);
  c->span = (guint) store_column_int (stmt, 4);
  c->asn = store_column_int64 (stmt, 5);
  c->name = store_column_text (stmt, 6);
  c->email = store_column_text (stmt, 7);
  c->language = store_column_text (stmt, 8);
  c->pgp = store_column_text (stmt, 9);
  c->zone = store_column_text (stmt, 10);
  return c;
}

GPtrArray *
store_contacts_list (Store *store, GError **error)
{
  g_autoptr (StoreStmt) stmt = store_prepare (store, SQL_CONTACT_LIST, error);

  if (stmt == NULL)
    return NULL;
  return store_collect_rows (store, stmt, contact_from_row,
                             (GDestroyNotify) contact_free, error);
}

/* The first row of stmt as a Contact; NULL (error unset) when none. */
static Contact *
contact_first (Store *store, StoreStmt *stmt, GError **error)
{
  g_autoptr (GPtrArray) rows = store_collect_rows (
      store, stmt, contact_from_row, (GDestroyNotify) contact_free, error);

  if (rows == NULL || rows->len == 0)
    return NULL;
  return g_ptr_array_steal_index (rows, 0);
}

Contact *
store_contact_for_range (Store *store, const guint8 first[16],
                         const guint8 last[16], GError **error)
{
  g_autoptr (StoreStmt) stmt
      = store_prepare (store, SQL_CONTACT_NETWORK, error);

  if (stmt == NULL)
    return NULL;
  store_bind_blob16 (stmt, ":first", first);
  store_bind_blob16 (stmt, ":last", last);
  return contact_first (store, stmt, error);
}

static Contact *
contact_for_asn (Store *store, gint64 asn, GError **error)
{
  g_autoptr (StoreStmt) stmt = store_prepare (store, SQL_CONTACT_ASN, error);

  if (stmt == NULL)
    return NULL;
  store_bind_int (stmt, ":asn", asn);
  return contact_first (store, stmt, error);
}

Contact *
store_contact_for_addresses (Store *store, const guint8 first[16],
                             const guint8 last[16], gint64 asn, GError **error)
{
  g_autoptr (GError) local = NULL;
  Contact *c = store_contact_for_range (store, first, last, &local);

  if (local != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&local));
      return NULL;
    }
  if (c != NULL || asn <= 0)
    return c;
  return contact_for_asn (store, asn, error);
}

gint64
store_address_asn (Store *store, const guint8 ip[16], GError **error)
{
  g_autoptr (StoreStmt) stmt = store_prepare (store, SQL_ADDRESS_ASN, error);
  int rc;

  if (stmt == NULL)
    return 0;
  store_bind_blob16 (stmt, ":ip", ip);
  rc = store_next (stmt);
  if (rc == STORE_ROW)
    return store_column_int64 (stmt, 0);
  if (rc != STORE_DONE)
    store_db_error (error, store, rc, "cannot read an address's AS");
  return 0;
}

Contact *
store_contact_lookup (Store *store, const char *what, GError **error)
{
  g_autoptr (StoreStmt) stmt = NULL;
  g_autofree char *domain = NULL;
  guint8 ip[16];
  gboolean mapped;
  gint64 asn;

  if (address_parse (what, ip, &mapped))
    {
      g_autoptr (GError) local = NULL;

      asn = store_address_asn (store, ip, &local);
      if (local != NULL)
        {
          g_propagate_error (error, g_steal_pointer (&local));
          return NULL;
        }
      return store_contact_for_addresses (store, ip, ip, asn, error);
    }
  if (contact_parse_asn (what, &asn))
    return contact_for_asn (store, asn, error);
  else if ((domain = contact_parse_domain (what)) != NULL)
    {
      stmt = store_prepare (store, store_sql (store, &SQL_CONTACT_DOMAIN),
                            error);
      if (stmt != NULL)
        store_bind_text (stmt, ":name", domain);
    }
  else
    g_set_error (error, CONTACT_ERROR, CONTACT_ERROR_INVALID,
                 "%s: not an address, AS number or domain", what);
  return stmt != NULL ? contact_first (store, stmt, error) : NULL;
}

gboolean
store_contact_remove (Store *store, const char *match, GError **error)
{
  g_autoptr (StoreStmt) stmt = store_prepare (store, SQL_CONTACT_REMOVE, error);
  g_autoptr (Contact) parsed = contact_new ();
  const char *why;
  int rc;

  if (stmt == NULL)
    return FALSE;
  store_bind_text (stmt, ":match",
                   contact_parse_match (match, parsed, &why) ? parsed->match
                                                             : match);
  rc = store_next (stmt);
  if (rc == STORE_ROW)
    return TRUE;
  if (rc != STORE_DONE)
    return store_db_error (error, store, rc, "cannot remove the contact");
  g_set_error (error, STORE_ERROR, STORE_ERROR_NOT_FOUND, "no contact %s",
               match);
  return FALSE;
}

void
store_notification_free (StoreNotification *n)
{
  if (n == NULL)
    return;
  g_free (n->number);
  g_free (n->contact);
  g_free (n->email);
  g_free (n->addresses);
  g_free (n->message_id);
  g_free (n->status);
  g_free (n);
}

static gpointer
notification_from_row (StoreStmt *stmt)
{
  StoreNotification *n = g_new0 (StoreNotification, 1);

  n->id = store_column_int64 (stmt, 0);
  n->number = store_column_text (stmt, 1);
  n->contact = store_column_text (stmt, 2);
  n->email = store_column_text (stmt, 3);
  n->addresses = store_column_text (stmt, 4);
  n->message_id = store_column_text (stmt, 5);
  n->status = store_column_text (stmt, 6);
  n->created = store_column_int64 (stmt, 7);
  n->sent = store_column_int64 (stmt, 8);
  n->answered = store_column_int64 (stmt, 9);
  return n;
}

GPtrArray *
store_ticket_notifications (Store *store, gint64 ticket_id, GError **error)
{
  return store_ticket_rows (store, SQL_NOTIFICATION_OF_TICKET, ticket_id,
                            notification_from_row,
                            (GDestroyNotify) store_notification_free, error);
}

GPtrArray *
store_notifications_awaiting (Store *store, gint64 before, GError **error)
{
  g_autoptr (StoreStmt) stmt = NULL;

  stmt = store_prepare (store, SQL_NOTIFICATION_AWAITING, error);
  if (stmt == NULL)
    return NULL;
  store_bind_int (stmt, ":before", before);
  return store_collect_rows (store, stmt, notification_from_row,
                             (GDestroyNotify) store_notification_free, error);
}

StoreNotification *
store_notification_find (Store *store, gint64 ticket_id, const char *email,
                         const char *addresses, GError **error)
{
  g_autoptr (StoreStmt) stmt
      = store_prepare (store, SQL_NOTIFICATION_FIND, error);
  g_autoptr (GPtrArray) rows = NULL;

  if (stmt == NULL)
    return NULL;
  store_bind_int (stmt, ":ticket", ticket_id);
  store_bind_text (stmt, ":email", email);
  store_bind_text (stmt, ":addresses", addresses);
  rows = store_collect_rows (store, stmt, notification_from_row,
                             (GDestroyNotify) store_notification_free, error);
  if (rows == NULL || rows->len == 0)
    return NULL;
  return g_ptr_array_steal_index (rows, 0);
}

static gboolean
queue_rows (Store *store, const StoreNotificationNew *n, gint64 now,
            gint64 *outbox_id, GError **error)
{
  g_autoptr (StoreStmt) box = store_prepare (store, SQL_NOTIFY_OUTBOX, error);
  g_autoptr (StoreStmt) rec = NULL;
  gsize len;
  gconstpointer data = g_bytes_get_data (n->raw, &len);

  if (box == NULL)
    return FALSE;
  store_bind_int (box, ":ticket", n->ticket_id);
  store_bind_text (box, ":message_id", n->message_id);
  store_bind_text (box, ":email", n->email);
  store_bind_int (box, ":now", now);
  store_bind_blob (box, ":raw", data, len);
  store_bind_text (box, ":envelope", n->envelope_from);
  *outbox_id
      = store_insert_id (store, box, "cannot queue the notification", error);
  if (*outbox_id == 0)
    return FALSE;
  rec = store_prepare (store, SQL_NOTIFICATION_INSERT, error);
  if (rec == NULL)
    return FALSE;
  store_bind_int (rec, ":ticket", n->ticket_id);
  store_bind_text (rec, ":contact", n->contact);
  store_bind_text (rec, ":email", n->email);
  store_bind_text (rec, ":addresses", n->addresses);
  store_bind_int (rec, ":outbox", *outbox_id);
  store_bind_text (rec, ":message_id", n->message_id);
  store_bind_int (rec, ":now", now);
  store_bind_text (rec, ":who", n->who);
  return store_step (store, rec, "cannot record the notification", error);
}

gboolean
store_notification_queue (Store *store, const StoreNotificationNew *n,
                          gint64 *outbox_id, GError **error)
{
  gint64 now = (gint64) time (NULL);
  g_autofree char *what
      = g_strdup_printf ("%s about %s", n->email, n->addresses);

  if (!store_begin_write (store, error))
    return FALSE;
  if (queue_rows (store, n, now, outbox_id, error)
      && store_audit (store,
                      (StoreAudit){ .ticket = n->ticket_id,
                                    .at = now,
                                    .who = n->who,
                                    .what = "notified",
                                    .new_value = what },
                      error)
      && store_commit (store, error))
    return TRUE;
  store_rollback (store);
  *outbox_id = 0;
  return FALSE;
}
