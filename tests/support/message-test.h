/*
 * message-test.h - for test-message.c and test-message-raw.c: the limits
 * they parse with, and reading and parsing test data.
 */
#ifndef MADOGUCHI_TEST_MESSAGE_TEST_H
#define MADOGUCHI_TEST_MESSAGE_TEST_H

#include <string.h>

#include "madoguchi/message.h"

static const MessageLimits default_limits
    = { .max_depth = 32, .max_parts = 1000, .max_part_text = 8 * 1024 * 1024 };

static inline char *
read_data (const char *name, gsize *len)
{
  g_autofree char *path = g_build_filename (TEST_DATA_DIR, name, NULL);
  g_autoptr (GError) error = NULL;
  char *data = NULL;

  g_file_get_contents (path, &data, len, &error);
  g_assert_no_error (error);
  return data;
}

static inline Message *
parse_string (const char *text, const MessageLimits *limits)
{
  return message_parse (text, strlen (text), limits);
}

/* The message's text as filed, freed when the test ends. */
static inline const char *
text_of (const Message *m)
{
  char *text = report_message_text (m);

  g_test_queue_free (text);
  return text;
}

#endif
