/*
 * print.c - the evidence of a ticket or of a dry run, for people and for
 * scripts.  Addresses come first, with their scope, ports and the event
 * times seen on their lines; then the times; then the log excerpts.
 * Every text from the mail goes to the terminal through output.h's
 * output_cell() or output_safe().
 */
#include "madoguchi/print.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "madoguchi/csv.h"

#include "madoguchi/output.h"

GPtrArray *
print_indicator_rows (const Extraction *x)
{
  GPtrArray *rows
      = g_ptr_array_new_with_free_func ((GDestroyNotify) store_indicator_free);

  for (guint i = 0; i < x->indicators->len; i++)
    {
      const Indicator *ind = x->indicators->pdata[i];
      StoreIndicator *row = g_new0 (StoreIndicator, 1);

      row->kind = g_strdup (ind->kind);
      row->value = g_strdup (ind->value);
      row->scope = g_strdup (ind->scope);
      row->own = ind->own;
      row->count = ind->count;
      row->ports = report_ports_string (ind->ports);
      row->first_seen = ind->first_seen;
      row->last_seen = ind->last_seen;
      row->context = g_strdup (ind->context);
      row->role = g_strdup (ind->role);
      row->asn = ind->asn;
      g_ptr_array_add (rows, row);
    }
  return rows;
}

static void
print_indicator (const StoreIndicator *ind)
{
  g_autoptr (GString) line = g_string_new ("  ");
  g_autofree char *first = output_time_iso (ind->first_seen);
  g_autofree char *last = output_time_iso (ind->last_seen);

  g_string_append_printf (line, "%-6s ", ind->kind);
  output_cell (line, ind->value, 40, TRUE);
  g_string_append_printf (line, " %4" G_GINT64_FORMAT "x", ind->count);
  if (ind->scope != NULL)
    g_string_append_printf (line, "  %s%s%s", ind->scope,
                            ind->own ? ", OURS" : "",
                            ind->role ? ", SOURCE" : "");
  if (ind->asn > 0)
    g_string_append_printf (line, "  AS%" G_GINT64_FORMAT, ind->asn);
  if (ind->ports != NULL)
    g_string_append_printf (line, "  port %s", ind->ports);
  if (ind->first_seen != 0)
    g_string_append_printf (line, "  %s", first);
  if (ind->last_seen != ind->first_seen)
    g_string_append_printf (line, " .. %s", last);
  printf ("%s\n", line->str);
}

static void
print_timestamp (const Timestamp *t)
{
  g_autofree char *utc = output_time_iso (t->utc);
  g_autoptr (GString) line = g_string_new (NULL);

  output_cell (line, t->original, 40, TRUE);
  printf ("  %s  %s%s\n", utc, line->str,
          t->zone_assumed ? "  (zone assumed)" : "");
}

static void
print_excerpt (const Excerpt *e)
{
  g_auto (GStrv) lines = g_strsplit (e->text, "\n", -1);

  printf ("  part %u, lines %u-%u:\n", e->part, e->first_line, e->last_line);
  for (guint i = 0; lines[i] != NULL; i++)
    {
      g_autoptr (GString) line = g_string_new (NULL);

      output_cell (line, lines[i], 160, FALSE);
      printf ("    %s\n", line->str);
    }
}

void
print_headers (const char *subject, const char *from, const char *date)
{
  g_autofree char *safe_subject = output_safe (subject);
  g_autofree char *safe_from = output_safe (from);
  g_autofree char *safe_date = output_safe (date);

  printf ("Subject: %s\nFrom:    %s\nDate:    %s\n", safe_subject, safe_from,
          safe_date);
}

void
print_evidence (GPtrArray *indicators, GPtrArray *timestamps,
                GPtrArray *excerpts)
{
  printf ("\nIndicators (%u):\n", indicators->len);
  for (guint i = 0; i < indicators->len; i++)
    print_indicator (indicators->pdata[i]);
  printf ("\nEvent times, UTC (%u):\n", timestamps->len);
  for (guint i = 0; i < timestamps->len; i++)
    {
      /* A long log is summarised by its first and last times. */
      if (timestamps->len > 10 && i == 5)
        {
          printf ("  ... %u more ...\n", timestamps->len - 10);
          i = timestamps->len - 5;
        }
      print_timestamp (timestamps->pdata[i]);
    }
  printf ("\nLog excerpts (%u):\n", excerpts->len);
  for (guint i = 0; i < excerpts->len; i++)
    print_excerpt (excerpts->pdata[i]);
}

