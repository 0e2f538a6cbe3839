/*
 * notify.c - build the notification of one site about one ticket.
 *
 * What a site is told is what it needs to find its host: its addresses,
 * ports, event times (UTC and its own zone) and the log lines and CSV
 * rows that name them.  Never who reported it: a reporter that finds its
 * name, address, domain or servers in a mail to the attacker's network
 * stops reporting, or worse.  So only lines naming the site's addresses
 * are taken, and in them every other address, domain and e-mail address
 * of the ticket and every trace of the reporter are hidden.  The
 * notification is marked TLP (FIRST TLP 2.0) in its subject and body.
 */
#include "madoguchi/notify.h"

#include <gmime/gmime.h>
#include <string.h>

#include "gmime-autoptr.h"
#include "madoguchi/address.h"
#include "madoguchi/template.h"
#include "reply-pgp.h"

G_DEFINE_QUARK (madoguchi - notify - error - quark, notify_error)

#define NOTIFY_MAX_BYTES (256 * 1024)
#define REDACTED "[redacted]"

void
notify_address_free (NotifyAddress *a)
{
  if (a == NULL)
    return;
  g_free (a->value);
  g_free (a->ports);
  g_free (a);
}

static gboolean
word_char (char c)
{
  return g_ascii_isalnum (c) || c == '-' || c == '_';
}

/* Whether text[at..at+len) is a whole word: an address is not part of a
 * longer one (192.0.2.1 in 192.0.2.10), a domain not of a longer name. */
static gboolean
whole_word (const char *text, gsize at, gsize len)
{
  char before = at > 0 ? text[at - 1] : ' ';
  char after = text[at + len];
  char next = after != '\0' ? text[at + len + 1] : '\0';

  if (word_char (before)
      || ((before == '.' || before == ':') && at > 1
          && g_ascii_isalnum (text[at - 2])))
    return FALSE;
  if (word_char (after))
    return FALSE;
  return !((after == '.' || after == ':') && g_ascii_isalnum (next));
}

/* Where needle is in text as a whole word, caselessly, from `from`. */
static const char *
find_word (const char *text, gsize from, const char *needle)
{
  gsize n = strlen (needle);

  for (const char *p = text + from; n > 0 && *p != '\0'; p++)
    if (g_ascii_strncasecmp (p, needle, n) == 0
        && whole_word (text, (gsize) (p - text), n))
      return p;
  return NULL;
}

/* As find_word; a domain (its last character a letter) also as the end
 * of a longer name ("mail.example.org" for "example.org"). */
static const char *
find_word_or_below (const char *text, gsize from, const char *needle)
{
  gsize n = strlen (needle);
  const char *p;

  if (n == 0 || !g_ascii_isalpha (needle[n - 1]))
    return find_word (text, from, needle);
  for (p = text + from; *p != '\0'; p++)
    if (g_ascii_strncasecmp (p, needle, n) == 0
        && (whole_word (text, (gsize) (p - text), n)
            || (p > text && p[-1] == '.' && !word_char (p[n])
                && !(p[n] == '.' && g_ascii_isalnum (p[n + 1])))))
      return p;
  return NULL;
}

static gint
longer_first (gconstpointer a, gconstpointer b)
{
  gsize la = strlen (*(char *const *) a);
  gsize lb = strlen (*(char *const *) b);

  return la < lb ? 1 : la > lb ? -1 : 0;
}

char *
notify_redact (const char *text, GPtrArray *hide)
{
  g_autoptr (GPtrArray) sorted = g_ptr_array_sized_new (hide->len);
  g_autoptr (GString) out = g_string_new (text);

  /* Not g_ptr_array_copy: that copies hide's free function too. */
  for (guint i = 0; i < hide->len; i++)
    g_ptr_array_add (sorted, hide->pdata[i]);
  g_ptr_array_sort (sorted, longer_first);
  for (guint i = 0; i < sorted->len; i++)
    {
      const char *needle = sorted->pdata[i];
      gsize from = 0;
      const char *at;

      if (strlen (needle) < 3)
        continue;
      while ((at = find_word_or_below (out->str, from, needle)) != NULL)
        {
          gsize pos = (gsize) (at - out->str);
          gsize len = strlen (needle);

          /* A host below a hidden domain is hidden whole. */
          while (pos > 0
                 && (g_ascii_isalnum (out->str[pos - 1])
                     || out->str[pos - 1] == '.' || out->str[pos - 1] == '-'))
            pos--, len++;
          g_string_erase (out, (gssize) pos, (gssize) len);
          g_string_insert (out, (gssize) pos, REDACTED);
          from = pos + strlen (REDACTED);
        }
    }
  return g_string_free (g_steal_pointer (&out), FALSE);
}

