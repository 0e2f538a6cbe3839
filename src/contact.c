/*
 * contact.c - read and check the team's contacts (issue 21).
 *
 * A contacts file is reviewed like code and imported whole or not at
 * all: the first bad row stops it with its line.  A network is written
 * as a prefix without host bits (192.0.2.5/24 is refused: it is either a
 * typo or a host) or as a range A-B of one family with A <= B.  The CSV
 * is read by csv.c's reader, the one of the house.
 */
#include "madoguchi/contact.h"

#include <string.h>

#include "madoguchi/address.h"
#include "madoguchi/csv.h"

G_DEFINE_QUARK (madoguchi - contact - error - quark, contact_error)

#define ASN_MAX G_GINT64_CONSTANT (4294967295)
#define DOMAIN_MAX 253

Contact *
contact_new (void)
{
  return g_new0 (Contact, 1);
}

void
contact_free (Contact *c)
{
  if (c == NULL)
    return;
  g_free (c->match);
  g_free (c->name);
  g_free (c->email);
  g_free (c->language);
  g_free (c->pgp);
  g_free (c->zone);
  g_free (c);
}

gboolean
contact_parse_asn (const char *text, gint64 *asn)
{
  guint64 value;

  if (g_ascii_strncasecmp (text, "AS", 2) != 0 || !g_ascii_isdigit (text[2]))
    return FALSE;
  if (!g_ascii_string_to_unsigned (text + 2, 10, 0, (guint64) ASN_MAX, &value,
                                   NULL))
    return FALSE;
  *asn = (gint64) value;
  return TRUE;
}

char *
contact_parse_domain (const char *text)
{
  g_autofree char *d = g_ascii_strdown (text, -1);
  gsize len = strlen (d);

  if (len > 0 && d[len - 1] == '.')
    d[--len] = '\0';
  if (len == 0 || len > DOMAIN_MAX || strchr (d, '.') == NULL || d[0] == '.'
      || d[0] == '-' || strstr (d, "..") != NULL)
    return NULL;
  for (const char *p = d; *p != '\0'; p++)
    if (!g_ascii_isalnum (*p) && *p != '-' && *p != '.')
      return NULL;
  /* An address is not a domain (its last label is all digits). */
  if (g_ascii_isdigit (strrchr (d, '.')[1]))
    return NULL;
  return g_steal_pointer (&d);
}

/* The bits from the first that first and last do not share. */
static guint
span_bits (const guint8 first[16], const guint8 last[16])
{
  for (guint i = 0; i < 16; i++)
    {
      guint8 diff = first[i] ^ last[i];

      for (int b = 7; b >= 0 && diff != 0; b--)
        if (diff & (1u << b))
          return 128 - (i * 8 + (guint) (7 - b));
    }
  return 0;
}

static gboolean
parse_range (const char *text, Contact *c, const char **why)
{
  g_auto (GStrv) ends = g_strsplit (text, "-", 2);
  gboolean mapped;
  g_autofree char *a = NULL;
  g_autofree char *b = NULL;

  if (!address_parse (g_strstrip (ends[0]), c->first, &mapped)
      || !address_parse (g_strstrip (ends[1]), c->last, &mapped))
    return (*why = "bad address in the range"), FALSE;
  if (address_is_v4 (c->first) != address_is_v4 (c->last)
      || memcmp (c->first, c->last, 16) > 0)
    return (*why = "a range must run from low to high in one family"), FALSE;
  a = address_format (c->first, FALSE);
  b = address_format (c->last, FALSE);
  c->match = g_strdup_printf ("%s-%s", a, b);
  c->span = span_bits (c->first, c->last);
  return TRUE;
}

static gboolean
parse_network (const char *text, Contact *c, const char **why)
{
  Network net;
  g_autofree char *addr = NULL;
  gboolean v4;

  if (!address_parse_network (text, &net))
    return (*why = strchr (text, '/') ? "bad prefix" : "bad address"), FALSE;
  address_network_bounds (&net, c->first, c->last);
  if (memcmp (c->first, net.net, 16) != 0)
    return (*why = "bad prefix: host bits set"), FALSE;
  v4 = address_is_v4 (net.net);
  addr = address_format (net.net, FALSE);
  c->match = g_strdup_printf ("%s/%u", addr, v4 ? net.prefix - 96 : net.prefix);
  c->span = 128 - net.prefix;
  return TRUE;
}

/* Whether text is "ADDRESS-..." (a domain may hold '-', not an address). */
static gboolean
starts_range (const char *text)
{
  const char *dash = strchr (text, '-');
  g_autofree char *head = dash ? g_strndup (text, (gsize) (dash - text)) : NULL;
  guint8 ip[16];
  gboolean mapped;

  return head != NULL && address_parse (g_strstrip (head), ip, &mapped);
}

gboolean
contact_parse_match (const char *text, Contact *c, const char **why)
{
  g_autofree char *domain = NULL;

  g_clear_pointer (&c->match, g_free);
  *why = "not a prefix, range, AS number or domain";
  if (contact_parse_asn (text, &c->asn))
    {
      c->kind = CONTACT_ASN;
      c->match = g_strdup_printf ("AS%" G_GINT64_FORMAT, c->asn);
      return TRUE;
    }
  c->kind = CONTACT_NETWORK;
  if (starts_range (text))
    return parse_range (text, c, why);
  if (strchr (text, ':') != NULL || strchr (text, '/') != NULL
      || (g_ascii_isdigit (*text)
          && strspn (text, "0123456789.") == strlen (text)))
    return parse_network (text, c, why);
  domain = contact_parse_domain (text);
  if (domain == NULL)
    return FALSE;
  c->kind = CONTACT_DOMAIN;
  c->match = g_steal_pointer (&domain);
  return TRUE;
}

