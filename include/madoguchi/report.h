/*
 * report.h - the records a report becomes: its headers, parts and flags
 * (made by message), its evidence (indicators, event times, excerpts:
 * made by extract) and its category with the reasons and the report
 * form's fields (made by classify).  Plain data, GLib only, with the
 * functions that free and render them: the store files these records and
 * knows nothing else of the modules that made them.
 */
#ifndef MADOGUCHI_REPORT_H
#define MADOGUCHI_REPORT_H

#include <glib.h>

typedef enum
{
  MESSAGE_FLAG_TRUNCATED = 1 << 0, /* bigger than max_message_size */
  MESSAGE_FLAG_MALFORMED = 1 << 1, /* GMime could not build a message */
  MESSAGE_FLAG_NUL_BYTES = 1 << 2,
  MESSAGE_FLAG_EMPTY = 1 << 3,
  MESSAGE_FLAG_DEPTH_LIMIT = 1 << 4,   /* parts nested deeper were skipped */
  MESSAGE_FLAG_PARTS_LIMIT = 1 << 5,   /* parts past the count were skipped */
  MESSAGE_FLAG_CHARSET = 1 << 6,       /* a charset was missing or wrong */
  MESSAGE_FLAG_TEXT_LIMIT = 1 << 7,    /* a part's text was cut */
  MESSAGE_FLAG_NO_HEADERS = 1 << 8,    /* no From, Date or Message-ID */
  MESSAGE_FLAG_DECODE_LIMIT = 1 << 9,  /* encoded-words kept undecoded */
  MESSAGE_FLAG_UNDECRYPTED = 1 << 10,  /* PGP-encrypted, not decrypted */
  MESSAGE_FLAG_HEADER_LIMIT = 1 << 11, /* header lines past the limits
                                        * were not parsed */
  /* Archives: the rest of their members were skipped past a limit
   * (max_archive_bytes, max_archive_members, max_archive_ratio), or a
   * member could not be read (no password fitted; damaged, truncated). */
  MESSAGE_FLAG_ARCHIVE_BYTES = 1 << 12,
  MESSAGE_FLAG_ARCHIVE_MEMBERS = 1 << 13,
  MESSAGE_FLAG_ARCHIVE_RATIO = 1 << 14,
  MESSAGE_FLAG_ARCHIVE_ENCRYPTED = 1 << 15,
  MESSAGE_FLAG_ARCHIVE_DAMAGED = 1 << 16,
} MessageFlags;

/* Flag names, in bit order, for storage and display. */
char *report_flags_to_string (MessageFlags flags);

typedef struct
{
  guint depth;        /* 0 for the top-level body */
  char *content_type; /* "type/subtype", lower case */
  char *filename;     /* decoded, or NULL */
  char *charset;      /* as declared, or NULL */
  gint64 size;        /* decoded bytes */
  gboolean forwarded; /* inside a message/rfc822 part */
  char *text;         /* UTF-8 text, or NULL when the part is not text */
  gboolean member;    /* a member of an archive (filename: its path in
                       * it, only data; depth: below the archive) */
  char *sha256;       /* a binary member's hex SHA-256, or NULL */
} MessagePart;

typedef struct
{
  char *name;
  char *raw;   /* as written (folded, encoded) */
  char *value; /* decoded, one line */
} MessageHeader;

void report_part_free (MessagePart *part);
void report_header_free (MessageHeader *header);

/* What OpenPGP the message carried (PGP/MIME or inline), and what came of
 * it.  All zero for a message without any. */
typedef struct
{
  gboolean encrypted; /* some of it was encrypted */
  gboolean decrypted; /* and all of that was decrypted */
  char *signature;    /* "good", "bad", "unknown-key", "expired",
                       * "revoked" or "error"; NULL: not signed */
  char *signer;       /* the signing key's fingerprint, or NULL */
  char *problem;      /* why decrypting or verifying failed, or NULL */
} MessagePgp;

typedef struct
{
  MessageFlags flags;
  MessagePgp pgp;
  char *mbox_sender; /* sender of a leading "From " line, or NULL */
  char *message_id;  /* without angle brackets, or NULL */
  char *in_reply_to; /* message-ids, space separated, or NULL */
  char *references;  /* message-ids, space separated, or NULL */
  char *from;        /* decoded display form, or NULL */
  char *from_addr;   /* addr-spec of the first From mailbox, or NULL */
  char *reply_to;
  char *to;
  char *cc;
  char *subject;
  char *date;         /* the Date header, decoded, or NULL */
  gint64 date_utc;    /* seconds since the epoch; 0 when unknown */
  int date_offset;    /* the Date's zone, seconds east of UTC */
  char *return_path;  /* addr-spec, "" for <>, or NULL */
  GPtrArray *headers; /* of MessageHeader: the outer headers, in order */
  GPtrArray *parts;   /* of MessagePart */
  char *dedup_key;    /* hex SHA-256 identifying this message */
} Message;

