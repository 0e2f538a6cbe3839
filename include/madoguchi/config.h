/*
 * config.h - the effective configuration: a GKeyFile read into a typed
 * struct from a table of {group, key, type, default, min, max}.
 *
 * With no file at all every value has an embedded default, so that a
 * fresh install and every test run without one.  Unknown keys and
 * out-of-range values are errors naming the file and line.
 */
#ifndef MADOGUCHI_CONFIG_H
#define MADOGUCHI_CONFIG_H

#include <glib.h>
#include <stdio.h>

#define CONFIG_ERROR (config_error_quark ())
GQuark config_error_quark (void);

typedef enum
{
  CONFIG_ERROR_READ,
  CONFIG_ERROR_SYNTAX,
  CONFIG_ERROR_UNKNOWN_KEY,
  CONFIG_ERROR_VALUE,
} ConfigError;

typedef struct
{
  char *file;     /* file read, or NULL when on embedded defaults */
  char *data_dir; /* database, spool and outbox live here */
  char *rules_dir;
  char *database; /* "": data_dir/madoguchi.db; or a postgresql:// URI */
  char *tag;      /* ticket tag, as in "[IR #2026-000123]" */
  char *team_name;
  char *team_address;
  gint64 max_message_size; /* bytes kept of one message */
  gint64 max_mime_depth;
  gint64 max_mime_parts;
  gint64 max_part_text;        /* bytes of decoded text kept per part */
  gint64 max_archive_bytes;    /* expanded bytes of a message's archives */
  gint64 max_archive_members;  /*   their members */
  gint64 max_archive_ratio;    /*   expanded bytes per byte; 0: no guard */
  char *archive_passwords;     /* tried on encrypted members, ", " apart */
  gint64 deliver_timeout;      /* seconds before the deliver watchdog fires */
  gint64 busy_timeout;         /* milliseconds to wait for a database lock */
  gint64 min_free_space;       /* bytes the spool file system must keep free */
  gboolean keep_spool;         /* keep filed messages in spool/cur/ */
  GArray *own_networks;        /* of Network: the team's own address space */
  gint64 max_indicators;       /* distinct indicators kept per message */
  gint64 max_timestamps;       /* event times kept per message */
  gint64 max_scan_text;        /* bytes of text scanned per message */
  gint64 classify_min_score;   /* a category needs this much to win */
  gboolean acknowledge;        /* send acknowledgements at all */
  char *ack_language;          /* auto, ja, en, bilingual */
  char *ack_charset;           /* utf-8, iso-2022-jp */
  gint64 ack_rate_hour;        /* acknowledgements per address per hour */
  gint64 ack_rate_day;         /*   and per day */
  gint64 ack_rate_sender_hour; /* per report sender (From) per hour */
  gint64 ack_rate_sender_day;
  gint64 ack_rate_domain_hour; /* per recipient's registrable domain */
  gint64 ack_rate_domain_day;
  char *sendmail_command;       /* "" : write to the local outbox Maildir */
  char *authserv_id;            /* our MTA's Authentication-Results id, or "" */
  char *gnupg_home;             /* the team's GnuPG home, or "": PGP off */
  gboolean pgp_sign;            /* sign what madoguchi sends */
  char *tlp;                    /* FIRST TLP 2.0 label of notifications */
  gboolean auto_notify;         /* deliver notifies the sites by itself */
  char *auto_notify_categories; /* of those categories ("": any) */
} Config;

/*
 * Loads the configuration: from path when given, else from
 * $MADOGUCHI_CONFIG, else from the system file when it exists, else the
 * embedded defaults.  $MADOGUCHI_HOME overrides data_dir, $MADOGUCHI_DATABASE
 * database.
 * Returns (transfer full) a Config, or NULL with error set.
 */
Config *config_load (const char *path, GError **error);

/* Embedded defaults only, no file and no environment (for tests). */
Config *config_new_defaults (void);

void config_free (Config *config);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (Config, config_free)

/* (transfer full) paths derived from data_dir; the database's is the
 * database key (or $MADOGUCHI_DATABASE) when set. */
char *config_db_path (const Config *config);
char *config_spool_dir (const Config *config);
char *config_rules_cache_path (const Config *config); /* rules-cache.c */

/* Writes the effective configuration as a GKeyFile to out. */
void config_print (const Config *config, FILE *out);

#endif