const char *
contact_zone (const Contact *c)
{
  if (c->zone != NULL && *c->zone != '\0')
    return c->zone;
  return g_strcmp0 (c->language, "ja") == 0 ? "+09:00" : "UTC";
}

static gboolean
bad_row (guint line, const char *what, const char *value, GError **error)
{
  g_set_error (error, CONTACT_ERROR, CONTACT_ERROR_INVALID, "line %u: %s%s%s%s",
               line, what, value ? " (\"" : "", value ? value : "",
               value ? "\")" : "");
  return FALSE;
}

/* The columns of the header: match,name,email,language,pgp[,zone]. */
static gboolean
check_header (const CsvReader *r, GError **error)
{
  static const char *const names[]
      = { "match", "name", "email", "language", "pgp", "zone" };
  GPtrArray *f = r->fields;

  if (f->len < 5 || f->len > G_N_ELEMENTS (names))
    return bad_row (r->record_line,
                    "the header must be "
                    "match,name,email,language,pgp (and optionally zone)",
                    NULL, error);
  for (guint i = 0; i < f->len; i++)
    if (g_ascii_strcasecmp (g_strstrip ((char *) f->pdata[i]), names[i]))
      return bad_row (r->record_line, "unexpected column in the header",
                      f->pdata[i], error);
  return TRUE;
}

static gboolean
valid_email (const char *email)
{
  const char *at = strrchr (email, '@');
  g_autofree char *domain = NULL;

  if (*email == '\0')
    return TRUE;
  if (at == NULL || at == email)
    return FALSE;
  domain = contact_parse_domain (at + 1);
  return domain != NULL && strpbrk (email, " \t<>,;\"()") == NULL
         && strlen (email) <= 254;
}

/* Fills c from a data row, or says what is wrong with it. */
static gboolean
read_row (const CsvReader *r, Contact *c, GError **error)
{
  char **f = (char **) r->fields->pdata;
  const char *why = NULL;
  guint n = r->fields->len;

  if (n < 5 || n > 6)
    return bad_row (r->record_line, "expected 5 or 6 fields", NULL, error);
  for (guint i = 0; i < n; i++)
    g_strstrip (f[i]);
  if (!contact_parse_match (f[0], c, &why))
    return bad_row (r->record_line, why, f[0], error);
  if (!g_utf8_validate (f[1], -1, NULL) || !valid_email (f[2]))
    return bad_row (r->record_line, "bad name or email address", f[2], error);
  if (*f[3] != '\0' && strcmp (f[3], "ja") != 0 && strcmp (f[3], "en") != 0)
    return bad_row (r->record_line, "unknown language (ja or en)", f[3], error);
  if (*f[4] != '\0'
      && (strlen (f[4]) < 16
          || strspn (f[4], "0123456789abcdefABCDEF ") != strlen (f[4])))
    return bad_row (r->record_line, "bad PGP fingerprint", f[4], error);
  c->name = g_strdup (f[1]);
  c->email = g_strdup (f[2]);
  c->language = g_strdup (*f[3] != '\0' ? f[3] : "en");
  c->pgp = *f[4] != '\0' ? g_strdup (f[4]) : NULL;
  c->zone = n > 5 && *f[5] != '\0' ? g_strdup (f[5]) : NULL;
  return TRUE;
}

static gboolean
blank_record (const CsvReader *r)
{
  return r->fields->len == 1 && *(char *) r->fields->pdata[0] == '\0';
}

GPtrArray *
contact_read_csv (const char *text, gsize len, GError **error)
{
  g_auto (CsvReader) r = { 0 };
  g_autoptr (GPtrArray) out
      = g_ptr_array_new_with_free_func ((GDestroyNotify) contact_free);
  g_autoptr (GHashTable) seen
      = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr (GError) local = NULL;

  csv_reader_init (&r, text, len, ',');
  if (!csv_reader_next (&r, &local) || !check_header (&r, &local))
    {
      if (local == NULL)
        bad_row (1, "empty file: no header", NULL, &local);
      g_set_error_literal (error, CONTACT_ERROR, CONTACT_ERROR_INVALID,
                           local->message);
      return NULL;
    }
  while (csv_reader_next (&r, &local))
    {
      g_autoptr (Contact) c = contact_new ();

      if (blank_record (&r))
        continue;
      if (!read_row (&r, c, &local))
        break;
      if (g_hash_table_contains (seen, c->match))
        {
          bad_row (r.record_line, "duplicate match", c->match, &local);
          break;
        }
      g_hash_table_add (seen, g_strdup (c->match));
      g_ptr_array_add (out, g_steal_pointer (&c));
    }
  if (local == NULL)
    return g_steal_pointer (&out);
  g_set_error_literal (error, CONTACT_ERROR, CONTACT_ERROR_INVALID,
                       local->message);
  return NULL;
}