void
print_json_time (JsonWriter *w, const char *key, gint64 t)
{
  g_autofree char *iso = t ? output_time_iso (t) : NULL;

  json_key (w, key);
  json_string (w, iso);
}

static void
json_indicator (JsonWriter *w, const StoreIndicator *ind)
{
  json_begin_object (w);
  json_member_string (w, "kind", ind->kind);
  json_member_string (w, "value", ind->value);
  json_member_string (w, "scope", ind->scope);
  json_member_bool (w, "own", ind->own);
  json_member_string (w, "role", ind->role);
  json_member_int (w, "count", ind->count);
  json_member_string (w, "ports", ind->ports);
  print_json_time (w, "first_seen", ind->first_seen);
  print_json_time (w, "last_seen", ind->last_seen);
  json_member_string (w, "context", ind->context);
  if (ind->asn > 0)
    json_member_int (w, "asn", ind->asn);
  else
    json_member_string (w, "asn", NULL);
  json_end_object (w);
}

static void
json_timestamp (JsonWriter *w, const Timestamp *t)
{
  json_begin_object (w);
  print_json_time (w, "utc", t->utc);
  json_member_string (w, "original", t->original);
  json_member_string (w, "rule", t->rule);
  json_member_bool (w, "zone_assumed", t->zone_assumed);
  json_member_int (w, "line", t->line);
  json_end_object (w);
}

static void
json_excerpt (JsonWriter *w, const Excerpt *e)
{
  json_begin_object (w);
  json_member_int (w, "part", e->part);
  json_member_int (w, "first_line", e->first_line);
  json_member_int (w, "last_line", e->last_line);
  json_member_string (w, "text", e->text);
  json_end_object (w);
}

void
print_evidence_json (JsonWriter *w, GPtrArray *indicators,
                     GPtrArray *timestamps, GPtrArray *excerpts)
{
  json_key (w, "indicators");
  json_begin_array (w);
  for (guint i = 0; i < indicators->len; i++)
    json_indicator (w, indicators->pdata[i]);
  json_end_array (w);
  json_key (w, "timestamps");
  json_begin_array (w);
  for (guint i = 0; i < timestamps->len; i++)
    json_timestamp (w, timestamps->pdata[i]);
  json_end_array (w);
  json_key (w, "excerpts");
  json_begin_array (w);
  for (guint i = 0; i < excerpts->len; i++)
    json_excerpt (w, excerpts->pdata[i]);
  json_end_array (w);
}

void
print_classification (const char *category, const char *set_by,
                      const char *auto_category, GPtrArray *reasons,
                      GPtrArray *form)
{
  printf ("%-11s %s (set by %s", "Category", category, set_by);
  if (g_strcmp0 (auto_category, category) != 0)
    printf ("; the rules said %s", auto_category);
  printf (")\n");
  for (guint i = 0; i < reasons->len && i < 8; i++)
    {
      const ClassifyReason *r = reasons->pdata[i];
      g_autoptr (GString) matched = g_string_new (NULL);

      output_cell (matched, r->matched, 40, FALSE);
      printf ("            %+3d %-9s %-22s %s: \"%s\"\n", r->score, r->category,
              r->rule, r->where, matched->str);
    }
  if (reasons->len > 8)
    printf ("            ... %u more\n", reasons->len - 8);
  for (guint i = 0; i < form->len; i++)
    {
      const FormField *f = form->pdata[i];
      g_autoptr (GString) value = g_string_new (NULL);
      g_autofree char *name = output_safe (f->name);

      output_cell (value, f->value, 100, FALSE);
      printf ("%-11s %s: %s\n", i == 0 ? "Form" : "", name, value->str);
    }
}

void
print_classification_json (JsonWriter *w, GPtrArray *reasons, GPtrArray *form)
{
  json_key (w, "reasons");
  json_begin_array (w);
  for (guint i = 0; i < reasons->len; i++)
    {
      const ClassifyReason *r = reasons->pdata[i];

      json_begin_object (w);
      json_member_string (w, "rule", r->rule);
      json_member_string (w, "category", r->category);
      json_member_int (w, "score", r->score);
      json_member_string (w, "where", r->where);
      json_member_string (w, "matched", r->matched);
      json_end_object (w);
    }
  json_end_array (w);
  json_key (w, "form");
  json_begin_object (w);
  for (guint i = 0; i < form->len; i++)
    {
      const FormField *f = form->pdata[i];

      json_key (w, f->name);
      json_string (w, f->value);
    }
  json_end_object (w);
}

