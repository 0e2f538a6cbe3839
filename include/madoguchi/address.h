/*
 * address.h - IP addresses as evidence: refanging, validation with
 * inet_pton, one 16-byte form for IPv4 and IPv6 (IPv4 as ::ffff:a.b.c.d,
 * so that prefix search is one byte comparison), RFC 5952 text, scopes,
 * and networks.
 */
#ifndef MADOGUCHI_ADDRESS_H
#define MADOGUCHI_ADDRESS_H

#include <glib.h>

typedef struct
{
  guint8 net[16];
  guint prefix; /* bits, on the 16-byte form */
} Network;

/*
 * (transfer full) text with defanged dots, colons and at-signs written
 * back: "192.0.2[.]1" -> "192.0.2.1", "hxxp" -> "http", "[at]" -> "@".
 */
char *address_refang (const char *text, gsize len);

/* Parses a dotted quad or an IPv6 address (a zone id is dropped) into
 * 16 bytes; *mapped tells an IPv6 text of an IPv4-mapped address. */
gboolean address_parse (const char *text, guint8 ip[16], gboolean *mapped);

/* (transfer full) RFC 5952 text of ip: dotted quad for IPv4-mapped
 * bytes unless as_ipv6 (then "::ffff:a.b.c.d"). */
char *address_format (const guint8 ip[16], gboolean as_ipv6);

/* Whether ip is an IPv4 address in the 16-byte form. */
gboolean address_is_v4 (const guint8 ip[16]);

/* "global", "private", "loopback", "documentation", "link-local",
 * "multicast" or "reserved" (static strings). */
const char *address_scope (const guint8 ip[16]);

/* Parses "192.0.2.0/24", "2001:db8::/32" or one address (/32, /128). */
gboolean address_parse_network (const char *text, Network *network);

/* The first and last address of network. */
void address_network_bounds (const Network *network, guint8 first[16],
                             guint8 last[16]);

gboolean address_network_contains (const Network *network, const guint8 ip[16]);

#endif
