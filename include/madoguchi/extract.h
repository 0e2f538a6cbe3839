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
#include "madoguchi/rules.h"

typedef struct {
  char *kind;          /* ipv4 ipv6 cidr range url domain email, and
                        * sha256 (a binary member of an archive) */
  char *value;         /* normalised: RFC 5952 IPv6, refanged names */
  gboolean has_ip;
  guint8 ip[16];       /* first address, IPv4 as ::ffff:a.b.c.d */
  guint8 ip_end[16];   /* last address (= ip for a single address) */
  const char *scope;   /* global private loopback documentation ... */
  gboolean mapped;     /* IPv6 written as IPv4-mapped */
  gboolean own;        /* inside the team's own networks */
  GArray *ports;       /* guint16, distinct, in order seen */
  guint count;         /* occurrences */
  gint64 first_seen;   /* UTC of the earliest event time on its lines */
  gint64 last_seen;    /*   and the latest; 0 when none */
  char *context;       /* the first line it was seen on */
  guint64 order;       /* where first seen: source << 32 | offset */
  const char *role;    /* "source": what the report is about; or NULL */
} Indicator;

typedef struct {
  gint64 utc;          /* seconds since the epoch */
  char *original;      /* the text as written */
  char *rule;
  gboolean zone_assumed;
  guint part;          /* index in Message.parts; G_MAXUINT: subject */
  guint line;          /* 1-based line within the part */
  guint64 order;       /* where: source << 32 | offset (not stored) */
} Timestamp;

typedef struct {
  guint part;
  guint first_line;
  guint last_line;
  char *text;
} Excerpt;

typedef struct {
  GPtrArray *indicators;   /* of Indicator, in order first seen */
  GPtrArray *timestamps;   /* of Timestamp, in text order */
  GPtrArray *excerpts;     /* of Excerpt */
  guint dropped;           /* indicators past the cap, not kept */
  guint timestamps_dropped;   /* times past their cap, not kept */
  gboolean limit_hit;      /* a regex limit or the scan cap cut work */
  /* Each text of the message scanned as it was (not folded, not cut) ->
   * its RuleText, for classify to reuse instead of reading the text
   * again; they point into the message, valid while it lives. */
  GHashTable *rule_texts;
  /* Report types of the CSV feeds (file name, type column), lower case,
   * distinct, for classify's "where = feed". */
  GPtrArray *feed_types;
} Extraction;

typedef struct {
  gint64 reference_time;   /* the report's Date, else when received */
  int reference_offset;    /* its zone, seconds east of UTC */
  guint max_indicators;
  gsize max_scan_text;     /* bytes of text scanned per message */
  const GArray *own_networks;   /* of Network, or NULL */
  gboolean single_thread;  /* never split a long text between two threads
                            * (the result is the same either way) */
  guint max_timestamps;    /* event times kept per message; 0: all */
} ExtractOptions;

/* (transfer full) the evidence of message. */
Extraction *extract_run (const RuleSet *rules, const Message *message,
                         const ExtractOptions *options);
void extract_free (Extraction *extraction);
/* The RuleText extraction made of exactly text (len bytes), or NULL. */
RuleText *extract_rule_text (const Extraction *extraction, const char *text,
                             gsize len);
/* (transfer full) "22,80" of an Indicator's ports; NULL when none. */
char *extract_ports_string (const GArray *ports);

void extract_timestamp_free (Timestamp *timestamp);
void extract_excerpt_free (Excerpt *excerpt);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (Extraction, extract_free)

#endif
