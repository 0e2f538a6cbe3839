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

#include "madoguchi/log.h"
#include "madoguchi/message.h"
#include "madoguchi/outbox.h"
#include "madoguchi/reply.h"

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

MessageLimits
intake_limits (const Config *config)
{
  MessageLimits limits = {
    (guint) config->max_mime_depth, (guint) config->max_mime_parts,
    (gsize) config->max_part_text,
  };

  return limits;
}

RuleSet *
intake_load_rules (const Config *config)
{
  g_autoptr (GError) error = NULL;
  RuleSet *rules = rules_load (config->rules_dir, &error);

  if (rules == NULL)
    {
      log_warn ("%s; extracting nothing", error->message);
      return NULL;
    }
  for (guint i = 0; i < rules->problems->len; i++)
    {
      const RuleProblem *p = rules->problems->pdata[i];

      log_warn ("%s/%s:%d: %s%s%s (see 'madoguchi rules check')",
                config->rules_dir, p->file, p->line, p->rule ? p->rule : "",
                p->rule ? ": " : "", p->message);
    }
  return rules;
}

Extraction *
intake_extract (const Config *config, const RuleSet *rules,
                const Message *message, gint64 received)
{
  ExtractOptions options = {
    message->date_utc ? message->date_utc : received,
    message->date_utc ? message->date_offset : 0,
    (guint) config->max_indicators, (gsize) config->max_scan_text,
    config->own_networks,
  };

  return extract_run (rules, message, &options);
}

Classification *
intake_classify (const Config *config, const RuleSet *rules,
                 const Message *message, const Extraction *extraction)
{
  ClassifyOptions options = { (int) config->classify_min_score };

  return classify_run (rules, message, extraction, &options);
}

typedef struct {
  const Config *config;
  const Message *message;
  const char *recipient;
  const char *category;
  gint64 received;
} ReplyContext;

/* Called by the store inside the filing transaction. */
static GBytes *
build_reply (const char *number, const char *tag, char **message_id,
             gpointer data, GError **error)
{
  const ReplyContext *r = data;
  ReplyTicket ticket = { number, tag, r->category, r->received };

  return reply_build (r->config, r->message, &ticket, r->recipient,
                      message_id, error);
}

/* Sends the acknowledgement just queued; a failure leaves it queued. */
static void
send_queued (const Config *config, Store *store, const SpoolEntry *entry,
             IntakeResult *result)
{
  g_autoptr (GError) error = NULL;

  if (result->filed.outbox_id == 0)
    return;
  if (!outbox_send (config, store, result->filed.outbox_id, FALSE, &error)
      && error != NULL)
    {
      log_warn ("%s: acknowledgement for %s queued, not sent: %s", entry->id,
                result->filed.number, error->message);
      g_snprintf (result->filed.ack, sizeof result->filed.ack,
                  "queued (send failed: %s)", error->message);
    }
}

gboolean
intake_file (const Intake *intake, SpoolEntry *entry, IntakeResult *result,
             GError **error)
{
  const Config *config = intake->config;
  g_autoptr (GBytes) raw = spool_read_message (entry, error);
  MessageLimits limits = intake_limits (config);
  g_autoptr (Message) message = NULL;
  g_autoptr (Extraction) extraction = NULL;
  g_autoptr (Classification) classification = NULL;
  StoreDelivery delivery = { 0 };
  ReplyDecision decision = { 0 };
  ReplyContext reply = { 0 };
  g_autofree char *spool_dir = config_spool_dir (config);

  if (raw == NULL)
    return FALSE;
  message = message_parse (g_bytes_get_data (raw, NULL),
                           g_bytes_get_size (raw), &limits);
  if (entry->kept < entry->size)
    message->flags |= MESSAGE_FLAG_TRUNCATED;
  delivery.received = spool_time (entry);
  if (intake->rules != NULL)
    {
      extraction = intake_extract (config, intake->rules, message,
                                   delivery.received);
      classification = intake_classify (config, intake->rules, message,
                                        extraction);
    }
  delivery.spool_id = entry->id;
  delivery.envelope_from = envelope_sender (entry, message);
  delivery.envelope_to = entry->recipient;
  delivery.size = entry->size;
  delivery.raw = raw;
  delivery.message = message;
  delivery.extraction = extraction;
  delivery.classification = classification;
  delivery.who = intake->who;
  delivery.tag_prefix = config->tag;
  delivery.automatic = message_is_automatic (message);
  reply_decide (config, message, delivery.envelope_from, &decision);
  reply = (ReplyContext) { config, message, decision.recipient,
                           classification ? classification->category
                                          : "other", delivery.received };
  delivery.ack_recipient = decision.send ? decision.recipient : NULL;
  delivery.ack_reason = decision.reason;
  delivery.rate_hour = (int) config->ack_rate_hour;
  delivery.rate_day = (int) config->ack_rate_day;
  delivery.reply_func = build_reply;
  delivery.reply_data = &reply;
  if (!store_file (intake->store, &delivery, &result->filed, error))
    {
      reply_decision_clear (&decision);
      return FALSE;
    }
  reply_decision_clear (&decision);
  send_queued (config, intake->store, entry, result);
  result->flags = message_flags_to_string (message->flags);
  return spool_done (spool_dir, entry, config->keep_spool, error);
}
