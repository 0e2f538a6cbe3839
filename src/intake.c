/*
 * intake.c - spool entry -> Message -> store, in that order only.
 *
 * The spool file is removed only after the store has committed, so a
 * crash anywhere leaves the message either filed or still spooled; a
 * spooled message that was in fact filed is recognised by its dedup key
 * and not filed twice.
 */
#include "madoguchi/intake.h"

#include <time.h>

#include "madoguchi/message.h"

void
intake_result_clear (IntakeResult *result)
{
  g_clear_pointer (&result->flags, g_free);
}

/* Envelope sender: as the MTA gave it, else the mbox From_ line, else
 * the Return-Path header; NULL when nothing says. */
static const char *
envelope_sender (const SpoolEntry *entry, const Message *message)
{
  if (entry->sender != NULL)
    return entry->sender;
  if (message->mbox_sender != NULL)
    return message->mbox_sender;
  return message->return_path;
}

static gint64
spool_time (const SpoolEntry *entry)
{
  gint64 t = g_ascii_strtoll (entry->id, NULL, 10);

  /* The ID starts with the arrival time; a hand-made name may not. */
  return t > 0 ? t : (gint64) time (NULL);
}

gboolean
intake_file (const Config *config, Store *store, SpoolEntry *entry,
             const char *who, IntakeResult *result, GError **error)
{
  g_autoptr (GBytes) raw = spool_read_message (entry, error);
  g_autoptr (Message) message = NULL;
  MessageLimits limits = {
    (guint) config->max_mime_depth, (guint) config->max_mime_parts,
    (gsize) config->max_part_text,
  };
  StoreDelivery delivery = { 0 };
  g_autofree char *spool_dir = config_spool_dir (config);

  if (raw == NULL)
    return FALSE;
  message = message_parse (g_bytes_get_data (raw, NULL),
                           g_bytes_get_size (raw), &limits);
  if (entry->kept < entry->size)
    message->flags |= MESSAGE_FLAG_TRUNCATED;
  delivery.spool_id = entry->id;
  delivery.envelope_from = envelope_sender (entry, message);
  delivery.envelope_to = entry->recipient;
  delivery.received = spool_time (entry);
  delivery.size = entry->size;
  delivery.raw = raw;
  delivery.message = message;
  delivery.who = who;
  if (!store_file (store, &delivery, &result->filed, error))
    return FALSE;
  result->flags = message_flags_to_string (message->flags);
  return spool_done (spool_dir, entry, config->keep_spool, error);
}
