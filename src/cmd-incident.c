/*
 * cmd-incident.c - `madoguchi incident new|add|remove|show|list`: reports
 * (tickets) about one event grouped under one incident, the way CSIRTs
 * count them.  Grouping never moves messages.
 */
#include <stdio.h>

#include "madoguchi/command.h"
#include "madoguchi/csv.h"
#include "madoguchi/json.h"
#include "madoguchi/output.h"
#include "madoguchi/print.h"

static void
incident_table (GPtrArray *rows)
{
  const char *current = NULL;
  gsize width = output_terminal_width ();
  /* "  NUMBER  STATUS  CATEGORY  " before the subject. */
  gsize subject = width ? MAX (width > 38 ? width - 38 : 0, 8) : 60;

  printf ("%-13s  %-16s  %s\n", "INCIDENT", "CREATED", "TITLE");
  for (guint i = 0; i < rows->len; i++)
    {
      const StoreIncidentRow *r = rows->pdata[i];
      g_autoptr (GString) line = g_string_new (NULL);

      if (g_strcmp0 (current, r->incident) != 0)
        {
          g_autofree char *created = output_time (r->created);
          g_autofree char *title = output_safe (r->title);

          printf ("%s%-13s  %-16s  %s\n", i ? "\n" : "", r->incident, created,
                  title);
          current = r->incident;
        }
      if (r->number == NULL)
        continue;
      output_cell (line, r->subject, subject, FALSE);
      printf ("  %-11s  %-8s  %-9s  %s\n", r->number, r->status, r->category,
              line->str);
    }
}

/* One JSON array of incidents, each with its tickets. */
static void
incident_json (GPtrArray *rows)
{
  JsonWriter w;
  g_autofree char *text = NULL;
  const char *current = NULL;

  json_init (&w);
  json_begin_array (&w);
  for (guint i = 0; i < rows->len; i++)
    {
      const StoreIncidentRow *r = rows->pdata[i];

      if (g_strcmp0 (current, r->incident) != 0)
        {
          if (current != NULL)
            {
              json_end_array (&w);
              json_end_object (&w);
            }
          json_begin_object (&w);
          json_member_string (&w, "incident", r->incident);
          print_json_time (&w, "created", r->created);
          json_member_string (&w, "title", r->title);
          json_key (&w, "tickets");
          json_begin_array (&w);
          current = r->incident;
        }
      if (r->number == NULL)
        continue;
      json_begin_object (&w);
      json_member_string (&w, "number", r->number);
      json_member_string (&w, "status", r->status);
      json_member_string (&w, "category", r->category);
      json_member_string (&w, "subject", r->subject);
      json_end_object (&w);
    }
  if (current != NULL)
    {
      json_end_array (&w);
      json_end_object (&w);
    }
  json_end_array (&w);
  text = json_finish (&w);
  printf ("%s\n", text);
}

/* One row a ticket (an empty incident: one row without a ticket). */
static void
incident_csv (GPtrArray *rows)
{
  g_auto (CsvRecord) rec;

  csv_init (&rec);
  fputs ("incident,created,title,number,status,category,subject\n", stdout);
  for (guint i = 0; i < rows->len; i++)
    {
      const StoreIncidentRow *r = rows->pdata[i];
      g_autofree char *created = output_time_iso (r->created);

      csv_text (&rec, r->incident);
      csv_text (&rec, created);
      csv_text (&rec, r->title);
      csv_text (&rec, r->number);
      csv_text (&rec, r->status);
      csv_text (&rec, r->category);
      csv_text (&rec, r->subject);
      csv_end (&rec, stdout);
    }
}

static int
incident_list (Context *ctx, const char *incident)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *number
      = incident ? store_resolve_incident (ctx->store, incident, &error) : NULL;
  g_autoptr (GPtrArray) rows = NULL;

  if (incident != NULL && number == NULL)
    return command_fail (error);
  rows = store_incident_list (ctx->store, number, &error);
  if (rows == NULL)
    return command_fail (error);
  if (ctx->format == OUTPUT_FORMAT_JSON)
    incident_json (rows);
  else if (ctx->format == OUTPUT_FORMAT_CSV)
    incident_csv (rows);
  else
    incident_table (rows);
  return EX_OK;
}

static int
incident_change (Store *store, int argc, char **argv, const char *who)
{
  g_autoptr (GError) error = NULL;
  const char *verb = argv[1];

  if (g_strcmp0 (verb, "new") == 0)
    {
      g_autofree char *number = store_incident_new (
          store, argv[2], (const char *const *) argv + 3, who, &error);

      if (number == NULL)
        return command_fail (error);
      printf ("%s\n", number);
      return EX_OK;
    }
  if (g_strcmp0 (verb, "add") == 0 && argc >= 4)
    {
      g_autofree char *incident
          = store_resolve_incident (store, argv[2], &error);

      if (incident == NULL
          || !store_incident_add (store, incident,
                                  (const char *const *) argv + 3, who, &error))
        return command_fail (error);
      return EX_OK;
    }
  if (!store_incident_add (store, NULL, (const char *const *) argv + 2, who,
                           &error))
    return command_fail (error);
  return EX_OK;
}

int
cmd_incident (Context *ctx, int argc, char **argv)
{
  const GOptionEntry entries[] = { G_OPTION_ENTRY_NULL };
  const char *verb;

  if (!context_parse (ctx, entries, &argc, &argv))
    return EX_USAGE;
  verb = argc > 1 ? argv[1] : "";
  if (!((g_strcmp0 (verb, "new") == 0 && argc >= 3)
        || (g_strcmp0 (verb, "add") == 0 && argc >= 4)
        || (g_strcmp0 (verb, "remove") == 0 && argc >= 3)
        || (g_strcmp0 (verb, "show") == 0 && argc == 3)
        || (g_strcmp0 (verb, "list") == 0 && argc == 2)))
    {
      fprintf (stderr,
               "usage: madoguchi incident new TITLE [NUMBER...] | "
               "add INCIDENT NUMBER... | remove NUMBER... | show INCIDENT | "
               "list\n");
      return EX_USAGE;
    }
  if (g_strcmp0 (verb, "show") == 0 || g_strcmp0 (verb, "list") == 0)
    return incident_list (ctx, argc == 3 ? argv[2] : NULL);
  return incident_change (ctx->store, argc, argv, ctx->actor);
}
