/*
 * intake.c - spool entry -> Message -> store, in that order only.
 *
 * The spool file is removed only after the store has committed, so a
 * crash anywhere leaves the message either filed or still spooled; a
 * spooled message that was in fact filed is recognised by its dedup key
 * and not filed twice.
 */
#include "madoguchi/intake.h"
#include "madoguchi/intake-notify.h"
#include "madoguchi/notify.h"

#include <time.h>

#include "madoguchi/extract-asn.h"
#include "madoguchi/log.h"
#include "madoguchi/message.h"
#include "madoguchi/outbox.h"
#include "madoguchi/reply.h"

void
intake_result_clear (IntakeResult *result)
{
  g_clear_pointer (&result->flags, g_free);
  g_clear_pointer (&result->category, g_free);
  g_clear_pointer (&result->message_id, g_free);
}

gboolean
intake_result_in_store (const IntakeResult *result)
{
  /* store_file hands a number back only with its COMMIT's success. */
  return result->filed.number[0] != '\0';
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
    .max_depth = (guint) config->max_mime_depth,
    .max_parts = (guint) config->max_mime_parts,
    .max_part_text = (gsize) config->max_part_text,
    .pgp = config->gnupg_home[0] != '\0',
    .max_decrypted = (gsize) config->max_message_size,
    .max_archive_bytes = (guint64) config->max_archive_bytes,
    .max_archive_members = (guint) config->max_archive_members,
    .max_archive_ratio = (guint) config->max_archive_ratio,
    .archive_passwords = config->archive_passwords,
  };

  /* GPGME finds the keyring by GNUPGHOME.  Set here, before a message is
   * parsed: its dedup thread may be running later, and setenv must not
   * race a getenv. */
  if (limits.pgp)
    g_setenv ("GNUPGHOME", config->gnupg_home, TRUE);
  return limits;
}

static void
log_rule_problem (const RuleSet *rules, const RuleProblem *p)
{
  log_warn ("%s/%s:%d: %s%s%s (see 'madoguchi rules check')", rules_dir (rules),
            p->file, p->line, p->rule ? p->rule : "", p->rule ? ": " : "",
            p->message);
}

RuleSet *
intake_load_rules (const Config *config)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *cache = config_rules_cache_path (config);
  RuleSet *rules = rules_load_cached (config->rules_dir, cache, &error);

  if (rules == NULL)
    {
      log_warn ("%s; extracting nothing", error->message);
      return NULL;
    }
  for (guint i = 0; i < rules_problems (rules)->len; i++)
    log_rule_problem (rules, rules_problems (rules)->pdata[i]);
  rules_set_on_problem (rules, log_rule_problem);
  return rules;
}

Extraction *
intake_extract (const Config *config, const RuleSet *rules,
                const Message *message, gint64 received)
{
  ExtractOptions options = {
    message->date_utc ? message->date_utc : received,
    message->date_utc ? message->date_offset : 0,
    (guint) config->max_indicators,
    (gsize) config->max_scan_text,
    config->own_networks,
    FALSE,
    (guint) config->max_timestamps,
  };

  Extraction *extraction = extract_run (rules, message, &options);

  extract_asn_apply (extraction, message);
  return extraction;
}

Classification *
intake_classify (const Config *config, const RuleSet *rules,
                 const Message *message, const Extraction *extraction)
{
  ClassifyOptions options = { .min_score = (int) config->classify_min_score };

  return classify_run (rules, message, extraction, &options);
}

typedef struct
{
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
  ReplyReport report = { .message = r->message, .recipient = r->recipient };
  ReplyTicket ticket = {
    .number = number,
    .tag = tag,
    .category = r->category,
    .received = r->received,
  };

  return reply_build (r->config, &report, &ticket, message_id, error);
}

/* Sends the acknowledgement just queued; a failure leaves it queued. */
static void
send_queued (const Config *config, Store *store, const char *id,
             IntakeResult *result)
{
  g_autoptr (GError) error = NULL;

  if (result->filed.outbox_id == 0)
    return;
  if (outbox_send (config, store, result->filed.outbox_id, FALSE, &error))
    /* What came of it, for the log: the outbox Maildir is not sent. */
    g_strlcpy (result->filed.ack,
               *config->sendmail_command ? "sent" : "in the outbox Maildir",
               sizeof result->filed.ack);
  else if (error != NULL)
    {
      log_warn ("%s: acknowledgement for %s queued, not sent: %s", id,
                result->filed.number, error->message);
      g_snprintf (result->filed.ack, sizeof result->filed.ack,
                  "queued (send failed: %s)", error->message);
    }
}

void
intake_prepared_free (IntakePrepared *p)
{
  if (p == NULL)
    return;
  raw_unref (p->raw);
  report_message_free (p->message);
  report_extraction_free (p->extraction);
  report_classification_free (p->classification);
  g_free (p->source_id);
  g_free (p->sender);
  g_free (p->recipient);
  g_free (p);
}

