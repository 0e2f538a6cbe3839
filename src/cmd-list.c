/*
 * cmd-list.c - `madoguchi list`: tickets, newest first, filtered, as an
 * aligned table (wide characters counted as two cells, colour only on a
 * terminal and never with NO_COLOR), JSON or CSV.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "madoguchi/address.h"
#include "madoguchi/command.h"
#include "madoguchi/stats.h"
#include "madoguchi/print.h"

typedef struct
{
  gint limit;
  gboolean all;
  char *ip;
  char *status;
  char *category;
  char *owner;
  gboolean unassigned;
  char *reporter;
  char *search;
  char *since;
  char *until;
  char *sort;
  gboolean ascending;
} ListOptions;

static gboolean
list_filter (const ListOptions *o, StoreFilter *f, GError **error)
{
  Network net;
  gint64 now = (gint64) time (NULL);

  if (o->ip != NULL)
    {
      if (!address_parse_network (o->ip, &net))
        {
          g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                       "--ip: \"%s\" is not an address or prefix", o->ip);
          return FALSE;
        }
      f->by_ip = TRUE;
      address_network_bounds (&net, f->ip_first, f->ip_last);
    }
  if ((o->since && !stats_parse_time (o->since, FALSE, now, &f->since))
      || (o->until && !stats_parse_time (o->until, TRUE, now, &f->until)))
    {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                   "\"%s\" is not a date (2026-11-01), a month (2026-11) "
                   "or an age (7d, 12h)",
                   o->since ? o->since : o->until);
      return FALSE;
    }
  f->limit = o->all ? 0 : (guint) o->limit;
  f->status = o->status;
  f->category = o->category;
  f->owner = o->owner;
  f->unassigned = o->unassigned;
  f->reporter = o->reporter;
  f->search = o->search;
  f->sort = o->sort;
  f->ascending = o->ascending;
  return TRUE;
}

static void
list_options_clear (ListOptions *o)
{
  g_free (o->ip);
  g_free (o->status);
  g_free (o->category);
  g_free (o->owner);
  g_free (o->reporter);
  g_free (o->search);
  g_free (o->since);
  g_free (o->until);
  g_free (o->sort);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (ListOptions, list_options_clear)

static int
list_print (Context *ctx, const ListOptions *o)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) tickets = NULL;
  StoreFilter filter = { 0 };

  if (!list_filter (o, &filter, &error))
    {
      fprintf (stderr, "madoguchi list: %s\n", error->message);
      return EX_USAGE;
    }
  tickets = store_list_tickets (ctx->store, &filter, &error);
  if (tickets == NULL)
    return command_fail (error);
  print_tickets (tickets, ctx->format);
  return EX_OK;
}

/* Whether an option's value (NULL: not given) is one of choices. */
static gboolean
one_of (const char *value, const char *const *choices)
{
  return value == NULL || g_strv_contains (choices, value);
}

int
cmd_list (Context *ctx, int argc, char **argv)
{
  g_auto (ListOptions) o = { .limit = 50 };
  const GOptionEntry entries[] = {
    { "limit", 'n', 0, G_OPTION_ARG_INT, &o.limit,
      "show at most N tickets (default 50)", "N" },
    { "all", 'a', 0, G_OPTION_ARG_NONE, &o.all, "show every ticket", NULL },
    { "status", 's', 0, G_OPTION_ARG_STRING, &o.status,
      "new, open, stalled, resolved or rejected", "STATUS" },
    { "category", 0, 0, G_OPTION_ARG_STRING, &o.category,
      "dos, ddos, spoofing, abuse, intrusion, scan or other", "CAT" },
    { "owner", 'o', 0, G_OPTION_ARG_STRING, &o.owner, "owned by NAME", "NAME" },
    { "unassigned", 'u', 0, G_OPTION_ARG_NONE, &o.unassigned, "owned by nobody",
      NULL },
    { "reporter", 'r', 0, G_OPTION_ARG_STRING, &o.reporter,
      "reported from an address containing TEXT", "TEXT" },
    { "ip", 0, 0, G_OPTION_ARG_STRING, &o.ip,
      "mentioning an address in ADDR or PREFIX", "ADDR" },
    { "search", 'S', 0, G_OPTION_ARG_STRING, &o.search,
      "with TEXT in a subject or body (Japanese too)", "TEXT" },
    { "since", 0, 0, G_OPTION_ARG_STRING, &o.since,
      "created since DATE (2026-11-01), MONTH (2026-11) or AGE (7d)", "WHEN" },
    { "until", 0, 0, G_OPTION_ARG_STRING, &o.until,
      "created until WHEN (a date or month: its end included)", "WHEN" },
    { "sort", 0, 0, G_OPTION_ARG_STRING, &o.sort,
      "created (default), number or updated", "KEY" },
    { "ascending", 0, 0, G_OPTION_ARG_NONE, &o.ascending, "oldest first",
      NULL },
    G_OPTION_ENTRY_NULL,
  };

  if (!context_parse (ctx, entries, &argc, &argv))
    return EX_USAGE;
  if ((o.limit < 1 && !o.all) || argc > 1
      || !one_of (o.status, (const char *[]){ "new", "open", "stalled",
                                              "resolved", "rejected", NULL })
      || (o.category && report_category_index (o.category) < 0)
      || !one_of (o.sort,
                  (const char *[]){ "created", "number", "updated", NULL }))
    {
      fprintf (stderr, "madoguchi list: bad arguments (see --help)\n");
      return EX_USAGE;
    }
  return list_print (ctx, &o);
}
