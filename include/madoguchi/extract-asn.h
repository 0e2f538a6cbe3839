/*
 * extract-asn.h - the AS number a report gives with an address.
 *
 * madoguchi has no IP-to-AS data of its own; reports often carry the AS
 * all the same, and a contact by AS number (AS64496) can only answer for
 * an address whose AS is known.  Three places say it, most trusted
 * first: a feed's asn column on the address's row (Shadowserver-style
 * CSV), an "AS64496" written on the line the address was first seen on,
 * and a report's own field (X-ARF's Source-ASN, "ASN: 64496") for the
 * address the report is about (role "source").
 */
#ifndef MADOGUCHI_EXTRACT_ASN_H
#define MADOGUCHI_EXTRACT_ASN_H

#include <glib.h>

#include "madoguchi/report.h"

/* The largest AS number (32 bits, RFC 6793). */
#define EXTRACT_ASN_MAX G_GINT64_CONSTANT (4294967295)

/*
 * An AS number as a field holds it: "64496", "AS64496", "AS 64496",
 * "asn64496" (case does not matter, spaces around are ignored).  FALSE
 * for anything else, 0 and numbers past EXTRACT_ASN_MAX included.
 */
gboolean extract_asn_parse (const char *text, gint64 *asn);

/*
 * The AS number written on line ("AS64496", "ASN 64496", "AS: 64496")
 * nearest to address (where line holds it; anywhere when it does not),
 * or 0 when the line has none.  A bare number is never taken for one.
 */
gint64 extract_asn_on_line (const char *line, const char *address);

/*
 * Sets the asn of each of extraction's addresses whose AS the message
 * gives (see above), leaving the others 0.
 */
void extract_asn_apply (Extraction *extraction, const Message *message);

#endif
