/*
 * cmd-list.c - `madoguchi list`: tickets, newest first, as an aligned
 * table (wide characters counted as two cells) or as JSON.
 */
#include <stdio.h>

#include "madoguchi/address.h"
#include "madoguchi/command.h"
#include "madoguchi/json.h"
#include "madoguchi/output.h"

static const char *
reporter_of (const StoreTicket *t)
{
  return t->reporter ? t->reporter : t->reporter_name;
}

static void
list_json (GPtrArray *tickets)
{
  JsonWriter w;
  g_autofree char *text = NULL;

  json_init (&w);
  json_begin_array (&w);
  for (guint i = 0; i < tickets->len; i++)
    {
      const StoreTicket *t = tickets->pdata[i];
      g_autofree char *created = output_time_iso (t->created);

      json_begin_object (&w);
      json_key (&w, "number");
      json_string (&w, t->number);
      json_key (&w, "created");
      json_string (&w, created);
      json_key (&w, "status");
      json_string (&w, t->status);
      json_key (&w, "category");
      json_string (&w, t->category);
      json_key (&w, "owner");
      json_string (&w, t->owner);
      json_key (&w, "reporter");
      json_string (&w, reporter_of (t));
      json_key (&w, "subject");
      json_string (&w, t->subject);
      json_end_object (&w);
    }
  json_end_array (&w);
  text = json_finish (&w);
  printf ("%s\n", text);
}

static void
list_table (GPtrArray *tickets)
{
  g_autoptr (GString) line = g_string_new (NULL);

  printf ("%-11s  %-16s  %-8s  %-9s  %-28s  %s\n", "NUMBER", "CREATED",
          "STATUS", "CATEGORY", "REPORTER", "SUBJECT");
  for (guint i = 0; i < tickets->len; i++)
    {
      const StoreTicket *t = tickets->pdata[i];
      g_autofree char *created = output_time (t->created);

      g_string_truncate (line, 0);
      g_string_append_printf (line, "%-11s  %-16s  %-8s  %-9s  ", t->number,
                              created, t->status, t->category);
      output_cell (line, reporter_of (t) ? reporter_of (t) : "-", 28, TRUE);
      g_string_append (line, "  ");
      output_cell (line, *t->subject ? t->subject : "(no subject)", 60,
                   FALSE);
      printf ("%s\n", line->str);
    }
}

int
cmd_list (Context *ctx, int argc, char **argv)
{
  gboolean json = FALSE;
  gint limit = 50;
  gboolean all = FALSE;
  g_autofree char *ip = NULL;
  StoreFilter filter = { 0 };
  const GOptionEntry entries[] = {
    { "ip", 0, 0, G_OPTION_ARG_STRING, &ip,
      "only tickets mentioning an address in ADDR or PREFIX", "ADDR" },
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, "one JSON array", NULL },
    { "limit", 'n', 0, G_OPTION_ARG_INT, &limit,
      "show at most N tickets (default 50)", "N" },
    { "all", 'a', 0, G_OPTION_ARG_NONE, &all, "show every ticket", NULL },
    { NULL },
  };
  g_autoptr (GError) error = NULL;
  g_autoptr (Store) store = NULL;
  g_autoptr (GPtrArray) tickets = NULL;

  if (!command_parse ("list", "", "Lists tickets, newest first.", entries,
                      &argc, &argv))
    return EX_USAGE;
  if (limit < 1 && !all)
    {
      fprintf (stderr, "madoguchi list: --limit must be at least 1\n");
      return EX_USAGE;
    }
  if (ip != NULL)
    {
      Network net;

      if (!address_parse_network (ip, &net))
        {
          fprintf (stderr, "madoguchi list: --ip: \"%s\" is not an address "
                   "or prefix\n", ip);
          return EX_USAGE;
        }
      filter.by_ip = TRUE;
      address_network_bounds (&net, filter.ip_first, filter.ip_last);
    }
  filter.limit = all ? 0 : (guint) limit;
  store = context_open_store (ctx, &error);
  if (store != NULL)
    tickets = store_list_tickets (store, &filter, &error);
  if (tickets == NULL)
    return command_fail (error);
  if (json)
    list_json (tickets);
  else
    list_table (tickets);
  return EX_OK;
}
