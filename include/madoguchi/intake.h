/*
 * intake.h - the pipeline on one spooled message: read it, parse it and
 * file it, then take it out of the spool.  `deliver` runs it right after
 * spooling; `spool run` runs it on whatever waits in spool/new/.
 */
#ifndef MADOGUCHI_INTAKE_H
#define MADOGUCHI_INTAKE_H

#include <glib.h>

#include "madoguchi/config.h"
#include "madoguchi/spool.h"
#include "madoguchi/store.h"

typedef struct {
  StoreFiled filed;
  char *flags;          /* the message's flags, "" when clean */
} IntakeResult;

void intake_result_clear (IntakeResult *result);

/*
 * Files entry (a file in spool/new/) into store and removes it from the
 * spool.  who names the actor in the audit trail.  On error the entry is
 * left where it is, untouched, and error says why.
 */
gboolean intake_file (const Config *config, Store *store, SpoolEntry *entry,
                      const char *who, IntakeResult *result, GError **error);

#endif