void
print_ticket_json (JsonWriter *w, const StoreTicket *t)
{
  json_member_string (w, "number", t->number);
  print_json_time (w, "created", t->created);
  json_member_string (w, "status", t->status);
  json_member_bool (w, "reply_waiting", t->reply_waiting);
  json_member_string (w, "category", t->category);
  json_member_string (w, "owner", t->owner);
  json_member_string (w, "reporter",
                      t->reporter ? t->reporter : t->reporter_name);
  json_member_string (w, "subject", t->subject);
  json_member_string (w, "incident", t->incident);
  json_member_string (w, "encryption", t->encryption);
  json_member_string (w, "signature", t->signature);
  json_member_string (w, "signer", t->signer);
}

void
print_notification_json (JsonWriter *w, const StoreNotification *n)
{
  g_autofree char *created = output_time_iso (n->created);
  g_autofree char *sent = n->sent ? output_time_iso (n->sent) : NULL;
  g_autofree char *answered
      = n->answered ? output_time_iso (n->answered) : NULL;

  json_begin_object (w);
  json_member_string (w, "ticket", n->number);
  json_member_string (w, "contact", n->contact);
  json_member_string (w, "email", n->email);
  json_member_string (w, "addresses", n->addresses);
  json_member_string (w, "message_id", n->message_id);
  json_member_string (w, "status", n->status);
  json_member_string (w, "created", created);
  json_member_string (w, "sent", sent);
  json_member_string (w, "answered", answered);
  json_end_object (w);
}

static const char *
reporter_of (const StoreTicket *t)
{
  return t->reporter ? t->reporter : t->reporter_name;
}

static void
tickets_json (GPtrArray *tickets)
{
  JsonWriter w;
  g_autofree char *text = NULL;

  json_init (&w);
  json_begin_array (&w);
  for (guint i = 0; i < tickets->len; i++)
    {
      json_begin_object (&w);
      print_ticket_json (&w, tickets->pdata[i]);
      json_end_object (&w);
    }
  json_end_array (&w);
  text = json_finish (&w);
  printf ("%s\n", text);
}

#define TICKET_CSV_HEADER                                                      \
  "number,created,status,category,owner,reporter,subject"

/* A ticket's columns of a CSV record: TICKET_CSV_HEADER. */
static void
ticket_csv_fields (CsvRecord *record, const StoreTicket *t)
{
  g_autofree char *created = output_time_iso (t->created);

  csv_text (record, t->number);
  csv_text (record, created);
  csv_text (record, t->status);
  csv_text (record, t->category);
  csv_text (record, t->owner);
  csv_text (record, reporter_of (t));
  csv_text (record, t->subject);
}

static void
tickets_csv (GPtrArray *tickets)
{
  g_auto (CsvRecord) record;

  csv_init (&record);
  fputs (TICKET_CSV_HEADER "\n", stdout);
  for (guint i = 0; i < tickets->len; i++)
    {
      ticket_csv_fields (&record, tickets->pdata[i]);
      csv_end (&record, stdout);
    }
}

/* ANSI colour for a status, on a terminal that wants colour. */
static const char *
status_colour (const char *status, gboolean colour)
{
  if (!colour)
    return "";
  if (strcmp (status, "new") == 0)
    return "\033[1;31m";
  if (strcmp (status, "open") == 0)
    return "\033[33m";
  if (strcmp (status, "resolved") == 0 || strcmp (status, "rejected") == 0)
    return "\033[32m";
  return "\033[36m";
}

/* The widths of the table's last three columns, for a terminal of width
 * columns (0: no limit). */
static void
tickets_widths (gsize width, gsize *owner, gsize *reporter, gsize *subject)
{
  /* NUMBER, CREATED, STATUS, CATEGORY and the gaps after them and
   * between the last three. */
  const gsize fixed = 11 + 16 + 8 + 9 + 6 * 2;
  gsize room = width > fixed ? width - fixed : 0;

  *owner = 10;
  *reporter = 24;
  *subject = 60;
  if (width == 0)
    return;
  *owner = CLAMP (room / 6, 5, 10);
  *reporter = CLAMP (room / 3, 8, 24);
  *subject = MAX (room > *owner + *reporter ? room - *owner - *reporter : 0, 8);
}

