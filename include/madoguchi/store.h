/*
 * store.h - the SQLite store: schema and migrations, ticket numbering,
 * filing a message, and the queries of the operator commands.
 *
 * Only this module sees sqlite3.  Every statement is prepared and bound;
 * SQL is never built from input.
 */
#ifndef MADOGUCHI_STORE_H
#define MADOGUCHI_STORE_H

#include <glib.h>

#include "madoguchi/raw.h"
#include "madoguchi/report.h"

#define STORE_ERROR (store_error_quark ())
GQuark store_error_quark (void);

typedef enum
{
  STORE_ERROR_BUSY,   /* locked past the timeout: try again later */
  STORE_ERROR_FAILED, /* I/O, corruption, full disk, ... */
  STORE_ERROR_NOT_FOUND,
  STORE_ERROR_NOT_EMPTY, /* store_copy's target has data */
} StoreError;

/* The schema text, embedded from src/schema.sql (NUL-terminated). */
extern const unsigned char store_schema_sql[];
/* The PostgreSQL schema, from src/schema-pg.sql. */
extern const unsigned char store_schema_pg_sql[];

typedef struct Store Store;

/* Whether a database setting is a PostgreSQL URI (postgresql://,
 * postgres://) rather than the path of an SQLite file. */
gboolean store_is_uri (const char *where);

/*
 * Copies every table of from into to, which must be empty (else
 * STORE_ERROR_NOT_EMPTY): tickets with their numbers and ids, raw
 * messages, evidence, history, outbox, contacts, notifications, the tag
 * secret.  One transaction on to: on failure it is left as it was.
 */
gboolean store_copy (Store *from, Store *to, GError **error);
/* Whether store holds no tickets, contacts, imports or outbox. */
gboolean store_is_empty (Store *store, gboolean *empty, GError **error);

/*
 * Opens (creating and migrating when needed) the database at path.
 * busy_timeout is in milliseconds.  Returns (transfer full) the store.
 */
Store *store_open (const char *path, int busy_timeout, GError **error);
void store_close (Store *store);
/*
 * What a detached child must undo of its parent's set-up before it runs
 * (a syslog connection, a watchdog's signal handler): called first in
 * the child; FALSE when it could not, and the child then exits.
 */
typedef gboolean (*StoreChildSetup) (void);

/* As store_close, but a WAL due to be emptied is emptied by a detached
 * process: for a delivery, whose MTA waits for it to exit.  setup (or
 * NULL) is the caller's, as above. */
void store_close_detached (Store *store, StoreChildSetup setup);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (Store, store_close)

/*
 * Builds the acknowledgement of a new ticket, inside the filing
 * transaction (so that ticket and reply are one commit).  Returns
 * (transfer full) the reply's bytes and its Message-ID in *message_id,
 * or NULL with error set.
 */
typedef GBytes *(*StoreReplyFunc) (const char *number, const char *tag,
                                   char **message_id, gpointer data,
                                   GError **error);

/* One message as delivered, to be filed. */
typedef struct
{
  const char *spool_id;
  const char *envelope_from; /* "" for the null sender; NULL unknown */
  const char *envelope_to;
  gint64 received; /* Unix seconds */
  gint64 size;     /* bytes the MTA sent */
  const Raw *raw;  /* the bytes kept */
  const Message *message;
  const Extraction *extraction;         /* or NULL */
  const Classification *classification; /* or NULL */
  const char *who;                      /* for the audit trail */
  /* Threading and the acknowledgement: */
  const char *tag_prefix;   /* "IR": our tags are [IR #2026-000123/abcd] */
  gboolean automatic;       /* an auto-reply or a report: noise */
  gboolean delivery_report; /* a DSN (message/delivery-status) */
  const char *const *returned_ids; /* the Message-IDs of the mail it
                                    * returns, NULL-terminated, or NULL */
  gboolean dmarc_failed;           /* our MTA saw dmarc=fail: only a valid
                                    * tag threads it */
  const char *ack_recipient;       /* NULL: no acknowledgement, because: */
  const char *ack_reason;
  const char *ack_sender; /* the report's From, for its rate */
  const char *ack_domain; /* the recipient's domain */
  int rate_hour;          /* acknowledgements per address and hour */
  int rate_day;
  int rate_sender_hour; /* per report sender (From) */
  int rate_sender_day;
  int rate_domain_hour; /* per recipient domain */
  int rate_domain_day;
  StoreReplyFunc reply_func;
  gpointer reply_data;
} StoreDelivery;

