/*
 * notify.h - notifications to the sites involved in a ticket (issue 21):
 * which lines of the evidence name a site's addresses, with everything
 * else in them (the reporter's identity, other parties' addresses)
 * hidden, and the message itself, built with GMime from the templates
 * rules/notify-ja.txt and rules/notify-en.txt, marked with TLP.
 * Choosing the sites and queuing is intake-notify.c's.
 */
#ifndef MADOGUCHI_NOTIFY_H
#define MADOGUCHI_NOTIFY_H

#include <glib.h>

#include "madoguchi/config.h"

#define NOTIFY_ERROR (notify_error_quark ())
GQuark notify_error_quark (void);

typedef enum
{
  NOTIFY_ERROR_NO_ADDRESSES, /* nothing in the ticket to notify about */
  NOTIFY_ERROR_TEMPLATE,     /* a template is missing or too big */
} NotifyError;

/* What the notification says about one address (or domain) of a site. */
typedef struct
{
  char *value;
  char *ports;       /* "22,80" or NULL */
  gint64 first_seen; /* UTC, 0: unknown */
  gint64 last_seen;
} NotifyAddress;

void notify_address_free (NotifyAddress *address);

typedef struct
{
  const char *number; /* "2026-000123" */
  const char *tag;    /* "[IR #2026-000123/7f3a09c2]" */
  const char *category;
  const char *language; /* "ja" or "en" */
  const char *zone;     /* the site's time zone: "+09:00", "UTC", ... */
  const char *name;     /* the site's name, or "" */
  const char *recipient;
  GPtrArray *addresses; /* of NotifyAddress */
  GPtrArray *lines;     /* of char *: its evidence, already redacted */
  gboolean automatic;   /* sent by deliver (auto_notify) */
  const char *pgp;      /* the site's key fingerprint, or NULL */
} NotifyLetter;

/*
 * (transfer full) the lines of texts (of char *) that name one of mine
 * (as written or defanged), each with every string of hide replaced by
 * "[redacted]" (longest first, whole words only), at most max of them,
 * each cut to NOTIFY_LINE_MAX bytes.
 */
GPtrArray *notify_evidence_lines (GPtrArray *texts, GPtrArray *mine,
                                  GPtrArray *hide, guint max);

#define NOTIFY_LINE_MAX 400
#define NOTIFY_LINES_MAX 100

/* (transfer full) text with every whole-word occurrence of each string
 * of hide (caseless) replaced by "[redacted]". */
char *notify_redact (const char *text, GPtrArray *hide);

/*
 * Builds the notification.  Returns (transfer full) its bytes and sets
 * *message_id and *body (transfer full: the text, for --json and
 * --dry-run), or NULL with error set.
 */
GBytes *notify_build (const Config *config, const NotifyLetter *letter,
                      char **message_id, char **body, GError **error);

#endif
