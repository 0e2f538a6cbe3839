/*
 * report.c - the records of a report (report.h): freeing them, and the
 * few ways they are rendered the same everywhere (flag names, the
 * message's text, a port list, the category table).
 */
#include "madoguchi/report.h"

#include <string.h>

static const char *const categories[] = {
  "dos", "ddos", "spoofing", "abuse", "intrusion", "scan", "other", NULL,
};

const char *const *
report_categories (void)
{
  return categories;
}

/* By MessageFlags bit. */
static const char *const flag_names[] = {
  "truncated",       "malformed",       "nul-bytes",     "empty",
  "depth-limit",     "parts-limit",     "charset",       "text-limit",
  "no-headers",      "decode-limit",    "undecrypted",   "header-limit",
  "archive-bytes",   "archive-members", "archive-ratio", "archive-encrypted",
  "archive-damaged",
};

char *
report_flags_to_string (MessageFlags flags)
{
  GString *s = g_string_new (NULL);

  for (gsize i = 0; i < G_N_ELEMENTS (flag_names); i++)
    if (flags & (1u << i))
      g_string_append_printf (s, "%s%s", s->len ? "," : "", flag_names[i]);
  return g_string_free (s, FALSE);
}

void
report_part_free (MessagePart *part)
{
  if (part == NULL)
    return;
  g_free (part->content_type);
  g_free (part->filename);
  g_free (part->charset);
  g_free (part->text);
  g_free (part->sha256);
  g_free (part);
}

void
report_message_free (Message *message)
{
  if (message == NULL)
    return;
  g_free (message->mbox_sender);
  g_free (message->message_id);
  g_free (message->in_reply_to);
  g_free (message->references);
  g_free (message->from);
  g_free (message->from_addr);
  g_free (message->reply_to);
  g_free (message->to);
  g_free (message->cc);
  g_free (message->subject);
  g_free (message->date);
  g_free (message->return_path);
  g_ptr_array_unref (message->headers);
  g_ptr_array_unref (message->parts);
  g_free (message->dedup_key);
  g_free (message->pgp.signature);
  g_free (message->pgp.signer);
  g_free (message->pgp.problem);
  g_free (message);
}

void
report_header_free (MessageHeader *h)
{
  g_free (h->name);
  g_free (h->raw);
  g_free (h->value);
  g_free (h);
}

char *
report_message_text (const Message *message)
{
  GString *text = g_string_new (NULL);

  for (guint i = 0; i < message->parts->len; i++)
    {
      const MessagePart *part = message->parts->pdata[i];

      if (part->text == NULL)
        continue;
      if (text->len > 0)
        g_string_append_c (text, '\n');
      g_string_append (text, part->text);
    }
  return g_string_free (text, FALSE);
}

void
report_timestamp_free (Timestamp *t)
{
  g_free (t->original);
  g_free (t->rule);
  g_free (t);
}

void
report_excerpt_free (Excerpt *e)
{
  g_free (e->text);
  g_free (e);
}

void
report_extraction_free (Extraction *x)
{
  if (x == NULL)
    return;
  g_ptr_array_unref (x->indicators);
  g_ptr_array_unref (x->timestamps);
  g_ptr_array_unref (x->excerpts);
  g_hash_table_unref (x->rule_texts);
  g_ptr_array_unref (x->feed_types);
  g_free (x);
}

char *
report_ports_string (const GArray *ports)
{
  GString *s = g_string_new (NULL);

  for (guint i = 0; i < ports->len; i++)
    g_string_append_printf (s, "%s%u", i ? "," : "",
                            g_array_index (ports, guint16, i));
  return g_string_free (s, s->len == 0);
}

void
report_reason_free (ClassifyReason *r)
{
  g_free (r->rule);
  g_free (r->where);
  g_free (r->matched);
  g_free (r);
}

void
report_form_field_free (FormField *f)
{
  g_free (f->name);
  g_free (f->value);
  g_free (f);
}

void
report_classification_free (Classification *c)
{
  if (c == NULL)
    return;
  g_ptr_array_unref (c->reasons);
  g_ptr_array_unref (c->form);
  g_free (c);
}

int
report_category_index (const char *category)
{
  const char *const *names = report_categories ();

  for (int i = 0; names[i] != NULL; i++)
    if (g_strcmp0 (names[i], category) == 0)
      return i;
  return -1;
}