/* What store_file filed (all of it zero until its commit succeeded). */
typedef struct
{
  char number[32];    /* "2026-000123" */
  gboolean duplicate; /* already filed: nothing was written */
  gboolean followup;  /* joined an existing ticket */
  char thread[96];    /* how it was threaded ("new", "tag", ...) */
  char ack[128];      /* the acknowledgement decision */
  gint64 outbox_id;   /* the queued acknowledgement, or 0 */
} StoreFiled;

/*
 * Files a delivery in one transaction: a new ticket with the next number
 * of the year, the message, its parts and a "created" event; or nothing
 * at all when a message with the same dedup key is already filed.
 *
 * Returns TRUE only once that transaction has committed, and only then
 * fills *filed: a number there is a ticket the message is in.  On error
 * *filed is cleared (no number, no outbox entry), whatever was numbered
 * inside the transaction that rolled back.  In a batch the message is a
 * savepoint, and its number is final once store_batch_commit succeeds.
 */
gboolean store_file (Store *store, const StoreDelivery *delivery,
                     StoreFiled *filed, GError **error);

/* How many messages of an import source are filed (-1: error). */
gint64 store_import_done (Store *store, const char *source, GError **error);

/* Records that done messages of source are filed (inside the batch that
 * filed them, so the record and the tickets commit together). */
gboolean store_import_advance (Store *store, const char *source, gint64 done,
                               GError **error);

/*
 * A batch: one transaction (and one fsync) for many store_file calls,
 * each of them a savepoint in it (bulk import).  Commit ends it.
 */
gboolean store_batch_begin (Store *store, GError **error);
gboolean store_batch_commit (Store *store, GError **error);
/* Adds the messages waiting for the full-text index to it (store.c:
 * deliveries leave theirs to wait). */
gboolean store_index_waiting (Store *store, GError **error);

typedef struct
{
  gint64 id;
  char *number;
  gint64 created;
  gint64 updated;
  char *status;
  char *category;
  char *category_by;
  char *auto_category;
  char *incident; /* its incident's number, or NULL */
  char *owner;
  char *reporter;
  char *reporter_name;
  char *subject;
  char *merged_into;      /* the ticket it was merged into, or NULL */
  gboolean reply_waiting; /* a reply joined it after it was closed
                           * and no operator has changed its status
                           * since (it was not reopened) */
  char *encryption;       /* of the report (the first message): */
  char *signature;        /* as in StoreMessage */
  char *signer;
} StoreTicket;

typedef struct
{
  gint64 id;
  char *direction;
  gint64 received;
  char *envelope_from;
  char *message_id;
  char *from;
  char *from_addr; /* its addr-spec */
  char *to;
  char *subject;
  char *date;
  char *flags;
  gint64 size;
  char *category; /* the rules' decision for this message */
  char *scores;
  char *ack;    /* the acknowledgement decision */
  char *thread; /* how it was threaded */
  char *text;
  GPtrArray *parts;          /* of MessagePart (text left NULL); NULL
                              * when not read (export) */
  gint64 indicators_dropped; /* evidence past the caps, not kept */
  gint64 timestamps_dropped;
  char *encryption;  /* NULL, "decrypted" or "undecrypted" */
  char *signature;   /* NULL (unsigned), "good", "bad", ... */
  char *signer;      /* the signing key's fingerprint */
  char *pgp_problem; /* why it was not decrypted or verified */
} StoreMessage;

void store_ticket_free (StoreTicket *ticket);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (StoreTicket, store_ticket_free)
void store_message_free (StoreMessage *message);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (StoreMessage, store_message_free)

