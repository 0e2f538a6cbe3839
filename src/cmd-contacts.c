/*
 * cmd-contacts.c - `madoguchi contacts`: the sites the team notifies
 * (import a CSV, list, look up, remove).  An import is one transaction:
 * a file with one bad row imports nothing and names the row's line.
 */
#include <stdio.h>
#include <string.h>

#include "madoguchi/command.h"
#include "madoguchi/csv.h"
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
  if (!store_contacts_import (ctx->store, contacts, &added, &updated, &error))
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

  printf ("%-32s %-24s %-32s %-8s %-8s %s\n", c->match, name,
          *c->email ? email : "(no email)", c->language, contact_zone (c),
          c->pgp ? c->pgp : "-");
}

static void
contacts_table (GPtrArray *list)
{
  printf ("%-32s %-24s %-32s %-8s %-8s %s\n", "MATCH", "NAME", "EMAIL",
          "LANGUAGE", "ZONE", "PGP");
  for (guint i = 0; i < list->len; i++)
    contact_line (list->pdata[i]);
}

static void
contacts_csv (GPtrArray *list)
{
  g_auto (CsvRecord) r;

  csv_init (&r);
  fputs ("match,kind,name,email,language,pgp,zone\n", stdout);
  for (guint i = 0; i < list->len; i++)
    {
      const Contact *c = list->pdata[i];

      csv_text (&r, c->match);
      csv_text (&r, kind_names[c->kind]);
      csv_text (&r, c->name);
      csv_text (&r, c->email);
      csv_text (&r, c->language);
      csv_text (&r, c->pgp);
      csv_text (&r, contact_zone (c));
      csv_end (&r, stdout);
    }
}

/* list as --format asks; one JSON object rather than an array when
 * one (a lookup's answer). */
static void
contacts_print (OutputFormat format, GPtrArray *list, gboolean one)
{
  JsonWriter w;
  g_autofree char *text = NULL;

  if (format == OUTPUT_FORMAT_CSV)
    {
      contacts_csv (list);
      return;
    }
  if (format == OUTPUT_FORMAT_TABLE)
    {
      contacts_table (list);
      return;
    }
  json_init (&w);
  if (!one)
    json_begin_array (&w);
  for (guint i = 0; i < list->len; i++)
    contact_json (&w, list->pdata[i]);
  if (!one)
    json_end_array (&w);
  text = json_finish (&w);
  printf ("%s\n", text);
}

static int
contacts_list (Context *ctx)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) list = store_contacts_list (ctx->store, &error);

  if (list == NULL)
    return contacts_fail (error);
  contacts_print (ctx->format, list, FALSE);
  return EX_OK;
}

/* The table of a lookup is the contact's e-mail address alone, that a
 * script may write `mail "$(madoguchi contacts lookup ADDRESS)"`; with
 * -v, or when there is none, the contact's row too. */
static int
contacts_lookup (Context *ctx, const char *what)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (Contact) c = store_contact_lookup (ctx->store, what, &error);
  g_autoptr (GPtrArray) one = g_ptr_array_new ();

  if (c == NULL && error == NULL)
    g_set_error (&error, STORE_ERROR, STORE_ERROR_NOT_FOUND,
                 "no contact for %s", what);
  if (c == NULL)
    return contacts_fail (error);
  if (ctx->format == OUTPUT_FORMAT_TABLE)
    {
      printf ("%s\n", c->email);
      if (ctx->verbose || *c->email == '\0')
        contact_line (c);
      return EX_OK;
    }
  g_ptr_array_add (one, c);
  contacts_print (ctx->format, one, TRUE);
  return EX_OK;
}

static int
contacts_remove (Context *ctx, const char *match)
{
  g_autoptr (GError) error = NULL;

  if (!store_contact_remove (ctx->store, match, &error))
    return contacts_fail (error);
  printf ("removed %s\n", match);
  return EX_OK;
}

static int
contacts_usage (void)
{
  fprintf (stderr, "usage: madoguchi contacts import FILE.csv\n"
                   "       madoguchi contacts list [--format F]\n"
                   "       madoguchi contacts lookup ADDRESS|AS|DOMAIN "
                   "[--format F]\n"
                   "       madoguchi contacts remove MATCH\n");
  return EX_USAGE;
}

int
cmd_contacts (Context *ctx, int argc, char **argv)
{
  const GOptionEntry entries[] = { G_OPTION_ENTRY_NULL };
  const char *sub;
  gboolean plain;

  if (!context_parse (ctx, entries, &argc, &argv))
    return EX_USAGE;
  plain = !ctx->json && ctx->format_name == NULL;
  sub = argc > 1 ? argv[1] : "";
  if (strcmp (sub, "import") == 0 && argc == 3 && plain)
    return contacts_import (ctx, argv[2]);
  if (strcmp (sub, "list") == 0 && argc == 2)
    return contacts_list (ctx);
  if (strcmp (sub, "lookup") == 0 && argc == 3)
    return contacts_lookup (ctx, argv[2]);
  if (strcmp (sub, "remove") == 0 && argc == 3 && plain)
    return contacts_remove (ctx, argv[2]);
  return contacts_usage ();
}
