/*
 * extract-asn.c - the AS number a report gives with an address (see
 * extract-asn.h): after extract_run, over its indicators and the
 * message's texts.
 *
 * It runs apart from the scan because it needs the whole of a feed's
 * row and of an indicator's line, which the scan has when it is done;
 * a feed is read again only when its header has an asn column.  A
 * number alone is never an AS: "AS" or "ASN" must say so, or the
 * column or field name.
 */
#include "madoguchi/extract-asn.h"

#include <string.h>

#include "madoguchi/address.h"
#include "madoguchi/feed.h"

/* What "AS" is followed by before its number: ":", "#", "=", spaces. */
#define ASN_GAP_MAX 3

gboolean
extract_asn_parse (const char *text, gint64 *asn)
{
  g_autofree char *copy = g_strstrip (g_strdup (text));
  const char *p = copy;
  guint64 value;

  if (g_ascii_strncasecmp (p, "AS", 2) == 0)
    {
      p += 2;
      if (*p == 'N' || *p == 'n')
        p++;
      while (*p == ' ')
        p++;
    }
  if (!g_ascii_isdigit (*p)
      || !g_ascii_string_to_unsigned (p, 10, 1, (guint64) EXTRACT_ASN_MAX,
                                      &value, NULL))
    return FALSE;
  *asn = (gint64) value;
  return TRUE;
}

/*
 * The AS number of a token "AS64496" (any case), or "AS 64496",
 * "ASN: 64496", "AS#64496" (capitals only: "as 2 hosts" is English) at
 * p, which starts a word; 0 when p holds none.  *end: where it ends.
 */
static gint64
asn_token (const char *p, const char **end)
{
  gboolean upper = p[0] == 'A' && p[1] == 'S';
  const char *q = p + 2;
  const char *digits;
  guint64 value;
  int gap = 0;

  if (g_ascii_strncasecmp (p, "AS", 2) != 0)
    return 0;
  if (*q == 'N' || (*q == 'n' && !upper))
    q++;
  while (gap < ASN_GAP_MAX && (*q == ' ' || *q == ':' || *q == '#'))
    q++, gap++;
  if ((gap > 0 && !upper) || !g_ascii_isdigit (*q))
    return 0;
  digits = q;
  while (g_ascii_isdigit (*q))
    q++;
  if (g_ascii_isalnum (*q) || q - digits > 10)
    return 0;
  *end = q;
  {
    g_autofree char *number = g_strndup (digits, (gsize) (q - digits));

    if (!g_ascii_string_to_unsigned (number, 10, 1, (guint64) EXTRACT_ASN_MAX,
                                     &value, NULL))
      return 0;
  }
  return (gint64) value;
}

gint64
extract_asn_on_line (const char *line, const char *address)
{
  const char *at = address != NULL ? strstr (line, address) : NULL;
  const char *at_end = at != NULL ? at + strlen (address) : NULL;
  gint64 best = 0;
  gsize best_distance = G_MAXSIZE;
  gboolean several = FALSE;

  for (const char *p = line; *p != '\0'; p++)
    {
      const char *end = p;
      gint64 asn;
      gsize distance = 0;

      if ((p > line && g_ascii_isalnum (p[-1]))
          || (asn = asn_token (p, &end)) == 0)
        continue;
      several = several || (best != 0 && asn != best);
      /* Cells between the two: "ADDRESS (AS1)" and "AS1 ADDRESS" alike. */
      if (at != NULL)
        distance = p >= at_end ? (gsize) (p - at_end)
                   : end <= at ? (gsize) (at - end)
                               : 0;
      if (distance < best_distance)
        {
          best = asn;
          best_distance = distance;
        }
    }
  /* Two ASes and no telling whose the address is: neither. */
  return at == NULL && several ? 0 : best;
}

/* "ipv4 192.0.2.1": the key extract gives an address's indicator. */
static char *
address_key (const char *text)
{
  g_autofree char *clean = address_refang (text, strlen (text));
  g_autofree char *value = NULL;
  guint8 ip[16];
  gboolean mapped;

  if (!address_parse (g_strstrip (clean), ip, &mapped))
    return NULL;
  value = address_format (ip, mapped);
  return g_strconcat (address_is_v4 (ip) && !mapped ? "ipv4" : "ipv6", " ",
                      value, NULL);
}

