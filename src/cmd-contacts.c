/*
 * cmd-contacts.c - `madoguchi contacts`: the sites the team notifies
 * (import a CSV, list, look up, remove).  An import is one transaction:
 * a file with one bad row imports nothing and names the row's line.
 */
#include <stdio.h>
#include <string.h>

#include "madoguchi/command.h"
#include "madoguchi/json.h"
#include "madoguchi/output.h"
#include "madoguchi/store-notify.h"

static const char *const kind_names[] = { "network", "asn", "domain" };

static int
contacts_fail (const GError *error)
{
  fprintf (stderr, "madoguchi contacts: %s\n", error->message);
  if (error->domain == CONTACT_ERROR)
    return EX_DATAERR;
  if (error->domain == G_FILE_ERROR)
    return EX_NOINPUT;
  return exit_status_from_error (error);
}

static int
contacts_import (Context *ctx, const char *path)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *text = NULL;
  g_autoptr (GPtrArray) contacts = NULL;
  g_autoptr (Store) store = NULL;
  gsize len = 0;
  guint added = 0, updated = 0;

  if (!g_file_get_contents (path, &text, &len, &error))
    return contacts_fail (error);
  contacts = contact_read_csv (text, len, &error);
  if (contacts == NULL)
    {
      g_prefix_error (&error, "%s: ", path);
      g_prefix_error (&error, "nothing imported: ");
      return contacts_fail (error);
    }
  store = context_open_store (ctx, &error);
  if (store == NULL
      || !store_contacts_import (store, contacts, &added, &updated, &error))
    return contacts_fail (error);
  printf ("%u contacts imported (%u new, %u updated)\n", contacts->len, added,
          updated);
  return EX_OK;
}

static void
contact_json (JsonWriter *w, const Contact *c)
{
  json_begin_object (w);
  json_member_string (w, "match", c->match);
  json_member_string (w, "kind", kind_names[c->kind]);
  json_member_string (w, "name", c->name);
  json_member_string (w, "email", c->email);
  json_member_string (w, "language", c->language);
  json_member_string (w, "pgp", c->pgp);
  json_member_string (w, "zone", contact_zone (c));
  json_end_object (w);
}

static void
contact_line (const Contact *c)
{
  g_autofree char *name = output_safe (c->name);
  g_autofree char *email = output_safe (c->email);

  printf ("%-32s %-24s %-32s %s%s%s\n", c->match, name,
          *c->email ? email : "(no email)", c->language, c->pgp ? "  pgp " : "",
          c->pgp ? c->pgp : "");
}

static int
contacts_list (Context *ctx, gboolean json)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (Store) store = context_open_store (ctx, &error);
  g_autoptr (GPtrArray) list = NULL;
  JsonWriter w;
  g_autofree char *text = NULL;

  if (store == NULL || (list = store_contacts_list (store, &error)) == NULL)
    return contacts_fail (error);
  if (!json)
    {
      for (guint i = 0; i < list->len; i++)
        contact_line (list->pdata[i]);
      return EX_OK;
    }
  json_init (&w);
  json_begin_array (&w);
  for (guint i = 0; i < list->len; i++)
    contact_json (&w, list->pdata[i]);
  json_end_array (&w);
  text = json_finish (&w);
  printf ("%s\n", text);
  return EX_OK;
}

static int
contacts_lookup (Context *ctx, const char *what, gboolean json)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (Store) store = context_open_store (ctx, &error);
  g_autoptr (Contact) c = NULL;
  JsonWriter w;
  g_autofree char *text = NULL;

  if (store == NULL)
    return contacts_fail (error);
  c = store_contact_lookup (store, what, &error);
  if (c == NULL && error == NULL)
    g_set_error (&error, STORE_ERROR, STORE_ERROR_NOT_FOUND,
                 "no contact for %s", what);
  if (c == NULL)
    return contacts_fail (error);
  if (!json)
    {
      printf ("%s\n", c->email);
      if (ctx->verbose || *c->email == '\0')
        contact_line (c);
      return EX_OK;
    }
  json_init (&w);
  contact_json (&w, c);
  text = json_finish (&w);
  printf ("%s\n", text);
  return EX_OK;
}

static int
contacts_remove (Context *ctx, const char *match)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (Store) store = context_open_store (ctx, &error);

  if (store == NULL || !store_contact_remove (store, match, &error))
    return contacts_fail (error);
  printf ("removed %s\n", match);
  return EX_OK;
}

static int
contacts_usage (void)
{
  fprintf (stderr, "usage: madoguchi contacts import FILE.csv\n"
                   "       madoguchi contacts list [--json]\n"
                   "       madoguchi contacts lookup ADDRESS|AS|DOMAIN "
                   "[--json]\n"
                   "       madoguchi contacts remove MATCH\n");
  return EX_USAGE;
}

int
cmd_contacts (Context *ctx, int argc, char **argv)
{
  gboolean json = FALSE;
  const GOptionEntry entries[] = {
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, "JSON output", NULL },
    { NULL },
  };
  const char *sub;

  if (!command_parse ("contacts",
                      "import FILE | list | lookup WHAT | "
                      "remove MATCH",
                      "The sites the team notifies: a "
                      "CSV with the header match,name,email,language,pgp.",
                      entries, &argc, &argv))
    return EX_USAGE;
  sub = argc > 1 ? argv[1] : "";
  if (strcmp (sub, "import") == 0 && argc == 3 && !json)
    return contacts_import (ctx, argv[2]);
  if (strcmp (sub, "list") == 0 && argc == 2)
    return contacts_list (ctx, json);
  if (strcmp (sub, "lookup") == 0 && argc == 3)
    return contacts_lookup (ctx, argv[2], json);
  if (strcmp (sub, "remove") == 0 && argc == 3 && !json)
    return contacts_remove (ctx, argv[2]);
  return contacts_usage ();
}
