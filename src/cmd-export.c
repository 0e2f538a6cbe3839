/*
 * cmd-export.c - `madoguchi export`: the tickets of a period for other
 * tools, oldest first, written as they are read (a ticket at a time).
 *
 * JSON Lines (the default) carries everything a ticket holds but the raw
 * messages: its fields (its incident, and the ticket it was merged into,
 * by number), its messages with their decoded text, and its indicators.
 * A merged ticket is exported too, empty: its messages moved.
 * CSV is one row per ticket for a spreadsheet: list's columns (number,
 * created in ISO 8601 UTC, status, category, owner, reporter, subject)
 * and the indicator values joined by spaces.  Times are UTC: an export
 * is read elsewhere, where the operator's time zone means nothing.  A
 * table is list's, oldest first, for a look before exporting.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "madoguchi/command.h"
#include "madoguchi/csv.h"
#include "madoguchi/export.h"
#include "madoguchi/json.h"
#include "madoguchi/output.h"
#include "madoguchi/print.h"
#include "madoguchi/stats.h"

/* As in schema.sql's CHECK. */
static const char *const statuses[]
    = { "new", "open", "stalled", "resolved", "rejected", NULL };

static const char *
reporter_of (const StoreTicket *t)
{
  return t->reporter ? t->reporter : t->reporter_name;
}

static void
jsonl_message (JsonWriter *w, const StoreMessage *m)
{
  json_begin_object (w);
  json_member_string (w, "message_id", m->message_id);
  json_member_string (w, "direction", m->direction);
  json_member_string (w, "from", m->from);
  json_member_string (w, "from_addr", m->from_addr);
  json_member_string (w, "subject", m->subject);
  json_member_string (w, "date", m->date);
  print_json_time (w, "received", m->received);
  json_member_string (w, "text", m->text);
  json_end_object (w);
}

static void
jsonl_indicator (JsonWriter *w, const StoreIndicator *ind)
{
  json_begin_object (w);
  json_member_string (w, "kind", ind->kind);
  json_member_string (w, "value", ind->value);
  json_member_int (w, "count", ind->count);
  print_json_time (w, "first_seen", ind->first_seen);
  print_json_time (w, "last_seen", ind->last_seen);
  json_end_object (w);
}

static void
jsonl_fields (JsonWriter *w, const StoreTicket *t)
{
  json_member_string (w, "number", t->number);
  print_json_time (w, "created", t->created);
  print_json_time (w, "updated", t->updated);
  json_member_string (w, "status", t->status);
  json_member_string (w, "category", t->category);
  json_member_string (w, "category_by", t->category_by);
  json_member_string (w, "auto_category", t->auto_category);
  json_member_string (w, "owner", t->owner);
  json_member_string (w, "reporter", t->reporter);
  json_member_string (w, "reporter_name", t->reporter_name);
  json_member_string (w, "subject", t->subject);
  json_member_string (w, "incident", t->incident);
  json_member_string (w, "merged_into", t->merged_into);
}

/* One ticket, one line: the JSON writer escapes every line break. */
static gboolean
write_jsonl (const ExportTicket *t, gpointer data, GError **error)
{
  JsonWriter w;
  g_autofree char *text = NULL;

  json_init (&w);
  json_begin_object (&w);
  jsonl_fields (&w, t->ticket);
  json_key (&w, "messages");
  json_begin_array (&w);
  for (guint i = 0; i < t->messages->len; i++)
    jsonl_message (&w, t->messages->pdata[i]);
  json_end_array (&w);
  json_key (&w, "indicators");
  json_begin_array (&w);
  for (guint i = 0; i < t->indicators->len; i++)
    jsonl_indicator (&w, t->indicators->pdata[i]);
  json_end_array (&w);
  json_end_object (&w);
  text = json_finish (&w);
  if (fputs (text, stdout) != EOF && putchar ('\n') != EOF)
    return TRUE;
  g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (errno),
               "cannot write: %s", g_strerror (errno));
  return FALSE;
}

static gboolean
write_csv (const ExportTicket *t, gpointer data, GError **error)
{
  CsvRecord *r = data;
  const StoreTicket *ticket = t->ticket;
  g_autofree char *created = output_time_iso (ticket->created);
  g_autoptr (GString) values = g_string_new (NULL);

  for (guint i = 0; i < t->indicators->len; i++)
    {
      const StoreIndicator *ind = t->indicators->pdata[i];

      if (i > 0)
        g_string_append_c (values, ' ');
      g_string_append (values, ind->value);
    }
  csv_text (r, ticket->number);
  csv_text (r, created);
  csv_text (r, ticket->status);
  csv_text (r, ticket->category);
  csv_text (r, ticket->owner);
  csv_text (r, reporter_of (ticket));
  csv_text (r, ticket->subject);
  csv_text (r, values->str);
  if (csv_end (r, stdout))
    return TRUE;
  g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (errno),
               "cannot write: %s", g_strerror (errno));
  return FALSE;
}