/* Whether line names one of mine, as written or defanged. */
static gboolean
names_one (const char *line, GPtrArray *mine)
{
  g_autofree char *plain = address_refang (line, strlen (line));

  for (guint i = 0; i < mine->len; i++)
    if (find_word (line, 0, mine->pdata[i]) != NULL
        || find_word (plain, 0, mine->pdata[i]) != NULL)
      return TRUE;
  return FALSE;
}

/* A line as it goes out: redacted, cut, valid UTF-8. */
static char *
evidence_line (const char *line, GPtrArray *hide)
{
  g_autofree char *shown = notify_redact (line, hide);
  const char *end = shown;

  if (strlen (shown) > NOTIFY_LINE_MAX)
    {
      g_utf8_validate (shown, NOTIFY_LINE_MAX, &end);
      return g_strdup_printf ("%.*s…", (int) (end - shown), shown);
    }
  return g_steal_pointer (&shown);
}

GPtrArray *
notify_evidence_lines (GPtrArray *texts, GPtrArray *mine, GPtrArray *hide,
                       guint max)
{
  GPtrArray *out = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GHashTable) seen
      = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);

  for (guint t = 0; t < texts->len && out->len < max; t++)
    {
      g_auto (GStrv) lines = g_strsplit (texts->pdata[t], "\n", -1);

      for (guint i = 0; lines[i] != NULL && out->len < max; i++)
        {
          char *line = g_strchomp (lines[i]);

          if (*line == '\0' || !names_one (line, mine)
              || g_hash_table_contains (seen, line))
            continue;
          g_hash_table_add (seen, g_strdup (line));
          g_ptr_array_add (out, evidence_line (line, hide));
        }
    }
  return out;
}

/* "2026-01-05 10:00:00 UTC (2026-01-05 19:00:00 +09:00)" */
static char *
both_times (gint64 t, GTimeZone *zone)
{
  g_autoptr (GDateTime) utc = g_date_time_new_from_unix_utc (t);
  g_autoptr (GDateTime) there = g_date_time_to_timezone (utc, zone);
  g_autofree char *a = g_date_time_format (utc, "%Y-%m-%d %H:%M:%S UTC");
  g_autofree char *b = g_date_time_format (there, "%Y-%m-%d %H:%M:%S %:z");

  if (g_time_zone_get_offset (zone, 0) == 0 && strcmp (a + 20, "UTC") == 0
      && g_str_has_suffix (b, "+00:00"))
    return g_steal_pointer (&a);
  return g_strdup_printf ("%s (%s)", a, b);
}

static char *
address_table (const NotifyLetter *l)
{
  GTimeZone *zone = g_time_zone_new_identifier (l->zone);
  GString *out = g_string_new (NULL);
  gboolean ja = strcmp (l->language, "ja") == 0;

  if (zone == NULL)
    zone = g_time_zone_new_utc ();
  for (guint i = 0; i < l->addresses->len; i++)
    {
      const NotifyAddress *a = l->addresses->pdata[i];

      g_string_append_printf (out, "  %s", a->value);
      if (a->ports != NULL)
        g_string_append_printf (out, ja ? "  ポート %s" : "  port %s",
                                a->ports);
      g_string_append_c (out, '\n');
      if (a->first_seen != 0)
        {
          g_autofree char *first = both_times (a->first_seen, zone);
          g_autofree char *last = both_times (a->last_seen, zone);

          g_string_append_printf (out, ja ? "    観測: %s\n" : "    seen: %s\n",
                                  first);
          if (a->last_seen > a->first_seen)
            g_string_append_printf (
                out, ja ? "      〜  %s\n" : "      to  %s\n", last);
        }
    }
  g_time_zone_unref (zone);
  return g_string_free (out, FALSE);
}

static char *
evidence_text (const NotifyLetter *l)
{
  GString *out = g_string_new (NULL);

  for (guint i = 0; i < l->lines->len; i++)
    g_string_append_printf (out, "  %s\n", (char *) l->lines->pdata[i]);
  if (l->lines->len == 0)
    g_string_append (out, strcmp (l->language, "ja") == 0
                              ? "  (該当するログ行はありません)\n"
                              : "  (no log lines)\n");
  return g_string_free (out, FALSE);
}