/* The asn column of every feed of message: "kind value" -> AS number
 * (its first row's, when several rows name the address). */
static void
feed_asns (const Message *message, GHashTable *asns)
{
  for (guint i = 0; i < message->parts->len; i++)
    {
      const MessagePart *part = message->parts->pdata[i];
      g_autoptr (Feed) feed = NULL;
      FeedRow row;

      if (part->text == NULL)
        continue;
      feed = feed_open (part->text, strlen (part->text), part->filename);
      if (feed == NULL || feed_column_name (feed, FEED_ASN) == NULL)
        continue;
      while (feed_next (feed, &row))
        {
          const char *address = row.fields[FEED_ADDRESS];
          char *key;
          gint64 asn;

          if (address == NULL || row.fields[FEED_ASN] == NULL
              || !extract_asn_parse (row.fields[FEED_ASN], &asn)
              || (key = address_key (address)) == NULL)
            continue;
          if (g_hash_table_contains (asns, key))
            g_free (key);
          else
            g_hash_table_insert (asns, key, g_memdup2 (&asn, sizeof asn));
        }
    }
}

/* The AS of a report field line ("Source-ASN: 64496", X-ARF's YAML or
 * JSON: "ASN": "AS64496"), or 0. */
static gint64
field_asn (const char *line, gsize len)
{
  static const char *const names[]
      = { "source-asn", "source_asn", "src_asn", "asn", NULL };
  g_autofree char *text = g_strndup (line, len);
  char *p = g_strstrip (text);
  gint64 asn;

  if (*p == '"')
    p++;
  for (int i = 0; names[i] != NULL; i++)
    {
      gsize n = strlen (names[i]);
      char *v = p + n;

      if (g_ascii_strncasecmp (p, names[i], n) != 0)
        continue;
      v += *v == '"';
      v += strspn (v, " \t");
      if (*v++ != ':')
        return 0;
      v = g_strstrip (g_strdelimit (v, "\",", ' '));
      return extract_asn_parse (v, &asn) ? asn : 0;
    }
  return 0;
}

/* Whether line may start with one of field_asn's names. */
static gboolean
might_be_field (const char *line)
{
  line += strspn (line, " \t\"");
  return *line == 'S' || *line == 's' || *line == 'A' || *line == 'a';
}

/* The one AS the message's report fields give; 0 when none, or when they
 * give more than one (a report about several networks). */
static gint64
report_field_asn (const Message *message)
{
  gint64 found = 0;

  for (guint i = 0; i < message->parts->len; i++)
    {
      const char *text = ((MessagePart *) message->parts->pdata[i])->text;

      for (const char *p = text; p != NULL && *p != '\0';)
        {
          const char *end = strchr (p, '\n');
          gsize len = end ? (gsize) (end - p) : strlen (p);
          gint64 asn = 0;

          /* Most lines of a big log start with no field name: spare
           * them the copy field_asn makes. */
          if (len < 200 && might_be_field (p))
            asn = field_asn (p, len);

          if (asn != 0 && found != 0 && asn != found)
            return 0;
          if (asn != 0)
            found = asn;
          p = end ? end + 1 : NULL;
        }
    }
  return found;
}

void
extract_asn_apply (Extraction *extraction, const Message *message)
{
  g_autoptr (GHashTable) asns
      = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  gint64 field = -1; /* not read yet */

  feed_asns (message, asns);
  for (guint i = 0; i < extraction->indicators->len; i++)
    {
      Indicator *ind = extraction->indicators->pdata[i];
      g_autofree char *key = g_strconcat (ind->kind, " ", ind->value, NULL);
      const gint64 *from_feed = g_hash_table_lookup (asns, key);

      if (!ind->has_ip)
        continue;
      if (from_feed != NULL)
        ind->asn = *from_feed;
      if (ind->asn == 0 && ind->context != NULL)
        ind->asn = extract_asn_on_line (ind->context, ind->value);
      if (ind->asn != 0 || g_strcmp0 (ind->role, "source") != 0)
        continue;
      if (field < 0)
        field = report_field_asn (message);
      ind->asn = field;
    }
}