static void
tickets_table (GPtrArray *tickets)
{
  g_autoptr (GString) line = g_string_new (NULL);
  gboolean colour = isatty (STDOUT_FILENO) && g_getenv ("NO_COLOR") == NULL;
  gsize owner, reporter, subject;

  tickets_widths (output_terminal_width (), &owner, &reporter, &subject);
  printf ("%-11s  %-16s  %-8s  %-9s  %-*s  %-*s  %s\n", "NUMBER", "CREATED",
          "STATUS", "CATEGORY", (int) owner, "OWNER", (int) reporter,
          "REPORTER", "SUBJECT");
  for (guint i = 0; i < tickets->len; i++)
    {
      const StoreTicket *t = tickets->pdata[i];
      g_autofree char *created = output_time (t->created);
      /* "resolved*": a reply waits for an operator (not reopened). */
      g_autofree char *status
          = g_strconcat (t->status, t->reply_waiting ? "*" : "", NULL);

      g_string_truncate (line, 0);
      g_string_append_printf (line, "%-11s  %-16s  %s%-8s%s  %-9s  ", t->number,
                              created, status_colour (t->status, colour),
                              status, colour ? "\033[0m" : "", t->category);
      output_cell (line, t->owner ? t->owner : "-", owner, TRUE);
      g_string_append (line, "  ");
      output_cell (line, reporter_of (t) ? reporter_of (t) : "-", reporter,
                   TRUE);
      g_string_append (line, "  ");
      output_cell (line, *t->subject ? t->subject : "(no subject)", subject,
                   FALSE);
      printf ("%s\n", line->str);
    }
}

void
print_tickets (GPtrArray *tickets, OutputFormat format)
{
  if (format == OUTPUT_FORMAT_JSON)
    tickets_json (tickets);
  else if (format == OUTPUT_FORMAT_CSV)
    tickets_csv (tickets);
  else
    tickets_table (tickets);
}

#define INDICATOR_CSV_HEADER                                                   \
  "kind,value,scope,role,count,ports,first_seen,last_seen,asn"

/* An indicator's columns of a CSV record (INDICATOR_CSV_HEADER); NULL:
 * as many empty ones. */
static void
indicator_csv_fields (CsvRecord *r, const StoreIndicator *ind)
{
  g_autofree char *first = NULL;
  g_autofree char *last = NULL;

  if (ind == NULL)
    {
      for (int i = 0; i < 9; i++)
        csv_empty (r);
      return;
    }
  first = ind->first_seen ? output_time_iso (ind->first_seen) : NULL;
  last = ind->last_seen ? output_time_iso (ind->last_seen) : NULL;
  csv_text (r, ind->kind);
  csv_text (r, ind->value);
  csv_text (r, ind->scope);
  csv_text (r, ind->role);
  csv_int (r, ind->count);
  csv_text (r, ind->ports);
  csv_text (r, first);
  csv_text (r, last);
  if (ind->asn > 0)
    csv_int (r, ind->asn);
  else
    csv_empty (r);
}

void
print_indicators_csv (const char *number, GPtrArray *indicators)
{
  g_auto (CsvRecord) r;

  csv_init (&r);
  fputs ("number," INDICATOR_CSV_HEADER "\n", stdout);
  for (guint i = 0; i < indicators->len; i++)
    {
      csv_text (&r, number);
      indicator_csv_fields (&r, indicators->pdata[i]);
      csv_end (&r, stdout);
    }
}

void
print_ticket_evidence_csv (const StoreTicket *ticket, GPtrArray *indicators)
{
  g_auto (CsvRecord) r;

  csv_init (&r);
  fputs (TICKET_CSV_HEADER "," INDICATOR_CSV_HEADER "\n", stdout);
  for (guint i = 0; i < MAX (indicators->len, 1); i++)
    {
      ticket_csv_fields (&r, ticket);
      indicator_csv_fields (&r,
                            i < indicators->len ? indicators->pdata[i] : NULL);
      csv_end (&r, stdout);
    }
}

const char *
print_outbox_state (const StoreOutbox *e)
{
  if (g_strcmp0 (e->state, "sent") == 0 && g_strcmp0 (e->via, "maildir") == 0)
    return "outboxed";
  return e->state;
}
