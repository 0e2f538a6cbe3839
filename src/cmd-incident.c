/*
 * cmd-incident.c - `madoguchi incident new|add|remove|show|list`: reports
 * (tickets) about one event grouped under one incident, the way CSIRTs
 * count them.  Grouping never moves messages.
 */
#include <stdio.h>

#include "madoguchi/command.h"
#include "madoguchi/output.h"

static int
incident_list (Store *store, const char *incident)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) rows = store_incident_list (store, incident, &error);
  const char *current = NULL;

  if (rows == NULL)
    return command_fail (error);
  if (incident != NULL && rows->len == 0)
    {
      fprintf (stderr, "madoguchi: no incident %s\n", incident);
      return 1;
    }
  for (guint i = 0; i < rows->len; i++)
    {
      const StoreIncidentRow *r = rows->pdata[i];
      g_autoptr (GString) line = g_string_new (NULL);

      if (g_strcmp0 (current, r->incident) != 0)
        {
          g_autofree char *created = output_time (r->created);
          g_autofree char *title = output_safe (r->title);

          printf ("%s%s  %s  %s\n", i ? "\n" : "", r->incident, created,
                  title);
          current = r->incident;
        }
      if (r->number == NULL)
        continue;
      output_cell (line, r->subject, 60, FALSE);
      printf ("  %-11s  %-8s  %-9s  %s\n", r->number, r->status,
              r->category, line->str);
    }
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
      if (!store_incident_add (store, argv[2], (const char *const *) argv + 3,
                               who, &error))
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
  g_autofree char *as = NULL;
  const GOptionEntry entries[] = {
    { "as", 0, 0, G_OPTION_ARG_STRING, &as,
      "the operator to record (default: your user name)", "NAME" },
    { NULL },
  };
  g_autoptr (GError) error = NULL;
  g_autoptr (Store) store = NULL;
  const char *verb;

  if (!command_parse ("incident", "new TITLE [NUMBER...] | add INCIDENT "
                      "NUMBER... | remove NUMBER... | show INCIDENT | list",
                      "Groups reports (tickets) into incidents.", entries,
                      &argc, &argv))
    return EX_USAGE;
  verb = argc > 1 ? argv[1] : "";
  if (!((g_strcmp0 (verb, "new") == 0 && argc >= 3)
        || (g_strcmp0 (verb, "add") == 0 && argc >= 4)
        || (g_strcmp0 (verb, "remove") == 0 && argc >= 3)
        || (g_strcmp0 (verb, "show") == 0 && argc == 3)
        || (g_strcmp0 (verb, "list") == 0 && argc == 2)))
    {
      fprintf (stderr, "usage: madoguchi incident new TITLE [NUMBER...] | "
               "add INCIDENT NUMBER... | remove NUMBER... | show INCIDENT | "
               "list\n");
      return EX_USAGE;
    }
  store = context_open_store (ctx, &error);
  if (store == NULL)
    return command_fail (error);
  if (g_strcmp0 (verb, "show") == 0 || g_strcmp0 (verb, "list") == 0)
    return incident_list (store, argc == 3 ? argv[2] : NULL);
  return incident_change (store, argc, argv, as ? as : g_get_user_name ());
}
