/*
 * cmd-deliver.c - `madoguchi deliver`: one message from an MTA pipe.
 *
 * Exit 75 (EX_TEMPFAIL) for every failure until the message is in
 * spool/new/; exit 0 once it is, whatever happens next: a message that
 * could not be filed waits in the spool for `madoguchi spool run`, and
 * the MTA must neither bounce it nor deliver it again.  Exit 0 means the
 * message survives a crash: it is committed to the database, or its
 * spool entry is synced first (spool.c: a delivery that files it saves
 * those syncs).  stderr stays terse because Postfix copies it into the
 * sender's notice; the detail goes to syslog.
 */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <unistd.h>

#include "madoguchi/command.h"
#include "madoguchi/output.h"
#include "madoguchi/intake.h"
#include "madoguchi/log.h"
#include "madoguchi/spool.h"

/* Set once the message is in new/: from then on the watchdog exits 0,
 * after syncing the entry and new/ (-1: synced already). */
static volatile sig_atomic_t deliver_spooled;
static int deliver_entry_fd = -1;
static int deliver_new_fd = -1;

static void
deliver_watchdog (int signo)
{
  (void) signo;
  /* Only async-signal-safe calls here.  A filing cut short rolls back
   * (SQLite's journal) and the spooled file waits for spool run. */
  if (!deliver_spooled
      || (deliver_entry_fd >= 0 && fsync (deliver_entry_fd) != 0)
      || (deliver_new_fd >= 0 && fsync (deliver_new_fd) != 0))
    _exit (EX_TEMPFAIL);
  _exit (EX_OK);
}

/* Gets the entry and new/ ready for the watchdog to sync; syncs them now
 * if it cannot. */
