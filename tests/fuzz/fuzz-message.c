/*
 * fuzz-message.c - a hostile mail through what deliver does before the
 * store: message_parse, extract_run and classify_run with the shipped
 * rules/, then the acknowledgement decision and the acknowledgement
 * itself (the reporter's Subject and From are quoted in it).
 *
 * The rules are loaded once, in LLVMFuzzerInitialize; limits and options
 * are the embedded defaults, as on a fresh install.  No database.
 */
#include <stdlib.h>

#include "fuzz-util.h"
#include "madoguchi/address.h"
#include "madoguchi/classify.h"
#include "madoguchi/config.h"
#include "madoguchi/extract.h"
#include "madoguchi/message.h"
#include "madoguchi/reply.h"
#include "madoguchi/rules.h"

#define RECEIVED 1795654800 /* Thu, 26 Nov 2026 10:00:00 +0900 */

static RuleSet *rules;
static Config *config;
static MessageLimits limits;
static GArray *own_networks;

static void
add_own_network (const char *text)
{
  Network net;

  if (!address_parse_network (text, &net))
    abort ();
  g_array_append_val (own_networks, net);
}

int
LLVMFuzzerInitialize (int *argc, char ***argv)
{
  g_autoptr (GError) error = NULL;

  fuzz_glib_setup ();
  message_init ();
  rules = rules_load (MADOGUCHI_SOURCE_DIR "/rules", &error);
  if (rules == NULL || rules_problems (rules)->len > 0)
    {
      g_printerr ("fuzz-message: the shipped rules do not load\n");
      abort ();
    }
  config = config_new_defaults ();
  g_free (config->rules_dir);
  config->rules_dir = g_strdup (MADOGUCHI_SOURCE_DIR "/rules");
  limits.max_depth = (guint) config->max_mime_depth;
  limits.max_parts = (guint) config->max_mime_parts;
  limits.max_part_text = (gsize) config->max_part_text;
  /* Addresses of the samples, so that "own" indicators occur too. */
  own_networks = g_array_new (FALSE, FALSE, sizeof (Network));
  add_own_network ("192.0.2.0/24");
  add_own_network ("2001:db8::/48");
  return 0;
}

/* The reporter's side of the mail: header look-ups and flags. */
static void
poke_message (const Message *message)
{
  g_free (report_flags_to_string (message->flags));
  (void) message_header (message, "subject");
  (void) message_header_raw (message, "Received");
  (void) message_is_automatic (message);
}

static void
acknowledge (const Message *message, const Classification *classification)
{
  ReplyDecision decision = { 0 };
  ReplyTicket ticket = {
    .number = "2026-000123",
    .tag = "[IR #2026-000123/7f3a]",
    .category = classification->category,
    .received = RECEIVED,
  };
  g_autofree char *message_id = NULL;
  g_autoptr (GBytes) reply = NULL;
  g_autoptr (GError) error = NULL;

  reply_decide (config, message,
                message->mbox_sender ? message->mbox_sender
                                     : "reporter@example.net",
                &decision);
  if (decision.send)
    {
      ReplyReport report = {
        .message = message,
        .recipient = decision.recipient,
      };

      reply = reply_build (config, &report, &ticket, &message_id, &error);
      if (reply == NULL)
        {
          g_printerr ("fuzz-message: %s\n", error->message);
          abort ();
        }
    }
  reply_decision_clear (&decision);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  g_autoptr (Message) message = NULL;
  g_autoptr (Extraction) extraction = NULL;
  g_autoptr (Classification) classification = NULL;
  ExtractOptions extract_options = { 0 };
  ClassifyOptions classify_options = { (int) config->classify_min_score };

  message = message_parse ((const char *) data, size, &limits);
  poke_message (message);
  extract_options.reference_time
      = message->date_utc ? message->date_utc : RECEIVED;
  extract_options.reference_offset
      = message->date_utc ? message->date_offset : 0;
  extract_options.max_indicators = (guint) config->max_indicators;
  extract_options.max_timestamps = (guint) config->max_timestamps;
  extract_options.max_scan_text = (gsize) config->max_scan_text;
  extract_options.own_networks = own_networks;
  extraction = extract_run (rules, message, &extract_options);
  for (guint i = 0; i < extraction->indicators->len; i++)
    {
      const Indicator *ind = extraction->indicators->pdata[i];

      g_free (report_ports_string (ind->ports));
    }
  classification = classify_run (rules, message, extraction, &classify_options);
  acknowledge (message, classification);
  return 0;
}