IntakePrepared *
intake_prepare (const Config *config, const RuleSet *rules, Raw *raw,
                const IntakeSource *source, GError **error)
{
  g_autoptr (IntakePrepared) p = g_new0 (IntakePrepared, 1);
  MessageLimits limits = intake_limits (config);

  p->raw = raw_ref (raw);
  p->message = message_parse_raw (raw, &limits, error);
  if (p->message == NULL)
    return NULL;
  if (source->kept < source->size)
    p->message->flags |= MESSAGE_FLAG_TRUNCATED;
  /* An import files old mail: its own Date is when it was received. */
  p->received = source->received != 0       ? source->received
                : p->message->date_utc != 0 ? p->message->date_utc
                                            : (gint64) time (NULL);
  p->size = source->size;
  p->source_id = g_strdup (source->id);
  p->sender
      = g_strdup (source->sender != NULL            ? source->sender
                  : p->message->mbox_sender != NULL ? p->message->mbox_sender
                                                    : p->message->return_path);
  p->recipient = g_strdup (source->recipient);
  if (rules != NULL)
    {
      p->extraction = intake_extract (config, rules, p->message, p->received);
      p->classification
          = intake_classify (config, rules, p->message, p->extraction);
      /* What the prefilter found is classify's to reuse, and no one's
       * after: megabytes for a long log, while the message is filed. */
      g_hash_table_remove_all (p->extraction->rule_texts);
    }
  return g_steal_pointer (&p);
}

/* The acknowledgement's part of a delivery: to whom, and the limits. */
static void
set_ack (const Config *config, const ReplyDecision *decision, StoreDelivery *d)
{
  d->ack_recipient = decision->send ? decision->recipient : NULL;
  d->ack_reason = decision->reason;
  d->ack_sender = decision->sender;
  d->ack_domain = decision->domain;
  d->rate_hour = (int) config->ack_rate_hour;
  d->rate_day = (int) config->ack_rate_day;
  d->rate_sender_hour = (int) config->ack_rate_sender_hour;
  d->rate_sender_day = (int) config->ack_rate_sender_day;
  d->rate_domain_hour = (int) config->ack_rate_domain_hour;
  d->rate_domain_day = (int) config->ack_rate_domain_day;
}

gboolean
intake_store (const Intake *intake, const IntakePrepared *p,
              IntakeResult *result, GError **error)
{
  const Config *config = intake->config;
  StoreDelivery d = { 0 };
  ReplyDecision decision = { 0 };
  g_auto (GStrv) returned = message_returned_ids (p->message);
  ReplyContext reply;
  gboolean ok;

  d.spool_id = p->source_id;
  d.envelope_from = p->sender;
  d.envelope_to = p->recipient;
  d.received = p->received;
  d.size = p->size;
  d.raw = p->raw;
  d.message = p->message;
  d.extraction = p->extraction;
  d.classification = p->classification;
  d.who = intake->who;
  d.tag_prefix = config->tag;
  d.automatic = message_is_automatic (p->message);
  d.delivery_report = message_is_delivery_report (p->message);
  d.returned_ids = (const char *const *) returned;
  d.dmarc_failed = reply_dmarc_failed (config, p->message);
  if (intake->acknowledge)
    reply_decide (config, p->message, p->sender, &decision);
  else
    decision.reason = g_strdup ("imported: no acknowledgement");
  reply = (ReplyContext){
    .config = config,
    .message = p->message,
    .recipient = decision.recipient,
    .category = p->classification ? p->classification->category : "other",
    .received = p->received,
  };
  set_ack (config, &decision, &d);
  d.reply_func = build_reply;
  d.reply_data = &reply;
  ok = store_file (intake->store, &d, &result->filed, error);
  reply_decision_clear (&decision);
  if (ok)
    {
      result->flags = report_flags_to_string (p->message->flags);
      result->category = g_strdup (reply.category);
      result->message_id = g_strdup (p->message->message_id);
    }
  return ok;
}

/*
 * auto_notify: a new ticket of a listed category notifies its sites,
 * after its own commit and in transactions of their own.  The report is
 * filed whatever comes of it; a failure is logged for an operator to
 * run `madoguchi notify` (teams that pass feeds on to network owners).
 */
static void
auto_notify (const Intake *intake, const IntakePrepared *p, const char *id,
             const IntakeResult *result)
{
  NotifyOptions opt = { .automatic = TRUE, .who = intake->who };
  g_autoptr (NotifyReport) report = NULL;
  g_autoptr (GError) error = NULL;
  const char *category
      = p->classification ? p->classification->category : "other";

  if (result->filed.followup || result->filed.duplicate
      || *result->filed.number == '\0'
      || !intake_notify_wanted (intake->config, category))
    return;
  report = intake_notify (intake->config, intake->store, result->filed.number,
                          &opt, &error);
  if (report == NULL)
    {
      if (!g_error_matches (error, NOTIFY_ERROR, NOTIFY_ERROR_NO_ADDRESSES))
        log_warn ("%s: ticket %s not notified: %s", id, result->filed.number,
                  error->message);
      return;
    }
  for (guint i = 0; i < report->outcomes->len; i++)
    {
      const NotifyOutcome *o = report->outcomes->pdata[i];

      log_info ("%s: ticket %s: notification to %s about %s: %s%s%s", id,
                report->number, o->email, o->addresses, o->status,
                o->why ? ": " : "", o->why ? o->why : "");
    }
}

gboolean
intake_file (const Intake *intake, SpoolEntry *entry, IntakeResult *result,
             GError **error)
{
  const Config *config = intake->config;
  g_autoptr (Raw) raw = spool_read_message (entry, error);
  g_autofree char *spool_dir = config_spool_dir (config);
  IntakeSource source = {
    entry->id,          entry->sender, entry->recipient,
    spool_time (entry), entry->size,   entry->kept,
  };
  g_autoptr (IntakePrepared) prepared = NULL;

  if (raw == NULL)
    return FALSE;
  prepared = intake_prepare (config, intake->rules, raw, &source, error);
  if (prepared == NULL || !intake_store (intake, prepared, result, error))
    return FALSE;
  send_queued (config, intake->store, entry->id, result);
  auto_notify (intake, prepared, entry->id, result);
  return spool_done (spool_dir, entry, config->keep_spool, error);
}