void report_message_free (Message *message);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (Message, report_message_free)

/*
 * (transfer full) the text of all textual parts, in order, a newline
 * between two: the message's text as filed.  Made when asked for, not
 * kept: while its evidence is extracted, a big report's text is in
 * memory once (in its part), not twice.
 */
char *report_message_text (const Message *message);

typedef struct
{
  char *kind;  /* ipv4 ipv6 cidr range url domain email, and
                * sha256 (a binary member of an archive) */
  char *value; /* normalised: RFC 5952 IPv6, refanged names */
  gboolean has_ip;
  guint8 ip[16];     /* first address, IPv4 as ::ffff:a.b.c.d */
  guint8 ip_end[16]; /* last address (= ip for a single address) */
  const char *scope; /* global private loopback documentation ... */
  gboolean mapped;   /* IPv6 written as IPv4-mapped */
  gboolean own;      /* inside the team's own networks */
  GArray *ports;     /* guint16, distinct, in order seen */
  guint count;       /* occurrences */
  gint64 first_seen; /* UTC of the earliest event time on its lines */
  gint64 last_seen;  /*   and the latest; 0 when none */
  char *context;     /* the first line it was seen on */
  guint64 order;     /* where first seen: source << 32 | offset */
  const char *role;  /* "source": what the report is about; or NULL */
  gint64 asn;        /* the AS the report gives with it; 0: unknown
                      * (extract-asn.h) */
} Indicator;

typedef struct
{
  gint64 utc;     /* seconds since the epoch */
  char *original; /* the text as written */
  char *rule;
  gboolean zone_assumed;
  guint part;    /* index in Message.parts; G_MAXUINT: subject */
  guint line;    /* 1-based line within the part */
  guint64 order; /* where: source << 32 | offset (not stored) */
} Timestamp;

typedef struct
{
  guint part;
  guint first_line;
  guint last_line;
  char *text;
} Excerpt;

typedef struct
{
  GPtrArray *indicators;    /* of Indicator, in order first seen */
  GPtrArray *timestamps;    /* of Timestamp, in text order */
  GPtrArray *excerpts;      /* of Excerpt */
  guint dropped;            /* indicators past the cap, not kept */
  guint timestamps_dropped; /* times past their cap, not kept */
  gboolean limit_hit;       /* a regex limit or the scan cap cut work */
  /* Each text of the message scanned as it was (not folded, not cut) ->
   * its RuleText, for classify to reuse instead of reading the text
   * again; they point into the message, valid while it lives. */
  GHashTable *rule_texts;
  /* Report types of the CSV feeds (file name, type column), lower case,
   * distinct, for classify's "where = feed". */
  GPtrArray *feed_types;
} Extraction;

void report_timestamp_free (Timestamp *timestamp);
void report_excerpt_free (Excerpt *excerpt);
void report_extraction_free (Extraction *extraction);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (Extraction, report_extraction_free)

/* (transfer full) "22,80" of an Indicator's ports; NULL when none. */
char *report_ports_string (const GArray *ports);

/* The incident categories, in their order everywhere (scores, stats). */
#define REPORT_CATEGORIES 7

/* The categories, NULL-terminated: dos ddos spoofing abuse intrusion
 * scan other. */
const char *const *report_categories (void);

/* The index of category in report_categories (), or -1. */
int report_category_index (const char *category);

typedef struct
{
  char *rule;
  const char *category;
  int score;
  char *where;   /* "subject", "body", "log", "form:incident_type"... */
  char *matched; /* the text that matched, shortened */
} ClassifyReason;

typedef struct
{
  char *name; /* reporter_name, organization, incident_type ... */
  char *value;
} FormField;

typedef struct
{
  const char *category;          /* the decision */
  int scores[REPORT_CATEGORIES]; /* per report_categories () */
  GPtrArray *reasons;            /* of ClassifyReason, best first */
  GPtrArray *form;               /* of FormField; empty if not a form */
} Classification;

void report_classification_free (Classification *classification);
void report_reason_free (ClassifyReason *reason);
void report_form_field_free (FormField *field);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (Classification, report_classification_free)

#endif