static char *
fill (const char *text, const Config *config, const NotifyLetter *l)
{
  g_autofree char *tlp = g_strdup_printf ("TLP:%s", config->tlp);
  g_autofree char *table = address_table (l);
  g_autofree char *evidence = evidence_text (l);
  const char *const names[]
      = { "{tlp}",          "{tag}",       "{number}",       "{category}",
          "{contact_name}", "{team_name}", "{team_address}", "{addresses}",
          "{evidence}",     "{zone}" };
  const char *const values[] = { tlp,
                                 l->tag,
                                 l->number,
                                 l->category,
                                 *l->name ? l->name : l->recipient,
                                 config->team_name,
                                 config->team_address,
                                 table,
                                 evidence,
                                 l->zone };
  return template_fill (text, names, values, G_N_ELEMENTS (names));
}

/* The notification's template, whose first line is its Subject. */
static char *
read_template (const Config *config, const char *language, GError **error)
{
  char *text = template_read (config->rules_dir, "notify", language, error);

  if (text == NULL || g_str_has_prefix (text, "Subject: "))
    return text;
  g_free (text);
  g_set_error (error, NOTIFY_ERROR, NOTIFY_ERROR_TEMPLATE,
               "notify-%s.txt: no \"Subject: \" first line", language);
  return NULL;
}

static GMimeMessage *
new_message (const Config *config, const NotifyLetter *l, const char *subject,
             const char *message_id)
{
  GMimeMessage *msg = g_mime_message_new (TRUE);
  GMimeObject *obj = GMIME_OBJECT (msg);
  g_autoptr (GDateTime) now = g_date_time_new_now_local ();

  g_mime_message_add_mailbox (msg, GMIME_ADDRESS_TYPE_FROM, config->team_name,
                              config->team_address);
  g_mime_message_add_mailbox (msg, GMIME_ADDRESS_TYPE_TO,
                              *l->name ? l->name : NULL, l->recipient);
  g_mime_message_set_subject (msg, subject, "utf-8");
  g_mime_message_set_date (msg, now);
  g_mime_message_set_message_id (msg, message_id);
  if (l->automatic)
    g_mime_object_set_header (obj, "Auto-Submitted", "auto-generated", NULL);
  return msg;
}

static GBytes *
to_bytes (GMimeMessage *msg, GError **error)
{
  char *text = g_mime_object_to_string (GMIME_OBJECT (msg), NULL);

  if (strlen (text) <= NOTIFY_MAX_BYTES)
    return g_bytes_new_take (text, strlen (text));
  g_set_error (error, NOTIFY_ERROR, NOTIFY_ERROR_TEMPLATE,
               "the notification would be %zu bytes (at most %d)",
               strlen (text), NOTIFY_MAX_BYTES);
  g_free (text);
  return NULL;
}

GBytes *
notify_build (const Config *config, const NotifyLetter *l, char **message_id,
              char **body, GError **error)
{
  g_autofree char *template = read_template (config, l->language, error);
  g_autofree char *filled = NULL;
  g_autoptr (GMimeMessage) msg = NULL;
  g_autoptr (GMimeObject) part = NULL;
  GMimeTextPart *text;
  const char *at = strrchr (config->team_address, '@');
  char *nl;
  GBytes *bytes;

  if (template == NULL)
    return NULL;
  filled = fill (template, config, l);
  nl = strchr (filled, '\n');
  if (nl != NULL)
    *nl = '\0';
  *message_id = g_mime_utils_generate_message_id (at ? at + 1 : "localhost");
  msg = new_message (config, l, g_strstrip (filled + strlen ("Subject: ")),
                     *message_id);
  text = g_mime_text_part_new_with_subtype ("plain");
  part = GMIME_OBJECT (text);
  g_mime_text_part_set_text (text, nl ? g_strchug (nl + 1) : "");
  g_mime_text_part_set_charset (text, "UTF-8");
  g_mime_part_set_content_encoding (GMIME_PART (text),
                                    g_str_is_ascii (nl ? nl + 1 : "")
                                        ? GMIME_CONTENT_ENCODING_7BIT
                                        : GMIME_CONTENT_ENCODING_BASE64);
  if (!reply_pgp_protect (config, &part, l->pgp, error))
    {
      g_clear_pointer (message_id, g_free);
      return NULL;
    }
  g_mime_message_set_mime_part (msg, part);
  bytes = to_bytes (msg, error);
  if (bytes == NULL)
    g_clear_pointer (message_id, g_free);
  else
    *body = g_strdup (nl ? g_strchug (nl + 1) : "");
  return bytes;
}