static gboolean
deliver_hold_entry (const char *spool_dir, const SpoolEntry *entry,
                    GError **error)
{
  g_autofree char *new_dir = g_build_filename (spool_dir, "new", NULL);

  deliver_entry_fd = open (entry->path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  deliver_new_fd = open (new_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (deliver_entry_fd >= 0 && deliver_new_fd >= 0)
    return TRUE;
  if (deliver_entry_fd >= 0)
    close (deliver_entry_fd);
  if (deliver_new_fd >= 0)
    close (deliver_new_fd);
  deliver_entry_fd = deliver_new_fd = -1; /* nothing left to sync */
  return spool_sync (spool_dir, entry, error);
}

static void
deliver_arm_watchdog (gint64 seconds)
{
  struct sigaction sa = { 0 };

  sa.sa_handler = deliver_watchdog;
  sigemptyset (&sa.sa_mask);
  sigaction (SIGALRM, &sa, NULL);
  alarm ((unsigned) seconds);
}

/* -f, else $SENDER as Postfix local(8) sets it.  "<>" is the null sender,
 * and so is MAILER-DAEMON: what Postfix pipe(8) passes for it as ${sender}
 * unless the transport sets null_sender= (the README.Debian recipe does
 * not), as an mbox From_ line does. */
static const char *
deliver_sender (const char *option)
{
  const char *sender = option ? option : g_getenv ("SENDER");

  if (g_strcmp0 (sender, "<>") == 0 || g_strcmp0 (sender, "MAILER-DAEMON") == 0)
    return "";
  return sender;
}

static const char *
deliver_recipient (const char *option)
{
  const char *recipient = option ? option : g_getenv ("ORIGINAL_RECIPIENT");

  return recipient ? recipient : g_getenv ("RECIPIENT");
}

/* In the detached process that empties the WAL after us: it must not
 * share our syslog connection (its descriptors are closed), nor run our
 * watchdog's handler (the store's own alarm kills it when it overstays). */
static gboolean
forget_deliver (void)
{
  log_close ();
  return signal (SIGALRM, SIG_DFL) != SIG_ERR;
}

/*
 * One line per delivery that says what became of it: a new ticket (and
 * its category) or a follow-up (and how it joined), the Message-ID, and
 * the acknowledgement's fate (sent, in the outbox Maildir, queued, or
 * why none).  What comes from the mail is made one safe line and cut.
 */
static void
log_filed (const SpoolEntry *entry, const IntakeResult *result)
{
  const StoreFiled *f = &result->filed;
  g_autofree char *id = output_safe (result->message_id);
  g_autofree char *ack = output_safe (f->ack);
  g_autofree char *what
      = f->followup
            ? g_strdup_printf ("a follow-up (%s)", f->thread)
            : g_strdup_printf ("a new ticket, category %s", result->category);

  if (f->duplicate)
    log_info ("%s: duplicate of %s size=%" G_GINT64_FORMAT, entry->id,
              f->number, entry->size);
  else
    log_info ("%s: filed as %s, %s, message-id <%.200s>, acknowledgement: "
              "%s; size=%" G_GINT64_FORMAT "%s%s",
              entry->id, f->number, what, id ? id : "", ack, entry->size,
              *result->flags ? " flags=" : "", result->flags);
}

/*
 * Files the spooled entry; whether it is in the database now.  Only a
 * committed filing says so: one that rolled back (a full disk failing
 * the COMMIT, or an INSERT after the ticket was numbered) leaves the
 * message to the spool, which the caller must then sync before exit 0.
 */
static gboolean
deliver_file (Context *ctx, SpoolEntry *entry)
{
  g_autoptr (GError) error = NULL;
  Store *store = context_open_store (ctx, &error);
  g_autoptr (RuleSet) rules = intake_load_rules (ctx->config);
  Intake intake = { .config = ctx->config,
                    .rules = rules,
                    .store = store,
                    .who = "deliver",
                    .acknowledge = TRUE };
  IntakeResult result = { 0 };
  gboolean done
      = store != NULL && intake_file (&intake, entry, &result, &error);
  gboolean in_store = intake_result_in_store (&result);

  if (done)
    log_filed (entry, &result);
  else if (in_store)
    log_warn ("%s: filed as %s but still in the spool: %s", entry->id,
              result.filed.number, error->message);
  else
    log_warn ("%s: not filed, kept in the spool for 'madoguchi spool run': "
              "%s",
              entry->id, error->message);
  intake_result_clear (&result);
  store_close_detached (store, forget_deliver);
  return in_store;
}

/* No operand: one pipe(8) delivery for two recipients passes the second
 * as a stray word after -a (a recipe without
 * madoguchi_destination_recipient_limit = 1).  75, so that the MTA keeps
 * the message and shows why, rather than filing it for one of them. */
static gboolean
deliver_no_operands (int argc, char **argv)
{
  if (argc <= 1)
    return TRUE;
  log_error ("deliver: unexpected argument \"%s\" (one recipient per "
             "delivery: madoguchi_destination_recipient_limit = 1)",
             argv[1]);
  fprintf (stderr, "madoguchi: unexpected argument \"%s\"\n", argv[1]);
  return FALSE;
}

int
cmd_deliver (Context *ctx, int argc, char **argv)
{
  g_autofree char *sender = NULL;
  g_autofree char *recipient = NULL;
  const GOptionEntry entries[] = {
    { "from", 'f', 0, G_OPTION_ARG_STRING, &sender,
      "envelope sender (\"\" or \"<>\" for a bounce)", "SENDER" },
    { "recipient", 'a', 0, G_OPTION_ARG_STRING, &recipient,
      "envelope recipient", "RECIPIENT" },
    G_OPTION_ENTRY_NULL,
  };
  g_autoptr (GError) error = NULL;
  g_autoptr (SpoolEntry) entry = NULL;
  g_autofree char *spool_dir = config_spool_dir (ctx->config);

  deliver_arm_watchdog (ctx->config->deliver_timeout);
  if (!context_parse (ctx, entries, &argc, &argv)
      || !deliver_no_operands (argc, argv))
    return EX_TEMPFAIL;
  if (spool_ensure (spool_dir, &error))
    entry = spool_receive (
        spool_dir, STDIN_FILENO,
        &(SpoolEnvelope){ .sender = deliver_sender (sender),
                          .recipient = deliver_recipient (recipient) },
        &(SpoolLimits){ .max_size = ctx->config->max_message_size,
                        .min_free = ctx->config->min_free_space },
        &error);
  if (entry == NULL || !deliver_hold_entry (spool_dir, entry, &error))
    {
      if (entry != NULL)
        unlink (entry->path); /* not known to be durable: the MTA retries */
      log_error ("cannot spool message: %s", error->message);
      fprintf (stderr, "madoguchi: temporary failure, please retry\n");
      return EX_TEMPFAIL;
    }
  deliver_spooled = 1;
  if (!deliver_file (ctx, entry) && !spool_sync (spool_dir, entry, &error))
    {
      /* It stays in new/ but may not survive a crash: the MTA retries
       * (spool run or the retry files it; the second is a duplicate). */
      log_error ("%s: cannot sync the spool: %s", entry->id, error->message);
      fprintf (stderr, "madoguchi: temporary failure, please retry\n");
      return EX_TEMPFAIL;
    }
  return EX_OK;
}