typedef struct
{
  guint limit;    /* 0: all */
  gboolean by_ip; /* only tickets with an address in: */
  guint8 ip_first[16];
  guint8 ip_last[16];
  const char *status; /* NULL: any */
  const char *category;
  const char *owner;
  gboolean unassigned;
  const char *reporter; /* an address, or a part of it */
  const char *search;   /* text in subjects and bodies */
  gint64 since;         /* created at or after; 0: any */
  gint64 until;         /* created before; 0: any */
  const char *sort;     /* created (default), number, updated */
  gboolean ascending;
} StoreFilter;

/* (transfer full) newest first, of StoreTicket. */
GPtrArray *store_list_tickets (Store *store, const StoreFilter *filter,
                               GError **error);

/*
 * Finds a ticket by number: "2026-000123", "2026-123", "#2026-123",
 * "[IR #2026-000123]" or "[IR #2026-000123/7f3a09c2]".
 * Returns (transfer full) it, or NULL with
 * STORE_ERROR_NOT_FOUND.
 */
StoreTicket *store_get_ticket (Store *store, const char *number,
                               GError **error);

/* (transfer full) the messages of a ticket, oldest first. */
GPtrArray *store_ticket_messages (Store *store, gint64 ticket_id,
                                  GError **error);

/* One indicator of a ticket, summed over its messages. */
typedef struct
{
  char *kind;
  char *value;
  char *scope;
  gboolean own;
  gint64 count;
  char *ports;
  gint64 first_seen;
  gint64 last_seen;
  char *context;
  char *role; /* "source" or NULL */
  gint64 asn; /* the AS a report gave with it; 0: none */
} StoreIndicator;

void store_indicator_free (StoreIndicator *indicator);

/* (transfer full) StoreIndicator, addresses first, most frequent first. */
GPtrArray *store_ticket_indicators (Store *store, gint64 ticket_id,
                                    GError **error);

/* (transfer full) Timestamp (extract.h), earliest first. */
GPtrArray *store_ticket_timestamps (Store *store, gint64 ticket_id,
                                    GError **error);

/* (transfer full) Excerpt (extract.h), in message and text order. */
GPtrArray *store_ticket_excerpts (Store *store, gint64 ticket_id,
                                  GError **error);

/* (transfer full) ClassifyReason (classify.h) of a ticket, best first. */
GPtrArray *store_ticket_reasons (Store *store, gint64 ticket_id,
                                 GError **error);

/* (transfer full) FormField (classify.h) of a ticket. */
GPtrArray *store_ticket_form (Store *store, gint64 ticket_id, GError **error);

/*
 * Operators' changes, each with an audit event (who, old -> new) in the
 * same transaction; setting the value a ticket has changes nothing.
 * The category set here wins over the rules', whose decision stays in
 * auto_category; owner NULL unassigns.
 */
gboolean store_set_category (Store *store, const char *number,
                             const char *category, const char *who,
                             GError **error);
gboolean store_set_status (Store *store, const char *number, const char *status,
                           const char *who, GError **error);
gboolean store_set_owner (Store *store, const char *number, const char *owner,
                          const char *who, GError **error);

/*
 * Merges ticket from into ticket into: its messages, evidence, replies
 * and history move; its number then leads to into (for operators and for
 * follow-up mail alike).
 */
gboolean store_merge (Store *store, const char *from, const char *into,
                      const char *who, GError **error);

/* Creates an incident "INC-2026-0001" titled title grouping tickets
 * (NULL-terminated, may be empty).  Returns (transfer full) its number. */
char *store_incident_new (Store *store, const char *title,
                          const char *const *tickets, const char *who,
                          GError **error);

/* Puts tickets into incident, or (incident NULL) out of any.  Messages
 * never move: an incident only groups reports. */
gboolean store_incident_add (Store *store, const char *incident,
                             const char *const *tickets, const char *who,
                             GError **error);

/* One ticket of an incident (number NULL for an empty incident). */
typedef struct
{
  char *incident;
  char *title;
  gint64 created;
  char *number;
  char *status;
  char *category;
  char *subject;
} StoreIncidentRow;

void store_incident_row_free (StoreIncidentRow *row);

/* (transfer full) StoreIncidentRow of one incident, or of all (NULL),
 * newest incident first. */
