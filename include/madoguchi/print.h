/*
 * print.h - evidence as operators read it: a table on a terminal, or
 * members of a JSON document.  Shared by `show` and `extract`.
 */
#ifndef MADOGUCHI_PRINT_H
#define MADOGUCHI_PRINT_H

#include <glib.h>

#include "madoguchi/extract.h"
#include "madoguchi/json.h"
#include "madoguchi/store.h"

/* (transfer full) StoreIndicator rows of an extraction, as show has them. */
GPtrArray *print_indicator_rows (const Extraction *extraction);

/* Indicators (StoreIndicator), times (Timestamp), excerpts (Excerpt). */
void print_evidence (GPtrArray *indicators, GPtrArray *timestamps,
                     GPtrArray *excerpts);

/* The same as "indicators", "timestamps" and "excerpts" members of the
 * JSON object being written. */
void print_evidence_json (JsonWriter *w, GPtrArray *indicators,
                          GPtrArray *timestamps, GPtrArray *excerpts);

#endif
