/*
 * extract.h - the evidence in a report: addresses (IPv4, IPv6, CIDR
 * prefixes, ranges), URLs, domains, e-mail addresses, ports, event times
 * normalised to UTC, and excerpts of log lines.
 *
 * Extraction is a pure function of the rules, the parsed message and a
 * reference time; it reads the text of every part (forwarded headers
 * included) and the subject, never the outer transport headers.
 */
#ifndef MADOGUCHI_EXTRACT_H
#define MADOGUCHI_EXTRACT_H

#include <glib.h>

#include "madoguchi/address.h"
#include "madoguchi/message.h"
#include "madoguchi/report.h"
#include "madoguchi/rules.h"

typedef struct
{
  gint64 reference_time; /* the report's Date, else when received */
  int reference_offset;  /* its zone, seconds east of UTC */
  guint max_indicators;
  gsize max_scan_text;        /* bytes of text scanned per message */
  const GArray *own_networks; /* of Network, or NULL */
  gboolean single_thread;     /* never split a long text between two threads
                               * (the result is the same either way) */
  guint max_timestamps;       /* event times kept per message; 0: all */
} ExtractOptions;

/* (transfer full) the evidence of message. */
Extraction *extract_run (const RuleSet *rules, const Message *message,
                         const ExtractOptions *options);
/* The RuleText extraction made of exactly text (len bytes), or NULL. */
RuleText *extract_rule_text (const Extraction *extraction, const char *text,
                             gsize len);

#endif