GPtrArray *store_incident_list (Store *store, const char *incident,
                                GError **error);

/* An internal note (an audit event "comment"). */
gboolean store_comment (Store *store, const char *number, const char *text,
                        const char *who, GError **error);

/* The tag of a ticket, with its keyed check: "[IR #2026-000123/7f3a09c2]"
 * (32 bits of an HMAC; tickets filed before schema 6 had 16, and their
 * 4-digit tags are still honoured). */
char *store_tag (Store *store, const char *prefix, const char *number,
                 GError **error);

typedef struct
{
  gint64 id;
  char *number;
  char *recipient;
  char *message_id;
  char *state; /* queued sending sent failed */
  char *via;   /* of a sent one: sendmail, maildir (the
                * outbox Maildir: not sent), or NULL
                * (before schema 9) */
  gint64 created;
  int attempts;
  char *last_error;
} StoreOutbox;

void store_outbox_free (StoreOutbox *entry);

/* (transfer full) StoreOutbox: unsent ones, or all with all. */
GPtrArray *store_outbox_list (Store *store, gboolean all, GError **error);

/*
 * Claims an acknowledgement for sending: queued or failed (and, with
 * stale, one left "sending" by a crash) becomes "sending", committed
 * before anything goes out, so that no retry can send it twice.
 * Returns (transfer full) its bytes and recipient; NULL when it is not
 * there to claim (error unset) or on error.
 */
GBytes *store_outbox_claim (Store *store, gint64 id, gboolean stale,
                            char **recipient, GError **error);

/* (transfer full) the envelope sender of an outbox entry: NULL for the
 * null sender (acknowledgements), the team's address for notifications
 * (their bounces must come back). */
char *store_outbox_envelope (Store *store, gint64 id, GError **error);

/* Records the end of a send: sent by via ("sendmail", or "maildir": only
 * written to the outbox Maildir), or failed (via NULL) with why (a
 * notification sent becomes "sent"). */
gboolean store_outbox_finish (Store *store, gint64 id, const char *via,
                              const char *why, GError **error);

typedef struct
{
  gint64 at;
  char *who;
  char *what;
  char *old_value;
  char *new_value;
} StoreEvent;

void store_event_free (StoreEvent *event);

/* (transfer full) StoreEvent of a ticket: its audit trail, oldest first. */
GPtrArray *store_ticket_events (Store *store, gint64 ticket_id, GError **error);

/* (transfer full) StoreOutbox: the acknowledgements of a ticket. */
GPtrArray *store_ticket_outbox (Store *store, gint64 ticket_id, GError **error);

typedef struct
{
  char *number;
  char *subject;
  char *theirs;    /* the address in the other ticket */
  char *mine;      /* the address of this ticket it is near */
  gboolean exact;  /* the same address, not only its prefix */
  gint64 mentions; /* reports mentioning mine */
  char *incident;  /* the other ticket's incident, or NULL */
} StoreRelated;

void store_related_free (StoreRelated *related);

/*
 * (transfer full) StoreRelated: other tickets that share an address of
 * this ticket, or its /24 (IPv4) or /48 (IPv6), the same address first.
 */
GPtrArray *store_ticket_related (Store *store, gint64 ticket_id,
                                 GError **error);

/* (transfer full) the raw bytes of a message. */
GBytes *store_message_raw (Store *store, gint64 message_id, GError **error);

/*
 * (transfer full) the number of the live ticket text names: any form
 * store_get_ticket takes, or the bare sequence "123" when only one
 * ticket has it; a merged ticket's number leads to where it was merged.
 */
char *store_resolve_number (Store *store, const char *text, GError **error);

/*
 * (transfer full) the number of the incident text names, as tickets are
 * named: INC-2026-0001 (any case), 2026-0001, or the bare sequence "1"
 * when only one incident has it.  STORE_ERROR_NOT_FOUND when none (or,
 * for a bare sequence, several) do.
 */
char *store_resolve_incident (Store *store, const char *text, GError **error);

/* Canonical "YYYY-NNNNNN" of a ticket number as typed; NULL if not one. */
char *store_parse_number (const char *text);

#endif
