/*
 * json.h - a small streaming JSON writer for --json output.
 *
 * The writer tracks commas; strings are escaped so that any UTF-8 (and
 * any control character) comes out as valid JSON.
 */
#ifndef MADOGUCHI_JSON_H
#define MADOGUCHI_JSON_H

#include <glib.h>

typedef struct
{
  GString *out;
  GArray *counts; /* values written so far, per open container */
} JsonWriter;

void json_init (JsonWriter *w);
/* Returns (transfer full) the text written, and frees the writer's state. */
char *json_finish (JsonWriter *w);

void json_begin_object (JsonWriter *w);
void json_end_object (JsonWriter *w);
void json_begin_array (JsonWriter *w);
void json_end_array (JsonWriter *w);
/* The key of the next value, inside an object. */
void json_key (JsonWriter *w, const char *key);
/* A string value; NULL writes null. */
void json_string (JsonWriter *w, const char *value);
void json_int (JsonWriter *w, gint64 value);
void json_bool (JsonWriter *w, gboolean value);

/* A key and its value, in one call. */
void json_member_string (JsonWriter *w, const char *key, const char *value);
void json_member_int (JsonWriter *w, const char *key, gint64 value);
void json_member_bool (JsonWriter *w, const char *key, gboolean value);

#endif
