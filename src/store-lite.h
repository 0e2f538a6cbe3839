/*
 * store-lite.h - private to the SQLite side of the store (store-lite.c,
 * store-lite-schema.c).
 */
#ifndef MADOGUCHI_STORE_LITE_H
#define MADOGUCHI_STORE_LITE_H

#include "store-db.h"

/* Creates or migrates the schema to STORE_SCHEMA_VERSION. */
gboolean store_lite_migrate (Store *store, GError **error);

#endif
