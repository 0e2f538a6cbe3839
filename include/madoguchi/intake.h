/*
 * intake.h - the pipeline on one spooled message: read it, parse it and
 * file it, then take it out of the spool.  `deliver` runs it right after
 * spooling; `spool run` runs it on whatever waits in spool/new/.
 */
#ifndef MADOGUCHI_INTAKE_H
#define MADOGUCHI_INTAKE_H

#include <glib.h>

#include "madoguchi/classify.h"
#include "madoguchi/config.h"
#include "madoguchi/extract.h"
#include "madoguchi/rules.h"
#include "madoguchi/spool.h"
#include "madoguchi/store.h"

typedef struct
{
  StoreFiled filed; /* what the store committed (store_file): no
                     * number unless the message is in the store */
  char *flags;      /* the message's flags, "" when clean */
  char *category;   /* the rules' category of the message */
  char *message_id; /* its Message-ID, or NULL */
} IntakeResult;

void intake_result_clear (IntakeResult *result);

/*
 * Whether result's message is in the store: its filing committed, even
 * when intake_file failed afterwards (the entry could not leave the
 * spool).  FALSE after a filing that rolled back, whatever it numbered:
 * then only the spool holds the message.
 */
gboolean intake_result_in_store (const IntakeResult *result);

typedef struct
{
  const Config *config;
  const RuleSet *rules; /* NULL: no extraction */
  Store *store;
  const char *who;      /* the actor in the audit trail */
  gboolean acknowledge; /* FALSE: no replies (a bulk import) */
} Intake;

/* Where a message comes from, for the record. */
typedef struct
{
  const char *id;     /* spool ID, or a name in an import */
  const char *sender; /* envelope sender, or NULL (then the mbox
                       * From_ line or Return-Path says) */
  const char *recipient;
  gint64 received; /* 0: the message's Date, else now */
  gint64 size;     /* bytes sent */
  gint64 kept;     /* bytes kept (less: truncated) */
} IntakeSource;

/* A message parsed, its evidence extracted and its category decided:
 * everything before the store, which needs no lock. */
typedef struct
{
  Raw *raw;
  Message *message;
  Extraction *extraction;
  Classification *classification;
  gint64 received;
  gint64 size;
  char *source_id;
  char *sender;
  char *recipient;
} IntakePrepared;

void intake_prepared_free (IntakePrepared *prepared);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (IntakePrepared, intake_prepared_free)

/*
 * Parses raw, extracts and classifies: pure, and safe to run in several
 * threads at once on one RuleSet.  Returns (transfer full) the result,
 * or NULL when raw's file cannot be read.
 */
IntakePrepared *intake_prepare (const Config *config, const RuleSet *rules,
                                Raw *raw, const IntakeSource *source,
                                GError **error);

/* Files a prepared message (and queues its acknowledgement). */
gboolean intake_store (const Intake *intake, const IntakePrepared *prepared,
                       IntakeResult *result, GError **error);

/*
 * Files entry (a file in spool/new/) into the store and removes it from
 * the spool.  On error the entry is left where it is, untouched, and
 * error says why; intake_result_in_store (result) then tells a message
 * that was filed all the same from one that was not.
 */
gboolean intake_file (const Intake *intake, SpoolEntry *entry,
                      IntakeResult *result, GError **error);

/*
 * Loads the rules of config, logging each problem in them (a broken rule
 * is skipped, never fatal).  Returns (transfer full) the rules, or NULL
 * (logged) when rules_dir cannot be read: intake goes on without them.
 */
RuleSet *intake_load_rules (const Config *config);

/* Parses bytes as a message received at `received` and extracts its
 * evidence with rules.  Returns (transfer full) the extraction. */
Extraction *intake_extract (const Config *config, const RuleSet *rules,
                            const Message *message, gint64 received);

/* The category of message by rules (with its extraction). */
Classification *intake_classify (const Config *config, const RuleSet *rules,
                                 const Message *message,
                                 const Extraction *extraction);

/* The message limits of config. */
MessageLimits intake_limits (const Config *config);

#endif
