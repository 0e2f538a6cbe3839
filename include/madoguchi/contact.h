/*
 * contact.h - the sites the team notifies: who answers for a network
 * (a CIDR prefix or an address range A-B), an AS number or a domain (and
 * its subdomains), in which language, with which PGP key.  This module
 * reads and checks them (a contacts CSV); the store keeps them.
 */
#ifndef MADOGUCHI_CONTACT_H
#define MADOGUCHI_CONTACT_H

#include <glib.h>

#define CONTACT_ERROR (contact_error_quark ())
GQuark contact_error_quark (void);

typedef enum
{
  CONTACT_ERROR_INVALID, /* a bad row or match: nothing imported */
} ContactError;

typedef enum
{
  CONTACT_NETWORK,
  CONTACT_ASN,
  CONTACT_DOMAIN,
} ContactKind;

typedef struct
{
  char *match; /* normalised: 192.0.2.0/24, 192.0.2.1-192.0.2.9,
                * AS64496, example.net */
  ContactKind kind;
  guint8 first[16]; /* a network's first and last address */
  guint8 last[16];
  guint span; /* bits a network leaves free: 0 = one address */
  gint64 asn;
  char *name;
  char *email;    /* "" when the site has none */
  char *language; /* "ja" or "en" */
  char *pgp;      /* a key fingerprint, or NULL */
  char *zone;     /* a time zone, or NULL: the language's */
} Contact;

Contact *contact_new (void);
void contact_free (Contact *contact);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (Contact, contact_free)

/* Reads a match into contact (match, kind and the network's bounds);
 * FALSE with why in *why (a static string) when it is none. */
gboolean contact_parse_match (const char *text, Contact *contact,
                              const char **why);

/*
 * (transfer full) Contact of a contacts CSV (header
 * match,name,email,language,pgp and an optional zone), or NULL with
 * CONTACT_ERROR naming the first bad row's line: a bad prefix or
 * address, an unknown language, a duplicate match, a broken quote.
 */
GPtrArray *contact_read_csv (const char *text, gsize len, GError **error);

/* The time zone of a contact's event times: its own, else Japan's for
 * "ja" and UTC for "en" (transfer none). */
const char *contact_zone (const Contact *contact);

/* Whether text looks like an AS number ("AS64496", "as64496"); sets *asn. */
gboolean contact_parse_asn (const char *text, gint64 *asn);

/* (transfer full) text as a domain (lower case, no trailing dot), or NULL
 * when it is not one. */
char *contact_parse_domain (const char *text);

#endif
