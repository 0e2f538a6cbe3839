/*
 * text-message.h - for tests and fuzz targets: a Message whose only part
 * is the given text, as message_parse would make it, so that rules can
 * be run over a text without writing it as mail first.
 */
#ifndef MADOGUCHI_TEST_TEXT_MESSAGE_H
#define MADOGUCHI_TEST_TEXT_MESSAGE_H

#include "madoguchi/message.h"

static inline Message *
message_with_text (const char *text)
{
  Message *m = g_new0 (Message, 1);
  MessagePart *part = g_new0 (MessagePart, 1);

  part->content_type = g_strdup ("text/plain");
  part->text = g_strdup (text);
  m->parts = g_ptr_array_new_with_free_func ((GDestroyNotify) report_part_free);
  m->headers = g_ptr_array_new ();
  g_ptr_array_add (m->parts, part);
  m->dedup_key = g_strdup ("");
  return m;
}

#endif
