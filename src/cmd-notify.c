/*
 * cmd-notify.c - `madoguchi notify NUMBER`: tell the sites involved in a
 * ticket, each about its own addresses only; and `madoguchi
 * notifications`: what was sent and what still awaits an answer.
 *
 * Exit codes: 0 when every site with a contact was notified (or had
 * been); EX_NOINPUT for an unknown ticket; EX_DATAERR for a ticket with
 * nothing to notify about; EX_UNAVAILABLE when a site could not be told
 * (no contact for any address, a contact without an e-mail address, a
 * failure to queue): the others were still notified.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "madoguchi/command.h"
#include "madoguchi/csv.h"
#include "madoguchi/intake-notify.h"
#include "madoguchi/json.h"
#include "madoguchi/notify.h"
#include "madoguchi/output.h"
#include "madoguchi/print.h"
#include "madoguchi/store-notify.h"

static int
notify_fail (const GError *error)
{
  fprintf (stderr, "madoguchi notify: %s\n", error->message);
  if (error->domain == STORE_ERROR && error->code == STORE_ERROR_NOT_FOUND)
    return EX_NOINPUT;
  if (error->domain == NOTIFY_ERROR && error->code == NOTIFY_ERROR_NO_ADDRESSES)
    return EX_DATAERR;
  if (error->domain == NOTIFY_ERROR || error->domain == G_FILE_ERROR)
    return EX_CONFIG;
  return exit_status_from_error (error);
}

static void
outcome_json (JsonWriter *w, const NotifyOutcome *o)
{
  g_auto (GStrv) addresses = g_strsplit (o->addresses, ",", -1);

  json_begin_object (w);
  json_member_string (w, "contact", o->contact);
  json_member_string (w, "name", o->name);
  json_member_string (w, "email", o->email);
  json_member_string (w, "language", o->language);
  json_key (w, "addresses");
  json_begin_array (w);
  for (guint i = 0; addresses[i] != NULL; i++)
    json_string (w, addresses[i]);
  json_end_array (w);
  json_member_string (w, "status", o->status);
  json_member_string (w, "message_id", o->message_id);
  json_member_string (w, "error", o->why);
  json_member_string (w, "text", o->text);
  json_end_object (w);
}

static void
report_json (const NotifyReport *r, gboolean dry_run)
{
  JsonWriter w;
  g_autofree char *text = NULL;

  json_init (&w);
  json_begin_object (&w);
  json_member_string (&w, "ticket", r->number);
  json_member_bool (&w, "dry_run", dry_run);
  json_key (&w, "notifications");
  json_begin_array (&w);
  for (guint i = 0; i < r->outcomes->len; i++)
    outcome_json (&w, r->outcomes->pdata[i]);
  json_end_array (&w);
  json_key (&w, "not_notified");
  json_begin_array (&w);
  for (guint i = 0; i < r->not_notified->len; i++)
    json_string (&w, r->not_notified->pdata[i]);
  json_end_array (&w);
  json_end_object (&w);
  text = json_finish (&w);
  printf ("%s\n", text);
}

static void
report_text (const NotifyReport *r, gboolean dry_run)
{
  for (guint i = 0; i < r->outcomes->len; i++)
    {
      const NotifyOutcome *o = r->outcomes->pdata[i];
      g_autofree char *email = output_safe (o->email);

      printf ("%s: %s %s (%s) about %s%s%s\n", r->number, o->status,
              *o->email ? email : "-", o->contact ? o->contact : "--to",
              o->addresses, o->why ? ": " : "", o->why ? o->why : "");
      if (strcmp (o->status, "already notified") == 0)
        printf ("  (Message-ID <%s>; --again sends it again)\n", o->message_id);
      if (dry_run && o->text != NULL)
        printf ("\n%s\n", o->text);
    }
  for (guint i = 0; i < r->not_notified->len; i++)
    printf ("%s: not notified %s (no contact)\n", r->number,
            (char *) r->not_notified->pdata[i]);
}

/* --format csv: a row a site, then a row an address without a contact
 * (status "no contact"); the text only in a dry run, as in JSON. */
static void
report_csv (const NotifyReport *r)
{
  g_auto (CsvRecord) c;

  csv_init (&c);
  fputs ("ticket,contact,name,email,language,addresses,status,message_id,"
         "error,text\n",
         stdout);
  for (guint i = 0; i < r->outcomes->len; i++)
    {
      const NotifyOutcome *o = r->outcomes->pdata[i];

      csv_text (&c, r->number);
      csv_text (&c, o->contact);
      csv_text (&c, o->name);
      csv_text (&c, o->email);
      csv_text (&c, o->language);
      csv_text (&c, o->addresses);
      csv_text (&c, o->status);
      csv_text (&c, o->message_id);
      csv_text (&c, o->why);
      csv_text (&c, o->text);
      csv_end (&c, stdout);
    }
  for (guint i = 0; i < r->not_notified->len; i++)
    {
      csv_text (&c, r->number);
      for (int k = 0; k < 4; k++)
        csv_empty (&c);
      csv_text (&c, r->not_notified->pdata[i]);
      csv_text (&c, "no contact");
      for (int k = 0; k < 3; k++)
        csv_empty (&c);
      csv_end (&c, stdout);
    }
}

/* EX_UNAVAILABLE when a site was not told, else 0. */
static int
report_status (const NotifyReport *r)
{
  int status = r->outcomes->len == 0 ? EX_UNAVAILABLE : EX_OK;

  for (guint i = 0; i < r->outcomes->len; i++)
    {
      const NotifyOutcome *o = r->outcomes->pdata[i];

      if (strcmp (o->status, "no email") == 0
          || strcmp (o->status, "failed") == 0)
        status = EX_UNAVAILABLE;
      if (strcmp (o->status, "no email") == 0)
        fprintf (stderr,
                 "madoguchi notify: contact %s has no email "
                 "address: not notified (--to ADDRESS names one)\n",
                 o->contact);
    }
  if (r->outcomes->len == 0)
    fprintf (stderr,
             "madoguchi notify: %s: no contact answers for any of "
             "its addresses: nothing sent ('madoguchi contacts import', or "
             "--to ADDRESS)\n",
             r->number);
  return status;
}