static gboolean
export_csv (Store *store, ExportFilter *filter, GError **error)
{
  static const char *const header[]
      = { "number",   "created", "status",     "category", "owner",
          "reporter", "subject", "indicators", NULL };
  g_auto (CsvRecord) r = { 0 };

  csv_init (&r);
  for (gsize i = 0; header[i] != NULL; i++)
    csv_text (&r, header[i]);
  csv_end (&r, stdout);
  filter->messages = FALSE; /* their text is not in the CSV: skip it */
  return store_export (store, filter, write_csv, &r, error);
}

/* --format table: list's table of the same tickets, oldest first. */
static gboolean
export_table (Store *store, const ExportFilter *filter, GError **error)
{
  StoreFilter f = {
    .since = filter->since,
    .until = filter->until == G_MAXINT64 ? 0 : filter->until,
    .category = filter->category,
    .status = filter->status,
    .ascending = TRUE,
  };
  g_autoptr (GPtrArray) tickets = store_list_tickets (store, &f, error);

  if (tickets == NULL)
    return FALSE;
  print_tickets (tickets, OUTPUT_FORMAT_TABLE);
  return TRUE;
}

static gboolean
check_options (const char *category, const char *status)
{
  if (category != NULL && report_category_index (category) < 0)
    fprintf (stderr,
             "madoguchi export: \"%s\" is not a category (dos, "
             "ddos, spoofing, abuse, intrusion, scan, other)\n",
             category);
  else if (status != NULL && !g_strv_contains (statuses, status))
    fprintf (stderr,
             "madoguchi export: \"%s\" is not a status (new, open, "
             "stalled, resolved, rejected)\n",
             status);
  else
    return TRUE;
  return FALSE;
}

static int
run_export (Context *ctx, ExportFilter *filter)
{
  g_autoptr (GError) error = NULL;
  Store *store = ctx->store;
  gboolean ok;

  filter->messages = TRUE;
  /* JSON Lines unless another format was asked for. */
  if (ctx->format_name == NULL && !ctx->json)
    ctx->format = OUTPUT_FORMAT_JSON;
  if (ctx->format == OUTPUT_FORMAT_CSV)
    ok = export_csv (store, filter, &error);
  else if (ctx->format == OUTPUT_FORMAT_TABLE)
    ok = export_table (store, filter, &error);
  else
    ok = store_export (store, filter, write_jsonl, NULL, &error);
  if (ok && (fflush (stdout) != 0 || ferror (stdout)))
    {
      g_set_error (&error, G_FILE_ERROR, g_file_error_from_errno (errno),
                   "cannot write: %s", g_strerror (errno));
      ok = FALSE;
    }
  if (ok)
    return EX_OK;
  fprintf (stderr, "madoguchi export: %s\n", error->message);
  return error->domain == G_FILE_ERROR ? EX_IOERR
                                       : exit_status_from_error (error);
}

int
cmd_export (Context *ctx, int argc, char **argv)
{
  g_autofree char *since = NULL;
  g_autofree char *until = NULL;
  g_autofree char *category = NULL;
  g_autofree char *status = NULL;
  const GOptionEntry entries[] = {
    { "since", 0, 0, G_OPTION_ARG_STRING, &since,
      "created from DATE (2026-11-01 or 2026-11, local time) or AGE (30d, "
      "12h, 2w); default: the first ticket",
      "WHEN" },
    { "until", 0, 0, G_OPTION_ARG_STRING, &until,
      "through DATE (that day or month included), or up to AGE", "WHEN" },
    { "category", 0, 0, G_OPTION_ARG_STRING, &category,
      "only tickets of category CAT", "CAT" },
    { "status", 0, 0, G_OPTION_ARG_STRING, &status,
      "only tickets of status S (new open stalled resolved rejected)", "S" },
    G_OPTION_ENTRY_NULL,
  };
  g_autoptr (GError) error = NULL;
  StatsRange range;
  ExportFilter filter = { 0 };

  if (!context_parse (ctx, entries, &argc, &argv))
    return EX_USAGE;
  if (argc != 1)
    fprintf (stderr, "madoguchi export: unexpected argument \"%s\"\n", argv[1]);
  if (argc != 1 || !check_options (category, status))
    return EX_USAGE;
  if (!stats_parse_range (since, until, FALSE, &range, &error))
    return command_fail (error);
  filter = (ExportFilter){ .since = range.since,
                           .until = range.until,
                           .category = category,
                           .status = status,
                           .messages = TRUE };
  return run_export (ctx, &filter);
}