static void
report_print (OutputFormat format, const NotifyReport *r, gboolean dry_run)
{
  if (format == OUTPUT_FORMAT_JSON)
    report_json (r, dry_run);
  else if (format == OUTPUT_FORMAT_CSV)
    report_csv (r);
  else
    report_text (r, dry_run);
}

int
cmd_notify (Context *ctx, int argc, char **argv)
{
  NotifyOptions opt = { 0 };
  char *to = NULL;
  char *language = NULL;
  const GOptionEntry entries[] = {
    { "dry-run", 'n', 0, G_OPTION_ARG_NONE, &opt.dry_run,
      "show what would be sent, send nothing", NULL },
    { "to", 0, 0, G_OPTION_ARG_STRING, &to,
      "send one notification about all the addresses to ADDRESS", "ADDRESS" },
    { "language", 0, 0, G_OPTION_ARG_STRING, &language,
      "with --to: ja or en (default en)", "LANG" },
    { "again", 0, 0, G_OPTION_ARG_NONE, &opt.again,
      "send again what was sent before", NULL },
    G_OPTION_ENTRY_NULL,
  };
  g_autoptr (GError) error = NULL;
  g_autoptr (NotifyReport) report = NULL;
  g_autofree char *to_owned = NULL;
  g_autofree char *language_owned = NULL;
  gboolean parsed;

  parsed = context_parse (ctx, entries, &argc, &argv);
  to_owned = to;
  language_owned = language;
  if (!parsed)
    return EX_USAGE;
  if (argc != 2
      || (language && strcmp (language, "ja") != 0
          && strcmp (language, "en") != 0)
      || (to != NULL && strchr (to, '@') == NULL))
    {
      fprintf (stderr, "usage: madoguchi notify [--dry-run] [--to ADDRESS "
                       "[--language ja|en]] [--again] [--format F] "
                       "NUMBER\n");
      return EX_USAGE;
    }
  opt.to = to;
  opt.language = language;
  opt.who = ctx->actor;
  report = intake_notify (ctx->config, ctx->store, argv[1], &opt, &error);
  if (report == NULL)
    return notify_fail (error);
  report_print (ctx->format, report, opt.dry_run);
  return report_status (report);
}

static void
notifications_table (GPtrArray *list)
{
  printf ("%-11s  %-16s  %-8s %s\n", "NUMBER", "CREATED", "STATUS",
          "EMAIL, ADDRESSES");
  for (guint i = 0; i < list->len; i++)
    {
      const StoreNotification *n = list->pdata[i];
      g_autofree char *when = output_time (n->created);
      g_autofree char *email = output_safe (n->email);

      printf ("%-11s  %-16s  %-8s %s about %s\n", n->number, when, n->status,
              email, n->addresses);
    }
}

static void
notifications_csv (GPtrArray *list)
{
  g_auto (CsvRecord) r;

  csv_init (&r);
  fputs ("ticket,contact,email,addresses,message_id,status,created,sent,"
         "answered\n",
         stdout);
  for (guint i = 0; i < list->len; i++)
    {
      const StoreNotification *n = list->pdata[i];
      g_autofree char *created = output_time_iso (n->created);
      g_autofree char *sent = n->sent ? output_time_iso (n->sent) : NULL;
      g_autofree char *answered
          = n->answered ? output_time_iso (n->answered) : NULL;

      csv_text (&r, n->number);
      csv_text (&r, n->contact);
      csv_text (&r, n->email);
      csv_text (&r, n->addresses);
      csv_text (&r, n->message_id);
      csv_text (&r, n->status);
      csv_text (&r, created);
      csv_text (&r, sent);
      csv_text (&r, answered);
      csv_end (&r, stdout);
    }
}

static void
notify_print_list (GPtrArray *list, OutputFormat format)
{
  JsonWriter w;
  g_autofree char *text = NULL;

  if (format == OUTPUT_FORMAT_TABLE)
    {
      notifications_table (list);
      return;
    }
  if (format == OUTPUT_FORMAT_CSV)
    {
      notifications_csv (list);
      return;
    }
  json_init (&w);
  json_begin_array (&w);
  for (guint i = 0; i < list->len; i++)
    print_notification_json (&w, list->pdata[i]);
  json_end_array (&w);
  text = json_finish (&w);
  printf ("%s\n", text);
}

int
cmd_notifications (Context *ctx, int argc, char **argv)
{
  gint days = -1;
  const GOptionEntry entries[] = {
    { "unanswered", 0, 0, G_OPTION_ARG_INT, &days,
      "only those sent at least DAYS days ago (0: any age)", "DAYS" },
    G_OPTION_ENTRY_NULL,
  };
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) list = NULL;
  gint64 before;

  if (!context_parse (ctx, entries, &argc, &argv))
    return EX_USAGE;
  if (argc != 1 || days < -1)
    {
      fprintf (stderr, "usage: madoguchi notifications [--unanswered DAYS] "
                       "[--format F]\n");
      return EX_USAGE;
    }
  before = days > 0 ? (gint64) time (NULL) - (gint64) days * 86400 : 0;
  list = store_notifications_awaiting (ctx->store, before, &error);
  if (list == NULL)
    return command_fail (error);
  notify_print_list (list, ctx->format);
  return EX_OK;
}
